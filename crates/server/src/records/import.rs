//! External results by CSV: `email,exam_type_code,score,max_score,passed,
//! taken_on,source,notes` (header required; `email`, `exam_type_code`,
//! `taken_on` and `source` must be there). Each line is checked like a
//! result entered by hand ([`super::external::check`]); the candidate must
//! already be a member of the organization (nobody is invited by a score
//! sheet) and the exam type one of its codes. A line on a candidate, type
//! and date already recorded replaces that result, so importing the same
//! file twice changes nothing. Atomic unless `?partial=true`; the shape of
//! the upload (row cap, pre-pass, writes in chunks) is [`crate::upload`]'s.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::Email;
use invigil_store::Tx;
use invigil_store::exams;
use invigil_store::identity::users;
use invigil_store::records::{self, ExternalInput};
use invigil_store::tenancy;

use super::external::{Draft, check};
use crate::audit::AuditAction;
use crate::authz::Authorized;
use crate::http::error::{ApiError, LineError};
use crate::state::AppState;
use crate::upload::{self, BulkWrite, Counts, Fields, OWN_ACCOUNT, Upload, UploadRow};

const COLUMNS: [&str; 8] = [
    "email",
    "exam_type_code",
    "score",
    "max_score",
    "passed",
    "taken_on",
    "source",
    "notes",
];

/// One line of the file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub line: usize,
    pub email: Email,
    pub input: ExternalInput,
}

impl UploadRow for ResultRow {
    fn line(&self) -> usize {
        self.line
    }

    fn email(&self) -> &Email {
        &self.email
    }
}

fn number(f: &Fields<'_>, col: &str, problems: &mut Vec<String>) -> Option<f64> {
    let raw = f.get(col);
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<f64>() {
        Ok(n) if n.is_finite() => Some(n),
        _ => {
            problems.push(format!("{col}: {raw:?} is not a number"));
            None
        }
    }
}

/// Reads the file (pure): `types` maps the organization's exam type codes
/// to their ids, `today` bounds `taken_on`. Every bad line is reported with
/// its line number and every problem on it.
pub fn parse_csv(
    text: &str,
    types: &HashMap<String, Uuid>,
    today: NaiveDate,
) -> (Vec<ResultRow>, Vec<LineError>) {
    let mut seen = HashSet::new();
    upload::parse_csv(
        text,
        &COLUMNS,
        &["email", "exam_type_code", "taken_on", "source"],
        "the header must name at least the columns email, exam_type_code, taken_on and source",
        |line, f| {
            let mut problems = Vec::new();
            let email = Email::parse(f.get("email"))
                .map_err(|e| problems.push(format!("email: {e}")))
                .ok();
            let code = f.get("exam_type_code");
            let exam_type_id = types.get(code).copied();
            if exam_type_id.is_none() {
                problems.push(format!(
                    "exam_type_code: the organization has no exam type {code:?}"
                ));
            }
            let score = number(f, "score", &mut problems);
            let max_score = number(f, "max_score", &mut problems);
            let passed = match f.get("passed").to_ascii_lowercase().as_str() {
                "" => None,
                "true" | "yes" | "pass" | "passed" | "1" => Some(true),
                "false" | "no" | "fail" | "failed" | "0" => Some(false),
                other => {
                    problems.push(format!("passed: {other:?} is not pass or fail"));
                    None
                }
            };
            let notes = f.get("notes");
            let checked = check(
                &Draft {
                    exam_type_id: exam_type_id.unwrap_or_default(),
                    score,
                    max_score,
                    passed,
                    taken_on: f.get("taken_on"),
                    source: f.get("source"),
                    notes: (!notes.is_empty()).then_some(notes),
                },
                today,
            );
            let input = match checked {
                Ok(i) => Some(i),
                Err(errors) => {
                    // A column already reported as unreadable is not
                    // reported again as missing.
                    for e in errors {
                        if !problems
                            .iter()
                            .any(|p| p.starts_with(&format!("{}:", e.field)))
                        {
                            problems.push(format!("{}: {}", e.field, e.message));
                        }
                    }
                    None
                }
            };
            if let (Some(e), Some(i)) = (&email, &input)
                && exam_type_id.is_some()
                && !seen.insert((e.as_str().to_owned(), i.exam_type_id, i.taken_on))
            {
                problems.push(format!(
                    "{} has a result of {code} on {} earlier in the file",
                    e.as_str(),
                    i.taken_on
                ));
            }
            match (email, input, exam_type_id, problems.is_empty()) {
                (Some(email), Some(input), Some(_), true) => Ok(ResultRow { line, email, input }),
                _ => Err(problems.join("; ")),
            }
        },
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExternalImportResult {
    pub created: u64,
    pub updated: u64,
    pub errors: Vec<LineError>,
}

/// Imports external results into the organization: everything checkable is
/// checked first (the CSV, that every candidate is a member, then
/// [`upload::admit`]); with any bad line and without `partial`, nothing is written.
pub async fn import(
    state: &AppState,
    auth: &Authorized,
    text: &str,
    partial: bool,
) -> Result<ExternalImportResult, ApiError> {
    let db = state.db.read();
    let types: HashMap<String, Uuid> = exams::exam_types_of_org(db, auth.org_id)
        .await?
        .into_iter()
        .map(|t| (t.code, t.id))
        .collect();
    let (rows, mut errors) = parse_csv(text, &types, state.now().date_naive());
    // Candidates who are not members are line errors like any other, found
    // before an atomic upload is refused (an oversized file is refused by
    // `admit` without reading the database).
    let rows = if rows.len() + errors.len() <= upload::MAX_ROWS {
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            let member = match users::by_email(db, row.email.as_str()).await? {
                Some(u) => tenancy::member(db, auth.org_id, u.id).await?.is_some(),
                None => false,
            };
            if member {
                kept.push(row);
            } else {
                errors.push(LineError {
                    line: row.line,
                    message: format!(
                        "email: {} is not a member of the organization (import or invite them first)",
                        row.email.as_str()
                    ),
                });
            }
        }
        errors.sort_by_key(|e| e.line);
        kept
    } else {
        rows
    };
    let (rows, errors) =
        upload::admit(state, auth, rows, errors, partial, "no results in the file").await?;
    if rows.is_empty() {
        return Ok(ExternalImportResult {
            created: 0,
            updated: 0,
            errors,
        });
    }
    let job = Import {
        org_id: auth.org_id,
    };
    upload::write_in_chunks(Upload::new(state, auth, partial), job, rows, errors).await
}

struct Import {
    org_id: Uuid,
}

impl BulkWrite for Import {
    type Row = ResultRow;
    type Chunk = Counts;
    type Totals = Counts;
    type Output = ExternalImportResult;

    async fn row(
        &self,
        up: &Upload,
        tx: &Tx,
        row: &ResultRow,
        chunk: &mut Counts,
    ) -> Result<Result<(), String>, ApiError> {
        let Some(u) = users::by_email(tx, row.email.as_str()).await? else {
            return Ok(Err("this person is no longer a member".into()));
        };
        if up.auth.on_session_of(u.id).is_err() {
            return Ok(Err(OWN_ACCOUNT.into()));
        }
        if tenancy::member(tx, self.org_id, u.id).await?.is_none() {
            return Ok(Err("this person is no longer a member".into()));
        }
        let created = records::upsert_external(
            tx,
            self.org_id,
            u.id,
            &row.input,
            up.auth.actor.user_id,
            up.now,
        )
        .await?;
        chunk.count(created);
        Ok(Ok(()))
    }

    async fn end_chunk(
        &self,
        _up: &Upload,
        _tx: &Tx,
        chunk: Counts,
        totals: &mut Counts,
    ) -> Result<(), ApiError> {
        totals.add(chunk);
        Ok(())
    }

    fn audit_target(&self) -> (AuditAction, Uuid) {
        (AuditAction::ExternalResultsImported, self.org_id)
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("external results import", org_id = %self.org_id)
    }

    const DONE: &'static str = "external results imported";
    const FAILED: &'static str =
        "an external results import failed part-way; the rows written so far stay";

    fn output(&self, totals: Counts, errors: Vec<LineError>) -> ExternalImportResult {
        ExternalImportResult {
            created: totals.created,
            updated: totals.updated,
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn reads_good_lines_and_reports_each_bad_one() {
        let step1 = Uuid::now_v7();
        let types = HashMap::from([("STEP1".to_owned(), step1)]);
        let text = "email,exam_type_code,score,max_score,passed,taken_on,source,notes\r\n\
                    ana@example.org,STEP1,245,300,pass,2026-06-01,NBME,\r\n\
                    bob@example.org,STEP2,245,300,,2026-06-01,NBME,\r\n\
                    cy@example.org,STEP1,abc,300,maybe,2026-06-01,NBME,\r\n\
                    dee@example.org,STEP1,,,,06/01/2026,,\r\n\
                    ANA@example.org,STEP1,250,300,,2026-06-01,NBME,again\r\n\
                    eve@example.org,STEP1,,,fail,2026-05-01,NBME,\"=cmd|' /C calc'!A0\"\r\n";
        let (rows, errors) = parse_csv(text, &types, day("2026-12-03"));
        assert_eq!(rows.len(), 2, "{errors:?}");
        assert_eq!(rows[0].input.exam_type_id, step1);
        assert_eq!(rows[0].input.passed, Some(true));
        assert_eq!(rows[1].input.passed, Some(false));
        // The notes are stored as written; exports neutralise formulas.
        assert!(
            rows[1]
                .input
                .notes
                .as_deref()
                .unwrap_or("")
                .starts_with('=')
        );
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert!(errors[0].message.contains("STEP2"));
        assert!(errors[1].message.contains("score: \"abc\""));
        assert!(errors[1].message.contains("passed"));
        assert!(errors[2].message.contains("taken_on") && errors[2].message.contains("source"));
        assert!(errors[3].message.contains("earlier in the file"));
    }

    #[test]
    fn header_must_name_the_required_columns() {
        let (rows, errors) = parse_csv(
            "email,score\nx@y.org,1\n",
            &HashMap::new(),
            day("2026-12-03"),
        );
        assert!(rows.is_empty());
        assert_eq!(errors[0].line, 1);
        assert!(errors[0].message.contains("exam_type_code"));
    }
}
