//! Identity: sign-in, sessions and tokens, passwords, email verification,
//! invitations and the caller's own account (`/me`).

pub mod crypto;
pub mod email;
pub mod password;
pub mod preview;
pub mod routes;
pub mod service;

use chrono::Duration;

/// Access tokens live 15 minutes.
pub const ACCESS_TTL_MINUTES: i64 = 15;
/// Refresh tokens live 30 days (renewed on every refresh).
pub const REFRESH_TTL_DAYS: i64 = 30;
pub const VERIFY_EMAIL_TTL: Duration = Duration::hours(24);
pub const PASSWORD_RESET_TTL: Duration = Duration::hours(1);
pub const INVITATION_TTL: Duration = Duration::days(7);
/// The link to the old address that undoes an email change.
pub const EMAIL_REVERT_TTL: Duration = Duration::days(7);
