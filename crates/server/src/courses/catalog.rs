//! Categories: a tree per organization (course managers). A category's slug
//! is unique in the organization; moving one under itself or its own
//! descendant is 422; deleting one that still has children or courses is
//! 409.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::courses::would_cycle;
use invigil_store::Keyset;
use invigil_store::courses::{self, Category};

use super::access::Caller;
use super::validate::Errors;
use super::views::CategoryView;
use crate::audit::AuditAction;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit, double_option};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    pub name: String,
    /// Made from the name when absent.
    pub slug: Option<String>,
    pub parent_id: Option<Uuid>,
    pub description: Option<String>,
}

/// A change: the fields present replace the current ones; `parent_id: null`
/// moves the category to the top.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

async fn check_parent(
    tx: &invigil_store::Tx,
    org_id: Uuid,
    id: Uuid,
    parent: Option<Uuid>,
) -> Result<(), ApiError> {
    let Some(parent) = parent else {
        return Ok(());
    };
    let parents: HashMap<Uuid, Option<Uuid>> = courses::category_parents(tx, org_id)
        .await?
        .into_iter()
        .collect();
    if !parents.contains_key(&parent) {
        return Err(ApiError::field(
            "parent_id",
            "no category with this id in the organization",
        ));
    }
    if would_cycle(id, parent, &parents) {
        return Err(ApiError::field(
            "parent_id",
            "a category cannot move under itself or one of its own subcategories",
        ));
    }
    Ok(())
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    body: CategoryBody,
) -> Result<CategoryView, ApiError> {
    let mut e = Errors::default();
    let name = e.line::<200>("name", &body.name);
    let slug = e.slug(body.slug.as_deref(), &name);
    let description = e.markdown_opt("description", body.description.as_deref());
    e.done(()).map_err(ApiError::Validation)?;
    let now = state.now();
    let tx = begin(state).await?;
    let id = Uuid::now_v7();
    check_parent(&tx, caller.org_id(), id, body.parent_id).await?;
    let row = courses::insert_category(
        &tx,
        Category {
            id,
            org_id: caller.org_id(),
            parent_id: body.parent_id,
            name,
            slug,
            description,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    let view = CategoryView::from(row);
    caller
        .auth
        .audit(now)
        .record(&tx, AuditAction::CourseCategoryCreated, id, json!(view))
        .await?;
    commit(tx).await?;
    Ok(view)
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    patch: CategoryPatch,
) -> Result<CategoryView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = courses::category(&tx, caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let before = CategoryView::from(row.clone());
    let mut e = Errors::default();
    if let Some(n) = &patch.name {
        row.name = e.line::<200>("name", n);
    }
    if let Some(s) = &patch.slug {
        row.slug = e.slug(Some(s), &row.name);
    }
    if let Some(d) = patch.description {
        row.description = e.markdown_opt("description", d.as_deref());
    }
    e.done(()).map_err(ApiError::Validation)?;
    if let Some(p) = patch.parent_id {
        check_parent(&tx, caller.org_id(), id, p).await?;
        row.parent_id = p;
    }
    row.updated_at = now;
    let view = CategoryView::from(courses::update_category(&tx, row).await?);
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::CourseCategoryUpdated,
            id,
            json!({ "before": before, "after": view }),
        )
        .await?;
    commit(tx).await?;
    Ok(view)
}

pub async fn delete(state: &AppState, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let row = courses::category(&tx, caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (children, in_use) = courses::category_usage(&tx, caller.org_id(), id).await?;
    if children > 0 || in_use > 0 {
        return Err(ApiError::conflict(format!(
            "the category still has {children} subcategories and {in_use} courses (deleted ones count: they can be restored); move them first"
        )));
    }
    courses::delete_category(&tx, caller.org_id(), id).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::CourseCategoryDeleted,
            id,
            json!(CategoryView::from(row)),
        )
        .await?;
    commit(tx).await?;
    Ok(())
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    page: Keyset<Uuid>,
) -> Result<Page<CategoryView>, ApiError> {
    let rows = courses::categories_page(state.db.read(), caller.org_id(), page).await?;
    Ok(Page::from_keyset(rows, CategoryView::from))
}
