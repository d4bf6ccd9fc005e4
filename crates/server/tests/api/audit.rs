//! The audit log: entries for identity and tenancy actions, filters, cursor
//! pagination, and the hash chain's verification (and tamper detection).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use invigil_domain::identity::Role;
use invigil_store::audit::entity as audit_row;

use crate::both;
use crate::common::{TestApp, TestUser};

/// Makes a handful of audited changes in `org` (slug `aud`).
async fn busy_org(app: &TestApp) -> (invigil_store::tenancy::Organization, TestUser) {
    let org = app.org("aud").await;
    let admin = app
        .member(&org, "admin@aud.example", &[Role::OrgAdmin])
        .await;
    let m = app.member(&org, "m@aud.example", &[Role::ExamAuthor]).await;
    let t = &admin.token;
    app.patch_json("/api/v1/orgs/aud", t, &json!({ "name": "Audited" }))
        .await
        .assert(200);
    app.post_json(
        "/api/v1/orgs/aud/departments",
        t,
        &json!({ "name": "Chemistry" }),
    )
    .await
    .assert(201);
    app.post_json(
        "/api/v1/orgs/aud/invitations",
        t,
        &json!({ "email": "inv@aud.example", "name": "Inv", "roles": ["EXAM_AUTHOR"] }),
    )
    .await
    .assert(201);
    app.put_json(
        &format!("/api/v1/orgs/aud/members/{}/roles", m.id),
        t,
        &json!({ "roles": [{ "role": "REPORT_VIEWER" }] }),
    )
    .await
    .assert(200);
    app.patch_json(
        &format!("/api/v1/orgs/aud/members/{}", m.id),
        t,
        &json!({ "status": "SUSPENDED" }),
    )
    .await
    .assert(200);
    app.post("/api/v1/orgs/aud/candidates/import")
        .token(t)
        .body("text/csv", "email,name\nc@aud.example,C\n")
        .send()
        .await
        .assert(200);
    app.delete_as(&format!("/api/v1/orgs/aud/members/{}", m.id), t)
        .await
        .assert(204);
    (org, admin)
}

fn actions(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn actions_are_audited_with_actor_and_filters(app: TestApp) {
    let (_org, admin) = busy_org(&app).await;
    let r = app.get_as("/api/v1/orgs/aud/audit-log", &admin.token).await;
    r.assert(200);
    let page = r.json();
    // Newest first.
    assert_eq!(
        actions(&page),
        vec![
            "member.removed",
            "candidates.imported",
            "member.invited",
            "member.status_changed",
            "member.roles_changed",
            "member.invited",
            "department.created",
            "org.updated",
        ]
    );
    let first = &page["items"][0];
    assert_eq!(first["actor_id"], admin.id.to_string());
    assert_eq!(first["resource_type"], "user");
    assert_eq!(first["ip"], "127.0.0.1");
    assert_eq!(first["hash"].as_str().unwrap().len(), 64);
    assert_eq!(page["next_cursor"], Value::Null);
    // Filters.
    let v = app
        .get_json(
            "/api/v1/orgs/aud/audit-log?action=member.invited",
            &admin.token,
        )
        .await;
    assert_eq!(actions(&v), vec!["member.invited", "member.invited"]);
    let v = app
        .get_json(
            &format!(
                "/api/v1/orgs/aud/audit-log?actor={}&resource_type=department",
                admin.id
            ),
            &admin.token,
        )
        .await;
    assert_eq!(actions(&v), vec!["department.created"]);
    let v = app
        .get_json(
            "/api/v1/orgs/aud/audit-log?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z",
            &admin.token,
        )
        .await;
    assert_eq!(actions(&v), Vec::<String>::new());
    // QUALITY_ASSURANCE reads it too; others do not.
    let org = invigil_store::tenancy::org_by_slug(app.db().read(), "aud")
        .await
        .unwrap()
        .unwrap();
    let qa = app
        .member(&org, "qa@aud.example", &[Role::QualityAssurance])
        .await;
    let author = app
        .member(&org, "au@aud.example", &[Role::ExamAuthor])
        .await;
    app.get_as("/api/v1/orgs/aud/audit-log", &qa.token)
        .await
        .assert(200);
    app.get_as("/api/v1/orgs/aud/audit-log", &author.token)
        .await
        .assert_problem(403, "forbidden");
}

async fn audit_log_cursor_pagination(app: TestApp) {
    let (_org, admin) = busy_org(&app).await;
    let all = app
        .get_json("/api/v1/orgs/aud/audit-log?limit=500", &admin.token)
        .await;
    let all_seqs: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(all_seqs.len(), 8);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/orgs/aud/audit-log?limit=3&cursor={c}"),
            None => "/api/v1/orgs/aud/audit-log?limit=3".to_owned(),
        };
        let page = app.get_as(&url, &admin.token).await;
        page.assert(200);
        let page = page.json();
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|e| e["seq"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all_seqs, "pages cover everything once, newest first");
    // Limits and cursors are checked.
    for q in ["limit=0", "limit=501"] {
        app.get_as(&format!("/api/v1/orgs/aud/audit-log?{q}"), &admin.token)
            .await
            .assert_problem(422, "validation_failed");
    }
    app.get_as(
        "/api/v1/orgs/aud/audit-log?cursor=not-a-number",
        &admin.token,
    )
    .await
    .assert_problem(400, "bad_request");
    // The member list pages the same way.
    let org = invigil_store::tenancy::org_by_slug(app.db().read(), "aud")
        .await
        .unwrap()
        .unwrap();
    for i in 0..4 {
        app.member(&org, &format!("p{i}@aud.example"), &[Role::Candidate])
            .await;
    }
    let all = app.get_json("/api/v1/orgs/aud/members", &admin.token).await;
    let total = all["items"].as_array().unwrap().len();
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/orgs/aud/members?limit=2&cursor={c}"),
            None => "/api/v1/orgs/aud/members?limit=2".to_owned(),
        };
        let page = app.get_json(&url, &admin.token).await;
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["user_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), total);
    assert_eq!(unique.len(), total);
}

async fn audit_chain_verifies_and_detects_tampering(app: TestApp) {
    let (org, admin) = busy_org(&app).await;
    let verify = || async {
        let r = app
            .get_as("/api/v1/orgs/aud/audit-log/verify", &admin.token)
            .await;
        r.assert(200);
        r.json()
    };
    let v = verify().await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["entries"], 8);
    assert_eq!(v["head_seq"], 8);
    assert_eq!(v["first_broken"], Value::Null);

    // Rewrite history: entry 3's details.
    let chain = org.id.to_string();
    let row = audit_row::Entity::find()
        .filter(audit_row::Column::Chain.eq(chain.clone()))
        .filter(audit_row::Column::Seq.eq(3))
        .one(app.db().read())
        .await
        .unwrap()
        .unwrap();
    audit_row::Entity::update_many()
        .col_expr(
            audit_row::Column::Details,
            Expr::value(r#"{"name":"Nothing to see"}"#),
        )
        .filter(audit_row::Column::Id.eq(row.id))
        .exec(app.db().write())
        .await
        .unwrap();
    let v = verify().await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["first_broken"]["seq"], 3, "{v}");
    assert_eq!(v["first_broken"]["id"], row.id.to_string());
    assert_eq!(v["entries"], 2);

    // Put it back: whole again.
    audit_row::Entity::update_many()
        .col_expr(audit_row::Column::Details, Expr::value(row.details.clone()))
        .filter(audit_row::Column::Id.eq(row.id))
        .exec(app.db().write())
        .await
        .unwrap();
    assert_eq!(verify().await["ok"], true);

    // Remove an entry in the middle.
    audit_row::Entity::delete_many()
        .filter(audit_row::Column::Chain.eq(chain.clone()))
        .filter(audit_row::Column::Seq.eq(5))
        .exec(app.db().write())
        .await
        .unwrap();
    let v = verify().await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["first_broken"]["seq"], 5, "{v}");

    // Remove the newest entries: the head no longer matches.
    audit_row::Entity::delete_many()
        .filter(audit_row::Column::Chain.eq(chain))
        .filter(audit_row::Column::Seq.gte(5))
        .exec(app.db().write())
        .await
        .unwrap();
    let v = verify().await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["first_broken"]["id"], Value::Null, "{v}");

    // Another organization's chain is unaffected.
    let other = app.org("clean").await;
    let other_admin = app
        .member(&other, "admin@clean.example", &[Role::OrgAdmin])
        .await;
    app.post_json(
        "/api/v1/orgs/clean/departments",
        &other_admin.token,
        &json!({ "name": "Art" }),
    )
    .await
    .assert(201);
    let r = app
        .get_as("/api/v1/orgs/clean/audit-log/verify", &other_admin.token)
        .await;
    assert_eq!(r.json()["ok"], true);
    assert_eq!(r.json()["entries"], 1);
    let v = app
        .get_json("/api/v1/orgs/clean/audit-log", &other_admin.token)
        .await;
    assert_eq!(actions(&v), vec!["department.created"]);
}

/// Runs `invigil admin <args>` on the test's database; (exit code,
/// stdout, stderr).
fn admin_cli(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_invigil"));
    cmd.arg("--data-dir")
        .arg(&app.state.config.data_dir)
        .arg("admin")
        .args(args)
        .env_remove("DATABASE_URL")
        .env("INVIGIL_LOG", "error");
    if let Some(url) = &app.database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.output().expect("run invigil");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn the_command_line_verifies_and_exports_the_chain(app: TestApp) {
    let (org, _admin) = busy_org(&app).await;

    let (code, out, err) = admin_cli(&app, &["audit-verify", "--org", "aud"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("intact: 8 entries"), "{out}");

    // The export: one JSON object per line, oldest first, every field, and
    // the chain recomputes from it.
    let (code, out, err) = admin_cli(&app, &["audit-export", "--org", "aud"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8);
    assert!(err.contains("8 audit entries exported"), "{err}");
    for (i, e) in lines.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1, "{e}");
        assert!(e["details"].is_object(), "{e}");
        if i > 0 {
            assert_eq!(e["prev_hash"], lines[i - 1]["hash"], "{e}");
        }
    }
    let file = app.state.config.data_dir.join("audit.jsonl");
    let (code, _, err) = admin_cli(
        &app,
        &[
            "audit-export",
            "--org",
            "aud",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), out);

    // Tamper with entry 4 behind the server's back: named exactly, exit 1.
    let row = audit_row::Entity::find()
        .filter(audit_row::Column::Chain.eq(org.id.to_string()))
        .filter(audit_row::Column::Seq.eq(4))
        .one(app.db().read())
        .await
        .unwrap()
        .unwrap();
    audit_row::Entity::update_many()
        .col_expr(audit_row::Column::Action, Expr::value("nothing.happened"))
        .filter(audit_row::Column::Id.eq(row.id))
        .exec(app.db().write())
        .await
        .unwrap();
    let (code, out, err) = admin_cli(&app, &["audit-verify", "--org", "aud"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!("BROKEN at entry 4 ({})", row.id)),
        "{err}"
    );
    assert!(err.contains("3 entries before it are intact"), "{err}");

    // The platform chain, and a slug that does not exist (usage error).
    let (code, out, err) = admin_cli(&app, &["audit-verify"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = admin_cli(&app, &["audit-verify", "--org", "nowhere"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such organization"), "{err}");
}

/// Entries wait in `audit_pending` until linked: one linked chain per
/// organization, each entry exactly once even with linkers running at once
/// (replicas), more than one batch of them, and nothing from a rolled-back
/// change.
async fn pending_entries_are_linked_once_by_concurrent_linkers(app: TestApp) {
    use invigil_store::audit::{self, NewEntry};
    let a = app.org("link-a").await;
    let b = app.org("link-b").await;
    // Creating the organizations recorded entries: link those first.
    app.audit_linked().await;
    let db = app.db();
    let before = |org| async move { audit::count(db.read(), org).await.unwrap() };
    let (a0, b0, p0) = (
        before(Some(a.id)).await,
        before(Some(b.id)).await,
        before(None).await,
    );
    let entry = |org: Option<uuid::Uuid>, n: usize| NewEntry {
        org_id: org,
        actor_id: None,
        action: "test.linked".into(),
        resource_type: "test".into(),
        resource_id: Some(n.to_string()),
        ip: None,
        user_agent: None,
        details: json!({ "n": n }),
    };
    let now = chrono::Utc::now();
    // 1,300 entries in 26 transactions over three chains (3 link batches).
    for t in 0..26 {
        let tx = app.db().begin().await.unwrap();
        for i in 0..50 {
            let n = t * 50 + i;
            let org = match n % 3 {
                0 => Some(a.id),
                1 => Some(b.id),
                _ => None,
            };
            audit::append(&tx, entry(org, n), now).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    // A change that rolls back takes its entry with it.
    let tx = app.db().begin().await.unwrap();
    audit::append(&tx, entry(Some(a.id), 9999), now)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    // Not on a chain yet.
    assert!(audit::has_pending(app.db().read()).await.unwrap());
    assert_eq!(before(Some(a.id)).await, a0);

    let (x, y, z) = tokio::join!(
        audit::link_pending(db),
        audit::link_pending(db),
        audit::link_pending(db)
    );
    assert_eq!(x.unwrap() + y.unwrap() + z.unwrap(), 1300);
    assert!(!audit::has_pending(app.db().read()).await.unwrap());
    for (org, was, added) in [
        (Some(a.id), a0, 434),
        (Some(b.id), b0, 433),
        (None, p0, 433),
    ] {
        let v = audit::verify(app.db().read(), org).await.unwrap();
        assert!(v.first_broken.is_none(), "{v:?}");
        assert_eq!(v.entries, was + added, "{org:?}");
        assert_eq!(v.head_seq, i64::try_from(was + added).unwrap());
    }
    // Each entry once; the rolled-back one nowhere.
    let mut seen: Vec<String> = audit_row::Entity::find()
        .filter(audit_row::Column::Action.eq("test.linked"))
        .all(app.db().read())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.resource_id)
        .collect();
    seen.sort_by_key(|n| n.parse::<usize>().unwrap());
    let want: Vec<String> = (0..1300).map(|n| n.to_string()).collect();
    assert_eq!(seen, want);
    // Nothing left: linking again does nothing.
    assert_eq!(audit::link_pending(db).await.unwrap(), 0);
}

both!(
    actions_are_audited_with_actor_and_filters,
    audit_log_cursor_pagination,
    audit_chain_verifies_and_detects_tampering,
    the_command_line_verifies_and_exports_the_chain,
    pending_entries_are_linked_once_by_concurrent_linkers,
);
