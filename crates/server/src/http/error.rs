//! One error type for the HTTP edge. Every failure becomes an RFC 9457
//! `application/problem+json` body with a stable machine `code`; the
//! exhaustive match in [`ApiError::parts`] is the single place that decides
//! status and code. 5xx bodies say nothing internal: the cause goes to the log
//! with the request id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use invigil_store::StoreError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A field-level validation message.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A line-level message, for imports and CSV uploads.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A bearer or refresh token that is unknown, expired or revoked.
    #[error("invalid or expired token")]
    InvalidToken,
    /// A one-time token (reset, verification, invitation) that does not work.
    #[error("the link is invalid, expired or already used")]
    BadOneTimeToken,
    /// The password was right but the account cannot sign in.
    #[error("this account is suspended or deactivated")]
    AccountDisabled,
    #[error("forbidden")]
    Forbidden,
    /// 403 with a specific code and detail (`api_key_not_allowed`).
    #[error("{detail}")]
    ForbiddenCode { code: &'static str, detail: String },
    /// Forbidden by a rule worth explaining (e.g. the two-person rule).
    #[error("{0}")]
    Denied(String),
    #[error("not found")]
    NotFound,
    /// 402: the resource is paid for (a paid course's enrollment).
    #[error("{0}")]
    PaymentRequired(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A state conflict with its stable code (`conflict`, `session_closed`...).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("payload too large")]
    PayloadTooLarge,
    /// 413 with a specific code and detail (`file_too_large`, `quota_exceeded`).
    #[error("{detail}")]
    TooLarge { code: &'static str, detail: String },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("validation failed")]
    LineValidation(Vec<LineError>),
    /// 422 with a specific code (e.g. `idempotency_key_reused`).
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("account locked")]
    AccountLocked { retry_after_secs: u64 },
    #[error("overloaded")]
    Overloaded { retry_after_secs: u64 },
    #[error("request timed out")]
    Timeout,
    /// A fault of ours, never of the client: the cause keeps its whole
    /// source chain for the log (`{:#}`) and never reaches the body.
    #[error("internal error: {0:#}")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `validation_failed`: `{field, message}` items; imports: `{line, message}`.
    #[schema(value_type = Option<Vec<super::ProblemItem>>)]
    pub errors: Option<serde_json::Value>,
}

impl ApiError {
    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code: "conflict",
            detail: detail.into(),
        }
    }

    pub fn conflict_code(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// 403 `api_key_not_allowed`: an API key on a route that is not its
    /// organization's (`/me`, platform routes).
    pub fn api_key_not_allowed() -> Self {
        ApiError::ForbiddenCode {
            code: "api_key_not_allowed",
            detail: "an API key acts only on its organization's routes".into(),
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// An internal error described by a message (a broken invariant).
    pub fn internal(message: impl std::fmt::Display) -> Self {
        ApiError::Internal(anyhow::anyhow!("{message}"))
    }

    /// An internal error caused by `e`, keeping its source chain.
    pub fn caused_by(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    /// Status and stable code; exhaustive on purpose.
    pub fn parts(&self) -> (StatusCode, &'static str) {
        use ApiError::*;
        match self {
            BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token"),
            BadOneTimeToken => (StatusCode::BAD_REQUEST, "invalid_token"),
            AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
            Forbidden | Denied(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ForbiddenCode { code, .. } => (StatusCode::FORBIDDEN, code),
            NotFound => (StatusCode::NOT_FOUND, "not_found"),
            PaymentRequired(_) => (StatusCode::PAYMENT_REQUIRED, "payment_required"),
            MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Conflict { code, .. } => (StatusCode::CONFLICT, code),
            PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            TooLarge { code, .. } => (StatusCode::PAYLOAD_TOO_LARGE, code),
            UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Validation(_) | LineValidation(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            }
            Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AccountLocked { .. } => (StatusCode::TOO_MANY_REQUESTS, "account_locked"),
            Overloaded { .. } => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Validation(errs) if errs.len() == 1 => {
                format!("{}: {}", errs[0].field, errs[0].message)
            }
            ApiError::Validation(errs) => format!("{} fields are invalid", errs.len()),
            ApiError::LineValidation(errs) => format!("{} lines are invalid", errs.len()),
            ApiError::NotFound => "the resource does not exist".into(),
            ApiError::Unauthenticated => "sign in first: a valid bearer token is required".into(),
            ApiError::InvalidCredentials => "wrong email or password".into(),
            ApiError::Forbidden => "your roles do not allow this action".into(),
            ApiError::RateLimited { retry_after_secs } => {
                format!("too many requests; retry after {retry_after_secs} s")
            }
            ApiError::AccountLocked { retry_after_secs } => {
                format!("too many failed sign-ins for this email; retry after {retry_after_secs} s")
            }
            ApiError::Overloaded { retry_after_secs } => {
                format!("the server is busy; retry after {retry_after_secs} s")
            }
            ApiError::PayloadTooLarge => {
                "the request body is larger than this route accepts".into()
            }
            // Never leak internals.
            ApiError::Internal(_) => "an internal error occurred; it has been logged".into(),
            other => other.to_string(),
        }
    }

    /// The seconds a `Retry-After` header of this error says, if it has one.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs }
            | ApiError::AccountLocked { retry_after_secs }
            | ApiError::Overloaded { retry_after_secs } => Some((*retry_after_secs).max(1)),
            ApiError::Timeout => Some(1),
            _ => None,
        }
    }
}

/// The stable code of an error response, for the response log line.
#[derive(Debug, Clone, Copy)]
pub struct ProblemCode(pub &'static str);

/// Builds a problem+json response for a status and code.
pub fn problem_response(
    status: StatusCode,
    code: &str,
    detail: String,
    errors: Option<serde_json::Value>,
) -> Response {
    let body = Problem {
        type_: format!("/problems/{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        code: code.to_owned(),
        errors,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = (status, bytes).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = format!("{cause:#}"), "internal error");
        }
        let errors = match &self {
            ApiError::Validation(e) => serde_json::to_value(e).ok(),
            ApiError::LineValidation(e) => serde_json::to_value(e).ok(),
            _ => None,
        };
        let mut resp = problem_response(status, code, self.detail(), errors);
        resp.extensions_mut().insert(ProblemCode(code));
        if let Some(secs) = self.retry_after()
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(detail) => ApiError::conflict(detail),
            StoreError::Overloaded => ApiError::Overloaded {
                retry_after_secs: 1,
            },
            StoreError::Db(db) => ApiError::from(db),
        }
    }
}

impl From<invigil_domain::text::TextError> for FieldError {
    fn from(e: invigil_domain::text::TextError) -> Self {
        FieldError::new(e.field.clone(), e.to_string())
    }
}

/// A refused text field is a 422 naming the field.
impl From<invigil_domain::text::TextError> for ApiError {
    fn from(e: invigil_domain::text::TextError) -> Self {
        ApiError::Validation(vec![e.into()])
    }
}

impl From<invigil_store::DbErr> for ApiError {
    fn from(e: invigil_store::DbErr) -> Self {
        ApiError::Internal(anyhow::Error::new(e))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
