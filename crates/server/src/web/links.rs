//! The pages of the other links our mails carry: confirm an email address,
//! undo an email change, accept an invitation. Each GET only shows a button
//! or a form (a mail scanner opening the link uses nothing up); the POST
//! calls the service of the matching `/api/v1/auth/*` route.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Layout;
use super::errors::{FormErrors, csrf_refused, error_page, form_error, form_invalid};
use super::form::WebForm;
use super::session::{self, Visitor, see_other, with_cookies};
use super::signin::TokenQuery;
use crate::http::error::{ApiError, FieldError};
use crate::identity::{email, preview, service};
use crate::state::AppState;

/// A page with one button that uses a link (verify, revert), or the page
/// saying it was done.
#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    /// The button, while the link is still to be used.
    pub form: Option<ConfirmForm>,
    pub done: bool,
}

pub struct ConfirmForm {
    pub action: String,
    pub token: String,
    pub button: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

fn confirm_page(
    visitor: &Visitor,
    query: Result<Query<LinkQuery>, QueryRejection>,
    action: &str,
    texts: [&str; 5],
) -> Response {
    let [title, ask, button, done_heading, done_message] = texts;
    let q = query.map(|q| q.0).unwrap_or_default();
    let (csrf, cookie) = visitor.csrf_for_page();
    let layout = Layout::for_visitor(title, visitor, &csrf);
    let page = if q.done.is_some() {
        ConfirmPage {
            layout,
            heading: done_heading.to_owned(),
            message: done_message.to_owned(),
            form: None,
            done: true,
        }
    } else {
        let Some(token) = TokenQuery::parse(Ok(Query(TokenQuery { token: q.token }))) else {
            return error_page(&ApiError::BadOneTimeToken);
        };
        ConfirmPage {
            layout,
            heading: title.to_owned(),
            message: ask.to_owned(),
            form: Some(ConfirmForm {
                action: action.to_owned(),
                token,
                button: button.to_owned(),
            }),
            done: false,
        }
    };
    with_cookies(page.into_response(), cookie)
}

const VERIFY_TEXTS: [&str; 5] = [
    "Confirm your email address",
    "Confirm that this email address is yours. If you asked to change your address, the change \
     takes effect now and your other sign-ins end.",
    "Confirm my email address",
    "Email address confirmed",
    "Thank you: your email address is confirmed.",
];

/// `GET /verify-email?token=`.
pub async fn verify_page(
    visitor: Visitor,
    query: Result<Query<LinkQuery>, QueryRejection>,
) -> Response {
    confirm_page(&visitor, query, "/verify-email", VERIFY_TEXTS)
}

/// `POST /verify-email`: the service of `POST /api/v1/auth/verify-email`.
pub async fn verify(
    State(state): State<AppState>,
    visitor: Visitor,
    form: WebForm<TokenForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match email::verify_email(&state, &form.value.token, &visitor.client).await {
        Ok(()) => see_other("/verify-email?done=1"),
        Err(e) => error_page(&e),
    }
}

const REVERT_TEXTS: [&str; 5] = [
    "Keep your previous email address",
    "Someone changed the email address of your Invigil account. If it was not you, restore your \
     previous address: every sign-in of the account ends, and you can then reset the password.",
    "Restore my previous address",
    "Previous address restored",
    "Your previous email address is restored and every sign-in was ended.",
];

/// `GET /revert-email?token=`: the link sent to the old address.
pub async fn revert_page(
    visitor: Visitor,
    query: Result<Query<LinkQuery>, QueryRejection>,
) -> Response {
    confirm_page(&visitor, query, "/revert-email", REVERT_TEXTS)
}

/// `POST /revert-email`: the service of `POST /api/v1/auth/revert-email`;
/// every session ends, this browser's too.
pub async fn revert(
    State(state): State<AppState>,
    visitor: Visitor,
    form: WebForm<TokenForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match email::revert_email(&state, &form.value.token, &visitor.client).await {
        Ok(()) => with_cookies(
            see_other("/signin?notice=email_reverted"),
            visitor.names.clear_session(),
        ),
        Err(e) => error_page(&e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "accept.html")]
pub struct AcceptPage {
    pub layout: Layout,
    pub token: String,
    pub email: String,
    pub new_account: bool,
    pub name: String,
    pub errors: FormErrors,
}

/// `GET /accept-invitation?token=`: a new person chooses a name and a
/// password; an existing account enters its current password.
pub async fn accept_page(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let Some(token) = TokenQuery::parse(query) else {
        return error_page(&ApiError::BadOneTimeToken);
    };
    let invitation = match preview::invitation(&state, &token).await {
        Ok(i) => i,
        Err(e) => return error_page(&e),
    };
    let (csrf, cookie) = visitor.csrf_for_page();
    let page = AcceptPage {
        layout: Layout::for_visitor("Accept your invitation", &visitor, &csrf),
        token,
        email: invitation.email,
        new_account: invitation.new_account,
        name: String::new(),
        errors: FormErrors::default(),
    };
    with_cookies(page.into_response(), cookie)
}

#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: Option<String>,
}

/// `POST /accept-invitation`: the service of
/// `POST /api/v1/auth/accept-invitation`, which signs in; the sign-in
/// becomes this browser's session.
pub async fn accept(
    State(state): State<AppState>,
    visitor: Visitor,
    form: WebForm<AcceptForm>,
) -> Response {
    if !visitor.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let f = form.value;
    // Which form it was is read again from the link, not from the form.
    let invitation = match preview::invitation(&state, &f.token).await {
        Ok(i) => i,
        Err(e) => return error_page(&e),
    };
    let render = |errors: FormErrors| {
        let (csrf, _) = visitor.csrf_for_page();
        AcceptPage {
            layout: Layout::for_visitor("Accept your invitation", &visitor, &csrf),
            token: f.token.clone(),
            email: invitation.email.clone(),
            new_account: invitation.new_account,
            name: f.name.clone(),
            errors,
        }
    };
    if invitation.new_account && f.confirm.as_deref() != Some(f.password.as_str()) {
        return form_invalid(
            vec![FieldError::new(
                "confirm",
                "The two passwords are not the same.",
            )],
            render,
        );
    }
    if f.password.is_empty() {
        return form_invalid(
            vec![FieldError::new("password", "Enter your password.")],
            render,
        );
    }
    match service::accept_invitation(&state, &f.token, &f.name, &f.password, &visitor.client).await
    {
        Ok(issued) => session::begin(&state, &visitor, &issued, "/").await,
        Err(e) => form_error(e, &["name", "password"], render),
    }
}
