//! Report routes.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::exam::{self, ExamReport, ReportQuery};
use super::items::{self, ItemAnalysisView};
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(exam_report))
        .routes(routes!(item_analysis))
}

/// The exam's report: counts of enrollments and sessions by how they ended,
/// the percent scores of each candidate's best graded attempt (summary and
/// histogram of `bins` bars), the pass rate, minutes used, flags by type and
/// review outcomes. Nothing personal.
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/report", tag = "reports",
    params(("org" = String, Path), ("exam" = Uuid, Path), ReportQuery),
    responses((status = 200, body = ExamReport), (status = 403), (status = 404),
        (status = 422, description = "`bins` not a whole number from 1 to 100")),
    security(("bearer" = [])))]
pub async fn exam_report(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<ExamReport>, ApiError> {
    let (exam, _auth) =
        crate::exams::service::load_exam(&state, &ctx, exam, Action::ReadReports).await?;
    let bins = exam::bins_of(&q)?;
    exam::report(&state, &exam, bins).await.map(Json)
}

/// The exam's item analysis (classical test theory) over its finished,
/// fully graded sessions: per question p-value, corrected point-biserial,
/// 27 % discrimination, omit rate and option counts with the mean total of
/// their choosers; KR-20 (or Cronbach's alpha) and the SEM.
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/item-analysis", tag = "reports",
    params(("org" = String, Path), ("exam" = Uuid, Path)),
    responses((status = 200, body = ItemAnalysisView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn item_analysis(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ApiPath<(String, Uuid)>,
) -> Result<Json<ItemAnalysisView>, ApiError> {
    let (exam, auth) =
        crate::exams::service::load_exam(&state, &ctx, exam, Action::ReadReports).await?;
    items::analyse(&state, auth.org_id, exam.id).await.map(Json)
}
