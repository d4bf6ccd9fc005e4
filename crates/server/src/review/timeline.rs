//! One session's timeline for its reviewer: lifecycle, proctoring events,
//! flags (with the events behind each and their points), answer saves,
//! proctor actions, evidence frames (ids, never bytes) and review steps, in
//! time order.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::proctoring::{
    Cause, EventSource, EventType, FlagSeverity, FlagType, FlagView, Sensitivity, default_rules,
    violation_score,
};
use invigil_domain::review::{DecisionType, ImageType};
use invigil_store::delivery;
use invigil_store::proctoring::{self as proctoring_store, evidence as frames};

use super::service::ReviewView;
use super::staff_session;
use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::proctoring::risk::flag_view;
use crate::state::AppState;

/// The audit entries a timeline shows as review steps.
const REVIEW_STEPS: [AuditAction; 5] = [
    AuditAction::ReviewClaimed,
    AuditAction::ReviewReleased,
    AuditAction::ReviewDecided,
    AuditAction::ReviewAppealed,
    AuditAction::ReviewReopened,
];

/// A session's start and end on its timeline.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lifecycle {
    Started,
    Finished,
}

/// What happened, when.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimelineItem {
    /// STARTED or FINISHED (with the delivery status it ended in).
    Session {
        at: DateTime<Utc>,
        #[schema(value_type = String)]
        what: Lifecycle,
        status: Option<String>,
    },
    /// A proctoring event (LAPTOP, MOBILE or SYSTEM).
    Event {
        at: DateTime<Utc>,
        id: Uuid,
        #[schema(value_type = String)]
        source: EventSource,
        #[serde(rename = "type")]
        #[schema(value_type = String)]
        event_type: EventType,
        severity: i32,
        received_at: DateTime<Utc>,
        #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
        meta: Option<serde_json::Value>,
        frame_id: Option<Uuid>,
    },
    /// A flag of the risk engine, at its first event.
    Flag {
        at: DateTime<Utc>,
        id: Uuid,
        #[schema(value_type = String)]
        flag_type: FlagType,
        #[schema(value_type = String)]
        severity: FlagSeverity,
        #[schema(value_type = String)]
        cause: Cause,
        rule_id: String,
        description: String,
        /// The events that raised it.
        event_ids: Vec<Uuid>,
        first_at: DateTime<Utc>,
        last_at: DateTime<Utc>,
        /// Its part of the violation score, and why.
        points: u32,
        reason: String,
        resolved_by: Option<Uuid>,
        resolved_at: Option<DateTime<Utc>>,
        #[schema(value_type = Option<String>)]
        resolution: Option<DecisionType>,
    },
    /// The last save of an answer.
    Answer {
        at: DateTime<Utc>,
        question_id: Uuid,
        position: Option<i32>,
        revision: i64,
    },
    /// WARN, PAUSE, RESUME, EXTEND_TIME or TERMINATE by a proctor.
    AdminAction {
        at: DateTime<Utc>,
        id: Uuid,
        actor_id: Uuid,
        #[serde(rename = "type")]
        action_type: String,
        reason: String,
        minutes: Option<i32>,
    },
    /// An evidence frame; `GET .../frames/{id}` shows it (audited).
    Frame {
        at: DateTime<Utc>,
        id: Uuid,
        #[schema(value_type = String)]
        source: EventSource,
        #[schema(value_type = String)]
        content_type: ImageType,
        size: i64,
        purged: bool,
    },
    /// A review step from the audit log (claimed, released, decided,
    /// appealed, reopened).
    Review {
        at: DateTime<Utc>,
        action: String,
        actor_id: Option<Uuid>,
        #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
        details: serde_json::Value,
    },
}

impl TimelineItem {
    fn at(&self) -> DateTime<Utc> {
        match self {
            TimelineItem::Session { at, .. }
            | TimelineItem::Event { at, .. }
            | TimelineItem::Flag { at, .. }
            | TimelineItem::Answer { at, .. }
            | TimelineItem::AdminAction { at, .. }
            | TimelineItem::Frame { at, .. }
            | TimelineItem::Review { at, .. } => *at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub session: ReviewView,
    /// Sum of the flags' points (the stored `violation_score` is the risk
    /// engine's, computed with the organization's rules).
    pub flag_points: u32,
    pub items: Vec<TimelineItem>,
}

/// The timeline of a session (PROCTOR_REVIEWER on the exam's department).
pub async fn timeline(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
) -> Result<Timeline, ApiError> {
    let (s, _exam, auth) = staff_session(state, ctx, session_id, Action::ReviewSessions).await?;
    let conn = state.db.read();
    let mut items = vec![TimelineItem::Session {
        at: s.started_at,
        what: Lifecycle::Started,
        status: None,
    }];
    if let Some(f) = s.finished_at {
        items.push(TimelineItem::Session {
            at: f,
            what: Lifecycle::Finished,
            status: Some(s.status.to_string()),
        });
    }
    for e in proctoring_store::events_of_session(conn, s.id).await? {
        items.push(TimelineItem::Event {
            at: e.occurred_at,
            id: e.id,
            source: e.source,
            event_type: e.event_type,
            severity: e.severity,
            received_at: e.received_at,
            meta: e.meta.map(|m| serde_json::Value::Object(m.0)),
            frame_id: e.frame_id,
        });
    }
    let flags = proctoring_store::flags_of_session(conn, s.id).await?;
    let views: Vec<FlagView> = flags.iter().map(flag_view).collect();
    // Parts do not depend on the threshold; the defaults only fill the type.
    let score = violation_score(&views, &default_rules().thresholds, Sensitivity::Medium);
    for f in flags {
        let part = score.parts.iter().find(|p| p.flag_ref == f.id.to_string());
        items.push(TimelineItem::Flag {
            at: f.first_at,
            id: f.id,
            event_ids: f.event_ids.0,
            points: part.map_or(0, |p| p.points),
            reason: part.map(|p| p.reason.clone()).unwrap_or_default(),
            flag_type: f.flag_type,
            severity: f.severity,
            cause: f.cause,
            rule_id: f.rule_id,
            description: f.description,
            first_at: f.first_at,
            last_at: f.last_at,
            resolved_by: f.resolved_by,
            resolved_at: f.resolved_at,
            resolution: f.resolution,
        });
    }
    let served = delivery::served(conn, s.id).await?;
    for a in delivery::answers(conn, s.id).await? {
        // Revision -1 rows are grading placeholders, not saves.
        if a.revision < 0 {
            continue;
        }
        items.push(TimelineItem::Answer {
            at: a.saved_at,
            question_id: a.question_id,
            position: served
                .iter()
                .find(|q| q.question_id == a.question_id)
                .map(|q| q.position),
            revision: a.revision,
        });
    }
    for a in delivery::admin_actions(conn, s.id).await? {
        items.push(TimelineItem::AdminAction {
            at: a.created_at,
            id: a.id,
            actor_id: a.actor_id,
            action_type: a.action_type.to_string(),
            reason: a.reason,
            minutes: a.minutes,
        });
    }
    for f in frames::frames_of_session(conn, s.id).await? {
        items.push(TimelineItem::Frame {
            at: f.captured_at,
            id: f.id,
            source: f.source,
            content_type: f.content_type,
            size: f.size,
            purged: f.purged_at.is_some(),
        });
    }
    let filter = invigil_store::audit::Filter {
        resource_type: Some(AuditAction::ReviewClaimed.resource_type().into()),
        resource_id: Some(s.id.to_string()),
        ..Default::default()
    };
    invigil_store::audit::link_pending(&state.db).await?;
    for e in invigil_store::audit::list(conn, auth.org_id, &filter, None, 1000).await? {
        if !REVIEW_STEPS.iter().any(|a| a.name() == e.action) {
            continue;
        }
        let details = serde_json::from_str(&e.details).map_err(|err| {
            ApiError::internal(format!("audit entry {}: details are not JSON: {err}", e.id))
        })?;
        items.push(TimelineItem::Review {
            at: e.created_at,
            action: e.action,
            actor_id: e.actor_id,
            details,
        });
    }
    // Stable: equal times keep the order above (lifecycle, events, flags, ...).
    items.sort_by_key(TimelineItem::at);
    let session = super::service::views_of(state, auth.org_id, vec![s])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    Ok(Timeline {
        session,
        flag_points: score.total,
        items,
    })
}
