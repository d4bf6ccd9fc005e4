//! Candidate transparency: after the exam's results are released, a
//! candidate sees the flags of their own session and the review decision,
//! and may appeal a decision once per session.
//!
//! - Someone else's session, or one that does not exist: 404.
//! - Results of the exam not released yet: 409 `results_not_released` (the
//!   session is the caller's own, so its existence is no secret; what is held
//!   back is its content until the organization releases results).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::proctoring::FlagSeverity;
use invigil_domain::review::{DecisionType, IntegrityStatus};
use invigil_store::delivery::{self, Session};
use invigil_store::exams as exam_store;
use invigil_store::proctoring as proctoring_store;
use invigil_store::review as review_store;

use super::{changed_meanwhile, integrity_of};
use crate::audit::{Audit, AuditAction};
use crate::authz::Actor;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::commit;

/// One of the candidate's own flags. No event details, no other person's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyFlag {
    #[schema(value_type = String)]
    pub flag_type: invigil_domain::proctoring::FlagType,
    /// LOW, MEDIUM or HIGH.
    #[schema(value_type = String)]
    pub severity: FlagSeverity,
    pub description: String,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// The decision that resolved it, once decided.
    #[schema(value_type = Option<String>)]
    pub resolution: Option<DecisionType>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyDecision {
    /// CLEARED or VIOLATION_CONFIRMED.
    #[schema(value_type = String)]
    pub decision: DecisionType,
    pub notes: String,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyAppeal {
    pub text: String,
    pub appealed_at: Option<DateTime<Utc>>,
}

/// `GET /me/sessions/{session}/integrity`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyIntegrity {
    pub session_id: Uuid,
    pub exam_id: Uuid,
    /// CLEAN, FLAGGED, UNDER_REVIEW, CLEARED or VIOLATION_CONFIRMED.
    #[schema(value_type = String)]
    pub integrity_status: IntegrityStatus,
    pub flags: Vec<MyFlag>,
    /// The review decision while one stands (not while a review is open).
    pub decision: Option<MyDecision>,
    pub appeal: Option<MyAppeal>,
    /// Whether `POST .../appeal` would be accepted now.
    pub can_appeal: bool,
}

/// The caller's own session of an exam whose results are released.
pub async fn own_released(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
) -> Result<Session, ApiError> {
    let s = match delivery::session(state.db.read(), id).await? {
        Some(s) if s.user_id == me.id() => s,
        _ => return Err(ApiError::NotFound),
    };
    let exam = exam_store::exam(state.db.read(), s.org_id, s.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if exam.results_released_at.is_none() {
        return Err(ApiError::conflict_code(
            "results_not_released",
            "the integrity review of this session is shown once the exam's results are released",
        ));
    }
    Ok(s)
}

async fn view(state: &AppState, s: &Session) -> Result<MyIntegrity, ApiError> {
    let st = integrity_of(s);
    let flags = proctoring_store::flags_of_session(state.db.read(), s.id)
        .await?
        .into_iter()
        .map(|f| MyFlag {
            flag_type: f.flag_type,
            severity: f.severity,
            description: f.description,
            first_at: f.first_at,
            last_at: f.last_at,
            resolution: f.resolution,
        })
        .collect();
    let decision = match (s.decision, st.status.is_decided()) {
        (Some(decision), true) => Some(MyDecision {
            decision,
            notes: s.decision_notes.clone().unwrap_or_default(),
            decided_at: s.decided_at,
        }),
        _ => None,
    };
    Ok(MyIntegrity {
        session_id: s.id,
        exam_id: s.exam_id,
        integrity_status: st.status,
        flags,
        decision,
        appeal: s.appeal_text.clone().map(|text| MyAppeal {
            text,
            appealed_at: s.appealed_at,
        }),
        can_appeal: st.status.is_decided() && !st.appealed,
    })
}

/// The candidate's flags and the review decision of their own session.
pub async fn my_integrity(
    state: &AppState,
    me: &CurrentUser,
    session_id: Uuid,
) -> Result<MyIntegrity, ApiError> {
    let s = own_released(state, me, session_id).await?;
    view(state, &s).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AppealBody {
    /// 1..=5000 characters.
    pub text: String,
}

/// The candidate appeals the decision of their own session (once): it goes
/// back to FLAGGED with the appeal attached, for another review.
#[tracing::instrument(skip_all, err, fields(session_id = %s.id))]
pub async fn appeal(
    state: &AppState,
    me: &CurrentUser,
    s: Session,
    body: AppealBody,
) -> Result<MyIntegrity, ApiError> {
    let now = state.now();
    let (tx, current) = super::service::open(state, s.id).await?;
    let (_, text) = integrity_of(&current).appeal(&body.text)?;
    if !review_store::appeal(&tx, s.id, current.integrity_status, &text, now).await? {
        return Err(changed_meanwhile());
    }
    let actor = Actor::from(me);
    Audit::by(&actor, Some(s.org_id), now)
        .record(
            &tx,
            AuditAction::ReviewAppealed,
            s.id,
            serde_json::json!({ "from": current.integrity_status, "text": text }),
        )
        .await?;
    commit(tx).await?;
    let s = delivery::session(state.db.read(), s.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view(state, &s).await
}
