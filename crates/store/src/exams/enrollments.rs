//! Enrollments: bulk enrollment, the lists, per-candidate overrides, and
//! the person's own enrollments across organizations.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait, Set};
use uuid::Uuid;

use invigil_domain::exams::{EnrollmentStatus, ExamStatus};

use super::entities::{enrollment, exam};
use super::{Enrollment, Exam, enrollment_by_id};
use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct NewEnrollment {
    pub user_id: Uuid,
    /// INVITED or ACCEPTED.
    pub status: EnrollmentStatus,
    pub extra_time_percent: Option<i32>,
}

/// Enrolls people in an exam in one statement per chunk. Someone already
/// enrolled is left as they are (not an error); returns how many
/// enrollments were created.
pub async fn create_enrollments<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    new: &[NewEnrollment],
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut created = 0;
    for chunk in new.chunks(200) {
        let rows: Vec<enrollment::ActiveModel> = chunk
            .iter()
            .map(|n| enrollment::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(org_id),
                exam_id: Set(exam_id),
                user_id: Set(n.user_id),
                status: Set(n.status),
                attempts_used: Set(0),
                override_window_start: Set(None),
                override_window_end: Set(None),
                override_duration_minutes: Set(None),
                override_max_attempts: Set(None),
                override_extra_time_percent: Set(n.extra_time_percent),
                invited_at: Set(now),
                accepted_at: Set((n.status == EnrollmentStatus::Accepted).then_some(now)),
                completed_at: Set(None),
                updated_at: Set(now),
            })
            .collect();
        created += enrollment::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([enrollment::Column::ExamId, enrollment::Column::UserId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(created)
}

/// Of `user_ids`, those already enrolled in the exam.
pub async fn enrolled_among<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    user_ids: &[Uuid],
) -> StoreResult<Vec<Uuid>> {
    let mut out = Vec::new();
    for chunk in user_ids.chunks(500) {
        out.extend(
            enrollment::Entity::find()
                .filter(enrollment::Column::OrgId.eq(org_id))
                .filter(enrollment::Column::ExamId.eq(exam_id))
                .filter(enrollment::Column::UserId.is_in(chunk.to_vec()))
                .all(conn)
                .await?
                .into_iter()
                .map(|e| e.user_id),
        );
    }
    Ok(out)
}

/// A page of an exam's enrollments by id, optionally of one status.
pub async fn list_enrollments<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    status: Option<EnrollmentStatus>,
    after: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<Enrollment>> {
    let q = enrollment::Entity::find()
        .filter(enrollment::Column::OrgId.eq(org_id))
        .filter(enrollment::Column::ExamId.eq(exam_id))
        .apply_if(status, |q, s| q.filter(enrollment::Column::Status.eq(s)));
    Ok(crate::page::Keyset::new(after, limit)
        .select(q, enrollment::Column::Id, sea_orm::Order::Asc)
        .all(conn)
        .await?)
}

/// One person's enrollment in an exam of the organization.
pub async fn enrollment_in<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Enrollment>> {
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::OrgId.eq(org_id))
        .filter(enrollment::Column::ExamId.eq(exam_id))
        .filter(enrollment::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// Stored per-candidate overrides; `None` everywhere removes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OverrideFields {
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub duration_minutes: Option<i32>,
    pub max_attempts: Option<i32>,
    pub extra_time_percent: Option<i32>,
}

/// Replaces an enrollment's overrides. Returns the updated enrollment.
pub async fn set_overrides<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    enrollment_id: Uuid,
    o: OverrideFields,
    now: DateTime<Utc>,
) -> StoreResult<Enrollment> {
    let res = enrollment::Entity::update_many()
        .col_expr(
            enrollment::Column::OverrideWindowStart,
            Expr::value(o.window_start),
        )
        .col_expr(
            enrollment::Column::OverrideWindowEnd,
            Expr::value(o.window_end),
        )
        .col_expr(
            enrollment::Column::OverrideDurationMinutes,
            Expr::value(o.duration_minutes),
        )
        .col_expr(
            enrollment::Column::OverrideMaxAttempts,
            Expr::value(o.max_attempts),
        )
        .col_expr(
            enrollment::Column::OverrideExtraTimePercent,
            Expr::value(o.extra_time_percent),
        )
        .col_expr(enrollment::Column::UpdatedAt, Expr::value(now))
        .filter(enrollment::Column::Id.eq(enrollment_id))
        .filter(enrollment::Column::OrgId.eq(org_id))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::NotFound);
    }
    enrollment_by_id(conn, org_id, enrollment_id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A page of a person's enrollments across organizations, with their
/// exams, by exam id; exams in `hidden_statuses` (e.g. DRAFT) are left out.
/// For the person's own list only.
pub async fn enrollments_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    hidden_statuses: &[ExamStatus],
    after_exam: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<(Enrollment, Exam)>> {
    let mine = Query::select()
        .column(enrollment::Column::ExamId)
        .from(enrollment::Entity)
        .and_where(enrollment::Column::UserId.eq(user_id))
        .to_owned();
    let mut q = exam::Entity::find().filter(exam::Column::Id.in_subquery(mine));
    if !hidden_statuses.is_empty() {
        q = q.filter(exam::Column::Status.is_not_in(hidden_statuses.iter().copied()));
    }
    let exams = crate::page::Keyset::new(after_exam, limit)
        .select(q, exam::Column::Id, sea_orm::Order::Asc)
        .all(conn)
        .await?;
    if exams.is_empty() {
        return Ok(Vec::new());
    }
    let mut enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::UserId.eq(user_id))
        .filter(enrollment::Column::ExamId.is_in(exams.iter().map(|e| e.id)))
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(exams.len());
    for e in exams {
        if let Some(pos) = enrollments.iter().position(|en| en.exam_id == e.id) {
            out.push((enrollments.swap_remove(pos), e));
        }
    }
    Ok(out)
}

/// The person accepted their invitation: every INVITED enrollment of theirs
/// becomes ACCEPTED. Returns how many changed.
pub async fn accept_invited_enrollments<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(enrollment::Entity::update_many()
        .col_expr(
            enrollment::Column::Status,
            Expr::value(EnrollmentStatus::Accepted),
        )
        .col_expr(enrollment::Column::AcceptedAt, Expr::value(now))
        .col_expr(enrollment::Column::UpdatedAt, Expr::value(now))
        .filter(enrollment::Column::UserId.eq(user_id))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Invited))
        .exec(conn)
        .await?
        .rows_affected)
}
