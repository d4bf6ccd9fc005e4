//! Stripe: webhooks verified by signature, idempotent on the event id,
//! never moving a payment backwards; the REST client against a local fake
//! of Stripe's endpoints (a third party, on loopback).

use axum::Router;
use axum::routing::post;
use serde_json::{Value, json};

use invigil_domain::payments::ProviderKind;
use invigil_server::config::Secret;
use invigil_server::payments::provider::{CheckoutMode, CheckoutRequest};
use invigil_server::payments::stripe::{Stripe, sign};

use super::{ORG, course_payment, id_of, world};
use crate::both;
use crate::common::{TestApp, TestResponse};

const SECRET: &str = "whsec_test_secret";

async fn deliver(app: &TestApp, body: &Value, t: i64) -> TestResponse {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = sign(&raw, SECRET, t);
    app.post("/api/v1/webhooks/stripe")
        .header("stripe-signature", &sig)
        .body("application/json", raw)
        .send()
        .await
}

fn event(id: &str, ty: &str, object: Value) -> Value {
    json!({ "id": id, "type": ty, "object": "event", "data": { "object": object } })
}

async fn payment(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_json(&format!("{ORG}/payments/{id}"), token).await
}

async fn stripe_webhooks_are_signed_idempotent_and_forward_only(app: TestApp) {
    let w = world(&app).await;
    let p = course_payment(&app, &w, 2500, ProviderKind::Stripe).await;
    let id = id_of(&p);
    let reference = p["reference"].as_str().unwrap().to_owned();
    let now = app.state.now().timestamp();
    let completed = event(
        "evt_1",
        "checkout.session.completed",
        json!({ "id": "cs_1", "client_reference_id": reference, "payment_intent": "pi_1",
            "mode": "payment" }),
    );

    // Bad, stale, future and missing signatures: 400 and nothing changes.
    let raw = serde_json::to_vec(&completed).unwrap();
    let r = app
        .post("/api/v1/webhooks/stripe")
        .header("stripe-signature", &sign(&raw, "whsec_wrong", now))
        .body("application/json", raw.clone())
        .send()
        .await;
    r.assert_problem(400, "bad_request");
    app.post("/api/v1/webhooks/stripe")
        .body("application/json", raw.clone())
        .send()
        .await
        .assert(400);
    deliver(&app, &completed, now - 301).await.assert(400);
    deliver(&app, &completed, now + 301).await.assert(400);
    assert_eq!(
        payment(&app, &w.admin.token, &id).await["status"],
        "PENDING"
    );

    // A good one completes the payment and keeps the payment intent.
    let r = deliver(&app, &completed, now - 200).await;
    r.assert(200);
    assert_eq!(r.json()["outcome"], "applied");
    let d = payment(&app, &w.admin.token, &id).await;
    assert_eq!(d["status"], "COMPLETED");
    assert_eq!(d["provider_ref"], "pi_1");

    // The replay answers 200 and changes nothing.
    let before = payment(&app, &w.admin.token, &id).await;
    let r = deliver(&app, &completed, now).await;
    r.assert(200);
    assert_eq!(r.json()["outcome"], "replayed");
    assert_eq!(payment(&app, &w.admin.token, &id).await, before);

    // Out of order: a late failure or succeeded event never moves it back.
    let failed = event(
        "evt_2",
        "payment_intent.payment_failed",
        json!({ "id": "pi_1", "metadata": { "reference": reference } }),
    );
    let r = deliver(&app, &failed, now).await;
    r.assert(200);
    assert_eq!(
        payment(&app, &w.admin.token, &id).await["status"],
        "COMPLETED"
    );
    let succeeded = event(
        "evt_3",
        "payment_intent.succeeded",
        json!({ "id": "pi_1", "metadata": { "reference": reference } }),
    );
    deliver(&app, &succeeded, now).await.assert(200);

    // Refunds report the total so far; an older, smaller total is ignored.
    let refunded = |eid: &str, total: i64| {
        event(
            eid,
            "charge.refunded",
            json!({ "id": "ch_1", "payment_intent": "pi_1", "amount_refunded": total }),
        )
    };
    deliver(&app, &refunded("evt_4", 1000), now)
        .await
        .assert(200);
    let d = payment(&app, &w.admin.token, &id).await;
    assert_eq!(d["status"], "PARTIALLY_REFUNDED");
    assert_eq!(d["refunded_amount"], 1000);
    assert_eq!(d["refunds"].as_array().unwrap().len(), 1);
    deliver(&app, &refunded("evt_5", 400), now)
        .await
        .assert(200);
    deliver(&app, &refunded("evt_6", 9999), now)
        .await
        .assert(200);
    let d = payment(&app, &w.admin.token, &id).await;
    assert_eq!(d["status"], "REFUNDED");
    assert_eq!(d["refunded_amount"], 2500);
    assert_eq!(d["refunds"].as_array().unwrap().len(), 2);
    let total: i64 = d["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2500);
    // Completion reached before refunds (out of order), for another payment.
    let q = course_payment(&app, &w, 800, ProviderKind::Stripe).await;
    let qref = q["reference"].as_str().unwrap();
    let early = event(
        "evt_7",
        "charge.refunded",
        json!({ "payment_intent": "pi_2", "metadata": { "reference": qref }, "amount_refunded": 800 }),
    );
    deliver(&app, &early, now).await.assert(200);
    assert_eq!(
        payment(&app, &w.admin.token, &id_of(&q)).await["status"],
        "REFUNDED"
    );

    // Unknown types are recorded and acknowledged; malformed bodies are 400.
    let r = deliver(&app, &event("evt_8", "invoice.created", json!({})), now).await;
    r.assert(200);
    assert_eq!(r.json()["outcome"], "unknown type");
    deliver(&app, &json!({ "hello": "world" }), now)
        .await
        .assert(400);
    let r = app
        .post("/api/v1/webhooks/stripe")
        .header("stripe-signature", &sign(b"not json", SECRET, now))
        .body("application/json", b"not json".to_vec())
        .send()
        .await;
    r.assert(400);

    // MANUAL marks do not apply to STRIPE payments.
    app.post_json(
        &format!("{ORG}/payments/{}/mark-paid", id_of(&q)),
        &w.admin.token,
        &json!({ "reference": "x" }),
    )
    .await
    .assert_problem(409, "payment_provider");
    // Without a secret key, a staff refund of a STRIPE payment is refused
    // clearly and records nothing.
    let r = course_payment(&app, &w, 300, ProviderKind::Stripe).await;
    let rref = r["reference"].as_str().unwrap();
    deliver(
        &app,
        &event(
            "evt_9",
            "payment_intent.succeeded",
            json!({ "id": "pi_3", "metadata": { "reference": rref } }),
        ),
        now,
    )
    .await
    .assert(200);
    app.post_json(
        &format!("{ORG}/payments/{}/refund", id_of(&r)),
        &w.admin.token,
        &json!({ "reason": "x" }),
    )
    .await
    .assert_problem(422, "provider_not_configured");
}

/// A fake of Stripe's two endpoints: answers what it was sent, so the test
/// sees the form encoding and the key.
async fn fake_stripe() -> String {
    async fn echo(
        headers: axum::http::HeaderMap,
        axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
        body: String,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if auth != "Bearer sk_test_fake" {
            return (
                axum::http::StatusCode::UNAUTHORIZED,
                axum::Json(json!({ "error": { "message": "Invalid API Key provided" } })),
            )
                .into_response();
        }
        let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if uri.path() == "/v1/refunds" {
            axum::Json(json!({ "id": "re_1", "status": "succeeded",
                "amount": get("amount").unwrap().parse::<i64>().unwrap() }))
            .into_response()
        } else {
            axum::Json(
                json!({ "id": "cs_test_1", "url": "https://checkout.example/cs_test_1",
                "mode": get("mode"), "client_reference_id": get("client_reference_id"),
                "amount": get("line_items[0][price_data][unit_amount]"),
                "currency": get("line_items[0][price_data][currency]"),
                "interval": get("line_items[0][price_data][recurring][interval]"),
                "idempotency": headers.get("idempotency-key").and_then(|v| v.to_str().ok()) }),
            )
            .into_response()
        }
    }
    let router = Router::new()
        .route("/v1/checkout/sessions", post(echo))
        .route("/v1/refunds", post(echo))
        .route("/v1/subscriptions/{id}", post(echo));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

async fn stripe_rest_client_against_a_local_fake(_app: TestApp) {
    let base = fake_stripe().await;
    let client = Stripe {
        api_base: base.clone(),
        secret_key: "sk_test_fake".into(),
    };
    let req = CheckoutRequest {
        payment_id: uuid::Uuid::now_v7(),
        reference: "INV-1".into(),
        amount: 1999,
        currency: "EUR".into(),
        description: "Anatomy 101".into(),
        success_url: "http://localhost/ok".into(),
        cancel_url: "http://localhost/no".into(),
        mode: CheckoutMode::Payment,
    };
    let c = client.create_checkout(&req).await.unwrap();
    assert_eq!(c.provider_ref.as_deref(), Some("cs_test_1"));
    assert_eq!(c.url.as_deref(), Some("https://checkout.example/cs_test_1"));
    let sub = CheckoutRequest {
        mode: CheckoutMode::Subscription {
            subscription_id: uuid::Uuid::now_v7(),
            interval: "month".into(),
        },
        ..req.clone()
    };
    client.create_checkout(&sub).await.unwrap();
    let r = client.refund("pi_1", 500, "refund-key").await.unwrap();
    assert_eq!(r.provider_ref.as_deref(), Some("re_1"));
    assert!(!r.pending);
    client.cancel_at_period_end("sub_1").await.unwrap();
    assert!(client.cancel_at_period_end("sub_1/../x").await.is_err());
    // A wrong key is the provider's refusal, with its message.
    let bad = Stripe {
        api_base: base,
        secret_key: "sk_wrong".into(),
    };
    let e = bad.create_checkout(&req).await.unwrap_err();
    assert!(e.to_string().contains("Invalid API Key"), "{e}");
    // Nobody listening: unavailable, not a panic.
    let gone = Stripe {
        api_base: "http://127.0.0.1:9".into(),
        secret_key: "sk_test_fake".into(),
    };
    assert!(gone.create_checkout(&req).await.is_err());
}

both!(config = |c: &mut invigil_server::config::Config| {
        c.stripe_webhook_secret = Some(Secret::new(SECRET));
    } => stripe_webhooks_are_signed_idempotent_and_forward_only);
both!(stripe_rest_client_against_a_local_fake);
