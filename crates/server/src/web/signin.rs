//! Sign-in, sign-out, "forgot password" and the reset link of the mail.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Layout;
use super::errors::{FormErrors, csrf_refused, error_page, form_error, form_invalid};
use super::form::WebForm;
use super::session::{self, Visitor, local_path, see_other, with_cookies};
use crate::http::error::{ApiError, FieldError};
use crate::identity::{password, preview, service};
use crate::state::AppState;

/// Short messages a redirect asks the sign-in page to show.
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "signed_out" => "You are signed out.",
        "password_reset" => {
            "Your new password is set and every other sign-in was ended. Sign in with it."
        }
        "email_reverted" => {
            "Your previous email address is restored and every sign-in was ended. Sign in again."
        }
        "signin_required" => "Please sign in to continue.",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct SigninQuery {
    next: Option<String>,
    notice: Option<String>,
    /// An organization's slug: its single sign-on button and sign-up link.
    org: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "signin.html")]
pub struct SigninPage {
    pub layout: Layout,
    pub email: String,
    pub next: String,
    pub notice: Option<&'static str>,
    pub errors: FormErrors,
    /// (start link, "Sign in with" name) of the organization's enabled SSO.
    pub sso: Option<(String, String)>,
    /// The organization's sign-up page, when it accepts sign-ups.
    pub sign_up: Option<String>,
}

/// The single sign-on button and sign-up link of `/signin?org=slug`
/// (nothing for an unknown organization).
async fn org_options(
    state: &AppState,
    slug: Option<&str>,
    next: Option<&str>,
) -> (Option<(String, String)>, Option<String>) {
    let Some(slug) = slug.filter(|s| s.len() <= 100) else {
        return (None, None);
    };
    let Ok(Some(org)) = invigil_store::tenancy::org_by_slug(state.db.read(), slug).await else {
        return (None, None);
    };
    let sso = crate::sso::service::enabled_config(state, org.id)
        .await
        .ok()
        .flatten()
        .map(|c| {
            let query = next
                .and_then(|n| serde_urlencoded::to_string([("next", n)]).ok())
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            (format!("/sso/{}/start{query}", org.slug), c.display_name)
        });
    let sign_up = crate::sso::service::open_sign_up(state, org.id)
        .await
        .ok()
        .flatten()
        .map(|_| format!("/orgs/{}/sign-up", org.slug));
    (sso, sign_up)
}

/// `GET /signin`.
pub async fn signin_page(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<SigninQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    let next = local_path(q.next.as_deref());
    if visitor.user.is_some() {
        return see_other(next.as_deref().unwrap_or("/"));
    }
    let (sso, sign_up) = org_options(&state, q.org.as_deref(), next.as_deref()).await;
    let (csrf, cookie) = visitor.csrf_for_page();
    let page = SigninPage {
        layout: Layout::for_visitor("Sign in", &visitor, &csrf),
        email: String::new(),
        next: next.unwrap_or_default(),
        notice: q.notice.as_deref().and_then(notice_text),
        errors: FormErrors::default(),
        sso,
        sign_up,
    };
    with_cookies(page.into_response(), cookie)
}

#[derive(Debug, Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /signin`: the service of `POST /api/v1/auth/login`, then the
/// browser session.
pub async fn signin(
    State(state): State<AppState>,
    visitor: Visitor,
    form: WebForm<SigninForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let f = form.value;
    let next = local_path(Some(&f.next));
    let render = |errors: FormErrors| {
        let (csrf, _) = visitor.csrf_for_page();
        SigninPage {
            layout: Layout::for_visitor("Sign in", &visitor, &csrf),
            email: f.email.clone(),
            next: next.clone().unwrap_or_default(),
            notice: None,
            errors,
            sso: None,
            sign_up: None,
        }
    };
    // Empty fields are the form's business: they never reach the lockout.
    let mut missing = Vec::new();
    if f.email.trim().is_empty() {
        missing.push(FieldError::new("email", "Enter your email address."));
    }
    if f.password.is_empty() {
        missing.push(FieldError::new("password", "Enter your password."));
    }
    if !missing.is_empty() {
        return form_invalid(missing, render);
    }
    match service::login(&state, &f.email, &f.password, None, &visitor.client).await {
        Ok(issued) => {
            session::begin(&state, &visitor, &issued, next.as_deref().unwrap_or("/")).await
        }
        Err(e) => form_error(e, &["email", "password"], render),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signout.html")]
pub struct SignoutPage {
    pub layout: Layout,
}

/// `GET /signout`: a button (a GET never signs anyone out).
pub async fn signout_page(visitor: Visitor) -> Response {
    if visitor.user.is_none() {
        return see_other("/signin");
    }
    let (csrf, _) = visitor.csrf_for_page();
    SignoutPage {
        layout: Layout::for_visitor("Sign out", &visitor, &csrf),
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /signout`: the session is revoked server side (audit
/// `auth.logout`) and the cookie cleared.
pub async fn signout(
    State(state): State<AppState>,
    visitor: Visitor,
    form: WebForm<EmptyForm>,
) -> Response {
    let clear = visitor.names.clear_session();
    let Some(user) = &visitor.user else {
        return with_cookies(see_other("/signin"), clear);
    };
    if !visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if let Err(e) = service::logout(&state, user).await {
        return error_page(&e);
    }
    with_cookies(see_other("/signin?notice=signed_out"), clear)
}

#[derive(Debug, Default, Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "forgot.html")]
pub struct ForgotPage {
    pub layout: Layout,
    pub email: String,
    pub sent: bool,
    pub errors: FormErrors,
}

/// `GET /forgot-password`.
pub async fn forgot_page(
    visitor: Visitor,
    query: Result<Query<SentQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let sent = query.is_ok_and(|q| q.0.sent.is_some());
    let (csrf, cookie) = visitor.csrf_for_page();
    let page = ForgotPage {
        layout: Layout::for_visitor("Reset your password", &visitor, &csrf),
        email: String::new(),
        sent,
        errors: FormErrors::default(),
    };
    with_cookies(page.into_response(), cookie)
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

/// `POST /forgot-password`: the service of `POST /api/v1/auth/password-reset`
/// (the same answer whether the account exists).
pub async fn forgot(
    State(state): State<AppState>,
    visitor: Visitor,
    form: WebForm<EmailForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let email = form.value.email;
    let render = |errors: FormErrors| {
        let (csrf, _) = visitor.csrf_for_page();
        ForgotPage {
            layout: Layout::for_visitor("Reset your password", &visitor, &csrf),
            email: email.clone(),
            sent: false,
            errors,
        }
    };
    if email.trim().is_empty() {
        return form_invalid(
            vec![FieldError::new("email", "Enter your email address.")],
            render,
        );
    }
    match password::request_password_reset(&state, &email, &visitor.client).await {
        Ok(()) => see_other("/forgot-password?sent=1"),
        Err(e) => form_error(e, &["email"], render),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

impl TokenQuery {
    /// The link's token; `None` is a dead link.
    pub fn parse(
        query: Result<Query<TokenQuery>, axum::extract::rejection::QueryRejection>,
    ) -> Option<String> {
        query
            .ok()
            .and_then(|q| q.0.token)
            .filter(|t| !t.is_empty() && t.len() <= 256)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reset.html")]
pub struct ResetPage {
    pub layout: Layout,
    pub token: String,
    pub errors: FormErrors,
}

/// `GET /reset-password?token=`: the link of the reset mail.
pub async fn reset_page(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<TokenQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(token) = TokenQuery::parse(query) else {
        return error_page(&ApiError::BadOneTimeToken);
    };
    if let Err(e) = preview::password_reset(&state, &token).await {
        return error_page(&e);
    }
    let (csrf, cookie) = visitor.csrf_for_page();
    let page = ResetPage {
        layout: Layout::for_visitor("Choose a new password", &visitor, &csrf),
        token,
        errors: FormErrors::default(),
    };
    with_cookies(page.into_response(), cookie)
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /reset-password`: the service of
/// `POST /api/v1/auth/password-reset/confirm`; every session ends, this
/// browser's too.
pub async fn reset(
    State(state): State<AppState>,
    visitor: Visitor,
    form: WebForm<ResetForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let f = form.value;
    let render = |errors: FormErrors| {
        let (csrf, _) = visitor.csrf_for_page();
        ResetPage {
            layout: Layout::for_visitor("Choose a new password", &visitor, &csrf),
            token: f.token.clone(),
            errors,
        }
    };
    if f.new_password != f.confirm {
        return form_invalid(
            vec![FieldError::new(
                "confirm",
                "The two passwords are not the same.",
            )],
            render,
        );
    }
    match password::confirm_password_reset(&state, &f.token, &f.new_password, &visitor.client).await
    {
        Ok(()) => with_cookies(
            see_other("/signin?notice=password_reset"),
            visitor.names.clear_session(),
        ),
        Err(e) => form_error(e, &["new_password"], render),
    }
}
