//! The question bank review workflow.
//!
//! ```text
//! DRAFT --submit--> IN_REVIEW --approve--> APPROVED --revise--> DRAFT
//!                       |
//!                       +--reject{reason}--> REJECTED --edit--> DRAFT
//! any state but ARCHIVED --archive--> ARCHIVED
//! ```
//! Edits (of the bank or its questions) are allowed in DRAFT (stays DRAFT) and REJECTED (moves to
//! DRAFT); in IN_REVIEW, APPROVED or ARCHIVED an edit is a conflict. Submitting needs at least
//! one active question. Approve and reject follow the two-person rule ([`may_review`]).

use uuid::Uuid;

/// Longest rejection reason, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

crate::stored_enum! {
    /// Where a bank is in its review.
    pub enum BankStatus {
        Draft = "DRAFT",
        InReview = "IN_REVIEW",
        Approved = "APPROVED",
        Rejected = "REJECTED",
        Archived = "ARCHIVED",
    }
}

impl BankStatus {
    /// Whether the bank or its questions may be edited now.
    pub fn is_editable(self) -> bool {
        matches!(self, BankStatus::Draft | BankStatus::Rejected)
    }
}

/// Something a person does to a bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankAction {
    /// DRAFT -> IN_REVIEW; `active_questions` is the bank's count of active questions.
    Submit { active_questions: usize },
    /// IN_REVIEW -> APPROVED.
    Approve,
    /// IN_REVIEW -> REJECTED with a non-empty reason.
    Reject { reason: String },
    /// APPROVED -> DRAFT, for another round of review.
    Revise,
    /// Any state but ARCHIVED -> ARCHIVED.
    Archive,
    /// An edit of the bank or one of its questions: DRAFT stays, REJECTED -> DRAFT.
    Edit,
}

impl BankAction {
    /// Short name used in messages (`submit`, `approve`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            BankAction::Submit { .. } => "submit",
            BankAction::Approve => "approve",
            BankAction::Reject { .. } => "reject",
            BankAction::Revise => "revise",
            BankAction::Archive => "archive",
            BankAction::Edit => "edit",
        }
    }
}

/// How the HTTP layer should answer a [`BankError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankErrorKind {
    /// 409 `conflict`.
    Conflict,
    /// 422 `validation_failed`.
    Validation,
}

/// Why a bank action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("cannot {action} a bank that is {}", from.name())]
    InvalidTransition {
        from: BankStatus,
        action: &'static str,
    },
    #[error("a bank that is {} cannot be edited", status.name())]
    NotEditable { status: BankStatus },
    #[error("a bank needs at least one active question to be submitted for review")]
    EmptyBank,
    #[error("a rejection needs a reason (1 to {MAX_REASON_CHARS} characters)")]
    ReasonRequired,
}

impl BankError {
    /// 409 for state conflicts, 422 for bad input.
    pub fn kind(&self) -> BankErrorKind {
        match self {
            BankError::InvalidTransition { .. } | BankError::NotEditable { .. } => {
                BankErrorKind::Conflict
            }
            BankError::EmptyBank => BankErrorKind::Conflict,
            BankError::ReasonRequired => BankErrorKind::Validation,
        }
    }
}

/// The next status after `action` in `from`, or why not.
pub fn transition(from: BankStatus, action: &BankAction) -> Result<BankStatus, BankError> {
    use BankStatus::*;
    let bad = || BankError::InvalidTransition {
        from,
        action: action.name(),
    };
    match (from, action) {
        (Draft, BankAction::Submit { active_questions }) => {
            if *active_questions == 0 {
                Err(BankError::EmptyBank)
            } else {
                Ok(InReview)
            }
        }
        (InReview, BankAction::Approve) => Ok(Approved),
        (InReview, BankAction::Reject { reason }) => {
            let r = reason.trim();
            if r.is_empty() || r.chars().count() > MAX_REASON_CHARS {
                Err(BankError::ReasonRequired)
            } else {
                Ok(Rejected)
            }
        }
        (Approved, BankAction::Revise) => Ok(Draft),
        (Archived, BankAction::Archive) => Err(bad()),
        (_, BankAction::Archive) => Ok(Archived),
        (Draft | Rejected, BankAction::Edit) => Ok(Draft),
        (status, BankAction::Edit) => Err(BankError::NotEditable { status }),
        _ => Err(bad()),
    }
}

/// The two-person rule: a reviewer may approve or reject a bank only when they are neither its
/// author nor any of its editors. (The role check, QUALITY_ASSURANCE, is the permission policy's.)
#[must_use]
pub fn may_review(reviewer: Uuid, author: Uuid, editors: &[Uuid]) -> bool {
    reviewer != author && !editors.contains(&reviewer)
}

#[cfg(test)]
mod tests {
    use super::BankStatus::*;
    use super::*;
    use proptest::prelude::*;

    fn reject(r: &str) -> BankAction {
        BankAction::Reject { reason: r.into() }
    }

    #[test]
    fn happy_path() {
        let s = transition(
            Draft,
            &BankAction::Submit {
                active_questions: 3,
            },
        )
        .unwrap();
        assert_eq!(s, InReview);
        assert_eq!(transition(s, &BankAction::Approve).unwrap(), Approved);
        assert_eq!(transition(Approved, &BankAction::Revise).unwrap(), Draft);
        assert_eq!(transition(InReview, &reject("typos")).unwrap(), Rejected);
        assert_eq!(transition(Rejected, &BankAction::Edit).unwrap(), Draft);
        assert_eq!(transition(Draft, &BankAction::Edit).unwrap(), Draft);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            transition(
                Draft,
                &BankAction::Submit {
                    active_questions: 0
                }
            ),
            Err(BankError::EmptyBank)
        );
        assert_eq!(
            transition(InReview, &reject("  ")),
            Err(BankError::ReasonRequired)
        );
        assert_eq!(BankError::ReasonRequired.kind(), BankErrorKind::Validation);
        for s in [InReview, Approved, Archived] {
            let e = transition(s, &BankAction::Edit).unwrap_err();
            assert_eq!(e, BankError::NotEditable { status: s });
            assert_eq!(e.kind(), BankErrorKind::Conflict);
        }
        assert!(transition(Draft, &BankAction::Approve).is_err());
        assert!(transition(Approved, &BankAction::Approve).is_err());
        assert!(
            transition(
                Rejected,
                &BankAction::Submit {
                    active_questions: 1
                }
            )
            .is_err()
        );
        assert!(transition(Archived, &BankAction::Archive).is_err());
        assert!(transition(Draft, &BankAction::Revise).is_err());
    }

    #[test]
    fn archive_from_everywhere_else() {
        for s in [Draft, InReview, Approved, Rejected] {
            assert_eq!(transition(s, &BankAction::Archive).unwrap(), Archived);
        }
    }

    #[test]
    fn two_person_rule() {
        let (a, e, r) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert!(may_review(r, a, &[e]));
        assert!(!may_review(a, a, &[e]));
        assert!(!may_review(e, a, &[e]));
    }

    #[test]
    fn serde_names() {
        assert_eq!(serde_json::to_string(&InReview).unwrap(), "\"IN_REVIEW\"");
        for s in [Draft, InReview, Approved, Rejected, Archived] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
    }

    fn action() -> impl Strategy<Value = BankAction> {
        prop_oneof![
            (0usize..3).prop_map(|n| BankAction::Submit {
                active_questions: n
            }),
            Just(BankAction::Approve),
            "[ a]{0,3}".prop_map(|r| BankAction::Reject { reason: r }),
            Just(BankAction::Revise),
            Just(BankAction::Archive),
            Just(BankAction::Edit),
        ]
    }

    proptest! {
        #[test]
        fn archived_is_terminal_and_approved_never_edited(actions in proptest::collection::vec(action(), 0..30)) {
            let mut s = Draft;
            for a in &actions {
                let before = s;
                match transition(s, a) {
                    Ok(next) => {
                        prop_assert!(before != Archived);
                        if *a == BankAction::Edit { prop_assert!(before.is_editable()); }
                        if next == Approved { prop_assert_eq!(before, InReview); }
                        s = next;
                    }
                    Err(_) => prop_assert_eq!(s, before),
                }
            }
        }
    }
}
