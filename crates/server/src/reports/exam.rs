//! The report of an exam (`GET /orgs/{org}/exams/{exam}/report`): how many
//! were enrolled and how their sessions ended, the score distribution of
//! each candidate's best graded attempt, the pass rate, the time used, the
//! flags by type and the review outcomes. Nothing personal: counts and
//! numbers only. The sessions are read [`PAGE`] at a time; memory holds two
//! numbers per candidate.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::delivery::session::DeliveryStatus;
use invigil_domain::reports::stats::{Bin, MAX_BINS, Summary, histogram};
use invigil_domain::review::{IntegrityStatus, result_passed};
use invigil_store::delivery::analysis;
use invigil_store::exams::Exam;

use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;

/// Sessions read per query.
pub const PAGE: u64 = 1000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Bars of the score and time histograms (1 to 100; default 10).
    pub bins: Option<String>,
}

/// How many were enrolled, started and finished, and how.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Counts {
    pub enrolled: u64,
    /// Candidates with at least one session.
    pub started: u64,
    pub sessions: u64,
    pub in_progress: u64,
    pub paused: u64,
    pub submitted: u64,
    pub auto_submitted: u64,
    pub terminated: u64,
    /// Finished sessions still waiting for a grader.
    pub awaiting_grading: u64,
}

/// A distribution: summary and histogram.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Distribution {
    pub count: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub std_dev: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub histogram: Vec<BinView>,
}

/// One bar of a histogram: values `from <= x < to` (the last bar includes
/// `to`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BinView {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

impl From<Bin> for BinView {
    fn from(b: Bin) -> Self {
        BinView {
            from: b.from,
            to: b.to,
            count: b.count,
        }
    }
}

impl Distribution {
    fn of(values: &[f64], low: f64, high: f64, bins: usize) -> Distribution {
        let s = Summary::of(values);
        Distribution {
            count: s.count,
            mean: s.mean,
            median: s.median,
            std_dev: s.std_dev,
            min: s.min,
            max: s.max,
            histogram: histogram(values, low, high, bins)
                .into_iter()
                .map(BinView::from)
                .collect(),
        }
    }
}

/// Review outcomes of the exam's sessions (integrity status).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Outcomes {
    pub clean: u64,
    pub flagged: u64,
    pub under_review: u64,
    pub cleared: u64,
    pub violation_confirmed: u64,
}

/// Flags of one type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlagCount {
    pub flag_type: String,
    pub count: i64,
}

/// `GET /orgs/{org}/exams/{exam}/report`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExamReport {
    pub exam_id: Uuid,
    pub title: String,
    pub passing_score: i32,
    pub counts: Counts,
    /// Percent scores (0..100) of each candidate's best graded attempt.
    pub scores: Distribution,
    /// Passed over candidates with a graded attempt (a confirmed violation
    /// fails); `None` before any is graded.
    pub pass_rate: Option<f64>,
    pub passed: u64,
    /// Minutes used by finished sessions (pauses not counted).
    pub time_used_minutes: Distribution,
    pub flags: Vec<FlagCount>,
    pub outcomes: Outcomes,
}

/// The number of bars asked for: 1..=100, default 10; anything else 422.
pub fn bins_of(q: &ReportQuery) -> Result<usize, ApiError> {
    match q.bins.as_deref() {
        None => Ok(10),
        Some(b) => b
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_BINS).contains(n))
            .ok_or_else(|| {
                ApiError::Validation(vec![FieldError::new(
                    "bins",
                    format!("must be a whole number from 1 to {MAX_BINS}"),
                )])
            }),
    }
}

/// The report of `exam` (authorization is the caller's).
pub async fn report(state: &AppState, exam: &Exam, bins: usize) -> Result<ExamReport, ApiError> {
    let db = state.db.read();
    let (org_id, exam_id) = (exam.org_id, exam.id);
    let mut counts = Counts {
        enrolled: analysis::enrolled_count(db, org_id, exam_id).await?,
        ..Counts::default()
    };
    let mut outcomes = Outcomes::default();
    // Per candidate: best percent of a graded attempt, and whether it passed.
    let mut best: HashMap<Uuid, (f64, bool)> = HashMap::new();
    let mut started: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
    let mut minutes: Vec<f64> = Vec::new();
    let mut after = None;
    loop {
        let page = invigil_store::delivery::sessions_page_of_exam(
            db,
            org_id,
            exam_id,
            None,
            None,
            invigil_store::page::Keyset::new(after, PAGE),
        )
        .await?;
        for s in &page.items {
            counts.sessions += 1;
            started.insert(s.user_id);
            match s.status {
                DeliveryStatus::InProgress => counts.in_progress += 1,
                DeliveryStatus::Paused => counts.paused += 1,
                DeliveryStatus::Submitted => counts.submitted += 1,
                DeliveryStatus::AutoSubmitted => counts.auto_submitted += 1,
                DeliveryStatus::Terminated => counts.terminated += 1,
            }
            match s.integrity_status {
                IntegrityStatus::Clean => outcomes.clean += 1,
                IntegrityStatus::Flagged => outcomes.flagged += 1,
                IntegrityStatus::UnderReview => outcomes.under_review += 1,
                IntegrityStatus::Cleared => outcomes.cleared += 1,
                IntegrityStatus::ViolationConfirmed => outcomes.violation_confirmed += 1,
            }
            if !s.status.is_terminal() {
                continue;
            }
            if let Some(f) = s.finished_at {
                let ms = (f - s.started_at).num_milliseconds() - s.paused_total_ms;
                minutes.push(ms.max(0) as f64 / 60_000.0);
            }
            if s.pending_manual > 0 {
                counts.awaiting_grading += 1;
                continue;
            }
            let (Some(percent), Some(passed)) = (s.percent, s.passed) else {
                continue;
            };
            let passed = result_passed(passed, s.integrity_status);
            let entry = best.entry(s.user_id).or_insert((percent, passed));
            if percent > entry.0 {
                *entry = (percent, passed);
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    counts.started = started.len() as u64;
    let percents: Vec<f64> = best.values().map(|(p, _)| *p).collect();
    let passed = best.values().filter(|(_, p)| *p).count() as u64;
    let pass_rate = (!best.is_empty()).then(|| passed as f64 / best.len() as f64);
    let longest = minutes
        .iter()
        .copied()
        .fold(f64::from(exam.duration_minutes), f64::max);
    let flags = analysis::flag_counts_by_type(db, org_id, exam_id)
        .await?
        .into_iter()
        .map(|(t, n)| FlagCount {
            flag_type: t.name().to_owned(),
            count: n,
        })
        .collect();
    Ok(ExamReport {
        exam_id,
        title: exam.title.clone(),
        passing_score: exam.passing_score,
        counts,
        scores: Distribution::of(&percents, 0.0, 100.0, bins),
        pass_rate,
        passed,
        time_used_minutes: Distribution::of(&minutes, 0.0, longest.ceil(), bins),
        flags,
        outcomes,
    })
}
