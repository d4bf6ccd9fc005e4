//! `/orgs/{org}/course-categories` (course managers): the tree, add, rename
//! and move (one form per category), delete. The services refuse a cycle
//! (422, shown next to that category's parent) and a category still in use
//! (409, on the page).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::Keyset;

use super::{Section, Staff, path_id, refusal};
use crate::courses::access::Caller;
use crate::courses::catalog::{self, CategoryBody, CategoryPatch};
use crate::courses::views::CategoryView;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::session::see_other;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/course-categories", get(page).post(create))
        .route("/orgs/{org}/course-categories/{id}", post(update))
        .route("/orgs/{org}/course-categories/{id}/delete", post(delete))
}

/// The categories in tree order (children under their parent, by name),
/// with their depth. A category whose parent is missing shows at the top.
pub fn tree(all: &[CategoryView]) -> Vec<(usize, &CategoryView)> {
    let ids: std::collections::HashSet<Uuid> = all.iter().map(|c| c.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<&CategoryView>> = HashMap::new();
    for c in all {
        let parent = c.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(c);
    }
    for list in children.values_mut() {
        list.sort_by_key(|a| a.name.to_lowercase());
    }
    let mut out = Vec::with_capacity(all.len());
    let mut stack: Vec<(usize, &CategoryView)> = children
        .get(&None)
        .map(|l| l.iter().rev().map(|c| (0, *c)).collect())
        .unwrap_or_default();
    while let Some((depth, c)) = stack.pop() {
        // A cycle in stored data cannot loop forever: each id once.
        if out
            .iter()
            .any(|(_, o): &(usize, &CategoryView)| o.id == c.id)
        {
            continue;
        }
        out.push((depth, c));
        if let Some(kids) = children.get(&Some(c.id)) {
            stack.extend(kids.iter().rev().map(|k| (depth + 1, *k)));
        }
    }
    out
}

/// One category of the tree with its forms' state.
#[derive(Debug)]
pub struct Row {
    pub id: String,
    pub depth: usize,
    pub name: String,
    pub slug: String,
    pub parent: String,
    pub action: String,
    pub delete: String,
    /// The parents it may move under (not itself).
    pub parents: Vec<(String, String)>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/courses/categories.html")]
pub struct CategoriesPage {
    pub layout: Layout,
    pub rows: Vec<Row>,
    pub choices: Vec<(String, String)>,
    pub action: String,
    pub courses_href: String,
    pub new_name: String,
    pub new_parent: String,
    pub new_error: Option<String>,
    pub notice: String,
    pub problem: String,
}

fn manager(staff: &Staff) -> Result<Caller, ApiError> {
    Caller::of(&staff.ctx, &[Action::ManageCourses])
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub done: Option<String>,
}

/// What a failed form leaves on the page.
#[derive(Debug, Default)]
struct Failed {
    /// `None`: the add form; `Some(id)`: that category's form.
    row: Option<Uuid>,
    message: String,
    name: String,
    parent: String,
    general: bool,
}

async fn build(
    state: &AppState,
    staff: &Staff,
    done: Option<&str>,
    failed: Option<Failed>,
) -> Result<CategoriesPage, ApiError> {
    let caller = manager(staff)?;
    let page = catalog::list(state, &caller, Keyset::new(None, 500)).await?;
    let tree = tree(&page.items);
    let name_of = |c: &CategoryView, depth: usize| format!("{}{}", "— ".repeat(depth), c.name);
    let choices: Vec<(String, String)> = tree
        .iter()
        .map(|(d, c)| (c.id.to_string(), name_of(c, *d)))
        .collect();
    let failed = failed.unwrap_or_default();
    let rows = tree
        .iter()
        .map(|(depth, c)| {
            let mine = !failed.general && failed.row == Some(c.id);
            Row {
                id: c.id.to_string(),
                depth: (*depth).min(5),
                name: if mine {
                    failed.name.clone()
                } else {
                    c.name.clone()
                },
                slug: c.slug.clone(),
                parent: if mine {
                    failed.parent.clone()
                } else {
                    c.parent_id.map(|p| p.to_string()).unwrap_or_default()
                },
                action: staff.href(&format!("/course-categories/{}", c.id)),
                delete: staff.href(&format!("/course-categories/{}/delete", c.id)),
                parents: choices
                    .iter()
                    .filter(|(id, _)| *id != c.id.to_string())
                    .cloned()
                    .collect(),
                error: mine.then(|| failed.message.clone()),
            }
        })
        .collect();
    let add_failed = !failed.general && failed.row.is_none() && !failed.message.is_empty();
    Ok(CategoriesPage {
        layout: staff.layout("Course categories", Section::Courses),
        rows,
        choices,
        action: staff.href("/course-categories"),
        courses_href: staff.href("/courses"),
        new_name: if add_failed {
            failed.name.clone()
        } else {
            String::new()
        },
        new_parent: if add_failed {
            failed.parent.clone()
        } else {
            String::new()
        },
        new_error: add_failed.then(|| failed.message.clone()),
        notice: match done {
            Some("added") => "The category is added.",
            Some("saved") => "The category is saved.",
            Some("deleted") => "The category is deleted.",
            _ => "",
        }
        .to_owned(),
        problem: if failed.general {
            failed.message
        } else {
            String::new()
        },
    })
}

/// `GET /orgs/{org}/course-categories`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PageQuery>,
) -> Response {
    match build(&state, &staff, q.done.as_deref(), None).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent_id: String,
}

fn parent(raw: &str) -> Result<Option<Uuid>, ApiError> {
    match raw.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field("parent_id", "choose one of the list")),
    }
}

/// The page again with a refusal next to its form (or on the page).
async fn refused(state: &AppState, staff: &Staff, e: ApiError, mut failed: Failed) -> Response {
    let Some(message) = refusal(&e) else {
        return error_page(&e);
    };
    failed.general = !matches!(e, ApiError::Validation(_));
    failed.message = message;
    match build(state, staff, None, Some(failed)).await {
        Ok(p) => (e.parts().0, p).into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/course-categories`: a new category.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<CategoryForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let f = form.value;
    let run = async {
        let caller = manager(&staff)?;
        let body = CategoryBody {
            name: f.name.clone(),
            slug: None,
            parent_id: parent(&f.parent_id)?,
            description: None,
        };
        catalog::create(&state, &caller, body).await
    };
    match run.await {
        Ok(_) => see_other(&staff.href("/course-categories?done=added")),
        Err(e) => {
            let failed = Failed {
                row: None,
                name: f.name.clone(),
                parent: f.parent_id.clone(),
                ..Failed::default()
            };
            refused(&state, &staff, e, failed).await
        }
    }
}

/// `POST /orgs/{org}/course-categories/{id}`: rename and move.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<CategoryForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Ok(id) = path_id(&id) else {
        return error_page(&ApiError::NotFound);
    };
    let f = form.value;
    let run = async {
        let caller = manager(&staff)?;
        let patch = CategoryPatch {
            name: Some(f.name.clone()),
            parent_id: Some(parent(&f.parent_id)?),
            ..CategoryPatch::default()
        };
        catalog::update(&state, &caller, id, patch).await
    };
    match run.await {
        Ok(_) => see_other(&staff.href("/course-categories?done=saved")),
        Err(e) => {
            let failed = Failed {
                row: Some(id),
                name: f.name.clone(),
                parent: f.parent_id.clone(),
                ..Failed::default()
            };
            refused(&state, &staff, e, failed).await
        }
    }
}

/// `POST /orgs/{org}/course-categories/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let run = async {
        let caller = manager(&staff)?;
        catalog::delete(&state, &caller, path_id(&id)?).await
    };
    match run.await {
        Ok(()) => see_other(&staff.href("/course-categories?done=deleted")),
        Err(e) => {
            let failed = Failed {
                general: true,
                ..Failed::default()
            };
            refused(&state, &staff, e, failed).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tree;
    use crate::courses::views::CategoryView;
    use uuid::Uuid;

    fn cat(name: &str, parent: Option<Uuid>) -> CategoryView {
        CategoryView {
            id: Uuid::now_v7(),
            parent_id: parent,
            name: name.into(),
            slug: name.to_lowercase(),
            description: None,
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_tree_puts_children_under_their_parent() {
        let science = cat("Science", None);
        let arts = cat("Arts", None);
        let physics = cat("Physics", Some(science.id));
        let optics = cat("Optics", Some(physics.id));
        let all = vec![
            optics.clone(),
            science.clone(),
            physics.clone(),
            arts.clone(),
        ];
        let names: Vec<(usize, &str)> = tree(&all)
            .iter()
            .map(|(d, c)| (*d, c.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [(0, "Arts"), (0, "Science"), (1, "Physics"), (2, "Optics")]
        );
    }
}
