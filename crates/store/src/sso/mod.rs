//! Single sign-on and self sign-up persistence (m0018). Configurations and
//! settings are keyed by organization; a pending sign-in is found by its
//! hashed state *and* its organization, and taken once; linked accounts are
//! unique by (provider, provider_account_id).

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use entities::{account, sign_up_settings, sso_config, sso_state};

use crate::error::{StoreError, StoreResult, is_unique_violation};

pub use account::Model as Account;
pub use sign_up_settings::Model as SignUpSettings;
pub use sso_config::Model as SsoConfig;
pub use sso_state::Model as SsoState;

/// The domains of a stored JSON array (an unreadable one is an error).
pub fn domains_of(json: &str) -> StoreResult<Vec<String>> {
    crate::error::decode_json("allowed_domains", json)
}

/// The JSON array stored for `domains`.
pub fn domains_json(domains: &[String]) -> String {
    serde_json::to_string(domains).unwrap_or_else(|_| "[]".to_owned())
}

// ---- configuration

pub async fn config<C: ConnectionTrait>(conn: &C, org_id: Uuid) -> StoreResult<Option<SsoConfig>> {
    Ok(sso_config::Entity::find_by_id(org_id).one(conn).await?)
}

/// Inserts or replaces the organization's configuration (every column).
pub async fn put_config<C: ConnectionTrait>(conn: &C, row: SsoConfig) -> StoreResult<()> {
    use sso_config::Column as C;
    sso_config::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(C::OrgId)
                .update_columns([
                    C::IssuerUrl,
                    C::ClientId,
                    C::SecretNonce,
                    C::SecretSealed,
                    C::DisplayName,
                    C::Enabled,
                    C::AllowedDomains,
                    C::UpdatedBy,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Removes the configuration; whether there was one. Pending sign-ins of
/// the organization go too (they could not finish anyway).
pub async fn delete_config<C: ConnectionTrait>(conn: &C, org_id: Uuid) -> StoreResult<bool> {
    sso_state::Entity::delete_many()
        .filter(sso_state::Column::OrgId.eq(org_id))
        .exec(conn)
        .await?;
    let r = sso_config::Entity::delete_by_id(org_id).exec(conn).await?;
    Ok(r.rows_affected > 0)
}

/// Enabled configurations (the sign-in page's buttons), with the org ids.
pub async fn enabled_configs<C: ConnectionTrait>(conn: &C) -> StoreResult<Vec<SsoConfig>> {
    Ok(sso_config::Entity::find()
        .filter(sso_config::Column::Enabled.eq(true))
        .order_by_asc(sso_config::Column::DisplayName)
        .all(conn)
        .await?)
}

// ---- sign-up settings

pub async fn sign_up<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
) -> StoreResult<Option<SignUpSettings>> {
    Ok(sign_up_settings::Entity::find_by_id(org_id)
        .one(conn)
        .await?)
}

pub async fn put_sign_up<C: ConnectionTrait>(conn: &C, row: SignUpSettings) -> StoreResult<()> {
    use sign_up_settings::Column as C;
    sign_up_settings::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(C::OrgId)
                .update_columns([C::Enabled, C::AllowedDomains, C::UpdatedBy, C::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

// ---- pending sign-ins

pub async fn insert_state<C: ConnectionTrait>(conn: &C, row: SsoState) -> StoreResult<()> {
    row.into_active_model().reset_all().insert(conn).await?;
    Ok(())
}

/// Takes (deletes and returns) the pending sign-in of `org_id` whose state
/// hashes to `state_hash`, if it has not expired. Of two concurrent takes
/// one wins: the delete must touch the row.
pub async fn take_state<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    state_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<SsoState>> {
    let Some(row) = sso_state::Entity::find()
        .filter(sso_state::Column::StateHash.eq(state_hash))
        .filter(sso_state::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let r = sso_state::Entity::delete_by_id(row.id).exec(conn).await?;
    if r.rows_affected == 0 || row.expires_at <= now {
        return Ok(None);
    }
    Ok(Some(row))
}

/// Deletes pending sign-ins that expired.
pub async fn delete_expired_states<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(sso_state::Entity::delete_many()
        .filter(sso_state::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?
        .rows_affected)
}

// ---- linked accounts

pub async fn account_by_provider<C: ConnectionTrait>(
    conn: &C,
    provider: &str,
    provider_account_id: &str,
) -> StoreResult<Option<Account>> {
    Ok(account::Entity::find()
        .filter(account::Column::Provider.eq(provider))
        .filter(account::Column::ProviderAccountId.eq(provider_account_id))
        .one(conn)
        .await?)
}

/// Links an external account; one that is linked already is a conflict.
pub async fn insert_account<C: ConnectionTrait>(conn: &C, row: Account) -> StoreResult<Account> {
    row.into_active_model()
        .reset_all()
        .insert(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("this external account is linked already".into())
            } else {
                e.into()
            }
        })
}

pub async fn touch_account<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    account::ActiveModel {
        id: Set(id),
        last_login_at: Set(Some(now)),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// The external accounts linked to a user, oldest first.
pub async fn accounts_of<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<Vec<Account>> {
    Ok(account::Entity::find()
        .filter(account::Column::UserId.eq(user_id))
        .order_by_asc(account::Column::Id)
        .all(conn)
        .await?)
}

/// Erasure (issue 16 item 1): a person's external account links are
/// personal data (the provider's identifier of them); they are deleted, so
/// the provider can no longer sign into the erased account.
pub async fn erase_person<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<()> {
    account::Entity::delete_many()
        .filter(account::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
