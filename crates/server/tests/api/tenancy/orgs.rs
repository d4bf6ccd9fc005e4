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
    app.post_json("/api/v1/orgs", &admin.token, &body)
        .await
        .assert_problem(403, "forbidden");
    // Even with a body that would not validate, a non-super-admin gets 403.
    app.post_json("/api/v1/orgs", &admin.token, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    let r = app.post_json("/api/v1/orgs", &root.token, &body).await;
    r.assert(201);
    let org = r.json();
    assert_eq!(org["slug"], "acme");
    assert_eq!(org["name"], "Acme University");
    assert_eq!(org["domain"], "acme.example");
    assert!(Uuid::parse_str(org["id"].as_str().unwrap()).is_ok());
    // The super admin acts as ORG_ADMIN there.
    app.get_as("/api/v1/orgs/acme", &root.token)
        .await
        .assert(200);
    // Duplicate slug.
    app.post_json(
        "/api/v1/orgs",
        &root.token,
        &json!({ "name": "Other", "slug": "acme" }),
    )
    .await
    .assert_problem(409, "conflict");
    // Bad slugs and names.
    for slug in ["Bad Slug", "a", "-x-", "double--hyphen", "ünï"] {
        let r = app
            .post_json(
                "/api/v1/orgs",
                &root.token,
                &json!({ "name": "X", "slug": slug }),
            )
            .await;
        let v = r.assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "slug", "{slug}: {v}");
    }
    app.post_json(
        "/api/v1/orgs",
        &root.token,
        &json!({ "name": "  ", "slug": "fine" }),
    )
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
        .patch_json(
            "/api/v1/orgs/set",
            &admin.token,
            &json!({ "name": "Set College", "settings": { "theme": "dark" } }),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["name"], "Set College");
    assert_eq!(r.json()["settings"]["theme"], "dark");
    app.patch_json(
        "/api/v1/orgs/set",
        &admin.token,
        &json!({ "settings": [1, 2] }),
    )
    .await
    .assert_problem(422, "validation_failed");
    // Members read the organization; only the admin changes it.
    let r = app.get_as("/api/v1/orgs/set", &author.token).await;
    r.assert(200);
    assert_eq!(r.json()["name"], "Set College");
    app.patch_json(
        "/api/v1/orgs/set",
        &author.token,
        &json!({ "name": "Mine now" }),
    )
    .await
    .assert_problem(403, "forbidden");
    let r = app
        .post_json(
            "/api/v1/orgs/set/departments",
            &admin.token,
            &json!({ "name": "Physics" }),
        )
        .await;
    r.assert(201);
    assert_eq!(r.json()["name"], "Physics");
    app.post_json(
        "/api/v1/orgs/set/departments",
        &admin.token,
        &json!({ "name": "Physics" }),
    )
    .await
    .assert_problem(409, "conflict");
    let v = app
        .get_json("/api/v1/orgs/set/departments", &author.token)
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
}

async fn tenants_see_nothing_of_each_other(app: TestApp) {
    let a = app.org("tenant-a").await;
    let b = app.org("tenant-b").await;
    let admin_a = app.member(&a, "admin@a.example", &[Role::OrgAdmin]).await;
    let admin_b = app.member(&b, "admin@b.example", &[Role::OrgAdmin]).await;
    app.member(&b, "secret-person@b.example", &[Role::Candidate])
        .await;
    app.post_json(
        "/api/v1/orgs/tenant-b/departments",
        &admin_b.token,
        &json!({ "name": "B secret dept" }),
    )
    .await
    .assert(201);
    for path in [
        "/api/v1/orgs/tenant-a/members",
        "/api/v1/orgs/tenant-a/departments",
        "/api/v1/orgs/tenant-a/audit-log",
        "/api/v1/orgs/tenant-a",
        "/api/v1/me",
    ] {
        let r = app.get_as(path, &admin_a.token).await;
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
    app.patch_json(
        &format!("/api/v1/orgs/tenant-a/members/{}", b_member.id),
        &admin_a.token,
        &json!({ "status": "SUSPENDED" }),
    )
    .await
    .assert_problem(404, "not_found");
    app.delete_as(
        &format!("/api/v1/orgs/tenant-a/members/{}", b_member.id),
        &admin_a.token,
    )
    .await
    .assert_problem(404, "not_found");
    let me = app.get_json("/api/v1/me", &admin_a.token).await;
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
