//! Reviews: one per enrolled learner, editable by its author, soft delete
//! and restore, moderation, the course average over visible reviews.

use serde_json::json;

use super::{ORG, id_of, published_course, world};
use crate::both;
use crate::common::TestApp;

async fn reviews_ratings_and_moderation(app: TestApp) {
    let w = world(&app).await;
    let (course, _, _) = published_course(&app, &w.teacher, json!({"title": "Rated"})).await;
    let base = format!("{ORG}/courses/{course}");
    let url = format!("{base}/reviews");
    // Only enrolled learners review.
    app.post_json(&url, &w.learner.token, &json!({"rating": 5}))
        .await
        .assert_problem(403, "forbidden");
    for who in [&w.learner, &w.learner2] {
        app.post_as(&format!("{base}/enroll"), &who.token)
            .await
            .assert(200);
    }
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({"rating": "5"}),
    ] {
        app.post_json(&url, &w.learner.token, &bad)
            .await
            .assert(422);
    }
    let r = app
        .post_json(
            &url,
            &w.learner.token,
            &json!({"rating": 5, "comment": "Great"}),
        )
        .await;
    r.assert(201);
    let ann = id_of(&r.json());
    app.post_json(&url, &w.learner.token, &json!({"rating": 4}))
        .await
        .assert_problem(409, "conflict");
    let r = app
        .post_json(
            &url,
            &w.learner2.token,
            &json!({"rating": 2, "comment": "spam spam"}),
        )
        .await;
    let bob = id_of(&r.json());
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(d["rating_count"], 2);
    assert_eq!(d["rating_average"], 3.5);
    // Edit: only its author.
    app.patch_json(
        &format!("{url}/{ann}"),
        &w.learner2.token,
        &json!({"rating": 1}),
    )
    .await
    .assert(403);
    let r = app
        .patch_json(
            &format!("{url}/{ann}"),
            &w.learner.token,
            &json!({"rating": 4}),
        )
        .await;
    assert_eq!(r.json()["rating"], 4);
    // Moderation by the course's instructor: hidden reviews leave the average.
    let m = format!("{url}/{bob}/moderation");
    app.post_json(
        &m,
        &w.learner.token,
        &json!({"hidden": true, "reason": "x"}),
    )
    .await
    .assert(403);
    app.post_json(
        &m,
        &w.other_teacher.token,
        &json!({"hidden": true, "reason": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post_json(&m, &w.teacher.token, &json!({"hidden": true}))
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .post_json(
            &m,
            &w.teacher.token,
            &json!({"hidden": true, "reason": "spam"}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["hidden"], true);
    app.post_json(
        &m,
        &w.teacher.token,
        &json!({"hidden": true, "reason": "spam"}),
    )
    .await
    .assert_problem(409, "conflict");
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(
        (d["rating_count"].clone(), d["rating_average"].clone()),
        (json!(1), json!(4.0))
    );
    // Learners see visible reviews and their own; staff see hidden ones.
    let seen = app.get_json(&url, &w.learner.token).await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 1, "{seen}");
    let own = app.get_json(&url, &w.learner2.token).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 2, "{own}");
    let staff = app.get_json(&url, &w.teacher.token).await;
    assert_eq!(staff["items"].as_array().unwrap().len(), 2);
    let r = app
        .post_json(&m, &w.admin.token, &json!({"hidden": false}))
        .await;
    assert_eq!(r.json()["hidden"], false);
    // Soft delete by its author, restored by a course manager.
    app.delete_as(&format!("{url}/{ann}"), &w.learner.token)
        .await
        .assert(204);
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(d["rating_count"], 1);
    let deleted = app
        .get_json(&format!("{url}?deleted=true"), &w.admin.token)
        .await;
    assert_eq!(deleted["items"].as_array().unwrap().len(), 1);
    app.get_as(&format!("{url}?deleted=true"), &w.teacher.token)
        .await
        .assert(403);
    app.post_as(&format!("{url}/{ann}/restore"), &w.admin.token)
        .await
        .assert(200);
    app.post_as(&format!("{url}/{ann}/restore"), &w.admin.token)
        .await
        .assert_problem(409, "conflict");
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(d["rating_count"], 2);
    let audit = app
        .get_json(&format!("{ORG}/audit-log?limit=500"), &w.admin.token)
        .await
        .to_string();
    for a in [
        "course_review.hidden",
        "course_review.unhidden",
        "course_review.deleted",
        "course_review.restored",
    ] {
        assert!(audit.contains(a), "{a}");
    }
}

both!(reviews_ratings_and_moderation);
