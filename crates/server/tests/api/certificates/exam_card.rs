//! The "Certificate" card of the staff exam page
//! (`POST /orgs/{org}/exams/{exam}/certificate`): it shows the setting,
//! refuses bad values next to their fields without saving, saves good
//! ones through the API's service; 403 without ManageCertificates, 404 for
//! an unknown exam, 403 for a bad CSRF token.

use super::{ACME, enabled, fixture};
use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use invigil_testkit::browser::{Browser, assert_page, csrf_field};

async fn the_exam_page_sets_the_certificate(app: TestApp) {
    let fx = fixture(&app, enabled()).await;
    let setting = format!("{ACME}/exams/{}/certificate", fx.exam);
    let page_path = format!("/orgs/acme/exams/{}", fx.exam);
    let post_path = format!("{page_path}/certificate");
    let mut b = Browser::default();
    b.sign_in(&app, "coord@acme.org", PASSWORD)
        .await
        .assert(303);
    let page = b.get(&app, &page_path).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("Award certificates for this exam"), "{html}");
    assert!(
        html.contains(r#"name="enabled" value="true" checked"#),
        "{html}"
    );
    assert!(html.contains(r#"value="Certified sky watcher""#), "{html}");
    let csrf = csrf_field(&page);

    for days in ["forever", "0"] {
        let r = b
            .post(
                &app,
                &post_path,
                &[
                    ("csrf", csrf.as_str()),
                    ("enabled", "true"),
                    ("title", "Changed"),
                    ("valid_for_days", days),
                ],
            )
            .await;
        assert_page(&r, 422);
        let html = r.text();
        assert!(html.contains(r#"id="cert-days-error""#), "{days}: {html}");
        assert!(
            html.contains(&format!(r#"value="{days}""#)),
            "typed value kept"
        );
        let v = app.get_json(&setting, &fx.coordinator.token).await;
        assert_eq!(v["title"], "Certified sky watcher", "nothing saved");
    }
    b.post(
        &app,
        &post_path,
        &[
            ("csrf", "nope"),
            ("enabled", "true"),
            ("valid_for_days", "30"),
        ],
    )
    .await
    .assert(403);

    let r = b
        .post(
            &app,
            &post_path,
            &[
                ("csrf", csrf.as_str()),
                ("enabled", "true"),
                ("title", "  Sky watcher  "),
                ("valid_for_days", "365"),
                ("show_score", "true"),
            ],
        )
        .await;
    r.assert(303);
    assert!(r.header("location").unwrap().contains("done=certificate"));
    let v = app.get_json(&setting, &fx.coordinator.token).await;
    assert_eq!(v["enabled"], true);
    assert_eq!(v["title"], "Sky watcher");
    assert_eq!(v["valid_for_days"], 365);
    assert_eq!(v["show_score"], true);
    let html = b
        .get(&app, &format!("{page_path}?done=certificate"))
        .await
        .text();
    assert!(html.contains("The certificate setting is saved."), "{html}");

    // Unticked boxes and empty fields: off, no title, no expiry.
    b.post(
        &app,
        &post_path,
        &[
            ("csrf", csrf.as_str()),
            ("title", ""),
            ("valid_for_days", ""),
        ],
    )
    .await
    .assert(303);
    let v = app.get_json(&setting, &fx.coordinator.token).await;
    assert_eq!(v["enabled"], false);
    assert!(v["title"].is_null() && v["valid_for_days"].is_null());
    assert_eq!(v["show_score"], false);

    // An unknown exam: 404; someone without ManageCertificates: 403.
    let unknown = format!("/orgs/acme/exams/{}/certificate", uuid::Uuid::now_v7());
    assert_page(
        &b.post(
            &app,
            &unknown,
            &[("csrf", csrf.as_str()), ("enabled", "true")],
        )
        .await,
        404,
    );
    let mut proctor = Browser::default();
    proctor
        .sign_in(&app, "proctor@acme.org", PASSWORD)
        .await
        .assert(303);
    let p = proctor.get(&app, "/me/exams").await;
    let pcsrf = csrf_field(&p);
    assert_page(
        &proctor
            .post(
                &app,
                &post_path,
                &[("csrf", pcsrf.as_str()), ("enabled", "true")],
            )
            .await,
        403,
    );
    let v = app.get_json(&setting, &fx.coordinator.token).await;
    assert_eq!(v["enabled"], false, "unchanged by the proctor");
}

both!(the_exam_page_sets_the_certificate);
