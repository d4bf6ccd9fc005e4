//! Routes of the review module.

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

/// Routes that take evidence uploads (4 MiB).
pub fn frame_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
