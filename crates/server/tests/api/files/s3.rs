//! The server with `blob_store = "s3"` against a real local S3-compatible
//! server (`moto_server`; `.ci/run` starts one): uploads (multipart),
//! ranged downloads and an evidence frame. `INVIGIL_TEST_S3_URL` is its
//! endpoint; without it the tests are skipped, except on CI (`CI` set),
//! where they fail.

use invigil_server::config::{BlobBackend, Config};

use super::*;
use crate::delivery::{ExamOpts, setup_with};
use crate::review::{ACME, jpeg, start, upload_ok as frame_ok};

pub(crate) const S3_ENV: &str = "INVIGIL_TEST_S3_URL";

/// The endpoint, or `None` (skip) when unset off CI.
fn endpoint() -> Option<String> {
    match std::env::var(S3_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_owned()),
        _ => {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
                panic!("{S3_ENV} is not set: CI must run the S3 tests (see .ci/run)");
            }
            eprintln!("skipped: set {S3_ENV} (e.g. http://127.0.0.1:5055 with moto_server)");
            None
        }
    }
}

/// Points the app at a fresh bucket of the local S3 (when there is one).
fn s3_config(c: &mut Config) {
    if let Some(url) = endpoint() {
        c.blob_store = BlobBackend::S3;
        c.s3_endpoint = Some(url);
        c.s3_bucket = Some(format!("invigil-test-{}", Uuid::new_v4().simple()));
        c.s3_region = "us-east-1".into();
        c.s3_access_key_id = Some("testing".into());
        c.s3_secret_access_key = Some(invigil_server::config::Secret::new("testing"));
        c.s3_allow_http = true;
    }
}

/// Creates the app's bucket; `false` when the app is not on S3 (skipped).
async fn bucket(app: &TestApp) -> bool {
    let c = &app.state.config;
    if c.blob_store != BlobBackend::S3 {
        return false;
    }
    let url = format!(
        "{}/{}",
        c.s3_endpoint.as_deref().unwrap(),
        c.s3_bucket.as_deref().unwrap()
    );
    let r = reqwest::Client::new()
        .put(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the local S3 at {S3_ENV} does not answer: {e}"));
    assert!(
        r.status().is_success(),
        "creating the bucket: {}",
        r.status()
    );
    true
}

async fn files_on_s3_round_trip_with_ranges(app: TestApp) {
    if !bucket(&app).await {
        return;
    }
    let author = author(&app).await;
    // Larger than one multipart part (8 MiB): two parts.
    let body = mp4(9 * 1024 * 1024 + 123);
    let f = upload_ok(&app, &author, "kind=VIDEO&name=lecture.mp4", body.clone()).await;
    let id = f["id"].as_str().unwrap().to_owned();
    check_ranges(&app, &author, &id, &body).await;
    // Nothing on local disk.
    assert!(!app.state.config.data_dir.join("blobs").exists());
    // A refused upload leaves no object; a deleted file loses its object.
    upload(&app, &author, "kind=VIDEO&name=b.mp4", pdf())
        .await
        .assert_problem(415, "unsupported_media_type");
    let small = upload_ok(&app, &author, "kind=PDF&name=a.pdf", pdf()).await;
    let key = invigil_server::files::blob::BlobKey::parse(&format!(
        "{}/{}",
        acme(&app).await.id.simple(),
        small["id"]
            .as_str()
            .unwrap()
            .parse::<Uuid>()
            .unwrap()
            .simple()
    ))
    .unwrap();
    assert_eq!(
        app.state.blobs.files.head(&key).await.unwrap(),
        Some(pdf().len() as u64)
    );
    app.delete_as(
        &format!("{FILES}/{}", small["id"].as_str().unwrap()),
        &author.token,
    )
    .await
    .assert(204);
    assert_eq!(app.state.blobs.files.head(&key).await.unwrap(), None);
}

async fn evidence_frames_on_s3(app: TestApp) {
    if !bucket(&app).await {
        return;
    }
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let fid = frame_ok(&app, sid, &s.candidate, "image/jpeg", jpeg()).await;
    let r = app
        .get_as(
            &format!("{ACME}/sessions/{sid}/frames/{fid}"),
            &s.proctor.token,
        )
        .await;
    r.assert(200);
    assert_eq!(r.body, jpeg());
    assert!(!app.state.config.data_dir.join("evidence").exists());
}

both!(config = s3_config => files_on_s3_round_trip_with_ranges, evidence_frames_on_s3);
