//! Evidence frames: encryption at rest, upload checks, the paired phone,
//! reviewer reads (audited) and the retention purge.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_store::proctoring::entities::frame;

use super::*;
use crate::both;
use crate::common::{TestApp, TestUser};
use crate::delivery::{ExamOpts, setup_with};

async fn frames_are_encrypted_at_rest_and_round_trip(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let plain = jpeg();
    let fid = upload_ok(&app, sid, &s.candidate, "image/jpeg", plain.clone()).await;
    let pid = upload_ok(&app, sid, &s.candidate, "image/png", png()).await;

    // On disk: two ciphertexts, each named by its own SHA-256 under a
    // two-level fan-out, neither holding the plaintext.
    let files = evidence_files(&app);
    assert_eq!(files.len(), 2, "{files:?}");
    let row = frame_row(&app, fid).await;
    assert_eq!(row.source, invigil_domain::proctoring::EventSource::Laptop);
    assert_eq!(row.content_type, invigil_domain::review::ImageType::Jpeg);
    assert_eq!(row.size, plain.len() as i64);
    assert_eq!(row.nonce.len(), 24);
    let path = app
        .state
        .config
        .data_dir
        .join("evidence")
        .join(&row.storage_key[..2])
        .join(&row.storage_key[2..4])
        .join(&row.storage_key);
    let stored = std::fs::read(&path).unwrap();
    assert_ne!(stored, plain);
    assert!(
        !stored
            .windows(b"PLAINTEXT-MARKER".len())
            .any(|w| w == b"PLAINTEXT-MARKER"),
        "the plaintext is on disk"
    );
    assert_eq!(hex::encode(Sha256::digest(&stored)), row.storage_key);
    // The key was generated into the data directory, private.
    let key_file = app.state.config.data_dir.join("evidence.key");
    assert!(key_file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The reviewer gets the images back, byte for byte; each read is audited.
    let r = app
        .get_as(
            &format!("{ACME}/sessions/{sid}/frames/{fid}"),
            &s.proctor.token,
        )
        .await;
    r.assert(200);
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert_eq!(r.body, plain);
    let r = app
        .get_as(
            &format!("{ACME}/sessions/{sid}/frames/{pid}"),
            &s.proctor.token,
        )
        .await;
    r.assert(200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.body, png());
    let reads = app
        .audit_actions(&s.org)
        .await
        .into_iter()
        .filter(|a| a == "evidence.read")
        .count();
    assert_eq!(reads, 2);

    // A ciphertext moved under another frame's row does not decrypt.
    let other = frame_row(&app, pid).await;
    frame::Entity::update_many()
        .col_expr(
            frame::Column::StorageKey,
            Expr::value(row.storage_key.clone()),
        )
        .col_expr(frame::Column::Nonce, Expr::value(row.nonce.clone()))
        .col_expr(frame::Column::ContentType, Expr::value("image/jpeg"))
        .filter(frame::Column::Id.eq(other.id))
        .exec(app.db().write())
        .await
        .unwrap();
    app.get_as(
        &format!("{ACME}/sessions/{sid}/frames/{pid}"),
        &s.proctor.token,
    )
    .await
    .assert(500);
}

async fn frame_uploads_are_checked(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    // Wrong signature, wrong type, type and bytes disagreeing, empty: 415.
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0; 32]);
    upload(&app, sid, &s.candidate, "image/jpeg", gif.clone())
        .await
        .assert_problem(415, "unsupported_media_type");
    upload(&app, sid, &s.candidate, "image/gif", gif)
        .await
        .assert_problem(415, "unsupported_media_type");
    upload(&app, sid, &s.candidate, "image/png", jpeg())
        .await
        .assert_problem(415, "unsupported_media_type");
    upload(&app, sid, &s.candidate, "image/jpeg", Vec::new())
        .await
        .assert_problem(415, "unsupported_media_type");
    // Over 4 MiB: 413.
    let mut big = jpeg();
    big.resize(4 * 1024 * 1024 + 1, 0);
    upload(&app, sid, &s.candidate, "image/jpeg", big)
        .await
        .assert(413);
    // Exactly 4 MiB is fine.
    let mut max = jpeg();
    max.resize(4 * 1024 * 1024, 0);
    upload(&app, sid, &s.candidate, "image/jpeg", max)
        .await
        .assert(201);
    // Not signed in: 401. Someone else's session, or none: 404.
    app.post(&format!("/api/v1/sessions/{sid}/frames"))
        .body("image/jpeg", jpeg())
        .send()
        .await
        .assert(401);
    let stranger = app.user("stranger@example.org").await;
    upload(&app, sid, &stranger, "image/jpeg", jpeg())
        .await
        .assert_problem(404, "not_found");
    upload(&app, Uuid::now_v7(), &s.candidate, "image/jpeg", jpeg())
        .await
        .assert_problem(404, "not_found");
    // After the session (and its grace) is over: 409.
    submit(&app, sid, &s.candidate).await;
    upload(&app, sid, &s.candidate, "image/jpeg", jpeg())
        .await
        .assert(201);
    app.clock.advance(Duration::minutes(5));
    upload(&app, sid, &s.candidate, "image/jpeg", jpeg())
        .await
        .assert_problem(409, "session_closed");
    assert_eq!(evidence_files(&app).len(), 2);
}

async fn paired_phone_uploads_mobile_frames(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let r = app
        .post_as(
            &format!("/api/v1/sessions/{sid}/pairing"),
            &s.candidate.token,
        )
        .await;
    r.assert(200);
    let pairing = r.json()["pairing_token"].as_str().unwrap().to_owned();
    let r = app
        .post("/api/v1/pairing/claim")
        .json(&json!({"pairing_token": pairing, "device_fingerprint": "phone-1"}))
        .send()
        .await;
    r.assert(200);
    let phone = TestUser {
        token: r.json()["access_token"].as_str().unwrap().to_owned(),
        ..s.candidate.clone()
    };
    let r = upload(&app, sid, &phone, "image/jpeg", jpeg()).await;
    r.assert(201);
    assert_eq!(r.json()["source"], "MOBILE");
    let fid: Uuid = r.json()["frame_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        frame_row(&app, fid).await.source,
        invigil_domain::proctoring::EventSource::Mobile
    );
    let r = upload(&app, sid, &s.candidate, "image/png", png()).await;
    r.assert(201);
    assert_eq!(r.json()["source"], "LAPTOP");
    // The phone's credential is bound to that session and to frames, events
    // and heartbeats: nothing else.
    submit(&app, sid, &s.candidate).await;
    let next = start(&app, s.exam_id, &s.candidate).await;
    upload(&app, next, &phone, "image/jpeg", jpeg())
        .await
        .assert_problem(404, "not_found");
    app.get_as(&format!("{ACME}/sessions/{sid}/frames/{fid}"), &phone.token)
        .await
        .assert(401);
    let r = app
        .get_as(
            &format!("{ACME}/sessions/{sid}/frames/{fid}"),
            &s.proctor.token,
        )
        .await;
    r.assert(200);
    assert_eq!(r.body, jpeg());
}

async fn frame_reads_are_for_reviewers_of_the_org(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let fid = upload_ok(&app, sid, &s.candidate, "image/jpeg", jpeg()).await;
    let path = format!("{ACME}/sessions/{sid}/frames/{fid}");
    // Another organization's reviewer: 404, through either organization.
    let other = app.org("other").await;
    let outsider = app
        .member(&other, "rev@other.org", &[Role::ProctorReviewer])
        .await;
    app.get_as(&path, &outsider.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(
        &format!("/api/v1/orgs/other/sessions/{sid}/frames/{fid}"),
        &outsider.token,
    )
    .await
    .assert_problem(404, "not_found");
    // The candidate, the coordinator, QA, an org admin: 403.
    let qa = app
        .member(&s.org, "qa@acme.org", &[Role::QualityAssurance])
        .await;
    let admin = app
        .member(&s.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    for who in [&s.candidate, &s.coordinator, &qa, &admin] {
        app.get_as(&path, &who.token)
            .await
            .assert_problem(403, "forbidden");
    }
    // Unknown frame, or a frame through another session: 404.
    app.get_as(
        &format!("{ACME}/sessions/{sid}/frames/{}", Uuid::now_v7()),
        &s.proctor.token,
    )
    .await
    .assert_problem(404, "not_found");
    // Nothing was read, nothing audited.
    assert!(
        !app.audit_actions(&s.org)
            .await
            .contains(&"evidence.read".to_owned())
    );
    app.get_as(&path, &s.proctor.token).await.assert(200);
    let entries = invigil_store::audit::list(
        app.audit_linked().await.read(),
        s.org.id,
        &invigil_store::audit::Filter {
            action: Some("evidence.read".into()),
            ..Default::default()
        },
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor_id, Some(s.proctor.id));
    assert_eq!(entries[0].resource_id, Some(fid.to_string()));
}

async fn purge_removes_cleared_evidence_after_retention(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    invigil_store::tenancy::update_org(
        app.db().write(),
        s.org.id,
        None,
        None,
        Some(r#"{"evidence_retention_days": 7}"#.into()),
        app.state.now(),
    )
    .await
    .unwrap();
    // Attempt 1 will be CLEARED, attempt 2 VIOLATION_CONFIRMED.
    let cleared = start(&app, s.exam_id, &s.candidate).await;
    let f1 = upload_ok(&app, cleared, &s.candidate, "image/jpeg", jpeg()).await;
    submit(&app, cleared, &s.candidate).await;
    let confirmed = start(&app, s.exam_id, &s.candidate).await;
    let f2 = upload_ok(&app, confirmed, &s.candidate, "image/png", png()).await;
    submit(&app, confirmed, &s.candidate).await;
    for (sid, decision) in [(cleared, "CLEARED"), (confirmed, "VIOLATION_CONFIRMED")] {
        flag_session(&app, s.org.id, sid, 30).await;
        claim(&app, sid, &s.proctor).await.assert(200);
        decide(&app, sid, &s.proctor, decision, "seen the frames")
            .await
            .assert(200);
    }
    let path1 = std::path::PathBuf::from(frame_row(&app, f1).await.storage_key);
    assert_eq!(evidence_files(&app).len(), 2);

    // Within retention: nothing goes.
    app.clock.advance(Duration::days(6));
    assert_eq!(
        invigil_server::review::evidence::purge(&app.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(evidence_files(&app).len(), 2);

    // After it: only the CLEARED session's evidence.
    app.clock.advance(Duration::days(2));
    assert_eq!(
        invigil_server::review::evidence::purge(&app.state)
            .await
            .unwrap(),
        1
    );
    let files = evidence_files(&app);
    assert_eq!(files.len(), 1);
    assert!(!files[0].ends_with(&path1));
    assert!(frame_row(&app, f1).await.purged_at.is_some());
    assert!(frame_row(&app, f2).await.purged_at.is_none());
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"evidence.purged".to_owned())
    );
    // The purged frame is gone for reviewers too; the other still shows.
    let proctor = TestUser {
        token: app.fresh_token(&s.proctor).await,
        ..s.proctor.clone()
    };
    app.get_as(
        &format!("{ACME}/sessions/{cleared}/frames/{f1}"),
        &proctor.token,
    )
    .await
    .assert_problem(404, "not_found");
    app.get_as(
        &format!("{ACME}/sessions/{confirmed}/frames/{f2}"),
        &proctor.token,
    )
    .await
    .assert(200);
    // The timeline still lists it, as purged.
    let t = app
        .get_json(
            &format!("{ACME}/sessions/{cleared}/timeline"),
            &proctor.token,
        )
        .await;
    let frames: Vec<&Value> = t["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "FRAME")
        .collect();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["purged"], true);
    // A second run has nothing left to do.
    assert_eq!(
        invigil_server::review::evidence::purge(&app.state)
            .await
            .unwrap(),
        0
    );
}

both!(
    frames_are_encrypted_at_rest_and_round_trip,
    frame_uploads_are_checked,
    paired_phone_uploads_mobile_frames,
    frame_reads_are_for_reviewers_of_the_org,
    purge_removes_cleared_evidence_after_retention,
);
