//! A candidate's profile read and changed one person at a time.

use serde_json::{Value, json};

use invigil_domain::identity::Role;

use crate::both;
use crate::common::TestApp;

async fn profiles_are_read_and_changed_by_enrollment_managers(app: TestApp) {
    let org = app.org("uni").await;
    let manager = app
        .member(&org, "manager@uni.example", &[Role::EnrollmentManager])
        .await;
    let cand = app
        .member(&org, "cand@uni.example", &[Role::Candidate])
        .await;
    let proctor = app
        .member(&org, "proctor@uni.example", &[Role::ProctorReviewer])
        .await;
    let url = format!("/api/v1/orgs/uni/candidates/{}/profile", cand.id);

    // Never set: empty.
    let p = app.get_json(&url, &manager.token).await;
    assert_eq!(p["student_number"], Value::Null, "{p}");
    assert_eq!(p["has_accommodations"], false);
    assert_eq!(p["updated_at"], Value::Null);

    let r = app
        .patch_json(
            &url,
            &manager.token,
            &json!({ "student_number": " S-42 ", "class_year": 2027, "has_accommodations": true, "extra_time_percent": 25 }),
        )
        .await;
    r.assert(200);
    let p = r.json();
    assert_eq!(p["student_number"], "S-42", "{p}");
    assert_eq!(p["extra_time_percent"], 25);
    // Only the fields given change; null clears.
    let p = app
        .patch_json(&url, &manager.token, &json!({ "extra_time_percent": null }))
        .await
        .json();
    assert_eq!(p["extra_time_percent"], Value::Null, "{p}");
    assert_eq!(p["class_year"], 2027);
    assert_eq!(p["has_accommodations"], true);
    assert_eq!(app.get_json(&url, &manager.token).await, p);

    // Bad values name their fields and change nothing.
    let r = app
        .patch_json(
            &url,
            &manager.token,
            &json!({ "class_year": 0, "extra_time_percent": 500, "student_number": "x".repeat(51) }),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    app.patch_json(&url, &manager.token, &json!({ "class_year": "2027" }))
        .await
        .assert(422);
    app.patch_json(&url, &manager.token, &json!({ "nickname": "Sam" }))
        .await
        .assert(422);
    assert_eq!(app.get_json(&url, &manager.token).await, p);

    // Who: not a proctor, not oneself; not a stranger to the organization.
    app.get_as(&url, &proctor.token)
        .await
        .assert_problem(403, "forbidden");
    app.patch_json(
        &format!("/api/v1/orgs/uni/candidates/{}/profile", manager.id),
        &manager.token,
        &json!({ "extra_time_percent": 100 }),
    )
    .await
    .assert(403);
    let other = app.org("other").await;
    let outsider = app
        .member(&other, "x@other.example", &[Role::Candidate])
        .await;
    app.get_as(
        &format!("/api/v1/orgs/uni/candidates/{}/profile", outsider.id),
        &manager.token,
    )
    .await
    .assert(404);
    assert!(
        app.audit_actions(&org)
            .await
            .contains(&"candidate.profile_updated".to_owned())
    );
}

both!(profiles_are_read_and_changed_by_enrollment_managers);
