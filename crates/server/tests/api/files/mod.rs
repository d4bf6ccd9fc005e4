//! Files: streamed uploads (sniffing, per-kind limits, quotas), ranged
//! downloads, tenancy and soft delete — through the real router on both
//! backends; [`s3`] runs the same against a local S3-compatible server.

mod s3;

use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::Value;
use uuid::Uuid;

use invigil_domain::identity::Role;

use crate::both;
use crate::common::{TestApp, TestResponse, TestUser};

pub(crate) const FILES: &str = "/api/v1/orgs/acme/files";

/// An MP4-looking body of `len` bytes (an `ftyp` box, then a counter).
pub(crate) fn mp4(len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2mp41".to_vec();
    let mut i: u32 = 0;
    while v.len() < len {
        v.extend_from_slice(&i.to_le_bytes());
        i = i.wrapping_add(1);
    }
    v.truncate(len);
    v
}

pub(crate) fn pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    v.extend_from_slice(&[b'x'; 300]);
    v
}

/// The acme organization, once [`author`] made it.
pub(crate) async fn acme(app: &TestApp) -> invigil_store::tenancy::Organization {
    invigil_store::tenancy::org_by_slug(app.db().read(), "acme")
        .await
        .unwrap()
        .unwrap()
}

pub(crate) async fn author(app: &TestApp) -> TestUser {
    let org = app.org("acme").await;
    app.member(&org, "author@acme.org", &[Role::ExamAuthor])
        .await
}

pub(crate) async fn upload(
    app: &TestApp,
    who: &TestUser,
    query: &str,
    bytes: Vec<u8>,
) -> TestResponse {
    app.post(&format!("{FILES}?{query}"))
        .token(&who.token)
        .body("application/octet-stream", bytes)
        .send()
        .await
}

pub(crate) async fn upload_ok(app: &TestApp, who: &TestUser, query: &str, bytes: Vec<u8>) -> Value {
    let r = upload(app, who, query, bytes).await;
    r.assert(201);
    r.json()
}

/// A chunked upload (no Content-Length): `chunks` chunks of `bytes`.
async fn upload_chunked(
    app: &TestApp,
    who: &TestUser,
    query: &str,
    bytes: Vec<u8>,
    chunks: usize,
) -> TestResponse {
    let size = bytes.len().div_ceil(chunks);
    let parts: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(size).map(|c| Ok(c.to_vec())).collect();
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("{FILES}?{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", who.token))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from_stream(futures_util::stream::iter(parts)))
        .unwrap();
    app.send(req).await
}

pub(crate) async fn range(app: &TestApp, who: &TestUser, id: &str, range: &str) -> TestResponse {
    app.get(&format!("{FILES}/{id}/content"))
        .token(&who.token)
        .header("range", range)
        .send()
        .await
}

/// Every file under the local blob directory (temporary ones included).
fn blob_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.state.config.data_dir.join("blobs"), &mut out);
    out
}

/// The range cases every backend must answer alike (video seeking).
pub(crate) async fn check_ranges(app: &TestApp, who: &TestUser, id: &str, body: &[u8]) {
    let size = body.len();
    let r = app
        .get_as(&format!("{FILES}/{id}/content"), &who.token)
        .await;
    r.assert(200);
    assert_eq!(r.body, body);
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("content-length"), Some(size.to_string().as_str()));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));

    let r = range(app, who, id, "bytes=0-99").await;
    r.assert(206);
    assert_eq!(r.body, &body[..100]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-99/{size}").as_str())
    );
    assert_eq!(r.header("content-length"), Some("100"));
    // Seeking into the middle, open ended.
    let r = range(app, who, id, &format!("bytes={}-", size / 2)).await;
    r.assert(206);
    assert_eq!(r.body, &body[size / 2..]);
    // Suffix: the last 500 bytes.
    let r = range(app, who, id, "bytes=-500").await;
    r.assert(206);
    assert_eq!(r.body, &body[size - 500..]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes {}-{}/{size}", size - 500, size - 1).as_str())
    );
    // An end past the file is cut to the file.
    let r = range(
        app,
        who,
        id,
        &format!("bytes={}-{}", size - 10, size + 1000),
    )
    .await;
    r.assert(206);
    assert_eq!(r.body, &body[size - 10..]);
    // Outside the file: 416 with the size.
    let r = range(app, who, id, &format!("bytes={size}-")).await;
    r.assert_problem(416, "range_not_satisfiable");
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{size}").as_str())
    );
    // Several ranges: the whole file.
    let r = range(app, who, id, "bytes=0-1,5-6").await;
    r.assert(200);
    assert_eq!(r.body.len(), size);
}

async fn upload_and_download_round_trip_with_ranges(app: TestApp) {
    let author = author(&app).await;
    let body = mp4(200_000);
    let f = upload_ok(
        &app,
        &author,
        "kind=VIDEO&name=../Week%201/intro%20%22a%22.mp4",
        body.clone(),
    )
    .await;
    assert_eq!(f["kind"], "VIDEO");
    assert_eq!(f["content_type"], "video/mp4");
    assert_eq!(f["size"], 200_000);
    assert_eq!(f["original_name"], "intro a.mp4");
    assert_eq!(f["uploaded_by"], author.id.to_string());
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
    assert_eq!(f["sha256"], sha.as_str());
    let id = f["id"].as_str().unwrap().to_owned();

    // Metadata, list, usage.
    let m = app.get_json(&format!("{FILES}/{id}"), &author.token).await;
    assert_eq!(m["original_name"], "intro a.mp4");
    let list = app.get_json(FILES, &author.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let u = app.get_json(&format!("{FILES}/usage"), &author.token).await;
    assert_eq!(u["used_bytes"], 200_000);
    assert_eq!(u["quota_bytes"], 10u64 * 1024 * 1024 * 1024);

    check_ranges(&app, &author, &id, &body).await;
    let r = app
        .get_as(&format!("{FILES}/{id}/content"), &author.token)
        .await;
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    assert_eq!(r.header("etag"), Some(format!("\"{sha}\"").as_str()));
    assert_eq!(
        r.header("content-disposition"),
        Some("inline; filename=\"intro a.mp4\"; filename*=UTF-8''intro%20a.mp4")
    );
    // Not compressed, even when the client would take gzip.
    let r = app
        .get(&format!("{FILES}/{id}/content"))
        .token(&author.token)
        .header("accept-encoding", "gzip")
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.body, body);
    // Revalidation and If-Range.
    app.get(&format!("{FILES}/{id}/content"))
        .token(&author.token)
        .header("if-none-match", &format!("\"{sha}\""))
        .send()
        .await
        .assert(304);
    let r = app
        .get(&format!("{FILES}/{id}/content"))
        .token(&author.token)
        .header("range", "bytes=0-9")
        .header("if-range", "\"other\"")
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.body.len(), body.len());

    // A chunked document upload: attachment, text sniffed.
    let doc = upload_chunked(
        &app,
        &author,
        "kind=DOCUMENT&name=notes.txt&entity_type=lecture&entity_id=0190a7d4-0000-7000-8000-000000000001",
        b"Week 1 notes\nRead chapter 2.\n".repeat(100),
        7,
    )
    .await;
    doc.assert(201);
    let doc = doc.json();
    assert_eq!(doc["content_type"], "text/plain");
    let r = app
        .get_as(
            &format!("{FILES}/{}/content", doc["id"].as_str().unwrap()),
            &author.token,
        )
        .await;
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .starts_with("attachment;")
    );
    // Filters.
    let only = app
        .get_json(&format!("{FILES}?kind=DOCUMENT"), &author.token)
        .await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    let by_entity = app
        .get_json(
            &format!("{FILES}?entity_type=lecture&entity_id=0190a7d4-0000-7000-8000-000000000001"),
            &author.token,
        )
        .await;
    assert_eq!(by_entity["items"][0]["id"], doc["id"]);
    app.get_as(&format!("{FILES}?kind=MOVIE"), &author.token)
        .await
        .assert_problem(422, "validation_failed");

    let audit = app.audit_actions(&acme(&app).await).await;
    assert_eq!(audit.iter().filter(|a| *a == "file.uploaded").count(), 2);
}

async fn refusals_store_nothing(app: TestApp) {
    let author = author(&app).await;
    // Bad query.
    upload(&app, &author, "kind=MOVIE&name=a.mp4", mp4(100))
        .await
        .assert_problem(422, "validation_failed");
    upload(&app, &author, "kind=VIDEO&name=", mp4(100))
        .await
        .assert_problem(422, "validation_failed");
    upload(&app, &author, "name=a.mp4", mp4(100))
        .await
        .assert_problem(400, "bad_request");
    upload(&app, &author, "kind=VIDEO&name=a.mp4&entity_type=Bad%20Type&entity_id=0190a7d4-0000-7000-8000-000000000001", mp4(100))
        .await
        .assert_problem(422, "validation_failed");
    upload(&app, &author, "kind=VIDEO&name=a.mp4", Vec::new())
        .await
        .assert_problem(422, "validation_failed");
    // The bytes decide: a PDF is no video, a text no image.
    let p = upload(&app, &author, "kind=VIDEO&name=a.mp4", pdf())
        .await
        .assert_problem(415, "unsupported_media_type");
    assert!(
        p["detail"].as_str().unwrap().contains("application/pdf"),
        "{p}"
    );
    upload(&app, &author, "kind=IMAGE&name=a.png", b"hello".to_vec())
        .await
        .assert_problem(415, "unsupported_media_type");
    // Over the kind's limit (image: 10 KiB here), declared or streamed.
    upload(&app, &author, "kind=IMAGE&name=a.gif", {
        let mut v = b"GIF89a".to_vec();
        v.resize(20_000, 0);
        v
    })
    .await
    .assert_problem(413, "file_too_large");
    upload_chunked(
        &app,
        &author,
        "kind=IMAGE&name=a.gif",
        {
            let mut v = b"GIF89a".to_vec();
            v.resize(20_000, 0);
            v
        },
        10,
    )
    .await
    .assert_problem(413, "file_too_large");
    // Candidates upload nothing.
    let org = acme(&app).await;
    let cand = app.member(&org, "cand@acme.org", &[Role::Candidate]).await;
    upload(&app, &cand, "kind=PDF&name=a.pdf", pdf())
        .await
        .assert_problem(403, "forbidden");

    // The quota (here 50 000 bytes): declared, then streamed.
    upload_ok(&app, &author, "kind=VIDEO&name=a.mp4", mp4(30_000)).await;
    upload(&app, &author, "kind=VIDEO&name=b.mp4", mp4(30_000))
        .await
        .assert_problem(413, "quota_exceeded");
    upload_chunked(&app, &author, "kind=VIDEO&name=b.mp4", mp4(30_000), 8)
        .await
        .assert_problem(413, "quota_exceeded");
    // Nothing stored by any refusal: one row, one blob, no temporary file.
    let list = app.get_json(FILES, &author.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let blobs = blob_files(&app);
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    let u = app.get_json(&format!("{FILES}/usage"), &author.token).await;
    assert_eq!(u["used_bytes"], 30_000);
    assert_eq!(u["quota_bytes"], 50_000);
}

async fn other_orgs_deleted_files_and_roles(app: TestApp) {
    let author = author(&app).await;
    let f = upload_ok(&app, &author, "kind=PDF&name=syllabus.pdf", pdf()).await;
    let id = f["id"].as_str().unwrap().to_owned();
    // Another organization's admin: the id does not exist there.
    let other = app.org("globex").await;
    let admin = app
        .member(&other, "admin@globex.org", &[Role::OrgAdmin])
        .await;
    for path in [
        format!("/api/v1/orgs/globex/files/{id}"),
        format!("/api/v1/orgs/globex/files/{id}/content"),
    ] {
        app.get_as(&path, &admin.token)
            .await
            .assert_problem(404, "not_found");
    }
    app.delete_as(&format!("/api/v1/orgs/globex/files/{id}"), &admin.token)
        .await
        .assert_problem(404, "not_found");
    // ...nor in acme for them.
    app.get_as(&format!("{FILES}/{id}"), &admin.token)
        .await
        .assert_problem(404, "not_found");
    // A proctor of acme is no course staff.
    let acme = acme(&app).await;
    let proctor = app
        .member(&acme, "proctor@acme.org", &[Role::ProctorReviewer])
        .await;
    app.get_as(FILES, &proctor.token)
        .await
        .assert_problem(403, "forbidden");
    app.get_as(&format!("{FILES}/{}", Uuid::now_v7()), &author.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(&format!("{FILES}/not-a-uuid"), &author.token)
        .await
        .assert_problem(404, "not_found");

    // Soft delete: gone from lists, downloads and usage; the blob removed.
    assert_eq!(blob_files(&app).len(), 1);
    app.delete_as(&format!("{FILES}/{id}"), &author.token)
        .await
        .assert(204);
    app.get_as(&format!("{FILES}/{id}"), &author.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(&format!("{FILES}/{id}/content"), &author.token)
        .await
        .assert_problem(404, "not_found");
    app.delete_as(&format!("{FILES}/{id}"), &author.token)
        .await
        .assert_problem(404, "not_found");
    let list = app.get_json(FILES, &author.token).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let u = app.get_json(&format!("{FILES}/usage"), &author.token).await;
    assert_eq!(u["used_bytes"], 0);
    assert!(blob_files(&app).is_empty());
    let audit = app.audit_actions(&acme).await;
    assert!(audit.iter().any(|a| a == "file.deleted"));
    // The row stays for the record.
    let row = invigil_store::files::file_in_org(app.db().read(), acme.id, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(row.deleted_at.is_some());
}

async fn an_org_setting_overrides_the_quota(app: TestApp) {
    let author = author(&app).await;
    let acme = acme(&app).await;
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let mut org = invigil_store::tenancy::org_by_id(app.db().read(), acme.id)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    org.settings = Set(r#"{"files_quota_bytes": 1000}"#.to_owned());
    org.update(app.db().write()).await.unwrap();
    upload(&app, &author, "kind=PDF&name=a.pdf", {
        let mut v = pdf();
        v.resize(1500, b' ');
        v
    })
    .await
    .assert_problem(413, "quota_exceeded");
    let u = app.get_json(&format!("{FILES}/usage"), &author.token).await;
    assert_eq!(u["quota_bytes"], 1000);
}

both!(
    upload_and_download_round_trip_with_ranges,
    other_orgs_deleted_files_and_roles,
    an_org_setting_overrides_the_quota,
);
both!(config = |c| {
    c.files_max_image_bytes = 10_240;
    c.files_quota_bytes = 50_000;
} => refusals_store_nothing);
