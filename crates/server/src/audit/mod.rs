//! The audit module: every security- or grade-relevant change records an
//! entry through [`Audit::record`], inside the transaction of the change. Reading
//! and verifying the chain is for ORG_ADMIN and QUALITY_ASSURANCE.

pub mod export;
pub mod offline;
pub mod routes;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use invigil_store::audit::{self, NewEntry};
use invigil_store::{StoreError, Tx};

pub use invigil_domain::audit::AuditAction;

use crate::authz::{Actor, Authorized};
use crate::http::auth::ClientInfo;

/// Who records, in which chain, and when: made once per change, then each
/// entry is one call, `audit.record(&tx, AuditAction::ExamCreated, exam.id,
/// json!({..}))`.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    pub org_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub client: &'a ClientInfo,
    pub now: DateTime<Utc>,
}

impl<'a> Audit<'a> {
    /// An authenticated actor, in `org_id`'s chain (`None`: platform chain).
    pub fn by(actor: &'a Actor, org_id: Option<Uuid>, now: DateTime<Utc>) -> Self {
        Audit {
            org_id,
            actor_id: Some(actor.user_id),
            client: &actor.client,
            now,
        }
    }

    /// A known user acting without an [`Actor`] (signing in, following a
    /// mailed link, the operator CLI on an account).
    pub fn user(
        user_id: Uuid,
        client: &'a ClientInfo,
        org_id: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Self {
        Audit {
            org_id,
            actor_id: Some(user_id),
            client,
            now,
        }
    }

    /// Nobody signed in (a failed sign-in, a reset request, a job).
    pub fn anonymous(client: &'a ClientInfo, org_id: Option<Uuid>, now: DateTime<Utc>) -> Self {
        Audit {
            org_id,
            actor_id: None,
            client,
            now,
        }
    }

    /// Records `action` on `resource` (its type comes from the action).
    pub async fn record(
        &self,
        tx: &Tx,
        action: AuditAction,
        resource: impl ResourceId,
        details: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.record_on(tx, action, action.resource_type(), resource, details)
            .await
    }

    /// Records `action` on a resource of another type than the action's
    /// own. Only for an action that has always been stored on two kinds of
    /// resource: `member.invited` names the invitation when one person is
    /// invited, but the user when an import or an enrollment invites them
    /// (`tenancy::invitations::invite_in`). Keeps those rows as they were.
    pub async fn record_on(
        &self,
        tx: &Tx,
        action: AuditAction,
        resource_type: &'static str,
        resource: impl ResourceId,
        mut details: serde_json::Value,
    ) -> Result<(), StoreError> {
        // Done with an API key: the entry names the key (the actor is the
        // key's creator).
        if let (Some(key), Some(obj)) = (self.client.api_key_id, details.as_object_mut()) {
            obj.insert("api_key_id".into(), serde_json::json!(key));
        }
        audit::append(
            tx,
            NewEntry {
                org_id: self.org_id,
                actor_id: self.actor_id,
                action: action.name().to_owned(),
                resource_type: resource_type.to_owned(),
                resource_id: resource.resource_id(),
                ip: self.client.ip_string(),
                user_agent: self.client.user_agent.clone(),
                details,
            },
            self.now,
        )
        .await
        .map(|_| ())
    }
}

impl Authorized {
    /// The audit context of this authorized actor in its organization.
    pub fn audit(&self, now: DateTime<Utc>) -> Audit<'_> {
        Audit::by(&self.actor, Some(self.org_id), now)
    }
}

/// What an entry's `resource_id` is made from.
pub trait ResourceId {
    fn resource_id(self) -> Option<String>;
}

impl ResourceId for Uuid {
    fn resource_id(self) -> Option<String> {
        Some(self.to_string())
    }
}

impl ResourceId for &str {
    fn resource_id(self) -> Option<String> {
        Some(self.to_owned())
    }
}

impl ResourceId for String {
    fn resource_id(self) -> Option<String> {
        Some(self)
    }
}

impl<T: ResourceId> ResourceId for Option<T> {
    fn resource_id(self) -> Option<String> {
        self.and_then(ResourceId::resource_id)
    }
}
