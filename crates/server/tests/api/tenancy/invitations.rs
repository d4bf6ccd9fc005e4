//! Invitations: new people, active users, old invitations, the rules.

use super::*;

async fn inviting_a_new_person(app: TestApp) {
    let org = app.org("inv").await;
    let admin = app
        .member(&org, "admin@inv.example", &[Role::OrgAdmin])
        .await;
    let r = app.post_json("/api/v1/orgs/inv/invitations", &admin.token, &json!({ "email": "Newbie@Inv.example", "name": "Newbie", "roles": ["EXAM_AUTHOR", "REPORT_VIEWER"] })).await;
    r.assert(201);
    let out = r.json();
    let user_id = out["user_id"].as_str().unwrap().to_owned();
    assert!(out["invitation_id"].is_string(), "{out}");
    // A pending account, not a member before accepting (issue 9: the
    // members list must not tell new people from existing accounts).
    let v = app.get_json("/api/v1/orgs/inv/members", &admin.token).await;
    assert!(
        !members_of(&v)
            .into_iter()
            .any(|m| m["user_id"] == user_id.as_str())
    );
    // The mail carries the link; the account cannot sign in yet.
    let mails = app.mails_to("newbie@inv.example").await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].body.contains("accept-invitation?token="),
        "{}",
        mails[0].body
    );
    app.login("newbie@inv.example", NEW_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    let token = app.mailed_token("newbie@inv.example").await;
    // A weak password is refused, the link survives.
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "New Bie", "password": "short" }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "New Bie", "password": NEW_PASSWORD }))
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["user"]["id"], user_id.as_str());
    assert_eq!(v["user"]["name"], "New Bie");
    let access = v["access_token"].as_str().unwrap().to_owned();
    let me = app.get_json("/api/v1/me", &access).await;
    assert_eq!(me["status"], "ACTIVE");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["memberships"][0]["org"], "inv");
    assert_eq!(
        me["memberships"][0]["roles"],
        json!(["EXAM_AUTHOR", "REPORT_VIEWER"])
    );
    let v = app.get_json("/api/v1/orgs/inv/members", &admin.token).await;
    let m = members_of(&v)
        .into_iter()
        .find(|m| m["user_id"] == user_id.as_str())
        .unwrap();
    assert_eq!(m["email"], "newbie@inv.example");
    assert_eq!(m["account_status"], "ACTIVE");
    assert_eq!(m["roles"].as_array().unwrap().len(), 2);
    // Single use; the password now works.
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "X", "password": "yet-another-passphrase-7" }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    app.login("newbie@inv.example", NEW_PASSWORD)
        .await
        .assert(200);
    let actions = app.audit_actions(&org).await;
    assert!(
        actions.contains(&"member.invited".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"member.invitation_accepted".to_owned()),
        "{actions:?}"
    );
}

async fn inviting_an_active_user_sends_an_invitation(app: TestApp) {
    let org = app.org("add").await;
    let admin = app
        .member(&org, "admin@add.example", &[Role::OrgAdmin])
        .await;
    let existing = app.user("known@example.org").await;
    let r = app.post_json("/api/v1/orgs/add/invitations", &admin.token, &json!({ "email": "known@example.org", "name": "Ignored", "roles": ["PROCTOR_REVIEWER"] })).await;
    r.assert(201);
    // Issue 9: nothing in the answer tells that the account exists.
    assert_ne!(r.json()["user_id"], existing.id.to_string());
    assert!(r.json()["invitation_id"].is_string());
    // An invitation link, and no membership until it is accepted.
    let mails = app.mails_to("known@example.org").await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains("token="), "{}", mails[0].body);
    let me = app.get_json("/api/v1/me", &existing.token).await;
    assert_eq!(me["memberships"], json!([]));
    let token = app.mailed_token("known@example.org").await;
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "Ignored", "password": PASSWORD }))
        .send()
        .await
        .assert(200);
    let me = app.get_json("/api/v1/me", &existing.token).await;
    assert_eq!(me["memberships"][0]["org"], "add");
    assert_eq!(me["memberships"][0]["roles"], json!(["PROCTOR_REVIEWER"]));
    // The password did not change.
    app.login("known@example.org", PASSWORD).await.assert(200);
    assert_eq!(
        app.audit_actions(&org).await.last().map(String::as_str),
        Some("member.invitation_accepted")
    );
    // A suspended account gets the same answer (its acceptance is refused).
    let s = app.user("suspended@example.org").await;
    users::set_status(
        app.db().write(),
        s.id,
        AccountStatus::Suspended,
        app.state.now(),
    )
    .await
    .unwrap();
    app.post_json(
        "/api/v1/orgs/add/invitations",
        &admin.token,
        &json!({ "email": "suspended@example.org", "name": "S", "roles": ["CANDIDATE"] }),
    )
    .await
    .assert(201);
}

async fn an_old_invitation_cannot_reset_an_active_account(app: TestApp) {
    let org = app.org("old").await;
    let admin = app
        .member(&org, "admin@old.example", &[Role::OrgAdmin])
        .await;
    app.post_json(
        "/api/v1/orgs/old/invitations",
        &admin.token,
        &json!({ "email": "late@old.example", "name": "Late", "roles": ["CANDIDATE"] }),
    )
    .await
    .assert(201);
    let token = app.mailed_token("late@old.example").await;
    // The account became active another way (the operator CLI).
    let u = users::by_email(app.db().read(), "late@old.example")
        .await
        .unwrap()
        .unwrap();
    let hash = invigil_server::identity::crypto::Hasher::owasp(1)
        .hash(PASSWORD)
        .await
        .unwrap();
    let now = app.state.now();
    users::set_password_hash(app.db().write(), u.id, &hash, now)
        .await
        .unwrap();
    users::set_status(app.db().write(), u.id, AccountStatus::Active, now)
        .await
        .unwrap();
    // The link now belongs to an existing account: it takes that account's
    // password and never sets one.
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "Attacker", "password": NEW_PASSWORD }))
        .send()
        .await
        .assert_problem(401, "invalid_credentials");
    app.login("late@old.example", NEW_PASSWORD)
        .await
        .assert(401);
    let r = app.login("late@old.example", PASSWORD).await;
    r.assert(200);
    assert_eq!(r.json()["user"]["name"], "Late");
}

async fn invitation_rules(app: TestApp) {
    let org = app.org("rules").await;
    let other = app.org("elsewhere").await;
    let foreign_dept = app.department(&other, "Foreign").await;
    let dept = app.department(&org, "Math").await;
    let admin = app
        .member(&org, "admin@rules.example", &[Role::OrgAdmin])
        .await;
    let em = app
        .member(&org, "em@rules.example", &[Role::EnrollmentManager])
        .await;
    let a = &app;
    let invite = |token: String, body: Value| async move {
        a.post_json("/api/v1/orgs/rules/invitations", &token, &body)
            .await
    };
    // Enrollment managers invite candidates only.
    invite(
        em.token.clone(),
        json!({ "email": "c1@rules.example", "name": "C1", "roles": ["CANDIDATE"] }),
    )
    .await
    .assert(201);
    invite(
        em.token.clone(),
        json!({ "email": "s1@rules.example", "name": "S1", "roles": ["EXAM_AUTHOR"] }),
    )
    .await
    .assert_problem(403, "forbidden");
    invite(
        em.token.clone(),
        json!({ "email": "s1@rules.example", "name": "S1", "roles": ["CANDIDATE", "ORG_ADMIN"] }),
    )
    .await
    .assert_problem(403, "forbidden");
    // Validation.
    for (body, field) in [
        (
            json!({ "email": "x@rules.example", "name": "X", "roles": ["WIZARD"] }),
            "roles[0].role",
        ),
        (
            json!({ "email": "x@rules.example", "name": "X", "roles": ["SUPER_ADMIN"] }),
            "roles[0].role",
        ),
        (
            json!({ "email": "x@rules.example", "name": "X", "roles": ["EXAM_AUTHOR"], "department_id": foreign_dept }),
            "roles[0].department_id",
        ),
        (
            json!({ "email": "nope", "name": "X", "roles": ["EXAM_AUTHOR"] }),
            "email",
        ),
        (
            json!({ "email": "x@rules.example", "name": "X", "roles": [] }),
            "roles",
        ),
    ] {
        let v = invite(admin.token.clone(), body.clone())
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], field, "{body}: {v}");
    }
    assert!(
        users::by_email(app.db().read(), "x@rules.example")
            .await
            .unwrap()
            .is_none()
    );
    // A department grant of this organization.
    let r = invite(
        admin.token.clone(),
        json!({ "email": "d@rules.example", "name": "D", "roles": ["EXAM_AUTHOR"], "department_id": dept }),
    )
    .await;
    r.assert(201);
    let id = r.json()["user_id"].as_str().unwrap().to_owned();
    let token = app.mailed_token("d@rules.example").await;
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "D", "password": NEW_PASSWORD }))
        .send()
        .await
        .assert(200);
    let v = app.get_json("/api/v1/orgs/rules/members", &em.token).await;
    let m = members_of(&v)
        .into_iter()
        .find(|m| m["user_id"] == id.as_str())
        .unwrap();
    assert_eq!(m["roles"][0]["department_id"], dept.to_string());
}

both!(
    inviting_a_new_person,
    inviting_an_active_user_sends_an_invitation,
    an_old_invitation_cannot_reset_an_active_account,
    invitation_rules,
);
