//! Proctoring: event ingest validation and the risk engine.
//!
//! - [`event`]: the closed event type list, sources, flag types, and validation of events posted
//!   by clients (`POST /sessions/{session}/events`).
//! - [`rules`]: risk rules as data (one [`rules::RuleSet`] per organization, defaults in
//!   [`rules::default_rules`]) and their validation.
//! - [`evaluate`](mod@evaluate): runs a rule set over a session's events and drafts flags that
//!   name the events behind them.
//! - [`score`]: the explainable session violation score derived from flags.
//!
//! Everything here is pure: callers pass `now`, the events and the rules. See `README.md` in this
//! directory for the default rules table and the score formula.

pub mod evaluate;
pub mod event;
pub mod rules;
pub mod score;

use serde::{Deserialize, Serialize};

pub use evaluate::{ExistingFlag, FlagDraft, evaluate, select_new_flags};
pub use event::{
    ClientEventInput, ClientKind, EventSeverity, EventSource, EventType, EventView, FlagSeverity,
    FlagType, ValidEvent, validate_batch, validate_client_event, validate_client_events,
};
pub use rules::{Cause, Rule, RuleSet, default_rules, validate_rules};
pub use score::{FlagView, ScorePart, ViolationScore, violation_score};

/// One problem with one input field; the HTTP layer renders a list of these as
/// `validation_failed` with `errors: [{"field": ..., "message": ...}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error with `prefix.` in front of its field (`events[3].type`).
    #[must_use]
    pub fn prefixed(self, prefix: &str) -> Self {
        Self {
            field: format!("{prefix}.{}", self.field),
            message: self.message,
        }
    }
}

crate::stored_enum! {
    /// An exam's proctoring sensitivity (`proctoring_sensitivity` on the exam).
    #[derive(PartialOrd, Ord)]
    pub enum Sensitivity {
        Low = "LOW",
        Medium = "MEDIUM",
        High = "HIGH",
    }
}

/// The exam's sensitivity as the risk engine reads it (the same three levels).
impl From<crate::exams::Sensitivity> for Sensitivity {
    fn from(s: crate::exams::Sensitivity) -> Self {
        match s {
            crate::exams::Sensitivity::Low => Sensitivity::Low,
            crate::exams::Sensitivity::Medium => Sensitivity::Medium,
            crate::exams::Sensitivity::High => Sensitivity::High,
        }
    }
}
