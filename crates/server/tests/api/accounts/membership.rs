//! Membership changes stay inside the organization: suspending, removing
//! or changing roles in one organization signs out nothing elsewhere.

use super::*;

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
        .post_as(&format!("/api/v1/exams/{exam}/sessions"), token)
        .await;
    assert!(matches!(r.status.as_u16(), 200 | 201), "{}", r.text());
    r.json()["session_id"].as_str().unwrap().parse().unwrap()
}

async fn pair(app: &TestApp, token: &str, session: Uuid, fingerprint: &str) -> String {
    let r = app
        .post_as(&format!("/api/v1/sessions/{session}/pairing"), token)
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
        .post_json(
            &format!("/api/v1/sessions/{session}/heartbeat"),
            phone,
            &json!({ "source": "MOBILE" }),
        )
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
    app.get_as(&format!("/api/v1/sessions/{}", t.session_b), &c.token)
        .await
        .assert(200);
    assert!(
        phone_works(app, &t.phone_b, t.session_b).await,
        "org B's phone stays"
    );
    app.get_as("/api/v1/orgs/beta", &c.token).await.assert(200);
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
    app.patch_json(
        &format!("/api/v1/orgs/acme/members/{}", c.id),
        &t.admin_a.token,
        &json!({ "status": "SUSPENDED" }),
    )
    .await
    .assert(200);
    // Org A is closed to them at once; its phone credential is gone.
    app.get_as("/api/v1/orgs/acme", &c.token)
        .await
        .assert_problem(403, "forbidden");
    assert!(!phone_works(&app, &t.phone_a, t.session_a).await);
    let access = assert_untouched_outside(&app, &t, true).await;
    let details = last_org_entry(&app, t.a.org.id, "member.status_changed").await;
    assert_eq!(details["device_credentials_revoked"], 1, "{details}");
    assert!(details.get("sessions_revoked").is_none(), "{details}");
    // Deactivating is the same.
    app.patch_json(
        &format!("/api/v1/orgs/acme/members/{}", c.id),
        &t.admin_a.token,
        &json!({ "status": "DEACTIVATED" }),
    )
    .await
    .assert(200);
    assert!(app.token_works(&access).await);
    assert!(phone_works(&app, &t.phone_b, t.session_b).await);
}

async fn removing_in_one_org_signs_out_nothing_elsewhere(app: TestApp) {
    let t = two_orgs(&app).await;
    let c = &t.a.candidate;
    app.delete_as(
        &format!("/api/v1/orgs/acme/members/{}", c.id),
        &t.admin_a.token,
    )
    .await
    .assert(204);
    app.get_as("/api/v1/orgs/acme", &c.token)
        .await
        .assert_problem(404, "not_found");
    assert!(!phone_works(&app, &t.phone_a, t.session_a).await);
    let access = assert_untouched_outside(&app, &t, true).await;
    let me = app.get_json("/api/v1/me", &access).await;
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
            app.put_json(
                &format!("/api/v1/orgs/acme/members/{}/roles", c.id),
                &token,
                &json!({ "roles": roles }),
            )
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
    app.put_json(
        &format!("/api/v1/orgs/acme/members/{}/roles", staff.id),
        &t.admin_a.token,
        &json!({ "roles": [{ "role": "EXAM_AUTHOR" }] }),
    )
    .await
    .assert(200);
    assert!(app.token_works(&staff.token).await);
    refresh(&app, &staff.refresh_token).await.assert(200);
}

both!(
    suspending_in_one_org_signs_out_nothing_elsewhere,
    removing_in_one_org_signs_out_nothing_elsewhere,
    role_changes_sign_out_nothing,
);
