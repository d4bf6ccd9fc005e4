//! The shared shape of bulk uploads of people (candidate import, enrollment):
//! a CSV with a header read by [`CsvRecords`], a row cap, a read-only
//! pre-pass, then writes in short transactions ([`write_in_chunks`]) so a
//! large upload never holds the SQLite writer (or, on PostgreSQL, the
//! organization's audit chain) for long (issue 9 point 14).

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use invigil_domain::csv_records::CsvRecords;
use invigil_domain::identity::Email;
use invigil_store::Tx;
use invigil_store::identity::{AccountStatus, users};
use uuid::Uuid;

use crate::audit::{Audit, AuditAction};
use crate::authz::Authorized;
use crate::http::error::{ApiError, LineError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

// ---- Reading ---------------------------------------------------------------

/// The fields of one CSV record, by column name.
pub struct Fields<'a> {
    headers: &'a [String],
    record: &'a csv::StringRecord,
}

impl Fields<'_> {
    /// The trimmed field of column `name`; empty when the column or the
    /// field is missing.
    pub fn get(&self, name: &str) -> &str {
        self.headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
    }
}

/// Reads an upload's CSV: the header must name every column of `required`
/// (else `missing` on line 1) and only columns of `known`; each record with
/// its line goes through `row`, whose `Err` is that line's message.
pub fn parse_csv<R>(
    text: &str,
    known: &[&str],
    required: &[&str],
    missing: &str,
    mut row: impl FnMut(usize, &Fields<'_>) -> Result<R, String>,
) -> (Vec<R>, Vec<LineError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let (headers, records) = match CsvRecords::with_header(text) {
        Ok(r) => r,
        Err((line, message)) => {
            errors.push(LineError { line, message });
            return (rows, errors);
        }
    };
    if !required.iter().all(|r| headers.iter().any(|h| h == r)) {
        errors.push(LineError {
            line: 1,
            message: missing.to_owned(),
        });
        return (rows, errors);
    }
    if let Some(unknown) = headers.iter().find(|h| !known.contains(&h.as_str())) {
        errors.push(LineError {
            line: 1,
            message: format!("unknown column {unknown:?}"),
        });
        return (rows, errors);
    }
    for (line, record) in records {
        let parsed = record.and_then(|record| {
            row(
                line,
                &Fields {
                    headers: &headers,
                    record: &record,
                },
            )
        });
        match parsed {
            Ok(r) => rows.push(r),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    (rows, errors)
}

// ---- Admitting -------------------------------------------------------------

/// At most this many people per candidate import or enrollment upload
/// (lines that fail to parse count too). A larger upload is refused with
/// 422 before the database is read: split it.
pub const MAX_ROWS: usize = 10_000;

/// The refusal of an account that cannot be added.
pub(crate) const ACCOUNT_REFUSED: &str = "this account is suspended or deactivated";

/// The refusal of the caller's own account found only while writing (it
/// changed its email meanwhile); found before, it refuses the whole upload.
pub(crate) const OWN_ACCOUNT: &str =
    "this is your own account: nobody adds or enrolls themselves as a candidate";

/// One person of an upload.
pub trait UploadRow: Send + Sync + 'static {
    /// Its line in the file (the 1-based index in a JSON list).
    fn line(&self) -> usize;
    fn email(&self) -> &Email;
}

/// Everything checked before anything is written, in order: the row cap
/// (422), any bad line without `partial` (422), an upload without people
/// (422 `empty` on line 1), then a read-only pre-pass on the reader pool:
/// 403 for the whole upload when a row names the caller's own account
/// (nobody adds or enrolls themselves); accounts that cannot be added
/// (suspended, deactivated) are line errors, which fail an atomic upload
/// and are skipped by a partial one. Returns the rows to write and every
/// line error.
pub(crate) async fn admit<R: UploadRow>(
    state: &AppState,
    auth: &Authorized,
    rows: Vec<R>,
    mut errors: Vec<LineError>,
    partial: bool,
    empty: &str,
) -> Result<(Vec<R>, Vec<LineError>), ApiError> {
    check_row_cap(
        rows.iter()
            .map(UploadRow::line)
            .chain(errors.iter().map(|e| e.line)),
    )?;
    if !errors.is_empty() && !partial {
        return Err(ApiError::LineValidation(errors));
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(ApiError::LineValidation(vec![LineError {
            line: 1,
            message: empty.to_owned(),
        }]));
    }
    let refused = refused_accounts(state, auth, &rows).await?;
    if refused.is_empty() {
        return Ok((rows, errors));
    }
    let skip: HashSet<usize> = refused.iter().map(|e| e.line).collect();
    errors.extend(refused);
    errors.sort_by_key(|e| e.line);
    if !partial {
        return Err(ApiError::LineValidation(errors));
    }
    let rows = rows
        .into_iter()
        .filter(|r| !skip.contains(&r.line()))
        .collect();
    Ok((rows, errors))
}

/// 422 when an upload names more than [`MAX_ROWS`] people (`lines`: the
/// line of every row and every bad line), pointing at the first line over.
fn check_row_cap(lines: impl Iterator<Item = usize>) -> Result<(), ApiError> {
    let mut lines: Vec<usize> = lines.collect();
    if lines.len() <= MAX_ROWS {
        return Ok(());
    }
    lines.sort_unstable();
    Err(ApiError::LineValidation(vec![LineError {
        line: lines.get(MAX_ROWS).copied().unwrap_or(0),
        message: format!(
            "too many people: at most {MAX_ROWS} per upload ({} given); split the file",
            lines.len()
        ),
    }]))
}

async fn refused_accounts<R: UploadRow>(
    state: &AppState,
    auth: &Authorized,
    rows: &[R],
) -> Result<Vec<LineError>, ApiError> {
    let mut refused = Vec::new();
    for row in rows {
        if let Some(u) = users::by_email(state.db.read(), row.email().as_str()).await? {
            auth.on_session_of(u.id)?;
            if is_refused(&u) {
                refused.push(LineError {
                    line: row.line(),
                    message: ACCOUNT_REFUSED.into(),
                });
            }
        }
    }
    Ok(refused)
}

/// Whether the account cannot be added (suspended or deactivated).
pub(crate) fn is_refused(u: &users::User) -> bool {
    matches!(
        u.status,
        AccountStatus::Suspended | AccountStatus::Deactivated
    )
}

// ---- Writing ---------------------------------------------------------------

/// At most this many people per write transaction.
pub const WRITE_CHUNK: usize = 100;

/// How long one write transaction of a bulk upload may run on SQLite before
/// it commits (the chunk ends after the row that crosses it). SQLite has one
/// writer: between chunks it is free and waiting autosaves go first. Each
/// person costs about ten statements (account, membership, roles,
/// invitation, mail, audit, profile or enrollment); a time budget rather
/// than a fixed count keeps the hold short on a slow or busy machine too.
pub const WRITE_BUDGET_SQLITE: Duration = Duration::from_millis(25);

/// The same on PostgreSQL. Writers do not block each other there, but every
/// person added appends to the organization's audit chain, whose head row
/// stays locked until the transaction commits: one transaction for the
/// whole upload would hold up every audited action of the organization
/// (starts, submits, grading, proctor actions) until the end.
pub const WRITE_BUDGET_POSTGRES: Duration = Duration::from_millis(100);

/// Rows created and rows updated: the chunk and the totals of an upload that
/// creates or updates one thing per row (candidate profiles, external results).
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub(crate) struct Counts {
    pub created: u64,
    pub updated: u64,
}

impl Counts {
    /// Counts one row: created when `created`, else updated.
    pub(crate) fn count(&mut self, created: bool) {
        if created {
            self.created += 1;
        } else {
            self.updated += 1;
        }
    }

    /// Adds a chunk's counts.
    pub(crate) fn add(&mut self, chunk: Counts) {
        self.created += chunk.created;
        self.updated += chunk.updated;
    }
}

/// What every upload's writer works with: the app, who uploads and when,
/// and whether bad lines are skipped rather than refusing the upload.
#[derive(Clone)]
pub(crate) struct Upload {
    pub state: AppState,
    pub auth: Authorized,
    pub now: DateTime<Utc>,
    pub partial: bool,
}

impl Upload {
    pub(crate) fn new(state: &AppState, auth: &Authorized, partial: bool) -> Upload {
        Upload {
            state: state.clone(),
            auth: auth.clone(),
            now: state.now(),
            partial,
        }
    }
}

/// The writing half of a bulk upload: what one row does inside a chunk's
/// transaction, what a chunk does at its end, and the audit entry.
/// [`write_in_chunks`] drives it.
pub(crate) trait BulkWrite: Send + Sync + 'static {
    type Row: UploadRow;
    /// What a chunk gathers from its rows.
    type Chunk: Default + Send;
    /// The upload's running totals.
    /// Serialized, with `skipped_lines`, they are the audit entry's details.
    type Totals: Copy + Default + Send + Sync + std::fmt::Debug + serde::Serialize;
    /// The upload's answer.
    type Output: Send + 'static;

    /// One row inside the chunk's transaction: `Ok(Err(reason))` when the
    /// row is refused at write time.
    fn row(
        &self,
        up: &Upload,
        tx: &Tx,
        row: &Self::Row,
        chunk: &mut Self::Chunk,
    ) -> impl Future<Output = Result<Result<(), String>, ApiError>> + Send;

    /// The end of a chunk, before its audit entry and commit: writes what
    /// the chunk gathered and adds it to `totals`.
    fn end_chunk(
        &self,
        up: &Upload,
        tx: &Tx,
        chunk: Self::Chunk,
        totals: &mut Self::Totals,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// The action and resource of the upload's audit entry, written with
    /// the last chunk, or on its own marked `incomplete` after a failure
    /// part-way.
    fn audit_target(&self) -> (AuditAction, Uuid);

    /// The span the upload's log lines go in (naming its exam or organization).
    fn span(&self) -> tracing::Span;

    /// The log message of a finished upload, and of one that failed part-way.
    const DONE: &'static str;
    const FAILED: &'static str;

    /// The upload's answer.
    fn output(&self, totals: Self::Totals, errors: Vec<LineError>) -> Self::Output;
}

/// Records the upload's audit entry in `tx`.
async fn audit<W: BulkWrite>(
    job: &W,
    up: &Upload,
    tx: &Tx,
    totals: W::Totals,
    skipped: usize,
    incomplete: bool,
) -> Result<(), ApiError> {
    let (action, resource) = job.audit_target();
    let mut details = serde_json::to_value(totals).map_err(ApiError::caused_by)?;
    details["skipped_lines"] = serde_json::Value::from(skipped);
    if incomplete {
        details["incomplete"] = serde_json::Value::Bool(true);
    }
    Audit::by(&up.auth.actor, Some(up.auth.org_id), up.now)
        .record(tx, action, resource, details)
        .await?;
    Ok(())
}

/// Writes `rows` in transactions of at most [`WRITE_CHUNK`] people and
/// about [`WRITE_BUDGET_SQLITE`] or [`WRITE_BUDGET_POSTGRES`]; the last one
/// writes the audit entry. A row refused only at write time (its account
/// was suspended after the pre-pass) refuses the upload while nothing is
/// committed, and is otherwise reported in the errors. Runs in a task of its
/// own: when the request is dropped part-way (request timeout, client gone)
/// the upload still finishes, so it never stops between two chunks.
pub(crate) async fn write_in_chunks<W: BulkWrite>(
    up: Upload,
    job: W,
    rows: Vec<W::Row>,
    errors: Vec<LineError>,
) -> Result<W::Output, ApiError> {
    tokio::spawn(write_all(up, job, rows, errors))
        .await
        .map_err(ApiError::caused_by)?
}

async fn write_all<W: BulkWrite>(
    up: Upload,
    job: W,
    rows: Vec<W::Row>,
    mut errors: Vec<LineError>,
) -> Result<W::Output, ApiError> {
    let started = Instant::now();
    // The one-writer backend (SQLite) gets the short budget.
    let budget = if up.state.db.bulk_writes_in_chunks() {
        WRITE_BUDGET_SQLITE
    } else {
        WRITE_BUDGET_POSTGRES
    };
    let mut totals = W::Totals::default();
    let (mut next, mut chunks) = (0, 0usize);
    let mut max_chunk = Duration::ZERO;
    loop {
        let rest = rows.get(next..).unwrap_or(&[]);
        let chunk = rest.get(..WRITE_CHUNK.min(rest.len())).unwrap_or(rest);
        let tail = next + chunk.len() == rows.len();
        let step = write_chunk(
            &job,
            &up,
            budget,
            chunk,
            tail,
            totals,
            &mut errors,
            chunks == 0,
        )
        .await;
        let (taken, held) = match step {
            Ok((t, taken, held)) => {
                totals = t;
                (taken, held)
            }
            Err(e) => {
                if chunks > 0 {
                    let audited = async {
                        let tx = begin(&up.state).await?;
                        audit(&job, &up, &tx, totals, errors.len(), true).await?;
                        commit(tx).await
                    }
                    .await;
                    tracing::error!(
                        parent: &job.span(),
                        ?totals,
                        audited = audited.is_ok(),
                        "{}",
                        W::FAILED
                    );
                }
                return Err(e);
            }
        };
        chunks += 1;
        next += taken;
        max_chunk = max_chunk.max(held);
        if next >= rows.len() {
            break;
        }
        tokio::task::yield_now().await;
    }
    tracing::info!(
        parent: &job.span(),
        rows = rows.len(),
        ?totals,
        skipped = errors.len(),
        chunks,
        max_chunk_ms = max_chunk.as_millis(),
        write_ms = started.elapsed().as_millis(),
        "{}",
        W::DONE
    );
    Ok(job.output(totals, errors))
}

/// One transaction over the first rows of `rows` (until `budget` is spent);
/// `tail`: `rows` are the last of the upload. Returns the totals after it,
/// the rows it went through and how long it held the writer.
#[expect(
    clippy::too_many_arguments,
    reason = "one chunk's inputs, passed by the one caller"
)]
async fn write_chunk<W: BulkWrite>(
    job: &W,
    up: &Upload,
    budget: Duration,
    rows: &[W::Row],
    tail: bool,
    mut totals: W::Totals,
    errors: &mut Vec<LineError>,
    first: bool,
) -> Result<(W::Totals, usize, Duration), ApiError> {
    let tx = begin(&up.state).await?;
    let started = Instant::now();
    let mut taken = 0usize;
    let mut chunk = W::Chunk::default();
    let mut refused = Vec::new();
    for row in rows {
        if taken > 0 && started.elapsed() >= budget {
            break;
        }
        taken += 1;
        if let Err(message) = job.row(up, &tx, row, &mut chunk).await? {
            refused.push(LineError {
                line: row.line(),
                message,
            });
        }
    }
    if !refused.is_empty() {
        errors.extend(refused);
        errors.sort_by_key(|e| e.line);
        // Refused while writing (a race with a suspension): all or nothing
        // still holds while nothing is committed.
        if first && !up.partial {
            return Err(ApiError::LineValidation(std::mem::take(errors)));
        }
    }
    job.end_chunk(up, &tx, chunk, &mut totals).await?;
    if tail && taken == rows.len() {
        audit(job, up, &tx, totals, errors.len(), false).await?;
    }
    commit(tx).await?;
    Ok((totals, taken, started.elapsed()))
}
