//! Payment providers behind one trait: a checkout for a pending payment, a
//! refund, and the verification of a webhook into a typed event. MANUAL
//! (invoice or bank transfer) needs no external service; STRIPE talks to a
//! Stripe-compatible API ([`super::stripe`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use invigil_domain::payments::ProviderKind;
use invigil_domain::payments::subscription::SubscriptionStatus;

use super::stripe::{self, Stripe};
use crate::config::Config;

/// What a checkout is for.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckoutMode {
    Payment,
    Subscription {
        subscription_id: Uuid,
        /// `month` or `year`.
        interval: String,
    },
}

/// A checkout of one pending payment.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutRequest {
    pub payment_id: Uuid,
    /// Our reference (invoice number), which the provider echoes back.
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub success_url: String,
    pub cancel_url: String,
    pub mode: CheckoutMode,
}

/// What the payer does next: follow `url` (STRIPE) or read `instructions`
/// (MANUAL: pay the invoice `reference` by bank transfer).
#[derive(Debug, Clone, PartialEq)]
pub struct Checkout {
    pub provider_ref: Option<String>,
    pub url: Option<String>,
    pub instructions: Option<String>,
}

/// A refund the provider accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundDone {
    pub provider_ref: Option<String>,
    /// The provider has not settled it yet.
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The provider is not configured (no secret key).
    #[error("the payment provider {0} is not configured")]
    NotConfigured(&'static str),
    /// The provider refused the request (4xx): the detail is theirs.
    #[error("the payment provider refused: {0}")]
    Rejected(String),
    /// Network trouble or a 5xx: try again later.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the signature does not match")]
    BadSignature,
    #[error("the signature is too old or from the future")]
    Stale,
    #[error("the event body is not a provider event")]
    Malformed,
    #[error("this provider takes no webhooks here")]
    NotConfigured,
}

/// A provider's report of a subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionReport {
    pub provider_ref: String,
    /// Ours, from the metadata set at checkout.
    pub subscription_id: Option<Uuid>,
    pub status: Option<SubscriptionStatus>,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: Option<bool>,
}

/// What an event says, in our terms.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    PaymentSucceeded {
        provider_ref: Option<String>,
        payment_intent: Option<String>,
        subscription: Option<String>,
        reference: Option<String>,
    },
    PaymentFailed {
        provider_ref: Option<String>,
        reference: Option<String>,
    },
    /// The total refunded so far on a payment.
    Refunded {
        payment_intent: Option<String>,
        reference: Option<String>,
        amount_refunded: i64,
    },
    Subscription(SubscriptionReport),
    /// Recorded and acknowledged, nothing else.
    Other,
}

/// A verified provider event.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderEvent {
    pub id: String,
    pub event_type: String,
    pub kind: EventKind,
}

/// One payment provider.
pub trait PaymentProvider {
    fn kind(&self) -> ProviderKind;
    fn create_checkout(
        &self,
        req: &CheckoutRequest,
    ) -> impl Future<Output = Result<Checkout, ProviderError>> + Send;
    /// Refunds `amount` of a payment the provider knows as `provider_ref`.
    fn refund(
        &self,
        provider_ref: Option<&str>,
        amount: i64,
        idempotency: &str,
    ) -> impl Future<Output = Result<RefundDone, ProviderError>> + Send;
    fn verify_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ProviderEvent, WebhookError>;
}

/// Invoice / bank transfer: the checkout hands out the reference to quote;
/// staff mark the payment paid when the money arrives, and refund by hand.
pub struct Manual;

impl PaymentProvider for Manual {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Manual
    }

    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, ProviderError> {
        let major = req.amount / 100;
        let minor = req.amount % 100;
        Ok(Checkout {
            provider_ref: None,
            url: None,
            instructions: Some(format!(
                "Pay {major}.{minor:02} {} by bank transfer quoting the reference {}. \
                 The payment is confirmed when the organization receives it.",
                req.currency, req.reference
            )),
        })
    }

    async fn refund(
        &self,
        _provider_ref: Option<&str>,
        _amount: i64,
        _idempotency: &str,
    ) -> Result<RefundDone, ProviderError> {
        // The organization pays it back by hand; the ledger records it.
        Ok(RefundDone {
            provider_ref: None,
            pending: false,
        })
    }

    fn verify_webhook(
        &self,
        _signature: Option<&str>,
        _body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<ProviderEvent, WebhookError> {
        Err(WebhookError::NotConfigured)
    }
}

/// STRIPE with the configured key and webhook secret.
pub struct StripeProvider {
    client: Option<Stripe>,
    webhook_secret: Option<String>,
}

impl StripeProvider {
    pub fn from_config(c: &Config) -> Self {
        StripeProvider {
            client: c.stripe_secret_key.as_ref().map(|k| Stripe {
                api_base: c.stripe_api_base.clone(),
                secret_key: k.expose().to_owned(),
            }),
            webhook_secret: c
                .stripe_webhook_secret
                .as_ref()
                .map(|s| s.expose().to_owned()),
        }
    }

    fn client(&self) -> Result<&Stripe, ProviderError> {
        self.client
            .as_ref()
            .ok_or(ProviderError::NotConfigured("STRIPE"))
    }
}

impl PaymentProvider for StripeProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Stripe
    }

    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, ProviderError> {
        self.client()?.create_checkout(req).await
    }

    async fn refund(
        &self,
        provider_ref: Option<&str>,
        amount: i64,
        idempotency: &str,
    ) -> Result<RefundDone, ProviderError> {
        let client = self.client()?;
        let pi = provider_ref
            .filter(|r| r.starts_with("pi_"))
            .ok_or_else(|| {
                ProviderError::Rejected("the payment has no Stripe payment intent yet".into())
            })?;
        client.refund(pi, amount, idempotency).await
    }

    fn verify_webhook(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<ProviderEvent, WebhookError> {
        let secret = self
            .webhook_secret
            .as_deref()
            .ok_or(WebhookError::NotConfigured)?;
        let sig = signature.ok_or(WebhookError::BadSignature)?;
        stripe::verify_signature(sig, body, secret, now)?;
        stripe::parse_event(body)
    }
}

/// The provider of a kind, configured.
pub enum AnyProvider {
    Manual(Manual),
    Stripe(StripeProvider),
}

impl AnyProvider {
    pub fn of(kind: ProviderKind, c: &Config) -> Self {
        match kind {
            ProviderKind::Manual => AnyProvider::Manual(Manual),
            ProviderKind::Stripe => AnyProvider::Stripe(StripeProvider::from_config(c)),
        }
    }

    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, ProviderError> {
        match self {
            AnyProvider::Manual(p) => p.create_checkout(req).await,
            AnyProvider::Stripe(p) => p.create_checkout(req).await,
        }
    }

    /// Stops renewal at the provider (MANUAL: nothing renews by itself).
    pub async fn cancel_at_period_end(
        &self,
        provider_ref: Option<&str>,
    ) -> Result<(), ProviderError> {
        match (self, provider_ref) {
            (AnyProvider::Stripe(p), Some(r)) => p.client()?.cancel_at_period_end(r).await,
            _ => Ok(()),
        }
    }

    pub async fn refund(
        &self,
        provider_ref: Option<&str>,
        amount: i64,
        idempotency: &str,
    ) -> Result<RefundDone, ProviderError> {
        match self {
            AnyProvider::Manual(p) => p.refund(provider_ref, amount, idempotency).await,
            AnyProvider::Stripe(p) => p.refund(provider_ref, amount, idempotency).await,
        }
    }
}
