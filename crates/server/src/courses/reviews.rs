//! Reviews and ratings: one per enrolled learner and course (1 to 5 and a
//! comment), edited and soft-deleted by its author, restored by course
//! managers, hidden / shown again with a reason by the course's
//! instructors or course managers. The course average counts visible
//! reviews only (`invigil_domain::courses::rating_summary`).

use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::courses::is_rating;
use invigil_store::courses::{self, Review, ReviewVisibility};
use invigil_store::{Keyset, Tx};

use super::access::{self, Caller};
use super::validate::Errors;
use super::views::CourseReviewView;
use crate::audit::AuditAction;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit, double_option};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// 1 to 5.
    pub rating: i64,
    pub comment: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewPatch {
    pub rating: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub comment: Option<Option<String>>,
}

/// Hide (with a reason) or show again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationBody {
    pub hidden: bool,
    /// Required to hide.
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// Course managers: the soft-deleted reviews instead.
    #[serde(default)]
    pub deleted: bool,
}

fn rating(e: &mut Errors, r: i64) -> i32 {
    if !is_rating(r) {
        e.push("rating", "must be a whole number from 1 to 5");
        return 1;
    }
    i32::try_from(r).unwrap_or(1)
}

fn comment(e: &mut Errors, c: Option<&str>) -> Option<String> {
    let c = c?;
    if c.chars().count() > 5000 {
        e.push("comment", "must be at most 5000 characters");
    }
    e.markdown_opt("comment", Some(c))
}

/// Writes (or rewrites, after its author deleted it) the learner's review.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    body: ReviewBody,
) -> Result<CourseReviewView, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    let r = rating(&mut e, body.rating);
    let c = comment(&mut e, body.comment.as_deref());
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    let seen = access::see(&tx, caller, course_id, false, now).await?;
    if seen.enrollment.is_none() {
        return Err(ApiError::Denied(
            "only learners enrolled in the course review it".into(),
        ));
    }
    let existing = courses::review_of(&tx, caller.org_id(), course_id, caller.user_id()).await?;
    let row = match existing {
        Some(old) if old.deleted_at.is_some() => {
            courses::update_review(
                &tx,
                Review {
                    rating: r,
                    comment: c,
                    deleted_at: None,
                    updated_at: now,
                    ..old
                },
            )
            .await?
        }
        Some(_) => {
            return Err(ApiError::conflict(
                "you have reviewed this course already: edit your review",
            ));
        }
        None => {
            courses::insert_review(
                &tx,
                Review {
                    id: Uuid::now_v7(),
                    org_id: caller.org_id(),
                    course_id,
                    user_id: caller.user_id(),
                    rating: r,
                    comment: c,
                    hidden_at: None,
                    hidden_reason: None,
                    hidden_by: None,
                    created_at: now,
                    updated_at: now,
                    deleted_at: None,
                },
            )
            .await?
        }
    };
    commit(tx).await?;
    Ok(CourseReviewView::of(&row))
}

async fn own(tx: &Tx, caller: &Caller, course_id: Uuid, id: Uuid) -> Result<Review, ApiError> {
    let row = courses::review(tx, caller.org_id(), course_id, id)
        .await?
        .filter(|r| r.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    if row.user_id != caller.user_id() {
        return Err(ApiError::Denied("only its author changes a review".into()));
    }
    Ok(row)
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
    p: ReviewPatch,
) -> Result<CourseReviewView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::see(&tx, caller, course_id, false, now).await?;
    let mut row = own(&tx, caller, course_id, id).await?;
    let mut e = Errors::default();
    if let Some(r) = p.rating {
        row.rating = rating(&mut e, r);
    }
    if let Some(c) = p.comment {
        row.comment = comment(&mut e, c.as_deref());
    }
    e.done(()).map_err(ApiError::Validation)?;
    row.updated_at = now;
    let row = courses::update_review(&tx, row).await?;
    commit(tx).await?;
    Ok(CourseReviewView::of(&row))
}

/// The author deletes their review (soft).
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::see(&tx, caller, course_id, false, now).await?;
    let mut row = own(&tx, caller, course_id, id).await?;
    row.deleted_at = Some(now);
    row.updated_at = now;
    courses::update_review(&tx, row).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::CourseReviewDeleted,
            id,
            json!({ "course_id": course_id }),
        )
        .await?;
    commit(tx).await?;
    Ok(())
}

/// A course manager restores a deleted review.
pub async fn restore(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
) -> Result<CourseReviewView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    access::see(&tx, caller, course_id, false, now).await?;
    let mut row = courses::review(&tx, caller.org_id(), course_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.deleted_at.is_none() {
        return Err(ApiError::conflict("the review is not deleted"));
    }
    row.deleted_at = None;
    row.updated_at = now;
    let row = courses::update_review(&tx, row).await?;
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            AuditAction::CourseReviewRestored,
            id,
            json!({ "course_id": course_id }),
        )
        .await?;
    commit(tx).await?;
    Ok(CourseReviewView::of(&row))
}

/// Hides a review with a reason, or shows it again (the course's staff).
pub async fn moderate(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    id: Uuid,
    body: ModerationBody,
) -> Result<CourseReviewView, ApiError> {
    let now = state.now();
    let mut e = Errors::default();
    let reason = match (body.hidden, body.reason.as_deref()) {
        (true, Some(r)) => Some(e.line::<500>("reason", r)),
        (true, None) => {
            e.push("reason", "say why the review is hidden");
            None
        }
        (false, _) => None,
    };
    e.done(()).map_err(ApiError::Validation)?;
    let tx = begin(state).await?;
    access::edit(&tx, caller, course_id, now).await?;
    let mut row = courses::review(&tx, caller.org_id(), course_id, id)
        .await?
        .filter(|r| r.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    if row.hidden_at.is_some() == body.hidden {
        return Err(ApiError::conflict(if body.hidden {
            "the review is hidden already"
        } else {
            "the review is not hidden"
        }));
    }
    row.hidden_at = body.hidden.then_some(now);
    row.hidden_reason = reason.clone();
    row.hidden_by = body.hidden.then_some(caller.user_id());
    row.updated_at = now;
    let row = courses::update_review(&tx, row).await?;
    let action = if body.hidden {
        AuditAction::CourseReviewHidden
    } else {
        AuditAction::CourseReviewUnhidden
    };
    caller
        .auth
        .audit(now)
        .record(
            &tx,
            action,
            id,
            json!({ "course_id": course_id, "author": row.user_id, "reason": reason }),
        )
        .await?;
    commit(tx).await?;
    Ok(CourseReviewView::of(&row))
}

/// Reviews of a course, newest first: visible ones and one's own for
/// everyone; hidden ones too for the course's staff; the deleted ones for
/// course managers with `?deleted=true`.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    course_id: Uuid,
    deleted: bool,
    page: Keyset<Uuid>,
) -> Result<Page<CourseReviewView>, ApiError> {
    let db = state.db.read();
    let seen = access::see(db, caller, course_id, false, state.now()).await?;
    let visibility = match (deleted, seen.staff) {
        (true, _) if caller.manage => ReviewVisibility::Deleted,
        (true, _) => {
            return Err(ApiError::Denied(
                "only course managers list deleted reviews".into(),
            ));
        }
        (false, true) => ReviewVisibility::Moderator,
        (false, false) => ReviewVisibility::Public(caller.user_id()),
    };
    let rows = courses::reviews_page(db, caller.org_id(), course_id, visibility, page).await?;
    let me = caller.user_id();
    let staff = seen.staff;
    Ok(Page::from_keyset(rows, |r| {
        let mut v = CourseReviewView::of(&r);
        if !staff && r.user_id != me {
            v.hidden_reason = None;
        }
        v
    }))
}
