//! `/orgs/{org}/admin/invitations`: invite staff by email with roles (the
//! service of `POST /api/v1/orgs/{org}/invitations`) and the pending
//! invitations (`GET /api/v1/orgs/{org}/invitations`).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::members::{department_names, grant_words, grantable, role_words};
use super::{AdminLink, DoneQuery, done, links, notice, refusal};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::invitations::pending;
use crate::tenancy::routes::{InviteBody, invite_person};
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::staff::{Section, Staff};
use crate::web::{Layout, when};

const PATH: &str = "/admin/invitations";

#[derive(Debug)]
pub struct InvitationRow {
    pub email: String,
    pub roles: Vec<String>,
    pub sent: String,
    pub expires: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/invitations.html")]
pub struct InvitationsPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub action: String,
    pub roles: Vec<(&'static str, &'static str)>,
    pub departments: Vec<(Uuid, String)>,
    pub rows: Vec<InvitationRow>,
}

/// `GET /orgs/{org}/admin/invitations`.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let auth = match staff.ctx.authorize(Action::ManageOrg) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let loaded = async {
        Ok::<_, ApiError>((
            pending(&state, auth.org_id).await?,
            department_names(&state, auth.org_id).await?,
        ))
    }
    .await;
    let (invitations, departments) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let names: HashMap<Uuid, String> = departments.iter().cloned().collect();
    InvitationsPage {
        layout: staff.layout("Invitations", Section::Admin),
        links: links(&staff, PATH),
        notice: notice(q.done.as_deref()),
        action: staff.href(PATH),
        roles: grantable().map(|r| (r.as_str(), role_words(r))).collect(),
        rows: invitations
            .iter()
            .map(|i| InvitationRow {
                email: i.email.clone(),
                roles: i.roles.iter().map(|g| grant_words(&names, g)).collect(),
                sent: when(i.sent_at),
                expires: when(i.expires_at),
            })
            .collect(),
        departments,
    }
    .into_response()
}

/// `POST /orgs/{org}/admin/invitations`: `email`, `name`, `role` (repeated)
/// and `department` (empty: the whole organization).
pub async fn send(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let back = staff.href(PATH);
    let get = |name: &str| crate::web::form::field(&form.value, name);
    let department = get("department");
    let department_id = if department.is_empty() {
        None
    } else {
        match department.parse::<Uuid>() {
            Ok(d) => Some(d),
            Err(_) => {
                return refusal(
                    &staff,
                    ApiError::field("department", "unknown department"),
                    &back,
                );
            }
        }
    };
    let body = InviteBody {
        email: get("email"),
        name: get("name"),
        roles: form
            .value
            .iter()
            .filter(|(k, _)| k == "role")
            .map(|(_, v)| v.clone())
            .collect(),
        department_id,
    };
    match invite_person(&state, &staff.ctx, body).await {
        Ok(_) => done(&staff, PATH, "invited"),
        Err(e) => refusal(&staff, e, &back),
    }
}
