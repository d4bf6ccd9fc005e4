//! `/orgs/{org}/admin/api-keys` (ORG_ADMIN, `Action::ManageApiKeys`): the
//! organization's API keys (the service of `GET /api/v1/orgs/{org}/api-keys`),
//! a new key with its roles and optional expiry (`POST`, the secret shown
//! once on the answer page, never in an address) and revoking one after a
//! confirmation page (`DELETE .../api-keys/{id}`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use invigil_domain::identity::{Action, Role};

use super::members::{grantable, role_words};
use super::{AdminLink, done, links, refusal};
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::http::page::PageQuery;
use crate::people::api_keys::{self, ApiKeyView, CreateKeyBody};
use crate::state::AppState;
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::staff::{Pager, Section, Staff};
use crate::web::{Layout, when};

const PATH: &str = "/admin/api-keys";

#[derive(Debug)]
pub struct KeyRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub roles: Vec<&'static str>,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    /// Active, Expired or Revoked.
    pub status: &'static str,
    pub revoke_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/api_keys.html")]
pub struct KeysPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub action: String,
    pub roles: Vec<(&'static str, &'static str, bool)>,
    pub name: String,
    pub expires: String,
    pub errors: Vec<FieldError>,
    /// The new key's secret and name: shown on this answer only.
    pub created: Option<(String, String)>,
    pub rows: Vec<KeyRow>,
    pub pager: Pager,
}

impl KeysPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct KeysQuery {
    pub done: Option<String>,
    pub cursor: Option<String>,
}

fn key_roles() -> impl Iterator<Item = Role> {
    grantable().filter(|r| *r != Role::Candidate)
}

fn row(staff: &Staff, k: ApiKeyView) -> KeyRow {
    let now = Utc::now();
    let status = if k.revoked_at.is_some() {
        "Revoked"
    } else if k.expires_at.is_some_and(|t| t <= now) {
        "Expired"
    } else {
        "Active"
    };
    KeyRow {
        revoke_href: (status == "Active").then(|| staff.href(&format!("{PATH}/{}/revoke", k.id))),
        id: k.id,
        name: k.name,
        prefix: format!("{}…", k.prefix),
        roles: k.roles.into_iter().map(role_words).collect(),
        created: when(k.created_at),
        last_used: k.last_used_at.map(when).unwrap_or_else(|| "Never".into()),
        expires: k.expires_at.map(when).unwrap_or_else(|| "Never".into()),
        status,
    }
}

struct Form {
    name: String,
    expires: String,
    roles: Vec<String>,
    errors: Vec<FieldError>,
    created: Option<(String, String)>,
}

async fn render(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    cursor: Option<String>,
    notice: Option<&'static str>,
    form: Form,
) -> Response {
    let q = PageQuery {
        limit: Some(50),
        cursor: cursor.clone(),
    };
    let keyset = match q.keyset() {
        Ok(k) => k,
        Err(e) => return error_page(&e),
    };
    let page = match api_keys::list(state, auth, keyset).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    KeysPage {
        layout: staff.layout("API keys", Section::Admin),
        links: links(staff, PATH),
        notice,
        action: staff.href(PATH),
        roles: key_roles()
            .map(|r| {
                (
                    r.as_str(),
                    role_words(r),
                    form.roles.iter().any(|x| x == r.as_str()),
                )
            })
            .collect(),
        name: form.name,
        expires: form.expires,
        errors: form.errors,
        created: form.created,
        pager: Pager::new(
            &staff.href(PATH),
            cursor.as_deref(),
            page.next_cursor.as_deref(),
        ),
        rows: page.items.into_iter().map(|k| row(staff, k)).collect(),
    }
    .into_response()
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "revoked" => Some("The key is revoked: requests with it are refused from now on."),
        _ => None,
    }
}

/// `GET /orgs/{org}/admin/api-keys`.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<KeysQuery>,
) -> Response {
    let auth = match staff.ctx.authorize(Action::ManageApiKeys) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let form = Form {
        name: String::new(),
        expires: String::new(),
        roles: Vec::new(),
        errors: Vec::new(),
        created: None,
    };
    render(
        &state,
        &staff,
        &auth,
        q.cursor,
        notice(q.done.as_deref()),
        form,
    )
    .await
}

/// `POST /orgs/{org}/admin/api-keys`: `name`, `role` (repeated), `expires`
/// (a date, `YYYY-MM-DD`; the key works until the end of that day, UTC).
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match staff.ctx.authorize(Action::ManageApiKeys) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let get = |name: &str| crate::web::form::field(&form.value, name);
    let name = get("name");
    let expires = get("expires");
    let role_values: Vec<String> = form
        .value
        .iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, v)| v.clone())
        .collect();
    let mut errors = Vec::new();
    let mut roles = Vec::new();
    for v in &role_values {
        match key_roles().find(|r| r.as_str() == v) {
            Some(r) => roles.push(r),
            None => errors.push(FieldError::new("roles", "Choose roles from the list.")),
        }
    }
    let expires_at = if expires.is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(&expires, "%Y-%m-%d") {
            Ok(d) => d.and_hms_opt(23, 59, 59).map(|t| t.and_utc()),
            Err(_) => {
                errors.push(FieldError::new(
                    "expires_at",
                    "Give a date as YYYY-MM-DD, or leave it empty.",
                ));
                None
            }
        }
    };
    let result = if errors.is_empty() {
        api_keys::create(
            &state,
            &auth,
            CreateKeyBody {
                name: name.clone(),
                roles,
                expires_at,
            },
        )
        .await
    } else {
        Err(ApiError::Validation(errors))
    };
    match result {
        Ok(created) => {
            let form = Form {
                name: String::new(),
                expires: String::new(),
                roles: Vec::new(),
                errors: Vec::new(),
                created: Some((created.key.name, created.secret)),
            };
            render(&state, &staff, &auth, None, None, form).await
        }
        Err(ApiError::Validation(list)) => {
            let errors = list
                .into_iter()
                .map(|f| FieldError::new(f.field, crate::web::errors::sentence(&f.message)))
                .collect();
            let form = Form {
                name,
                expires,
                roles: role_values,
                errors,
                created: None,
            };
            let mut resp = render(&state, &staff, &auth, None, None, form).await;
            if resp.status() == StatusCode::OK {
                *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            resp
        }
        Err(e) => refusal(&staff, e, &staff.href(PATH)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/api_key_revoke.html")]
pub struct RevokePage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub name: String,
    pub prefix: String,
    pub action: String,
    pub back: String,
}

/// `GET /orgs/{org}/admin/api-keys/{id}/revoke`: the confirmation.
pub async fn confirm(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let auth = match staff.ctx.authorize(Action::ManageApiKeys) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let key = match invigil_store::people::api_key(state.db.read(), auth.org_id, id).await {
        Ok(Some(k)) if k.revoked_at.is_none() => k,
        Ok(_) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&e.into()),
    };
    RevokePage {
        layout: staff.layout("Revoke an API key", Section::Admin),
        links: links(&staff, PATH),
        notice: None,
        name: key.name,
        prefix: format!("{}…", key.prefix),
        action: staff.href(&format!("{PATH}/{id}/revoke")),
        back: staff.href(PATH),
    }
    .into_response()
}

/// `POST /orgs/{org}/admin/api-keys/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match staff.ctx.authorize(Action::ManageApiKeys) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    match api_keys::revoke(&state, &auth, id).await {
        Ok(()) => done(&staff, PATH, "revoked"),
        Err(e) => refusal(&staff, e, &staff.href(PATH)),
    }
}
