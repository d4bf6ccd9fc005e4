//! Risk rules as data. An organization may replace the defaults ([`default_rules`]) with its own
//! [`RuleSet`] (JSON in the org settings); [`validate_rules`] checks one before it is stored.
//!
//! Matching a `source` filter: an event matches when its source equals the filter, or when it is a
//! `SYSTEM` event whose `meta.device` names that source (the server's heartbeat watchdog records
//! `HEARTBEAT_MISSED` as `SYSTEM` with `meta.device = "MOBILE"`).

use serde::{Deserialize, Serialize};

use super::event::{EventSource, EventType, FlagSeverity, FlagType};
use super::{FieldError, Sensitivity};

mod defaults;
pub use defaults::default_rules;

/// Limits on an org-supplied rule set.
pub const MAX_RULES: usize = 100;
pub const MAX_RULE_ID_CHARS: usize = 64;
pub const MAX_WEIGHT: u32 = 1000;
pub const MAX_WINDOW_SECS: u32 = 86_400;
pub const MAX_GAP_SECS: u32 = 3600;
pub const MAX_COUNT: u32 = 10_000;
pub const MAX_THRESHOLD: u32 = 1_000_000;

crate::stored_enum! {
    /// Whether a flag's likely cause is technical (network, heartbeat, device) or the candidate's
    /// behaviour. Technical flags weigh less in the score.
    #[derive(PartialOrd, Ord)]
    pub enum Cause {
        Technical = "TECHNICAL",
        Behavioural = "BEHAVIOURAL",
    }
}

/// A value per sensitivity; `None` (or absent) means the rule does not apply at that sensitivity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerSensitivity<T> {
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub low: Option<T>,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub medium: Option<T>,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub high: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> PerSensitivity<T> {
    pub fn get(&self, s: Sensitivity) -> Option<&T> {
        match s {
            Sensitivity::Low => self.low.as_ref(),
            Sensitivity::Medium => self.medium.as_ref(),
            Sensitivity::High => self.high.as_ref(),
        }
    }

    fn entries(&self) -> impl Iterator<Item = (&'static str, &T)> {
        [
            ("low", self.low.as_ref()),
            ("medium", self.medium.as_ref()),
            ("high", self.high.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
    }
}

/// `more_than` events within `within_secs` (first to last event at most that far apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountParams {
    pub more_than: u32,
    pub within_secs: u32,
}

/// An episode lasting strictly longer than `longer_than_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationParams {
    pub longer_than_secs: u32,
}

/// Any event with at least `min_severity`; matching events no more than `merge_within_secs`
/// apart are reported as one flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnyParams {
    pub min_severity: u8,
    pub merge_within_secs: u32,
}

/// At least `at_least` missed heartbeats within `within_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietParams {
    pub at_least: u32,
    pub within_secs: u32,
}

/// How a duration episode ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE", deny_unknown_fields)]
pub enum EpisodeEnd {
    /// The episode ends when no further start event follows within `gap_secs` of its end.
    Gap { gap_secs: u32 },
    /// The episode ends at the first `event_type` event after it started; while none has
    /// arrived it runs until the latest event of the session (of any type).
    Event { event_type: EventType },
}

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE", deny_unknown_fields)]
pub enum Condition {
    /// More than `more_than` `event_type` events within `within_secs`.
    CountInWindow {
        event_type: EventType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<EventSource>,
        params: PerSensitivity<CountParams>,
    },
    /// An episode of `event_type` longer than `longer_than_secs`. Each event covers
    /// `[occurred_at, occurred_at + meta.duration_ms)` (0 ms without `duration_ms`); events
    /// are joined into one episode as `end` says; the episode lasts from its first event's start
    /// to its latest end.
    Duration {
        event_type: EventType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<EventSource>,
        end: EpisodeEnd,
        params: PerSensitivity<DurationParams>,
    },
    /// Any event of one of `event_types`.
    Any {
        event_types: Vec<EventType>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<EventSource>,
        params: PerSensitivity<AnyParams>,
    },
    /// `HEARTBEAT_MISSED` of `source` at least `at_least` times within `within_secs`.
    SourceQuiet {
        source: EventSource,
        params: PerSensitivity<QuietParams>,
    },
}

/// One risk rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, `[a-z0-9_]`, 1..=64 characters, unique in the set.
    pub id: String,
    pub condition: Condition,
    pub flag_type: FlagType,
    pub severity: FlagSeverity,
    pub cause: Cause,
    /// Score weight, 0..=1000 (see `score`).
    pub weight: u32,
}

/// Score threshold per sensitivity: a session whose violation score reaches it is FLAGGED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub low: u32,
    pub medium: u32,
    pub high: u32,
}

impl Thresholds {
    pub fn get(&self, s: Sensitivity) -> u32 {
        match s {
            Sensitivity::Low => self.low,
            Sensitivity::Medium => self.medium,
            Sensitivity::High => self.high,
        }
    }
}

/// An organization's risk rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub thresholds: Thresholds,
}

impl RuleSet {
    /// Parses and validates a rule set from JSON (org settings); a parse error is reported
    /// against the field `rules`.
    pub fn from_json(value: serde_json::Value) -> Result<RuleSet, Vec<FieldError>> {
        let set: RuleSet = serde_json::from_value(value)
            .map_err(|e| vec![FieldError::new("rules", format!("invalid rule set: {e}"))])?;
        validate_rules(&set)?;
        Ok(set)
    }
}

fn range_check(errors: &mut Vec<FieldError>, field: &str, v: u32, min: u32, max: u32) {
    if v < min || v > max {
        errors.push(FieldError::new(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
}

fn check_params<T>(
    errors: &mut Vec<FieldError>,
    base: &str,
    params: &PerSensitivity<T>,
    mut check: impl FnMut(&mut Vec<FieldError>, &str, &T),
) {
    let mut any = false;
    for (name, p) in params.entries() {
        any = true;
        check(errors, &format!("{base}.params.{name}"), p);
    }
    if !any {
        errors.push(FieldError::new(
            format!("{base}.params"),
            "set parameters for at least one of low, medium, high",
        ));
    }
}

fn check_source(errors: &mut Vec<FieldError>, field: String, source: Option<EventSource>) {
    if source == Some(EventSource::System) {
        errors.push(FieldError::new(field, "must be LAPTOP or MOBILE"));
    }
}

/// Validates an org-supplied rule set; every problem is reported with its field path
/// (`rules[2].condition.params.high.within_secs`).
pub fn validate_rules(set: &RuleSet) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if set.rules.len() > MAX_RULES {
        errors.push(FieldError::new(
            "rules",
            format!("at most {MAX_RULES} rules"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, rule) in set.rules.iter().enumerate() {
        let base = format!("rules[{i}]");
        let id_ok = !rule.id.is_empty()
            && rule.id.len() <= MAX_RULE_ID_CHARS
            && rule
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !id_ok {
            errors.push(FieldError::new(
                format!("{base}.id"),
                format!("must be 1 to {MAX_RULE_ID_CHARS} characters of a-z, 0-9 and _"),
            ));
        } else if !seen.insert(rule.id.as_str()) {
            errors.push(FieldError::new(format!("{base}.id"), "duplicate rule id"));
        }
        range_check(
            &mut errors,
            &format!("{base}.weight"),
            rule.weight,
            0,
            MAX_WEIGHT,
        );
        let cond = format!("{base}.condition");
        match &rule.condition {
            Condition::CountInWindow { source, params, .. } => {
                check_source(&mut errors, format!("{cond}.source"), *source);
                check_params(&mut errors, &cond, params, |e, f, p| {
                    range_check(e, &format!("{f}.more_than"), p.more_than, 0, MAX_COUNT);
                    range_check(
                        e,
                        &format!("{f}.within_secs"),
                        p.within_secs,
                        1,
                        MAX_WINDOW_SECS,
                    );
                });
            }
            Condition::Duration {
                event_type,
                source,
                end,
                params,
            } => {
                check_source(&mut errors, format!("{cond}.source"), *source);
                match end {
                    EpisodeEnd::Gap { gap_secs } => {
                        range_check(
                            &mut errors,
                            &format!("{cond}.end.gap_secs"),
                            *gap_secs,
                            0,
                            MAX_GAP_SECS,
                        );
                    }
                    EpisodeEnd::Event {
                        event_type: end_type,
                    } if end_type == event_type => {
                        errors.push(FieldError::new(
                            format!("{cond}.end.event_type"),
                            "must differ from the episode's event type",
                        ));
                    }
                    EpisodeEnd::Event { .. } => {}
                }
                check_params(&mut errors, &cond, params, |e, f, p| {
                    range_check(
                        e,
                        &format!("{f}.longer_than_secs"),
                        p.longer_than_secs,
                        0,
                        MAX_WINDOW_SECS,
                    );
                });
            }
            Condition::Any {
                event_types,
                source,
                params,
            } => {
                check_source(&mut errors, format!("{cond}.source"), *source);
                let distinct: std::collections::BTreeSet<_> = event_types.iter().collect();
                if event_types.is_empty() {
                    errors.push(FieldError::new(
                        format!("{cond}.event_types"),
                        "name at least one event type",
                    ));
                } else if distinct.len() != event_types.len() {
                    errors.push(FieldError::new(
                        format!("{cond}.event_types"),
                        "event types must not repeat",
                    ));
                }
                check_params(&mut errors, &cond, params, |e, f, p| {
                    range_check(
                        e,
                        &format!("{f}.min_severity"),
                        u32::from(p.min_severity),
                        1,
                        10,
                    );
                    range_check(
                        e,
                        &format!("{f}.merge_within_secs"),
                        p.merge_within_secs,
                        0,
                        MAX_GAP_SECS,
                    );
                });
            }
            Condition::SourceQuiet { source, params } => {
                check_source(&mut errors, format!("{cond}.source"), Some(*source));
                check_params(&mut errors, &cond, params, |e, f, p| {
                    range_check(e, &format!("{f}.at_least"), p.at_least, 1, MAX_COUNT);
                    range_check(
                        e,
                        &format!("{f}.within_secs"),
                        p.within_secs,
                        1,
                        MAX_WINDOW_SECS,
                    );
                });
            }
        }
    }
    for &s in Sensitivity::ALL {
        let name = s.name().to_ascii_lowercase();
        range_check(
            &mut errors,
            &format!("thresholds.{name}"),
            set.thresholds.get(s),
            1,
            MAX_THRESHOLD,
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
