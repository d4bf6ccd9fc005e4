//! Runs a [`RuleSet`] over a session's events and drafts flags.
//!
//! Deterministic and order-independent: events are sorted by `(occurred_at, id)` first (an id
//! seen twice counts once). Re-evaluation after every batch is safe: a flag's `dedupe_key` is its
//! rule id and the id of the first event of its burst or episode, which later events (in time
//! order) do not change; they may only add event ids to it. Use [`select_new_flags`] to keep the
//! drafts that are not yet stored.
//!
//! How each condition groups events (all times are `occurred_at`):
//! - COUNT_IN_WINDOW / SOURCE_QUIET: scanning from the earliest matching event, a burst is every
//!   matching event at most `within_secs` after it; if the burst has more than `more_than`
//!   (at least `at_least`) events it becomes a flag and scanning resumes after it, else
//!   scanning resumes at the next event.
//! - DURATION: see [`Condition::Duration`]; fires when the episode lasts strictly longer than
//!   `longer_than_secs`.
//! - ANY: matching events with severity >= `min_severity`, consecutive ones no more than
//!   `merge_within_secs` apart, form one flag.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Sensitivity;
use super::event::{EventSource, EventType, EventView, FlagSeverity, FlagType, MAX_DURATION_MS};
use super::rules::{Cause, Condition, EpisodeEnd, Rule, RuleSet};

/// A flag the rules raised, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagDraft {
    pub rule_id: String,
    /// `"{rule_id}:{first event id}"`: stable across re-evaluations.
    pub dedupe_key: String,
    pub flag_type: FlagType,
    pub severity: FlagSeverity,
    pub cause: Cause,
    /// The rule's score weight at the time it fired.
    pub weight: u32,
    /// The events behind the flag, in time order.
    pub event_ids: Vec<Uuid>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// Why the rule fired, for people (`TAB_SWITCH 4 times in 95 s (limit: 3 within 300 s)`).
    pub description: String,
}

/// A stored flag, as [`select_new_flags`] needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingFlag {
    pub rule_id: String,
    pub dedupe_key: String,
    pub event_ids: Vec<Uuid>,
}

/// Keeps the drafts that are new: no stored flag has their `dedupe_key`, and no stored flag of
/// the same rule already cites one of their events (this absorbs the shift a late event with an
/// earlier timestamp can cause).
pub fn select_new_flags(drafts: Vec<FlagDraft>, existing: &[ExistingFlag]) -> Vec<FlagDraft> {
    let keys: BTreeSet<&str> = existing.iter().map(|f| f.dedupe_key.as_str()).collect();
    let cited: BTreeSet<(&str, Uuid)> = existing
        .iter()
        .flat_map(|f| f.event_ids.iter().map(|id| (f.rule_id.as_str(), *id)))
        .collect();
    drafts
        .into_iter()
        .filter(|d| {
            !keys.contains(d.dedupe_key.as_str())
                && !d
                    .event_ids
                    .iter()
                    .any(|id| cited.contains(&(d.rule_id.as_str(), *id)))
        })
        .collect()
}

/// Evaluates every rule that applies at `sensitivity` over `events`.
pub fn evaluate(rules: &RuleSet, sensitivity: Sensitivity, events: &[EventView]) -> Vec<FlagDraft> {
    let mut sorted: Vec<&EventView> = events.iter().collect();
    sorted.sort_by_key(|a| (a.occurred_at, a.id));
    let mut seen = BTreeSet::new();
    sorted.retain(|e| seen.insert(e.id));

    let mut flags = Vec::new();
    for rule in &rules.rules {
        evaluate_rule(rule, sensitivity, &sorted, &mut flags);
    }
    flags.sort_by(|a, b| {
        (a.first_at, &a.rule_id, &a.dedupe_key).cmp(&(b.first_at, &b.rule_id, &b.dedupe_key))
    });
    flags
}

/// The device an event is about: its source, or for a SYSTEM event the `meta.device` it names.
fn device(ev: &EventView) -> EventSource {
    if ev.source == EventSource::System
        && let Some(d) = ev
            .meta
            .as_ref()
            .and_then(|m| m.get("device"))
            .and_then(|d| d.as_str())
            .and_then(EventSource::parse)
    {
        return d;
    }
    ev.source
}

fn source_matches(filter: Option<EventSource>, ev: &EventView) -> bool {
    filter.is_none_or(|s| ev.source == s || device(ev) == s)
}

fn duration_ms(ev: &EventView) -> i64 {
    let ms = ev
        .meta
        .as_ref()
        .and_then(|m| m.get("duration_ms"))
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
        .min(MAX_DURATION_MS);
    i64::try_from(ms).unwrap_or(0)
}

fn covered_end(ev: &EventView) -> DateTime<Utc> {
    // Checked: a stored time near the end of chrono's range must not panic.
    ev.occurred_at
        .checked_add_signed(TimeDelta::milliseconds(duration_ms(ev)))
        .unwrap_or(ev.occurred_at)
}

/// Seconds as people read them: `95`, `95.5`, `0.25`.
fn secs(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        let s = format!("{}.{:03}", ms / 1000, (ms % 1000).abs());
        s.trim_end_matches('0').to_owned()
    }
}

fn times(n: usize) -> String {
    if n == 1 {
        "1 time".into()
    } else {
        format!("{n} times")
    }
}

fn draft(
    rule: &Rule,
    evs: &[&EventView],
    last_at: DateTime<Utc>,
    description: String,
) -> Option<FlagDraft> {
    let first = evs.first()?;
    Some(FlagDraft {
        rule_id: rule.id.clone(),
        dedupe_key: format!("{}:{}", rule.id, first.id),
        flag_type: rule.flag_type,
        severity: rule.severity,
        cause: rule.cause,
        weight: rule.weight,
        event_ids: evs.iter().map(|e| e.id).collect(),
        first_at: first.occurred_at,
        last_at,
        description,
    })
}

/// Greedy bursts: ranges of `evs` with at least `min_count` events, each within `within` of
/// the burst's first event.
fn bursts(evs: &[&EventView], min_count: usize, within: TimeDelta) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut j = 0;
    while i < evs.len() {
        j = j.max(i);
        while let Some(next) = evs.get(j + 1) {
            match evs.get(i) {
                Some(first) if next.occurred_at - first.occurred_at <= within => j += 1,
                _ => break,
            }
        }
        if j + 1 - i >= min_count.max(1) {
            out.push(i..j + 1);
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn span_ms(evs: &[&EventView]) -> i64 {
    match (evs.first(), evs.last()) {
        (Some(a), Some(b)) => (b.occurred_at - a.occurred_at).num_milliseconds(),
        _ => 0,
    }
}

fn evaluate_rule(rule: &Rule, s: Sensitivity, all: &[&EventView], out: &mut Vec<FlagDraft>) {
    match &rule.condition {
        Condition::CountInWindow {
            event_type,
            source,
            params,
        } => {
            let Some(p) = params.get(s) else { return };
            let evs: Vec<&EventView> = all
                .iter()
                .copied()
                .filter(|e| e.event_type == *event_type && source_matches(*source, e))
                .collect();
            let min = usize::try_from(p.more_than)
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            for r in bursts(&evs, min, TimeDelta::seconds(i64::from(p.within_secs))) {
                let b = evs.get(r).unwrap_or_default();
                let desc = format!(
                    "{event_type} {} in {} s (limit: {} within {} s)",
                    times(b.len()),
                    secs(span_ms(b)),
                    p.more_than,
                    p.within_secs
                );
                if let Some(last) = b.last() {
                    out.extend(draft(rule, b, last.occurred_at, desc));
                }
            }
        }
        Condition::SourceQuiet { source, params } => {
            let Some(p) = params.get(s) else { return };
            let evs: Vec<&EventView> = all
                .iter()
                .copied()
                .filter(|e| {
                    e.event_type == EventType::HeartbeatMissed && source_matches(Some(*source), e)
                })
                .collect();
            let min = usize::try_from(p.at_least).unwrap_or(usize::MAX);
            for r in bursts(&evs, min, TimeDelta::seconds(i64::from(p.within_secs))) {
                let b = evs.get(r).unwrap_or_default();
                let desc = format!(
                    "{} heartbeat missed {} in {} s (limit: {} within {} s)",
                    source.name(),
                    times(b.len()),
                    secs(span_ms(b)),
                    p.at_least,
                    p.within_secs
                );
                if let Some(last) = b.last() {
                    out.extend(draft(rule, b, last.occurred_at, desc));
                }
            }
        }
        Condition::Any {
            event_types,
            source,
            params,
        } => {
            let Some(p) = params.get(s) else { return };
            let evs: Vec<&EventView> = all
                .iter()
                .copied()
                .filter(|e| {
                    event_types.contains(&e.event_type)
                        && source_matches(*source, e)
                        && e.severity.get() >= p.min_severity
                })
                .collect();
            let merge = TimeDelta::seconds(i64::from(p.merge_within_secs));
            let mut start = 0;
            for k in 0..evs.len() {
                let split = match (evs.get(k), evs.get(k + 1)) {
                    (Some(a), Some(b)) => b.occurred_at - a.occurred_at > merge,
                    _ => true,
                };
                if split {
                    let c = evs.get(start..=k).unwrap_or_default();
                    let mut types: Vec<EventType> = Vec::new();
                    for e in c {
                        if !types.contains(&e.event_type) {
                            types.push(e.event_type);
                        }
                    }
                    let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
                    let desc = format!(
                        "{} {} in {} s (rule: any with severity >= {})",
                        names.join(", "),
                        times(c.len()),
                        secs(span_ms(c)),
                        p.min_severity
                    );
                    if let Some(last) = c.last() {
                        out.extend(draft(rule, c, last.occurred_at, desc));
                    }
                    start = k + 1;
                }
            }
        }
        Condition::Duration {
            event_type,
            source,
            end,
            params,
        } => {
            let Some(p) = params.get(s) else { return };
            let limit_ms = i64::from(p.longer_than_secs) * 1000;
            for ep in episodes(all, *event_type, *source, *end) {
                let dur = (ep.end - ep.start).num_milliseconds();
                if dur > limit_ms {
                    let desc = format!(
                        "{event_type} for {} s{} (limit: longer than {} s)",
                        secs(dur),
                        if ep.open { ", still ongoing" } else { "" },
                        p.longer_than_secs
                    );
                    out.extend(draft(rule, &ep.events, ep.end, desc));
                }
            }
        }
    }
}

struct Episode<'a> {
    events: Vec<&'a EventView>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    open: bool,
}

impl<'a> Episode<'a> {
    fn new(ev: &'a EventView) -> Self {
        Episode {
            events: vec![ev],
            start: ev.occurred_at,
            end: covered_end(ev),
            open: false,
        }
    }

    fn join(&mut self, ev: &'a EventView) {
        self.events.push(ev);
        self.end = self.end.max(covered_end(ev));
    }
}

fn episodes<'a>(
    all: &[&'a EventView],
    event_type: EventType,
    source: Option<EventSource>,
    end: EpisodeEnd,
) -> Vec<Episode<'a>> {
    let mut out = Vec::new();
    let mut current: Option<Episode<'a>> = None;
    match end {
        EpisodeEnd::Gap { gap_secs } => {
            let gap = TimeDelta::seconds(i64::from(gap_secs));
            for ev in all
                .iter()
                .copied()
                .filter(|e| e.event_type == event_type && source_matches(source, e))
            {
                match current.as_mut() {
                    Some(ep) if ev.occurred_at - ep.end <= gap => ep.join(ev),
                    _ => out.extend(current.replace(Episode::new(ev))),
                }
            }
            out.extend(current);
        }
        EpisodeEnd::Event {
            event_type: end_type,
        } => {
            for ev in all.iter().copied().filter(|e| source_matches(source, e)) {
                if ev.event_type == event_type {
                    match current.as_mut() {
                        Some(ep) => ep.join(ev),
                        None => current = Some(Episode::new(ev)),
                    }
                } else if ev.event_type == end_type
                    && let Some(mut ep) = current.take()
                {
                    ep.events.push(ev);
                    ep.end = ep.end.max(ev.occurred_at);
                    out.push(ep);
                }
            }
            if let Some(mut ep) = current {
                if let Some(latest) = all.last() {
                    ep.end = ep.end.max(latest.occurred_at);
                }
                ep.open = true;
                out.push(ep);
            }
        }
    }
    out
}
