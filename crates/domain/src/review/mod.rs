//! Review of proctored sessions: the integrity state machine (claim, decide, appeal, reopen),
//! what a decision means for results, and the admin actions a proctor can take on a live session.
//!
//! Role checks (PROCTOR_REVIEWER claims and decides, QUALITY_ASSURANCE reopens, the candidate
//! appeals their own session) belong to the permission policy; the functions here assume the
//! caller holds the role and enforce everything else.

pub mod action;
pub mod evidence;
pub mod integrity;

pub use action::{AdminActionType, ValidAdminAction, validate_admin_action};
pub use evidence::ImageType;
pub use integrity::{
    DecisionType, IntegrityState, IntegrityStatus, ReviewError, ValidDecision, result_passed,
    results_withheld, reviewer_may_review,
};
