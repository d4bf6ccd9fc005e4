//! Bodies and answers of the live session routes.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::notify::live::{JOIN_EARLY_MINUTES, LiveStatus, ParticipantRole};
use invigil_store::identity::users::User;
use invigil_store::live::{LiveSession, Participant};

use crate::tenancy::service::double_option;

/// Schedule a live class of a course.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveSessionBody {
    pub title: String,
    /// Markdown.
    pub description: Option<String>,
    /// When it starts (RFC 3339); in the future.
    pub scheduled_at: DateTime<Utc>,
    /// 1 to 1440.
    pub duration_minutes: i64,
    /// The meeting link (an `https://` URL of the meeting service).
    pub join_url: String,
    /// An `https://` link to the recording, once there is one.
    pub recording_url: Option<String>,
}

/// Change a live class: title, description and recording any time but
/// after a cancel; time, duration and link only before it starts.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveSessionPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub duration_minutes: Option<i64>,
    pub join_url: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub recording_url: Option<Option<String>>,
}

/// Participants to add: learners enrolled in the course.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsBody {
    /// At most 500 user ids.
    pub user_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantsAdded {
    /// How many became participants (those already in are skipped).
    pub added: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ParticipantQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// Only the participants who joined (the attendance list).
    pub attended: Option<bool>,
}

/// A live class.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveSessionView {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The organization's slug, for the `/orgs/{org}/...` routes (in
    /// `/me/live-sessions`).
    pub org_slug: Option<String>,
    pub course_id: Option<Uuid>,
    /// The course's title (in `/me/live-sessions`).
    pub course_title: Option<String>,
    pub host_id: Uuid,
    pub title: String,
    /// Markdown as written.
    pub description: Option<String>,
    pub scheduled_at: DateTime<Utc>,
    pub duration_minutes: i32,
    /// `scheduled_at` + the duration.
    pub ends_at: DateTime<Utc>,
    /// From when participants may join (while SCHEDULED).
    pub join_opens_at: DateTime<Utc>,
    #[schema(value_type = String, example = "SCHEDULED")]
    pub status: LiveStatus,
    /// The meeting link: shown to staff; participants get it from `join`.
    pub join_url: Option<String>,
    pub recording_url: Option<String>,
    /// Staff: how many participants, and how many of them joined.
    pub participants: Option<u64>,
    pub attended: Option<u64>,
    /// A participant: whether they joined, and when first.
    pub joined_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl LiveSessionView {
    /// The participant's view: no link, their own attendance.
    pub fn for_participant(s: &LiveSession, me: Option<&Participant>) -> Self {
        LiveSessionView {
            id: s.id,
            org_id: s.org_id,
            org_slug: None,
            course_id: s.course_id,
            course_title: None,
            host_id: s.host_id,
            title: s.title.clone(),
            description: s.description.clone(),
            scheduled_at: s.scheduled_at,
            duration_minutes: s.duration_minutes,
            ends_at: s.scheduled_at + Duration::minutes(i64::from(s.duration_minutes)),
            join_opens_at: s.scheduled_at - Duration::minutes(JOIN_EARLY_MINUTES),
            status: s.status,
            join_url: None,
            recording_url: s.recording_url.clone(),
            participants: None,
            attended: None,
            joined_at: me.and_then(|p| p.joined_at),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }

    /// Staff's view: the link and the attendance counts.
    pub fn for_staff(s: &LiveSession, counts: (u64, u64)) -> Self {
        LiveSessionView {
            join_url: Some(s.join_url.clone()),
            participants: Some(counts.0),
            attended: Some(counts.1),
            ..Self::for_participant(s, None)
        }
    }
}

/// A participant with their attendance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantView {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    #[schema(value_type = String, example = "ATTENDEE")]
    pub role: ParticipantRole,
    /// When they first joined.
    pub joined_at: Option<DateTime<Utc>>,
    /// When they last left (cleared when they join again).
    pub left_at: Option<DateTime<Utc>>,
    pub attended: bool,
    /// When the reminder went out.
    pub reminded_at: Option<DateTime<Utc>>,
}

impl ParticipantView {
    pub fn of(p: &Participant, user: Option<&User>) -> Self {
        ParticipantView {
            user_id: p.user_id,
            name: user.map(|u| u.name.clone()).unwrap_or_default(),
            email: user.map(|u| u.email.clone()).unwrap_or_default(),
            role: p.role,
            joined_at: p.joined_at,
            left_at: p.left_at,
            attended: p.attended,
            reminded_at: p.reminded_at,
        }
    }
}

/// The answer to a join: where the meeting is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JoinView {
    pub join_url: String,
    pub joined_at: DateTime<Utc>,
}
