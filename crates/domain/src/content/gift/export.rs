//! GIFT writer (see the parent module for what round-trips).

use std::fmt::Write as _;

use crate::content::question::{CorrectAnswer, Difficulty, Question, QuestionType, blank_ranges};

/// Escapes GIFT's special characters and line breaks.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '~' | '=' | '#' | '{' | '}' | ':' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// An answer's text; a leading `%` would read as a weight, so such answers get an explicit one.
fn answer_into(out: &mut String, marker: &str, neutral_weight: &str, s: &str) {
    out.push_str(marker);
    if s.starts_with('%') {
        out.push_str(neutral_weight);
    }
    escape_into(out, s);
}

fn weight(k: usize) -> String {
    let w = format!("{:.5}", 100.0 / k as f64);
    w.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Writes questions as GIFT. See the parent module for the mapping and its limits.
pub fn export_gift(questions: &[Question]) -> String {
    let mut out = String::with_capacity(questions.len() * 160);
    let mut category: &[String] = &[];
    for q in questions {
        if q.tags() != category {
            category = q.tags();
            out.push_str("$CATEGORY: ");
            out.push_str(&category.join("/"));
            out.push_str("\n\n");
        }
        write_question(&mut out, q);
        out.push_str("\n\n");
    }
    out
}

fn write_question(out: &mut String, q: &Question) {
    let key = q.correct_answer();
    let mut meta = String::new();
    if q.points() != 1.0 {
        let _ = write!(meta, " points={}", q.points());
    }
    if q.difficulty() != Difficulty::Medium {
        let _ = write!(meta, " difficulty={}", q.difficulty().name());
    }
    if let Some(CorrectAnswer::ShortAnswer {
        case_sensitive: true,
        ..
    }) = key
    {
        meta.push_str(" case_sensitive=true");
    }
    let blanks = blank_ranges(q.text());
    let one_blank = q.question_type() == QuestionType::FillBlank && blanks.len() == 1;
    if one_blank && blanks.first().is_some_and(|r| r.end == q.text().len()) {
        meta.push_str(" type=fill_blank");
    }
    if !meta.is_empty() {
        out.push_str("// invigil:");
        out.push_str(&meta);
        out.push('\n');
    }

    out.push_str("[markdown]");
    let mut suffix = "";
    match (one_blank, blanks.first()) {
        (true, Some(r)) => {
            escape_into(out, &q.text()[..r.start]);
            suffix = &q.text()[r.end..];
        }
        _ => escape_into(out, q.text()),
    }
    out.push('{');
    let mut explanation = q.explanation().map(str::to_owned);
    match key {
        None => {}
        Some(CorrectAnswer::SingleChoice { option }) => {
            for (i, o) in q.options().iter().enumerate() {
                let (m, w) = if i == *option {
                    ("=", "%100%")
                } else {
                    ("~", "%0%")
                };
                answer_into(out, m, w, o);
                out.push(' ');
            }
        }
        Some(CorrectAnswer::MultipleSelect { options }) => {
            let w = format!("%{}%", weight(options.len()));
            for (i, o) in q.options().iter().enumerate() {
                if options.contains(&i) {
                    out.push('~');
                    out.push_str(&w);
                    escape_into(out, o);
                } else {
                    answer_into(out, "~", "%0%", o);
                }
                out.push(' ');
            }
        }
        Some(CorrectAnswer::TrueFalse { value }) => {
            out.push_str(if *value { "TRUE" } else { "FALSE" });
        }
        Some(CorrectAnswer::ShortAnswer { accepted, .. }) => {
            for a in accepted {
                answer_into(out, "=", "%100%", a);
                out.push(' ');
            }
        }
        Some(CorrectAnswer::Numeric { value, tolerance }) => {
            let _ = write!(out, "#{value}:{tolerance}");
        }
        Some(CorrectAnswer::FillBlank { blanks: lists }) => {
            if one_blank {
                for a in lists.iter().flatten() {
                    answer_into(out, "=", "%100%", a);
                    out.push(' ');
                }
            } else {
                // No GIFT form: an essay whose general feedback lists the answers.
                let mut fb = String::from("Accepted answers:");
                for (i, l) in lists.iter().enumerate() {
                    let _ = write!(fb, "\nBlank {}: {}", i + 1, l.join(" / "));
                }
                if let Some(e) = explanation.take() {
                    fb.push_str("\n\n");
                    fb.push_str(&e);
                }
                explanation = Some(fb);
            }
        }
    }
    if let Some(e) = explanation {
        out.push_str("####");
        escape_into(out, &e);
    }
    out.push('}');
    escape_into(out, suffix);
}
