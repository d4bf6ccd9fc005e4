//! `/orgs/{org}/learn/{course}/lectures/{lecture}`: one lecture with the
//! course's outline beside it. A video plays from [`file`] (ranges, so the
//! learner can seek) and `learn.js` saves the position through
//! `/web-api/v1` (every 10 s while playing, on pause, seek and at the end,
//! which also marks it complete) and resumes at the saved one; a PDF is
//! embedded with a download link; a text is its Markdown rendered safe.
//! "Mark complete" and previous / next lecture are plain links and forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::courses::{CourseEnrollmentStatus, LectureKind};

use super::super::Layout;
use super::super::errors::error_page;
use super::super::form::WebForm;
use super::super::session::see_other;
use super::{Learner, clock, duration_label, kind_label};
use crate::courses::learn::ProgressBody;
use crate::courses::views::CourseDetail;
use crate::courses::{content, course, learn, media};
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Debug)]
pub struct OutlineLecture {
    pub href: String,
    pub title: String,
    pub kind: &'static str,
    pub completed: bool,
    pub current: bool,
    pub open: bool,
}

#[derive(Debug)]
pub struct OutlineChapter {
    pub title: String,
    pub lectures: Vec<OutlineLecture>,
}

#[derive(Template, WebTemplate)]
#[template(path = "learn/lecture.html")]
pub struct LecturePage {
    pub layout: Layout,
    pub course_href: String,
    pub course_title: String,
    pub title: String,
    pub description: Option<String>,
    pub kind: &'static str,
    pub is_video: bool,
    pub is_pdf: bool,
    pub is_text: bool,
    pub duration: String,
    /// The content is shown (enrolled, staff, or a preview).
    pub visible: bool,
    pub body_html: Option<String>,
    pub file_href: Option<String>,
    /// The `/web-api/v1` progress route, for an enrolled learner.
    pub progress_url: Option<String>,
    pub complete_href: String,
    pub position: i32,
    pub position_label: String,
    pub completed: bool,
    pub enrolled: bool,
    pub outline: Vec<OutlineChapter>,
    pub prev: Option<(String, String)>,
    pub next: Option<(String, String)>,
}

fn ids(l: &Learner) -> Result<(Uuid, Uuid), Box<Response>> {
    Ok((l.id("course")?, l.id("lecture")?))
}

async fn build(
    state: &AppState,
    l: &Learner,
    course_id: Uuid,
    lecture_id: Uuid,
) -> Result<LecturePage, ApiError> {
    let lecture = content::read_lecture(state, &l.caller, course_id, lecture_id).await?;
    let CourseDetail {
        course: c,
        chapters,
        enrollment,
        is_staff,
        ..
    } = course::detail(state, &l.caller, course_id).await?;
    let enrolled = enrollment.as_ref().is_some_and(|e| {
        matches!(
            e.status,
            CourseEnrollmentStatus::Active | CourseEnrollmentStatus::Completed
        )
    });
    let open_all = enrolled || is_staff;
    let mut flat: Vec<(Uuid, String, bool)> = Vec::new();
    let outline = chapters
        .iter()
        .map(|ch| OutlineChapter {
            title: ch.title.clone(),
            lectures: ch
                .lectures
                .iter()
                .filter(|x| x.deleted_at.is_none())
                .map(|x| {
                    let open = open_all || x.is_preview;
                    flat.push((x.id, x.title.clone(), open));
                    OutlineLecture {
                        href: l.href(course_id, &format!("/lectures/{}", x.id)),
                        title: x.title.clone(),
                        kind: kind_label(x.kind),
                        completed: x.completed == Some(true),
                        current: x.id == lecture_id,
                        open,
                    }
                })
                .collect(),
        })
        .collect();
    let here = flat.iter().position(|(id, _, _)| *id == lecture_id);
    let link = |i: usize| {
        flat.get(i)
            .map(|(id, t, _)| (l.href(course_id, &format!("/lectures/{id}")), t.clone()))
    };
    let prev = here.and_then(|i| i.checked_sub(1)).and_then(link);
    let next = here.and_then(|i| link(i + 1));
    let mine = chapters
        .iter()
        .flat_map(|c| c.lectures.iter())
        .find(|x| x.id == lecture_id);
    let position = mine.and_then(|x| x.position_seconds).unwrap_or(0);
    let completed = mine.is_some_and(|x| x.completed == Some(true));
    let visible = lecture.content_visible;
    let org = l.staff.slug().to_owned();
    Ok(LecturePage {
        layout: l.layout(&format!("{} · {}", lecture.title, c.title)),
        course_href: l.href(course_id, ""),
        course_title: c.title.clone(),
        title: lecture.title.clone(),
        description: lecture.description.clone(),
        kind: kind_label(lecture.kind),
        is_video: lecture.kind == LectureKind::Video,
        is_pdf: lecture.kind == LectureKind::Pdf,
        is_text: lecture.kind == LectureKind::Text,
        duration: duration_label(lecture.duration_seconds),
        visible,
        body_html: lecture.body_html.clone(),
        file_href: (visible && lecture.file_id.is_some())
            .then(|| l.href(course_id, &format!("/lectures/{lecture_id}/file"))),
        progress_url: enrolled.then(|| {
            format!(
                "{}/orgs/{org}/courses/{course_id}/lectures/{lecture_id}/progress",
                crate::web::api::PREFIX
            )
        }),
        complete_href: l.href(course_id, &format!("/lectures/{lecture_id}/complete")),
        position,
        position_label: clock(i64::from(position)),
        completed,
        enrolled,
        outline,
        prev,
        next,
    })
}

/// `GET .../lectures/{lecture}`.
pub async fn page(State(state): State<AppState>, l: Learner) -> Response {
    let (course_id, lecture_id) = match ids(&l) {
        Ok(v) => v,
        Err(no) => return *no,
    };
    match build(&state, &l, course_id, lecture_id).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST .../lectures/{lecture}/complete`: marks the lecture done (the
/// progress service) and comes back to it.
pub async fn complete(State(state): State<AppState>, l: Learner, form: WebForm<Empty>) -> Response {
    if let Some(no) = l.staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (course_id, lecture_id) = match ids(&l) {
        Ok(v) => v,
        Err(no) => return *no,
    };
    let body = ProgressBody {
        position_seconds: None,
        completed: Some(true),
    };
    match learn::save_progress(&state, &l.caller, course_id, lecture_id, body).await {
        Ok(_) => see_other(&l.href(course_id, &format!("/lectures/{lecture_id}"))),
        Err(e) => error_page(&e),
    }
}

/// `GET .../lectures/{lecture}/file`: the lecture's file for the browser
/// (the `<video>` and the PDF), the same service and answers as the API's
/// route: ranges, 404 for those who may not open it.
pub async fn file(State(state): State<AppState>, l: Learner, headers: HeaderMap) -> Response {
    let (course_id, lecture_id) = match ids(&l) {
        Ok(v) => v,
        Err(no) => return *no,
    };
    match media::lecture_file(&state, &l.caller, course_id, lecture_id, &headers).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
