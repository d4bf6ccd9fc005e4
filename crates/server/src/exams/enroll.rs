//! Enrollment by email, one by one or in bulk (JSON, or a CSV with the
//! header `email,name,extra_time_percent`). Unknown people are invited
//! through the identity invitation flow and stay INVITED until they accept;
//! ACTIVE users are ACCEPTED at once and get a notice mail. Bad lines are
//! reported with their line number (the 1-based index for JSON); nothing is
//! enrolled when any line fails unless `?partial=true`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use invigil_domain::exams::{ExamStatus, MAX_EXTRA_TIME_PERCENT};
use invigil_domain::identity::{Email, Grant, Role};
use invigil_store::exams::{self, Exam, NewEnrollment, enrollment_status};
use invigil_store::identity::{AccountStatus, users};
use invigil_store::tenancy::{self, member_status};

use super::status_of;
use crate::audit;
use crate::authz::{Authorized, OrgCtx};
use crate::http::error::{ApiError, LineError};
use crate::mail;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit, invite_in};

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
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| crate::csvutil::line_at(text, p))
                    .unwrap_or(0);
                errors.push(LineError {
                    line,
                    message: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = record
            .position()
            .map(|p| crate::csvutil::line_at(text, p))
            .unwrap_or(0);
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
async fn is_candidate_member(
    tx: &invigil_store::Tx,
    org_id: uuid::Uuid,
    user_id: uuid::Uuid,
) -> Result<bool, ApiError> {
    let Some(m) = tenancy::member(tx, org_id, user_id).await? else {
        return Ok(false);
    };
    if m.status != member_status::ACTIVE {
        return Ok(false);
    }
    Ok(tenancy::roles_of(tx, org_id, user_id)
        .await?
        .iter()
        .any(|(r, _)| r == Role::Candidate.as_str()))
}

/// Enrolls `rows` in `exam` in one transaction. `errors` are the lines that
/// failed to parse; with any error and without `partial`, nothing changes.
pub async fn enroll(
    state: &AppState,
    ctx: &OrgCtx,
    auth: &Authorized,
    exam: &Exam,
    rows: Vec<EnrollRow>,
    mut errors: Vec<LineError>,
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
    if !errors.is_empty() && !partial {
        return Err(ApiError::LineValidation(errors));
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(ApiError::LineValidation(vec![LineError {
            line: 1,
            message: "no candidates given".into(),
        }]));
    }
    let candidate = [Grant {
        role: Role::Candidate,
        department_id: None,
    }];
    let now = state.now();
    let tx = begin(state).await?;
    let mut already: u64 = 0;
    let mut news: Vec<NewEnrollment> = Vec::new();
    // (email, name) of ACTIVE people to notify once enrolled.
    let mut notices: Vec<(String, String)> = Vec::new();
    let mut invited: u64 = 0;
    for row in &rows {
        let existing = users::by_email(&tx, row.email.as_str()).await?;
        if let Some(u) = &existing {
            // Nobody enrolls themselves (and then grades or proctors it):
            // the whole request is refused, nothing is written.
            auth.on_session_of(u.id)?;
            if matches!(
                AccountStatus::parse(&u.status),
                Some(AccountStatus::Suspended | AccountStatus::Deactivated)
            ) {
                errors.push(LineError {
                    line: row.line,
                    message: "this account is suspended or deactivated".into(),
                });
                continue;
            }
            if exams::enrollment_in(&tx, auth.org_id, exam.id, u.id)
                .await?
                .is_some()
            {
                already += 1;
                continue;
            }
        }
        let active = existing
            .as_ref()
            .is_some_and(|u| AccountStatus::parse(&u.status) == Some(AccountStatus::Active));
        let user_id = match &existing {
            Some(u) if active && is_candidate_member(&tx, auth.org_id, u.id).await? => u.id,
            _ => {
                let fallback = row.email.local_part();
                let name = row.name.as_deref().unwrap_or(fallback);
                let outcome = invite_in(
                    &tx,
                    state,
                    &ctx.org,
                    &row.email,
                    name,
                    &candidate,
                    &auth.actor,
                    now,
                )
                .await;
                match outcome {
                    Ok(o) => {
                        if o.invitation_id.is_some() {
                            invited += 1;
                        }
                        o.user_id
                    }
                    Err(ApiError::Conflict { detail, .. }) => {
                        errors.push(LineError {
                            line: row.line,
                            message: detail,
                        });
                        continue;
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        if active && let Some(u) = &existing {
            notices.push((u.email.clone(), u.name.clone()));
        }
        news.push(NewEnrollment {
            user_id,
            status: if active {
                enrollment_status::ACCEPTED
            } else {
                enrollment_status::INVITED
            }
            .to_owned(),
            extra_time_percent: row.extra_time_percent,
        });
    }
    if !errors.is_empty() && !partial {
        errors.sort_by_key(|e| e.line);
        return Err(ApiError::LineValidation(errors));
    }
    let enrolled = exams::create_enrollments(&tx, auth.org_id, exam.id, &news, now).await?;
    // Two enrollments racing for one person: the loser counts as already.
    already += news.len() as u64 - enrolled;
    let base = state.config.public_base();
    for (to, name) in &notices {
        mail::queue(
            &tx,
            to,
            &format!("You are enrolled in {}", exam.title),
            &format!(
                "Hello {name},\n\n{} enrolled you in the exam \"{}\" on Invigil.\nYou may start it {} (duration {} minutes, {} attempt(s)).\nSign in at {base}/ to see your exams.\n",
                ctx.org.name,
                exam.title,
                window_text(exam),
                exam.duration_minutes,
                exam.max_attempts,
            ),
            now,
        )
        .await?;
    }
    errors.sort_by_key(|e| e.line);
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "enrollment.created",
        ("exam", Some(exam.id.to_string())),
        serde_json::json!({
            "enrolled": enrolled,
            "already_enrolled": already,
            "invited": invited,
            "skipped_lines": errors.len(),
        }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(EnrollResult {
        enrolled,
        already_enrolled: already,
        errors,
    })
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
