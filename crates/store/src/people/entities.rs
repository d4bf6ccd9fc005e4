//! Tables owned by people (m0017): personal profiles, instructor profiles,
//! company profiles and API keys. Lists and preferences are JSON text.

pub mod profile {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "profiles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub bio: Option<String>,
        pub phone: Option<String>,
        pub time_zone: Option<String>,
        pub locale: Option<String>,
        /// JSON array of strings.
        pub skills: String,
        /// JSON array of strings.
        pub languages: String,
        pub location: Option<String>,
        pub linkedin: Option<String>,
        pub github: Option<String>,
        pub website: Option<String>,
        /// JSON object.
        pub preferences: String,
        /// The blob key of the avatar, and its content type.
        pub avatar_key: Option<String>,
        pub avatar_type: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod instructor_profile {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "instructor_profiles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub specializations: String,
        pub certifications: String,
        pub years_of_experience: Option<i32>,
        pub is_verified: bool,
        pub verified_at: Option<DateTimeUtc>,
        pub verified_by: Option<Uuid>,
        pub verified_org_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod company_profile {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "company_profiles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub company_name: String,
        pub industry: Option<String>,
        pub company_size: Option<String>,
        pub website: Option<String>,
        pub description: Option<String>,
        pub address: Option<String>,
        pub country: Option<String>,
        pub logo_key: Option<String>,
        pub logo_type: Option<String>,
        pub updated_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub name: String,
        /// The first characters of the secret, to recognise it in a list.
        pub prefix: String,
        /// SHA-256 of the secret, hex. The secret itself is never stored.
        pub hash: String,
        /// JSON array of role names.
        pub roles: String,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub expires_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
