//! Tables owned by certificates: exam_certificate_settings, certificates.

pub mod setting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exam_certificate_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub exam_id: Uuid,
        pub org_id: Uuid,
        pub enabled: bool,
        pub title: Option<String>,
        pub valid_for_days: Option<i32>,
        pub show_score: bool,
        pub updated_by: Uuid,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod certificate {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub exam_id: Uuid,
        pub user_id: Uuid,
        pub session_id: Uuid,
        pub code: String,
        pub title: String,
        pub holder_name: String,
        pub score: f64,
        pub max_score: f64,
        pub percent: f64,
        /// JSON: `[{"name": .., "score": .., "max_score": ..}]`.
        pub skills: String,
        pub issued_at: DateTimeUtc,
        pub valid_until: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        /// `None` with `revoked_at` set: revoked automatically by a later
        /// decision or regrade.
        pub revoked_by: Option<Uuid>,
        pub revoke_reason: Option<String>,
        pub published: bool,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
