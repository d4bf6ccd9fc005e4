//! CSV import and export.
//!
//! Format (RFC 4180: comma-separated, fields with commas, quotes or line breaks in double quotes,
//! `"` doubled inside quotes; UTF-8; LF or CRLF). The first row is the header, exactly these
//! column names in any order (`type` and `text` are required, the others may be left out):
//!
//! ```text
//! type,text,options,correct_answer,points,difficulty,tags,explanation
//! ```
//!
//! | column | content |
//! |---|---|
//! | `type` | `single_choice`, `multiple_select`, `true_false`, `short_answer`, `numeric`, `fill_blank` or `essay` |
//! | `text` | the question (Markdown); fill_blank marks blanks with `___` |
//! | `options` | choice options separated by a vertical bar; inside an item a backslash followed by a bar is a literal bar and two backslashes are one backslash; empty for other types |
//! | `correct_answer` | the JSON of the API: `{"option":1}`, `{"options":[0,2]}`, `{"value":true}`, `{"accepted":["Paris"],"case_sensitive":false}`, `{"value":3.14,"tolerance":0.01}`, `{"blanks":[["a","b"],["c"]]}`; empty for essay |
//! | `points` | a number `> 0` and `<= 1000`; empty means 1 |
//! | `difficulty` | `EASY`, `MEDIUM` or `HARD` (any case); empty means `MEDIUM` |
//! | `tags` | tags separated by a vertical bar (same escapes as options) |
//! | `explanation` | shown after grading; may be empty |
//!
//! Example:
//!
//! ```text
//! type,text,options,correct_answer,points,difficulty,tags,explanation
//! single_choice,What is 2 + 2?,3|4|5,"{""option"":1}",1,EASY,math|arithmetic,
//! essay,Discuss.,,,10,HARD,,
//! ```
//!
//! Errors name the line where the record starts (the header is line 1). Empty lines are skipped.
//! Export writes every column, CRLF line ends, and quotes fields only where needed; it
//! round-trips all seven types. Against formula injection, an exported cell that starts with
//! `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, which the importer drops again
//! ([`crate::text::csv_cell`]).

use serde_json::Value;

use super::io::ImportOutcome;
use super::question::{Difficulty, Question, QuestionInput, QuestionType};
use crate::csv_records::CsvRecords;

/// The header the exporter writes (and the column names the importer knows).
pub const CSV_HEADER: [&str; 8] = [
    "type",
    "text",
    "options",
    "correct_answer",
    "points",
    "difficulty",
    "tags",
    "explanation",
];

/// Splits a `|`-separated list with `\|` and `\\` escapes. An empty cell is an empty list.
fn split_list(cell: &str) -> Vec<String> {
    if cell.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('|' | '\\')) => cur.push(n),
                Some(n) => {
                    cur.push('\\');
                    cur.push(n);
                }
                None => cur.push('\\'),
            },
            '|' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn join_list(items: &[String]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        for c in item.chars() {
            if c == '|' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Parses a CSV file. See the module docs for the format.
pub fn parse_csv(input: &str) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let mut columns: Option<Vec<usize>> = None; // column index -> CSV_HEADER index
    for (line, record) in CsvRecords::new(input) {
        let record = match record {
            Ok(r) => r,
            Err(message) => {
                out.error(line, message);
                continue;
            }
        };
        let Some(cols) = &columns else {
            match header(&record) {
                Ok(c) => columns = Some(c),
                Err(msg) => {
                    out.error(line, msg);
                    return out;
                }
            }
            continue;
        };
        if record.len() != cols.len() {
            out.error(
                line,
                format!("expected {} fields, found {}", cols.len(), record.len()),
            );
            continue;
        }
        let mut cells: [&str; 8] = [""; 8];
        for (i, field) in record.iter().enumerate() {
            if let Some(&c) = cols.get(i) {
                cells[c] = crate::text::csv_cell_import(field);
            }
        }
        match row(&cells) {
            Ok(input) => out.push_input(line, input),
            Err(msg) => out.error(line, msg),
        }
    }
    if columns.is_none() && out.errors.is_empty() {
        out.error(1, "missing header row");
    }
    out
}

fn header(record: &::csv::StringRecord) -> Result<Vec<usize>, String> {
    let mut cols = Vec::with_capacity(record.len());
    for name in record.iter() {
        let name = name.trim().to_ascii_lowercase();
        let Some(i) = CSV_HEADER.iter().position(|h| *h == name) else {
            return Err(format!(
                "unknown column {name:?}; expected {}",
                CSV_HEADER.join(",")
            ));
        };
        if cols.contains(&i) {
            return Err(format!("duplicate column {name:?}"));
        }
        cols.push(i);
    }
    for required in [0, 1] {
        if !cols.contains(&required) {
            return Err(format!("missing column {:?}", CSV_HEADER[required]));
        }
    }
    Ok(cols)
}

fn row(cells: &[&str; 8]) -> Result<QuestionInput, String> {
    let [
        ty,
        text,
        options,
        key,
        points,
        difficulty,
        tags,
        explanation,
    ] = *cells;
    let question_type = QuestionType::parse(ty.trim())
        .ok_or_else(|| format!("type: unknown question type {:?}", ty.trim()))?;
    let correct_answer = if key.trim().is_empty() {
        None
    } else {
        Some(
            serde_json::from_str::<Value>(key)
                .map_err(|e| format!("correct_answer: not valid JSON ({e})"))?,
        )
    };
    let points = if points.trim().is_empty() {
        1.0
    } else {
        points
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("points: not a number: {:?}", points.trim()))?
    };
    let difficulty = if difficulty.trim().is_empty() {
        Difficulty::Medium
    } else {
        Difficulty::parse_input(difficulty)
            .ok_or_else(|| "difficulty: must be EASY, MEDIUM or HARD".to_owned())?
    };
    let options = split_list(options);
    Ok(QuestionInput {
        question_type,
        text: text.to_owned(),
        options: (!options.is_empty()).then_some(options),
        correct_answer,
        points,
        difficulty,
        tags: Some(split_list(tags)),
        explanation: Some(explanation.to_owned()).filter(|e| !e.trim().is_empty()),
    })
}

fn push_field(out: &mut String, field: &str) {
    let needs_quotes = field.contains([',', '"', '\r', '\n'])
        || field.starts_with(char::is_whitespace)
        || field.ends_with(char::is_whitespace);
    if needs_quotes {
        out.push('"');
        for c in field.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Writes questions as CSV (header first). See the module docs for the format.
pub fn export_csv(questions: &[Question]) -> String {
    let mut out = String::with_capacity(64 + questions.len() * 128);
    out.push_str(&CSV_HEADER.join(","));
    out.push_str("\r\n");
    for q in questions {
        let key = q
            .correct_answer()
            .map(|k| serde_json::to_string(k).unwrap_or_default())
            .unwrap_or_default();
        let fields = [
            q.question_type().name().to_owned(),
            q.text().to_owned(),
            join_list(q.options()),
            key,
            q.points().to_string(),
            q.difficulty().name().to_owned(),
            join_list(q.tags()),
            q.explanation().unwrap_or_default().to_owned(),
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_field(&mut out, &crate::text::csv_cell(f));
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_escapes_round_trip() {
        let items = vec![
            "a|b".to_owned(),
            "c\\".to_owned(),
            "\\|".to_owned(),
            "x".to_owned(),
        ];
        assert_eq!(split_list(&join_list(&items)), items);
        assert_eq!(split_list("a|b"), ["a", "b"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn reads_the_documented_example() {
        let src = "type,text,options,correct_answer,points,difficulty,tags,explanation\n\
                   single_choice,What is 2 + 2?,3|4|5,\"{\"\"option\"\":1}\",1,EASY,math|arithmetic,\n\
                   essay,Discuss.,,,10,HARD,,\n";
        let o = parse_csv(src);
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        assert_eq!(o.items.len(), 2);
        assert_eq!(o.items[0].line, 2);
        assert_eq!(o.items[1].line, 3);
        assert_eq!(o.items[0].question.tags(), ["math", "arithmetic"]);
        assert_eq!(o.items[1].question.points(), 10.0);
    }

    #[test]
    fn header_problems_stop_the_import() {
        assert_eq!(parse_csv("type,txt\n").errors[0].line, 1);
        assert_eq!(parse_csv("").errors[0].message, "missing header row");
        assert!(
            parse_csv("options\n").errors[0]
                .message
                .contains("missing column")
        );
    }
}
