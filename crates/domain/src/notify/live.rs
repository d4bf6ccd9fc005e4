//! Live sessions (seed 004): scheduled live classes on an external meeting
//! service. The status moves SCHEDULED → LIVE → ENDED, or SCHEDULED →
//! CANCELLED; a participant may join while it is LIVE or from
//! [`JOIN_EARLY_MINUTES`] before a scheduled start until its planned end.

use chrono::{DateTime, Duration, Utc};

crate::stored_enum! {
    /// Where a live session is in its life.
    pub enum LiveStatus {
        Scheduled = "SCHEDULED",
        Live = "LIVE",
        Ended = "ENDED",
        Cancelled = "CANCELLED",
    }
}

crate::stored_enum! {
    /// A participant's part in a live session.
    pub enum ParticipantRole {
        Host = "HOST",
        Attendee = "ATTENDEE",
    }
}

/// What staff do to a live session's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveAction {
    Start,
    End,
    Cancel,
}

/// How early before the start a participant may join.
pub const JOIN_EARLY_MINUTES: i64 = 10;
/// Longest live session, in minutes.
pub const MAX_DURATION_MINUTES: i32 = 24 * 60;

/// A transition refused, with the reason shown to staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} live session cannot be {verb}")]
pub struct TransitionError {
    pub from: LiveStatus,
    pub verb: &'static str,
}

impl LiveAction {
    fn verb(self) -> &'static str {
        match self {
            LiveAction::Start => "started",
            LiveAction::End => "ended",
            LiveAction::Cancel => "cancelled",
        }
    }
}

/// The status after `action`, or why not.
pub fn transition(from: LiveStatus, action: LiveAction) -> Result<LiveStatus, TransitionError> {
    use LiveAction as A;
    use LiveStatus as S;
    match (from, action) {
        (S::Scheduled, A::Start) => Ok(S::Live),
        (S::Live, A::End) => Ok(S::Ended),
        (S::Scheduled, A::Cancel) => Ok(S::Cancelled),
        _ => Err(TransitionError {
            from,
            verb: action.verb(),
        }),
    }
}

/// Whether the schedule (time, duration, join URL) may still change: only
/// before it starts. Title, description and recording change any time but
/// after a cancel.
pub fn may_reschedule(status: LiveStatus) -> bool {
    status == LiveStatus::Scheduled
}

pub fn may_edit(status: LiveStatus) -> bool {
    status != LiveStatus::Cancelled
}

/// Whether a participant may join now.
pub fn may_join(
    status: LiveStatus,
    scheduled_at: DateTime<Utc>,
    duration_minutes: i32,
    now: DateTime<Utc>,
) -> bool {
    match status {
        LiveStatus::Live => true,
        LiveStatus::Scheduled => {
            let opens = scheduled_at - Duration::minutes(JOIN_EARLY_MINUTES);
            let closes = scheduled_at + Duration::minutes(i64::from(duration_minutes));
            now >= opens && now < closes
        }
        LiveStatus::Ended | LiveStatus::Cancelled => false,
    }
}

/// Whether a reminder `lead_minutes` before the start is due now: the
/// session is scheduled and starts within the lead, and has not started.
pub fn reminder_due(
    status: LiveStatus,
    scheduled_at: DateTime<Utc>,
    lead_minutes: i64,
    now: DateTime<Utc>,
) -> bool {
    status == LiveStatus::Scheduled
        && now < scheduled_at
        && scheduled_at - Duration::minutes(lead_minutes) <= now
}

/// A meeting link must be an absolute `https://` URL with a host, without
/// spaces or control characters, at most 500 characters.
pub fn is_meeting_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    url.len() <= 500
        && !host.is_empty()
        && !host.contains('@')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(m: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(m)
    }

    #[test]
    fn statuses_move_forward_only() {
        use LiveAction as A;
        use LiveStatus as S;
        assert_eq!(transition(S::Scheduled, A::Start), Ok(S::Live));
        assert_eq!(transition(S::Live, A::End), Ok(S::Ended));
        assert_eq!(transition(S::Scheduled, A::Cancel), Ok(S::Cancelled));
        let e = transition(S::Ended, A::Start).unwrap_err();
        assert_eq!(e.to_string(), "a ENDED live session cannot be started");
        assert!(transition(S::Live, A::Cancel).is_err());
        assert!(transition(S::Scheduled, A::End).is_err());
        assert!(may_reschedule(S::Scheduled) && !may_reschedule(S::Live));
        assert!(may_edit(S::Ended) && !may_edit(S::Cancelled));
    }

    #[test]
    fn joining_opens_ten_minutes_early() {
        let start = at(100);
        assert!(!may_join(LiveStatus::Scheduled, start, 60, at(89)));
        assert!(may_join(LiveStatus::Scheduled, start, 60, at(90)));
        assert!(may_join(LiveStatus::Scheduled, start, 60, at(159)));
        assert!(!may_join(LiveStatus::Scheduled, start, 60, at(160)));
        assert!(may_join(LiveStatus::Live, start, 60, at(0)));
        assert!(!may_join(LiveStatus::Ended, start, 60, at(100)));
        assert!(!may_join(LiveStatus::Cancelled, start, 60, at(100)));
    }

    #[test]
    fn reminders_fall_inside_the_lead() {
        let start = at(100);
        assert!(!reminder_due(LiveStatus::Scheduled, start, 15, at(84)));
        assert!(reminder_due(LiveStatus::Scheduled, start, 15, at(85)));
        assert!(reminder_due(LiveStatus::Scheduled, start, 15, at(99)));
        assert!(!reminder_due(LiveStatus::Scheduled, start, 15, at(100)));
        assert!(!reminder_due(LiveStatus::Cancelled, start, 15, at(90)));
    }

    #[test]
    fn meeting_urls_are_https_with_a_host() {
        assert!(is_meeting_url("https://meet.example.org/abc-def"));
        assert!(is_meeting_url("https://zoom.us/j/123?pwd=x"));
        for bad in [
            "http://meet.example.org/x",
            "https://",
            "https:///x",
            "javascript:alert(1)",
            "https://a b",
            "https://user@evil.example/",
            "/relative",
        ] {
            assert!(!is_meeting_url(bad), "{bad}");
        }
    }

    proptest! {
        /// From any status, any sequence of actions ends in a status reachable
        /// forward: never back to SCHEDULED once left.
        #[test]
        fn never_back_to_scheduled(actions in proptest::collection::vec(0u8..3, 0..10)) {
            let mut s = LiveStatus::Scheduled;
            let mut left = false;
            for a in actions {
                let a = [LiveAction::Start, LiveAction::End, LiveAction::Cancel][a as usize];
                if let Ok(next) = transition(s, a) { s = next; }
                left |= s != LiveStatus::Scheduled;
                prop_assert!(!(left && s == LiveStatus::Scheduled));
            }
        }
    }
}
