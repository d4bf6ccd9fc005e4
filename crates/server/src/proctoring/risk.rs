//! The risk engine's wiring: the organization's rules (org setting
//! `proctoring_rules`, a domain `RuleSet`; the defaults otherwise) over all
//! of a session's events at its exam's sensitivity, only when the exam has
//! proctoring enabled. New flags are stored (never twice: `select_new_flags`
//! and the unique `(session_id, dedupe_key)`), the violation score is
//! recomputed from every stored flag, and when it reaches the threshold the
//! integrity moves on with `IntegrityState::raise` (which never undoes a
//! reviewer's decision). A writer batch's sessions are judged together in
//! one transaction, their rows locked (PostgreSQL, in id order) meanwhile.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use invigil_domain::proctoring::{
    EventSeverity, EventView, ExistingFlag, FlagView, RuleSet, Sensitivity, default_rules,
    evaluate, select_new_flags, violation_score,
};
use invigil_store::proctoring::entities::EventIds;
use invigil_store::proctoring::{self as store, Event, Flag};
use invigil_store::{Db, StoreError, delivery, exams as exam_store, review, tenancy};

use super::live::{LiveChange, LiveEvent, LiveFlag, LiveHub};

/// The org settings key holding a custom rule set.
pub const RULES_SETTING: &str = "proctoring_rules";

/// Why a session could not be judged (the writer logs it; no HTTP answer
/// depends on it).
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("event {id} has severity {severity}, outside 1..=10")]
    BadSeverity { id: Uuid, severity: i32 },
}

impl From<invigil_store::DbErr> for RiskError {
    fn from(e: invigil_store::DbErr) -> Self {
        RiskError::Store(e.into())
    }
}

/// The organization's rule set: `settings.proctoring_rules` when it is a
/// valid rule set, else the defaults (an invalid stored set is logged).
pub async fn rules_of_org(db: &Db, org_id: Uuid) -> Result<RuleSet, StoreError> {
    let Some(org) = tenancy::org_by_id(db.read(), org_id).await? else {
        return Ok(default_rules());
    };
    Ok(match super::org_setting(org_id, &org.settings, RULES_SETTING) {
        None => default_rules(),
        Some(v) => RuleSet::from_json(v).unwrap_or_else(|errs| {
            tracing::warn!(org_id = %org_id, ?errs, "invalid proctoring_rules; using the defaults");
            default_rules()
        }),
    })
}

/// A stored event as the domain reads it. A severity outside 1..=10 (the
/// column has no CHECK) is an error naming the row.
pub fn event_view(e: &Event) -> Result<EventView, RiskError> {
    let severity = EventSeverity::new(i64::from(e.severity)).ok_or(RiskError::BadSeverity {
        id: e.id,
        severity: e.severity,
    })?;
    Ok(EventView {
        id: e.id,
        source: e.source,
        event_type: e.event_type,
        severity,
        occurred_at: e.occurred_at,
        meta: e.meta.clone().map(|m| serde_json::Value::Object(m.0)),
    })
}

/// A stored flag as the score reads it.
pub fn flag_view(f: &Flag) -> FlagView {
    FlagView {
        flag_ref: f.id.to_string(),
        rule_id: f.rule_id.clone(),
        severity: f.severity,
        cause: f.cause,
        weight: u32::try_from(f.weight).unwrap_or(0),
    }
}

/// A stored flag for the live feed.
pub fn live_flag(f: &Flag) -> LiveFlag {
    LiveFlag {
        id: f.id,
        rule_id: f.rule_id.clone(),
        flag_type: f.flag_type,
        severity: f.severity,
        cause: f.cause,
        description: f.description.clone(),
        event_ids: f.event_ids.0.clone(),
        first_at: f.first_at,
        last_at: f.last_at,
    }
}

/// Judges one session; returns the flags it raised.
pub async fn evaluate_session(
    db: &Db,
    live: &LiveHub,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Flag>, RiskError> {
    evaluate_sessions(db, live, &[session_id], now).await
}

/// What the risk engine needs of a session's exam and organization.
struct Judging {
    sensitivity: Sensitivity,
    rules: Arc<RuleSet>,
}

/// Judges several sessions (a writer batch's) in one transaction: each
/// session's events and flags are read in one query for all of them, the
/// exams and rule sets once per exam and organization. Sessions whose exam
/// has no proctoring, or that are gone, are skipped. Returns the flags
/// raised. A session with an unreadable event (severity outside 1..=10) is
/// logged and skipped; the others are judged.
#[tracing::instrument(skip_all, err, fields(sessions = session_ids.len()))]
pub async fn evaluate_sessions(
    db: &Db,
    live: &LiveHub,
    session_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<Flag>, RiskError> {
    let mut ids = session_ids.to_vec();
    ids.sort();
    ids.dedup();
    let sessions = delivery::sessions_by_ids(db.read(), &ids).await?;
    let mut exams: HashMap<Uuid, Option<Judging>> = HashMap::new();
    let mut org_rules: HashMap<Uuid, Arc<RuleSet>> = HashMap::new();
    for s in &sessions {
        if exams.contains_key(&s.exam_id) {
            continue;
        }
        let judging = match exam_store::exam(db.read(), s.org_id, s.exam_id).await? {
            Some(exam) if exam.enable_proctoring => {
                let rules = match org_rules.get(&s.org_id) {
                    Some(r) => Arc::clone(r),
                    None => {
                        let r = Arc::new(rules_of_org(db, s.org_id).await?);
                        org_rules.insert(s.org_id, Arc::clone(&r));
                        r
                    }
                };
                Some(Judging {
                    sensitivity: Sensitivity::from(exam.proctoring_sensitivity),
                    rules,
                })
            }
            _ => None,
        };
        exams.insert(s.exam_id, judging);
    }
    let judged: Vec<Uuid> = sessions
        .iter()
        .filter(|s| exams.get(&s.exam_id).is_some_and(Option::is_some))
        .map(|s| s.id)
        .collect();
    if judged.is_empty() {
        return Ok(Vec::new());
    }

    let tx = db.begin().await?;
    let locked = delivery::sessions_for_update(&tx, &judged).await?;
    let mut events: HashMap<Uuid, Vec<Event>> = HashMap::new();
    for e in store::events_of_sessions(&tx, &judged).await? {
        events.entry(e.session_id).or_default().push(e);
    }
    let mut flags: HashMap<Uuid, Vec<Flag>> = HashMap::new();
    for f in store::flags_of_sessions(&tx, &judged).await? {
        flags.entry(f.session_id).or_default().push(f);
    }
    let mut raised = Vec::new();
    let mut changes = Vec::new();
    for s in &locked {
        let Some(Some(judging)) = exams.get(&s.exam_id) else {
            continue;
        };
        let views = match events
            .get(&s.id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(event_view)
            .collect::<Result<Vec<EventView>, RiskError>>()
        {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(session_id = %s.id, error = %e, "session not judged");
                continue;
            }
        };
        let stored = flags.get(&s.id).map(Vec::as_slice).unwrap_or_default();
        let (new_flags, change) = judge(&tx, s, judging, &views, stored, now).await?;
        changes.extend(new_flags.iter().map(|f| {
            LiveEvent::new(
                s.org_id,
                s.exam_id,
                s.id,
                now,
                LiveChange::Flag { flag: live_flag(f) },
            )
        }));
        changes.extend(change);
        raised.extend(new_flags);
    }
    tx.commit().await?;
    for c in changes {
        live.publish(c);
    }
    Ok(raised)
}

/// One session inside the batch's transaction: stores its new flags and its
/// score; returns them and the live change of its score to publish after
/// the commit.
async fn judge(
    tx: &invigil_store::Tx,
    s: &delivery::Session,
    judging: &Judging,
    events: &[EventView],
    stored: &[Flag],
    now: DateTime<Utc>,
) -> Result<(Vec<Flag>, Option<LiveEvent>), RiskError> {
    let existing: Vec<ExistingFlag> = stored
        .iter()
        .map(|f| ExistingFlag {
            rule_id: f.rule_id.clone(),
            dedupe_key: f.dedupe_key.clone(),
            event_ids: f.event_ids.0.clone(),
        })
        .collect();
    let rules = &judging.rules;
    let sensitivity = judging.sensitivity;
    let drafts = select_new_flags(evaluate(rules, sensitivity, events), &existing);
    let mut raised = Vec::with_capacity(drafts.len());
    for d in drafts {
        let row = Flag {
            id: Uuid::now_v7(),
            org_id: s.org_id,
            session_id: s.id,
            rule_id: d.rule_id,
            dedupe_key: d.dedupe_key,
            flag_type: d.flag_type,
            severity: d.severity,
            cause: d.cause,
            weight: i32::try_from(d.weight).unwrap_or(i32::MAX),
            event_ids: EventIds(d.event_ids),
            first_at: d.first_at,
            last_at: d.last_at,
            description: d.description,
            created_at: now,
            resolved_by: None,
            resolved_at: None,
            resolution: None,
        };
        if store::insert_flag(tx, &row).await? {
            raised.push(row);
        }
    }
    let views: Vec<FlagView> = stored.iter().chain(&raised).map(flag_view).collect();
    let score = violation_score(&views, &rules.thresholds, sensitivity);
    let total = i32::try_from(score.total).unwrap_or(i32::MAX);
    let current = crate::review::integrity_of(s);
    let next = if score.flagged {
        current.raise()
    } else {
        current
    };
    let changed = next.status != current.status;
    if total == s.violation_score && !changed {
        return Ok((raised, None));
    }
    review::set_score(tx, s.id, total, current.status, next.status, now).await?;
    if changed {
        tracing::info!(
            session_id = %s.id,
            score = score.total,
            threshold = score.threshold,
            "session flagged"
        );
    }
    let change = LiveEvent::new(
        s.org_id,
        s.exam_id,
        s.id,
        now,
        LiveChange::Session {
            status: None,
            integrity_status: changed.then_some(next.status),
            violation_score: Some(total),
        },
    );
    Ok((raised, Some(change)))
}
