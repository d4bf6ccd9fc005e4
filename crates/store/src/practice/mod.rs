//! Practice persistence (issue 16): scenarios of an organization, a
//! learner's sessions and their transcript messages, the retention purge,
//! erasure, and the read-only activity queries progress is computed from.
//! Every read of a scenario takes the organization; a session is read by
//! its owner (`user_id`) or, for staff, with the organization.

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use invigil_domain::practice::PracticeStatus;

use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::page::{Keyset, KeysetPage};
use entities::{message, scenario, session};

pub use entities::{Judgement, Overall, Questions, Scores};
pub use message::Model as PracticeMessage;
pub use scenario::Model as Scenario;
pub use session::Model as PracticeSession;

pub async fn insert_scenario<C: ConnectionTrait>(conn: &C, row: Scenario) -> StoreResult<Scenario> {
    Ok(row.into_active_model().reset_all().insert(conn).await?)
}

/// Writes every column of `row`.
pub async fn update_scenario<C: ConnectionTrait>(conn: &C, row: Scenario) -> StoreResult<Scenario> {
    Ok(row.into_active_model().reset_all().update(conn).await?)
}

/// The organization's scenario `id`.
pub async fn scenario<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Scenario>> {
    Ok(scenario::Entity::find_by_id(id)
        .filter(scenario::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// Deletes the organization's scenario `id`; whether there was one.
/// Sessions keep their own copy of the questions.
pub async fn delete_scenario<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<bool> {
    Ok(scenario::Entity::delete_many()
        .filter(scenario::Column::OrgId.eq(org_id))
        .filter(scenario::Column::Id.eq(id))
        .exec(conn)
        .await?
        .rows_affected
        > 0)
}

/// A page of the organization's scenarios, newest first; only published
/// ones with `published_only`.
pub async fn scenarios_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    published_only: bool,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Scenario, Uuid>> {
    let mut q = scenario::Entity::find().filter(scenario::Column::OrgId.eq(org_id));
    if published_only {
        q = q.filter(scenario::Column::Published.eq(true));
    }
    page.fetch(conn, q, scenario::Column::Id, Order::Desc, |s| s.id)
        .await
}

pub async fn insert_session<C: ConnectionTrait>(
    conn: &C,
    row: PracticeSession,
) -> StoreResult<PracticeSession> {
    Ok(row.into_active_model().reset_all().insert(conn).await?)
}

/// Writes `row` if the session is still where the caller read it
/// (`status`, `next_index`); a session moved meanwhile (a racing answer)
/// is a conflict.
pub async fn update_session_if<C: ConnectionTrait>(
    conn: &C,
    row: &PracticeSession,
    was_status: PracticeStatus,
    was_index: i32,
) -> StoreResult<()> {
    let done = session::Entity::update_many()
        .set(row.clone().into_active_model().reset_all())
        .filter(session::Column::Id.eq(row.id))
        .filter(session::Column::Status.eq(was_status))
        .filter(session::Column::NextIndex.eq(was_index))
        .exec(conn)
        .await?
        .rows_affected;
    if done == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "the practice session changed meanwhile".into(),
        ))
    }
}

/// `user_id`'s session `id` (anyone else's is none).
pub async fn session_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<PracticeSession>> {
    Ok(session::Entity::find_by_id(id)
        .filter(session::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// A page of `user_id`'s sessions in every organization, newest first.
pub async fn sessions_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<PracticeSession, Uuid>> {
    let q = session::Entity::find().filter(session::Column::UserId.eq(user_id));
    page.fetch(conn, q, session::Column::Id, Order::Desc, |s| s.id)
        .await
}

/// Adds a message; one at a place already taken is a conflict.
pub async fn insert_message<C: ConnectionTrait>(
    conn: &C,
    row: PracticeMessage,
) -> StoreResult<PracticeMessage> {
    row.into_active_model()
        .reset_all()
        .insert(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("this message of the practice session exists already".into())
            } else {
                e.into()
            }
        })
}

/// A session's messages in conversation order.
pub async fn messages_of<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<Vec<PracticeMessage>> {
    Ok(message::Entity::find()
        .filter(message::Column::SessionId.eq(session_id))
        .order_by_asc(message::Column::Seq)
        .all(conn)
        .await?)
}

/// Sessions whose transcript is due for deletion: started before
/// `cutoff`, not purged yet; oldest first, at most `limit`.
pub async fn due_for_purge<C: ConnectionTrait>(
    conn: &C,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<PracticeSession>> {
    Ok(session::Entity::find()
        .filter(session::Column::PurgedAt.is_null())
        .filter(session::Column::StartedAt.lt(cutoff))
        .order_by_asc(session::Column::StartedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Deletes the transcript of session `id` and marks it purged (an ACTIVE
/// one is abandoned: it cannot go on without its questions asked); its
/// scores and evaluation stay. The number of messages deleted.
pub async fn purge_transcript<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let gone = message::Entity::delete_many()
        .filter(message::Column::SessionId.eq(id))
        .exec(conn)
        .await?
        .rows_affected;
    session::Entity::update_many()
        .col_expr(session::Column::PurgedAt, Expr::value(now))
        .filter(session::Column::Id.eq(id))
        .exec(conn)
        .await?;
    session::Entity::update_many()
        .col_expr(
            session::Column::Status,
            Expr::value(PracticeStatus::Abandoned.name()),
        )
        .col_expr(session::Column::EndedAt, Expr::value(now))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::Status.eq(PracticeStatus::Active))
        .exec(conn)
        .await?;
    Ok(gone)
}

/// Erasure: deletes every transcript message of `user_id`'s practice
/// sessions (their answers are personal text) and marks the sessions
/// purged (ACTIVE ones abandoned). The sessions' scores and evaluations
/// stay, as graded records do.
pub async fn erase_person<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mine = Query::select()
        .column(session::Column::Id)
        .from(session::Entity)
        .and_where(session::Column::UserId.eq(user_id))
        .to_owned();
    message::Entity::delete_many()
        .filter(message::Column::SessionId.in_subquery(mine))
        .exec(conn)
        .await?;
    let ids: Vec<Uuid> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::PurgedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    for id in ids {
        purge_transcript(conn, id, now).await?;
    }
    Ok(())
}

/// What progress is computed from: (when, score percent) of each of a
/// user's activities, in every organization.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityRows {
    pub exams: Vec<(DateTime<Utc>, Option<f64>)>,
    pub practices: Vec<(DateTime<Utc>, Option<f64>)>,
    pub lectures: Vec<DateTime<Utc>>,
    pub courses: Vec<DateTime<Utc>>,
}

/// Reads `user_id`'s activity: exam sessions submitted (asked of
/// delivery), practice sessions completed, lectures and courses completed
/// (asked of courses).
pub async fn activity_of<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<ActivityRows> {
    let exams = crate::delivery::finished_of_user(conn, user_id).await?;
    let practices: Vec<(Option<DateTime<Utc>>, Option<i32>)> = session::Entity::find()
        .select_only()
        .column(session::Column::EndedAt)
        .column(session::Column::OverallScore)
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Status.eq(PracticeStatus::Completed))
        .filter(session::Column::EndedAt.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let (lectures, courses) = crate::courses::completions_of_user(conn, user_id).await?;
    Ok(ActivityRows {
        exams,
        practices: practices
            .into_iter()
            .filter_map(|(t, s)| t.map(|t| (t, s.map(f64::from))))
            .collect(),
        lectures,
        courses,
    })
}
