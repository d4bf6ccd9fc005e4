//! The web UI: server-rendered pages (askama templates compiled into the
//! binary) for people in a browser, calling the same services as the API.
//!
//! # Sign-in: a cookie naming a row of the sessions table
//!
//! Signing in on `/signin` (or accepting an invitation) runs the very
//! service behind `POST /api/v1/auth/login` (`/auth/accept-invitation`):
//! same per-IP rate limit, same per-email lockout, same audit entries
//! (`auth.login`, `auth.login_failed`, `auth.locked`). That service opens a
//! sign-in session with an access and a refresh token; [`session::adopt`]
//! then turns it, in one transaction, into a *browser session*: both tokens
//! are revoked unused and a fresh 256-bit secret becomes the session's only
//! credential, stored as its SHA-256 under the token kind `WEB`. The secret
//! goes to the browser in the cookie
//!
//! - `__Host-invigil_session` with `Secure; HttpOnly; SameSite=Lax; Path=/`
//!   when `public_url` is https,
//! - `invigil_session` with `HttpOnly; SameSite=Lax; Path=/` on plain http
//!   (loopback, development),
//!
//! with `Max-Age` = [`session::WEB_SESSION_TTL`] (12 hours, the session's
//! expiry too). There is no refresh rotation for the cookie: the secret never
//! reaches JavaScript (HttpOnly) and the session simply ends after 12 hours.
//! Because it is a row of the same table, everything that revokes sessions
//! revokes browser sessions too (sign-out, password reset, email revert,
//! `DELETE /me/sessions/{id}`, clean-up of expired sessions), and a browser
//! sign-in is listed by `GET /me/sessions`. Sign-out (`POST /signout`)
//! revokes the session server side (audit `auth.logout`) and clears the
//! cookie. A new secret is issued on every sign-in (no session fixation).
//!
//! The cookie authenticates **only** these pages and `/web-api/v1` (the
//! JSON of the pages' scripts, see [`api`], which also demands the CSRF
//! token in a header): `/api/v1` reads nothing but the `Authorization:
//! Bearer` header, and a WEB token is not an access token, so API requests
//! need no CSRF defence and bearer tokens work as before.
//!
//! # CSRF
//!
//! Every form carries a token (field `csrf`; scripts send the header
//! `X-CSRF-Token`), see [`csrf`]: an HMAC of the session's cookie secret, or,
//! before signing in, of a random secret in the cookie `invigil_csrf`
//! (`__Host-invigil_csrf` on https; HttpOnly, SameSite=Lax, no Max-Age).
//! Compared in constant time; a mismatch, or a POST a browser labels
//! `Sec-Fetch-Site: cross-site`, gets the 403 page "This form has expired".
//! Successful POSTs answer `303 See Other` (post/redirect/get).
//!
//! # Pages
//!
//! `/` (to `/me/exams` or `/signin`), `/signin`, `/signout`,
//! `/forgot-password`, `/reset-password?token=`, `/verify-email?token=`,
//! `/revert-email?token=`, `/accept-invitation?token=` (the links of our
//! mails) and `/me/exams`; the candidate's `/me/exams/{exam}/check` (the
//! pre-exam check; `POST .../start` goes to `/exam/{session}`),
//! `/me/results` and `/me/results/{session}` (`POST .../appeal`). The page
//! paths of the HTTP contract (`/login`, `/logout`, `/exams`,
//! `/sessions/{id}`) redirect to these. Static files: [`assets`]. A GET
//! never uses up a one-time link (mail scanners open links): the action is
//! a button.

mod accounts;
pub mod api;
pub mod assets;
mod billing;
pub mod certificates;
pub mod csrf;
pub mod errors;
mod exam;
mod form;
mod home;
pub mod jobs;
mod learn;
mod links;
pub mod live_classes;
pub mod multipart;
mod notifications;
pub mod pair;
pub mod practice;
mod precheck;
mod profile;
mod results;
pub mod session;
mod signin;
mod sso;
pub mod staff;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};

use crate::state::AppState;
use session::Visitor;

/// Largest form body the pages accept.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// The web UI's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::root))
        .route("/signin", get(signin::signin_page).post(signin::signin))
        .route("/signout", get(signin::signout_page).post(signin::signout))
        .route(
            "/forgot-password",
            get(signin::forgot_page).post(signin::forgot),
        )
        .route(
            "/reset-password",
            get(signin::reset_page).post(signin::reset),
        )
        .route("/verify-email", get(links::verify_page).post(links::verify))
        .route("/revert-email", get(links::revert_page).post(links::revert))
        .route(
            "/accept-invitation",
            get(links::accept_page).post(links::accept),
        )
        .route("/me/exams", get(home::my_exams))
        .route("/exam/sw.js", get(exam::service_worker))
        .route("/exam/{session}", get(exam::exam_page))
        .route("/me/exams/{exam}/check", get(precheck::check_page))
        .route("/me/exams/{exam}/start", post(precheck::start))
        .route("/me/results", get(results::results_page))
        .route("/me/results/{session}", get(results::result_page))
        .route("/me/results/{session}/appeal", post(results::appeal))
        .route("/me/live", get(live_classes::list_page))
        .route("/me/certificates", get(certificates::list_page))
        .route("/me/certificates/{id}/publish", post(certificates::publish))
        .route("/me/certificates/{id}/pdf", get(certificates::pdf))
        .route("/certificates/{code}", get(certificates::verify_page))
        .route("/me/live/{org}/{id}/join", post(live_classes::join))
        .route("/jobs", get(jobs::board_page))
        .route("/jobs/{id}", get(jobs::job_page))
        .route("/jobs/{id}/apply", post(jobs::apply))
        .route("/me/applications", get(jobs::my_applications_page))
        .route("/me/applications/{id}/withdraw", post(jobs::withdraw))
        .route("/me/practice", get(practice::list_page))
        .route("/me/practice/{org}/start", post(practice::start))
        .route("/me/practice/{session}", get(practice::session_page_get))
        .route("/me/practice/{session}/answer", post(practice::answer))
        .route("/me/practice/{session}/abandon", post(practice::abandon))
        .route("/me/progress", get(practice::progress_page))
        .route("/admin/users", get(accounts::list))
        .route("/admin/users/{id}", get(accounts::show))
        .route("/admin/users/{id}/status", post(accounts::set_status))
        .route("/admin/users/{id}/erasure", post(accounts::erase))
        .route("/me/profile", get(profile::page).post(profile::save))
        .route("/me/profile/instructor", post(profile::save_instructor))
        .route("/me/profile/avatar", post(profile::upload_avatar))
        .route("/me/profile/avatar/remove", post(profile::remove_avatar))
        .route("/me/avatar", get(profile::my_avatar))
        .route("/me/billing", get(billing::billing_page))
        .route("/me/payments", get(billing::payments_redirect))
        .route(
            "/me/billing/subscriptions/{id}/cancel",
            post(billing::cancel_subscription),
        )
        .route("/notifications", get(notifications::list_page))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/{id}/read", post(notifications::read_one))
        .route(
            "/notifications/preferences",
            get(notifications::preferences_page).post(notifications::save_preferences),
        )
        .route("/pair", get(pair::pair_page))
        .route("/sso/{org}/start", get(sso::start))
        .route("/sso/{org}/callback", get(sso::callback))
        .route(
            "/orgs/{org}/sign-up",
            get(sso::sign_up_page).post(sso::sign_up),
        )
        .route("/sign-up/verify", get(sso::verify_page).post(sso::verify))
        // The page paths of the HTTP contract (API.md), kept as permanent
        // redirects to the pages' names.
        .route("/login", any(contract_path))
        .route("/logout", any(contract_path))
        .route("/exams", any(contract_path))
        .route("/sessions/{session}", any(contract_path))
        .route("/assets/{file}", get(assets::serve))
        .merge(staff::router())
        .merge(learn::router())
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
}

/// Where a page path of the HTTP contract lives: `/login` -> `/signin`,
/// `/logout` -> `/signout`, `/exams` -> `/me/exams`, `/sessions/{id}` ->
/// `/exam/{id}`; the query is kept. `None` for any other path.
fn contract_target(uri: &Uri) -> Option<String> {
    let path = uri.path();
    let to = match path {
        "/login" => "/signin".to_owned(),
        "/logout" => "/signout".to_owned(),
        "/exams" => "/me/exams".to_owned(),
        _ => format!("/exam/{}", path.strip_prefix("/sessions/")?),
    };
    Some(match uri.query() {
        Some(q) => format!("{to}?{q}"),
        None => to,
    })
}

/// A contract path: `308 Permanent Redirect` (method and form kept).
async fn contract_path(uri: Uri) -> Response {
    match contract_target(&uri) {
        Some(to) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)]).into_response(),
        None => errors::error_page(&crate::http::error::ApiError::NotFound),
    }
}

/// The `?cursor=` of a list page: none (the first page), or the id to
/// continue after; one that is not an id is a 400.
pub fn cursor_after(
    cursor: Option<&str>,
) -> Result<Option<uuid::Uuid>, crate::http::error::ApiError> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c
            .parse()
            .map(Some)
            .map_err(|_| crate::http::error::ApiError::BadRequest("invalid cursor".into())),
    }
}

pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a %-d %b %Y, %H:%M UTC").to_string()
}

/// The signed-in person shown in the header.
#[derive(Debug, Clone)]
pub struct UserBadge {
    pub name: String,
    pub email: String,
    /// Unread notifications (a badge on the header's link).
    pub unread: u64,
    /// The person's avatar, when they have one (shown small in the account
    /// menu's button).
    pub avatar: Option<String>,
    /// The platform's super admin (the account menu links the accounts page).
    pub super_admin: bool,
}

/// What the base template needs on every page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub user: Option<UserBadge>,
    /// The CSRF token of this browser (the sign-out form in the header).
    pub csrf: String,
    /// Load htmx (staff pages): its config turns off eval, script tags and
    /// injected styles (the CSP would refuse them), and every htmx request
    /// sends the CSRF token in `X-CSRF-Token`. Off for candidate pages.
    pub htmx: bool,
    /// The staff console's navigation (staff pages only).
    pub staff: Option<staff::StaffNav>,
}

impl Layout {
    /// A page without a signed-in user and without forms in the header.
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            user: None,
            csrf: String::new(),
            htmx: false,
            staff: None,
        }
    }

    /// The same page with htmx loaded.
    pub fn with_htmx(self) -> Layout {
        Layout { htmx: true, ..self }
    }

    /// A page for this visitor, with the CSRF token its forms use.
    pub fn for_visitor(title: &str, visitor: &Visitor, csrf: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            user: visitor.user.as_ref().map(|u| UserBadge {
                name: u.user.name.clone(),
                email: u.user.email.clone(),
                unread: visitor.unread,
                avatar: visitor.avatar.clone(),
                super_admin: u.user.is_super_admin,
            }),
            csrf: csrf.to_owned(),
            htmx: false,
            staff: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::Layout;
    use super::errors::ErrorPage;

    #[test]
    fn contract_paths_lead_to_the_pages() {
        let to = |u: &str| super::contract_target(&u.parse().unwrap());
        assert_eq!(
            to("/login?next=/me/exams").as_deref(),
            Some("/signin?next=/me/exams")
        );
        assert_eq!(to("/logout").as_deref(), Some("/signout"));
        assert_eq!(to("/exams").as_deref(), Some("/me/exams"));
        assert_eq!(to("/sessions/abc").as_deref(), Some("/exam/abc"));
        assert_eq!(to("/elsewhere"), None);
    }

    #[test]
    fn the_htmx_layout_loads_htmx_with_its_csp_safe_config_and_the_csrf_header() {
        let page = |layout: Layout| {
            ErrorPage {
                layout,
                heading: "h".into(),
                message: "m".into(),
                link: ("/".into(), "home".into()),
            }
            .render()
            .unwrap()
        };
        let mut layout = Layout::anonymous("t");
        layout.csrf = "tok".into();
        let plain = page(layout.clone());
        assert!(!plain.contains("htmx"), "{plain}");
        let html = page(layout.with_htmx());
        assert!(html.contains(&super::assets::url("htmx.js")), "{html}");
        assert!(html.contains(r#""allowEval":false"#), "{html}");
        assert!(
            html.contains(r#"hx-headers='{"X-CSRF-Token": "tok"}'"#),
            "{html}"
        );
    }
}
