//! Tables owned by files.

pub mod file {
    use invigil_domain::files::FileKind;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "files")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub uploaded_by: Uuid,
        pub kind: FileKind,
        pub entity_type: Option<String>,
        pub entity_id: Option<Uuid>,
        pub original_name: String,
        pub content_type: String,
        pub size: i64,
        /// Hex SHA-256 of the bytes (the download's ETag).
        pub sha256: String,
        /// The blob's key in the files store (`<org>/<id>`).
        pub storage_key: String,
        pub created_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
