//! The report pages of an exam: `GET /orgs/{org}/exams/{exam}/report` (the
//! exam report and its item analysis, charts drawn by the server as SVG, no
//! chart library) with `report.json` and `item-analysis.csv` downloads for
//! the signed-in browser (the same data as the API routes).

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::{Section, Staff};
use crate::http::error::ApiError;
use crate::reports::exam::{self, BinView, ExamReport, ReportQuery};
use crate::reports::items::{self, ItemAnalysisView};
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::error_page;
use invigil_store::exams::Exam;

/// The exam of the path, for a reader of reports (404 for a malformed or
/// unknown id, 403 without `ReadReports` on its department).
async fn exam_of(
    state: &AppState,
    staff: &Staff,
    exam_id: &str,
) -> Result<(Exam, crate::authz::Authorized), ApiError> {
    let exam_id: Uuid = exam_id.parse().map_err(|_| ApiError::NotFound)?;
    crate::exams::service::load_exam(state, &staff.ctx, exam_id, Action::ReadReports).await
}

/// One bar of a chart, placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub label: String,
    pub count: u64,
    /// Where the count is written (above the bar).
    pub count_y: u32,
}

/// A bar chart as SVG coordinates (the template draws it).
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub width: u32,
    pub height: u32,
    /// The baseline's y.
    pub base: u32,
    pub bars: Vec<Bar>,
    /// The chart in words, for `aria-label` and `<title>`.
    pub summary: String,
}

/// Chart area: width, height, and room below for the labels.
const W: u32 = 640;
const H: u32 = 220;
const LABELS: u32 = 36;

/// The bar chart of a histogram; `unit` follows each label's numbers.
pub fn chart(bins: &[BinView], unit: &str, what: &str) -> Chart {
    let n = u32::try_from(bins.len().max(1)).unwrap_or(1);
    let top = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let slot = W / n;
    let gap = (slot / 8).max(1);
    let plot = H - LABELS - 18;
    let base = H - LABELS;
    let bars = bins
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let i = u32::try_from(i).unwrap_or(0);
            let height = u32::try_from(u64::from(plot) * b.count / top).unwrap_or(plot);
            let y = base - height;
            Bar {
                x: i * slot + gap / 2,
                y,
                width: slot - gap,
                height,
                label: format!("{}–{}{unit}", round(b.from), round(b.to)),
                count: b.count,
                count_y: y.saturating_sub(4),
            }
        })
        .collect();
    let parts: Vec<String> = bins
        .iter()
        .map(|b| format!("{}–{}{unit}: {}", round(b.from), round(b.to), b.count))
        .collect();
    Chart {
        width: W,
        height: H,
        base,
        bars,
        summary: format!("{what}. {}", parts.join("; ")),
    }
}

/// A number as the charts and tables write it: at most one decimal.
pub fn round(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// An optional statistic with `digits` decimals, or an en dash.
pub fn stat(x: &Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/report.html")]
pub struct ReportPage {
    pub layout: Layout,
    pub exams_href: String,
    pub exam_href: String,
    pub base: String,
    pub report: ExamReport,
    pub analysis: ItemAnalysisView,
    pub scores: Chart,
    pub minutes: Chart,
}

/// `GET /orgs/{org}/exams/{exam}/report`.
pub async fn report_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam_id)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let data = async {
        let (exam, auth) = exam_of(&state, &staff, &exam_id).await?;
        let bins = exam::bins_of(&q)?;
        let report = exam::report(&state, &exam, bins).await?;
        let analysis = items::analyse(&state, auth.org_id, exam.id).await?;
        Ok::<_, ApiError>((report, analysis))
    };
    let (report, analysis) = match data.await {
        Ok(d) => d,
        Err(e) => return error_page(&e),
    };
    let exam_href = staff.href(&format!("/exams/{}", report.exam_id));
    ReportPage {
        layout: staff.layout(&format!("Report: {}", report.title), Section::Exams),
        exams_href: staff.href("/exams"),
        base: format!("{exam_href}/report"),
        exam_href,
        scores: chart(
            &report.scores.histogram,
            " %",
            "Scores of each candidate's best graded attempt",
        ),
        minutes: chart(
            &report.time_used_minutes.histogram,
            " min",
            "Minutes used by finished sessions",
        ),
        report,
        analysis,
    }
    .into_response()
}

/// Both documents of the page as one JSON download.
#[derive(Debug, Serialize)]
struct ReportDownload {
    report: ExamReport,
    item_analysis: ItemAnalysisView,
}

/// `GET /orgs/{org}/exams/{exam}/report.json`: the report and the item
/// analysis, as the API returns them.
pub async fn report_json(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam_id)): Path<(String, String)>,
) -> Response {
    let data = async {
        let (exam, auth) = exam_of(&state, &staff, &exam_id).await?;
        let report = exam::report(&state, &exam, 10).await?;
        let item_analysis = items::analyse(&state, auth.org_id, exam.id).await?;
        Ok::<_, ApiError>(ReportDownload {
            report,
            item_analysis,
        })
    };
    match data.await {
        Ok(d) => (
            [(
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"report.json\"",
            )],
            Json(d),
        )
            .into_response(),
        Err(e) => error_page(&e),
    }
}

/// `GET /orgs/{org}/exams/{exam}/item-analysis.csv`.
pub async fn item_analysis_csv(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam_id)): Path<(String, String)>,
) -> Response {
    let data = async {
        let (exam, auth) = exam_of(&state, &staff, &exam_id).await?;
        let a = items::analyse(&state, auth.org_id, exam.id).await?;
        items::to_csv(&a)
    };
    match data.await {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"item-analysis.csv\"",
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::{chart, round};
    use crate::reports::exam::BinView as Bin;

    #[test]
    fn bars_scale_to_the_tallest_and_say_what_they_show() {
        let bins = [
            Bin {
                from: 0.0,
                to: 50.0,
                count: 1,
            },
            Bin {
                from: 50.0,
                to: 100.0,
                count: 4,
            },
        ];
        let c = chart(&bins, " %", "Scores");
        assert_eq!(c.bars.len(), 2);
        assert_eq!(c.bars[1].y + c.bars[1].height, c.base);
        // A quarter of the tallest, to the pixel.
        assert!((c.bars[1].height / 4).abs_diff(c.bars[0].height) <= 1);
        assert!(c.bars[0].x + c.bars[0].width < c.bars[1].x);
        assert_eq!(c.bars[0].label, "0–50 %");
        assert_eq!(c.summary, "Scores. 0–50 %: 1; 50–100 %: 4");
        // Nothing to show: flat bars, no division by zero.
        let empty = chart(
            &[Bin {
                from: 0.0,
                to: 1.0,
                count: 0,
            }],
            "",
            "x",
        );
        assert_eq!(empty.bars[0].height, 0);
    }

    #[test]
    fn numbers_are_rounded_to_one_decimal() {
        assert_eq!(round(33.333), "33.3");
        assert_eq!(round(50.0), "50");
        assert_eq!(round(0.04), "0");
    }
}
