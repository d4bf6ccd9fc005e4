//! The STRIPE provider: Checkout Sessions and refunds through Stripe's REST
//! API (form-encoded, `Authorization: Bearer sk_...`) at a configurable
//! base URL, and webhook events verified by their `Stripe-Signature`.
//!
//! The HTTP client is hyper's HTTP/1 connection over TCP, with rustls
//! (webpki roots) for `https://` bases: every crate is already in the tree
//! (axum, lettre). One request per connection: checkouts and refunds are
//! rare, and the API answers within its own timeouts.

use std::time::Duration;

use axum::body::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use sha2::Sha256;

use super::provider::{
    Checkout, CheckoutMode, CheckoutRequest, EventKind, ProviderError, ProviderEvent, RefundDone,
    SubscriptionReport, WebhookError,
};

/// Signatures older (or newer) than this on the app clock are refused.
pub const TOLERANCE_SECS: i64 = 300;
const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Checks `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` against the
/// HMAC-SHA256 of `"{t}.{body}"` under `secret`: any one `v1` may match
/// (constant-time compare, `Mac::verify_slice`), and `t` must be within
/// [`TOLERANCE_SECS`] of `now`.
pub fn verify_signature(
    header: &str,
    body: &[u8],
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let mut t: Option<i64> = None;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k {
            "t" => t = v.parse().ok(),
            "v1" => {
                if let Ok(bytes) = hex::decode(v) {
                    sigs.push(bytes);
                }
            }
            _ => {}
        }
    }
    let t = t.ok_or(WebhookError::BadSignature)?;
    if sigs.is_empty() {
        return Err(WebhookError::BadSignature);
    }
    if (now.timestamp() - t).abs() > TOLERANCE_SECS {
        return Err(WebhookError::Stale);
    }
    let ok = sigs.iter().any(|sig| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(sig).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// The `Stripe-Signature` header of `body` at `t` (tests and tooling).
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::to_owned)
}

fn ts(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_i64)
        .and_then(|t| Utc.timestamp_opt(t, 0).single())
}

/// Parses a verified event body into a typed event; a body that is not a
/// Stripe event object is a 400.
pub fn parse_event(body: &[u8]) -> Result<ProviderEvent, WebhookError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| WebhookError::Malformed)?;
    let id = s(&v, &["id"]).ok_or(WebhookError::Malformed)?;
    let ty = s(&v, &["type"]).ok_or(WebhookError::Malformed)?;
    let obj = v
        .get("data")
        .and_then(|d| d.get("object"))
        .ok_or(WebhookError::Malformed)?;
    let reference = s(obj, &["client_reference_id"]).or_else(|| s(obj, &["metadata", "reference"]));
    let kind = match ty.as_str() {
        "checkout.session.completed" => EventKind::PaymentSucceeded {
            provider_ref: s(obj, &["id"]),
            payment_intent: s(obj, &["payment_intent"]),
            subscription: s(obj, &["subscription"]),
            reference,
        },
        "payment_intent.succeeded" => EventKind::PaymentSucceeded {
            provider_ref: s(obj, &["id"]),
            payment_intent: s(obj, &["id"]),
            subscription: None,
            reference,
        },
        "payment_intent.payment_failed" => EventKind::PaymentFailed {
            provider_ref: s(obj, &["id"]),
            reference,
        },
        "charge.refunded" => EventKind::Refunded {
            payment_intent: s(obj, &["payment_intent"]),
            reference,
            amount_refunded: obj
                .get("amount_refunded")
                .and_then(Value::as_i64)
                .ok_or(WebhookError::Malformed)?,
        },
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => EventKind::Subscription(SubscriptionReport {
            provider_ref: s(obj, &["id"]).ok_or(WebhookError::Malformed)?,
            subscription_id: s(obj, &["metadata", "subscription_id"]).and_then(|u| u.parse().ok()),
            status: if ty == "customer.subscription.deleted" {
                Some(invigil_domain::payments::subscription::SubscriptionStatus::Canceled)
            } else {
                s(obj, &["status"]).and_then(|st| {
                    invigil_domain::payments::subscription::SubscriptionStatus::from_provider(&st)
                })
            },
            period_start: ts(obj, "current_period_start"),
            period_end: ts(obj, "current_period_end"),
            cancel_at_period_end: obj.get("cancel_at_period_end").and_then(Value::as_bool),
        }),
        _ => EventKind::Other,
    };
    Ok(ProviderEvent {
        id,
        event_type: ty,
        kind,
    })
}

/// The Stripe REST client.
pub struct Stripe {
    pub api_base: String,
    pub secret_key: String,
}

impl Stripe {
    /// `POST /v1/checkout/sessions`: a hosted payment page for the payment,
    /// carrying our reference (`client_reference_id` and metadata) so the
    /// webhook finds the payment.
    pub async fn create_checkout(&self, r: &CheckoutRequest) -> Result<Checkout, ProviderError> {
        let amount = r.amount.to_string();
        let currency = r.currency.to_ascii_lowercase();
        let mut form: Vec<(&str, String)> = vec![
            ("client_reference_id", r.reference.clone()),
            ("metadata[reference]", r.reference.clone()),
            ("success_url", r.success_url.clone()),
            ("cancel_url", r.cancel_url.clone()),
            ("line_items[0][quantity]", "1".into()),
            ("line_items[0][price_data][currency]", currency),
            ("line_items[0][price_data][unit_amount]", amount),
            (
                "line_items[0][price_data][product_data][name]",
                r.description.clone(),
            ),
        ];
        match &r.mode {
            CheckoutMode::Payment => {
                form.push(("mode", "payment".into()));
                form.push((
                    "payment_intent_data[metadata][reference]",
                    r.reference.clone(),
                ));
            }
            CheckoutMode::Subscription {
                subscription_id,
                interval,
            } => {
                form.push(("mode", "subscription".into()));
                form.push((
                    "line_items[0][price_data][recurring][interval]",
                    interval.clone(),
                ));
                form.push((
                    "subscription_data[metadata][subscription_id]",
                    subscription_id.to_string(),
                ));
                form.push((
                    "subscription_data[metadata][reference]",
                    r.reference.clone(),
                ));
            }
        }
        let v = self
            .post("/v1/checkout/sessions", &form, &r.reference)
            .await?;
        Ok(Checkout {
            provider_ref: s(&v, &["id"]),
            url: s(&v, &["url"]),
            instructions: None,
        })
    }

    /// `POST /v1/refunds` on the payment intent.
    pub async fn refund(
        &self,
        payment_intent: &str,
        amount: i64,
        idempotency: &str,
    ) -> Result<RefundDone, ProviderError> {
        let form = vec![
            ("payment_intent", payment_intent.to_owned()),
            ("amount", amount.to_string()),
        ];
        let v = self.post("/v1/refunds", &form, idempotency).await?;
        Ok(RefundDone {
            provider_ref: s(&v, &["id"]),
            pending: s(&v, &["status"]).as_deref() == Some("pending"),
        })
    }

    /// `POST /v1/subscriptions/{id}` with `cancel_at_period_end=true`:
    /// Stripe stops renewing; its `customer.subscription.updated` follows.
    pub async fn cancel_at_period_end(&self, subscription: &str) -> Result<(), ProviderError> {
        if !subscription
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(ProviderError::Rejected(
                "not a Stripe subscription id".into(),
            ));
        }
        let form = vec![("cancel_at_period_end", "true".to_owned())];
        self.post(
            &format!("/v1/subscriptions/{subscription}"),
            &form,
            &format!("cancel-{subscription}"),
        )
        .await
        .map(|_| ())
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency: &str,
    ) -> Result<Value, ProviderError> {
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| ProviderError::Unavailable(format!("form: {e}")))?;
        let url = format!("{}{path}", self.api_base.trim_end_matches('/'));
        let fut = send(&url, &self.secret_key, body, idempotency);
        let (status, bytes) = tokio::time::timeout(HTTP_TIMEOUT, fut)
            .await
            .map_err(|_| ProviderError::Unavailable("Stripe did not answer in time".into()))??;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(v)
        } else if (400..500).contains(&status) {
            let msg = s(&v, &["error", "message"]).unwrap_or_else(|| format!("HTTP {status}"));
            Err(ProviderError::Rejected(msg))
        } else {
            Err(ProviderError::Unavailable(format!(
                "Stripe answered HTTP {status}"
            )))
        }
    }
}

/// One form POST; `(status, body)`.
async fn send(
    url: &str,
    key: &str,
    body: String,
    idempotency: &str,
) -> Result<(u16, Bytes), ProviderError> {
    use hyper_util::rt::TokioIo;
    let down = |e: &dyn std::fmt::Display| ProviderError::Unavailable(format!("Stripe: {e}"));
    let uri: hyper::Uri = url.parse().map_err(|e| down(&e))?;
    let https = uri.scheme_str() == Some("https");
    let host = uri.host().ok_or_else(|| down(&"no host"))?.to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| down(&e))?;
    let req = hyper::Request::post(path)
        .header(hyper::header::HOST, host.as_str())
        .header(hyper::header::AUTHORIZATION, format!("Bearer {key}"))
        .header(
            hyper::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header("Idempotency-Key", idempotency)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| down(&e))?;
    if https {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(
            std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider()),
        )
        .with_safe_default_protocol_versions()
        .map_err(|e| down(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| down(&e))?;
        let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| down(&e))?;
        exchange(TokioIo::new(tls), req).await
    } else {
        exchange(TokioIo::new(tcp), req).await
    }
}

async fn exchange<IO>(
    io: IO,
    req: hyper::Request<Full<Bytes>>,
) -> Result<(u16, Bytes), ProviderError>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let down = |e: &dyn std::fmt::Display| ProviderError::Unavailable(format!("Stripe: {e}"));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| down(&e))?;
    let driver = tokio::spawn(conn);
    let resp = sender.send_request(req).await.map_err(|e| down(&e))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| down(&e))?
        .to_bytes();
    driver.abort();
    Ok((status, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0).single().unwrap()
    }

    #[test]
    fn signatures() {
        let body = br#"{"id":"evt_1"}"#;
        let t = now().timestamp();
        let good = sign(body, SECRET, t);
        assert_eq!(verify_signature(&good, body, SECRET, now()), Ok(()));
        // Several v1 values: one matching is enough (secret rotation).
        let v1 = good.split("v1=").nth(1).unwrap();
        let two = format!("t={t},v1={},v1={v1}", "00".repeat(32));
        assert_eq!(verify_signature(&two, body, SECRET, now()), Ok(()));
        // Another body, another secret, no v1, garbage.
        assert_eq!(
            verify_signature(&good, br#"{"id":"evt_2"}"#, SECRET, now()),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(&good, body, "whsec_other", now()),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(&format!("t={t}"), body, SECRET, now()),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature("nonsense", body, SECRET, now()),
            Err(WebhookError::BadSignature)
        );
        // Five minutes either way on the app clock.
        let old = sign(body, SECRET, t - TOLERANCE_SECS - 1);
        assert_eq!(
            verify_signature(&old, body, SECRET, now()),
            Err(WebhookError::Stale)
        );
        let edge = sign(body, SECRET, t - TOLERANCE_SECS);
        assert_eq!(verify_signature(&edge, body, SECRET, now()), Ok(()));
    }

    #[test]
    fn events_parse_into_types() {
        let e = parse_event(
            br#"{"id":"evt_1","type":"charge.refunded","data":{"object":{"payment_intent":"pi_1","amount_refunded":300}}}"#,
        )
        .unwrap();
        assert_eq!(e.id, "evt_1");
        assert!(matches!(
            e.kind,
            EventKind::Refunded {
                amount_refunded: 300,
                ..
            }
        ));
        let e = parse_event(br#"{"id":"evt_2","type":"invoice.created","data":{"object":{}}}"#)
            .unwrap();
        assert!(matches!(e.kind, EventKind::Other));
        assert_eq!(parse_event(b"[]").err(), Some(WebhookError::Malformed));
        assert_eq!(
            parse_event(br#"{"id":"evt_3","type":"charge.refunded","data":{"object":{}}}"#).err(),
            Some(WebhookError::Malformed)
        );
    }
}
