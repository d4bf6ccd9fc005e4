//! JSON shapes of banks, questions and versions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::{Question, render_markdown_safe};
use invigil_store::content::{Bank, QuestionRow, Version};

#[derive(Debug, Serialize, ToSchema)]
pub struct BankView {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// DRAFT, IN_REVIEW, APPROVED, REJECTED or ARCHIVED.
    pub status: String,
    pub department_id: Option<Uuid>,
    pub author_id: Uuid,
    pub reject_reason: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Bank> for BankView {
    fn from(b: Bank) -> Self {
        BankView {
            id: b.id,
            tags: serde_json::from_str(&b.tags).unwrap_or_default(),
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
        }
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
    pub status: String,
    #[serde(rename = "type")]
    pub question_type: String,
    pub text: String,
    pub text_html: String,
    pub options: Vec<String>,
    pub options_html: Vec<String>,
    #[schema(value_type = Object)]
    pub correct_answer: serde_json::Value,
    pub points: f64,
    pub difficulty: String,
    pub tags: Vec<String>,
    pub explanation: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn parse_body(v: &Version) -> Option<Question> {
    serde_json::from_str(&v.body).ok()
}

impl QuestionView {
    pub fn new(row: &QuestionRow, v: &Version) -> Option<QuestionView> {
        let q = parse_body(v)?;
        Some(QuestionView {
            id: row.id,
            bank_id: row.bank_id,
            version: v.version,
            status: row.status.clone(),
            question_type: q.question_type().as_str().to_owned(),
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
            difficulty: q.difficulty().as_str().to_owned(),
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
    #[schema(value_type = Object)]
    pub question: serde_json::Value,
}

impl From<Version> for VersionView {
    fn from(v: Version) -> Self {
        VersionView {
            question: serde_json::from_str(&v.body).unwrap_or(serde_json::Value::Null),
            version: v.version,
            created_by: v.created_by,
            created_at: v.created_at,
        }
    }
}
