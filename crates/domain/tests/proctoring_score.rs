//! Violation score explainability, order independence and idempotent re-evaluation.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use invigil_domain::proctoring::rules::Thresholds;
use invigil_domain::proctoring::{
    Cause, EventSeverity, EventSource, EventType, EventView, ExistingFlag, FlagSeverity, FlagView,
    RuleSet, Sensitivity, default_rules, evaluate, select_new_flags, validate_rules,
    violation_score,
};
use proptest::prelude::*;
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

fn flag(rule: &str, severity: FlagSeverity, cause: Cause, weight: u32) -> FlagView {
    FlagView {
        flag_ref: format!("{rule}:x"),
        rule_id: rule.into(),
        severity,
        cause,
        weight,
    }
}

fn thresholds() -> Thresholds {
    default_rules().thresholds
}

#[test]
fn formula_and_parts() {
    let flags = vec![
        flag(
            "tab_switch_burst",
            FlagSeverity::Medium,
            Cause::Behavioural,
            10,
        ),
        flag(
            "phone_heartbeat_missed",
            FlagSeverity::Low,
            Cause::Technical,
            10,
        ),
        flag("phone_detected", FlagSeverity::High, Cause::Behavioural, 35),
        flag(
            "network_offline_long",
            FlagSeverity::Medium,
            Cause::Technical,
            10,
        ),
        flag("odd", FlagSeverity::Low, Cause::Technical, 3),
    ];
    let s = violation_score(&flags, &thresholds(), Sensitivity::Medium);
    let points: Vec<u32> = s.parts.iter().map(|p| p.points).collect();
    assert_eq!(points, [20, 5, 105, 10, 1]);
    assert_eq!(s.total, 141);
    assert_eq!(s.total, s.parts.iter().map(|p| p.points).sum::<u32>());
    assert_eq!(s.threshold, 50);
    assert!(s.flagged);
    assert_eq!(
        s.parts[0].reason,
        "tab_switch_burst: weight 10 × MEDIUM 2 × BEHAVIOURAL 100% = 20"
    );
    assert_eq!(s.parts[1].flag_ref, "phone_heartbeat_missed:x");
}

#[test]
fn technical_weighs_less_than_behavioural() {
    for sev in [FlagSeverity::Low, FlagSeverity::Medium, FlagSeverity::High] {
        let t = violation_score(
            &[flag("r", sev, Cause::Technical, 10)],
            &thresholds(),
            Sensitivity::High,
        );
        let b = violation_score(
            &[flag("r", sev, Cause::Behavioural, 10)],
            &thresholds(),
            Sensitivity::High,
        );
        assert!(t.total < b.total);
    }
}

#[test]
fn flagged_exactly_at_threshold() {
    let th = Thresholds {
        low: 20,
        medium: 20,
        high: 21,
    };
    let flags = [flag("r", FlagSeverity::Medium, Cause::Behavioural, 10)]; // 20 points
    assert!(violation_score(&flags, &th, Sensitivity::Low).flagged);
    assert!(!violation_score(&flags, &th, Sensitivity::High).flagged);
    let none = violation_score(&[], &th, Sensitivity::Low);
    assert_eq!((none.total, none.flagged), (0, false));
}

#[test]
fn default_thresholds_one_phone_flags_every_sensitivity() {
    let set = default_rules();
    let phone = ev(1, EventType::PhoneDetected, EventSource::Mobile, 0);
    for &s in Sensitivity::ALL {
        let drafts = evaluate(&set, s, std::slice::from_ref(&phone));
        let views: Vec<FlagView> = drafts.iter().map(FlagView::from).collect();
        let score = violation_score(&views, &set.thresholds, s);
        assert!(score.flagged, "{s:?} {score:?}");
        // A single technical flag never does.
        let hb: Vec<EventView> = (0..6)
            .map(|i| {
                ev(
                    10 + i,
                    EventType::HeartbeatMissed,
                    EventSource::Mobile,
                    i as i64 * 1000,
                )
            })
            .collect();
        let drafts = evaluate(&set, s, &hb);
        assert_eq!(drafts.len(), 1);
        let views: Vec<FlagView> = drafts.iter().map(FlagView::from).collect();
        assert!(!violation_score(&views, &set.thresholds, s).flagged);
    }
}

#[test]
fn re_evaluation_keeps_dedupe_keys_and_selects_only_new_flags() {
    let set = default_rules();
    let s = Sensitivity::High;
    let mut evs: Vec<EventView> = (0..2)
        .map(|i| {
            ev(
                i,
                EventType::TabSwitch,
                EventSource::Laptop,
                i as i64 * 1000,
            )
        })
        .collect();
    let first = evaluate(&set, s, &evs);
    assert_eq!(first.len(), 1);
    let stored: Vec<ExistingFlag> = first
        .iter()
        .map(|f| ExistingFlag {
            rule_id: f.rule_id.clone(),
            dedupe_key: f.dedupe_key.clone(),
            event_ids: f.event_ids.clone(),
        })
        .collect();
    // The burst grows; a phone shows up.
    evs.push(ev(2, EventType::TabSwitch, EventSource::Laptop, 2000));
    evs.push(ev(3, EventType::PhoneDetected, EventSource::Mobile, 2500));
    let second = evaluate(&set, s, &evs);
    assert_eq!(second.len(), 2);
    assert!(second.iter().any(|f| f.dedupe_key == first[0].dedupe_key));
    let new = select_new_flags(second.clone(), &stored);
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].rule_id, "phone_detected");
    // Evaluating the same events again is idempotent.
    assert_eq!(evaluate(&set, s, &evs), second);
    // A late event with an earlier timestamp shifts the burst's first event, but the flag is
    // not new: its events are already cited by the stored flag of the same rule.
    evs.push(ev(99, EventType::TabSwitch, EventSource::Laptop, -500));
    let third = evaluate(&set, s, &evs);
    let new = select_new_flags(third, &stored);
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].rule_id, "phone_detected");
}

#[test]
fn rule_set_round_trips_through_json() {
    let set = default_rules();
    let json = serde_json::to_value(&set).unwrap();
    assert_eq!(json["rules"][0]["condition"]["kind"], "COUNT_IN_WINDOW");
    assert_eq!(json["rules"][0]["cause"], "BEHAVIOURAL");
    let back = RuleSet::from_json(json).unwrap();
    assert_eq!(back, set);
}

#[test]
fn invalid_rule_sets_name_their_fields() {
    let mut json = serde_json::to_value(default_rules()).unwrap();
    json["rules"][0]["condition"]["params"]["high"]["within_secs"] = 0.into();
    json["rules"][1]["id"] = "Bad Id".into();
    json["rules"][2]["id"] = "tab_switch_burst".into();
    json["rules"][3]["condition"]["params"] = serde_json::json!({});
    json["thresholds"]["low"] = 0.into();
    let errs = RuleSet::from_json(json).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "rules[0].condition.params.high.within_secs",
            "rules[1].id",
            "rules[2].id",
            "rules[3].condition.params",
            "thresholds.low"
        ]
    );
    let mut json = serde_json::to_value(default_rules()).unwrap();
    json["rules"][0]["condition"]["within"] = 3.into();
    assert_eq!(RuleSet::from_json(json).unwrap_err()[0].field, "rules");

    let mut set = default_rules();
    set.rules[12].condition = invigil_domain::proctoring::rules::Condition::SourceQuiet {
        source: EventSource::System,
        params: invigil_domain::proctoring::rules::PerSensitivity {
            low: None,
            medium: None,
            high: Some(invigil_domain::proctoring::rules::QuietParams {
                at_least: 0,
                within_secs: 10,
            }),
        },
    };
    let fields: Vec<String> = validate_rules(&set)
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "rules[12].condition.source",
            "rules[12].condition.params.high.at_least"
        ]
    );
}

fn arb_event() -> impl Strategy<Value = (u8, u8, u8, i64, Option<u64>)> {
    (
        0u8..18,
        0u8..3,
        1u8..=10,
        0i64..1_200_000,
        proptest::option::of(0u64..40_000),
    )
}

fn build(raw: &[(u8, u8, u8, i64, Option<u64>)]) -> Vec<EventView> {
    raw.iter()
        .enumerate()
        .map(|(i, (t, s, sev, at, dur))| {
            let mut e = ev(
                i as u128 + 1,
                EventType::ALL[usize::from(*t)],
                [
                    EventSource::Laptop,
                    EventSource::Mobile,
                    EventSource::System,
                ][usize::from(*s)],
                *at / 100 * 100,
            );
            e.severity = EventSeverity::new(i64::from(*sev)).unwrap_or(e.severity);
            e.meta = dur.map(|d| serde_json::json!({"duration_ms": d, "device": "MOBILE"}));
            e
        })
        .collect()
}

proptest! {
    #[test]
    fn shuffled_input_gives_the_same_flags(
        (raw, perm) in proptest::collection::vec(arb_event(), 0..120).prop_flat_map(|v| {
            let n = v.len();
            (Just(v), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
        })
    ) {
        let set = default_rules();
        let a = build(&raw);
        // Same events (same ids), another order.
        let b: Vec<EventView> = perm.iter().map(|&i| a[i].clone()).collect();
        for &s in Sensitivity::ALL {
            let fa = evaluate(&set, s, &a);
            let fb = evaluate(&set, s, &b);
            prop_assert_eq!(&fa, &fb);
            let views: Vec<FlagView> = fa.iter().map(FlagView::from).collect();
            let score = violation_score(&views, &set.thresholds, s);
            prop_assert_eq!(score.total, score.parts.iter().map(|p| p.points).sum::<u32>());
            prop_assert_eq!(score.flagged, score.total >= score.threshold);
            for f in &fa {
                prop_assert!(!f.event_ids.is_empty());
                prop_assert!(f.first_at <= f.last_at);
                // Every cited event exists, and no flag cites an event twice.
                let mut ids = f.event_ids.clone();
                ids.sort();
                ids.dedup();
                prop_assert_eq!(ids.len(), f.event_ids.len());
                prop_assert!(f.event_ids.iter().all(|id| a.iter().any(|e| e.id == *id)));
            }
            // Dedupe keys are unique within one evaluation.
            let mut keys: Vec<&String> = fa.iter().map(|f| &f.dedupe_key).collect();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(keys.len(), fa.len());
        }
    }
}
