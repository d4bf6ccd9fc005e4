//! Payments persistence (seed 004): the ledger of payments and refunds,
//! payouts to instructors, plans and subscriptions, and the provider events
//! received by webhook. Every read of staff takes the organization; the
//! webhook reads by the provider's reference, then works in the row's org.
//!
//! Money checks that span rows run inside one transaction with the rows
//! locked on PostgreSQL (`FOR UPDATE`); SQLite transactions begin
//! IMMEDIATE and are serialized already.

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, Order,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use entities::{payment, payout, plan, refund, subscription, webhook_event};
use invigil_domain::payments::subscription::{PlanInterval, SubscriptionStatus};
use invigil_domain::payments::{
    PaymentStatus, PayoutMethod, PayoutStatus, ProviderKind, PurposeKind, RefundStatus,
};

use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::page::{Keyset, KeysetPage};

pub use payment::Model as Payment;
pub use payout::Model as Payout;
pub use plan::Model as Plan;
pub use refund::Model as Refund;
pub use subscription::Model as Subscription;
pub use webhook_event::Model as WebhookEvent;

fn is_pg<C: ConnectionTrait>(conn: &C) -> bool {
    conn.get_database_backend() == DbBackend::Postgres
}

/// What a new payment records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPayment {
    pub org_id: Uuid,
    pub payer_user_id: Uuid,
    pub purpose_kind: PurposeKind,
    pub purpose_id: Uuid,
    pub payee_user_id: Option<Uuid>,
    pub amount: i64,
    pub currency: String,
    pub provider: ProviderKind,
    /// Our own reference (invoice number), unique.
    pub reference: String,
}

pub async fn insert_payment<C: ConnectionTrait>(
    conn: &C,
    p: &NewPayment,
    now: DateTime<Utc>,
) -> StoreResult<Payment> {
    Ok(payment::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(p.org_id),
        payer_user_id: Set(p.payer_user_id),
        purpose_kind: Set(p.purpose_kind),
        purpose_id: Set(p.purpose_id),
        payee_user_id: Set(p.payee_user_id),
        amount: Set(p.amount),
        currency: Set(p.currency.clone()),
        refunded_amount: Set(0),
        status: Set(PaymentStatus::Pending),
        provider: Set(p.provider),
        provider_ref: Set(None),
        reference: Set(p.reference.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        completed_at: Set(None),
    }
    .insert(conn)
    .await?)
}

/// A payment of the organization, locked until the transaction ends on
/// PostgreSQL when `lock`.
pub async fn payment<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
    lock: bool,
) -> StoreResult<Option<Payment>> {
    let mut q = payment::Entity::find_by_id(id).filter(payment::Column::OrgId.eq(org_id));
    if lock && is_pg(conn) {
        q = q.lock_exclusive();
    }
    Ok(q.one(conn).await?)
}

/// The payment a provider knows by `provider_ref` (or by our reference,
/// which a checkout hands to the provider), locked on PostgreSQL.
pub async fn payment_by_ref<C: ConnectionTrait>(
    conn: &C,
    provider: ProviderKind,
    provider_ref: Option<&str>,
    reference: Option<&str>,
) -> StoreResult<Option<Payment>> {
    let mut q = payment::Entity::find().filter(payment::Column::Provider.eq(provider));
    q = match (provider_ref, reference) {
        (Some(r), Some(ours)) => q.filter(
            Condition::any()
                .add(payment::Column::ProviderRef.eq(r))
                .add(payment::Column::Reference.eq(ours)),
        ),
        (Some(r), None) => q.filter(payment::Column::ProviderRef.eq(r)),
        (None, Some(ours)) => q.filter(payment::Column::Reference.eq(ours)),
        (None, None) => return Ok(None),
    };
    if is_pg(conn) {
        q = q.lock_exclusive();
    }
    Ok(q.one(conn).await?)
}

/// A change to a payment's row (fields `None` stay).
#[derive(Debug, Clone, Default)]
pub struct PaymentChange {
    pub status: Option<PaymentStatus>,
    pub provider_ref: Option<String>,
    pub refunded_amount: Option<i64>,
    pub completed_at: Option<DateTime<Utc>>,
}

pub async fn update_payment<C: ConnectionTrait>(
    conn: &C,
    current: Payment,
    change: PaymentChange,
    now: DateTime<Utc>,
) -> StoreResult<Payment> {
    let mut row: payment::ActiveModel = current.into();
    if let Some(s) = change.status {
        row.status = Set(s);
    }
    if let Some(r) = change.provider_ref {
        row.provider_ref = Set(Some(r));
    }
    if let Some(a) = change.refunded_amount {
        row.refunded_amount = Set(a);
    }
    if let Some(t) = change.completed_at {
        row.completed_at = Set(Some(t));
    }
    row.updated_at = Set(now);
    row.update(conn).await.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict("another payment has this provider reference".into())
        } else {
            e.into()
        }
    })
}

/// Filters of the staff ledger.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub status: Option<PaymentStatus>,
    pub payer_user_id: Option<Uuid>,
    pub purpose_id: Option<Uuid>,
    pub purpose_kind: Option<PurposeKind>,
    pub provider: Option<ProviderKind>,
}

/// A page of the organization's payments, newest first.
pub async fn payments_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    f: &PaymentFilter,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Payment, Uuid>> {
    let mut q = payment::Entity::find().filter(payment::Column::OrgId.eq(org_id));
    if let Some(s) = f.status {
        q = q.filter(payment::Column::Status.eq(s));
    }
    if let Some(u) = f.payer_user_id {
        q = q.filter(payment::Column::PayerUserId.eq(u));
    }
    if let Some(p) = f.purpose_id {
        q = q.filter(payment::Column::PurposeId.eq(p));
    }
    if let Some(k) = f.purpose_kind {
        q = q.filter(payment::Column::PurposeKind.eq(k));
    }
    if let Some(p) = f.provider {
        q = q.filter(payment::Column::Provider.eq(p));
    }
    page.fetch(conn, q, payment::Column::Id, Order::Desc, |r| r.id)
        .await
}

/// A page of one payer's payments in every organization, newest first.
pub async fn payer_page<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Payment, Uuid>> {
    let q = payment::Entity::find().filter(payment::Column::PayerUserId.eq(user_id));
    page.fetch(conn, q, payment::Column::Id, Order::Desc, |r| r.id)
        .await
}

/// What a new refund records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRefund {
    pub amount: i64,
    pub reason: String,
    pub status: RefundStatus,
    pub provider_ref: Option<String>,
    /// Staff who asked for it; `None` when the provider reported it.
    pub created_by: Option<Uuid>,
}

pub async fn insert_refund<C: ConnectionTrait>(
    conn: &C,
    p: &Payment,
    r: NewRefund,
    now: DateTime<Utc>,
) -> StoreResult<Refund> {
    Ok(refund::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(p.org_id),
        payment_id: Set(p.id),
        amount: Set(r.amount),
        reason: Set(r.reason),
        status: Set(r.status),
        provider_ref: Set(r.provider_ref),
        created_by: Set(r.created_by),
        created_at: Set(now),
    }
    .insert(conn)
    .await?)
}

pub async fn refunds_of<C: ConnectionTrait>(
    conn: &C,
    payment_id: Uuid,
) -> StoreResult<Vec<Refund>> {
    Ok(refund::Entity::find()
        .filter(refund::Column::PaymentId.eq(payment_id))
        .order_by_asc(refund::Column::Id)
        .all(conn)
        .await?)
}

/// The paid payments that name a payee (all of them, or one payee's),
/// as `(payee, currency, amount, refunded)`; one payee's rows are locked
/// on PostgreSQL, so two payouts to them wait for each other.
pub async fn payee_earnings<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    payee: Option<Uuid>,
) -> StoreResult<Vec<(Uuid, String, i64, i64)>> {
    let mut q = payment::Entity::find()
        .filter(payment::Column::OrgId.eq(org_id))
        .filter(payment::Column::Status.is_in([
            PaymentStatus::Completed,
            PaymentStatus::PartiallyRefunded,
            PaymentStatus::Refunded,
        ]))
        .filter(payment::Column::PayeeUserId.is_not_null());
    if let Some(p) = payee {
        q = q.filter(payment::Column::PayeeUserId.eq(p));
        if is_pg(conn) {
            q = q.lock_exclusive();
        }
    }
    let rows = q.order_by_asc(payment::Column::Id).all(conn).await?;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            p.payee_user_id
                .map(|u| (u, p.currency, p.amount, p.refunded_amount))
        })
        .collect())
}

/// Payouts not failed, as `(payee, currency, amount)`.
pub async fn payouts_owed<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    payee: Option<Uuid>,
) -> StoreResult<Vec<(Uuid, String, i64)>> {
    let mut q = payout::Entity::find()
        .filter(payout::Column::OrgId.eq(org_id))
        .filter(payout::Column::Status.ne(PayoutStatus::Failed));
    if let Some(p) = payee {
        q = q.filter(payout::Column::PayeeUserId.eq(p));
    }
    let rows = q.all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|p| (p.payee_user_id, p.currency, p.amount))
        .collect())
}

/// What a new payout records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPayout {
    pub payee_user_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub method: PayoutMethod,
    pub reference: Option<String>,
    pub period: Option<String>,
}

pub async fn insert_payout<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    p: &NewPayout,
    created_by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Payout> {
    Ok(payout::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        payee_user_id: Set(p.payee_user_id),
        amount: Set(p.amount),
        currency: Set(p.currency.clone()),
        status: Set(PayoutStatus::Pending),
        method: Set(p.method),
        reference: Set(p.reference.clone()),
        period: Set(p.period.clone()),
        created_by: Set(created_by),
        created_at: Set(now),
        updated_at: Set(now),
        paid_at: Set(None),
    }
    .insert(conn)
    .await?)
}

pub async fn payout<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Payout>> {
    let mut q = payout::Entity::find_by_id(id).filter(payout::Column::OrgId.eq(org_id));
    if is_pg(conn) {
        q = q.lock_exclusive();
    }
    Ok(q.one(conn).await?)
}

pub async fn set_payout_status<C: ConnectionTrait>(
    conn: &C,
    current: Payout,
    status: PayoutStatus,
    reference: Option<String>,
    now: DateTime<Utc>,
) -> StoreResult<Payout> {
    let paid = status == PayoutStatus::Paid;
    let mut row: payout::ActiveModel = current.into();
    row.status = Set(status);
    if reference.is_some() {
        row.reference = Set(reference);
    }
    if paid {
        row.paid_at = Set(Some(now));
    }
    row.updated_at = Set(now);
    Ok(row.update(conn).await?)
}

pub async fn payouts_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    payee: Option<Uuid>,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Payout, Uuid>> {
    let mut q = payout::Entity::find().filter(payout::Column::OrgId.eq(org_id));
    if let Some(p) = payee {
        q = q.filter(payout::Column::PayeeUserId.eq(p));
    }
    page.fetch(conn, q, payout::Column::Id, Order::Desc, |r| r.id)
        .await
}

/// What a plan says.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInput {
    pub code: String,
    pub name: String,
    pub price: i64,
    pub currency: String,
    pub interval: PlanInterval,
    pub active: bool,
}

fn plan_conflict(e: sea_orm::DbErr) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict("the organization already has a plan with this code".into())
    } else {
        e.into()
    }
}

pub async fn insert_plan<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    p: &PlanInput,
    now: DateTime<Utc>,
) -> StoreResult<Plan> {
    plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        code: Set(p.code.clone()),
        name: Set(p.name.clone()),
        price: Set(p.price),
        currency: Set(p.currency.clone()),
        interval: Set(p.interval),
        active: Set(p.active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(plan_conflict)
}

pub async fn update_plan<C: ConnectionTrait>(
    conn: &C,
    current: Plan,
    p: &PlanInput,
    now: DateTime<Utc>,
) -> StoreResult<Plan> {
    let mut row: plan::ActiveModel = current.into();
    row.code = Set(p.code.clone());
    row.name = Set(p.name.clone());
    row.price = Set(p.price);
    row.currency = Set(p.currency.clone());
    row.interval = Set(p.interval);
    row.active = Set(p.active);
    row.updated_at = Set(now);
    row.update(conn).await.map_err(plan_conflict)
}

pub async fn plan<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Plan>> {
    Ok(plan::Entity::find_by_id(id)
        .filter(plan::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

pub async fn plan_by_code<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    code: &str,
) -> StoreResult<Option<Plan>> {
    Ok(plan::Entity::find()
        .filter(plan::Column::OrgId.eq(org_id))
        .filter(plan::Column::Code.eq(code))
        .one(conn)
        .await?)
}

pub async fn plans_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Plan, Uuid>> {
    let q = plan::Entity::find().filter(plan::Column::OrgId.eq(org_id));
    page.fetch(conn, q, plan::Column::Id, Order::Asc, |r| r.id)
        .await
}

/// Whether any subscription names the plan (a plan in use is deactivated,
/// not deleted).
pub async fn plan_in_use<C: ConnectionTrait>(conn: &C, plan_id: Uuid) -> StoreResult<bool> {
    Ok(subscription::Entity::find()
        .filter(subscription::Column::PlanId.eq(plan_id))
        .one(conn)
        .await?
        .is_some())
}

pub async fn delete_plan<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<bool> {
    let r = plan::Entity::delete_many()
        .filter(plan::Column::OrgId.eq(org_id))
        .filter(plan::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(r.rows_affected > 0)
}

pub async fn insert_subscription<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    plan_id: Uuid,
    provider: ProviderKind,
    now: DateTime<Utc>,
) -> StoreResult<Subscription> {
    Ok(subscription::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        user_id: Set(user_id),
        plan_id: Set(plan_id),
        status: Set(SubscriptionStatus::Incomplete),
        current_period_start: Set(None),
        current_period_end: Set(None),
        cancel_at_period_end: Set(false),
        provider: Set(provider),
        provider_ref: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?)
}

/// A subscription of the organization (`org_id`) or of anyone (`None`,
/// for the subscriber's own routes which then check the user), locked on
/// PostgreSQL.
pub async fn subscription<C: ConnectionTrait>(
    conn: &C,
    org_id: Option<Uuid>,
    id: Uuid,
) -> StoreResult<Option<Subscription>> {
    let mut q = subscription::Entity::find_by_id(id);
    if let Some(o) = org_id {
        q = q.filter(subscription::Column::OrgId.eq(o));
    }
    if is_pg(conn) {
        q = q.lock_exclusive();
    }
    Ok(q.one(conn).await?)
}

pub async fn subscription_by_ref<C: ConnectionTrait>(
    conn: &C,
    provider: ProviderKind,
    provider_ref: &str,
) -> StoreResult<Option<Subscription>> {
    let mut q = subscription::Entity::find()
        .filter(subscription::Column::Provider.eq(provider))
        .filter(subscription::Column::ProviderRef.eq(provider_ref));
    if is_pg(conn) {
        q = q.lock_exclusive();
    }
    Ok(q.one(conn).await?)
}

/// A change to a subscription (fields `None` stay).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChange {
    pub status: Option<SubscriptionStatus>,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub cancel_at_period_end: Option<bool>,
    pub provider_ref: Option<String>,
}

pub async fn update_subscription<C: ConnectionTrait>(
    conn: &C,
    current: Subscription,
    c: SubscriptionChange,
    now: DateTime<Utc>,
) -> StoreResult<Subscription> {
    let mut row: subscription::ActiveModel = current.into();
    if let Some(s) = c.status {
        row.status = Set(s);
    }
    if let Some((start, end)) = c.period {
        row.current_period_start = Set(Some(start));
        row.current_period_end = Set(Some(end));
    }
    if let Some(b) = c.cancel_at_period_end {
        row.cancel_at_period_end = Set(b);
    }
    if let Some(r) = c.provider_ref {
        row.provider_ref = Set(Some(r));
    }
    row.updated_at = Set(now);
    row.update(conn).await.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict("another subscription has this provider reference".into())
        } else {
            e.into()
        }
    })
}

/// A page of the organization's subscriptions (or one user's in every
/// organization when `org_id` is `None`), newest first.
pub async fn subscriptions_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Option<Uuid>,
    user_id: Option<Uuid>,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Subscription, Uuid>> {
    let mut q = subscription::Entity::find();
    if let Some(o) = org_id {
        q = q.filter(subscription::Column::OrgId.eq(o));
    }
    if let Some(u) = user_id {
        q = q.filter(subscription::Column::UserId.eq(u));
    }
    page.fetch(conn, q, subscription::Column::Id, Order::Desc, |r| r.id)
        .await
}

/// Subscriptions live past the end of their period at `now` (for the
/// sweep that cancels or expires them).
pub async fn subscriptions_due<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<Subscription>> {
    Ok(subscription::Entity::find()
        .filter(subscription::Column::Status.is_in([
            SubscriptionStatus::Trialing,
            SubscriptionStatus::Active,
            SubscriptionStatus::PastDue,
        ]))
        .filter(subscription::Column::Provider.eq(ProviderKind::Manual))
        .filter(subscription::Column::CurrentPeriodEnd.lte(now))
        .order_by_asc(subscription::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Records a provider event once: `false` when its id was seen before (a
/// replay), which changes nothing. Run first in the event's transaction,
/// so two deliveries at once cannot both apply it.
pub async fn record_event<C: ConnectionTrait>(
    conn: &C,
    provider: ProviderKind,
    event_id: &str,
    event_type: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Uuid>> {
    let id = Uuid::now_v7();
    let r = webhook_event::ActiveModel {
        id: Set(id),
        provider: Set(provider.name().to_owned()),
        event_id: Set(event_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        org_id: Set(None),
        outcome: Set("received".into()),
        received_at: Set(now),
    }
    .insert(conn)
    .await;
    match r {
        Ok(_) => Ok(Some(id)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Notes what an event did (and in which organization).
pub async fn set_event_outcome<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    org_id: Option<Uuid>,
    outcome: &str,
) -> StoreResult<()> {
    webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::Outcome, Expr::value(outcome))
        .col_expr(webhook_event::Column::OrgId, Expr::value(org_id))
        .filter(webhook_event::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn event<C: ConnectionTrait>(
    conn: &C,
    provider: ProviderKind,
    event_id: &str,
) -> StoreResult<Option<WebhookEvent>> {
    Ok(webhook_event::Entity::find()
        .filter(webhook_event::Column::Provider.eq(provider.name()))
        .filter(webhook_event::Column::EventId.eq(event_id))
        .one(conn)
        .await?)
}

/// Per payee and currency: what their paid payments kept (amount less
/// refunds) and their payouts not failed, as `(payee, currency, net, out)`,
/// ordered by payee then currency. One payee's payments are locked on
/// PostgreSQL (see [`payee_earnings`]).
pub async fn payee_totals<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    payee: Option<Uuid>,
) -> StoreResult<Vec<(Uuid, String, i64, i64)>> {
    let mut acc: std::collections::BTreeMap<(Uuid, String), (i64, i64)> =
        std::collections::BTreeMap::new();
    for (who, cur, amount, refunded) in payee_earnings(conn, org_id, payee).await? {
        let e = acc.entry((who, cur)).or_default();
        e.0 = e.0.saturating_add(amount.saturating_sub(refunded).max(0));
    }
    for (who, cur, amount) in payouts_owed(conn, org_id, payee).await? {
        let e = acc.entry((who, cur)).or_default();
        e.1 = e.1.saturating_add(amount);
    }
    Ok(acc
        .into_iter()
        .map(|((who, cur), (net, out))| (who, cur, net, out))
        .collect())
}
