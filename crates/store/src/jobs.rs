//! Job leases: a replica runs a job only while it holds the job's lease.
//! One conditional UPDATE takes or renews a lease atomically on both backends,
//! so no `FOR UPDATE SKIP LOCKED` path is needed for singleton jobs.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DeriveIden};

use crate::{Db, StoreError};

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    LeasedUntil,
    LastRunAt,
}

/// Takes the lease of `job` for `holder` until `until` if it is free, expired
/// or already held by `holder`. Returns whether `holder` now holds it.
pub async fn try_lease(
    db: &Db,
    job: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let conn = db.write();
    let insert = Query::insert()
        .into_table(JobLeases::Table)
        .columns([JobLeases::Name, JobLeases::Holder, JobLeases::LeasedUntil])
        .values_panic([job.into(), "".into(), DateTime::<Utc>::UNIX_EPOCH.into()])
        .on_conflict(OnConflict::column(JobLeases::Name).do_nothing().to_owned())
        .to_owned();
    conn.execute(&insert).await?;
    let update = Query::update()
        .table(JobLeases::Table)
        .value(JobLeases::Holder, holder)
        .value(JobLeases::LeasedUntil, until)
        .value(JobLeases::LastRunAt, now)
        .and_where(Expr::col(JobLeases::Name).eq(job))
        .and_where(
            Expr::col(JobLeases::LeasedUntil)
                .lt(now)
                .or(Expr::col(JobLeases::Holder).eq(holder)),
        )
        .to_owned();
    Ok(conn.execute(&update).await?.rows_affected() == 1)
}

/// Gives the lease back so another replica may run the job at once.
pub async fn release(
    db: &Db,
    job: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let update = Query::update()
        .table(JobLeases::Table)
        .value(JobLeases::LeasedUntil, now)
        .and_where(Expr::col(JobLeases::Name).eq(job))
        .and_where(Expr::col(JobLeases::Holder).eq(holder))
        .to_owned();
    db.write().execute(&update).await?;
    Ok(())
}
