//! Ingest validation of client events: every field's error, sources per credential, batches.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use invigil_domain::proctoring::event::{MAX_BATCH_EVENTS, MAX_META_BYTES};
use invigil_domain::proctoring::{
    ClientEventInput, ClientKind, EventSource, EventType, FieldError, validate_batch,
    validate_client_event, validate_client_events,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn skew() -> TimeDelta {
    TimeDelta::seconds(30)
}

fn input() -> ClientEventInput {
    ClientEventInput {
        client_event_id: "c-1".into(),
        source: "LAPTOP".into(),
        event_type: "TAB_SWITCH".into(),
        severity: None,
        occurred_at: "2026-03-01T08:59:50Z".into(),
        meta: None,
    }
}

fn fields(r: Result<impl std::fmt::Debug, Vec<FieldError>>) -> Vec<String> {
    // An Ok gives no fields, which every caller's expected list rules out.
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

fn candidate(i: &ClientEventInput) -> Result<impl std::fmt::Debug, Vec<FieldError>> {
    validate_client_event(i, now(), skew(), ClientKind::Candidate)
}

#[test]
fn a_valid_event_gets_the_default_severity() {
    let v = validate_client_event(&input(), now(), skew(), ClientKind::Candidate).unwrap();
    assert_eq!(v.source, EventSource::Laptop);
    assert_eq!(v.event_type, EventType::TabSwitch);
    assert_eq!(v.severity.get(), 5);
    assert_eq!(v.occurred_at, now() - TimeDelta::seconds(10));
    assert_eq!(v.client_event_id, "c-1");
}

#[test]
fn every_type_has_a_default_severity_in_range() {
    assert_eq!(EventType::ALL.len(), 18);
    for t in EventType::ALL {
        let s = t.default_severity().get();
        assert!((1..=10).contains(&s), "{t}");
        assert_eq!(EventType::parse(t.name()), Some(*t));
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            serde_json::json!(t.name())
        );
    }
}

#[test]
fn client_event_id_length() {
    let mut i = input();
    i.client_event_id = String::new();
    assert_eq!(fields(candidate(&i)), ["client_event_id"]);
    i.client_event_id = "é".repeat(128);
    assert!(candidate(&i).is_ok());
    i.client_event_id = "x".repeat(129);
    assert_eq!(fields(candidate(&i)), ["client_event_id"]);
}

#[test]
fn sources_per_credential() {
    let mut i = input();
    i.source = "SYSTEM".into();
    let errs = candidate(&i).unwrap_err();
    assert_eq!(errs[0].field, "source");
    assert!(errs[0].message.contains("server"));
    assert!(validate_client_event(&i, now(), skew(), ClientKind::PairedPhone).is_err());

    i.source = "MOBILE".into();
    assert_eq!(fields(candidate(&i)), ["source"]);
    assert!(validate_client_event(&i, now(), skew(), ClientKind::PairedPhone).is_ok());

    i.source = "LAPTOP".into();
    assert!(validate_client_event(&i, now(), skew(), ClientKind::PairedPhone).is_err());

    i.source = "laptop".into();
    assert_eq!(fields(candidate(&i)), ["source"]);
}

#[test]
fn unknown_type_names_the_field() {
    let mut i = input();
    i.event_type = "KEYLOGGER".into();
    assert_eq!(fields(candidate(&i)), ["type"]);
    i.event_type = "tab_switch".into();
    assert_eq!(fields(candidate(&i)), ["type"]);
}

#[test]
fn severity_range() {
    let mut i = input();
    for ok in [1, 10] {
        i.severity = Some(ok);
        assert!(candidate(&i).is_ok());
    }
    for bad in [0, 11, -1, 1000] {
        i.severity = Some(bad);
        assert_eq!(fields(candidate(&i)), ["severity"]);
    }
}

#[test]
fn occurred_at_skew_and_format() {
    let mut i = input();
    i.occurred_at = "2026-03-01T09:00:30Z".into(); // exactly now + skew
    assert!(candidate(&i).is_ok());
    i.occurred_at = "2026-03-01T09:00:30.001Z".into();
    assert_eq!(fields(candidate(&i)), ["occurred_at"]);
    i.occurred_at = "2026-03-01T10:00:10+01:00".into(); // 09:00:10Z
    assert!(candidate(&i).is_ok());
    i.occurred_at = "yesterday".into();
    assert_eq!(fields(candidate(&i)), ["occurred_at"]);
}

#[test]
fn meta_object_and_size() {
    let mut i = input();
    i.meta = Some(serde_json::json!([1, 2]));
    assert_eq!(fields(candidate(&i)), ["meta"]);
    i.meta = Some(serde_json::Value::Null);
    assert!(candidate(&i).is_ok());
    // {"k":"..."} is 8 bytes plus the string.
    i.meta = Some(serde_json::json!({"k": "x".repeat(MAX_META_BYTES - 8)}));
    assert!(candidate(&i).is_ok());
    i.meta = Some(serde_json::json!({"k": "x".repeat(MAX_META_BYTES - 7)}));
    assert_eq!(fields(candidate(&i)), ["meta"]);
    i.meta = Some(serde_json::json!({"duration_ms": -5}));
    assert_eq!(fields(candidate(&i)), ["meta.duration_ms"]);
    i.meta = Some(serde_json::json!({"duration_ms": 1500}));
    assert!(candidate(&i).is_ok());
}

#[test]
fn all_errors_at_once() {
    let i = ClientEventInput {
        client_event_id: String::new(),
        source: "SYSTEM".into(),
        event_type: "NOPE".into(),
        severity: Some(0),
        occurred_at: "2027-01-01T00:00:00Z".into(),
        meta: Some(serde_json::json!("x")),
    };
    assert_eq!(
        fields(candidate(&i)),
        [
            "client_event_id",
            "source",
            "type",
            "severity",
            "occurred_at",
            "meta"
        ]
    );
}

#[test]
fn batch_limits() {
    assert_eq!(validate_batch(0).unwrap_err()[0].field, "events");
    assert!(validate_batch(1).is_ok());
    assert!(validate_batch(MAX_BATCH_EVENTS).is_ok());
    assert!(validate_batch(MAX_BATCH_EVENTS + 1).is_err());
}

#[test]
fn batch_errors_name_the_event() {
    let mut bad = input();
    bad.event_type = "NOPE".into();
    let batch = vec![input(), bad];
    let errs = validate_client_events(&batch, now(), skew(), ClientKind::Candidate).unwrap_err();
    assert_eq!(
        errs,
        vec![FieldError::new("events[1].type", "unknown event type")]
    );
    let ok = validate_client_events(&[input()], now(), skew(), ClientKind::Candidate).unwrap();
    assert_eq!(ok.len(), 1);
    assert!(validate_client_events(&[], now(), skew(), ClientKind::Candidate).is_err());
}

#[test]
fn input_deserializes_with_type_field() {
    let i: ClientEventInput = serde_json::from_value(serde_json::json!({
        "client_event_id": "a", "source": "LAPTOP", "type": "COPY_PASTE",
        "occurred_at": "2026-03-01T08:00:00Z"
    }))
    .unwrap();
    assert_eq!(i.event_type, "COPY_PASTE");
    assert_eq!(i.severity, None);
}
