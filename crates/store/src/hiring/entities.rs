//! Tables owned by hiring (m0020): job_postings, job_applications,
//! candidate_views.

pub mod job_posting {
    use invigil_domain::hiring::{ExperienceLevel, PostingStatus};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_postings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub title: String,
        pub description: String,
        /// A JSON array of strings.
        pub requirements: String,
        /// A JSON array of strings.
        pub required_skills: String,
        pub experience_level: ExperienceLevel,
        pub location: Option<String>,
        pub salary: Option<String>,
        pub status: PostingStatus,
        pub exam_id: Uuid,
        /// Lower-cased title, description, skills and location (search).
        pub search_text: String,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod job_application {
    use invigil_domain::hiring::ApplicationStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_applications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub posting_id: Uuid,
        pub user_id: Uuid,
        pub status: ApplicationStatus,
        /// The applicant lets the company see their result and details;
        /// withdrawing takes it back.
        pub consent: bool,
        pub consented_at: Option<DateTimeUtc>,
        pub cover_note: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub withdrawn_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod candidate_view {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "candidate_views")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub candidate_id: Uuid,
        pub company_user_id: Uuid,
        pub viewed_at: DateTimeUtc,
        pub notes: Option<String>,
        pub is_interested: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
