//! The default rule set (documented as a table in `../README.md`; keep the two in step).

use super::{
    AnyParams, Cause, Condition, CountParams, DurationParams, EpisodeEnd, PerSensitivity,
    QuietParams, Rule, RuleSet, Thresholds,
};
use crate::proctoring::event::{EventSource, EventType, FlagSeverity, FlagType};

fn per<T>(low: Option<T>, medium: Option<T>, high: Option<T>) -> PerSensitivity<T> {
    PerSensitivity { low, medium, high }
}

fn count(more_than: u32, within_secs: u32) -> Option<CountParams> {
    Some(CountParams {
        more_than,
        within_secs,
    })
}

fn longer(secs: u32) -> Option<DurationParams> {
    Some(DurationParams {
        longer_than_secs: secs,
    })
}

fn any(min_severity: u8, merge_within_secs: u32) -> Option<AnyParams> {
    Some(AnyParams {
        min_severity,
        merge_within_secs,
    })
}

fn quiet(at_least: u32, within_secs: u32) -> Option<QuietParams> {
    Some(QuietParams {
        at_least,
        within_secs,
    })
}

fn rule(
    id: &str,
    condition: Condition,
    flag_type: FlagType,
    severity: FlagSeverity,
    cause: Cause,
    weight: u32,
) -> Rule {
    Rule {
        id: id.to_owned(),
        condition,
        flag_type,
        severity,
        cause,
        weight,
    }
}

fn count_rule(
    event_type: EventType,
    source: Option<EventSource>,
    params: PerSensitivity<CountParams>,
) -> Condition {
    Condition::CountInWindow {
        event_type,
        source,
        params,
    }
}

fn any_rule(event_type: EventType, params: PerSensitivity<AnyParams>) -> Condition {
    Condition::Any {
        event_types: vec![event_type],
        source: None,
        params,
    }
}

fn gap_rule(event_type: EventType, params: PerSensitivity<DurationParams>) -> Condition {
    Condition::Duration {
        event_type,
        source: None,
        end: EpisodeEnd::Gap { gap_secs: 5 },
        params,
    }
}

/// The built-in rules used when an organization has not configured its own. HIGH is the
/// strictest (smaller counts, shorter durations, lower score threshold).
pub fn default_rules() -> RuleSet {
    use Cause::{Behavioural, Technical};
    use FlagSeverity as S;
    let laptop = Some(EventSource::Laptop);
    let rules = vec![
        rule(
            "tab_switch_burst",
            count_rule(
                EventType::TabSwitch,
                laptop,
                per(count(5, 300), count(3, 300), count(1, 300)),
            ),
            FlagType::TabSwitch,
            S::Medium,
            Behavioural,
            10,
        ),
        rule(
            "window_blur_burst",
            count_rule(
                EventType::WindowBlur,
                laptop,
                per(count(10, 300), count(6, 300), count(3, 300)),
            ),
            FlagType::TabSwitch,
            S::Low,
            Behavioural,
            10,
        ),
        rule(
            "fullscreen_exit_burst",
            count_rule(
                EventType::FullscreenExit,
                laptop,
                per(count(5, 600), count(2, 600), count(0, 600)),
            ),
            FlagType::SuspiciousActivity,
            S::Low,
            Behavioural,
            10,
        ),
        rule(
            "copy_paste_burst",
            count_rule(
                EventType::CopyPaste,
                laptop,
                per(count(5, 60), count(3, 60), count(1, 60)),
            ),
            FlagType::CopyPaste,
            S::Medium,
            Behavioural,
            10,
        ),
        rule(
            "audio_detected_burst",
            count_rule(
                EventType::AudioDetected,
                None,
                per(None, count(5, 300), count(2, 300)),
            ),
            FlagType::SuspiciousActivity,
            S::Low,
            Behavioural,
            10,
        ),
        rule(
            "no_face_long",
            gap_rule(
                EventType::NoFaceDetected,
                per(longer(30), longer(15), longer(5)),
            ),
            FlagType::NoFaceDetected,
            S::Medium,
            Behavioural,
            15,
        ),
        rule(
            "looking_away_long",
            gap_rule(
                EventType::LookingAway,
                per(longer(60), longer(20), longer(10)),
            ),
            FlagType::LookingAway,
            S::Low,
            Behavioural,
            10,
        ),
        rule(
            "multiple_faces",
            any_rule(
                EventType::MultipleFaces,
                per(any(5, 30), any(1, 30), any(1, 30)),
            ),
            FlagType::MultipleFaces,
            S::High,
            Behavioural,
            35,
        ),
        rule(
            "phone_detected",
            any_rule(
                EventType::PhoneDetected,
                per(any(5, 30), any(1, 30), any(1, 30)),
            ),
            FlagType::PhoneDetected,
            S::High,
            Behavioural,
            35,
        ),
        rule(
            "screenshot_attempt",
            any_rule(
                EventType::ScreenshotAttempt,
                per(any(1, 10), any(1, 10), any(1, 10)),
            ),
            FlagType::ScreenshotAttempt,
            S::Medium,
            Behavioural,
            15,
        ),
        rule(
            "second_device_login",
            any_rule(
                EventType::SecondDeviceLogin,
                per(any(1, 0), any(1, 0), any(1, 0)),
            ),
            FlagType::SuspiciousActivity,
            S::High,
            Behavioural,
            35,
        ),
        rule(
            "suspicious_activity",
            any_rule(
                EventType::SuspiciousActivity,
                per(any(9, 60), any(7, 60), any(5, 60)),
            ),
            FlagType::SuspiciousActivity,
            S::Medium,
            Behavioural,
            15,
        ),
        rule(
            "phone_heartbeat_missed",
            Condition::SourceQuiet {
                source: EventSource::Mobile,
                params: per(quiet(6, 600), quiet(3, 300), quiet(2, 300)),
            },
            FlagType::Other,
            S::Low,
            Technical,
            10,
        ),
        rule(
            "network_offline_long",
            Condition::Duration {
                event_type: EventType::NetworkOffline,
                source: None,
                end: EpisodeEnd::Event {
                    event_type: EventType::NetworkOnline,
                },
                params: per(longer(300), longer(120), longer(60)),
            },
            FlagType::Other,
            S::Medium,
            Technical,
            10,
        ),
        rule(
            "device_disconnected_burst",
            count_rule(
                EventType::DeviceDisconnected,
                None,
                per(count(3, 600), count(2, 600), count(1, 600)),
            ),
            FlagType::Other,
            S::Low,
            Technical,
            10,
        ),
    ];
    RuleSet {
        rules,
        thresholds: Thresholds {
            low: 100,
            medium: 50,
            high: 25,
        },
    }
}
