//! The OpenAI-compatible evaluator against a loopback HTTP peer (axum)
//! that answers like the API: its scores are used (clamped), a bad reply
//! or a timeout falls back to the rubric, and it receives only the
//! question, rubric and answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

use invigil_domain::practice::{self as rules, ExpectedPoint, Question};
use invigil_server::config::{Config, Secret};
use invigil_server::practice::evaluator::{Evaluator, OpenAiEvaluator};

use super::{answer_url, scenario, start};
use crate::both;
use crate::common::TestApp;
use crate::courses::world;

static LISTENERS: Mutex<Vec<std::net::TcpListener>> = Mutex::new(Vec::new());

/// Points the app at a loopback listener bound now (served by the test).
fn remote_config(c: &mut Config) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    c.practice_evaluator_url = Some(format!("http://{}", l.local_addr().unwrap()));
    c.practice_evaluator_key = Some(Secret::new("sk-test"));
    LISTENERS.lock().unwrap().push(l);
}

fn listener_of(url: &str) -> tokio::net::TcpListener {
    let mut ls = LISTENERS.lock().unwrap();
    let i = ls
        .iter()
        .position(|l| format!("http://{}", l.local_addr().unwrap()) == url)
        .unwrap();
    let l = ls.remove(i);
    l.set_nonblocking(true).unwrap();
    tokio::net::TcpListener::from_std(l).unwrap()
}

type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

async fn completions(
    State(seen): State<Seen>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let auth = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    seen.lock().unwrap().push((auth, v.clone()));
    let task: Value = v["messages"][1]["content"]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let answer = task["answer"].as_str().unwrap_or_default();
    if answer.contains("garbage") {
        return (
            StatusCode::OK,
            "{\"choices\": [{\"message\": {\"content\": \"not json\"}}]}".to_owned(),
        );
    }
    if answer.contains("broken") {
        return (StatusCode::INTERNAL_SERVER_ERROR, "{}".to_owned());
    }
    if answer.contains("slow") {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let content = json!({"score": 12, "feedback": "Good: clear and complete.",
        "matched_points": ["Speeds up lookups"], "missing_points": []});
    if answer.contains("huge") {
        // A well-formed reply, too large to be read (2 MiB of padding).
        return (
            StatusCode::OK,
            json!({"choices": [{"message": {"role": "assistant", "content": content.to_string()}}],
                "padding": "x".repeat(2 * 1024 * 1024)})
            .to_string(),
        );
    }
    (
        StatusCode::OK,
        json!({"choices": [{"message": {"role": "assistant", "content": content.to_string()}}]})
            .to_string(),
    )
}

async fn serve(listener: tokio::net::TcpListener) -> Seen {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .route(
            "/moved/v1/chat/completions",
            post(|| async {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [("location", "/v1/chat/completions")],
                )
            }),
        )
        .with_state(seen.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    seen
}

async fn the_remote_evaluator_scores_and_falls_back(app: TestApp) {
    let url = app.state.config.practice_evaluator_url.clone().unwrap();
    let seen = serve(listener_of(&url)).await;
    let w = world(&app).await;
    let sc = scenario(&app, &w, true).await;
    let s = start(&app, &w.learner.token, sc).await;
    let answer = answer_url(&s);
    // The remote score is used, clamped to the question's maximum.
    let r = app
        .post_json(
            &answer,
            &w.learner.token,
            &json!({"content": "A remote answer"}),
        )
        .await;
    r.assert(200);
    let e = &r.json()["messages"][1]["evaluation"];
    assert_eq!(e["score"], 10.0, "{e}");
    assert_eq!(e["feedback"], "Good: clear and complete.");
    assert_eq!(e["matched_points"], json!(["Speeds up lookups"]));
    // A reply that is not the JSON asked for: the rubric scores it.
    let r = app
        .post_json(
            &answer,
            &w.learner.token,
            &json!({"content": "garbage but unique"}),
        )
        .await;
    r.assert(200);
    let done = r.json();
    let e = &done["messages"][3]["evaluation"];
    assert_eq!(e["score"], 2.5);
    assert_eq!(
        e["feedback"],
        "Score 2.5 of 5. Covered: Unique. Missing: Not null."
    );
    assert_eq!(done["status"], "COMPLETED");
    // What the API received: the key, the question, rubric and answer; no
    // names, emails or ids.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for (auth, body) in &seen {
        assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
        let text = body.to_string();
        for secret in [
            w.learner.id.to_string(),
            w.org.id.to_string(),
            s["id"].as_str().unwrap().to_owned(),
            sc.to_string(),
            "ann@acme.org".to_owned(),
            "acme".to_owned(),
        ] {
            assert!(!text.contains(&secret), "{secret} sent: {text}");
        }
    }
    assert!(seen[0].1.to_string().contains("What does an index do?"));
    assert!(seen[0].1.to_string().contains("Speeds up lookups"));
}

both!(config = remote_config => the_remote_evaluator_scores_and_falls_back);

fn question() -> Question {
    Question {
        prompt: "What does an index do?".into(),
        expected_points: vec![ExpectedPoint {
            text: "Speeds up lookups".into(),
            keywords: vec!["fast*".into()],
            weight: 1.0,
        }],
        max_score: 4.0,
        model_answer: None,
    }
}

#[tokio::test]
async fn timeouts_and_errors_fall_back_to_the_rubric() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = serve(listener).await;
    let q = question();
    let eval = OpenAiEvaluator::new(&base, None, "m").with_timeout(Duration::from_millis(300));
    for answer in ["slow and fast", "broken but fast"] {
        let started = std::time::Instant::now();
        let got = eval.evaluate(&q, answer).await;
        assert_eq!(got, rules::evaluate(&q, answer), "{answer}");
        assert_eq!(got.score, 4.0);
        assert!(started.elapsed() < Duration::from_secs(2), "{answer}");
    }
    let ok = eval.evaluate(&q, "fine").await;
    assert_eq!(ok.score, 4.0, "12 clamped to the maximum");
    assert_eq!(ok.feedback, "Good: clear and complete.");
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert!(seen.lock().unwrap()[0].0.is_none(), "no key, no header");
    // A reply over 1 MiB is not read; a redirect is not followed.
    let huge = eval.evaluate(&q, "huge but fast").await;
    assert_eq!(huge, rules::evaluate(&q, "huge but fast"));
    let moved = OpenAiEvaluator::new(&format!("{base}/moved"), None, "m")
        .with_timeout(Duration::from_millis(300));
    let got = moved.evaluate(&q, "fast").await;
    assert_eq!(got, rules::evaluate(&q, "fast"));
    assert_eq!(
        seen.lock().unwrap().len(),
        4,
        "the redirect's target never asked"
    );
    // Nobody listening: the rubric again.
    let gone = OpenAiEvaluator::new("http://127.0.0.1:9/", None, "m")
        .with_timeout(Duration::from_millis(300));
    assert_eq!(gone.evaluate(&q, "fast").await.score, 4.0);
}
