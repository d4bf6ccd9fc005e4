//! The review workflow: queue, claims, decisions, timeline, the candidate's
//! integrity view and appeal, QUALITY_ASSURANCE's reopen, and what a
//! confirmed violation does to the result.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};
use invigil_domain::identity::Role;
use invigil_store::proctoring::entities::flag;

use super::*;
use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, approved_bank, enroll, insert_exam, setup_with};

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
    app.post(&format!("{ACME}/sessions/{sid}/release"))
        .token(&winner.token)
        .send()
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
        app.get(&path)
            .token(&s.proctor.token)
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    decide(&app, own, &s.proctor, "CLEARED", "")
        .await
        .assert_problem(403, "forbidden");
    // Nor is it in their queue; another reviewer sees it.
    let q = app
        .get(&format!("{ACME}/review-queue"))
        .token(&s.proctor.token)
        .send()
        .await
        .json();
    assert_eq!(q["items"].as_array().unwrap().len(), 0);
    let other = app
        .member(&s.org, "proctor2@acme.org", &[Role::ProctorReviewer])
        .await;
    let q = app
        .get(&format!("{ACME}/review-queue"))
        .token(&other.token)
        .send()
        .await
        .json();
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
        flags[0].resolution,
        Some(invigil_domain::review::DecisionType::ViolationConfirmed)
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
        .get(&format!("{ACME}/review-queue"))
        .token(&other.token)
        .send()
        .await
        .json();
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
        let page = app.get(&url).token(&s.proctor.token).send().await;
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
        .get(&format!("{ACME}/review-queue"))
        .token(&s.proctor.token)
        .send()
        .await
        .json();
    assert_eq!(first["items"][0]["candidate"]["email"], "cand@acme.org");
    assert_eq!(first["items"][0]["violation_score"], 90);
    // Only reviewers read the queue; a bad cursor is a 400.
    for who in [&s.candidate, &s.coordinator] {
        app.get(&format!("{ACME}/review-queue"))
            .token(&who.token)
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    app.get(&format!("{ACME}/review-queue?cursor=nonsense"))
        .token(&s.proctor.token)
        .send()
        .await
        .assert(400);
}

async fn timeline_shows_everything_in_time_order(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let body = app
        .get(&format!("/api/v1/sessions/{sid}"))
        .token(&s.candidate.token)
        .send()
        .await
        .json();
    let q = body["questions"][0]["id"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::seconds(10));
    app.put(&format!("/api/v1/sessions/{sid}/answers/{q}"))
        .token(&s.candidate.token)
        .json(&json!({"response": {"option": 1}, "revision": 1}))
        .send()
        .await
        .assert(200);
    app.clock.advance(Duration::seconds(10));
    let (events, flag_id) = flag_session(&app, s.org.id, sid, 20).await;
    app.clock.advance(Duration::seconds(10));
    let fid = upload_ok(&app, sid, &s.candidate, "image/jpeg", jpeg()).await;
    app.clock.advance(Duration::seconds(10));
    app.post(&format!("{ACME}/sessions/{sid}/actions"))
        .token(&s.proctor.token)
        .json(&json!({"type": "WARN", "reason": "eyes on your screen"}))
        .send()
        .await
        .assert(200);
    app.clock.advance(Duration::seconds(10));
    submit(&app, sid, &s.candidate).await;
    claim(&app, sid, &s.proctor).await.assert(200);

    let r = app
        .get(&format!("{ACME}/sessions/{sid}/timeline"))
        .token(&s.proctor.token)
        .send()
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
    app.get(&format!("{ACME}/sessions/{sid}/timeline"))
        .token(&s.coordinator.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("{ACME}/sessions/{}/timeline", Uuid::now_v7()))
        .token(&s.proctor.token)
        .send()
        .await
        .assert_problem(404, "not_found");
}

async fn candidate_sees_integrity_after_release_and_appeals_once(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = flagged(&app, &s, 30).await;
    let integrity = format!("/api/v1/me/sessions/{sid}/integrity");
    let appeal = format!("/api/v1/me/sessions/{sid}/appeal");
    // Before results are released: 409.
    app.get(&integrity)
        .token(&s.candidate.token)
        .send()
        .await
        .assert_problem(409, "results_not_released");
    claim(&app, sid, &s.proctor).await.assert(200);
    decide(
        &app,
        sid,
        &s.proctor,
        "VIOLATION_CONFIRMED",
        "a second person in view",
    )
    .await
    .assert(200);
    release_results(&app, &s).await;
    // Someone else's session: 404, also for staff through /me.
    app.get(&integrity)
        .token(&s.proctor.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&appeal)
        .token(&s.proctor.token)
        .json(&json!({"text": "not mine"}))
        .send()
        .await
        .assert_problem(404, "not_found");
    let r = app.get(&integrity).token(&s.candidate.token).send().await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["integrity_status"], "VIOLATION_CONFIRMED");
    assert_eq!(v["decision"]["decision"], "VIOLATION_CONFIRMED");
    assert_eq!(v["decision"]["notes"], "a second person in view");
    assert_eq!(v["can_appeal"], true);
    let flags = v["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["flag_type"], "TAB_SWITCH");
    assert_eq!(flags[0]["severity"], "MEDIUM");
    assert!(
        flags[0]["description"]
            .as_str()
            .unwrap()
            .contains("TAB_SWITCH")
    );
    assert_eq!(flags[0]["resolution"], "VIOLATION_CONFIRMED");
    // Nothing about the reviewer, the events or other people.
    let text = v.to_string();
    assert!(!text.contains(&s.proctor.id.to_string()), "{text}");
    assert!(!text.contains("event_ids"), "{text}");

    // Appeal: text required, then 201 and back to FLAGGED.
    app.post(&appeal)
        .token(&s.candidate.token)
        .json(&json!({"text": "  "}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .post(&appeal)
        .token(&s.candidate.token)
        .json(&json!({"text": "It was my reflection in the window."}))
        .send()
        .await;
    r.assert(201);
    let v = r.json();
    assert_eq!(v["integrity_status"], "FLAGGED");
    assert_eq!(v["appeal"]["text"], "It was my reflection in the window.");
    assert_eq!(v["decision"], Value::Null);
    assert_eq!(v["can_appeal"], false);
    // While under review again, appealing is a conflict; the queue shows the appeal.
    app.post(&appeal)
        .token(&s.candidate.token)
        .json(&json!({"text": "again"}))
        .send()
        .await
        .assert_problem(409, "conflict");
    let q = app
        .get(&format!("{ACME}/review-queue"))
        .token(&s.proctor.token)
        .send()
        .await
        .json();
    assert_eq!(
        q["items"][0]["appeal_text"],
        "It was my reflection in the window."
    );
    // Results are withheld again until the new decision.
    let results = my_results(&app, &s.candidate).await;
    assert_eq!(results["items"].as_array().unwrap().len(), 0);
    claim(&app, sid, &s.proctor).await.assert(200);
    decide(&app, sid, &s.proctor, "CLEARED", "reflection confirmed")
        .await
        .assert(200);
    // The appeal is used up.
    app.post(&appeal)
        .token(&s.candidate.token)
        .json(&json!({"text": "once more"}))
        .send()
        .await
        .assert_problem(409, "appeal_already_used");
    let v = app
        .get(&integrity)
        .token(&s.candidate.token)
        .send()
        .await
        .json();
    assert_eq!(v["integrity_status"], "CLEARED");
    assert_eq!(v["can_appeal"], false);
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"review.appealed".to_owned())
    );
}

async fn quality_assurance_reads_and_reopens_decisions(app: TestApp) {
    let s = setup_with(
        &app,
        ExamOpts {
            max_attempts: 3,
            ..ExamOpts::default()
        },
    )
    .await;
    let qa = app
        .member(&s.org, "qa@acme.org", &[Role::QualityAssurance])
        .await;
    let a = flagged(&app, &s, 30).await;
    let b = flagged(&app, &s, 30).await;
    for sid in [a, b] {
        claim(&app, sid, &s.proctor).await.assert(200);
        app.clock.advance(Duration::seconds(5));
        decide(&app, sid, &s.proctor, "CLEARED", "ok")
            .await
            .assert(200);
    }
    // Newest decision first, with a cursor.
    let p1 = app
        .get(&format!("{ACME}/decisions?limit=1"))
        .token(&qa.token)
        .send()
        .await;
    p1.assert(200);
    let p1 = p1.json();
    assert_eq!(p1["items"][0]["session_id"], b.to_string());
    assert_eq!(p1["items"][0]["decision"], "CLEARED");
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 = app
        .get(&format!("{ACME}/decisions?limit=1&cursor={c}"))
        .token(&qa.token)
        .send()
        .await
        .json();
    assert_eq!(p2["items"][0]["session_id"], a.to_string());
    assert_eq!(p2["next_cursor"], Value::Null);
    // Reviewers do not read all decisions nor reopen them.
    app.get(&format!("{ACME}/decisions"))
        .token(&s.proctor.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let reopen = format!("{ACME}/sessions/{a}/reopen");
    app.post(&reopen)
        .token(&s.proctor.token)
        .json(&json!({"reason": "second look"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post(&reopen)
        .token(&qa.token)
        .json(&json!({"reason": ""}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .post(&reopen)
        .token(&qa.token)
        .json(&json!({"reason": "second look at frame 3"}))
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["integrity_status"], "FLAGGED");
    // Not decided any more: a second reopen is a conflict.
    app.post(&reopen)
        .token(&qa.token)
        .json(&json!({"reason": "again"}))
        .send()
        .await
        .assert_problem(409, "conflict");
    // Back in the queue; a reviewer decides again; the candidate's appeal
    // was not used by the reopen.
    claim(&app, a, &s.proctor).await.assert(200);
    decide(
        &app,
        a,
        &s.proctor,
        "VIOLATION_CONFIRMED",
        "frame 3 shows notes",
    )
    .await
    .assert(200);
    release_results(&app, &s).await;
    let v = app
        .get(&format!("/api/v1/me/sessions/{a}/integrity"))
        .token(&s.candidate.token)
        .send()
        .await
        .json();
    assert_eq!(v["can_appeal"], true);
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"review.reopened".to_owned())
    );
}

async fn violation_confirmed_fails_the_result(app: TestApp) {
    // One objective question, so the score is known at submit.
    let org = app.org("acme").await;
    let coordinator = app
        .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
        .await;
    let proctor = app
        .member(&org, "proctor@acme.org", &[Role::ProctorReviewer])
        .await;
    let candidate = app.member(&org, "cand@acme.org", &[Role::Candidate]).await;
    let input: QuestionInput = serde_json::from_value(json!({"type": "true_false", "text": "Sky is blue", "correct_answer": {"value": true}, "points": 1})).unwrap();
    let bank = approved_bank(&app, &org, coordinator.id, &[validate(input).unwrap()]).await;
    let exam = insert_exam(&app, &org, bank, coordinator.id, &ExamOpts::default()).await;
    enroll(&app, &org, exam, candidate.id, None).await;
    let sid = start(&app, exam, &candidate).await;
    let body = app
        .get(&format!("/api/v1/sessions/{sid}"))
        .token(&candidate.token)
        .send()
        .await
        .json();
    let q = body["questions"][0]["id"].as_str().unwrap().to_owned();
    app.put(&format!("/api/v1/sessions/{sid}/answers/{q}"))
        .token(&candidate.token)
        .json(&json!({"response": {"value": true}, "revision": 1}))
        .send()
        .await
        .assert(200);
    submit(&app, sid, &candidate).await;
    flag_session(&app, org.id, sid, 50).await;
    app.post(&format!("{ACME}/exams/{exam}/release-results"))
        .token(&coordinator.token)
        .send()
        .await
        .assert(200);
    // Withheld while flagged.
    assert_eq!(
        my_results(&app, &candidate).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    claim(&app, sid, &proctor).await.assert(200);
    decide(
        &app,
        sid,
        &proctor,
        "VIOLATION_CONFIRMED",
        "notes on the desk",
    )
    .await
    .assert(200);
    let r = my_results(&app, &candidate).await;
    let item = &r["items"][0];
    assert_eq!(item["session_id"], sid.to_string());
    assert_eq!(item["percent"], 100.0);
    assert_eq!(item["integrity"], "VIOLATION_CONFIRMED");
    assert_eq!(item["passed"], false, "{item}");
}

both!(
    two_reviewers_claim_at_once_one_wins,
    nobody_reviews_their_own_session,
    decisions_follow_the_integrity_state_machine,
    review_queue_is_ordered_by_risk_with_a_cursor,
    timeline_shows_everything_in_time_order,
    candidate_sees_integrity_after_release_and_appeals_once,
    quality_assurance_reads_and_reopens_decisions,
    violation_confirmed_fails_the_result,
);
