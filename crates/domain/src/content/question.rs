//! The question model: raw input as it arrives from the API or an import, and the validated
//! [`Question`] that the rest of the system stores, serves and grades.
//!
//! Points are an `f64`: finite, `> 0` and `<= 1000`. Fractional points (`0.5`, `2.25`) are
//! allowed; they are stored and compared as written, never rounded here.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest question text, in characters (Unicode scalar values).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest option, accepted answer or explanation, in characters.
pub const MAX_OPTION_CHARS: usize = 20_000;
/// Most options a choice question may have.
pub const MAX_OPTIONS: usize = 20;
/// Most tags on a question (after de-duplication).
pub const MAX_TAGS: usize = 32;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 100;
/// Most accepted answers of a short answer or of one blank.
pub const MAX_ACCEPTED: usize = 100;
/// Most blanks in a fill_blank text.
pub const MAX_BLANKS: usize = 100;
/// Highest points value of one question.
pub const MAX_POINTS: f64 = 1000.0;

crate::stored_enum! {
    /// The seven question types (`snake_case` on the wire and in the database).
    pub enum QuestionType {
        SingleChoice = "single_choice",
        MultipleSelect = "multiple_select",
        TrueFalse = "true_false",
        ShortAnswer = "short_answer",
        Numeric = "numeric",
        FillBlank = "fill_blank",
        Essay = "essay",
    }
}

impl QuestionType {
    /// Whether the type has `options` (single_choice, multiple_select).
    pub fn has_options(self) -> bool {
        matches!(
            self,
            QuestionType::SingleChoice | QuestionType::MultipleSelect
        )
    }
}

crate::stored_enum! {
    /// Difficulty (`EASY`, `MEDIUM`, `HARD` on the wire). Defaults to `MEDIUM`.
    #[derive(Default)]
    pub enum Difficulty {
        Easy = "EASY",
        #[default]
        Medium = "MEDIUM",
        Hard = "HARD",
    }
}

impl Difficulty {
    /// Parses input leniently: surrounding blanks and ASCII case are ignored
    /// (imports, draw rules). Stored values go through the exact [`Difficulty::parse`].
    pub fn parse_input(s: &str) -> Option<Difficulty> {
        Difficulty::parse(&s.trim().to_ascii_uppercase())
    }
}

crate::stored_enum! {
    /// Whether a question is in use: deleting retires it (its versions stay).
    pub enum QuestionStatus {
        Active = "ACTIVE",
        Retired = "RETIRED",
    }
}

/// The answer key, one shape per type, serialized exactly as API.md says (untagged: the
/// question's `type` says which shape it is). Essay has no key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CorrectAnswer {
    /// `{"option": i}` (0-based, original order).
    SingleChoice { option: usize },
    /// `{"options": [i..]}`: sorted, unique, at least one.
    MultipleSelect { options: Vec<usize> },
    /// `{"value": bool}`.
    TrueFalse { value: bool },
    /// `{"accepted": [..], "case_sensitive": bool}`; accepted answers are trimmed.
    ShortAnswer {
        accepted: Vec<String>,
        case_sensitive: bool,
    },
    /// `{"value": x, "tolerance": t}`: correct when `|answer - value| <= tolerance`.
    Numeric { value: f64, tolerance: f64 },
    /// `{"blanks": [[accepted..], ..]}`, one list per `___` in the text, in order.
    FillBlank { blanks: Vec<Vec<String>> },
}

/// One field-level validation problem; `field` is a dotted path such as `correct_answer.option`
/// or `options.2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// All problems of one question input (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

fn default_points() -> f64 {
    1.0
}

/// A question as it arrives (API body `{type, text, options?, correct_answer, points,
/// difficulty, tags?, explanation?}`). `points` defaults to 1 and `difficulty` to `MEDIUM`
/// when absent. Turn it into a [`Question`] with [`validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionInput {
    #[serde(rename = "type")]
    pub question_type: QuestionType,
    pub text: String,
    #[serde(default)]
    pub options: Option<Vec<String>>,
    #[serde(default)]
    pub correct_answer: Option<Value>,
    #[serde(default = "default_points")]
    pub points: f64,
    #[serde(default)]
    pub difficulty: Difficulty,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub explanation: Option<String>,
}

/// A validated question. Construct it only through [`validate`] (or by deserializing, which
/// validates too). Serializes to the API shape; `options` is omitted for types without options,
/// `correct_answer` is `null` for essay.
///
/// Normalisation done by validation: text, options, accepted answers, tags and explanation are
/// trimmed; an empty explanation becomes `None`; tags are de-duplicated keeping the first
/// occurrence; multiple_select indexes are sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "QuestionInput")]
pub struct Question {
    #[serde(rename = "type")]
    question_type: QuestionType,
    text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    options: Vec<String>,
    correct_answer: Option<CorrectAnswer>,
    points: f64,
    difficulty: Difficulty,
    tags: Vec<String>,
    explanation: Option<String>,
}

impl TryFrom<QuestionInput> for Question {
    type Error = ValidationErrors;

    fn try_from(input: QuestionInput) -> Result<Question, ValidationErrors> {
        validate(input).map_err(ValidationErrors)
    }
}

impl Question {
    pub fn question_type(&self) -> QuestionType {
        self.question_type
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    /// Options in original order (empty unless single_choice / multiple_select).
    pub fn options(&self) -> &[String] {
        &self.options
    }
    /// The key; `None` only for essay.
    pub fn correct_answer(&self) -> Option<&CorrectAnswer> {
        self.correct_answer.as_ref()
    }
    pub fn points(&self) -> f64 {
        self.points
    }
    pub fn difficulty(&self) -> Difficulty {
        self.difficulty
    }
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
    pub fn explanation(&self) -> Option<&str> {
        self.explanation.as_deref()
    }
    /// Number of `___` blanks in the text (meaningful for fill_blank).
    pub fn blank_count(&self) -> usize {
        count_blanks(&self.text)
    }

    /// Back to the raw input shape (for editing, export and round trips).
    pub fn to_input(&self) -> QuestionInput {
        QuestionInput {
            question_type: self.question_type,
            text: self.text.clone(),
            options: self
                .question_type
                .has_options()
                .then(|| self.options.clone()),
            correct_answer: self
                .correct_answer
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok()),
            points: self.points,
            difficulty: self.difficulty,
            tags: Some(self.tags.clone()),
            explanation: self.explanation.clone(),
        }
    }
}

/// Byte ranges of the blanks (`___`, runs of three or more underscores) in `text`, in order.
pub fn blank_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'_' {
            let start = i;
            while i < bytes.len() && bytes[i] == b'_' {
                i += 1;
            }
            if i - start >= 3 {
                out.push(start..i);
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Number of blanks (`___`, three or more underscores) in `text`.
pub fn count_blanks(text: &str) -> usize {
    blank_ranges(text).len()
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Validates a raw question. Returns every problem found, each with its field path.
///
/// Rules: text non-empty and at most 20,000 characters; points finite, `> 0`, `<= 1000`;
/// at most 20 options, each non-empty; tags trimmed, non-empty, without control characters,
/// at most 100 characters, at most
/// 32 after de-duplication; explanation at most 20,000 characters. Per type:
/// single_choice >= 2 options and an index in range; multiple_select >= 2 options, >= 1 correct,
/// indexes in range and unique; true_false, short_answer, numeric, fill_blank and essay take no
/// options; short_answer >= 1 non-empty accepted answer; numeric finite value, finite tolerance
/// `>= 0` (default 0); fill_blank one list of >= 1 non-empty accepted answers per `___` in the
/// text; essay no key (absent or null).
pub fn validate(input: QuestionInput) -> Result<Question, Vec<FieldError>> {
    let mut errs = Vec::new();
    let qt = input.question_type;

    let text = input.text.trim().to_owned();
    if text.is_empty() {
        errs.push(FieldError::new("text", "must not be empty"));
    } else if chars(&text) > MAX_TEXT_CHARS {
        errs.push(FieldError::new(
            "text",
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }

    if !input.points.is_finite() || input.points <= 0.0 || input.points > MAX_POINTS {
        errs.push(FieldError::new(
            "points",
            format!("must be greater than 0 and at most {MAX_POINTS}"),
        ));
    }

    let options: Vec<String> = input
        .options
        .unwrap_or_default()
        .into_iter()
        .map(|o| o.trim().to_owned())
        .collect();
    if qt.has_options() {
        if options.len() < 2 {
            errs.push(FieldError::new("options", "needs at least 2 options"));
        } else if options.len() > MAX_OPTIONS {
            errs.push(FieldError::new(
                "options",
                format!("at most {MAX_OPTIONS} options"),
            ));
        }
        for (i, o) in options.iter().enumerate() {
            if o.is_empty() {
                errs.push(FieldError::new(format!("options.{i}"), "must not be empty"));
            } else if chars(o) > MAX_OPTION_CHARS {
                errs.push(FieldError::new(
                    format!("options.{i}"),
                    format!("must be at most {MAX_OPTION_CHARS} characters"),
                ));
            }
        }
    } else if !options.is_empty() {
        errs.push(FieldError::new(
            "options",
            format!("not allowed for {}", qt.name()),
        ));
    }

    let mut tags: Vec<String> = Vec::new();
    for (i, t) in input.tags.unwrap_or_default().iter().enumerate() {
        let t = t.trim();
        if t.is_empty() {
            errs.push(FieldError::new(format!("tags.{i}"), "must not be empty"));
        } else if t.contains(char::is_control) {
            errs.push(FieldError::new(
                format!("tags.{i}"),
                "must not contain control characters",
            ));
        } else if chars(t) > MAX_TAG_CHARS {
            errs.push(FieldError::new(
                format!("tags.{i}"),
                format!("must be at most {MAX_TAG_CHARS} characters"),
            ));
        } else if !tags.iter().any(|x| x == t) {
            tags.push(t.to_owned());
        }
    }
    if tags.len() > MAX_TAGS {
        errs.push(FieldError::new("tags", format!("at most {MAX_TAGS} tags")));
    }

    let explanation = input
        .explanation
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    if explanation
        .as_deref()
        .is_some_and(|e| chars(e) > MAX_OPTION_CHARS)
    {
        errs.push(FieldError::new(
            "explanation",
            format!("must be at most {MAX_OPTION_CHARS} characters"),
        ));
    }

    let key = crate::content::key::parse_key(
        qt,
        options.len(),
        count_blanks(&text),
        input.correct_answer.as_ref(),
        &mut errs,
    );

    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Question {
        question_type: qt,
        text,
        options: if qt.has_options() {
            options
        } else {
            Vec::new()
        },
        correct_answer: key,
        points: input.points,
        difficulty: input.difficulty,
        tags,
        explanation,
    })
}
