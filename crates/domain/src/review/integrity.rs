//! The integrity state machine of an exam session (separate from its delivery state).
//!
//! ```text
//! CLEAN ──raise──> FLAGGED ──claim──> UNDER_REVIEW ──decide──> CLEARED | VIOLATION_CONFIRMED
//!                     ^  <──release──      │                          │
//!                     └───── appeal (candidate, once per session) ────┤
//!                     └───── reopen (QUALITY_ASSURANCE, with reason) ─┘
//! ```
//!
//! - `raise` (the score crossed its threshold): CLEAN -> FLAGGED; FLAGGED and UNDER_REVIEW stay
//!   as they are (the new flags join the review); a decided session stays decided: new flags
//!   after a decision are recorded and shown, but never silently undo a reviewer's decision;
//!   QUALITY_ASSURANCE can `reopen` it.
//! - `claim`: FLAGGED -> UNDER_REVIEW by one reviewer at a time; the same reviewer claiming again
//!   is a no-op; another reviewer gets a conflict. Nobody reviews their own session.
//! - `decide`: only the claimer, only while UNDER_REVIEW; VIOLATION_CONFIRMED needs notes.
//! - `appeal`: the candidate, once per session, from CLEARED or VIOLATION_CONFIRMED -> FLAGGED.
//!   Further disputes go through QUALITY_ASSURANCE (`reopen`), which does not use up the appeal.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::proctoring::FieldError;

/// Longest review notes and appeal text, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;
/// Longest reopen reason, in characters.
pub const MAX_REOPEN_REASON_CHARS: usize = 2000;

crate::stored_enum! {
    /// A session's integrity status.
    pub enum IntegrityStatus {
        Clean = "CLEAN",
        Flagged = "FLAGGED",
        UnderReview = "UNDER_REVIEW",
        Cleared = "CLEARED",
        ViolationConfirmed = "VIOLATION_CONFIRMED",
    }
}

impl IntegrityStatus {
    /// CLEARED or VIOLATION_CONFIRMED.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            IntegrityStatus::Cleared | IntegrityStatus::ViolationConfirmed
        )
    }
}

crate::stored_enum! {
    /// A reviewer's decision (also the resolution of the session's flags).
    pub enum DecisionType {
        Cleared = "CLEARED",
        ViolationConfirmed = "VIOLATION_CONFIRMED",
    }
}

impl DecisionType {
    pub fn status(self) -> IntegrityStatus {
        match self {
            DecisionType::Cleared => IntegrityStatus::Cleared,
            DecisionType::ViolationConfirmed => IntegrityStatus::ViolationConfirmed,
        }
    }
}

/// A recorded decision (for the audit log and `GET /me/sessions/{session}/integrity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidDecision {
    pub decision: DecisionType,
    pub reviewer_id: Uuid,
    /// Trimmed; may be empty only for CLEARED.
    pub notes: String,
}

/// Why a review step was refused. `code()` is the stable API error code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReviewError {
    #[error("a reviewer may not review their own session")]
    SelfReview,
    #[error("the session is under review by another reviewer")]
    ClaimedByOther { reviewer_id: Uuid },
    #[error("only the reviewer who claimed the session may do this")]
    NotClaimer,
    #[error("cannot {action} a session whose integrity is {from}")]
    InvalidTransition {
        action: &'static str,
        from: IntegrityStatus,
    },
    #[error("the appeal for this session has already been used")]
    AppealAlreadyUsed,
    #[error("validation failed")]
    Validation(Vec<FieldError>),
}

impl ReviewError {
    /// Stable machine code: `forbidden` (403), `already_claimed`, `not_claimer`, `conflict`,
    /// `appeal_already_used` (409), `validation_failed` (422).
    pub fn code(&self) -> &'static str {
        match self {
            ReviewError::SelfReview => "forbidden",
            ReviewError::ClaimedByOther { .. } => "already_claimed",
            ReviewError::NotClaimer => "not_claimer",
            ReviewError::InvalidTransition { .. } => "conflict",
            ReviewError::AppealAlreadyUsed => "appeal_already_used",
            ReviewError::Validation(_) => "validation_failed",
        }
    }
}

/// A session's integrity: status, who holds the review, whether the appeal is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityState {
    pub status: IntegrityStatus,
    /// The reviewer holding the claim; set exactly while UNDER_REVIEW.
    pub claimed_by: Option<Uuid>,
    /// Whether the candidate has appealed (one appeal per session).
    pub appealed: bool,
}

impl Default for IntegrityState {
    fn default() -> Self {
        Self::clean()
    }
}

/// No self review: a reviewer may not review a session they took as the candidate.
#[must_use]
pub fn reviewer_may_review(reviewer_id: Uuid, candidate_id: Uuid) -> bool {
    crate::identity::policy::may_act_on_session(reviewer_id, candidate_id).is_allowed()
}

/// Whether a result counts as passed: a confirmed violation fails it (the score is kept).
#[must_use]
pub fn result_passed(score_passed: bool, integrity: IntegrityStatus) -> bool {
    score_passed && integrity != IntegrityStatus::ViolationConfirmed
}

/// Whether a released result stays hidden from the candidate until the review is decided.
#[must_use]
pub fn results_withheld(integrity: IntegrityStatus) -> bool {
    matches!(
        integrity,
        IntegrityStatus::Flagged | IntegrityStatus::UnderReview
    )
}

fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String, ReviewError> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max {
        Err(ReviewError::Validation(vec![FieldError::new(
            field,
            format!("must be {min} to {max} characters"),
        )]))
    } else {
        Ok(t.to_owned())
    }
}

impl IntegrityState {
    pub fn clean() -> Self {
        IntegrityState {
            status: IntegrityStatus::Clean,
            claimed_by: None,
            appealed: false,
        }
    }

    fn to(self, status: IntegrityStatus) -> Self {
        IntegrityState {
            status,
            claimed_by: None,
            ..self
        }
    }

    /// The violation score crossed the threshold (or a flag demands review).
    #[must_use]
    pub fn raise(self) -> Self {
        match self.status {
            IntegrityStatus::Clean => self.to(IntegrityStatus::Flagged),
            _ => self,
        }
    }

    /// A reviewer takes the session.
    pub fn claim(self, reviewer_id: Uuid, candidate_id: Uuid) -> Result<Self, ReviewError> {
        if !reviewer_may_review(reviewer_id, candidate_id) {
            return Err(ReviewError::SelfReview);
        }
        match (self.status, self.claimed_by) {
            (IntegrityStatus::Flagged, _) => Ok(IntegrityState {
                status: IntegrityStatus::UnderReview,
                claimed_by: Some(reviewer_id),
                ..self
            }),
            (IntegrityStatus::UnderReview, Some(by)) if by == reviewer_id => Ok(self),
            (IntegrityStatus::UnderReview, Some(by)) => {
                Err(ReviewError::ClaimedByOther { reviewer_id: by })
            }
            (from, _) => Err(ReviewError::InvalidTransition {
                action: "claim",
                from,
            }),
        }
    }

    /// The claimer gives the session back to the queue (UNDER_REVIEW -> FLAGGED).
    pub fn release(self, reviewer_id: Uuid) -> Result<Self, ReviewError> {
        match (self.status, self.claimed_by) {
            (IntegrityStatus::UnderReview, Some(by)) if by == reviewer_id => {
                Ok(self.to(IntegrityStatus::Flagged))
            }
            (IntegrityStatus::UnderReview, _) => Err(ReviewError::NotClaimer),
            (from, _) => Err(ReviewError::InvalidTransition {
                action: "release",
                from,
            }),
        }
    }

    /// The claimer decides. Notes: at most 5000 characters; required for VIOLATION_CONFIRMED.
    pub fn decide(
        self,
        reviewer_id: Uuid,
        decision: DecisionType,
        notes: &str,
    ) -> Result<(Self, ValidDecision), ReviewError> {
        match (self.status, self.claimed_by) {
            (IntegrityStatus::UnderReview, Some(by)) if by == reviewer_id => {}
            (IntegrityStatus::UnderReview, _) => return Err(ReviewError::NotClaimer),
            (from, _) => {
                return Err(ReviewError::InvalidTransition {
                    action: "decide",
                    from,
                });
            }
        }
        let min = match decision {
            DecisionType::ViolationConfirmed => 1,
            DecisionType::Cleared => 0,
        };
        let notes = text("notes", notes, min, MAX_TEXT_CHARS)?;
        Ok((
            self.to(decision.status()),
            ValidDecision {
                decision,
                reviewer_id,
                notes,
            },
        ))
    }

    /// The candidate appeals a decision (once per session); returns the trimmed appeal text.
    pub fn appeal(self, text_in: &str) -> Result<(Self, String), ReviewError> {
        if !self.status.is_decided() {
            return Err(ReviewError::InvalidTransition {
                action: "appeal",
                from: self.status,
            });
        }
        if self.appealed {
            return Err(ReviewError::AppealAlreadyUsed);
        }
        let t = text("text", text_in, 1, MAX_TEXT_CHARS)?;
        Ok((
            IntegrityState {
                appealed: true,
                ..self.to(IntegrityStatus::Flagged)
            },
            t,
        ))
    }

    /// QUALITY_ASSURANCE reopens a decision (decided -> FLAGGED); returns the trimmed reason.
    pub fn reopen(self, reason: &str) -> Result<(Self, String), ReviewError> {
        if !self.status.is_decided() {
            return Err(ReviewError::InvalidTransition {
                action: "reopen",
                from: self.status,
            });
        }
        let r = text("reason", reason, 1, MAX_REOPEN_REASON_CHARS)?;
        Ok((self.to(IntegrityStatus::Flagged), r))
    }
}
