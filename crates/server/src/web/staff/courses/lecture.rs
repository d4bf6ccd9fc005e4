//! The lecture form: `GET .../chapters/{chapter}/lectures/new` and
//! `GET .../lectures/{lecture}/edit`, posted as `multipart/form-data` to
//! `POST .../chapters/{chapter}/lectures` and `POST .../lectures/{lecture}`
//! (mounted with the streaming routes: no 64 KiB page limit, no request
//! timeout).
//!
//! The form's text fields come first and the file input last (browsers send
//! the parts in the form's order). [`Multipart`] reads the text fields (at
//! most [`FIELDS_LIMIT`] bytes together), the lecture is saved by the
//! courses service (its messages shown next to the fields, before a byte of
//! the file is stored), then the file part is handed to
//! [`crate::files::service::upload`] as a stream: the files service sniffs
//! the type, enforces the kind's size limit and the quota while reading,
//! and the lecture gets the file's id. A refused file leaves the lecture
//! saved without it, and the edit form says why.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::{Body, BodyDataStream};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use invigil_domain::courses::LectureKind;
use invigil_store::courses as store;

use super::{Section, Staff, caller, path_id};
use crate::courses::access::{self, Caller};
use crate::courses::content::{self, LectureBody, LecturePatch};
use crate::files::service::{self as files, UploadQuery};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::{FormErrors, error_page, sentence};
use crate::web::multipart::{self, Multipart, MultipartError};
use crate::web::session::see_other;

/// Most bytes of the form's text fields together (a lecture's Markdown is
/// at most 100,000 characters).
pub const FIELDS_LIMIT: usize = 512 * 1024;

type Reader = Multipart<BodyDataStream>;

/// A malformed form in words (a field over the limit is 413).
fn unreadable(e: MultipartError) -> ApiError {
    match e {
        MultipartError::TooLong => ApiError::PayloadTooLarge,
        e => ApiError::BadRequest(e.to_string()),
    }
}

/// The text fields before the file, and the file part's name when one was
/// chosen (the reader then stands at its first byte).
pub async fn read_fields(
    m: &mut Reader,
) -> Result<(HashMap<String, String>, Option<String>), ApiError> {
    let mut fields = HashMap::new();
    let mut total = 0usize;
    while let Some(head) = m.next_part().await.map_err(unreadable)? {
        match head.filename {
            Some(f) if !f.trim().is_empty() => return Ok((fields, Some(f))),
            // An empty file input: its (empty) part is skipped by the next.
            Some(_) => {}
            None => {
                let text = match m.text_within(FIELDS_LIMIT.saturating_sub(total)).await {
                    Err(MultipartError::Malformed) => {
                        return Err(ApiError::field(head.name, "must be UTF-8 text"));
                    }
                    other => other.map_err(unreadable)?,
                };
                total += text.len();
                if invigil_domain::text::find_forbidden_control(&text).is_some() {
                    return Err(ApiError::field(
                        head.name,
                        "must not contain control characters",
                    ));
                }
                fields.insert(head.name, text);
            }
        }
    }
    Ok((fields, None))
}

/// The form's values as typed.
#[derive(Debug, Clone)]
pub struct LectureForm {
    pub title: String,
    pub kind: String,
    pub duration: String,
    pub body: String,
    pub is_preview: bool,
    pub is_downloadable: bool,
}

impl Default for LectureForm {
    fn default() -> Self {
        LectureForm {
            title: String::new(),
            kind: "VIDEO".into(),
            duration: String::new(),
            body: String::new(),
            is_preview: false,
            is_downloadable: false,
        }
    }
}

/// "12:30", "1:02:05" or "90" (seconds) -> seconds.
pub fn parse_duration(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(0);
    }
    let parts: Vec<&str> = raw.split(':').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 6 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let nums: Vec<i64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if nums.iter().skip(1).any(|n| *n >= 60) {
        return None;
    }
    Some(nums.iter().fold(0, |acc, n| acc * 60 + n))
}

impl LectureForm {
    fn of(l: &store::Lecture) -> LectureForm {
        LectureForm {
            title: l.title.clone(),
            kind: l.kind.name().to_owned(),
            duration: if l.duration_seconds == 0 {
                String::new()
            } else {
                super::editor::duration_words(l.duration_seconds)
            },
            body: l.body.clone().unwrap_or_default(),
            is_preview: l.is_preview,
            is_downloadable: l.is_downloadable,
        }
    }

    fn from_fields(f: &HashMap<String, String>) -> LectureForm {
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        LectureForm {
            title: get("title"),
            kind: get("kind"),
            duration: get("duration"),
            body: get("body"),
            is_preview: f.contains_key("is_preview"),
            is_downloadable: f.contains_key("is_downloadable"),
        }
    }

    fn checked(&self) -> Result<(LectureKind, i64), ApiError> {
        let mut errors = Vec::new();
        let kind = LectureKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.push(FieldError::new("kind", "Choose video, PDF or text."));
        }
        let duration = parse_duration(&self.duration);
        if duration.is_none() {
            errors.push(FieldError::new(
                "duration_seconds",
                "Enter minutes and seconds like 12:30 (or hours like 1:02:05).",
            ));
        }
        match (kind, duration) {
            (Some(k), Some(d)) if errors.is_empty() => Ok((k, d)),
            _ => Err(ApiError::Validation(errors)),
        }
    }

    fn body_opt(&self) -> Option<String> {
        Some(self.body.clone()).filter(|b| !b.trim().is_empty())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/courses/lecture.html")]
pub struct LecturePage {
    pub layout: Layout,
    pub heading: String,
    pub action: String,
    pub cancel: String,
    pub course_title: String,
    pub chapter_title: String,
    pub form: LectureForm,
    pub file: Option<String>,
    pub errors: FormErrors,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub limits: String,
    pub notice: String,
}

/// Where the form is: a new lecture in a chapter, or a lecture.
#[derive(Debug, Clone, Copy)]
enum Place {
    New { course: Uuid, chapter: Uuid },
    Edit { course: Uuid, lecture: Uuid },
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1024 * 1024))
}

#[expect(clippy::too_many_arguments, reason = "one page's parts")]
async fn render(
    state: &AppState,
    staff: &Staff,
    caller: &Caller,
    place: Place,
    form: Option<LectureForm>,
    errors: FormErrors,
    notice: &str,
    code: StatusCode,
) -> Response {
    let run = async {
        let db = state.db.read();
        let org = caller.org_id();
        let (course_id, chapter_id, lecture) = match place {
            Place::New { course, chapter } => (course, chapter, None),
            Place::Edit { course, lecture } => {
                let l = store::lecture(db, org, course, lecture)
                    .await?
                    .filter(|l| l.deleted_at.is_none())
                    .ok_or(ApiError::NotFound)?;
                (course, l.chapter_id, Some(l))
            }
        };
        let course = access::edit(db, caller, course_id, state.now()).await?;
        let chapter = store::chapter(db, org, course_id, chapter_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let file = match lecture.as_ref().and_then(|l| l.file_id) {
            Some(f) => invigil_store::files::file_in_org(db, org, f)
                .await?
                .map(|f| format!("{} ({} KiB)", f.original_name, (f.size + 1023) / 1024)),
            None => None,
        };
        let (heading, action) = match &lecture {
            None => (
                "New lecture".to_owned(),
                staff.href(&format!(
                    "/courses/{course_id}/chapters/{chapter_id}/lectures"
                )),
            ),
            Some(l) => (
                format!("Edit {}", l.title),
                staff.href(&format!("/courses/{course_id}/lectures/{}", l.id)),
            ),
        };
        let form =
            form.unwrap_or_else(|| lecture.as_ref().map(LectureForm::of).unwrap_or_default());
        let cfg = &state.config;
        Ok::<_, ApiError>(LecturePage {
            layout: staff.layout(&heading, Section::Courses),
            heading,
            action,
            cancel: staff.href(&format!("/courses/{course_id}")),
            course_title: course.title,
            chapter_title: chapter.title,
            form,
            file,
            errors,
            kinds: vec![("VIDEO", "Video"), ("PDF", "PDF"), ("TEXT", "Text")],
            limits: format!(
                "videos up to {}, PDFs up to {}",
                mib(cfg.files_max_video_bytes),
                mib(cfg.files_max_pdf_bytes)
            ),
            notice: notice.to_owned(),
        })
    };
    match run.await {
        Ok(p) => (code, p).into_response(),
        Err(e) => error_page(&e),
    }
}

/// `GET .../chapters/{chapter}/lectures/new`.
pub async fn new_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, chapter)): Path<(String, String, String)>,
) -> Response {
    let (caller, course, chapter) = match (caller(&staff), path_id(&course), path_id(&chapter)) {
        (Ok(c), Ok(a), Ok(b)) => (c, a, b),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&e),
    };
    let place = Place::New { course, chapter };
    render(
        &state,
        &staff,
        &caller,
        place,
        None,
        FormErrors::default(),
        "",
        StatusCode::OK,
    )
    .await
}

/// `GET .../lectures/{lecture}/edit`.
pub async fn edit_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, lecture)): Path<(String, String, String)>,
) -> Response {
    let (caller, course, lecture) = match (caller(&staff), path_id(&course), path_id(&lecture)) {
        (Ok(c), Ok(a), Ok(b)) => (c, a, b),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&e),
    };
    render(
        &state,
        &staff,
        &caller,
        Place::Edit { course, lecture },
        None,
        FormErrors::default(),
        "",
        StatusCode::OK,
    )
    .await
}

/// The service's field errors as the form's (`duration_seconds` is the
/// duration field, `file_id` the file's).
fn place_errors(e: &ApiError) -> Option<FormErrors> {
    match e {
        ApiError::Validation(list) => Some(FormErrors {
            fields: list
                .iter()
                .map(|f| {
                    let field = match f.field.as_str() {
                        "duration_seconds" => "duration",
                        "file_id" | "body_file" => "file",
                        other => other,
                    };
                    FieldError::new(field, sentence(&f.message))
                })
                .collect(),
            general: Vec::new(),
        }),
        _ => None,
    }
}

/// Streams the file part into the files service and sets it on the
/// lecture.
/// The caller's authorization for files is the one the course pages
/// already hold (TeachCourses or ManageCourses, as `files::authorize`).
async fn attach(
    state: &AppState,
    caller: &Caller,
    course: Uuid,
    lecture: Uuid,
    kind: LectureKind,
    filename: String,
    m: Reader,
) -> Result<(), ApiError> {
    if kind == LectureKind::Text {
        return Err(ApiError::field(
            "file",
            "a TEXT lecture has no video or PDF: choose VIDEO or PDF to upload one",
        ));
    }
    let auth = caller.auth.clone();
    let q = UploadQuery {
        kind: kind.name().to_owned(),
        name: filename,
        entity_type: Some("lecture".into()),
        entity_id: Some(lecture),
    };
    let body = Body::from_stream(m.into_part_stream());
    let file = files::upload(state, &auth, q, &HeaderMap::new(), body).await?;
    let patch = LecturePatch {
        file_id: Some(Some(file.id)),
        ..LecturePatch::default()
    };
    if let Err(e) = content::update_lecture(state, caller, course, lecture, patch).await {
        // The file is of no use without its lecture.
        let _ = files::delete(state, &auth, file.id).await;
        return Err(e);
    }
    Ok(())
}

/// A file refusal in words for the form's file field.
fn file_message(e: &ApiError) -> Option<String> {
    match e {
        ApiError::TooLarge { detail, .. } => Some(sentence(detail)),
        ApiError::UnsupportedMediaType(detail) => Some(sentence(detail)),
        ApiError::Validation(list) => Some(
            list.iter()
                .map(|f| sentence(&f.message))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ApiError::BadRequest(detail) => Some(sentence(detail)),
        _ => None,
    }
}

async fn submit(state: AppState, staff: Staff, place: Place, req: Request) -> Response {
    let caller = match caller(&staff) {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let (parts, body) = req.into_parts();
    if parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return crate::web::errors::csrf_refused();
    }
    let Ok(boundary) = multipart::boundary(&parts.headers) else {
        return error_page(&ApiError::UnsupportedMediaType(
            "expected a form with a file (multipart/form-data)".into(),
        ));
    };
    let mut m = Multipart::new(body.into_data_stream(), &boundary);
    let (fields, filename) = match read_fields(&mut m).await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let csrf = fields.get("csrf").cloned().unwrap_or_default();
    if let Some(no) = staff.csrf_refusal(&csrf) {
        return no;
    }
    let form = LectureForm::from_fields(&fields);
    let saved = async {
        let (kind, duration) = form.checked()?;
        match place {
            Place::New { course, chapter } => {
                let body = LectureBody {
                    title: form.title.clone(),
                    description: None,
                    kind,
                    body: form.body_opt(),
                    file_id: None,
                    duration_seconds: Some(duration),
                    is_preview: Some(form.is_preview),
                    is_downloadable: Some(form.is_downloadable),
                };
                content::create_lecture(&state, &caller, course, chapter, body)
                    .await
                    .map(|l| (course, l.id, kind))
            }
            Place::Edit { course, lecture } => {
                let patch = LecturePatch {
                    title: Some(form.title.clone()),
                    kind: Some(kind),
                    body: Some(form.body_opt()),
                    duration_seconds: Some(duration),
                    is_preview: Some(form.is_preview),
                    is_downloadable: Some(form.is_downloadable),
                    ..LecturePatch::default()
                };
                content::update_lecture(&state, &caller, course, lecture, patch)
                    .await
                    .map(|l| (course, l.id, kind))
            }
        }
    };
    let (course, lecture, kind) = match saved.await {
        Ok(v) => v,
        Err(e) => {
            return match place_errors(&e) {
                Some(errors) => {
                    render(
                        &state,
                        &staff,
                        &caller,
                        place,
                        Some(form),
                        errors,
                        "",
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await
                }
                None => error_page(&e),
            };
        }
    };
    let Some(filename) = filename else {
        return see_other(&staff.href(&format!("/courses/{course}?done=lecture")));
    };
    match attach(&state, &caller, course, lecture, kind, filename, m).await {
        Ok(()) => see_other(&staff.href(&format!("/courses/{course}?done=lecture"))),
        Err(e) => match file_message(&e) {
            Some(message) => {
                let code = e.parts().0;
                render(
                    &state,
                    &staff,
                    &caller,
                    Place::Edit { course, lecture },
                    None,
                    FormErrors {
                        fields: vec![FieldError::new("file", message)],
                        general: Vec::new(),
                    },
                    "The lecture is saved, but its file was not: choose another file.",
                    code,
                )
                .await
            }
            None => error_page(&e),
        },
    }
}

/// `POST .../chapters/{chapter}/lectures` (multipart).
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, chapter)): Path<(String, String, String)>,
    req: Request,
) -> Response {
    match (path_id(&course), path_id(&chapter)) {
        (Ok(course), Ok(chapter)) => {
            submit(state, staff, Place::New { course, chapter }, req).await
        }
        _ => error_page(&ApiError::NotFound),
    }
}

/// `POST .../lectures/{lecture}` (multipart).
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, lecture)): Path<(String, String, String)>,
    req: Request,
) -> Response {
    match (path_id(&course), path_id(&lecture)) {
        (Ok(course), Ok(lecture)) => {
            submit(state, staff, Place::Edit { course, lecture }, req).await
        }
        _ => error_page(&ApiError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::{Multipart, parse_duration, read_fields};
    use axum::body::Body;
    use futures_util::StreamExt;

    #[test]
    fn durations_are_typed_like_a_clock() {
        assert_eq!(parse_duration(""), Some(0));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("12:30"), Some(750));
        assert_eq!(parse_duration("1:02:05"), Some(3725));
        for bad in ["1:60", "a", "1::2", "1:2:3:4", "-5"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    async fn read(
        body: &'static [u8],
        chunk: usize,
    ) -> (Vec<(String, String)>, Option<String>, Vec<u8>) {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            body.chunks(chunk).map(|c| Ok(c.to_vec())).collect();
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let mut m = Multipart::new(body.into_data_stream(), "XyZ");
        let (fields, file) = read_fields(&mut m).await.unwrap();
        let mut fields: Vec<_> = fields.into_iter().collect();
        fields.sort();
        let mut data = Vec::new();
        if file.is_some() {
            let mut s = Box::pin(m.into_part_stream());
            while let Some(c) = s.next().await {
                data.extend_from_slice(&c.unwrap());
            }
        }
        (fields, file, data)
    }

    #[tokio::test]
    async fn a_form_streams_its_file_in_any_chunking() {
        let body: &'static [u8] =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nIntro\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\
            Content-Type: video/mp4\r\n\r\n\x00\x01\r\n--Xy almost\r\n--XyZ--\r\n";
        for chunk in [1, 2, 3, 7, 64, 1000] {
            let (fields, file, data) = read(body, chunk).await;
            assert_eq!(
                fields,
                [
                    ("csrf".to_owned(), "tok".to_owned()),
                    ("title".to_owned(), "Intro".to_owned())
                ],
                "{chunk}"
            );
            assert_eq!(file.as_deref(), Some("a.mp4"));
            assert_eq!(data, b"\x00\x01\r\n--Xy almost", "{chunk}");
        }
        let no_file: &'static [u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nA\r\n\
            --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--XyZ--\r\n";
        let (fields, file, _) = read(no_file, 5).await;
        assert_eq!(fields, [("title".to_owned(), "A".to_owned())]);
        assert!(file.is_none());
    }
}
