//! JSON shapes of banks, questions and versions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::{
    BankStatus, Difficulty, Question, QuestionStatus, QuestionType, render_markdown_safe,
};
use invigil_store::content::{Bank, QuestionRow, Version};

use crate::http::error::ApiError;
use crate::http::page::Page;

#[derive(Debug, Serialize, ToSchema)]
pub struct BankView {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// DRAFT, IN_REVIEW, APPROVED, REJECTED or ARCHIVED.
    #[schema(value_type = String)]
    pub status: BankStatus,
    pub department_id: Option<Uuid>,
    pub author_id: Uuid,
    pub reject_reason: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<Bank> for BankView {
    type Error = ApiError;

    fn try_from(b: Bank) -> Result<Self, ApiError> {
        Ok(BankView {
            id: b.id,
            tags: b.tags()?,
            title: b.title,
            description: b.description,
            status: b.status,
            department_id: b.department_id,
            author_id: b.author_id,
            reject_reason: b.reject_reason,
            reviewed_by: b.reviewed_by,
            reviewed_at: b.reviewed_at,
            created_at: b.created_at,
            updated_at: b.updated_at,
        })
    }
}

/// A question for staff: the current version, with its answer key and a
/// safely rendered HTML copy of the Markdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: Uuid,
    pub bank_id: Uuid,
    pub version: i32,
    /// ACTIVE or RETIRED.
    #[schema(value_type = String)]
    pub status: QuestionStatus,
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub question_type: QuestionType,
    pub text: String,
    pub text_html: String,
    pub options: Vec<String>,
    pub options_html: Vec<String>,
    /// The key in the shape of `type`; `null` for essay.
    #[schema(value_type = Option<CorrectAnswer>)]
    pub correct_answer: serde_json::Value,
    pub points: f64,
    #[schema(value_type = String)]
    pub difficulty: Difficulty,
    pub tags: Vec<String>,
    pub explanation: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The question of a stored version, `None` when it does not decode. Kept
/// for delivery's callers; content reads [`Version::question`], which says
/// why a row does not decode.
pub fn parse_body(v: &Version) -> Option<Question> {
    v.question().ok()
}

impl QuestionView {
    pub fn new(row: &QuestionRow, v: &Version) -> Result<QuestionView, ApiError> {
        let q = v.question()?;
        Ok(QuestionView {
            id: row.id,
            bank_id: row.bank_id,
            version: v.version,
            status: row.status,
            question_type: q.question_type(),
            text_html: render_markdown_safe(q.text()),
            text: q.text().to_owned(),
            options_html: q
                .options()
                .iter()
                .map(|o| render_markdown_safe(o))
                .collect(),
            options: q.options().to_vec(),
            correct_answer: serde_json::to_value(q.correct_answer())
                .unwrap_or(serde_json::Value::Null),
            points: q.points(),
            difficulty: q.difficulty(),
            tags: q.tags().to_vec(),
            explanation: q.explanation().map(str::to_owned),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// The question as it was at this version (API shape).
    #[schema(value_type = StoredQuestion)]
    pub question: serde_json::Value,
}

impl TryFrom<Version> for VersionView {
    type Error = ApiError;

    fn try_from(v: Version) -> Result<Self, ApiError> {
        Ok(VersionView {
            question: v.body_json()?,
            version: v.version,
            created_by: v.created_by,
            created_at: v.created_at,
        })
    }
}

/// A page whose rows may fail to convert (a stored row that does not
/// decode): the first failure fails the page.
pub fn try_page<T>(page: Page<Result<T, ApiError>>) -> Result<Page<T>, ApiError> {
    Ok(Page {
        items: page.items.into_iter().collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    })
}

/// The page of a filter no row can match.
pub fn empty_page<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next_cursor: None,
    }
}

/// A list filter given by name: `Some(None)` when none was given,
/// `Some(Some(v))` for a known name, `None` for a name no row can have (the
/// list is then empty, as it was when the filter compared text).
pub fn name_filter<T>(given: Option<&str>, parse: fn(&str) -> Option<T>) -> Option<Option<T>> {
    given.map_or(Some(None), |name| parse(name).map(Some))
}

// ---- Request and answer shapes for the OpenAPI document.
//
// The handlers parse question bodies and candidate responses with the
// domain's own validators (which name the failing field, e.g.
// `correct_answer.option`); the types below only describe those shapes so a
// client can be generated from the document. They are never constructed.

/// Question difficulty.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DifficultyName {
    Easy,
    Medium,
    Hard,
}

/// The seven question types.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionTypeName {
    SingleChoice,
    MultipleSelect,
    TrueFalse,
    ShortAnswer,
    Numeric,
    FillBlank,
    Essay,
}

/// single_choice key: the 0-based index of the correct option.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SingleChoiceKey {
    pub option: u32,
}

/// multiple_select key: the 0-based indexes of the correct options (at least one).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MultipleSelectKey {
    #[schema(min_items = 1)]
    pub options: Vec<u32>,
}

/// true_false key.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrueFalseKey {
    pub value: bool,
}

/// short_answer key: accepted answers (surrounding whitespace never counts).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShortAnswerKey {
    #[schema(min_items = 1, max_items = 100)]
    pub accepted: Vec<String>,
    /// Default false.
    pub case_sensitive: Option<bool>,
}

/// numeric key: correct when `|answer - value| <= tolerance`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumericKey {
    pub value: f64,
    /// At least 0; default 0.
    #[schema(minimum = 0.0)]
    pub tolerance: Option<f64>,
}

/// fill_blank key: one list of accepted answers per `___` in the text, in order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FillBlankKey {
    #[schema(min_items = 1, max_items = 100)]
    pub blanks: Vec<Vec<String>>,
}

/// The answer key, by question type (essay has none: omitted or `null`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CorrectAnswer {
    SingleChoice(SingleChoiceKey),
    MultipleSelect(MultipleSelectKey),
    TrueFalse(TrueFalseKey),
    ShortAnswer(ShortAnswerKey),
    Numeric(NumericKey),
    FillBlank(FillBlankKey),
}

/// A new question, by `type`. `points` defaults to 1 (0 < points <= 1000),
/// `difficulty` to MEDIUM; options are Markdown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionBody {
    SingleChoice {
        text: String,
        /// 2 to 20 options.
        #[schema(min_items = 2, max_items = 20)]
        options: Vec<String>,
        correct_answer: SingleChoiceKey,
        points: Option<f64>,
        difficulty: Option<DifficultyName>,
        tags: Option<Vec<String>>,
        explanation: Option<String>,
    },
    MultipleSelect {
        text: String,
        #[schema(min_items = 2, max_items = 20)]
        options: Vec<String>,
        correct_answer: MultipleSelectKey,
        points: Option<f64>,
        difficulty: Option<DifficultyName>,
        tags: Option<Vec<String>>,
        explanation: Option<String>,
    },
    TrueFalse {
        text: String,
        correct_answer: TrueFalseKey,
        points: Option<f64>,
        difficulty: Option<DifficultyName>,
        tags: Option<Vec<String>>,
        explanation: Option<String>,
    },
    ShortAnswer {
        text: String,
        correct_answer: ShortAnswerKey,
        points: Option<f64>,
        difficulty: Option<DifficultyName>,
        tags: Option<Vec<String>>,
        explanation: Option<String>,
    },
    Numeric {
        text: String,
        correct_answer: NumericKey,
        points: Option<f64>,
        difficulty: Option<DifficultyName>,
        tags: Option<Vec<String>>,
        explanation: Option<String>,
    },
    FillBlank {
        /// Marks each blank with `___` (three or more underscores).
        #[schema(pattern = "_{3,}")]
        text: String,
        correct_answer: FillBlankKey,
        points: Option<f64>,
        difficulty: Option<DifficultyName>,
        tags: Option<Vec<String>>,
        explanation: Option<String>,
    },
    Essay {
        text: String,
        points: Option<f64>,
        difficulty: Option<DifficultyName>,
        tags: Option<Vec<String>>,
        explanation: Option<String>,
    },
}

/// A question edit: the given fields replace the current ones (the result
/// is validated like a new question and stored as a new version).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionPatch {
    #[serde(rename = "type")]
    pub question_type: Option<QuestionTypeName>,
    pub text: Option<String>,
    pub options: Option<Vec<String>>,
    pub correct_answer: Option<CorrectAnswer>,
    pub points: Option<f64>,
    pub difficulty: Option<DifficultyName>,
    pub tags: Option<Vec<String>>,
    pub explanation: Option<String>,
}

/// A stored question version in the API shape (`options` only for choice
/// types, `correct_answer` null for essay).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredQuestion {
    #[serde(rename = "type")]
    pub question_type: QuestionTypeName,
    pub text: String,
    pub options: Option<Vec<String>>,
    pub correct_answer: Option<CorrectAnswer>,
    pub points: f64,
    pub difficulty: DifficultyName,
    pub tags: Vec<String>,
    pub explanation: Option<String>,
}

/// `{"option": i}` (single_choice), an index of the options as served.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionResponse {
    pub option: u32,
}

/// `{"options": [i..]}` (multiple_select), indexes of the options as served.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionsResponse {
    pub options: Vec<u32>,
}

/// `{"value": bool}` (true_false).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoolResponse {
    pub value: bool,
}

/// `{"text": s}` (short_answer and essay).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextResponse {
    pub text: String,
}

/// `{"value": x}` (numeric).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberResponse {
    pub value: f64,
}

/// `{"blanks": [s..]}` (fill_blank), one string per blank in order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlanksResponse {
    pub blanks: Vec<String>,
}

/// A candidate's answer, in the shape of the question's type.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AnswerResponse {
    Option(OptionResponse),
    Options(OptionsResponse),
    Bool(BoolResponse),
    Text(TextResponse),
    Number(NumberResponse),
    Blanks(BlanksResponse),
}
