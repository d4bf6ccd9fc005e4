//! Tables owned by single sign-on and self sign-up (m0018): sso_configs,
//! sign_up_settings, sso_states, accounts.

pub mod sso_config {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sso_configs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub issuer_url: String,
        pub client_id: String,
        /// Base64 of the AES-GCM nonce of `secret_sealed`.
        pub secret_nonce: String,
        /// Base64 of the sealed client secret (ciphertext and tag).
        pub secret_sealed: String,
        pub display_name: String,
        pub enabled: bool,
        /// JSON array of lower-case domains; empty: every domain.
        pub allowed_domains: String,
        pub updated_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sign_up_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sign_up_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub enabled: bool,
        /// JSON array of lower-case domains; empty: every domain.
        pub allowed_domains: String,
        pub updated_by: Uuid,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sso_state {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sso_states")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// SHA-256 (hex) of the `state` parameter.
        pub state_hash: String,
        pub org_id: Uuid,
        pub nonce: String,
        pub pkce_verifier: String,
        pub next_path: Option<String>,
        pub expires_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        /// The organization whose SSO configuration linked it.
        pub org_id: Uuid,
        /// Always `oidc` for now.
        #[sea_orm(column_name = "type")]
        pub kind: String,
        /// The provider's issuer URL.
        pub provider: String,
        /// The provider's `sub` for the person.
        pub provider_account_id: String,
        pub created_at: DateTimeUtc,
        pub last_login_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
