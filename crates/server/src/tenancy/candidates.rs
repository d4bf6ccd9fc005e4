//! Candidate import: a CSV of `email,name,student_number,class_year,
//! has_accommodations,extra_time_percent` (header required; the last four
//! columns optional) creates or updates candidate profiles (seed 003: no
//! medical details, only the accommodations flag and extra time). Unknown
//! people are invited. Atomic unless `?partial=true`.
//!
//! Also the shared shape of bulk uploads (this import and enrollments):
//! a row cap, a read-only pre-pass, then writes in short transactions so a
//! large upload never holds the SQLite writer (or, on PostgreSQL, the
//! organization's audit chain) for long (issue 9 point 14).

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use invigil_domain::identity::{Email, Grant, Role};
use invigil_store::Tx;
use invigil_store::identity::{AccountStatus, users};
use invigil_store::tenancy::{self, Organization, ProfileInput};

use super::invitations::invite_in;
use super::service::{begin, commit};
use crate::audit;
use crate::authz::Authorized;
use crate::http::error::{ApiError, LineError};
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRow {
    pub line: usize,
    pub email: Email,
    pub name: String,
    pub profile: ProfileInput,
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" | "n" => Some(false),
        "true" | "yes" | "1" | "y" => Some(true),
        _ => None,
    }
}

/// Parses the CSV; every bad line is reported with its line number.
pub fn parse_csv(text: &str) -> (Vec<CandidateRow>, Vec<LineError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let (mut reader, headers) = match crate::csvutil::open(text) {
        Ok(r) => r,
        Err(e) => {
            errors.push(e);
            return (rows, errors);
        }
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ci_email), Some(ci_name)) = (col("email"), col("name")) else {
        errors.push(LineError {
            line: 1,
            message: "the header must name at least the columns email and name".into(),
        });
        return (rows, errors);
    };
    let known = [
        "email",
        "name",
        "student_number",
        "class_year",
        "has_accommodations",
        "extra_time_percent",
    ];
    if let Some(unknown) = headers.iter().find(|h| !known.contains(&h.as_str())) {
        errors.push(LineError {
            line: 1,
            message: format!("unknown column {unknown:?}"),
        });
        return (rows, errors);
    }
    let (ci_sn, ci_cy, ci_acc, ci_extra) = (
        col("student_number"),
        col("class_year"),
        col("has_accommodations"),
        col("extra_time_percent"),
    );
    let mut seen = HashSet::new();
    let mut lines = crate::csvutil::Lines::new(text);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.at(p)).unwrap_or(0);
                errors.push(LineError {
                    line,
                    message: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| lines.at(p)).unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_owned();
        let mut problems = Vec::new();
        let email = match Email::parse(&get(Some(ci_email))) {
            Ok(e) => Some(e),
            Err(e) => {
                problems.push(format!("email: {e}"));
                None
            }
        };
        let name = get(Some(ci_name));
        if name.is_empty() || name.chars().count() > 200 {
            problems.push("name: must be 1 to 200 characters".to_owned());
        }
        let sn = get(ci_sn);
        if sn.chars().count() > 64 {
            problems.push("student_number: at most 64 characters".to_owned());
        }
        let cy = get(ci_cy);
        let class_year = if cy.is_empty() {
            None
        } else {
            match cy.parse::<i32>() {
                Ok(y) if (1..=3000).contains(&y) => Some(y),
                _ => {
                    problems.push("class_year: must be a whole number such as 2027".to_owned());
                    None
                }
            }
        };
        let has_accommodations = parse_bool(&get(ci_acc)).unwrap_or_else(|| {
            problems.push("has_accommodations: must be true or false".to_owned());
            false
        });
        let ex = get(ci_extra);
        let extra_time_percent = if ex.is_empty() {
            None
        } else {
            match ex.trim_end_matches('%').parse::<i32>() {
                Ok(p) if (0..=400).contains(&p) => Some(p),
                _ => {
                    problems.push(
                        "extra_time_percent: must be a whole number from 0 to 400".to_owned(),
                    );
                    None
                }
            }
        };
        if let Some(e) = &email
            && !seen.insert(e.as_str().to_owned())
        {
            problems.push(format!("email: {} appears earlier in the file", e.as_str()));
        }
        match (email, problems.is_empty()) {
            (Some(email), true) => rows.push(CandidateRow {
                line,
                email,
                name,
                profile: ProfileInput {
                    student_number: (!sn.is_empty()).then_some(sn),
                    class_year,
                    has_accommodations,
                    extra_time_percent,
                },
            }),
            _ => errors.push(LineError {
                line,
                message: problems.join("; "),
            }),
        }
    }
    (rows, errors)
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CandidateImportResult)]
pub struct ImportResult {
    pub created: u64,
    pub updated: u64,
    pub errors: Vec<LineError>,
}

// ---- Bulk uploads (candidate import and enrollments) ----------------------

/// At most this many people per candidate import or enrollment upload
/// (lines that fail to parse count too). A larger upload is refused with
/// 422 before the database is read: split it.
pub const MAX_ROWS: usize = 10_000;

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

/// The refusal of an account that cannot be added.
pub(crate) const ACCOUNT_REFUSED: &str = "this account is suspended or deactivated";

/// The refusal of the caller's own account found only while writing (it
/// changed its email meanwhile); found before, it refuses the whole upload.
pub(crate) const OWN_ACCOUNT: &str =
    "this is your own account: nobody adds or enrolls themselves as a candidate";

/// How a bulk upload splits its writes into transactions: chunks of at
/// most [`WRITE_CHUNK`] people and about [`WRITE_BUDGET_SQLITE`] or
/// [`WRITE_BUDGET_POSTGRES`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunks {
    budget: Duration,
}

impl Chunks {
    pub(crate) fn of(state: &AppState) -> Self {
        Chunks {
            // The one-writer backend (SQLite) gets the short budget.
            budget: if state.db.bulk_writes_in_chunks() {
                WRITE_BUDGET_SQLITE
            } else {
                WRITE_BUDGET_POSTGRES
            },
        }
    }

    /// The rows the next transaction may take, from `from` on.
    pub(crate) fn next<R>(self, rows: &[R], from: usize) -> &[R] {
        let rest = rows.get(from..).unwrap_or(&[]);
        rest.get(..WRITE_CHUNK.min(rest.len())).unwrap_or(rest)
    }

    /// Whether the transaction that began writing at `started` should
    /// commit now (before its next row).
    pub(crate) fn full(self, started: Instant) -> bool {
        started.elapsed() >= self.budget
    }
}

/// 422 when an upload names more than [`MAX_ROWS`] people (`lines`: the
/// line of every row and every bad line), pointing at the first line over.
pub(crate) fn check_row_cap(lines: impl Iterator<Item = usize>) -> Result<(), ApiError> {
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

/// The read-only pre-pass of a bulk upload, on the reader pool before
/// anything is written: 403 for the whole upload when a row names the
/// caller's own account (`on_session_of`); accounts that cannot be added
/// (suspended, deactivated) are line errors, which fail an atomic upload
/// (422, nothing written) and are skipped by a partial one. Returns the rows
/// to write and every line error.
pub(crate) async fn precheck<R>(
    state: &AppState,
    auth: &Authorized,
    rows: Vec<R>,
    mut errors: Vec<LineError>,
    partial: bool,
    key: fn(&R) -> (usize, &Email),
) -> Result<(Vec<R>, Vec<LineError>), ApiError> {
    let refused = refused_accounts(state, auth, rows.iter().map(key)).await?;
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
        .filter(|r| !skip.contains(&key(r).0))
        .collect();
    Ok((rows, errors))
}

async fn refused_accounts<'a>(
    state: &AppState,
    auth: &Authorized,
    rows: impl Iterator<Item = (usize, &'a Email)>,
) -> Result<Vec<LineError>, ApiError> {
    let mut refused = Vec::new();
    for (line, email) in rows {
        if let Some(u) = users::by_email(state.db.read(), email.as_str()).await? {
            auth.on_session_of(u.id)?;
            if matches!(
                u.status,
                AccountStatus::Suspended | AccountStatus::Deactivated
            ) {
                refused.push(LineError {
                    line,
                    message: ACCOUNT_REFUSED.into(),
                });
            }
        }
    }
    Ok(refused)
}

/// Runs the writing of a bulk upload in a task of its own and waits for it:
/// when the request is dropped part-way (request timeout, client gone) the
/// task still finishes the upload, so it never stops between two chunks.
pub(crate) async fn detached<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    tokio::spawn(work).await.map_err(ApiError::internal)?
}

/// Imports candidates into `org`. Everything that can be checked is checked
/// first (the CSV, the row cap, then a read-only pre-pass for accounts that
/// cannot be added and the caller's own); with any bad line and without
/// `partial`, nothing is written (422). The rows are then written in chunks
/// (see [`Chunks`]); a row refused only at write time, because its
/// account was suspended after the pre-pass, refuses the upload if nothing
/// was committed yet and is otherwise reported in `errors`.
pub async fn import(
    state: &AppState,
    auth: &Authorized,
    org: &Organization,
    text: &str,
    partial: bool,
) -> Result<ImportResult, ApiError> {
    let (rows, errors) = parse_csv(text);
    check_row_cap(
        rows.iter()
            .map(|r| r.line)
            .chain(errors.iter().map(|e| e.line)),
    )?;
    if !errors.is_empty() && !partial {
        return Err(ApiError::LineValidation(errors));
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(ApiError::LineValidation(vec![LineError {
            line: 1,
            message: "no candidates in the file".into(),
        }]));
    }
    // Nobody sets their own candidate profile (extra time is an
    // accommodation): the whole import is refused, nothing is written.
    let (rows, errors) = precheck(state, auth, rows, errors, partial, |r: &CandidateRow| {
        (r.line, &r.email)
    })
    .await?;
    let job = Import {
        state: state.clone(),
        auth: auth.clone(),
        org: org.clone(),
        now: state.now(),
        partial,
    };
    detached(job.write(rows, errors)).await
}

/// What one chunk of a candidate import wrote.
struct Written {
    /// Rows it went through (written or refused).
    taken: usize,
    created: u64,
    updated: u64,
    /// How long it held the writer (from after `begin` to after `commit`).
    held: Duration,
}

/// The writing half of a candidate import (owned: it runs detached).
struct Import {
    state: AppState,
    auth: Authorized,
    org: Organization,
    now: DateTime<Utc>,
    partial: bool,
}

impl Import {
    async fn write(
        self,
        rows: Vec<CandidateRow>,
        mut errors: Vec<LineError>,
    ) -> Result<ImportResult, ApiError> {
        let started = Instant::now();
        let plan = Chunks::of(&self.state);
        let (mut created, mut updated) = (0u64, 0u64);
        let (mut next, mut chunks) = (0, 0usize);
        let mut max_chunk = Duration::ZERO;
        loop {
            let chunk = plan.next(&rows, next);
            let tail = next + chunk.len() == rows.len();
            let step = self
                .chunk(
                    plan,
                    chunk,
                    tail,
                    (created, updated),
                    &mut errors,
                    chunks == 0,
                )
                .await;
            let (taken, held) = match step {
                Ok(Written {
                    taken,
                    created: c,
                    updated: u,
                    held,
                }) => {
                    created += c;
                    updated += u;
                    (taken, held)
                }
                Err(e) => {
                    if chunks > 0 {
                        self.audit_incomplete(created, updated, errors.len()).await;
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
            org_id = %self.org.id,
            rows = rows.len(),
            created,
            updated,
            skipped = errors.len(),
            chunks,
            max_chunk_ms = max_chunk.as_millis(),
            write_ms = started.elapsed().as_millis(),
            "candidates imported"
        );
        Ok(ImportResult {
            created,
            updated,
            errors,
        })
    }

    /// One transaction over the first rows of `rows` (until the chunk is
    /// full); `tail`: `rows` are the last of the import. The last chunk
    /// writes the audit entry with the totals (`before`: created and updated
    /// by the earlier chunks).
    async fn chunk(
        &self,
        plan: Chunks,
        rows: &[CandidateRow],
        tail: bool,
        before: (u64, u64),
        errors: &mut Vec<LineError>,
        first: bool,
    ) -> Result<Written, ApiError> {
        let candidate = [Grant {
            role: Role::Candidate,
            department_id: None,
        }];
        let tx = begin(&self.state).await?;
        let started = Instant::now();
        let (mut created, mut updated, mut taken) = (0u64, 0u64, 0usize);
        let mut refused = Vec::new();
        for row in rows {
            if taken > 0 && plan.full(started) {
                break;
            }
            taken += 1;
            match self.row(&tx, row, &candidate).await? {
                Ok(true) => created += 1,
                Ok(false) => updated += 1,
                Err(message) => refused.push(LineError {
                    line: row.line,
                    message,
                }),
            }
        }
        if !refused.is_empty() {
            errors.extend(refused);
            errors.sort_by_key(|e| e.line);
            // Refused while writing (a race with a suspension): all or
            // nothing still holds while nothing is committed.
            if first && !self.partial {
                return Err(ApiError::LineValidation(std::mem::take(errors)));
            }
        }
        if tail && taken == rows.len() {
            audit::by(
                &tx,
                Some(self.org.id),
                &self.auth.actor,
                "candidates.imported",
                ("organization", Some(self.org.id.to_string())),
                serde_json::json!({
                    "created": before.0 + created,
                    "updated": before.1 + updated,
                    "skipped_lines": errors.len(),
                }),
                self.now,
            )
            .await?;
        }
        commit(tx).await?;
        Ok(Written {
            taken,
            created,
            updated,
            held: started.elapsed(),
        })
    }

    /// Adds one person and sets their profile: `Ok(true)` when the profile
    /// is new, `Err(reason)` when the row is refused at write time.
    async fn row(
        &self,
        tx: &Tx,
        row: &CandidateRow,
        candidate: &[Grant],
    ) -> Result<Result<bool, String>, ApiError> {
        if let Some(u) = users::by_email(tx, row.email.as_str()).await?
            && self.auth.on_session_of(u.id).is_err()
        {
            return Ok(Err(OWN_ACCOUNT.into()));
        }
        let outcome = invite_in(
            tx,
            &self.state,
            &self.org,
            &row.email,
            &row.name,
            candidate,
            &self.auth.actor,
            self.now,
        )
        .await;
        let user_id = match outcome {
            Ok(o) => o.user_id,
            Err(ApiError::Conflict { detail, .. }) => return Ok(Err(detail)),
            Err(other) => return Err(other),
        };
        Ok(Ok(tenancy::upsert_profile(
            tx,
            self.org.id,
            user_id,
            &row.profile,
            self.now,
        )
        .await?))
    }

    /// After a failure part-way (SQLite: earlier chunks are committed, and
    /// invitations and mails cannot be taken back), records what was done.
    async fn audit_incomplete(&self, created: u64, updated: u64, skipped: usize) {
        let done = async {
            let tx = begin(&self.state).await?;
            audit::by(
                &tx,
                Some(self.org.id),
                &self.auth.actor,
                "candidates.imported",
                ("organization", Some(self.org.id.to_string())),
                serde_json::json!({
                    "created": created,
                    "updated": updated,
                    "skipped_lines": skipped,
                    "incomplete": true,
                }),
                self.now,
            )
            .await?;
            commit(tx).await
        }
        .await;
        tracing::error!(
            org_id = %self.org.id,
            created,
            updated,
            audited = done.is_ok(),
            "a candidate import failed part-way; the rows written so far stay"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_reports_each_bad_line() {
        let text = "email,name,student_number,class_year,has_accommodations,extra_time_percent\r\n\
                    ana@example.org,Ana,S1,2027,true,25\r\n\
                    bad-email,Bob,,,,\r\n\
                    cy@example.org,Cy,,soon,maybe,900\r\n\
                    ANA@example.org,Ana again,,,,\r\n\
                    dee@example.org,Dée,,,,\r\n";
        let (rows, errors) = parse_csv(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].profile.extra_time_percent, Some(25));
        assert!(rows[0].profile.has_accommodations);
        assert_eq!(rows[1].name, "Dée");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(
            errors[1].message.contains("class_year")
                && errors[1].message.contains("extra_time_percent")
        );
        assert!(errors[2].message.contains("earlier"));
    }

    #[test]
    fn header_must_name_email_and_name() {
        let (rows, errors) = parse_csv("mail,who\nx@y.org,X\n");
        assert!(rows.is_empty());
        assert_eq!(errors[0].line, 1);
        let (_, errors) = parse_csv("email,name,diagnosis\nx@y.org,X,flu\n");
        assert!(errors[0].message.contains("diagnosis"));
    }
}
