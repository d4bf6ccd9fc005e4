//! Tables owned by payments.

pub mod payment {
    use invigil_domain::payments::{PaymentStatus, ProviderKind, PurposeKind};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub payer_user_id: Uuid,
        pub purpose_kind: PurposeKind,
        pub purpose_id: Uuid,
        pub payee_user_id: Option<Uuid>,
        pub amount: i64,
        pub currency: String,
        pub refunded_amount: i64,
        pub status: PaymentStatus,
        pub provider: ProviderKind,
        pub provider_ref: Option<String>,
        pub reference: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub completed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refund {
    use invigil_domain::payments::RefundStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_refunds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub payment_id: Uuid,
        pub amount: i64,
        pub reason: String,
        pub status: RefundStatus,
        pub provider_ref: Option<String>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod payout {
    use invigil_domain::payments::{PayoutMethod, PayoutStatus};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payouts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub payee_user_id: Uuid,
        pub amount: i64,
        pub currency: String,
        pub status: PayoutStatus,
        pub method: PayoutMethod,
        pub reference: Option<String>,
        pub period: Option<String>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub paid_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan {
    use invigil_domain::payments::subscription::PlanInterval;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_plans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub code: String,
        pub name: String,
        pub price: i64,
        pub currency: String,
        pub interval: PlanInterval,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod subscription {
    use invigil_domain::payments::ProviderKind;
    use invigil_domain::payments::subscription::SubscriptionStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "subscriptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub user_id: Uuid,
        pub plan_id: Uuid,
        pub status: SubscriptionStatus,
        pub current_period_start: Option<DateTimeUtc>,
        pub current_period_end: Option<DateTimeUtc>,
        pub cancel_at_period_end: bool,
        pub provider: ProviderKind,
        pub provider_ref: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub provider: String,
        pub event_id: String,
        pub event_type: String,
        pub org_id: Option<Uuid>,
        pub outcome: String,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
