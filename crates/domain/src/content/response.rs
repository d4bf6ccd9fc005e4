//! A candidate's `response`, parsed against the question it answers.

use serde::Serialize;
use serde_json::{Map, Value};

use super::question::{FieldError, QuestionType};

/// Longest text a candidate may send (short answer, essay, each blank), in characters.
pub const MAX_RESPONSE_CHARS: usize = 100_000;

/// A parsed response. Serializes to the API shapes (untagged):
/// single_choice `{"option": i}`, multiple_select `{"options": [i..]}`, true_false
/// `{"value": bool}`, short_answer `{"text": s}`, numeric `{"value": x}`, fill_blank
/// `{"blanks": [s..]}`, essay `{"text": s}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Response {
    SingleChoice {
        option: usize,
    },
    /// Sorted and unique.
    MultipleSelect {
        options: Vec<usize>,
    },
    TrueFalse {
        value: bool,
    },
    ShortAnswer {
        text: String,
    },
    Numeric {
        value: f64,
    },
    FillBlank {
        blanks: Vec<String>,
    },
    Essay {
        text: String,
    },
}

impl Response {
    /// The question type this response answers.
    pub fn question_type(&self) -> QuestionType {
        match self {
            Response::SingleChoice { .. } => QuestionType::SingleChoice,
            Response::MultipleSelect { .. } => QuestionType::MultipleSelect,
            Response::TrueFalse { .. } => QuestionType::TrueFalse,
            Response::ShortAnswer { .. } => QuestionType::ShortAnswer,
            Response::Numeric { .. } => QuestionType::Numeric,
            Response::FillBlank { .. } => QuestionType::FillBlank,
            Response::Essay { .. } => QuestionType::Essay,
        }
    }

    /// True when the candidate gave nothing: no option selected, blank text, all blanks empty.
    pub fn is_empty(&self) -> bool {
        match self {
            Response::MultipleSelect { options } => options.is_empty(),
            Response::ShortAnswer { text } | Response::Essay { text } => text.trim().is_empty(),
            Response::FillBlank { blanks } => blanks.iter().all(|b| b.trim().is_empty()),
            Response::SingleChoice { .. }
            | Response::TrueFalse { .. }
            | Response::Numeric { .. } => false,
        }
    }
}

const F: &str = "response";

fn e(field: &str, msg: impl Into<String>) -> FieldError {
    FieldError::new(field, msg)
}

fn object<'a>(v: &'a Value, key: &str) -> Result<&'a Map<String, Value>, FieldError> {
    let Value::Object(m) = v else {
        return Err(e(F, "must be an object"));
    };
    if let Some(k) = m.keys().find(|k| k.as_str() != key) {
        return Err(e(&format!("{F}.{k}"), "unknown field"));
    }
    Ok(m)
}

fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a Value, FieldError> {
    m.get(key)
        .ok_or_else(|| e(&format!("{F}.{key}"), "is required"))
}

fn option_index(v: &Value, field: &str, option_count: usize) -> Result<usize, FieldError> {
    let i = v
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| e(field, "must be a non-negative integer"))?;
    if i >= option_count {
        return Err(e(field, "option index out of range"));
    }
    Ok(i)
}

fn text(v: &Value, field: &str) -> Result<String, FieldError> {
    let s = v.as_str().ok_or_else(|| e(field, "must be a string"))?;
    if s.chars().count() > MAX_RESPONSE_CHARS {
        return Err(e(
            field,
            format!("must be at most {MAX_RESPONSE_CHARS} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// Parses a candidate's `response` JSON for a question of type `qt` with `option_count`
/// options (as served) and `blank_count` blanks. Rejects wrong shapes, unknown fields,
/// out-of-range or duplicate option indexes, a wrong number of blanks, non-finite numbers and
/// texts over [`MAX_RESPONSE_CHARS`]. Option indexes stay in served order: map them back with
/// [`unpermute_response`].
pub fn parse_response(
    qt: QuestionType,
    option_count: usize,
    blank_count: usize,
    v: &Value,
) -> Result<Response, FieldError> {
    match qt {
        QuestionType::SingleChoice => {
            let m = object(v, "option")?;
            let i = option_index(field(m, "option")?, "response.option", option_count)?;
            Ok(Response::SingleChoice { option: i })
        }
        QuestionType::MultipleSelect => {
            let m = object(v, "options")?;
            let Value::Array(items) = field(m, "options")? else {
                return Err(e("response.options", "must be an array of option indexes"));
            };
            let mut out = Vec::with_capacity(items.len());
            for (n, item) in items.iter().enumerate() {
                let f = format!("response.options.{n}");
                let i = option_index(item, &f, option_count)?;
                if out.contains(&i) {
                    return Err(e(&f, "duplicate option index"));
                }
                out.push(i);
            }
            out.sort_unstable();
            Ok(Response::MultipleSelect { options: out })
        }
        QuestionType::TrueFalse => {
            let m = object(v, "value")?;
            match field(m, "value")? {
                Value::Bool(b) => Ok(Response::TrueFalse { value: *b }),
                _ => Err(e("response.value", "must be true or false")),
            }
        }
        QuestionType::ShortAnswer | QuestionType::Essay => {
            let m = object(v, "text")?;
            let t = text(field(m, "text")?, "response.text")?;
            Ok(if qt == QuestionType::Essay {
                Response::Essay { text: t }
            } else {
                Response::ShortAnswer { text: t }
            })
        }
        QuestionType::Numeric => {
            let m = object(v, "value")?;
            match field(m, "value")?.as_f64() {
                Some(x) if x.is_finite() => Ok(Response::Numeric { value: x }),
                _ => Err(e("response.value", "must be a finite number")),
            }
        }
        QuestionType::FillBlank => {
            let m = object(v, "blanks")?;
            let Value::Array(items) = field(m, "blanks")? else {
                return Err(e("response.blanks", "must be an array of strings"));
            };
            if items.len() != blank_count {
                return Err(e(
                    "response.blanks",
                    format!("must have exactly {blank_count} entries"),
                ));
            }
            let blanks = items
                .iter()
                .enumerate()
                .map(|(n, item)| text(item, &format!("response.blanks.{n}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Response::FillBlank { blanks })
        }
    }
}

/// Maps served option indexes back to original ones: `perm[served_index] = original_index`.
/// Other response kinds are returned unchanged. An index not covered by `perm` is left as it is
/// (call [`parse_response`] with `option_count == perm.len()` first so that cannot happen).
pub fn unpermute_response(resp: Response, perm: &[usize]) -> Response {
    let map = |i: usize| perm.get(i).copied().unwrap_or(i);
    match resp {
        Response::SingleChoice { option } => Response::SingleChoice {
            option: map(option),
        },
        Response::MultipleSelect { options } => {
            let mut o: Vec<usize> = options.into_iter().map(map).collect();
            o.sort_unstable();
            o.dedup();
            Response::MultipleSelect { options: o }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_each_shape() {
        let p = |qt, v: Value| parse_response(qt, 4, 2, &v);
        assert_eq!(
            p(QuestionType::SingleChoice, json!({"option": 3})).unwrap(),
            Response::SingleChoice { option: 3 }
        );
        assert_eq!(
            p(QuestionType::MultipleSelect, json!({"options": [2, 0]})).unwrap(),
            Response::MultipleSelect {
                options: vec![0, 2]
            }
        );
        assert_eq!(
            p(QuestionType::TrueFalse, json!({"value": false})).unwrap(),
            Response::TrueFalse { value: false }
        );
        assert_eq!(
            p(QuestionType::ShortAnswer, json!({"text": "x"})).unwrap(),
            Response::ShortAnswer { text: "x".into() }
        );
        assert_eq!(
            p(QuestionType::Numeric, json!({"value": 2.5})).unwrap(),
            Response::Numeric { value: 2.5 }
        );
        assert_eq!(
            p(QuestionType::FillBlank, json!({"blanks": ["a", ""]})).unwrap(),
            Response::FillBlank {
                blanks: vec!["a".into(), "".into()]
            }
        );
        assert_eq!(
            p(QuestionType::Essay, json!({"text": "long"})).unwrap(),
            Response::Essay {
                text: "long".into()
            }
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        let p = |qt, v: Value| parse_response(qt, 4, 2, &v).unwrap_err().field;
        assert_eq!(
            p(QuestionType::SingleChoice, json!({"option": 4})),
            "response.option"
        );
        assert_eq!(
            p(QuestionType::SingleChoice, json!({"option": -1})),
            "response.option"
        );
        assert_eq!(p(QuestionType::SingleChoice, json!([1])), "response");
        assert_eq!(
            p(QuestionType::SingleChoice, json!({"option": 1, "x": 1})),
            "response.x"
        );
        assert_eq!(
            p(QuestionType::MultipleSelect, json!({"options": [1, 1]})),
            "response.options.1"
        );
        assert_eq!(
            p(QuestionType::TrueFalse, json!({"value": "true"})),
            "response.value"
        );
        assert_eq!(
            p(QuestionType::Numeric, json!({"value": "1"})),
            "response.value"
        );
        assert_eq!(
            p(QuestionType::FillBlank, json!({"blanks": ["a"]})),
            "response.blanks"
        );
        assert_eq!(
            p(QuestionType::Essay, json!({"value": 1})),
            "response.value"
        );
        let long = "x".repeat(MAX_RESPONSE_CHARS + 1);
        assert_eq!(
            p(QuestionType::Essay, json!({"text": long})),
            "response.text"
        );
        assert_eq!(p(QuestionType::TrueFalse, json!({})), "response.value");
    }

    #[test]
    fn unpermutes_served_indexes() {
        let perm = [2, 0, 1];
        assert_eq!(
            unpermute_response(Response::SingleChoice { option: 0 }, &perm),
            Response::SingleChoice { option: 2 }
        );
        assert_eq!(
            unpermute_response(
                Response::MultipleSelect {
                    options: vec![0, 1]
                },
                &perm
            ),
            Response::MultipleSelect {
                options: vec![0, 2]
            }
        );
        let t = Response::TrueFalse { value: true };
        assert_eq!(unpermute_response(t.clone(), &perm), t);
    }

    #[test]
    fn serializes_to_api_shapes() {
        assert_eq!(
            serde_json::to_value(Response::FillBlank {
                blanks: vec!["a".into()]
            })
            .unwrap(),
            json!({"blanks": ["a"]})
        );
        assert_eq!(
            serde_json::to_value(Response::SingleChoice { option: 1 }).unwrap(),
            json!({"option": 1})
        );
    }
}
