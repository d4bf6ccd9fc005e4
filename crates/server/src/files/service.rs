//! Uploads, lists, metadata, usage and deletion of files. Every function
//! takes an [`Authorized`] (or, for [`file_of`], only an organization: the
//! caller authorizes), and every query is scoped by that organization.
//!
//! An upload is streamed: the first bytes decide the content type (never
//! the client's `Content-Type`), then chunks go to the blob store as they
//! arrive while the size, the organization's quota and the SHA-256 are
//! tracked. Any refusal aborts the blob: nothing is stored. Deleting marks
//! the row deleted (kept for the audit trail) and removes the blob at once.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::files::{FileKind, SNIFF_LEN, sanitize_name, sniff};
use invigil_store::files::{self as store, File, FileFilter};
use invigil_store::tenancy;
use invigil_store::{Db, Keyset, KeysetPage};

use super::blob::{BlobKey, BlobWriter};
use crate::audit::AuditAction;
use crate::authz::{Authorized, OrgCtx};
use crate::config::Config;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

use invigil_domain::identity::Action;

/// Org settings key of the organization's quota, in bytes.
pub const QUOTA_SETTING: &str = "files_quota_bytes";

/// Uploading, listing, downloading and deleting files: course staff
/// (`TeachCourses`) or course administrators (`ManageCourses`).
pub fn authorize(ctx: &OrgCtx) -> Result<Authorized, ApiError> {
    ctx.authorize(Action::TeachCourses)
        .or_else(|_| ctx.authorize(Action::ManageCourses))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileView {
    pub id: Uuid,
    /// VIDEO, PDF, IMAGE, AUDIO or DOCUMENT.
    #[schema(value_type = String)]
    pub kind: FileKind,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub original_name: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes (the download's ETag).
    pub sha256: String,
    pub uploaded_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<File> for FileView {
    fn from(f: File) -> Self {
        FileView {
            id: f.id,
            kind: f.kind,
            entity_type: f.entity_type,
            entity_id: f.entity_id,
            original_name: f.original_name,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            uploaded_by: f.uploaded_by,
            created_at: f.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// VIDEO, PDF, IMAGE, AUDIO or DOCUMENT.
    pub kind: String,
    /// The file's name (sanitized: last path segment, no control characters).
    pub name: String,
    /// What the file is attached to (e.g. `lecture`), with `entity_id`.
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only files of this kind.
    pub kind: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    /// Bytes of the organization's files (deleted ones excluded).
    pub used_bytes: i64,
    pub quota_bytes: u64,
}

fn parse_kind(raw: &str) -> Result<FileKind, ApiError> {
    FileKind::parse(raw)
        .ok_or_else(|| ApiError::field("kind", "must be one of VIDEO, PDF, IMAGE, AUDIO, DOCUMENT"))
}

fn parse_entity_type(raw: Option<String>) -> Result<Option<String>, ApiError> {
    match raw {
        None => Ok(None),
        Some(t)
            if (1..=64).contains(&t.len())
                && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
        {
            Ok(Some(t))
        }
        Some(_) => Err(ApiError::field(
            "entity_type",
            "1 to 64 lower-case letters or underscores",
        )),
    }
}

/// The largest upload of `kind`.
pub fn size_limit(config: &Config, kind: FileKind) -> u64 {
    match kind {
        FileKind::Video => config.files_max_video_bytes,
        FileKind::Pdf => config.files_max_pdf_bytes,
        FileKind::Image => config.files_max_image_bytes,
        FileKind::Audio => config.files_max_audio_bytes,
        FileKind::Document => config.files_max_document_bytes,
    }
}

/// The organization's quota: its `files_quota_bytes` setting (a whole
/// number of bytes) or the server's `files_quota_bytes`.
pub async fn quota(state: &AppState, org_id: Uuid) -> Result<u64, ApiError> {
    let org = tenancy::org_by_id(state.db.read(), org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(
        crate::proctoring::org_setting(org_id, &org.settings, QUOTA_SETTING)
            .and_then(|v| v.as_u64())
            .unwrap_or(state.config.files_quota_bytes),
    )
}

fn too_large(kind: FileKind, limit: u64) -> ApiError {
    ApiError::TooLarge {
        code: "file_too_large",
        detail: format!("a {kind} file may have at most {limit} bytes"),
    }
}

fn over_quota(used: u64, quota: u64) -> ApiError {
    ApiError::TooLarge {
        code: "quota_exceeded",
        detail: format!(
            "the organization's files would exceed its quota of {quota} bytes ({used} in use)"
        ),
    }
}

fn declared_length(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    match headers.get(header::CONTENT_LENGTH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest("invalid Content-Length".into())),
    }
}

/// Streams an upload into the blob store and records it (`file.uploaded`).
#[tracing::instrument(skip_all, err, fields(org_id = %auth.org_id))]
pub async fn upload(
    state: &AppState,
    auth: &Authorized,
    q: UploadQuery,
    headers: &HeaderMap,
    body: Body,
) -> Result<FileView, ApiError> {
    let kind = parse_kind(&q.kind)?;
    let name = sanitize_name(&q.name);
    if q.name.trim().is_empty() {
        return Err(ApiError::field("name", "must not be empty"));
    }
    let entity_type = parse_entity_type(q.entity_type)?;
    if entity_type.is_some() != q.entity_id.is_some() {
        return Err(ApiError::field(
            "entity_id",
            "entity_type and entity_id go together",
        ));
    }
    let limit = size_limit(&state.config, kind);
    let quota = quota(state, auth.org_id).await?;
    let used = u64::try_from(store::bytes_used(state.db.read(), auth.org_id).await?).unwrap_or(0);
    // Refused before a byte is read when the declared length says so.
    if let Some(len) = declared_length(headers)? {
        if len > limit {
            return Err(too_large(kind, limit));
        }
        if used.saturating_add(len) > quota {
            return Err(over_quota(used, quota));
        }
    }
    if used >= quota {
        return Err(over_quota(used, quota));
    }

    let mut stream = body.into_data_stream();
    let read_err = |e: axum::Error| ApiError::BadRequest(format!("reading the body failed: {e}"));
    // The first bytes decide what the file is.
    let mut head = BytesMut::new();
    let mut complete = false;
    while head.len() < SNIFF_LEN {
        match stream.next().await {
            Some(chunk) => head.extend_from_slice(&chunk.map_err(read_err)?),
            None => {
                complete = true;
                break;
            }
        }
        if head.len() as u64 > limit {
            return Err(too_large(kind, limit));
        }
    }
    if head.is_empty() {
        return Err(ApiError::field("body", "the file is empty"));
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let sniffed = sniff(&head[..head.len().min(SNIFF_LEN)], complete, &extension);
    let Some(content_type) = kind.content_type(sniffed) else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "a {kind} file must be {}; these bytes look like {}",
            kind.describe(),
            sniffed.mime()
        )));
    };

    let id = Uuid::now_v7();
    let key = BlobKey::parse(&format!("{}/{}", auth.org_id.simple(), id.simple()))
        .map_err(ApiError::caused_by)?;
    let blobs = &state.blobs.files;
    let mut writer = blobs.writer(&key).await.map_err(ApiError::caused_by)?;
    let written = stream_into(&mut writer, head.freeze(), stream, |size| {
        if size > limit {
            Err(too_large(kind, limit))
        } else if used.saturating_add(size) > quota {
            Err(over_quota(used, quota))
        } else {
            Ok(())
        }
    })
    .await;
    let (size, sha256) = match written {
        Ok(v) => v,
        Err(e) => {
            writer.abort().await;
            return Err(e);
        }
    };
    writer.finish().await.map_err(ApiError::caused_by)?;

    let recorded = record(
        state,
        auth,
        File {
            id,
            org_id: auth.org_id,
            uploaded_by: auth.actor.user_id,
            kind,
            entity_type,
            entity_id: q.entity_id,
            original_name: name,
            content_type: content_type.to_owned(),
            size: i64::try_from(size).unwrap_or(i64::MAX),
            sha256,
            storage_key: key.as_str().to_owned(),
            created_at: state.now(),
            deleted_at: None,
        },
        quota,
    )
    .await;
    match recorded {
        Ok(f) => {
            metrics::counter!("files_uploaded_total").increment(1);
            metrics::counter!("files_uploaded_bytes_total").increment(size);
            Ok(f.into())
        }
        Err(e) => {
            // No row: the blob must not stay behind.
            if let Err(d) = blobs.delete(&key).await {
                tracing::warn!(error = %d, key = key.as_str(), "removing a refused upload failed");
            }
            Err(e)
        }
    }
}

/// Writes `head` and the rest of `stream`, checking `check(size so far)`
/// after every chunk. Returns the size and the hex SHA-256.
async fn stream_into(
    writer: &mut BlobWriter,
    head: Bytes,
    mut stream: axum::body::BodyDataStream,
    check: impl Fn(u64) -> Result<(), ApiError>,
) -> Result<(u64, String), ApiError> {
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut next = Some(head);
    loop {
        let Some(chunk) = next.take() else {
            match stream.next().await {
                Some(Ok(c)) => next = Some(c),
                Some(Err(e)) => {
                    return Err(ApiError::BadRequest(format!(
                        "reading the body failed: {e}"
                    )));
                }
                None => break,
            }
            continue;
        };
        size += chunk.len() as u64;
        check(size)?;
        hasher.update(&chunk);
        writer.write(chunk).await.map_err(ApiError::caused_by)?;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Inserts the row and its audit entry, the quota checked again inside the
/// transaction (another upload may have finished meanwhile).
async fn record(
    state: &AppState,
    auth: &Authorized,
    f: File,
    quota: u64,
) -> Result<File, ApiError> {
    let tx = begin(state).await?;
    let used = u64::try_from(store::bytes_used(&tx, auth.org_id).await?).unwrap_or(0);
    let size = u64::try_from(f.size).unwrap_or(u64::MAX);
    if used.saturating_add(size) > quota {
        return Err(over_quota(used, quota));
    }
    let f = store::insert_file(&tx, f).await?;
    auth.audit(state.now())
        .record(
            &tx,
            AuditAction::FileUploaded,
            f.id,
            serde_json::json!({
                "kind": f.kind, "name": f.original_name, "content_type": f.content_type,
                "size": f.size, "sha256": f.sha256,
                "entity_type": f.entity_type, "entity_id": f.entity_id,
            }),
        )
        .await?;
    commit(tx).await?;
    Ok(f)
}

/// A file of the organization that is not deleted (404 otherwise). No
/// authorization here: the caller (files routes, the courses module for
/// learners) decides who may see it.
pub async fn file_of(db: &Db, org_id: Uuid, id: Uuid) -> Result<File, ApiError> {
    store::file_in_org(db.read(), org_id, id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or(ApiError::NotFound)
}

pub async fn list(
    state: &AppState,
    auth: &Authorized,
    q: ListQuery,
    page: Keyset<Uuid>,
) -> Result<Page<FileView>, ApiError> {
    let filter = FileFilter {
        kind: q.kind.as_deref().map(parse_kind).transpose()?,
        entity_type: parse_entity_type(q.entity_type)?,
        entity_id: q.entity_id,
    };
    let rows: KeysetPage<File, Uuid> =
        store::list_files(state.db.read(), auth.org_id, &filter, page).await?;
    Ok(Page::from_keyset(rows, FileView::from))
}

pub async fn usage(state: &AppState, auth: &Authorized) -> Result<Usage, ApiError> {
    Ok(Usage {
        used_bytes: store::bytes_used(state.db.read(), auth.org_id).await?,
        quota_bytes: quota(state, auth.org_id).await?,
    })
}

/// Soft-deletes a file (`file.deleted`) and removes its blob.
#[tracing::instrument(skip_all, err, fields(file_id = %id))]
pub async fn delete(state: &AppState, auth: &Authorized, id: Uuid) -> Result<(), ApiError> {
    let f = file_of(&state.db, auth.org_id, id).await?;
    let now = state.now();
    let tx = begin(state).await?;
    if !store::mark_deleted(&tx, auth.org_id, id, now).await? {
        return Err(ApiError::NotFound);
    }
    auth.audit(now)
        .record(
            &tx,
            AuditAction::FileDeleted,
            f.id,
            serde_json::json!({ "kind": f.kind, "name": f.original_name, "size": f.size }),
        )
        .await?;
    commit(tx).await?;
    // After the commit: a crash in between leaves an orphan blob, never a
    // live row without its bytes.
    match BlobKey::parse(&f.storage_key) {
        Ok(key) => {
            if let Err(e) = state.blobs.files.delete(&key).await {
                tracing::warn!(error = %e, file_id = %f.id, "removing a deleted file's blob failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, file_id = %f.id, "a file row with a bad storage key"),
    }
    Ok(())
}
