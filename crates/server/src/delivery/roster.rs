//! The staff's roster of an exam: every session (not only flagged ones) with
//! its state, time left, each device's last heartbeat and the open flags —
//! what a proctor watches (`GET /orgs/{org}/exams/{exam}/sessions`).
//! PROCTOR_REVIEWER and EXAM_COORDINATOR (those who act on sessions) may
//! read it, within their departments.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::delivery::session::DeliveryStatus;
use invigil_domain::identity::Action;
use invigil_domain::proctoring::EventSource;
use invigil_domain::review::IntegrityStatus;
use invigil_store::delivery::{self, Session};
use invigil_store::identity::users;
use invigil_store::proctoring;

use super::state_of;
use crate::authz::OrgCtx;
use crate::http::error::{ApiError, FieldError};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// Only sessions in this delivery status (IN_PROGRESS, PAUSED, SUBMITTED, ...).
    pub status: Option<String>,
    /// Only sessions in this integrity status (CLEAN, FLAGGED, UNDER_REVIEW, ...).
    pub integrity: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterCandidate {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// When each device of the session was last heard from.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct LastHeartbeat {
    #[serde(rename = "LAPTOP")]
    pub laptop: Option<DateTime<Utc>>,
    #[serde(rename = "MOBILE")]
    pub mobile: Option<DateTime<Utc>>,
}

/// One session of the roster.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterRow {
    pub session_id: Uuid,
    pub candidate: RosterCandidate,
    pub attempt: i32,
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    #[schema(value_type = String)]
    pub integrity: IntegrityStatus,
    pub started_at: DateTime<Utc>,
    /// The deadline (the finish time once finished).
    pub expires_at: DateTime<Utc>,
    /// 0 once finished.
    pub remaining_seconds: u64,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_heartbeat: LastHeartbeat,
    /// Flags not yet resolved by a review decision.
    pub open_flags: i64,
    pub violation_score: i32,
}

/// A status filter: absent is no filter, an unknown name is a 422 naming
/// the parameter.
fn filter<T>(
    value: Option<&str>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v)
            .map(Some)
            .ok_or_else(|| ApiError::Validation(vec![FieldError::new(name, "unknown status")])),
    }
}

/// The roster page (see the module documentation).
pub async fn roster(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    q: RosterQuery,
) -> Result<Page<RosterRow>, ApiError> {
    // Those who act on sessions (PROCTOR_REVIEWER, EXAM_COORDINATOR) watch
    // them; reviewing (PROCTOR_REVIEWER) is within that set.
    let (exam, _auth) =
        crate::exams::service::load_exam(state, ctx, exam_id, Action::SessionActions).await?;
    let status = filter(q.status.as_deref(), "status", DeliveryStatus::parse)?;
    let integrity = filter(q.integrity.as_deref(), "integrity", IntegrityStatus::parse)?;
    let keyset = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .keyset::<Uuid>()?;
    let db = state.db.read();
    let org_id = ctx.org_id();
    let page =
        delivery::sessions_page_of_exam(db, org_id, exam.id, status, integrity, keyset).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|s| s.id).collect();
    let people: HashMap<Uuid, users::User> =
        users::by_ids(db, page.items.iter().map(|s| s.user_id).collect())
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
    let mut beats: HashMap<Uuid, LastHeartbeat> = HashMap::new();
    for hb in proctoring::heartbeats_of_sessions(db, org_id, &ids).await? {
        let entry = beats.entry(hb.session_id).or_default();
        match hb.source {
            EventSource::Laptop => entry.laptop = Some(hb.last_seen_at),
            EventSource::Mobile => entry.mobile = Some(hb.last_seen_at),
            _ => {}
        }
    }
    let flags: HashMap<Uuid, i64> = proctoring::open_flag_counts(db, org_id, &ids)
        .await?
        .into_iter()
        .collect();
    let now = state.now();
    let row = |s: Session| {
        let candidate = people
            .get(&s.user_id)
            .map(|u| RosterCandidate {
                id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
            })
            .ok_or_else(|| ApiError::internal("a session's candidate is missing"))?;
        let st = state_of(&s);
        let (expires_at, remaining_seconds) = match st.finished_at {
            Some(f) => (f, 0),
            None => (st.clock.deadline(now), st.clock.remaining_seconds(now)),
        };
        Ok(RosterRow {
            session_id: s.id,
            candidate,
            attempt: s.attempt_no,
            status: s.status,
            integrity: s.integrity_status,
            started_at: s.started_at,
            expires_at,
            remaining_seconds,
            finished_at: s.finished_at,
            last_heartbeat: beats.remove(&s.id).unwrap_or_default(),
            open_flags: flags.get(&s.id).copied().unwrap_or(0),
            violation_score: s.violation_score,
        })
    };
    let next_cursor = page.next.map(|k| k.to_string());
    let items = page
        .items
        .into_iter()
        .map(row)
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Page { items, next_cursor })
}
