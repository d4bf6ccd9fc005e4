//! Aiken import (single choice only).
//!
//! ```text
//! What is 2 + 2?
//! A. 3
//! B) 4
//! ANSWER: B
//! ```
//! The question text is every line before the first option (several lines are joined with a
//! newline). Options are lines `X. text` or `X) text` with letters `A`, `B`, `C`, ... in order.
//! `ANSWER: X` (case-insensitive keyword) ends the item. Blank lines between items are ignored.
//! Points are 1, difficulty MEDIUM. An item that ends without an `ANSWER:` line, names a letter
//! that is not an option, or has options out of order is reported at the line where it starts,
//! and reading continues with the next item.

use super::io::{ImportOutcome, lines};
use super::question::{Difficulty, QuestionInput, QuestionType};

/// `A. text` / `A) text` -> (letter index, text).
fn option_line(line: &str) -> Option<(usize, &str)> {
    let mut chars = line.chars();
    let letter = chars.next()?;
    if !letter.is_ascii_uppercase() {
        return None;
    }
    let sep = chars.next()?;
    if sep != '.' && sep != ')' {
        return None;
    }
    let rest = chars.as_str();
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(((letter as u8 - b'A') as usize, rest.trim()))
}

fn answer_line(line: &str) -> Option<&str> {
    let head = line.get(..7)?;
    if head.eq_ignore_ascii_case("ANSWER:") {
        line.get(7..).map(str::trim)
    } else {
        None
    }
}

#[derive(Default)]
struct Item {
    start: usize,
    text: Vec<String>,
    options: Vec<String>,
    error: Option<String>,
}

impl Item {
    fn is_empty(&self) -> bool {
        self.text.is_empty() && self.options.is_empty() && self.error.is_none()
    }
}

/// Parses an Aiken file. See the module docs.
pub fn parse_aiken(input: &str) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let mut cur = Item::default();
    for (n, raw) in lines(input) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(ans) = answer_line(line) {
            let item = std::mem::take(&mut cur);
            if item.is_empty() {
                out.error(n, "ANSWER line without a question");
                continue;
            }
            finish(&mut out, item, ans);
            continue;
        }
        if let Some((idx, text)) = option_line(line) {
            if cur.text.is_empty() && cur.options.is_empty() {
                cur.start = n;
                cur.error = Some("option without a question text".into());
            }
            if idx != cur.options.len() && cur.error.is_none() {
                let expected = char::from(b'A' + (cur.options.len() % 26) as u8);
                cur.error = Some(format!("line {n}: expected option {expected}"));
            }
            cur.options.push(text.to_owned());
            continue;
        }
        // A text line.
        if !cur.options.is_empty() {
            // The previous item never got its ANSWER line; this line starts a new item.
            let item = std::mem::take(&mut cur);
            out.error(item.start, "missing ANSWER line");
        }
        if cur.text.is_empty() {
            cur.start = n;
        }
        cur.text.push(line.to_owned());
    }
    if !cur.is_empty() {
        out.error(cur.start, "missing ANSWER line");
    }
    out
}

fn finish(out: &mut ImportOutcome, item: Item, ans: &str) {
    if let Some(e) = item.error {
        out.error(item.start, e);
        return;
    }
    if item.options.is_empty() {
        out.error(item.start, "a question needs options A., B., ...");
        return;
    }
    let letter = ans
        .chars()
        .next()
        .filter(|c| ans.len() == 1 && c.is_ascii_alphabetic());
    let Some(letter) = letter else {
        out.error(
            item.start,
            format!("ANSWER must be one option letter, got {ans:?}"),
        );
        return;
    };
    let idx = (letter.to_ascii_uppercase() as u8 - b'A') as usize;
    if idx >= item.options.len() {
        out.error(
            item.start,
            format!("ANSWER {letter} is not one of the options"),
        );
        return;
    }
    out.push_input(
        item.start,
        QuestionInput {
            question_type: QuestionType::SingleChoice,
            text: item.text.join("\n"),
            options: Some(item.options),
            correct_answer: Some(serde_json::json!({ "option": idx })),
            points: 1.0,
            difficulty: Difficulty::Medium,
            tags: None,
            explanation: None,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::CorrectAnswer;

    #[test]
    fn reads_items_and_reports_errors() {
        let src = "What is 2+2?\r\nA. 3\r\nB) 4\r\nANSWER: B\r\n\r\nBroken\nA. x\nB. y\nANSWER: D\n\nNo answer\nA. a\nB. b\n\nNext?\nA. yes\nB. no\nanswer: a\n";
        let o = parse_aiken(src);
        assert_eq!(o.items.len(), 2);
        assert_eq!(o.items[0].line, 1);
        assert_eq!(o.items[0].question.options(), ["3", "4"]);
        assert_eq!(
            o.items[0].question.correct_answer(),
            Some(&CorrectAnswer::SingleChoice { option: 1 })
        );
        assert_eq!(o.items[1].line, 15);
        assert_eq!(o.errors.len(), 2, "{:?}", o.errors);
        assert_eq!(o.errors[0].line, 6);
        assert_eq!(o.errors[1].line, 11);
    }

    #[test]
    fn out_of_order_and_orphans() {
        let o = parse_aiken("Q\nA. a\nC. c\nANSWER: A\n\nA. x\nANSWER: A\nANSWER: A");
        assert!(o.items.is_empty());
        assert_eq!(o.errors.len(), 3, "{:?}", o.errors);
    }
}
