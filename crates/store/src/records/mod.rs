//! Student records persistence (seed 003): results recorded outside Invigil,
//! per candidate and exam type ([`ExternalResult`], table
//! `external_results`), and the reads that gather a candidate's record
//! across exam types: their graded sessions in exams that have a type.
//! Every function takes the organization.

pub mod entities;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use entities::external_result;
use invigil_domain::delivery::session::DeliveryStatus;

use crate::delivery::Session;
use crate::delivery::entities::session;
use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::exams::Exam;
use crate::exams::entities::exam;
use crate::page::{Keyset, KeysetPage};
use crate::scope::by_id_in_org;

pub use external_result::Model as ExternalResult;

/// What staff record of an external result.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalInput {
    pub exam_type_id: Uuid,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub passed: Option<bool>,
    pub taken_on: NaiveDate,
    pub source: String,
    pub notes: Option<String>,
}

const SAME_DAY: &str = "this candidate already has a result of this exam type on that date";

fn conflict(e: sea_orm::DbErr) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(SAME_DAY.to_owned())
    } else {
        e.into()
    }
}

/// Records an external result; one on the same candidate, type and date is
/// a [`StoreError::Conflict`].
pub async fn insert_external<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    input: &ExternalInput,
    recorded_by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<ExternalResult> {
    external_result::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        user_id: Set(user_id),
        exam_type_id: Set(input.exam_type_id),
        score: Set(input.score),
        max_score: Set(input.max_score),
        passed: Set(input.passed),
        taken_on: Set(input.taken_on),
        source: Set(input.source.clone()),
        notes: Set(input.notes.clone()),
        recorded_by: Set(recorded_by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(conflict)
}

/// The result of the candidate, type and date of `input`, if recorded.
pub async fn external_on<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    exam_type_id: Uuid,
    taken_on: NaiveDate,
) -> StoreResult<Option<ExternalResult>> {
    Ok(external_result::Entity::find()
        .filter(external_result::Column::OrgId.eq(org_id))
        .filter(external_result::Column::UserId.eq(user_id))
        .filter(external_result::Column::ExamTypeId.eq(exam_type_id))
        .filter(external_result::Column::TakenOn.eq(taken_on))
        .one(conn)
        .await?)
}

/// Replaces the recorded fields of a result (the candidate stays).
pub async fn update_external<C: ConnectionTrait>(
    conn: &C,
    current: ExternalResult,
    input: &ExternalInput,
    recorded_by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<ExternalResult> {
    let mut row: external_result::ActiveModel = current.into();
    row.exam_type_id = Set(input.exam_type_id);
    row.score = Set(input.score);
    row.max_score = Set(input.max_score);
    row.passed = Set(input.passed);
    row.taken_on = Set(input.taken_on);
    row.source = Set(input.source.clone());
    row.notes = Set(input.notes.clone());
    row.recorded_by = Set(recorded_by);
    row.updated_at = Set(now);
    row.update(conn).await.map_err(conflict)
}

/// Records `input` for the candidate, or replaces the result already
/// recorded on that type and date; `true` when it was new.
pub async fn upsert_external<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    input: &ExternalInput,
    recorded_by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    match external_on(conn, org_id, user_id, input.exam_type_id, input.taken_on).await? {
        Some(current) => {
            update_external(conn, current, input, recorded_by, now).await?;
            Ok(false)
        }
        None => {
            insert_external(conn, org_id, user_id, input, recorded_by, now).await?;
            Ok(true)
        }
    }
}

pub async fn external<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ExternalResult>> {
    Ok(
        by_id_in_org::<external_result::Entity, _>(
            conn,
            external_result::Column::OrgId,
            org_id,
            id,
        )
        .await?,
    )
}

pub async fn delete_external<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<bool> {
    let r = external_result::Entity::delete_many()
        .filter(external_result::Column::OrgId.eq(org_id))
        .filter(external_result::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(r.rows_affected > 0)
}

/// A page of one candidate's external results, newest id first.
pub async fn externals_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<ExternalResult, Uuid>> {
    let q = external_result::Entity::find()
        .filter(external_result::Column::OrgId.eq(org_id))
        .filter(external_result::Column::UserId.eq(user_id));
    page.fetch(conn, q, external_result::Column::Id, Order::Desc, |r| r.id)
        .await
}

/// Every external result of these candidates, by date taken.
pub async fn externals_of_users<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_ids: &[Uuid],
) -> StoreResult<Vec<ExternalResult>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(external_result::Entity::find()
        .filter(external_result::Column::OrgId.eq(org_id))
        .filter(external_result::Column::UserId.is_in(user_ids.to_vec()))
        .order_by_asc(external_result::Column::TakenOn)
        .order_by_asc(external_result::Column::Id)
        .all(conn)
        .await?)
}

/// How many external results are recorded on an exam type.
pub async fn externals_of_type<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_type_id: Uuid,
) -> StoreResult<u64> {
    Ok(external_result::Entity::find()
        .filter(external_result::Column::OrgId.eq(org_id))
        .filter(external_result::Column::ExamTypeId.eq(exam_type_id))
        .count(conn)
        .await?)
}

/// The organization's exams that have an exam type.
pub async fn typed_exams<C: ConnectionTrait>(conn: &C, org_id: Uuid) -> StoreResult<Vec<Exam>> {
    Ok(exam::Entity::find()
        .filter(exam::Column::OrgId.eq(org_id))
        .filter(exam::Column::ExamTypeId.is_not_null())
        .order_by_asc(exam::Column::Id)
        .all(conn)
        .await?)
}

/// The graded sessions (finished, nothing waiting for a grader) of these
/// candidates in these exams.
pub async fn graded_sessions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_ids: &[Uuid],
    user_ids: &[Uuid],
) -> StoreResult<Vec<Session>> {
    if exam_ids.is_empty() || user_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(session::Entity::find()
        .filter(session::Column::OrgId.eq(org_id))
        .filter(session::Column::ExamId.is_in(exam_ids.to_vec()))
        .filter(session::Column::UserId.is_in(user_ids.to_vec()))
        .filter(session::Column::Status.is_in([
            DeliveryStatus::Submitted,
            DeliveryStatus::AutoSubmitted,
            DeliveryStatus::Terminated,
        ]))
        .filter(session::Column::PendingManual.eq(0))
        .filter(session::Column::FinalScore.is_not_null())
        .order_by_asc(session::Column::FinishedAt)
        .order_by_asc(session::Column::Id)
        .all(conn)
        .await?)
}
