//! Single sign-on and self sign-up pages: `/sso/{org}/start` and
//! `/sso/{org}/callback` (the provider's round trip), the public sign-up
//! form `/orgs/{org}/sign-up` (404 unless the organization accepts
//! sign-ups) and the mailed link's page `/sign-up/verify?token=`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use invigil_domain::sso::SsoFailure;
use invigil_store::tenancy;

use super::Layout;
use super::errors::{FormErrors, csrf_refused, error_page, form_error};
use super::form::WebForm;
use super::session::{self, Visitor, cookie, local_path, see_other, with_cookies};
use super::signin::TokenQuery;
use crate::http::error::ApiError;
use crate::sso::service::{self, Callback};
use crate::sso::signup;
use crate::state::AppState;

/// The cookie binding a pending sign-in to this browser (its state).
fn state_cookie_name(visitor: &Visitor) -> &'static str {
    if visitor.names.secure {
        "__Host-invigil_sso"
    } else {
        "invigil_sso"
    }
}

fn state_cookie(visitor: &Visitor, value: &str, max_age: i64) -> Option<HeaderValue> {
    let mut v = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}",
        state_cookie_name(visitor)
    );
    if visitor.names.secure {
        v.push_str("; Secure");
    }
    HeaderValue::from_str(&v).ok()
}

#[derive(Template, WebTemplate)]
#[template(path = "sso_error.html")]
pub struct SsoErrorPage {
    pub layout: Layout,
    pub message: &'static str,
    pub retry: String,
}

fn failure_page(visitor: &Visitor, slug: &str, reason: SsoFailure) -> Response {
    let status = match reason {
        SsoFailure::NotEnabled => StatusCode::NOT_FOUND,
        SsoFailure::BadState | SsoFailure::ProviderError => StatusCode::BAD_REQUEST,
        SsoFailure::ProviderUnavailable | SsoFailure::TokenExchange => StatusCode::BAD_GATEWAY,
        _ => StatusCode::FORBIDDEN,
    };
    let (csrf, cookie) = visitor.csrf_for_page();
    let page = SsoErrorPage {
        layout: Layout::for_visitor("Sign-in refused", visitor, &csrf),
        message: reason.message(),
        retry: format!("/signin?org={slug}"),
    };
    let mut resp = with_cookies(page.into_response(), cookie);
    *resp.status_mut() = status;
    resp
}

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /sso/{org}/start`: to the provider.
pub async fn start(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    query: Result<Query<StartQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let next = local_path(query.ok().and_then(|q| q.0.next).as_deref());
    let org = match tenancy::org_by_slug(state.db.read(), &slug).await {
        Ok(Some(org)) => org,
        Ok(None) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&e.into()),
    };
    match service::start(&state, &org, next).await {
        Ok((url, state_token)) => with_cookies(
            see_other(&url),
            state_cookie(&visitor, &state_token, service_state_secs()),
        ),
        Err(f) => {
            tracing::info!(org = %slug, reason = f.reason.code(), detail = %f.detail, "sso start refused");
            failure_page(&visitor, &slug, f.reason)
        }
    }
}

fn service_state_secs() -> i64 {
    crate::sso::STATE_TTL.num_seconds()
}

#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /sso/{org}/callback`: the provider's answer; signed in, or a page
/// saying why not.
pub async fn callback(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(slug): Path<String>,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    let clear = state_cookie(&visitor, "", 0);
    let org = match tenancy::org_by_slug(state.db.read(), &slug).await {
        Ok(Some(org)) => org,
        Ok(None) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&e.into()),
    };
    let cb = Callback {
        code: q.code,
        state: q.state,
        error: q.error,
        cookie_state: cookie(&headers, state_cookie_name(&visitor)).map(str::to_owned),
    };
    match service::callback(&state, &org, cb, &visitor.client).await {
        Ok(signed) => {
            let to = signed.next.unwrap_or_else(|| "/".to_owned());
            with_cookies(
                session::begin(&state, &visitor, &signed.tokens, &to).await,
                clear,
            )
        }
        Err(f) => with_cookies(failure_page(&visitor, &slug, f.reason), clear),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_up.html")]
pub struct SignUpPage {
    pub layout: Layout,
    pub slug: String,
    pub org_name: String,
    pub sso_name: Option<String>,
    pub domains: String,
    pub sent: bool,
    pub name: String,
    pub email: String,
    pub errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

async fn sign_up_page_of(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
) -> Result<(SignUpPage, Option<HeaderValue>), ApiError> {
    let org = signup::open_org(state, slug).await?;
    let domains = service::open_sign_up(state, org.id)
        .await?
        .map(|d| d.as_slice().join(", "))
        .unwrap_or_default();
    let sso_name = service::enabled_config(state, org.id)
        .await?
        .map(|c| c.display_name);
    let (csrf, cookie) = visitor.csrf_for_page();
    let page = SignUpPage {
        layout: Layout::for_visitor("Create your account", visitor, &csrf),
        slug: org.slug,
        org_name: org.name,
        sso_name,
        domains,
        sent: false,
        name: String::new(),
        email: String::new(),
        errors: FormErrors::default(),
    };
    Ok((page, cookie))
}

/// `GET /orgs/{org}/sign-up`.
pub async fn sign_up_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    query: Result<Query<SentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let sent = query.is_ok_and(|q| q.0.sent.is_some());
    match sign_up_page_of(&state, &visitor, &slug).await {
        Ok((mut page, cookie)) => {
            page.sent = sent;
            with_cookies(page.into_response(), cookie)
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /orgs/{org}/sign-up`: the service of `POST /api/v1/orgs/{org}/sign-up`.
pub async fn sign_up(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    form: WebForm<SignUpForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let f = form.value;
    let page = match sign_up_page_of(&state, &visitor, &slug).await {
        Ok((p, _)) => p,
        Err(e) => return error_page(&e),
    };
    match signup::sign_up(
        &state,
        &slug,
        &f.email,
        &f.name,
        &f.password,
        &visitor.client,
    )
    .await
    {
        Ok(()) => see_other(&format!("/orgs/{slug}/sign-up?sent=1")),
        Err(e) => form_error(e, &["name", "email", "password"], |errors| SignUpPage {
            name: f.name.clone(),
            email: f.email.clone(),
            errors,
            ..page
        }),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_up_verify.html")]
pub struct VerifyPage {
    pub layout: Layout,
    pub token: String,
}

/// `GET /sign-up/verify?token=`: a button (a GET changes nothing, so mail
/// scanners following the link do not use it up).
pub async fn verify_page(
    visitor: Visitor,
    query: Result<Query<TokenQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(token) = TokenQuery::parse(query) else {
        return error_page(&ApiError::BadOneTimeToken);
    };
    let (csrf, cookie) = visitor.csrf_for_page();
    let page = VerifyPage {
        layout: Layout::for_visitor("Activate your account", &visitor, &csrf),
        token,
    };
    with_cookies(page.into_response(), cookie)
}

#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    token: String,
}

/// `POST /sign-up/verify`: activates, then the browser is signed in.
pub async fn verify(
    State(state): State<AppState>,
    visitor: Visitor,
    form: WebForm<VerifyForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match signup::verify(&state, &form.value.token, &visitor.client).await {
        Ok(tokens) => session::begin(&state, &visitor, &tokens, "/").await,
        Err(e) => error_page(&e),
    }
}
