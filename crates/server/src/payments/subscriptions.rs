//! Plans of an organization and its members' subscriptions. A subscription
//! is checked out like any payment (a SUBSCRIPTION payment of the plan's
//! price); it is INCOMPLETE until that payment completes, then ACTIVE for
//! one period. Cancelling keeps it to the end of the period.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::audit::AuditAction;
use invigil_domain::payments::subscription::{
    Cancellation, PlanInterval, SubscriptionStatus, cancellation, status_at,
};
use invigil_domain::payments::{Currency, ProviderKind, PurposeKind, check_amount};
use invigil_store::Keyset;
use invigil_store::payments::{self as store, Plan, PlanInput, Subscription, SubscriptionChange};

use super::provider::{AnyProvider, CheckoutMode};
use super::service::{CheckoutView, Purpose, open_checkout, provider_error, start_checkout};
use crate::audit::Audit;
use crate::authz::{Actor, Authorized};
use crate::http::error::{ApiError, FieldError};
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// Minor units per interval.
    pub price: i64,
    pub currency: String,
    /// MONTH or YEAR.
    pub interval: String,
    pub active: bool,
}

impl From<&Plan> for PlanView {
    fn from(p: &Plan) -> Self {
        PlanView {
            id: p.id,
            code: p.code.clone(),
            name: p.name.clone(),
            price: p.price,
            currency: p.currency.clone(),
            interval: p.interval.name().into(),
            active: p.active,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub plan_id: Uuid,
    /// INCOMPLETE, TRIALING, ACTIVE, PAST_DUE, CANCELED, EXPIRED (as of now:
    /// a period that ended shows CANCELED or EXPIRED at once).
    pub status: String,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl SubscriptionView {
    pub fn of(s: &Subscription, now: DateTime<Utc>) -> Self {
        SubscriptionView {
            id: s.id,
            org_id: s.org_id,
            user_id: s.user_id,
            plan_id: s.plan_id,
            status: status_at(s.status, s.current_period_end, s.cancel_at_period_end, now)
                .name()
                .into(),
            current_period_start: s.current_period_start,
            current_period_end: s.current_period_end,
            cancel_at_period_end: s.cancel_at_period_end,
            provider: s.provider.name().into(),
            provider_ref: s.provider_ref.clone(),
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// `[A-Za-z0-9_-]`, 1 to 40 characters, unique in the organization.
    pub code: String,
    pub name: String,
    pub price: i64,
    pub currency: String,
    /// MONTH or YEAR.
    pub interval: String,
    pub active: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub price: Option<i64>,
    pub currency: Option<String>,
    pub interval: Option<String>,
    pub active: Option<bool>,
}

/// Checks a plan, every problem by field.
pub fn check_plan(
    code: &str,
    name: &str,
    price: i64,
    currency: &str,
    interval: &str,
    active: bool,
) -> Result<PlanInput, ApiError> {
    let mut errors = Vec::new();
    let code = code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        errors.push(FieldError::new(
            "code",
            "1 to 40 letters, digits, '_' or '-'",
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        errors.push(FieldError::new("name", "1 to 200 printable characters"));
    }
    if let Err(e) = check_amount(price) {
        errors.push(FieldError::new("price", e.to_string()));
    }
    let cur = Currency::parse(currency);
    if let Err(e) = &cur {
        errors.push(FieldError::new("currency", e.to_string()));
    }
    let iv = PlanInterval::parse(interval);
    if iv.is_none() {
        errors.push(FieldError::new("interval", "must be MONTH or YEAR"));
    }
    match (cur, iv) {
        (Ok(c), Some(i)) if errors.is_empty() => Ok(PlanInput {
            code: code.to_owned(),
            name: name.to_owned(),
            price,
            currency: c.to_string(),
            interval: i,
            active,
        }),
        _ => Err(ApiError::Validation(errors)),
    }
}

pub async fn list_plans(
    state: &AppState,
    org_id: Uuid,
    page: Keyset<Uuid>,
) -> Result<Page<PlanView>, ApiError> {
    let rows = store::plans_page(state.db.read(), org_id, page).await?;
    Ok(Page::from_keyset(rows, |p| PlanView::from(&p)))
}

pub async fn create_plan(
    state: &AppState,
    auth: &Authorized,
    b: PlanBody,
) -> Result<PlanView, ApiError> {
    let input = check_plan(
        &b.code,
        &b.name,
        b.price,
        &b.currency,
        &b.interval,
        b.active.unwrap_or(true),
    )?;
    let now = state.now();
    let tx = begin(state).await?;
    let p = store::insert_plan(&tx, auth.org_id, &input, now).await?;
    let view = PlanView::from(&p);
    auth.audit(now)
        .record(&tx, AuditAction::PlanCreated, p.id, json!(view))
        .await?;
    commit(tx).await?;
    Ok(view)
}

pub async fn update_plan(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    b: PlanPatch,
) -> Result<PlanView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let cur = store::plan(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let input = check_plan(
        b.code.as_deref().unwrap_or(&cur.code),
        b.name.as_deref().unwrap_or(&cur.name),
        b.price.unwrap_or(cur.price),
        b.currency.as_deref().unwrap_or(&cur.currency),
        b.interval.as_deref().unwrap_or(cur.interval.name()),
        b.active.unwrap_or(cur.active),
    )?;
    let before = PlanView::from(&cur);
    let p = store::update_plan(&tx, cur, &input, now).await?;
    let view = PlanView::from(&p);
    auth.audit(now)
        .record(
            &tx,
            AuditAction::PlanUpdated,
            p.id,
            json!({ "before": before, "after": view }),
        )
        .await?;
    commit(tx).await?;
    Ok(view)
}

/// Deletes a plan nobody subscribed to; one in use is 409 (deactivate it).
pub async fn delete_plan(state: &AppState, auth: &Authorized, id: Uuid) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let cur = store::plan(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if store::plan_in_use(&tx, cur.id).await? {
        return Err(ApiError::conflict_code(
            "plan_in_use",
            "members subscribed to this plan; set active to false instead",
        ));
    }
    store::delete_plan(&tx, auth.org_id, id).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::PlanDeleted,
            id,
            json!(PlanView::from(&cur)),
        )
        .await?;
    commit(tx).await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeBody {
    /// The plan's code.
    pub plan: String,
    /// MANUAL (default) or STRIPE.
    pub provider: Option<String>,
}

/// A subscription and its first payment, with what the payer does next.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscribeView {
    pub subscription: SubscriptionView,
    pub checkout: CheckoutView,
}

/// `POST /orgs/{org}/subscriptions` (the member subscribes themselves).
pub async fn subscribe(
    state: &AppState,
    auth: &Authorized,
    b: SubscribeBody,
) -> Result<SubscribeView, ApiError> {
    let provider = match b.provider.as_deref() {
        None => ProviderKind::Manual,
        Some(p) => ProviderKind::parse(p)
            .ok_or_else(|| ApiError::field("provider", "must be MANUAL or STRIPE"))?,
    };
    let now = state.now();
    let tx = begin(state).await?;
    let plan = store::plan_by_code(&tx, auth.org_id, b.plan.trim())
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| ApiError::field("plan", "no active plan with this code"))?;
    let sub =
        store::insert_subscription(&tx, auth.org_id, auth.actor.user_id, plan.id, provider, now)
            .await?;
    let mut pending = start_checkout(
        &tx,
        auth.org_id,
        auth.actor.user_id,
        Purpose {
            kind: PurposeKind::Subscription,
            id: sub.id,
        },
        plan.price,
        &plan.currency,
        None,
        provider,
        &plan.name,
        now,
    )
    .await?;
    pending.mode = CheckoutMode::Subscription {
        subscription_id: sub.id,
        interval: plan.interval.name().to_ascii_lowercase(),
    };
    auth.audit(now)
        .record(
            &tx,
            AuditAction::SubscriptionCreated,
            sub.id,
            json!({ "plan": plan.code, "payment_id": pending.payment.id, "provider": provider }),
        )
        .await?;
    commit(tx).await?;
    let checkout = open_checkout(state, pending).await?;
    Ok(SubscribeView {
        subscription: SubscriptionView::of(&sub, now),
        checkout,
    })
}

pub async fn list(
    state: &AppState,
    org_id: Option<Uuid>,
    user_id: Option<Uuid>,
    page: Keyset<Uuid>,
) -> Result<Page<SubscriptionView>, ApiError> {
    let now = state.now();
    let rows = store::subscriptions_page(state.db.read(), org_id, user_id, page).await?;
    Ok(Page::from_keyset(rows, |s| SubscriptionView::of(&s, now)))
}

/// Cancels at the end of the period (staff: `org_id` given; the subscriber:
/// their own only, another's is 404). One that never started ends now.
pub async fn cancel(
    state: &AppState,
    actor: &Actor,
    org_id: Option<Uuid>,
    id: Uuid,
) -> Result<SubscriptionView, ApiError> {
    let seen = store::subscription(state.db.read(), org_id, id)
        .await?
        .filter(|s| org_id.is_some() || s.user_id == actor.user_id)
        .ok_or(ApiError::NotFound)?;
    let now = state.now();
    if status_at(
        seen.status,
        seen.current_period_end,
        seen.cancel_at_period_end,
        now,
    )
    .is_live()
    {
        // The provider stops renewing first (no call inside a transaction).
        AnyProvider::of(seen.provider, &state.config)
            .cancel_at_period_end(seen.provider_ref.as_deref())
            .await
            .map_err(provider_error)?;
    }
    let tx = begin(state).await?;
    let sub = store::subscription(&tx, org_id, id)
        .await?
        .filter(|s| org_id.is_some() || s.user_id == actor.user_id)
        .ok_or(ApiError::NotFound)?;
    let current = status_at(
        sub.status,
        sub.current_period_end,
        sub.cancel_at_period_end,
        now,
    );
    let change = match cancellation(current, sub.current_period_end.is_some()) {
        Cancellation::AlreadyEnded => {
            return Err(ApiError::conflict_code(
                "subscription_ended",
                "the subscription has ended already",
            ));
        }
        Cancellation::AtPeriodEnd => SubscriptionChange {
            cancel_at_period_end: Some(true),
            ..SubscriptionChange::default()
        },
        Cancellation::Now => SubscriptionChange {
            status: Some(SubscriptionStatus::Canceled),
            ..SubscriptionChange::default()
        },
    };
    let org = sub.org_id;
    let s = store::update_subscription(&tx, sub, change, now).await?;
    Audit::by(actor, Some(org), now)
        .record(
            &tx,
            AuditAction::SubscriptionCancelled,
            s.id,
            json!({ "status": s.status, "cancel_at_period_end": s.cancel_at_period_end,
                "current_period_end": s.current_period_end }),
        )
        .await?;
    commit(tx).await?;
    Ok(SubscriptionView::of(&s, now))
}
