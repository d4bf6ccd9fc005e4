//! Candidate import: a CSV of `email,name,student_number,class_year,
//! has_accommodations,extra_time_percent` (header required; the last four
//! columns optional) creates or updates candidate profiles (seed 003: no
//! medical details, only the accommodations flag and extra time). Unknown
//! people are invited. Atomic unless `?partial=true`. The shape of the
//! upload (row cap, pre-pass, writes in chunks) is [`crate::upload`]'s.

use invigil_domain::text::Text;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{Email, Grant, Role};
use invigil_store::Tx;
use invigil_store::identity::users;
use invigil_store::tenancy::{self, Organization, ProfileInput};

use super::invitations::invite_in;
use crate::audit::AuditAction;
use crate::authz::Authorized;
use crate::http::error::{ApiError, LineError};
use crate::state::AppState;
use crate::upload::{self, BulkWrite, Counts, Fields, OWN_ACCOUNT, Upload, UploadRow};

#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRow {
    pub line: usize,
    pub email: Email,
    pub name: String,
    pub profile: ProfileInput,
}

impl UploadRow for CandidateRow {
    fn line(&self) -> usize {
        self.line
    }

    fn email(&self) -> &Email {
        &self.email
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" | "n" => Some(false),
        "true" | "yes" | "1" | "y" => Some(true),
        _ => None,
    }
}

const COLUMNS: [&str; 6] = [
    "email",
    "name",
    "student_number",
    "class_year",
    "has_accommodations",
    "extra_time_percent",
];

/// Parses the CSV; every bad line is reported with its line number.
pub fn parse_csv(text: &str) -> (Vec<CandidateRow>, Vec<LineError>) {
    let mut seen = std::collections::HashSet::new();
    upload::parse_csv(
        text,
        &COLUMNS,
        &["email", "name"],
        "the header must name at least the columns email and name",
        |line, f| row_of(line, f, &mut seen),
    )
}

fn row_of(
    line: usize,
    f: &Fields<'_>,
    seen: &mut std::collections::HashSet<String>,
) -> Result<CandidateRow, String> {
    let mut problems = Vec::new();
    let email = match Email::parse(f.get("email")) {
        Ok(e) => Some(e),
        Err(e) => {
            problems.push(format!("email: {e}"));
            None
        }
    };
    let name = match Text::<200>::parse_lenient("name", f.get("name")) {
        Ok(n) => n.into_string(),
        Err(e) => {
            problems.push(format!("name: {e}"));
            String::new()
        }
    };
    let sn = f.get("student_number").to_owned();
    if sn.chars().count() > 64 {
        problems.push("student_number: at most 64 characters".to_owned());
    }
    let cy = f.get("class_year");
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
    let has_accommodations = parse_bool(f.get("has_accommodations")).unwrap_or_else(|| {
        problems.push("has_accommodations: must be true or false".to_owned());
        false
    });
    let ex = f.get("extra_time_percent");
    let extra_time_percent = if ex.is_empty() {
        None
    } else {
        match ex.trim_end_matches('%').parse::<i32>() {
            Ok(p) if (0..=400).contains(&p) => Some(p),
            _ => {
                problems
                    .push("extra_time_percent: must be a whole number from 0 to 400".to_owned());
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
        (Some(email), true) => Ok(CandidateRow {
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
        _ => Err(problems.join("; ")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CandidateImportResult)]
pub struct ImportResult {
    pub created: u64,
    pub updated: u64,
    pub errors: Vec<LineError>,
}

/// Imports candidates into `org`. Everything that can be checked is checked
/// first (the CSV, then [`upload::admit`]); with any bad line and without
/// `partial`, nothing is written (422). The rows are then written in chunks
/// ([`upload::write_in_chunks`]). Nobody sets their own candidate profile
/// (extra time is an accommodation): an import naming the caller is refused.
pub async fn import(
    state: &AppState,
    auth: &Authorized,
    org: &Organization,
    text: &str,
    partial: bool,
) -> Result<ImportResult, ApiError> {
    let (rows, errors) = parse_csv(text);
    let (rows, errors) = upload::admit(
        state,
        auth,
        rows,
        errors,
        partial,
        "no candidates in the file",
    )
    .await?;
    let job = Import { org: org.clone() };
    upload::write_in_chunks(Upload::new(state, auth, partial), job, rows, errors).await
}

/// The writing half of a candidate import (owned: it runs detached).
struct Import {
    org: Organization,
}

impl BulkWrite for Import {
    type Row = CandidateRow;
    type Chunk = Counts;
    type Totals = Counts;
    type Output = ImportResult;

    /// Adds one person and sets their profile.
    async fn row(
        &self,
        up: &Upload,
        tx: &Tx,
        row: &CandidateRow,
        chunk: &mut Counts,
    ) -> Result<Result<(), String>, ApiError> {
        if let Some(u) = users::by_email(tx, row.email.as_str()).await?
            && up.auth.on_session_of(u.id).is_err()
        {
            return Ok(Err(OWN_ACCOUNT.into()));
        }
        let candidate = [Grant {
            role: Role::Candidate,
            department_id: None,
        }];
        let outcome = invite_in(
            tx,
            &up.state,
            &self.org,
            &row.email,
            &row.name,
            &candidate,
            &up.auth.actor,
            up.now,
        )
        .await;
        let user_id = match outcome {
            Ok(o) => o.user_id,
            Err(ApiError::Conflict { detail, .. }) => return Ok(Err(detail)),
            Err(other) => return Err(other),
        };
        chunk.count(tenancy::upsert_profile(tx, self.org.id, user_id, &row.profile, up.now).await?);
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
        (AuditAction::CandidatesImported, self.org.id)
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!("candidate import", org_id = %self.org.id)
    }

    const DONE: &'static str = "candidates imported";
    const FAILED: &'static str = "a candidate import failed part-way; the rows written so far stay";

    fn output(&self, totals: Counts, errors: Vec<LineError>) -> ImportResult {
        ImportResult {
            created: totals.created,
            updated: totals.updated,
            errors,
        }
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
