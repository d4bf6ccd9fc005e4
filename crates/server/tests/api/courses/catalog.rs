//! Categories, courses, instructors, chapters and lectures.

use serde_json::json;
use uuid::Uuid;

use super::{ORG, World, id_of, published_course, world};
use crate::both;
use crate::common::TestApp;

async fn categories_are_a_tree_without_cycles(app: TestApp) {
    let World {
        admin,
        teacher,
        learner,
        ..
    } = world(&app).await;
    let url = format!("{ORG}/course-categories");
    let r = app
        .post_json(&url, &admin.token, &json!({"name": "Science"}))
        .await;
    r.assert(201);
    assert_eq!(r.json()["slug"], "science");
    let science = id_of(&r.json());
    let r = app
        .post_json(
            &url,
            &admin.token,
            &json!({"name": "Physics", "parent_id": science}),
        )
        .await;
    r.assert(201);
    let physics = id_of(&r.json());
    let r = app
        .post_json(
            &url,
            &admin.token,
            &json!({"name": "Optics", "parent_id": physics}),
        )
        .await;
    let optics = id_of(&r.json());
    // Same slug: 409; a teacher may not create categories; learners list.
    app.post_json(&url, &admin.token, &json!({"name": "Science"}))
        .await
        .assert_problem(409, "conflict");
    app.post_json(&url, &teacher.token, &json!({"name": "X"}))
        .await
        .assert_problem(403, "forbidden");
    let list = app.get_json(&url, &learner.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3, "{list}");
    // Science under its grandchild Optics: 422; under itself: 422.
    for parent in [optics, science] {
        app.patch_json(
            &format!("{url}/{science}"),
            &admin.token,
            &json!({"parent_id": parent}),
        )
        .await
        .assert_problem(422, "validation_failed");
    }
    // An unknown parent and a bad slug are 422 too.
    app.patch_json(
        &format!("{url}/{science}"),
        &admin.token,
        &json!({"parent_id": Uuid::now_v7()}),
    )
    .await
    .assert(422);
    app.patch_json(
        &format!("{url}/{science}"),
        &admin.token,
        &json!({"slug": "Not OK"}),
    )
    .await
    .assert(422);
    // Moving Optics to the top works.
    let r = app
        .patch_json(
            &format!("{url}/{optics}"),
            &admin.token,
            &json!({"parent_id": null}),
        )
        .await;
    r.assert(200);
    assert!(r.json()["parent_id"].is_null());
    // A category with children, or with a course, is not deleted.
    app.delete_as(&format!("{url}/{science}"), &admin.token)
        .await
        .assert_problem(409, "conflict");
    let r = app
        .post_json(
            &format!("{ORG}/courses"),
            &teacher.token,
            &json!({"title": "Lenses", "category_id": optics}),
        )
        .await;
    r.assert(201);
    app.delete_as(&format!("{url}/{optics}"), &admin.token)
        .await
        .assert_problem(409, "conflict");
    app.delete_as(&format!("{url}/{physics}"), &admin.token)
        .await
        .assert(204);
    app.delete_as(&format!("{url}/{physics}"), &admin.token)
        .await
        .assert(404);
}

async fn courses_instructors_and_lifecycle(app: TestApp) {
    let w = world(&app).await;
    let url = format!("{ORG}/courses");
    // Bad input names its fields and writes nothing.
    let r = app
        .post_json(
            &url,
            &w.teacher.token,
            &json!({"title": "", "language": "klingon-xx-yy-zz", "pricing": "PAID",
                "price_minor": 0, "currency": "EUR", "max_students": 0, "tags": ["a".repeat(60)]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let text = r.text();
    for f in [
        "title",
        "language",
        "price_minor",
        "max_students",
        "tags[0]",
    ] {
        assert!(text.contains(f), "{f}: {text}");
    }
    app.post_json(
        &url,
        &w.teacher.token,
        &json!({"title": "X", "level": "GURU"}),
    )
    .await
    .assert(422);
    app.post_json(&url, &w.learner.token, &json!({"title": "Mine"}))
        .await
        .assert_problem(403, "forbidden");
    // A draft course; the slug comes from the title, the creator instructs it.
    let r = app
        .post_json(
            &url,
            &w.teacher.token,
            &json!({"title": "Intro to Rust!", "description": "Learn **Rust** <img src=x onerror=alert(1)>",
                "language": "pt-br", "what_you_learn": ["ownership"], "tags": ["rust"]}),
        )
        .await;
    r.assert(201);
    let c = r.json();
    assert_eq!(c["slug"], "intro-to-rust");
    assert_eq!(c["status"], "DRAFT");
    assert_eq!(c["language"], "pt-BR");
    let html = c["description_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>Rust</strong>") && !html.contains("<img"),
        "{html}"
    );
    let course = id_of(&c);
    let curl = format!("{url}/{course}");
    app.post_json(&url, &w.teacher.token, &json!({"title": "Intro to Rust"}))
        .await
        .assert_problem(409, "conflict");
    // Learners do not see drafts; another teacher does not edit it.
    app.get_as(&curl, &w.learner.token).await.assert(404);
    app.patch_json(&curl, &w.other_teacher.token, &json!({"title": "Mine"}))
        .await
        .assert(404);
    let list = app.get_json(&url, &w.learner.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // Nothing to publish yet: 422 course_empty.
    app.post_as(&format!("{curl}/publish"), &w.teacher.token)
        .await
        .assert_problem(422, "course_empty");
    // PAID needs a price.
    app.patch_json(
        &curl,
        &w.teacher.token,
        &json!({"pricing": "PAID", "currency": "EUR"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .patch_json(
            &curl,
            &w.teacher.token,
            &json!({"pricing": "PAID", "price_minor": 4900, "currency": "EUR"}),
        )
        .await;
    r.assert(200);
    app.patch_json(
        &curl,
        &w.teacher.token,
        &json!({"pricing": "FREE", "price_minor": 0, "currency": null}),
    )
    .await
    .assert(200);
    // Instructors: only course managers add them, only teaching members.
    let inst = format!("{curl}/instructors");
    app.post_json(
        &inst,
        &w.teacher.token,
        &json!({"user_id": w.other_teacher.id}),
    )
    .await
    .assert(403);
    app.post_json(&inst, &w.admin.token, &json!({"user_id": w.learner.id}))
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .post_json(
            &inst,
            &w.admin.token,
            &json!({"user_id": w.other_teacher.id}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    app.patch_json(
        &curl,
        &w.other_teacher.token,
        &json!({"title": "Intro to Rust 2"}),
    )
    .await
    .assert(200);
    app.delete_as(&format!("{inst}/{}", w.teacher.id), &w.admin.token)
        .await
        .assert(204);
    app.delete_as(&format!("{inst}/{}", w.other_teacher.id), &w.admin.token)
        .await
        .assert_problem(409, "conflict");
    // Publish with content, archive, soft delete and restore.
    let (pub_course, _, _) =
        published_course(&app, &w.teacher, json!({"title": "Published one"})).await;
    let purl = format!("{url}/{pub_course}");
    let list = app.get_json(&url, &w.learner.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let d = app.get_json(&purl, &w.learner.token).await;
    assert_eq!(d["course"]["status"], "PUBLISHED");
    assert!(d["course"]["published_at"].is_string());
    app.post_as(&format!("{purl}/publish"), &w.teacher.token)
        .await
        .assert_problem(409, "conflict");
    app.post_as(&format!("{purl}/archive"), &w.learner.token)
        .await
        .assert(403);
    app.post_as(&format!("{purl}/archive"), &w.teacher.token)
        .await
        .assert(200);
    app.get_as(&purl, &w.learner.token).await.assert(404);
    app.delete_as(&purl, &w.teacher.token).await.assert(204);
    app.get_as(&purl, &w.teacher.token).await.assert(404);
    let deleted = app
        .get_json(&format!("{url}?deleted=true"), &w.admin.token)
        .await;
    assert_eq!(deleted["items"].as_array().unwrap().len(), 1, "{deleted}");
    app.get_as(&format!("{url}?deleted=true"), &w.teacher.token)
        .await
        .assert(403);
    app.post_as(&format!("{purl}/restore"), &w.teacher.token)
        .await
        .assert(403);
    app.post_as(&format!("{purl}/restore"), &w.admin.token)
        .await
        .assert(200);
    app.post_as(&format!("{purl}/restore"), &w.admin.token)
        .await
        .assert_problem(409, "conflict");
    app.get_as(&purl, &w.teacher.token).await.assert(200);
    // Audit: created, published, archived, deleted, restored, instructors.
    let audit = app
        .get_json(&format!("{ORG}/audit-log?limit=500"), &w.admin.token)
        .await;
    let text = audit.to_string();
    for a in [
        "course.created",
        "course.published",
        "course.archived",
        "course.deleted",
        "course.restored",
        "course.instructor_added",
        "course.instructor_removed",
    ] {
        assert!(text.contains(a), "{a} missing");
    }
    // Another organization's course is a 404 for them.
    let other = app.org("other").await;
    let stranger = app
        .member(
            &other,
            "boss@other.org",
            &[invigil_domain::identity::Role::OrgAdmin],
        )
        .await;
    app.get_as(
        &format!("/api/v1/orgs/other/courses/{pub_course}"),
        &stranger.token,
    )
    .await
    .assert(404);
}

async fn chapters_lectures_order_and_soft_delete(app: TestApp) {
    let w = world(&app).await;
    let (course, chapter, [video, text]) =
        published_course(&app, &w.teacher, json!({"title": "Ordered"})).await;
    let base = format!("{ORG}/courses/{course}");
    let r = app
        .post_json(
            &format!("{base}/chapters"),
            &w.teacher.token,
            &json!({"title": "Second"}),
        )
        .await;
    let second = id_of(&r.json());
    // Chapters: the full list in a new order; missing, extra or foreign: 422.
    let order = format!("{base}/chapters/order");
    let r = app
        .put_json(&order, &w.teacher.token, &json!({"ids": [second, chapter]}))
        .await;
    r.assert(200);
    assert_eq!(r.json()[0]["id"], second.to_string());
    for bad in [
        json!({"ids": [second]}),
        json!({"ids": [second, chapter, Uuid::now_v7()]}),
        json!({"ids": [second, second]}),
    ] {
        app.put_json(&order, &w.teacher.token, &bad)
            .await
            .assert_problem(422, "validation_failed");
    }
    let d = app.get_json(&base, &w.teacher.token).await;
    assert_eq!(d["chapters"][0]["id"], second.to_string(), "{d}");
    // Lectures of a chapter, same rules.
    let lorder = format!("{base}/chapters/{chapter}/lectures/order");
    let r = app
        .put_json(&lorder, &w.teacher.token, &json!({"ids": [text, video]}))
        .await;
    r.assert(200);
    assert_eq!(r.json()[0]["id"], text.to_string());
    app.put_json(&lorder, &w.teacher.token, &json!({"ids": [text]}))
        .await
        .assert(422);
    // Bad lecture input.
    let r = app
        .post_json(
            &format!("{base}/chapters/{chapter}/lectures"),
            &w.teacher.token,
            &json!({"title": "T", "kind": "TEXT", "duration_seconds": -1}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert!(r.text().contains("body") && r.text().contains("duration_seconds"));
    app.post_json(
        &format!("{base}/chapters/{chapter}/lectures"),
        &w.teacher.token,
        &json!({"title": "T", "kind": "AUDIO"}),
    )
    .await
    .assert(422);
    // A learner sees a preview's content, not the rest until enrolled.
    let lurl = format!("{base}/lectures/{text}");
    let l = app.get_json(&lurl, &w.learner.token).await;
    assert_eq!(l["content_visible"], false);
    assert!(l["body"].is_null() && l["body_html"].is_null());
    let v = app
        .get_json(&format!("{base}/lectures/{video}"), &w.learner.token)
        .await;
    assert_eq!(v["content_visible"], true);
    assert!(v["file_id"].is_string());
    let l = app.get_json(&lurl, &w.teacher.token).await;
    let html = l["body_html"].as_str().unwrap();
    assert!(
        html.contains("<h1>Notes</h1>") && !html.contains("<script>"),
        "{html}"
    );
    // Soft delete: gone for learners and the outline, restored by a manager.
    app.delete_as(&lurl, &w.teacher.token).await.assert(204);
    app.delete_as(&lurl, &w.teacher.token)
        .await
        .assert_problem(409, "conflict");
    app.get_as(&lurl, &w.learner.token).await.assert(404);
    let d = app.get_json(&base, &w.learner.token).await;
    assert_eq!(
        d["chapters"][1]["lectures"].as_array().unwrap().len(),
        1,
        "{d}"
    );
    let d = app.get_json(&base, &w.teacher.token).await;
    assert!(
        d["chapters"][1]["lectures"][0]["deleted_at"].is_string(),
        "{d}"
    );
    app.post_as(&format!("{lurl}/restore"), &w.teacher.token)
        .await
        .assert(403);
    app.post_as(&format!("{lurl}/restore"), &w.admin.token)
        .await
        .assert(200);
    // A chapter with lectures is not deleted; an empty one is.
    app.delete_as(&format!("{base}/chapters/{chapter}"), &w.teacher.token)
        .await
        .assert_problem(409, "conflict");
    app.delete_as(&format!("{base}/chapters/{second}"), &w.teacher.token)
        .await
        .assert(204);
    // A proctor has no course role at all.
    app.get_as(&base, &w.proctor.token)
        .await
        .assert_problem(403, "forbidden");
}

both!(
    categories_are_a_tree_without_cycles,
    courses_instructors_and_lifecycle,
    chapters_lectures_order_and_soft_delete,
);
