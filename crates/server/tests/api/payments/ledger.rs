//! The MANUAL flow, refunds and payouts.

use serde_json::json;

use invigil_domain::identity::Role;
use invigil_domain::payments::ProviderKind;

use super::{ORG, course_payment, id_of, world};
use crate::both;
use crate::common::TestApp;

async fn manual_payment_end_to_end(app: TestApp) {
    let w = world(&app).await;
    let p = course_payment(&app, &w, 1000, ProviderKind::Manual).await;
    let id = id_of(&p);
    assert_eq!(p["status"], "PENDING");
    assert_eq!(p["currency"], "EUR");

    // The ledger and the payer's own view.
    let list = app
        .get_json(&format!("{ORG}/payments"), &w.admin.token)
        .await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    let mine = app.get_json("/api/v1/me/payments", &w.learner.token).await;
    assert_eq!(mine["items"][0]["id"], id.as_str());
    let theirs = app.get_json("/api/v1/me/payments", &w.teacher.token).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    // Staff of payments only.
    app.get_as(&format!("{ORG}/payments"), &w.learner.token)
        .await
        .assert_problem(403, "forbidden");

    // Bad input changes nothing.
    let paid = format!("{ORG}/payments/{id}/mark-paid");
    app.post_json(&paid, &w.admin.token, &json!({ "reference": "  " }))
        .await
        .assert_problem(422, "validation_failed");
    app.post_json(
        &paid,
        &w.admin.token,
        &json!({ "reference": "x", "card": "4242" }),
    )
    .await
    .assert(422);
    let refund = format!("{ORG}/payments/{id}/refund");
    app.post_json(&refund, &w.admin.token, &json!({ "reason": "early" }))
        .await
        .assert_problem(409, "payment_state");

    // The transfer arrives.
    let r = app
        .post_json(&paid, &w.admin.token, &json!({ "reference": "BANK-7781" }))
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "COMPLETED");
    assert!(r.json()["completed_at"].is_string());
    app.post_json(&paid, &w.admin.token, &json!({ "reference": "again" }))
        .await
        .assert_problem(409, "payment_state");
    app.post_json(
        &format!("{ORG}/payments/{id}/cancel"),
        &w.admin.token,
        &json!({}),
    )
    .await
    .assert_problem(409, "payment_state");

    // Refunds: never more than was paid.
    for bad in [
        json!({ "amount": 0, "reason": "x" }),
        json!({ "amount": -5, "reason": "x" }),
        json!({ "amount": 1001, "reason": "x" }),
        json!({ "amount": 100 }),
        json!({ "amount": 100, "reason": "" }),
    ] {
        app.post_json(&refund, &w.admin.token, &bad)
            .await
            .assert_problem(422, "validation_failed");
    }
    let r = app
        .post_json(
            &refund,
            &w.admin.token,
            &json!({ "amount": 300, "reason": "chapter missing" }),
        )
        .await;
    r.assert(200);
    let d = r.json();
    assert_eq!(d["status"], "PARTIALLY_REFUNDED");
    assert_eq!(d["refunded_amount"], 300);
    assert_eq!(d["refunds"].as_array().unwrap().len(), 1);
    app.post_json(
        &refund,
        &w.admin.token,
        &json!({ "amount": 701, "reason": "x" }),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .post_json(&refund, &w.admin.token, &json!({ "reason": "the rest" }))
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "REFUNDED");
    assert_eq!(r.json()["refunded_amount"], 1000);
    app.post_json(
        &refund,
        &w.admin.token,
        &json!({ "amount": 1, "reason": "x" }),
    )
    .await
    .assert_problem(409, "payment_state");

    let d = app
        .get_json(&format!("{ORG}/payments/{id}"), &w.admin.token)
        .await;
    assert_eq!(d["refunds"].as_array().unwrap().len(), 2);
    assert_eq!(d["refunds"][1]["amount"], 700);

    // Filters.
    let l = app
        .get_json(&format!("{ORG}/payments?status=REFUNDED"), &w.admin.token)
        .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    let l = app
        .get_json(&format!("{ORG}/payments?status=PENDING"), &w.admin.token)
        .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 0);
    let l = app
        .get_json(
            &format!(
                "{ORG}/payments?payer={}&purpose={}",
                w.learner.id,
                p["purpose_id"].as_str().unwrap()
            ),
            &w.admin.token,
        )
        .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    app.get_as(&format!("{ORG}/payments?status=PAID"), &w.admin.token)
        .await
        .assert_problem(422, "validation_failed");
    app.get_as(&format!("{ORG}/payments?cursor=nope"), &w.admin.token)
        .await
        .assert(400);

    // Audited: completion and both refunds.
    let log = app
        .get_json(&format!("{ORG}/audit-log?resource_id={id}"), &w.admin.token)
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "payment.refunded").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"payment.completed"), "{actions:?}");
    // The completion hook: a COURSE payment enrolls the payer; this one
    // names no course, so it is recorded as not enrolled (for a refund).
    let done = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "payment.completed")
        .unwrap();
    assert_eq!(
        done["details"]["hook"]["kind"], "course_not_enrolled",
        "{done}"
    );
    assert_eq!(done["details"]["hook"]["course_id"], p["purpose_id"]);
    assert_eq!(done["details"]["detail"]["bank_reference"], "BANK-7781");

    // A second payment cancelled, a third failed: neither can be paid after.
    for (action, status) in [("cancel", "CANCELLED"), ("mark-failed", "FAILED")] {
        let q = course_payment(&app, &w, 500, ProviderKind::Manual).await;
        let qid = id_of(&q);
        let r = app
            .post_json(
                &format!("{ORG}/payments/{qid}/{action}"),
                &w.admin.token,
                &json!({ "reason": "never paid" }),
            )
            .await;
        r.assert(200);
        assert_eq!(r.json()["status"], status);
    }

    // Another organization's admin sees none of it.
    let other = app.org("globex").await;
    let boss = app
        .member(&other, "boss@globex.org", &[Role::OrgAdmin])
        .await;
    app.get_as(&format!("/api/v1/orgs/globex/payments/{id}"), &boss.token)
        .await
        .assert_problem(404, "not_found");
    app.post_json(
        &format!("/api/v1/orgs/globex/payments/{id}/refund"),
        &boss.token,
        &json!({ "reason": "steal" }),
    )
    .await
    .assert_problem(404, "not_found");
    app.get_as(&format!("{ORG}/payments/{id}"), &boss.token)
        .await
        .assert_problem(404, "not_found");
}

async fn payouts_never_exceed_the_unpaid_balance(app: TestApp) {
    let w = world(&app).await;
    let p = course_payment(&app, &w, 1000, ProviderKind::Manual).await;
    let id = id_of(&p);
    let pending = course_payment(&app, &w, 5000, ProviderKind::Manual).await;
    assert_eq!(pending["status"], "PENDING");
    app.post_json(
        &format!("{ORG}/payments/{id}/mark-paid"),
        &w.admin.token,
        &json!({ "reference": "B1" }),
    )
    .await
    .assert(200);
    let b = app
        .get_json(&format!("{ORG}/payouts/balances"), &w.admin.token)
        .await;
    assert_eq!(b["share_percent"], 70);
    assert_eq!(b["items"][0]["payee_user_id"], w.teacher.id.to_string());
    assert_eq!(b["items"][0]["unpaid"], 700, "{b}");

    app.post_json(
        &format!("{ORG}/payments/{id}/refund"),
        &w.admin.token,
        &json!({ "amount": 400, "reason": "partial" }),
    )
    .await
    .assert(200);
    let b = app
        .get_json(&format!("{ORG}/payouts/balances"), &w.admin.token)
        .await;
    assert_eq!(b["items"][0]["unpaid"], 420, "{b}");

    let url = format!("{ORG}/payouts");
    let body = |amount: i64| {
        json!({ "payee_user_id": w.teacher.id, "amount": amount,
        "currency": "EUR", "period": "2026-11" })
    };
    app.post_json(&url, &w.admin.token, &body(421))
        .await
        .assert_problem(422, "validation_failed");
    app.post_json(
        &url,
        &w.admin.token,
        &json!({ "payee_user_id": w.teacher.id,
        "amount": 10, "currency": "USD" }),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post_json(
        &url,
        &w.admin.token,
        &json!({ "payee_user_id": uuid::Uuid::now_v7(),
        "amount": 10, "currency": "EUR" }),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post_json(
        &url,
        &w.admin.token,
        &json!({ "payee_user_id": w.teacher.id,
        "amount": 10, "currency": "EUR", "method": "CASH" }),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app.post_json(&url, &w.admin.token, &body(400)).await;
    r.assert(201);
    let payout = r.json();
    assert_eq!(payout["status"], "PENDING");
    let b = app
        .get_json(&format!("{ORG}/payouts/balances"), &w.admin.token)
        .await;
    assert_eq!(b["items"][0]["unpaid"], 20);
    app.post_json(&url, &w.admin.token, &body(21))
        .await
        .assert(422);

    // A failed payout is owed again; a settled one cannot change.
    let pid = id_of(&payout);
    let r = app
        .post_json(
            &format!("{url}/{pid}/mark-failed"),
            &w.admin.token,
            &json!({}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "FAILED");
    app.post_json(
        &format!("{url}/{pid}/mark-paid"),
        &w.admin.token,
        &json!({}),
    )
    .await
    .assert_problem(409, "payout_state");
    let b = app
        .get_json(&format!("{ORG}/payouts/balances"), &w.admin.token)
        .await;
    assert_eq!(b["items"][0]["unpaid"], 420);
    let r = app.post_json(&url, &w.admin.token, &body(420)).await;
    r.assert(201);
    let pid = id_of(&r.json());
    let r = app
        .post_json(
            &format!("{url}/{pid}/mark-paid"),
            &w.admin.token,
            &json!({ "reference": "SEPA-1" }),
        )
        .await;
    r.assert(200);
    assert!(r.json()["paid_at"].is_string());
    let l = app
        .get_json(&format!("{url}?payee={}", w.teacher.id), &w.admin.token)
        .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 2);
    let b = app
        .get_json(&format!("{ORG}/payouts/balances"), &w.admin.token)
        .await;
    assert_eq!(b["items"][0]["unpaid"], 0);
    assert_eq!(b["items"][0]["paid_out"], 420);

    // Another organization's ids are 404.
    let other = app.org("globex").await;
    let boss = app
        .member(&other, "boss@globex.org", &[Role::OrgAdmin])
        .await;
    app.post_json(
        &format!("/api/v1/orgs/globex/payouts/{pid}/mark-failed"),
        &boss.token,
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found");
}

both!(
    manual_payment_end_to_end,
    payouts_never_exceed_the_unpaid_balance
);
