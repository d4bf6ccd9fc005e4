//! Identity persistence: users, sessions and tokens, one-time tokens, login
//! throttles and rate-limit windows. Users are global (not tenant rows);
//! everything here is keyed by user, session or token hash.

pub mod entities;
pub mod one_time;
pub mod sessions;
pub mod throttle;
pub mod users;

pub use invigil_domain::identity::{AccountStatus, OneTimeKind, RevokeReason, TokenKind};
