//! `GET /orgs/{org}/audit-log/export`: the organization's audit log as JSON
//! lines (`application/x-ndjson`), oldest first, with the list's filters
//! (actor, action, resource, time range). One line per entry in the shape
//! of `invigil admin audit-export` ([`ExportedEntry`]: every stored field,
//! hashes included), read [`EXPORT_PAGE_SIZE`] entries at a time while the
//! body is sent, so memory stays flat however long the log.
//!
//! Who: `Action::ReadAuditLog` (ORG_ADMIN, QUALITY_ASSURANCE), like the
//! list. The export is itself audited (`audit.exported`, with the filters)
//! before the body starts; a database error part way is logged and ends the
//! body early (a truncated download, never one that looks complete).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::Keyset;
use invigil_store::audit::{self, Filter};

use super::AuditAction;
use super::offline::ExportedEntry;
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_audit_log))
}

/// Entries read per query while the export streams.
pub const EXPORT_PAGE_SIZE: u64 = 1000;

/// The list's filters, without paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The acting user's id.
    pub actor: Option<Uuid>,
    /// A stored action name, e.g. `exam.created`.
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Entries at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

impl From<ExportQuery> for Filter {
    fn from(q: ExportQuery) -> Filter {
        Filter {
            actor_id: q.actor,
            action: q.action,
            resource_type: q.resource_type,
            resource_id: q.resource_id,
            from: q.from,
            to: q.to,
        }
    }
}

/// The filters as recorded in the `audit.exported` entry.
fn filters_json(f: &Filter) -> serde_json::Value {
    json!({
        "actor": f.actor_id,
        "action": f.action,
        "resource_type": f.resource_type,
        "resource_id": f.resource_id,
        "from": f.from,
        "to": f.to,
    })
}

/// One page of entries as JSON lines, and the cursor of the next page.
async fn next_page(
    state: &AppState,
    org_id: Uuid,
    filter: &Filter,
    after: Option<i64>,
) -> Result<(Bytes, Option<i64>), ApiError> {
    let page = audit::page_oldest_first(
        state.db.read(),
        org_id,
        filter,
        Keyset::new(after, EXPORT_PAGE_SIZE),
    )
    .await?;
    let mut out = Vec::new();
    for e in page.items {
        serde_json::to_writer(&mut out, &ExportedEntry::from(e)).map_err(ApiError::caused_by)?;
        out.push(b'\n');
    }
    Ok((Bytes::from(out), page.next))
}

/// Authorizes, records the export in the log, then answers the body that
/// reads the entries as it is sent (ORG_ADMIN, QUALITY_ASSURANCE): the
/// service of the route and of the console's download.
pub async fn export_log(state: &AppState, ctx: &OrgCtx, filter: Filter) -> Result<Body, ApiError> {
    let auth = ctx.authorize(Action::ReadAuditLog)?;
    let now = state.now();
    let tx = begin(state).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::AuditExported,
            auth.org_id,
            json!({ "filters": filters_json(&filter), "format": "jsonl" }),
        )
        .await?;
    commit(tx).await?;
    // Every committed entry, this export's own included, is on the chain.
    audit::link_pending(&state.db).await?;
    let state = state.clone();
    let org_id = auth.org_id;
    let body = futures_util::stream::try_unfold(Some(None), move |cursor| {
        let state = state.clone();
        let filter = filter.clone();
        async move {
            let Some(after) = cursor else {
                return Ok(None);
            };
            match next_page(&state, org_id, &filter, after).await {
                Ok((bytes, next)) => Ok(Some((bytes, next.map(Some)))),
                Err(e) => {
                    tracing::error!(%org_id, error = %e,
                        "the audit log export stopped part way: the download is incomplete");
                    Err(std::io::Error::other(
                        "the audit log export could not be completed",
                    ))
                }
            }
        }
    });
    Ok(Body::from_stream(body))
}

/// A JSON lines download named after the organization.
pub fn jsonl_response(org_slug: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"audit-log-{org_slug}.jsonl\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The organization's audit log as JSON lines, oldest first: one object per
/// entry with every stored field (the shape of `invigil admin
/// audit-export`), filtered like the list. The export is audited
/// (`audit.exported`, with the filters).
#[utoipa::path(get, path = "/orgs/{org}/audit-log/export", tag = "audit",
    params(("org" = String, Path, description = "organization slug"), ExportQuery),
    responses((status = 200, content_type = "application/x-ndjson", body = String,
            description = "one JSON object per line"),
        (status = 400), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn export_audit_log(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let body = export_log(&state, &ctx, q.into()).await?;
    Ok(jsonl_response(&ctx.org.slug, body))
}
