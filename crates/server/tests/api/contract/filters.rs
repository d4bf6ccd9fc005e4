//! List filters with control characters are refused.

use super::*;

/// Found by Schemathesis: a NUL in an audit-log filter was a 500 on
/// PostgreSQL (it refuses NUL in text parameters).
async fn audit_log_filters_with_control_characters_are_refused(app: TestApp) {
    let org = app.org("audited").await;
    let admin = app
        .member(
            &org,
            "admin@audited.org",
            &[invigil_domain::identity::Role::OrgAdmin],
        )
        .await;
    for q in ["resource_id=%00x", "action=a%00", "resource_type=%01"] {
        app.get_as(&format!("/api/v1/orgs/audited/audit-log?{q}"), &admin.token)
            .await
            .assert_problem(422, "validation_failed");
    }
    app.get_as("/api/v1/orgs/audited/audit-log?resource_id=x", &admin.token)
        .await
        .assert(200);
}

/// The same for the question-bank and question list filters.
async fn content_list_filters_with_control_characters_are_refused(app: TestApp) {
    let org = app.org("filters").await;
    let author = app
        .member(
            &org,
            "author@filters.org",
            &[invigil_domain::identity::Role::ExamAuthor],
        )
        .await;
    app.get_as(
        "/api/v1/orgs/filters/question-banks?status=%00",
        &author.token,
    )
    .await
    .assert_problem(422, "validation_failed");
    let bank = app
        .post_json(
            "/api/v1/orgs/filters/question-banks",
            &author.token,
            &json!({ "title": "Bank" }),
        )
        .await;
    bank.assert(201);
    let bank = bank.json()["id"].as_str().unwrap().to_owned();
    for q in ["q=a%00", "tag=%00", "type=%00", "difficulty=%1b"] {
        app.get_as(
            &format!("/api/v1/orgs/filters/question-banks/{bank}/questions?{q}"),
            &author.token,
        )
        .await
        .assert_problem(422, "validation_failed");
    }
    app.get_as(
        &format!("/api/v1/orgs/filters/question-banks/{bank}/questions?q=x"),
        &author.token,
    )
    .await
    .assert(200);
}

both!(
    audit_log_filters_with_control_characters_are_refused,
    content_list_filters_with_control_characters_are_refused,
);
