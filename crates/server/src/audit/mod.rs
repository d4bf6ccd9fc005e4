//! The audit module: every security- or grade-relevant change records an
//! entry through [`record`], inside the transaction of the change. Reading
//! and verifying the chain is for ORG_ADMIN and QUALITY_ASSURANCE.

pub mod routes;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use invigil_store::audit::{self, NewEntry};
use invigil_store::{StoreError, Tx};

use crate::authz::Actor;
use crate::http::auth::ClientInfo;

/// Records an entry in the organization's chain (or the platform chain when
/// `org_id` is `None`).
#[expect(clippy::too_many_arguments, reason = "one audit entry's fields")]
pub async fn record(
    tx: &Tx,
    org_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    client: &ClientInfo,
    action: &str,
    resource: (&str, Option<String>),
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    audit::append(
        tx,
        NewEntry {
            org_id,
            actor_id,
            action: action.to_owned(),
            resource_type: resource.0.to_owned(),
            resource_id: resource.1,
            ip: client.ip_string(),
            user_agent: client.user_agent.clone(),
            details,
        },
        now,
    )
    .await
    .map(|_| ())
}

/// [`record`] for an authenticated actor.
pub async fn by(
    tx: &Tx,
    org_id: Option<Uuid>,
    actor: &Actor,
    action: &str,
    resource: (&str, Option<String>),
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    record(
        tx,
        org_id,
        Some(actor.user_id),
        &actor.client,
        action,
        resource,
        details,
        now,
    )
    .await
}
