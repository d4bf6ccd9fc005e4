//! The OpenAPI document: path parameters, operation ids, body schemas,
//! answer shapes, schema names, token-minting routes.

use super::*;

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
