//! The audit log as JSON lines (`GET /orgs/{org}/audit-log/export`): lines
//! parse and chain, the list's filters apply, who may download, and the
//! export is itself audited; the staff audit page's download keeps its
//! filters.

use serde_json::{Value, json};

use invigil_domain::identity::Role;
use invigil_store::audit::GENESIS;
use invigil_testkit::browser::assert_page;

use crate::both;
use crate::common::{TestApp, TestUser};
use crate::web_staff::staff_browser;

const EXPORT: &str = "/api/v1/orgs/exp/audit-log/export";

/// An organization `exp` with a few audited changes by its admin.
async fn audited_org(app: &TestApp) -> (invigil_store::tenancy::Organization, TestUser) {
    let org = app.org("exp").await;
    let admin = app
        .member(&org, "admin@exp.example", &[Role::OrgAdmin])
        .await;
    let t = &admin.token;
    app.patch_json("/api/v1/orgs/exp", t, &json!({ "name": "Exported" }))
        .await
        .assert(200);
    for name in ["Chemistry", "Physics"] {
        app.post_json("/api/v1/orgs/exp/departments", t, &json!({ "name": name }))
            .await
            .assert(201);
    }
    (org, admin)
}

/// The lines of an export, each parsed.
fn lines(text: &str) -> Vec<Value> {
    assert!(text.is_empty() || text.ends_with('\n'), "{text}");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

async fn the_export_is_json_lines_of_the_whole_chain_and_is_audited(app: TestApp) {
    let (org, admin) = audited_org(&app).await;
    let r = app.get_as(EXPORT, &admin.token).await;
    r.assert(200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"audit-log-exp.jsonl\"")
    );
    let entries = lines(&r.text());
    // Oldest first; the export itself is the last entry.
    assert_eq!(
        actions(&entries),
        vec![
            "org.updated",
            "department.created",
            "department.created",
            "audit.exported"
        ]
    );
    // Every stored field, and the chain recomputes from the lines.
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        for field in [
            "id",
            "chain",
            "seq",
            "org_id",
            "actor_id",
            "action",
            "resource_type",
            "resource_id",
            "ip",
            "user_agent",
            "details",
            "created_at",
            "prev_hash",
            "hash",
        ] {
            assert!(e.get(field).is_some(), "{field} missing in {e}");
        }
        assert_eq!(e["seq"], i as i64 + 1);
        assert_eq!(e["chain"], org.id.to_string());
        assert_eq!(e["prev_hash"], prev.as_str());
        prev = e["hash"].as_str().unwrap().to_owned();
    }
    let exported = &entries[3];
    assert_eq!(exported["actor_id"], admin.id.to_string());
    assert_eq!(exported["resource_type"], "organization");
    assert_eq!(exported["resource_id"], org.id.to_string());
    assert_eq!(exported["details"]["format"], "jsonl");
    assert_eq!(exported["details"]["filters"]["action"], Value::Null);

    // The list shows the export with the filters it used.
    let from = "2000-01-01T00:00:00Z";
    app.get_as(
        &format!("{EXPORT}?action=department.created&from={from}"),
        &admin.token,
    )
    .await
    .assert(200);
    let list = app
        .get_json(
            "/api/v1/orgs/exp/audit-log?action=audit.exported",
            &admin.token,
        )
        .await;
    let newest = &list["items"][0];
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(newest["details"]["filters"]["action"], "department.created");
    assert_eq!(newest["details"]["filters"]["from"], from);
    // The chain is intact after exports.
    let v = app
        .get_json("/api/v1/orgs/exp/audit-log/verify", &admin.token)
        .await;
    assert_eq!(v["ok"], true, "{v}");
}

async fn the_export_applies_the_list_filters(app: TestApp) {
    let (org, admin) = audited_org(&app).await;
    let t = &admin.token;
    let get = |q: String| {
        let app = &app;
        async move {
            let r = app.get_as(&format!("{EXPORT}?{q}"), t).await;
            r.assert(200);
            lines(&r.text())
        }
    };
    let only = get("action=department.created".into()).await;
    assert_eq!(
        actions(&only),
        vec!["department.created", "department.created"]
    );
    assert!(only[0]["seq"].as_i64() < only[1]["seq"].as_i64());
    let by_type = get("resource_type=organization".into()).await;
    assert_eq!(actions(&by_type)[0], "org.updated");
    assert!(actions(&by_type).iter().all(|a| *a != "department.created"));
    let dept = only[1]["resource_id"].as_str().unwrap().to_owned();
    let one = get(format!("resource_type=department&resource_id={dept}")).await;
    assert_eq!(actions(&one), vec!["department.created"]);
    // Another actor did nothing here.
    let qa = app
        .member(&org, "qa@exp.example", &[Role::QualityAssurance])
        .await;
    assert_eq!(get(format!("actor={}", qa.id)).await, Vec::<Value>::new());
    assert!(
        get(format!("actor={}", admin.id))
            .await
            .iter()
            .all(|e| e["actor_id"] == admin.id.to_string())
    );
    // A time range in the past has nothing; one around now has everything.
    assert_eq!(
        get("from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z".into()).await,
        Vec::<Value>::new()
    );
    assert!(
        get("from=2000-01-01T00:00:00Z&action=org.updated".into())
            .await
            .len()
            == 1
    );
    // Bad filter values are 400 problems.
    for q in ["from=yesterday", "actor=nobody"] {
        app.get_as(&format!("{EXPORT}?{q}"), t)
            .await
            .assert_problem(400, "bad_request");
    }
}

async fn only_those_who_read_the_log_may_export_it(app: TestApp) {
    let (org, admin) = audited_org(&app).await;
    let qa = app
        .member(&org, "qa@exp.example", &[Role::QualityAssurance])
        .await;
    app.get_as(EXPORT, &qa.token).await.assert(200);
    for role in [Role::ExamCoordinator, Role::ExamAuthor, Role::Candidate] {
        let u = app
            .member(
                &org,
                &format!("{}@exp.example", role.as_str().to_lowercase()),
                &[role],
            )
            .await;
        app.get_as(EXPORT, &u.token)
            .await
            .assert_problem(403, "forbidden");
    }
    // Another organization's admin finds no such organization.
    let other = app.org("other").await;
    let stranger = app
        .member(&other, "boss@other.example", &[Role::OrgAdmin])
        .await;
    app.get_as(EXPORT, &stranger.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as("/api/v1/orgs/nope/audit-log/export", &admin.token)
        .await
        .assert_problem(404, "not_found");
    app.get(EXPORT).send().await.assert(401);
    // Refused exports are not recorded; the two allowed ones are.
    let list = app
        .get_json(
            "/api/v1/orgs/exp/audit-log?action=audit.exported",
            &admin.token,
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["actor_id"], qa.id.to_string());
}

async fn the_staff_audit_page_downloads_json_lines_with_its_filters(app: TestApp) {
    audited_org(&app).await;
    let mut admin = staff_browser(&app, "admin@exp.example").await;
    let page = admin
        .get(&app, "/orgs/exp/admin/audit?action=department.created")
        .await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("Download JSON lines"), "{html}");
    let href = "/orgs/exp/admin/audit/export?action=department.created";
    assert!(html.contains(href), "{html}");
    let r = admin.get(&app, href).await;
    r.assert(200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(
        actions(&lines(&r.text())),
        vec!["department.created", "department.created"]
    );
    // The page's own filters: an actor's email and whole days.
    let r = admin
        .get(
            &app,
            "/orgs/exp/admin/audit/export?actor=admin%40exp.example&from=2000-01-01&action=org.updated",
        )
        .await;
    r.assert(200);
    assert_eq!(actions(&lines(&r.text())), vec!["org.updated"]);
    assert_page(
        &admin
            .get(&app, "/orgs/exp/admin/audit/export?from=not-a-day")
            .await,
        400,
    );
    // Members without the log get the 403 page.
    let org = invigil_store::tenancy::org_by_slug(app.db().read(), "exp")
        .await
        .unwrap()
        .unwrap();
    app.member(&org, "coord@exp.example", &[Role::ExamCoordinator])
        .await;
    let mut coord = staff_browser(&app, "coord@exp.example").await;
    assert_page(&coord.get(&app, "/orgs/exp/admin/audit/export").await, 403);
}

both!(
    the_export_is_json_lines_of_the_whole_chain_and_is_audited,
    the_export_applies_the_list_filters,
    only_those_who_read_the_log_may_export_it,
    the_staff_audit_page_downloads_json_lines_with_its_filters,
);
