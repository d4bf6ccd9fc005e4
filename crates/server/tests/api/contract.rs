//! The HTTP contract: the OpenAPI document's structure (path parameters,
//! real body schemas, unique schema names), `Idempotency-Key` replay storage
//! (no secrets, cancelled work frees the key, large responses), and who may
//! read `/metrics`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use invigil_server::config::Secret;
use invigil_server::http::idempotency::{self, MAX_STORED_RESPONSE, NOT_KEPT_CODE, SECRET_ROUTES};
use invigil_store::idempotency as store;

use crate::both;
use crate::common::{PASSWORD, TestApp};
use crate::delivery::{ExamOpts, setup_with};

// ---- the OpenAPI document

fn document() -> Value {
    serde_json::to_value(invigil_server::http::openapi()).unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

fn template_vars(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

/// Resolves `#/components/schemas/X`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            doc["components"]["schemas"]
                .get(name)
                .unwrap_or_else(|| panic!("dangling $ref {r}"))
        }
        None => schema,
    }
}

/// Collects, into `bad`, every schema under `schema` that is an object
/// without properties, composition or an explicit `additionalProperties`
/// (a free-form map must say so). `seen` stops recursion through `$ref`s.
fn bare_objects(
    doc: &Value,
    schema: &Value,
    at: &str,
    seen: &mut BTreeSet<String>,
    bad: &mut Vec<String>,
) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        if !seen.insert(r.to_owned()) {
            return;
        }
        let name = r.trim_start_matches("#/components/schemas/");
        return bare_objects(doc, resolve(doc, schema), name, seen, bad);
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let composed = ["oneOf", "anyOf", "allOf"]
        .iter()
        .any(|k| schema.get(*k).is_some());
    if types.contains(&"object")
        && schema.get("properties").is_none()
        && schema.get("additionalProperties").is_none()
        && !composed
    {
        bad.push(at.to_owned());
    }
    if types.is_empty() && schema.as_object().is_some_and(|m| m.is_empty()) && !at.contains('[') {
        // `{}` (any value) as a whole body.
        bad.push(format!("{at} (any value)"));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            bare_objects(doc, v, &format!("{at}.{k}"), seen, bad);
        }
    }
    if let Some(items) = schema.get("items") {
        bare_objects(doc, items, &format!("{at}[]"), seen, bad);
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        bare_objects(doc, extra, &format!("{at}[*]"), seen, bad);
    }
    for k in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(k).and_then(Value::as_array) {
            for (i, s) in list.iter().enumerate() {
                bare_objects(doc, s, &format!("{at}/{k}{i}"), seen, bad);
            }
        }
    }
}

fn body_schemas(op: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(content) = op["requestBody"]["content"].as_object() {
        for (ct, m) in content {
            out.push((format!("request {ct}"), m["schema"].clone()));
        }
    }
    if let Some(responses) = op["responses"].as_object() {
        for (status, r) in responses {
            if let Some(content) = r["content"].as_object() {
                for (ct, m) in content {
                    out.push((format!("response {status} {ct}"), m["schema"].clone()));
                }
            }
        }
    }
    out
}

#[test]
fn path_parameters_match_path_templates() {
    let doc = document();
    let mut problems = Vec::new();
    for (method, path, op) in operations(&doc) {
        let vars = template_vars(&path);
        let mut declared = BTreeSet::new();
        for p in op["parameters"].as_array().cloned().unwrap_or_default() {
            let name = p["name"].as_str().unwrap().to_owned();
            if p["in"] == "path" {
                if !vars.contains(&name) {
                    problems.push(format!(
                        "{method} {path}: path parameter `{name}` is not in the path"
                    ));
                }
                if p["required"] != true {
                    problems.push(format!(
                        "{method} {path}: path parameter `{name}` not required"
                    ));
                }
                declared.insert(name);
            }
        }
        for v in vars.difference(&declared) {
            problems.push(format!("{method} {path}: `{{{v}}}` is not declared"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn operation_ids_are_unique() {
    let doc = document();
    let mut seen = BTreeMap::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap().to_owned();
        if let Some(prev) = seen.insert(id.clone(), format!("{method} {path}")) {
            panic!("operationId {id} used by {prev} and {method} {path}");
        }
    }
}

#[test]
fn every_body_has_a_real_schema() {
    let doc = document();
    let mut bad = Vec::new();
    for (method, path, op) in operations(&doc) {
        for (what, schema) in body_schemas(&op) {
            let mut found = Vec::new();
            bare_objects(&doc, &schema, "body", &mut BTreeSet::new(), &mut found);
            for f in found {
                bad.push(format!("{method} {path} {what}: {f}"));
            }
        }
        // Every error answer is a problem document.
        for (status, r) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &r["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/Problem",
                    "{method} {path} {status} is not problem+json"
                );
            }
        }
        // A body is declared for every JSON-reading mutation.
        let reads_body = op.get("requestBody").is_some();
        if method == "patch" || method == "put" {
            assert!(reads_body, "{method} {path} declares no request body");
        }
    }
    assert!(bad.is_empty(), "bare objects:\n{}", bad.join("\n"));
}

#[test]
fn answer_shapes_are_one_of_per_question_type() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let answer = &schemas["AnswerResponse"];
    assert_eq!(
        answer["oneOf"].as_array().map(Vec::len),
        Some(6),
        "{answer}"
    );
    let key = &schemas["CorrectAnswer"];
    assert_eq!(key["oneOf"].as_array().map(Vec::len), Some(6), "{key}");
    let body = &schemas["QuestionBody"];
    let variants = body["oneOf"].as_array().expect("QuestionBody is oneOf");
    let types: BTreeSet<String> = variants
        .iter()
        .map(|v| {
            let v = resolve(&doc, v);
            v["properties"]["type"]["enum"][0]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types.len(), 7, "{types:?}");
    // The save body and the candidate's session use the answer shapes.
    let save = serde_json::to_string(&schemas["SaveBody"]).unwrap();
    assert!(save.contains("AnswerResponse"), "{save}");
    assert!(schemas.get("ExamSession").is_some() && schemas.get("SignInSession").is_some());
}

/// Schema names are unique across the crate: two `ToSchema` types with one
/// name would silently replace each other in the document.
#[test]
fn schema_names_are_unique() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut dups = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let l = line.trim();
                if !(l.starts_with("#[derive(") && l.contains("ToSchema")) {
                    continue;
                }
                let mut alias = None;
                for next in lines.iter().skip(i + 1).take(12) {
                    let n = next.trim();
                    if let Some(rest) = n.strip_prefix("#[schema(as = ") {
                        alias = Some(rest.trim_end_matches(")]").to_owned());
                    }
                    let item = n
                        .strip_prefix("pub struct ")
                        .or_else(|| n.strip_prefix("pub enum "))
                        .or_else(|| n.strip_prefix("struct "))
                        .or_else(|| n.strip_prefix("enum "));
                    if let Some(item) = item {
                        let ident: String = item
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let name = alias.take().unwrap_or(ident);
                        let here = format!("{}:{}", path.display(), i + 1);
                        if let Some(prev) = names.insert(name.clone(), here.clone()) {
                            dups.push(format!("{name}: {prev} and {here}"));
                        }
                        break;
                    }
                }
            }
        }
    }
    assert!(names.len() > 50, "found only {} schemas", names.len());
    assert!(
        dups.is_empty(),
        "schema names used twice:\n{}",
        dups.join("\n")
    );
}

/// Every POST whose answer carries a token is on the idempotency layer's
/// list of routes that never store their responses.
#[test]
fn token_minting_routes_are_never_replay_stored() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        if method != "post" {
            continue;
        }
        let mut mints = false;
        for (what, schema) in body_schemas(&op) {
            if !what.starts_with("response 2") {
                continue;
            }
            let s = resolve(&doc, &schema);
            if let Some(props) = s["properties"].as_object() {
                mints |= props.keys().any(|k| k == "token" || k.ends_with("_token"));
            }
        }
        if mints {
            let full = format!("/api/v1{}", path.trim_start_matches("/api/v1"));
            assert!(
                SECRET_ROUTES.contains(&full.as_str()),
                "{path} answers with a token but is not in SECRET_ROUTES"
            );
        }
    }
}

// ---- Idempotency-Key

both!(
    idempotency_never_stores_tokens,
    idempotency_key_freed_when_request_is_cancelled,
    idempotency_keeps_a_notice_for_large_responses,
);

async fn idempotency_never_stores_tokens(app: TestApp) {
    let u = app.user("keys@example.org").await;
    // Sign-in with a bearer token and a key: answered normally, nothing kept.
    for _ in 0..2 {
        let r = app
            .post("/api/v1/auth/login")
            .token(&u.token)
            .header("idempotency-key", "login-1")
            .json(&json!({ "email": u.email, "password": PASSWORD }))
            .send()
            .await;
        r.assert(200);
        assert!(r.header("idempotent-replay").is_none());
        assert!(r.json()["refresh_token"].is_string());
    }
    assert!(
        store::find(app.db().write(), u.id, "login-1")
            .await
            .unwrap()
            .is_none()
    );
    let r = app
        .post("/api/v1/auth/refresh")
        .token(&u.token)
        .header("idempotency-key", "refresh-1")
        .json(&json!({ "refresh_token": u.refresh_token }))
        .send()
        .await;
    r.assert(200);
    assert!(
        store::find(app.db().write(), u.id, "refresh-1")
            .await
            .unwrap()
            .is_none()
    );

    // A phone pairing token: a retry gets a fresh token, none is stored.
    let s = setup_with(&app, ExamOpts::default()).await;
    let r = app
        .post(&format!("/api/v1/exams/{}/sessions", s.exam_id))
        .token(&s.candidate.token)
        .send()
        .await;
    let session = r.json()["session_id"].as_str().unwrap().to_owned();
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let r = app
            .post(&format!("/api/v1/sessions/{session}/pairing"))
            .token(&s.candidate.token)
            .header("idempotency-key", "pair-1")
            .send()
            .await;
        r.assert(200);
        assert!(r.header("idempotent-replay").is_none());
        tokens.push(r.json()["pairing_token"].as_str().unwrap().to_owned());
    }
    assert_ne!(tokens[0], tokens[1]);
    assert!(
        store::find(app.db().write(), s.candidate.id, "pair-1")
            .await
            .unwrap()
            .is_none()
    );
}

/// A tiny app behind the real idempotency layer, with a handler the test
/// controls.
fn layered(app: &TestApp, handler: Router) -> Router {
    handler.route_layer(axum::middleware::from_fn_with_state(
        app.state.clone(),
        idempotency::layer,
    ))
}

fn keyed_post(uri: &str, token: &str, key: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap()
}

async fn idempotency_key_freed_when_request_is_cancelled(app: TestApp) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let u = app.user("cancel@example.org").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let router = layered(
        &app,
        Router::new().route(
            "/slow",
            post(move || {
                let c = c.clone();
                async move {
                    // The first call hangs until it is cancelled.
                    if c.fetch_add(1, Ordering::SeqCst) == 0 {
                        tokio::time::sleep(Duration::from_secs(600)).await;
                    }
                    (StatusCode::CREATED, "{\"ok\":true}")
                }
            }),
        ),
    );
    // The first request reaches the handler, then its future is dropped
    // (what a client disconnect or the timeout layer does).
    let first = tokio::spawn(
        router
            .clone()
            .oneshot(keyed_post("/slow", &u.token, "k-cancel")),
    );
    for _ in 0..400 {
        if calls.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler never started");
    first.abort();
    assert!(first.await.is_err_and(|e| e.is_cancelled()));
    // The drop guard frees the key in the background.
    let mut freed = false;
    for _ in 0..50 {
        if store::find(app.db().write(), u.id, "k-cancel")
            .await
            .unwrap()
            .is_none()
        {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(freed, "the reservation of a cancelled request was kept");
    let retry = router
        .clone()
        .oneshot(keyed_post("/slow", &u.token, "k-cancel"))
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    // And now the key replays.
    let again = router
        .oneshot(keyed_post("/slow", &u.token, "k-cancel"))
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replay"], "true");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

async fn idempotency_keeps_a_notice_for_large_responses(app: TestApp) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let u = app.user("large@example.org").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let router = layered(
        &app,
        Router::new().route(
            "/big",
            post(move || {
                let c = c.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    let big = format!("\"{}\"", "x".repeat(MAX_STORED_RESPONSE + 10));
                    (StatusCode::CREATED, big)
                }
            }),
        ),
    );
    let first = router
        .clone()
        .oneshot(keyed_post("/big", &u.token, "k-big"))
        .await
        .unwrap();
    assert_eq!(
        first.status(),
        StatusCode::CREATED,
        "committed work is not a 500"
    );
    let body = first.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        body.len(),
        MAX_STORED_RESPONSE + 12,
        "the client gets it all"
    );
    let replay = router
        .oneshot(keyed_post("/big", &u.token, "k-big"))
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replay"], "true");
    let v: Value =
        serde_json::from_slice(&replay.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["code"], NOT_KEPT_CODE);
    assert_eq!(v["status"], 201);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a retry does not repeat the work"
    );
}

// ---- /metrics

both!(metrics_are_open_by_default,);
both!(config = |c| c.metrics_addr = Some("127.0.0.1:0".parse().unwrap()) => metrics_addr_moves_metrics_off_the_main_listener);
both!(config = |c| c.metrics_token = Some(Secret::new(METRICS_TOKEN)) => metrics_token_is_required_when_configured);

async fn metrics_are_open_by_default(app: TestApp) {
    let r = app.get("/metrics").send().await;
    r.assert(200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
}

const METRICS_TOKEN: &str = "metrics-token-0123456789";

async fn metrics_token_is_required_when_configured(app: TestApp) {
    let token = METRICS_TOKEN;
    app.get("/metrics")
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    app.get("/metrics")
        .header("authorization", "Bearer metrics-token-0123456780")
        .send()
        .await
        .assert(401);
    app.get("/metrics")
        .header("authorization", "Bearer metrics-token")
        .send()
        .await
        .assert(401);
    // A user's access token is not the metrics token.
    let u = app.user("metrics@example.org").await;
    app.get("/metrics").token(&u.token).send().await.assert(401);
    let r = app
        .get("/metrics")
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await;
    r.assert(200);
    assert!(r.text().contains("http_requests_total"), "{}", r.text());
}

async fn metrics_addr_moves_metrics_off_the_main_listener(app: TestApp) {
    app.get("/metrics")
        .send()
        .await
        .assert_problem(404, "not_found");
    let r = invigil_server::http::ops::metrics_router(app.state.clone())
        .oneshot(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

both!(idempotency_key_left_by_a_killed_process_is_taken_over);

/// A reservation whose request died with the process (no drop guard ran)
/// does not block retries for 24 hours: once older than twice the request
/// timeout plus a minute, the same request runs again.
async fn idempotency_key_left_by_a_killed_process_is_taken_over(app: TestApp) {
    use sha2::{Digest, Sha256};
    let u = app.user("killed@example.org").await;
    let router = layered(
        &app,
        Router::new().route("/work", post(|| async { (StatusCode::CREATED, "{}") })),
    );
    // What the layer hashes: method, path, query and body.
    let hash = hex::encode(Sha256::digest(b"POST /work?\n{}"));
    let reserved = store::reserve(
        app.db().write(),
        u.id,
        "k-killed",
        &hash,
        app.state.now(),
        chrono::TimeDelta::minutes(2),
    )
    .await
    .unwrap();
    assert_eq!(reserved, store::Reservation::Fresh);
    // Soon after: still running as far as anyone can tell.
    let r = router
        .clone()
        .oneshot(keyed_post("/work", &u.token, "k-killed"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Long after the request timeout: taken over.
    app.clock.advance(chrono::Duration::minutes(3));
    let r = router
        .clone()
        .oneshot(keyed_post("/work", &u.token, "k-killed"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.headers().get("idempotent-replay").is_none());
    let r = router
        .oneshot(keyed_post("/work", &u.token, "k-killed"))
        .await
        .unwrap();
    assert_eq!(r.headers()["idempotent-replay"], "true");
}

both!(idempotency_replays_and_refuses_a_reused_key);

async fn idempotency_replays_and_refuses_a_reused_key(app: TestApp) {
    let org = app.org("keys").await;
    let admin = app
        .member(
            &org,
            "admin@keys.org",
            &[invigil_domain::identity::Role::OrgAdmin],
        )
        .await;
    let send = |name: &'static str| {
        app.post("/api/v1/orgs/keys/departments")
            .token(&admin.token)
            .header("idempotency-key", "dept-1")
            .json(&json!({ "name": name }))
            .send()
    };
    let first = send("Physics").await;
    first.assert(201);
    let again = send("Physics").await;
    again.assert(201);
    assert_eq!(again.header("idempotent-replay"), Some("true"));
    assert_eq!(again.json()["id"], first.json()["id"]);
    send("Chemistry")
        .await
        .assert_problem(422, "idempotency_key_reused");
    let list = app
        .get("/api/v1/orgs/keys/departments")
        .token(&admin.token)
        .send()
        .await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);
}

both!(
    audit_log_filters_with_control_characters_are_refused,
    content_list_filters_with_control_characters_are_refused,
);

/// Found by Schemathesis: a NUL in an audit-log filter was a 500 on
/// PostgreSQL (it refuses NUL in text parameters).
async fn audit_log_filters_with_control_characters_are_refused(app: TestApp) {
    let org = app.org("audited").await;
    let admin = app
        .member(
            &org,
            "admin@audited.org",
            &[invigil_domain::identity::Role::OrgAdmin],
        )
        .await;
    for q in ["resource_id=%00x", "action=a%00", "resource_type=%01"] {
        app.get(&format!("/api/v1/orgs/audited/audit-log?{q}"))
            .token(&admin.token)
            .send()
            .await
            .assert_problem(422, "validation_failed");
    }
    app.get("/api/v1/orgs/audited/audit-log?resource_id=x")
        .token(&admin.token)
        .send()
        .await
        .assert(200);
}

/// The same for the question-bank and question list filters.
async fn content_list_filters_with_control_characters_are_refused(app: TestApp) {
    let org = app.org("filters").await;
    let author = app
        .member(
            &org,
            "author@filters.org",
            &[invigil_domain::identity::Role::ExamAuthor],
        )
        .await;
    app.get("/api/v1/orgs/filters/question-banks?status=%00")
        .token(&author.token)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let bank = app
        .post("/api/v1/orgs/filters/question-banks")
        .token(&author.token)
        .json(&json!({ "title": "Bank" }))
        .send()
        .await;
    bank.assert(201);
    let bank = bank.json()["id"].as_str().unwrap().to_owned();
    for q in ["q=a%00", "tag=%00", "type=%00", "difficulty=%1b"] {
        app.get(&format!(
            "/api/v1/orgs/filters/question-banks/{bank}/questions?{q}"
        ))
        .token(&author.token)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    }
    app.get(&format!(
        "/api/v1/orgs/filters/question-banks/{bank}/questions?q=x"
    ))
    .token(&author.token)
    .send()
    .await
    .assert(200);
}
