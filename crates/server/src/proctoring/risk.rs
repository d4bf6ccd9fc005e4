//! The risk engine's wiring: the organization's rules (org setting
//! `proctoring_rules`, a domain `RuleSet`; the defaults otherwise) over all
//! of a session's events at its exam's sensitivity, only when the exam has
//! proctoring enabled. New flags are stored (never twice: `select_new_flags`
//! and the unique `(session_id, dedupe_key)`), the violation score is
//! recomputed from every stored flag, and when it reaches the threshold the
//! integrity moves on with `IntegrityState::raise` (which never undoes a
//! reviewer's decision). One session at a time: its row is locked
//! (PostgreSQL) while it is judged.

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
#[tracing::instrument(skip_all, err, fields(session_id = %session_id))]
pub async fn evaluate_session(
    db: &Db,
    live: &LiveHub,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Flag>, RiskError> {
    let Some(s) = delivery::session(db.read(), session_id).await? else {
        return Ok(Vec::new());
    };
    let Some(exam) = exam_store::exam(db.read(), s.org_id, s.exam_id).await? else {
        return Ok(Vec::new());
    };
    if !exam.enable_proctoring {
        return Ok(Vec::new());
    }
    let sensitivity = Sensitivity::from(exam.proctoring_sensitivity);
    let rules = rules_of_org(db, s.org_id).await?;

    let tx = db.begin().await?;
    let Some(s) = delivery::session_for_update(&tx, session_id).await? else {
        return Ok(Vec::new());
    };
    let events = store::events_of_session(&tx, session_id)
        .await?
        .iter()
        .map(event_view)
        .collect::<Result<Vec<EventView>, RiskError>>()?;
    let stored = store::flags_of_session(&tx, session_id).await?;
    let existing: Vec<ExistingFlag> = stored
        .iter()
        .map(|f| ExistingFlag {
            rule_id: f.rule_id.clone(),
            dedupe_key: f.dedupe_key.clone(),
            event_ids: f.event_ids.0.clone(),
        })
        .collect();
    let drafts = select_new_flags(evaluate(&rules, sensitivity, &events), &existing);
    let mut raised = Vec::with_capacity(drafts.len());
    for d in drafts {
        let row = Flag {
            id: Uuid::now_v7(),
            org_id: s.org_id,
            session_id,
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
        if store::insert_flag(&tx, &row).await? {
            raised.push(row);
        }
    }
    let views: Vec<FlagView> = stored.iter().chain(&raised).map(flag_view).collect();
    let score = violation_score(&views, &rules.thresholds, sensitivity);
    let total = i32::try_from(score.total).unwrap_or(i32::MAX);
    let current = crate::review::integrity_of(&s);
    let next = if score.flagged {
        current.raise()
    } else {
        current
    };
    let changed = next.status != current.status;
    if total != s.violation_score || changed {
        review::set_score(&tx, session_id, total, current.status, next.status, now).await?;
    }
    tx.commit().await?;
    for f in &raised {
        live.publish(LiveEvent::new(
            s.org_id,
            s.exam_id,
            session_id,
            now,
            LiveChange::Flag { flag: live_flag(f) },
        ));
    }
    if total != s.violation_score || changed {
        live.publish(LiveEvent::new(
            s.org_id,
            s.exam_id,
            session_id,
            now,
            LiveChange::Session {
                status: None,
                integrity_status: changed.then_some(next.status),
                violation_score: Some(total),
            },
        ));
    }
    if changed {
        tracing::info!(
            score = score.total,
            threshold = score.threshold,
            "session flagged"
        );
    }
    Ok(raised)
}
