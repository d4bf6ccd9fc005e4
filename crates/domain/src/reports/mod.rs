//! Reports: descriptive statistics of scores ([`stats`]) and the item
//! analysis of an exam by classical test theory ([`items`]). Pure numbers in,
//! numbers out; the server streams results into them.

pub mod items;
pub mod stats;

/// A cell for a CSV file people open in a spreadsheet: a value starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a
/// formula (CSV injection), so it gets a leading `'`. Numbers written by
/// us (e.g. `-0.25`) are left alone: only text that does not parse as a
/// number is changed.
pub fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    let risky = value
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && value.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1+1"), "'+1+1");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("-0.25"), "-0.25");
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(""), "");
    }
}
