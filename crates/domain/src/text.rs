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

    proptest! {
        #[test]
        fn exported_cells_never_start_a_formula_and_round_trip(cell in ".*") {
            let out = csv_cell(&cell);
            prop_assert!(!out.starts_with(FORMULA_START));
            prop_assert_eq!(csv_cell_import(&out), cell.as_str());
        }
    }
}
