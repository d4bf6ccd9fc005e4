//! Request and response bodies of the practice routes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::practice::{
    AnswerEvaluation, Difficulty, ExpectedPoint, MessageRole, OverallEvaluation, PracticeStatus,
    Question, QuestionScore,
};
use invigil_store::practice::{PracticeMessage, PracticeSession, Scenario};

/// One point a good answer makes, and the keywords that show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticePointBody {
    /// What the point is (shown in feedback), 1 to 500 characters.
    pub text: String,
    /// 1 to 20 keywords; every one must occur (whole words, case and
    /// accents ignored). `|` separates synonyms, a final `*` makes a
    /// prefix: `["index*", "b-tree|btree"]`.
    pub keywords: Vec<String>,
    /// Its share of the question's score (default 1), more than 0, at most 100.
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// An interview question with its rubric.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeQuestionBody {
    /// The question asked, 1 to 2000 characters.
    pub prompt: String,
    /// 1 to 20 points.
    pub expected_points: Vec<PracticePointBody>,
    /// The most an answer scores, more than 0, at most 1000.
    pub max_score: f64,
    /// A model answer (shown after the session), at most 8000 characters.
    #[serde(default)]
    pub model_answer: Option<String>,
}

impl From<&Question> for PracticeQuestionBody {
    fn from(q: &Question) -> Self {
        PracticeQuestionBody {
            prompt: q.prompt.clone(),
            expected_points: q
                .expected_points
                .iter()
                .map(|p: &ExpectedPoint| PracticePointBody {
                    text: p.text.clone(),
                    keywords: p.keywords.clone(),
                    weight: p.weight,
                })
                .collect(),
            max_score: q.max_score,
            model_answer: q.model_answer.clone(),
        }
    }
}

/// Create or replace a practice scenario.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioBody {
    /// 1 to 200 characters.
    pub title: String,
    /// 1 to 100 characters (e.g. "Databases").
    pub topic: String,
    #[schema(value_type = String, example = "MEDIUM")]
    pub difficulty: Difficulty,
    /// Learners see and start published scenarios only.
    #[serde(default)]
    pub published: bool,
    /// 1 to 50 questions, asked in this order.
    pub questions: Vec<PracticeQuestionBody>,
}

/// `?published=true` lists only published scenarios (learners always get
/// only those).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScenarioQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    pub published: Option<bool>,
}

/// A practice scenario; its questions and rubric only for its authors.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScenarioView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub title: String,
    pub topic: String,
    #[schema(value_type = String, example = "MEDIUM")]
    pub difficulty: Difficulty,
    pub published: bool,
    pub question_count: usize,
    /// Authors only (learners would read the expected answers).
    pub questions: Option<Vec<PracticeQuestionBody>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ScenarioView {
    pub fn of(s: &Scenario, with_questions: bool) -> Self {
        ScenarioView {
            id: s.id,
            org_id: s.org_id,
            title: s.title.clone(),
            topic: s.topic.clone(),
            difficulty: s.difficulty,
            published: s.published,
            question_count: s.questions.0.len(),
            questions: with_questions.then(|| {
                s.questions
                    .0
                    .iter()
                    .map(PracticeQuestionBody::from)
                    .collect()
            }),
            created_by: s.created_by,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Start a practice session.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeStartBody {
    pub scenario_id: Uuid,
}

/// An answer to the current question.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeAnswerBody {
    /// The answer, 1 byte to 8 KiB, no control characters but tab and
    /// line breaks.
    pub content: String,
    /// The question answered (0-based); when given and not the current
    /// one, 409 `out_of_order` (a stale page or a replay).
    #[serde(default)]
    pub question_index: Option<i32>,
}

/// One answer's score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeAnswerEvaluationView {
    pub score: f64,
    pub max: f64,
    pub feedback: String,
    pub matched_points: Vec<String>,
    pub missing_points: Vec<String>,
}

impl From<&AnswerEvaluation> for PracticeAnswerEvaluationView {
    fn from(e: &AnswerEvaluation) -> Self {
        PracticeAnswerEvaluationView {
            score: e.score,
            max: e.max,
            feedback: e.feedback.clone(),
            matched_points: e.matched_points.clone(),
            missing_points: e.missing_points.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeQuestionScoreView {
    pub question_index: usize,
    pub score: f64,
    pub max: f64,
}

impl From<&QuestionScore> for PracticeQuestionScoreView {
    fn from(s: &QuestionScore) -> Self {
        PracticeQuestionScoreView {
            question_index: s.question_index,
            score: s.score,
            max: s.max,
        }
    }
}

/// A finished session's evaluation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeOverallView {
    pub scores: Vec<PracticeQuestionScoreView>,
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
    /// 0 to 100.
    pub overall_score: u8,
}

impl From<&OverallEvaluation> for PracticeOverallView {
    fn from(o: &OverallEvaluation) -> Self {
        PracticeOverallView {
            scores: o.scores.iter().map(Into::into).collect(),
            strengths: o.strengths.clone(),
            improvements: o.improvements.clone(),
            overall_score: o.overall_score,
        }
    }
}

/// A message of the conversation: a question (ASSISTANT) or an answer
/// (USER, with its evaluation).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeMessageView {
    pub seq: i32,
    #[schema(value_type = String, example = "ASSISTANT")]
    pub role: MessageRole,
    pub question_index: i32,
    pub content: String,
    pub evaluation: Option<PracticeAnswerEvaluationView>,
    pub created_at: DateTime<Utc>,
}

impl From<&PracticeMessage> for PracticeMessageView {
    fn from(m: &PracticeMessage) -> Self {
        PracticeMessageView {
            seq: m.seq,
            role: m.role,
            question_index: m.question_index,
            content: m.content.clone(),
            evaluation: m.evaluation.as_ref().map(|e| (&e.0).into()),
            created_at: m.created_at,
        }
    }
}

/// A practice session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub scenario_id: Uuid,
    pub title: String,
    pub topic: String,
    #[schema(value_type = String, example = "MEDIUM")]
    pub difficulty: Difficulty,
    /// ACTIVE, COMPLETED or ABANDONED.
    #[schema(value_type = String, example = "ACTIVE")]
    pub status: PracticeStatus,
    pub question_count: usize,
    /// The question the next answer is for (while ACTIVE).
    pub current_question_index: Option<i32>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<i64>,
    /// Each answered question's score (kept after the transcript goes).
    pub scores: Vec<PracticeQuestionScoreView>,
    pub overall_score: Option<i32>,
    pub evaluation: Option<PracticeOverallView>,
    /// The messages were deleted (retention or erasure).
    pub transcript_purged: bool,
    /// The conversation (one session's view; empty in lists).
    pub messages: Vec<PracticeMessageView>,
    /// Model answers, once the session is COMPLETED (one session's view).
    pub model_answers: Vec<Option<String>>,
}

impl SessionView {
    pub fn of(s: &PracticeSession, messages: &[PracticeMessage]) -> Self {
        let done = s.status == PracticeStatus::Completed;
        SessionView {
            id: s.id,
            org_id: s.org_id,
            scenario_id: s.scenario_id,
            title: s.title.clone(),
            topic: s.topic.clone(),
            difficulty: s.difficulty,
            status: s.status,
            question_count: s.questions.0.len(),
            current_question_index: (s.status == PracticeStatus::Active).then_some(s.next_index),
            started_at: s.started_at,
            ended_at: s.ended_at,
            duration_secs: s.duration_secs,
            scores: s.scores.0.iter().map(Into::into).collect(),
            overall_score: s.overall_score,
            evaluation: s.evaluation.as_ref().map(|e| (&e.0).into()),
            transcript_purged: s.purged_at.is_some(),
            messages: messages.iter().map(Into::into).collect(),
            model_answers: if done && !messages.is_empty() {
                s.questions
                    .0
                    .iter()
                    .map(|q| q.model_answer.clone())
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// A badge earned.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeBadgeView {
    /// FIRST_EXAM, FIRST_PRACTICE, TEN_PRACTICES, STREAK_7, STREAK_30,
    /// PERFECT_SCORE, COURSE_COMPLETED.
    pub id: String,
    pub name: String,
    pub earned_at: DateTime<Utc>,
}

/// What was done on one (UTC) day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeDayView {
    pub date: NaiveDate,
    pub exams: u32,
    pub practices: u32,
    pub lectures: u32,
}

/// A learner's progress, computed from what they did (UTC days).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LearnerProgressView {
    pub current_streak: u32,
    pub longest_streak: u32,
    pub last_activity_date: Option<NaiveDate>,
    pub points: u64,
    /// beginner, intermediate or advanced.
    pub level: String,
    pub badges: Vec<PracticeBadgeView>,
    /// The last 90 days, oldest first, ending today.
    pub days: Vec<PracticeDayView>,
}
