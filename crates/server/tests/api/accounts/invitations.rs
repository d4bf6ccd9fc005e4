//! Invitation answers reveal no accounts, an existing account accepts with
//! its password, invitations are per organization.

use super::*;

fn uuid_v7(v: &Value, k: &str) -> Uuid {
    let id: Uuid = s(v, k).parse().unwrap();
    assert_eq!(id.get_version_num(), 7, "{k} in {v}");
    id
}

/// The answer's shape and kind of values are the same whether the email is
/// unknown, an active account, a suspended one, or one invited before.
async fn invitation_answer_does_not_reveal_accounts(app: TestApp) {
    let org = app.org("inv").await;
    let admin = app
        .member(&org, "admin@inv.example", &[Role::OrgAdmin])
        .await;
    let known = app.user("known@example.org").await;
    let suspended = app.user("suspended@example.org").await;
    users::set_status(
        app.db().write(),
        suspended.id,
        AccountStatus::Suspended,
        app.state.now(),
    )
    .await
    .unwrap();
    let roles = json!(["EXAM_AUTHOR"]);
    let mut answers = Vec::new();
    for email in [
        "fresh@example.org",
        "known@example.org",
        "suspended@example.org",
        "fresh@example.org",
        "known@example.org",
    ] {
        answers.push(invite(&app, &admin.token, "inv", email, roles.clone()).await);
    }
    let mut ids = Vec::new();
    for a in &answers {
        let mut keys: Vec<&String> = a.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["invitation_id", "user_id"], "{a}");
        ids.push(uuid_v7(a, "user_id"));
        uuid_v7(a, "invitation_id");
    }
    // Never the real id of an existing account; never repeated.
    assert!(!ids.contains(&known.id) && !ids.contains(&suspended.id));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    // Nobody is a member before accepting.
    let v = app.get_json("/api/v1/orgs/inv/members", &admin.token).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    let me = app.get_json("/api/v1/me", &known.token).await;
    assert_eq!(me["memberships"], json!([]));
    // The audit trail reads the same for every case.
    let actions = app.audit_actions(&org).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "member.invited").count(),
        5,
        "{actions:?}"
    );
    assert!(!actions.iter().any(|a| a == "member.added"), "{actions:?}");
    // Every address got an invitation link.
    for email in ["fresh@example.org", "known@example.org"] {
        let mails = app.mails_to(email).await;
        assert_eq!(mails.len(), 2);
        assert!(
            mails
                .iter()
                .all(|m| m.body.contains("accept-invitation?token="))
        );
    }
}

async fn an_existing_account_accepts_with_its_password(app: TestApp) {
    let org = app.org("acc").await;
    let admin = app
        .member(&org, "admin@acc.example", &[Role::OrgAdmin])
        .await;
    let known = app.user("known@example.org").await;
    invite(
        &app,
        &admin.token,
        "acc",
        "known@example.org",
        json!(["PROCTOR_REVIEWER"]),
    )
    .await;
    let token = app.mailed_token("known@example.org").await;
    // A wrong password: 401, counted, and the link still works after.
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "Mallory", "password": NEW_PASSWORD }))
        .send()
        .await
        .assert_problem(401, "invalid_credentials");
    assert!(
        platform_actions(&app)
            .await
            .iter()
            .any(|(a, _)| a == "auth.password_check_failed")
    );
    // `name` may be left out for an existing account.
    let r = app
        .post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "password": PASSWORD }))
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["user"]["id"], known.id.to_string());
    assert_eq!(v["user"]["name"], "known", "the name is not changed");
    let me = app.get_json("/api/v1/me", &s(&v, "access_token")).await;
    assert_eq!(me["memberships"][0]["org"], "acc");
    assert_eq!(me["memberships"][0]["roles"], json!(["PROCTOR_REVIEWER"]));
    // The password is unchanged, the old session lives, the link is used up.
    app.login("known@example.org", PASSWORD).await.assert(200);
    assert!(app.token_works(&known.token).await);
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "X", "password": PASSWORD }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    let details = last_org_entry(&app, org.id, "member.invitation_accepted").await;
    assert_eq!(details["new_account"], false);
    assert_eq!(details["roles"], json!([["PROCTOR_REVIEWER", null]]));
    // A suspended account cannot join with its invitation.
    let sus = app.user("sus@example.org").await;
    invite(
        &app,
        &admin.token,
        "acc",
        "sus@example.org",
        json!(["CANDIDATE"]),
    )
    .await;
    users::set_status(
        app.db().write(),
        sus.id,
        AccountStatus::Suspended,
        app.state.now(),
    )
    .await
    .unwrap();
    let token = app.mailed_token("sus@example.org").await;
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "S", "password": PASSWORD }))
        .send()
        .await
        .assert_problem(403, "account_disabled");
    assert!(
        invigil_store::tenancy::member(app.db().read(), org.id, sus.id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn invitations_are_per_organization(app: TestApp) {
    let a = app.org("alpha").await;
    let b = app.org("bravo").await;
    let c = app.org("charlie").await;
    let em_c = app
        .member(&c, "em@charlie.example", &[Role::EnrollmentManager])
        .await;
    let admin_a = app
        .member(&a, "admin@alpha.example", &[Role::OrgAdmin])
        .await;
    let admin_b = app
        .member(&b, "admin@bravo.example", &[Role::OrgAdmin])
        .await;
    let who = "newbie@example.org";
    invite(&app, &admin_a.token, "alpha", who, json!(["EXAM_AUTHOR"])).await;
    let a1 = app.mailed_token(who).await;
    invite(&app, &admin_b.token, "bravo", who, json!(["CANDIDATE"])).await;
    let b1 = app.mailed_token(who).await;
    // A bulk candidate import elsewhere leaves both alone too.
    app.post("/api/v1/orgs/charlie/candidates/import")
        .token(&em_c.token)
        .body("text/csv", format!("email,name\n{who},New Bie\n"))
        .send()
        .await
        .assert(200);
    let c1 = app.mailed_token(who).await;
    // Org A's new invitation replaces its own earlier one only.
    invite(&app, &admin_a.token, "alpha", who, json!(["REPORT_VIEWER"])).await;
    let a2 = app.mailed_token(who).await;
    let accept = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.post("/api/v1/auth/accept-invitation")
                .json(&json!({ "token": token, "name": "New Bie", "password": password }))
                .send()
                .await
        }
    };
    accept(a1, NEW_PASSWORD)
        .await
        .assert_problem(400, "invalid_token");
    // B's link still works: the new person chooses a password with it.
    let r = accept(b1, NEW_PASSWORD).await;
    r.assert(200);
    let user_id = s(&r.json()["user"], "id");
    // A's link now belongs to an existing account: it takes that password.
    accept(a2.clone(), "not-the-password-1")
        .await
        .assert_problem(401, "invalid_credentials");
    let r = accept(a2, NEW_PASSWORD).await;
    r.assert(200);
    assert_eq!(s(&r.json()["user"], "id"), user_id);
    accept(c1, NEW_PASSWORD).await.assert(200);
    let me = app
        .get_json("/api/v1/me", &s(&r.json(), "access_token"))
        .await;
    let got: Vec<(String, Value)> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (s(m, "org"), m["roles"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("alpha".to_owned(), json!(["REPORT_VIEWER"])),
            ("bravo".to_owned(), json!(["CANDIDATE"])),
            ("charlie".to_owned(), json!(["CANDIDATE"])),
        ]
    );
}

both!(
    invitation_answer_does_not_reveal_accounts,
    an_existing_account_accepts_with_its_password,
    invitations_are_per_organization,
);
