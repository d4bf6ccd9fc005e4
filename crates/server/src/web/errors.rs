//! Errors as pages: a service's [`ApiError`] becomes either messages next
//! to the form's fields (re-rendered with what the person typed, passwords
//! excepted) or a full error page. Never a JSON body, never a 5xx for bad
//! input; the cause of a 5xx goes to the log, not to the page.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Layout;
use crate::http::error::{ApiError, FieldError};

#[cfg(test)]
mod tests {
    #[test]
    fn service_messages_read_as_sentences() {
        assert_eq!(super::sentence("must be set"), "Must be set.");
        assert_eq!(super::sentence("Done."), "Done.");
        assert_eq!(super::sentence(""), "");
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    /// Where the page's one link goes, and its text.
    pub link: (String, String),
}

/// Messages for a form: those of known fields go next to them, the rest on
/// top of the form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub fields: Vec<FieldError>,
    pub general: Vec<String>,
}

impl FormErrors {
    pub fn general(message: impl Into<String>) -> Self {
        FormErrors {
            fields: Vec::new(),
            general: vec![message.into()],
        }
    }

    /// The message of a field, for the template.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }
}

/// A form that failed: its status, messages and `Retry-After`.
#[derive(Debug)]
pub struct FormFailure {
    pub status: StatusCode,
    pub errors: FormErrors,
    pub retry_after: Option<u64>,
}

impl FormFailure {
    /// Sets the status and `Retry-After` on a re-rendered form.
    pub fn respond(&self, page: impl IntoResponse) -> Response {
        let mut resp = (self.status, page).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// A service message as a sentence: capital first letter, final period.
pub fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn minutes(secs: u64) -> u64 {
    secs.div_ceil(60).max(1)
}

/// What a failed form shows: the form again with messages, or a page.
#[derive(Debug)]
pub enum Failure {
    Form(FormFailure),
    Page(Response),
}

/// Sorts a service error into messages for a form whose inputs are named
/// `fields`, or, when it is not about the form (a dead link, an outage, a
/// bug), the error page to show instead.
pub fn form_failure(e: ApiError, fields: &[&str]) -> Failure {
    let (status, _) = e.parts();
    let (errors, retry_after) = match e {
        ApiError::Validation(list) => {
            let mut errors = FormErrors::default();
            for f in list {
                if fields.contains(&f.field.as_str()) {
                    errors
                        .fields
                        .push(FieldError::new(f.field, sentence(&f.message)));
                } else {
                    errors.general.push(format!("{}: {}", f.field, f.message));
                }
            }
            (errors, None)
        }
        ApiError::InvalidCredentials => (
            FormErrors::general("The email address or password is not correct."),
            None,
        ),
        ApiError::AccountLocked { retry_after_secs } => (
            FormErrors::general(format!(
                "Too many failed sign-ins for this email address. Try again in {} minute(s), \
                 or reset your password.",
                minutes(retry_after_secs)
            )),
            Some(retry_after_secs),
        ),
        ApiError::RateLimited { retry_after_secs } => (
            FormErrors::general(format!(
                "Too many attempts from your network. Wait {retry_after_secs} second(s) and try again."
            )),
            Some(retry_after_secs),
        ),
        ApiError::AccountDisabled => (
            FormErrors::general(
                "This account is suspended or deactivated. Ask your organization's administrator.",
            ),
            None,
        ),
        ApiError::Denied(message) => (FormErrors::general(message), None),
        other => return Failure::Page(error_page(&other)),
    };
    Failure::Form(FormFailure {
        status,
        errors,
        retry_after,
    })
}

/// The answer to a service error on a form: the form again (`render`) with
/// the messages by its `fields`, or the error page when the error is not
/// about the form.
pub fn form_error<P: IntoResponse>(
    e: ApiError,
    fields: &[&str],
    render: impl FnOnce(FormErrors) -> P,
) -> Response {
    match form_failure(e, fields) {
        Failure::Form(failure) => failure.respond(render(failure.errors.clone())),
        Failure::Page(page) => page,
    }
}

/// A form refused before any service ran (a field left empty, two
/// passwords that differ): the form again with those messages, 422.
pub fn form_invalid<P: IntoResponse>(
    fields: Vec<FieldError>,
    render: impl FnOnce(FormErrors) -> P,
) -> Response {
    let errors = FormErrors {
        fields,
        general: Vec::new(),
    };
    (StatusCode::UNPROCESSABLE_ENTITY, render(errors)).into_response()
}

/// The full page for an error that is not about a form's fields.
pub fn error_page(e: &ApiError) -> Response {
    let (status, code) = e.parts();
    let home = ("/".to_owned(), "Go to the start page".to_owned());
    let (heading, message, link) = match e {
        ApiError::BadOneTimeToken => (
            "This link no longer works",
            "The link is unknown, already used, replaced by a newer one, or expired. \
             Ask for a new one.",
            (
                "/forgot-password".to_owned(),
                "Ask for a new password link".to_owned(),
            ),
        ),
        ApiError::NotFound => ("Page not found", "There is nothing at this address.", home),
        ApiError::Overloaded { .. } | ApiError::Timeout => (
            "Invigil is busy",
            "The server could not answer in time. Nothing was changed; try again in a moment.",
            home,
        ),
        ApiError::Internal(cause) => {
            tracing::error!(error = %format!("{cause:#}"), "web page failed");
            (
                "Something went wrong",
                "An internal error occurred; it has been logged. Try again later.",
                home,
            )
        }
        ApiError::PayloadTooLarge => (
            "Too much data",
            "The form sent more data than this page accepts.",
            home,
        ),
        _ => (
            "This request cannot be completed",
            "The request was not valid. Go back, reload the page and try again.",
            home,
        ),
    };
    let mut resp = page(
        status,
        ErrorPage {
            layout: Layout::anonymous(heading),
            heading: heading.to_owned(),
            message: message.to_owned(),
            link,
        },
    );
    resp.extensions_mut()
        .insert(crate::http::error::ProblemCode(code));
    resp
}

/// The page for a refused CSRF token (or a cross-site form post).
pub fn csrf_refused() -> Response {
    page(
        StatusCode::FORBIDDEN,
        ErrorPage {
            layout: Layout::anonymous("Form expired"),
            heading: "This form has expired".to_owned(),
            message: "For your safety the form could not be sent: it was opened in another \
                      session or is too old, or your browser blocks cookies for this site. \
                      Go back, reload the page and send it again."
                .to_owned(),
            link: ("/".to_owned(), "Go to the start page".to_owned()),
        },
    )
}

/// A page with a status.
pub fn page(status: StatusCode, template: impl IntoResponse) -> Response {
    (status, template).into_response()
}
