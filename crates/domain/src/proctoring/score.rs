//! The session violation score: derived from flags, explainable part by part.
//!
//! ```text
//! points(flag) = weight × severity factor × cause percent / 100   (integer, rounded down)
//!   severity factor: LOW 1, MEDIUM 2, HIGH 3
//!   cause percent:   BEHAVIOURAL 100, TECHNICAL 50
//! total   = Σ points(flag)
//! flagged = total >= threshold(sensitivity)      (thresholds come from the rule set)
//! ```

use serde::{Deserialize, Serialize};

use super::Sensitivity;
use super::evaluate::FlagDraft;
use super::event::FlagSeverity;
use super::rules::{Cause, Thresholds};

/// Percent of a flag's points that count when its cause is technical.
pub const TECHNICAL_PERCENT: u32 = 50;
/// Percent of a flag's points that count when its cause is behavioural.
pub const BEHAVIOURAL_PERCENT: u32 = 100;

/// What the score needs of one flag (stored or drafted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagView {
    /// The stored flag's id, or a draft's `dedupe_key`.
    pub flag_ref: String,
    pub rule_id: String,
    pub severity: FlagSeverity,
    pub cause: Cause,
    pub weight: u32,
}

impl From<&FlagDraft> for FlagView {
    fn from(d: &FlagDraft) -> Self {
        FlagView {
            flag_ref: d.dedupe_key.clone(),
            rule_id: d.rule_id.clone(),
            severity: d.severity,
            cause: d.cause,
            weight: d.weight,
        }
    }
}

/// One flag's contribution to the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScorePart {
    pub flag_ref: String,
    pub rule_id: String,
    pub points: u32,
    /// `weight 10 × MEDIUM 2 × BEHAVIOURAL 100% = 20`
    pub reason: String,
}

/// A session's violation score and whether it crosses its threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationScore {
    pub total: u32,
    pub parts: Vec<ScorePart>,
    pub threshold: u32,
    pub flagged: bool,
}

pub fn severity_factor(s: FlagSeverity) -> u32 {
    match s {
        FlagSeverity::Low => 1,
        FlagSeverity::Medium => 2,
        FlagSeverity::High => 3,
    }
}

pub fn cause_percent(c: Cause) -> u32 {
    match c {
        Cause::Technical => TECHNICAL_PERCENT,
        Cause::Behavioural => BEHAVIOURAL_PERCENT,
    }
}

/// Points of one flag (see the module docs).
pub fn flag_points(f: &FlagView) -> u32 {
    let raw = u64::from(f.weight)
        * u64::from(severity_factor(f.severity))
        * u64::from(cause_percent(f.cause))
        / 100;
    u32::try_from(raw).unwrap_or(u32::MAX)
}

/// Scores a session's flags against the rule set's threshold for `sensitivity`. Parts are in
/// the order of `flags`; `total` is their sum (saturating).
pub fn violation_score(
    flags: &[FlagView],
    thresholds: &Thresholds,
    sensitivity: Sensitivity,
) -> ViolationScore {
    let parts: Vec<ScorePart> = flags
        .iter()
        .map(|f| {
            let points = flag_points(f);
            let cause = f.cause.name();
            ScorePart {
                flag_ref: f.flag_ref.clone(),
                rule_id: f.rule_id.clone(),
                points,
                reason: format!(
                    "{}: weight {} × {} {} × {} {}% = {}",
                    f.rule_id,
                    f.weight,
                    f.severity,
                    severity_factor(f.severity),
                    cause,
                    cause_percent(f.cause),
                    points
                ),
            }
        })
        .collect();
    let total = parts
        .iter()
        .fold(0u32, |acc, p| acc.saturating_add(p.points));
    let threshold = thresholds.get(sensitivity);
    ViolationScore {
        total,
        parts,
        threshold,
        flagged: total >= threshold,
    }
}
