//! The question editor (all seven types), its live preview and the
//! comparison of two versions of a question, side by side by field.
//!
//! The form maps onto the API's question body (`{type, text, options,
//! correct_answer, points, difficulty, tags, explanation}`); saving calls
//! the API's create or edit service, so every save of a change is a new
//! version, validated by the domain; its field errors come back next to
//! the fields. The preview answers the candidate's shape of the question
//! (`ServedQuestionView`: Markdown rendered by the same sanitizer), which
//! `assets/editor.js` draws with the exam page's own `question-view.js`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{Difficulty, QuestionType, count_blanks, render_markdown_safe};
use invigil_domain::identity::Action;

use super::banks::{excerpt, not_found, path_id, read_bank, type_label};
use super::{Section, Staff};
use crate::content::questions as service;
use crate::content::routes as api;
use crate::content::views::{QuestionView, VersionView};
use crate::http::error::{ApiError, FieldError};
use crate::http::extract::ApiPath;
use crate::state::AppState;
use crate::web::errors::{FormErrors, error_page, form_error, form_invalid};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

/// The form's fields that carry messages.
const FIELDS: [&str; 8] = [
    "type",
    "text",
    "options",
    "correct_answer",
    "points",
    "difficulty",
    "tags",
    "explanation",
];

/// The seven types, as the select offers them.
const TYPES: [(&str, &str); 7] = [
    ("single_choice", "Single choice"),
    ("multiple_select", "Multiple select"),
    ("true_false", "True or false"),
    ("short_answer", "Short answer"),
    ("numeric", "Numeric"),
    ("fill_blank", "Fill in the blanks"),
    ("essay", "Essay"),
];

/// The editor's form: one text field per part of the question; the answer
/// key has one group of fields per type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuestionForm {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    /// One option per line (Markdown).
    pub options: String,
    /// single_choice: the number of the correct option (1 = the first).
    pub correct_option: String,
    /// multiple_select: the numbers of the correct options, e.g. `1, 3`.
    pub correct_options: String,
    /// true_false: `true` or `false`.
    pub correct_bool: String,
    /// short_answer: one accepted answer per line.
    pub accepted: String,
    /// short_answer: `on` when checked.
    pub case_sensitive: String,
    pub numeric_value: String,
    pub numeric_tolerance: String,
    /// fill_blank: one line per blank, its accepted answers separated by `|`.
    pub blanks: String,
    pub points: String,
    pub difficulty: String,
    /// Comma-separated.
    pub tags: String,
    pub explanation: String,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(n: f64) -> String {
    format!("{n}")
}

impl QuestionForm {
    /// The question type chosen, single choice when none (or an unknown one).
    fn question_type(&self) -> QuestionType {
        QuestionType::parse(self.kind.trim()).unwrap_or(QuestionType::SingleChoice)
    }

    /// The API body of the form, or the fields that are not even numbers.
    pub fn to_body(&self) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        let Some(qt) = QuestionType::parse(self.kind.trim()) else {
            return Err(vec![FieldError::new("type", "choose a question type")]);
        };
        let points = if self.points.trim().is_empty() {
            1.0
        } else {
            self.points.trim().parse::<f64>().unwrap_or_else(|_| {
                errors.push(FieldError::new("points", "must be a number, e.g. 1 or 2.5"));
                1.0
            })
        };
        let difficulty = if self.difficulty.trim().is_empty() {
            Difficulty::Medium
        } else {
            Difficulty::parse_input(&self.difficulty).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "difficulty",
                    "must be easy, medium or hard",
                ));
                Difficulty::Medium
            })
        };
        let index = |s: &str| s.trim().parse::<usize>().ok().filter(|n| *n >= 1);
        let key_error = |errors: &mut Vec<FieldError>, msg: &str| {
            errors.push(FieldError::new("correct_answer", msg));
            Value::Null
        };
        let key = match qt {
            QuestionType::SingleChoice => match index(&self.correct_option) {
                Some(n) => json!({ "option": n - 1 }),
                None => key_error(
                    &mut errors,
                    "give the number of the correct option (1 for the first)",
                ),
            },
            QuestionType::MultipleSelect => {
                let picked: Option<Vec<usize>> = self
                    .correct_options
                    .split([',', ' ', ';'])
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| index(s).map(|n| n - 1))
                    .collect();
                match picked {
                    Some(p) if !p.is_empty() => json!({ "options": p }),
                    _ => key_error(
                        &mut errors,
                        "give the numbers of the correct options, e.g. 1, 3",
                    ),
                }
            }
            QuestionType::TrueFalse => match self.correct_bool.trim() {
                "true" => json!({ "value": true }),
                "false" => json!({ "value": false }),
                _ => key_error(&mut errors, "choose true or false"),
            },
            QuestionType::ShortAnswer => json!({
                "accepted": lines(&self.accepted),
                "case_sensitive": matches!(self.case_sensitive.as_str(), "on" | "true"),
            }),
            QuestionType::Numeric => {
                let value = self.numeric_value.trim().parse::<f64>().ok();
                let tolerance = if self.numeric_tolerance.trim().is_empty() {
                    Some(0.0)
                } else {
                    self.numeric_tolerance.trim().parse::<f64>().ok()
                };
                match (value, tolerance) {
                    (Some(v), Some(t)) => json!({ "value": v, "tolerance": t }),
                    (None, _) => key_error(&mut errors, "the correct value must be a number"),
                    (_, None) => key_error(&mut errors, "the tolerance must be a number, e.g. 0.5"),
                }
            }
            QuestionType::FillBlank => {
                let blanks: Vec<Vec<String>> = lines(&self.blanks)
                    .iter()
                    .map(|l| {
                        l.split('|')
                            .map(str::trim)
                            .filter(|a| !a.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .collect();
                json!({ "blanks": blanks })
            }
            QuestionType::Essay => Value::Null,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let tags: Vec<String> = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(json!({
            "type": qt.name(),
            "text": self.text,
            "options": if qt.has_options() { json!(lines(&self.options)) } else { Value::Null },
            "correct_answer": key,
            "points": points,
            "difficulty": difficulty.name(),
            "tags": tags,
            "explanation": Some(self.explanation.trim()).filter(|e| !e.is_empty()),
        }))
    }

    /// The form of a stored question (the API shape of a version).
    pub fn from_stored(q: &Value) -> QuestionForm {
        let s = |k: &str| q.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let key = q.get("correct_answer").cloned().unwrap_or(Value::Null);
        let kind = s("type");
        let mut f = QuestionForm {
            text: s("text"),
            options: q
                .get("options")
                .and_then(Value::as_array)
                .map(|o| {
                    o.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            points: q
                .get("points")
                .and_then(Value::as_f64)
                .map(number)
                .unwrap_or_default(),
            difficulty: s("difficulty"),
            tags: q
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            explanation: s("explanation"),
            ..QuestionForm::default()
        };
        match kind.as_str() {
            "single_choice" => {
                if let Some(n) = key.get("option").and_then(Value::as_u64) {
                    f.correct_option = (n + 1).to_string();
                }
            }
            "multiple_select" => {
                f.correct_options = key
                    .get("options")
                    .and_then(Value::as_array)
                    .map(|o| {
                        o.iter()
                            .filter_map(Value::as_u64)
                            .map(|n| (n + 1).to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
            }
            "true_false" => {
                if let Some(b) = key.get("value").and_then(Value::as_bool) {
                    f.correct_bool = b.to_string();
                }
            }
            "short_answer" => {
                f.accepted = strings(key.get("accepted")).join("\n");
                if key.get("case_sensitive").and_then(Value::as_bool) == Some(true) {
                    f.case_sensitive = "on".into();
                }
            }
            "numeric" => {
                f.numeric_value = key
                    .get("value")
                    .and_then(Value::as_f64)
                    .map(number)
                    .unwrap_or_default();
                f.numeric_tolerance = key
                    .get("tolerance")
                    .and_then(Value::as_f64)
                    .map(number)
                    .unwrap_or_default();
            }
            "fill_blank" => {
                f.blanks = key
                    .get("blanks")
                    .and_then(Value::as_array)
                    .map(|b| {
                        b.iter()
                            .map(|alts| strings(Some(alts)).join(" | "))
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default();
            }
            _ => {}
        }
        f.kind = kind;
        f
    }

    /// What the candidate would be served (`ServedQuestionView`'s shape),
    /// for the preview; nothing is validated.
    pub fn preview(&self) -> Value {
        let qt = self.question_type();
        let options: Vec<String> = lines(&self.options);
        let blanks = count_blanks(&self.text);
        let points = self
            .points
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p > 0.0)
            .unwrap_or(1.0);
        let mut v = json!({
            "id": "preview",
            "position": 1,
            "type": qt.name(),
            "text": self.text,
            "text_html": render_markdown_safe(&self.text),
            "points": points,
        });
        if let Value::Object(m) = &mut v {
            if qt.has_options() {
                m.insert(
                    "options_html".into(),
                    json!(
                        options
                            .iter()
                            .map(|o| render_markdown_safe(o))
                            .collect::<Vec<_>>()
                    ),
                );
                m.insert("options".into(), json!(options));
            }
            if blanks > 0 {
                m.insert("blanks".into(), json!(blanks));
            }
        }
        v
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The service's field paths (`options.2`, `correct_answer.option`) as the
/// form's fields, the index said in the message.
fn to_form_fields(e: ApiError) -> ApiError {
    let ApiError::Validation(list) = e else {
        return e;
    };
    ApiError::Validation(
        list.into_iter()
            .map(|f| {
                let (head, tail) = f.field.split_once('.').unwrap_or((f.field.as_str(), ""));
                let nth = tail.parse::<usize>().ok().map(|i| i + 1);
                let (field, message) = match (head, nth) {
                    ("options", Some(n)) => ("options", format!("option {n}: {}", f.message)),
                    ("tags", Some(n)) => ("tags", format!("tag {n}: {}", f.message)),
                    ("correct_answer", _) => {
                        let part = tail.split('.').next().unwrap_or("");
                        let word = match part {
                            "option" => "the correct option",
                            "options" => "the correct options",
                            "value" => "the correct value",
                            "tolerance" => "the tolerance",
                            "accepted" => "the accepted answers",
                            "blanks" => "the blanks",
                            _ => "",
                        };
                        let message = if word.is_empty() {
                            f.message.clone()
                        } else {
                            format!("{word}: {}", f.message)
                        };
                        ("correct_answer", message)
                    }
                    (h, _) if FIELDS.contains(&h) => (h, f.message.clone()),
                    _ => return f,
                };
                FieldError::new(field, message)
            })
            .collect(),
    )
}

/// One version in the editor's list.
#[derive(Debug)]
pub struct VersionRow {
    pub version: i32,
    pub created: String,
    pub by: String,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/question.html")]
pub struct EditorPage {
    pub layout: Layout,
    pub banks_href: String,
    pub bank_href: String,
    pub bank_title: String,
    /// Where the form posts.
    pub action: String,
    pub heading: String,
    pub form: QuestionForm,
    pub types: Vec<(&'static str, &'static str)>,
    pub editable: bool,
    pub saved: Option<i32>,
    pub versions: Vec<VersionRow>,
    pub diff_href: String,
    pub preview_href: String,
    pub errors: FormErrors,
}

async fn editor(
    state: &AppState,
    staff: &Staff,
    bank_id: Uuid,
    question: Option<Uuid>,
) -> Result<EditorPage, ApiError> {
    let bank = read_bank(state, staff, bank_id).await?;
    let bank_href = staff.href(&format!("/banks/{bank_id}"));
    let (form, versions, heading, action) = match question {
        Some(id) => {
            let Json(q) = api::get_question(
                State(state.clone()),
                staff.ctx.clone(),
                ApiPath((staff.slug().to_owned(), bank_id, id)),
            )
            .await?;
            let Json(vs) = api::list_versions(
                State(state.clone()),
                staff.ctx.clone(),
                ApiPath((staff.slug().to_owned(), bank_id, id)),
            )
            .await?;
            let current = vs.items.iter().find(|v| v.version == q.version);
            let form = current
                .map(|v| QuestionForm::from_stored(&v.question))
                .unwrap_or_else(|| QuestionForm::from_stored(&view_json(&q)));
            let mut ids: Vec<Uuid> = vs.items.iter().map(|v| v.created_by).collect();
            ids.sort_unstable();
            ids.dedup();
            let people = invigil_store::identity::users::by_ids(state.db.read(), ids).await?;
            let name_of = |id: Uuid| {
                people
                    .iter()
                    .find(|u| u.id == id)
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| "A former member".to_owned())
            };
            let rows = vs
                .items
                .iter()
                .rev()
                .map(|v: &VersionView| VersionRow {
                    version: v.version,
                    created: when(v.created_at),
                    by: name_of(v.created_by),
                    current: v.version == q.version,
                })
                .collect();
            let heading = format!("Question: {}", excerpt(&q.text, 50));
            (form, rows, heading, format!("{bank_href}/questions/{id}"))
        }
        None => (
            QuestionForm {
                kind: "single_choice".into(),
                points: "1".into(),
                difficulty: "MEDIUM".into(),
                ..QuestionForm::default()
            },
            Vec::new(),
            "New question".to_owned(),
            format!("{bank_href}/questions"),
        ),
    };
    Ok(EditorPage {
        layout: staff.layout(&heading, Section::Banks),
        banks_href: staff.href("/banks"),
        diff_href: format!("{action}/diff"),
        preview_href: format!("{bank_href}/preview"),
        bank_href,
        bank_title: bank.title,
        action,
        heading,
        form,
        types: TYPES.to_vec(),
        editable: staff.may(Action::AuthorContent) && bank.status.is_editable(),
        saved: None,
        versions,
        errors: FormErrors::default(),
    })
}

fn view_json(q: &QuestionView) -> Value {
    json!({
        "type": q.question_type.name(),
        "text": q.text,
        "options": q.options,
        "correct_answer": q.correct_answer,
        "points": q.points,
        "difficulty": q.difficulty.name(),
        "tags": q.tags,
        "explanation": q.explanation,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct EditorQuery {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub saved: Option<i32>,
}

/// `GET /orgs/{org}/banks/{bank}/questions/new`.
pub async fn new_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank)): Path<(String, String)>,
    q: Query<EditorQuery>,
) -> Response {
    let Some(bank) = path_id(&bank) else {
        return not_found();
    };
    match editor(&state, &staff, bank, None).await {
        Ok(mut p) => {
            if let Some(kind) = q.0.kind.filter(|k| QuestionType::parse(k).is_some()) {
                p.form.kind = kind;
            }
            p.into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// `GET /orgs/{org}/banks/{bank}/questions/{id}`.
pub async fn edit_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank, id)): Path<(String, String, String)>,
    q: Query<EditorQuery>,
) -> Response {
    let (Some(bank), Some(id)) = (path_id(&bank), path_id(&id)) else {
        return not_found();
    };
    match editor(&state, &staff, bank, Some(id)).await {
        Ok(mut p) => {
            p.saved = q.0.saved;
            p.into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// The editor again with what was typed and the messages.
async fn redo(
    state: &AppState,
    staff: &Staff,
    bank: Uuid,
    question: Option<Uuid>,
    form: QuestionForm,
    e: Result<ApiError, Vec<FieldError>>,
) -> Response {
    let mut page = match editor(state, staff, bank, question).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    page.form = form;
    match e {
        Ok(e) => form_error(to_form_fields(e), &FIELDS, |errors| {
            page.errors = errors;
            page
        }),
        Err(fields) => form_invalid(fields, |errors| {
            page.errors = errors;
            page
        }),
    }
}

/// `POST /orgs/{org}/banks/{bank}/questions`: the API's create.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank)): Path<(String, String)>,
    form: WebForm<QuestionForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Some(bank) = path_id(&bank) else {
        return not_found();
    };
    let f = form.value;
    let body = match f.to_body() {
        Ok(b) => b,
        Err(fields) => return redo(&state, &staff, bank, None, f, Err(fields)).await,
    };
    match service::create_question(&state, &staff.ctx, bank, body).await {
        Ok(q) => see_other(&staff.href(&format!(
            "/banks/{bank}/questions/{}?saved={}",
            q.id, q.version
        ))),
        Err(e) => redo(&state, &staff, bank, None, f, Ok(e)).await,
    }
}

/// `POST /orgs/{org}/banks/{bank}/questions/{id}`: the API's edit (a new
/// version when something changed).
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank, id)): Path<(String, String, String)>,
    form: WebForm<QuestionForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (Some(bank), Some(id)) = (path_id(&bank), path_id(&id)) else {
        return not_found();
    };
    let f = form.value;
    let body = match f.to_body() {
        Ok(b) => b,
        Err(fields) => return redo(&state, &staff, bank, Some(id), f, Err(fields)).await,
    };
    match service::update_question(&state, &staff.ctx, bank, id, body).await {
        Ok(q) => {
            see_other(&staff.href(&format!("/banks/{bank}/questions/{id}?saved={}", q.version)))
        }
        Err(e) => redo(&state, &staff, bank, Some(id), f, Ok(e)).await,
    }
}

/// `POST /orgs/{org}/banks/{bank}/questions/{id}/retire`: the API's
/// delete (the question is retired, its versions kept), back to the bank.
pub async fn retire(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank, id)): Path<(String, String, String)>,
    form: WebForm<QuestionForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (Some(bank), Some(id)) = (path_id(&bank), path_id(&id)) else {
        return not_found();
    };
    match service::retire_question(&state, &staff.ctx, bank, id).await {
        Ok(()) => see_other(&staff.href(&format!("/banks/{bank}?done=retired"))),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/banks/{bank}/preview` (editor.js, CSRF header): the
/// candidate's view of the form's question, as JSON.
pub async fn preview(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank)): Path<(String, String)>,
    form: WebForm<QuestionForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Some(bank) = path_id(&bank) else {
        return not_found();
    };
    if let Err(e) = read_bank(&state, &staff, bank).await {
        return error_page(&e);
    }
    Json(form.value.preview()).into_response()
}

// ---- the comparison of two versions

/// One field of the comparison.
#[derive(Debug)]
pub struct DiffRow {
    pub field: String,
    pub a: String,
    pub b: String,
    pub changed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/diff.html")]
pub struct DiffPage {
    pub layout: Layout,
    pub banks_href: String,
    pub bank_href: String,
    pub bank_title: String,
    pub question_href: String,
    pub action: String,
    pub versions: Vec<(i32, String)>,
    pub a: i32,
    pub b: i32,
    pub rows: Vec<DiffRow>,
    pub changes: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct DiffQuery {
    pub a: Option<i32>,
    pub b: Option<i32>,
}

/// The answer key of a stored question in words.
fn key_words(q: &Value) -> String {
    let key = q.get("correct_answer").cloned().unwrap_or(Value::Null);
    let f = QuestionForm::from_stored(q);
    match q.get("type").and_then(Value::as_str).unwrap_or("") {
        "single_choice" => format!("Option {}", f.correct_option),
        "multiple_select" => format!("Options {}", f.correct_options),
        "true_false" => if f.correct_bool == "true" {
            "True"
        } else {
            "False"
        }
        .to_owned(),
        "short_answer" => format!(
            "{} ({})",
            strings(key.get("accepted")).join(" | "),
            if f.case_sensitive == "on" {
                "case-sensitive"
            } else {
                "any case"
            }
        ),
        "numeric" => format!(
            "{} ± {}",
            f.numeric_value,
            if f.numeric_tolerance.is_empty() {
                "0"
            } else {
                &f.numeric_tolerance
            }
        ),
        "fill_blank" => f
            .blanks
            .lines()
            .enumerate()
            .map(|(i, l)| format!("Blank {}: {l}", i + 1))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => "None (graded by a person)".to_owned(),
    }
}

/// The fields of two versions, side by side.
fn diff_rows(a: &Value, b: &Value) -> Vec<DiffRow> {
    let fa = QuestionForm::from_stored(a);
    let fb = QuestionForm::from_stored(b);
    let mut rows = Vec::new();
    let mut push = |field: String, x: String, y: String| {
        let changed = x != y;
        rows.push(DiffRow {
            field,
            a: x,
            b: y,
            changed,
        });
    };
    push(
        "Type".into(),
        type_label(&fa.kind).into(),
        type_label(&fb.kind).into(),
    );
    push("Text".into(), fa.text.clone(), fb.text.clone());
    let oa = lines(&fa.options);
    let ob = lines(&fb.options);
    for i in 0..oa.len().max(ob.len()) {
        push(
            format!("Option {}", i + 1),
            oa.get(i).cloned().unwrap_or_default(),
            ob.get(i).cloned().unwrap_or_default(),
        );
    }
    push("Correct answer".into(), key_words(a), key_words(b));
    push("Points".into(), fa.points.clone(), fb.points.clone());
    push(
        "Difficulty".into(),
        fa.difficulty.clone(),
        fb.difficulty.clone(),
    );
    push("Tags".into(), fa.tags.clone(), fb.tags.clone());
    push(
        "Explanation or rubric".into(),
        fa.explanation.clone(),
        fb.explanation.clone(),
    );
    rows
}

/// `GET /orgs/{org}/banks/{bank}/questions/{id}/diff?a=&b=`: two versions
/// side by side (by default the one before the current and the current).
pub async fn diff(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, bank, id)): Path<(String, String, String)>,
    q: Query<DiffQuery>,
) -> Response {
    let (Some(bank_id), Some(id)) = (path_id(&bank), path_id(&id)) else {
        return not_found();
    };
    let bank = match read_bank(&state, &staff, bank_id).await {
        Ok(b) => b,
        Err(e) => return error_page(&e),
    };
    let vs = match api::list_versions(
        State(state.clone()),
        staff.ctx.clone(),
        ApiPath((staff.slug().to_owned(), bank_id, id)),
    )
    .await
    {
        Ok(Json(p)) => p.items,
        Err(e) => return error_page(&e),
    };
    let last = vs.iter().map(|v| v.version).max().unwrap_or(1);
    let b = q.0.b.unwrap_or(last);
    let a = q.0.a.unwrap_or((b - 1).max(1));
    let (Some(va), Some(vb)) = (
        vs.iter().find(|v| v.version == a),
        vs.iter().find(|v| v.version == b),
    ) else {
        return error_page(&ApiError::NotFound);
    };
    let rows = diff_rows(&va.question, &vb.question);
    let bank_href = staff.href(&format!("/banks/{bank_id}"));
    let question_href = format!("{bank_href}/questions/{id}");
    DiffPage {
        layout: staff.layout(&format!("Compare versions {a} and {b}"), Section::Banks),
        banks_href: staff.href("/banks"),
        bank_title: bank.title,
        action: format!("{question_href}/diff"),
        versions: vs.iter().map(|v| (v.version, when(v.created_at))).collect(),
        changes: rows.iter().filter(|r| r.changed).count(),
        rows,
        a,
        b,
        bank_href,
        question_href,
    }
    .into_response()
}
