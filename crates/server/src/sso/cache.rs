//! The providers' discovery documents and keys, kept in memory per
//! organization so a sign-in does not fetch them twice (the start and the
//! callback) nor on every sign-in: an entry lives [`TTL`] and belongs to
//! one version of the organization's configuration (its issuer and
//! `updated_at`), so a changed or removed configuration is never served
//! from here, on this server or another one. Saving or removing the
//! configuration also drops the entry; an ID token signed with a key the
//! entry does not know (the provider rotated its keys) makes the sign-in
//! fetch them again once.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use openidconnect::core::CoreProviderMetadata;
use uuid::Uuid;

/// How long discovery and keys are reused.
pub const TTL: Duration = Duration::minutes(10);

struct Entry {
    issuer: String,
    version: DateTime<Utc>,
    fetched_at: DateTime<Utc>,
    metadata: CoreProviderMetadata,
}

/// Per organization, the provider's metadata with its JWKS.
#[derive(Default)]
pub struct ProviderCache {
    entries: Mutex<HashMap<Uuid, Entry>>,
}

impl ProviderCache {
    /// The metadata of `org`'s configuration `(issuer, version)` fetched
    /// less than [`TTL`] before `now`.
    pub fn get(
        &self,
        org: Uuid,
        issuer: &str,
        version: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<CoreProviderMetadata> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&org)
            .filter(|e| e.issuer == issuer && e.version == version)
            .filter(|e| now >= e.fetched_at && now - e.fetched_at < TTL)
            .map(|e| e.metadata.clone())
    }

    pub fn put(
        &self,
        org: Uuid,
        issuer: &str,
        version: DateTime<Utc>,
        metadata: CoreProviderMetadata,
        now: DateTime<Utc>,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(
            org,
            Entry {
                issuer: issuer.to_owned(),
                version,
                fetched_at: now,
                metadata,
            },
        );
    }

    /// Drops `org`'s entry (its configuration was saved or removed).
    pub fn forget(&self, org: Uuid) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&org);
    }
}

impl std::fmt::Debug for ProviderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("ProviderCache")
            .field("entries", &n)
            .finish()
    }
}
