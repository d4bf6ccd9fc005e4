//! `GET /orgs/{org}/audit-log` and `GET /orgs/{org}/audit-log/verify`
//! (and, from [`super::export`], `GET /orgs/{org}/audit-log/export`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::StoreError;
use invigil_store::audit::{self, AuditEntry, Filter};

use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit_log))
        .routes(routes!(verify_audit_log))
        .merge(super::export::routes())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor: Option<Uuid>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: Uuid,
    pub seq: i64,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Free-form details of the action.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub hash: String,
}

impl TryFrom<AuditEntry> for AuditEntryView {
    type Error = StoreError;

    /// Fails on an entry whose stored details do not decode.
    fn try_from(e: AuditEntry) -> Result<Self, StoreError> {
        Ok(AuditEntryView {
            details: e.details_json()?,
            id: e.id,
            seq: e.seq,
            actor_id: e.actor_id,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            ip: e.ip,
            user_agent: e.user_agent,
            created_at: e.created_at,
            hash: e.hash,
        })
    }
}

/// The organization's audit log, newest first.
#[utoipa::path(get, path = "/orgs/{org}/audit-log", tag = "audit",
    params(("org" = String, Path, description = "organization slug"), AuditQuery),
    responses((status = 200, body = Page<AuditEntryView>)), security(("bearer" = [])))]
pub async fn list_audit_log(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditEntryView>>, ApiError> {
    audit_page(&state, &ctx, q).await.map(Json)
}

/// A page of the organization's audit log, newest first (ORG_ADMIN,
/// QUALITY_ASSURANCE): the service of the route and of the console's page.
pub async fn audit_page(
    state: &AppState,
    ctx: &OrgCtx,
    q: AuditQuery,
) -> Result<Page<AuditEntryView>, ApiError> {
    let auth = ctx.authorize(Action::ReadAuditLog)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .keyset::<i64>()?;
    let filter = Filter {
        actor_id: q.actor,
        action: q.action,
        resource_type: q.resource_type,
        resource_id: q.resource_id,
        from: q.from,
        to: q.to,
    };
    audit::link_pending(&state.db).await?;
    let rows = audit::page(state.db.read(), auth.org_id, &filter, page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for e in rows.items {
        items.push(AuditEntryView::try_from(e)?);
    }
    Ok(Page {
        items,
        next_cursor: rows.next.map(|seq| seq.to_string()),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenView {
    pub id: Option<Uuid>,
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    /// True when every entry matches its hash and links to the one before.
    pub ok: bool,
    pub entries: u64,
    pub head_seq: i64,
    pub first_broken: Option<BrokenView>,
}

/// Recomputes the organization's hash chain.
#[utoipa::path(get, path = "/orgs/{org}/audit-log/verify", tag = "audit",
    params(("org" = String, Path, description = "organization slug")),
    responses((status = 200, body = VerifyView)), security(("bearer" = [])))]
pub async fn verify_audit_log(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<VerifyView>, ApiError> {
    verify_chain(&state, &ctx).await.map(Json)
}

/// Recomputes the organization's hash chain (ORG_ADMIN, QUALITY_ASSURANCE):
/// the service of the route and of the console's verify button.
pub async fn verify_chain(state: &AppState, ctx: &OrgCtx) -> Result<VerifyView, ApiError> {
    let auth = ctx.authorize(Action::ReadAuditLog)?;
    audit::link_pending(&state.db).await?;
    let v = audit::verify(state.db.read(), Some(auth.org_id)).await?;
    Ok(VerifyView {
        ok: v.first_broken.is_none(),
        entries: v.entries,
        head_seq: v.head_seq,
        first_broken: v.first_broken.map(|b| BrokenView {
            id: b.id,
            seq: b.seq,
            reason: b.reason,
        }),
    })
}
