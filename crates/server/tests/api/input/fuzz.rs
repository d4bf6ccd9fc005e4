//! Property test over the OpenAPI document: for every operation, a string
//! holding a control character (NUL and the other C0 controls but tab, LF and
//! CR, at a random place, drawn by proptest) goes into each string field of
//! the JSON request body in turn (keys of objects too), into each path
//! parameter and into each query parameter. Each request is sent with a token
//! of a user allowed to call the route; every answer must be a 4xx
//! problem+json, never a 5xx and never a success.
//!
//! The body walker follows `$ref`, `allOf`, `oneOf`/`anyOf` (every
//! alternative), object properties, `additionalProperties` and arrays, so it
//! covers whatever the schemas describe, and more as they get more precise.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value, json};

use crate::both;
use crate::common::{TestApp, TestResponse};

const MAX_DEPTH: usize = 8;

/// A string with one forbidden control character somewhere.
fn poison_strategy() -> impl Strategy<Value = String> {
    // NUL, which PostgreSQL cannot store, half the time.
    let control = proptest::prop_oneof![
        proptest::strategy::Just('\u{0}'),
        (1u32..0x20)
            .prop_filter("tab, LF and CR are allowed", |c| !matches!(c, 9 | 10 | 13))
            .prop_map(|c| char::from_u32(c).unwrap_or('\u{0}')),
    ];
    ("[a-z@.]{0,6}", control, "[a-z0-9]{0,6}").prop_map(|(a, c, b)| format!("{a}{c}{b}"))
}

struct Poison {
    runner: TestRunner,
    strategy: proptest::strategy::BoxedStrategy<String>,
}

impl Poison {
    fn new() -> Poison {
        Poison {
            runner: TestRunner::default(),
            strategy: poison_strategy().boxed(),
        }
    }
    fn next(&mut self) -> String {
        self.strategy
            .new_tree(&mut self.runner)
            .expect("poison value")
            .current()
    }
}

struct Spec<'a> {
    doc: &'a Value,
}

impl<'a> Spec<'a> {
    /// Follows `$ref`s to the schema itself.
    fn resolve(&self, mut s: &'a Value) -> &'a Value {
        for _ in 0..MAX_DEPTH {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else {
                return s;
            };
            let Some(name) = r.strip_prefix("#/components/schemas/") else {
                return s;
            };
            match self.doc["components"]["schemas"].get(name) {
                Some(t) => s = t,
                None => return s,
            }
        }
        s
    }

    /// The schema's type, the first that is not "null".
    fn ty(s: &Value) -> Option<&str> {
        match s.get("type") {
            Some(Value::String(t)) => Some(t.as_str()),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ => None,
        }
    }

    /// The alternatives of a `oneOf`/`anyOf`, without bare nulls.
    fn alternatives(&self, s: &'a Value) -> Option<Vec<&'a Value>> {
        let alts = s.get("oneOf").or_else(|| s.get("anyOf"))?.as_array()?;
        Some(
            alts.iter()
                .map(|a| self.resolve(a))
                .filter(|a| Self::ty(a).is_some() || a.get("type").is_none())
                .filter(|a| a.get("type") != Some(&json!("null")))
                .collect(),
        )
    }

    /// Properties of an object schema, `allOf` parts merged.
    fn properties(&self, s: &'a Value) -> Vec<(&'a str, &'a Value)> {
        let mut out = Vec::new();
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            for p in parts {
                out.extend(self.properties(self.resolve(p)));
            }
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                out.push((k.as_str(), self.resolve(v)));
            }
        }
        out
    }

    fn is_object(&self, s: &Value) -> bool {
        Self::ty(s) == Some("object") || s.get("properties").is_some() || s.get("allOf").is_some()
    }

    /// A small valid-looking value of the schema.
    fn minimal(&self, s: &'a Value, depth: usize) -> Value {
        let s = self.resolve(s);
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        if let Some(alts) = self.alternatives(s)
            && let Some(first) = alts.first()
        {
            return self.minimal(first, depth + 1);
        }
        if let Some(e) = s
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return e.clone();
        }
        if let Some(ex) = s.get("example") {
            return ex.clone();
        }
        if self.is_object(s) {
            let mut m = Map::new();
            for (k, v) in self.properties(s) {
                m.insert(k.to_owned(), self.minimal(v, depth + 1));
            }
            return Value::Object(m);
        }
        match Self::ty(s) {
            Some("string") => match s.get("format").and_then(Value::as_str) {
                Some("uuid") => json!(uuid::Uuid::new_v4()),
                Some("date-time") => json!("2030-01-01T00:00:00Z"),
                Some("date") => json!("2030-01-01"),
                Some("email") => json!("someone@fuzz.example"),
                _ => json!("x"),
            },
            Some("integer") | Some("number") => s
                .get("minimum")
                .cloned()
                .filter(|m| m.as_f64().is_some_and(|m| m > 0.0))
                .unwrap_or(json!(1)),
            Some("boolean") => json!(false),
            Some("array") => match s.get("items") {
                Some(items) => json!([self.minimal(items, depth + 1)]),
                None => json!([]),
            },
            _ => Value::Null,
        }
    }

    /// Values of the schema with one poisoned string each, with where.
    fn variants(&self, s: &'a Value, depth: usize, poison: &mut Poison) -> Vec<(String, Value)> {
        let s = self.resolve(s);
        if depth > MAX_DEPTH {
            return Vec::new();
        }
        if let Some(alts) = self.alternatives(s) {
            return alts
                .into_iter()
                .enumerate()
                .flat_map(|(i, a)| {
                    self.variants(a, depth + 1, poison)
                        .into_iter()
                        .map(move |(loc, v)| (format!("<alt {i}>{loc}"), v))
                })
                .collect();
        }
        if self.is_object(s) {
            let base = self.minimal(s, depth);
            let mut out = Vec::new();
            for (k, v) in self.properties(s) {
                for (loc, value) in self.variants(v, depth + 1, poison) {
                    let mut body = base.clone();
                    body[k] = value;
                    out.push((format!(".{k}{loc}"), body));
                }
            }
            if let Some(extra) = s.get("additionalProperties").filter(|a| a.is_object()) {
                for (loc, value) in self.variants(extra, depth + 1, poison) {
                    let mut body = base.clone();
                    body["k"] = value;
                    out.push((format!(".k{loc}"), body));
                }
            }
            // A poisoned key.
            let mut body = base;
            if let Some(m) = body.as_object_mut() {
                m.insert(poison.next(), json!("x"));
                out.push(("<key>".to_owned(), body));
            }
            return out;
        }
        match Self::ty(s) {
            Some("string") => vec![(String::new(), json!(poison.next()))],
            Some("array") => match s.get("items") {
                Some(items) => self
                    .variants(items, depth + 1, poison)
                    .into_iter()
                    .map(|(loc, v)| (format!("[0]{loc}"), json!([v])))
                    .collect(),
                None => Vec::new(),
            },
            // A bare `object` (no schema yet) or an untyped value: a
            // poisoned string and a poisoned key.
            Some("object") | None => vec![
                (String::new(), json!(poison.next())),
                ("<key>".to_owned(), json!({ poison.next(): "x" })),
            ],
            _ => Vec::new(),
        }
    }
}

/// Percent-encodes every byte that is not unreserved.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

struct Failure(String);

/// Checks one answer; true when it names the control character (the request
/// got as far as the check rather than being refused for another reason).
fn check(r: &TestResponse, what: &str, failures: &mut Vec<Failure>) -> bool {
    let problem = r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/problem+json"));
    if !r.status.is_client_error() || !problem {
        failures.push(Failure(format!(
            "{what}: {} {}",
            r.status,
            r.text().chars().take(300).collect::<String>()
        )));
    }
    let named = r.text().contains("control characters");
    if !named && std::env::var("FUZZ_DEBUG").is_ok() {
        eprintln!(
            "not named: {what}: {} {}",
            r.status,
            r.text().chars().take(160).collect::<String>()
        );
    }
    named
}

async fn control_characters_anywhere_are_refused(app: TestApp) {
    let w = app.world("fz").await;
    let root = app.super_admin("root@fz.example").await;
    // A running session of the candidate, so that delivery, proctoring and
    // grading routes get past their lookups to the body.
    let active = crate::delivery::insert_exam(
        &app,
        &w.org,
        w.approved_bank,
        w.admin.id,
        &crate::delivery::ExamOpts::default(),
    )
    .await;
    crate::delivery::enroll(&app, &w.org, active, w.candidate.id, None).await;
    let r = app
        .post_as(
            &format!("/api/v1/exams/{active}/sessions"),
            &w.candidate.token,
        )
        .await;
    r.assert(201);
    let started = r.json();
    let session = started["session_id"].as_str().unwrap().to_owned();
    let question = started["questions"][0]["id"].as_str().unwrap().to_owned();
    let doc = serde_json::to_value(invigil_server::http::openapi()).unwrap();
    let spec = Spec { doc: &doc };
    let mut poison = Poison::new();
    let mut failures = Vec::new();
    let mut sent = 0usize;
    let mut body_fields = 0usize;
    let mut named = 0usize;
    let mut body_named = 0usize;
    let paths = doc["paths"].as_object().unwrap();
    for (template, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<axum::http::Method>() else {
                continue;
            };
            let template = template.clone();
            let full = if template.starts_with("/api/") || !is_api(&template) {
                template.clone()
            } else {
                format!("/api/v1{template}")
            };
            let token = if full.starts_with("/api/v1/sessions")
                || full.starts_with("/api/v1/exams/")
                || full.starts_with("/api/v1/pairing")
                || full.contains("/appeal")
            {
                w.candidate.token.clone()
            } else if full == "/api/v1/orgs" {
                root.token.clone()
            } else {
                w.admin.token.clone()
            };
            // Parameters: a name in the template is a path parameter,
            // anything else goes to the query (whatever `in` says).
            let params: Vec<(String, Value)> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p["schema"].clone())))
                        .collect()
                })
                .unwrap_or_default();
            let path_value = |name: &str| -> String {
                match name {
                    "org" => w.org.slug.clone(),
                    "bank" => w.draft_bank.to_string(),
                    "exam" => w.exam.to_string(),
                    "user_id" => w.candidate.id.to_string(),
                    "session" => session.clone(),
                    "question_id" => question.clone(),
                    _ => uuid::Uuid::new_v4().to_string(),
                }
            };
            let fill = |poisoned: Option<(&str, &str)>| -> String {
                let mut p = full.clone();
                for (name, _) in &params {
                    let key = format!("{{{name}}}");
                    if p.contains(&key) {
                        let v = match poisoned {
                            Some((n, v)) if n == name => v.to_owned(),
                            _ => encode(&path_value(name)),
                        };
                        p = p.replace(&key, &v);
                    }
                }
                p
            };
            let body_schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
            let send = |path: String, body: Option<Value>| {
                let mut req = app.req(method.clone(), &path).token(&token);
                if let Some(b) = body {
                    req = req.json(&b);
                }
                req.send()
            };
            let base_body = (!body_schema.is_null()).then(|| spec.minimal(&body_schema, 0));
            // Each path and query parameter.
            for (name, _) in &params {
                let bad = poison.next();
                let (path, what) = if full.contains(&format!("{{{name}}}")) {
                    (
                        fill(Some((name, &encode(&bad)))),
                        format!("{method} {template} path {name}={bad:?}"),
                    )
                } else {
                    (
                        format!("{}?{}={}", fill(None), encode(name), encode(&bad)),
                        format!("{method} {template} query {name}={bad:?}"),
                    )
                };
                let r = send(path, base_body.clone()).await;
                sent += 1;
                named += usize::from(check(&r, &what, &mut failures));
            }
            // Each string field of the JSON body.
            if !body_schema.is_null() {
                for (loc, body) in spec.variants(&body_schema, 0, &mut poison) {
                    let r = send(fill(None), Some(body.clone())).await;
                    sent += 1;
                    body_fields += 1;
                    let what = format!("{method} {template} body{loc} = {body}");
                    if check(&r, &what, &mut failures) {
                        named += 1;
                        body_named += 1;
                    }
                }
            }
        }
    }
    eprintln!(
        "{sent} requests, {named} refused naming the control character; \
         {body_named} of {body_fields} body fields got as far as the check"
    );
    assert!(sent > 100, "only {sent} requests: is the document empty?");
    assert!(body_fields > 50, "only {body_fields} body fields walked");
    // Most bodies must reach the check (not stop at a 403/404 first), or
    // the fixture no longer fits the routes and the test proves little.
    assert!(
        body_named * 10 >= body_fields * 9,
        "only {body_named} of {body_fields} body fields reached the check (FUZZ_DEBUG=1 lists the others)"
    );
    let report: Vec<String> = failures.into_iter().map(|f| f.0).collect();
    assert!(
        report.is_empty(),
        "{} of {sent} requests were not refused with a 4xx problem:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// Whether a document path is under `/api/v1` once nested.
fn is_api(template: &str) -> bool {
    !matches!(template, "/healthz" | "/readyz" | "/metrics")
}

both!(control_characters_anywhere_are_refused);
