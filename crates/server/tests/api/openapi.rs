//! The OpenAPI document (what `invigil openapi` prints) against the committed
//! snapshot `openapi.snapshot.json`: a change to the HTTP contract shows up
//! in review as a change to that file. After an intended change:
//! `UPDATE_SNAPSHOTS=1 cargo test -p invigil-server --test api openapi_snapshot`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

const UPDATE_ENV: &str = "UPDATE_SNAPSHOTS";

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api/openapi.snapshot.json")
}

/// The document exactly as `invigil openapi` prints it.
fn document() -> String {
    let json = invigil_server::http::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document renders");
    format!("{json}\n")
}

/// Operations (`METHOD /path`) and schema names in `doc`.
fn outline(doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut operations = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    (operations, schemas)
}

/// A few lines saying what changed: operations and schemas added or gone,
/// then the first differing line.
fn summary(expected: &str, actual: &str) -> String {
    let mut out = Vec::new();
    if let (Ok(old), Ok(new)) = (
        serde_json::from_str::<Value>(expected),
        serde_json::from_str::<Value>(actual),
    ) {
        let (old_ops, old_schemas) = outline(&old);
        let (new_ops, new_schemas) = outline(&new);
        for (what, old, new) in [
            ("operation", &old_ops, &new_ops),
            ("schema", &old_schemas, &new_schemas),
        ] {
            for added in new.difference(old) {
                out.push(format!("  + {what} {added}"));
            }
            for gone in old.difference(new) {
                out.push(format!("  - {what} {gone}"));
            }
        }
    } else {
        out.push("  (the snapshot is not valid JSON)".to_owned());
    }
    let differing = expected
        .lines()
        .zip(actual.lines())
        .enumerate()
        .find(|(_, (e, a))| e != a);
    match differing {
        Some((i, (e, a))) => {
            out.push(format!("  first difference at line {}:", i + 1));
            out.push(format!("    snapshot: {}", e.trim()));
            out.push(format!("    document: {}", a.trim()));
        }
        None => out.push(format!(
            "  lines: snapshot {}, document {}",
            expected.lines().count(),
            actual.lines().count()
        )),
    }
    out.join("\n")
}

#[test]
fn openapi_snapshot() {
    let path = snapshot_path();
    let actual = document();
    if std::env::var(UPDATE_ENV).is_ok_and(|v| !v.is_empty()) {
        std::fs::write(&path, &actual).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; create it with {UPDATE_ENV}=1", path.display()));
    if expected != actual {
        panic!(
            "the OpenAPI document differs from {}:\n{}\nIf the change is intended, update the \
             snapshot with\n  {UPDATE_ENV}=1 cargo test -p invigil-server --test api openapi_snapshot\n\
             and commit it.",
            path.display(),
            summary(&expected, &actual)
        );
    }
}
