//! Files: the rows of uploaded course material (the bytes are in the blob
//! store, under the row's `storage_key`). Every query is scoped by the
//! organization; soft-deleted rows are left out of lists and usage.

pub mod entities;

use chrono::{DateTime, Utc};
use invigil_domain::files::FileKind;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::page::{Keyset, KeysetPage};
use entities::file;

pub use file::Model as File;

/// Filters of the file list.
#[derive(Debug, Clone, Default)]
pub struct FileFilter {
    pub kind: Option<FileKind>,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
}

pub async fn insert_file<C: ConnectionTrait>(conn: &C, f: File) -> StoreResult<File> {
    Ok(file::ActiveModel::from(f).insert(conn).await?)
}

/// A file of the organization, deleted or not.
pub async fn file_in_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<File>> {
    Ok(file::Entity::find_by_id(id)
        .filter(file::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// The organization's files not deleted, newest first.
pub async fn list_files<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    filter: &FileFilter,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<File, Uuid>> {
    let mut q = file::Entity::find()
        .filter(file::Column::OrgId.eq(org_id))
        .filter(file::Column::DeletedAt.is_null());
    if let Some(k) = filter.kind {
        q = q.filter(file::Column::Kind.eq(k));
    }
    if let Some(t) = &filter.entity_type {
        q = q.filter(file::Column::EntityType.eq(t.clone()));
    }
    if let Some(id) = filter.entity_id {
        q = q.filter(file::Column::EntityId.eq(id));
    }
    page.fetch(conn, q, file::Column::Id, Order::Desc, |f| f.id)
        .await
}

/// Bytes held by the organization's files not deleted.
pub async fn bytes_used<C: ConnectionTrait>(conn: &C, org_id: Uuid) -> StoreResult<i64> {
    // SUM of a bigint is numeric on PostgreSQL: cast back so both backends
    // answer an i64.
    let used: Option<i64> = file::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"), "used")
        .filter(file::Column::OrgId.eq(org_id))
        .filter(file::Column::DeletedAt.is_null())
        .into_tuple()
        .one(conn)
        .await?;
    Ok(used.unwrap_or(0))
}

/// Marks a file deleted; `false` when it was not there or already deleted.
pub async fn mark_deleted<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = file::Entity::update_many()
        .col_expr(file::Column::DeletedAt, Expr::value(now))
        .filter(file::Column::Id.eq(id))
        .filter(file::Column::OrgId.eq(org_id))
        .filter(file::Column::DeletedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    Ok(n == 1)
}
