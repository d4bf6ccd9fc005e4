//! Practice interviews and progress (issue 16 items 5 and 7): authoring
//! scenarios, a full session scored by the rubric, replays and answers
//! after the end, other people's sessions, the retention purge, progress
//! and streaks on a moved clock, and the OpenAI-compatible evaluator
//! against a loopback HTTP peer — through the real router on both backends.

mod pages;
mod remote;
mod staff_pages;

use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both;
use crate::common::TestApp;
use crate::courses::{ORG, World, id_of, world};

pub fn scenario_body(published: bool) -> Value {
    json!({
        "title": "Databases 101",
        "topic": "Databases",
        "difficulty": "EASY",
        "published": published,
        "questions": [
            {
                "prompt": "What does an index do?",
                "max_score": 10,
                "expected_points": [
                    {"text": "Speeds up lookups", "keywords": ["fast*|quick*|speed*"], "weight": 2},
                    {"text": "Uses a B-tree", "keywords": ["b-tree|btree"]},
                    {"text": "Costs on writes", "keywords": ["write*|insert*", "slow*|cost*"]}
                ],
                "model_answer": "It makes lookups fast with a B-tree, at a cost on writes."
            },
            {
                "prompt": "What is a primary key?",
                "max_score": 5,
                "expected_points": [
                    {"text": "Unique", "keywords": ["unique|uniquely"]},
                    {"text": "Not null", "keywords": ["null"]}
                ]
            }
        ]
    })
}

pub async fn scenario(app: &TestApp, w: &World, published: bool) -> Uuid {
    let r = app
        .post_json(
            &format!("{ORG}/practice-scenarios"),
            &w.teacher.token,
            &scenario_body(published),
        )
        .await;
    r.assert(201);
    id_of(&r.json())
}

pub async fn start(app: &TestApp, token: &str, scenario: Uuid) -> Value {
    let r = app
        .post_json(
            &format!("{ORG}/practice-sessions"),
            token,
            &json!({ "scenario_id": scenario }),
        )
        .await;
    r.assert(201);
    r.json()
}

fn answer_url(session: &Value) -> String {
    format!(
        "/api/v1/practice-sessions/{}/messages",
        session["id"].as_str().unwrap()
    )
}

/// Answers both questions fully: a 100 % session.
pub async fn perfect_session(app: &TestApp, token: &str, scenario: Uuid) -> Value {
    let s = start(app, token, scenario).await;
    let url = answer_url(&s);
    app.post_json(
        &url,
        token,
        &json!({"content": "Fast lookups via a btree; writes get slower."}),
    )
    .await
    .assert(200);
    let r = app
        .post_json(&url, token, &json!({"content": "Unique and never null."}))
        .await;
    r.assert(200);
    r.json()
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

async fn scenarios_author_validate_and_scope(app: TestApp) {
    let w = world(&app).await;
    let url = format!("{ORG}/practice-scenarios");
    let published = scenario(&app, &w, true).await;
    let draft = scenario(&app, &w, false).await;
    // Bad input: 422 naming the field, nothing written.
    for (field, change) in [
        ("title", json!({"title": " "})),
        ("difficulty", json!({"difficulty": "EXTREME"})),
        ("questions", json!({"questions": []})),
        (
            "questions[0].expected_points",
            json!({"questions": [{"prompt": "p", "max_score": 1, "expected_points": []}]}),
        ),
        (
            "keywords[0]",
            json!({"questions": [{"prompt": "p", "max_score": 1,
                "expected_points": [{"text": "t", "keywords": ["ok|--"]}]}]}),
        ),
        (
            "weight",
            json!({"questions": [{"prompt": "p", "max_score": 1,
                "expected_points": [{"text": "t", "keywords": ["k"], "weight": -1}]}]}),
        ),
        (
            "max_score",
            json!({"questions": [{"prompt": "p", "max_score": 0,
                "expected_points": [{"text": "t", "keywords": ["k"]}]}]}),
        ),
        (
            "prompt",
            json!({"questions": [{"prompt": "a\u{0000}b", "max_score": 1,
                "expected_points": [{"text": "t", "keywords": ["k"]}]}]}),
        ),
        ("owner", json!({"owner": "me"})),
    ] {
        let mut body = scenario_body(true);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post_json(&url, &w.teacher.token, &body).await;
        r.assert(422);
        assert!(r.text().contains(field), "{field}: {}", r.text());
    }
    // Authors see both with the rubric; learners only the published one, no rubric.
    let all = app.get_json(&url, &w.teacher.token).await;
    assert_eq!(items(&all).len(), 2, "{all}");
    assert!(items(&all)[0]["questions"].is_array());
    let only = app
        .get_json(&format!("{url}?published=true"), &w.teacher.token)
        .await;
    assert_eq!(items(&only).len(), 1);
    let mine = app.get_json(&url, &w.learner.token).await;
    assert_eq!(items(&mine).len(), 1);
    assert_eq!(mine["items"][0]["id"], published.to_string());
    assert!(mine["items"][0]["questions"].is_null(), "{mine}");
    assert_eq!(mine["items"][0]["question_count"], 2);
    app.get_as(&format!("{url}/{draft}"), &w.learner.token)
        .await
        .assert(404);
    // A learner cannot author, a proctor has no business here.
    app.post_json(&url, &w.learner.token, &scenario_body(true))
        .await
        .assert_problem(403, "forbidden");
    app.get_as(&url, &w.proctor.token).await.assert(403);
    // Replace and delete; another organization sees nothing.
    let mut body = scenario_body(true);
    body["title"] = json!("Databases 102");
    let r = app
        .put_json(&format!("{url}/{draft}"), &w.teacher.token, &body)
        .await;
    r.assert(200);
    assert_eq!(r.json()["title"], "Databases 102");
    assert_eq!(r.json()["published"], true);
    let other = app.org("other").await;
    let boss = app
        .member(
            &other,
            "boss@other.org",
            &[invigil_domain::identity::Role::OrgAdmin],
        )
        .await;
    let foreign = format!("/api/v1/orgs/other/practice-scenarios/{draft}");
    app.get_as(&foreign, &boss.token).await.assert(404);
    app.put_json(&foreign, &boss.token, &body).await.assert(404);
    app.delete_as(&foreign, &boss.token).await.assert(404);
    app.post_json(
        "/api/v1/orgs/other/practice-sessions",
        &boss.token,
        &json!({"scenario_id": published}),
    )
    .await
    .assert(404);
    app.delete_as(&format!("{url}/{draft}"), &w.teacher.token)
        .await
        .assert(204);
    app.get_as(&format!("{url}/{draft}"), &w.teacher.token)
        .await
        .assert(404);
    let saved = app
        .audit_actions(&w.org)
        .await
        .into_iter()
        .filter(|a| a == "practice_scenario.saved")
        .count();
    assert_eq!(saved, 4, "created twice, updated, deleted");
}

async fn a_full_session_is_scored_and_completes(app: TestApp) {
    let w = world(&app).await;
    let sc = scenario(&app, &w, true).await;
    let s = start(&app, &w.learner.token, sc).await;
    assert_eq!(s["status"], "ACTIVE");
    assert_eq!(s["current_question_index"], 0);
    assert_eq!(s["messages"].as_array().unwrap().len(), 1);
    assert_eq!(s["messages"][0]["role"], "ASSISTANT");
    assert_eq!(s["messages"][0]["content"], "What does an index do?");
    let id = s["id"].as_str().unwrap().to_owned();
    let url = answer_url(&s);
    // Bad answers change nothing.
    for bad in [
        json!({"content": ""}),
        json!({"content": "a\u{0007}b"}),
        json!({"content": "x".repeat(8 * 1024 + 1)}),
        json!({"content": 5}),
        json!({"content": "ok", "extra": 1}),
    ] {
        app.post_json(&url, &w.learner.token, &bad)
            .await
            .assert(422);
    }
    app.post_json(
        &url,
        &w.learner.token,
        &json!({"content": "ok", "question_index": 1}),
    )
    .await
    .assert_problem(409, "out_of_order");
    // Someone else's session: 404 everywhere.
    app.get_as(
        &format!("/api/v1/practice-sessions/{id}"),
        &w.learner2.token,
    )
    .await
    .assert(404);
    app.post_json(&url, &w.learner2.token, &json!({"content": "mine now"}))
        .await
        .assert(404);
    app.post_as(
        &format!("/api/v1/practice-sessions/{id}/abandon"),
        &w.learner2.token,
    )
    .await
    .assert(404);
    app.get_as(
        &format!("/api/v1/practice-sessions/{}", Uuid::now_v7()),
        &w.learner.token,
    )
    .await
    .assert(404);
    // First answer, sent twice with one Idempotency-Key: scored once.
    let body =
        json!({"content": "It makes lookups QUICKER; inserts get slower.", "question_index": 0});
    let first = app
        .post(&url)
        .token(&w.learner.token)
        .header("Idempotency-Key", "answer-0")
        .json(&body)
        .send()
        .await;
    first.assert(200);
    let again = app
        .post(&url)
        .token(&w.learner.token)
        .header("Idempotency-Key", "answer-0")
        .json(&body)
        .send()
        .await;
    again.assert(200);
    assert_eq!(first.json(), again.json(), "a replay, not a second score");
    let v = first.json();
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3, "question, answer, next question");
    let e = &msgs[1]["evaluation"];
    assert_eq!(e["score"], 7.5);
    assert_eq!(e["max"], 10.0);
    assert_eq!(
        e["feedback"],
        "Score 7.5 of 10. Covered: Speeds up lookups; Costs on writes. Missing: Uses a B-tree."
    );
    assert_eq!(e["missing_points"], json!(["Uses a B-tree"]));
    assert_eq!(msgs[2]["content"], "What is a primary key?");
    // The same answer again without the key: the question moved on.
    app.post_json(&url, &w.learner.token, &body)
        .await
        .assert_problem(409, "out_of_order");
    // The last answer completes the session.
    app.clock.advance(Duration::seconds(90));
    let r = app
        .post_json(&url, &w.learner.token, &json!({"content": "Unique."}))
        .await;
    r.assert(200);
    let done = r.json();
    assert_eq!(done["status"], "COMPLETED");
    assert!(done["current_question_index"].is_null());
    assert_eq!(done["duration_secs"], 90);
    // 7.5 + 2.5 of 15 = 66.67 %.
    assert_eq!(done["overall_score"], 67);
    let ev = &done["evaluation"];
    assert_eq!(ev["overall_score"], 67);
    assert_eq!(
        ev["scores"],
        json!([
            {"question_index": 0, "score": 7.5, "max": 10.0},
            {"question_index": 1, "score": 2.5, "max": 5.0}
        ])
    );
    assert_eq!(
        ev["strengths"],
        json!(["Speeds up lookups", "Costs on writes", "Unique"])
    );
    assert_eq!(ev["improvements"], json!(["Uses a B-tree", "Not null"]));
    assert_eq!(
        done["model_answers"][0],
        "It makes lookups fast with a B-tree, at a cost on writes."
    );
    // After the end: 409, nothing scored.
    app.post_json(&url, &w.learner.token, &json!({"content": "more"}))
        .await
        .assert_problem(409, "practice_not_active");
    app.post_as(
        &format!("/api/v1/practice-sessions/{id}/abandon"),
        &w.learner.token,
    )
    .await
    .assert_problem(409, "practice_not_active");
    let got = app
        .get_json(&format!("/api/v1/practice-sessions/{id}"), &w.learner.token)
        .await;
    assert_eq!(got["messages"].as_array().unwrap().len(), 4);
    assert_eq!(got["overall_score"], 67);
    // Abandoning another one; my list has both, newest first, no transcripts.
    let s2 = start(&app, &w.learner.token, sc).await;
    let r = app
        .post_as(
            &format!(
                "/api/v1/practice-sessions/{}/abandon",
                s2["id"].as_str().unwrap()
            ),
            &w.learner.token,
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "ABANDONED");
    app.post_json(
        &answer_url(&s2),
        &w.learner.token,
        &json!({"content": "late"}),
    )
    .await
    .assert_problem(409, "practice_not_active");
    let list = app
        .get_json("/api/v1/me/practice-sessions", &w.learner.token)
        .await;
    assert_eq!(items(&list).len(), 2);
    assert_eq!(list["items"][0]["status"], "ABANDONED");
    assert_eq!(list["items"][1]["overall_score"], 67);
    assert!(list["items"][1]["messages"].as_array().unwrap().is_empty());
    let other = app
        .get_json("/api/v1/me/practice-sessions", &w.learner2.token)
        .await;
    assert!(items(&other).is_empty());
    // An unpublished scenario cannot be started by a learner.
    let draft = scenario(&app, &w, false).await;
    app.post_json(
        &format!("{ORG}/practice-sessions"),
        &w.learner.token,
        &json!({"scenario_id": draft}),
    )
    .await
    .assert(404);
}

async fn purge_keeps_scores_and_drops_messages(app: TestApp) {
    let mut w = world(&app).await;
    let sc = scenario(&app, &w, true).await;
    let done = perfect_session(&app, &w.learner.token, sc).await;
    let open = start(&app, &w.learner2.token, sc).await;
    app.clock.advance(Duration::days(100));
    w.learner.token = app.fresh_token(&w.learner).await;
    let fresh = perfect_session(&app, &w.learner.token, sc).await;
    assert_eq!(
        invigil_server::practice::service::purge(&app.state)
            .await
            .unwrap(),
        0,
        "nothing is 180 days old yet"
    );
    app.clock.advance(Duration::days(81));
    w.learner.token = app.fresh_token(&w.learner).await;
    w.learner2.token = app.fresh_token(&w.learner2).await;
    assert_eq!(
        invigil_server::practice::service::purge(&app.state)
            .await
            .unwrap(),
        2
    );
    let get = |id: &Value, token: String| {
        let app = &app;
        let path = format!("/api/v1/practice-sessions/{}", id.as_str().unwrap());
        async move { app.get_json(&path, &token).await }
    };
    let old = get(&done["id"], w.learner.token.clone()).await;
    assert!(old["messages"].as_array().unwrap().is_empty());
    assert_eq!(old["transcript_purged"], true);
    assert_eq!(old["overall_score"], 100);
    assert_eq!(old["scores"].as_array().unwrap().len(), 2);
    assert_eq!(old["evaluation"]["overall_score"], 100);
    let was_open = get(&open["id"], w.learner2.token.clone()).await;
    assert_eq!(was_open["status"], "ABANDONED");
    assert!(was_open["messages"].as_array().unwrap().is_empty());
    let kept = get(&fresh["id"], w.learner.token.clone()).await;
    assert_eq!(kept["messages"].as_array().unwrap().len(), 4);
    assert_eq!(kept["transcript_purged"], false);
    let purged = app
        .audit_actions(&w.org)
        .await
        .into_iter()
        .filter(|a| a == "practice_session.purged")
        .count();
    assert_eq!(purged, 1, "one entry per organization and run");
    assert_eq!(
        invigil_server::practice::service::purge(&app.state)
            .await
            .unwrap(),
        0
    );
    // Erasure deletes the rest of the person's transcripts, scores stay.
    invigil_store::practice::erase_person(app.db().write(), w.learner.id, app.state.now())
        .await
        .unwrap();
    let kept = get(&fresh["id"], w.learner.token.clone()).await;
    assert!(kept["messages"].as_array().unwrap().is_empty());
    assert_eq!(kept["overall_score"], 100);
}

async fn progress_counts_streaks_points_and_badges(app: TestApp) {
    let mut w = world(&app).await;
    let empty = app.get_json("/api/v1/me/progress", &w.learner.token).await;
    assert_eq!(empty["current_streak"], 0);
    assert_eq!(empty["level"], "beginner");
    assert!(empty["badges"].as_array().unwrap().is_empty());
    assert_eq!(empty["days"].as_array().unwrap().len(), 90);
    let sc = scenario(&app, &w, true).await;
    let today = app.state.now().date_naive();
    // Three days in a row with a practice each (the first perfect).
    perfect_session(&app, &w.learner.token, sc).await;
    for _ in 0..2 {
        app.clock.advance(Duration::days(1));
        w.learner.token = app.fresh_token(&w.learner).await;
        let s = start(&app, &w.learner.token, sc).await;
        let url = answer_url(&s);
        for _ in 0..2 {
            app.post_json(&url, &w.learner.token, &json!({"content": "no idea"}))
                .await
                .assert(200);
        }
    }
    let p = app.get_json("/api/v1/me/progress", &w.learner.token).await;
    assert_eq!(p["current_streak"], 3, "{p}");
    assert_eq!(p["longest_streak"], 3);
    assert_eq!(p["points"], 15);
    assert_eq!(
        p["last_activity_date"],
        (today + Duration::days(2)).to_string()
    );
    let badges: Vec<&str> = p["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(badges, ["FIRST_PRACTICE", "PERFECT_SCORE"]);
    assert_eq!(p["badges"][0]["name"], "First practice interview");
    let days = p["days"].as_array().unwrap();
    assert_eq!(days.len(), 90);
    assert_eq!(days[89]["date"], (today + Duration::days(2)).to_string());
    assert_eq!(days[89]["practices"], 1);
    assert_eq!(days[87]["practices"], 1);
    assert_eq!(days[86]["practices"], 0);
    // An abandoned session is no activity; a day off keeps the streak
    // alive, two days off end it.
    app.clock.advance(Duration::days(1));
    w.learner.token = app.fresh_token(&w.learner).await;
    let s = start(&app, &w.learner.token, sc).await;
    app.post_as(
        &format!(
            "/api/v1/practice-sessions/{}/abandon",
            s["id"].as_str().unwrap()
        ),
        &w.learner.token,
    )
    .await
    .assert(200);
    let p = app.get_json("/api/v1/me/progress", &w.learner.token).await;
    assert_eq!(p["current_streak"], 3);
    app.clock.advance(Duration::days(1));
    w.learner.token = app.fresh_token(&w.learner).await;
    let p = app.get_json("/api/v1/me/progress", &w.learner.token).await;
    assert_eq!(p["current_streak"], 0);
    assert_eq!(p["longest_streak"], 3);
    // Someone else's progress is their own.
    w.learner2.token = app.fresh_token(&w.learner2).await;
    let other = app.get_json("/api/v1/me/progress", &w.learner2.token).await;
    assert_eq!(other["points"], 0);
}

both!(
    scenarios_author_validate_and_scope,
    a_full_session_is_scored_and_completes,
    purge_keeps_scores_and_drops_messages,
    progress_counts_streaks_points_and_badges,
);
