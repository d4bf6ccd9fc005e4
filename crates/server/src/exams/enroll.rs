//! Enrollment by email, one by one or in bulk (JSON, or a CSV with the
//! header `email,name,extra_time_percent`). Unknown people are invited
//! through the identity invitation flow and stay INVITED until they accept;
//! ACTIVE users are ACCEPTED at once and get a notice mail. Bad lines are
//! reported with their line number (the 1-based index for JSON); nothing is
//! enrolled when any line fails unless `?partial=true`. The shape of the
//! upload (row cap, pre-pass, writes in chunks) is [`crate::upload`]'s.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::exams::{EnrollmentStatus, ExamStatus, MAX_EXTRA_TIME_PERCENT};
use invigil_domain::identity::{Email, Grant, MemberStatus, Role};
use invigil_store::Tx;
use invigil_store::exams::{self, Exam, NewEnrollment};
use invigil_store::identity::{AccountStatus, users};
use invigil_store::tenancy::{self, Organization};

use crate::audit::AuditAction;
use crate::authz::{Authorized, OrgCtx};
use crate::http::error::{ApiError, LineError};
use crate::notify::{self, Broadcast, Vars};
use crate::state::AppState;
use crate::tenancy::invitations::invite_in;
use crate::upload::{self, ACCOUNT_REFUSED, BulkWrite, OWN_ACCOUNT, Upload, UploadRow, is_refused};
use invigil_domain::notify::{NoticeKind, Priority};

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

impl UploadRow for EnrollRow {
    fn line(&self) -> usize {
        self.line
    }

    fn email(&self) -> &Email {
        &self.email
    }
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
    let mut seen = HashSet::new();
    upload::parse_csv(
        text,
        &["email", "name", "extra_time_percent"],
        &["email"],
        "the header must name the column email (and optionally name, extra_time_percent)",
        |line, f| {
            let extra = f.get("extra_time_percent");
            let extra = if extra.is_empty() {
                Ok(None)
            } else {
                extra.trim_end_matches('%').trim().parse::<i64>().map(Some)
            };
            match extra {
                Ok(extra) => check_row(line, f.get("email"), f.get("name"), extra, &mut seen)
                    .map_err(|e| e.message),
                Err(_) => Err(format!(
                    "extra_time_percent: must be a whole number from 0 to {MAX_EXTRA_TIME_PERCENT}"
                )),
            }
        },
    )
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
/// anything is written: the exam's status, then [`upload::admit`] (row cap,
/// bad lines, the caller's own account refuses the whole request with 403,
/// suspended or deactivated accounts are line errors). The rows are then
/// written by [`upload::write_in_chunks`]. Nobody enrolls themselves (and
/// then grades or proctors it).
pub async fn enroll(
    state: &AppState,
    ctx: &OrgCtx,
    auth: &Authorized,
    exam: &Exam,
    rows: Vec<EnrollRow>,
    errors: Vec<LineError>,
    partial: bool,
) -> Result<EnrollResult, ApiError> {
    if matches!(
        exam.status,
        ExamStatus::Completed | ExamStatus::Cancelled | ExamStatus::Archived
    ) {
        return Err(ApiError::conflict(format!(
            "cannot enroll in an exam that is {}",
            exam.status
        )));
    }
    let (rows, errors) =
        upload::admit(state, auth, rows, errors, partial, "no candidates given").await?;
    let job = Enrollment {
        org: ctx.org.clone(),
        exam: exam.clone(),
    };
    upload::write_in_chunks(Upload::new(state, auth, partial), job, rows, errors).await
}

/// The writing half of an enrollment upload (owned: it runs detached).
struct Enrollment {
    org: Organization,
    exam: Exam,
}

/// Running totals of an enrollment upload.
#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Totals {
    enrolled: u64,
    #[serde(rename = "already_enrolled")]
    already: u64,
    invited: u64,
}

/// What the rows of one chunk became.
#[derive(Debug, Default)]
struct Chunk {
    news: Vec<NewEnrollment>,
    /// (email, name) of ACTIVE people to notify once enrolled.
    notices: Vec<Uuid>,
    already: u64,
    invited: u64,
}

impl BulkWrite for Enrollment {
    type Row = EnrollRow;
    type Chunk = Chunk;
    type Totals = Totals;
    type Output = EnrollResult;

    /// Decides one row, inviting the person when needed (the re-checks
    /// catch changes since the pre-pass).
    async fn row(
        &self,
        up: &Upload,
        tx: &Tx,
        row: &EnrollRow,
        chunk: &mut Chunk,
    ) -> Result<Result<(), String>, ApiError> {
        let org_id = up.auth.org_id;
        let existing = users::by_email(tx, row.email.as_str()).await?;
        if let Some(u) = &existing {
            if up.auth.on_session_of(u.id).is_err() {
                return Ok(Err(OWN_ACCOUNT.into()));
            }
            if is_refused(u) {
                return Ok(Err(ACCOUNT_REFUSED.into()));
            }
            if exams::enrollment_in(tx, org_id, self.exam.id, u.id)
                .await?
                .is_some()
            {
                chunk.already += 1;
                return Ok(Ok(()));
            }
        }
        let active = existing
            .as_ref()
            .is_some_and(|u| u.status == AccountStatus::Active);
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
                    &up.state,
                    &self.org,
                    &row.email,
                    name,
                    &candidate,
                    &up.auth.actor,
                    up.now,
                )
                .await;
                match outcome {
                    Ok(o) => {
                        chunk.invited += u64::from(o.invitation_id.is_some());
                        o.user_id
                    }
                    Err(ApiError::Conflict { detail, .. }) => return Ok(Err(detail)),
                    Err(other) => return Err(other),
                }
            }
        };
        if let Some(u) = existing.as_ref().filter(|_| active) {
            chunk.notices.push(u.id);
        }
        chunk.news.push(NewEnrollment {
            user_id,
            status: if active {
                EnrollmentStatus::Accepted
            } else {
                EnrollmentStatus::Invited
            },
            extra_time_percent: row.extra_time_percent,
        });
        Ok(Ok(()))
    }

    /// Writes the chunk's enrollments and queues the notices.
    async fn end_chunk(
        &self,
        up: &Upload,
        tx: &Tx,
        chunk: Chunk,
        totals: &mut Totals,
    ) -> Result<(), ApiError> {
        let exam = &self.exam;
        let enrolled =
            exams::create_enrollments(tx, up.auth.org_id, exam.id, &chunk.news, up.now).await?;
        // Two enrollments racing for one person: the loser counts as already.
        totals.already += chunk.already + (chunk.news.len() as u64 - enrolled);
        totals.enrolled += enrolled;
        totals.invited += chunk.invited;
        let vars = Vars::new()
            .set("org", &self.org.name)
            .set("exam", &exam.title)
            .set("window", window_text(exam))
            .set("duration_minutes", exam.duration_minutes.to_string())
            .set("attempts", exam.max_attempts.to_string());
        notify::send_many(
            tx,
            &up.state,
            Broadcast {
                org_id: Some(up.auth.org_id),
                kind: NoticeKind::Announcement,
                priority: Priority::Medium,
                template_key: "exam_enrollment",
                link: Some("/me/exams".to_owned()),
            },
            chunk.notices.iter().map(|u| (*u, vars.clone())).collect(),
        )
        .await?;
        Ok(())
    }

    fn audit_target(&self) -> (AuditAction, Uuid) {
        (AuditAction::EnrollmentCreated, self.exam.id)
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("enrollment upload", exam_id = %self.exam.id)
    }

    const DONE: &'static str = "enrollments created";
    const FAILED: &'static str =
        "an enrollment upload failed part-way; the enrollments written so far stay";

    fn output(&self, totals: Totals, errors: Vec<LineError>) -> EnrollResult {
        EnrollResult {
            enrolled: totals.enrolled,
            already_enrolled: totals.already,
            errors,
        }
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
