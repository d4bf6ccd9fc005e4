//! Plans and the subscription lifecycle: checkout, first payment, period,
//! cancellation at period end, and Stripe's subscription events.

use chrono::Duration;
use serde_json::json;

use invigil_domain::identity::Role;
use invigil_server::config::Secret;
use invigil_server::payments::stripe::sign;

use super::{ORG, id_of, world};
use crate::both;
use crate::common::TestApp;

async fn subscription_lifecycle(app: TestApp) {
    let w = world(&app).await;
    let plans = format!("{ORG}/plans");
    // Bad plans: every field reported; nothing created.
    let v = app
        .post_json(
            &plans,
            &w.admin.token,
            &json!({ "code": "bad code", "name": "",
            "price": 0, "currency": "EURO", "interval": "WEEK" }),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"].as_array().unwrap().len(), 5, "{v}");
    app.post_json(
        &plans,
        &w.learner.token,
        &json!({ "code": "PRO", "name": "Pro",
        "price": 900, "currency": "EUR", "interval": "MONTH" }),
    )
    .await
    .assert_problem(403, "forbidden");
    let r = app
        .post_json(
            &plans,
            &w.admin.token,
            &json!({ "code": "PRO", "name": "Pro",
            "price": 900, "currency": "eur", "interval": "MONTH" }),
        )
        .await;
    r.assert(201);
    let plan = r.json();
    assert_eq!(plan["currency"], "EUR");
    app.post_json(
        &plans,
        &w.admin.token,
        &json!({ "code": "PRO", "name": "Again",
        "price": 100, "currency": "EUR", "interval": "YEAR" }),
    )
    .await
    .assert_problem(409, "conflict");
    let r = app
        .patch_json(
            &format!("{plans}/{}", id_of(&plan)),
            &w.admin.token,
            &json!({ "price": 1000 }),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["price"], 1000);
    // Members see the plans.
    let l = app.get_json(&plans, &w.learner.token).await;
    assert_eq!(l["items"][0]["code"], "PRO");

    // Only a learner subscribes; an unknown plan is 422.
    let subs = format!("{ORG}/subscriptions");
    app.post_json(&subs, &w.teacher.token, &json!({ "plan": "PRO" }))
        .await
        .assert_problem(403, "forbidden");
    app.post_json(&subs, &w.learner.token, &json!({ "plan": "GOLD" }))
        .await
        .assert_problem(422, "validation_failed");
    app.post_json(
        &subs,
        &w.learner.token,
        &json!({ "plan": "PRO", "provider": "PAYPAL" }),
    )
    .await
    .assert_problem(422, "validation_failed");
    // STRIPE without a key: a clear 422, after recording nothing usable.
    app.post_json(
        &subs,
        &w.learner.token,
        &json!({ "plan": "PRO", "provider": "STRIPE" }),
    )
    .await
    .assert_problem(422, "provider_not_configured");

    let r = app
        .post_json(&subs, &w.learner.token, &json!({ "plan": "PRO" }))
        .await;
    r.assert(201);
    let s = r.json();
    assert_eq!(s["subscription"]["status"], "INCOMPLETE");
    assert!(
        s["checkout"]["instructions"]
            .as_str()
            .unwrap()
            .contains("10.00 EUR")
    );
    let sid = s["subscription"]["id"].as_str().unwrap().to_owned();
    let pid = s["checkout"]["payment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(s["checkout"]["payment"]["purpose_kind"], "SUBSCRIPTION");

    // The invoice is paid: the period starts.
    app.post_json(
        &format!("{ORG}/payments/{pid}/mark-paid"),
        &w.admin.token,
        &json!({ "reference": "BANK-1" }),
    )
    .await
    .assert(200);
    let mine = app
        .get_json("/api/v1/me/subscriptions", &w.learner.token)
        .await;
    let cur = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == sid.as_str())
        .unwrap()
        .clone();
    assert_eq!(cur["status"], "ACTIVE", "{cur}");
    assert!(cur["current_period_end"].is_string());
    let staff = app.get_json(&subs, &w.admin.token).await;
    assert!(
        staff["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == sid.as_str())
    );

    // Nobody else cancels it; its owner cancels at period end.
    let other = app.user("eve@example.org").await;
    app.post_json(
        &format!("/api/v1/me/subscriptions/{sid}/cancel"),
        &other.token,
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    let r = app
        .post_json(
            &format!("/api/v1/me/subscriptions/{sid}/cancel"),
            &w.learner.token,
            &json!({}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "ACTIVE");
    assert_eq!(r.json()["cancel_at_period_end"], true);

    // The period ends: canceled.
    app.clock.advance(Duration::days(32));
    // Sessions expired meanwhile: sign in again.
    let learner = app.fresh_token(&w.learner).await;
    let admin = app.fresh_token(&w.admin).await;
    let mine = app.get_json("/api/v1/me/subscriptions", &learner).await;
    let cur = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == sid.as_str())
        .unwrap()
        .clone();
    assert_eq!(cur["status"], "CANCELED");
    app.post_json(&format!("{subs}/{sid}/cancel"), &admin, &json!({}))
        .await
        .assert_problem(409, "subscription_ended");

    // A plan in use is not deleted; another org's admin cannot see it.
    app.delete_as(&format!("{plans}/{}", id_of(&plan)), &admin)
        .await
        .assert_problem(409, "plan_in_use");
    let globex = app.org("globex").await;
    let boss = app
        .member(&globex, "boss@globex.org", &[Role::OrgAdmin])
        .await;
    app.post_json(
        &format!("/api/v1/orgs/globex/subscriptions/{sid}/cancel"),
        &boss.token,
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    app.patch_json(
        &format!("/api/v1/orgs/globex/plans/{}", id_of(&plan)),
        &boss.token,
        &json!({ "price": 1 }),
    )
    .await
    .assert_problem(404, "not_found");
    let r = app
        .post_json(
            &plans,
            &admin,
            &json!({ "code": "TMP", "name": "Tmp",
            "price": 1, "currency": "EUR", "interval": "YEAR" }),
        )
        .await;
    app.delete_as(&format!("{plans}/{}", id_of(&r.json())), &admin)
        .await
        .assert(204);
}

const SECRET: &str = "whsec_subs";

async fn stripe_subscription_events(app: TestApp) {
    let w = world(&app).await;
    app.post_json(
        &format!("{ORG}/plans"),
        &w.admin.token,
        &json!({ "code": "PRO",
        "name": "Pro", "price": 900, "currency": "EUR", "interval": "MONTH" }),
    )
    .await
    .assert(201);
    let r = app
        .post_json(
            &format!("{ORG}/subscriptions"),
            &w.learner.token,
            &json!({ "plan": "PRO" }),
        )
        .await;
    r.assert(201);
    let sid = r.json()["subscription"]["id"].as_str().unwrap().to_owned();
    // Pretend the subscription was a STRIPE one (checkout needs the API).
    use invigil_store::payments::entities::subscription;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    subscription::Entity::update_many()
        .col_expr(subscription::Column::Provider, Expr::value("STRIPE"))
        .filter(subscription::Column::Id.eq(sid.parse::<uuid::Uuid>().unwrap()))
        .exec(app.db().write())
        .await
        .unwrap();

    let now = app.state.now().timestamp();
    let send = |id: &str, ty: &str, status: &str, end: i64, cancel: bool| {
        let body = json!({ "id": id, "type": ty, "data": { "object": {
            "id": "sub_1", "status": status, "current_period_start": end - 30 * 86400,
            "current_period_end": end, "cancel_at_period_end": cancel,
            "metadata": { "subscription_id": sid } } } });
        serde_json::to_vec(&body).unwrap()
    };
    let post = |raw: Vec<u8>| {
        let sig = sign(&raw, SECRET, now);
        app.post("/api/v1/webhooks/stripe")
            .header("stripe-signature", &sig)
            .body("application/json", raw)
            .send()
    };
    let end = now + 30 * 86400;
    post(send(
        "evt_s1",
        "customer.subscription.created",
        "active",
        end,
        false,
    ))
    .await
    .assert(200);
    let s = app
        .get_json("/api/v1/me/subscriptions", &w.learner.token)
        .await;
    assert_eq!(s["items"][0]["status"], "ACTIVE");
    assert_eq!(s["items"][0]["provider_ref"], "sub_1");
    // Renewed, then an older report arrives: the period stays.
    post(send(
        "evt_s2",
        "customer.subscription.updated",
        "active",
        end + 30 * 86400,
        true,
    ))
    .await
    .assert(200);
    post(send(
        "evt_s3",
        "customer.subscription.updated",
        "past_due",
        end,
        false,
    ))
    .await
    .assert(200);
    let s = app
        .get_json("/api/v1/me/subscriptions", &w.learner.token)
        .await;
    assert_eq!(
        s["items"][0]["current_period_end"].as_str().unwrap(),
        chrono::DateTime::from_timestamp(end + 30 * 86400, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    );
    post(send(
        "evt_s4",
        "customer.subscription.deleted",
        "canceled",
        end,
        false,
    ))
    .await
    .assert(200);
    let s = app
        .get_json("/api/v1/me/subscriptions", &w.learner.token)
        .await;
    assert_eq!(s["items"][0]["status"], "CANCELED");
    // Nothing revives an ended subscription.
    post(send(
        "evt_s5",
        "customer.subscription.updated",
        "active",
        end + 90 * 86400,
        false,
    ))
    .await
    .assert(200);
    let s = app
        .get_json("/api/v1/me/subscriptions", &w.learner.token)
        .await;
    assert_eq!(s["items"][0]["status"], "CANCELED");
}

both!(subscription_lifecycle);
both!(config = |c: &mut invigil_server::config::Config| {
        c.stripe_webhook_secret = Some(Secret::new(SECRET));
    } => stripe_subscription_events);
