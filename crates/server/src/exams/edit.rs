//! Exams: create and edit. A body is validated into stored fields (the
//! domain's settings rules, then every reference: APPROVED banks the caller
//! may read, the exam type, the department), all problems at once.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::{BankStatus, Difficulty};
use invigil_domain::exams::{
    DrawRuleInput, ExamSettings, ExamSettingsInput, ExamStatus, QuestionSource, Sensitivity,
};
use invigil_domain::identity::Action;
use invigil_store::content;
use invigil_store::exams::{self, Exam, ExamFields};

use super::service::{clean_text, domain_errors, from_value, load_exam};
use super::views::{DrawRuleBody, ExamView, draw_of};
use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::content::service::check_department;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// `POST /orgs/{org}/exams`; also the shape an edit is merged into.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ExamBody {
    pub title: String,
    pub description: Option<String>,
    /// Every active question of this APPROVED bank; or give `draw`.
    pub question_bank_id: Option<Uuid>,
    /// Draw rules over APPROVED banks; or give `question_bank_id`.
    pub draw: Option<Vec<DrawRuleBody>>,
    /// 1 to 1440.
    pub duration_minutes: i64,
    /// Percent, 0 to 100.
    pub passing_score: i64,
    /// 1 to 100.
    pub max_attempts: i64,
    pub scheduled_start_at: Option<chrono::DateTime<chrono::Utc>>,
    pub scheduled_end_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pub randomize_questions: bool,
    #[serde(default)]
    pub randomize_options: bool,
    #[serde(default)]
    pub enable_proctoring: bool,
    /// LOW, MEDIUM (default) or HIGH.
    pub proctoring_sensitivity: Option<String>,
    pub exam_type_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
}

/// The fields an edit may name.
const EXAM_FIELDS: [&str; 16] = [
    "title",
    "description",
    "question_bank_id",
    "draw",
    "duration_minutes",
    "passing_score",
    "max_attempts",
    "scheduled_start_at",
    "scheduled_end_at",
    "randomize_questions",
    "randomize_options",
    "enable_proctoring",
    "proctoring_sensitivity",
    "exam_type_id",
    "department_id",
    // Accepted for symmetry with the view; must match the exam's status.
    "status",
];

impl ExamBody {
    fn of(e: &Exam) -> Result<ExamBody, ApiError> {
        Ok(ExamBody {
            title: e.title.clone(),
            description: e.description.clone(),
            question_bank_id: e.question_bank_id,
            draw: draw_of(e)?,
            duration_minutes: i64::from(e.duration_minutes),
            passing_score: i64::from(e.passing_score),
            max_attempts: i64::from(e.max_attempts),
            scheduled_start_at: e.scheduled_start_at,
            scheduled_end_at: e.scheduled_end_at,
            randomize_questions: e.randomize_questions,
            randomize_options: e.randomize_options,
            enable_proctoring: e.enable_proctoring,
            proctoring_sensitivity: Some(e.proctoring_sensitivity.name().to_owned()),
            exam_type_id: e.exam_type_id,
            department_id: e.department_id,
        })
    }
}

/// Validates a body into stored fields: the domain rules, then every
/// reference (banks of this organization, APPROVED, and readable by the
/// caller; exam type; department). All problems are reported at once.
///
/// A bank the caller may not read (`ReadContent` in the bank's department)
/// is reported exactly like a bank that does not exist (422 on the field),
/// so an exam cannot be fed from, nor reveal, another department's banks.
async fn prepare(state: &AppState, ctx: &OrgCtx, body: ExamBody) -> Result<ExamFields, ApiError> {
    let org_id = ctx.org_id();
    let readable = ctx.visibility(Action::ReadContent);
    let mut errors = Vec::new();
    let title = clean_text("title", &body.title, 300, &mut errors);
    let description = body
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 20_000)
    {
        errors.push(FieldError::new("description", "at most 20000 characters"));
    }
    let sensitivity = match body.proctoring_sensitivity.as_deref() {
        None => Sensitivity::default(),
        Some(s) => Sensitivity::parse(&s.trim().to_ascii_uppercase()).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "proctoring_sensitivity",
                "must be LOW, MEDIUM or HIGH",
            ));
            Sensitivity::default()
        }),
    };
    let draw = body.draw.map(|rules| {
        rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| DrawRuleInput {
                bank_id: r.bank_id,
                count: r.count,
                // Difficulties compare exactly with the questions' wire names.
                difficulty: r.difficulty.map(|d| match Difficulty::parse_input(&d) {
                    Some(d) => d.name().to_owned(),
                    None => {
                        if !d.trim().is_empty() {
                            errors.push(FieldError::new(
                                format!("draw[{i}].difficulty"),
                                "must be EASY, MEDIUM or HARD",
                            ));
                        }
                        d
                    }
                }),
                tags: r.tags,
            })
            .collect::<Vec<_>>()
    });
    let input = ExamSettingsInput {
        duration_minutes: body.duration_minutes,
        passing_score: body.passing_score,
        max_attempts: body.max_attempts,
        scheduled_start_at: body.scheduled_start_at,
        scheduled_end_at: body.scheduled_end_at,
        question_bank_id: body.question_bank_id,
        draw,
        randomize_questions: body.randomize_questions,
        randomize_options: body.randomize_options,
        enable_proctoring: body.enable_proctoring,
        proctoring_sensitivity: sensitivity,
    };
    let settings = match input.validate() {
        Ok(s) => Some(s),
        Err(errs) => {
            domain_errors(&mut errors, errs);
            None
        }
    };
    // Every referenced bank: of this organization, readable, and APPROVED.
    let refs: Vec<(String, Uuid)> = match (&input.question_bank_id, &input.draw) {
        (Some(b), _) => vec![("question_bank_id".to_owned(), *b)],
        (None, Some(rules)) => rules
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("draw[{i}].bank_id"), r.bank_id))
            .collect(),
        (None, None) => Vec::new(),
    };
    let mut seen: HashMap<Uuid, Option<BankStatus>> = HashMap::new();
    for (field, id) in refs {
        let status = match seen.get(&id) {
            Some(s) => *s,
            None => {
                let s = content::bank(state.db.read(), org_id, id)
                    .await?
                    .filter(|b| readable.includes(b.department_id))
                    .map(|b| b.status);
                seen.insert(id, s);
                s
            }
        };
        match status {
            None => errors.push(FieldError::new(
                field,
                "no such question bank in this organization",
            )),
            Some(BankStatus::Approved) => {}
            Some(other) => errors.push(FieldError::new(
                field,
                format!("only APPROVED banks can feed an exam; this bank is {other}"),
            )),
        }
    }
    if let Some(t) = body.exam_type_id
        && exams::exam_type(state.db.read(), org_id, t)
            .await?
            .is_none()
    {
        errors.push(FieldError::new(
            "exam_type_id",
            "no such exam type in this organization",
        ));
    }
    check_department(state, org_id, body.department_id, &mut errors).await?;
    match settings {
        Some(s) if errors.is_empty() => Ok(fields_of(
            s,
            title,
            description,
            body.exam_type_id,
            body.department_id,
        )?),
        _ => Err(ApiError::Validation(errors)),
    }
}

fn fields_of(
    s: ExamSettings,
    title: String,
    description: Option<String>,
    exam_type_id: Option<Uuid>,
    department_id: Option<Uuid>,
) -> Result<ExamFields, ApiError> {
    let (question_bank_id, draw_rules) = match &s.source {
        QuestionSource::Bank { question_bank_id } => (Some(*question_bank_id), None),
        QuestionSource::Draw { rules } => (None, Some(rules.clone())),
    };
    Ok(ExamFields {
        department_id,
        title,
        description,
        question_bank_id,
        draw_rules,
        duration_minutes: i32::try_from(s.duration_minutes).map_err(ApiError::caused_by)?,
        passing_score: i32::from(s.passing_score),
        max_attempts: i32::try_from(s.max_attempts).map_err(ApiError::caused_by)?,
        scheduled_start_at: s.window.start,
        scheduled_end_at: s.window.end,
        randomize_questions: s.randomize_questions,
        randomize_options: s.randomize_options,
        enable_proctoring: s.enable_proctoring,
        proctoring_sensitivity: s.proctoring_sensitivity,
        exam_type_id,
    })
}

pub async fn create_exam(
    state: &AppState,
    ctx: &OrgCtx,
    body: ExamBody,
) -> Result<ExamView, ApiError> {
    let auth = ctx.authorize_in(Action::ManageExams, body.department_id)?;
    let fields = prepare(state, ctx, body).await?;
    let now = state.now();
    let tx = begin(state).await?;
    let exam = exams::create_exam(
        &tx,
        auth.org_id,
        fields,
        ExamStatus::Draft,
        auth.actor.user_id,
        now,
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ExamCreated,
            exam.id,
            json!({
                "title": exam.title,
                "question_bank_id": exam.question_bank_id,
                "draw": draw_of(&exam)?,
            }),
        )
        .await?;
    commit(tx).await?;
    exam.try_into()
}

/// Applies a partial edit (DRAFT or SCHEDULED exams): the given fields
/// replace the current ones and the result is validated like a new exam.
/// Giving `question_bank_id` replaces `draw` and the other way round.
pub async fn update_exam(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    patch: serde_json::Value,
) -> Result<ExamView, ApiError> {
    let (exam, auth) = load_exam(state, ctx, exam_id, Action::ManageExams).await?;
    if !exam.status.allows_editing() {
        return Err(ApiError::conflict(format!(
            "an exam that is {} cannot be edited",
            exam.status
        )));
    }
    let serde_json::Value::Object(patch) = patch else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    if let Some(k) = patch.keys().find(|k| !EXAM_FIELDS.contains(&k.as_str())) {
        return Err(ApiError::field(k.clone(), "unknown field"));
    }
    if let Some(s) = patch.get("status")
        && s.as_str() != Some(exam.status.name())
    {
        return Err(ApiError::field(
            "status",
            "use the lifecycle actions (schedule, open, close, cancel, archive)",
        ));
    }
    let mut merged = serde_json::to_value(ExamBody::of(&exam)?).map_err(ApiError::caused_by)?;
    if let serde_json::Value::Object(m) = &mut merged {
        let names_bank = patch.get("question_bank_id").is_some_and(|v| !v.is_null());
        let names_draw = patch.get("draw").is_some_and(|v| !v.is_null());
        if names_bank && !names_draw {
            m.insert("draw".into(), serde_json::Value::Null);
        }
        if names_draw && !names_bank {
            m.insert("question_bank_id".into(), serde_json::Value::Null);
        }
        for (k, v) in &patch {
            if k != "status" {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    let body: ExamBody = from_value(&merged)?;
    if body.department_id != exam.department_id {
        // Moving an exam needs the right in the target department too.
        let _also_there = ctx.authorize_in(Action::ManageExams, body.department_id)?;
    }
    let fields = prepare(state, ctx, body).await?;
    let now = state.now();
    let tx = begin(state).await?;
    let updated = exams::update_exam(&tx, auth.org_id, exam.id, exam.status, fields, now).await?;
    let changed: Vec<&String> = patch.keys().filter(|k| *k != "status").collect();
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ExamUpdated,
            exam.id,
            json!({ "title": updated.title, "fields": changed }),
        )
        .await?;
    commit(tx).await?;
    updated.try_into()
}
