//! Organizations: creation by the super admin, settings and departments,
//! tenant isolation.

use super::*;

async fn create_org_is_for_the_super_admin(app: TestApp) {
    let root = app.super_admin("root@example.org").await;
    let home = app.org("home").await;
    let admin = app
        .member(&home, "admin@example.org", &[Role::OrgAdmin])
        .await;
    let body = json!({ "name": "Acme University", "slug": "acme", "domain": "Acme.example" });
    app.post("/api/v1/orgs")
        .json(&body)
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    app.post("/api/v1/orgs")
        .token(&admin.token)
        .json(&body)
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Even with a body that would not validate, a non-super-admin gets 403.
    app.post("/api/v1/orgs")
        .token(&admin.token)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .post("/api/v1/orgs")
        .token(&root.token)
        .json(&body)
        .send()
        .await;
    r.assert(201);
    let org = r.json();
    assert_eq!(org["slug"], "acme");
    assert_eq!(org["name"], "Acme University");
    assert_eq!(org["domain"], "acme.example");
    assert!(Uuid::parse_str(org["id"].as_str().unwrap()).is_ok());
    // The super admin acts as ORG_ADMIN there.
    app.get("/api/v1/orgs/acme")
        .token(&root.token)
        .send()
        .await
        .assert(200);
    // Duplicate slug.
    app.post("/api/v1/orgs")
        .token(&root.token)
        .json(&json!({ "name": "Other", "slug": "acme" }))
        .send()
        .await
        .assert_problem(409, "conflict");
    // Bad slugs and names.
    for slug in ["Bad Slug", "a", "-x-", "double--hyphen", "ünï"] {
        let r = app
            .post("/api/v1/orgs")
            .token(&root.token)
            .json(&json!({ "name": "X", "slug": slug }))
            .send()
            .await;
        let v = r.assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "slug", "{slug}: {v}");
    }
    app.post("/api/v1/orgs")
        .token(&root.token)
        .json(&json!({ "name": "  ", "slug": "fine" }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    // Audited in the new organization's chain.
    let acme = invigil_store::tenancy::org_by_slug(app.db().read(), "acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.audit_actions(&acme).await, vec!["org.created"]);
}

async fn org_settings_and_departments(app: TestApp) {
    let org = app.org("set").await;
    let admin = app
        .member(&org, "admin@set.example", &[Role::OrgAdmin])
        .await;
    let author = app
        .member(&org, "author@set.example", &[Role::ExamAuthor])
        .await;
    let r = app
        .patch("/api/v1/orgs/set")
        .token(&admin.token)
        .json(&json!({ "name": "Set College", "settings": { "theme": "dark" } }))
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["name"], "Set College");
    assert_eq!(r.json()["settings"]["theme"], "dark");
    app.patch("/api/v1/orgs/set")
        .token(&admin.token)
        .json(&json!({ "settings": [1, 2] }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    // Members read the organization; only the admin changes it.
    let r = app
        .get("/api/v1/orgs/set")
        .token(&author.token)
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["name"], "Set College");
    app.patch("/api/v1/orgs/set")
        .token(&author.token)
        .json(&json!({ "name": "Mine now" }))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .post("/api/v1/orgs/set/departments")
        .token(&admin.token)
        .json(&json!({ "name": "Physics" }))
        .send()
        .await;
    r.assert(201);
    assert_eq!(r.json()["name"], "Physics");
    app.post("/api/v1/orgs/set/departments")
        .token(&admin.token)
        .json(&json!({ "name": "Physics" }))
        .send()
        .await
        .assert_problem(409, "conflict");
    let v = app
        .get("/api/v1/orgs/set/departments")
        .token(&author.token)
        .send()
        .await
        .json();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
}

async fn tenants_see_nothing_of_each_other(app: TestApp) {
    let a = app.org("tenant-a").await;
    let b = app.org("tenant-b").await;
    let admin_a = app.member(&a, "admin@a.example", &[Role::OrgAdmin]).await;
    let admin_b = app.member(&b, "admin@b.example", &[Role::OrgAdmin]).await;
    app.member(&b, "secret-person@b.example", &[Role::Candidate])
        .await;
    app.post("/api/v1/orgs/tenant-b/departments")
        .token(&admin_b.token)
        .json(&json!({ "name": "B secret dept" }))
        .send()
        .await
        .assert(201);
    for path in [
        "/api/v1/orgs/tenant-a/members",
        "/api/v1/orgs/tenant-a/departments",
        "/api/v1/orgs/tenant-a/audit-log",
        "/api/v1/orgs/tenant-a",
        "/api/v1/me",
    ] {
        let r = app.get(path).token(&admin_a.token).send().await;
        r.assert(200);
        let text = r.text();
        for secret in [
            "secret-person@b.example",
            "admin@b.example",
            "B secret dept",
            &b.id.to_string(),
            "tenant-b",
        ] {
            assert!(!text.contains(secret), "{path} shows {secret}: {text}");
        }
    }
    // Someone of org B cannot act on org A's people, even by id.
    for (method, path) in [
        (
            "PATCH",
            format!("/api/v1/orgs/tenant-a/members/{}", admin_a.id),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/tenant-a/members/{}", admin_a.id),
        ),
        (
            "PUT",
            format!("/api/v1/orgs/tenant-a/members/{}/roles", admin_a.id),
        ),
    ] {
        let m = axum::http::Method::from_bytes(method.as_bytes()).unwrap();
        app.req(m, &path)
            .token(&admin_b.token)
            .json(&json!({ "status": "SUSPENDED", "roles": [] }))
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    // Org A's admin cannot reach B's member through A's routes either.
    let b_member = users::by_email(app.db().read(), "secret-person@b.example")
        .await
        .unwrap()
        .unwrap();
    app.patch(&format!("/api/v1/orgs/tenant-a/members/{}", b_member.id))
        .token(&admin_a.token)
        .json(&json!({ "status": "SUSPENDED" }))
        .send()
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/api/v1/orgs/tenant-a/members/{}", b_member.id))
        .token(&admin_a.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    let me = app
        .get("/api/v1/me")
        .token(&admin_a.token)
        .send()
        .await
        .json();
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.audit_actions(&a).await.len(),
        0,
        "nothing happened in A"
    );
}

both!(
    create_org_is_for_the_super_admin,
    org_settings_and_departments,
    tenants_see_nothing_of_each_other,
);
