//! The Files section (course staff: `TeachCourses` or `ManageCourses`, like
//! `/api/v1/orgs/{org}/files`): `/orgs/{org}/files` shows the usage against
//! the quota, the files (name, kind, size, uploader, date, the lectures
//! that show them; cursor pages), a download link and a soft delete with a
//! confirm step, and the upload form.
//!
//! # A streamed upload from a plain form
//!
//! The form is `multipart/form-data` with its fields in a fixed order:
//! `csrf`, `kind`, then `file`. [`Multipart`] reads the body as it arrives:
//! the small fields first (the CSRF token is checked before a byte of the
//! file is read), then the file's bytes go, chunk by chunk, straight into
//! the files service ([`crate::files::service::upload`]), which sniffs the
//! type and enforces the kind's limit and the quota while streaming — the
//! file is never held in memory. A refusal (too big, wrong type, over the
//! quota) is shown next to the file field; the rest of the request is read
//! and dropped first (up to [`DRAIN_LIMIT`]) so the browser gets the page
//! rather than a reset connection.
//!
//! The upload (`POST /orgs/{org}/files/upload`) and the download (`GET
//! /orgs/{org}/files/{id}/download`, HTTP ranges) are mounted outside the
//! per-request timeout with [`streaming_router`].

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::{Body, BodyDataStream};
use axum::extract::{Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::Mutex;
use uuid::Uuid;

use invigil_domain::files::FileKind;
use invigil_store::courses as course_store;

use super::{Pager, Section, Staff};
use crate::authz::Authorized;
use crate::files::service::{self as files, ListQuery, UploadQuery};
use crate::http::error::{ApiError, FieldError};
use crate::http::page::PageQuery;
use crate::state::AppState;
use crate::web::errors::{FormErrors, csrf_refused, error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::staff::payments::people;
use crate::web::{Layout, when};

/// The list and the delete (ordinary routes).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/files", get(list))
        .route("/orgs/{org}/files/{id}/delete", post(delete))
}

/// The upload and the download: long requests, outside the per-request
/// timeout (mounted by `http::router`).
pub fn streaming_router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/files/upload", post(upload))
        .route("/orgs/{org}/files/{id}/download", get(download))
}

/// Most bytes of a refused upload read (and dropped) so the browser gets
/// the answer; beyond, the connection is closed.
pub const DRAIN_LIMIT: u64 = 256 * 1024 * 1024;

// ---- sizes

/// `1536` as `1.5 KiB`.
pub fn size_words(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return if bytes == 1 {
            "1 byte".into()
        } else {
            format!("{bytes} bytes")
        };
    }
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The kind a file name suggests (the service still sniffs the bytes).
pub fn kind_of_name(name: &str) -> FileKind {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "mp4" | "m4v" | "webm" | "ogv" | "mov" => FileKind::Video,
        "pdf" => FileKind::Pdf,
        "png" | "jpg" | "jpeg" | "gif" | "webp" => FileKind::Image,
        "mp3" | "wav" | "m4a" | "oga" | "ogg" | "opus" => FileKind::Audio,
        _ => FileKind::Document,
    }
}

pub use crate::web::multipart::{Multipart, MultipartError, PartHead, boundary};

// ---- the page

#[derive(Debug)]
pub struct FileRow {
    pub name: String,
    pub kind: String,
    pub content_type: String,
    pub size: String,
    pub size_sort: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub uploaded_sort: String,
    pub used_by: Vec<String>,
    pub download: String,
    pub delete: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/files.html")]
pub struct FilesPage {
    pub layout: Layout,
    pub rows: Vec<FileRow>,
    pub used: String,
    pub quota: String,
    /// Percent of the quota used, 0 to 100 (the bar).
    pub percent: u64,
    pub percent_words: String,
    pub nearly_full: bool,
    pub upload_action: String,
    pub kind: String,
    pub kinds: Vec<(&'static str, String)>,
    pub limits: Vec<(String, String)>,
    pub errors: FormErrors,
    pub notice: &'static str,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub struct FilesQuery {
    pub cursor: Option<String>,
    pub done: Option<String>,
}

fn authorize(staff: &Staff) -> Result<Authorized, ApiError> {
    files::authorize(&staff.ctx)
}

const KINDS: [FileKind; 5] = [
    FileKind::Video,
    FileKind::Pdf,
    FileKind::Image,
    FileKind::Audio,
    FileKind::Document,
];

fn kind_label(k: FileKind) -> &'static str {
    match k {
        FileKind::Video => "Video",
        FileKind::Pdf => "PDF",
        FileKind::Image => "Image",
        FileKind::Audio => "Audio",
        FileKind::Document => "Document",
    }
}

async fn render(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    cursor: Option<String>,
) -> Result<FilesPage, ApiError> {
    let page_q = PageQuery {
        limit: Some(50),
        cursor: cursor.filter(|c| !c.is_empty()),
    };
    let list = files::list(
        state,
        auth,
        ListQuery {
            kind: None,
            entity_type: None,
            entity_id: None,
        },
        page_q.keyset()?,
    )
    .await?;
    let usage = files::usage(state, auth).await?;
    let ids: Vec<Uuid> = list.items.iter().map(|f| f.id).collect();
    let lectures = course_store::lectures_using_files(state.db.read(), auth.org_id, &ids).await?;
    let who = people(state, list.items.iter().map(|f| f.uploaded_by)).await?;
    let used = u64::try_from(usage.used_bytes).unwrap_or(0);
    let quota = usage.quota_bytes;
    let percent = used
        .saturating_mul(100)
        .checked_div(quota)
        .unwrap_or(100)
        .min(100);
    let base = staff.href("/files");
    Ok(FilesPage {
        layout: staff.layout("Files", Section::Files),
        rows: list
            .items
            .iter()
            .map(|f| FileRow {
                name: f.original_name.clone(),
                kind: kind_label(f.kind).to_owned(),
                content_type: f.content_type.clone(),
                size: size_words(u64::try_from(f.size).unwrap_or(0)),
                size_sort: f.size,
                uploaded_by: who
                    .get(&f.uploaded_by)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_else(|| "Unknown person".into()),
                uploaded_at: when(f.created_at),
                uploaded_sort: f.created_at.to_rfc3339(),
                used_by: lectures
                    .iter()
                    .filter(|l| l.file_id == Some(f.id))
                    .map(|l| format!("Lecture “{}”", l.title))
                    .collect(),
                download: format!("{base}/{}/download", f.id),
                delete: format!("{base}/{}/delete", f.id),
            })
            .collect(),
        used: size_words(used),
        quota: size_words(quota),
        percent,
        percent_words: if percent == 0 && used > 0 {
            "less than 1 %".to_owned()
        } else {
            format!("{percent} %")
        },
        nearly_full: percent >= 90,
        upload_action: format!("{base}/upload"),
        kind: String::new(),
        kinds: KINDS
            .iter()
            .map(|k| (k.name(), kind_label(*k).to_owned()))
            .collect(),
        limits: KINDS
            .iter()
            .map(|k| {
                (
                    kind_label(*k).to_owned(),
                    size_words(files::size_limit(&state.config, *k)),
                )
            })
            .collect(),
        errors: FormErrors::default(),
        notice: "",
        pager: Pager::new(&base, page_q.cursor.as_deref(), list.next_cursor.as_deref()),
    })
}

/// `GET /orgs/{org}/files`.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<FilesQuery>,
) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let notice = match q.done.as_deref() {
        Some("uploaded") => "The file is uploaded.",
        Some("deleted") => "The file is deleted.",
        _ => "",
    };
    match render(&state, &staff, &auth, q.cursor).await {
        Ok(mut p) => {
            p.notice = notice;
            p.into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// The page again with the upload's refusal next to its field.
async fn refused(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    kind: &str,
    e: ApiError,
) -> Response {
    let (status, _) = e.parts();
    let errors = match e {
        ApiError::TooLarge { detail, .. } | ApiError::UnsupportedMediaType(detail) => FormErrors {
            fields: vec![FieldError::new("file", sentence(&detail))],
            general: Vec::new(),
        },
        ApiError::Validation(list) => FormErrors {
            fields: list
                .into_iter()
                .map(|f| {
                    let field = if f.field == "kind" { "kind" } else { "file" };
                    FieldError::new(field, sentence(&f.message))
                })
                .collect(),
            general: Vec::new(),
        },
        ApiError::BadRequest(m) => FormErrors {
            fields: vec![FieldError::new("file", sentence(&m))],
            general: Vec::new(),
        },
        other => return error_page(&other),
    };
    match render(state, staff, auth, None).await {
        Ok(mut p) => {
            p.errors = errors;
            p.kind = kind.to_owned();
            (status, p).into_response()
        }
        Err(e) => error_page(&e),
    }
}

type Reader = Multipart<BodyDataStream>;

/// `POST /orgs/{org}/files/upload`: see the module documentation.
pub async fn upload(State(state): State<AppState>, staff: Staff, req: Request) -> Response {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return csrf_refused();
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let Ok(b) = boundary(headers) else {
        return error_page(&ApiError::UnsupportedMediaType(
            "expected a multipart/form-data form".into(),
        ));
    };
    let reader = Arc::new(Mutex::new(Multipart::new(
        req.into_body().into_data_stream(),
        &b,
    )));
    let (kind, result) = read_and_upload(&state, &staff, &auth, &reader).await;
    match result {
        Ok(()) => {
            // The closing delimiter, at most.
            reader.lock().await.drain(64 * 1024).await;
            see_other(&staff.href("/files?done=uploaded"))
        }
        Err(Refusal::Csrf) => {
            reader.lock().await.drain(DRAIN_LIMIT).await;
            csrf_refused()
        }
        Err(Refusal::Form(e)) => {
            // The browser is still sending: read the rest so it gets the
            // page (and not a reset connection).
            reader.lock().await.drain(DRAIN_LIMIT).await;
            refused(&state, &staff, &auth, &kind, e).await
        }
    }
}

enum Refusal {
    Csrf,
    Form(ApiError),
}

fn malformed(e: MultipartError) -> Refusal {
    Refusal::Form(ApiError::BadRequest(e.to_string()))
}

/// Reads the fields up to the file, checks the CSRF token, then streams the
/// file into the files service. Returns the kind chosen (for the form shown
/// again) and the outcome.
async fn read_and_upload(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    reader: &Arc<Mutex<Reader>>,
) -> (String, Result<(), Refusal>) {
    let mut csrf = String::new();
    let mut kind = String::new();
    let filename = {
        let mut r = reader.lock().await;
        loop {
            let part = match r.next_part().await {
                Ok(Some(p)) => p,
                Ok(None) => {
                    return (
                        kind,
                        Err(Refusal::Form(ApiError::field(
                            "file",
                            "choose a file to upload",
                        ))),
                    );
                }
                Err(e) => return (kind, Err(malformed(e))),
            };
            match (part.name.as_str(), part.filename) {
                ("file", Some(f)) => break f,
                ("csrf", None) => match r.text().await {
                    Ok(t) => csrf = t,
                    Err(e) => return (kind, Err(malformed(e))),
                },
                ("kind", None) => match r.text().await {
                    Ok(t) => kind = t.trim().to_owned(),
                    Err(e) => return (kind, Err(malformed(e))),
                },
                // Anything else is read and dropped.
                _ => {}
            }
        }
    };
    // The token before a byte of the file is stored.
    if !staff.visitor.session_csrf_ok(&csrf) {
        return (kind, Err(Refusal::Csrf));
    }
    if filename.trim().is_empty() {
        return (
            kind,
            Err(Refusal::Form(ApiError::field(
                "file",
                "choose a file to upload",
            ))),
        );
    }
    let chosen = if kind.is_empty() {
        kind_of_name(&filename).name().to_owned()
    } else {
        kind.clone()
    };
    let stream = futures_util::stream::unfold(reader.clone(), |r| async move {
        let next = r.lock().await.next_chunk().await;
        match next {
            Ok(Some(chunk)) => Some((Ok(chunk), r)),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), r)),
        }
    });
    let q = UploadQuery {
        kind: chosen,
        name: filename,
        entity_type: None,
        entity_id: None,
    };
    match files::upload(state, auth, q, &HeaderMap::new(), Body::from_stream(stream)).await {
        Ok(_) => (kind, Ok(())),
        Err(e) => (kind, Err(Refusal::Form(e))),
    }
}

/// `GET /orgs/{org}/files/{id}/download` (ranges, like the API's content).
pub async fn download(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    match crate::files::serve_content(&state, auth.org_id, id, &headers).await {
        Ok(r) => r,
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /orgs/{org}/files/{id}/delete` (the form asks first).
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<Empty>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    match files::delete(&state, &auth, id).await {
        Ok(()) => see_other(&staff.href("/files?done=deleted")),
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::header;

    fn body(
        chunks: Vec<&'static [u8]>,
    ) -> impl futures_util::Stream<Item = Result<Bytes, ()>> + Unpin {
        futures_util::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))))
    }

    const FORM: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nPDF\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".pdf\"\r\n\
Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--XY not yet\r\n--XyZ--\r\n";

    async fn read_all(chunks: Vec<&'static [u8]>) -> (Vec<(PartHead, Vec<u8>)>, u64) {
        let mut m = Multipart::new(body(chunks), "XyZ");
        let mut parts = Vec::new();
        while let Some(h) = m.next_part().await.unwrap() {
            let mut content = Vec::new();
            while let Some(c) = m.next_chunk().await.unwrap() {
                assert!(!c.is_empty());
                content.extend_from_slice(&c);
            }
            parts.push((h, content));
        }
        (parts, m.read)
    }

    #[tokio::test]
    async fn parts_are_read_whatever_the_chunking() {
        let whole = read_all(vec![FORM]).await;
        assert_eq!(whole.0.len(), 3);
        assert_eq!(whole.0[0].0.name, "csrf");
        assert_eq!(whole.0[0].1, b"tok");
        assert_eq!(whole.0[1].1, b"PDF");
        assert_eq!(whole.0[2].0.filename.as_deref(), Some("a \"b\".pdf"));
        assert_eq!(whole.0[2].1, b"%PDF-1.4\r\n--XY not yet");
        assert_eq!(whole.1, FORM.len() as u64);
        // Every split of the body into two and into single bytes.
        for at in 1..FORM.len() {
            let (a, b) = FORM.split_at(at);
            assert_eq!(read_all(vec![a, b]).await.0, whole.0, "split at {at}");
        }
        let bytes: Vec<&'static [u8]> = FORM.chunks(1).collect();
        assert_eq!(read_all(bytes).await.0, whole.0);
    }

    #[tokio::test]
    async fn broken_bodies_are_errors_not_panics() {
        let mut m = Multipart::new(body(vec![&FORM[..66]]), "XyZ");
        m.next_part().await.unwrap();
        assert_eq!(m.text().await, Ok("tok".into()));
        assert_eq!(m.next_part().await, Err(MultipartError::Truncated));
        let mut m = Multipart::new(body(vec![b"garbage without a boundary"]), "XyZ");
        assert!(m.next_part().await.is_err());
        let mut m = Multipart::new(
            body(vec![b"--XyZ\r\nX-No-Disposition: 1\r\n\r\nx\r\n--XyZ--"]),
            "XyZ",
        );
        assert_eq!(m.next_part().await, Err(MultipartError::Malformed));
        let mut m = Multipart::new(body(vec![b"--XyZ--\r\n"]), "XyZ");
        assert_eq!(m.next_part().await, Ok(None));
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=\"----abc\"".parse().unwrap(),
        );
        assert_eq!(boundary(&h).unwrap(), "----abc");
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert!(boundary(&h).is_err());
    }

    #[test]
    fn sizes_and_kinds_read_well() {
        assert_eq!(size_words(1), "1 byte");
        assert_eq!(size_words(1000), "1000 bytes");
        assert_eq!(size_words(1536), "1.5 KiB");
        assert_eq!(size_words(10 * 1024 * 1024 * 1024), "10.0 GiB");
        assert_eq!(size_words(200 * 1024 * 1024), "200 MiB");
        assert_eq!(kind_of_name("Intro.MP4"), FileKind::Video);
        assert_eq!(kind_of_name("notes.pdf"), FileKind::Pdf);
        assert_eq!(kind_of_name("slides.pptx"), FileKind::Document);
        assert_eq!(kind_of_name("noext"), FileKind::Document);
    }
}
