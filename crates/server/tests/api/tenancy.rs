//! Organizations and people: creating organizations, invitations, roles,
//! member status and removal, candidate import, and tenant isolation.

use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_store::identity::{AccountStatus, users};

use crate::both;
use crate::common::{PASSWORD, TestApp};

const NEW_PASSWORD: &str = "another-long-passphrase-42";

fn members_of(v: &Value) -> Vec<Value> {
    v["items"].as_array().unwrap().clone()
}

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

async fn inviting_a_new_person(app: TestApp) {
    let org = app.org("inv").await;
    let admin = app
        .member(&org, "admin@inv.example", &[Role::OrgAdmin])
        .await;
    let r = app
        .post("/api/v1/orgs/inv/invitations")
        .token(&admin.token)
        .json(&json!({ "email": "Newbie@Inv.example", "name": "Newbie", "roles": ["EXAM_AUTHOR", "REPORT_VIEWER"] }))
        .send()
        .await;
    r.assert(201);
    let out = r.json();
    let user_id = out["user_id"].as_str().unwrap().to_owned();
    assert!(out["invitation_id"].is_string(), "{out}");
    // A pending account, not a member before accepting (issue 9: the
    // members list must not tell new people from existing accounts).
    let v = app
        .get("/api/v1/orgs/inv/members")
        .token(&admin.token)
        .send()
        .await
        .json();
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
    let me = app.get("/api/v1/me").token(&access).send().await.json();
    assert_eq!(me["status"], "ACTIVE");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["memberships"][0]["org"], "inv");
    assert_eq!(
        me["memberships"][0]["roles"],
        json!(["EXAM_AUTHOR", "REPORT_VIEWER"])
    );
    let v = app
        .get("/api/v1/orgs/inv/members")
        .token(&admin.token)
        .send()
        .await
        .json();
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
    let r = app
        .post("/api/v1/orgs/add/invitations")
        .token(&admin.token)
        .json(&json!({ "email": "known@example.org", "name": "Ignored", "roles": ["PROCTOR_REVIEWER"] }))
        .send()
        .await;
    r.assert(201);
    // Issue 9: nothing in the answer tells that the account exists.
    assert_ne!(r.json()["user_id"], existing.id.to_string());
    assert!(r.json()["invitation_id"].is_string());
    // An invitation link, and no membership until it is accepted.
    let mails = app.mails_to("known@example.org").await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains("token="), "{}", mails[0].body);
    let me = app
        .get("/api/v1/me")
        .token(&existing.token)
        .send()
        .await
        .json();
    assert_eq!(me["memberships"], json!([]));
    let token = app.mailed_token("known@example.org").await;
    app.post("/api/v1/auth/accept-invitation")
        .json(&json!({ "token": token, "name": "Ignored", "password": PASSWORD }))
        .send()
        .await
        .assert(200);
    let me = app
        .get("/api/v1/me")
        .token(&existing.token)
        .send()
        .await
        .json();
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
    app.post("/api/v1/orgs/add/invitations")
        .token(&admin.token)
        .json(&json!({ "email": "suspended@example.org", "name": "S", "roles": ["CANDIDATE"] }))
        .send()
        .await
        .assert(201);
}

async fn an_old_invitation_cannot_reset_an_active_account(app: TestApp) {
    let org = app.org("old").await;
    let admin = app
        .member(&org, "admin@old.example", &[Role::OrgAdmin])
        .await;
    app.post("/api/v1/orgs/old/invitations")
        .token(&admin.token)
        .json(&json!({ "email": "late@old.example", "name": "Late", "roles": ["CANDIDATE"] }))
        .send()
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
        a.post("/api/v1/orgs/rules/invitations")
            .token(&token)
            .json(&body)
            .send()
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
    let v = app
        .get("/api/v1/orgs/rules/members")
        .token(&em.token)
        .send()
        .await
        .json();
    let m = members_of(&v)
        .into_iter()
        .find(|m| m["user_id"] == id.as_str())
        .unwrap();
    assert_eq!(m["roles"][0]["department_id"], dept.to_string());
}

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
            a.put(&format!("/api/v1/orgs/roles/members/{user}/roles"))
                .token(&token)
                .json(&body)
                .send()
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
        .get("/api/v1/orgs/roles/members")
        .token(&admin.token)
        .send()
        .await
        .json();
    let row = members_of(&v)
        .into_iter()
        .find(|x| x["user_id"] == m.id.to_string())
        .unwrap();
    assert_eq!(row["roles"][0]["role"], "EXAM_COORDINATOR");
    // The outsider's roles elsewhere are untouched.
    let me = app
        .get("/api/v1/me")
        .token(&outsider.token)
        .send()
        .await
        .json();
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
            a.patch(&format!("/api/v1/orgs/st/members/{user}"))
                .token(&token)
                .json(&body)
                .send()
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
    app.get("/api/v1/orgs/st")
        .token(&fresh)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let me = app.get("/api/v1/me").token(&fresh).send().await.json();
    assert_eq!(me["memberships"][0]["status"], "SUSPENDED");
    // Back to ACTIVE.
    patch(m.id, "ACTIVE").await.assert(200);
    app.get("/api/v1/orgs/st")
        .token(&fresh)
        .send()
        .await
        .assert(200);
    patch(m.id, "DEACTIVATED").await.assert(200);
    assert!(app.token_works(&fresh).await);
    app.get("/api/v1/orgs/st")
        .token(&fresh)
        .send()
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
    app.delete(&path)
        .token(&m.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/api/v1/orgs/rm/members/{}", admin.id))
        .token(&admin.token)
        .send()
        .await
        .assert_problem(409, "conflict");
    app.delete(&path)
        .token(&admin.token)
        .send()
        .await
        .assert(204);
    assert!(app.token_works(&m.token).await, "signed in elsewhere still");
    // Now a stranger to the organization: 404.
    let fresh = app.fresh_token(&m).await;
    app.get("/api/v1/orgs/rm")
        .token(&fresh)
        .send()
        .await
        .assert_problem(404, "not_found");
    let me = app.get("/api/v1/me").token(&fresh).send().await.json();
    assert_eq!(me["memberships"], json!([]));
    let v = app
        .get("/api/v1/orgs/rm/members")
        .token(&admin.token)
        .send()
        .await
        .json();
    assert_eq!(members_of(&v).len(), 1);
    app.delete(&path)
        .token(&admin.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.audit_actions(&org).await.last().map(String::as_str),
        Some("member.removed")
    );
}

const CSV_HEADER: &str =
    "email,name,student_number,class_year,has_accommodations,extra_time_percent\n";

async fn candidate_import(app: TestApp) {
    let org = app.org("imp").await;
    let em = app
        .member(&org, "em@imp.example", &[Role::EnrollmentManager])
        .await;
    let author = app
        .member(&org, "author@imp.example", &[Role::ExamAuthor])
        .await;
    let url = "/api/v1/orgs/imp/candidates/import";
    let good = format!("{CSV_HEADER}ana@imp.example,Ana,S1,2027,true,25\nbo@imp.example,Bo,,,,\n");
    let bad = format!(
        "{CSV_HEADER}ana@imp.example,Ana,S1,2027,true,25\nnot-an-email,Bad,,,,\nbo@imp.example,Bo,,,,\ncy@imp.example,Cy,,soon,,\n"
    );
    // Wrong content type.
    app.post(url)
        .token(&em.token)
        .json(&json!({ "csv": good }))
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");
    // Only enrollment managers and admins.
    app.post(url)
        .token(&author.token)
        .body("text/csv", good.clone())
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Atomic by default: nothing is created.
    let mails_before = app.outbox().await.len();
    let r = app
        .post(url)
        .token(&em.token)
        .body("text/csv", bad.clone())
        .send()
        .await;
    let v = r.assert_problem(422, "validation_failed");
    let lines: Vec<u64> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 5], "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("email")
    );
    assert!(
        users::by_email(app.db().read(), "ana@imp.example")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.outbox().await.len(), mails_before);
    // Partial: the good lines go in.
    let r = app
        .post(&format!("{url}?partial=true"))
        .token(&em.token)
        .body("text/csv; charset=utf-8", bad)
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["created"], 2);
    assert_eq!(v["updated"], 0);
    assert_eq!(v["errors"].as_array().unwrap().len(), 2);
    let ana = users::by_email(app.db().read(), "ana@imp.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ana.status.name(), "PENDING_VERIFICATION");
    let profile = invigil_store::tenancy::profile(app.db().read(), org.id, ana.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(profile.extra_time_percent, Some(25));
    assert!(profile.has_accommodations);
    assert!(app.mailed_token("bo@imp.example").await.len() > 10);
    let v = app
        .get("/api/v1/orgs/imp/members")
        .token(&em.token)
        .send()
        .await
        .json();
    let ana_row = members_of(&v)
        .into_iter()
        .find(|m| m["email"] == "ana@imp.example")
        .unwrap();
    assert_eq!(
        ana_row["roles"],
        json!([{ "role": "CANDIDATE", "department_id": null }])
    );
    // Again: updates.
    let r = app
        .post(url)
        .token(&em.token)
        .body("text/csv", good)
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["created"], 0);
    assert_eq!(r.json()["updated"], 2);
    // Empty and header-only files.
    app.post(url)
        .token(&em.token)
        .body("text/csv", CSV_HEADER)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let actions = app.audit_actions(&org).await;
    assert!(
        actions.contains(&"candidates.imported".to_owned()),
        "{actions:?}"
    );
}

async fn partial_import_reports_conflicting_accounts(app: TestApp) {
    let org = app.org("pc").await;
    let admin = app
        .member(&org, "admin@pc.example", &[Role::OrgAdmin])
        .await;
    let s = app.user("sus@pc.example").await;
    users::set_status(
        app.db().write(),
        s.id,
        AccountStatus::Suspended,
        app.state.now(),
    )
    .await
    .unwrap();
    let csv = format!("{CSV_HEADER}ok@pc.example,Ok,,,,\nsus@pc.example,Sus,,,,\n");
    let url = "/api/v1/orgs/pc/candidates/import";
    let v = app
        .post(url)
        .token(&admin.token)
        .body("text/csv", csv.clone())
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["line"], 3, "{v}");
    assert!(
        users::by_email(app.db().read(), "ok@pc.example")
            .await
            .unwrap()
            .is_none()
    );
    let r = app
        .post(&format!("{url}?partial=true"))
        .token(&admin.token)
        .body("text/csv", csv)
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["created"], 1, "{v}");
    assert_eq!(v["errors"][0]["line"], 3, "{v}");
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
    inviting_a_new_person,
    inviting_an_active_user_sends_an_invitation,
    an_old_invitation_cannot_reset_an_active_account,
    invitation_rules,
    replacing_roles,
    member_status_changes,
    removing_a_member,
    candidate_import,
    partial_import_reports_conflicting_accounts,
    tenants_see_nothing_of_each_other,
);
