//! A lecture's file for learners: `GET .../lectures/{lecture}/file` streams
//! it with ranges to an enrolled learner, to the course's staff, and to every
//! reader for a free preview of a published course; anyone else gets 404.

use serde_json::json;

use crate::both;
use crate::common::TestApp;
use crate::files::{mp4, pdf, upload_ok};

use super::{ORG, id_of, published_course, world};

async fn get_range(
    app: &TestApp,
    token: &str,
    path: &str,
    range: &str,
) -> crate::common::TestResponse {
    app.get(path)
        .token(token)
        .header("range", range)
        .send()
        .await
}

both!(lecture_files_stream_with_ranges_to_those_who_may_open_them);
async fn lecture_files_stream_with_ranges_to_those_who_may_open_them(app: TestApp) {
    let w = world(&app).await;
    let (course, chapter, [video, text]) =
        published_course(&app, &w.teacher, json!({"title": "Watchable"})).await;
    let base = format!("{ORG}/courses/{course}");
    // A PDF lecture that is not a preview.
    let body = pdf();
    let f = upload_ok(&app, &w.teacher, "kind=PDF&name=notes.pdf", body.clone()).await;
    let r = app
        .post_json(
            &format!("{base}/chapters/{chapter}/lectures"),
            &w.teacher.token,
            &json!({"title": "Notes", "kind": "PDF", "file_id": f["id"]}),
        )
        .await;
    r.assert(201);
    let notes = id_of(&r.json());
    let notes_url = format!("{base}/lectures/{notes}/file");
    let video_url = format!("{base}/lectures/{video}/file");

    // Not enrolled: the preview video plays, the rest is not there.
    let r = get_range(&app, &w.learner.token, &video_url, "bytes=0-99").await;
    r.assert(206);
    assert_eq!(r.body, &mp4(4096)[..100]);
    assert_eq!(r.header("content-range"), Some("bytes 0-99/4096"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    app.get_as(&notes_url, &w.learner.token)
        .await
        .assert_problem(404, "not_found");
    // A lecture without a file, an unknown lecture: 404 too.
    app.get_as(&format!("{base}/lectures/{text}/file"), &w.teacher.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(
        &format!("{base}/lectures/{}/file", uuid::Uuid::now_v7()),
        &w.learner.token,
    )
    .await
    .assert_problem(404, "not_found");

    // Enrolled: the whole file, a range, a suffix, and 416 outside it.
    app.post_as(&format!("{base}/enroll"), &w.learner.token)
        .await
        .assert(200);
    let r = app.get_as(&notes_url, &w.learner.token).await;
    r.assert(200);
    assert_eq!(r.body, body);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let r = get_range(&app, &w.learner.token, &notes_url, "bytes=-10").await;
    r.assert(206);
    assert_eq!(r.body, &body[body.len() - 10..]);
    let size = body.len();
    get_range(
        &app,
        &w.learner.token,
        &notes_url,
        &format!("bytes={size}-"),
    )
    .await
    .assert_problem(416, "range_not_satisfiable");
    // Dropped: gone again (the preview stays).
    app.post_as(&format!("{base}/drop"), &w.learner.token)
        .await
        .assert(200);
    app.get_as(&notes_url, &w.learner.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(&video_url, &w.learner.token).await.assert(200);

    // Staff: the instructor and the course manager; another teacher is a
    // reader (the preview), not staff.
    app.get_as(&notes_url, &w.teacher.token).await.assert(200);
    app.get_as(&notes_url, &w.admin.token).await.assert(200);
    app.get_as(&notes_url, &w.other_teacher.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(&video_url, &w.other_teacher.token)
        .await
        .assert(200);
    // A role that reads no courses: 403 as the access matrix says.
    app.get_as(&notes_url, &w.proctor.token)
        .await
        .assert_problem(403, "forbidden");

    // A deleted lecture: not for learners, even enrolled ones.
    app.post_as(&format!("{base}/enroll"), &w.learner.token)
        .await
        .assert(200);
    app.delete_as(&format!("{base}/lectures/{notes}"), &w.teacher.token)
        .await
        .assert(204);
    app.get_as(&notes_url, &w.learner.token)
        .await
        .assert_problem(404, "not_found");
}

both!(a_draft_courses_preview_and_another_orgs_lectures_stay_hidden);
async fn a_draft_courses_preview_and_another_orgs_lectures_stay_hidden(app: TestApp) {
    let w = world(&app).await;
    let (course, _, [video, _]) =
        published_course(&app, &w.teacher, json!({"title": "Hidden"})).await;
    let base = format!("{ORG}/courses/{course}");
    let video_url = format!("{base}/lectures/{video}/file");
    // Another organization's member, with the same role: 404.
    let other = app.org("globex").await;
    let stranger = app
        .member(
            &other,
            "eve@globex.org",
            &[invigil_domain::identity::Role::Candidate],
        )
        .await;
    app.get_as(&video_url, &stranger.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(
        &format!("/api/v1/orgs/globex/courses/{course}/lectures/{video}/file"),
        &stranger.token,
    )
    .await
    .assert_problem(404, "not_found");
    // Archived: the preview is for a published course only; an enrolled
    // learner keeps the content.
    app.post_as(&format!("{base}/enroll"), &w.learner.token)
        .await
        .assert(200);
    app.post_as(&format!("{base}/archive"), &w.teacher.token)
        .await
        .assert(200);
    app.get_as(&video_url, &w.learner2.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(&video_url, &w.learner.token).await.assert(200);
}
