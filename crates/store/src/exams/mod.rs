//! Exams persistence: exam types, exams, enrollments. Every function takes
//! the organization, except those a person's own routes use (lookups by exam
//! id and user, the person's own enrollments, accepting an invitation),
//! whose callers act only on that person's rows.

mod enrollments;
pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryTrait, Set,
};
use uuid::Uuid;

use entities::{enrollment, exam, exam_type};
use invigil_domain::exams::{DrawRule, EnrollmentStatus, ExamStatus, Sensitivity};

use crate::content::decode_json;
use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::scope::{DeptScope, by_id_in_org};

pub use enrollment::Model as Enrollment;
pub use exam::Model as Exam;
pub use exam_type::Model as ExamType;

impl Exam {
    /// The stored draw rules (`None` for a fixed-bank exam).
    pub fn draw_rules(&self) -> StoreResult<Option<Vec<DrawRule>>> {
        self.draw_rules
            .as_deref()
            .map(|rules| decode_json("exams", self.id, rules))
            .transpose()
    }
}

pub async fn exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Exam>> {
    Ok(by_id_in_org::<exam::Entity, _>(conn, exam::Column::OrgId, org_id, id).await?)
}

/// The caller's enrollment in an exam.
pub async fn enrollment_of<C: ConnectionTrait>(
    conn: &C,
    exam_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Enrollment>> {
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::ExamId.eq(exam_id))
        .filter(enrollment::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

pub async fn enrollment_by_id<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Enrollment>> {
    Ok(by_id_in_org::<enrollment::Entity, _>(conn, enrollment::Column::OrgId, org_id, id).await?)
}

/// Counts one more attempt if `attempts_used` is still `expected_used`
/// (two parallel starts cannot both take the same attempt); marks the
/// enrollment IN_PROGRESS.
pub async fn take_attempt<C: ConnectionTrait>(
    conn: &C,
    enrollment_id: Uuid,
    expected_used: i32,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = enrollment::Entity::update_many()
        .col_expr(
            enrollment::Column::AttemptsUsed,
            Expr::value(expected_used + 1),
        )
        .col_expr(
            enrollment::Column::Status,
            Expr::value(EnrollmentStatus::InProgress),
        )
        .col_expr(enrollment::Column::UpdatedAt, Expr::value(now))
        .filter(enrollment::Column::Id.eq(enrollment_id))
        .filter(enrollment::Column::AttemptsUsed.eq(expected_used))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Sets an enrollment's status (ACCEPTED when the invitation is taken up,
/// COMPLETED when a session ends).
pub async fn set_enrollment_status<C: ConnectionTrait>(
    conn: &C,
    enrollment_id: Uuid,
    status: EnrollmentStatus,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut upd = enrollment::Entity::update_many()
        .col_expr(enrollment::Column::Status, Expr::value(status))
        .col_expr(enrollment::Column::UpdatedAt, Expr::value(now))
        .filter(enrollment::Column::Id.eq(enrollment_id));
    match status {
        EnrollmentStatus::Accepted => {
            upd = upd.col_expr(enrollment::Column::AcceptedAt, Expr::value(now));
        }
        EnrollmentStatus::Completed => {
            upd = upd.col_expr(enrollment::Column::CompletedAt, Expr::value(now));
        }
        EnrollmentStatus::Invited | EnrollmentStatus::InProgress => {}
    }
    upd.exec(conn).await?;
    Ok(())
}

pub async fn exam_type<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ExamType>> {
    Ok(by_id_in_org::<exam_type::Entity, _>(conn, exam_type::Column::OrgId, org_id, id).await?)
}

/// Marks results released.
pub async fn release_results<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exam::Entity::update_many()
        .col_expr(exam::Column::ResultsReleasedAt, Expr::value(now))
        .col_expr(exam::Column::UpdatedAt, Expr::value(now))
        .filter(exam::Column::Id.eq(exam_id))
        .filter(exam::Column::OrgId.eq(org_id))
        .exec(conn)
        .await?;
    Ok(())
}

// ---- exam types

fn conflict(e: sea_orm::DbErr, what: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(what.to_owned())
    } else {
        e.into()
    }
}

#[derive(Debug, Clone)]
pub struct NewExamType {
    pub code: String,
    pub name: String,
    pub default_weight: f64,
}

/// Creates an exam type; a code already used in the organization is a
/// [`StoreError::Conflict`].
pub async fn create_exam_type<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    new: NewExamType,
    now: DateTime<Utc>,
) -> StoreResult<ExamType> {
    exam_type::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        code: Set(new.code),
        name: Set(new.name),
        default_weight: Set(new.default_weight),
        created_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(|e| conflict(e, "an exam type with this code exists"))
}

/// Sets an exam type's code, name and weight; `None` when it is not in the
/// organization, a code already used there is a [`StoreError::Conflict`].
pub async fn update_exam_type<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
    new: NewExamType,
) -> StoreResult<Option<ExamType>> {
    let Some(current) = exam_type(conn, org_id, id).await? else {
        return Ok(None);
    };
    let mut row: exam_type::ActiveModel = current.into();
    row.code = Set(new.code);
    row.name = Set(new.name);
    row.default_weight = Set(new.default_weight);
    Ok(Some(row.update(conn).await.map_err(|e| {
        conflict(e, "an exam type with this code exists")
    })?))
}

/// How many exams of the organization use the exam type.
pub async fn exams_of_type<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(exam::Entity::find()
        .filter(exam::Column::OrgId.eq(org_id))
        .filter(exam::Column::ExamTypeId.eq(id))
        .count(conn)
        .await?)
}

/// Deletes an exam type (the caller checked that no exam uses it).
pub async fn delete_exam_type<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<bool> {
    let r = exam_type::Entity::delete_many()
        .filter(exam_type::Column::OrgId.eq(org_id))
        .filter(exam_type::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Every exam type of the organization, by code (an organization has a
/// handful: USMLE steps, shelf exams, quizzes).
pub async fn exam_types_of_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
) -> StoreResult<Vec<ExamType>> {
    use sea_orm::QueryOrder;
    Ok(exam_type::Entity::find()
        .filter(exam_type::Column::OrgId.eq(org_id))
        .order_by_asc(exam_type::Column::Code)
        .all(conn)
        .await?)
}

pub async fn list_exam_types<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<ExamType>> {
    let q = exam_type::Entity::find().filter(exam_type::Column::OrgId.eq(org_id));
    Ok(crate::page::Keyset::new(after, limit)
        .select(q, exam_type::Column::Id, sea_orm::Order::Asc)
        .all(conn)
        .await?)
}

// ---- exams

/// Every field of an exam its coordinator sets (on create and edit).
#[derive(Debug, Clone, PartialEq)]
pub struct ExamFields {
    pub department_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub question_bank_id: Option<Uuid>,
    /// Validated draw rules (stored as a JSON array).
    pub draw_rules: Option<Vec<DrawRule>>,
    pub duration_minutes: i32,
    pub passing_score: i32,
    pub max_attempts: i32,
    pub scheduled_start_at: Option<DateTime<Utc>>,
    pub scheduled_end_at: Option<DateTime<Utc>>,
    pub randomize_questions: bool,
    pub randomize_options: bool,
    pub enable_proctoring: bool,
    pub proctoring_sensitivity: Sensitivity,
    pub exam_type_id: Option<Uuid>,
}

fn draw_json(rules: Option<&[DrawRule]>) -> Option<String> {
    rules.map(|r| serde_json::to_string(r).unwrap_or_else(|_| "[]".into()))
}

pub async fn create_exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    f: ExamFields,
    status: ExamStatus,
    created_by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Exam> {
    Ok(exam::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        department_id: Set(f.department_id),
        title: Set(f.title),
        description: Set(f.description),
        status: Set(status),
        question_bank_id: Set(f.question_bank_id),
        draw_rules: Set(draw_json(f.draw_rules.as_deref())),
        duration_minutes: Set(f.duration_minutes),
        passing_score: Set(f.passing_score),
        max_attempts: Set(f.max_attempts),
        scheduled_start_at: Set(f.scheduled_start_at),
        scheduled_end_at: Set(f.scheduled_end_at),
        randomize_questions: Set(f.randomize_questions),
        randomize_options: Set(f.randomize_options),
        enable_proctoring: Set(f.enable_proctoring),
        proctoring_sensitivity: Set(f.proctoring_sensitivity),
        exam_type_id: Set(f.exam_type_id),
        results_released_at: Set(None),
        created_by: Set(created_by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?)
}

/// Replaces an exam's fields if it is still in `expected_status` (an edit
/// racing with a lifecycle change loses). Returns the updated exam.
pub async fn update_exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
    expected_status: ExamStatus,
    f: ExamFields,
    now: DateTime<Utc>,
) -> StoreResult<Exam> {
    let res = exam::Entity::update_many()
        .col_expr(exam::Column::DepartmentId, Expr::value(f.department_id))
        .col_expr(exam::Column::Title, Expr::value(f.title))
        .col_expr(exam::Column::Description, Expr::value(f.description))
        .col_expr(
            exam::Column::QuestionBankId,
            Expr::value(f.question_bank_id),
        )
        .col_expr(
            exam::Column::DrawRules,
            Expr::value(draw_json(f.draw_rules.as_deref())),
        )
        .col_expr(
            exam::Column::DurationMinutes,
            Expr::value(f.duration_minutes),
        )
        .col_expr(exam::Column::PassingScore, Expr::value(f.passing_score))
        .col_expr(exam::Column::MaxAttempts, Expr::value(f.max_attempts))
        .col_expr(
            exam::Column::ScheduledStartAt,
            Expr::value(f.scheduled_start_at),
        )
        .col_expr(
            exam::Column::ScheduledEndAt,
            Expr::value(f.scheduled_end_at),
        )
        .col_expr(
            exam::Column::RandomizeQuestions,
            Expr::value(f.randomize_questions),
        )
        .col_expr(
            exam::Column::RandomizeOptions,
            Expr::value(f.randomize_options),
        )
        .col_expr(
            exam::Column::EnableProctoring,
            Expr::value(f.enable_proctoring),
        )
        .col_expr(
            exam::Column::ProctoringSensitivity,
            Expr::value(f.proctoring_sensitivity),
        )
        .col_expr(exam::Column::ExamTypeId, Expr::value(f.exam_type_id))
        .col_expr(exam::Column::UpdatedAt, Expr::value(now))
        .filter(exam::Column::Id.eq(id))
        .filter(exam::Column::OrgId.eq(org_id))
        .filter(exam::Column::Status.eq(expected_status))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Conflict(
            "the exam changed meanwhile; reload it".into(),
        ));
    }
    exam(conn, org_id, id).await?.ok_or(StoreError::NotFound)
}

/// A page of the organization's exams by id, limited to `scope`'s
/// departments and optionally to one status.
pub async fn list_exams<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    scope: &DeptScope,
    status: Option<ExamStatus>,
    after: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<Exam>> {
    let q = exam::Entity::find()
        .filter(exam::Column::OrgId.eq(org_id))
        .apply_if(status, |q, s| q.filter(exam::Column::Status.eq(s)));
    let q = scope.filter(q, exam::Column::DepartmentId);
    Ok(crate::page::Keyset::new(after, limit)
        .select(q, exam::Column::Id, sea_orm::Order::Asc)
        .all(conn)
        .await?)
}

/// Moves an exam from `from` to `to` if it is still in `from` (so two
/// concurrent transitions cannot both win). Returns the updated exam.
pub async fn transition_exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
    from: ExamStatus,
    to: ExamStatus,
    now: DateTime<Utc>,
) -> StoreResult<Exam> {
    let res = exam::Entity::update_many()
        .col_expr(exam::Column::Status, Expr::value(to))
        .col_expr(exam::Column::UpdatedAt, Expr::value(now))
        .filter(exam::Column::Id.eq(id))
        .filter(exam::Column::OrgId.eq(org_id))
        .filter(exam::Column::Status.eq(from))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Conflict(
            "the exam changed meanwhile; reload it".into(),
        ));
    }
    exam(conn, org_id, id).await?.ok_or(StoreError::NotFound)
}

pub use enrollments::{
    NewEnrollment, OverrideFields, accept_invited_enrollments, create_enrollments, enrolled_among,
    enrollment_in, enrollments_of_user, list_enrollments, set_overrides,
};

/// How many exams (any status) belong to `department_id`: a department
/// with exams cannot be deleted.
pub async fn exams_in_department<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    department_id: Uuid,
) -> StoreResult<u64> {
    Ok(exam::Entity::find()
        .filter(exam::Column::OrgId.eq(org_id))
        .filter(exam::Column::DepartmentId.eq(department_id))
        .count(conn)
        .await?)
}
