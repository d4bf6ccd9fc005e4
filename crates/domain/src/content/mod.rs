//! Content: questions, answer keys, candidate responses, the question bank review
//! workflow, safe Markdown rendering, and GIFT / Aiken / CSV import and export.
//!
//! Everything here is pure. The store and HTTP layers build on these types:
//! - [`validate`] turns a [`QuestionInput`] (API body) into a [`Question`] or field errors
//!   (422 `validation_failed`).
//! - [`parse_response`] + [`unpermute_response`] turn a candidate's `response` JSON into a
//!   [`Response`] on original option indexes; [`crate::grading::grade`] scores it.
//! - [`bank::transition`] drives the bank workflow; [`bank::BankError::kind`] says 409 or 422.
//! - [`import`] / [`export`] (or the per-format functions) read and write files; items that fail
//!   come back as [`LineError`]s so the caller can be atomic or `?partial=true`.

mod aiken;
pub mod bank;
mod csv;
mod gift;
mod io;
mod key;
mod markdown;
mod question;
mod response;
#[cfg(test)]
mod validate_tests;

pub use aiken::parse_aiken;
pub use bank::{BankAction, BankError, BankErrorKind, BankStatus, may_review};
pub use csv::{CSV_HEADER, export_csv, parse_csv};
pub use gift::{export_gift, parse_gift};
pub use io::{ExportFormat, ImportFormat, ImportOutcome, ImportedItem, LineError, export, import};
pub use markdown::render_markdown_safe;
pub use question::{
    CorrectAnswer, Difficulty, FieldError, MAX_OPTIONS, MAX_POINTS, MAX_TAGS, MAX_TEXT_CHARS,
    Question, QuestionInput, QuestionStatus, QuestionType, ValidationErrors, blank_ranges,
    count_blanks, validate,
};
pub use response::{MAX_RESPONSE_CHARS, Response, parse_response, unpermute_response};
