//! Report routes.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::items::{self, ItemAnalysisView};
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::http::extract::ApiPath;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(item_analysis))
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
