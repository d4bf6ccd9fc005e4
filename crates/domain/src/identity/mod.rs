//! Identity rules: roles and the permission policy, email addresses, password rules, and
//! login throttling. All pure: callers pass `now` and the stored state in.

pub mod email;
pub mod lockout;
pub mod password;
pub mod policy;
pub mod role;
pub mod status;

pub use email::{Email, EmailError};
pub use lockout::{LockoutPolicy, RateWindow, Throttle, rate_check};
pub use password::{PasswordError, check_new_password, is_common};
pub use policy::{
    Action, Decision, Grant, Membership, TakeExamDenied, Visibility, decide, may_act_on_session,
    may_take_exam, visible_departments,
};
pub use role::{Role, UnknownRole};
pub use status::{AccountStatus, MemberStatus, OneTimeKind, OrgKind, RevokeReason, TokenKind};
