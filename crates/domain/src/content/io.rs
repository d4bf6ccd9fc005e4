//! Import / export shared types and the format dispatch.

use serde::{Deserialize, Serialize};

use super::question::{FieldError, Question, QuestionInput, validate};

/// One question read from a file, with the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedItem {
    pub line: usize,
    pub question: Question,
}

/// One item that could not be imported (API: `errors: [{"line": n, "message": ...}]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// Everything read from a file: good items and per-item errors, both in file order. The caller
/// imports nothing when `errors` is non-empty, unless the request says `?partial=true`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub items: Vec<ImportedItem>,
    pub errors: Vec<LineError>,
}

impl ImportOutcome {
    pub(crate) fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(LineError {
            line,
            message: message.into(),
        });
    }

    /// Validates `input` and records it as an item or as an error of `line`.
    pub(crate) fn push_input(&mut self, line: usize, input: QuestionInput) {
        match validate(input) {
            Ok(question) => self.items.push(ImportedItem { line, question }),
            Err(errs) => self.error(line, join_field_errors(&errs)),
        }
    }
}

pub(crate) fn join_field_errors(errs: &[FieldError]) -> String {
    errs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `?format=` of the import endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    Gift,
    Aiken,
    Csv,
}

/// `?format=` of the export endpoint (Aiken has no export: it only holds single choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Gift,
    Csv,
}

impl ExportFormat {
    /// Media type of the exported file.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Gift => "text/plain; charset=utf-8",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// At most this many lines with control characters are reported.
const MAX_CONTROL_LINES: usize = 100;

/// Reads a file in `format`. A file with control characters (other than tab,
/// LF and CR) yields only line errors naming each such line: nothing of it is
/// imported.
pub fn import(format: ImportFormat, input: &str) -> ImportOutcome {
    let bad = crate::text::control_lines(input, MAX_CONTROL_LINES);
    if !bad.is_empty() {
        let mut out = ImportOutcome::default();
        for (line, message) in bad {
            out.error(line, message);
        }
        return out;
    }
    match format {
        ImportFormat::Gift => super::gift::parse_gift(input),
        ImportFormat::Aiken => super::aiken::parse_aiken(input),
        ImportFormat::Csv => super::csv::parse_csv(input),
    }
}

/// Writes `questions` in `format`.
pub fn export(format: ExportFormat, questions: &[Question]) -> String {
    match format {
        ExportFormat::Gift => super::gift::export_gift(questions),
        ExportFormat::Csv => super::csv::export_csv(questions),
    }
}

/// Splits text into lines (LF or CRLF), dropping a leading BOM.
/// Yields `(1-based line number, line without terminator)`.
pub(crate) fn lines(input: &str) -> impl Iterator<Item = (usize, &str)> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    input
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}
