//! `/orgs*` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::{Action, Email, MemberStatus, Role, Visibility};
use invigil_domain::text::Text;
use invigil_store::identity::users;
use invigil_store::tenancy;

use super::candidates::{self, ImportResult};
use super::invitations::{self, InviteOutcome, PendingInvitation};
use super::service::{
    self, CreateOrgBody, DepartmentView, GrantBody, OrgView, PatchOrgBody, begin, commit,
};
use crate::authz::{Actor, OrgCtx, parse_grants};
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, csv_body, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_org))
        .routes(routes!(get_org, patch_org))
        .routes(routes!(create_department, list_departments))
        .routes(routes!(rename_department, delete_department))
        .routes(routes!(invite, list_invitations))
        .routes(routes!(list_members))
        .routes(routes!(
            super::profiles::get_profile,
            super::profiles::patch_profile
        ))
        .routes(routes!(put_member_roles))
        .routes(routes!(patch_member, delete_member))
}

/// Routes that take large uploads.
pub fn import_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_candidates))
}

/// Create an organization (SUPER_ADMIN).
#[utoipa::path(post, path = "/orgs", tag = "organizations", request_body = CreateOrgBody,
    responses((status = 201, body = OrgView), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_org(
    State(state): State<AppState>,
    me: CurrentUser,
    req: Request,
) -> Result<(StatusCode, Json<OrgView>), ApiError> {
    if !me.user.is_super_admin {
        return Err(ApiError::Forbidden);
    }
    let body: CreateOrgBody = json_body(req, &state).await?;
    let org = service::create_org(&state, &Actor::from(&me), body).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// What other members than ORG_ADMIN see of their organization: enough to
/// name it, none of its settings (proctoring rules, retention, domain).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgPublicView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// INSTITUTION or COMPANY.
    #[schema(value_type = String, example = "INSTITUTION")]
    pub kind: invigil_domain::identity::OrgKind,
}

/// `GET /orgs/{org}`: the full organization for ORG_ADMIN (and SUPER_ADMIN),
/// the public view for every other member.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum OrgRead {
    Full(OrgView),
    Public(OrgPublicView),
}

/// Read an organization: ORG_ADMIN (and SUPER_ADMIN) get everything with its
/// settings; any other member gets `{id, slug, name}` only.
#[utoipa::path(get, path = "/orgs/{org}", tag = "organizations",
    params(("org" = String, Path, description = "organization slug")),
    responses((status = 200, body = OrgRead, description = "OrgView for ORG_ADMIN, OrgPublicView for other members"),
        (status = 404)), security(("bearer" = [])))]
pub async fn get_org(ctx: OrgCtx) -> Result<Json<OrgRead>, ApiError> {
    if ctx.authorize(Action::ManageOrg).is_ok() {
        return Ok(Json(OrgRead::Full(ctx.org.try_into()?)));
    }
    Ok(Json(OrgRead::Public(OrgPublicView {
        id: ctx.org.id,
        slug: ctx.org.slug,
        name: ctx.org.name,
        kind: ctx.org.kind,
    })))
}

/// Update name, domain or settings (ORG_ADMIN).
#[utoipa::path(patch, path = "/orgs/{org}", tag = "organizations", request_body = PatchOrgBody,
    params(("org" = String, Path)), responses((status = 200, body = OrgView)), security(("bearer" = [])))]
pub async fn patch_org(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<Json<OrgView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: PatchOrgBody = json_body(req, &state).await?;
    service::update_org(&state, &auth, body).await.map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DepartmentBody {
    pub name: String,
}

/// Create a department (ORG_ADMIN).
#[utoipa::path(post, path = "/orgs/{org}/departments", tag = "organizations", request_body = DepartmentBody,
    params(("org" = String, Path)), responses((status = 201, body = DepartmentView), (status = 409)), security(("bearer" = [])))]
pub async fn create_department(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: DepartmentBody = json_body(req, &state).await?;
    let d = service::create_department(&state, &auth, &body.name).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// List departments (any member).
#[utoipa::path(get, path = "/orgs/{org}/departments", tag = "organizations",
    params(("org" = String, Path)), responses((status = 200, body = Page<DepartmentView>)), security(("bearer" = [])))]
pub async fn list_departments(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<Page<DepartmentView>>, ApiError> {
    let items = tenancy::list_departments(state.db.read(), ctx.org_id())
        .await?
        .into_iter()
        .map(|d| DepartmentView {
            id: d.id,
            name: d.name,
            created_at: d.created_at,
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Rename a department (ORG_ADMIN); audited.
#[utoipa::path(patch, path = "/orgs/{org}/departments/{id}", tag = "organizations", request_body = DepartmentBody,
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = DepartmentView), (status = 404), (status = 409, description = "another department has the name"), (status = 422)),
    security(("bearer" = [])))]
pub async fn rename_department(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_org, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<DepartmentView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: DepartmentBody = json_body(req, &state).await?;
    service::rename_department(&state, &auth, id, &body.name)
        .await
        .map(Json)
}

/// Delete an empty department (ORG_ADMIN): 409 while banks, exams or role
/// grants belong to it; audited.
#[utoipa::path(delete, path = "/orgs/{org}/departments/{id}", tag = "organizations",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "the department is not empty")),
    security(("bearer" = [])))]
pub async fn delete_department(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_org, id)): ApiPath<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    service::delete_department(&state, &auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteBody {
    pub email: String,
    pub name: String,
    pub roles: Vec<String>,
    pub department_id: Option<Uuid>,
}

/// Invite a person with roles. Staff roles need ORG_ADMIN; inviting
/// candidates only is also open to ENROLLMENT_MANAGER. The answer has the
/// same shape and kind of values whether or not an account with the email
/// exists; the person becomes a member only by accepting the mailed link.
#[utoipa::path(post, path = "/orgs/{org}/invitations", tag = "organizations", request_body = InviteBody,
    params(("org" = String, Path)), responses((status = 201, body = InviteOutcome), (status = 422)), security(("bearer" = [])))]
pub async fn invite(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<InviteOutcome>), ApiError> {
    // Who may invite anyone at all; the roles in the body decide the rest.
    if ctx.authorize(Action::ManageOrg).is_err()
        && ctx.visibility(Action::ManageEnrollments) == Visibility::Nothing
    {
        return Err(ApiError::Forbidden);
    }
    let body: InviteBody = json_body(req, &state).await?;
    let outcome = invite_person(&state, &ctx, body).await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

/// Invites a person with roles: staff roles need ORG_ADMIN, candidates only
/// ENROLLMENT_MANAGER too. The service of the route and of the console.
pub async fn invite_person(
    state: &AppState,
    ctx: &OrgCtx,
    body: InviteBody,
) -> Result<InviteOutcome, ApiError> {
    let only_candidates = !body.roles.is_empty()
        && body
            .roles
            .iter()
            .all(|r| r.trim() == Role::Candidate.as_str());
    let auth = if only_candidates {
        ctx.authorize_in(Action::ManageEnrollments, body.department_id)?
    } else {
        ctx.authorize(Action::ManageOrg)?
    };
    let email = Email::parse(&body.email)?;
    // Control characters are left to the input hygiene here, as always.
    let name = Text::<200>::parse_lenient("name", &body.name)?;
    if body.roles.is_empty() {
        return Err(ApiError::field("roles", "name at least one role"));
    }
    let grant_bodies: Vec<GrantBody> = body
        .roles
        .iter()
        .map(|r| GrantBody {
            role: r.clone(),
            department_id: body.department_id,
        })
        .collect();
    let grants = service::parse_grant_bodies(state, auth.org_id, "roles", &grant_bodies).await?;
    let now = state.now();
    let tx = begin(state).await?;
    let outcome = invitations::invite(
        &tx,
        state,
        &ctx.org,
        &email,
        name.as_str(),
        &grants,
        &auth.actor,
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(outcome)
}

/// Pending invitations, newest first (ORG_ADMIN): not yet accepted and
/// not expired. At most 500; an invitation lasts days, not months.
#[utoipa::path(get, path = "/orgs/{org}/invitations", tag = "organizations",
    params(("org" = String, Path)), responses((status = 200, body = Page<PendingInvitation>)), security(("bearer" = [])))]
pub async fn list_invitations(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<Page<PendingInvitation>>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let items = invitations::pending(&state, auth.org_id).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    /// The account's own status (global); empty when the account is gone.
    pub account_status: String,
    /// The membership's status in this organization.
    #[schema(value_type = String)]
    pub status: MemberStatus,
    pub roles: Vec<GrantBody>,
    pub joined_at: DateTime<Utc>,
}

/// Members with their roles (ORG_ADMIN, ENROLLMENT_MANAGER).
#[utoipa::path(get, path = "/orgs/{org}/members", tag = "organizations",
    params(("org" = String, Path), PageQuery), responses((status = 200, body = Page<MemberView>)), security(("bearer" = [])))]
pub async fn list_members(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<MemberView>>, ApiError> {
    let auth = ctx.authorize(Action::ReadMembers)?;
    members_page(&state, auth.org_id, page).await.map(Json)
}

/// A page of members with their roles (the caller authorized
/// `Action::ReadMembers`): the service of the route and of the console.
pub async fn members_page(
    state: &AppState,
    org_id: Uuid,
    page: PageQuery,
) -> Result<Page<MemberView>, ApiError> {
    let members = tenancy::list_members(state.db.read(), org_id, page.keyset()?).await?;
    let ids: Vec<Uuid> = members.items.iter().map(|m| m.user_id).collect();
    let users = users::by_ids(state.db.read(), ids.clone()).await?;
    let roles = tenancy::roles_of_users(state.db.read(), org_id, ids).await?;
    Ok(Page::from_keyset(members, |m| {
        let u = users.iter().find(|u| u.id == m.user_id);
        MemberView {
            user_id: m.user_id,
            email: u.map(|u| u.email.clone()).unwrap_or_default(),
            name: u.map(|u| u.name.clone()).unwrap_or_default(),
            account_status: u.map(|u| u.status.to_string()).unwrap_or_default(),
            status: m.status,
            roles: roles
                .iter()
                .filter(|(id, _, _)| *id == m.user_id)
                .map(|(_, role, d)| GrantBody {
                    role: role.as_str().to_owned(),
                    department_id: *d,
                })
                .collect(),
            joined_at: m.joined_at,
        }
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RolesBody {
    pub roles: Vec<GrantBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RolesView {
    pub user_id: Uuid,
    pub roles: Vec<GrantBody>,
}

/// Replace a member's roles (ORG_ADMIN). Removing a role signs the member out.
#[utoipa::path(put, path = "/orgs/{org}/members/{user_id}/roles", tag = "organizations", request_body = RolesBody,
    params(("org" = String, Path), ("user_id" = Uuid, Path)), responses((status = 200, body = RolesView), (status = 404)), security(("bearer" = [])))]
pub async fn put_member_roles(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_org, user_id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<RolesView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: RolesBody = json_body(req, &state).await?;
    let grants = service::parse_grant_bodies(&state, auth.org_id, "roles", &body.roles).await?;
    service::replace_roles(&state, &auth, user_id, &grants).await?;
    let roles = parse_grants(tenancy::roles_of(state.db.read(), auth.org_id, user_id).await?)
        .into_iter()
        .map(|g| GrantBody {
            role: g.role.as_str().to_owned(),
            department_id: g.department_id,
        })
        .collect();
    Ok(Json(RolesView { user_id, roles }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberStatusBody {
    /// ACTIVE, SUSPENDED or DEACTIVATED.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberStatusView {
    pub user_id: Uuid,
    #[schema(value_type = String)]
    pub status: MemberStatus,
}

/// Change a member's status (ORG_ADMIN); suspending signs them out.
#[utoipa::path(patch, path = "/orgs/{org}/members/{user_id}", tag = "organizations", request_body = MemberStatusBody,
    params(("org" = String, Path), ("user_id" = Uuid, Path)), responses((status = 200, body = MemberStatusView), (status = 404)), security(("bearer" = [])))]
pub async fn patch_member(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_org, user_id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<MemberStatusView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: MemberStatusBody = json_body(req, &state).await?;
    let status = MemberStatus::parse(body.status.trim())
        .ok_or_else(|| ApiError::field("status", "must be ACTIVE, SUSPENDED or DEACTIVATED"))?;
    service::set_member_status(&state, &auth, user_id, status).await?;
    Ok(Json(MemberStatusView { user_id, status }))
}

/// Remove a member from the organization (ORG_ADMIN).
#[utoipa::path(delete, path = "/orgs/{org}/members/{user_id}", tag = "organizations",
    params(("org" = String, Path), ("user_id" = Uuid, Path)), responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn delete_member(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_org, user_id)): ApiPath<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    service::remove_member(&state, &auth, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartialQuery {
    /// Import the good lines and report the bad ones.
    #[serde(default)]
    pub partial: bool,
}

/// Import candidates from CSV (ENROLLMENT_MANAGER, ORG_ADMIN).
#[utoipa::path(post, path = "/orgs/{org}/candidates/import", tag = "organizations",
    request_body(content = String, content_type = "text/csv",
        description = "header `email,name,student_number,class_year,has_accommodations,extra_time_percent`"),
    params(("org" = String, Path), PartialQuery),
    responses((status = 200, body = ImportResult), (status = 422)), security(("bearer" = [])))]
pub async fn import_candidates(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PartialQuery>,
    req: Request,
) -> Result<Json<ImportResult>, ApiError> {
    let auth = ctx.authorize(Action::ManageEnrollments)?;
    let text = csv_body(req, &state).await?;
    candidates::import(&state, &auth, &ctx.org, &text, q.partial)
        .await
        .map(Json)
}
