//! The audit log: append-only and hash-chained per organization, plus one
//! platform chain for events without an organization (such as sign-in).
//!
//! Recording is two steps. [`append`], called inside the transaction of the
//! change it records, writes the entry to `audit_pending`: committed with
//! the change or not at all, and no lock on the chain. [`link_pending`] then
//! moves pending entries onto their chains in batches, oldest first: it takes
//! the pending rows and each chain head under a lock (`FOR UPDATE` on
//! PostgreSQL, so a second linker waits for the first and never links an
//! entry twice; SQLite has a single writer), gives each entry the next `seq`, the previous
//! hash and its own hash, and deletes it from `audit_pending`. Replicas never
//! fork a chain, and audited changes of one organization no longer queue on
//! its head row (before, each held it from its append to its commit). Read
//! the log after [`link_pending`] to see every committed entry.

use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{Backend, Db};
use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, KeysetPage};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub chain: String,
        pub seq: i64,
        pub org_id: Option<Uuid>,
        pub actor_id: Option<Uuid>,
        pub action: String,
        pub resource_type: String,
        pub resource_id: Option<String>,
        pub ip: Option<String>,
        pub user_agent: Option<String>,
        pub details: String,
        pub created_at: DateTimeUtc,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_heads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub chain: String,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Entries written by committed changes and not yet on their chain.
pub mod pending {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_pending")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub chain: String,
        pub org_id: Option<Uuid>,
        pub actor_id: Option<Uuid>,
        pub action: String,
        pub resource_type: String,
        pub resource_id: Option<String>,
        pub ip: Option<String>,
        pub user_agent: Option<String>,
        pub details: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use entity::Model as AuditEntry;

impl AuditEntry {
    /// The details object; a row whose details do not decode is an error.
    pub fn details_json(&self) -> StoreResult<serde_json::Value> {
        crate::error::decode_json(format_args!("audit entry {}", self.id), &self.details)
    }
}

pub const PLATFORM_CHAIN: &str = "platform";
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone)]
pub struct NewEntry {
    pub org_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

pub fn chain_of(org_id: Option<Uuid>) -> String {
    org_id
        .map(|o| o.to_string())
        .unwrap_or_else(|| PLATFORM_CHAIN.to_owned())
}

/// The hash of an entry: SHA-256 over a JSON array of every field in a fixed
/// order (JSON escaping makes the encoding unambiguous).
pub fn entry_hash(e: &AuditEntry) -> String {
    let fields = serde_json::json!([
        "v1",
        e.chain,
        e.seq,
        e.prev_hash,
        e.id.to_string(),
        e.org_id.map(|o| o.to_string()),
        e.actor_id.map(|a| a.to_string()),
        e.action,
        e.resource_type,
        e.resource_id,
        e.ip,
        e.user_agent,
        e.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.details,
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// Records an entry: written to `audit_pending` in the caller's transaction
/// (so it commits with the change it records), put on its chain by the next
/// [`link_pending`]. Returns the entry's id, which it keeps on the chain.
pub async fn append<C: ConnectionTrait>(
    conn: &C,
    e: NewEntry,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    let row = pending::Model {
        id,
        chain: chain_of(e.org_id),
        org_id: e.org_id,
        actor_id: e.actor_id,
        action: e.action,
        resource_type: e.resource_type,
        resource_id: e.resource_id,
        ip: e.ip,
        user_agent: e.user_agent,
        details: e.details.to_string(),
        created_at: now,
    };
    pending::Entity::insert(pending::ActiveModel::from(row))
        .exec_without_returning(conn)
        .await?;
    Ok(id)
}

/// The most pending entries one linking transaction moves.
const LINK_BATCH: u64 = 500;

/// Whether any entry waits to be linked (a read, for pollers: linking takes
/// the write connection).
pub async fn has_pending<C: ConnectionTrait>(conn: &C) -> StoreResult<bool> {
    Ok(pending::Entity::find()
        .select_only()
        .column(pending::Column::Id)
        .limit(1)
        .into_tuple::<Uuid>()
        .one(conn)
        .await?
        .is_some())
}

/// Puts every committed pending entry on its chain, oldest first, in
/// transactions of at most [`LINK_BATCH`] entries; returns how many it
/// linked. Safe to run on several replicas at once.
pub async fn link_pending(db: &Db) -> StoreResult<u64> {
    let mut linked = 0;
    // A read first: nothing pending (the usual case) takes no write lock.
    while has_pending(db.read()).await? {
        let n = link_batch(db).await?;
        if n == 0 {
            // What was pending was linked by the linker this one waited for.
            break;
        }
        linked += n;
    }
    Ok(linked)
}

async fn link_batch(db: &Db) -> StoreResult<u64> {
    let pg = db.backend() == Backend::Postgres;
    let tx = db.begin().await?;
    let mut select = pending::Entity::find()
        .order_by_asc(pending::Column::Id)
        .limit(LINK_BATCH);
    if pg {
        // A linker running now (another replica's, or this one's timer)
        // holds its rows: wait for it (rows it linked are gone then), so
        // whoever links before reading sees every committed entry.
        select = select.lock_exclusive();
    }
    let rows = select.all(&tx).await?;
    if rows.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let mut chains: Vec<String> = rows.iter().map(|r| r.chain.clone()).collect();
    chains.sort();
    chains.dedup();
    // A chain's first entry creates its head.
    let mut insert_heads = Query::insert()
        .into_table(head::Entity)
        .columns([head::Column::Chain, head::Column::Seq, head::Column::Hash])
        .on_conflict(
            OnConflict::column(head::Column::Chain)
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    for c in &chains {
        insert_heads.values_panic([c.clone().into(), 0i64.into(), GENESIS.into()]);
    }
    tx.execute(&insert_heads).await?;
    // Locked in chain order, so two linkers never deadlock.
    let mut select_heads = head::Entity::find()
        .filter(head::Column::Chain.is_in(chains))
        .order_by_asc(head::Column::Chain);
    if pg {
        select_heads = select_heads.lock_exclusive();
    }
    let mut heads: HashMap<String, head::Model> = select_heads
        .all(&tx)
        .await?
        .into_iter()
        .map(|h| (h.chain.clone(), h))
        .collect();
    let linked = rows.len() as u64;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut entries = Vec::with_capacity(rows.len());
    for p in rows {
        let h = heads.get_mut(&p.chain).ok_or(StoreError::NotFound)?;
        let mut e = AuditEntry {
            id: p.id,
            chain: p.chain,
            seq: h.seq + 1,
            org_id: p.org_id,
            actor_id: p.actor_id,
            action: p.action,
            resource_type: p.resource_type,
            resource_id: p.resource_id,
            ip: p.ip,
            user_agent: p.user_agent,
            details: p.details,
            created_at: p.created_at,
            prev_hash: std::mem::take(&mut h.hash),
            hash: String::new(),
        };
        e.hash = entry_hash(&e);
        h.seq = e.seq;
        h.hash.clone_from(&e.hash);
        entries.push(entity::ActiveModel::from(e));
    }
    // 14 columns a row: well under either database's parameter limit.
    for chunk in entries.chunks(200) {
        entity::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&tx)
            .await?;
    }
    pending::Entity::delete_many()
        .filter(pending::Column::Id.is_in(ids))
        .exec(&tx)
        .await?;
    for h in heads.into_values() {
        head::Entity::update_many()
            .col_expr(head::Column::Seq, Expr::value(h.seq))
            .col_expr(head::Column::Hash, Expr::value(h.hash))
            .filter(head::Column::Chain.eq(h.chain))
            .exec(&tx)
            .await?;
    }
    tx.commit().await?;
    Ok(linked)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// At most `limit` entries, newest first, older than `before_seq`.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    f: &Filter,
    before_seq: Option<i64>,
    limit: u64,
) -> StoreResult<Vec<AuditEntry>> {
    Ok(page(conn, org_id, f, Keyset::new(before_seq, limit))
        .await?
        .items)
}

/// A page of entries, newest first; the cursor is the `seq` of the last
/// entry seen.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    f: &Filter,
    page: Keyset<i64>,
) -> StoreResult<KeysetPage<AuditEntry, i64>> {
    page.fetch(
        conn,
        filtered(org_id, f),
        entity::Column::Seq,
        Order::Desc,
        |e| e.seq,
    )
    .await
}

/// The entries of `org_id`'s chain that pass `f`.
fn filtered(org_id: Uuid, f: &Filter) -> sea_orm::Select<entity::Entity> {
    let mut q = entity::Entity::find().filter(entity::Column::Chain.eq(chain_of(Some(org_id))));
    if let Some(a) = f.actor_id {
        q = q.filter(entity::Column::ActorId.eq(a));
    }
    if let Some(a) = &f.action {
        q = q.filter(entity::Column::Action.eq(a.clone()));
    }
    if let Some(r) = &f.resource_type {
        q = q.filter(entity::Column::ResourceType.eq(r.clone()));
    }
    if let Some(r) = &f.resource_id {
        q = q.filter(entity::Column::ResourceId.eq(r.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(entity::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.to {
        q = q.filter(entity::Column::CreatedAt.lt(t));
    }
    q
}

/// A page of the entries that pass `f`, oldest first (chain order, like
/// the CLI's export); the cursor is the `seq` of the last entry seen: the HTTP export reads the log
/// with it a page at a time.
pub async fn page_oldest_first<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    f: &Filter,
    page: Keyset<i64>,
) -> StoreResult<KeysetPage<AuditEntry, i64>> {
    page.fetch(
        conn,
        filtered(org_id, f),
        entity::Column::Seq,
        Order::Asc,
        |e| e.seq,
    )
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenEntry {
    pub id: Option<Uuid>,
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: u64,
    pub head_seq: i64,
    pub first_broken: Option<BrokenEntry>,
}

/// How many entries the chain of `org_id` (the platform's for `None`) holds.
pub async fn count<C: ConnectionTrait>(conn: &C, org_id: Option<Uuid>) -> StoreResult<u64> {
    Ok(entity::Entity::find()
        .filter(entity::Column::Chain.eq(chain_of(org_id)))
        .count(conn)
        .await?)
}

/// Every entry of the chain of `org_id` in order, read 1000 at a time
/// (memory stays flat however long the log), handed to `each` until it
/// answers `false`.
pub async fn walk<C, F>(conn: &C, org_id: Option<Uuid>, mut each: F) -> StoreResult<()>
where
    C: ConnectionTrait,
    F: FnMut(AuditEntry) -> bool,
{
    let chain = chain_of(org_id);
    let mut after = 0i64;
    loop {
        let page = entity::Entity::find()
            .filter(entity::Column::Chain.eq(chain.clone()))
            .filter(entity::Column::Seq.gt(after))
            .order_by_asc(entity::Column::Seq)
            .limit(1000)
            .all(conn)
            .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.seq;
        for e in page {
            if !each(e) {
                return Ok(());
            }
        }
    }
}

/// Recomputes the whole chain and names the first entry that does not fit.
pub async fn verify<C: ConnectionTrait>(
    conn: &C,
    org_id: Option<Uuid>,
) -> StoreResult<Verification> {
    verify_with(conn, org_id, |_| {}).await
}

/// [`verify`], telling `progress` how many entries were checked so far.
pub async fn verify_with<C, P>(
    conn: &C,
    org_id: Option<Uuid>,
    mut progress: P,
) -> StoreResult<Verification>
where
    C: ConnectionTrait,
    P: FnMut(u64),
{
    let chain = chain_of(org_id);
    let mut prev_hash = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    let mut checked = 0u64;
    let mut problem = None;
    walk(conn, org_id, |e| {
        let broken = |reason: &str| BrokenEntry {
            id: Some(e.id),
            seq: e.seq,
            reason: reason.to_owned(),
        };
        problem = if e.seq != expected_seq {
            Some(BrokenEntry {
                id: Some(e.id),
                seq: expected_seq,
                reason: format!("entry {expected_seq} is missing"),
            })
        } else if e.prev_hash != prev_hash {
            Some(broken(
                "its previous hash does not match the entry before it",
            ))
        } else if entry_hash(&e) != e.hash {
            Some(broken("its content does not match its hash"))
        } else {
            None
        };
        if problem.is_some() {
            return false;
        }
        prev_hash = e.hash;
        expected_seq += 1;
        checked += 1;
        if checked.is_multiple_of(1000) {
            progress(checked);
        }
        true
    })
    .await?;
    progress(checked);
    if problem.is_some() {
        return Ok(Verification {
            entries: checked,
            head_seq: expected_seq - 1,
            first_broken: problem,
        });
    }
    let head = head::Entity::find_by_id(chain).one(conn).await?;
    let first_broken = match head {
        Some(h) if h.seq != expected_seq - 1 || h.hash != prev_hash => Some(BrokenEntry {
            id: None,
            seq: h.seq,
            reason: "the chain head does not match the last entry (entries were removed)".into(),
        }),
        _ => None,
    };
    Ok(Verification {
        entries: checked,
        head_seq: expected_seq - 1,
        first_broken,
    })
}
