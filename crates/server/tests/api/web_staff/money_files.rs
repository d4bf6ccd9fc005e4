//! The Files section's page: a streamed multipart upload through the files
//! service, refusals (over the quota, too big, wrong type, no file, a
//! forged token) shown next to the file field with nothing stored, the
//! usage, a ranged download and a soft delete.

use invigil_domain::identity::Role;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

use super::staff_browser;
use crate::both;
use crate::common::{TestApp, TestResponse};

const BOUNDARY: &str = "----invigiltest7MA4YWxkTrZu0gW";

fn multipart(csrf: &str, kind: &str, filename: &str, bytes: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, value) in [("csrf", csrf), ("kind", kind)] {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(bytes);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn upload(app: &TestApp, b: &Browser, body: Vec<u8>) -> TestResponse {
    app.post("/orgs/acme/files/upload")
        .header("cookie", &b.header())
        .body(&format!("multipart/form-data; boundary={BOUNDARY}"), body)
        .send()
        .await
}

fn pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    v.resize(len, b'x');
    v
}

async fn used(app: &TestApp, token: &str) -> i64 {
    app.get_json("/api/v1/orgs/acme/files/usage", token).await["used_bytes"]
        .as_i64()
        .unwrap()
}

async fn staff_upload_with_refusals_next_to_the_field(app: TestApp) {
    let org = app.org("acme").await;
    let author = app
        .member(&org, "author@acme.org", &[Role::ExamAuthor])
        .await;
    app.member(&org, "cand@acme.org", &[Role::Candidate]).await;
    let other = app.org("other").await;
    app.member(&other, "stranger@other.org", &[Role::OrgAdmin])
        .await;

    let mut cand = staff_browser(&app, "cand@acme.org").await;
    assert_page(&cand.get(&app, "/orgs/acme/files").await, 403);
    let mut stranger = staff_browser(&app, "stranger@other.org").await;
    assert_page(&stranger.get(&app, "/orgs/acme/files").await, 404);

    let mut b = staff_browser(&app, "author@acme.org").await;
    let page = b.get(&app, "/orgs/acme/files").await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("No file yet"), "{html}");
    assert!(html.contains("of 48.8 KiB used"), "{html}");
    assert!(html.contains(r#"href="/orgs/acme/files""#), "{html}");
    let csrf = b.csrf_token.clone().unwrap();

    // A forged token: refused before a byte is stored.
    let r = upload(&app, &b, multipart("forged", "PDF", "a.pdf", &pdf(500))).await;
    assert_page(&r, 403);
    // Not multipart: 415.
    let r = app
        .post("/orgs/acme/files/upload")
        .header("cookie", &b.header())
        .body("application/x-www-form-urlencoded", format!("csrf={csrf}"))
        .send()
        .await;
    assert_page(&r, 415);
    // A truncated body.
    let mut cut = multipart(&csrf, "PDF", "a.pdf", &pdf(500));
    cut.truncate(cut.len() - 20);
    assert_page(&upload(&app, &b, cut).await, 400);
    // No file chosen.
    let r = upload(&app, &b, multipart(&csrf, "", "", b"")).await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="file-error""#), "{}", r.text());
    // The wrong type.
    let r = upload(&app, &b, multipart(&csrf, "PDF", "a.pdf", b"just text")).await;
    assert_page(&r, 415);
    let html = r.text();
    assert!(html.contains(r#"id="file-error""#), "{html}");
    assert!(html.contains("text/plain"), "{html}");
    // Too big for its kind (images: 10 000 bytes here).
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.resize(12_000, 0);
    let r = upload(&app, &b, multipart(&csrf, "IMAGE", "big.png", &png)).await;
    assert_page(&r, 413);
    assert!(r.text().contains("at most 10000 bytes"), "{}", r.text());
    assert_eq!(used(&app, &author.token).await, 0);

    // A good one, kind from the name; the list shows it and the usage.
    let r = upload(&app, &b, multipart(&csrf, "", "notes.pdf", &pdf(30_000))).await;
    assert_redirect(&r, "/orgs/acme/files?done=uploaded");
    assert_eq!(used(&app, &author.token).await, 30_000);
    let page = b.get(&app, "/orgs/acme/files?done=uploaded").await;
    let html = page.text();
    assert!(html.contains("notes.pdf"), "{html}");
    assert!(html.contains("29.3 KiB"), "{html}");
    assert!(html.contains("60 %"), "{html}");
    assert!(html.contains("The file is uploaded."), "{html}");

    // Over the quota (50 000 bytes): refused next to the field, nothing kept.
    let r = upload(&app, &b, multipart(&csrf, "PDF", "more.pdf", &pdf(25_000))).await;
    assert_page(&r, 413);
    let html = r.text();
    assert!(html.contains(r#"id="file-error""#), "{html}");
    assert!(html.contains("quota"), "{html}");
    assert!(html.contains(r#"<option value="PDF" selected>"#), "{html}");
    assert_eq!(used(&app, &author.token).await, 30_000);
    let list = app.get_json("/api/v1/orgs/acme/files", &author.token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();

    // Download, whole and ranged.
    let d = app
        .get(&format!("/orgs/acme/files/{id}/download"))
        .header("cookie", &b.header())
        .send()
        .await;
    d.assert(200);
    assert_eq!(d.body.len(), 30_000);
    let d = app
        .get(&format!("/orgs/acme/files/{id}/download"))
        .header("cookie", &b.header())
        .header("range", "bytes=0-3")
        .send()
        .await;
    d.assert(206);
    assert_eq!(&d.body[..], b"%PDF");
    assert_page(
        &cand
            .get(&app, &format!("/orgs/acme/files/{id}/download"))
            .await,
        403,
    );

    // Delete (soft): gone from the list, the usage freed.
    assert_page(
        &b.post(
            &app,
            &format!("/orgs/acme/files/{id}/delete"),
            &[("csrf", "forged")],
        )
        .await,
        403,
    );
    let r = b
        .post(
            &app,
            &format!("/orgs/acme/files/{id}/delete"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_redirect(&r, "/orgs/acme/files?done=deleted");
    assert_eq!(used(&app, &author.token).await, 0);
    assert_page(
        &b.post(
            &app,
            &format!("/orgs/acme/files/{id}/delete"),
            &[("csrf", csrf.as_str())],
        )
        .await,
        404,
    );
}

both!(config = |c| {
    c.files_max_image_bytes = 10_000;
    c.files_quota_bytes = 50_000;
} => staff_upload_with_refusals_next_to_the_field);
