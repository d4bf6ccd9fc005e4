//! Student records as pages (`/orgs/{org}/records`, a candidate's record,
//! the external results form and the CSV import) on both backends.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_store::exams::entities::exam;

use super::staff_browser;
use crate::both;
use crate::common::{TestApp, TestUser};
use crate::reports::sat_exam;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect, csrf_field};

const API: &str = "/api/v1/orgs/acme";

async fn exam_type(app: &TestApp, token: &str, code: &str, weight: f64) -> Uuid {
    let r = app
        .post_json(
            &format!("{API}/exam-types"),
            token,
            &json!({ "code": code, "name": format!("{code} exam"), "default_weight": weight }),
        )
        .await;
    r.assert(201);
    r.json()["id"].as_str().unwrap().parse().unwrap()
}

/// acme with the quiz of `sat_exam` typed QUIZ (weight 1) and a STEP1 type
/// (weight 3) without results: (QUIZ id, STEP1 id, the candidates, the
/// enrollment manager).
async fn records_org(app: &TestApp) -> (Uuid, Uuid, Vec<TestUser>, TestUser) {
    let (exam_id, _viewer, coord, _proctor, cands) = sat_exam(app).await;
    let quiz = exam_type(app, &coord.token, "QUIZ", 1.0).await;
    let step1 = exam_type(app, &coord.token, "STEP1", 3.0).await;
    exam::Entity::update_many()
        .col_expr(exam::Column::ExamTypeId, Expr::value(quiz))
        .filter(exam::Column::Id.eq(exam_id))
        .exec(app.db().write())
        .await
        .unwrap();
    let org = invigil_store::tenancy::org_by_slug(app.db().read(), "acme")
        .await
        .unwrap()
        .unwrap();
    let manager = app
        .member(&org, "registrar@acme.org", &[Role::EnrollmentManager])
        .await;
    (quiz, step1, cands, manager)
}

async fn externals(app: &TestApp, manager: &TestUser, user: Uuid) -> Vec<Value> {
    let r = app
        .get_as(
            &format!("{API}/candidates/{user}/external-results"),
            &manager.token,
        )
        .await;
    r.assert(200);
    r.json()["items"].as_array().unwrap().clone()
}

async fn post(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
    form: Vec<(String, String)>,
) -> invigil_testkit::TestResponse {
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(app, path, &refs).await
}

async fn who_sees_student_records(app: TestApp) {
    let (_quiz, _step1, cands, _manager) = records_org(&app).await;
    let c1 = &cands[0];

    // A report viewer: the section, every candidate with scores, the
    // weights form with the defaults, the JSON link; no import.
    let mut viewer = staff_browser(&app, "viewer@acme.org").await;
    let home = viewer.get(&app, "/orgs/acme").await;
    assert!(home.text().contains("Student records"), "{}", home.text());
    let page = viewer.get(&app, "/orgs/acme/records").await;
    assert_page(&page, 200);
    let html = page.text();
    for text in [
        "c1@acme.org",
        "100.0 %",
        "incomplete",
        "missing STEP1",
        r#"name="w_QUIZ""#,
        r#"name="w_STEP1""#,
        r#"value="3""#,
        "/orgs/acme/records.json",
        "data-sortable",
        &format!("/orgs/acme/candidates/{}/record", c1.id),
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    assert!(!html.contains("Import external results"), "{html}");

    // Other weights from the form: STEP1 weighs nothing, so c1 is complete.
    let page = viewer
        .get(&app, "/orgs/acme/records?w_QUIZ=1&w_STEP1=0")
        .await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("weights overridden"), "{html}");
    assert!(!html.contains("missing STEP1"), "{html}");
    assert!(html.contains("weights=QUIZ%3A1%2CSTEP1%3A0"), "{html}");
    // A weight that is not a number is shown next to its input.
    let page = viewer.get(&app, "/orgs/acme/records?w_STEP1=lots").await;
    assert_page(&page, 422);
    let html = page.text();
    assert!(html.contains(r#"id="w_STEP1-error""#), "{html}");
    assert!(html.contains(r#"value="lots""#), "{html}");
    // An unknown code in ?weights= is said, and the defaults are used.
    let page = viewer.get(&app, "/orgs/acme/records?weights=NOPE:1").await;
    assert_page(&page, 422);
    assert!(page.text().contains("NOPE"), "{}", page.text());

    // The JSON of the page for the browser.
    let json = viewer
        .get(&app, "/orgs/acme/records.json?weights=STEP1:0")
        .await;
    json.assert(200);
    let items = json.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 5, "{items:?}");

    // One record: the sessions of QUIZ, the composite in words.
    let page = viewer
        .get(&app, &format!("/orgs/acme/candidates/{}/record", c1.id))
        .await;
    assert_page(&page, 200);
    let html = page.text();
    for text in [
        "c1@acme.org",
        "Composite: 100.0 %",
        "100.0 % from QUIZ; STEP1 has no result yet.",
        "3 / 3",
        "Clean",
        "No result recorded outside Invigil.",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    assert!(!html.contains("Record a result"), "{html}");
    assert!(!html.contains("Weights of this report"), "{html}");
    let page = viewer
        .get(
            &app,
            &format!("/orgs/acme/candidates/{}/record?weights=STEP1:0", c1.id),
        )
        .await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("Weights of this report: STEP1:0"), "{html}");
    assert!(
        html.contains("every exam type with a weight has a result."),
        "{html}"
    );
    assert_page(
        &viewer
            .get(
                &app,
                &format!("/orgs/acme/candidates/{}/record", Uuid::new_v4()),
            )
            .await,
        404,
    );
    assert_page(
        &viewer.get(&app, "/orgs/acme/candidates/nope/record").await,
        404,
    );
    assert_page(&viewer.get(&app, "/orgs/acme/records/import").await, 403);

    // An enrollment manager: the candidates without any score, the import
    // and the form; no JSON of scores.
    let mut manager = staff_browser(&app, "manager@acme.org").await;
    let page = manager.get(&app, "/orgs/acme/records").await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("c1@acme.org"), "{html}");
    assert!(html.contains("Import external results"), "{html}");
    for hidden in ["Composite", "100.0 %", "w_QUIZ", "records.json"] {
        assert!(!html.contains(hidden), "{hidden}: {html}");
    }
    assert_page(&manager.get(&app, "/orgs/acme/records.json").await, 403);
    let page = manager
        .get(&app, &format!("/orgs/acme/candidates/{}/record", c1.id))
        .await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("Record a result"), "{html}");
    for hidden in ["Composite", "3 / 3", "100.0 %"] {
        assert!(!html.contains(hidden), "{hidden}: {html}");
    }

    // A proctor has no such section; a candidate neither.
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;
    let home = proctor.get(&app, "/orgs/acme").await;
    assert!(!home.text().contains("Student records"), "{}", home.text());
    assert_page(&proctor.get(&app, "/orgs/acme/records").await, 403);
    assert_page(
        &proctor
            .get(&app, &format!("/orgs/acme/candidates/{}/record", c1.id))
            .await,
        403,
    );
    let mut cand = staff_browser(&app, "c2@acme.org").await;
    assert_page(&cand.get(&app, "/orgs/acme/records").await, 403);
    assert_page(
        &cand
            .get(&app, &format!("/orgs/acme/candidates/{}/record", c1.id))
            .await,
        403,
    );
}

both!(who_sees_student_records);

async fn external_results_by_form(app: TestApp) {
    let (_quiz, step1, cands, manager_api) = records_org(&app).await;
    let c1 = &cands[0];
    let record = format!("/orgs/acme/candidates/{}/record", c1.id);
    let add = format!("/orgs/acme/candidates/{}/external-results", c1.id);
    let mut manager = staff_browser(&app, "manager@acme.org").await;
    let page = manager.get(&app, &record).await;
    let csrf = csrf_field(&page);
    let step1_s = step1.to_string();
    let good = |csrf: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf),
            ("exam_type_id", step1_s.as_str()),
            ("score", "240"),
            ("max_score", "300"),
            ("passed", "yes"),
            ("taken_on", "2026-06-01"),
            ("source", "NBME transcript"),
            ("notes", ""),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    // A wrong CSRF token: 403, nothing written.
    let r = post(&app, &mut manager, &add, good("wrong")).await;
    assert_page(&r, 403);
    assert!(externals(&app, &manager_api, c1.id).await.is_empty());

    // Bad values: each message next to its field, what was typed kept,
    // nothing written.
    let mut bad = good(&csrf);
    for (k, v) in bad.iter_mut() {
        match k.as_str() {
            "score" => *v = "many".into(),
            "taken_on" => *v = "2999-01-01".into(),
            "source" => *v = "  ".into(),
            _ => {}
        }
    }
    let r = post(&app, &mut manager, &add, bad).await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains(r#"id="score-error""#), "{html}");
    assert!(html.contains(r#"value="many""#), "{html}");
    assert!(externals(&app, &manager_api, c1.id).await.is_empty());
    // The service's own checks, by field too.
    let mut bad = good(&csrf);
    for (k, v) in bad.iter_mut() {
        match k.as_str() {
            "score" => *v = "400".into(),
            "taken_on" => *v = "2999-01-01".into(),
            _ => {}
        }
    }
    let r = post(&app, &mut manager, &add, bad).await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains(r#"id="score-error""#), "{html}");
    assert!(html.contains(r#"id="taken_on-error""#), "{html}");
    assert!(html.contains("Must not be in the future."), "{html}");
    assert!(externals(&app, &manager_api, c1.id).await.is_empty());

    // A good one: recorded, back to the record.
    let r = post(&app, &mut manager, &add, good(&csrf)).await;
    assert_redirect(&r, &format!("{record}?done=added"));
    let list = externals(&app, &manager_api, c1.id).await;
    assert_eq!(list.len(), 1, "{list:?}");
    // The same type and day again: said on top of the form.
    let r = post(&app, &mut manager, &add, good(&csrf)).await;
    assert_page(&r, 422);
    assert_eq!(externals(&app, &manager_api, c1.id).await.len(), 1);

    // The report viewer sees it in the record and the composite.
    let mut viewer = staff_browser(&app, "viewer@acme.org").await;
    let html = viewer.get(&app, &record).await.text();
    for text in [
        "240 / 300",
        "80.0 %",
        "NBME transcript",
        "85.0 % from QUIZ and STEP1; every exam type with a weight has a result.",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    // A viewer may not record or delete.
    let vcsrf = csrf_field(&viewer.get(&app, &record).await);
    let r = post(&app, &mut viewer, &add, good(&vcsrf)).await;
    assert_page(&r, 403);

    // Delete by the row's button (CSRF checked first).
    let page = manager.get(&app, &record).await;
    let html = page.text();
    let id = list[0]["id"].as_str().unwrap();
    let delete = format!(
        "/orgs/acme/candidates/{}/external-results/{id}/delete",
        c1.id
    );
    assert!(html.contains(&delete), "{html}");
    assert!(html.contains("data-confirm"), "{html}");
    assert_page(&manager.post(&app, &delete, &[("csrf", "nope")]).await, 403);
    assert_eq!(externals(&app, &manager_api, c1.id).await.len(), 1);
    let r = manager.post(&app, &delete, &[("csrf", &csrf)]).await;
    assert_redirect(&r, &record);
    assert!(externals(&app, &manager_api, c1.id).await.is_empty());
    // Gone: 404.
    assert_page(&manager.post(&app, &delete, &[("csrf", &csrf)]).await, 404);
}

both!(external_results_by_form);

async fn external_results_by_csv(app: TestApp) {
    let (_quiz, _step1, cands, manager_api) = records_org(&app).await;
    let mut manager = staff_browser(&app, "manager@acme.org").await;
    let page = manager.get(&app, "/orgs/acme/records/import").await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("email,exam_type_code,score,max_score,passed,taken_on,source,notes"),
        "{html}"
    );
    let csrf = csrf_field(&page);
    let csv = "email,exam_type_code,score,max_score,passed,taken_on,source,notes\n\
               c1@acme.org,STEP1,238,300,true,2026-06-01,NBME,\n\
               c2@acme.org,NOPE,200,300,,2026-06-01,NBME,\n";

    // All or nothing: a bad line, nothing imported, the line number shown.
    let r = manager
        .post(
            &app,
            "/orgs/acme/records/import",
            &[("csrf", &csrf), ("text", csv)],
        )
        .await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains("nothing was imported"), "{html}");
    assert!(html.contains(r#"<td class="num">3</td>"#), "{html}");
    assert!(html.contains("NOPE"), "{html}");
    assert!(externals(&app, &manager_api, cands[0].id).await.is_empty());

    // A wrong token: refused.
    let r = manager
        .post(
            &app,
            "/orgs/acme/records/import",
            &[("csrf", "x"), ("text", csv), ("partial", "on")],
        )
        .await;
    assert_page(&r, 403);
    assert!(externals(&app, &manager_api, cands[0].id).await.is_empty());

    // The good lines, as a file (multipart).
    let boundary = "XyZrecords";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"partial\"\r\n\r\non\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let r = app
        .post("/orgs/acme/records/import")
        .header("cookie", &manager.header())
        .body(
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .send()
        .await;
    assert_page(&r, 200);
    let html = r.text();
    assert!(html.contains("1 result(s) created, 0 updated"), "{html}");
    assert!(html.contains(r#"<td class="num">3</td>"#), "{html}");
    assert_eq!(externals(&app, &manager_api, cands[0].id).await.len(), 1);

    // Nothing sent: said next to the field.
    let r = manager
        .post(
            &app,
            "/orgs/acme/records/import",
            &[("csrf", &csrf), ("text", " ")],
        )
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="text-error""#), "{}", r.text());
}

both!(external_results_by_csv);
