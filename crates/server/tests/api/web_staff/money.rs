//! The Payments section's pages and the learner's /me/billing: a MANUAL
//! invoice marked paid and partly refunded (over the cap refused next to
//! the field, then a confirm step), a payout over the balance refused, the
//! plans form, and who may see what.

use invigil_domain::identity::Role;
use invigil_domain::payments::ProviderKind;
use invigil_testkit::browser::{assert_page, assert_redirect};

use super::staff_browser;
use crate::both;
use crate::common::TestApp;
use crate::payments::{ORG, course_payment, id_of, world};

async fn api_payment(app: &TestApp, token: &str, id: &str) -> serde_json::Value {
    app.get_json(&format!("{ORG}/payments/{id}"), token).await
}

async fn a_manual_invoice_is_marked_paid_and_partly_refunded(app: TestApp) {
    let w = world(&app).await;
    let other = app.org("other").await;
    app.member(&other, "stranger@other.org", &[Role::OrgAdmin])
        .await;
    let p = course_payment(&app, &w, 1000, ProviderKind::Manual).await;
    let id = id_of(&p);
    let reference = p["reference"].as_str().unwrap().to_owned();
    let page = format!("/orgs/acme/payments/{id}");

    // Who may look: the org admin only; a stranger's org does not exist.
    let mut learner = staff_browser(&app, "ana@acme.org").await;
    assert_page(&learner.get(&app, "/orgs/acme/payments").await, 403);
    assert_page(&learner.get(&app, &page).await, 403);
    let mut teacher = staff_browser(&app, "teacher@acme.org").await;
    assert_page(&teacher.get(&app, "/orgs/acme/payouts").await, 403);
    let mut stranger = staff_browser(&app, "stranger@other.org").await;
    assert_page(&stranger.get(&app, &page).await, 404);
    assert_page(
        &stranger
            .get(&app, &format!("/orgs/other/payments/{id}"))
            .await,
        404,
    );

    // The learner's billing page says how to pay the invoice.
    let billing = learner.get(&app, "/me/billing").await;
    assert_page(&billing, 200);
    let html = billing.text();
    assert!(html.contains(&reference), "{html}");
    assert!(html.contains("To do:"), "{html}");
    assert!(html.contains("10.00 EUR"), "{html}");
    assert!(
        html.contains("Course (removed)") || html.contains("Course"),
        "{html}"
    );
    assert_redirect(
        &learner
            .get(&app, &format!("/me/payments?paid={reference}"))
            .await,
        &format!("/me/billing?paid={reference}"),
    );
    let back = learner
        .get(&app, "/me/billing?paid=%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert_page(&back, 200);
    assert!(!back.text().contains("<script>alert"), "{}", back.text());

    // The ledger with its filters, amounts in money.
    let mut admin = staff_browser(&app, "admin@acme.org").await;
    let ledger = admin.get(&app, "/orgs/acme/payments").await;
    assert_page(&ledger, 200);
    let html = ledger.text();
    assert!(
        html.contains(&reference) && html.contains("10.00 EUR"),
        "{html}"
    );
    assert!(html.contains(r#"href="/orgs/acme/payments""#), "{html}");
    let manual = admin
        .get(&app, "/orgs/acme/payments?status=PENDING&provider=MANUAL")
        .await;
    assert!(manual.text().contains(&reference), "{}", manual.text());
    let stripe = admin.get(&app, "/orgs/acme/payments?provider=STRIPE").await;
    assert_page(&stripe, 200);
    assert!(
        stripe.text().contains("No payment matches"),
        "{}",
        stripe.text()
    );
    assert_page(
        &admin.get(&app, "/orgs/acme/payments?provider=NOPE").await,
        422,
    );
    assert_page(
        &admin.get(&app, "/orgs/acme/payments?status=NOPE").await,
        422,
    );
    assert_page(
        &admin.get(&app, "/orgs/acme/payments?course=nope").await,
        422,
    );
    assert_page(
        &admin.get(&app, "/orgs/acme/payments?cursor=garbage").await,
        400,
    );

    // Mark paid: the reference is required, next to its field.
    let detail = admin.get(&app, &page).await;
    assert_page(&detail, 200);
    assert!(detail.text().contains("Mark paid"), "{}", detail.text());
    let csrf = admin.csrf_token.clone().unwrap();
    let refused = admin
        .post(
            &app,
            &format!("{page}/mark-paid"),
            &[("csrf", csrf.as_str()), ("reference", "  ")],
        )
        .await;
    assert_page(&refused, 422);
    assert!(
        refused.text().contains(r#"id="reference-error""#),
        "{}",
        refused.text()
    );
    assert_eq!(
        api_payment(&app, &w.admin.token, &id).await["status"],
        "PENDING"
    );
    let forged = admin
        .post(
            &app,
            &format!("{page}/mark-paid"),
            &[("csrf", "forged"), ("reference", "BANK-1")],
        )
        .await;
    assert_page(&forged, 403);
    let done = admin
        .post(
            &app,
            &format!("{page}/mark-paid"),
            &[("csrf", csrf.as_str()), ("reference", "BANK-7781")],
        )
        .await;
    assert_redirect(&done, &format!("{page}?done=paid"));
    let detail = admin.get(&app, &format!("{page}?done=paid")).await;
    let html = detail.text();
    assert!(html.contains("The payment is marked paid."), "{html}");
    assert!(
        html.contains("Marked paid (bank reference BANK-7781)"),
        "{html}"
    );
    assert!(html.contains("Review the refund"), "{html}");

    // A refund over what is left is refused next to the amount, in money,
    // before any confirm step; a bad amount too.
    let refund = format!("{page}/refund");
    let over = admin
        .post(
            &app,
            &refund,
            &[
                ("csrf", csrf.as_str()),
                ("amount", "10.01"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_page(&over, 422);
    let html = over.text();
    assert!(html.contains(r#"id="amount-error""#), "{html}");
    assert!(html.contains("(10.00 EUR)"), "{html}");
    assert!(html.contains(r#"value="10.01""#), "{html}");
    for (amount, reason) in [
        ("abc", "x"),
        ("-3", "x"),
        ("0", "x"),
        ("1.234", "x"),
        ("3", " "),
    ] {
        let bad = admin
            .post(
                &app,
                &refund,
                &[
                    ("csrf", csrf.as_str()),
                    ("amount", amount),
                    ("reason", reason),
                ],
            )
            .await;
        assert_page(&bad, 422);
    }
    // A valid amount: the confirm page, nothing refunded yet.
    let confirm = admin
        .post(
            &app,
            &refund,
            &[
                ("csrf", csrf.as_str()),
                ("amount", "3"),
                ("reason", "chapter missing"),
            ],
        )
        .await;
    assert_page(&confirm, 200);
    let html = confirm.text();
    assert!(html.contains("Refund 3.00 EUR?"), "{html}");
    assert!(html.contains("7.00 EUR"), "{html}");
    assert!(html.contains(r#"name="confirm" value="1""#), "{html}");
    assert_eq!(
        api_payment(&app, &w.admin.token, &id).await["refunded_amount"],
        0
    );
    let done = admin
        .post(
            &app,
            &refund,
            &[
                ("csrf", csrf.as_str()),
                ("amount", "3"),
                ("reason", "chapter missing"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_redirect(&done, &format!("{page}?done=refunded"));
    let d = api_payment(&app, &w.admin.token, &id).await;
    assert_eq!(d["status"], "PARTIALLY_REFUNDED");
    assert_eq!(d["refunded_amount"], 300);
    // The service's own cap, reached through a confirmed form: refused next
    // to the field, nothing changed.
    let over = admin
        .post(
            &app,
            &refund,
            &[
                ("csrf", csrf.as_str()),
                ("amount", "7.01"),
                ("reason", "too much"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_page(&over, 422);
    assert!(over.text().contains("(7.00 EUR)"), "{}", over.text());
    assert_eq!(
        api_payment(&app, &w.admin.token, &id).await["refunded_amount"],
        300
    );
    let detail = admin.get(&app, &page).await;
    let html = detail.text();
    assert!(
        html.contains("Refunded 3.00 EUR: chapter missing"),
        "{html}"
    );
    assert!(html.contains("Partially refunded"), "{html}");

    // The learner sees it.
    let billing = learner.get(&app, "/me/billing").await;
    let html = billing.text();
    assert!(html.contains("Partially refunded"), "{html}");
    assert!(html.contains("3.00 EUR"), "{html}");
    assert!(!html.contains("To do:"), "{html}");

    // Payouts: the teacher earned 70 % of the 7.00 EUR kept = 4.90 EUR.
    let payouts = admin.get(&app, "/orgs/acme/payouts").await;
    assert_page(&payouts, 200);
    assert!(payouts.text().contains("4.90 EUR"), "{}", payouts.text());
    let teacher_id = w.teacher.id.to_string();
    let over = admin
        .post(
            &app,
            "/orgs/acme/payouts",
            &[
                ("csrf", csrf.as_str()),
                ("payee", teacher_id.as_str()),
                ("currency", "EUR"),
                ("amount", "4.91"),
                ("method", "BANK_TRANSFER"),
                ("reference", ""),
                ("period", "2026-12"),
            ],
        )
        .await;
    assert_page(&over, 422);
    let html = over.text();
    assert!(html.contains(r#"id="amount-error""#), "{html}");
    assert!(html.contains("(4.90 EUR)"), "{html}");
    let confirmed_over = admin
        .post(
            &app,
            "/orgs/acme/payouts",
            &[
                ("csrf", csrf.as_str()),
                ("payee", teacher_id.as_str()),
                ("currency", "EUR"),
                ("amount", "4.91"),
                ("method", "BANK_TRANSFER"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_page(&confirmed_over, 422);
    let nobody = admin
        .post(
            &app,
            "/orgs/acme/payouts",
            &[
                ("csrf", csrf.as_str()),
                ("payee", "not-an-id"),
                ("currency", "EUR"),
                ("amount", "1"),
            ],
        )
        .await;
    assert_page(&nobody, 422);
    assert!(nobody.text().contains(r#"id="payee-error""#));
    let list = app
        .get_json(&format!("{ORG}/payouts"), &w.admin.token)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let confirm = admin
        .post(
            &app,
            "/orgs/acme/payouts",
            &[
                ("csrf", csrf.as_str()),
                ("payee", teacher_id.as_str()),
                ("currency", "eur"),
                ("amount", "4.90"),
                ("method", "BANK_TRANSFER"),
                ("period", "2026-12"),
            ],
        )
        .await;
    assert_page(&confirm, 200);
    assert!(
        confirm.text().contains("Pay out 4.90 EUR to"),
        "{}",
        confirm.text()
    );
    let done = admin
        .post(
            &app,
            "/orgs/acme/payouts",
            &[
                ("csrf", csrf.as_str()),
                ("payee", teacher_id.as_str()),
                ("currency", "EUR"),
                ("amount", "4.90"),
                ("method", "BANK_TRANSFER"),
                ("period", "2026-12"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_redirect(&done, "/orgs/acme/payouts?done=created");
    let list = app
        .get_json(&format!("{ORG}/payouts"), &w.admin.token)
        .await;
    let payout = list["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list["items"][0]["amount"], 490);
    let marked = admin
        .post(
            &app,
            &format!("/orgs/acme/payouts/{payout}/mark"),
            &[("csrf", csrf.as_str()), ("op", "paid")],
        )
        .await;
    assert_redirect(&marked, "/orgs/acme/payouts?done=paid");
    let again = admin
        .post(
            &app,
            &format!("/orgs/acme/payouts/{payout}/mark"),
            &[("csrf", csrf.as_str()), ("op", "paid")],
        )
        .await;
    assert_page(&again, 409);
}

async fn plans_and_subscriptions_from_the_console(app: TestApp) {
    let w = world(&app).await;
    let mut admin = staff_browser(&app, "admin@acme.org").await;
    let plans = admin.get(&app, "/orgs/acme/plans").await;
    assert_page(&plans, 200);
    assert!(plans.text().contains("No plan yet"), "{}", plans.text());
    let csrf = admin.csrf_token.clone().unwrap();
    let form = |code: &'static str, price: &'static str, currency: &'static str| {
        vec![
            ("code", code),
            ("name", "Pro"),
            ("price", price),
            ("currency", currency),
            ("interval", "MONTH"),
            ("active", "on"),
        ]
    };
    // Errors next to their fields, nothing created.
    let mut bad = form("bad code!", "9.99", "EURO");
    bad.push(("csrf", csrf.as_str()));
    let refused = admin.post(&app, "/orgs/acme/plans", &bad).await;
    assert_page(&refused, 422);
    let html = refused.text();
    assert!(html.contains(r#"id="code-error""#), "{html}");
    let mut bad_price = form("PRO", "9.999", "EUR");
    bad_price.push(("csrf", csrf.as_str()));
    let refused = admin.post(&app, "/orgs/acme/plans", &bad_price).await;
    assert_page(&refused, 422);
    assert!(refused.text().contains(r#"id="price-error""#));
    let mut ok = form("PRO", "9.99", "eur");
    ok.push(("csrf", csrf.as_str()));
    assert_redirect(
        &admin.post(&app, "/orgs/acme/plans", &ok).await,
        "/orgs/acme/plans?done=created",
    );
    let taken = admin.post(&app, "/orgs/acme/plans", &ok).await;
    assert_page(&taken, 409);
    assert!(
        taken.text().contains(r#"id="code-error""#),
        "{}",
        taken.text()
    );
    let list = app.get_json(&format!("{ORG}/plans"), &w.admin.token).await;
    assert_eq!(list["items"][0]["price"], 999);
    assert_eq!(list["items"][0]["currency"], "EUR");
    let plan = list["items"][0]["id"].as_str().unwrap().to_owned();
    let edit = admin.get(&app, &format!("/orgs/acme/plans/{plan}")).await;
    assert_page(&edit, 200);
    assert!(edit.text().contains(r#"value="9.99""#), "{}", edit.text());

    // A learner subscribes (API), the admin sees and cancels it.
    let r = app
        .post_json(
            &format!("{ORG}/subscriptions"),
            &w.learner.token,
            &serde_json::json!({ "plan": "PRO" }),
        )
        .await;
    r.assert(201);
    let subs = admin.get(&app, "/orgs/acme/subscriptions").await;
    assert_page(&subs, 200);
    assert!(subs.text().contains("Incomplete"), "{}", subs.text());
    let mut learner = staff_browser(&app, "ana@acme.org").await;
    let billing = learner.get(&app, "/me/billing").await;
    let html = billing.text();
    assert!(html.contains("Subscription: Pro"), "{html}");
    assert!(html.contains("9.99 EUR per month"), "{html}");

    // Deactivate: nobody new can subscribe.
    let off = admin
        .post(
            &app,
            &format!("/orgs/acme/plans/{plan}/active"),
            &[("csrf", csrf.as_str()), ("active", "false")],
        )
        .await;
    assert_redirect(&off, "/orgs/acme/plans?done=deactivated");
    app.post_json(
        &format!("{ORG}/subscriptions"),
        &w.learner.token,
        &serde_json::json!({ "plan": "PRO" }),
    )
    .await
    .assert(422);

    // The learner cancels their own (it never started: it ends now).
    let sub = r.json()["subscription"]["id"].as_str().unwrap().to_owned();
    let lcsrf = learner.csrf_token.clone().unwrap();
    // Someone else's subscription does not exist for them.
    let mut admin_as_member = staff_browser(&app, "teacher@acme.org").await;
    let tcsrf = admin_as_member.csrf_token.clone().unwrap();
    assert_page(
        &admin_as_member
            .post(
                &app,
                &format!("/me/billing/subscriptions/{sub}/cancel"),
                &[("csrf", tcsrf.as_str())],
            )
            .await,
        404,
    );
    let done = learner
        .post(
            &app,
            &format!("/me/billing/subscriptions/{sub}/cancel"),
            &[("csrf", lcsrf.as_str())],
        )
        .await;
    assert_redirect(&done, "/me/billing?done=cancelled");
    let subs = app
        .get_json("/api/v1/me/subscriptions", &w.learner.token)
        .await;
    assert_eq!(subs["items"][0]["status"], "CANCELED");
}

both!(
    a_manual_invoice_is_marked_paid_and_partly_refunded,
    plans_and_subscriptions_from_the_console,
);
