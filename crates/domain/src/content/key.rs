//! Parsing and checking `correct_answer` JSON against the question type.

use serde_json::{Map, Value};

use super::QuestionType;
use super::question::{CorrectAnswer, FieldError, MAX_ACCEPTED, MAX_BLANKS, MAX_OPTION_CHARS};

const F: &str = "correct_answer";

fn err(errs: &mut Vec<FieldError>, field: &str, msg: impl Into<String>) {
    errs.push(FieldError::new(field, msg));
}

fn sub(field: &str) -> String {
    format!("{F}.{field}")
}

/// Reads the object and checks it has only `allowed` keys.
fn object<'a>(
    v: Option<&'a Value>,
    allowed: &[&str],
    errs: &mut Vec<FieldError>,
) -> Option<&'a Map<String, Value>> {
    match v {
        None | Some(Value::Null) => {
            err(errs, F, "is required");
            None
        }
        Some(Value::Object(m)) => {
            for k in m.keys() {
                if !allowed.contains(&k.as_str()) {
                    err(errs, &sub(k), "unknown field");
                }
            }
            Some(m)
        }
        Some(_) => {
            err(errs, F, "must be an object");
            None
        }
    }
}

fn index(v: &Value) -> Option<usize> {
    v.as_u64().and_then(|n| usize::try_from(n).ok())
}

/// A list of accepted answers: an array of strings, trimmed, at least one, none empty.
fn accepted_list(v: Option<&Value>, field: &str, errs: &mut Vec<FieldError>) -> Vec<String> {
    let Some(Value::Array(items)) = v else {
        err(errs, field, "must be an array of strings");
        return Vec::new();
    };
    if items.is_empty() {
        err(errs, field, "needs at least 1 accepted answer");
    }
    if items.len() > MAX_ACCEPTED {
        err(
            errs,
            field,
            format!("at most {MAX_ACCEPTED} accepted answers"),
        );
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(str::trim) {
            Some("") => err(errs, &format!("{field}.{i}"), "must not be empty"),
            Some(s) if s.chars().count() > MAX_OPTION_CHARS => err(
                errs,
                &format!("{field}.{i}"),
                format!("must be at most {MAX_OPTION_CHARS} characters"),
            ),
            Some(s) => out.push(s.to_owned()),
            None => err(errs, &format!("{field}.{i}"), "must be a string"),
        }
    }
    out
}

/// Parses the key of a question of type `qt`, pushing problems to `errs`.
pub(crate) fn parse_key(
    qt: QuestionType,
    option_count: usize,
    blank_count: usize,
    v: Option<&Value>,
    errs: &mut Vec<FieldError>,
) -> Option<CorrectAnswer> {
    let before = errs.len();
    let key = match qt {
        QuestionType::Essay => {
            if !matches!(v, None | Some(Value::Null)) {
                err(errs, F, "must be omitted or null for essay");
            }
            return None;
        }
        QuestionType::SingleChoice => {
            let m = object(v, &["option"], errs)?;
            match m.get("option").map(index) {
                Some(Some(i)) if i < option_count => {
                    Some(CorrectAnswer::SingleChoice { option: i })
                }
                Some(Some(_)) => {
                    err(errs, &sub("option"), "index out of range of options");
                    None
                }
                Some(None) => {
                    err(errs, &sub("option"), "must be a non-negative integer");
                    None
                }
                None => {
                    err(errs, &sub("option"), "is required");
                    None
                }
            }
        }
        QuestionType::MultipleSelect => {
            let m = object(v, &["options"], errs)?;
            let Some(Value::Array(items)) = m.get("options") else {
                err(errs, &sub("options"), "must be an array of option indexes");
                return None;
            };
            if items.is_empty() {
                err(errs, &sub("options"), "needs at least 1 correct option");
            }
            let mut out: Vec<usize> = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let f = format!("{F}.options.{i}");
                match index(item) {
                    None => err(errs, &f, "must be a non-negative integer"),
                    Some(x) if x >= option_count => err(errs, &f, "index out of range of options"),
                    Some(x) if out.contains(&x) => err(errs, &f, "duplicate index"),
                    Some(x) => out.push(x),
                }
            }
            out.sort_unstable();
            Some(CorrectAnswer::MultipleSelect { options: out })
        }
        QuestionType::TrueFalse => {
            let m = object(v, &["value"], errs)?;
            match m.get("value") {
                Some(Value::Bool(b)) => Some(CorrectAnswer::TrueFalse { value: *b }),
                _ => {
                    err(errs, &sub("value"), "must be true or false");
                    None
                }
            }
        }
        QuestionType::ShortAnswer => {
            let m = object(v, &["accepted", "case_sensitive"], errs)?;
            let accepted = accepted_list(m.get("accepted"), &sub("accepted"), errs);
            let case_sensitive = match m.get("case_sensitive") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    err(errs, &sub("case_sensitive"), "must be true or false");
                    false
                }
            };
            Some(CorrectAnswer::ShortAnswer {
                accepted,
                case_sensitive,
            })
        }
        QuestionType::Numeric => {
            let m = object(v, &["value", "tolerance"], errs)?;
            let value = match m.get("value").and_then(Value::as_f64) {
                Some(x) if x.is_finite() => x,
                _ => {
                    err(errs, &sub("value"), "must be a finite number");
                    0.0
                }
            };
            let tolerance = match m.get("tolerance") {
                None | Some(Value::Null) => 0.0,
                Some(t) => match t.as_f64() {
                    Some(t) if t.is_finite() && t >= 0.0 => t,
                    _ => {
                        err(errs, &sub("tolerance"), "must be a finite number >= 0");
                        0.0
                    }
                },
            };
            Some(CorrectAnswer::Numeric { value, tolerance })
        }
        QuestionType::FillBlank => {
            let m = object(v, &["blanks"], errs)?;
            let Some(Value::Array(lists)) = m.get("blanks") else {
                err(
                    errs,
                    &sub("blanks"),
                    "must be an array of arrays of strings",
                );
                return None;
            };
            if blank_count == 0 {
                err(errs, "text", "must contain at least one blank (___)");
            } else if blank_count > MAX_BLANKS {
                err(errs, "text", format!("at most {MAX_BLANKS} blanks"));
            }
            if lists.len() != blank_count {
                err(
                    errs,
                    &sub("blanks"),
                    format!(
                        "has {} answer lists but the text has {blank_count} blanks",
                        lists.len()
                    ),
                );
            }
            let blanks = lists
                .iter()
                .enumerate()
                .map(|(i, l)| accepted_list(Some(l), &format!("{F}.blanks.{i}"), errs))
                .collect();
            Some(CorrectAnswer::FillBlank { blanks })
        }
    };
    if errs.len() > before { None } else { key }
}
