//! People (issue 16 items 1 and 8): profiles and their validation, avatars,
//! instructor and company profiles, account status, erasure and API keys —
//! through the real router on both backends.

use chrono::Duration;
use serde_json::{Value, json};

use invigil_domain::identity::{OrgKind, Role};
use invigil_store::identity::users;

use crate::both;
use crate::common::{PASSWORD, TestApp};

/// Every audit entry of every chain, in order: (action, details).
async fn audit_entries(app: &TestApp) -> Vec<(String, Value)> {
    use invigil_store::audit::entity as row;
    use sea_orm::{EntityTrait, QueryOrder};
    row::Entity::find()
        .order_by_asc(row::Column::CreatedAt)
        .order_by_asc(row::Column::Seq)
        .all(app.audit_linked().await.read())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action, serde_json::from_str(&r.details).unwrap()))
        .collect()
}

async fn set_company(app: &TestApp, org_id: uuid::Uuid) {
    use invigil_store::tenancy::entities::organization;
    use sea_orm::{ActiveModelTrait, Set};
    organization::ActiveModel {
        id: Set(org_id),
        kind: Set(OrgKind::Company),
        ..Default::default()
    }
    .update(app.db().write())
    .await
    .unwrap();
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

async fn profile_validation_matrix(app: TestApp) {
    let org = app.org("acme").await;
    let me = app.member(&org, "ada@acme.org", &[Role::Candidate]).await;
    let good = json!({"name": "Ada Lovelace", "bio": "Analyst\nof engines", "phone": "+44 20 7946 0000",
        "time_zone": "Europe/London", "locale": "en-GB", "skills": ["Maths", "Poetry"],
        "languages": ["en", "fr"], "location": "London",
        "links": {"github": "https://github.com/ada", "website": "https://ada.example"},
        "preferences": {"email_notifications": false, "theme": "dark"}});
    let r = app.patch_json("/api/v1/me", &me.token, &good).await;
    r.assert(200);
    let p = app.get_json("/api/v1/me/profile", &me.token).await;
    assert_eq!(p["name"], "Ada Lovelace");
    assert_eq!(p["time_zone"], "Europe/London");
    assert_eq!(p["skills"], json!(["Maths", "Poetry"]));
    assert_eq!(p["links"]["github"], "https://github.com/ada");
    assert_eq!(p["links"]["linkedin"], Value::Null);
    assert_eq!(p["preferences"]["theme"], "dark");
    let many: Vec<String> = (0..31).map(|i| format!("skill {i}")).collect();
    for (field, body) in [
        ("time_zone", json!({"time_zone": "Mars/Olympus"})),
        ("time_zone", json!({"time_zone": "Berlin"})),
        ("locale", json!({"locale": "english"})),
        ("locale", json!({"locale": "en_US"})),
        ("bio", json!({"bio": "a\u{1b}[31mred"})),
        ("location", json!({"location": "a\nb"})),
        ("skills", json!({"skills": many})),
        ("skills", json!({"skills": ["x".repeat(61)]})),
        ("phone", json!({"phone": "call me maybe"})),
        (
            "links.github",
            json!({"links": {"github": "javascript:alert(1)"}}),
        ),
        (
            "links.website",
            json!({"links": {"website": "ftp://x.org"}}),
        ),
        (
            "preferences.colour",
            json!({"preferences": {"colour": "red"}}),
        ),
        (
            "preferences.theme",
            json!({"preferences": {"theme": "pink"}}),
        ),
        ("preferences", json!({"preferences": "dark"})),
        ("name", json!({"name": "  "})),
    ] {
        let r = app.patch_json("/api/v1/me", &me.token, &body).await;
        let v = r.assert_problem(422, "validation_failed");
        assert!(
            v["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field}: {v}"
        );
    }
    // Unknown fields and wrong types are refused too.
    app.patch_json("/api/v1/me", &me.token, &json!({"nickname": "x"}))
        .await
        .assert(422);
    app.patch_json("/api/v1/me", &me.token, &json!({"skills": "Rust"}))
        .await
        .assert(422);
    app.patch_json(
        "/api/v1/me",
        &me.token,
        &json!({"links": {"twitter": "https://x.com"}}),
    )
    .await
    .assert(422);
    // Nothing changed.
    assert_eq!(app.get_json("/api/v1/me/profile", &me.token).await, p);
    // null clears.
    let r = app
        .patch_json(
            "/api/v1/me",
            &me.token,
            &json!({"phone": null, "skills": null}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["phone"], Value::Null);
    assert_eq!(r.json()["skills"], json!([]));
    assert_eq!(r.json()["time_zone"], "Europe/London");
    // Audited with the field names, never the phone's value.
    let rows = audit_entries(&app).await;
    let updates: Vec<&Value> = rows
        .iter()
        .filter(|(a, _)| a == "profile.updated")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(updates.len(), 2);
    assert!(
        updates[0]["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("phone"))
    );
    for (_, d) in &rows {
        assert!(!d.to_string().contains("7946"), "{d}");
    }
}

async fn avatars(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    let me = app.member(&org, "ada@acme.org", &[Role::Candidate]).await;
    let colleague = app.member(&org, "bob@acme.org", &[Role::ExamAuthor]).await;
    let stranger = app
        .member(&other, "eve@other.org", &[Role::Candidate])
        .await;
    let url = format!("/api/v1/users/{}/avatar", me.id);
    app.get_as(&url, &me.token).await.assert(404);
    // Wrong bytes, wrong type, too large.
    app.put("/api/v1/me/avatar")
        .token(&me.token)
        .body("image/png", b"GIF89a....".to_vec())
        .send()
        .await
        .assert(415);
    app.put("/api/v1/me/avatar")
        .token(&me.token)
        .body("image/jpeg", PNG.to_vec())
        .send()
        .await
        .assert(415);
    app.put("/api/v1/me/avatar")
        .token(&me.token)
        .body("text/html", PNG.to_vec())
        .send()
        .await
        .assert(415);
    let mut big = PNG.to_vec();
    big.resize(2 * 1024 * 1024 + 1, 0);
    app.put("/api/v1/me/avatar")
        .token(&me.token)
        .body("image/png", big)
        .send()
        .await
        .assert(413);
    let r = app
        .put("/api/v1/me/avatar")
        .token(&me.token)
        .body("image/png", PNG.to_vec())
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["avatar_url"], url.as_str());
    assert_eq!(
        app.get_json("/api/v1/me", &me.token).await["avatar_url"],
        url.as_str()
    );
    for who in [&me, &colleague] {
        let r = app.get_as(&url, &who.token).await;
        r.assert(200);
        assert_eq!(r.header("content-type"), Some("image/png"));
        assert_eq!(r.body.as_slice(), PNG);
    }
    // Someone who shares no organization: 404, as if there were none.
    app.get_as(&url, &stranger.token).await.assert(404);
    app.get(&url).send().await.assert(401);
    app.delete_as("/api/v1/me/avatar", &me.token)
        .await
        .assert(204);
    app.get_as(&url, &me.token).await.assert(404);
    app.delete_as("/api/v1/me/avatar", &me.token)
        .await
        .assert(404);
    assert_eq!(
        app.get_json("/api/v1/me", &me.token).await["avatar_url"],
        Value::Null
    );
}

async fn instructor_and_company_profiles(app: TestApp) {
    let org = app.org("acme").await;
    let admin = app.member(&org, "admin@acme.org", &[Role::OrgAdmin]).await;
    let teacher = app.member(&org, "t@acme.org", &[Role::ExamAuthor]).await;
    let cand = app.member(&org, "c@acme.org", &[Role::Candidate]).await;
    let r = app
        .put_json("/api/v1/me/instructor-profile", &teacher.token,
            &json!({"specializations": ["Algebra"], "certifications": ["PGCE"], "years_of_experience": 7}))
        .await;
    r.assert(200);
    assert_eq!(r.json()["is_verified"], false);
    app.put_json(
        "/api/v1/me/instructor-profile",
        &teacher.token,
        &json!({"years_of_experience": 900}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let verify = |u: uuid::Uuid| format!("/api/v1/orgs/acme/members/{u}/instructor-verification");
    app.post_json(
        &verify(teacher.id),
        &teacher.token,
        &json!({"is_verified": true}),
    )
    .await
    .assert(403);
    app.post_json(
        &verify(cand.id),
        &admin.token,
        &json!({"is_verified": true}),
    )
    .await
    .assert_problem(409, "not_an_instructor");
    let r = app
        .post_json(
            &verify(teacher.id),
            &admin.token,
            &json!({"is_verified": true}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["is_verified"], true);
    assert_eq!(r.json()["specializations"], json!(["Algebra"]));
    // Editing keeps the verification; the person cannot set it.
    app.put_json(
        "/api/v1/me/instructor-profile",
        &teacher.token,
        &json!({"is_verified": true}),
    )
    .await
    .assert(422);

    // Company profile: an INSTITUTION has none.
    let body = json!({"company_name": "Acme Ltd", "company_size": "51-200", "country": "DE",
        "website": "https://acme.example", "industry": "Tools"});
    app.put_json("/api/v1/orgs/acme/company-profile", &admin.token, &body)
        .await
        .assert_problem(409, "not_a_company");
    let co = app.org("hireco").await;
    set_company(&app, co.id).await;
    let co_admin = app.member(&co, "admin@hireco.org", &[Role::OrgAdmin]).await;
    let co_member = app.member(&co, "m@hireco.org", &[Role::ReportViewer]).await;
    app.get_as("/api/v1/orgs/hireco/company-profile", &co_member.token)
        .await
        .assert(404);
    for bad in [
        json!({"company_name": "X", "company_size": "50"}),
        json!({"company_name": "X", "country": "Germany"}),
        json!({"company_name": "X", "website": "javascript:x"}),
        json!({"company_name": ""}),
        json!({"company_name": "X", "ceo": "me"}),
    ] {
        app.put_json("/api/v1/orgs/hireco/company-profile", &co_admin.token, &bad)
            .await
            .assert(422);
    }
    app.put_json(
        "/api/v1/orgs/hireco/company-profile",
        &co_member.token,
        &body,
    )
    .await
    .assert(403);
    app.put_json("/api/v1/orgs/hireco/company-profile", &admin.token, &body)
        .await
        .assert(404);
    app.put_json(
        "/api/v1/orgs/hireco/company-profile",
        &co_admin.token,
        &body,
    )
    .await
    .assert(200);
    let v = app
        .get_json("/api/v1/orgs/hireco/company-profile", &co_member.token)
        .await;
    assert_eq!(v["company_name"], "Acme Ltd");
    assert_eq!(v["company_size"], "51-200");
    assert_eq!(v["logo_url"], Value::Null);
    app.put("/api/v1/orgs/hireco/company-profile/logo")
        .token(&co_admin.token)
        .body("image/png", PNG.to_vec())
        .send()
        .await
        .assert(200);
    let r = app
        .get_as("/api/v1/orgs/hireco/company-profile/logo", &co_member.token)
        .await;
    r.assert(200);
    assert_eq!(r.body.as_slice(), PNG);
    let stored = invigil_store::people::company_profile(app.db().read(), co.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.country.as_deref(), Some("DE"));
}

async fn status_change_revokes_and_blocks_sign_in(app: TestApp) {
    let org = app.org("acme").await;
    let root = app.super_admin("root@platform.org").await;
    let admin = app.member(&org, "admin@acme.org", &[Role::OrgAdmin]).await;
    let user = app.member(&org, "ada@acme.org", &[Role::Candidate]).await;
    // Only the super admin; never oneself.
    app.get_as("/api/v1/users?q=ada", &admin.token)
        .await
        .assert(403);
    app.patch_json(
        &format!("/api/v1/users/{}", user.id),
        &admin.token,
        &json!({"status": "SUSPENDED", "reason": "x"}),
    )
    .await
    .assert(403);
    app.patch_json(
        &format!("/api/v1/users/{}", root.id),
        &root.token,
        &json!({"status": "SUSPENDED", "reason": "x"}),
    )
    .await
    .assert(403);
    let found = app
        .get_json("/api/v1/users?q=ADA%40acme", &root.token)
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["items"][0]["email"], "ada@acme.org");
    let none = app.get_json("/api/v1/users?q=%25", &root.token).await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0, "{none}");
    let url = format!("/api/v1/users/{}", user.id);
    app.patch_json(
        &url,
        &root.token,
        &json!({"status": "BANNED", "reason": "x"}),
    )
    .await
    .assert(422);
    app.patch_json(&url, &root.token, &json!({"status": "SUSPENDED"}))
        .await
        .assert(422);
    app.patch_json(
        &url,
        &root.token,
        &json!({"status": "SUSPENDED", "reason": " "}),
    )
    .await
    .assert(422);
    app.patch_json(
        &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
        &root.token,
        &json!({"status": "SUSPENDED", "reason": "x"}),
    )
    .await
    .assert(404);
    assert!(app.token_works(&user.token).await);
    for status in ["SUSPENDED", "DEACTIVATED", "PENDING_VERIFICATION"] {
        let session = app.login(&user.email, PASSWORD).await;
        session.assert(200);
        let token = session.json()["access_token"].as_str().unwrap().to_owned();
        let r = app
            .patch_json(
                &url,
                &root.token,
                &json!({"status": status, "reason": "policy breach"}),
            )
            .await;
        r.assert(200);
        assert_eq!(r.json()["status"], status);
        assert!(
            !app.token_works(&token).await,
            "{status}: session still works"
        );
        app.get_as("/api/v1/me", &token).await.assert(401);
        app.login(&user.email, PASSWORD)
            .await
            .assert_problem(403, "account_disabled");
        app.patch_json(
            &url,
            &root.token,
            &json!({"status": "ACTIVE", "reason": "appeal"}),
        )
        .await
        .assert(200);
    }
    app.login(&user.email, PASSWORD).await.assert(200);
    let rows = audit_entries(&app).await;
    let changes: Vec<&Value> = rows
        .iter()
        .filter(|(a, _)| a == "user.status_changed")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(changes.len(), 6);
    assert_eq!(changes[0]["from"], "ACTIVE");
    assert_eq!(changes[0]["to"], "SUSPENDED");
    assert_eq!(changes[0]["reason"], "policy breach");
}

async fn erasure_keeps_graded_records(app: TestApp) {
    let s = crate::delivery::setup_with(&app, crate::delivery::ExamOpts::default()).await;
    let root = app.super_admin("root@platform.org").await;
    let admin = app
        .member(&s.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    let session = crate::delivery::start(&app, &s).await;
    let sid = session["session_id"].as_str().unwrap().to_owned();
    app.post_as(
        &format!("/api/v1/sessions/{sid}/submit"),
        &s.candidate.token,
    )
    .await
    .assert(200);
    app.patch_json(
        "/api/v1/me",
        &s.candidate.token,
        &json!({"bio": "me", "phone": "+1 555 0100"}),
    )
    .await
    .assert(200);
    app.put("/api/v1/me/avatar")
        .token(&s.candidate.token)
        .body("image/png", PNG.to_vec())
        .send()
        .await
        .assert(200);
    let url = format!("/api/v1/users/{}/erasure", s.candidate.id);
    app.post_json(&url, &admin.token, &json!({"reason": "request"}))
        .await
        .assert(403);
    app.post_json(&url, &root.token, &json!({}))
        .await
        .assert(422);
    app.post_json(
        &format!("/api/v1/users/{}/erasure", root.id),
        &root.token,
        &json!({"reason": "x"}),
    )
    .await
    .assert(403);
    let other_root = app.super_admin("root2@platform.org").await;
    app.post_json(
        &format!("/api/v1/users/{}/erasure", other_root.id),
        &root.token,
        &json!({"reason": "x"}),
    )
    .await
    .assert_problem(409, "super_admin");
    let r = app
        .post_json(
            &url,
            &root.token,
            &json!({"reason": "GDPR art. 17 request"}),
        )
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["email"], format!("erased-{}@invalid", s.candidate.id));
    assert!(v["name"].as_str().unwrap().starts_with("Erased user "));
    assert_eq!(v["avatar_removed"], true);
    assert!(v["sessions_revoked"].as_u64().unwrap() >= 1);
    // Signed out, cannot sign in, no personal data left.
    assert!(!app.token_works(&s.candidate.token).await);
    app.login("cand@acme.org", PASSWORD).await.assert(401);
    let u = users::by_id(app.db().read(), s.candidate.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.password_hash, None);
    assert_eq!(u.status.name(), "DEACTIVATED");
    assert!(
        invigil_store::people::profile(app.db().read(), s.candidate.id)
            .await
            .unwrap()
            .is_none()
    );
    app.get_as(
        &format!("/api/v1/users/{}/avatar", s.candidate.id),
        &admin.token,
    )
    .await
    .assert(404);
    // The graded session stays, under the anonymous name.
    let rows = app
        .get_json(
            &format!("/api/v1/orgs/acme/exams/{}/sessions", s.exam_id),
            &s.coordinator.token,
        )
        .await;
    let items = rows["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{rows}");
    assert_eq!(items[0]["session_id"], sid.as_str());
    assert!(
        items[0]["candidate"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Erased user ")
    );
    // Audit: the old email only as its hash; the chains still verify.
    let entries = audit_entries(&app).await;
    let erased: Vec<&Value> = entries
        .iter()
        .filter(|(a, _)| a == "user.erased")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(erased.len(), 1);
    assert_eq!(erased[0]["email_sha256"].as_str().unwrap().len(), 64);
    assert!(!erased[0].to_string().contains("cand@acme.org"));
    let verify = app
        .get_json("/api/v1/orgs/acme/audit-log/verify", &admin.token)
        .await;
    assert_eq!(verify["ok"], true, "{verify}");
    // Idempotent: the second time is a conflict, nothing changes.
    app.post_json(&url, &root.token, &json!({"reason": "again"}))
        .await
        .assert_problem(409, "already_erased");
    app.patch_json(
        &format!("/api/v1/users/{}", s.candidate.id),
        &root.token,
        &json!({"status": "ACTIVE", "reason": "x"}),
    )
    .await
    .assert_problem(409, "already_erased");
}

async fn api_keys_act_in_their_org_with_their_roles(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    let admin = app.member(&org, "admin@acme.org", &[Role::OrgAdmin]).await;
    let author = app
        .member(&org, "author@acme.org", &[Role::ExamAuthor])
        .await;
    let _other_admin = app
        .member(&other, "admin@other.org", &[Role::OrgAdmin])
        .await;
    let keys = "/api/v1/orgs/acme/api-keys";
    app.post_json(
        keys,
        &author.token,
        &json!({"name": "ci", "roles": ["ORG_ADMIN"]}),
    )
    .await
    .assert(403);
    for bad in [
        json!({"name": "ci", "roles": ["SUPER_ADMIN"]}),
        json!({"name": "ci", "roles": ["CANDIDATE"]}),
        json!({"name": "ci", "roles": []}),
        json!({"name": "", "roles": ["ORG_ADMIN"]}),
        json!({"name": "ci", "roles": ["ORG_ADMIN"], "expires_at": "2000-01-01T00:00:00Z"}),
        json!({"name": "ci", "roles": ["ORG_ADMIN"], "scopes": []}),
    ] {
        app.post_json(keys, &admin.token, &bad).await.assert(422);
    }
    let r = app
        .post_json(
            keys,
            &admin.token,
            &json!({"name": "HR sync", "roles": ["ORG_ADMIN"],
            "expires_at": (app.state.now() + Duration::days(1)).to_rfc3339()}),
        )
        .await;
    r.assert(201);
    let created = r.json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("ivk_") && secret.len() == 4 + 43,
        "{secret}"
    );
    let key_id = created["id"].as_str().unwrap().to_owned();
    let r = app
        .post_json(
            keys,
            &admin.token,
            &json!({"name": "reports", "roles": ["REPORT_VIEWER"]}),
        )
        .await;
    r.assert(201);
    let viewer = r.json()["secret"].as_str().unwrap().to_owned();
    // The list never shows a secret.
    let list = app.get_json(keys, &admin.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(&secret));
    assert_eq!(list["items"][1]["prefix"], &secret[..10]);

    // Its role's route works, and the audit names the key.
    let r = app
        .post_json(
            "/api/v1/orgs/acme/departments",
            &secret,
            &json!({"name": "Made by key"}),
        )
        .await;
    r.assert(201);
    app.get_as("/api/v1/orgs/acme/members", &secret)
        .await
        .assert(200);
    let entries = audit_entries(&app).await;
    let (_, d) = entries
        .iter()
        .find(|(a, _)| a == "department.created")
        .expect("department audited");
    assert_eq!(d["api_key_id"], key_id.as_str());
    let used = app.get_json(keys, &admin.token).await;
    assert!(used["items"][1]["last_used_at"].is_string(), "{used}");
    // A route its roles do not allow: 403.
    app.post_json(
        "/api/v1/orgs/acme/departments",
        &viewer,
        &json!({"name": "No"}),
    )
    .await
    .assert(403);
    app.post_json(keys, &viewer, &json!({"name": "x", "roles": ["ORG_ADMIN"]}))
        .await
        .assert(403);
    // Another organization: 404. Personal and platform routes: 403.
    app.get_as("/api/v1/orgs/other/members", &secret)
        .await
        .assert(404);
    app.get_as("/api/v1/me", &secret)
        .await
        .assert_problem(403, "api_key_not_allowed");
    app.get_as("/api/v1/me/profile", &secret)
        .await
        .assert_problem(403, "api_key_not_allowed");
    app.post_json("/api/v1/orgs", &secret, &json!({"name": "X", "slug": "xx"}))
        .await
        .assert_problem(403, "api_key_not_allowed");
    // The exam attempt routes (served through the hot cache) too.
    let attempt = uuid::Uuid::now_v7();
    app.get_as(&format!("/api/v1/sessions/{attempt}"), &secret)
        .await
        .assert_problem(403, "api_key_not_allowed");
    app.put_json(
        &format!("/api/v1/sessions/{attempt}/answers/{attempt}"),
        &secret,
        &json!({"answer": {"option": 0}}),
    )
    .await
    .assert_problem(403, "api_key_not_allowed");
    // A made-up key: 401.
    app.get_as("/api/v1/orgs/acme/members", "ivk_nope")
        .await
        .assert(401);
    // Revoked: 401; revoking again 409; another org's admin cannot see it.
    app.delete_as(&format!("{keys}/{key_id}"), &admin.token)
        .await
        .assert(204);
    app.get_as("/api/v1/orgs/acme/members", &secret)
        .await
        .assert(401);
    app.delete_as(&format!("{keys}/{key_id}"), &admin.token)
        .await
        .assert(409);
    app.delete_as(
        &format!("/api/v1/orgs/other/api-keys/{key_id}"),
        &_other_admin.token,
    )
    .await
    .assert(404);
    // Expired: 401.
    let r = app
        .post_json(
            keys,
            &admin.token,
            &json!({"name": "short", "roles": ["ORG_ADMIN"],
            "expires_at": (app.state.now() + Duration::minutes(5)).to_rfc3339()}),
        )
        .await;
    r.assert(201);
    let short = r.json()["secret"].as_str().unwrap().to_owned();
    app.get_as("/api/v1/orgs/acme/members", &short)
        .await
        .assert(200);
    app.clock.advance(Duration::minutes(6));
    app.get_as("/api/v1/orgs/acme/members", &short)
        .await
        .assert(401);
    let actions = app.audit_actions(&org).await;
    assert!(actions.iter().any(|a| a == "api_key.created"));
    assert!(actions.iter().any(|a| a == "api_key.revoked"));
}

both!(
    profile_validation_matrix,
    avatars,
    instructor_and_company_profiles,
    status_change_revokes_and_blocks_sign_in,
    erasure_keeps_graded_records,
    api_keys_act_in_their_org_with_their_roles,
);
