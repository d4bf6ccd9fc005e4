//! Tables owned by courses (seed 004).

pub mod category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub parent_id: Option<Uuid>,
        pub name: String,
        pub slug: String,
        pub description: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod course {
    use invigil_domain::courses::{CourseLevel, CourseStatus, Pricing};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "courses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub category_id: Option<Uuid>,
        pub title: String,
        pub slug: String,
        pub description: String,
        pub level: CourseLevel,
        pub language: String,
        pub pricing: Pricing,
        pub price_minor: i64,
        pub currency: Option<String>,
        pub status: CourseStatus,
        pub max_students: Option<i32>,
        pub requires_final_pass: bool,
        /// JSON array of strings.
        pub what_you_learn: String,
        /// JSON array of strings.
        pub requirements: String,
        /// JSON array of strings.
        pub tags: String,
        pub published_at: Option<DateTimeUtc>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod instructor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_instructors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub course_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub org_id: Uuid,
        pub added_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod chapter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_chapters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub course_id: Uuid,
        pub title: String,
        pub description: Option<String>,
        pub sort_order: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod lecture {
    use invigil_domain::courses::LectureKind;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_lectures")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub course_id: Uuid,
        pub chapter_id: Uuid,
        pub title: String,
        pub description: Option<String>,
        pub kind: LectureKind,
        pub body: Option<String>,
        pub file_id: Option<Uuid>,
        pub duration_seconds: i32,
        pub is_preview: bool,
        pub is_downloadable: bool,
        pub sort_order: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod enrollment {
    use invigil_domain::courses::{CourseEnrollmentStatus, EnrollmentSource};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_enrollments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub course_id: Uuid,
        pub user_id: Uuid,
        pub source: EnrollmentSource,
        pub status: CourseEnrollmentStatus,
        pub payment_id: Option<Uuid>,
        pub enrolled_at: DateTimeUtc,
        pub expires_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub progress_percent: i32,
        pub last_activity_at: Option<DateTimeUtc>,
        pub last_lecture_id: Option<Uuid>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod progress {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "lecture_progress")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub enrollment_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub lecture_id: Uuid,
        pub org_id: Uuid,
        pub course_id: Uuid,
        pub user_id: Uuid,
        pub position_seconds: i32,
        pub completed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod review {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_reviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub course_id: Uuid,
        pub user_id: Uuid,
        pub rating: i32,
        pub comment: Option<String>,
        pub hidden_at: Option<DateTimeUtc>,
        pub hidden_reason: Option<String>,
        pub hidden_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod assessment {
    use invigil_domain::courses::TestType;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_assessments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub course_id: Uuid,
        pub chapter_id: Uuid,
        pub exam_id: Uuid,
        pub test_type: TestType,
        pub show_result: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
