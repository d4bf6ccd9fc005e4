//! Every default rule fires exactly at its threshold, at every sensitivity, citing exactly the
//! events behind it.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use invigil_domain::proctoring::rules::{Condition, EpisodeEnd};
use invigil_domain::proctoring::{
    EventSeverity, EventSource, EventType, EventView, FlagDraft, RuleSet, Sensitivity,
    default_rules, evaluate, validate_rules,
};
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn ev(n: u128, ty: EventType, src: EventSource, at_ms: i64) -> EventView {
    EventView {
        id: Uuid::from_u128(n),
        source: src,
        event_type: ty,
        severity: ty.default_severity(),
        occurred_at: t0() + TimeDelta::milliseconds(at_ms),
        meta: None,
    }
}

fn only(rule_id: &str) -> RuleSet {
    let mut set = default_rules();
    set.rules.retain(|r| r.id == rule_id);
    assert_eq!(set.rules.len(), 1, "{rule_id}");
    set
}

/// `n` events spread evenly over `span_ms` (the first at 0, the last at `span_ms`).
fn spread(first_id: u128, n: u32, span_ms: i64, ty: EventType, src: EventSource) -> Vec<EventView> {
    (0..n)
        .map(|i| {
            let at = if n > 1 {
                span_ms * i64::from(i) / i64::from(n - 1)
            } else {
                0
            };
            ev(first_id + u128::from(i), ty, src, at)
        })
        .collect()
}

fn ids(evs: &[EventView]) -> Vec<Uuid> {
    evs.iter().map(|e| e.id).collect()
}

fn one_flag(flags: &[FlagDraft]) -> &FlagDraft {
    assert_eq!(flags.len(), 1, "{flags:#?}");
    &flags[0]
}

#[test]
fn default_rules_are_valid() {
    validate_rules(&default_rules()).unwrap();
}

#[test]
fn count_rules_fire_at_more_than_k_within_w() {
    let set = default_rules();
    let mut checked = 0;
    for rule in &set.rules {
        let Condition::CountInWindow {
            event_type,
            source,
            params,
        } = &rule.condition
        else {
            continue;
        };
        let src = source.unwrap_or(EventSource::Laptop);
        let single = only(&rule.id);
        for &s in Sensitivity::ALL {
            let Some(p) = params.get(s) else {
                assert!(evaluate(&single, s, &spread(1, 50, 1000, *event_type, src)).is_empty());
                continue;
            };
            let w = i64::from(p.within_secs) * 1000;
            let k = p.more_than;
            // k events within the window: nothing.
            if k > 0 {
                let evs = spread(1, k, w, *event_type, src);
                assert!(evaluate(&single, s, &evs).is_empty(), "{} {s:?} k", rule.id);
            }
            // k + 1 events spanning exactly the window: one flag citing all of them.
            let evs = spread(1, k + 1, w, *event_type, src);
            let flags = evaluate(&single, s, &evs);
            let f = one_flag(&flags);
            assert_eq!(f.event_ids, ids(&evs), "{} {s:?}", rule.id);
            assert_eq!(f.rule_id, rule.id);
            assert_eq!(f.flag_type, rule.flag_type);
            assert_eq!(f.dedupe_key, format!("{}:{}", rule.id, Uuid::from_u128(1)));
            assert!(f.description.contains(&format!("{} times", k + 1)) || k == 0);
            assert!(
                f.description
                    .contains(&format!("limit: {k} within {}", p.within_secs))
            );
            // k + 1 events spanning one second more than the window: nothing.
            if k > 0 {
                let evs = spread(1, k + 1, w + 1000, *event_type, src);
                assert!(
                    evaluate(&single, s, &evs).is_empty(),
                    "{} {s:?} w+1",
                    rule.id
                );
            }
            // Events of another source do not count for a source-filtered rule.
            if source.is_some() {
                let evs = spread(1, k + 1, w, *event_type, EventSource::Mobile);
                assert!(evaluate(&single, s, &evs).is_empty());
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked}");
}

#[test]
fn tab_switch_medium_example() {
    let set = only("tab_switch_burst");
    let evs = spread(10, 4, 95_000, EventType::TabSwitch, EventSource::Laptop);
    let flags = evaluate(&set, Sensitivity::Medium, &evs);
    assert_eq!(
        one_flag(&flags).description,
        "TAB_SWITCH 4 times in 95 s (limit: 3 within 300 s)"
    );
    assert!(evaluate(&set, Sensitivity::Medium, &evs[..3]).is_empty());
    assert!(evaluate(&set, Sensitivity::Low, &evs).is_empty());
    assert_eq!(evaluate(&set, Sensitivity::High, &evs).len(), 1);
}

#[test]
fn two_separate_bursts_make_two_flags() {
    let set = only("copy_paste_burst");
    // HIGH: more than 1 within 60 s. Pairs 10 minutes apart.
    let mut evs = spread(1, 2, 1000, EventType::CopyPaste, EventSource::Laptop);
    evs.extend(
        spread(3, 2, 1000, EventType::CopyPaste, EventSource::Laptop)
            .into_iter()
            .map(|mut e| {
                e.occurred_at += TimeDelta::minutes(10);
                e
            }),
    );
    let flags = evaluate(&set, Sensitivity::High, &evs);
    assert_eq!(flags.len(), 2);
    assert_eq!(flags[0].event_ids, ids(&evs[..2]));
    assert_eq!(flags[1].event_ids, ids(&evs[2..]));
}

#[test]
fn gap_duration_rules_fire_strictly_longer_than_s() {
    let set = default_rules();
    let mut checked = 0;
    for rule in &set.rules {
        let Condition::Duration {
            event_type,
            end: EpisodeEnd::Gap { gap_secs },
            params,
            ..
        } = &rule.condition
        else {
            continue;
        };
        let single = only(&rule.id);
        for &s in Sensitivity::ALL {
            let Some(p) = params.get(s) else { continue };
            let secs = i64::from(p.longer_than_secs);
            let src = EventSource::Mobile;
            let every_second = |last: i64| -> Vec<EventView> {
                (0..=last)
                    .map(|i| ev(100 + i as u128, *event_type, src, i * 1000))
                    .collect()
            };
            assert!(evaluate(&single, s, &every_second(secs - 1)).is_empty());
            assert!(evaluate(&single, s, &every_second(secs)).is_empty());
            let evs = every_second(secs + 1);
            let flags = evaluate(&single, s, &evs);
            let f = one_flag(&flags);
            assert_eq!(f.event_ids, ids(&evs));
            assert_eq!(
                f.description,
                format!(
                    "{event_type} for {} s (limit: longer than {secs} s)",
                    secs + 1
                )
            );
            // One event carrying meta.duration_ms.
            let mut one = ev(1, *event_type, src, 0);
            one.meta = Some(serde_json::json!({"duration_ms": (secs - 1) * 1000}));
            assert!(evaluate(&single, s, &[one.clone()]).is_empty());
            one.meta = Some(serde_json::json!({"duration_ms": (secs + 1) * 1000}));
            assert_eq!(evaluate(&single, s, &[one]).len(), 1);
            // A gap longer than gap_secs splits the episode in two short ones.
            let half = secs / 2 + 1;
            let gap = i64::from(*gap_secs) * 1000 + 1;
            let split = vec![
                ev(1, *event_type, src, 0),
                ev(2, *event_type, src, half * 1000),
                ev(3, *event_type, src, half * 1000 + gap),
                ev(4, *event_type, src, half * 2000 + gap),
            ];
            assert!(evaluate(&single, s, &split).is_empty(), "{} {s:?}", rule.id);
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn network_offline_episode_ends_at_network_online() {
    let set = only("network_offline_long");
    for (s, secs) in [
        (Sensitivity::Low, 300),
        (Sensitivity::Medium, 120),
        (Sensitivity::High, 60),
    ] {
        let off = ev(1, EventType::NetworkOffline, EventSource::Laptop, 0);
        let on = |at: i64| ev(2, EventType::NetworkOnline, EventSource::Laptop, at * 1000);
        assert!(evaluate(&set, s, &[off.clone(), on(secs - 1)]).is_empty());
        assert!(evaluate(&set, s, &[off.clone(), on(secs)]).is_empty());
        let flags = evaluate(&set, s, &[on(secs + 1), off.clone()]);
        let f = one_flag(&flags);
        assert_eq!(f.event_ids, vec![Uuid::from_u128(1), Uuid::from_u128(2)]);
        assert_eq!(f.cause, invigil_domain::proctoring::Cause::Technical);
        // Still offline: measured to the latest event of the session.
        let later = ev(
            3,
            EventType::TabSwitch,
            EventSource::Laptop,
            (secs + 1) * 1000,
        );
        let flags = evaluate(&set, s, &[off.clone(), later]);
        let f = one_flag(&flags);
        assert_eq!(f.event_ids, vec![Uuid::from_u128(1)]);
        assert!(f.description.contains("still ongoing"), "{}", f.description);
        // An ONLINE before any OFFLINE is ignored.
        let early_on = ev(0, EventType::NetworkOnline, EventSource::Laptop, -5000);
        assert!(evaluate(&set, s, &[early_on, off.clone(), on(secs - 1)]).is_empty());
    }
}

#[test]
fn any_rules_fire_from_min_severity() {
    let set = default_rules();
    let mut checked = 0;
    for rule in &set.rules {
        let Condition::Any {
            event_types,
            params,
            ..
        } = &rule.condition
        else {
            continue;
        };
        let single = only(&rule.id);
        for &s in Sensitivity::ALL {
            let Some(p) = params.get(s) else { continue };
            let ty = event_types[0];
            let mut e = ev(7, ty, EventSource::Mobile, 0);
            e.severity = EventSeverity::new(i64::from(p.min_severity)).unwrap();
            let flags = evaluate(&single, s, &[e.clone()]);
            assert_eq!(one_flag(&flags).event_ids, vec![e.id], "{} {s:?}", rule.id);
            if p.min_severity > 1 {
                e.severity = EventSeverity::new(i64::from(p.min_severity) - 1).unwrap();
                assert!(evaluate(&single, s, &[e.clone()]).is_empty());
            }
            // Within merge_within_secs: one flag; one second more apart: two flags.
            let m = i64::from(p.merge_within_secs) * 1000;
            let mut a = ev(1, ty, EventSource::Laptop, 0);
            let mut b = ev(2, ty, EventSource::Laptop, m);
            a.severity = EventSeverity::new(10).unwrap();
            b.severity = a.severity;
            assert_eq!(evaluate(&single, s, &[a.clone(), b.clone()]).len(), 1);
            b.occurred_at += TimeDelta::seconds(1);
            assert_eq!(evaluate(&single, s, &[a, b]).len(), 2);
            checked += 1;
        }
    }
    assert_eq!(checked, 15);
}

#[test]
fn phone_heartbeat_missed_at_least_n() {
    let set = only("phone_heartbeat_missed");
    for (s, n, w) in [
        (Sensitivity::Low, 6, 600),
        (Sensitivity::Medium, 3, 300),
        (Sensitivity::High, 2, 300),
    ] {
        let hb = EventType::HeartbeatMissed;
        let evs = spread(1, n - 1, w * 1000, hb, EventSource::Mobile);
        assert!(evaluate(&set, s, &evs).is_empty());
        let evs = spread(1, n, w * 1000, hb, EventSource::Mobile);
        let flags = evaluate(&set, s, &evs);
        assert_eq!(one_flag(&flags).event_ids, ids(&evs));
        assert!(flags[0].description.starts_with("MOBILE heartbeat missed"));
        // Recorded by the server's watchdog as SYSTEM with meta.device = MOBILE.
        let mut sys = spread(1, n, w * 1000, hb, EventSource::System);
        for e in &mut sys {
            e.meta = Some(serde_json::json!({"device": "MOBILE"}));
        }
        assert_eq!(evaluate(&set, s, &sys).len(), 1);
        // The laptop's missed heartbeats are not the phone's.
        let evs = spread(1, n + 3, 1000, hb, EventSource::Laptop);
        assert!(evaluate(&set, s, &evs).is_empty());
        let evs = spread(1, n, w * 1000 + 1000, hb, EventSource::Mobile);
        assert!(evaluate(&set, s, &evs).is_empty());
    }
}

#[test]
fn flags_cite_only_their_events() {
    let set = default_rules();
    let evs = vec![
        ev(1, EventType::TabSwitch, EventSource::Laptop, 0),
        ev(2, EventType::PhoneDetected, EventSource::Mobile, 500),
        ev(3, EventType::TabSwitch, EventSource::Laptop, 1000),
        ev(4, EventType::TabSwitch, EventSource::Mobile, 1500),
        ev(5, EventType::WindowBlur, EventSource::Laptop, 1700),
        ev(6, EventType::TabSwitch, EventSource::Laptop, 2000),
        ev(7, EventType::TabSwitch, EventSource::Laptop, 3000),
        ev(8, EventType::NetworkOnline, EventSource::Laptop, 3500),
    ];
    let flags = evaluate(&set, Sensitivity::Medium, &evs);
    assert_eq!(flags.len(), 2, "{flags:#?}");
    let phone = flags
        .iter()
        .find(|f| f.rule_id == "phone_detected")
        .unwrap();
    assert_eq!(phone.event_ids, vec![Uuid::from_u128(2)]);
    let tab = flags
        .iter()
        .find(|f| f.rule_id == "tab_switch_burst")
        .unwrap();
    let want: Vec<Uuid> = [1, 3, 6, 7].into_iter().map(Uuid::from_u128).collect();
    assert_eq!(tab.event_ids, want);
    assert_eq!(tab.first_at, t0());
    assert_eq!(tab.last_at, t0() + TimeDelta::seconds(3));
}

#[test]
fn empty_input_and_unapplied_sensitivity_give_no_flags() {
    let set = default_rules();
    for &s in Sensitivity::ALL {
        assert!(evaluate(&set, s, &[]).is_empty());
    }
    let evs = spread(1, 20, 10_000, EventType::AudioDetected, EventSource::Laptop);
    assert!(evaluate(&only("audio_detected_burst"), Sensitivity::Low, &evs).is_empty());
}

#[test]
fn readme_table_lists_every_default_rule() {
    let readme = include_str!("../src/proctoring/README.md");
    let set = default_rules();
    for rule in &set.rules {
        let line = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", rule.id)))
            .unwrap_or_else(|| panic!("{} missing from README", rule.id));
        let cause = serde_json::to_value(rule.cause).unwrap();
        let tail = format!(
            "| {} | {} | {} | {} |",
            rule.flag_type,
            rule.severity,
            cause.as_str().unwrap(),
            rule.weight
        );
        assert!(line.ends_with(&tail), "{line}\n{tail}");
    }
    let t = set.thresholds;
    assert!(readme.contains(&format!(
        "Thresholds: LOW {}, MEDIUM {}, HIGH {}.",
        t.low, t.medium, t.high
    )));
}

#[test]
fn extreme_times_do_not_panic() {
    let mut e = ev(1, EventType::NoFaceDetected, EventSource::Mobile, 0);
    e.occurred_at = DateTime::<Utc>::MAX_UTC;
    e.meta = Some(serde_json::json!({"duration_ms": 86_400_000u64, "device": 7}));
    let mut f = e.clone();
    f.id = Uuid::from_u128(2);
    f.occurred_at = DateTime::<Utc>::MIN_UTC;
    for &s in Sensitivity::ALL {
        let _ = evaluate(&default_rules(), s, &[e.clone(), f.clone()]);
    }
}
