//! Candidate CSV import, and the partial mode's report of conflicting
//! accounts.

use super::*;

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
    app.post_json(url, &em.token, &json!({ "csv": good }))
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
    let v = app.get_json("/api/v1/orgs/imp/members", &em.token).await;
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

both!(
    candidate_import,
    partial_import_reports_conflicting_accounts,
);
