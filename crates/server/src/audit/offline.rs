//! The audit log outside the server: `invigil admin audit-verify` and
//! `invigil admin audit-export` (JSON lines), for operators and auditors.
//! Both read the chain in order, 1000 entries at a time.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use invigil_store::audit::{self, AuditEntry, Verification};
use invigil_store::{Db, StoreError};

use crate::progress::Progress;

/// One exported entry: every stored field, so that anybody can recompute
/// the chain from the export (`prev_hash` -> `hash`).
#[derive(Debug, Serialize)]
pub struct ExportedEntry {
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
    /// The details object; the stored text as a string if it does not
    /// decode (an export is for forensics: it never hides a row).
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditEntry> for ExportedEntry {
    fn from(e: AuditEntry) -> Self {
        let details = e
            .details_json()
            .unwrap_or_else(|_| serde_json::Value::String(e.details.clone()));
        ExportedEntry {
            id: e.id,
            chain: e.chain,
            seq: e.seq,
            org_id: e.org_id,
            actor_id: e.actor_id,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            ip: e.ip,
            user_agent: e.user_agent,
            details,
            created_at: e.created_at,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Verifies the chain of `org_id` (the platform's for `None`) with a
/// progress bar on a terminal.
pub async fn verify(db: &Db, org_id: Option<Uuid>) -> Result<Verification, StoreError> {
    audit::link_pending(db).await?;
    let total = audit::count(db.read(), org_id).await?;
    let mut bar = Progress::new("verifying", total);
    let v = audit::verify_with(db.read(), org_id, |n| bar.set(n)).await?;
    bar.finish(v.entries);
    Ok(v)
}

/// Writes the chain of `org_id` to `out`, one JSON object per line, oldest
/// first; returns how many entries were written.
pub async fn export(db: &Db, org_id: Option<Uuid>, out: &mut dyn Write) -> anyhow::Result<u64> {
    audit::link_pending(db).await?;
    let total = audit::count(db.read(), org_id).await?;
    let mut bar = Progress::new("exporting", total);
    let mut written = 0u64;
    let mut failed: Option<anyhow::Error> = None;
    audit::walk(db.read(), org_id, |e| {
        let line = match serde_json::to_string(&ExportedEntry::from(e)) {
            Ok(l) => l,
            Err(err) => {
                failed = Some(err.into());
                return false;
            }
        };
        if let Err(err) = writeln!(out, "{line}") {
            failed = Some(err.into());
            return false;
        }
        written += 1;
        if written.is_multiple_of(1000) {
            bar.set(written);
        }
        true
    })
    .await?;
    if let Some(e) = failed {
        return Err(e);
    }
    out.flush()?;
    bar.finish(written);
    Ok(written)
}
