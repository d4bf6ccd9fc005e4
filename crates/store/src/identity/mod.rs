//! Identity persistence: users, sessions and tokens, one-time tokens, login
//! throttles and rate-limit windows. Users are global (not tenant rows);
//! everything here is keyed by user, session or token hash.

pub mod entities;
pub mod one_time;
pub mod sessions;
pub mod throttle;
pub mod users;

use serde::{Deserialize, Serialize};

/// Account status (seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    Active,
    Suspended,
    Deactivated,
    PendingVerification,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "ACTIVE",
            AccountStatus::Suspended => "SUSPENDED",
            AccountStatus::Deactivated => "DEACTIVATED",
            AccountStatus::PendingVerification => "PENDING_VERIFICATION",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ACTIVE" => AccountStatus::Active,
            "SUSPENDED" => AccountStatus::Suspended,
            "DEACTIVATED" => AccountStatus::Deactivated,
            "PENDING_VERIFICATION" => AccountStatus::PendingVerification,
            _ => return None,
        })
    }
}

/// Kinds of `auth_tokens`.
pub mod token_kind {
    pub const ACCESS: &str = "ACCESS";
    pub const REFRESH: &str = "REFRESH";
    /// A paired phone's session-scoped credential.
    pub const DEVICE: &str = "DEVICE";
    /// A browser sign-in: the hash of the web UI's session cookie, the
    /// session's only credential (no access or refresh token).
    pub const WEB: &str = "WEB";
}

/// Kinds of one-time tokens.
pub mod one_time_kind {
    pub const VERIFY_EMAIL: &str = "VERIFY_EMAIL";
    pub const PASSWORD_RESET: &str = "PASSWORD_RESET";
    pub const INVITATION: &str = "INVITATION";
    /// Sent to the old address on an email change: restores it (7 days).
    pub const EMAIL_REVERT: &str = "EMAIL_REVERT";
}
