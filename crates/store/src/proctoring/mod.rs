//! Proctoring persistence: events, heartbeats, pairings, evidence frames, flags.
//!
//! Events are append-only and idempotent per `(session_id, client_event_id)`;
//! heartbeats keep one row per session and source; flags are unique per
//! `(session_id, dedupe_key)`. The live feed's cross-replica fan-out
//! ([`LiveBus`], PostgreSQL LISTEN/NOTIFY) is the one place here that
//! branches on the backend: SQLite serves one process, which fans out in
//! memory. A session's integrity columns belong to `crate::review`.

pub mod entities;
pub mod evidence;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use invigil_domain::proctoring::{EventSource, EventType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use entities::{event, flag, heartbeat, pairing};

use crate::delivery::entities::session;
use crate::error::{StoreError, StoreResult};
use crate::{Backend, Db};

pub use event::Model as Event;
pub use flag::Model as Flag;
pub use heartbeat::Model as Heartbeat;
pub use pairing::Model as Pairing;

/// Rows per multi-row INSERT: 11 columns stay far below both backends'
/// bind-parameter limits.
const INSERT_CHUNK: usize = 500;

/// Inserts events, skipping those whose `(session_id, client_event_id)` is
/// already stored. Returns how many were inserted (the rest are duplicates).
pub async fn insert_events<C: ConnectionTrait>(conn: &C, events: &[Event]) -> StoreResult<u64> {
    let refs: Vec<&Event> = events.iter().collect();
    let inserted = insert_events_returning(conn, &refs).await?;
    Ok(u64::try_from(inserted.len()).unwrap_or(u64::MAX))
}

/// Inserts events (of any sessions, e.g. every request of a writer batch)
/// in chunked multi-row INSERTs, skipping those whose `(session_id,
/// client_event_id)` is already stored, also earlier in `events`. Returns
/// the ids of the rows inserted, so a caller can tell whose events were new.
pub async fn insert_events_returning<C: ConnectionTrait>(
    conn: &C,
    events: &[&Event],
) -> StoreResult<HashSet<Uuid>> {
    let mut inserted = HashSet::with_capacity(events.len());
    for chunk in events.chunks(INSERT_CHUNK) {
        let mut q = Query::insert();
        q.into_table(event::Entity).columns([
            event::Column::Id,
            event::Column::OrgId,
            event::Column::SessionId,
            event::Column::ClientEventId,
            event::Column::Source,
            event::Column::EventType,
            event::Column::Severity,
            event::Column::OccurredAt,
            event::Column::ReceivedAt,
            event::Column::Meta,
            event::Column::FrameId,
        ]);
        for e in chunk {
            q.values_panic([
                e.id.into(),
                e.org_id.into(),
                e.session_id.into(),
                e.client_event_id.clone().into(),
                e.source.into(),
                e.event_type.into(),
                e.severity.into(),
                e.occurred_at.into(),
                e.received_at.into(),
                e.meta.clone().into(),
                e.frame_id.into(),
            ]);
        }
        q.on_conflict(
            OnConflict::columns([event::Column::SessionId, event::Column::ClientEventId])
                .do_nothing()
                .to_owned(),
        );
        q.returning_col(event::Column::Id);
        for row in conn.query_all(&q).await? {
            inserted.insert(row.try_get::<Uuid>("", "id")?);
        }
    }
    Ok(inserted)
}

/// Every event of a session in time order (then id).
pub async fn events_of_session<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<Vec<Event>> {
    Ok(event::Entity::find()
        .filter(event::Column::SessionId.eq(session_id))
        .order_by_asc(event::Column::OccurredAt)
        .order_by_asc(event::Column::Id)
        .all(conn)
        .await?)
}

/// Events of a session by type (tests, timelines).
pub async fn events_of_type<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    event_type: EventType,
) -> StoreResult<Vec<Event>> {
    Ok(event::Entity::find()
        .filter(event::Column::SessionId.eq(session_id))
        .filter(event::Column::EventType.eq(event_type))
        .order_by_asc(event::Column::OccurredAt)
        .order_by_asc(event::Column::Id)
        .all(conn)
        .await?)
}

/// Every event of several sessions, in no particular order: what the risk
/// engine reads for a writer batch (it groups them by session, and its
/// evaluation sorts them itself, so the database is spared a sort).
pub async fn events_of_sessions<C: ConnectionTrait>(
    conn: &C,
    session_ids: &[Uuid],
) -> StoreResult<Vec<Event>> {
    if session_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(event::Entity::find()
        .filter(event::Column::SessionId.is_in(session_ids.iter().copied()))
        .all(conn)
        .await?)
}

/// One heartbeat: the source of the session was seen at `at`.
#[derive(Debug, Clone)]
pub struct Beat {
    pub session_id: Uuid,
    pub org_id: Uuid,
    pub source: EventSource,
    pub at: DateTime<Utc>,
}

/// Records a heartbeat; `last_seen_at` never goes backwards. `missing_since`
/// is left for the watchdog, which notices the source came back.
pub async fn upsert_heartbeat<C: ConnectionTrait>(conn: &C, b: &Beat) -> StoreResult<()> {
    upsert_heartbeats(conn, &[b]).await
}

/// Records heartbeats in chunked multi-row upserts, as [`upsert_heartbeat`]
/// each. Several beats of one session and source count once, with the
/// latest time (one statement may not change a row twice).
pub async fn upsert_heartbeats<C: ConnectionTrait>(conn: &C, beats: &[&Beat]) -> StoreResult<()> {
    let mut latest: Vec<&Beat> = Vec::with_capacity(beats.len());
    for b in beats {
        match latest
            .iter_mut()
            .find(|l| l.session_id == b.session_id && l.source == b.source)
        {
            Some(l) if l.at < b.at => *l = b,
            Some(_) => {}
            None => latest.push(b),
        }
    }
    for chunk in latest.chunks(INSERT_CHUNK) {
        let mut q = Query::insert();
        q.into_table(heartbeat::Entity).columns([
            heartbeat::Column::SessionId,
            heartbeat::Column::Source,
            heartbeat::Column::OrgId,
            heartbeat::Column::LastSeenAt,
            heartbeat::Column::MissingSince,
        ]);
        for b in chunk {
            q.values_panic([
                b.session_id.into(),
                b.source.into(),
                b.org_id.into(),
                b.at.into(),
                Option::<DateTime<Utc>>::None.into(),
            ]);
        }
        q.on_conflict(
            OnConflict::columns([heartbeat::Column::SessionId, heartbeat::Column::Source])
                .update_column(heartbeat::Column::LastSeenAt)
                .action_and_where(
                    Expr::col((heartbeat::Entity, heartbeat::Column::LastSeenAt)).lt(Expr::col((
                        Alias::new("excluded"),
                        heartbeat::Column::LastSeenAt,
                    ))),
                )
                .to_owned(),
        );
        conn.execute(&q).await?;
    }
    Ok(())
}

fn running_sessions() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(session::Column::Id)
        .from(session::Entity)
        .and_where(
            session::Column::Status
                .eq(invigil_domain::delivery::session::DeliveryStatus::InProgress),
        )
        .to_owned()
}

/// Sources of IN_PROGRESS sessions that went quiet: not seen since `cutoff`
/// and not declared missing since `cutoff` either (so a source that stays
/// quiet is declared missing once per timeout).
pub async fn quiet_sources<C: ConnectionTrait>(
    conn: &C,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<Heartbeat>> {
    Ok(heartbeat::Entity::find()
        .filter(heartbeat::Column::LastSeenAt.lte(cutoff))
        .filter(
            Condition::any()
                .add(heartbeat::Column::MissingSince.is_null())
                .add(heartbeat::Column::MissingSince.lte(cutoff)),
        )
        .filter(Expr::col(heartbeat::Column::SessionId).in_subquery(running_sessions()))
        .order_by_asc(heartbeat::Column::LastSeenAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Sources of IN_PROGRESS sessions declared missing that were seen again since.
pub async fn returned_sources<C: ConnectionTrait>(
    conn: &C,
    limit: u64,
) -> StoreResult<Vec<Heartbeat>> {
    Ok(heartbeat::Entity::find()
        .filter(heartbeat::Column::MissingSince.is_not_null())
        .filter(
            Expr::col(heartbeat::Column::LastSeenAt).gt(Expr::col(heartbeat::Column::MissingSince)),
        )
        .filter(Expr::col(heartbeat::Column::SessionId).in_subquery(running_sessions()))
        .order_by_asc(heartbeat::Column::LastSeenAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Declares a source missing at `now`, if no heartbeat arrived since it was
/// read (`seen` is the `last_seen_at` read). Returns whether it did.
pub async fn mark_missing<C: ConnectionTrait>(
    conn: &C,
    hb: &Heartbeat,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut q = heartbeat::Entity::update_many()
        .col_expr(heartbeat::Column::MissingSince, Expr::value(Some(now)))
        .filter(heartbeat::Column::SessionId.eq(hb.session_id))
        .filter(heartbeat::Column::Source.eq(hb.source))
        .filter(heartbeat::Column::LastSeenAt.eq(hb.last_seen_at));
    q = match hb.missing_since {
        Some(m) => q.filter(heartbeat::Column::MissingSince.eq(m)),
        None => q.filter(heartbeat::Column::MissingSince.is_null()),
    };
    Ok(q.exec(conn).await?.rows_affected == 1)
}

/// Clears `missing_since` of a source that came back, if nobody else did.
pub async fn mark_returned<C: ConnectionTrait>(conn: &C, hb: &Heartbeat) -> StoreResult<bool> {
    let Some(since) = hb.missing_since else {
        return Ok(false);
    };
    let res = heartbeat::Entity::update_many()
        .col_expr(
            heartbeat::Column::MissingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(heartbeat::Column::SessionId.eq(hb.session_id))
        .filter(heartbeat::Column::Source.eq(hb.source))
        .filter(heartbeat::Column::MissingSince.eq(since))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn insert_pairing<C: ConnectionTrait>(conn: &C, p: Pairing) -> StoreResult<Pairing> {
    Ok(pairing::ActiveModel::from(p).insert(conn).await?)
}

pub async fn pairing_by_hash<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> StoreResult<Option<Pairing>> {
    Ok(pairing::Entity::find()
        .filter(pairing::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?)
}

/// The pairing whose phone holds the auth session `auth_session_id`.
pub async fn pairing_by_device_session<C: ConnectionTrait>(
    conn: &C,
    auth_session_id: Uuid,
) -> StoreResult<Option<Pairing>> {
    Ok(pairing::Entity::find()
        .filter(pairing::Column::DeviceAuthSessionId.eq(auth_session_id))
        .one(conn)
        .await?)
}

/// Claimed pairings of a session (the phones that hold a credential).
pub async fn claimed_pairings<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<Vec<Pairing>> {
    Ok(pairing::Entity::find()
        .filter(pairing::Column::SessionId.eq(session_id))
        .filter(pairing::Column::ClaimedAt.is_not_null())
        .order_by_asc(pairing::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// Marks a pairing claimed, once: false when it was claimed already.
pub async fn claim_pairing<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    device_fingerprint: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = pairing::Entity::update_many()
        .col_expr(pairing::Column::ClaimedAt, Expr::value(Some(now)))
        .col_expr(
            pairing::Column::DeviceFingerprint,
            Expr::value(Some(device_fingerprint.to_owned())),
        )
        .filter(pairing::Column::Id.eq(id))
        .filter(pairing::Column::ClaimedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Binds the phone's DEVICE auth session to a claimed pairing.
pub async fn bind_device_session<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    auth_session_id: Uuid,
) -> StoreResult<()> {
    pairing::Entity::update_many()
        .col_expr(
            pairing::Column::DeviceAuthSessionId,
            Expr::value(Some(auth_session_id)),
        )
        .filter(pairing::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The heartbeat rows (one per source) of these sessions of the org.
pub async fn heartbeats_of_sessions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    session_ids: &[Uuid],
) -> StoreResult<Vec<Heartbeat>> {
    if session_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(heartbeat::Entity::find()
        .filter(heartbeat::Column::OrgId.eq(org_id))
        .filter(heartbeat::Column::SessionId.is_in(session_ids.iter().copied()))
        .all(conn)
        .await?)
}

/// How many unresolved flags each of these sessions of the org has
/// (sessions without any are left out).
pub async fn open_flag_counts<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    session_ids: &[Uuid],
) -> StoreResult<Vec<(Uuid, i64)>> {
    count_flags(conn, Some(org_id), session_ids, true).await
}

/// Flags per session of `session_ids` (within `org_id` when given; only
/// unresolved ones when `open_only`); sessions without any are left out.
pub(crate) async fn count_flags<C: ConnectionTrait>(
    conn: &C,
    org_id: Option<Uuid>,
    session_ids: &[Uuid],
    open_only: bool,
) -> StoreResult<Vec<(Uuid, i64)>> {
    if session_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = flag::Entity::find()
        .select_only()
        .column(flag::Column::SessionId)
        .column_as(flag::Column::Id.count(), "n")
        .filter(flag::Column::SessionId.is_in(session_ids.iter().copied()));
    if let Some(org) = org_id {
        q = q.filter(flag::Column::OrgId.eq(org));
    }
    if open_only {
        q = q.filter(flag::Column::ResolvedAt.is_null());
    }
    Ok(q.group_by(flag::Column::SessionId)
        .into_tuple::<(Uuid, i64)>()
        .all(conn)
        .await?)
}

pub async fn flags_of_session<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<Vec<Flag>> {
    Ok(flag::Entity::find()
        .filter(flag::Column::SessionId.eq(session_id))
        .order_by_asc(flag::Column::FirstAt)
        .order_by_asc(flag::Column::Id)
        .all(conn)
        .await?)
}

/// The flags of several sessions, by session, then as [`flags_of_session`].
pub async fn flags_of_sessions<C: ConnectionTrait>(
    conn: &C,
    session_ids: &[Uuid],
) -> StoreResult<Vec<Flag>> {
    if session_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(flag::Entity::find()
        .filter(flag::Column::SessionId.is_in(session_ids.iter().copied()))
        .order_by_asc(flag::Column::SessionId)
        .order_by_asc(flag::Column::FirstAt)
        .order_by_asc(flag::Column::Id)
        .all(conn)
        .await?)
}

/// Inserts a flag unless one with its `(session_id, dedupe_key)` exists.
/// Returns whether it was inserted.
pub async fn insert_flag<C: ConnectionTrait>(conn: &C, f: &Flag) -> StoreResult<bool> {
    let stmt = Query::insert()
        .into_table(flag::Entity)
        .columns([
            flag::Column::Id,
            flag::Column::OrgId,
            flag::Column::SessionId,
            flag::Column::RuleId,
            flag::Column::DedupeKey,
            flag::Column::FlagType,
            flag::Column::Severity,
            flag::Column::Cause,
            flag::Column::Weight,
            flag::Column::EventIds,
            flag::Column::FirstAt,
            flag::Column::LastAt,
            flag::Column::Description,
            flag::Column::CreatedAt,
            flag::Column::ResolvedBy,
            flag::Column::ResolvedAt,
            flag::Column::Resolution,
        ])
        .values_panic([
            f.id.into(),
            f.org_id.into(),
            f.session_id.into(),
            f.rule_id.clone().into(),
            f.dedupe_key.clone().into(),
            f.flag_type.into(),
            f.severity.into(),
            f.cause.into(),
            f.weight.into(),
            f.event_ids.clone().into(),
            f.first_at.into(),
            f.last_at.into(),
            f.description.clone().into(),
            f.created_at.into(),
            f.resolved_by.into(),
            f.resolved_at.into(),
            f.resolution.into(),
        ])
        .on_conflict(
            OnConflict::columns([flag::Column::SessionId, flag::Column::DedupeKey])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    Ok(conn.execute(&stmt).await?.rows_affected() == 1)
}

/// The live feed's fan-out across replicas: PostgreSQL's LISTEN/NOTIFY.
/// SQLite serves one process, which fans out in memory, so it has none.
#[derive(Clone)]
pub struct LiveBus {
    db: Db,
}

/// A subscription to a [`LiveBus`] channel, on its own connection.
pub struct LiveListener(PgListener);

fn bus_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(e.to_string()))
}

impl LiveBus {
    /// The bus of `db`: `Some` on PostgreSQL, `None` on SQLite.
    pub fn of(db: &Db) -> Option<LiveBus> {
        // Backend branch: LISTEN/NOTIFY exists only on PostgreSQL.
        (db.backend() == Backend::Postgres).then(|| LiveBus { db: db.clone() })
    }

    /// Publishes `payload` on `channel` to every replica. PostgreSQL limits
    /// a payload to 8000 bytes; longer ones are dropped here.
    pub async fn notify(&self, channel: &str, payload: &str) -> StoreResult<()> {
        if payload.len() >= 8000 {
            return Ok(());
        }
        self.db
            .write()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [channel.into(), payload.into()],
            ))
            .await?;
        Ok(())
    }

    /// Listens on `channel` over a connection of its own (not one of the pool's).
    pub async fn listen(&self, channel: &str) -> StoreResult<LiveListener> {
        let options = self
            .db
            .write()
            .get_postgres_connection_pool()
            .connect_options();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with((*options).clone());
        let mut listener = PgListener::connect_with(&pool).await.map_err(bus_error)?;
        listener.listen(channel).await.map_err(bus_error)?;
        Ok(LiveListener(listener))
    }
}

impl LiveListener {
    /// The next payload; an error means the connection is lost.
    pub async fn recv(&mut self) -> StoreResult<String> {
        let n = self.0.recv().await.map_err(bus_error)?;
        Ok(n.payload().to_owned())
    }
}
