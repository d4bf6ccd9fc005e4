//! Members: replacing roles, status changes, removal.

use super::*;

async fn replacing_roles(app: TestApp) {
    let org = app.org("roles").await;
    let other = app.org("other").await;
    let foreign_dept = app.department(&other, "Foreign").await;
    let dept = app.department(&org, "Bio").await;
    let admin = app
        .member(&org, "admin@roles.example", &[Role::OrgAdmin])
        .await;
    let m = app
        .member(&org, "m@roles.example", &[Role::ExamAuthor])
        .await;
    let outsider = app
        .member(&other, "out@other.example", &[Role::ExamAuthor])
        .await;
    let a = &app;
    let put = |user: Uuid, body: Value| {
        let token = admin.token.clone();
        async move {
            a.put_json(
                &format!("/api/v1/orgs/roles/members/{user}/roles"),
                &token,
                &body,
            )
            .await
        }
    };
    for (roles, field) in [
        (json!([{ "role": "WIZARD" }]), "roles[0].role"),
        (json!([{ "role": "SUPER_ADMIN" }]), "roles[0].role"),
        (
            json!([{ "role": "EXAM_AUTHOR" }, { "role": "EXAM_AUTHOR", "department_id": foreign_dept }]),
            "roles[1].department_id",
        ),
    ] {
        let v = put(m.id, json!({ "roles": roles }))
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
    }
    // Not a member here (a member elsewhere): 404.
    put(outsider.id, json!({ "roles": [{ "role": "CANDIDATE" }] }))
        .await
        .assert_problem(404, "not_found");
    put(Uuid::new_v4(), json!({ "roles": [] }))
        .await
        .assert_problem(404, "not_found");
    assert!(app.token_works(&m.token).await);
    // Adding a role keeps the sessions.
    let r = put(
        m.id,
        json!({ "roles": [{ "role": "EXAM_AUTHOR" }, { "role": "EXAM_COORDINATOR", "department_id": dept }] }),
    )
    .await;
    r.assert(200);
    assert_eq!(r.json()["user_id"], m.id.to_string());
    assert_eq!(r.json()["roles"].as_array().unwrap().len(), 2);
    assert!(app.token_works(&m.token).await);
    // Removing one keeps the sign-in (issue 9): the grants are re-read on
    // every request.
    let r = put(
        m.id,
        json!({ "roles": [{ "role": "EXAM_COORDINATOR", "department_id": dept }] }),
    )
    .await;
    r.assert(200);
    assert_eq!(
        r.json()["roles"],
        json!([{ "role": "EXAM_COORDINATOR", "department_id": dept }])
    );
    assert!(app.token_works(&m.token).await);
    let v = app
        .get_json("/api/v1/orgs/roles/members", &admin.token)
        .await;
    let row = members_of(&v)
        .into_iter()
        .find(|x| x["user_id"] == m.id.to_string())
        .unwrap();
    assert_eq!(row["roles"][0]["role"], "EXAM_COORDINATOR");
    // The outsider's roles elsewhere are untouched.
    let me = app.get_json("/api/v1/me", &outsider.token).await;
    assert_eq!(me["memberships"][0]["roles"], json!(["EXAM_AUTHOR"]));
    let actions = app.audit_actions(&org).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "member.roles_changed")
            .count(),
        2
    );
}

async fn member_status_changes(app: TestApp) {
    let org = app.org("st").await;
    let admin = app
        .member(&org, "admin@st.example", &[Role::OrgAdmin])
        .await;
    let m = app.member(&org, "m@st.example", &[Role::ExamAuthor]).await;
    let a = &app;
    let patch = |user: Uuid, status: &str| {
        let token = admin.token.clone();
        let body = json!({ "status": status });
        async move {
            a.patch_json(&format!("/api/v1/orgs/st/members/{user}"), &token, &body)
                .await
        }
    };
    patch(m.id, "ON_HOLIDAY")
        .await
        .assert_problem(422, "validation_failed");
    patch(admin.id, "SUSPENDED")
        .await
        .assert_problem(409, "conflict");
    patch(Uuid::new_v4(), "SUSPENDED")
        .await
        .assert_problem(404, "not_found");
    let r = patch(m.id, "SUSPENDED").await;
    r.assert(200);
    assert_eq!(r.json(), json!({ "user_id": m.id, "status": "SUSPENDED" }));
    // Still signed in (issue 9), but the organization is closed.
    assert!(app.token_works(&m.token).await);
    let fresh = app.fresh_token(&m).await;
    app.get_as("/api/v1/orgs/st", &fresh)
        .await
        .assert_problem(403, "forbidden");
    let me = app.get_json("/api/v1/me", &fresh).await;
    assert_eq!(me["memberships"][0]["status"], "SUSPENDED");
    // Back to ACTIVE.
    patch(m.id, "ACTIVE").await.assert(200);
    app.get_as("/api/v1/orgs/st", &fresh).await.assert(200);
    patch(m.id, "DEACTIVATED").await.assert(200);
    assert!(app.token_works(&fresh).await);
    app.get_as("/api/v1/orgs/st", &fresh)
        .await
        .assert_problem(403, "forbidden");
    let actions = app.audit_actions(&org).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "member.status_changed")
            .count(),
        3
    );
}

async fn removing_a_member(app: TestApp) {
    let org = app.org("rm").await;
    let admin = app
        .member(&org, "admin@rm.example", &[Role::OrgAdmin])
        .await;
    let m = app.member(&org, "m@rm.example", &[Role::ExamAuthor]).await;
    let path = format!("/api/v1/orgs/rm/members/{}", m.id);
    app.delete_as(&path, &m.token)
        .await
        .assert_problem(403, "forbidden");
    app.delete_as(
        &format!("/api/v1/orgs/rm/members/{}", admin.id),
        &admin.token,
    )
    .await
    .assert_problem(409, "conflict");
    app.delete_as(&path, &admin.token).await.assert(204);
    assert!(app.token_works(&m.token).await, "signed in elsewhere still");
    // Now a stranger to the organization: 404.
    let fresh = app.fresh_token(&m).await;
    app.get_as("/api/v1/orgs/rm", &fresh)
        .await
        .assert_problem(404, "not_found");
    let me = app.get_json("/api/v1/me", &fresh).await;
    assert_eq!(me["memberships"], json!([]));
    let v = app.get_json("/api/v1/orgs/rm/members", &admin.token).await;
    assert_eq!(members_of(&v).len(), 1);
    app.delete_as(&path, &admin.token)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.audit_actions(&org).await.last().map(String::as_str),
        Some("member.removed")
    );
}

both!(replacing_roles, member_status_changes, removing_a_member,);
