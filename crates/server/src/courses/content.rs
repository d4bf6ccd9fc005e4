//! Chapters and lectures of a course (its instructors and course managers):
//! create, change, reorder with the full id list, delete a chapter (only
//! when empty), soft delete and restore a lecture. Reading one lecture
//! shows its content only to enrolled learners, staff, or as a preview.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::courses::{LectureKind, check_order};
use invigil_store::courses::{self, Chapter, Lecture};

use super::access::{self, Caller};
use super::validate::{Errors, MAX_DURATION};
use super::views::{ChapterView, LectureView};
use crate::audit::AuditAction;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit, double_option};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChapterBody {
    pub title: String,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChapterPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

/// The full list of ids in their new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    pub ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LectureBody {
    pub title: String,
    pub description: Option<String>,
    #[schema(value_type = String)]
    pub kind: LectureKind,
    /// Markdown (TEXT lectures, or notes with a video).
    pub body: Option<String>,
    /// A file of the files module (video or PDF).
    pub file_id: Option<Uuid>,
    pub duration_seconds: Option<i64>,
    pub is_preview: Option<bool>,
    pub is_downloadable: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LecturePatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[schema(value_type = Option<String>)]
    pub kind: Option<LectureKind>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub body: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub file_id: Option<Option<Uuid>>,
    pub duration_seconds: Option<i64>,
    pub is_preview: Option<bool>,
    pub is_downloadable: Option<bool>,
}

fn duration(e: &mut Errors, d: i64) -> i32 {
    if !(0..=MAX_DURATION).contains(&d) {
        e.push(
            "duration_seconds",
            format!("must be from 0 to {MAX_DURATION} seconds"),
        );
        return 0;
    }
    i32::try_from(d).unwrap_or(0)
}

fn check_lecture(l: &Lecture, e: &mut Errors) {
    if l.kind == LectureKind::Text && l.body.is_none() {
        e.push("body", "a TEXT lecture needs a body");
    }
}

async fn chapter_of(
    tx: &invigil_store::Tx,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
) -> Result<Chapter, ApiError> {
    courses::chapter(tx, caller.org_id(), course_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn create_chapter(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    body: ChapterBody,
) -> Result<ChapterView, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    let title = e.line::<200>("title", &body.title);
    let description = e.markdown_opt("description", body.description.as_deref());
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let next = courses::chapters_of(&tx, caller.org_id(), course_id)
        .await?
        .iter()
        .map(|c| c.sort_order + 1)
        .max()
        .unwrap_or(0);
    let row = courses::insert_chapter(
        &tx,
        Chapter {
            id: Uuid::now_v7(),
            org_id: caller.org_id(),
            course_id,
            title,
            description,
            sort_order: next,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    commit(tx).await?;
    Ok(ChapterView::from(row))
}

pub async fn update_chapter(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
    p: ChapterPatch,
) -> Result<ChapterView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let mut row = chapter_of(&tx, caller, course_id, id).await?;
    let mut e = Errors::default();
    if let Some(t) = &p.title {
        row.title = e.line::<200>("title", t);
    }
    if let Some(d) = p.description {
        row.description = e.markdown_opt("description", d.as_deref());
    }
    e.done(()).map_err(ApiError::Validation)?;
    row.updated_at = now;
    let row = courses::update_chapter(&tx, row).await?;
    commit(tx).await?;
    Ok(ChapterView::from(row))
}

/// Deletes an empty chapter (no lecture, deleted ones included, and no
/// assessment): 409 otherwise.
pub async fn delete_chapter(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    chapter_of(&tx, caller, course_id, id).await?;
    let lectures = courses::lectures_in_chapter(&tx, caller.org_id(), id).await?;
    let exams = courses::assessments_in_chapter(&tx, caller.org_id(), id).await?;
    if lectures > 0 || exams > 0 {
        return Err(ApiError::conflict(format!(
            "the chapter holds {lectures} lectures (deleted ones count) and {exams} assessments"
        )));
    }
    courses::delete_chapter(&tx, caller.org_id(), id).await?;
    commit(tx).await?;
    Ok(())
}

fn order_error(e: invigil_domain::courses::OrderError) -> ApiError {
    ApiError::field("ids", e.to_string())
}

pub async fn order_chapters(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    body: OrderBody,
) -> Result<Vec<ChapterView>, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let current: Vec<Uuid> = courses::chapters_of(&tx, caller.org_id(), course_id)
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    check_order(&current, &body.ids).map_err(order_error)?;
    courses::set_chapter_order(&tx, caller.org_id(), &body.ids).await?;
    let rows = courses::chapters_of(&tx, caller.org_id(), course_id).await?;
    commit(tx).await?;
    Ok(rows.into_iter().map(ChapterView::from).collect())
}

pub async fn create_lecture(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    chapter_id: Uuid,
    b: LectureBody,
) -> Result<LectureView, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    let title = e.line::<200>("title", &b.title);
    let description = e.markdown_opt("description", b.description.as_deref());
    let body = e.markdown_opt("body", b.body.as_deref());
    let duration_seconds = duration(&mut e, b.duration_seconds.unwrap_or(0));
    let mut row = Lecture {
        id: Uuid::now_v7(),
        org_id: caller.org_id(),
        course_id,
        chapter_id,
        title,
        description,
        kind: b.kind,
        body,
        file_id: b.file_id,
        duration_seconds,
        is_preview: b.is_preview.unwrap_or(false),
        is_downloadable: b.is_downloadable.unwrap_or(false),
        sort_order: 0,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    check_lecture(&row, &mut e);
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    chapter_of(&tx, caller, course_id, chapter_id).await?;
    row.sort_order = courses::lectures_of(&tx, caller.org_id(), course_id, true)
        .await?
        .iter()
        .filter(|l| l.chapter_id == chapter_id)
        .map(|l| l.sort_order + 1)
        .max()
        .unwrap_or(0);
    check_file(&tx, &row).await?;
    let row = courses::insert_lecture(&tx, row).await?;
    commit(tx).await?;
    Ok(LectureView::of(&row, true))
}

pub async fn update_lecture(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
    p: LecturePatch,
) -> Result<LectureView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let mut row = courses::lecture(&tx, caller.org_id(), course_id, id)
        .await?
        .filter(|l| l.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let mut e = Errors::default();
    if let Some(t) = &p.title {
        row.title = e.line::<200>("title", t);
    }
    if let Some(d) = p.description {
        row.description = e.markdown_opt("description", d.as_deref());
    }
    if let Some(k) = p.kind {
        row.kind = k;
    }
    if let Some(b) = p.body {
        row.body = e.markdown_opt("body", b.as_deref());
    }
    if let Some(f) = p.file_id {
        row.file_id = f;
    }
    if let Some(d) = p.duration_seconds {
        row.duration_seconds = duration(&mut e, d);
    }
    if let Some(x) = p.is_preview {
        row.is_preview = x;
    }
    if let Some(x) = p.is_downloadable {
        row.is_downloadable = x;
    }
    check_lecture(&row, &mut e);
    e.done(()).map_err(ApiError::Validation)?;
    check_file(&tx, &row).await?;
    row.updated_at = now;
    let row = courses::update_lecture(&tx, row).await?;
    commit(tx).await?;
    Ok(LectureView::of(&row, true))
}

/// A lecture's file is an uploaded file of the same organization, not
/// deleted, of the lecture's kind (a VIDEO lecture plays a video, a PDF
/// lecture shows a PDF; a TEXT lecture may attach any file): 422 on `file_id`.
async fn check_file(tx: &invigil_store::Tx, row: &Lecture) -> Result<(), ApiError> {
    use invigil_domain::courses::LectureKind;
    use invigil_domain::files::FileKind;
    let Some(id) = row.file_id else {
        return Ok(());
    };
    let file = invigil_store::files::file_in_org(tx, row.org_id, id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::field("file_id", "no such file in this organization"))?;
    let fits = match row.kind {
        LectureKind::Video => file.kind == FileKind::Video,
        LectureKind::Pdf => file.kind == FileKind::Pdf,
        LectureKind::Text => true,
    };
    if fits {
        Ok(())
    } else {
        Err(ApiError::field(
            "file_id",
            format!(
                "a {} lecture needs a {} file, not {}",
                row.kind.name(),
                row.kind.name(),
                file.kind.name()
            ),
        ))
    }
}

/// Soft delete (staff of the course) or restore (course managers).
pub async fn set_lecture_deleted(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
    deleted: bool,
) -> Result<LectureView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let mut row = courses::lecture(&tx, caller.org_id(), course_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.deleted_at.is_some() == deleted {
        return Err(ApiError::conflict(if deleted {
            "the lecture is deleted already"
        } else {
            "the lecture is not deleted"
        }));
    }
    row.deleted_at = deleted.then_some(now);
    row.updated_at = now;
    let row = courses::update_lecture(&tx, row).await?;
    let action = if deleted {
        AuditAction::CourseLectureDeleted
    } else {
        AuditAction::CourseLectureRestored
    };
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            action,
            id,
            json!({ "course_id": course_id, "title": row.title }),
        )
        .await?;
    commit(tx).await?;
    Ok(LectureView::of(&row, true))
}

pub async fn order_lectures(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    chapter_id: Uuid,
    body: OrderBody,
) -> Result<Vec<LectureView>, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    chapter_of(&tx, caller, course_id, chapter_id).await?;
    let current: Vec<Uuid> = courses::lectures_of(&tx, caller.org_id(), course_id, false)
        .await?
        .iter()
        .filter(|l| l.chapter_id == chapter_id)
        .map(|l| l.id)
        .collect();
    check_order(&current, &body.ids).map_err(order_error)?;
    courses::set_lecture_order(&tx, caller.org_id(), &body.ids).await?;
    let rows = courses::lectures_of(&tx, caller.org_id(), course_id, false).await?;
    commit(tx).await?;
    Ok(rows
        .iter()
        .filter(|l| l.chapter_id == chapter_id)
        .map(|l| LectureView::of(l, true))
        .collect())
}

/// One lecture: its content only for enrolled learners, staff, or when it
/// is a preview. A deleted lecture is staff-only.
pub async fn read_lecture(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
) -> Result<LectureView, ApiError> {
    let db = state.db.read();
    let seen = access::see(db, caller, course_id, false, state.now()).await?;
    let row = courses::lecture(db, caller.org_id(), course_id, id)
        .await?
        .filter(|l| l.deleted_at.is_none() || seen.staff)
        .ok_or(ApiError::NotFound)?;
    let visible = seen.staff || seen.enrolled || row.is_preview;
    Ok(LectureView::of(&row, visible))
}
