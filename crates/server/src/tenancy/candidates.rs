//! Candidate import: a CSV of `email,name,student_number,class_year,
//! has_accommodations,extra_time_percent` (header required; the last four
//! columns optional) creates or updates candidate profiles (seed 003: no
//! medical details, only the accommodations flag and extra time). Unknown
//! people are invited. Atomic unless `?partial=true`.

use std::collections::HashSet;

use serde::Serialize;
use utoipa::ToSchema;

use invigil_domain::identity::{Email, Grant, Role};
use invigil_store::tenancy::{self, Organization, ProfileInput};

use super::service::{begin, commit, invite_in};
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

/// Imports candidates into `org`.
pub async fn import(
    state: &AppState,
    auth: &Authorized,
    org: &Organization,
    text: &str,
    partial: bool,
) -> Result<ImportResult, ApiError> {
    let (rows, mut errors) = parse_csv(text);
    if !errors.is_empty() && !partial {
        return Err(ApiError::LineValidation(errors));
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(ApiError::LineValidation(vec![LineError {
            line: 1,
            message: "no candidates in the file".into(),
        }]));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let (mut created, mut updated) = (0u64, 0u64);
    let candidate = [Grant {
        role: Role::Candidate,
        department_id: None,
    }];
    // Accounts that cannot be added (suspended, deactivated) are line errors:
    // they fail an atomic import and are skipped by a partial one. The
    // conflict is found before `invite_in` writes anything.
    let mut refused = Vec::new();
    for row in &rows {
        // Nobody sets their own candidate profile (extra time is an
        // accommodation): the whole import is refused, nothing is written.
        if let Some(u) = invigil_store::identity::users::by_email(&tx, row.email.as_str()).await? {
            auth.on_session_of(u.id)?;
        }
        match invite_in(
            &tx,
            state,
            org,
            &row.email,
            &row.name,
            &candidate,
            &auth.actor,
            now,
        )
        .await
        {
            Ok(_) => {}
            Err(ApiError::Conflict { detail, .. }) => {
                refused.push(LineError {
                    line: row.line,
                    message: detail,
                });
                continue;
            }
            Err(other) => return Err(other),
        }
        let user = invigil_store::identity::users::by_email(&tx, row.email.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        if tenancy::upsert_profile(&tx, org.id, user.id, &row.profile, now).await? {
            created += 1;
        } else {
            updated += 1;
        }
    }
    if !refused.is_empty() {
        errors.extend(refused);
        errors.sort_by_key(|e| e.line);
        if !partial {
            return Err(ApiError::LineValidation(errors));
        }
    }
    audit::by(
        &tx,
        Some(org.id),
        &auth.actor,
        "candidates.imported",
        ("organization", Some(org.id.to_string())),
        serde_json::json!({ "created": created, "updated": updated, "skipped_lines": errors.len() }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(ImportResult {
        created,
        updated,
        errors,
    })
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
