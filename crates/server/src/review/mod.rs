//! Review: evidence frames, the review queue, claims, timelines, decisions,
//! appeals and candidate transparency.
//!
//! - [`evidence`]: frame upload (encrypted at rest), reviewer reads (audited)
//!   and the retention purge job; keys in [`keys`].
//! - [`service`]: queue, claim, release, decide, QA's decisions and reopen.
//! - [`timeline`]: one session's events, flags, answers, actions, frames and
//!   review steps in time order.
//! - [`candidate`]: the candidate's own integrity view and appeal.
//!
//! The integrity state machine is the domain's
//! (`invigil_domain::review::IntegrityState`); this module loads the state,
//! asks the domain, and persists the outcome with a conditional UPDATE.

pub mod candidate;
pub mod evidence;
pub mod keys;
pub mod routes;
pub mod service;
pub mod timeline;

use invigil_domain::identity::Action;
use invigil_domain::review::{IntegrityState, ReviewError};
use invigil_store::delivery::{self, Session};
use invigil_store::exams::{self as exam_store, Exam};
use uuid::Uuid;

use crate::authz::{Authorized, OrgCtx};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;

/// The domain's integrity state of a stored session.
pub fn integrity_of(s: &Session) -> IntegrityState {
    IntegrityState {
        status: s.integrity_status,
        claimed_by: s.claimed_by,
        appealed: s.appealed_at.is_some(),
    }
}

/// Domain review errors to HTTP: self review 403, state conflicts 409 with
/// the domain's code, validation 422.
impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::SelfReview => ApiError::Denied(e.to_string()),
            ReviewError::Validation(errs) => ApiError::Validation(
                errs.into_iter()
                    .map(|f| FieldError::new(f.field, f.message))
                    .collect(),
            ),
            other => ApiError::conflict_code(other.code(), other.to_string()),
        }
    }
}

/// A session of the organization, its exam, and the proof that the caller
/// may do `action` on that exam's department. Another organization's session
/// (or none) is 404; a session the caller took as the candidate is 403
/// (nobody reviews their own session).
pub async fn staff_session(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
    action: Action,
) -> Result<(Session, Exam, Authorized), ApiError> {
    let s = delivery::session_in_org(state.db.read(), ctx.org_id(), session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let exam = exam_store::exam(state.db.read(), ctx.org_id(), s.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let auth = ctx.authorize_in(action, exam.department_id)?;
    auth.on_session_of(s.user_id)?;
    Ok((s, exam, auth))
}

/// A conditional UPDATE found the session no longer in the state read (409).
pub fn changed_meanwhile() -> ApiError {
    ApiError::conflict("the session changed meanwhile")
}

/// Parses an opaque `a.b` cursor.
pub fn split_cursor(c: &str) -> Result<(&str, &str), ApiError> {
    c.split_once('.')
        .ok_or_else(|| ApiError::BadRequest("invalid cursor".into()))
}
