//! Exams inside a course: enroll-me through the exams module, the practice
//! result shown as soon as graded, a passed final completing the course at
//! submit.

use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};

use super::{ORG, id_of, published_course, world};
use crate::both;
use crate::common::{TestApp, TestUser};
use crate::delivery::{ExamOpts, approved_bank, insert_exam, save};
use crate::review::submit;

/// An ACTIVE one-question exam (true/false, 1 point, pass mark 50 %).
async fn exam(app: &TestApp, org: &invigil_store::tenancy::Organization, by: Uuid) -> Uuid {
    let input: QuestionInput = serde_json::from_value(json!({"type": "true_false",
        "text": "Water is wet", "correct_answer": {"value": true}, "points": 1}))
    .unwrap();
    let bank = approved_bank(app, org, by, &[validate(input).unwrap()]).await;
    insert_exam(app, org, bank, by, &ExamOpts::default()).await
}

/// Sits the exam answering `answer`, then submits.
async fn sit(app: &TestApp, exam: Uuid, who: &TestUser, answer: bool) {
    let s: Value = app.start_session(exam, &who.token).await;
    let sid = s["session_id"].as_str().unwrap().to_owned();
    let q = s["questions"][0]["id"].as_str().unwrap().to_owned();
    save(app, &who.token, &sid, &q, json!({"value": answer}), 1)
        .await
        .assert(200);
    submit(app, sid.parse().unwrap(), who).await;
}

async fn practice_and_final_exams_in_a_course(app: TestApp) {
    let w = world(&app).await;
    let practice = exam(&app, &w.org, w.teacher.id).await;
    let final_exam = exam(&app, &w.org, w.teacher.id).await;
    let (course, chapter, [video, text]) = published_course(
        &app,
        &w.teacher,
        json!({"title": "Examined", "requires_final_pass": true}),
    )
    .await;
    let base = format!("{ORG}/courses/{course}");
    let url = format!("{base}/assessments");
    // Bad input: unknown exam, chapter, type.
    app.post_json(
        &url,
        &w.teacher.token,
        &json!({"chapter_id": chapter, "exam_id": Uuid::now_v7(), "test_type": "QUIZ"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post_json(
        &url,
        &w.teacher.token,
        &json!({"chapter_id": Uuid::now_v7(), "exam_id": practice, "test_type": "QUIZ"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post_json(
        &url,
        &w.teacher.token,
        &json!({"chapter_id": chapter, "exam_id": practice, "test_type": "EXAM"}),
    )
    .await
    .assert(422);
    app.post_json(
        &url,
        &w.learner.token,
        &json!({"chapter_id": chapter, "exam_id": practice, "test_type": "PRACTICE"}),
    )
    .await
    .assert(403);
    let r = app
        .post_json(
            &url,
            &w.teacher.token,
            &json!({"chapter_id": chapter, "exam_id": practice, "test_type": "PRACTICE"}),
        )
        .await;
    r.assert(201);
    assert_eq!(r.json()["show_result"], true);
    assert_eq!(r.json()["proctored"], true);
    let p_id = id_of(&r.json());
    app.post_json(
        &url,
        &w.teacher.token,
        &json!({"chapter_id": chapter, "exam_id": practice, "test_type": "QUIZ"}),
    )
    .await
    .assert_problem(409, "conflict");
    let r = app
        .post_json(
            &url,
            &w.teacher.token,
            &json!({"chapter_id": chapter, "exam_id": final_exam, "test_type": "FINAL_EXAM"}),
        )
        .await;
    let f_id = id_of(&r.json());
    // Not enrolled in the course: no exam.
    app.post_as(&format!("{url}/{p_id}/enroll-me"), &w.learner.token)
        .await
        .assert_problem(409, "not_enrolled");
    app.post_as(&format!("{base}/enroll"), &w.learner.token)
        .await
        .assert(200);
    let r = app
        .post_as(&format!("{url}/{p_id}/enroll-me"), &w.learner.token)
        .await;
    r.assert(200);
    assert_eq!(r.json()["enrolled_in_exam"], true);
    // Idempotent; the exam shows up in /me/exams like any other.
    app.post_as(&format!("{url}/{p_id}/enroll-me"), &w.learner.token)
        .await
        .assert(200);
    let mine = app.get_json("/api/v1/me/exams", &w.learner.token).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    // The practice score shows as soon as graded, without a release.
    sit(&app, practice, &w.learner, true).await;
    let list = app.get_json(&url, &w.learner.token).await;
    let p = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == p_id.to_string())
        .unwrap();
    assert_eq!(p["my_result"]["passed"], true, "{list}");
    assert_eq!(p["my_result"]["score"], 1.0);
    // ... and as a notification linking to the result.
    let notes = app
        .get_json("/api/v1/me/notifications", &w.learner.token)
        .await;
    let note = &notes["items"][0];
    assert_eq!(note["kind"], "TEST_RESULT", "{notes}");
    assert_eq!(
        note["body"],
        format!("You scored 100 % in \"{}\". Passed.", "Exam"),
        "{notes}"
    );
    assert!(note["link"].as_str().unwrap().starts_with("/me/results/"));
    // Every lecture done, but the final is required: still ACTIVE.
    for l in [video, text] {
        app.put_json(
            &format!("{base}/lectures/{l}/progress"),
            &w.learner.token,
            &json!({"completed": true}),
        )
        .await
        .assert(200);
    }
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(d["enrollment"]["status"], "ACTIVE", "{d}");
    assert_eq!(d["enrollment"]["progress_percent"], 100);
    // The final's result is not shown (show_result false), a fail does not
    // complete, a pass does at the next read.
    app.post_as(&format!("{url}/{f_id}/enroll-me"), &w.learner.token)
        .await
        .assert(200);
    sit(&app, final_exam, &w.learner, false).await;
    // No practice notice for the final (its result is not shown).
    let count = app
        .get_json("/api/v1/me/notifications", &w.learner.token)
        .await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(count, 2, "practice result + course enrolled");
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(d["enrollment"]["status"], "ACTIVE");
    let fin = &d["chapters"][0]["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == f_id.to_string())
        .cloned()
        .unwrap();
    assert!(fin["my_result"].is_null(), "{fin}");
    sit(&app, final_exam, &w.learner, true).await;
    // Completed at submit, before the learner reads the course again: the
    // staff's list says so, and the learner was told.
    let list = app
        .get_json(&format!("{base}/enrollments"), &w.teacher.token)
        .await;
    assert_eq!(list["items"][0]["status"], "COMPLETED", "{list}");
    let notes = app
        .get_json("/api/v1/me/notifications", &w.learner.token)
        .await;
    assert_eq!(
        notes["items"][0]["title"], "Course completed: Examined",
        "{notes}"
    );
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(d["enrollment"]["status"], "COMPLETED", "{d}");
    // Staff remove an assessment; audited.
    app.delete_as(&format!("{url}/{p_id}"), &w.teacher.token)
        .await
        .assert(204);
    let audit = app
        .get_json(&format!("{ORG}/audit-log?limit=500"), &w.admin.token)
        .await
        .to_string();
    for a in [
        "course_assessment.added",
        "course_assessment.removed",
        "enrollment.created",
        "course_enrollment.completed",
    ] {
        assert!(audit.contains(a), "{a}");
    }
}

both!(practice_and_final_exams_in_a_course);
