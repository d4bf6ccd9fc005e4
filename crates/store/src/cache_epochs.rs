//! Cache epochs: one counter per in-process cache, bumped after a change
//! that invalidates it and polled by every replica (see
//! `invigil_server::delivery::hot`). One statement each way on both
//! backends.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DeriveIden};

use crate::StoreError;

#[derive(DeriveIden)]
enum CacheEpochs {
    Table,
    Name,
    Epoch,
}

/// Moves the epoch of `cache` on (creating it at 1).
pub async fn bump<C: ConnectionTrait>(conn: &C, cache: &str) -> Result<(), StoreError> {
    let q = Query::insert()
        .into_table(CacheEpochs::Table)
        .columns([CacheEpochs::Name, CacheEpochs::Epoch])
        .values_panic([cache.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(CacheEpochs::Name)
                .value(
                    CacheEpochs::Epoch,
                    Expr::col((CacheEpochs::Table, CacheEpochs::Epoch)).add(1i64),
                )
                .to_owned(),
        )
        .to_owned();
    conn.execute(&q).await?;
    Ok(())
}

/// The epoch of `cache` (0 before its first bump).
pub async fn current<C: ConnectionTrait>(conn: &C, cache: &str) -> Result<i64, StoreError> {
    let q = Query::select()
        .column(CacheEpochs::Epoch)
        .from(CacheEpochs::Table)
        .and_where(Expr::col(CacheEpochs::Name).eq(cache))
        .to_owned();
    let row = conn.query_one(&q).await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "epoch")?,
        None => 0,
    })
}
