//! Live sessions persistence (seed 004): scheduled live classes of an
//! organization (usually of a course) and their participants with
//! attendance and the reminder mark. The tables are created by the
//! notifications migration (m0010) and their entities live in
//! [`crate::notify::entities`]; this module is their one set of queries.
//! Every read of a session takes the organization.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use invigil_domain::notify::live::LiveStatus;

use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::notify::entities::{live_session, participant};
use crate::page::{Keyset, KeysetPage};

pub use live_session::Model as LiveSession;
pub use participant::Model as Participant;

pub async fn insert_session<C: ConnectionTrait>(
    conn: &C,
    row: LiveSession,
) -> StoreResult<LiveSession> {
    Ok(row.into_active_model().reset_all().insert(conn).await?)
}

/// Writes every column of `row` (the server built the whole row).
pub async fn update_session<C: ConnectionTrait>(
    conn: &C,
    row: LiveSession,
) -> StoreResult<LiveSession> {
    Ok(row.into_active_model().reset_all().update(conn).await?)
}

/// The organization's live session `id`.
pub async fn session<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<LiveSession>> {
    Ok(live_session::Entity::find_by_id(id)
        .filter(live_session::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// A page of a course's live sessions, oldest first (ids are UUIDv7).
pub async fn sessions_of_course<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    course_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<LiveSession, Uuid>> {
    let q = live_session::Entity::find()
        .filter(live_session::Column::OrgId.eq(org_id))
        .filter(live_session::Column::CourseId.eq(course_id));
    page.fetch(conn, q, live_session::Column::Id, Order::Asc, |s| s.id)
        .await
}

/// A page of the sessions `user_id` takes part in, in every organization,
/// newest first: the ones not over yet (SCHEDULED, LIVE) and the ones that
/// started after `recent_since`.
pub async fn sessions_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    recent_since: DateTime<Utc>,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<LiveSession, Uuid>> {
    let q = live_session::Entity::find()
        .filter(
            live_session::Column::Id.in_subquery(
                Query::select()
                    .column(participant::Column::LiveSessionId)
                    .from(participant::Entity)
                    .and_where(Expr::col(participant::Column::UserId).eq(user_id))
                    .to_owned(),
            ),
        )
        .filter(
            Condition::any()
                .add(live_session::Column::Status.is_in([LiveStatus::Scheduled, LiveStatus::Live]))
                .add(live_session::Column::ScheduledAt.gte(recent_since)),
        );
    page.fetch(conn, q, live_session::Column::Id, Order::Desc, |s| s.id)
        .await
}

/// Adds a participant; one who is one already is a conflict.
pub async fn insert_participant<C: ConnectionTrait>(
    conn: &C,
    row: Participant,
) -> StoreResult<Participant> {
    row.into_active_model()
        .reset_all()
        .insert(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("this user takes part in the live session already".into())
            } else {
                e.into()
            }
        })
}

pub async fn update_participant<C: ConnectionTrait>(
    conn: &C,
    row: Participant,
) -> StoreResult<Participant> {
    Ok(row.into_active_model().reset_all().update(conn).await?)
}

pub async fn participant_of<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Participant>> {
    Ok(participant::Entity::find()
        .filter(participant::Column::LiveSessionId.eq(session_id))
        .filter(participant::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// The user ids of a session's participants.
pub async fn participant_ids<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<Vec<Uuid>> {
    Ok(participant::Entity::find()
        .select_only()
        .column(participant::Column::UserId)
        .filter(participant::Column::LiveSessionId.eq(session_id))
        .into_tuple::<Uuid>()
        .all(conn)
        .await?)
}

/// A page of a session's participants, in the order they were added;
/// only the ones who joined with `attended_only`.
pub async fn participants_page<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    attended_only: bool,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Participant, Uuid>> {
    let mut q =
        participant::Entity::find().filter(participant::Column::LiveSessionId.eq(session_id));
    if attended_only {
        q = q.filter(participant::Column::Attended.eq(true));
    }
    page.fetch(conn, q, participant::Column::Id, Order::Asc, |p| p.id)
        .await
}

/// Every participant of a session (cancel notices), in the order added.
pub async fn participants_all<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<Vec<Participant>> {
    Ok(participant::Entity::find()
        .filter(participant::Column::LiveSessionId.eq(session_id))
        .order_by_asc(participant::Column::Id)
        .all(conn)
        .await?)
}

/// (participants, attended) of a session.
pub async fn attendance_counts<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<(u64, u64)> {
    let all = participant::Entity::find()
        .filter(participant::Column::LiveSessionId.eq(session_id))
        .count(conn)
        .await?;
    let attended = participant::Entity::find()
        .filter(participant::Column::LiveSessionId.eq(session_id))
        .filter(participant::Column::Attended.eq(true))
        .count(conn)
        .await?;
    Ok((all, attended))
}

/// Removes a participant; whether there was one.
pub async fn delete_participant<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    user_id: Uuid,
) -> StoreResult<bool> {
    Ok(participant::Entity::delete_many()
        .filter(participant::Column::LiveSessionId.eq(session_id))
        .filter(participant::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected
        > 0)
}

/// Forgets the reminders sent for a session (it moved: remind again).
pub async fn clear_reminders<C: ConnectionTrait>(conn: &C, session_id: Uuid) -> StoreResult<u64> {
    Ok(participant::Entity::update_many()
        .col_expr(
            participant::Column::RemindedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(participant::Column::LiveSessionId.eq(session_id))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Participants not reminded yet of SCHEDULED sessions starting in
/// `(now, until]`, with their session; at most `limit`.
pub async fn due_reminders<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<(Participant, LiveSession)>> {
    let sessions = live_session::Entity::find()
        .filter(live_session::Column::Status.eq(LiveStatus::Scheduled))
        .filter(live_session::Column::ScheduledAt.gt(now))
        .filter(live_session::Column::ScheduledAt.lte(until))
        .order_by_asc(live_session::Column::ScheduledAt)
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for s in sessions {
        let left = limit.saturating_sub(out.len() as u64);
        if left == 0 {
            break;
        }
        let due = participant::Entity::find()
            .filter(participant::Column::LiveSessionId.eq(s.id))
            .filter(participant::Column::RemindedAt.is_null())
            .order_by_asc(participant::Column::Id)
            .limit(left)
            .all(conn)
            .await?;
        out.extend(due.into_iter().map(|p| (p, s.clone())));
    }
    Ok(out)
}

/// Marks a participant reminded unless it is already; whether this call
/// did (so a reminder is sent once, whoever runs the job).
pub async fn mark_reminded<C: ConnectionTrait>(
    conn: &C,
    participant_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(participant::Entity::update_many()
        .col_expr(participant::Column::RemindedAt, Expr::value(now))
        .filter(participant::Column::Id.eq(participant_id))
        .filter(participant::Column::RemindedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}
