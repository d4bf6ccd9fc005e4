//! `/orgs/{org}/admin/sso` (ORG_ADMIN, `Action::ManageOrg` like the API):
//! the organization's single sign-on (the services of `PUT`/`DELETE
//! /api/v1/orgs/{org}/sso`, the secret write-only) with the redirect URI to
//! register at the provider, and the self sign-up settings (`PUT
//! .../sign-up-settings`) as a second form on the same page. A refusal of
//! the service (bad field, discovery failure, internal address) is shown
//! next to its field with an error summary; deleting asks first.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use invigil_domain::identity::Action;

use super::{AdminLink, DoneQuery, done, links, refusal};
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::sso::service;
use crate::sso::views::{SignUpSettingsBody, SsoConfigBody};
use crate::state::AppState;
use crate::web::errors::{error_page, sentence};
use crate::web::form::WebForm;
use crate::web::staff::{Section, Staff};
use crate::web::{Layout, when};

const PATH: &str = "/admin/sso";

/// The SSO form's values (shown again after a refusal).
#[derive(Debug, Default, Clone)]
pub struct SsoValues {
    pub issuer_url: String,
    pub client_id: String,
    pub display_name: String,
    pub enabled: bool,
    pub allowed_domains: String,
}

/// The sign-up form's values.
#[derive(Debug, Default, Clone)]
pub struct SignUpValues {
    pub enabled: bool,
    pub allowed_domains: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/sso.html")]
pub struct SsoPage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub action: String,
    pub sign_up_action: String,
    pub delete_href: Option<String>,
    pub redirect_uri: String,
    pub signin_href: String,
    pub sign_up_href: String,
    /// A configuration is saved (the secret field may stay empty).
    pub configured: bool,
    pub updated: Option<String>,
    pub sso: SsoValues,
    pub sso_errors: Vec<FieldError>,
    pub sign_up: SignUpValues,
    pub sign_up_errors: Vec<FieldError>,
    pub sign_up_updated: Option<String>,
}

impl SsoPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.sso_errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn sign_up_error(&self, field: &str) -> Option<&str> {
        self.sign_up_errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// A field's name in the error summary.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "issuer_url" => "Issuer URL",
        "client_id" => "Client ID",
        "client_secret" => "Client secret",
        "display_name" => "Button name",
        "allowed_domains" => "Allowed email domains",
        "enabled" => "Enabled",
        _ => "Form",
    }
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "saved" => {
            "Single sign-on is saved. The provider's discovery document and keys were checked."
        }
        "deleted" => "Single sign-on is removed. Accounts already linked stay linked.",
        "sign_up" => "The sign-up settings are saved.",
        _ => return None,
    })
}

/// The comma-separated list typed into a field, as a list.
fn split(raw: &str) -> Vec<String> {
    raw.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A service's refusal as field errors: a field error stays on its field,
/// a discovery failure or an internal address goes to the issuer URL.
fn field_errors(e: ApiError) -> Result<Vec<FieldError>, ApiError> {
    match e {
        ApiError::Validation(list) => Ok(list
            .into_iter()
            .map(|f| FieldError::new(f.field, sentence(&f.message)))
            .collect()),
        ApiError::Unprocessable { detail, .. } => {
            Ok(vec![FieldError::new("issuer_url", sentence(&detail))])
        }
        other => Err(other),
    }
}

struct Carry {
    notice: Option<&'static str>,
    sso: Option<SsoValues>,
    sso_errors: Vec<FieldError>,
    sign_up: Option<SignUpValues>,
    sign_up_errors: Vec<FieldError>,
}

async fn render(state: &AppState, staff: &Staff, carry: Carry) -> Response {
    let org = &staff.ctx.org;
    let saved = match service::get_config(state, org).await {
        Ok(v) => Some(v),
        Err(ApiError::NotFound) => None,
        Err(e) => return error_page(&e),
    };
    let settings = match service::get_sign_up_settings(state, org.id).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let sso = carry.sso.unwrap_or_else(|| match &saved {
        Some(v) => SsoValues {
            issuer_url: v.issuer_url.clone(),
            client_id: v.client_id.clone(),
            display_name: v.display_name.clone(),
            enabled: v.enabled,
            allowed_domains: v.allowed_domains.join(", "),
        },
        None => SsoValues {
            enabled: true,
            ..SsoValues::default()
        },
    });
    let sign_up = carry.sign_up.unwrap_or_else(|| SignUpValues {
        enabled: settings.enabled,
        allowed_domains: settings.allowed_domains.join(", "),
    });
    let has_errors = !carry.sso_errors.is_empty() || !carry.sign_up_errors.is_empty();
    let page = SsoPage {
        layout: staff.layout("Single sign-on and sign-up", Section::Admin),
        links: links(staff, PATH),
        notice: carry.notice,
        action: staff.href(PATH),
        sign_up_action: staff.href(&format!("{PATH}/sign-up")),
        delete_href: saved
            .as_ref()
            .map(|_| staff.href(&format!("{PATH}/delete"))),
        redirect_uri: service::redirect_uri(state, &org.slug),
        signin_href: format!("/signin?org={}", org.slug),
        sign_up_href: format!("/orgs/{}/sign-up", org.slug),
        configured: saved.is_some(),
        updated: saved.as_ref().map(|v| when(v.updated_at)),
        sso,
        sso_errors: carry.sso_errors,
        sign_up,
        sign_up_errors: carry.sign_up_errors,
        sign_up_updated: settings.updated_at.map(when),
    };
    let mut resp = page.into_response();
    if has_errors && resp.status() == StatusCode::OK {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

fn authorize(staff: &Staff) -> Result<Authorized, ApiError> {
    staff.ctx.authorize(Action::ManageOrg)
}

/// `GET /orgs/{org}/admin/sso`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Err(e) = authorize(&staff) {
        return error_page(&e);
    }
    let carry = Carry {
        notice: notice(q.done.as_deref()),
        sso: None,
        sso_errors: Vec::new(),
        sign_up: None,
        sign_up_errors: Vec::new(),
    };
    render(&state, &staff, carry).await
}

use crate::web::form::field as get;

/// `POST /orgs/{org}/admin/sso`: `issuer_url`, `client_id`,
/// `client_secret` (empty: keep the saved one), `display_name`, `enabled`
/// (a checkbox), `allowed_domains` (comma-separated).
pub async fn save(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let values = SsoValues {
        issuer_url: get(&form.value, "issuer_url"),
        client_id: get(&form.value, "client_id"),
        display_name: get(&form.value, "display_name"),
        enabled: form.value.iter().any(|(k, _)| k == "enabled"),
        allowed_domains: get(&form.value, "allowed_domains"),
    };
    let secret = get(&form.value, "client_secret");
    let body = SsoConfigBody {
        issuer_url: values.issuer_url.clone(),
        client_id: values.client_id.clone(),
        client_secret: (!secret.is_empty()).then_some(secret),
        display_name: values.display_name.clone(),
        enabled: values.enabled,
        allowed_domains: Some(split(&values.allowed_domains)),
    };
    match service::put_config(&state, &auth, &staff.ctx.org, body).await {
        Ok(_) => done(&staff, PATH, "saved"),
        Err(e) => match field_errors(e) {
            Ok(errors) => {
                let carry = Carry {
                    notice: None,
                    sso: Some(values),
                    sso_errors: errors,
                    sign_up: None,
                    sign_up_errors: Vec::new(),
                };
                render(&state, &staff, carry).await
            }
            Err(e) => refusal(&staff, e, &staff.href(PATH)),
        },
    }
}

/// `POST /orgs/{org}/admin/sso/sign-up`: `enabled` (a checkbox),
/// `allowed_domains` (comma-separated).
pub async fn save_sign_up(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let values = SignUpValues {
        enabled: form.value.iter().any(|(k, _)| k == "enabled"),
        allowed_domains: get(&form.value, "allowed_domains"),
    };
    let body = SignUpSettingsBody {
        enabled: values.enabled,
        allowed_domains: Some(split(&values.allowed_domains)),
    };
    match service::put_sign_up_settings(&state, &auth, body).await {
        Ok(_) => done(&staff, PATH, "sign_up"),
        Err(e) => match field_errors(e) {
            Ok(errors) => {
                let carry = Carry {
                    notice: None,
                    sso: None,
                    sso_errors: Vec::new(),
                    sign_up: Some(values),
                    sign_up_errors: errors,
                };
                render(&state, &staff, carry).await
            }
            Err(e) => refusal(&staff, e, &staff.href(PATH)),
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/admin/sso_delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub links: Vec<AdminLink>,
    pub notice: Option<&'static str>,
    pub display_name: String,
    pub action: String,
    pub back: String,
}

/// `GET /orgs/{org}/admin/sso/delete`: the confirmation (404 when none is
/// configured).
pub async fn confirm_delete(State(state): State<AppState>, staff: Staff) -> Response {
    if let Err(e) = authorize(&staff) {
        return error_page(&e);
    }
    let saved = match service::get_config(&state, &staff.ctx.org).await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    DeletePage {
        layout: staff.layout("Remove single sign-on", Section::Admin),
        links: links(&staff, PATH),
        notice: None,
        display_name: saved.display_name,
        action: staff.href(&format!("{PATH}/delete")),
        back: staff.href(PATH),
    }
    .into_response()
}

/// `POST /orgs/{org}/admin/sso/delete`.
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<Vec<(String, String)>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    match service::delete_config(&state, &auth, &staff.ctx.org).await {
        Ok(()) => done(&staff, PATH, "deleted"),
        Err(e) => refusal(&staff, e, &staff.href(PATH)),
    }
}
