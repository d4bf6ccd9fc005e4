//! Certificates persistence (issue 16): each exam's certificate setting and
//! the certificates issued to its candidates. Every staff query takes the
//! organization; the holder's queries take the holder; the public lookup is
//! by the unguessable code.

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    QueryFilter,
};
use uuid::Uuid;

use entities::{certificate, setting};
use invigil_domain::certificates::CertificateStatus;

use crate::error::StoreResult;
use crate::page::{Keyset, KeysetPage};

pub use certificate::Model as Certificate;
pub use setting::Model as CertificateSetting;

/// The holder name kept after erasure.
pub const ERASED_HOLDER: &str = "Erased user";

pub async fn setting<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
) -> StoreResult<Option<CertificateSetting>> {
    Ok(setting::Entity::find_by_id(exam_id)
        .filter(setting::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// Inserts or replaces the exam's setting.
pub async fn put_setting<C: ConnectionTrait>(
    conn: &C,
    row: CertificateSetting,
) -> StoreResult<CertificateSetting> {
    let exists = setting(conn, row.org_id, row.exam_id).await?.is_some();
    let am = row.into_active_model().reset_all();
    Ok(if exists {
        am.update(conn).await?
    } else {
        am.insert(conn).await?
    })
}

/// The certificate of a candidate for an exam, if one was ever issued.
pub async fn of_exam_user<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Certificate>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::OrgId.eq(org_id))
        .filter(certificate::Column::ExamId.eq(exam_id))
        .filter(certificate::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// Inserts a new certificate (callers check [`of_exam_user`] first in the
/// same transaction; a concurrent issue of the same one is a unique
/// violation, a conflict).
pub async fn insert<C: ConnectionTrait>(conn: &C, row: Certificate) -> StoreResult<Certificate> {
    Ok(row.into_active_model().reset_all().insert(conn).await?)
}

/// Writes every column of `row`.
pub async fn update<C: ConnectionTrait>(conn: &C, row: Certificate) -> StoreResult<Certificate> {
    Ok(row.into_active_model().reset_all().update(conn).await?)
}

/// The organization's certificate `id`.
pub async fn by_id_in_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Certificate>> {
    Ok(certificate::Entity::find_by_id(id)
        .filter(certificate::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// The holder's certificate `id`.
pub async fn of_holder<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Certificate>> {
    Ok(certificate::Entity::find_by_id(id)
        .filter(certificate::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// The certificate with verification code `code`.
pub async fn by_code<C: ConnectionTrait>(conn: &C, code: &str) -> StoreResult<Option<Certificate>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::Code.eq(code))
        .one(conn)
        .await?)
}

/// A page of the holder's certificates in every organization, newest first.
pub async fn list_of_holder<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Certificate, Uuid>> {
    let q = certificate::Entity::find().filter(certificate::Column::UserId.eq(user_id));
    page.fetch(conn, q, certificate::Column::Id, Order::Desc, |c| c.id)
        .await
}

/// Filters of the staff list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter {
    pub exam_id: Option<Uuid>,
    pub status: Option<CertificateStatus>,
}

/// A page of the organization's certificates, newest first; the status is
/// the one at `now` (expiry is computed, never stored).
pub async fn list_of_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    filter: ListFilter,
    now: DateTime<Utc>,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Certificate, Uuid>> {
    let mut q = certificate::Entity::find().filter(certificate::Column::OrgId.eq(org_id));
    if let Some(exam) = filter.exam_id {
        q = q.filter(certificate::Column::ExamId.eq(exam));
    }
    let not_expired = Condition::any()
        .add(certificate::Column::ValidUntil.is_null())
        .add(certificate::Column::ValidUntil.gt(now));
    q = match filter.status {
        None => q,
        Some(CertificateStatus::Revoked) => q.filter(certificate::Column::RevokedAt.is_not_null()),
        Some(CertificateStatus::Valid) => q
            .filter(certificate::Column::RevokedAt.is_null())
            .filter(not_expired),
        Some(CertificateStatus::Expired) => q
            .filter(certificate::Column::RevokedAt.is_null())
            .filter(certificate::Column::ValidUntil.lte(now)),
    };
    page.fetch(conn, q, certificate::Column::Id, Order::Desc, |c| c.id)
        .await
}

/// Erasure: keeps the certificates (they record a graded result) but
/// unpublishes them and replaces the holder name snapshot.
pub async fn erase_person<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<()> {
    certificate::Entity::update_many()
        .col_expr(certificate::Column::Published, Expr::value(false))
        .col_expr(certificate::Column::HolderName, Expr::value(ERASED_HOLDER))
        .filter(certificate::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
