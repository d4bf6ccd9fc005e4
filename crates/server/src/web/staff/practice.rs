//! The practice scenarios console for authors (`TeachCourses`,
//! `ManageCourses`; Section::Practice): `/orgs/{org}/practice` (the list,
//! publish or unpublish, delete), `/orgs/{org}/practice/new` and
//! `/orgs/{org}/practice/{id}` (the editor: the scenario, its questions and
//! each question's rubric points). The same services and checks as
//! `/api/v1/orgs/{org}/practice-scenarios*`; the editor only turns the form
//! into the API's body and the service's field errors back into messages
//! next to the fields.
//!
//! The editor works without script: it shows the scenario's questions plus
//! one empty question, and each question's points plus two empty points.
//! Empty slots are ignored when saving; saving gives room for more.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::practice::Difficulty;
use invigil_store::Keyset;

use super::{Section, Staff};
use crate::courses::access::{Caller, EDITORS};
use crate::http::error::{ApiError, FieldError};
use crate::practice::service;
use crate::practice::views::{PracticePointBody, PracticeQuestionBody, ScenarioBody, ScenarioView};
use crate::state::AppState;
use crate::web::errors::{error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

const ROWS: u64 = 200;
/// Empty point slots under each question of the editor.
const SPARE_POINTS: usize = 2;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/practice", get(list_page))
        .route("/orgs/{org}/practice/new", get(new_page).post(create))
        .route("/orgs/{org}/practice/{id}", get(edit_page).post(update))
        .route("/orgs/{org}/practice/{id}/publish", post(publish))
        .route("/orgs/{org}/practice/{id}/delete", post(delete))
}

fn difficulty_label(d: Difficulty) -> &'static str {
    match d {
        Difficulty::Easy => "Easy",
        Difficulty::Medium => "Medium",
        Difficulty::Hard => "Hard",
    }
}

#[derive(Debug)]
pub struct ScenarioRow {
    pub id: Uuid,
    pub href: String,
    pub title: String,
    pub topic: String,
    pub difficulty: &'static str,
    pub questions: usize,
    pub published: bool,
    pub updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/practice.html")]
pub struct ListPage {
    pub layout: Layout,
    pub base: String,
    pub rows: Vec<ScenarioRow>,
    pub notice: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub done: Option<String>,
}

/// `GET /orgs/{org}/practice`.
pub async fn list_page(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let done = query.map(|Query(q)| q.done).unwrap_or_default();
    let caller = match Caller::of(&staff.ctx, EDITORS) {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let base = staff.href("/practice");
    match service::list(&state, &caller, false, Keyset::new(None, ROWS)).await {
        Ok(page) => ListPage {
            layout: staff.layout("Practice scenarios", Section::Practice),
            rows: page
                .items
                .into_iter()
                .map(|v| ScenarioRow {
                    href: format!("{base}/{}", v.id),
                    id: v.id,
                    title: v.title,
                    topic: v.topic,
                    difficulty: difficulty_label(v.difficulty),
                    questions: v.question_count,
                    published: v.published,
                    updated: when(v.updated_at),
                })
                .collect(),
            base,
            notice: match done.as_deref() {
                Some("published") => "The scenario is published: learners can start it.",
                Some("unpublished") => "The scenario is unpublished: learners no longer see it.",
                Some("deleted") => "The scenario is deleted. Past interviews keep their copy.",
                _ => "",
            },
        }
        .into_response(),
        Err(e) => error_page(&e),
    }
}

/// One rubric point slot of the editor.
#[derive(Debug, Clone, Default)]
pub struct PointSlot {
    /// The prefix of its fields' names and ids: `q0_p1`.
    pub key: String,
    pub n: usize,
    pub text: String,
    pub keywords: String,
    pub weight: String,
    pub text_error: Option<String>,
    pub keywords_error: Option<String>,
    pub weight_error: Option<String>,
}

/// One question slot of the editor.
#[derive(Debug, Clone, Default)]
pub struct QuestionSlot {
    /// The prefix of its fields' names and ids: `q0`.
    pub key: String,
    pub n: usize,
    pub prompt: String,
    pub max_score: String,
    pub model_answer: String,
    pub points: Vec<PointSlot>,
    pub prompt_error: Option<String>,
    pub max_score_error: Option<String>,
    pub model_answer_error: Option<String>,
    /// About the points as a whole (none, too many).
    pub points_error: Option<String>,
}

/// One line of the error summary: the message and the field it is about.
#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub href: String,
    pub text: String,
}

/// The editor's fields as typed (the questions still in form order).
#[derive(Debug, Clone, Default)]
pub struct EditorForm {
    pub title: String,
    pub topic: String,
    pub difficulty: String,
    pub published: bool,
    pub questions: Vec<QuestionSlot>,
}

#[derive(Debug)]
pub struct DifficultyOption {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/practice_editor.html")]
pub struct EditorPage {
    pub layout: Layout,
    pub base: String,
    pub heading: String,
    pub action: String,
    pub form: EditorForm,
    pub difficulties: Vec<DifficultyOption>,
    /// Messages by field name (`title`, `topic`, `difficulty`).
    pub errors: HashMap<String, String>,
    pub summary: Vec<SummaryLine>,
    pub saved: bool,
    /// The scenario's id when it exists (publish and delete forms).
    pub id: Option<Uuid>,
}

impl EditorPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

fn point_slot(qi: usize, pj: usize, p: Option<&PracticePointBody>) -> PointSlot {
    PointSlot {
        key: format!("q{qi}_p{pj}"),
        n: pj + 1,
        text: p.map(|p| p.text.clone()).unwrap_or_default(),
        keywords: p.map(|p| p.keywords.join(", ")).unwrap_or_default(),
        weight: p.map_or_else(|| "1".to_owned(), |p| number_text(p.weight)),
        ..PointSlot::default()
    }
}

fn number_text(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// Slots for `questions` plus one empty question, each with its points
/// plus the spare ones.
fn slots(questions: &[PracticeQuestionBody]) -> Vec<QuestionSlot> {
    let mut out: Vec<QuestionSlot> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut points: Vec<PointSlot> = q
                .expected_points
                .iter()
                .enumerate()
                .map(|(j, p)| point_slot(i, j, Some(p)))
                .collect();
            for j in points.len()..points.len() + SPARE_POINTS {
                points.push(point_slot(i, j, None));
            }
            QuestionSlot {
                key: format!("q{i}"),
                n: i + 1,
                prompt: q.prompt.clone(),
                max_score: number_text(q.max_score),
                model_answer: q.model_answer.clone().unwrap_or_default(),
                points,
                ..QuestionSlot::default()
            }
        })
        .collect();
    let i = out.len();
    out.push(QuestionSlot {
        key: format!("q{i}"),
        n: i + 1,
        max_score: "10".to_owned(),
        points: (0..SPARE_POINTS + 1)
            .map(|j| point_slot(i, j, None))
            .collect(),
        ..QuestionSlot::default()
    });
    out
}

fn difficulties() -> Vec<DifficultyOption> {
    Difficulty::ALL
        .iter()
        .map(|d| DifficultyOption {
            value: d.name(),
            label: difficulty_label(*d),
        })
        .collect()
}

fn editor_of(
    staff: &Staff,
    heading: &str,
    action: String,
    form: EditorForm,
    id: Option<Uuid>,
) -> EditorPage {
    EditorPage {
        layout: staff.layout(heading, Section::Practice),
        base: staff.href("/practice"),
        heading: heading.to_owned(),
        action,
        form,
        difficulties: difficulties(),
        errors: HashMap::new(),
        summary: Vec::new(),
        saved: false,
        id,
    }
}

fn form_of(v: &ScenarioView) -> EditorForm {
    EditorForm {
        title: v.title.clone(),
        topic: v.topic.clone(),
        difficulty: v.difficulty.name().to_owned(),
        published: v.published,
        questions: slots(v.questions.as_deref().unwrap_or_default()),
    }
}

/// The form's pairs parsed into the API's body (empty slots dropped, so
/// the service's `questions[i]` is the i-th non-empty question) and the
/// fields that do not parse (`difficulty`).
fn body_of(pairs: &[(String, String)]) -> (ScenarioBody, Vec<FieldError>) {
    let map: HashMap<&str, &str> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let get = |k: &str| map.get(k).copied().unwrap_or("").to_owned();
    let mut bad = Vec::new();
    let difficulty = match Difficulty::parse(get("difficulty").trim()) {
        Some(d) => d,
        None => {
            bad.push(FieldError::new("difficulty", "choose a difficulty"));
            Difficulty::Medium
        }
    };
    // A number as typed; anything else is refused by the service's range
    // check (NaN is never in range).
    let number = |s: &str, empty: f64| {
        let s = s.trim();
        if s.is_empty() {
            empty
        } else {
            s.parse::<f64>().unwrap_or(f64::NAN)
        }
    };
    let mut questions = Vec::new();
    for i in 0.. {
        let q = format!("q{i}");
        if !map.contains_key(format!("{q}_prompt").as_str()) {
            break;
        }
        let mut points = Vec::new();
        for j in 0.. {
            let p = format!("{q}_p{j}");
            if !map.contains_key(format!("{p}_text").as_str()) {
                break;
            }
            let text = get(&format!("{p}_text"));
            let keywords: Vec<String> = get(&format!("{p}_keywords"))
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect();
            if text.trim().is_empty() && keywords.is_empty() {
                continue;
            }
            points.push(PracticePointBody {
                text,
                keywords,
                weight: number(&get(&format!("{p}_weight")), 1.0),
            });
        }
        let prompt = get(&format!("{q}_prompt"));
        let model_answer = get(&format!("{q}_model_answer"));
        if prompt.trim().is_empty() && model_answer.trim().is_empty() && points.is_empty() {
            continue;
        }
        questions.push(PracticeQuestionBody {
            prompt,
            expected_points: points,
            max_score: number(&get(&format!("{q}_max_score")), f64::NAN),
            model_answer: Some(model_answer).filter(|a| !a.trim().is_empty()),
        });
    }
    let body = ScenarioBody {
        title: get("title"),
        topic: get("topic"),
        difficulty,
        published: get("published") == "true",
        questions,
    };
    (body, bad)
}

/// `questions[1].expected_points[0].keywords[2]` → (1, Some(0), "keywords", Some(2)).
fn api_field(field: &str) -> Option<(usize, Option<usize>, String, Option<usize>)> {
    fn index(s: &str, prefix: &str) -> Option<(usize, String)> {
        let rest = s.strip_prefix(prefix)?.strip_prefix('[')?;
        let (n, rest) = rest.split_once(']')?;
        Some((n.parse().ok()?, rest.to_owned()))
    }
    let (qi, rest) = index(field, "questions")?;
    let rest = rest.strip_prefix('.')?;
    if let Some((pj, rest)) = index(rest, "expected_points") {
        let rest = rest.strip_prefix('.')?;
        return match rest.split_once('[') {
            Some((name, k)) => Some((
                qi,
                Some(pj),
                name.to_owned(),
                k.trim_end_matches(']').parse().ok(),
            )),
            None => Some((qi, Some(pj), rest.to_owned(), None)),
        };
    }
    Some((qi, None, rest.to_owned(), None))
}

/// The form again after a refusal: the questions re-laid from `body` (so
/// the service's indexes match the slots) and every message placed by its
/// field, with the summary at the top.
fn refused(mut page: EditorPage, body: &ScenarioBody, errors: Vec<FieldError>) -> Response {
    page.form.questions = slots(&body.questions);
    let mut summary = Vec::new();
    for e in errors {
        let msg = sentence(&e.message);
        match e.field.as_str() {
            "title" | "topic" | "difficulty" => {
                let label = match e.field.as_str() {
                    "title" => "Title",
                    "topic" => "Topic",
                    _ => "Difficulty",
                };
                summary.push(SummaryLine {
                    href: format!("#{}", e.field),
                    text: format!("{label}: {msg}"),
                });
                page.errors.entry(e.field.clone()).or_insert(msg);
            }
            "questions" => summary.push(SummaryLine {
                href: "#q0_prompt".to_owned(),
                text: format!("Questions: {msg}"),
            }),
            other => {
                let Some((qi, pj, name, k)) = api_field(other) else {
                    summary.push(SummaryLine {
                        href: "#page-title".to_owned(),
                        text: format!("{other}: {msg}"),
                    });
                    continue;
                };
                let Some(q) = page.form.questions.get_mut(qi) else {
                    continue;
                };
                let (id, slot, label) = match (pj, name.as_str()) {
                    (None, "prompt") => {
                        (format!("{}_prompt", q.key), &mut q.prompt_error, "question")
                    }
                    (None, "max_score") => (
                        format!("{}_max_score", q.key),
                        &mut q.max_score_error,
                        "maximum score",
                    ),
                    (None, "model_answer") => (
                        format!("{}_model_answer", q.key),
                        &mut q.model_answer_error,
                        "model answer",
                    ),
                    (None, _) => (format!("{}_p0_text", q.key), &mut q.points_error, "points"),
                    (Some(j), field) => {
                        let qn = q.n;
                        let Some(p) = q.points.get_mut(j) else {
                            continue;
                        };
                        let (id, slot) = match field {
                            "text" => (format!("{}_text", p.key), &mut p.text_error),
                            "weight" => (format!("{}_weight", p.key), &mut p.weight_error),
                            _ => (format!("{}_keywords", p.key), &mut p.keywords_error),
                        };
                        let text = match k {
                            Some(k) => format!("Keyword {}: {msg}", k + 1),
                            None => msg.clone(),
                        };
                        summary.push(SummaryLine {
                            href: format!("#{id}"),
                            text: format!("Question {qn}, point {}, {field}: {text}", p.n),
                        });
                        slot.get_or_insert(text);
                        continue;
                    }
                };
                summary.push(SummaryLine {
                    href: format!("#{id}"),
                    text: format!("Question {}, {label}: {msg}", q.n),
                });
                slot.get_or_insert(msg);
            }
        }
    }
    page.summary = summary;
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    pub saved: Option<String>,
}

/// `GET /orgs/{org}/practice/new`.
pub async fn new_page(staff: Staff) -> Response {
    if let Err(e) = Caller::of(&staff.ctx, EDITORS) {
        return error_page(&e);
    }
    let form = EditorForm {
        difficulty: Difficulty::Medium.name().to_owned(),
        questions: slots(&[]),
        ..EditorForm::default()
    };
    editor_of(
        &staff,
        "New practice scenario",
        staff.href("/practice/new"),
        form,
        None,
    )
    .into_response()
}

/// `POST /orgs/{org}/practice/new`.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let caller = match Caller::of(&staff.ctx, EDITORS) {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let (body, bad) = body_of(&form.value);
    let page = editor_of(
        &staff,
        "New practice scenario",
        staff.href("/practice/new"),
        EditorForm {
            title: body.title.clone(),
            topic: body.topic.clone(),
            difficulty: body.difficulty.name().to_owned(),
            published: body.published,
            questions: Vec::new(),
        },
        None,
    );
    let result = if bad.is_empty() {
        service::create(&state, &caller, body.clone()).await
    } else {
        Err(ApiError::Validation(Vec::new()))
    };
    match result {
        Ok(v) => see_other(&staff.href(&format!("/practice/{}?saved=1", v.id))),
        Err(ApiError::Validation(mut errors)) => {
            errors.splice(0..0, bad);
            refused(page, &body, errors)
        }
        Err(e) => error_page(&e),
    }
}

fn parse_id(s: &str) -> Result<Uuid, ApiError> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// `GET /orgs/{org}/practice/{id}`.
pub async fn edit_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    query: Result<Query<EditQuery>, QueryRejection>,
) -> Response {
    let saved = query.is_ok_and(|Query(q)| q.saved.is_some());
    let found = async {
        let caller = Caller::of(&staff.ctx, EDITORS)?;
        let id = parse_id(&id)?;
        service::get(&state, &caller, id).await
    }
    .await;
    match found {
        Ok(v) => {
            let mut page = editor_of(
                &staff,
                &format!("Edit “{}”", v.title),
                staff.href(&format!("/practice/{}", v.id)),
                form_of(&v),
                Some(v.id),
            );
            page.saved = saved;
            page.into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/practice/{id}`.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (caller, id) = match Caller::of(&staff.ctx, EDITORS).and_then(|c| Ok((c, parse_id(&id)?))) {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let (body, bad) = body_of(&form.value);
    let result = if bad.is_empty() {
        service::update(&state, &caller, id, body.clone()).await
    } else {
        // Still 404 for an id that is not one of this organization's.
        match service::get(&state, &caller, id).await {
            Ok(_) => Err(ApiError::Validation(Vec::new())),
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(v) => see_other(&staff.href(&format!("/practice/{}?saved=1", v.id))),
        Err(ApiError::Validation(mut errors)) => {
            errors.splice(0..0, bad);
            let page = editor_of(
                &staff,
                "Edit practice scenario",
                staff.href(&format!("/practice/{id}")),
                EditorForm {
                    title: body.title.clone(),
                    topic: body.topic.clone(),
                    difficulty: body.difficulty.name().to_owned(),
                    published: body.published,
                    questions: Vec::new(),
                },
                Some(id),
            );
            refused(page, &body, errors)
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    pub published: String,
}

/// `POST /orgs/{org}/practice/{id}/publish`: `published=true` publishes,
/// anything else unpublishes (the scenario saved again as it is).
pub async fn publish(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<PublishForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let published = form.value.published == "true";
    let done = async {
        let caller = Caller::of(&staff.ctx, EDITORS)?;
        let id = parse_id(&id)?;
        let v = service::get(&state, &caller, id).await?;
        let body = ScenarioBody {
            title: v.title,
            topic: v.topic,
            difficulty: v.difficulty,
            published,
            questions: v.questions.unwrap_or_default(),
        };
        service::update(&state, &caller, id, body).await
    }
    .await;
    match done {
        Ok(_) => see_other(&staff.href(if published {
            "/practice?done=published"
        } else {
            "/practice?done=unpublished"
        })),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/practice/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let done = async {
        let caller = Caller::of(&staff.ctx, EDITORS)?;
        let id = parse_id(&id)?;
        service::delete(&state, &caller, id).await
    }
    .await;
    match done {
        Ok(()) => see_other(&staff.href("/practice?done=deleted")),
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::{api_field, body_of};

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn service_fields_map_to_the_editor_slots() {
        assert_eq!(
            api_field("questions[1].expected_points[0].keywords[2]"),
            Some((1, Some(0), "keywords".to_owned(), Some(2)))
        );
        assert_eq!(
            api_field("questions[3].max_score"),
            Some((3, None, "max_score".to_owned(), None))
        );
        assert_eq!(
            api_field("questions[0].expected_points"),
            Some((0, None, "expected_points".to_owned(), None))
        );
        assert_eq!(api_field("title"), None);
    }

    #[test]
    fn empty_slots_are_dropped_and_numbers_that_do_not_parse_stay_invalid() {
        let (body, bad) = body_of(&pairs(&[
            ("title", "T"),
            ("topic", "Databases"),
            ("difficulty", "HARD"),
            ("published", "true"),
            ("q0_prompt", ""),
            ("q0_max_score", "10"),
            ("q0_model_answer", ""),
            ("q0_p0_text", ""),
            ("q0_p0_keywords", ""),
            ("q0_p0_weight", "1"),
            ("q1_prompt", "What is an index?"),
            ("q1_max_score", "ten"),
            ("q1_model_answer", ""),
            ("q1_p0_text", ""),
            ("q1_p0_keywords", ""),
            ("q1_p0_weight", "1"),
            ("q1_p1_text", "Speeds up reads"),
            ("q1_p1_keywords", "index*, b-tree|btree ,"),
            ("q1_p1_weight", ""),
        ]));
        assert!(bad.is_empty());
        assert!(body.published);
        assert_eq!(body.questions.len(), 1);
        let q = &body.questions[0];
        assert!(q.max_score.is_nan());
        assert_eq!(q.expected_points.len(), 1);
        assert_eq!(q.expected_points[0].keywords, ["index*", "b-tree|btree"]);
        assert!((q.expected_points[0].weight - 1.0).abs() < f64::EPSILON);
        assert!(q.model_answer.is_none());
        let (_, bad) = body_of(&pairs(&[("difficulty", "TRIVIAL")]));
        assert_eq!(bad[0].field, "difficulty");
    }
}
