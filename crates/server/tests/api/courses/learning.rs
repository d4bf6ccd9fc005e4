//! Enrollments, progress, completion and "continue where I left off".

use serde_json::json;
use uuid::Uuid;

use invigil_domain::identity::Role;

use super::{ORG, id_of, published_course, world};
use crate::both;
use crate::common::TestApp;

async fn enroll_learn_and_complete(app: TestApp) {
    let w = world(&app).await;
    let (course, chapter, [video, text]) = published_course(
        &app,
        &w.teacher,
        json!({"title": "Learnable", "max_students": 2}),
    )
    .await;
    let base = format!("{ORG}/courses/{course}");
    // Not enrolled: no progress, no content.
    app.put_json(
        &format!("{base}/lectures/{text}/progress"),
        &w.learner.token,
        &json!({"completed": true}),
    )
    .await
    .assert_problem(409, "not_enrolled");
    // Self-enroll in a free published course; again is the same enrollment.
    let r = app
        .post_as(&format!("{base}/enroll"), &w.learner.token)
        .await;
    r.assert(200);
    let en = r.json();
    assert_eq!(en["source"], "FREE");
    assert_eq!(en["status"], "ACTIVE");
    let again = app
        .post_as(&format!("{base}/enroll"), &w.learner.token)
        .await;
    assert_eq!(again.json()["id"], en["id"]);
    // Staff do not self-enroll.
    app.post_as(&format!("{base}/enroll"), &w.teacher.token)
        .await
        .assert(403);
    let l = app
        .get_json(&format!("{base}/lectures/{text}"), &w.learner.token)
        .await;
    assert_eq!(l["content_visible"], true);
    // Progress: position clamped to the duration, idempotent; bad input 422.
    let purl = format!("{base}/lectures/{video}/progress");
    let r = app
        .put_json(&purl, &w.learner.token, &json!({"position_seconds": 9000}))
        .await;
    r.assert(200);
    assert_eq!(r.json()["position_seconds"], 600);
    assert_eq!(r.json()["enrollment"]["last_lecture_id"], video.to_string());
    app.put_json(&purl, &w.learner.token, &json!({"position_seconds": -1}))
        .await
        .assert_problem(422, "validation_failed");
    app.put_json(&purl, &w.learner.token, &json!({"position": 1}))
        .await
        .assert(422);
    app.put_json(
        &format!("{base}/lectures/{}/progress", Uuid::now_v7()),
        &w.learner.token,
        &json!({"completed": true}),
    )
    .await
    .assert(404);
    // Continue where I left off: the video, not finished yet.
    let me = app.get_json("/api/v1/me/courses", &w.learner.token).await;
    let mine = &me["items"][0];
    assert_eq!(mine["next_lecture_id"], video.to_string(), "{me}");
    assert_eq!(mine["org"], "acme");
    assert_eq!(mine["lectures_total"], 2);
    // Complete the video: 50 %; completed never goes back.
    let r = app
        .put_json(
            &purl,
            &w.learner.token,
            &json!({"completed": true, "position_seconds": 600}),
        )
        .await;
    assert_eq!(r.json()["enrollment"]["progress_percent"], 50);
    let done_at = r.json()["completed_at"].clone();
    let r = app
        .put_json(
            &purl,
            &w.learner.token,
            &json!({"completed": false, "position_seconds": 10}),
        )
        .await;
    assert_eq!(r.json()["completed_at"], done_at);
    let me = app.get_json("/api/v1/me/courses", &w.learner.token).await;
    assert_eq!(me["items"][0]["next_lecture_id"], text.to_string(), "{me}");
    let d = app.get_json(&base, &w.learner.token).await;
    let lectures = &d["chapters"][0]["lectures"];
    assert_eq!(lectures[0]["completed"], true, "{d}");
    assert_eq!(lectures[1]["completed"], false);
    // The last lecture completes the course.
    let r = app
        .put_json(
            &format!("{base}/lectures/{text}/progress"),
            &w.learner.token,
            &json!({"completed": true}),
        )
        .await;
    let en = &r.json()["enrollment"];
    assert_eq!(en["progress_percent"], 100);
    assert_eq!(en["status"], "COMPLETED", "{en}");
    assert!(en["completed_at"].is_string());
    let me = app.get_json("/api/v1/me/courses", &w.learner.token).await;
    assert!(me["items"][0]["next_lecture_id"].is_null());
    // The learner was told: enrolled (linking to the course), then completed.
    let notes = app
        .get_json("/api/v1/me/notifications", &w.learner.token)
        .await;
    let titles: Vec<&str> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Course completed: Learnable", "Enrolled in Learnable"],
        "{notes}"
    );
    assert_eq!(
        notes["items"][1]["link"],
        format!("/orgs/acme/learn/{course}")
    );
    assert_eq!(notes["items"][0]["kind"], "ACHIEVEMENT");
    // Invitations: members holding CANDIDATE, by id or email; all or nothing.
    let inv = format!("{base}/enrollments");
    let r = app
        .post_json(
            &inv,
            &w.teacher.token,
            &json!({"user_ids": [w.proctor.id], "emails": ["nobody@acme.org", "bad"]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let t = r.text();
    assert!(
        t.contains("user_ids[0]") && t.contains("emails[0]") && t.contains("emails[1]"),
        "{t}"
    );
    // Full: the course takes two.
    let third = app.member(&w.org, "cy@acme.org", &[Role::Candidate]).await;
    let r = app
        .post_json(&inv, &w.teacher.token, &json!({"emails": ["BOB@acme.org"]}))
        .await;
    r.assert(200);
    assert_eq!(r.json()["enrolled"][0]["source"], "INVITED");
    assert_eq!(
        r.json()["enrolled"][0]["user_id"],
        w.learner2.id.to_string()
    );
    let n = app
        .get_json("/api/v1/me/notifications/unread-count", &w.learner2.token)
        .await;
    assert_eq!(n["count"], 1, "{n}");
    app.post_as(&format!("{base}/enroll"), &third.token)
        .await
        .assert_problem(409, "course_full");
    // Dropping frees a seat; re-enrolling after a drop works.
    let r = app
        .post_as(&format!("{base}/drop"), &w.learner2.token)
        .await;
    assert_eq!(r.json()["status"], "DROPPED");
    app.post_as(&format!("{base}/drop"), &w.learner2.token)
        .await
        .assert(409);
    app.post_as(&format!("{base}/enroll"), &third.token)
        .await
        .assert(200);
    app.post_as(&format!("{base}/enroll"), &w.learner2.token)
        .await
        .assert_problem(409, "course_full");
    let list = app.get_json(&inv, &w.teacher.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3, "{list}");
    app.get_as(&inv, &w.learner.token).await.assert(403);
    // A deleted lecture no longer counts; a new one lowers the percent.
    let r = app
        .post_json(
            &format!("{base}/chapters/{chapter}/lectures"),
            &w.teacher.token,
            &json!({"title": "Extra", "kind": "TEXT", "body": "more"}),
        )
        .await;
    let extra = id_of(&r.json());
    let r = app
        .put_json(&purl, &w.learner.token, &json!({"position_seconds": 5}))
        .await;
    assert_eq!(r.json()["enrollment"]["progress_percent"], 66);
    // Completed stays completed.
    assert_eq!(r.json()["enrollment"]["status"], "COMPLETED");
    app.delete_as(&format!("{base}/lectures/{extra}"), &w.teacher.token)
        .await
        .assert(204);
    // Archived: no new enrollments, enrolled learners keep it.
    app.post_as(&format!("{base}/archive"), &w.teacher.token)
        .await
        .assert(200);
    app.get_as(&base, &w.learner.token).await.assert(200);
    let fourth = app.member(&w.org, "di@acme.org", &[Role::Candidate]).await;
    app.get_as(&base, &fourth.token).await.assert(404);
    // Audit of enrollments and completion.
    let audit = app
        .get_json(&format!("{ORG}/audit-log?limit=500"), &w.admin.token)
        .await
        .to_string();
    for a in [
        "course_enrollment.created",
        "course_enrollment.completed",
        "course_enrollment.dropped",
    ] {
        assert!(audit.contains(a), "{a}");
    }
}

async fn paid_courses_need_a_payment(app: TestApp) {
    let w = world(&app).await;
    let (course, _, _) = published_course(
        &app,
        &w.teacher,
        json!({"title": "Premium", "pricing": "PAID", "price_minor": 4900, "currency": "EUR"}),
    )
    .await;
    let base = format!("{ORG}/courses/{course}");
    app.post_as(&format!("{base}/enroll"), &w.learner.token)
        .await
        .assert_problem(402, "payment_required");
    // The payments module's path: enroll_paid in its transaction.
    let now = app.state.now();
    let tx = app.db().begin().await.unwrap();
    let client = invigil_server::http::auth::ClientInfo::default();
    let audit = invigil_server::audit::Audit::anonymous(&client, Some(w.org.id), now);
    let payment = Uuid::now_v7();
    let en = invigil_server::courses::learn::enroll_paid(
        &tx,
        &app.state,
        &audit,
        w.org.id,
        course,
        w.learner.id,
        payment,
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(en.payment_id, Some(payment));
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(d["enrollment"]["source"], "PAID", "{d}");
    // Staff invitations into a paid course are free of charge by design.
    let r = app
        .post_json(
            &format!("{base}/enrollments"),
            &w.teacher.token,
            &json!({"user_ids": [w.learner2.id], "expires_at": "2000-01-01T00:00:00Z"}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
}

/// A learner buys a PAID course by invoice (MANUAL); staff mark it paid and
/// the payer is enrolled as PAID in the same transaction. A lecture's file
/// must be an uploaded file of the organization, of the lecture's kind.
async fn buying_a_course_enrolls_when_paid(app: TestApp) {
    let w = world(&app).await;
    let (course, chapter, _) = published_course(
        &app,
        &w.teacher,
        json!({"title": "Premium", "pricing": "PAID", "price_minor": 4900, "currency": "EUR"}),
    )
    .await;
    let base = format!("{ORG}/courses/{course}");
    // Bad input first: nothing is written.
    app.post_json(
        &format!("{base}/checkout"),
        &w.learner.token,
        &json!({"provider": "CASH"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post_json(&format!("{base}/checkout"), &w.teacher.token, &json!({}))
        .await
        .assert(403);
    let r = app
        .post_json(
            &format!("{base}/checkout"),
            &w.learner.token,
            &json!({"provider": "MANUAL"}),
        )
        .await;
    r.assert(201);
    let pay = r.json();
    assert_eq!(pay["payment"]["amount"], 4900, "{pay}");
    assert_eq!(pay["payment"]["status"], "PENDING", "{pay}");
    assert_eq!(
        pay["payment"]["payee_user_id"],
        w.teacher.id.to_string(),
        "{pay}"
    );
    let pid = pay["payment"]["id"].as_str().unwrap();
    // Not enrolled before the money arrives.
    let d = app.get_json(&base, &w.learner.token).await;
    assert!(d["enrollment"].is_null(), "{d}");
    app.post_json(
        &format!("{ORG}/payments/{pid}/mark-paid"),
        &w.admin.token,
        &json!({"reference": "BANK-1"}),
    )
    .await
    .assert(200);
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(d["enrollment"]["source"], "PAID", "{d}");
    assert_eq!(d["enrollment"]["status"], "ACTIVE", "{d}");
    // The payer is told twice: the payment received, the enrollment.
    let notes = app
        .get_json("/api/v1/me/notifications", &w.learner.token)
        .await
        .to_string();
    assert!(notes.contains("Enrolled in Premium"), "{notes}");
    assert!(notes.contains("49.00 EUR"), "{notes}");
    // Enrolled now: buying again is a conflict; a free course is not bought.
    app.post_json(&format!("{base}/checkout"), &w.learner.token, &json!({}))
        .await
        .assert_problem(409, "already_enrolled");
    let (free, _, _) = published_course(&app, &w.teacher, json!({"title": "Free one"})).await;
    app.post_json(
        &format!("{ORG}/courses/{free}/checkout"),
        &w.learner2.token,
        &json!({}),
    )
    .await
    .assert_problem(422, "validation_failed");

    // Lecture files: unknown, another kind, or a good one.
    let lectures = format!("{base}/chapters/{chapter}/lectures");
    app.post_json(
        &lectures,
        &w.teacher.token,
        &json!({"title": "Ghost", "kind": "VIDEO", "file_id": uuid::Uuid::now_v7()}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let video = crate::files::upload_ok(
        &app,
        &w.teacher,
        "kind=VIDEO&name=b.mp4",
        crate::files::mp4(2048),
    )
    .await;
    app.post_json(
        &lectures,
        &w.teacher.token,
        &json!({"title": "Slides", "kind": "PDF", "file_id": video["id"]}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post_json(
        &lectures,
        &w.teacher.token,
        &json!({"title": "Notes", "kind": "TEXT", "body": "see the video", "file_id": video["id"]}),
    )
    .await
    .assert(201);
}

both!(
    enroll_learn_and_complete,
    paid_courses_need_a_payment,
    buying_a_course_enrolls_when_paid
);
