//! Shared CSV helpers for uploads (candidates, enrollments).

/// The 1-based line where a record starts. The reader's own line count (and
/// its byte offset) can point at the line break before the record in CRLF
/// files, so line breaks at the offset are skipped first.
pub fn line_at(text: &str, p: &csv::Position) -> usize {
    let bytes = text.as_bytes();
    let mut end = usize::try_from(p.byte())
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    while bytes.get(end).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
        end += 1;
    }
    bytes
        .get(..end)
        .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
        + 1
}

/// A flexible, trimming reader over `text` and its header names (lower-case,
/// without a byte-order mark); an unreadable header is an error on line 1. A
/// file holding control characters (other than tab, LF and CR) is refused
/// whole, naming the first such line, before any row is read.
pub fn open(
    text: &str,
) -> Result<(csv::Reader<&[u8]>, Vec<String>), crate::http::error::LineError> {
    if let Some((line, message)) = invigil_domain::text::control_lines(text, 1).pop() {
        return Err(crate::http::error::LineError { line, message });
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| crate::http::error::LineError {
            line: 1,
            message: format!("cannot read the header: {e}"),
        })?
        .iter()
        .map(|s| s.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    Ok((reader, headers))
}
