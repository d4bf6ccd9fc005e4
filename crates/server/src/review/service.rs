//! The review workflow for staff: the queue, claim and release, the
//! decision (which resolves the session's flags), and QUALITY_ASSURANCE's
//! list of decisions and reopen. Each step asks the domain's
//! `IntegrityState`, then applies the outcome with a conditional UPDATE in a
//! transaction that also writes the audit entry.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::review::{DecisionType, IntegrityStatus, ReviewError};
use invigil_store::DeptScope;
use invigil_store::delivery::{self, Session};
use invigil_store::exams as exam_store;
use invigil_store::identity::users;
use invigil_store::review as review_store;

use super::{changed_meanwhile, integrity_of, split_cursor, staff_session};
use crate::audit::AuditAction;
use crate::authz::{Authorized, OrgCtx};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};
use invigil_store::Tx;

/// A session as reviewers and QUALITY_ASSURANCE see it in lists and after a
/// review step.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub session_id: Uuid,
    pub exam_id: Uuid,
    pub exam_title: String,
    pub candidate: CandidateRef,
    pub attempt: i32,
    /// Delivery status.
    pub status: String,
    /// CLEAN, FLAGGED, UNDER_REVIEW, CLEARED or VIOLATION_CONFIRMED.
    #[schema(value_type = String)]
    pub integrity_status: IntegrityStatus,
    /// The explainable score of the session's flags (the timeline lists its parts).
    pub violation_score: i32,
    pub flag_count: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub claimed_by: Option<Uuid>,
    pub claimed_at: Option<DateTime<Utc>>,
    /// The last decision (kept after an appeal or reopen until the next one).
    #[schema(value_type = Option<String>)]
    pub decision: Option<DecisionType>,
    pub decision_notes: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub appeal_text: Option<String>,
    pub appealed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateRef {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// Builds views of sessions with their exams, candidates and flag counts.
pub async fn views_of(
    state: &AppState,
    org_id: Uuid,
    rows: Vec<Session>,
) -> Result<Vec<ReviewView>, ApiError> {
    let conn = state.db.read();
    let ids: Vec<Uuid> = rows.iter().map(|s| s.id).collect();
    let counts: HashMap<Uuid, i64> = review_store::flag_counts(conn, &ids)
        .await?
        .into_iter()
        .collect();
    let mut user_ids: Vec<Uuid> = rows.iter().map(|s| s.user_id).collect();
    user_ids.sort();
    user_ids.dedup();
    let people: HashMap<Uuid, users::User> = users::by_ids(conn, user_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut titles: HashMap<Uuid, String> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        if let std::collections::hash_map::Entry::Vacant(slot) = titles.entry(s.exam_id) {
            let title = exam_store::exam(conn, org_id, s.exam_id)
                .await?
                .map(|e| e.title)
                .unwrap_or_default();
            slot.insert(title);
        }
        let candidate = people.get(&s.user_id).map_or_else(
            || CandidateRef {
                id: s.user_id,
                name: String::new(),
                email: String::new(),
            },
            |u| CandidateRef {
                id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
            },
        );
        out.push(ReviewView {
            session_id: s.id,
            exam_id: s.exam_id,
            exam_title: titles.get(&s.exam_id).cloned().unwrap_or_default(),
            candidate,
            attempt: s.attempt_no,
            status: s.status.to_string(),
            integrity_status: s.integrity_status,
            violation_score: s.violation_score,
            flag_count: counts.get(&s.id).copied().unwrap_or(0),
            started_at: s.started_at,
            finished_at: s.finished_at,
            claimed_by: s.claimed_by,
            claimed_at: s.claimed_at,
            decision: s.decision,
            decision_notes: s.decision_notes,
            decided_by: s.decided_by,
            decided_at: s.decided_at,
            appeal_text: s.appeal_text,
            appealed_at: s.appealed_at,
        });
    }
    Ok(out)
}

async fn view_of(state: &AppState, org_id: Uuid, session_id: Uuid) -> Result<ReviewView, ApiError> {
    let s = delivery::session_in_org(state.db.read(), org_id, session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    views_of(state, org_id, vec![s])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

fn scope_for(ctx: &OrgCtx, action: Action) -> Result<DeptScope, ApiError> {
    DeptScope::of(ctx.visibility(action)).ok_or(ApiError::Forbidden)
}

/// The review queue's query: filters and the page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only sessions in this status: FLAGGED (waiting) or UNDER_REVIEW (claimed).
    pub status: Option<String>,
    /// Only sessions of this exam.
    pub exam_id: Option<Uuid>,
    /// Items per page, 1..=500 (default 50).
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl QueueQuery {
    /// The filter it names; a status outside the queue's two is a 422.
    pub fn filter(&self) -> Result<review_store::QueueFilter, ApiError> {
        let status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => match IntegrityStatus::parse(s) {
                Some(st @ (IntegrityStatus::Flagged | IntegrityStatus::UnderReview)) => Some(st),
                _ => {
                    return Err(ApiError::field("status", "must be FLAGGED or UNDER_REVIEW"));
                }
            },
        };
        Ok(review_store::QueueFilter {
            status,
            exam_id: self.exam_id,
        })
    }
}

/// A page of sessions and the cursor of the next one.
pub type ViewPage = (Vec<ReviewView>, Option<String>);

/// Sessions FLAGGED or UNDER_REVIEW (or the one status of `filter`, of its
/// exam), highest violation score first (cursor `score.id`). The caller's
/// own sessions are not listed.
pub async fn queue(
    state: &AppState,
    ctx: &OrgCtx,
    filter: &review_store::QueueFilter,
    cursor: Option<&str>,
    limit: u64,
) -> Result<ViewPage, ApiError> {
    let scope = scope_for(ctx, Action::ReviewSessions)?;
    let after = parse_cursor::<i32>(cursor)?;
    let mut rows = review_store::queue(
        state.db.read(),
        ctx.org_id(),
        &scope,
        ctx.user.id(),
        filter,
        after,
        limit + 1,
    )
    .await?;
    let next = next_cursor(&mut rows, limit, |s| {
        format!("{}.{}", s.violation_score, s.id)
    });
    Ok((views_of(state, ctx.org_id(), rows).await?, next))
}

fn bad_cursor() -> ApiError {
    ApiError::BadRequest("invalid cursor".into())
}

/// An opaque `key.id` cursor (none when absent or empty).
fn parse_cursor<K: std::str::FromStr>(cursor: Option<&str>) -> Result<Option<(K, Uuid)>, ApiError> {
    let Some(c) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let (a, b) = split_cursor(c)?;
    match (a.parse::<K>(), b.parse::<Uuid>()) {
        (Ok(key), Ok(id)) => Ok(Some((key, id))),
        _ => Err(bad_cursor()),
    }
}

fn next_cursor(
    rows: &mut Vec<Session>,
    limit: u64,
    cursor_of: impl Fn(&Session) -> String,
) -> Option<String> {
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    if more {
        rows.last().map(cursor_of)
    } else {
        None
    }
}

/// Opens a review step: a transaction holding the session's row, locked
/// until it ends (PostgreSQL; the single SQLite writer serializes anyway).
pub(super) async fn open(state: &AppState, session_id: Uuid) -> Result<(Tx, Session), ApiError> {
    let tx = begin(state).await?;
    let current = delivery::session_for_update(&tx, session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((tx, current))
}

/// A reviewer's step on the session of the path: the caller's proof
/// (PROCTOR_REVIEWER on the exam's department, not their own session), the
/// time, and the open transaction with the row locked.
async fn reviewer_step(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
) -> Result<(Authorized, DateTime<Utc>, Tx, Session), ApiError> {
    let (s, _, auth) = staff_session(state, ctx, session_id, Action::ReviewSessions).await?;
    let now = state.now();
    let (tx, current) = open(state, s.id).await?;
    Ok((auth, now, tx, current))
}

/// What a review step records in the audit log.
struct Entry {
    action: AuditAction,
    details: serde_json::Value,
    now: DateTime<Utc>,
}

/// Ends a review step: records its entry on the session, commits, and
/// answers with the session as it is now.
async fn close(
    state: &AppState,
    tx: Tx,
    auth: &Authorized,
    session_id: Uuid,
    entry: Entry,
) -> Result<ReviewView, ApiError> {
    let audit = auth.audit(entry.now);
    audit
        .record(&tx, entry.action, session_id, entry.details)
        .await?;
    // A decision (or reopening) may earn or lose the candidate's certificate.
    if let Some(s) = invigil_store::delivery::session_in_org(&tx, auth.org_id, session_id).await? {
        crate::certificates::service::sync_exam(
            &tx,
            state,
            &audit,
            auth.org_id,
            s.exam_id,
            Some(s.user_id),
        )
        .await?;
    }
    commit(tx).await?;
    view_of(state, auth.org_id, session_id).await
}

/// FLAGGED -> UNDER_REVIEW for the caller. Of two reviewers claiming at once,
/// one wins and the other gets 409 `already_claimed`; claiming again what you
/// hold is a no-op.
#[tracing::instrument(skip_all, err, fields(session_id = %session_id))]
pub async fn claim(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
) -> Result<ReviewView, ApiError> {
    let (auth, now, tx, current) = reviewer_step(state, ctx, session_id).await?;
    let me = auth.actor.user_id;
    let before = integrity_of(&current);
    if before.claim(me, current.user_id)? == before {
        // Claiming again what you hold: nothing changes, nothing to record.
        commit(tx).await?;
        return view_of(state, auth.org_id, current.id).await;
    }
    if !review_store::claim(&tx, current.id, me, now).await? {
        // The conditional UPDATE lost a race the lock did not prevent.
        return Err(ReviewError::ClaimedByOther {
            reviewer_id: current.claimed_by.unwrap_or_default(),
        }
        .into());
    }
    let details = serde_json::json!({ "violation_score": current.violation_score });
    let entry = Entry {
        action: AuditAction::ReviewClaimed,
        details,
        now,
    };
    close(state, tx, &auth, current.id, entry).await
}

/// UNDER_REVIEW -> FLAGGED: the claimer gives the session back to the queue.
#[tracing::instrument(skip_all, err, fields(session_id = %session_id))]
pub async fn release(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
) -> Result<ReviewView, ApiError> {
    let (auth, now, tx, current) = reviewer_step(state, ctx, session_id).await?;
    let me = auth.actor.user_id;
    integrity_of(&current).release(me)?;
    if !review_store::release(&tx, current.id, me, now).await? {
        return Err(changed_meanwhile());
    }
    let entry = Entry {
        action: AuditAction::ReviewReleased,
        details: serde_json::json!({}),
        now,
    };
    close(state, tx, &auth, current.id, entry).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecideBody {
    /// CLEARED or VIOLATION_CONFIRMED.
    #[schema(value_type = String, example = "CLEARED")]
    pub decision: DecisionType,
    /// Required for VIOLATION_CONFIRMED; at most 5000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

/// The session of the path and the caller's right to `action` on it, checked
/// before the body is read (so a caller without the right gets 403 whatever
/// the body holds).
pub async fn target(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
    action: Action,
) -> Result<(Session, Authorized), ApiError> {
    let (s, _, auth) = staff_session(state, ctx, session_id, action).await?;
    Ok((s, auth))
}

/// The claimer decides: the session becomes CLEARED or VIOLATION_CONFIRMED
/// and every flag of it is resolved with the decision.
#[tracing::instrument(skip_all, err, fields(session_id = %s.id))]
pub async fn decide(
    state: &AppState,
    (s, auth): (Session, Authorized),
    body: DecideBody,
) -> Result<ReviewView, ApiError> {
    let me = auth.actor.user_id;
    let now = state.now();
    let (tx, current) = open(state, s.id).await?;
    let (_, valid) =
        integrity_of(&current).decide(me, body.decision, body.notes.as_deref().unwrap_or(""))?;
    let decision = valid.decision;
    let recorded = review_store::decide(
        &tx,
        &review_store::Decision {
            session_id: s.id,
            reviewer: me,
            decision,
            notes: valid.notes.clone(),
            at: now,
        },
    )
    .await?;
    if !recorded {
        return Err(changed_meanwhile());
    }
    let flags = review_store::resolve_flags(&tx, s.id, me, decision, now).await?;
    let details = serde_json::json!({ "decision": decision, "notes": valid.notes, "flags_resolved": flags, "violation_score": current.violation_score });
    let entry = Entry {
        action: AuditAction::ReviewDecided,
        details,
        now,
    };
    close(state, tx, &auth, s.id, entry).await
}

/// Sessions with a recorded decision, newest first (QUALITY_ASSURANCE).
pub async fn decisions(
    state: &AppState,
    ctx: &OrgCtx,
    cursor: Option<&str>,
    limit: u64,
) -> Result<ViewPage, ApiError> {
    let scope = scope_for(ctx, Action::ReopenDecisions)?;
    let after = match parse_cursor::<i64>(cursor)? {
        None => None,
        Some((micros, id)) => Some((
            DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(bad_cursor)?,
            id,
        )),
    };
    let mut rows =
        review_store::decisions(state.db.read(), ctx.org_id(), &scope, after, limit + 1).await?;
    let next = next_cursor(&mut rows, limit, |s| {
        format!(
            "{}.{}",
            s.decided_at.map(|t| t.timestamp_micros()).unwrap_or(0),
            s.id
        )
    });
    Ok((views_of(state, ctx.org_id(), rows).await?, next))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReopenBody {
    /// 1..=2000 characters.
    pub reason: String,
}

/// QUALITY_ASSURANCE reopens a decision: the session goes back to FLAGGED for
/// another review (the candidate's appeal stays unused).
#[tracing::instrument(skip_all, err, fields(session_id = %s.id))]
pub async fn reopen(
    state: &AppState,
    (s, auth): (Session, Authorized),
    body: ReopenBody,
) -> Result<ReviewView, ApiError> {
    let now = state.now();
    let (tx, current) = open(state, s.id).await?;
    let (_, reason) = integrity_of(&current).reopen(&body.reason)?;
    if !review_store::reopen(&tx, s.id, current.integrity_status, now).await? {
        return Err(changed_meanwhile());
    }
    let details = serde_json::json!({ "reason": reason, "from": current.integrity_status, "decided_by": current.decided_by });
    let entry = Entry {
        action: AuditAction::ReviewReopened,
        details,
        now,
    };
    close(state, tx, &auth, s.id, entry).await
}
