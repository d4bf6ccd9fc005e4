//! Tables owned by content.

pub mod bank {
    use invigil_domain::content::BankStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "question_banks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub department_id: Option<Uuid>,
        pub title: String,
        pub description: Option<String>,
        /// JSON array of strings.
        pub tags: String,
        pub status: BankStatus,
        pub author_id: Uuid,
        pub reject_reason: Option<String>,
        pub reviewed_by: Option<Uuid>,
        pub reviewed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Moved on by every change of this row: what a cached question
        /// pool is checked against (`delivery::pool` in the server).
        pub revision: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod editor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bank_editors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub bank_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub org_id: Uuid,
        pub first_edit_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod question {
    use invigil_domain::content::{Difficulty, QuestionStatus, QuestionType};
    use sea_orm::entity::prelude::*;

    /// A question's identity and the searchable copy of its current version.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "questions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub bank_id: Uuid,
        pub current_version: i32,
        pub status: QuestionStatus,
        pub question_type: QuestionType,
        pub difficulty: Difficulty,
        /// JSON array of strings.
        pub tags: String,
        /// Lower-cased text, options and tags, for `?q=`.
        pub search_text: String,
        pub points: f64,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod version {
    use sea_orm::entity::prelude::*;

    /// An immutable version: never updated, never deleted.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "question_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub question_id: Uuid,
        pub version: i32,
        /// The validated question as JSON (the API shape).
        pub body: String,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
