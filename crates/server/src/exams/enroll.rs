//! Enrollment by email, one by one or in bulk (JSON, or a CSV with the
//! header `email,name,extra_time_percent`). Unknown people are invited
//! through the identity invitation flow and stay INVITED until they accept;
//! ACTIVE users are ACCEPTED at once and get a notice mail. Bad lines are
//! reported with their line number (the 1-based index for JSON); nothing is
//! enrolled when any line fails unless `?partial=true`. Large uploads are
//! written in chunks like candidate imports (see `tenancy::candidates`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::exams::{ExamStatus, MAX_EXTRA_TIME_PERCENT};
use invigil_domain::identity::{Email, Grant, MemberStatus, Role};
use invigil_store::Tx;
use invigil_store::exams::{self, Exam, NewEnrollment, enrollment_status};
use invigil_store::identity::{AccountStatus, users};
use invigil_store::tenancy::{self, Organization};

use super::status_of;
use crate::audit;
use crate::authz::{Authorized, OrgCtx};
use crate::http::error::{ApiError, LineError};
use crate::mail;
use crate::state::AppState;
use crate::tenancy::candidates::{
    ACCOUNT_REFUSED, Chunks, OWN_ACCOUNT, check_row_cap, detached, precheck,
};
use crate::tenancy::invitations::invite_in;
use crate::tenancy::service::{begin, commit};

/// One person to enroll.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollRow {
    pub line: usize,
    pub email: Email,
    /// For a new person's account; the part of the email before `@` when
    /// not given.
    pub name: Option<String>,
    pub extra_time_percent: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CandidateBody {
    pub email: String,
    pub name: Option<String>,
    /// 0 to 400; stored as the enrollment's extra-time override.
    pub extra_time_percent: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrollBody {
    pub candidates: Vec<CandidateBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollResult {
    /// New enrollments.
    pub enrolled: u64,
    /// People who were enrolled already (left as they were).
    pub already_enrolled: u64,
    /// Lines that were skipped (only with `partial=true`).
    pub errors: Vec<LineError>,
}

/// Checks one person's fields; `None` and the problems when they fail.
fn check_row(
    line: usize,
    email: &str,
    name: &str,
    extra: Option<i64>,
    seen: &mut HashSet<String>,
) -> Result<EnrollRow, LineError> {
    let mut problems = Vec::new();
    let email = match Email::parse(email) {
        Ok(e) => Some(e),
        Err(e) => {
            problems.push(format!("email: {e}"));
            None
        }
    };
    let name = name.trim();
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        problems.push("name: at most 200 printable characters".to_owned());
    }
    let extra_time_percent = match extra {
        None => None,
        Some(p) if (0..=i64::from(MAX_EXTRA_TIME_PERCENT)).contains(&p) => i32::try_from(p).ok(),
        Some(_) => {
            problems.push(format!(
                "extra_time_percent: must be a whole number from 0 to {MAX_EXTRA_TIME_PERCENT}"
            ));
            None
        }
    };
    if let Some(e) = &email
        && !seen.insert(e.as_str().to_owned())
    {
        problems.push(format!("email: {} appears earlier", e.as_str()));
    }
    match email {
        Some(email) if problems.is_empty() => Ok(EnrollRow {
            line,
            email,
            name: (!name.is_empty()).then(|| name.to_owned()),
            extra_time_percent,
        }),
        _ => Err(LineError {
            line,
            message: problems.join("; "),
        }),
    }
}

/// The JSON body's people; the line of a person is their 1-based index.
pub fn parse_json(body: EnrollBody) -> (Vec<EnrollRow>, Vec<LineError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, c) in body.candidates.into_iter().enumerate() {
        match check_row(
            i + 1,
            &c.email,
            c.name.as_deref().unwrap_or(""),
            c.extra_time_percent,
            &mut seen,
        ) {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(e),
        }
    }
    (rows, errors)
}

/// The CSV `email,name,extra_time_percent` (header required; name and
/// extra_time_percent may be empty or left out).
pub fn parse_csv(text: &str) -> (Vec<EnrollRow>, Vec<LineError>) {
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
    let Some(ci_email) = col("email") else {
        errors.push(LineError {
            line: 1,
            message:
                "the header must name the column email (and optionally name, extra_time_percent)"
                    .into(),
        });
        return (rows, errors);
    };
    if let Some(unknown) = headers
        .iter()
        .find(|h| !["email", "name", "extra_time_percent"].contains(&h.as_str()))
    {
        errors.push(LineError {
            line: 1,
            message: format!("unknown column {unknown:?}"),
        });
        return (rows, errors);
    }
    let (ci_name, ci_extra) = (col("name"), col("extra_time_percent"));
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
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let extra = get(ci_extra);
        let extra = if extra.is_empty() {
            Ok(None)
        } else {
            extra.trim_end_matches('%').trim().parse::<i64>().map(Some)
        };
        let result = match extra {
            Ok(extra) => check_row(line, get(Some(ci_email)), get(ci_name), extra, &mut seen),
            Err(_) => Err(LineError {
                line,
                message: format!(
                    "extra_time_percent: must be a whole number from 0 to {MAX_EXTRA_TIME_PERCENT}"
                ),
            }),
        };
        match result {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(e),
        }
    }
    (rows, errors)
}

fn window_text(exam: &Exam) -> String {
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    match (exam.scheduled_start_at, exam.scheduled_end_at) {
        (Some(s), Some(e)) => format!("from {} to {}", fmt(s), fmt(e)),
        (Some(s), None) => format!("from {}", fmt(s)),
        (None, Some(e)) => format!("until {}", fmt(e)),
        (None, None) => "once the exam opens".to_owned(),
    }
}

/// Whether `user` is already an active member holding CANDIDATE, so that
/// there is nothing to invite them to.
async fn is_candidate_member(tx: &Tx, org_id: Uuid, user_id: Uuid) -> Result<bool, ApiError> {
    let Some(m) = tenancy::member(tx, org_id, user_id).await? else {
        return Ok(false);
    };
    if m.status != MemberStatus::Active {
        return Ok(false);
    }
    Ok(tenancy::roles_of(tx, org_id, user_id)
        .await?
        .iter()
        .any(|(r, _)| *r == Role::Candidate))
}

/// Enrolls `rows` in `exam`. `errors` are the lines that failed to parse;
/// with any error and without `partial`, nothing changes. Checked before
/// anything is written: the exam's status, the row cap, then a read-only
/// pre-pass (the caller's own account refuses the whole request with 403;
/// suspended or deactivated accounts are line errors). The rows are then
/// written in short transactions (see `Chunks`) by a task that
/// finishes even when the request is dropped. A row refused only at write
/// time (its account was suspended after the pre-pass) refuses the request
/// while nothing is committed, and is otherwise reported in `errors`.
pub async fn enroll(
    state: &AppState,
    ctx: &OrgCtx,
    auth: &Authorized,
    exam: &Exam,
    rows: Vec<EnrollRow>,
    errors: Vec<LineError>,
    partial: bool,
) -> Result<EnrollResult, ApiError> {
    let status = status_of(exam)?;
    if matches!(
        status,
        ExamStatus::Completed | ExamStatus::Cancelled | ExamStatus::Archived
    ) {
        return Err(ApiError::conflict(format!(
            "cannot enroll in an exam that is {}",
            exam.status
        )));
    }
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
            message: "no candidates given".into(),
        }]));
    }
    // Nobody enrolls themselves (and then grades or proctors it): the whole
    // request is refused, nothing is written.
    let (rows, errors) = precheck(state, auth, rows, errors, partial, |r: &EnrollRow| {
        (r.line, &r.email)
    })
    .await?;
    let job = Enrollment {
        state: state.clone(),
        auth: auth.clone(),
        org: ctx.org.clone(),
        exam: exam.clone(),
        now: state.now(),
        partial,
    };
    detached(job.write(rows, errors)).await
}

/// The writing half of an enrollment upload (owned: it runs detached).
struct Enrollment {
    state: AppState,
    auth: Authorized,
    org: Organization,
    exam: Exam,
    now: DateTime<Utc>,
    partial: bool,
}

/// Running totals of an enrollment upload.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    enrolled: u64,
    already: u64,
    invited: u64,
}

/// What one row became.
enum RowOutcome {
    /// To enroll: the enrollment, and the (email, name) of an ACTIVE
    /// person to notify.
    New(NewEnrollment, Option<(String, String)>, bool),
    Already,
    /// Refused at write time.
    Refused(String),
}

impl Enrollment {
    async fn write(
        self,
        rows: Vec<EnrollRow>,
        mut errors: Vec<LineError>,
    ) -> Result<EnrollResult, ApiError> {
        let started = Instant::now();
        let plan = Chunks::of(&self.state);
        let mut totals = Totals::default();
        let (mut next, mut chunks) = (0, 0usize);
        let mut max_chunk = Duration::ZERO;
        loop {
            let chunk = plan.next(&rows, next);
            let tail = next + chunk.len() == rows.len();
            let step = self
                .chunk(plan, chunk, tail, totals, &mut errors, chunks == 0)
                .await;
            let (taken, held) = match step {
                Ok((t, taken, held)) => {
                    totals = t;
                    (taken, held)
                }
                Err(e) => {
                    if chunks > 0 {
                        self.audit_incomplete(totals, errors.len()).await;
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
            exam_id = %self.exam.id,
            rows = rows.len(),
            enrolled = totals.enrolled,
            already_enrolled = totals.already,
            skipped = errors.len(),
            chunks,
            max_chunk_ms = max_chunk.as_millis(),
            write_ms = started.elapsed().as_millis(),
            "enrollments created"
        );
        Ok(EnrollResult {
            enrolled: totals.enrolled,
            already_enrolled: totals.already,
            errors,
        })
    }

    /// One transaction over the first rows of `rows` (until the chunk is
    /// full); `tail`: `rows` are the last of the upload. Returns the totals
    /// after it, the rows it went through and how long it held the writer.
    /// The last chunk writes the audit entry.
    async fn chunk(
        &self,
        plan: Chunks,
        rows: &[EnrollRow],
        tail: bool,
        mut totals: Totals,
        errors: &mut Vec<LineError>,
        first: bool,
    ) -> Result<(Totals, usize, Duration), ApiError> {
        let tx = begin(&self.state).await?;
        let started = Instant::now();
        let mut taken = 0usize;
        let mut news: Vec<NewEnrollment> = Vec::new();
        // (email, name) of ACTIVE people to notify once enrolled.
        let mut notices: Vec<(String, String)> = Vec::new();
        let mut refused = Vec::new();
        for row in rows {
            if taken > 0 && plan.full(started) {
                break;
            }
            taken += 1;
            match self.row(&tx, row).await? {
                RowOutcome::New(new, notice, invited) => {
                    news.push(new);
                    notices.extend(notice);
                    totals.invited += u64::from(invited);
                }
                RowOutcome::Already => totals.already += 1,
                RowOutcome::Refused(message) => refused.push(LineError {
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
        let (org_id, exam) = (self.auth.org_id, &self.exam);
        let enrolled = exams::create_enrollments(&tx, org_id, exam.id, &news, self.now).await?;
        // Two enrollments racing for one person: the loser counts as already.
        totals.already += news.len() as u64 - enrolled;
        totals.enrolled += enrolled;
        let base = self.state.config.public_base();
        for (to, name) in &notices {
            mail::queue(
                &tx,
                to,
                &format!("You are enrolled in {}", exam.title),
                &format!(
                    "Hello {name},\n\n{} enrolled you in the exam \"{}\" on Invigil.\nYou may start it {} (duration {} minutes, {} attempt(s)).\nSign in at {base}/ to see your exams.\n",
                    self.org.name,
                    exam.title,
                    window_text(exam),
                    exam.duration_minutes,
                    exam.max_attempts,
                ),
                self.now,
            )
            .await?;
        }
        if tail && taken == rows.len() {
            audit::by(
                &tx,
                Some(org_id),
                &self.auth.actor,
                "enrollment.created",
                ("exam", Some(exam.id.to_string())),
                serde_json::json!({
                    "enrolled": totals.enrolled,
                    "already_enrolled": totals.already,
                    "invited": totals.invited,
                    "skipped_lines": errors.len(),
                }),
                self.now,
            )
            .await?;
        }
        commit(tx).await?;
        Ok((totals, taken, started.elapsed()))
    }

    /// Decides one row inside the chunk's transaction, inviting the person
    /// when needed (the re-checks catch changes since the pre-pass).
    async fn row(&self, tx: &Tx, row: &EnrollRow) -> Result<RowOutcome, ApiError> {
        let org_id = self.auth.org_id;
        let existing = users::by_email(tx, row.email.as_str()).await?;
        if let Some(u) = &existing {
            if self.auth.on_session_of(u.id).is_err() {
                return Ok(RowOutcome::Refused(OWN_ACCOUNT.into()));
            }
            if matches!(
                u.status,
                AccountStatus::Suspended | AccountStatus::Deactivated
            ) {
                return Ok(RowOutcome::Refused(ACCOUNT_REFUSED.into()));
            }
            if exams::enrollment_in(tx, org_id, self.exam.id, u.id)
                .await?
                .is_some()
            {
                return Ok(RowOutcome::Already);
            }
        }
        let active = existing
            .as_ref()
            .is_some_and(|u| u.status == AccountStatus::Active);
        let mut invited = false;
        let user_id = match &existing {
            Some(u) if active && is_candidate_member(tx, org_id, u.id).await? => u.id,
            _ => {
                let candidate = [Grant {
                    role: Role::Candidate,
                    department_id: None,
                }];
                let fallback = row.email.local_part();
                let name = row.name.as_deref().unwrap_or(fallback);
                let outcome = invite_in(
                    tx,
                    &self.state,
                    &self.org,
                    &row.email,
                    name,
                    &candidate,
                    &self.auth.actor,
                    self.now,
                )
                .await;
                match outcome {
                    Ok(o) => {
                        invited = o.invitation_id.is_some();
                        o.user_id
                    }
                    Err(ApiError::Conflict { detail, .. }) => {
                        return Ok(RowOutcome::Refused(detail));
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        let notice = match &existing {
            Some(u) if active => Some((u.email.clone(), u.name.clone())),
            _ => None,
        };
        Ok(RowOutcome::New(
            NewEnrollment {
                user_id,
                status: if active {
                    enrollment_status::ACCEPTED
                } else {
                    enrollment_status::INVITED
                }
                .to_owned(),
                extra_time_percent: row.extra_time_percent,
            },
            notice,
            invited,
        ))
    }

    /// After a failure part-way (SQLite: earlier chunks are committed, and
    /// invitations and mails cannot be taken back), records what was done.
    async fn audit_incomplete(&self, totals: Totals, skipped: usize) {
        let done = async {
            let tx = begin(&self.state).await?;
            audit::by(
                &tx,
                Some(self.auth.org_id),
                &self.auth.actor,
                "enrollment.created",
                ("exam", Some(self.exam.id.to_string())),
                serde_json::json!({
                    "enrolled": totals.enrolled,
                    "already_enrolled": totals.already,
                    "invited": totals.invited,
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
            exam_id = %self.exam.id,
            enrolled = totals.enrolled,
            audited = done.is_ok(),
            "an enrollment upload failed part-way; the enrollments written so far stay"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_and_line_errors() {
        let text = "email,name,extra_time_percent\r\n\
                    ana@example.org,Ana,25\r\n\
                    bad-email,Bob,\r\n\
                    cy@example.org,,500\r\n\
                    ANA@example.org,Ana again,\r\n\
                    dee@example.org,,\r\n\
                    \r\n\
                    eve@example.org,Eve,abc\r\n";
        let (rows, errors) = parse_csv(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].extra_time_percent, Some(25));
        assert_eq!(rows[0].name.as_deref(), Some("Ana"));
        assert_eq!(rows[1].name, None);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 8]);
        assert!(errors[1].message.contains("extra_time_percent"));
        assert!(errors[2].message.contains("earlier"));
    }

    #[test]
    fn csv_header_is_checked() {
        let (_, errors) = parse_csv("mail,name\nx@y.org,X\n");
        assert_eq!(errors[0].line, 1);
        let (_, errors) = parse_csv("email,diagnosis\nx@y.org,flu\n");
        assert!(errors[0].message.contains("diagnosis"));
        let (rows, errors) = parse_csv("email\nx@y.org\n");
        assert!(errors.is_empty());
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn json_lines_are_indexes() {
        let body = EnrollBody {
            candidates: vec![
                CandidateBody {
                    email: "a@b.org".into(),
                    name: None,
                    extra_time_percent: Some(10),
                },
                CandidateBody {
                    email: "nope".into(),
                    name: None,
                    extra_time_percent: Some(-1),
                },
            ],
        };
        let (rows, errors) = parse_json(body);
        assert_eq!(rows.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("email") && errors[0].message.contains("extra"));
    }
}
