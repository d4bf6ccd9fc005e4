//! The ledger's services: checkouts (for the courses module and for
//! subscriptions), staff actions on a payment (mark paid, failed or
//! cancelled, refund), the completion hook, and the application of
//! provider events. Every money write is audited in its transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::audit::AuditAction;
use invigil_domain::payments::money::format_money;
use invigil_domain::payments::subscription::{SubscriptionStatus, period_end};
use invigil_domain::payments::{
    Currency, MoneyError, PaymentStatus, ProviderKind, PurposeKind, RefundStatus, check_amount,
    refund_outcome, status_after_refunds,
};
use invigil_domain::text::Text;
use invigil_store::Tx;
use invigil_store::payments::{
    self as store, NewPayment, NewRefund, Payment, PaymentChange, PaymentFilter, Refund,
    SubscriptionChange,
};

use super::provider::{AnyProvider, Checkout, CheckoutMode, CheckoutRequest, ProviderError};
use crate::audit::Audit;
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// A payment as staff and its payer see it. No card data exists to show.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub org_id: Uuid,
    pub payer_user_id: Uuid,
    /// `COURSE` or `SUBSCRIPTION`.
    pub purpose_kind: String,
    pub purpose_id: Uuid,
    pub payee_user_id: Option<Uuid>,
    /// Minor units (cents).
    pub amount: i64,
    pub currency: String,
    pub refunded_amount: i64,
    /// PENDING, COMPLETED, FAILED, REFUNDED, PARTIALLY_REFUNDED, CANCELLED.
    pub status: String,
    /// MANUAL or STRIPE.
    pub provider: String,
    pub provider_ref: Option<String>,
    /// Our invoice reference.
    pub reference: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<&Payment> for PaymentView {
    fn from(p: &Payment) -> Self {
        PaymentView {
            id: p.id,
            org_id: p.org_id,
            payer_user_id: p.payer_user_id,
            purpose_kind: p.purpose_kind.name().into(),
            purpose_id: p.purpose_id,
            payee_user_id: p.payee_user_id,
            amount: p.amount,
            currency: p.currency.clone(),
            refunded_amount: p.refunded_amount,
            status: p.status.name().into(),
            provider: p.provider.name().into(),
            provider_ref: p.provider_ref.clone(),
            reference: p.reference.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            completed_at: p.completed_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundView {
    pub id: Uuid,
    pub amount: i64,
    pub reason: String,
    /// PENDING, SUCCEEDED, FAILED.
    pub status: String,
    pub provider_ref: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<&Refund> for RefundView {
    fn from(r: &Refund) -> Self {
        RefundView {
            id: r.id,
            amount: r.amount,
            reason: r.reason.clone(),
            status: r.status.name().into(),
            provider_ref: r.provider_ref.clone(),
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// A payment with its refunds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentDetail {
    #[serde(flatten)]
    pub payment: PaymentView,
    pub refunds: Vec<RefundView>,
}

/// What the payer does next.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckoutView {
    pub payment: PaymentView,
    /// STRIPE: the hosted payment page.
    pub url: Option<String>,
    /// MANUAL: how to pay the invoice.
    pub instructions: Option<String>,
}

/// Maps a money rule's refusal: amounts are 422 on `field`, a forbidden
/// status move is 409.
pub fn money_error(field: &str, e: MoneyError) -> ApiError {
    match e {
        MoneyError::Transition { .. } | MoneyError::NotRefundable => {
            ApiError::conflict_code("payment_state", e.to_string())
        }
        _ => ApiError::Validation(vec![FieldError::new(field, e.to_string())]),
    }
}

pub fn provider_error(e: ProviderError) -> ApiError {
    match e {
        ProviderError::NotConfigured(_) => ApiError::Unprocessable {
            code: "provider_not_configured",
            detail: e.to_string(),
        },
        ProviderError::Rejected(_) => ApiError::Unprocessable {
            code: "provider_rejected",
            detail: e.to_string(),
        },
        ProviderError::Unavailable(detail) => {
            tracing::warn!(%detail, "payment provider unavailable");
            ApiError::Overloaded {
                retry_after_secs: 30,
            }
        }
    }
}

/// What a checkout is for (the courses module passes `Course`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purpose {
    pub kind: PurposeKind,
    pub id: Uuid,
}

/// A payment recorded PENDING in the caller's transaction, whose checkout
/// is opened with [`open_checkout`] after the commit (no call to a provider
/// runs while a write transaction is open).
#[derive(Debug, Clone)]
pub struct PendingCheckout {
    pub payment: Payment,
    pub description: String,
    pub mode: CheckoutMode,
}

/// A new invoice reference: `INV-` and 16 hex digits of randomness.
fn new_reference() -> String {
    let n: u64 = rand::random();
    format!("INV-{n:016X}")
}

/// Records a PENDING payment of `amount` minor units of `currency` by
/// `payer` for `purpose`, earning `payee` their share when it completes.
/// The service the courses module calls for a paid enrollment (inside its
/// own transaction), followed by [`open_checkout`] after its commit.
#[expect(
    clippy::too_many_arguments,
    reason = "the seam the courses module calls: each argument is one fact of the payment"
)]
pub async fn start_checkout(
    tx: &Tx,
    org_id: Uuid,
    payer: Uuid,
    purpose: Purpose,
    amount: i64,
    currency: &str,
    payee: Option<Uuid>,
    provider: ProviderKind,
    description: &str,
    now: DateTime<Utc>,
) -> Result<PendingCheckout, ApiError> {
    let amount = check_amount(amount).map_err(|e| money_error("amount", e))?;
    let currency = Currency::parse(currency).map_err(|e| money_error("currency", e))?;
    let payment = store::insert_payment(
        tx,
        &NewPayment {
            org_id,
            payer_user_id: payer,
            purpose_kind: purpose.kind,
            purpose_id: purpose.id,
            payee_user_id: payee,
            amount,
            currency: currency.to_string(),
            provider,
            reference: new_reference(),
        },
        now,
    )
    .await?;
    Ok(PendingCheckout {
        payment,
        description: description.to_owned(),
        mode: CheckoutMode::Payment,
    })
}

/// Asks the payment's provider for a checkout and keeps its reference. A
/// provider that fails leaves the payment PENDING (staff may cancel it).
pub async fn open_checkout(
    state: &AppState,
    pending: PendingCheckout,
) -> Result<CheckoutView, ApiError> {
    let p = pending.payment;
    let base = state
        .config
        .public_url
        .clone()
        .unwrap_or_else(|| "http://localhost:8080".into());
    let base = base.trim_end_matches('/');
    let req = CheckoutRequest {
        payment_id: p.id,
        reference: p.reference.clone(),
        amount: p.amount,
        currency: p.currency.clone(),
        description: pending.description,
        success_url: format!("{base}/me/payments?paid={}", p.reference),
        cancel_url: format!("{base}/me/payments?cancelled={}", p.reference),
        mode: pending.mode,
    };
    let Checkout {
        provider_ref,
        url,
        instructions,
    } = AnyProvider::of(p.provider, &state.config)
        .create_checkout(&req)
        .await
        .map_err(provider_error)?;
    let p = match provider_ref {
        Some(r) => {
            let tx = begin(state).await?;
            let current = store::payment(&tx, p.org_id, p.id, true)
                .await?
                .ok_or(ApiError::NotFound)?;
            let updated = if current.provider_ref.is_none() {
                store::update_payment(
                    &tx,
                    current,
                    PaymentChange {
                        provider_ref: Some(r),
                        ..PaymentChange::default()
                    },
                    state.now(),
                )
                .await?
            } else {
                current
            };
            commit(tx).await?;
            updated
        }
        None => p,
    };
    Ok(CheckoutView {
        payment: PaymentView::from(&p),
        url,
        instructions,
    })
}

/// What [`on_completed`] did about a completed payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Completion {
    /// The subscription's period started (or was renewed).
    SubscriptionActivated { subscription_id: Uuid },
    /// A course payment: the payer is enrolled (PAID) in the course.
    CourseEnrolled {
        course_id: Uuid,
        enrollment_id: Uuid,
    },
    /// A course payment from someone enrolled already: nothing changes.
    CourseAlreadyEnrolled { course_id: Uuid },
    /// A course payment that could not enroll the payer (the course is gone,
    /// closed or full since the checkout): recorded, for staff to refund.
    CourseNotEnrolled { course_id: Uuid, reason: String },
    /// The subscription is gone or ended: nothing to do but record.
    Nothing,
}

/// The hook run in the transaction that completes a payment.
pub async fn on_completed(
    tx: &Tx,
    state: &AppState,
    audit: &Audit<'_>,
    payment: &Payment,
    provider_subscription: Option<String>,
    now: DateTime<Utc>,
) -> Result<Completion, ApiError> {
    match payment.purpose_kind {
        PurposeKind::Course => {
            let course_id = payment.purpose_id;
            let enrolled = crate::courses::learn::enroll_paid(
                tx,
                state,
                audit,
                payment.org_id,
                course_id,
                payment.payer_user_id,
                payment.id,
            )
            .await;
            match enrolled {
                Ok(Some(e)) => Ok(Completion::CourseEnrolled {
                    course_id,
                    enrollment_id: e.id,
                }),
                Ok(None) => Ok(Completion::CourseAlreadyEnrolled { course_id }),
                // The money is in whatever the course did meanwhile: the
                // payment completes, and the refusal is what staff see.
                Err(e) if e.parts().0.is_client_error() => Ok(Completion::CourseNotEnrolled {
                    course_id,
                    reason: e.to_string(),
                }),
                Err(e) => Err(e),
            }
        }
        PurposeKind::Subscription => {
            let Some(sub) =
                store::subscription(tx, Some(payment.org_id), payment.purpose_id).await?
            else {
                return Ok(Completion::Nothing);
            };
            if sub.status.is_final() {
                return Ok(Completion::Nothing);
            }
            let Some(plan) = store::plan(tx, payment.org_id, sub.plan_id).await? else {
                return Ok(Completion::Nothing);
            };
            // A renewal continues from the end of the current period.
            let start = sub.current_period_end.filter(|e| *e > now).unwrap_or(now);
            let id = sub.id;
            store::update_subscription(
                tx,
                sub,
                SubscriptionChange {
                    status: Some(SubscriptionStatus::Active),
                    period: Some((start, period_end(start, plan.interval))),
                    provider_ref: provider_subscription,
                    ..SubscriptionChange::default()
                },
                now,
            )
            .await?;
            Ok(Completion::SubscriptionActivated {
                subscription_id: id,
            })
        }
    }
}

/// Confirms a completed payment to its payer (`payment_received`): what was
/// paid for is the course's title or the plan's name.
async fn tell_payer(tx: &Tx, state: &AppState, p: &Payment) -> Result<(), ApiError> {
    let description = match p.purpose_kind {
        PurposeKind::Course => invigil_store::courses::course(tx, p.org_id, p.purpose_id)
            .await?
            .map(|c| c.title),
        PurposeKind::Subscription => None,
    }
    .unwrap_or_else(|| format!("payment {}", p.reference));
    crate::notify::send(
        tx,
        state,
        crate::notify::Notice {
            org_id: Some(p.org_id),
            user_id: p.payer_user_id,
            kind: invigil_domain::notify::NoticeKind::Payment,
            priority: invigil_domain::notify::Priority::Medium,
            template_key: "payment_received",
            vars: crate::notify::Vars::new()
                .set("amount", format_money(p.amount, &p.currency))
                .set("description", description),
            link: None,
        },
    )
    .await
}

/// Completes a payment (staff or provider) and runs the hook, audited.
pub async fn complete(
    tx: &Tx,
    state: &AppState,
    audit: &Audit<'_>,
    current: Payment,
    provider_ref: Option<String>,
    provider_subscription: Option<String>,
    detail: serde_json::Value,
) -> Result<(Payment, Completion), ApiError> {
    let now = audit.now;
    let p = store::update_payment(
        tx,
        current,
        PaymentChange {
            status: Some(PaymentStatus::Completed),
            provider_ref,
            completed_at: Some(now),
            ..PaymentChange::default()
        },
        now,
    )
    .await?;
    let done = on_completed(tx, state, audit, &p, provider_subscription, now).await?;
    tell_payer(tx, state, &p).await?;
    audit
        .record(
            tx,
            AuditAction::PaymentCompleted,
            p.id,
            json!({ "payment": PaymentView::from(&p), "hook": done, "detail": detail }),
        )
        .await?;
    if let Completion::SubscriptionActivated { subscription_id } = done {
        audit
            .record(
                tx,
                AuditAction::SubscriptionActivated,
                subscription_id,
                json!({ "payment_id": p.id }),
            )
            .await?;
    }
    Ok((p, done))
}

/// Query filters of the staff ledger.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// PENDING, COMPLETED, FAILED, REFUNDED, PARTIALLY_REFUNDED, CANCELLED.
    pub status: Option<String>,
    pub payer: Option<Uuid>,
    /// The course or subscription paid for.
    pub purpose: Option<Uuid>,
    /// COURSE or SUBSCRIPTION.
    pub purpose_kind: Option<String>,
    /// MANUAL or STRIPE.
    pub provider: Option<String>,
}

impl PaymentQuery {
    pub fn filter(&self) -> Result<PaymentFilter, ApiError> {
        let status = match &self.status {
            None => None,
            Some(s) => Some(PaymentStatus::parse(s).ok_or_else(|| {
                ApiError::field("status", "must be one of PENDING, COMPLETED, FAILED, REFUNDED, PARTIALLY_REFUNDED, CANCELLED")
            })?),
        };
        let purpose_kind = match &self.purpose_kind {
            None => None,
            Some(s) => Some(PurposeKind::parse(s).ok_or_else(|| {
                ApiError::field("purpose_kind", "must be COURSE or SUBSCRIPTION")
            })?),
        };
        let provider = match &self.provider {
            None => None,
            Some(s) => Some(
                ProviderKind::parse(s)
                    .ok_or_else(|| ApiError::field("provider", "must be MANUAL or STRIPE"))?,
            ),
        };
        Ok(PaymentFilter {
            status,
            payer_user_id: self.payer,
            purpose_id: self.purpose,
            purpose_kind,
            provider,
        })
    }
}

pub async fn list(
    state: &AppState,
    auth: &Authorized,
    f: &PaymentFilter,
    page: invigil_store::Keyset<Uuid>,
) -> Result<Page<PaymentView>, ApiError> {
    let rows = store::payments_page(state.db.read(), auth.org_id, f, page).await?;
    Ok(Page::from_keyset(rows, |p| PaymentView::from(&p)))
}

pub async fn detail(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
) -> Result<PaymentDetail, ApiError> {
    let db = state.db.read();
    let p = store::payment(db, auth.org_id, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let refunds = store::refunds_of(db, p.id).await?;
    Ok(PaymentDetail {
        payment: PaymentView::from(&p),
        refunds: refunds.iter().map(RefundView::from).collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPaidBody {
    /// The bank transfer's reference (as on the statement), 1 to 200 characters.
    pub reference: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: Option<String>,
}

fn text_field<const N: usize>(field: &str, v: &str) -> Result<String, ApiError> {
    let t = Text::<N>::parse(field, v).map_err(|e| ApiError::field(field, e.to_string()))?;
    let t = t.as_str().trim().to_owned();
    if t.is_empty() {
        Err(ApiError::field(field, "must not be empty"))
    } else {
        Ok(t)
    }
}

/// Loads a MANUAL payment for a staff action; another provider's is 409.
async fn manual_payment(tx: &Tx, auth: &Authorized, id: Uuid) -> Result<Payment, ApiError> {
    let p = store::payment(tx, auth.org_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if p.provider != ProviderKind::Manual {
        return Err(ApiError::conflict_code(
            "payment_provider",
            "only MANUAL payments are marked by hand; the provider reports the others",
        ));
    }
    Ok(p)
}

fn ensure_move(p: &Payment, to: PaymentStatus) -> Result<(), ApiError> {
    if p.status.may_become(to) {
        Ok(())
    } else {
        Err(money_error(
            "status",
            MoneyError::Transition { from: p.status, to },
        ))
    }
}

/// `POST .../payments/{id}/mark-paid`: the transfer arrived.
pub async fn mark_paid(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    body: MarkPaidBody,
) -> Result<PaymentView, ApiError> {
    let reference = text_field::<200>("reference", &body.reference)?;
    let now = state.now();
    let tx = begin(state).await?;
    let p = manual_payment(&tx, auth, id).await?;
    ensure_move(&p, PaymentStatus::Completed)?;
    let audit = auth.audit(now);
    let (p, _) = complete(
        &tx,
        state,
        &audit,
        p,
        None,
        None,
        json!({ "bank_reference": reference }),
    )
    .await?;
    commit(tx).await?;
    Ok(PaymentView::from(&p))
}

/// `mark-failed` and `cancel` of a MANUAL payment.
pub async fn close(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    to: PaymentStatus,
    body: ReasonBody,
) -> Result<PaymentView, ApiError> {
    let reason = match body.reason.as_deref() {
        Some(r) => Some(text_field::<500>("reason", r)?),
        None => None,
    };
    let now = state.now();
    let tx = begin(state).await?;
    let p = manual_payment(&tx, auth, id).await?;
    ensure_move(&p, to)?;
    let p = store::update_payment(
        &tx,
        p,
        PaymentChange {
            status: Some(to),
            ..PaymentChange::default()
        },
        now,
    )
    .await?;
    let action = if to == PaymentStatus::Failed {
        AuditAction::PaymentFailed
    } else {
        AuditAction::PaymentCancelled
    };
    auth.audit(now)
        .record(
            &tx,
            action,
            p.id,
            json!({ "payment": PaymentView::from(&p), "reason": reason }),
        )
        .await?;
    commit(tx).await?;
    Ok(PaymentView::from(&p))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// Minor units; the whole rest of the payment when absent.
    pub amount: Option<i64>,
    /// Why, 1 to 500 characters.
    pub reason: String,
}

/// `POST .../payments/{id}/refund`: never more than is left; a STRIPE
/// payment is refunded at Stripe first (with an idempotency key of its
/// own), then recorded.
pub async fn refund(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    body: RefundBody,
) -> Result<PaymentDetail, ApiError> {
    let reason = text_field::<500>("reason", &body.reason)?;
    let seen = store::payment(state.db.read(), auth.org_id, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (amount, _) = refund_outcome(seen.status, seen.amount, seen.refunded_amount, body.amount)
        .map_err(|e| money_error("amount", e))?;
    let done = AnyProvider::of(seen.provider, &state.config)
        .refund(
            seen.provider_ref.as_deref(),
            amount,
            &format!("refund-{}-{}-{amount}", seen.id, seen.refunded_amount),
        )
        .await
        .map_err(provider_error)?;
    let now = state.now();
    let tx = begin(state).await?;
    let p = store::payment(&tx, auth.org_id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Checked again under the lock: a concurrent refund may have won.
    let (amount, after) = refund_outcome(p.status, p.amount, p.refunded_amount, Some(amount))
        .map_err(|e| money_error("amount", e))?;
    let refunded = p.refunded_amount + amount;
    let r = store::insert_refund(
        &tx,
        &p,
        NewRefund {
            amount,
            reason,
            status: if done.pending {
                RefundStatus::Pending
            } else {
                RefundStatus::Succeeded
            },
            provider_ref: done.provider_ref,
            created_by: Some(auth.actor.user_id),
        },
        now,
    )
    .await?;
    let p = store::update_payment(
        &tx,
        p,
        PaymentChange {
            status: Some(after),
            refunded_amount: Some(refunded),
            ..PaymentChange::default()
        },
        now,
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::PaymentRefunded,
            p.id,
            json!({ "refund": RefundView::from(&r), "payment": PaymentView::from(&p) }),
        )
        .await?;
    let refunds = store::refunds_of(&tx, p.id).await?;
    commit(tx).await?;
    Ok(PaymentDetail {
        payment: PaymentView::from(&p),
        refunds: refunds.iter().map(RefundView::from).collect(),
    })
}

/// The payer's own payments, in every organization.
pub async fn mine(
    state: &AppState,
    user_id: Uuid,
    page: invigil_store::Keyset<Uuid>,
) -> Result<Page<PaymentView>, ApiError> {
    let rows = store::payer_page(state.db.read(), user_id, page).await?;
    Ok(Page::from_keyset(rows, |p| PaymentView::from(&p)))
}

/// The status a refund report implies, or `None` when nothing changes.
pub fn refund_report(p: &Payment, total: i64) -> Option<(i64, PaymentStatus)> {
    let total = total.min(p.amount);
    if total <= p.refunded_amount {
        return None;
    }
    Some((total, status_after_refunds(p.amount, total)))
}
