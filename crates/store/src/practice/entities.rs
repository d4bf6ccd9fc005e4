//! Tables owned by practice: practice_scenarios, practice_sessions,
//! practice_messages. JSON is kept in TEXT and decodes strictly (a row that
//! does not decode is a read error).

use invigil_domain::practice::{AnswerEvaluation, OverallEvaluation, Question, QuestionScore};
use sea_orm::DeriveValueType;

macro_rules! json_text {
    ($(#[$meta:meta])* $name:ident($inner:ty), $dec:literal, $enc:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, DeriveValueType)]
        #[sea_orm(value_type = "String", from_str = $dec, to_str = $enc)]
        pub struct $name(pub $inner);

        impl $name {
            fn decode(s: &str) -> Result<Self, serde_json::Error> {
                serde_json::from_str(s).map($name)
            }

            fn encode(&self) -> String {
                // Serializing these plain structs cannot fail; an empty
                // text would fail to decode on read rather than pass.
                serde_json::to_string(&self.0).unwrap_or_default()
            }
        }
    };
}

json_text!(
    /// A scenario's (or a session's copy of) questions with their rubrics.
    Questions(Vec<Question>),
    "Questions::decode",
    "Questions::encode"
);
json_text!(
    /// A session's per-question scores so far (kept when the transcript goes).
    Scores(Vec<QuestionScore>),
    "Scores::decode",
    "Scores::encode"
);
json_text!(
    /// A finished session's overall evaluation.
    Overall(OverallEvaluation),
    "Overall::decode",
    "Overall::encode"
);
json_text!(
    /// The evaluation of one answer.
    Judgement(AnswerEvaluation),
    "Judgement::decode",
    "Judgement::encode"
);

pub mod scenario {
    use invigil_domain::practice::Difficulty;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "practice_scenarios")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub title: String,
        pub topic: String,
        pub difficulty: Difficulty,
        pub published: bool,
        pub questions: super::Questions,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use invigil_domain::practice::{Difficulty, PracticeStatus};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "practice_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub user_id: Uuid,
        pub scenario_id: Uuid,
        pub title: String,
        pub topic: String,
        pub difficulty: Difficulty,
        pub status: PracticeStatus,
        pub questions: super::Questions,
        /// The question the next answer is for.
        pub next_index: i32,
        pub scores: super::Scores,
        pub evaluation: Option<super::Overall>,
        pub overall_score: Option<i32>,
        pub started_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub duration_secs: Option<i64>,
        /// When the transcript was deleted (retention or erasure).
        pub purged_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod message {
    use invigil_domain::practice::MessageRole;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "practice_messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub session_id: Uuid,
        pub org_id: Uuid,
        /// 0, 1, 2, … in the order of the conversation.
        pub seq: i32,
        pub role: MessageRole,
        pub question_index: i32,
        pub content: String,
        /// An answer's evaluation (USER messages).
        pub evaluation: Option<super::Judgement>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
