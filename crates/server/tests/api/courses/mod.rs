//! Courses (seed 004, issue 15): categories, courses and instructors,
//! chapters and lectures, enrollments and progress, reviews, assessments —
//! through the real router on both backends.

mod assessments;
mod catalog;
mod learning;
mod media;
mod reviews;

use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_store::tenancy::Organization;

use crate::common::{TestApp, TestUser};

pub const ORG: &str = "/api/v1/orgs/acme";

pub struct World {
    pub org: Organization,
    pub admin: TestUser,
    pub teacher: TestUser,
    pub other_teacher: TestUser,
    pub learner: TestUser,
    pub learner2: TestUser,
    pub proctor: TestUser,
}

pub async fn world(app: &TestApp) -> World {
    let org = app.org("acme").await;
    World {
        admin: app.member(&org, "admin@acme.org", &[Role::OrgAdmin]).await,
        teacher: app
            .member(&org, "teach@acme.org", &[Role::ExamAuthor])
            .await,
        other_teacher: app
            .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
            .await,
        learner: app.member(&org, "ann@acme.org", &[Role::Candidate]).await,
        learner2: app.member(&org, "bob@acme.org", &[Role::Candidate]).await,
        proctor: app
            .member(&org, "proctor@acme.org", &[Role::ProctorReviewer])
            .await,
        org,
    }
}

pub fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

/// A course by `who` with one chapter and two lectures (a 600 s video and a
/// text), published. Returns (course, chapter, [video, text]).
pub async fn published_course(
    app: &TestApp,
    who: &TestUser,
    body: Value,
) -> (Uuid, Uuid, [Uuid; 2]) {
    let r = app
        .post_json(&format!("{ORG}/courses"), &who.token, &body)
        .await;
    r.assert(201);
    let course = id_of(&r.json());
    let base = format!("{ORG}/courses/{course}");
    let r = app
        .post_json(
            &format!("{base}/chapters"),
            &who.token,
            &json!({"title": "Basics"}),
        )
        .await;
    r.assert(201);
    let chapter = id_of(&r.json());
    // The video lecture plays an uploaded video of the organization.
    let video = crate::files::upload_ok(
        app,
        who,
        "kind=VIDEO&name=welcome.mp4",
        crate::files::mp4(4096),
    )
    .await;
    let r = app
        .post_json(
            &format!("{base}/chapters/{chapter}/lectures"),
            &who.token,
            &json!({"title": "Welcome", "kind": "VIDEO", "duration_seconds": 600,
                "file_id": video["id"], "is_preview": true}),
        )
        .await;
    r.assert(201);
    let video = id_of(&r.json());
    let r = app
        .post_json(
            &format!("{base}/chapters/{chapter}/lectures"),
            &who.token,
            &json!({"title": "Reading", "kind": "TEXT", "body": "# Notes\n\n<script>x</script>"}),
        )
        .await;
    r.assert(201);
    let text = id_of(&r.json());
    app.post_as(&format!("{base}/publish"), &who.token)
        .await
        .assert(200);
    (course, chapter, [video, text])
}
