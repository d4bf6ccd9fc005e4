//! Student records (seed 003): external results entered by hand and by CSV,
//! a candidate's record across exam types and the weighted composite, the
//! cohort list — through the real router on both backends.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_store::delivery::entities::session;
use invigil_store::exams::entities::exam;
use invigil_store::tenancy;

use crate::both;
use crate::common::{TestApp, TestUser};
use crate::reports::sat_exam;

const ORG: &str = "/api/v1/orgs/acme";

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-6)
}

/// An exam type through the API; returns its id.
async fn exam_type(app: &TestApp, token: &str, code: &str, weight: f64) -> Uuid {
    let r = app
        .post_json(
            &format!("{ORG}/exam-types"),
            token,
            &json!({ "code": code, "name": format!("{code} exam"), "default_weight": weight }),
        )
        .await;
    r.assert(201);
    r.json()["id"].as_str().unwrap().parse().unwrap()
}

/// Another member of acme with one role.
async fn staff(app: &TestApp, email: &str, role: Role) -> TestUser {
    let org = tenancy::org_by_slug(app.db().read(), "acme")
        .await
        .unwrap()
        .unwrap();
    app.member(&org, email, &[role]).await
}

fn type_of<'a>(record: &'a Value, code: &str) -> &'a Value {
    record["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["exam_type"]["code"] == code)
        .unwrap_or_else(|| panic!("no type {code} in {record}"))
}

async fn records_across_exam_types_with_a_weighted_composite(app: TestApp) {
    // Four candidates finished the quiz with 3, 2, 1, 0 of 3 points; a fifth
    // is still writing.
    let (exam, viewer, coord, proctor, cands) = sat_exam(&app).await;
    let manager = staff(&app, "registrar@acme.org", Role::EnrollmentManager).await;
    let quiz = exam_type(&app, &coord.token, "QUIZ", 1.0).await;
    let step1 = exam_type(&app, &coord.token, "STEP1", 3.0).await;
    exam_type(&app, &coord.token, "SHELF", 1.0).await;
    exam::Entity::update_many()
        .col_expr(exam::Column::ExamTypeId, Expr::value(quiz))
        .filter(exam::Column::Id.eq(exam))
        .exec(app.db().write())
        .await
        .unwrap();

    // An external result by hand: 240 of 300 = 80 %.
    let ana = &cands[0];
    let ext_url = format!("{ORG}/candidates/{}/external-results", ana.id);
    let body = json!({ "exam_type_id": step1, "score": 240, "max_score": 300, "passed": true,
        "taken_on": "2026-06-01", "source": "NBME transcript" });
    let r = app.post_json(&ext_url, &manager.token, &body).await;
    r.assert(201);
    let ext = r.json();
    assert!(close(&ext["percent"], 80.0), "{ext}");
    assert_eq!(ext["exam_type_code"], "STEP1");
    assert_eq!(ext["taken_on"], "2026-06-01");
    let ext_id = ext["id"].as_str().unwrap().to_owned();
    // The same type on the same day again: 409.
    app.post_json(&ext_url, &manager.token, &body)
        .await
        .assert_problem(409, "conflict");
    // Bad values name their fields and write nothing.
    let r = app
        .post_json(
            &ext_url,
            &manager.token,
            &json!({ "exam_type_id": step1, "score": 400, "max_score": 300,
                "taken_on": "2999-01-01", "source": "" }),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let text = r.text();
    assert!(
        text.contains("score") && text.contains("taken_on") && text.contains("source"),
        "{text}"
    );
    app.post_json(
        &ext_url,
        &manager.token,
        &json!({ "exam_type_id": Uuid::now_v7(), "passed": true, "taken_on": "2026-01-01", "source": "x" }),
    )
    .await
    .assert(422);
    app.post_json(&ext_url, &manager.token, &json!({ "exam_type_id": "nope" }))
        .await
        .assert(422);
    let list = app.get_json(&ext_url, &manager.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    // Nobody records their own result; a report viewer records none.
    app.post_json(
        &format!("{ORG}/candidates/{}/external-results", manager.id),
        &manager.token,
        &json!({ "exam_type_id": step1, "passed": true, "taken_on": "2026-01-01", "source": "x" }),
    )
    .await
    .assert(403);
    app.post_json(&ext_url, &viewer.token, &body)
        .await
        .assert(403);

    // Ana's record: QUIZ 100, STEP1 80, SHELF missing.
    // Composite = (1 x 100 + 3 x 80) / 4 = 85, incomplete.
    let rec_url = format!("{ORG}/candidates/{}/record", ana.id);
    let rec = app.get_json(&rec_url, &viewer.token).await;
    assert_eq!(rec["candidate"]["email"], "c1@acme.org", "{rec}");
    assert!(close(&type_of(&rec, "QUIZ")["percent"], 100.0), "{rec}");
    assert_eq!(type_of(&rec, "QUIZ")["internal"][0]["counts"], true);
    assert!(close(&type_of(&rec, "STEP1")["percent"], 80.0), "{rec}");
    assert_eq!(type_of(&rec, "SHELF")["percent"], Value::Null);
    assert!(close(&rec["composite"]["percent"], 85.0), "{rec}");
    assert_eq!(rec["composite"]["complete"], false);
    assert_eq!(rec["composite"]["missing"], json!(["SHELF"]));
    assert!(close(&rec["composite"]["weight_total"], 5.0), "{rec}");
    // Weights for this report: equal QUIZ and STEP1, SHELF left out -> 90, complete.
    let rec = app
        .get_json(
            &format!("{rec_url}?weights=QUIZ:1,STEP1:1,SHELF:0"),
            &viewer.token,
        )
        .await;
    assert!(close(&rec["composite"]["percent"], 90.0), "{rec}");
    assert_eq!(rec["composite"]["complete"], true, "{rec}");
    assert!(close(&type_of(&rec, "STEP1")["weight"], 1.0));
    for bad in ["NOPE:1", "QUIZ", "QUIZ:-2", "QUIZ:1,QUIZ:2"] {
        app.get_as(&format!("{rec_url}?weights={bad}"), &viewer.token)
            .await
            .assert_problem(422, "validation_failed");
    }
    // Correcting the external score moves the composite: 270/300 = 90 ->
    // (100 + 270) / 4 = 92.5.
    let r = app
        .patch_json(
            &format!("{ORG}/external-results/{ext_id}"),
            &manager.token,
            &json!({ "score": 270, "notes": "rescored" }),
        )
        .await;
    r.assert(200);
    assert!(close(&r.json()["percent"], 90.0));
    let rec = app.get_json(&rec_url, &viewer.token).await;
    assert!(close(&rec["composite"]["percent"], 92.5), "{rec}");
    // A confirmed violation keeps the score on record but it no longer counts.
    session::Entity::update_many()
        .col_expr(
            session::Column::IntegrityStatus,
            Expr::value("VIOLATION_CONFIRMED"),
        )
        .filter(session::Column::UserId.eq(ana.id))
        .exec(app.db().write())
        .await
        .unwrap();
    let rec = app.get_json(&rec_url, &viewer.token).await;
    let q = type_of(&rec, "QUIZ");
    assert_eq!(q["internal"][0]["counts"], false, "{rec}");
    assert_eq!(q["internal"][0]["passed"], false, "{rec}");
    assert_eq!(q["percent"], Value::Null);
    assert!(close(&rec["composite"]["percent"], 90.0), "{rec}");

    // Who reads records: report roles org-wide; not a proctor, not the
    // enrollment manager, not a stranger.
    app.get_json(&rec_url, &coord.token).await;
    app.get_as(&rec_url, &proctor.token).await.assert(403);
    app.get_as(&rec_url, &manager.token).await.assert(403);
    let other = app.org("other").await;
    let stranger = app
        .member(&other, "boss@other.example", &[Role::OrgAdmin])
        .await;
    app.get_as(&rec_url, &stranger.token).await.assert(404);
    app.get_as(
        &format!("/api/v1/orgs/other/candidates/{}/record", ana.id),
        &stranger.token,
    )
    .await
    .assert(404);
    app.get_as(
        &format!("{ORG}/candidates/{}/record", Uuid::now_v7()),
        &viewer.token,
    )
    .await
    .assert(404);

    // The exam type cannot go while results are recorded on it.
    app.delete_as(&format!("{ORG}/exam-types/{step1}"), &coord.token)
        .await
        .assert_problem(409, "conflict");
    app.delete_as(&format!("{ORG}/external-results/{ext_id}"), &manager.token)
        .await
        .assert(204);
    app.delete_as(&format!("{ORG}/external-results/{ext_id}"), &manager.token)
        .await
        .assert(404);

    // Every change is audited.
    let log = app
        .get_json(
            &format!("{ORG}/audit-log?limit=200"),
            &staff(&app, "admin@acme.org", Role::OrgAdmin).await.token,
        )
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "external_result.recorded",
        "external_result.updated",
        "external_result.deleted",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
}

async fn external_results_import_by_csv_with_line_errors(app: TestApp) {
    let (_exam, viewer, coord, _proctor, cands) = sat_exam(&app).await;
    let manager = staff(&app, "registrar@acme.org", Role::EnrollmentManager).await;
    exam_type(&app, &coord.token, "STEP1", 1.0).await;
    let url = format!("{ORG}/external-results/import");
    let csv = |lines: &[String]| {
        let mut s =
            "email,exam_type_code,score,max_score,passed,taken_on,source,notes\r\n".to_owned();
        for l in lines {
            s.push_str(l);
            s.push_str("\r\n");
        }
        s
    };
    let good = [
        format!("{},STEP1,210,300,pass,2026-06-01,NBME,", cands[1].email),
        format!("{},STEP1,,,fail,2026-06-02,NBME,\"=1+1\"", cands[2].email),
    ];
    let mut file = good.to_vec();
    file.push("stranger@nowhere.example,STEP1,1,2,,2026-06-01,NBME,".to_owned());
    file.push(format!("{},STEP9,1,2,,2026-06-01,NBME,", cands[3].email));
    let post = |body: String, q: &'static str| {
        let app = &app;
        let url = format!("{url}{q}");
        let token = manager.token.clone();
        async move {
            app.req(axum::http::Method::POST, &url)
                .token(&token)
                .body("text/csv", body)
                .send()
                .await
        }
    };
    // Atomic: two bad lines (4 and 5), nothing written.
    let r = post(csv(&file), "").await;
    r.assert_problem(422, "validation_failed");
    let errors = r.json()["errors"].clone();
    let lines: Vec<u64> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 5], "{errors}");
    let rec_url = format!("{ORG}/candidates/{}/record", cands[1].id);
    let rec = app.get_json(&rec_url, &viewer.token).await;
    assert_eq!(type_of(&rec, "STEP1")["external"], json!([]), "{rec}");
    // Partial: the good lines go in, the bad ones are reported.
    let r = post(csv(&file), "?partial=true").await;
    r.assert(200);
    let out = r.json();
    assert_eq!(
        (out["created"].as_u64(), out["updated"].as_u64()),
        (Some(2), Some(0)),
        "{out}"
    );
    assert_eq!(out["errors"].as_array().unwrap().len(), 2);
    // The same file again replaces rather than duplicates.
    let r = post(csv(&good), "").await;
    r.assert(200);
    assert_eq!(r.json()["updated"], 2);
    let rec = app.get_json(&rec_url, &viewer.token).await;
    let step1 = type_of(&rec, "STEP1");
    assert_eq!(step1["external"].as_array().unwrap().len(), 1, "{rec}");
    assert!(close(&step1["percent"], 70.0), "{rec}");
    // QUIZ has no type here: the composite is STEP1 alone.
    assert!(close(&rec["composite"]["percent"], 70.0), "{rec}");
    // Not CSV, not UTF-8, no rows, not allowed.
    app.req(axum::http::Method::POST, &url)
        .token(&manager.token)
        .body("application/json", "{}")
        .send()
        .await
        .assert(415);
    app.req(axum::http::Method::POST, &url)
        .token(&manager.token)
        .body("text/csv", vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .assert(400);
    post(csv(&[]), "").await.assert(422);
    app.req(axum::http::Method::POST, &url)
        .token(&viewer.token)
        .body("text/csv", csv(&good))
        .send()
        .await
        .assert(403);

    // The cohort, a page at a time: five candidates in pages of two.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor
            .as_deref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let page = app
            .get_json(&format!("{ORG}/student-records?limit=2{q}"), &viewer.token)
            .await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["candidate"]["email"].as_str().unwrap().to_owned());
            if item["candidate"]["id"] == json!(cands[1].id) {
                assert!(close(&item["composite"]["percent"], 70.0), "{item}");
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "c1@acme.org",
            "c2@acme.org",
            "c3@acme.org",
            "c4@acme.org",
            "c5@acme.org"
        ]
    );
    app.get_as(&format!("{ORG}/student-records?weights=X:1"), &viewer.token)
        .await
        .assert(422);
    app.get_as(&format!("{ORG}/student-records?cursor=zzz"), &viewer.token)
        .await
        .assert(400);
    app.get_as(&format!("{ORG}/student-records"), &manager.token)
        .await
        .assert(403);
}

both!(
    records_across_exam_types_with_a_weighted_composite,
    external_results_import_by_csv_with_line_errors
);
