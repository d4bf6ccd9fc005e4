//! The course editor `/orgs/{org}/courses/{course}`: the course's facts and
//! lifecycle buttons, its chapters (add, rename, delete, move up / down),
//! the lectures of each chapter (add and edit on the lecture form, move,
//! soft delete, restore), the course's assessments (an exam of the
//! organization in a chapter as QUIZ / ASSIGNMENT / PRACTICE / FINAL_EXAM)
//! and its instructors (course managers add and remove them). Every button
//! is a small form; a refusal comes back on the editor next to the form
//! that was refused.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::courses::{CourseStatus, TestType};
use invigil_store::courses as store;
use invigil_store::exams as exam_store;
use invigil_store::identity::users;

use super::{Section, Staff, caller, path_id, price_words, refusal, status_badge};
use crate::courses::access::{self, Caller};
use crate::courses::assessments::{self, AssessmentBody};
use crate::courses::content::{self, ChapterBody, ChapterPatch, OrderBody};
use crate::courses::course;
use crate::courses::views::CourseView;
use crate::exams::service::exam_scope;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::session::see_other;

pub fn router() -> Router<AppState> {
    let c = "/orgs/{org}/courses/{course}";
    Router::new()
        .route(&format!("{c}/chapters"), post(add_chapter))
        .route(
            &format!("{c}/chapters/{{chapter}}/rename"),
            post(rename_chapter),
        )
        .route(
            &format!("{c}/chapters/{{chapter}}/delete"),
            post(delete_chapter),
        )
        .route(
            &format!("{c}/chapters/{{chapter}}/move"),
            post(move_chapter),
        )
        .route(
            &format!("{c}/chapters/{{chapter}}/lectures/new"),
            axum::routing::get(super::lecture::new_page),
        )
        .route(
            &format!("{c}/lectures/{{lecture}}/edit"),
            axum::routing::get(super::lecture::edit_page),
        )
        .route(
            &format!("{c}/lectures/{{lecture}}/move"),
            post(move_lecture),
        )
        .route(
            &format!("{c}/lectures/{{lecture}}/delete"),
            post(delete_lecture),
        )
        .route(
            &format!("{c}/lectures/{{lecture}}/restore"),
            post(restore_lecture),
        )
        .route(&format!("{c}/instructors"), post(add_instructor))
        .route(
            &format!("{c}/instructors/{{user}}/remove"),
            post(remove_instructor),
        )
        .route(&format!("{c}/assessments"), post(add_assessment))
        .route(
            &format!("{c}/assessments/{{assessment}}/remove"),
            post(remove_assessment),
        )
}

/// A lecture's length as `m:ss` (or `h:mm:ss`).
pub fn duration_words(secs: i32) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[derive(Debug)]
pub struct LectureRow {
    pub title: String,
    pub kind: &'static str,
    pub duration: String,
    pub preview: bool,
    pub file: Option<String>,
    pub deleted: bool,
    pub first: bool,
    pub last: bool,
    pub edit_href: String,
    pub move_href: String,
    pub delete_href: String,
    pub restore_href: String,
}

#[derive(Debug)]
pub struct AssessmentRow {
    pub exam_title: String,
    pub test_type: &'static str,
    pub show_result: bool,
    pub proctored: bool,
    pub remove_href: String,
}

#[derive(Debug)]
pub struct ChapterBlock {
    pub id: String,
    pub number: usize,
    pub title: String,
    pub first: bool,
    pub last: bool,
    pub rename_href: String,
    pub delete_href: String,
    pub move_href: String,
    pub new_lecture_href: String,
    pub lectures: Vec<LectureRow>,
    pub assessments: Vec<AssessmentRow>,
    /// A refused rename, move or delete of this chapter.
    pub error: Option<String>,
}

#[derive(Debug)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub remove_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/courses/editor.html")]
pub struct EditorPage {
    pub layout: Layout,
    pub course: CourseView,
    pub badge: &'static str,
    pub price: String,
    pub category: String,
    pub manage: bool,
    pub courses_href: String,
    pub edit_href: String,
    pub delete_href: String,
    pub status_href: String,
    pub learners_href: String,
    pub reviews_href: String,
    pub live_href: String,
    pub add_chapter_href: String,
    pub instructors_href: String,
    pub assessments_href: String,
    pub may_publish: bool,
    pub may_archive: bool,
    pub chapters: Vec<ChapterBlock>,
    pub instructors: Vec<Person>,
    pub exams: Vec<(String, String)>,
    pub test_types: Vec<(&'static str, &'static str)>,
    pub csrf: String,
    pub notice: String,
    pub problem: String,
    pub add_chapter_error: Option<String>,
    pub instructor_error: Option<String>,
    pub assessment_error: Option<String>,
}

/// Which form a refusal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Page,
    AddChapter,
    Chapter(Uuid),
    Instructor,
    Assessment,
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    pub done: Option<String>,
}

fn notice_of(done: Option<&str>) -> &'static str {
    match done {
        Some("saved") => "The course is saved.",
        Some("publish") => "The course is published: learners find it in the catalog.",
        Some("archive") => "The course is archived: enrolled learners keep it, nobody new enrolls.",
        Some("chapter") => "The chapter is saved.",
        Some("lecture") => "The lecture is saved.",
        Some("moved") => "The order is saved.",
        Some("deleted") => "Deleted. It can be restored.",
        Some("restored") => "The lecture is restored.",
        Some("instructor") => "The instructors are saved.",
        Some("assessment") => "The assessments are saved.",
        _ => "",
    }
}

/// `GET /orgs/{org}/courses/{course}`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let run = async {
        let id = path_id(&course)?;
        build(&state, &staff, id, notice_of(q.done.as_deref()), None).await
    };
    match run.await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// The editor again with why something was refused, on the page.
pub async fn refused(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    why: String,
    code: StatusCode,
) -> Response {
    refused_at(state, staff, id, Target::Page, why, code).await
}

async fn refused_at(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    target: Target,
    why: String,
    code: StatusCode,
) -> Response {
    match build(state, staff, id, "", Some((target, why))).await {
        Ok(p) => (code, p).into_response(),
        Err(e) => error_page(&e),
    }
}

async fn build(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    notice: &str,
    failed: Option<(Target, String)>,
) -> Result<EditorPage, ApiError> {
    let caller = caller(staff)?;
    let db = state.db.read();
    let org = caller.org_id();
    let row = access::edit(db, &caller, id, state.now()).await?;
    let view = CourseView::from(&row);
    let category = match row.category_id {
        Some(c) => store::category(db, org, c)
            .await?
            .map(|c| c.name)
            .unwrap_or_default(),
        None => "None".to_owned(),
    };
    let error_for = |t: Target| {
        failed
            .as_ref()
            .filter(|(target, _)| *target == t)
            .map(|(_, m)| m.clone())
    };
    let base = format!("/courses/{id}");
    let chapters = store::chapters_of(db, org, id).await?;
    let lectures = store::lectures_of(db, org, id, true).await?;
    let mut files: HashMap<Uuid, String> = HashMap::new();
    for f in lectures.iter().filter_map(|l| l.file_id) {
        if let Some(file) = invigil_store::files::file_in_org(db, org, f).await? {
            files.insert(f, file.original_name);
        }
    }
    let assessment_rows = assessments::list(state, &caller, id).await?;
    let n = chapters.len();
    let blocks = chapters
        .iter()
        .enumerate()
        .map(|(i, ch)| {
            let mut mine: Vec<_> = lectures.iter().filter(|l| l.chapter_id == ch.id).collect();
            mine.sort_by_key(|l| (l.sort_order, l.id));
            let active: Vec<Uuid> = mine
                .iter()
                .filter(|l| l.deleted_at.is_none())
                .map(|l| l.id)
                .collect();
            let lectures = mine
                .iter()
                .map(|l| {
                    let lb = format!("{base}/lectures/{}", l.id);
                    LectureRow {
                        title: l.title.clone(),
                        kind: l.kind.name(),
                        duration: duration_words(l.duration_seconds),
                        preview: l.is_preview,
                        file: l.file_id.and_then(|f| files.get(&f).cloned()),
                        deleted: l.deleted_at.is_some(),
                        first: active.first() == Some(&l.id),
                        last: active.last() == Some(&l.id),
                        edit_href: staff.href(&format!("{lb}/edit")),
                        move_href: staff.href(&format!("{lb}/move")),
                        delete_href: staff.href(&format!("{lb}/delete")),
                        restore_href: staff.href(&format!("{lb}/restore")),
                    }
                })
                .collect();
            let cb = format!("{base}/chapters/{}", ch.id);
            ChapterBlock {
                id: ch.id.to_string(),
                number: i + 1,
                title: ch.title.clone(),
                first: i == 0,
                last: i + 1 == n,
                rename_href: staff.href(&format!("{cb}/rename")),
                delete_href: staff.href(&format!("{cb}/delete")),
                move_href: staff.href(&format!("{cb}/move")),
                new_lecture_href: staff.href(&format!("{cb}/lectures/new")),
                lectures,
                assessments: assessment_rows
                    .iter()
                    .filter(|a| a.chapter_id == ch.id)
                    .map(|a| AssessmentRow {
                        exam_title: a.exam_title.clone(),
                        test_type: a.test_type.name(),
                        show_result: a.show_result,
                        proctored: a.proctored,
                        remove_href: staff.href(&format!("{base}/assessments/{}/remove", a.id)),
                    })
                    .collect(),
                error: error_for(Target::Chapter(ch.id)),
            }
        })
        .collect();
    let instructor_ids: Vec<Uuid> = store::instructors_of(db, org, id)
        .await?
        .into_iter()
        .map(|i| i.user_id)
        .collect();
    let mut instructors: Vec<Person> = users::by_ids(db, instructor_ids)
        .await?
        .into_iter()
        .map(|u| Person {
            remove_href: staff.href(&format!("{base}/instructors/{}/remove", u.id)),
            name: u.name,
            email: u.email,
        })
        .collect();
    instructors.sort_by(|a, b| a.name.cmp(&b.name));
    let exams = match exam_scope(&staff.ctx) {
        Ok(scope) => exam_store::list_exams(db, org, &scope, None, None, 300)
            .await?
            .into_iter()
            .map(|e| (e.id.to_string(), e.title))
            .collect(),
        Err(_) => Vec::new(),
    };
    Ok(EditorPage {
        layout: staff.layout(&view.title, Section::Courses),
        badge: status_badge(view.status),
        price: price_words(&view),
        category,
        manage: caller.manage,
        courses_href: staff.href("/courses"),
        edit_href: staff.href(&format!("{base}/edit")),
        delete_href: staff.href(&format!("{base}/delete")),
        status_href: staff.href(&format!("{base}/status")),
        learners_href: staff.href(&format!("{base}/learners")),
        reviews_href: staff.href(&format!("{base}/reviews")),
        live_href: staff.href(&format!("{base}/live")),
        add_chapter_href: staff.href(&format!("{base}/chapters")),
        instructors_href: staff.href(&format!("{base}/instructors")),
        assessments_href: staff.href(&format!("{base}/assessments")),
        // Publish is offered on an empty course too: the service says why not.
        may_publish: view.status != CourseStatus::Published,
        may_archive: view.status == CourseStatus::Published,
        chapters: blocks,
        instructors,
        exams,
        test_types: vec![
            ("QUIZ", "Quiz"),
            ("ASSIGNMENT", "Assignment"),
            ("PRACTICE", "Practice (results shown at once)"),
            ("FINAL_EXAM", "Final exam"),
        ],
        csrf: staff.csrf.clone(),
        notice: notice.to_owned(),
        problem: error_for(Target::Page).unwrap_or_default(),
        add_chapter_error: error_for(Target::AddChapter),
        instructor_error: error_for(Target::Instructor),
        assessment_error: error_for(Target::Assessment),
        course: view,
    })
}

/// Runs one editor action: CSRF, the caller, the course id; on success to
/// the editor with `done`, on a refusal the editor with the message next to
/// `target`'s form.
async fn act<F, Fut>(
    state: AppState,
    staff: Staff,
    course: &str,
    csrf: &str,
    target: impl Fn(Uuid) -> Target,
    done: &str,
    f: F,
) -> Response
where
    F: FnOnce(AppState, Caller, Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    if let Some(no) = staff.csrf_refusal(csrf) {
        return no;
    }
    let (caller, id) = match (caller(&staff), path_id(course)) {
        (Ok(c), Ok(id)) => (c, id),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    match f(state.clone(), caller, id).await {
        Ok(()) => see_other(&staff.href(&format!("/courses/{id}?done={done}"))),
        Err(e) => match refusal(&e) {
            Some(why) if !matches!(e, ApiError::Denied(_)) => {
                let code = e.parts().0;
                refused_at(&state, &staff, id, target(id), why, code).await
            }
            _ => error_page(&e),
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct TitleForm {
    #[serde(default)]
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub direction: String,
}

/// `POST .../chapters`: a new chapter at the end.
pub async fn add_chapter(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<TitleForm>,
) -> Response {
    let title = form.value.title.clone();
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::AddChapter,
        "chapter",
        |state, caller, id| async move {
            let body = ChapterBody {
                title,
                description: None,
            };
            content::create_chapter(&state, &caller, id, body)
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST .../chapters/{chapter}/rename`.
pub async fn rename_chapter(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, chapter)): Path<(String, String, String)>,
    form: WebForm<TitleForm>,
) -> Response {
    let Ok(ch) = path_id(&chapter) else {
        return error_page(&ApiError::NotFound);
    };
    let title = form.value.title.clone();
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Chapter(ch),
        "chapter",
        |state, caller, id| async move {
            let patch = ChapterPatch {
                title: Some(title),
                ..ChapterPatch::default()
            };
            content::update_chapter(&state, &caller, id, ch, patch)
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST .../chapters/{chapter}/delete`: only an empty chapter.
pub async fn delete_chapter(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, chapter)): Path<(String, String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    let Ok(ch) = path_id(&chapter) else {
        return error_page(&ApiError::NotFound);
    };
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Chapter(ch),
        "chapter",
        |state, caller, id| async move { content::delete_chapter(&state, &caller, id, ch).await },
    )
    .await
}

/// `ids` with `id` swapped with its neighbour up or down; `None` when it
/// cannot move that way (or is not there).
pub fn moved(ids: &[Uuid], id: Uuid, direction: &str) -> Option<Vec<Uuid>> {
    let i = ids.iter().position(|x| *x == id)?;
    let j = match direction {
        "up" => i.checked_sub(1)?,
        "down" => Some(i + 1).filter(|j| *j < ids.len())?,
        _ => return None,
    };
    let mut out = ids.to_vec();
    out.swap(i, j);
    Some(out)
}

fn cannot_move() -> ApiError {
    ApiError::field("direction", "it cannot move that way")
}

/// `POST .../chapters/{chapter}/move`: up or down by one.
pub async fn move_chapter(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, chapter)): Path<(String, String, String)>,
    form: WebForm<MoveForm>,
) -> Response {
    let Ok(ch) = path_id(&chapter) else {
        return error_page(&ApiError::NotFound);
    };
    let direction = form.value.direction.clone();
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Chapter(ch),
        "moved",
        |state, caller, id| async move {
            access::edit(state.db.read(), &caller, id, state.now()).await?;
            let ids: Vec<Uuid> = store::chapters_of(state.db.read(), caller.org_id(), id)
                .await?
                .iter()
                .map(|c| c.id)
                .collect();
            if !ids.contains(&ch) {
                return Err(ApiError::NotFound);
            }
            let ids = moved(&ids, ch, &direction).ok_or_else(cannot_move)?;
            content::order_chapters(&state, &caller, id, OrderBody { ids })
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST .../lectures/{lecture}/move`: up or down by one in its chapter.
pub async fn move_lecture(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, lecture)): Path<(String, String, String)>,
    form: WebForm<MoveForm>,
) -> Response {
    let Ok(lid) = path_id(&lecture) else {
        return error_page(&ApiError::NotFound);
    };
    let direction = form.value.direction.clone();
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Page,
        "moved",
        |state, caller, id| async move {
            let db = state.db.read();
            access::edit(db, &caller, id, state.now()).await?;
            let lecture = store::lecture(db, caller.org_id(), id, lid)
                .await?
                .filter(|l| l.deleted_at.is_none())
                .ok_or(ApiError::NotFound)?;
            let mut siblings: Vec<_> = store::lectures_of(db, caller.org_id(), id, false)
                .await?
                .into_iter()
                .filter(|l| l.chapter_id == lecture.chapter_id)
                .collect();
            siblings.sort_by_key(|l| (l.sort_order, l.id));
            let ids: Vec<Uuid> = siblings.iter().map(|l| l.id).collect();
            let ids = moved(&ids, lid, &direction).ok_or_else(cannot_move)?;
            content::order_lectures(&state, &caller, id, lecture.chapter_id, OrderBody { ids })
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST .../lectures/{lecture}/delete` (soft).
pub async fn delete_lecture(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, lecture)): Path<(String, String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    let Ok(lid) = path_id(&lecture) else {
        return error_page(&ApiError::NotFound);
    };
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Page,
        "deleted",
        |state, caller, id| async move {
            content::set_lecture_deleted(&state, &caller, id, lid, true)
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST .../lectures/{lecture}/restore`.
pub async fn restore_lecture(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, lecture)): Path<(String, String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    let Ok(lid) = path_id(&lecture) else {
        return error_page(&ApiError::NotFound);
    };
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Page,
        "restored",
        |state, caller, id| async move {
            content::set_lecture_deleted(&state, &caller, id, lid, false)
                .await
                .map(|_| ())
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct InstructorForm {
    #[serde(default)]
    pub email: String,
}

/// `POST .../instructors`: a member (by email) whose roles teach courses
/// (course managers).
pub async fn add_instructor(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<InstructorForm>,
) -> Response {
    let email = form.value.email.trim().to_lowercase();
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Instructor,
        "instructor",
        |state, caller, id| async move {
            if !caller.manage {
                return Err(ApiError::Forbidden);
            }
            let no_member = || {
                ApiError::field(
                    "email",
                    "no member of the organization has this email address",
                )
            };
            if email.is_empty() {
                return Err(ApiError::field("email", "enter the member's email address"));
            }
            let user = users::by_email(state.db.read(), &email)
                .await?
                .ok_or_else(no_member)?;
            if invigil_store::tenancy::member(state.db.read(), caller.org_id(), user.id)
                .await?
                .is_none()
            {
                return Err(no_member());
            }
            course::add_instructor(&state, &caller, id, user.id)
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST .../instructors/{user}/remove` (course managers).
pub async fn remove_instructor(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, user)): Path<(String, String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    let Ok(uid) = path_id(&user) else {
        return error_page(&ApiError::NotFound);
    };
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Instructor,
        "instructor",
        |state, caller, id| async move {
            if !caller.manage {
                return Err(ApiError::Forbidden);
            }
            course::remove_instructor(&state, &caller, id, uid).await
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AssessmentForm {
    #[serde(default)]
    pub chapter_id: String,
    #[serde(default)]
    pub exam_id: String,
    #[serde(default)]
    pub test_type: String,
    pub show_result: Option<String>,
}

/// `POST .../assessments`: an exam of the organization into a chapter.
pub async fn add_assessment(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<AssessmentForm>,
) -> Response {
    let f = form.value;
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Assessment,
        "assessment",
        |state, caller, id| async move {
            let chapter_id = f
                .chapter_id
                .parse()
                .map_err(|_| ApiError::field("chapter_id", "choose a chapter"))?;
            let exam_id = f
                .exam_id
                .parse()
                .map_err(|_| ApiError::field("exam_id", "choose an exam"))?;
            let test_type = TestType::parse(&f.test_type)
                .ok_or_else(|| ApiError::field("test_type", "choose a kind of assessment"))?;
            let body = AssessmentBody {
                chapter_id,
                exam_id,
                test_type,
                show_result: Some(f.show_result.is_some()),
            };
            assessments::create(&state, &caller, id, body)
                .await
                .map(|_| ())
        },
    )
    .await
}

/// `POST .../assessments/{assessment}/remove`.
pub async fn remove_assessment(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, assessment)): Path<(String, String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    let Ok(aid) = path_id(&assessment) else {
        return error_page(&ApiError::NotFound);
    };
    act(
        state,
        staff,
        &course,
        &form.csrf,
        |_| Target::Assessment,
        "assessment",
        |state, caller, id| async move { assessments::delete(&state, &caller, id, aid).await },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::{duration_words, moved};
    use uuid::Uuid;

    #[test]
    fn moving_swaps_with_the_neighbour() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        assert_eq!(
            moved(&ids, ids[1], "up"),
            Some(vec![ids[1], ids[0], ids[2]])
        );
        assert_eq!(
            moved(&ids, ids[1], "down"),
            Some(vec![ids[0], ids[2], ids[1]])
        );
        assert_eq!(moved(&ids, ids[0], "up"), None);
        assert_eq!(moved(&ids, ids[2], "down"), None);
        assert_eq!(moved(&ids, ids[1], "sideways"), None);
        assert_eq!(moved(&ids, Uuid::now_v7(), "up"), None);
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration_words(0), "0:00");
        assert_eq!(duration_words(95), "1:35");
        assert_eq!(duration_words(3725), "1:02:05");
    }
}
