//! Exam services: exam types, exams with their settings and lifecycle (an
//! exam is fed only by APPROVED banks, checked again when it opens),
//! per-candidate overrides and the candidate's own list. Every change runs
//! in one transaction with its audit entry. Enrollment itself is in
//! [`super::enroll`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::Difficulty;
use invigil_domain::delivery::draw::{CandidateQuestion, DrawOptions, Selection, draw_questions};
use invigil_domain::exams::{
    DrawRuleInput, ExamAction, ExamSettings, ExamSettingsInput, ExamStatus, QuestionSource,
    Sensitivity, transition,
};
use invigil_domain::identity::{Action, Visibility};
use invigil_store::content::{self, DeptScope};
use invigil_store::exams::{self, Exam, ExamFields, NewExamType};
use invigil_store::tenancy;

use super::views::{DrawRuleBody, ExamTypeView, ExamView, draw_of};
use super::{settings_of, status_of};
use crate::audit;
use crate::authz::{Authorized, OrgCtx};
use crate::content::views::parse_body;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};
use crate::wire;

/// Parses a JSON value into `T`, naming the failing field (422).
pub fn from_value<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, ApiError> {
    crate::http::extract::parse_json(v.to_string().as_bytes())
}

/// 403 unless the caller may do `action` in some department at least; the
/// exact check on the resource's department follows once it is known.
pub fn may_at_all(ctx: &OrgCtx, action: Action) -> Result<(), ApiError> {
    match ctx.visibility(action) {
        Visibility::Nothing => Err(ApiError::Forbidden),
        _ => Ok(()),
    }
}

fn clean_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} printable characters"),
        ));
    }
    v.to_owned()
}

// ---- exam types

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateExamTypeBody {
    /// Unique in the organization: 1 to 50 of letters, digits, `_`, `-`, `.`.
    pub code: String,
    pub name: String,
    /// 0 to 1000.
    pub default_weight: f64,
}

pub async fn create_exam_type(
    state: &AppState,
    auth: &Authorized,
    body: CreateExamTypeBody,
) -> Result<ExamTypeView, ApiError> {
    let mut errors = Vec::new();
    let code = body.code.trim().to_owned();
    if code.is_empty()
        || code.chars().count() > 50
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        errors.push(FieldError::new(
            "code",
            "must be 1 to 50 of letters, digits, '_', '-' and '.'",
        ));
    }
    let name = clean_text("name", &body.name, 200, &mut errors);
    if !body.default_weight.is_finite() || !(0.0..=1000.0).contains(&body.default_weight) {
        errors.push(FieldError::new(
            "default_weight",
            "must be a number from 0 to 1000",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let t = exams::create_exam_type(
        &tx,
        auth.org_id,
        NewExamType {
            code,
            name,
            default_weight: body.default_weight,
        },
        now,
    )
    .await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "exam_type.created",
        ("exam_type", Some(t.id.to_string())),
        serde_json::json!({ "code": t.code, "name": t.name, "default_weight": t.default_weight }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(t.into())
}

// ---- exams

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
    fn of(e: &Exam) -> ExamBody {
        ExamBody {
            title: e.title.clone(),
            description: e.description.clone(),
            question_bank_id: e.question_bank_id,
            draw: draw_of(e),
            duration_minutes: i64::from(e.duration_minutes),
            passing_score: i64::from(e.passing_score),
            max_attempts: i64::from(e.max_attempts),
            scheduled_start_at: e.scheduled_start_at,
            scheduled_end_at: e.scheduled_end_at,
            randomize_questions: e.randomize_questions,
            randomize_options: e.randomize_options,
            enable_proctoring: e.enable_proctoring,
            proctoring_sensitivity: Some(e.proctoring_sensitivity.clone()),
            exam_type_id: e.exam_type_id,
            department_id: e.department_id,
        }
    }
}

pub(crate) fn domain_errors(
    errors: &mut Vec<FieldError>,
    errs: Vec<invigil_domain::exams::FieldError>,
) {
    errors.extend(
        errs.into_iter()
            .map(|e| FieldError::new(e.field, e.message)),
    );
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
        Some(s) => {
            wire::parse::<Sensitivity>(&s.trim().to_ascii_uppercase()).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "proctoring_sensitivity",
                    "must be LOW, MEDIUM or HIGH",
                ));
                Sensitivity::default()
            })
        }
    };
    let draw = body.draw.map(|rules| {
        rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| DrawRuleInput {
                bank_id: r.bank_id,
                count: r.count,
                // Difficulties compare exactly with the questions' wire names.
                difficulty: r.difficulty.map(|d| match Difficulty::parse(&d) {
                    Some(d) => d.as_str().to_owned(),
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
    let mut seen: HashMap<Uuid, Option<String>> = HashMap::new();
    for (field, id) in refs {
        let status = match seen.get(&id) {
            Some(s) => s.clone(),
            None => {
                let s = content::bank(state.db.read(), org_id, id)
                    .await?
                    .filter(|b| readable.includes(b.department_id))
                    .map(|b| b.status);
                seen.insert(id, s.clone());
                s
            }
        };
        match status.as_deref() {
            None => errors.push(FieldError::new(
                field,
                "no such question bank in this organization",
            )),
            Some("APPROVED") => {}
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
    if let Some(d) = body.department_id
        && tenancy::department(state.db.read(), org_id, d)
            .await?
            .is_none()
    {
        errors.push(FieldError::new(
            "department_id",
            "no such department in this organization",
        ));
    }
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
        QuestionSource::Draw { rules } => (
            None,
            Some(serde_json::to_string(rules).map_err(ApiError::internal)?),
        ),
    };
    Ok(ExamFields {
        department_id,
        title,
        description,
        question_bank_id,
        draw_rules,
        duration_minutes: i32::try_from(s.duration_minutes).map_err(ApiError::internal)?,
        passing_score: i32::from(s.passing_score),
        max_attempts: i32::try_from(s.max_attempts).map_err(ApiError::internal)?,
        scheduled_start_at: s.window.start,
        scheduled_end_at: s.window.end,
        randomize_questions: s.randomize_questions,
        randomize_options: s.randomize_options,
        enable_proctoring: s.enable_proctoring,
        proctoring_sensitivity: wire::name(&s.proctoring_sensitivity),
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
        &wire::name(&ExamStatus::Draft),
        auth.actor.user_id,
        now,
    )
    .await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "exam.created",
        ("exam", Some(exam.id.to_string())),
        serde_json::json!({
            "title": exam.title,
            "question_bank_id": exam.question_bank_id,
            "draw": draw_of(&exam),
        }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(exam.into())
}

/// Loads an exam of the organization and checks `action` on its department.
pub async fn load_exam(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    action: Action,
) -> Result<(Exam, Authorized), ApiError> {
    let exam = exams::exam(state.db.read(), ctx.org_id(), exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let auth = ctx.authorize_in(action, exam.department_id)?;
    Ok((exam, auth))
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
    let status = status_of(&exam)?;
    if !status.allows_editing() {
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
        && s.as_str() != Some(exam.status.as_str())
    {
        return Err(ApiError::field(
            "status",
            "use the lifecycle actions (schedule, open, close, cancel, archive)",
        ));
    }
    let mut merged = serde_json::to_value(ExamBody::of(&exam)).map_err(ApiError::internal)?;
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
    let updated = exams::update_exam(&tx, auth.org_id, exam.id, &exam.status, fields, now).await?;
    let changed: Vec<&String> = patch.keys().filter(|k| *k != "status").collect();
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "exam.updated",
        ("exam", Some(exam.id.to_string())),
        serde_json::json!({ "title": updated.title, "fields": changed }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(updated.into())
}

/// Checks at `open` that the exam's banks are still APPROVED and that a
/// session could be served: the draw rules can be satisfied (or the fixed
/// bank has questions).
async fn check_source(state: &AppState, org_id: Uuid, exam: &Exam) -> Result<(), ApiError> {
    let settings = settings_of(exam)?;
    let mut bank_ids: Vec<Uuid> = match &settings.source {
        QuestionSource::Bank { question_bank_id } => vec![*question_bank_id],
        QuestionSource::Draw { rules } => rules.iter().map(|r| r.bank_id).collect(),
    };
    bank_ids.sort();
    bank_ids.dedup();
    let mut pool = Vec::new();
    for id in bank_ids {
        let bank = content::bank(state.db.read(), org_id, id)
            .await?
            .ok_or_else(|| ApiError::conflict(format!("question bank {id} no longer exists")))?;
        if bank.status != "APPROVED" {
            return Err(ApiError::conflict(format!(
                "question bank \"{}\" is {}; only APPROVED banks can feed an exam",
                bank.title, bank.status
            )));
        }
        for (row, v) in content::active_questions(state.db.read(), org_id, id).await? {
            let Some(q) = parse_body(&v) else { continue };
            pool.push(CandidateQuestion {
                id: row.id,
                bank_id: id,
                difficulty: q.difficulty().as_str().to_owned(),
                tags: q.tags().to_vec(),
                option_count: q.options().len(),
            });
        }
    }
    let fixed: Vec<Uuid>;
    let selection = match &settings.source {
        QuestionSource::Bank { .. } => {
            fixed = pool.iter().map(|q| q.id).collect();
            Selection::Fixed(&fixed)
        }
        QuestionSource::Draw { rules } => Selection::Draw(rules),
    };
    draw_questions(0, &pool, selection, DrawOptions::default())
        .map(|_| ())
        .map_err(|e| ApiError::conflict(format!("the exam cannot open: {e}")))
}

/// The lifecycle: schedule, open, close, cancel, archive.
pub async fn act_on_exam(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    action: ExamAction,
) -> Result<ExamView, ApiError> {
    let (exam, auth) = load_exam(state, ctx, exam_id, Action::ManageExams).await?;
    let from = status_of(&exam)?;
    let to = transition(from, action).map_err(|_| {
        ApiError::conflict(format!(
            "cannot {} an exam that is {}",
            action.as_path_segment(),
            exam.status
        ))
    })?;
    if action == ExamAction::Open {
        check_source(state, auth.org_id, &exam).await?;
    }
    let now = state.now();
    let tx = begin(state).await?;
    let updated = exams::transition_exam(
        &tx,
        auth.org_id,
        exam.id,
        &wire::name(&from),
        &wire::name(&to),
        now,
    )
    .await?;
    let audit_action = match action {
        ExamAction::Schedule => "exam.scheduled",
        ExamAction::Open => "exam.opened",
        ExamAction::Close => "exam.closed",
        ExamAction::Cancel => "exam.cancelled",
        ExamAction::Archive => "exam.archived",
    };
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        audit_action,
        ("exam", Some(exam.id.to_string())),
        serde_json::json!({ "from": wire::name(&from), "to": wire::name(&to) }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(updated.into())
}

/// Scope of the exam list for the caller.
pub fn exam_scope(ctx: &OrgCtx) -> Result<DeptScope, ApiError> {
    match ctx.visibility(Action::ReadExams) {
        Visibility::All => Ok(DeptScope::All),
        Visibility::Departments(ds) => Ok(DeptScope::Only(ds)),
        Visibility::Nothing => Err(ApiError::Forbidden),
    }
}
