//! The gradebook as CSV (`GET /orgs/{org}/exams/{exam}/results.csv`, and the
//! staff page's download): one row per session, streamed a page of
//! [`CSV_PAGE_SIZE`] sessions at a time with the gradebook's own queries,
//! so memory stays bounded by one page whatever the size of the exam.
//!
//! Everything that can answer a status — the policy, the exam lookup (403,
//! 404), the `questions` parameter, the list of question columns — is
//! decided before the response starts. A database error after that cannot
//! be a status any more: it is logged and ends the body early (the client
//! sees a truncated transfer, never a file that looks complete).
//!
//! With `?questions=true` every row also has one column per question served
//! in the exam's sessions (first position served, then id), holding the
//! points awarded in that session: empty when the session was not served
//! the question or it is not graded yet. A page's points are one query.
//!
//! CRLF line ends, RFC 4180 quoting (the `csv` crate), and every cell
//! through [`csv_cell`] so that a spreadsheet never runs one as a formula.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::text::csv_cell;
use invigil_store::delivery::analysis::questions_served_in_exam;
use invigil_store::exams::Exam;
use invigil_store::{Keyset, grading};

use super::gradebook::{GradebookRow, awarded_points, page_rows};
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Sessions per page of the export (and per batch of queries).
pub const CSV_PAGE_SIZE: u64 = 500;

/// The CSV's fixed columns, in order.
pub const CSV_HEADER: [&str; 20] = [
    "session_id",
    "candidate_id",
    "candidate_name",
    "candidate_email",
    "attempt",
    "status",
    "objective_score",
    "subjective_score",
    "final_score",
    "max_score",
    "percent",
    "passed",
    "grading_status",
    "pending_manual",
    "time_used_seconds",
    "integrity",
    "open_flags",
    "started_at",
    "submitted_at",
    "released",
];

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvQuery {
    /// `true`: one more column per question served in the exam, headed
    /// `Q<n> points (<question id>)` in the order served, with the points
    /// awarded in each session (empty when not served or not graded yet).
    /// Default `false`; any other value is a 400.
    pub questions: Option<bool>,
}

fn num(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn csv_record(r: &GradebookRow) -> [String; 20] {
    [
        r.session_id.to_string(),
        r.candidate.id.to_string(),
        r.candidate.name.clone(),
        r.candidate.email.clone(),
        r.attempt.to_string(),
        r.status.to_string(),
        num(r.objective_score),
        num(r.subjective_score),
        num(r.final_score),
        r.max_score.to_string(),
        num(r.percent),
        r.passed.map(|p| p.to_string()).unwrap_or_default(),
        serde_json::to_value(r.grading_status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        r.pending_manual.to_string(),
        r.time_used_seconds.to_string(),
        r.integrity.to_string(),
        r.open_flags.to_string(),
        r.started_at.to_rfc3339(),
        r.submitted_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        r.released.to_string(),
    ]
}

/// Records as CSV text (CRLF), every cell neutralised.
fn csv_bytes<I, R>(records: I) -> Result<Bytes, ApiError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for rec in records {
        w.write_record(rec.into_iter().map(|c| csv_cell(&c).into_owned()))
            .map_err(ApiError::caused_by)?;
    }
    w.into_inner().map(Bytes::from).map_err(ApiError::caused_by)
}

/// The header row: the fixed columns, then one per question.
pub fn header_row(questions: &[Uuid]) -> Vec<String> {
    let mut h: Vec<String> = CSV_HEADER.iter().map(|c| (*c).to_owned()).collect();
    h.extend(
        questions
            .iter()
            .enumerate()
            .map(|(i, id)| format!("Q{} points ({id})", i + 1)),
    );
    h
}

/// What the stream needs between pages.
struct Export {
    state: AppState,
    org_id: Uuid,
    exam: Exam,
    /// The question columns (empty without `?questions=true`).
    questions: Vec<Uuid>,
    after: Option<Uuid>,
}

impl Export {
    /// The CSV text of the next page and whether another page follows.
    async fn next_page(&mut self) -> Result<(Bytes, bool), ApiError> {
        let keyset = Keyset::new(self.after, CSV_PAGE_SIZE);
        let (rows, next) = page_rows(&self.state, self.org_id, &self.exam, keyset).await?;
        let points = if !self.questions.is_empty() && !rows.is_empty() {
            let ids: Vec<Uuid> = rows.iter().map(|r| r.session_id).collect();
            grading::points_of_sessions(self.state.db.read(), self.org_id, &ids)
                .await?
                .into_iter()
                .map(|a| {
                    let p = awarded_points(a.points_awarded, a.outcome, a.graded_by);
                    ((a.session_id, a.question_id), p)
                })
                .collect()
        } else {
            HashMap::new()
        };
        let records = rows.iter().map(|r| {
            let mut rec: Vec<String> = csv_record(r).into();
            rec.extend(
                self.questions
                    .iter()
                    .map(|q| num(points.get(&(r.session_id, *q)).copied().flatten())),
            );
            rec
        });
        let bytes = csv_bytes(records)?;
        self.after = next;
        Ok((bytes, next.is_some()))
    }
}

/// Checks who asks and for which exam, then answers the exam (to name the
/// file) and the CSV body, which reads the sessions as it is sent.
pub async fn gradebook_csv(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    q: &CsvQuery,
) -> Result<(Exam, Body), ApiError> {
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, exam_id, Action::ReadReports).await?;
    let questions: Vec<Uuid> = if q.questions.unwrap_or(false) {
        questions_served_in_exam(state.db.read(), auth.org_id, exam.id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    } else {
        Vec::new()
    };
    let header = csv_bytes([header_row(&questions)])?;
    let export = Export {
        state: state.clone(),
        org_id: auth.org_id,
        exam: exam.clone(),
        questions,
        after: None,
    };
    let pages = futures_util::stream::try_unfold(Some(export), |export| async move {
        let Some(mut export) = export else {
            return Ok(None);
        };
        match export.next_page().await {
            Ok((bytes, more)) => Ok(Some((bytes, more.then_some(export)))),
            Err(e) => {
                tracing::error!(exam_id = %export.exam.id, error = %e,
                    "the results CSV stopped part way: the download is incomplete");
                Err(std::io::Error::other(
                    "the results CSV could not be completed",
                ))
            }
        }
    });
    let body =
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(header) }).chain(pages);
    Ok((exam, Body::from_stream(body)))
}

/// A CSV download named after the exam.
pub fn csv_response(exam: &Exam, body: Body) -> Response {
    let stem: String = exam
        .title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_ascii_lowercase();
    let stem = if stem.is_empty() {
        "exam".to_owned()
    } else {
        stem
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"results-{stem}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_each_question_column_and_cells_are_quoted_and_neutralised() {
        let q = Uuid::nil();
        let h = header_row(&[q]);
        assert_eq!(h.len(), 21);
        assert_eq!(h[20], format!("Q1 points ({q})"));
        let bytes = csv_bytes([vec![
            "=HYPERLINK(\"x\")".to_owned(),
            "Doe, \"Jo\"".to_owned(),
            "-3".to_owned(),
            "\tx".to_owned(),
        ]])
        .unwrap_or_default();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap_or_default(),
            "\"'=HYPERLINK(\"\"x\"\")\",\"Doe, \"\"Jo\"\"\",'-3,'\tx\r\n"
        );
    }
}
