//! CSV text read record by record, each with the physical line it starts on
//! (the header is line 1; a quoted field may span lines). One reader for
//! every CSV the system takes in: question imports and the people uploads
//! (candidates, enrollments).
//!
//! RFC 4180 with a flexible field count; a leading byte-order mark is
//! dropped; records whose fields are all blank (empty lines) are skipped.

use ::csv::{Reader, ReaderBuilder, StringRecord, Trim};

/// The records of a CSV text with their lines, see the module docs. Yields
/// `(line, Ok(record))`, or `(line, Err(message))` for a record the reader
/// cannot read (reading goes on with the next one).
pub struct CsvRecords<'a> {
    reader: Reader<&'a [u8]>,
    lines: LineCounter<'a>,
    done: bool,
}

impl<'a> CsvRecords<'a> {
    /// Every record of `text`, the first one too, fields as written.
    pub fn new(text: &'a str) -> CsvRecords<'a> {
        CsvRecords::build(text, Trim::None)
    }

    /// An upload with a header row: refuses the whole text when a line holds
    /// a control character (other than tab, LF and CR), naming the first such
    /// line; otherwise returns the header names (lower-cased) and the records
    /// after it, fields trimmed. Header problems are on line 1.
    pub fn with_header(text: &'a str) -> Result<(Vec<String>, CsvRecords<'a>), (usize, String)> {
        if let Some(first) = crate::text::control_lines(text, 1).pop() {
            return Err(first);
        }
        let mut records = CsvRecords::build(text, Trim::All);
        let headers = match records.next() {
            None => Vec::new(),
            Some((_, Ok(header))) => header.iter().map(str::to_ascii_lowercase).collect(),
            Some((_, Err(e))) => return Err((1, format!("cannot read the header: {e}"))),
        };
        Ok((headers, records))
    }

    fn build(text: &'a str, trim: Trim) -> CsvRecords<'a> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        CsvRecords {
            reader: ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .trim(trim)
                .from_reader(text.as_bytes()),
            lines: LineCounter::new(text),
            done: false,
        }
    }
}

impl Iterator for CsvRecords<'_> {
    type Item = (usize, Result<StringRecord, String>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut record = StringRecord::new();
        while !self.done {
            let before = self.reader.position().byte();
            match self.reader.read_record(&mut record) {
                Ok(false) => self.done = true,
                Ok(true) => {
                    let line = self
                        .lines
                        .at(record.position().map_or(before, |p| p.byte()));
                    if record.iter().all(|f| f.trim().is_empty()) {
                        continue;
                    }
                    return Some((line, Ok(record)));
                }
                Err(e) => {
                    let line = self.lines.at(e.position().map_or(before, |p| p.byte()));
                    self.done = matches!(e.kind(), ::csv::ErrorKind::Io(_));
                    return Some((line, Err(format!("unreadable CSV: {e}"))));
                }
            }
        }
        None
    }
}

/// 1-based line of a record starting at a byte offset. Offsets only grow, so
/// counting is linear overall (counting the whole prefix for every record made
/// a large upload quadratic). Line breaks at the offset (CRLF remainders, empty
/// lines) are skipped first: the reader's own offset can point at the line
/// break before the record.
struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(input: &'a str) -> LineCounter<'a> {
        LineCounter {
            bytes: input.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> usize {
        let mut target = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while self
            .bytes
            .get(target)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            target += 1;
        }
        if target > self.pos {
            self.line += self
                .bytes
                .get(self.pos..target)
                .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
            self.pos = target;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::CsvRecords;

    fn lines(records: CsvRecords<'_>) -> Vec<usize> {
        records.map(|(line, _)| line).collect()
    }

    #[test]
    fn lines_skip_blank_records_and_follow_quoted_breaks() {
        let text = "email\r\na@b.org\r\n\r\nc@d.org\n\"multi\nline\"\nlast\n";
        assert_eq!(lines(CsvRecords::new(text)), vec![1, 2, 4, 5, 7]);
        let (headers, records) = CsvRecords::with_header(text).unwrap();
        assert_eq!(headers, vec!["email"]);
        assert_eq!(lines(records), vec![2, 4, 5, 7]);
    }

    #[test]
    fn header_is_trimmed_lowercased_and_bom_free() {
        let (headers, mut records) =
            CsvRecords::with_header("\u{feff} Email , NAME\nx@y.org , X \n").unwrap();
        assert_eq!(headers, vec!["email", "name"]);
        let (line, record) = records.next().unwrap();
        assert_eq!(line, 2);
        assert_eq!(
            record.unwrap().iter().collect::<Vec<_>>(),
            vec!["x@y.org", "X"]
        );
    }

    #[test]
    fn control_characters_refuse_the_upload() {
        let err = CsvRecords::with_header("email\nok@x.org\nbad\u{0}@x.org\n")
            .err()
            .unwrap();
        assert_eq!(err.0, 3);
    }
}
