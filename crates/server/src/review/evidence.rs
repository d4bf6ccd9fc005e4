//! Evidence frames: upload (`POST /sessions/{session}/frames`, encrypted at
//! rest), the reviewer's read (`GET /orgs/{org}/sessions/{session}/frames/{id}`,
//! audited as `evidence.read`) and the retention purge (audited as
//! `evidence.purged`).
//!
//! Storage: the ciphertext goes to the server's blob store
//! ([`EvidenceBlobs`]: local disk under `<data_dir>/evidence/` or the
//! `evidence/` prefix of the S3 bucket, at `ab/cd/<sha256>`, content-addressed
//! by its SHA-256), the row keeps the nonce, the content type, the plaintext
//! size and the storage key (the bare SHA-256, as before the blob store).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::proctoring::EventSource;
use invigil_domain::review::{ImageType, IntegrityStatus};
use invigil_store::delivery::Session;
use invigil_store::exams as exam_store;
use invigil_store::proctoring::evidence::{self as store, Frame};
use invigil_store::tenancy;

use super::keys::{FrameAad, KeyError, MasterKey};
use super::staff_session;
use crate::audit::{Audit, AuditAction};
use crate::authz::OrgCtx;
use crate::files::blob::{BlobKey, BlobStore};
use crate::http::auth::ClientInfo;
use crate::http::error::ApiError;
use crate::proctoring::auth::DeviceOrCandidate;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// Org settings key of the retention period, in days.
pub const RETENTION_SETTING: &str = "evidence_retention_days";
pub const DEFAULT_RETENTION_DAYS: i64 = 30;
pub const MAX_RETENTION_DAYS: i64 = 3650;
/// Integrity statuses whose evidence the purge removes once retention is
/// over. Sessions with a confirmed violation, or still to be (re)reviewed,
/// keep their evidence.
pub const PURGEABLE: &[IntegrityStatus] = &[IntegrityStatus::Cleared];

/// The evidence store of this server: its blob store's evidence place.
pub fn evidence_store(state: &AppState) -> EvidenceBlobs {
    EvidenceBlobs(state.blobs.evidence.clone())
}

/// Content-addressed ciphertexts in a blob store. A frame row keeps the hex
/// SHA-256 as its storage key; the blob lives at `ab/cd/<sha256>`
/// (two-level fan-out, so no directory grows past 65 536 entries) — the
/// layout evidence had on local disk before, so old frames stay readable.
#[derive(Debug, Clone)]
pub struct EvidenceBlobs(pub BlobStore);

impl EvidenceBlobs {
    /// The blob key of a storage key; anything but 64 lower-case hex digits
    /// (a bad row) is refused.
    pub fn blob_key(key: &str) -> std::io::Result<BlobKey> {
        let valid = key.len() == 64
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not an evidence key",
            ));
        }
        BlobKey::parse(&format!("{}/{}/{key}", &key[..2], &key[2..4]))
    }

    /// Stores `bytes` and returns their storage key; storing the same bytes
    /// twice is harmless. Durable when it returns.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let key = store::content_key(bytes);
        self.0
            .put(&Self::blob_key(&key)?, bytes::Bytes::copy_from_slice(bytes))
            .await?;
        Ok(key)
    }

    /// The bytes under `key`, or `None` when there are none.
    pub async fn get(&self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        Ok(self.0.get(&Self::blob_key(key)?).await?.map(|b| b.to_vec()))
    }

    /// Removes the bytes under `key`; a missing blob is not an error.
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        self.0.delete(&Self::blob_key(key)?).await
    }
}

/// What can go wrong with a frame's ciphertext: its key, its blob, its
/// stored nonce. Every one is a 500 (the detail goes to the log).
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("evidence store: {0}")]
    Blob(#[from] std::io::Error),
    #[error("stored nonce: {0}")]
    Nonce(#[from] hex::FromHexError),
}

impl From<EvidenceError> for ApiError {
    fn from(e: EvidenceError) -> Self {
        ApiError::caused_by(e)
    }
}

// ---- who uploads

/// Who uploads a frame, and to which session: the session's candidate (their
/// ACCESS token; source LAPTOP) or the phone paired with that session (its
/// DEVICE token; source MOBILE). Another person's session, or a session the
/// phone is not paired with, is 404.
///
/// The single place where frame uploads meet the credentials: it defers to
/// the proctoring module's [`DeviceOrCandidate`], the same extractor events
/// and heartbeats use.
#[derive(Debug, Clone)]
pub struct FrameUploader {
    pub session: Session,
    /// LAPTOP or MOBILE.
    pub source: EventSource,
}

impl FromRequestParts<AppState> for FrameUploader {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let who = DeviceOrCandidate::from_request_parts(parts, state).await?;
        Ok(FrameUploader {
            session: who.session,
            source: who.source,
        })
    }
}

// ---- upload

/// The image type of an upload: the declared type, confirmed by the bytes'
/// signature. Anything else is 415.
pub fn sniff(declared: ImageType, bytes: &[u8]) -> Result<ImageType, ApiError> {
    if declared.matches(bytes) {
        Ok(declared)
    } else {
        Err(ApiError::UnsupportedMediaType(
            "a frame is an image/jpeg or image/png body whose bytes match its type".into(),
        ))
    }
}

/// The declared image type, checked before the body is read.
pub fn declared_type(headers: &HeaderMap) -> Result<ImageType, ApiError> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(ImageType::of_mime)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType("expected Content-Type: image/jpeg or image/png".into())
        })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameCreated {
    pub frame_id: Uuid,
    /// LAPTOP or MOBILE.
    #[schema(value_type = String)]
    pub source: EventSource,
    #[schema(value_type = String)]
    pub content_type: ImageType,
    /// Plaintext bytes.
    pub size: i64,
    pub captured_at: DateTime<Utc>,
}

/// Checks, before the body is read, that the uploader's session takes
/// evidence: its exam is proctored (else 409 `proctoring_disabled`) and it is
/// running or finished less than the grace period ago (else 409
/// `session_closed`; the same rule as late proctoring events).
pub async fn check_target(state: &AppState, s: &Session) -> Result<(), ApiError> {
    let exam = exam_store::exam(state.db.read(), s.org_id, s.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !exam.enable_proctoring {
        return Err(ApiError::conflict_code(
            "proctoring_disabled",
            "this exam is not proctored: it takes no evidence",
        ));
    }
    if let Some(f) = s.finished_at
        && state.now() > f + state.config.grace()
    {
        return Err(ApiError::conflict_code(
            "session_closed",
            "the session is over: it takes no more evidence",
        ));
    }
    Ok(())
}

/// Encrypts and stores a frame. `bytes` were checked by [`sniff`].
#[tracing::instrument(skip_all, err, fields(session_id = %s.id))]
pub async fn store_frame(
    state: &AppState,
    s: &Session,
    source: EventSource,
    content_type: ImageType,
    bytes: &[u8],
) -> Result<FrameCreated, ApiError> {
    let frame_id = Uuid::now_v7();
    let aad = FrameAad {
        session_id: s.id,
        frame_id,
        content_type: content_type.name(),
    };
    let (nonce, key) = seal_and_put(state, s.org_id, &aad, bytes).await?;
    let now = state.now();
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    store::insert_frame(
        state.db.write(),
        Frame {
            id: frame_id,
            org_id: s.org_id,
            session_id: s.id,
            source,
            content_type,
            size,
            storage_key: key,
            nonce,
            captured_at: now,
            purged_at: None,
        },
    )
    .await?;
    metrics::counter!("evidence_frames_total").increment(1);
    Ok(FrameCreated {
        frame_id,
        source,
        content_type,
        size,
        captured_at: now,
    })
}

/// Encrypts `bytes` with the organization's key and stores the ciphertext:
/// the nonce (hex) and the blob's key.
async fn seal_and_put(
    state: &AppState,
    org_id: Uuid,
    aad: &FrameAad<'_>,
    bytes: &[u8],
) -> Result<(String, String), EvidenceError> {
    let master = MasterKey::load(&state.config).await?;
    let (nonce, ciphertext) = master.org_key(org_id).seal(bytes, aad)?;
    let key = evidence_store(state).put(&ciphertext).await?;
    Ok((hex::encode(nonce), key))
}

/// The plaintext of a frame; `None` when its blob is missing.
async fn get_and_open(state: &AppState, frame: &Frame) -> Result<Option<Vec<u8>>, EvidenceError> {
    let Some(ciphertext) = evidence_store(state).get(&frame.storage_key).await? else {
        return Ok(None);
    };
    let nonce = hex::decode(&frame.nonce)?;
    let master = MasterKey::load(&state.config).await?;
    let aad = FrameAad {
        session_id: frame.session_id,
        frame_id: frame.id,
        content_type: frame.content_type.name(),
    };
    Ok(Some(master.org_key(frame.org_id).open(
        &nonce,
        &ciphertext,
        &aad,
    )?))
}

// ---- reviewer read

/// A decrypted frame.
pub struct FrameImage {
    pub content_type: ImageType,
    pub bytes: Vec<u8>,
}

/// Decrypts a frame for a reviewer (PROCTOR_REVIEWER on the exam's
/// department) and records the read in the audit log before answering.
#[tracing::instrument(skip_all, err, fields(session_id = %session_id, frame_id = %frame_id))]
pub async fn read_frame(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
    frame_id: Uuid,
) -> Result<FrameImage, ApiError> {
    let (s, _exam, auth) = staff_session(state, ctx, session_id, Action::ReviewSessions).await?;
    let frame = store::frame_in_session(state.db.read(), auth.org_id, s.id, frame_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if frame.purged_at.is_some() {
        // Retention removed the evidence: nothing to show.
        return Err(ApiError::NotFound);
    }
    let Some(bytes) = get_and_open(state, &frame).await? else {
        tracing::warn!(frame_id = %frame.id, "evidence blob missing");
        return Err(ApiError::NotFound);
    };
    let now = state.now();
    let tx = begin(state).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::EvidenceRead,
            frame.id,
            serde_json::json!({ "session_id": s.id, "source": frame.source, "content_type": frame.content_type }),
        )
        .await?;
    commit(tx).await?;
    Ok(FrameImage {
        content_type: frame.content_type,
        bytes,
    })
}

// ---- retention

/// The organization's retention period in days (`evidence_retention_days`
/// in its settings, 1..=3650; otherwise 30).
pub fn retention_days(org_id: Uuid, settings: &str) -> i64 {
    crate::proctoring::org_setting(org_id, settings, RETENTION_SETTING)
        .and_then(|v| v.as_i64())
        .filter(|d| (1..=MAX_RETENTION_DAYS).contains(d))
        .unwrap_or(DEFAULT_RETENTION_DAYS)
}

/// Deletes the evidence of sessions CLEARED and finished (and decided) more
/// than the organization's retention period ago, and marks their frames
/// purged; one `evidence.purged` audit entry per organization and run.
/// Returns how many frames were purged.
///
/// Blobs go first, rows after: a crash in between leaves rows that the next
/// run purges again (deleting a missing blob is fine), never a row marked
/// purged whose ciphertext is still on disk.
pub async fn purge(state: &AppState) -> anyhow::Result<usize> {
    const BATCH: u64 = 500;
    let now = state.now();
    let blobs = evidence_store(state);
    let mut total = 0;
    for org_id in store::orgs_with_frames(state.db.read()).await? {
        let Some(org) = tenancy::org_by_id(state.db.read(), org_id).await? else {
            continue;
        };
        let days = retention_days(org_id, &org.settings);
        let cutoff = now - Duration::days(days);
        let mut purged: Vec<Uuid> = Vec::new();
        let mut sessions: Vec<Uuid> = Vec::new();
        loop {
            let frames =
                store::purgeable_frames(state.db.read(), org_id, PURGEABLE, cutoff, BATCH).await?;
            if frames.is_empty() {
                break;
            }
            let ids: Vec<Uuid> = frames.iter().map(|f| f.id).collect();
            for f in &frames {
                if !store::key_still_used(state.db.read(), &f.storage_key, &ids).await? {
                    blobs.delete(&f.storage_key).await?;
                }
                sessions.push(f.session_id);
            }
            let tx = state.db.begin().await?;
            store::mark_purged(&tx, &ids, now).await?;
            tx.commit().await?;
            purged.extend(ids);
            if (frames.len() as u64) < BATCH {
                break;
            }
        }
        if purged.is_empty() {
            continue;
        }
        sessions.sort();
        sessions.dedup();
        let tx = state.db.begin().await?;
        let client = ClientInfo::default();
        Audit::anonymous(&client, Some(org_id), now)
            .record(
                &tx,
                AuditAction::EvidencePurged,
                Option::<Uuid>::None,
                serde_json::json!({
                "frames": purged.len(),
                "sessions": sessions,
                "retention_days": days,
                    "cutoff": cutoff,
                }),
            )
            .await?;
        tx.commit().await?;
        tracing::info!(org = %org.slug, frames = purged.len(), "evidence purged");
        total += purged.len();
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_checks_the_signature_of_the_declared_type() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        assert_eq!(sniff(ImageType::Jpeg, &jpeg).unwrap(), ImageType::Jpeg);
        assert!(sniff(ImageType::Png, &jpeg).is_err());
        assert!(sniff(ImageType::Jpeg, b"GIF89a").is_err());
        assert!(sniff(ImageType::Jpeg, &[]).is_err());
    }

    #[test]
    fn retention_defaults_and_bounds() {
        let org = Uuid::nil();
        assert_eq!(retention_days(org, "{}"), 30);
        assert_eq!(retention_days(org, r#"{"evidence_retention_days": 7}"#), 7);
        assert_eq!(retention_days(org, r#"{"evidence_retention_days": 0}"#), 30);
        assert_eq!(
            retention_days(org, r#"{"evidence_retention_days": "7"}"#),
            30
        );
        assert_eq!(retention_days(org, "not json"), 30);
    }
}
