//! Tables owned by student records: external results.

pub mod external_result {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "external_results")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub user_id: Uuid,
        pub exam_type_id: Uuid,
        pub score: Option<f64>,
        pub max_score: Option<f64>,
        pub passed: Option<bool>,
        pub taken_on: Date,
        pub source: String,
        pub notes: Option<String>,
        pub recorded_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
