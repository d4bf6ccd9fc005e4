//! Claims, decisions, the queue and the timeline.

use super::*;

async fn two_reviewers_claim_at_once_one_wins(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = flagged(&app, &s, 25).await;
    let other = app
        .member(&s.org, "proctor2@acme.org", &[Role::ProctorReviewer])
        .await;
    let (a, b) = tokio::join!(claim(&app, sid, &s.proctor), claim(&app, sid, &other));
    let mut statuses = vec![a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 409], "{} / {}", a.text(), b.text());
    let (winner, loser) = if a.status == 200 {
        (&s.proctor, &b)
    } else {
        (&other, &a)
    };
    loser.assert_problem(409, "already_claimed");
    // Claiming again what you hold is fine.
    let again = claim(&app, sid, winner).await;
    again.assert(200);
    assert_eq!(again.json()["integrity_status"], "UNDER_REVIEW");
    assert_eq!(again.json()["claimed_by"], winner.id.to_string());
    let claims = app
        .audit_actions(&s.org)
        .await
        .into_iter()
        .filter(|a| a == "review.claimed")
        .count();
    assert_eq!(claims, 1);
    // The claimer can give it back; then the other may take it.
    app.post_as(&format!("{ACME}/sessions/{sid}/release"), &winner.token)
        .await
        .assert(200);
    let second = if winner.id == s.proctor.id {
        &other
    } else {
        &s.proctor
    };
    claim(&app, sid, second).await.assert(200);
}

async fn nobody_reviews_their_own_session(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    // The reviewer also sat the exam (as a CANDIDATE of the org, too).
    app.add_to(&s.org, &s.proctor, &[(Role::Candidate, None)])
        .await;
    enroll(&app, &s.org, s.exam_id, s.proctor.id, None).await;
    let own = start(&app, s.exam_id, &s.proctor).await;
    submit(&app, own, &s.proctor).await;
    flag_session(&app, s.org.id, own, 40).await;
    let fid = upload_ok(&app, own, &s.proctor, "image/jpeg", jpeg()).await;
    claim(&app, own, &s.proctor)
        .await
        .assert_problem(403, "forbidden");
    for path in [
        format!("{ACME}/sessions/{own}/timeline"),
        format!("{ACME}/sessions/{own}/frames/{fid}"),
    ] {
        app.get_as(&path, &s.proctor.token)
            .await
            .assert_problem(403, "forbidden");
    }
    decide(&app, own, &s.proctor, "CLEARED", "")
        .await
        .assert_problem(403, "forbidden");
    // Nor is it in their queue; another reviewer sees it.
    let q = app
        .get_json(&format!("{ACME}/review-queue"), &s.proctor.token)
        .await;
    assert_eq!(q["items"].as_array().unwrap().len(), 0);
    let other = app
        .member(&s.org, "proctor2@acme.org", &[Role::ProctorReviewer])
        .await;
    let q = app
        .get_json(&format!("{ACME}/review-queue"), &other.token)
        .await;
    assert_eq!(q["items"][0]["session_id"], own.to_string());
    claim(&app, own, &other).await.assert(200);
}

async fn decisions_follow_the_integrity_state_machine(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = flagged(&app, &s, 25).await;
    let other = app
        .member(&s.org, "proctor2@acme.org", &[Role::ProctorReviewer])
        .await;
    // Without a claim: 409.
    decide(&app, sid, &s.proctor, "CLEARED", "")
        .await
        .assert_problem(409, "conflict");
    claim(&app, sid, &s.proctor).await.assert(200);
    // Only the claimer decides.
    decide(&app, sid, &other, "CLEARED", "")
        .await
        .assert_problem(409, "not_claimer");
    // A violation needs notes; decisions are one of two words.
    let v = decide(&app, sid, &s.proctor, "VIOLATION_CONFIRMED", "   ")
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "notes");
    decide(&app, sid, &s.proctor, "MAYBE", "x")
        .await
        .assert_problem(422, "validation_failed");
    // The other roles may not decide at all.
    decide(&app, sid, &s.coordinator, "CLEARED", "")
        .await
        .assert_problem(403, "forbidden");
    let r = decide(
        &app,
        sid,
        &s.proctor,
        "VIOLATION_CONFIRMED",
        "  phone in view  ",
    )
    .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["integrity_status"], "VIOLATION_CONFIRMED");
    assert_eq!(v["decision"], "VIOLATION_CONFIRMED");
    assert_eq!(v["decision_notes"], "phone in view");
    assert_eq!(v["decided_by"], s.proctor.id.to_string());
    assert_eq!(v["claimed_by"], Value::Null);
    // Its flags are resolved by the reviewer with the decision.
    let flags = flag::Entity::find()
        .filter(flag::Column::SessionId.eq(sid))
        .all(app.db().read())
        .await
        .unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].resolved_by, Some(s.proctor.id));
    assert_eq!(
        flags[0].resolution.map(|r| r.name()),
        Some("VIOLATION_CONFIRMED")
    );
    assert!(flags[0].resolved_at.is_some());
    // Decided: no second decision, no claim.
    decide(&app, sid, &s.proctor, "CLEARED", "")
        .await
        .assert_problem(409, "conflict");
    claim(&app, sid, &other)
        .await
        .assert_problem(409, "conflict");
    // Gone from the queue.
    let q = app
        .get_json(&format!("{ACME}/review-queue"), &other.token)
        .await;
    assert_eq!(q["items"].as_array().unwrap().len(), 0);
    let actions = app.audit_actions(&s.org).await;
    assert!(
        actions.contains(&"review.claimed".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"review.decided".to_owned()),
        "{actions:?}"
    );
}

async fn review_queue_is_ordered_by_risk_with_a_cursor(app: TestApp) {
    let s = setup_with(
        &app,
        ExamOpts {
            max_attempts: 5,
            ..ExamOpts::default()
        },
    )
    .await;
    let low = flagged(&app, &s, 10).await;
    let high = flagged(&app, &s, 90).await;
    let mid = flagged(&app, &s, 40).await;
    // A clean session is not in the queue.
    let clean = start(&app, s.exam_id, &s.candidate).await;
    submit(&app, clean, &s.candidate).await;
    claim(&app, mid, &s.proctor).await.assert(200);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{ACME}/review-queue?limit=1&cursor={c}"),
            None => format!("{ACME}/review-queue?limit=1"),
        };
        let page = app.get_as(&url, &s.proctor.token).await;
        page.assert(200);
        let page = page.json();
        for item in page["items"].as_array().unwrap() {
            seen.push((
                item["session_id"].as_str().unwrap().to_owned(),
                item["integrity_status"].as_str().unwrap().to_owned(),
                item["flag_count"].as_i64().unwrap(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let ids: Vec<String> = seen.iter().map(|x| x.0.clone()).collect();
    assert_eq!(
        ids,
        vec![high.to_string(), mid.to_string(), low.to_string()]
    );
    assert_eq!(seen[1].1, "UNDER_REVIEW");
    assert!(seen.iter().all(|x| x.2 == 1));
    let first = app
        .get_json(&format!("{ACME}/review-queue"), &s.proctor.token)
        .await;
    assert_eq!(first["items"][0]["candidate"]["email"], "cand@acme.org");
    assert_eq!(first["items"][0]["violation_score"], 90);
    // Only reviewers read the queue; a bad cursor is a 400.
    for who in [&s.candidate, &s.coordinator] {
        app.get_as(&format!("{ACME}/review-queue"), &who.token)
            .await
            .assert_problem(403, "forbidden");
    }
    app.get_as(
        &format!("{ACME}/review-queue?cursor=nonsense"),
        &s.proctor.token,
    )
    .await
    .assert(400);
}

async fn timeline_shows_everything_in_time_order(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let body = app
        .get_json(&format!("/api/v1/sessions/{sid}"), &s.candidate.token)
        .await;
    let q = body["questions"][0]["id"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::seconds(10));
    app.put_json(
        &format!("/api/v1/sessions/{sid}/answers/{q}"),
        &s.candidate.token,
        &json!({"response": {"option": 1}, "revision": 1}),
    )
    .await
    .assert(200);
    app.clock.advance(Duration::seconds(10));
    let (events, flag_id) = flag_session(&app, s.org.id, sid, 20).await;
    app.clock.advance(Duration::seconds(10));
    let fid = upload_ok(&app, sid, &s.candidate, "image/jpeg", jpeg()).await;
    app.clock.advance(Duration::seconds(10));
    app.post_json(
        &format!("{ACME}/sessions/{sid}/actions"),
        &s.proctor.token,
        &json!({"type": "WARN", "reason": "eyes on your screen"}),
    )
    .await
    .assert(200);
    app.clock.advance(Duration::seconds(10));
    submit(&app, sid, &s.candidate).await;
    claim(&app, sid, &s.proctor).await.assert(200);

    let r = app
        .get_as(&format!("{ACME}/sessions/{sid}/timeline"), &s.proctor.token)
        .await;
    r.assert(200);
    let t = r.json();
    assert_eq!(t["session"]["integrity_status"], "UNDER_REVIEW");
    assert_eq!(t["flag_points"], 20);
    let items = t["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    let pos = |k: &str| kinds.iter().position(|x| *x == k).unwrap();
    assert_eq!(kinds[0], "SESSION");
    assert!(pos("ANSWER") < pos("FLAG"));
    assert!(pos("FLAG") < pos("FRAME"));
    assert!(pos("FRAME") < pos("ADMIN_ACTION"));
    assert!(pos("ADMIN_ACTION") < pos("REVIEW"));
    assert_eq!(kinds.iter().filter(|k| **k == "EVENT").count(), 2);
    let times: Vec<&str> = items.iter().map(|i| i["at"].as_str().unwrap()).collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> =
        times.iter().map(|t| t.parse().unwrap()).collect();
    let sorted = {
        let mut v = parsed.clone();
        v.sort();
        v
    };
    assert_eq!(parsed, sorted, "items are in time order");
    let flag = &items[pos("FLAG")];
    assert_eq!(flag["id"], flag_id.to_string());
    assert_eq!(
        flag["event_ids"],
        json!(events.iter().map(|e| e.to_string()).collect::<Vec<_>>())
    );
    assert_eq!(flag["points"], 20);
    assert!(flag["reason"].as_str().unwrap().contains("weight 10"));
    assert_eq!(items[pos("FRAME")]["id"], fid.to_string());
    assert!(items[pos("FRAME")].get("bytes").is_none());
    assert_eq!(items[pos("ANSWER")]["question_id"], q);
    assert_eq!(items[pos("ANSWER")]["revision"], 1);
    assert_eq!(items[pos("ADMIN_ACTION")]["type"], "WARN");
    assert_eq!(items[pos("REVIEW")]["action"], "review.claimed");
    assert_eq!(items[pos("EVENT")]["type"], "TAB_SWITCH");
    assert_eq!(items[pos("EVENT")]["meta"]["duration_ms"], 1200);
    // Reviewers only, of this organization.
    app.get_as(
        &format!("{ACME}/sessions/{sid}/timeline"),
        &s.coordinator.token,
    )
    .await
    .assert_problem(403, "forbidden");
    app.get_as(
        &format!("{ACME}/sessions/{}/timeline", Uuid::now_v7()),
        &s.proctor.token,
    )
    .await
    .assert_problem(404, "not_found");
}

both!(
    two_reviewers_claim_at_once_one_wins,
    nobody_reviews_their_own_session,
    decisions_follow_the_integrity_state_machine,
    review_queue_is_ordered_by_risk_with_a_cursor,
    timeline_shows_everything_in_time_order,
);
