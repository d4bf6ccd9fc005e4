//! The exam form: `/orgs/{org}/exams/new` and `/orgs/{org}/exams/{exam}/edit`
//! (the services of `POST /orgs/{org}/exams` and `PATCH .../exams/{exam}`),
//! with the draw rules editor. The editor works without script: "Add a
//! rule" and "Remove" are submit buttons (`op`) that send the form back
//! re-rendered with one rule more or less; "Save" sends it to the service,
//! whose errors are shown next to their fields (a rule's next to the rule).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use uuid::Uuid;

use invigil_domain::content::BankStatus;
use invigil_domain::identity::Action;
use invigil_store::{DeptScope, content, exams as exam_store, tenancy};

use super::exams::parse_exam;
use super::{Section, Staff};
use crate::exams::edit::{self, ExamBody};
use crate::exams::service::{load_exam, may_at_all};
use crate::exams::views::DrawRuleBody;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::{FormErrors, error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;

/// Most rules the editor shows (the domain allows 100).
const MAX_RULES: usize = 100;

/// One rule as typed, with its messages.
#[derive(Debug, Clone, Default)]
pub struct RuleRow {
    pub bank: String,
    pub count: String,
    pub difficulty: String,
    /// Comma-separated.
    pub tags: String,
    pub errors: Vec<String>,
}

/// The form's values as typed (so a failed form comes back as it was).
#[derive(Debug, Clone)]
pub struct ExamForm {
    pub title: String,
    pub description: String,
    /// `bank` (every question of one bank) or `draw` (the rules).
    pub source: String,
    pub question_bank_id: String,
    pub rules: Vec<RuleRow>,
    pub duration_minutes: String,
    pub passing_score: String,
    pub max_attempts: String,
    pub start: String,
    pub end: String,
    pub randomize_questions: bool,
    pub randomize_options: bool,
    pub enable_proctoring: bool,
    pub proctoring_sensitivity: String,
    pub exam_type_id: String,
    pub department_id: String,
}

impl Default for ExamForm {
    fn default() -> Self {
        ExamForm {
            title: String::new(),
            description: String::new(),
            source: "draw".into(),
            question_bank_id: String::new(),
            rules: vec![RuleRow {
                count: "10".into(),
                ..RuleRow::default()
            }],
            duration_minutes: "60".into(),
            passing_score: "50".into(),
            max_attempts: "1".into(),
            start: String::new(),
            end: String::new(),
            randomize_questions: true,
            randomize_options: true,
            enable_proctoring: true,
            proctoring_sensitivity: "MEDIUM".into(),
            exam_type_id: String::new(),
            department_id: String::new(),
        }
    }
}

fn local(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A chosen id; a message when it is missing (and `required`) or not an id.
fn uuid(errors: &mut Vec<FieldError>, field: &str, v: &str, required: bool) -> Option<Uuid> {
    let v = v.trim();
    if v.is_empty() {
        if required {
            errors.push(FieldError::new(field, "Choose one."));
        }
        return None;
    }
    v.parse().ok().or_else(|| {
        errors.push(FieldError::new(field, "Choose one of the list."));
        None
    })
}

/// A `datetime-local` value, read as UTC.
fn time(errors: &mut Vec<FieldError>, field: &str, v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .map(|t| t.and_utc())
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                "Enter a date and time like 2027-01-31T09:00.",
            ))
        })
        .ok()
}

impl ExamForm {
    /// The form of an existing exam.
    fn of(e: &crate::exams::views::ExamView) -> ExamForm {
        let id = |v: Option<Uuid>| v.map(|u| u.to_string()).unwrap_or_default();
        let rules = e
            .draw
            .iter()
            .flatten()
            .map(|r| RuleRow {
                bank: r.bank_id.to_string(),
                count: r.count.to_string(),
                difficulty: r.difficulty.clone().unwrap_or_default(),
                tags: r.tags.clone().unwrap_or_default().join(", "),
                errors: Vec::new(),
            })
            .collect::<Vec<_>>();
        ExamForm {
            title: e.title.clone(),
            description: e.description.clone().unwrap_or_default(),
            source: if e.question_bank_id.is_some() {
                "bank".into()
            } else {
                "draw".into()
            },
            question_bank_id: id(e.question_bank_id),
            rules: if rules.is_empty() {
                vec![RuleRow {
                    count: "10".into(),
                    ..RuleRow::default()
                }]
            } else {
                rules
            },
            duration_minutes: e.duration_minutes.to_string(),
            passing_score: e.passing_score.to_string(),
            max_attempts: e.max_attempts.to_string(),
            start: local(e.scheduled_start_at),
            end: local(e.scheduled_end_at),
            randomize_questions: e.randomize_questions,
            randomize_options: e.randomize_options,
            enable_proctoring: e.enable_proctoring,
            proctoring_sensitivity: e.proctoring_sensitivity.name().to_owned(),
            exam_type_id: id(e.exam_type_id),
            department_id: id(e.department_id),
        }
    }

    /// The form from the posted pairs, and the button that sent it.
    fn parse(pairs: &[(String, String)]) -> (ExamForm, String) {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let on = |k: &str| pairs.iter().any(|(n, _)| n == k);
        let n = get("rules")
            .trim()
            .parse::<usize>()
            .unwrap_or(0)
            .min(MAX_RULES);
        let rules = (0..n)
            .map(|i| RuleRow {
                bank: get(&format!("draw_{i}_bank")),
                count: get(&format!("draw_{i}_count")),
                difficulty: get(&format!("draw_{i}_difficulty")),
                tags: get(&format!("draw_{i}_tags")),
                errors: Vec::new(),
            })
            .collect();
        let form = ExamForm {
            title: get("title"),
            description: get("description"),
            source: if get("source") == "bank" {
                "bank".into()
            } else {
                "draw".into()
            },
            question_bank_id: get("question_bank_id"),
            rules,
            duration_minutes: get("duration_minutes"),
            passing_score: get("passing_score"),
            max_attempts: get("max_attempts"),
            start: get("start"),
            end: get("end"),
            randomize_questions: on("randomize_questions"),
            randomize_options: on("randomize_options"),
            enable_proctoring: on("enable_proctoring"),
            proctoring_sensitivity: get("proctoring_sensitivity"),
            exam_type_id: get("exam_type_id"),
            department_id: get("department_id"),
        };
        (form, get("op"))
    }

    /// The service's body, or the fields that are not even well-formed.
    fn body(&self) -> Result<ExamBody, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut int = |field: &str, v: &str| match v.trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                errors.push(FieldError::new(field, "Enter a whole number."));
                0
            }
        };
        let duration_minutes = int("duration_minutes", &self.duration_minutes);
        let passing_score = int("passing_score", &self.passing_score);
        let max_attempts = int("max_attempts", &self.max_attempts);
        let exam_type_id = uuid(&mut errors, "exam_type_id", &self.exam_type_id, false);
        let department_id = uuid(&mut errors, "department_id", &self.department_id, false);
        let (question_bank_id, draw) = if self.source == "bank" {
            (
                uuid(
                    &mut errors,
                    "question_bank_id",
                    &self.question_bank_id,
                    true,
                ),
                None,
            )
        } else {
            let mut rules = Vec::new();
            for (i, r) in self.rules.iter().enumerate() {
                let bank = uuid(&mut errors, &format!("draw[{i}].bank_id"), &r.bank, true);
                let count = match r.count.trim().parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => {
                        errors.push(FieldError::new(
                            format!("draw[{i}].count"),
                            "Enter a whole number.",
                        ));
                        0
                    }
                };
                let tags: Vec<String> = r
                    .tags
                    .split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect();
                rules.push(DrawRuleBody {
                    bank_id: bank.unwrap_or_default(),
                    count,
                    difficulty: Some(r.difficulty.trim().to_owned()).filter(|d| !d.is_empty()),
                    tags: Some(tags),
                });
            }
            (None, Some(rules))
        };
        let scheduled_start_at = time(&mut errors, "scheduled_start_at", &self.start);
        let scheduled_end_at = time(&mut errors, "scheduled_end_at", &self.end);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ExamBody {
            title: self.title.clone(),
            description: Some(self.description.clone()),
            question_bank_id,
            draw,
            duration_minutes,
            passing_score,
            max_attempts,
            scheduled_start_at,
            scheduled_end_at,
            randomize_questions: self.randomize_questions,
            randomize_options: self.randomize_options,
            enable_proctoring: self.enable_proctoring,
            proctoring_sensitivity: Some(self.proctoring_sensitivity.clone()),
            exam_type_id,
            department_id,
        })
    }

    /// Puts each rule's messages next to it; the others stay in `errors`.
    fn place(&mut self, errors: Vec<FieldError>) -> FormErrors {
        let mut out = FormErrors::default();
        for e in errors {
            let message = sentence(&e.message);
            let rule = e.field.strip_prefix("draw[").and_then(|rest| {
                let (i, what) = rest.split_once("].")?;
                Some((i.parse::<usize>().ok()?, what.to_owned()))
            });
            match rule {
                Some((i, what)) if i < self.rules.len() => {
                    let what = match what.split('[').next().unwrap_or("") {
                        "bank_id" => "Bank",
                        "count" => "Questions",
                        "difficulty" => "Difficulty",
                        _ => "Tags",
                    };
                    self.rules[i].errors.push(format!("{what}: {message}"));
                    out.fields
                        .push(FieldError::new(format!("draw[{i}]"), message.clone()));
                }
                _ => out.fields.push(FieldError::new(e.field, message)),
            }
        }
        out
    }
}

/// A choice of a select: (value, label).
pub type Choice = (String, String);

#[derive(Template, WebTemplate)]
#[template(path = "staff/exam_form.html")]
pub struct ExamFormPage {
    pub layout: Layout,
    pub heading: String,
    pub action: String,
    pub cancel: String,
    pub exams_href: String,
    pub form: ExamForm,
    pub errors: FormErrors,
    pub banks: Vec<Choice>,
    pub exam_types: Vec<Choice>,
    pub departments: Vec<Choice>,
    /// A message for screen readers after a rule was added or removed.
    pub status: String,
}

/// The choices of the form: APPROVED banks the caller may read, the exam
/// types, the departments.
async fn choices(
    state: &AppState,
    staff: &Staff,
) -> Result<(Vec<Choice>, Vec<Choice>, Vec<Choice>), ApiError> {
    let db = state.db.read();
    let org = staff.ctx.org_id();
    let banks = match DeptScope::of(staff.ctx.visibility(Action::ReadContent)) {
        Some(scope) => {
            content::list_banks(db, org, &scope, Some(BankStatus::Approved), None, 500).await?
        }
        None => Vec::new(),
    };
    let banks = banks
        .into_iter()
        .map(|b| (b.id.to_string(), b.title))
        .collect();
    let types = exam_store::list_exam_types(db, org, None, 200)
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), format!("{} ({})", t.name, t.code)))
        .collect();
    let depts = tenancy::list_departments(db, org)
        .await?
        .into_iter()
        .map(|d| (d.id.to_string(), d.name))
        .collect();
    Ok((banks, types, depts))
}

#[expect(clippy::too_many_arguments, reason = "one page's parts")]
async fn render(
    state: &AppState,
    staff: &Staff,
    exam: Option<Uuid>,
    form: ExamForm,
    errors: FormErrors,
    status: String,
    code: StatusCode,
    title: &str,
) -> Response {
    let (banks, exam_types, departments) = match choices(state, staff).await {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let (action, cancel) = match exam {
        None => (staff.href("/exams/new"), staff.href("/exams")),
        Some(id) => (
            staff.href(&format!("/exams/{id}/edit")),
            staff.href(&format!("/exams/{id}")),
        ),
    };
    let page = ExamFormPage {
        layout: staff.layout(title, Section::Exams),
        heading: title.to_owned(),
        action,
        cancel,
        exams_href: staff.href("/exams"),
        form,
        errors,
        banks,
        exam_types,
        departments,
        status,
    };
    (code, page).into_response()
}

/// `GET /orgs/{org}/exams/new`.
pub async fn new_exam(State(state): State<AppState>, staff: Staff) -> Response {
    if let Err(e) = may_at_all(&staff.ctx, Action::ManageExams) {
        return error_page(&e);
    }
    render(
        &state,
        &staff,
        None,
        ExamForm::default(),
        FormErrors::default(),
        String::new(),
        StatusCode::OK,
        "New exam",
    )
    .await
}

/// `GET /orgs/{org}/exams/{exam}/edit`.
pub async fn edit_exam(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
) -> Response {
    let Some(id) = parse_exam(&exam) else {
        return error_page(&ApiError::NotFound);
    };
    let view = match load_exam(&state, &staff.ctx, id, Action::ManageExams).await {
        Ok((e, _)) => crate::exams::views::ExamView::try_from(e),
        Err(e) => Err(e),
    };
    let view = match view {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    if !view.status.allows_editing() {
        return error_page(&ApiError::conflict(format!(
            "an exam that is {} cannot be edited",
            view.status
        )));
    }
    render(
        &state,
        &staff,
        Some(id),
        ExamForm::of(&view),
        FormErrors::default(),
        String::new(),
        StatusCode::OK,
        &format!("Edit {}", view.title),
    )
    .await
}

/// `POST /orgs/{org}/exams/new` and `POST .../exams/{exam}/edit`: the
/// editor's buttons, or save.
async fn submit(
    state: AppState,
    staff: Staff,
    exam: Option<Uuid>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (mut data, op) = ExamForm::parse(&form.value);
    let title = match exam {
        None => "New exam".to_owned(),
        Some(_) => format!("Edit {}", data.title.trim()),
    };
    if op == "add_rule" {
        if data.rules.len() < MAX_RULES {
            data.rules.push(RuleRow {
                count: "1".into(),
                ..RuleRow::default()
            });
        }
        data.source = "draw".into();
        let n = data.rules.len();
        let status = format!("Rule {n} added.");
        return render(
            &state,
            &staff,
            exam,
            data,
            FormErrors::default(),
            status,
            StatusCode::OK,
            &title,
        )
        .await;
    }
    if let Some(i) = op
        .strip_prefix("remove_rule_")
        .and_then(|i| i.parse::<usize>().ok())
    {
        if i < data.rules.len() {
            data.rules.remove(i);
        }
        let status = format!("Rule {} removed.", i + 1);
        return render(
            &state,
            &staff,
            exam,
            data,
            FormErrors::default(),
            status,
            StatusCode::OK,
            &title,
        )
        .await;
    }
    let result = match data.body() {
        Err(fields) => Err(ApiError::Validation(fields)),
        Ok(body) => match exam {
            None => edit::create_exam(&state, &staff.ctx, body).await,
            Some(id) => match serde_json::to_value(&body) {
                Ok(patch) => edit::update_exam(&state, &staff.ctx, id, patch).await,
                Err(e) => Err(ApiError::caused_by(e)),
            },
        },
    };
    match result {
        Ok(view) => see_other(&staff.href(&format!("/exams/{}", view.id))),
        Err(ApiError::Validation(list)) => {
            let errors = data.place(list);
            render(
                &state,
                &staff,
                exam,
                data,
                errors,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
                &title,
            )
            .await
        }
        Err(e) => error_page(&e),
    }
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    submit(state, staff, None, form).await
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    match parse_exam(&exam) {
        Some(id) => submit(state, staff, Some(id), form).await,
        None => error_page(&ApiError::NotFound),
    }
}
