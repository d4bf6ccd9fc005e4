//! A proptest state machine over the real HTTP API: random saves, retries,
//! duplicates, out-of-order revisions, resumes, submits and the passing of
//! time, compared with a reference model. The stored answers must equal the
//! model and nothing acknowledged may be lost.

use std::collections::BTreeMap;

use chrono::Duration;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

use invigil_domain::identity::Role;

use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, approved_bank, enroll, insert_exam};

#[derive(Debug, Clone)]
enum Op {
    Save {
        q: usize,
        revision: i64,
        value: u8,
    },
    /// Sends the previous save again (a lost response retried).
    Retry,
    Resume,
    Advance {
        secs: i64,
    },
    Submit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..3, 0i64..8, 0u8..4).prop_map(|(q, revision, value)| Op::Save { q, revision, value }),
        2 => Just(Op::Retry),
        1 => Just(Op::Resume),
        2 => (0i64..240).prop_map(|secs| Op::Advance { secs }),
        1 => Just(Op::Submit),
    ]
}

#[derive(Debug, Default)]
struct Model {
    answers: BTreeMap<usize, (i64, u8)>,
    submitted: bool,
}

const DURATION_MIN: i64 = 5;

async fn state_machine_matches_model(app: TestApp) {
    let org = app.org("prop").await;
    let author = app
        .member(&org, "author@prop.org", &[Role::ExamAuthor])
        .await;
    let qs: Vec<_> = (0..3)
        .map(|i| {
            let input: invigil_domain::content::QuestionInput =
                serde_json::from_value(json!({"type": "short_answer", "text": format!("Q{i}"), "correct_answer": {"accepted": ["a"]}})).unwrap();
            invigil_domain::content::validate(input).unwrap()
        })
        .collect();
    let bank = approved_bank(&app, &org, author.id, &qs).await;
    let exam = insert_exam(
        &app,
        &org,
        bank,
        author.id,
        &ExamOpts {
            duration_minutes: DURATION_MIN as i32,
            max_attempts: 1,
            ..Default::default()
        },
    )
    .await;
    let grace = app.state.config.grace();
    let mut runner = TestRunner::new(Config {
        cases: 12,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(op(), 1..30);
    for case in 0..12 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let cand = app
            .member(&org, &format!("c{case}@prop.org"), &[Role::Candidate])
            .await;
        enroll(&app, &org, exam, cand.id, None).await;
        let t = cand.token.clone();
        let started_at = app.state.now();
        let body = app.start_session(exam, &t).await;
        let sid = body["session_id"].as_str().unwrap().to_owned();
        let qids: Vec<String> = body["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["id"].as_str().unwrap().to_owned())
            .collect();
        let deadline = started_at + Duration::minutes(DURATION_MIN);
        let mut model = Model::default();
        let mut last: Option<(usize, i64, u8)> = None;
        let mut elapsed = 0i64;
        for op in &ops {
            let now = app.state.now();
            let closed = model.submitted || now >= deadline + grace;
            let send = |q: usize, revision: i64, value: u8| {
                app.put(&format!("/api/v1/sessions/{sid}/answers/{}", qids[q]))
                    .token(&t)
                    .json(&json!({"response": {"text": format!("v{value}")}, "revision": revision}))
                    .send()
            };
            match op.clone() {
                Op::Save { q, revision, value } => {
                    let r = send(q, revision, value).await;
                    check_save(&r, closed, &mut model, q, revision, value, &ops);
                    last = Some((q, revision, value));
                }
                Op::Retry => {
                    if let Some((q, revision, value)) = last {
                        let r = send(q, revision, value).await;
                        check_save(&r, closed, &mut model, q, revision, value, &ops);
                    }
                }
                Op::Resume => {
                    let r = app
                        .post_as(&format!("/api/v1/exams/{exam}/sessions"), &t)
                        .await;
                    if closed {
                        assert_eq!(
                            r.status.as_u16(),
                            409,
                            "resume after close: {ops:?} {}",
                            r.text()
                        );
                    } else {
                        r.assert(200);
                        assert_eq!(r.json()["session_id"], sid.as_str());
                    }
                }
                Op::Advance { secs } => {
                    // Stay inside the access token's lifetime.
                    let secs = secs.min(14 * 60 - elapsed);
                    elapsed += secs;
                    app.clock.advance(Duration::seconds(secs));
                }
                Op::Submit => {
                    let r = app
                        .post_as(&format!("/api/v1/sessions/{sid}/submit"), &t)
                        .await;
                    if model.submitted {
                        r.assert(200);
                    } else if closed {
                        r.assert_problem(409, "session_closed");
                    } else {
                        r.assert(200);
                        model.submitted = true;
                    }
                }
            }
        }
        invigil_server::delivery::service::sweep(&app.state)
            .await
            .unwrap();
        // The stored answers are exactly the model's.
        let view = app.get_json(&format!("/api/v1/sessions/{sid}"), &t).await;
        let stored = view["answers"].as_object().unwrap();
        assert_eq!(
            stored.len(),
            model.answers.len(),
            "ops {ops:?} stored {stored:?}"
        );
        for (q, (revision, value)) in &model.answers {
            let a = &stored[&qids[*q]];
            assert_eq!(a["revision"], *revision, "ops {ops:?}");
            assert_eq!(a["response"]["text"], format!("v{value}"), "ops {ops:?}");
        }
        // Time is reset for the next case's candidate.
        app.clock.advance(Duration::seconds(0));
    }
}

#[allow(clippy::too_many_arguments)]
fn check_save(
    r: &crate::common::TestResponse,
    closed: bool,
    model: &mut Model,
    q: usize,
    revision: i64,
    value: u8,
    ops: &[Op],
) {
    if closed {
        assert_eq!(
            r.status.as_u16(),
            409,
            "save after close: {ops:?} {}",
            r.text()
        );
        return;
    }
    assert_eq!(r.status.as_u16(), 200, "save: {ops:?} {}", r.text());
    let stored = model.answers.get(&q).map(|(rev, _)| *rev);
    if stored.is_none_or(|s| revision > s) {
        model.answers.insert(q, (revision, value));
    }
    assert_eq!(
        r.json()["revision"],
        model.answers[&q].0,
        "acknowledged revision: {ops:?}"
    );
}

both!(state_machine_matches_model);
