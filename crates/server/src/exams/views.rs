//! JSON shapes of exam types, exams, enrollments and the candidate's own
//! list of exams.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::exams::{DrawRule, EnrollmentStatus, ExamStatus, Sensitivity};
use invigil_store::exams::{Enrollment, Exam, ExamType};
use invigil_store::identity::users::User;

use crate::http::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamTypeView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub default_weight: f64,
    pub created_at: DateTime<Utc>,
}

impl From<ExamType> for ExamTypeView {
    fn from(t: ExamType) -> Self {
        ExamTypeView {
            id: t.id,
            code: t.code,
            name: t.name,
            default_weight: t.default_weight,
            created_at: t.created_at,
        }
    }
}

/// One draw rule: `count` questions from `bank_id`, optionally only of
/// `difficulty` (EASY, MEDIUM, HARD) and carrying all of `tags`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct DrawRuleBody {
    pub bank_id: Uuid,
    pub count: i64,
    pub difficulty: Option<String>,
    pub tags: Option<Vec<String>>,
}

impl From<DrawRule> for DrawRuleBody {
    fn from(r: DrawRule) -> Self {
        DrawRuleBody {
            bank_id: r.bank_id,
            count: i64::from(r.count),
            difficulty: r.difficulty,
            tags: Some(r.tags),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamView {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    /// DRAFT, SCHEDULED, ACTIVE, COMPLETED, CANCELLED or ARCHIVED.
    #[schema(value_type = String)]
    pub status: ExamStatus,
    pub department_id: Option<Uuid>,
    /// Fixed source: every active question of this bank.
    pub question_bank_id: Option<Uuid>,
    /// Draw source: the rules, or `null` for a fixed bank.
    pub draw: Option<Vec<DrawRuleBody>>,
    pub duration_minutes: i32,
    /// Percent.
    pub passing_score: i32,
    pub max_attempts: i32,
    pub scheduled_start_at: Option<DateTime<Utc>>,
    pub scheduled_end_at: Option<DateTime<Utc>>,
    pub randomize_questions: bool,
    pub randomize_options: bool,
    pub enable_proctoring: bool,
    /// LOW, MEDIUM or HIGH.
    #[schema(value_type = String)]
    pub proctoring_sensitivity: Sensitivity,
    pub exam_type_id: Option<Uuid>,
    pub results_released_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The stored draw rules in the API shape.
pub fn draw_of(e: &Exam) -> Result<Option<Vec<DrawRuleBody>>, ApiError> {
    Ok(e.draw_rules()?
        .map(|rules| rules.into_iter().map(DrawRuleBody::from).collect()))
}

impl TryFrom<Exam> for ExamView {
    type Error = ApiError;

    fn try_from(e: Exam) -> Result<Self, ApiError> {
        Ok(ExamView {
            draw: draw_of(&e)?,
            id: e.id,
            title: e.title,
            description: e.description,
            status: e.status,
            department_id: e.department_id,
            question_bank_id: e.question_bank_id,
            duration_minutes: e.duration_minutes,
            passing_score: e.passing_score,
            max_attempts: e.max_attempts,
            scheduled_start_at: e.scheduled_start_at,
            scheduled_end_at: e.scheduled_end_at,
            randomize_questions: e.randomize_questions,
            randomize_options: e.randomize_options,
            enable_proctoring: e.enable_proctoring,
            proctoring_sensitivity: e.proctoring_sensitivity,
            exam_type_id: e.exam_type_id,
            results_released_at: e.results_released_at,
            created_by: e.created_by,
            created_at: e.created_at,
            updated_at: e.updated_at,
        })
    }
}

/// Per-candidate overrides; `null` means the exam's own value applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OverridesView {
    pub window_start_at: Option<DateTime<Utc>>,
    pub window_end_at: Option<DateTime<Utc>>,
    pub duration_minutes: Option<i32>,
    pub max_attempts: Option<i32>,
    pub extra_time_percent: Option<i32>,
}

impl From<&Enrollment> for OverridesView {
    fn from(en: &Enrollment) -> Self {
        OverridesView {
            window_start_at: en.override_window_start,
            window_end_at: en.override_window_end,
            duration_minutes: en.override_duration_minutes,
            max_attempts: en.override_max_attempts,
            extra_time_percent: en.override_extra_time_percent,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentView {
    pub id: Uuid,
    pub exam_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    /// INVITED, ACCEPTED, IN_PROGRESS or COMPLETED.
    #[schema(value_type = String)]
    pub status: EnrollmentStatus,
    pub attempts_used: i32,
    pub overrides: OverridesView,
    pub invited_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The best graded attempt, once one is graded (in the list).
    pub result: Option<EnrollmentResult>,
}

/// The result of a candidate's best graded attempt, as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrollmentResult {
    pub session_id: Uuid,
    pub final_score: Option<f64>,
    pub max_score: f64,
    pub percent: f64,
    /// A confirmed integrity violation fails the attempt.
    pub passed: bool,
}

impl EnrollmentView {
    pub fn new(en: Enrollment, user: Option<&User>) -> EnrollmentView {
        EnrollmentView {
            overrides: OverridesView::from(&en),
            id: en.id,
            exam_id: en.exam_id,
            user_id: en.user_id,
            email: user.map(|u| u.email.clone()).unwrap_or_default(),
            name: user.map(|u| u.name.clone()).unwrap_or_default(),
            status: en.status,
            attempts_used: en.attempts_used,
            invited_at: en.invited_at,
            accepted_at: en.accepted_at,
            completed_at: en.completed_at,
            updated_at: en.updated_at,
            result: None,
        }
    }
}

/// One of the caller's own exams (`GET /me/exams`), with the values that
/// apply to them (their overrides applied).
#[derive(Debug, Serialize, ToSchema)]
pub struct MyExamView {
    pub exam_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    /// The organization's slug.
    pub org: String,
    pub org_name: String,
    /// The exam's status: SCHEDULED, ACTIVE, COMPLETED, CANCELLED or ARCHIVED.
    #[schema(value_type = String)]
    pub exam_status: ExamStatus,
    /// The enrollment's status: INVITED, ACCEPTED, IN_PROGRESS or COMPLETED.
    #[schema(value_type = String)]
    pub status: EnrollmentStatus,
    /// The window in which a session may start (`null`: unbounded).
    pub window_start_at: Option<DateTime<Utc>>,
    pub window_end_at: Option<DateTime<Utc>>,
    pub duration_minutes: u32,
    /// Extra time granted (the enrollment's override, else the candidate
    /// profile's).
    pub extra_time_percent: Option<u32>,
    pub max_attempts: u32,
    pub attempts_used: u32,
    pub attempts_left: u32,
    pub enable_proctoring: bool,
    pub results_released: bool,
}

/// An exam edit (OpenAPI shape only; the handler merges the given fields
/// into the current exam and validates the result like a new exam). Naming
/// `question_bank_id` clears `draw` and the other way round; `status` is
/// accepted only when it equals the exam's (use the lifecycle actions).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExamPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub question_bank_id: Option<Uuid>,
    pub draw: Option<Vec<DrawRuleBody>>,
    /// 1 to 1440.
    pub duration_minutes: Option<i64>,
    /// Percent, 0 to 100.
    pub passing_score: Option<i64>,
    /// 1 to 100.
    pub max_attempts: Option<i64>,
    pub scheduled_start_at: Option<DateTime<Utc>>,
    pub scheduled_end_at: Option<DateTime<Utc>>,
    pub randomize_questions: Option<bool>,
    pub randomize_options: Option<bool>,
    pub enable_proctoring: Option<bool>,
    /// LOW, MEDIUM or HIGH.
    pub proctoring_sensitivity: Option<String>,
    pub exam_type_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub status: Option<String>,
}
