//! The people pages through the real router, on both backends: `/me/profile`
//! (fields with their validation, the avatar, the instructor section),
//! `/orgs/{org}/admin/api-keys`, `/orgs/{org}/admin/company` and the super
//! admin's `/admin/users` — guards, CSRF and what each form changes.

use invigil_domain::identity::{AccountStatus, OrgKind, Role};
use invigil_store::identity::users;
use invigil_store::people;

use crate::both;
use crate::common::TestApp;
use crate::web_staff::staff_browser;
use invigil_testkit::TestResponse;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

async fn post(b: &mut Browser, app: &TestApp, path: &str, form: &[(&str, &str)]) -> TestResponse {
    let token = b.csrf_token.clone().expect("csrf token");
    let mut fields = vec![("csrf", token.as_str())];
    fields.extend_from_slice(form);
    b.post(app, path, &fields).await
}

/// A multipart form of `csrf` then `file` (named `name`, content `bytes`).
async fn upload(
    b: &Browser,
    app: &TestApp,
    path: &str,
    csrf: &str,
    name: &str,
    bytes: &[u8],
) -> TestResponse {
    let mut body = format!(
        "--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--XX--\r\n");
    app.post(path)
        .header("cookie", &b.header())
        .body("multipart/form-data; boundary=XX", body)
        .send()
        .await
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

async fn the_profile_page_edits_the_profile_and_the_avatar(app: TestApp) {
    let org = app.org("acme").await;
    let cand = app.member(&org, "cand@acme.test", &[Role::Candidate]).await;
    app.member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;

    let mut anon = Browser::default();
    assert_redirect(
        &anon.get(&app, "/me/profile").await,
        "/signin?next=%2Fme%2Fprofile",
    );

    let mut b = staff_browser(&app, "cand@acme.test").await;
    let page = b.get(&app, "/me/profile").await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("Your profile") && html.contains("Time zone"),
        "{html}"
    );
    // A candidate teaches nowhere: no instructor section.
    assert!(!html.contains("Instructor profile"), "{html}");

    // A bad time zone and link: 422, the messages next to the fields and in
    // the summary, what was typed kept; nothing stored.
    let r = post(
        &mut b,
        &app,
        "/me/profile",
        &[
            ("name", "Cand Idate"),
            ("time_zone", "Mars/Olympus"),
            ("links.website", "javascript:alert(1)"),
            ("skills", "Rust, SQL"),
        ],
    )
    .await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains(r#"id="pf-time-zone-error""#), "{html}");
    assert!(html.contains(r##"href="#pf-time-zone""##), "{html}");
    assert!(html.contains(r##"href="#pf-links-website""##), "{html}");
    assert!(html.contains(r#"value="Mars/Olympus""#), "{html}");
    assert!(
        people::profile(app.db().read(), cand.id)
            .await
            .unwrap()
            .is_none()
    );

    // Without the CSRF token: 403, nothing changes.
    let r = b
        .post(&app, "/me/profile", &[("name", "Forged"), ("bio", "x")])
        .await;
    assert_page(&r, 403);

    let r = post(
        &mut b,
        &app,
        "/me/profile",
        &[
            ("name", "Cand Idate"),
            ("bio", "I like exams."),
            ("time_zone", "Europe/Berlin"),
            ("locale", "de-DE"),
            ("skills", "Rust, SQL , "),
            ("links.github", "https://github.com/cand"),
        ],
    )
    .await;
    assert_redirect(&r, "/me/profile?done=saved");
    let p = people::profile(app.db().read(), cand.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(p.skills, r#"["Rust","SQL"]"#);
    assert_eq!(p.github.as_deref(), Some("https://github.com/cand"));
    let u = users::by_id(app.db().read(), cand.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.name, "Cand Idate");
    let html = b.get(&app, "/me/profile?done=saved").await.text();
    assert!(
        html.contains("Your profile is saved") && html.contains("Rust, SQL"),
        "{html}"
    );

    // The avatar: not an image -> 415 with the message; a PNG -> saved and
    // served to its owner; a wrong token -> 403.
    assert_page(&b.get(&app, "/me/avatar").await, 404);
    let csrf = b.csrf_token.clone().unwrap();
    let r = upload(
        &b,
        &app,
        "/me/profile/avatar",
        &csrf,
        "a.png",
        b"<html>no</html>",
    )
    .await;
    assert_page(&r, 415);
    assert!(r.text().contains("PNG, JPEG or WebP"), "{}", r.text());
    let r = upload(&b, &app, "/me/profile/avatar", "nope", "a.png", PNG).await;
    assert_page(&r, 403);
    let r = upload(&b, &app, "/me/profile/avatar", &csrf, "a.png", PNG).await;
    assert_redirect(&r, "/me/profile?done=avatar");
    let img = b.get(&app, "/me/avatar").await;
    img.assert(200);
    assert_eq!(img.header("content-type"), Some("image/png"));
    assert!(
        b.get(&app, "/me/profile")
            .await
            .text()
            .contains("/me/avatar?v=")
    );
    // The header shows it on every page, small.
    let html = b.get(&app, "/me/exams").await.text();
    assert!(
        html.contains("class=\"avatar-small\" src=\"/me/avatar?v="),
        "{html}"
    );
    let r = post(&mut b, &app, "/me/profile/avatar/remove", &[]).await;
    assert_redirect(&r, "/me/profile?done=avatar-removed");
    assert_page(&b.get(&app, "/me/avatar").await, 404);
    let html = b.get(&app, "/me/exams").await.text();
    assert!(!html.contains("avatar-small"), "{html}");

    // An author teaches: the instructor section, validated.
    let mut author = staff_browser(&app, "author@acme.test").await;
    let html = author.get(&app, "/me/profile").await.text();
    assert!(html.contains("Instructor profile"), "{html}");
    let r = post(
        &mut author,
        &app,
        "/me/profile/instructor",
        &[
            ("specializations", "Algebra"),
            ("years_of_experience", "many"),
        ],
    )
    .await;
    assert_page(&r, 422);
    assert!(
        r.text().contains("ip-years-of-experience-error"),
        "{}",
        r.text()
    );
    let r = post(
        &mut author,
        &app,
        "/me/profile/instructor",
        &[
            ("specializations", "Algebra, Geometry"),
            ("years_of_experience", "7"),
        ],
    )
    .await;
    assert_redirect(&r, "/me/profile?done=instructor");
    // The candidate cannot post the instructor form.
    let r = post(
        &mut b,
        &app,
        "/me/profile/instructor",
        &[("specializations", "X")],
    )
    .await;
    assert_page(&r, 404);
}

async fn api_keys_page_makes_shows_once_and_revokes(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    app.member(&org, "cand@acme.test", &[Role::Candidate]).await;
    app.member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    app.member(&other, "boss@other.test", &[Role::OrgAdmin])
        .await;

    let mut admin = staff_browser(&app, "admin@acme.test").await;
    let page = admin.get(&app, "/orgs/acme/admin/api-keys").await;
    assert_page(&page, 200);
    assert!(page.text().contains("No API key yet"), "{}", page.text());
    // Linked from the administration pages; the company profile is not (an institution).
    let home = admin.get(&app, "/orgs/acme/admin").await.text();
    assert!(home.contains("/orgs/acme/admin/api-keys"), "{home}");
    assert!(!home.contains("/orgs/acme/admin/company"), "{home}");

    let mut cand = staff_browser(&app, "cand@acme.test").await;
    assert_page(&cand.get(&app, "/orgs/acme/admin/api-keys").await, 403);
    let mut coord = staff_browser(&app, "coord@acme.test").await;
    assert_page(&coord.get(&app, "/orgs/acme/admin/api-keys").await, 403);
    let r = post(
        &mut coord,
        &app,
        "/orgs/acme/admin/api-keys",
        &[("name", "x"), ("role", "REPORT_VIEWER")],
    )
    .await;
    assert_page(&r, 403);
    let mut boss = staff_browser(&app, "boss@other.test").await;
    assert_page(&boss.get(&app, "/orgs/acme/admin/api-keys").await, 404);

    // No role, a past date: 422 with the messages, nothing made.
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/api-keys",
        &[("name", "CI"), ("expires", "2001-01-01")],
    )
    .await;
    assert_page(&r, 422);
    assert!(r.text().contains("key-roles-error"), "{}", r.text());
    // CANDIDATE cannot be given to a key.
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/api-keys",
        &[("name", "CI"), ("role", "CANDIDATE")],
    )
    .await;
    assert_page(&r, 422);
    let r = admin
        .post(
            &app,
            "/orgs/acme/admin/api-keys",
            &[("name", "CI"), ("role", "REPORT_VIEWER")],
        )
        .await;
    assert_page(&r, 403);

    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/api-keys",
        &[("name", "Reporting bot"), ("role", "REPORT_VIEWER")],
    )
    .await;
    assert_page(&r, 200);
    let html = r.text();
    let start = html.find("ivk_").expect("the secret is shown");
    let secret: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(secret.len() > 40, "{secret}");
    // The key works in its organization; the list never shows the secret again.
    app.get_as("/api/v1/orgs/acme/api-keys", &secret)
        .await
        .assert(403);
    app.get_as("/api/v1/me", &secret).await.assert(403);
    let list = admin.get(&app, "/orgs/acme/admin/api-keys").await.text();
    assert!(
        list.contains("Reporting bot") && !list.contains(&secret),
        "{list}"
    );
    let key = invigil_store::people::api_keys(
        app.db().read(),
        org.id,
        invigil_store::Keyset::new(None, 10),
    )
    .await
    .unwrap()
    .items
    .remove(0);

    // Revoke: a confirmation page, then the POST (CSRF checked).
    let confirm = admin
        .get(
            &app,
            &format!("/orgs/acme/admin/api-keys/{}/revoke", key.id),
        )
        .await;
    assert_page(&confirm, 200);
    assert!(
        confirm.text().contains("Revoke the key"),
        "{}",
        confirm.text()
    );
    assert_page(
        &boss
            .get(
                &app,
                &format!("/orgs/acme/admin/api-keys/{}/revoke", key.id),
            )
            .await,
        404,
    );
    let r = admin
        .post(
            &app,
            &format!("/orgs/acme/admin/api-keys/{}/revoke", key.id),
            &[],
        )
        .await;
    assert_page(&r, 403);
    let r = post(
        &mut admin,
        &app,
        &format!("/orgs/acme/admin/api-keys/{}/revoke", key.id),
        &[],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/api-keys?done=revoked");
    app.get_as("/api/v1/orgs/acme/api-keys", &secret)
        .await
        .assert(401);
    assert!(
        admin
            .get(&app, "/orgs/acme/admin/api-keys")
            .await
            .text()
            .contains("Revoked")
    );
    let actions = app.audit_actions(&org).await;
    for a in ["api_key.created", "api_key.revoked"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

async fn company_page_is_for_company_admins(app: TestApp) {
    let org = app.org("acme").await;
    let school = app.org("school").await;
    set_company(&app, org.id).await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    app.member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    app.member(&school, "head@school.test", &[Role::OrgAdmin])
        .await;

    let mut head = staff_browser(&app, "head@school.test").await;
    let r = head.get(&app, "/orgs/school/admin/company").await;
    assert_page(&r, 409);
    assert!(r.text().contains("institution"), "{}", r.text());
    assert_page(&head.get(&app, "/orgs/acme/admin/company").await, 404);
    let mut coord = staff_browser(&app, "coord@acme.test").await;
    assert_page(&coord.get(&app, "/orgs/acme/admin/company").await, 403);

    let mut admin = staff_browser(&app, "admin@acme.test").await;
    let page = admin.get(&app, "/orgs/acme/admin/company").await;
    assert_page(&page, 200);
    assert!(page.text().contains("Save the company profile first"));
    assert!(
        admin
            .get(&app, "/orgs/acme/admin")
            .await
            .text()
            .contains("/orgs/acme/admin/company")
    );
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/company",
        &[
            ("company_name", "Acme"),
            ("company_size", "huge"),
            ("country", "Germany"),
        ],
    )
    .await;
    assert_page(&r, 422);
    assert!(r.text().contains("co-company-size-error"), "{}", r.text());
    assert!(r.text().contains("co-country-error"), "{}", r.text());
    let r = admin
        .post(
            &app,
            "/orgs/acme/admin/company",
            &[("company_name", "Acme")],
        )
        .await;
    assert_page(&r, 403);
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/company",
        &[
            ("company_name", "Acme Hiring GmbH"),
            ("company_size", "51-200"),
            ("country", "de"),
            ("website", "https://acme.example"),
        ],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/company?done=saved");
    let c = people::company_profile(app.db().read(), org.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.company_name, "Acme Hiring GmbH");
    assert_eq!(c.country.as_deref(), Some("DE"));
    let csrf = admin.csrf_token.clone().unwrap();
    let r = upload(
        &admin,
        &app,
        "/orgs/acme/admin/company/logo",
        &csrf,
        "l.png",
        PNG,
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/company?done=logo");
    let logo = admin.get(&app, "/orgs/acme/admin/company/logo").await;
    logo.assert(200);
    assert_eq!(logo.header("content-type"), Some("image/png"));
}

async fn accounts_page_is_for_the_super_admin(app: TestApp) {
    let org = app.org("acme").await;
    app.super_admin("root@platform.test").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let ada = app.member(&org, "ada@acme.test", &[Role::Candidate]).await;
    let bob = app.member(&org, "bob@acme.test", &[Role::Candidate]).await;

    let mut admin = staff_browser(&app, "admin@acme.test").await;
    assert_page(&admin.get(&app, "/admin/users").await, 403);
    assert_page(
        &admin.get(&app, &format!("/admin/users/{}", ada.id)).await,
        403,
    );
    let r = post(
        &mut admin,
        &app,
        &format!("/admin/users/{}/status", ada.id),
        &[("status", "SUSPENDED"), ("reason", "x")],
    )
    .await;
    assert_page(&r, 403);
    assert!(
        !admin
            .get(&app, "/me/profile")
            .await
            .text()
            .contains("/admin/users")
    );

    let mut root = staff_browser(&app, "root@platform.test").await;
    assert!(
        root.get(&app, "/me/profile")
            .await
            .text()
            .contains(r#"href="/admin/users""#)
    );
    let list = root.get(&app, "/admin/users?q=ada").await;
    assert_page(&list, 200);
    assert!(list.text().contains("ada@acme.test") && !list.text().contains("bob@acme.test"));

    // Status with a reason; an empty reason is refused next to the field.
    let path = format!("/admin/users/{}/status", ada.id);
    let r = post(
        &mut root,
        &app,
        &path,
        &[("status", "SUSPENDED"), ("reason", "")],
    )
    .await;
    assert_page(&r, 422);
    assert!(r.text().contains("acct-reason-error"), "{}", r.text());
    let r = root
        .post(&app, &path, &[("status", "SUSPENDED"), ("reason", "spam")])
        .await;
    assert_page(&r, 403);
    let r = post(
        &mut root,
        &app,
        &path,
        &[("status", "SUSPENDED"), ("reason", "spam")],
    )
    .await;
    assert_redirect(&r, &format!("/admin/users/{}?done=status", ada.id));
    let u = users::by_id(app.db().read(), ada.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.status, AccountStatus::Suspended);
    app.get_as("/api/v1/me", &ada.token).await.assert(401);

    // Erasure: the typed email must match.
    let path = format!("/admin/users/{}/erasure", bob.id);
    let r = post(
        &mut root,
        &app,
        &path,
        &[("confirm", "someone@else.test"), ("reason", "asked")],
    )
    .await;
    assert_page(&r, 422);
    assert!(r.text().contains("erase-confirm-error"), "{}", r.text());
    assert_eq!(
        users::by_id(app.db().read(), bob.id)
            .await
            .unwrap()
            .unwrap()
            .email,
        "bob@acme.test"
    );
    let r = post(
        &mut root,
        &app,
        &path,
        &[("confirm", "bob@acme.test"), ("reason", "asked")],
    )
    .await;
    assert_page(&r, 200);
    let html = r.text();
    assert!(
        html.contains("The person was erased") && html.contains("Erased user"),
        "{html}"
    );
    let u = users::by_id(app.db().read(), bob.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.email, people::erased_email(bob.id));
    // A second time: refused, nothing else happens.
    let r = post(
        &mut root,
        &app,
        &path,
        &[
            ("confirm", &people::erased_email(bob.id)),
            ("reason", "again"),
        ],
    )
    .await;
    assert_page(&r, 409);
}

both!(
    the_profile_page_edits_the_profile_and_the_avatar,
    api_keys_page_makes_shows_once_and_revokes,
    company_page_is_for_company_admins,
    accounts_page_is_for_the_super_admin
);
