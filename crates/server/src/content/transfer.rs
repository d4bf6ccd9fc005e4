//! Import (GIFT, Aiken, CSV; atomic unless `partial`, written in chunks
//! that are undone on failure) and export of a bank's questions.

use chrono::{DateTime, Utc};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::{BankStatus, ExportFormat, ImportFormat, Question, export, import};
use invigil_domain::identity::Action;
use invigil_store::content::{self, Bank, QuestionMeta};

use super::service::{begin_edit, load_bank, meta_of};
use crate::audit::AuditAction;
use crate::authz::{Authorized, OrgCtx};
use crate::http::error::{ApiError, LineError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(as = QuestionImportResult)]
pub struct ImportResult {
    pub imported: usize,
    pub errors: Vec<LineError>,
}

/// Imports questions; atomic unless `partial`.
pub async fn import_questions(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    format: &str,
    text: &str,
    partial: bool,
) -> Result<ImportResult, ApiError> {
    let (bank, auth) = load_bank(state, ctx, bank_id, Action::AuthorContent).await?;
    let format = match format {
        "gift" => ImportFormat::Gift,
        "aiken" => ImportFormat::Aiken,
        "csv" => ImportFormat::Csv,
        _ => return Err(ApiError::field("format", "must be gift, aiken or csv")),
    };
    if !bank.status.is_editable() {
        return Err(ApiError::conflict(format!(
            "the bank is {} and cannot be edited",
            bank.status
        )));
    }
    let parsing = std::time::Instant::now();
    let outcome = import(format, text);
    let parse_ms = parsing.elapsed().as_millis();
    let errors: Vec<LineError> = outcome
        .errors
        .iter()
        .map(|e| LineError {
            line: e.line,
            message: e.message.clone(),
        })
        .collect();
    if !errors.is_empty() && !partial {
        return Err(ApiError::LineValidation(errors));
    }
    if outcome.items.is_empty() && errors.is_empty() {
        return Err(ApiError::LineValidation(vec![LineError {
            line: 1,
            message: "no questions found".into(),
        }]));
    }
    let metas: Vec<QuestionMeta> = outcome.items.iter().map(|i| meta_of(&i.question)).collect();
    let now = state.now();
    let detail = serde_json::json!({ "format": format!("{format:?}").to_lowercase(), "imported": metas.len(), "skipped": errors.len() });
    let writing = std::time::Instant::now();
    write_import(state, &auth, &bank, &metas, detail, now).await?;
    tracing::info!(
        bank_id = %bank.id,
        questions = metas.len(),
        bytes = text.len(),
        parse_ms,
        write_ms = writing.elapsed().as_millis(),
        "questions imported"
    );
    Ok(ImportResult {
        imported: metas.len(),
        errors,
    })
}

/// Questions per import transaction on SQLite. Between chunks the one
/// writer connection is free, so autosaves waiting for it go first: a large
/// import never holds the writer for more than one chunk. On PostgreSQL an
/// import is one transaction (see `Db::bulk_writes_in_chunks`).
pub const IMPORT_CHUNK: usize = 250;

/// Writes validated imported questions in chunks of [`IMPORT_CHUNK`], each
/// its own transaction that re-checks the bank is still editable (a submit
/// between chunks stops the import); the audit entry is written with the
/// last chunk.
///
/// All or nothing: everything was validated in memory before, so a chunk
/// only fails on a database error or a concurrent state change. Then the
/// chunks already committed are deleted again (chunk by chunk) and the
/// error is returned. Only when that clean-up fails too (the database went
/// away) can the bank keep a prefix of the import; that is logged. When
/// the request is cancelled part-way (timeout, client gone), the written
/// chunks are deleted in the background the same way.
/// Meanwhile readers of the DRAFT bank may see it grow.
async fn write_import(
    state: &AppState,
    auth: &Authorized,
    bank: &Bank,
    metas: &[QuestionMeta],
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let size = if state.db.bulk_writes_in_chunks() {
        IMPORT_CHUNK
    } else {
        metas.len().max(1)
    };
    let chunks: Vec<&[QuestionMeta]> = metas.chunks(size).collect();
    let mut current = bank.clone();
    // Undoes what was written if this future is dropped part-way (the
    // request timed out or the client went away).
    let mut written = UndoOnDrop {
        state: state.clone(),
        org_id: auth.org_id,
        bank_id: bank.id,
        ids: Vec::with_capacity(metas.len()),
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let step = async {
            let tx = begin(state).await?;
            begin_edit(&tx, auth, &current, now).await?;
            let ids = content::insert_questions(
                &tx,
                auth.org_id,
                bank.id,
                chunk,
                auth.actor.user_id,
                now,
            )
            .await?;
            // Recorded before the commit: a commit cut short by a dropped
            // request may still land, and undoing rows that never landed
            // deletes nothing.
            written.ids.extend(ids.iter().copied());
            if last {
                auth.audit(now)
                    .record(&tx, AuditAction::BankImported, bank.id, detail.clone())
                    .await?;
            }
            commit(tx).await?;
            Ok::<_, ApiError>(())
        }
        .await;
        match step {
            Ok(()) => {}
            Err(e) => {
                let ids = std::mem::take(&mut written.ids);
                undo_import(state, auth.org_id, bank.id, &ids).await;
                return Err(e);
            }
        }
        // The first chunk moved a REJECTED bank back to DRAFT.
        current.status = BankStatus::Draft;
        if !last {
            tokio::task::yield_now().await;
        }
    }
    // Complete: nothing to undo.
    written.ids.clear();
    Ok(())
}

/// The questions an import committed so far; dropped while not empty, it
/// deletes them in the background.
struct UndoOnDrop {
    state: AppState,
    org_id: Uuid,
    bank_id: Uuid,
    ids: Vec<Uuid>,
}

impl Drop for UndoOnDrop {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        let ids = std::mem::take(&mut self.ids);
        let (state, org_id, bank_id) = (self.state.clone(), self.org_id, self.bank_id);
        tracing::warn!(%bank_id, questions = ids.len(), "import interrupted; undoing what it wrote");
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { undo_import(&state, org_id, bank_id, &ids).await });
        }
    }
}

/// Deletes the questions a failed import already committed.
async fn undo_import(state: &AppState, org_id: Uuid, bank_id: Uuid, ids: &[Uuid]) {
    for chunk in ids.chunks(IMPORT_CHUNK) {
        let undone = async {
            let tx = begin(state).await?;
            content::delete_new_questions(&tx, org_id, bank_id, chunk).await?;
            commit(tx).await
        }
        .await;
        if let Err(e) = undone {
            tracing::error!(%bank_id, error = %e, left = ids.len(), "a failed import could not be undone; the bank keeps part of it");
            return;
        }
    }
}

/// Exports the bank's active questions.
pub async fn export_questions(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    format: &str,
) -> Result<(ExportFormat, String), ApiError> {
    let (bank, auth) = load_bank(state, ctx, bank_id, Action::AuthorContent).await?;
    let format = match format {
        "gift" => ExportFormat::Gift,
        "csv" => ExportFormat::Csv,
        _ => return Err(ApiError::field("format", "must be gift or csv")),
    };
    let questions = content::active_questions(state.db.read(), auth.org_id, bank.id)
        .await?
        .iter()
        .map(|(_, v)| v.question())
        .collect::<Result<Vec<Question>, _>>()?;
    Ok((format, export(format, &questions)))
}
