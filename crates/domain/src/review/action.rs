//! Admin actions on a running session (`POST /orgs/{org}/sessions/{session}/actions`).
//!
//! Whether an action fits the session's delivery state (PAUSE only while IN_PROGRESS, RESUME
//! only while PAUSED, ...) is the delivery state machine's decision, not this module's.

use serde::{Deserialize, Serialize};

use crate::proctoring::FieldError;

/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 2000;
/// Largest time extension in minutes.
pub const MAX_EXTEND_MINUTES: i64 = 600;

crate::stored_enum! {
    /// What a proctor or coordinator does to a session (stored in
    /// `admin_actions.action_type`).
    pub enum AdminActionType {
        /// A message shown to the candidate (`messages` of `GET /sessions/{session}`).
        Warn = "WARN",
        Pause = "PAUSE",
        Resume = "RESUME",
        /// Adds `minutes` to the deadline.
        ExtendTime = "EXTEND_TIME",
        Terminate = "TERMINATE",
    }
}

/// A validated admin action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidAdminAction {
    #[serde(rename = "type")]
    pub action_type: AdminActionType,
    /// Trimmed, 1..=2000 characters.
    pub reason: String,
    /// Present exactly for EXTEND_TIME: 1..=600.
    pub minutes: Option<u32>,
}

/// Checks an admin action: every action needs a reason (1..=2000 characters after trimming);
/// EXTEND_TIME needs `minutes` in 1..=600 and the other actions must not carry `minutes`.
pub fn validate_admin_action(
    action_type: AdminActionType,
    reason: &str,
    minutes: Option<i64>,
) -> Result<ValidAdminAction, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = reason.trim();
    let chars = reason.chars().count();
    if chars == 0 || chars > MAX_REASON_CHARS {
        errors.push(FieldError::new(
            "reason",
            format!("must be 1 to {MAX_REASON_CHARS} characters"),
        ));
    }
    let minutes = match (action_type, minutes) {
        (AdminActionType::ExtendTime, None) => {
            errors.push(FieldError::new("minutes", "is required for EXTEND_TIME"));
            None
        }
        (AdminActionType::ExtendTime, Some(m)) => {
            if (1..=MAX_EXTEND_MINUTES).contains(&m) {
                u32::try_from(m).ok()
            } else {
                errors.push(FieldError::new(
                    "minutes",
                    format!("must be between 1 and {MAX_EXTEND_MINUTES}"),
                ));
                None
            }
        }
        (_, Some(_)) => {
            errors.push(FieldError::new(
                "minutes",
                "is only allowed for EXTEND_TIME",
            ));
            None
        }
        (_, None) => None,
    };
    if errors.is_empty() {
        Ok(ValidAdminAction {
            action_type,
            reason: reason.to_owned(),
            minutes,
        })
    } else {
        Err(errors)
    }
}
