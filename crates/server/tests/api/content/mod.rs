//! Content: question banks, the review workflow and its two-person rule,
//! questions of the seven types with immutable versions, listing, safe
//! Markdown, GIFT / Aiken / CSV import and export, tenant and department
//! isolation, and the audit trail.

mod import_export;
mod questions;
mod review;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use invigil_domain::identity::Role;

use crate::both;
use invigil_store::tenancy::Organization;

use crate::common::{TestApp, TestResponse, TestUser};

/// The organization `acme` with an EXAM_AUTHOR, `author@acme.test`: how
/// most content tests start.
async fn acme_author(app: &TestApp) -> (Organization, TestUser) {
    let org = app.org("acme").await;
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    (org, author)
}

fn banks_url(org: &str) -> String {
    format!("/api/v1/orgs/{org}/question-banks")
}

fn bank_url(org: &str, bank: &str) -> String {
    format!("/api/v1/orgs/{org}/question-banks/{bank}")
}

fn questions_url(org: &str, bank: &str) -> String {
    format!("{}/questions", bank_url(org, bank))
}

async fn create_bank(app: &TestApp, org: &str, u: &TestUser, body: Value) -> String {
    let r = app.post_json(&banks_url(org), &u.token, &body).await;
    r.assert(201);
    let v = r.json();
    assert_eq!(v["status"], "DRAFT", "{v}");
    assert_eq!(v["author_id"], u.id.to_string());
    v["id"].as_str().expect("bank id").to_owned()
}

async fn add_question(app: &TestApp, org: &str, bank: &str, u: &TestUser, q: &Value) -> Value {
    let r = app.post_json(&questions_url(org, bank), &u.token, q).await;
    r.assert(201);
    r.json()
}

/// `POST .../{bank}/{action}` with an optional JSON body.
async fn act(
    app: &TestApp,
    org: &str,
    bank: &str,
    u: &TestUser,
    action: &str,
    body: Option<Value>,
) -> TestResponse {
    let req = app
        .post(&format!("{}/{action}", bank_url(org, bank)))
        .token(&u.token);
    match body {
        Some(b) => req.json(&b).send().await,
        None => req.send().await,
    }
}

/// Runs a workflow action and checks the bank's new status.
async fn act_ok(app: &TestApp, org: &str, bank: &str, u: &TestUser, action: &str, to: &str) {
    let body = (action == "reject").then(|| json!({ "reason": "please fix" }));
    let r = act(app, org, bank, u, action, body).await;
    r.assert(200);
    assert_eq!(r.json()["status"], to, "{action}");
}

async fn import(
    app: &TestApp,
    org: &str,
    bank: &str,
    u: &TestUser,
    query: &str,
    content_type: &str,
    text: impl Into<Vec<u8>>,
) -> TestResponse {
    app.post(&format!("{}/import?{query}", bank_url(org, bank)))
        .token(&u.token)
        .body(content_type, text)
        .send()
        .await
}

/// Every item of a paged list, walking the cursor with `limit`.
async fn list_all(app: &TestApp, url: &str, u: &TestUser, limit: u32) -> Vec<Value> {
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut page_url = format!("{url}{sep}limit={limit}");
        if let Some(c) = &cursor {
            page_url.push_str(&format!("&cursor={c}"));
        }
        let r = app.get_as(&page_url, &u.token).await;
        r.assert(200);
        let v = r.json();
        let items = v["items"].as_array().expect("items").clone();
        assert!(items.len() <= limit as usize);
        out.extend(items);
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// Ids of the items of one (first) page.
async fn ids(app: &TestApp, url: &str, u: &TestUser) -> Vec<String> {
    let r = app.get_as(url, &u.token).await;
    r.assert(200);
    r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// A question as served, without what differs between two copies of it.
fn content_of(q: &Value) -> Value {
    let mut q = q.clone();
    if let Value::Object(m) = &mut q {
        for k in [
            "id",
            "bank_id",
            "version",
            "status",
            "created_at",
            "updated_at",
        ] {
            m.remove(k);
        }
    }
    q
}

/// One question of each of the seven types, with Markdown and characters
/// that GIFT and CSV must escape.
fn seven() -> Vec<Value> {
    vec![
        json!({"type": "single_choice", "text": "What is **2+2**? Mind {braces}, a=b, ~tilde, #hash, a: colon and \"quotes\".",
               "options": ["3", "4, \"obviously\" | yes", "5"], "correct_answer": {"option": 1},
               "points": 1, "difficulty": "EASY", "tags": ["math", "arith"], "explanation": "Count: one, two."}),
        json!({"type": "multiple_select", "text": "Pick the primes", "options": ["2", "3", "4", "5"],
               "correct_answer": {"options": [3, 0, 1]}, "points": 2.5, "difficulty": "HARD", "tags": ["math", "primes"]}),
        json!({"type": "true_false", "text": "The sky is blue.", "correct_answer": {"value": true},
               "points": 1, "difficulty": "EASY", "tags": ["science"]}),
        json!({"type": "short_answer", "text": "Capital of France?", "correct_answer": {"accepted": ["Paris", "City of Light"], "case_sensitive": true},
               "points": 1, "difficulty": "MEDIUM", "tags": ["geo"]}),
        json!({"type": "numeric", "text": "Gravity on Earth in m/s²?", "correct_answer": {"value": 9.81, "tolerance": 0.01},
               "points": 2, "difficulty": "MEDIUM", "tags": ["math"]}),
        json!({"type": "fill_blank", "text": "Water boils at ___ degrees Celsius.", "correct_answer": {"blanks": [["100", "one hundred"]]},
               "points": 1, "difficulty": "EASY", "tags": ["science"]}),
        json!({"type": "essay", "text": "Discuss the causes of WW1.\n\nUse *two* paragraphs.", "points": 10, "difficulty": "HARD",
               "tags": ["history", "mathematics"], "explanation": "Graded by rubric."}),
    ]
}
