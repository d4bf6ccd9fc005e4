//! Text hygiene shared by every input path and every CSV export.
//!
//! * Control characters: NUL and the other C0 controls (U+0000..U+001F) are
//!   refused everywhere text enters the system, except tab, line feed and
//!   carriage return (browsers and Windows files end lines with CR LF).
//!   PostgreSQL cannot store NUL in `text` at all, and none of them belongs in
//!   a name, an email, a question or a tag.
//! * CSV formula injection (OWASP): a spreadsheet evaluates a cell that starts
//!   with `=`, `+`, `-`, `@`, tab or carriage return. Every exported CSV cell
//!   goes through [`csv_cell`], which prefixes such a cell with `'`;
//!   [`csv_cell_import`] removes that prefix again, so exports round-trip.

/// Whether `c` is a control character refused in text input.
pub fn is_forbidden_control(c: char) -> bool {
    c <= '\u{1f}' && !matches!(c, '\t' | '\n' | '\r')
}

/// The first forbidden control character of `s` and its character index.
pub fn find_forbidden_control(s: &str) -> Option<(usize, char)> {
    s.chars()
        .enumerate()
        .find(|(_, c)| is_forbidden_control(*c))
}

/// The message every refusal uses, e.g. "must not contain control
/// characters (U+0000 at character 3)".
pub fn control_message(index: usize, c: char) -> String {
    format!(
        "must not contain control characters (U+{:04X} at character {})",
        u32::from(c),
        index + 1
    )
}

/// `Ok` when `s` holds no forbidden control character, else the message.
pub fn check_text(s: &str) -> Result<(), String> {
    match find_forbidden_control(s) {
        None => Ok(()),
        Some((i, c)) => Err(control_message(i, c)),
    }
}

/// The 1-based lines (LF-separated) of `text` holding a forbidden control
/// character, with a message each; at most `limit` of them.
pub fn control_lines(text: &str, limit: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    if !text.chars().any(is_forbidden_control) {
        return out;
    }
    for (n, line) in text.split('\n').enumerate() {
        if let Some((i, c)) = find_forbidden_control(line) {
            out.push((n + 1, control_message(i, c)));
            if out.len() >= limit {
                break;
            }
        }
    }
    out
}

/// A one-line text field (a name, a title) of 1 to `MAX` characters,
/// trimmed. The one newtype for such fields: parse at the boundary, and
/// deeper code holds a `Text<200>` that it never re-checks.
///
/// ```
/// use invigil_domain::text::Text;
/// let name = Text::<200>::parse("name", "  Ada Lovelace ").unwrap();
/// assert_eq!(name.as_str(), "Ada Lovelace");
/// let err = Text::<200>::parse("name", "a\tb").unwrap_err();
/// assert_eq!((err.field.as_str(), err.to_string().as_str()),
///            ("name", "must be 1 to 200 printable characters"));
/// ```
///
/// [`Text::parse`] refuses every control character (`char::is_control`:
/// C0 with tab and line ends, DEL, C1), since a name is one printable line;
/// [`Text::parse_lenient`] checks only the length, for the fields that have
/// always left control characters to the input hygiene (the request layer
/// refuses NUL and the other C0 controls but tab and line ends).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(String);

/// Why a [`Text`] field was refused; the message is the 422 `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to {max} {what}characters", what = if *.printable { "printable " } else { "" })]
pub struct TextError {
    /// The field's name in the request.
    pub field: String,
    pub max: usize,
    /// Whether control characters were refused too (the message says so).
    pub printable: bool,
}

impl<const MAX: usize> Text<MAX> {
    /// Trimmed, 1 to `MAX` characters, no control character.
    pub fn parse(field: &str, raw: &str) -> Result<Self, TextError> {
        Self::check(field, raw, true)
    }

    /// Trimmed, 1 to `MAX` characters (control characters are not checked).
    pub fn parse_lenient(field: &str, raw: &str) -> Result<Self, TextError> {
        Self::check(field, raw, false)
    }

    fn check(field: &str, raw: &str, printable: bool) -> Result<Self, TextError> {
        let t = raw.trim();
        let n = t.chars().count();
        if n == 0 || n > MAX || (printable && t.chars().any(char::is_control)) {
            return Err(TextError {
                field: field.to_owned(),
                max: MAX,
                printable,
            });
        }
        Ok(Text(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> AsRef<str> for Text<MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> std::fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters that make a spreadsheet treat a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell, past any leading quotes, starts like a formula.
fn formula_like(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// An exported CSV cell, neutralised against formula injection: a cell that
/// starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` (and so does
/// one that already starts with quotes before such a character, so that
/// [`csv_cell_import`] gives back exactly the original).
pub fn csv_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The inverse of [`csv_cell`] for importers: one leading `'` before a
/// formula character (past any further quotes) is dropped.
pub fn csv_cell_import(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tab_newline_and_cr_are_allowed_other_c0_controls_are_not() {
        assert!(check_text("a\tb\r\nc\n").is_ok());
        for c in (0u32..0x20).filter_map(char::from_u32) {
            let refused = check_text(&format!("x{c}")).is_err();
            assert_eq!(refused, !matches!(c, '\t' | '\n' | '\r'), "{c:?}");
        }
        assert!(check_text("DEL \u{7f} and é and 💡").is_ok());
        assert_eq!(
            check_text("ab\u{0}").unwrap_err(),
            "must not contain control characters (U+0000 at character 3)"
        );
    }

    #[test]
    fn control_lines_names_each_bad_line() {
        let text = "ok\r\nbad\u{1}\nok\n\u{0}\n";
        assert_eq!(
            control_lines(text, 10)
                .iter()
                .map(|(l, _)| *l)
                .collect::<Vec<_>>(),
            [2, 4]
        );
        assert_eq!(control_lines(text, 1).len(), 1);
        assert!(control_lines("fine\r\n", 10).is_empty());
    }

    #[test]
    fn formula_cells_get_a_quote() {
        for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(cell), format!("'{cell}"));
            assert_eq!(csv_cell_import(&csv_cell(cell)), cell);
        }
        assert_eq!(csv_cell("'=x"), "''=x");
        assert_eq!(csv_cell_import("''=x"), "'=x");
        for cell in ["", "plain", "1", "'quoted", " =x", "{\"option\":1}"] {
            assert_eq!(csv_cell(cell), cell);
            assert_eq!(csv_cell_import(cell), cell);
        }
    }

    #[test]
    fn text_trims_counts_characters_and_names_the_field() {
        let t = Text::<3>::parse("name", " äöü ").unwrap();
        assert_eq!(t.as_str(), "äöü");
        for bad in ["", "   ", "abcd", "a\u{7f}", "a\u{85}b", "a\nb"] {
            let e = Text::<3>::parse("title", bad).unwrap_err();
            assert_eq!(e.field, "title");
            assert_eq!(e.to_string(), "must be 1 to 3 printable characters");
        }
        assert_eq!(
            Text::<3>::parse_lenient("n", "a\tb").unwrap().as_str(),
            "a\tb"
        );
        assert_eq!(
            Text::<3>::parse_lenient("n", "abcd")
                .unwrap_err()
                .to_string(),
            "must be 1 to 3 characters"
        );
    }

    proptest! {
        #[test]
        fn exported_cells_never_start_a_formula_and_round_trip(cell in ".*") {
            let out = csv_cell(&cell);
            prop_assert!(!out.starts_with(FORMULA_START));
            prop_assert_eq!(csv_cell_import(&out), cell.as_str());
        }
    }
}
