//! Accounts and sessions hardening (issue 9 points 1, 6, 7, 10): membership
//! changes never sign a person out of the platform, invitations that do not
//! reveal accounts and stay per organization, email change with the current
//! password and a revert link, the refresh retry rule, password rules.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};
use invigil_domain::identity::Role;
use invigil_store::identity::{AccountStatus, users};

use crate::both;
use crate::common::{PASSWORD, TestApp, TestResponse, TestUser};
use crate::delivery::{ExamOpts, Setup, approved_bank, enroll, insert_exam, setup_with};

const NEW_PASSWORD: &str = "a-brand-new-passphrase-42";

fn refresh_body(t: &str) -> Value {
    json!({ "refresh_token": t })
}

async fn refresh(app: &TestApp, t: &str) -> TestResponse {
    app.post("/api/v1/auth/refresh")
        .json(&refresh_body(t))
        .send()
        .await
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} in {v}"))
        .to_owned()
}

/// Actions of the platform chain (sign-in, account events), oldest first.
async fn platform_actions(app: &TestApp) -> Vec<(String, Value)> {
    use invigil_store::audit::entity;
    entity::Entity::find()
        .filter(entity::Column::Chain.eq(invigil_store::audit::PLATFORM_CHAIN))
        .order_by_asc(entity::Column::Seq)
        .all(app.db().read())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, serde_json::from_str(&e.details).unwrap()))
        .collect()
}

/// The details of the newest entry of `action` in the organization's chain.
async fn last_org_entry(app: &TestApp, org_id: Uuid, action: &str) -> Value {
    let rows = invigil_store::audit::list(
        app.db().read(),
        org_id,
        &invigil_store::audit::Filter {
            action: Some(action.to_owned()),
            ..Default::default()
        },
        None,
        1,
    )
    .await
    .unwrap();
    serde_json::from_str(
        &rows
            .first()
            .unwrap_or_else(|| panic!("no {action}"))
            .details,
    )
    .unwrap()
}

// ---- point 1: membership changes stay inside the organization

/// A candidate of two organizations with a running exam session and a paired
/// phone in each.
struct TwoOrgs {
    a: Setup,
    admin_a: TestUser,
    session_a: Uuid,
    session_b: Uuid,
    phone_a: String,
    phone_b: String,
}

async fn start(app: &TestApp, exam: Uuid, token: &str) -> Uuid {
    let r = app
        .post(&format!("/api/v1/exams/{exam}/sessions"))
        .token(token)
        .send()
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 201), "{}", r.text());
    r.json()["session_id"].as_str().unwrap().parse().unwrap()
}

async fn pair(app: &TestApp, token: &str, session: Uuid, fingerprint: &str) -> String {
    let r = app
        .post(&format!("/api/v1/sessions/{session}/pairing"))
        .token(token)
        .send()
        .await;
    r.assert(200);
    let pairing = s(&r.json(), "pairing_token");
    let c = app
        .post("/api/v1/pairing/claim")
        .json(&json!({ "pairing_token": pairing, "device_fingerprint": fingerprint }))
        .send()
        .await;
    c.assert(200);
    s(&c.json(), "access_token")
}

async fn phone_works(app: &TestApp, phone: &str, session: Uuid) -> bool {
    let r = app
        .post(&format!("/api/v1/sessions/{session}/heartbeat"))
        .token(phone)
        .json(&json!({ "source": "MOBILE" }))
        .send()
        .await;
    match r.status.as_u16() {
        204 => true,
        401 => false,
        other => panic!("heartbeat answered {other}: {}", r.text()),
    }
}

async fn two_orgs(app: &TestApp) -> TwoOrgs {
    let a = setup_with(app, ExamOpts::default()).await;
    let admin_a = app
        .member(&a.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    let b = app.org("beta").await;
    let coord_b = app
        .member(&b, "coord@beta.org", &[Role::ExamCoordinator])
        .await;
    let input: QuestionInput = serde_json::from_value(json!({
        "type": "true_false", "text": "Water is wet", "correct_answer": { "value": true }, "points": 1
    }))
    .unwrap();
    let bank_b = approved_bank(app, &b, coord_b.id, &[validate(input).unwrap()]).await;
    let exam_b = insert_exam(app, &b, bank_b, coord_b.id, &ExamOpts::default()).await;
    app.add_to(&b, &a.candidate, &[(Role::Candidate, None)])
        .await;
    enroll(app, &b, exam_b, a.candidate.id, None).await;
    let session_a = start(app, a.exam_id, &a.candidate.token).await;
    let session_b = start(app, exam_b, &a.candidate.token).await;
    let phone_a = pair(app, &a.candidate.token, session_a, "phone-a").await;
    let phone_b = pair(app, &a.candidate.token, session_b, "phone-b").await;
    assert!(phone_works(app, &phone_a, session_a).await);
    assert!(phone_works(app, &phone_b, session_b).await);
    TwoOrgs {
        a,
        admin_a,
        session_a,
        session_b,
        phone_a,
        phone_b,
    }
}

/// What must survive any change in org A: the sign-in (access and, when
/// `refresh_too`, its refresh token), the session and phone of org B.
/// Returns the live access token (a refresh replaces the pair).
async fn assert_untouched_outside(app: &TestApp, t: &TwoOrgs, refresh_too: bool) -> String {
    let c = &t.a.candidate;
    assert!(app.token_works(&c.token).await, "the sign-in stays");
    app.get(&format!("/api/v1/sessions/{}", t.session_b))
        .token(&c.token)
        .send()
        .await
        .assert(200);
    assert!(
        phone_works(app, &t.phone_b, t.session_b).await,
        "org B's phone stays"
    );
    app.get("/api/v1/orgs/beta")
        .token(&c.token)
        .send()
        .await
        .assert(200);
    if !refresh_too {
        return c.token.clone();
    }
    let r = refresh(app, &c.refresh_token).await;
    r.assert(200);
    let access = s(&r.json(), "access_token");
    assert!(app.token_works(&access).await);
    access
}

async fn suspending_in_one_org_signs_out_nothing_elsewhere(app: TestApp) {
    let t = two_orgs(&app).await;
    let c = &t.a.candidate;
    app.patch(&format!("/api/v1/orgs/acme/members/{}", c.id))
        .token(&t.admin_a.token)
        .json(&json!({ "status": "SUSPENDED" }))
        .send()
        .await
        .assert(200);
    // Org A is closed to them at once; its phone credential is gone.
    app.get("/api/v1/orgs/acme")
        .token(&c.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    assert!(!phone_works(&app, &t.phone_a, t.session_a).await);
    let access = assert_untouched_outside(&app, &t, true).await;
    let details = last_org_entry(&app, t.a.org.id, "member.status_changed").await;
    assert_eq!(details["device_credentials_revoked"], 1, "{details}");
    assert!(details.get("sessions_revoked").is_none(), "{details}");
    // Deactivating is the same.
    app.patch(&format!("/api/v1/orgs/acme/members/{}", c.id))
        .token(&t.admin_a.token)
        .json(&json!({ "status": "DEACTIVATED" }))
        .send()
        .await
        .assert(200);
    assert!(app.token_works(&access).await);
    assert!(phone_works(&app, &t.phone_b, t.session_b).await);
}

async fn removing_in_one_org_signs_out_nothing_elsewhere(app: TestApp) {
    let t = two_orgs(&app).await;
    let c = &t.a.candidate;
    app.delete(&format!("/api/v1/orgs/acme/members/{}", c.id))
        .token(&t.admin_a.token)
        .send()
        .await
        .assert(204);
    app.get("/api/v1/orgs/acme")
        .token(&c.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    assert!(!phone_works(&app, &t.phone_a, t.session_a).await);
    let access = assert_untouched_outside(&app, &t, true).await;
    let me = app.get("/api/v1/me").token(&access).send().await.json();
    let orgs: Vec<&str> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["org"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["beta"]);
    let details = last_org_entry(&app, t.a.org.id, "member.removed").await;
    assert_eq!(details, json!({ "device_credentials_revoked": 1 }));
}

async fn role_changes_sign_out_nothing(app: TestApp) {
    let t = two_orgs(&app).await;
    let c = &t.a.candidate;
    // Adding and removing a staff role: nothing is revoked.
    let put = |roles: Value| {
        let token = t.admin_a.token.clone();
        let app = &app;
        async move {
            app.put(&format!("/api/v1/orgs/acme/members/{}/roles", c.id))
                .token(&token)
                .json(&json!({ "roles": roles }))
                .send()
                .await
        }
    };
    put(json!([{ "role": "CANDIDATE" }, { "role": "REPORT_VIEWER" }]))
        .await
        .assert(200);
    put(json!([{ "role": "CANDIDATE" }])).await.assert(200);
    assert!(phone_works(&app, &t.phone_a, t.session_a).await);
    assert_untouched_outside(&app, &t, false).await;
    let details = last_org_entry(&app, t.a.org.id, "member.roles_changed").await;
    assert_eq!(details["device_credentials_revoked"], 0, "{details}");
    assert!(details.get("sessions_revoked").is_none(), "{details}");
    // Dropping CANDIDATE ends org A's phone only.
    put(json!([{ "role": "REPORT_VIEWER" }])).await.assert(200);
    assert!(!phone_works(&app, &t.phone_a, t.session_a).await);
    assert_untouched_outside(&app, &t, true).await;
    let details = last_org_entry(&app, t.a.org.id, "member.roles_changed").await;
    assert_eq!(details["device_credentials_revoked"], 1, "{details}");
    // A staff member keeps their sign-in when a role goes.
    let staff = app
        .member(
            &t.a.org,
            "staff@acme.org",
            &[Role::ExamAuthor, Role::ReportViewer],
        )
        .await;
    app.put(&format!("/api/v1/orgs/acme/members/{}/roles", staff.id))
        .token(&t.admin_a.token)
        .json(&json!({ "roles": [{ "role": "EXAM_AUTHOR" }] }))
        .send()
        .await
        .assert(200);
    assert!(app.token_works(&staff.token).await);
    refresh(&app, &staff.refresh_token).await.assert(200);
}

async fn invite(app: &TestApp, token: &str, slug: &str, email: &str, roles: Value) -> Value {
    let r = app
        .post(&format!("/api/v1/orgs/{slug}/invitations"))
        .token(token)
        .json(&json!({ "email": email, "name": "Invited Name", "roles": roles }))
        .send()
        .await;
    r.assert(201);
    r.json()
}

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
    let v = app
        .get("/api/v1/orgs/inv/members")
        .token(&admin.token)
        .send()
        .await
        .json();
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    let me = app
        .get("/api/v1/me")
        .token(&known.token)
        .send()
        .await
        .json();
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
    let me = app
        .get("/api/v1/me")
        .token(&s(&v, "access_token"))
        .send()
        .await
        .json();
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
        .get("/api/v1/me")
        .token(&s(&r.json(), "access_token"))
        .send()
        .await
        .json();
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

// ---- point 6: email change

async fn change_email(app: &TestApp, token: &str, email: &str, current: &str) -> TestResponse {
    app.post("/api/v1/me/email")
        .token(token)
        .json(&json!({ "email": email, "current_password": current }))
        .send()
        .await
}

async fn email_change_needs_the_current_password(app: TestApp) {
    let u = app.user("owner@example.org").await;
    // Without it: 422; with a wrong one: 403, nothing mailed.
    app.post("/api/v1/me/email")
        .token(&u.token)
        .json(&json!({ "email": "thief@example.org" }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let v = change_email(&app, &u.token, "thief@example.org", "wrong-guess-123")
        .await
        .assert_problem(403, "forbidden");
    assert!(s(&v, "detail").contains("current_password"), "{v}");
    assert!(app.mails_to("thief@example.org").await.is_empty());
    assert!(app.mails_to("owner@example.org").await.is_empty());
    // Counted like failed sign-ins: the fifth failure locks the address.
    for _ in 0..4 {
        change_email(&app, &u.token, "thief@example.org", "wrong-guess-123")
            .await
            .assert(403);
    }
    let r = change_email(&app, &u.token, "thief@example.org", PASSWORD).await;
    r.assert_problem(429, "account_locked");
    assert!(r.header("retry-after").is_some());
    app.login("owner@example.org", PASSWORD)
        .await
        .assert_problem(429, "account_locked");
    assert!(app.mails_to("thief@example.org").await.is_empty());
    let failed = platform_actions(&app)
        .await
        .into_iter()
        .filter(|(a, _)| a == "auth.password_check_failed")
        .count();
    assert_eq!(failed, 5);
    // After the lock, the right password works (a new access token: the
    // old one expired meanwhile).
    app.clock.advance(Duration::minutes(16));
    let fresh = app.fresh_token(&u).await;
    change_email(&app, &fresh, "mine@example.org", PASSWORD)
        .await
        .assert(202);
}

async fn applying_an_email_change_signs_out_other_sessions(app: TestApp) {
    let u = app.user("old@example.org").await;
    let other = app.fresh_token(&u).await;
    change_email(&app, &u.token, "New@Example.org", PASSWORD)
        .await
        .assert(202);
    // The new address gets the verification link, the old one a notice with
    // a revert link.
    let verify = app.mailed_token("new@example.org").await;
    let notice = app.mails_to("old@example.org").await;
    assert_eq!(notice.len(), 1);
    assert!(
        notice[0].body.contains("revert-email?token="),
        "{}",
        notice[0].body
    );
    assert!(notice[0].body.contains("new@example.org"));
    assert!(app.token_works(&other).await, "nothing happens before");
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": verify }))
        .send()
        .await
        .assert(204);
    assert!(app.token_works(&u.token).await, "the asking session stays");
    assert!(!app.token_works(&other).await, "every other session ends");
    let v = app.get("/api/v1/me").token(&u.token).send().await.json();
    assert_eq!(v["email"], "new@example.org");
    let (_, details) = platform_actions(&app)
        .await
        .into_iter()
        .rfind(|(a, _)| a == "auth.email_verified")
        .unwrap();
    assert_eq!(details["sessions_revoked"], 1, "{details}");
}

async fn the_revert_link_restores_the_old_address(app: TestApp) {
    let u = app.user("victim@example.org").await;
    // A thief who knows the password changes the address twice.
    change_email(&app, &u.token, "thief1@example.org", PASSWORD)
        .await
        .assert(202);
    let revert1 = app.mailed_token("victim@example.org").await;
    let verify = app.mailed_token("thief1@example.org").await;
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": verify }))
        .send()
        .await
        .assert(204);
    app.clock.advance(Duration::seconds(5));
    change_email(&app, &u.token, "thief2@example.org", PASSWORD)
        .await
        .assert(202);
    let revert2 = app.mailed_token("thief1@example.org").await;
    let verify = app.mailed_token("thief2@example.org").await;
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": verify }))
        .send()
        .await
        .assert(204);
    // A third change is pending.
    change_email(&app, &u.token, "thief3@example.org", PASSWORD)
        .await
        .assert(202);
    let pending = app.mailed_token("thief3@example.org").await;
    app.clock.advance(Duration::days(6));
    // The owner follows the first revert link, six days later.
    app.post("/api/v1/auth/revert-email")
        .json(&json!({ "token": revert1 }))
        .send()
        .await
        .assert(204);
    assert!(!app.token_works(&u.token).await, "every session ends");
    app.login("thief2@example.org", PASSWORD).await.assert(401);
    let r = app.login("victim@example.org", PASSWORD).await;
    r.assert(200);
    let v = app
        .get("/api/v1/me")
        .token(&s(&r.json(), "access_token"))
        .send()
        .await
        .json();
    assert_eq!(v["email"], "victim@example.org");
    // Single use; the thief's later revert link and pending change are dead.
    for (path, token) in [
        ("/api/v1/auth/revert-email", &revert1),
        ("/api/v1/auth/revert-email", &revert2),
        ("/api/v1/auth/verify-email", &pending),
    ] {
        app.post(path)
            .json(&json!({ "token": token }))
            .send()
            .await
            .assert_problem(400, "invalid_token");
    }
    let (_, details) = platform_actions(&app)
        .await
        .into_iter()
        .rfind(|(a, _)| a == "auth.email_reverted")
        .unwrap();
    assert_eq!(details["from"], "thief2@example.org");
    assert_eq!(details["to"], "victim@example.org");
    assert_eq!(details["sessions_revoked"], 1, "{details}");
    // Revert links last 7 days.
    let fresh = app.fresh_token(&u).await;
    change_email(&app, &fresh, "later@example.org", PASSWORD)
        .await
        .assert(202);
    let late = app.mailed_token("victim@example.org").await;
    app.clock.advance(Duration::days(7) + Duration::seconds(1));
    app.post("/api/v1/auth/revert-email")
        .json(&json!({ "token": late }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
}

// ---- point 7: the refresh retry window

/// A -> B, then B -> C by "someone else": presenting A within the window is
/// reuse (its successor was used), and the whole family dies.
async fn a_retry_after_the_successor_was_used_is_reuse(app: TestApp) {
    let u = app.user("fam@example.org").await;
    let b = refresh(&app, &u.refresh_token).await.json();
    app.clock.advance(Duration::seconds(2));
    let c = refresh(&app, &s(&b, "refresh_token")).await.json();
    assert!(app.token_works(&s(&c, "access_token")).await);
    app.clock.advance(Duration::seconds(2));
    refresh(&app, &u.refresh_token)
        .await
        .assert_problem(401, "invalid_token");
    assert!(!app.token_works(&s(&c, "access_token")).await);
    refresh(&app, &s(&c, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    let reused = platform_actions(&app)
        .await
        .into_iter()
        .filter(|(a, _)| a == "auth.refresh_token_reused")
        .count();
    assert_eq!(reused, 1);
}

/// A -> B is lost, the retry A -> B' replaces B. Presenting B while B' is
/// unused is only a dead token; once B' was used, presenting B is reuse.
async fn a_replaced_token_after_the_family_moved_on_is_reuse(app: TestApp) {
    let u = app.user("lost@example.org").await;
    let b = refresh(&app, &u.refresh_token).await.json();
    app.clock.advance(Duration::seconds(1));
    let r = refresh(&app, &u.refresh_token).await;
    r.assert(200);
    let b2 = r.json();
    // B (revoked by the retry) before B' is used: 401, the family lives.
    refresh(&app, &s(&b, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    assert!(app.token_works(&s(&b2, "access_token")).await);
    // B' is used (C); now B turns up again: two parties hold this family.
    app.clock.advance(Duration::seconds(1));
    let c = refresh(&app, &s(&b2, "refresh_token")).await;
    c.assert(200);
    let c = c.json();
    refresh(&app, &s(&b, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    assert!(!app.token_works(&s(&c, "access_token")).await);
    refresh(&app, &s(&c, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    // Other sessions of the user are not part of the family.
    let other = app.fresh_token(&u).await;
    assert!(app.token_works(&other).await);
}

/// API.md: of two concurrent refreshes with one token, one wins and the
/// other is the retry. The loser's pair is the one revoked; if it is
/// presented after the winner's pair moved on, the family is revoked.
async fn concurrent_refreshes_then_the_losing_pair_is_reuse(app: TestApp) {
    let u = app.user("tabs@example.org").await;
    let (r1, r2) = tokio::join!(
        refresh(&app, &u.refresh_token),
        refresh(&app, &u.refresh_token)
    );
    r1.assert(200);
    r2.assert(200);
    let (j1, j2) = (r1.json(), r2.json());
    let live1 = app.token_works(&s(&j1, "access_token")).await;
    let live2 = app.token_works(&s(&j2, "access_token")).await;
    assert!(live1 ^ live2, "exactly one pair is live: {live1} {live2}");
    let (live, dead) = if live1 { (j1, j2) } else { (j2, j1) };
    app.clock.advance(Duration::seconds(1));
    let next = refresh(&app, &s(&live, "refresh_token")).await;
    next.assert(200);
    let next = next.json();
    refresh(&app, &s(&dead, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    assert!(!app.token_works(&s(&next, "access_token")).await);
}

// ---- point 10: password rules on every path

async fn weak_passwords_are_refused_everywhere(app: TestApp) {
    let u = app.user("rules@example.org").await;
    let bad = [
        "aaaaaaaaaaaa",
        "            ",
        "violet\u{0}kettle",
        "violet\tkettle",
        "violet\u{7f}kettle",
    ];
    for p in bad {
        let v = app
            .post("/api/v1/me/password")
            .token(&u.token)
            .json(&json!({ "current_password": PASSWORD, "new_password": p }))
            .send()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "new_password", "{p:?}: {v}");
    }
    // The same password again.
    let v = app
        .post("/api/v1/me/password")
        .token(&u.token)
        .json(&json!({ "current_password": PASSWORD, "new_password": PASSWORD }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "new_password");
    assert!(s(&v["errors"][0], "message").contains("current"), "{v}");
    // Reset: compared with the stored hash; the link survives a refusal.
    app.post("/api/v1/auth/password-reset")
        .json(&json!({ "email": "rules@example.org" }))
        .send()
        .await
        .assert(202);
    let token = app.mailed_token("rules@example.org").await;
    for p in [PASSWORD, "zzzzzzzzzz", "pass\u{1b}word-x1"] {
        let v = app
            .post("/api/v1/auth/password-reset/confirm")
            .json(&json!({ "token": token, "new_password": p }))
            .send()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "new_password", "{p:?}: {v}");
    }
    assert!(app.token_works(&u.token).await, "nothing changed");
    app.post("/api/v1/auth/password-reset/confirm")
        .json(&json!({ "token": token, "new_password": NEW_PASSWORD }))
        .send()
        .await
        .assert(204);
    // A new person accepting an invitation.
    let org = app.org("pw").await;
    let admin = app
        .member(&org, "admin@pw.example", &[Role::OrgAdmin])
        .await;
    invite(
        &app,
        &admin.token,
        "pw",
        "np@example.org",
        json!(["CANDIDATE"]),
    )
    .await;
    let token = app.mailed_token("np@example.org").await;
    // A new person must give a name.
    let v = app
        .post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "password": NEW_PASSWORD }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "name", "{v}");
    for p in ["11111111", "\n\n\n\n\n\n\n\n", "        "] {
        let v = app
            .post("/api/v1/auth/accept-invitation")
            .json(&json!({ "token": token, "name": "N P", "password": p }))
            .send()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "password", "{p:?}: {v}");
    }
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "N P", "password": NEW_PASSWORD }))
        .send()
        .await
        .assert(200);
}

both!(
    suspending_in_one_org_signs_out_nothing_elsewhere,
    removing_in_one_org_signs_out_nothing_elsewhere,
    role_changes_sign_out_nothing,
    invitation_answer_does_not_reveal_accounts,
    an_existing_account_accepts_with_its_password,
    invitations_are_per_organization,
    email_change_needs_the_current_password,
    applying_an_email_change_signs_out_other_sessions,
    the_revert_link_restores_the_old_address,
    a_retry_after_the_successor_was_used_is_reuse,
    a_replaced_token_after_the_family_moved_on_is_reuse,
    concurrent_refreshes_then_the_losing_pair_is_reuse,
    weak_passwords_are_refused_everywhere,
);
