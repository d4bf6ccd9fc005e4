//! Exams persistence: exam types, exams, enrollments. Every function takes
//! the organization, except the two lookups a candidate's own routes use
//! (by exam id and user), whose callers check the enrollment.

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use entities::{enrollment, exam, exam_type};

use crate::error::StoreResult;

pub use enrollment::Model as Enrollment;
pub use exam::Model as Exam;
pub use exam_type::Model as ExamType;

pub async fn exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Exam>> {
    Ok(exam::Entity::find_by_id(id)
        .filter(exam::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// An exam by id in any organization: only for callers that then check the
/// caller's own enrollment in it.
pub async fn exam_for_enrolled<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> StoreResult<Option<Exam>> {
    Ok(exam::Entity::find_by_id(id).one(conn).await?)
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
    Ok(enrollment::Entity::find_by_id(id)
        .filter(enrollment::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
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
        .col_expr(enrollment::Column::Status, Expr::value("IN_PROGRESS"))
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
    status: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut upd = enrollment::Entity::update_many()
        .col_expr(enrollment::Column::Status, Expr::value(status))
        .col_expr(enrollment::Column::UpdatedAt, Expr::value(now))
        .filter(enrollment::Column::Id.eq(enrollment_id));
    match status {
        "ACCEPTED" => upd = upd.col_expr(enrollment::Column::AcceptedAt, Expr::value(now)),
        "COMPLETED" => upd = upd.col_expr(enrollment::Column::CompletedAt, Expr::value(now)),
        _ => {}
    }
    upd.exec(conn).await?;
    Ok(())
}

pub async fn exam_type<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ExamType>> {
    Ok(exam_type::Entity::find_by_id(id)
        .filter(exam_type::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

pub async fn exam_types_by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<Uuid>,
) -> StoreResult<Vec<ExamType>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(exam_type::Entity::find()
        .filter(exam_type::Column::Id.is_in(ids))
        .all(conn)
        .await?)
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
