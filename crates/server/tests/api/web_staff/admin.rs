//! The administration pages (`/orgs/{org}/admin/...`) on both backends:
//! the guard, members and roles, departments (rename, delete only when
//! empty), invitations, the proctoring rules editor with its validation,
//! the audit log and its verify button.

use invigil_domain::identity::Role;
use invigil_store::tenancy;
use serde_json::json;

use super::staff_browser;
use crate::both;
use crate::common::TestApp;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

/// Posts a form with the browser's CSRF token.
async fn post(
    b: &mut Browser,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> invigil_testkit::TestResponse {
    let token = b.csrf_token.clone().expect("csrf token");
    let mut fields = vec![("csrf", token.as_str())];
    fields.extend_from_slice(form);
    b.post(app, path, &fields).await
}

async fn admin_pages_are_for_org_admins_only(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    app.member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    app.member(&org, "qa@acme.test", &[Role::QualityAssurance])
        .await;
    app.member(&other, "boss@other.test", &[Role::OrgAdmin])
        .await;

    let mut admin = staff_browser(&app, "admin@acme.test").await;
    for page in [
        "",
        "/members",
        "/departments",
        "/invitations",
        "/rules",
        "/audit",
    ] {
        let r = admin.get(&app, &format!("/orgs/acme/admin{page}")).await;
        assert_page(&r, 200);
        assert!(r.text().contains("Administration"), "{page}: {}", r.text());
    }
    let home = admin.get(&app, "/orgs/acme/admin").await.text();
    for title in [
        "Members and roles",
        "Departments",
        "Invitations",
        "Proctoring rules",
        "Audit log",
    ] {
        assert!(home.contains(title), "{title}: {home}");
    }

    // A coordinator has no administration; QA reads only the audit log.
    let mut coord = staff_browser(&app, "coord@acme.test").await;
    assert_page(&coord.get(&app, "/orgs/acme/admin").await, 403);
    assert_page(&coord.get(&app, "/orgs/acme/admin/departments").await, 403);
    assert_page(&coord.get(&app, "/orgs/acme/admin/members").await, 403);
    let mut qa = staff_browser(&app, "qa@acme.test").await;
    assert_page(&qa.get(&app, "/orgs/acme/admin/audit").await, 200);
    assert_page(&qa.get(&app, "/orgs/acme/admin/rules").await, 403);
    let r = post(
        &mut qa,
        &app,
        "/orgs/acme/admin/departments",
        &[("name", "QA dept")],
    )
    .await;
    assert_page(&r, 403);

    // A stranger's organization does not exist; signed out goes to sign-in.
    let mut stranger = staff_browser(&app, "boss@other.test").await;
    assert_page(&stranger.get(&app, "/orgs/acme/admin/members").await, 404);
    let r = post(
        &mut stranger,
        &app,
        "/orgs/acme/admin/departments",
        &[("name", "X")],
    )
    .await;
    assert_page(&r, 404);
    let mut anon = Browser::default();
    assert_redirect(
        &anon.get(&app, "/orgs/acme/admin").await,
        "/signin?next=%2Forgs%2Facme%2Fadmin",
    );

    // A wrong CSRF token changes nothing.
    let r = admin
        .post(
            &app,
            "/orgs/acme/admin/departments",
            &[("csrf", "nope"), ("name", "Forged")],
        )
        .await;
    assert_page(&r, 403);
    assert!(
        tenancy::list_departments(app.db().read(), org.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn members_roles_and_status_change_from_the_console(app: TestApp) {
    let org = app.org("acme").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let coord = app
        .member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    let dept = app.department(&org, "Medicine").await;
    let mut admin = staff_browser(&app, "admin@acme.test").await;

    let list = admin.get(&app, "/orgs/acme/admin/members").await;
    assert_page(&list, 200);
    let html = list.text();
    assert!(
        html.contains("coord@acme.test") && html.contains("Exam coordinator (whole organization)"),
        "{html}"
    );
    let edit = admin
        .get(&app, &format!("/orgs/acme/admin/members/{}", coord.id))
        .await;
    assert_page(&edit, 200);
    assert!(
        edit.text().contains("Department: Medicine"),
        "{}",
        edit.text()
    );

    // Keep the coordinator role, add report viewer for Medicine.
    let dept_s = dept.to_string();
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/members/{}/roles", coord.id),
        &[
            ("keep", "EXAM_COORDINATOR"),
            ("add_role", "REPORT_VIEWER"),
            ("add_department", &dept_s),
        ],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/members?done=roles");
    let mut roles = tenancy::roles_of(app.db().read(), org.id, coord.id)
        .await
        .unwrap();
    roles.sort();
    assert_eq!(
        roles,
        vec![
            (Role::ExamCoordinator, None),
            (Role::ReportViewer, Some(dept))
        ]
    );
    let html = admin
        .get(&app, "/orgs/acme/admin/members?done=roles")
        .await
        .text();
    assert!(
        html.contains("Report viewer (Medicine)") && html.contains("The roles were saved"),
        "{html}"
    );
    // SUPER_ADMIN is never granted here.
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/members/{}/roles", coord.id),
        &[("add_role", "SUPER_ADMIN")],
    )
    .await;
    assert_page(&r, 422);
    assert_eq!(
        tenancy::roles_of(app.db().read(), org.id, coord.id)
            .await
            .unwrap()
            .len(),
        2
    );

    // Suspend and reactivate; nobody suspends themselves.
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/members/{}/status", coord.id),
        &[("status", "SUSPENDED")],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/members?done=suspended");
    let m = tenancy::member(app.db().read(), org.id, coord.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status.name(), "SUSPENDED");
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/members/{}/status", coord.id),
        &[("status", "ACTIVE")],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/members?done=reactivated");
    let admin_id = invigil_store::identity::users::by_email(app.db().read(), "admin@acme.test")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/members/{admin_id}/status"),
        &[("status", "SUSPENDED")],
    )
    .await;
    assert_page(&r, 409);
    assert!(
        r.text().contains("cannot change your own status"),
        "{}",
        r.text()
    );

    // Remove.
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/members/{}/remove", coord.id),
        &[],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/members?done=removed");
    assert!(
        tenancy::member(app.db().read(), org.id, coord.id)
            .await
            .unwrap()
            .is_none()
    );
    let actions = app.audit_actions(&org).await;
    for a in [
        "member.roles_changed",
        "member.status_changed",
        "member.removed",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

async fn departments_are_renamed_and_deleted_only_when_empty(app: TestApp) {
    let org = app.org("acme").await;
    let admin_user = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let mut admin = staff_browser(&app, "admin@acme.test").await;

    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/departments",
        &[("name", "Physics")],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/departments?done=created");
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/departments",
        &[("name", "Chemistry")],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/departments?done=created");
    let find = |name: &'static str| {
        let app = &app;
        let org = &org;
        async move {
            tenancy::list_departments(app.db().read(), org.id)
                .await
                .unwrap()
                .into_iter()
                .find(|d| d.name == name)
                .map(|d| d.id)
        }
    };
    let physics = find("Physics").await.unwrap();
    let chemistry = find("Chemistry").await.unwrap();

    // Rename; a name in use is a conflict; an empty one is refused.
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/departments/{physics}/rename"),
        &[("name", "Applied physics")],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/departments?done=renamed");
    assert!(find("Applied physics").await.is_some());
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/departments/{physics}/rename"),
        &[("name", "Chemistry")],
    )
    .await;
    assert_page(&r, 409);
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/departments/{physics}/rename"),
        &[("name", "  ")],
    )
    .await;
    assert_page(&r, 422);
    let page = admin.get(&app, "/orgs/acme/admin/departments").await;
    assert!(page.text().contains("Applied physics"), "{}", page.text());

    // A department with a role limited to it is not empty: 409, kept.
    let somebody = app.member(&org, "x@acme.test", &[]).await;
    app.add_to(&org, &somebody, &[(Role::ExamAuthor, Some(chemistry))])
        .await;
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/departments/{chemistry}/delete"),
        &[],
    )
    .await;
    assert_page(&r, 409);
    assert!(
        r.text().contains("not empty") && r.text().contains("1 role grant"),
        "{}",
        r.text()
    );
    assert!(find("Chemistry").await.is_some());
    // The API says the same.
    app.delete(&format!("/api/v1/orgs/acme/departments/{chemistry}"))
        .token(&admin_user.token)
        .send()
        .await
        .assert_problem(409, "conflict");
    app.patch_json(
        &format!("/api/v1/orgs/acme/departments/{chemistry}"),
        &admin_user.token,
        &json!({"name": "Chem"}),
    )
    .await
    .assert(200);

    // An empty one goes.
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/departments/{physics}/delete"),
        &[],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/departments?done=deleted");
    assert!(find("Applied physics").await.is_none());
    app.delete(&format!("/api/v1/orgs/acme/departments/{physics}"))
        .token(&admin_user.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    let actions = app.audit_actions(&org).await;
    for a in [
        "department.created",
        "department.renamed",
        "department.deleted",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

async fn invitations_are_sent_and_listed(app: TestApp) {
    let org = app.org("acme").await;
    let admin_user = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let mut admin = staff_browser(&app, "admin@acme.test").await;
    let empty = admin.get(&app, "/orgs/acme/admin/invitations").await;
    assert!(
        empty.text().contains("No invitation is waiting"),
        "{}",
        empty.text()
    );
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/invitations",
        &[
            ("email", "new@acme.test"),
            ("name", "New Person"),
            ("role", "EXAM_AUTHOR"),
            ("role", "REPORT_VIEWER"),
            ("department", ""),
        ],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/invitations?done=invited");
    let page = admin.get(&app, "/orgs/acme/admin/invitations").await.text();
    assert!(
        page.contains("new@acme.test") && page.contains("Exam author (whole organization)"),
        "{page}"
    );
    assert_eq!(app.mails_to("new@acme.test").await.len(), 1);
    let api = app
        .get_json("/api/v1/orgs/acme/invitations", &admin_user.token)
        .await;
    assert_eq!(api["items"][0]["email"], "new@acme.test");
    // No role: refused with the reason.
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/invitations",
        &[("email", "b@acme.test"), ("name", "B")],
    )
    .await;
    assert_page(&r, 422);
    assert!(r.text().contains("at least one role"), "{}", r.text());
}

async fn the_rules_editor_validates_saves_and_audits(app: TestApp) {
    let org = app.org("acme").await;
    let admin_user = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let mut admin = staff_browser(&app, "admin@acme.test").await;
    let page = admin.get(&app, "/orgs/acme/admin/rules").await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("tab_switch_burst")
            && html.contains("What it detects")
            && html.contains("uses the default rules"),
        "{html}"
    );

    // A window of 0 seconds is refused, naming the field; nothing stored.
    let bad = [
        ("low_a", "5"),
        ("low_b", "0"),
        ("medium_a", "3"),
        ("medium_b", "300"),
        ("high_a", "1"),
        ("high_b", "300"),
        ("weight", "10"),
    ];
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/rules/tab_switch_burst",
        &bad,
    )
    .await;
    assert_page(&r, 422);
    assert!(r.text().contains("within secs"), "{}", r.text());
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/rules/tab_switch_burst",
        &[("low_a", "x"), ("weight", "1")],
    )
    .await;
    assert_page(&r, 422);
    let stored = tenancy::org_by_id(app.db().read(), org.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.settings.contains("proctoring_rules"),
        "{}",
        stored.settings
    );

    // A good edit is stored and audited with the rule's change.
    let good = [
        ("low_a", "8"),
        ("low_b", "300"),
        ("medium_a", ""),
        ("medium_b", ""),
        ("high_a", "1"),
        ("high_b", "120"),
        ("weight", "25"),
    ];
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/rules/tab_switch_burst",
        &good,
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/rules?done=rule");
    let org_json = app.get_json("/api/v1/orgs/acme", &admin_user.token).await;
    let rules = &org_json["settings"]["proctoring_rules"];
    let tab = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "tab_switch_burst")
        .unwrap();
    assert_eq!(tab["weight"], 25);
    assert_eq!(tab["condition"]["params"]["low"]["more_than"], 8);
    assert!(tab["condition"]["params"].get("medium").is_none(), "{tab}");
    let page = admin.get(&app, "/orgs/acme/admin/rules").await.text();
    assert!(page.contains("uses its own rules"), "{page}");
    let entries = invigil_store::audit::list(
        app.audit_linked().await.read(),
        org.id,
        &invigil_store::audit::Filter {
            action: Some("org.proctoring_rules_changed".into()),
            ..Default::default()
        },
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(entries.len(), 1);
    let details = entries[0].details_json().unwrap();
    assert_eq!(details["changed"][0]["id"], "tab_switch_burst", "{details}");

    // Thresholds: 0 is refused, 40 stored.
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/rules/thresholds",
        &[("low", "0"), ("medium", "50"), ("high", "25")],
    )
    .await;
    assert_page(&r, 422);
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/rules/thresholds",
        &[("low", "100"), ("medium", "40"), ("high", "25")],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/rules?done=thresholds");

    // The API's PATCH validates the rules too.
    let mut broken = rules.clone();
    broken["thresholds"]["low"] = json!(0);
    let r = app
        .patch_json(
            "/api/v1/orgs/acme",
            &admin_user.token,
            &json!({"settings": {"proctoring_rules": broken}}),
        )
        .await;
    let p = r.assert_problem(422, "validation_failed");
    assert_eq!(
        p["errors"][0]["field"], "settings.proctoring_rules.thresholds.low",
        "{p}"
    );

    // Back to the defaults.
    let r = post(&mut admin, &app, "/orgs/acme/admin/rules/reset", &[]).await;
    assert_redirect(&r, "/orgs/acme/admin/rules?done=reset");
    let stored = tenancy::org_by_id(app.db().read(), org.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.settings.contains("proctoring_rules"),
        "{}",
        stored.settings
    );
    // An unknown rule is 404.
    let r = post(&mut admin, &app, "/orgs/acme/admin/rules/nope", &good).await;
    assert_page(&r, 404);
}

async fn the_audit_log_filters_and_verifies(app: TestApp) {
    let org = app.org("acme").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let mut admin = staff_browser(&app, "admin@acme.test").await;
    post(
        &mut admin,
        &app,
        "/orgs/acme/admin/departments",
        &[("name", "Physics")],
    )
    .await
    .assert(303);

    let page = admin.get(&app, "/orgs/acme/admin/audit").await;
    assert_page(&page, 200);
    assert!(
        page.text().contains("department.created"),
        "{}",
        page.text()
    );
    let filtered = admin
        .get(
            &app,
            "/orgs/acme/admin/audit?action=department.created&actor=admin%40acme.test",
        )
        .await
        .text();
    assert!(
        filtered.contains("department.created") && filtered.contains("admin@acme.test"),
        "{filtered}"
    );
    let none = admin
        .get(&app, "/orgs/acme/admin/audit?actor=nobody%40acme.test")
        .await
        .text();
    assert!(none.contains("No entry matches these filters"), "{none}");
    let future = admin
        .get(&app, "/orgs/acme/admin/audit?from=2999-01-01")
        .await
        .text();
    assert!(future.contains("No entry matches"), "{future}");
    let bad = admin
        .get(&app, "/orgs/acme/admin/audit?action=made.up&from=yesterday")
        .await;
    assert_page(&bad, 200);
    assert!(
        bad.text().contains("Choose an action from the list")
            && bad.text().contains("is not a date"),
        "{}",
        bad.text()
    );

    // Verify: the page, and the fragment htmx asks for.
    let v = admin.get(&app, "/orgs/acme/admin/audit/verify").await;
    assert_page(&v, 200);
    assert!(
        v.text().contains("The audit chain is intact"),
        "{}",
        v.text()
    );
    let frag = app
        .get("/orgs/acme/admin/audit/verify")
        .header("cookie", &admin.header())
        .header("hx-request", "true")
        .send()
        .await;
    frag.assert(200);
    assert!(
        frag.text().contains("intact") && !frag.text().contains("<html"),
        "{}",
        frag.text()
    );

    // A tampered entry: verify names it.
    use sea_orm::ConnectionTrait;
    app.db()
        .write()
        .execute_unprepared("UPDATE audit_log SET action = 'tampered' WHERE seq = 1")
        .await
        .unwrap();
    let v = admin
        .get(&app, "/orgs/acme/admin/audit/verify")
        .await
        .text();
    assert!(v.contains("The audit chain is broken at entry 1"), "{v}");
}

async fn instructors_are_verified_from_the_member_page(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let teacher = app
        .member(&org, "teacher@acme.test", &[Role::ExamAuthor])
        .await;
    let cand = app.member(&org, "cand@acme.test", &[Role::Candidate]).await;
    app.member(&other, "boss@other.test", &[Role::OrgAdmin])
        .await;
    let mut admin = staff_browser(&app, "admin@acme.test").await;
    let page = |id: uuid::Uuid| format!("/orgs/acme/admin/members/{id}");
    let action = |id: uuid::Uuid| format!("/orgs/acme/admin/members/{id}/instructor");

    // Someone who does not teach has no instructor card.
    let html = admin.get(&app, &page(cand.id)).await.text();
    assert!(!html.contains("instructor-title"), "{html}");
    let html = admin.get(&app, &page(teacher.id)).await.text();
    assert!(html.contains("not verified as an instructor"), "{html}");
    assert!(html.contains("Verify as an instructor"), "{html}");
    assert!(html.contains(&action(teacher.id)), "{html}");

    // Refusals change nothing: no CSRF token, a bad value, a candidate,
    // another organization's admin.
    let r = admin
        .post(&app, &action(teacher.id), &[("is_verified", "true")])
        .await;
    assert_page(&r, 403);
    let r = post(
        &mut admin,
        &app,
        &action(teacher.id),
        &[("is_verified", "yes")],
    )
    .await;
    assert_page(&r, 422);
    let r = post(
        &mut admin,
        &app,
        &action(cand.id),
        &[("is_verified", "true")],
    )
    .await;
    assert_page(&r, 409);
    assert!(r.text().contains("does not teach"), "{}", r.text());
    let mut boss = staff_browser(&app, "boss@other.test").await;
    let r = post(
        &mut boss,
        &app,
        &action(teacher.id),
        &[("is_verified", "true")],
    )
    .await;
    assert_page(&r, 404);
    assert!(
        invigil_store::people::instructor_profile(app.db().read(), teacher.id)
            .await
            .unwrap()
            .is_none_or(|p| !p.is_verified)
    );

    // Verified: stored for this organization, audited, shown.
    let r = post(
        &mut admin,
        &app,
        &action(teacher.id),
        &[("is_verified", "true")],
    )
    .await;
    assert_redirect(
        &r,
        &format!(
            "/orgs/acme/admin/members/{}?done=instructor_verified",
            teacher.id
        ),
    );
    let p = invigil_store::people::instructor_profile(app.db().read(), teacher.id)
        .await
        .unwrap()
        .unwrap();
    assert!(p.is_verified);
    assert_eq!(p.verified_org_id, Some(org.id));
    let html = admin
        .get(
            &app,
            &format!("{}?done=instructor_verified", page(teacher.id)),
        )
        .await
        .text();
    assert!(html.contains("now a verified instructor"), "{html}");
    assert!(
        html.contains("Verified as an instructor by this organization"),
        "{html}"
    );
    assert!(html.contains("Take the verification back"), "{html}");
    assert!(
        app.audit_actions(&org)
            .await
            .iter()
            .any(|a| a == "instructor_profile.updated")
    );

    // Taken back.
    let r = post(
        &mut admin,
        &app,
        &action(teacher.id),
        &[("is_verified", "false")],
    )
    .await;
    assert_redirect(
        &r,
        &format!(
            "/orgs/acme/admin/members/{}?done=instructor_unverified",
            teacher.id
        ),
    );
    let p = invigil_store::people::instructor_profile(app.db().read(), teacher.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!p.is_verified);
    let html = admin.get(&app, &page(teacher.id)).await.text();
    assert!(html.contains("Verify as an instructor"), "{html}");
}

both!(
    admin_pages_are_for_org_admins_only,
    instructors_are_verified_from_the_member_page,
    members_roles_and_status_change_from_the_console,
    departments_are_renamed_and_deleted_only_when_empty,
    invitations_are_sent_and_listed,
    the_rules_editor_validates_saves_and_audits,
    the_audit_log_filters_and_verifies,
);
