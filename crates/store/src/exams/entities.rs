//! Tables owned by exams: exam types, exams, enrollments.

pub mod exam_type {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "exam_types")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub code: String,
        pub name: String,
        pub default_weight: f64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod exam {
    use invigil_domain::exams::{ExamStatus, Sensitivity};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exams")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub department_id: Option<Uuid>,
        pub title: String,
        pub description: Option<String>,
        pub status: ExamStatus,
        /// Fixed source: every active question of this bank.
        pub question_bank_id: Option<Uuid>,
        /// Draw source: JSON array of `{bank_id, count, difficulty?, tags?}`.
        pub draw_rules: Option<String>,
        pub duration_minutes: i32,
        pub passing_score: i32,
        pub max_attempts: i32,
        pub scheduled_start_at: Option<DateTimeUtc>,
        pub scheduled_end_at: Option<DateTimeUtc>,
        pub randomize_questions: bool,
        pub randomize_options: bool,
        pub enable_proctoring: bool,
        pub proctoring_sensitivity: Sensitivity,
        pub exam_type_id: Option<Uuid>,
        pub results_released_at: Option<DateTimeUtc>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod enrollment {
    use invigil_domain::exams::EnrollmentStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "enrollments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub exam_id: Uuid,
        pub user_id: Uuid,
        pub status: EnrollmentStatus,
        pub attempts_used: i32,
        pub override_window_start: Option<DateTimeUtc>,
        pub override_window_end: Option<DateTimeUtc>,
        pub override_duration_minutes: Option<i32>,
        pub override_max_attempts: Option<i32>,
        pub override_extra_time_percent: Option<i32>,
        pub invited_at: DateTimeUtc,
        pub accepted_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
