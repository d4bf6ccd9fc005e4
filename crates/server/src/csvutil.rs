//! Shared CSV helpers for uploads (candidates, enrollments).

/// The 1-based lines where records start, for records read in order. Line
/// breaks are counted once, from the previous record on: counting the whole
/// prefix for every record made a large upload quadratic (a 10,000-row CSV
/// took seconds to parse, a 16 MiB one minutes). The reader's own line count
/// (and its byte offset) can point at the line break before the record in
/// CRLF files, so line breaks at the offset are skipped first.
pub struct Lines<'a> {
    bytes: &'a [u8],
    /// Bytes counted so far, and the line breaks in them.
    offset: usize,
    breaks: usize,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Lines {
            bytes: text.as_bytes(),
            offset: 0,
            breaks: 0,
        }
    }

    /// The line where the record at `p` starts.
    pub fn at(&mut self, p: &csv::Position) -> usize {
        let bytes = self.bytes;
        let mut end = usize::try_from(p.byte())
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        while bytes.get(end).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            end += 1;
        }
        let breaks = |from: usize, to: usize| {
            bytes
                .get(from..to)
                .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
        };
        if end >= self.offset {
            self.breaks += breaks(self.offset, end);
            self.offset = end;
            self.breaks + 1
        } else {
            // Behind the last record (not expected): count back.
            self.breaks - breaks(end, self.offset) + 1
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_records_in_order_and_back() {
        let text = "email\r\na@b.org\r\n\r\nc@d.org\nbad\n";
        let (mut reader, _) = open(text).unwrap();
        let mut lines = Lines::new(text);
        let mut seen = Vec::new();
        let mut positions = Vec::new();
        for record in reader.records() {
            let record = record.unwrap();
            let p = record.position().unwrap().clone();
            seen.push(lines.at(&p));
            positions.push(p);
        }
        assert_eq!(seen, vec![2, 4, 5]);
        assert_eq!(lines.at(&positions[0]), 2);
        assert_eq!(lines.at(&positions[2]), 5);
    }
}
