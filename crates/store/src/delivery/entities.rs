//! Tables owned by delivery: exam sessions, their served questions, answers
//! and proctor actions. Status-like columns hold domain enums (a row with an
//! unknown value is a read error); JSON kept in TEXT columns decodes strictly
//! through [`OptionOrder`] and [`StoredResponse`].

use sea_orm::DeriveValueType;

/// A served question's option permutation (`order[served] = original`),
/// stored as a JSON array in TEXT. A row that does not decode is a read
/// error, never an empty order.
#[derive(Clone, Debug, PartialEq, Eq, Default, DeriveValueType)]
#[sea_orm(
    value_type = "String",
    from_str = "OptionOrder::decode",
    to_str = "OptionOrder::encode"
)]
pub struct OptionOrder(pub Vec<usize>);

impl OptionOrder {
    fn decode(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s).map(OptionOrder)
    }

    fn encode(&self) -> String {
        serde_json::Value::from(self.0.clone()).to_string()
    }
}

/// A candidate's response as sent (JSON in TEXT; `null` for a question
/// graded without a save). A row that does not decode is a read error.
#[derive(Clone, Debug, PartialEq, DeriveValueType)]
#[sea_orm(
    value_type = "String",
    from_str = "StoredResponse::decode",
    to_str = "StoredResponse::encode"
)]
pub struct StoredResponse(pub serde_json::Value);

impl StoredResponse {
    fn decode(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s).map(StoredResponse)
    }

    fn encode(&self) -> String {
        self.0.to_string()
    }
}

pub mod session {
    use invigil_domain::delivery::session::DeliveryStatus;
    use invigil_domain::review::{DecisionType, IntegrityStatus};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "exam_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub exam_id: Uuid,
        pub enrollment_id: Uuid,
        pub user_id: Uuid,
        pub attempt_no: i32,
        pub status: DeliveryStatus,
        /// Integrity (written only by `crate::review`).
        pub integrity_status: IntegrityStatus,
        /// Seed of the question draw and permutations (reproducible).
        pub seed: i64,
        pub started_at: DateTimeUtc,
        pub base_duration_ms: i64,
        pub extra_percent: Option<i32>,
        pub window_end: Option<DateTimeUtc>,
        pub extensions_ms: i64,
        pub paused_total_ms: i64,
        pub paused_since: Option<DateTimeUtc>,
        /// The current deadline while running (NULL while paused or
        /// finished), kept for the auto-submit sweeper's index.
        pub deadline_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        pub device_fingerprint: Option<String>,
        pub last_device_fingerprint: Option<String>,
        pub ip: Option<String>,
        pub objective_score: Option<f64>,
        pub subjective_score: Option<f64>,
        pub final_score: Option<f64>,
        pub max_score: f64,
        pub percent: Option<f64>,
        pub passed: Option<bool>,
        pub pending_manual: i32,
        pub graded_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Review (migration 5; written only by `crate::review`): the
        /// explainable score of the session's flags.
        pub violation_score: i32,
        pub claimed_by: Option<Uuid>,
        pub claimed_at: Option<DateTimeUtc>,
        pub decision: Option<DecisionType>,
        pub decision_notes: Option<String>,
        pub decided_by: Option<Uuid>,
        pub decided_at: Option<DateTimeUtc>,
        pub appeal_text: Option<String>,
        pub appealed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod served {
    use sea_orm::entity::prelude::*;

    use super::OptionOrder;

    /// A question as served in a session: its version, position and option
    /// permutation (`option_order[served] = original`).
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "session_questions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub position: i32,
        pub org_id: Uuid,
        pub question_id: Uuid,
        pub version: i32,
        /// The question type's wire name (`single_choice`); to become
        /// `QuestionType` once content stores it as a column type.
        pub question_type: String,
        /// Original option indexes (empty: served in the original order).
        pub option_order: OptionOrder,
        pub option_count: i32,
        pub blank_count: i32,
        pub points: f64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod answer {
    use invigil_domain::grading::Outcome;
    use sea_orm::entity::prelude::*;

    use super::StoredResponse;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "answers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub question_id: Uuid,
        pub org_id: Uuid,
        /// The candidate's response as sent (served option indexes).
        pub response: StoredResponse,
        pub revision: i64,
        pub latency_ms: Option<i64>,
        pub saved_at: DateTimeUtc,
        pub points_awarded: Option<f64>,
        pub outcome: Option<Outcome>,
        pub graded_version: Option<i32>,
        pub graded_by: Option<Uuid>,
        pub grader_comment: Option<String>,
        pub graded_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod admin_action {
    use invigil_domain::review::AdminActionType;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_actions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub session_id: Uuid,
        pub actor_id: Uuid,
        pub action_type: AdminActionType,
        pub reason: String,
        pub minutes: Option<i32>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
