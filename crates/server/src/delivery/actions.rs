//! Proctor actions on a running session (WARN, PAUSE, RESUME, EXTEND_TIME,
//! TERMINATE) through the delivery state machine, each recorded as an admin
//! action and an audit entry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::delivery::session::DeliveryStatus;
use invigil_domain::review::{AdminActionType, validate_admin_action};
use invigil_store::delivery::{self, AdminAction, Session};

use super::service::{finish, publish};
use super::{apply_state, clock_of, state_of};
use crate::audit::AuditAction;
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionBody {
    /// WARN, PAUSE, RESUME, EXTEND_TIME or TERMINATE.
    #[serde(rename = "type")]
    pub action_type: String,
    pub reason: String,
    /// For EXTEND_TIME: 1..=600.
    pub minutes: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResult {
    pub session_id: Uuid,
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    pub expires_at: DateTime<Utc>,
    pub remaining_seconds: u64,
}

/// A proctor's action on a session, through the timing policy.
pub async fn act(
    state: &AppState,
    auth: &Authorized,
    s: Session,
    body: ActionBody,
) -> Result<ActionResult, ApiError> {
    let action_type = AdminActionType::parse(body.action_type.trim()).ok_or_else(|| {
        ApiError::field(
            "type",
            "must be WARN, PAUSE, RESUME, EXTEND_TIME or TERMINATE",
        )
    })?;
    let valid = validate_admin_action(action_type, &body.reason, body.minutes).map_err(|errs| {
        ApiError::Validation(
            errs.into_iter()
                .map(|e| FieldError::new(e.field, e.message))
                .collect(),
        )
    })?;
    let now = state.now();
    let grace = state.config.grace();
    let tx = begin(state).await?;
    let current = delivery::session_for_update(&tx, s.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let st = state_of(&current);
    let next = match action_type {
        AdminActionType::Warn => None,
        AdminActionType::Pause => Some(st.pause(now, grace)?),
        AdminActionType::Resume => Some(st.resume(now, grace)?),
        AdminActionType::ExtendTime => {
            Some(st.extend_time(i64::from(valid.minutes.unwrap_or(0)), now, grace)?)
        }
        AdminActionType::Terminate => Some(st.terminate(now, grace)?),
    };
    if action_type == AdminActionType::Warn && current.status.is_terminal() {
        return Err(ApiError::conflict_code(
            "session_closed",
            "the session is over",
        ));
    }
    let row = match next {
        None => current.clone(),
        Some(next) if next.status == DeliveryStatus::Terminated => {
            finish(&tx, state, &current, &next, now).await?.0
        }
        Some(next) => {
            let mut row = current.clone();
            apply_state(&mut row, &next, now);
            if !delivery::update_session_if(&tx, &row, current.status).await? {
                return Err(ApiError::conflict("the session changed meanwhile"));
            }
            row
        }
    };
    delivery::insert_admin_action(
        &tx,
        AdminAction {
            id: Uuid::now_v7(),
            org_id: auth.org_id,
            session_id: s.id,
            actor_id: auth.actor.user_id,
            action_type,
            reason: valid.reason.clone(),
            minutes: valid.minutes.and_then(|m| i32::try_from(m).ok()),
            created_at: now,
        },
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            audit_action(action_type),
            row.id,
            serde_json::json!({ "reason": valid.reason, "minutes": valid.minutes, "status": row.status, "deadline": row.deadline_at }),
        )
        .await?;
    commit(tx).await?;
    if action_type != AdminActionType::Warn {
        publish(state, &row);
    }
    let clock = clock_of(&row);
    Ok(ActionResult {
        session_id: row.id,
        status: row.status,
        expires_at: clock.deadline(now),
        remaining_seconds: if row.finished_at.is_some() {
            0
        } else {
            clock.remaining_seconds(now)
        },
    })
}

/// The audit action of an admin action (`session.` + its lowercased type).
fn audit_action(action_type: AdminActionType) -> AuditAction {
    match action_type {
        AdminActionType::Warn => AuditAction::SessionWarn,
        AdminActionType::Pause => AuditAction::SessionPause,
        AdminActionType::Resume => AuditAction::SessionResume,
        AdminActionType::ExtendTime => AuditAction::SessionExtendTime,
        AdminActionType::Terminate => AuditAction::SessionTerminate,
    }
}
