//! Risk rules: a tab-switch burst, multiple faces, rules of the exam and
//! the organization.

use super::*;

async fn tab_switch_burst_raises_one_flag(app: TestApp) {
    let (s, session) = setup(&app).await;
    let t = &s.candidate.token;
    let base = app.state.now() - Duration::seconds(120);
    let tabs: Vec<Value> = (0..4)
        .map(|i| {
            laptop(
                &format!("tab{i}"),
                "TAB_SWITCH",
                base + Duration::seconds(i * 40),
            )
        })
        .collect();
    // Three are within the MEDIUM limit (more than 3 in 300 s).
    post(&app, t, session, tabs[..3].to_vec()).await.assert(202);
    assert!(flags(&app, session).await.is_empty());
    post(&app, t, session, tabs[3..].to_vec()).await.assert(202);
    let f = flags(&app, session).await;
    assert_eq!(f.len(), 1, "{f:?}");
    let f = &f[0];
    assert_eq!(f.rule_id, "tab_switch_burst");
    assert_eq!(f.flag_type.name(), "TAB_SWITCH");
    assert_eq!(f.severity.name(), "MEDIUM");
    assert_eq!(f.cause.name(), "BEHAVIOURAL");
    let mut expected: Vec<Uuid> = of_type(&app, session, "TAB_SWITCH")
        .await
        .iter()
        .map(|e| e.id)
        .collect();
    expected.sort();
    let mut cited: Vec<Uuid> = f.event_ids.0.clone();
    cited.sort();
    assert_eq!(cited, expected);
    assert_eq!(cited.len(), 4);
    assert_eq!(f.first_at, base);
    assert_eq!(f.last_at, base + Duration::seconds(120));
    let row = session_row(&app, session).await;
    assert_eq!(row.violation_score, 20, "weight 10 x MEDIUM 2");
    assert_eq!(row.integrity_status.name(), "CLEAN", "20 < 50");

    // The same events again: duplicates, no second flag.
    let r = post(&app, t, session, tabs.clone()).await;
    assert_eq!(r.json(), json!({"accepted": 0, "duplicates": 4}));
    assert_eq!(flags(&app, session).await.len(), 1);
    // Other events re-evaluate the session without duplicating the flag.
    post(
        &app,
        t,
        session,
        vec![laptop("blur", "WINDOW_BLUR", app.state.now())],
    )
    .await
    .assert(202);
    assert_eq!(flags(&app, session).await.len(), 1);
    assert_eq!(session_row(&app, session).await.violation_score, 20);
}

async fn multiple_faces_flags_the_session(app: TestApp) {
    let (s, session) = setup(&app).await;
    let (_, phone) = pair(&app, &s.candidate.token, session).await;
    let now = app.state.now();
    let faces = vec![ev("f1", "MOBILE", "MULTIPLE_FACES", now)];
    post(&app, &phone, session, faces.clone()).await.assert(202);
    let f = flags(&app, session).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].flag_type.name(), "MULTIPLE_FACES");
    assert_eq!(f[0].severity.name(), "HIGH");
    let row = session_row(&app, session).await;
    assert_eq!(row.violation_score, 105);
    assert_eq!(row.integrity_status.name(), "FLAGGED");
    post(&app, &phone, session, faces).await.assert(202);
    assert_eq!(flags(&app, session).await.len(), 1);
    assert_eq!(session_row(&app, session).await.violation_score, 105);

    // A decision is never undone by later flags.
    let mut active = session_row(&app, session).await.into_active_model();
    active.integrity_status = Set(invigil_domain::review::IntegrityStatus::Cleared);
    active.update(app.db().write()).await.unwrap();
    post(
        &app,
        &phone,
        session,
        vec![ev("ph", "MOBILE", "PHONE_DETECTED", app.state.now())],
    )
    .await
    .assert(202);
    assert_eq!(flags(&app, session).await.len(), 2);
    let row = session_row(&app, session).await;
    assert_eq!(row.integrity_status.name(), "CLEARED");
    assert_eq!(row.violation_score, 210);
}

async fn rules_follow_the_exam_and_the_org(app: TestApp) {
    let (s, session) = setup(&app).await;
    // An org rule set: a single copy-paste is a HIGH flag.
    let rules = json!({
        "rules": [{
            "id": "any_paste",
            "condition": {"kind": "ANY", "event_types": ["COPY_PASTE"],
                "params": {"medium": {"min_severity": 1, "merge_within_secs": 0}}},
            "flag_type": "COPY_PASTE", "severity": "HIGH", "cause": "BEHAVIOURAL", "weight": 5
        }],
        "thresholds": {"low": 100, "medium": 10, "high": 5}
    });
    invigil_store::tenancy::update_org(
        app.db().write(),
        s.org.id,
        None,
        None,
        Some(json!({ "proctoring_rules": rules }).to_string()),
        app.state.now(),
    )
    .await
    .unwrap();
    let t = &s.candidate.token;
    post(
        &app,
        t,
        session,
        vec![laptop("c1", "COPY_PASTE", app.state.now())],
    )
    .await
    .assert(202);
    let f = flags(&app, session).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule_id, "any_paste");
    let row = session_row(&app, session).await;
    assert_eq!(row.violation_score, 15);
    assert_eq!(row.integrity_status.name(), "FLAGGED");

    // An exam without proctoring raises nothing.
    let mut exam = invigil_store::exams::exam(app.db().read(), s.org.id, s.exam_id)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    exam.enable_proctoring = Set(false);
    exam.update(app.db().write()).await.unwrap();
    post(
        &app,
        t,
        session,
        vec![laptop(
            "c2",
            "COPY_PASTE",
            app.state.now() + Duration::seconds(5),
        )],
    )
    .await
    .assert(202);
    assert_eq!(flags(&app, session).await.len(), 1);
}

/// Two candidates' bursts arrive while the writer is held, so they are
/// stored in one batch and judged in one transaction: each session gets its
/// own flag and score, and each request is answered for its own events.
async fn one_batch_judges_every_session_in_it(app: TestApp) {
    let (s, mine) = setup(&app).await;
    let other = app
        .member(&s.org, "other@acme.org", &[Role::Candidate])
        .await;
    enroll(&app, &s.org, s.exam_id, other.id, None).await;
    let theirs = start_as(&app, s.exam_id, &other.token, None).await;
    let base = app.state.now() - Duration::seconds(60);
    let burst = |who: &str| -> Vec<Value> {
        (0..4)
            .map(|i| {
                laptop(
                    &format!("{who}{i}"),
                    "TAB_SWITCH",
                    base + Duration::seconds(i * 10),
                )
            })
            .collect()
    };
    let hold = app.state.proctoring.events.hold().await;
    let (app_ref, writer) = (&app, app.state.proctoring.events.clone());
    let release = async move {
        let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
        while writer.queued() < 2 {
            assert!(std::time::Instant::now() < deadline, "both requests queued");
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
        drop(hold);
    };
    let (a, b, ()) = tokio::join!(
        post(app_ref, &s.candidate.token, mine, burst("m")),
        post(app_ref, &other.token, theirs, burst("t")),
        release
    );
    assert_eq!(a.json(), json!({"accepted": 4, "duplicates": 0}));
    assert_eq!(b.json(), json!({"accepted": 4, "duplicates": 0}));
    for session in [mine, theirs] {
        let f = flags(&app, session).await;
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule_id, "tab_switch_burst");
        assert_eq!(f[0].event_ids.0.len(), 4);
        assert_eq!(session_row(&app, session).await.violation_score, 20);
    }
    let mine_events: Vec<Uuid> = of_type(&app, mine, "TAB_SWITCH")
        .await
        .iter()
        .map(|e| e.id)
        .collect();
    let f = flags(&app, mine).await;
    assert!(f[0].event_ids.0.iter().all(|id| mine_events.contains(id)));
}

both!(
    one_batch_judges_every_session_in_it,
    tab_switch_burst_raises_one_flag,
    multiple_faces_flags_the_session,
    rules_follow_the_exam_and_the_org,
);
