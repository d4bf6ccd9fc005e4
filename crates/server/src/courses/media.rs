//! A lecture's file for the people who may watch or read it: the route
//! `GET /orgs/{org}/courses/{course}/lectures/{lecture}/file` and the web
//! page's `<video src>` both stream it here, with HTTP ranges (seeking) by
//! [`crate::files::serve_content`].
//!
//! Who gets it: the course's staff (instructors, course managers), a learner
//! whose enrollment gives access now (active, not expired), and, for a
//! free-preview lecture of a PUBLISHED course, every reader of the course.
//! Everyone else gets 404, like a lecture that does not exist: whether a
//! lecture has a file is not revealed.

use axum::http::HeaderMap;
use axum::response::Response;
use uuid::Uuid;

use invigil_domain::courses::CourseStatus;
use invigil_store::courses;

use super::access::{self, Caller};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Whether the caller may open the lecture's content (see the module
/// documentation); the decision alone, for the pages too.
pub fn may_open(seen: &access::Seen, is_preview: bool) -> bool {
    seen.staff || seen.enrolled || (is_preview && seen.course.status == CourseStatus::Published)
}

/// The lecture's file, answering `Range`, `If-Range` and `If-None-Match`.
#[tracing::instrument(skip_all, err, fields(course_id = %course_id, lecture_id = %lecture_id))]
pub async fn lecture_file(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    lecture_id: Uuid,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let db = state.db.read();
    let seen = access::see(db, caller, course_id, false, state.now()).await?;
    let lecture = courses::lecture(db, caller.org_id(), course_id, lecture_id)
        .await?
        .filter(|l| l.deleted_at.is_none() || seen.staff)
        .ok_or(ApiError::NotFound)?;
    if !may_open(&seen, lecture.is_preview) {
        return Err(ApiError::NotFound);
    }
    let file_id = lecture.file_id.ok_or(ApiError::NotFound)?;
    crate::files::serve_content(state, caller.org_id(), file_id, headers).await
}
