//! Payments (seed 004): a provider-agnostic ledger. Payments (what a member
//! paid for: a course or a subscription, by plain uuid, and the instructor
//! who earns a share), their refunds, payouts to instructors, the
//! organization's plans and its members' subscriptions, and the provider
//! events received by webhook (unique on the provider's event id, so a
//! replay changes nothing). Amounts are integers in minor units with an
//! ISO 4217 code. No card data: only the provider's references.
//!
//! `purpose_id` and `payee_user_id` are plain uuid columns: courses live in
//! another module (its tables come with its own migration).

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrgId,
    PayerUserId,
    PurposeKind,
    PurposeId,
    PayeeUserId,
    Amount,
    Currency,
    RefundedAmount,
    Status,
    Provider,
    ProviderRef,
    Reference,
    CreatedAt,
    UpdatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum PaymentRefunds {
    Table,
    Id,
    OrgId,
    PaymentId,
    Amount,
    Reason,
    Status,
    ProviderRef,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payouts {
    Table,
    Id,
    OrgId,
    PayeeUserId,
    Amount,
    Currency,
    Status,
    Method,
    Reference,
    Period,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum PaymentPlans {
    Table,
    Id,
    OrgId,
    Code,
    Name,
    Price,
    Currency,
    Interval,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    OrgId,
    UserId,
    PlanId,
    Status,
    CurrentPeriodStart,
    CurrentPeriodEnd,
    CancelAtPeriodEnd,
    Provider,
    ProviderRef,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    Provider,
    EventId,
    EventType,
    OrgId,
    Outcome,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Payments::Table)
                .col(uuid_pk(Payments::Id))
                .col(uuid(Payments::OrgId))
                .col(uuid(Payments::PayerUserId))
                .col(text(Payments::PurposeKind))
                .col(uuid(Payments::PurposeId))
                .col(uuid_null(Payments::PayeeUserId))
                .col(big(Payments::Amount))
                .col(text(Payments::Currency))
                .col(big(Payments::RefundedAmount))
                .col(text(Payments::Status))
                .col(text(Payments::Provider))
                .col(text_null(Payments::ProviderRef))
                .col(text(Payments::Reference))
                .col(ts(Payments::CreatedAt))
                .col(ts(Payments::UpdatedAt))
                .col(ts_null(Payments::CompletedAt))
                .foreign_key(&mut fk(
                    (Payments::Table, Payments::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    (Payments::Table, Payments::PayerUserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            (
                "ix_payments_org_status",
                vec![Payments::OrgId, Payments::Status],
            ),
            ("ix_payments_payer", vec![Payments::PayerUserId]),
            (
                "ix_payments_payee",
                vec![Payments::OrgId, Payments::PayeeUserId],
            ),
            (
                "ix_payments_purpose",
                vec![Payments::OrgId, Payments::PurposeId],
            ),
        ] {
            let mut idx = Index::create().name(name).table(Payments::Table).to_owned();
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx).await?;
        }
        m.create_index(
            Index::create()
                .name("ux_payments_provider_ref")
                .table(Payments::Table)
                .col(Payments::Provider)
                .col(Payments::ProviderRef)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_payments_reference")
                .table(Payments::Table)
                .col(Payments::Reference)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentRefunds::Table)
                .col(uuid_pk(PaymentRefunds::Id))
                .col(uuid(PaymentRefunds::OrgId))
                .col(uuid(PaymentRefunds::PaymentId))
                .col(big(PaymentRefunds::Amount))
                .col(text(PaymentRefunds::Reason))
                .col(text(PaymentRefunds::Status))
                .col(text_null(PaymentRefunds::ProviderRef))
                .col(uuid_null(PaymentRefunds::CreatedBy))
                .col(ts(PaymentRefunds::CreatedAt))
                .foreign_key(&mut fk(
                    (PaymentRefunds::Table, PaymentRefunds::PaymentId),
                    (Payments::Table, Payments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_payment_refunds_payment")
                .table(PaymentRefunds::Table)
                .col(PaymentRefunds::PaymentId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Payouts::Table)
                .col(uuid_pk(Payouts::Id))
                .col(uuid(Payouts::OrgId))
                .col(uuid(Payouts::PayeeUserId))
                .col(big(Payouts::Amount))
                .col(text(Payouts::Currency))
                .col(text(Payouts::Status))
                .col(text(Payouts::Method))
                .col(text_null(Payouts::Reference))
                .col(text_null(Payouts::Period))
                .col(uuid(Payouts::CreatedBy))
                .col(ts(Payouts::CreatedAt))
                .col(ts(Payouts::UpdatedAt))
                .col(ts_null(Payouts::PaidAt))
                .foreign_key(&mut fk(
                    (Payouts::Table, Payouts::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    (Payouts::Table, Payouts::PayeeUserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_payouts_payee")
                .table(Payouts::Table)
                .col(Payouts::OrgId)
                .col(Payouts::PayeeUserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentPlans::Table)
                .col(uuid_pk(PaymentPlans::Id))
                .col(uuid(PaymentPlans::OrgId))
                .col(text(PaymentPlans::Code))
                .col(text(PaymentPlans::Name))
                .col(big(PaymentPlans::Price))
                .col(text(PaymentPlans::Currency))
                .col(text(PaymentPlans::Interval))
                .col(bool(PaymentPlans::Active))
                .col(ts(PaymentPlans::CreatedAt))
                .col(ts(PaymentPlans::UpdatedAt))
                .foreign_key(&mut fk(
                    (PaymentPlans::Table, PaymentPlans::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_payment_plans_code")
                .table(PaymentPlans::Table)
                .col(PaymentPlans::OrgId)
                .col(PaymentPlans::Code)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Subscriptions::Table)
                .col(uuid_pk(Subscriptions::Id))
                .col(uuid(Subscriptions::OrgId))
                .col(uuid(Subscriptions::UserId))
                .col(uuid(Subscriptions::PlanId))
                .col(text(Subscriptions::Status))
                .col(ts_null(Subscriptions::CurrentPeriodStart))
                .col(ts_null(Subscriptions::CurrentPeriodEnd))
                .col(bool(Subscriptions::CancelAtPeriodEnd))
                .col(text(Subscriptions::Provider))
                .col(text_null(Subscriptions::ProviderRef))
                .col(ts(Subscriptions::CreatedAt))
                .col(ts(Subscriptions::UpdatedAt))
                .foreign_key(&mut fk(
                    (Subscriptions::Table, Subscriptions::PlanId),
                    (PaymentPlans::Table, PaymentPlans::Id),
                ))
                .foreign_key(&mut fk(
                    (Subscriptions::Table, Subscriptions::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_subscriptions_user")
                .table(Subscriptions::Table)
                .col(Subscriptions::UserId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_subscriptions_provider_ref")
                .table(Subscriptions::Table)
                .col(Subscriptions::Provider)
                .col(Subscriptions::ProviderRef)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(WebhookEvents::Table)
                .col(uuid_pk(WebhookEvents::Id))
                .col(text(WebhookEvents::Provider))
                .col(text(WebhookEvents::EventId))
                .col(text(WebhookEvents::EventType))
                .col(uuid_null(WebhookEvents::OrgId))
                .col(text(WebhookEvents::Outcome))
                .col(ts(WebhookEvents::ReceivedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_webhook_events_event")
                .table(WebhookEvents::Table)
                .col(WebhookEvents::Provider)
                .col(WebhookEvents::EventId)
                .unique()
                .to_owned(),
        )
        .await
    }
}
