//! Store errors: the few outcomes callers branch on, plus the database error
//! itself (which never reaches an HTTP body).

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or state conflict the caller can report as 409.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The write queue is full; the caller should ask the client to retry.
    #[error("overloaded")]
    Overloaded,
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl StoreError {
    /// True when the database rejected a write because a unique key exists.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(e) => is_unique_violation(e),
            StoreError::Conflict(_) => true,
            _ => false,
        }
    }
}

/// True when `e` is a unique-constraint violation on either backend.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Decodes JSON kept in a TEXT column. A value that does not decode is a
/// loud read error naming the row (`what`, e.g. "audit entry <id>"), never a
/// silent default: a bad row must not vanish.
pub fn decode_json<T: serde::de::DeserializeOwned>(
    what: impl std::fmt::Display,
    text: &str,
) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Db(DbErr::Json(format!(
            "{what}: stored JSON does not decode: {e}"
        )))
    })
}
