//! `POST /webhooks/stripe`: a verified provider event, applied once. The
//! event id is recorded first in the event's transaction (unique key): a
//! replay answers 200 and changes nothing. Payments only move forward, so
//! events arriving out of order never undo a completion or a refund.

use serde_json::json;
use uuid::Uuid;

use invigil_domain::audit::AuditAction;
use invigil_domain::payments::subscription::SubscriptionStatus;
use invigil_domain::payments::{PaymentStatus, ProviderKind};
use invigil_store::Tx;
use invigil_store::payments::{self as store, NewRefund, PaymentChange, SubscriptionChange};

use super::provider::{EventKind, PaymentProvider, ProviderEvent, StripeProvider, WebhookError};
use super::service::{PaymentView, complete, refund_report};
use crate::audit::Audit;
use crate::http::auth::ClientInfo;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// What became of an event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    pub received: bool,
    /// `applied`, `replayed`, `ignored: ...`, `unknown type`.
    pub outcome: String,
}

fn webhook_error(e: WebhookError) -> ApiError {
    ApiError::BadRequest(format!("webhook rejected: {e}"))
}

/// Verifies and applies a Stripe event.
pub async fn stripe(
    state: &AppState,
    client: &ClientInfo,
    signature: Option<&str>,
    body: &[u8],
) -> Result<WebhookAck, ApiError> {
    let now = state.now();
    let event = StripeProvider::from_config(&state.config)
        .verify_webhook(signature, body, now)
        .map_err(webhook_error)?;
    apply(state, client, ProviderKind::Stripe, event).await
}

/// Applies a verified event once.
pub async fn apply(
    state: &AppState,
    client: &ClientInfo,
    provider: ProviderKind,
    event: ProviderEvent,
) -> Result<WebhookAck, ApiError> {
    let now = state.now();
    if store::event(state.db.read(), provider, &event.id)
        .await?
        .is_some()
    {
        return Ok(replayed());
    }
    let tx = begin(state).await?;
    let Some(row) = store::record_event(&tx, provider, &event.id, &event.event_type, now).await?
    else {
        // Another delivery of the same event won the race.
        return Ok(replayed());
    };
    let (org, outcome) = handle(&tx, state, client, provider, &event, now).await?;
    store::set_event_outcome(&tx, row, org, &outcome).await?;
    commit(tx).await?;
    Ok(WebhookAck {
        received: true,
        outcome,
    })
}

fn replayed() -> WebhookAck {
    WebhookAck {
        received: true,
        outcome: "replayed".into(),
    }
}

async fn handle(
    tx: &Tx,
    state: &AppState,
    client: &ClientInfo,
    provider: ProviderKind,
    event: &ProviderEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Option<Uuid>, String), ApiError> {
    let detail = json!({ "event_id": event.id, "event_type": event.event_type });
    match &event.kind {
        EventKind::PaymentSucceeded {
            provider_ref,
            payment_intent,
            subscription,
            reference,
        } => {
            let Some(p) = store::payment_by_ref(
                tx,
                provider,
                payment_intent.as_deref().or(provider_ref.as_deref()),
                reference.as_deref(),
            )
            .await?
            else {
                return Ok((None, "ignored: no such payment".into()));
            };
            let org = Some(p.org_id);
            let audit = Audit::anonymous(client, org, now);
            match p.status.advance(PaymentStatus::Completed) {
                Ok(Some(_)) => {
                    complete(
                        tx,
                        state,
                        &audit,
                        p,
                        payment_intent.clone(),
                        subscription.clone(),
                        detail,
                    )
                    .await?;
                    Ok((org, "applied".into()))
                }
                Ok(None) => {
                    // Already completed (an earlier event): keep the
                    // payment intent, which refunds need.
                    if let Some(pi) = payment_intent
                        && p.provider_ref.as_deref() != Some(pi.as_str())
                        && p.status.is_paid()
                    {
                        store::update_payment(
                            tx,
                            p,
                            PaymentChange {
                                provider_ref: Some(pi.clone()),
                                ..PaymentChange::default()
                            },
                            now,
                        )
                        .await?;
                    }
                    Ok((org, "ignored: already completed".into()))
                }
                Err(e) => Ok((org, format!("ignored: {e}"))),
            }
        }
        EventKind::PaymentFailed {
            provider_ref,
            reference,
        } => {
            let Some(p) =
                store::payment_by_ref(tx, provider, provider_ref.as_deref(), reference.as_deref())
                    .await?
            else {
                return Ok((None, "ignored: no such payment".into()));
            };
            let org = Some(p.org_id);
            match p.status.advance(PaymentStatus::Failed) {
                Ok(Some(to)) => {
                    let p = store::update_payment(
                        tx,
                        p,
                        PaymentChange {
                            status: Some(to),
                            ..PaymentChange::default()
                        },
                        now,
                    )
                    .await?;
                    Audit::anonymous(client, org, now)
                        .record(
                            tx,
                            AuditAction::PaymentFailed,
                            p.id,
                            json!({ "payment": PaymentView::from(&p), "detail": detail }),
                        )
                        .await?;
                    Ok((org, "applied".into()))
                }
                Ok(None) => Ok((org, "ignored: the payment is past this".into())),
                Err(e) => Ok((org, format!("ignored: {e}"))),
            }
        }
        EventKind::Refunded {
            payment_intent,
            reference,
            amount_refunded,
        } => {
            let Some(mut p) = store::payment_by_ref(
                tx,
                provider,
                payment_intent.as_deref(),
                reference.as_deref(),
            )
            .await?
            else {
                return Ok((None, "ignored: no such payment".into()));
            };
            let org = Some(p.org_id);
            let audit = Audit::anonymous(client, org, now);
            // A refund reported before the completion: the charge was paid.
            if matches!(p.status, PaymentStatus::Pending | PaymentStatus::Failed) {
                p = complete(
                    tx,
                    state,
                    &audit,
                    p,
                    payment_intent.clone(),
                    None,
                    detail.clone(),
                )
                .await?
                .0;
            }
            if !p.status.is_paid() {
                return Ok((org, format!("ignored: a {} payment", p.status)));
            }
            let Some((total, status)) = refund_report(&p, *amount_refunded) else {
                return Ok((org, "ignored: already recorded".into()));
            };
            let r = store::insert_refund(
                tx,
                &p,
                NewRefund {
                    amount: total - p.refunded_amount,
                    reason: "refunded at the provider".into(),
                    status: invigil_domain::payments::RefundStatus::Succeeded,
                    provider_ref: None,
                    created_by: None,
                },
                now,
            )
            .await?;
            let p = store::update_payment(
                tx,
                p,
                PaymentChange {
                    status: Some(status),
                    refunded_amount: Some(total),
                    ..PaymentChange::default()
                },
                now,
            )
            .await?;
            audit
                .record(
                    tx,
                    AuditAction::PaymentRefunded,
                    p.id,
                    json!({ "refund_id": r.id, "amount": r.amount,
                        "payment": PaymentView::from(&p), "detail": detail }),
                )
                .await?;
            Ok((org, "applied".into()))
        }
        EventKind::Subscription(rep) => {
            let found = match store::subscription_by_ref(tx, provider, &rep.provider_ref).await? {
                Some(s) => Some(s),
                None => match rep.subscription_id {
                    Some(id) => store::subscription(tx, None, id)
                        .await?
                        .filter(|s| s.provider == provider),
                    None => None,
                },
            };
            let Some(sub) = found else {
                return Ok((None, "ignored: no such subscription".into()));
            };
            let org = Some(sub.org_id);
            let status = rep.status.filter(|to| sub.status.may_become(*to));
            // Periods only move forward (an older report is stale).
            let period = match (rep.period_start, rep.period_end) {
                (Some(s), Some(e)) if sub.current_period_end.is_none_or(|cur| e >= cur) => {
                    Some((s, e))
                }
                _ => None,
            };
            if sub.status.is_final() && rep.status != Some(sub.status) {
                return Ok((org, "ignored: the subscription has ended".into()));
            }
            let s = store::update_subscription(
                tx,
                sub,
                SubscriptionChange {
                    status,
                    period,
                    cancel_at_period_end: if period.is_some() || status.is_some() {
                        rep.cancel_at_period_end
                    } else {
                        None
                    },
                    provider_ref: Some(rep.provider_ref.clone()),
                },
                now,
            )
            .await?;
            let action = if s.status == SubscriptionStatus::Canceled {
                AuditAction::SubscriptionCancelled
            } else {
                AuditAction::SubscriptionUpdated
            };
            Audit::anonymous(client, org, now)
                .record(
                    tx,
                    action,
                    s.id,
                    json!({ "status": s.status, "current_period_end": s.current_period_end,
                        "cancel_at_period_end": s.cancel_at_period_end, "detail": detail }),
                )
                .await?;
            Ok((org, "applied".into()))
        }
        EventKind::Other => Ok((None, "unknown type".into())),
    }
}
