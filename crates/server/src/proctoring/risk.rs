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
    Cause, EventSeverity, EventSource, EventType, EventView, ExistingFlag, FlagSeverity, FlagView,
    RuleSet, Sensitivity, default_rules, evaluate, select_new_flags, violation_score,
};
use invigil_domain::review::{IntegrityState, IntegrityStatus};
use invigil_store::proctoring::{self as store, Event, Flag};
use invigil_store::{Db, delivery, exams as exam_store, tenancy};

use super::live::{LiveChange, LiveEvent, LiveFlag, LiveHub};
use crate::http::error::ApiError;
use crate::wire;

/// The org settings key holding a custom rule set.
pub const RULES_SETTING: &str = "proctoring_rules";

/// The organization's rule set: `settings.proctoring_rules` when it is a
/// valid rule set, else the defaults (an invalid stored set is logged).
pub async fn rules_of_org(db: &Db, org_id: Uuid) -> Result<RuleSet, ApiError> {
    let Some(org) = tenancy::org_by_id(db.read(), org_id).await? else {
        return Ok(default_rules());
    };
    let custom = serde_json::from_str::<serde_json::Value>(&org.settings)
        .ok()
        .and_then(|v| v.get(RULES_SETTING).cloned())
        .filter(|v| !v.is_null());
    Ok(match custom {
        None => default_rules(),
        Some(v) => RuleSet::from_json(v).unwrap_or_else(|errs| {
            tracing::warn!(org_id = %org_id, ?errs, "invalid proctoring_rules; using the defaults");
            default_rules()
        }),
    })
}

/// A stored event as the domain reads it; `None` for a row it cannot read.
pub fn event_view(e: &Event) -> Option<EventView> {
    Some(EventView {
        id: e.id,
        source: EventSource::parse(&e.source)?,
        event_type: EventType::parse(&e.event_type)?,
        severity: EventSeverity::new(i64::from(e.severity))?,
        occurred_at: e.occurred_at,
        meta: e.meta.as_deref().and_then(|m| serde_json::from_str(m).ok()),
    })
}

/// The event ids a stored flag cites.
pub fn flag_event_ids(f: &Flag) -> Vec<Uuid> {
    serde_json::from_str(&f.event_ids).unwrap_or_default()
}

fn flag_view(f: &Flag) -> Option<FlagView> {
    Some(FlagView {
        flag_ref: f.id.to_string(),
        rule_id: f.rule_id.clone(),
        severity: FlagSeverity::parse(&f.severity)?,
        cause: wire::parse::<Cause>(&f.cause)?,
        weight: u32::try_from(f.weight).ok()?,
    })
}

/// A stored flag for the live feed.
pub fn live_flag(f: &Flag) -> LiveFlag {
    LiveFlag {
        id: f.id,
        rule_id: f.rule_id.clone(),
        flag_type: f.flag_type.clone(),
        severity: f.severity.clone(),
        cause: f.cause.clone(),
        description: f.description.clone(),
        event_ids: flag_event_ids(f),
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
) -> Result<Vec<Flag>, ApiError> {
    let Some(s) = delivery::session(db.read(), session_id).await? else {
        return Ok(Vec::new());
    };
    let Some(exam) = exam_store::exam(db.read(), s.org_id, s.exam_id).await? else {
        return Ok(Vec::new());
    };
    if !exam.enable_proctoring {
        return Ok(Vec::new());
    }
    let sensitivity: Sensitivity =
        wire::parse(exam.proctoring_sensitivity.name()).unwrap_or(Sensitivity::Medium);
    let rules = rules_of_org(db, s.org_id).await?;

    let tx = db.begin().await.map_err(ApiError::internal)?;
    let Some(s) = delivery::session_for_update(&tx, session_id).await? else {
        return Ok(Vec::new());
    };
    let events: Vec<EventView> = store::events_of_session(&tx, session_id)
        .await?
        .iter()
        .filter_map(event_view)
        .collect();
    let stored = store::flags_of_session(&tx, session_id).await?;
    let existing: Vec<ExistingFlag> = stored
        .iter()
        .map(|f| ExistingFlag {
            rule_id: f.rule_id.clone(),
            dedupe_key: f.dedupe_key.clone(),
            event_ids: flag_event_ids(f),
        })
        .collect();
    let drafts = select_new_flags(evaluate(&rules, sensitivity, &events), &existing);
    let mut raised = Vec::with_capacity(drafts.len());
    for d in drafts {
        let row = Flag {
            id: Uuid::now_v7(),
            org_id: s.org_id,
            session_id,
            rule_id: d.rule_id.clone(),
            dedupe_key: d.dedupe_key.clone(),
            flag_type: d.flag_type.as_str().to_owned(),
            severity: d.severity.as_str().to_owned(),
            cause: wire::name(&d.cause),
            weight: i32::try_from(d.weight).unwrap_or(i32::MAX),
            event_ids: serde_json::to_string(&d.event_ids).unwrap_or_else(|_| "[]".into()),
            first_at: d.first_at,
            last_at: d.last_at,
            description: d.description.clone(),
            created_at: now,
            resolved_by: None,
            resolved_at: None,
            resolution: None,
        };
        if store::insert_flag(&tx, &row).await? {
            raised.push(row);
        }
    }
    let views: Vec<FlagView> = stored.iter().chain(&raised).filter_map(flag_view).collect();
    let score = violation_score(&views, &rules.thresholds, sensitivity);
    let total = i32::try_from(score.total).unwrap_or(i32::MAX);
    let current: IntegrityStatus =
        wire::parse(&s.integrity_status).ok_or_else(|| ApiError::internal("bad integrity"))?;
    let integrity = IntegrityState {
        status: current,
        claimed_by: s.claimed_by,
        appealed: s.appealed_at.is_some(),
    };
    let next = if score.flagged {
        integrity.raise()
    } else {
        integrity
    };
    let changed = next.status != current;
    if total != s.violation_score || changed {
        store::set_risk(
            &tx,
            session_id,
            total,
            &s.integrity_status,
            next.status.as_str(),
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(ApiError::internal)?;

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
                integrity_status: changed.then(|| next.status.as_str().to_owned()),
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
