//! Payments (issue 15 point 8): the MANUAL flow end to end, refund limits,
//! payout balances, subscriptions, Stripe webhooks (signature, replay, out
//! of order) and the Stripe REST client against a local fake — through the
//! real router on both backends.

mod ledger;
mod stripe;
mod subscriptions;

use serde_json::Value;
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_domain::payments::{ProviderKind, PurposeKind};
use invigil_server::payments::service::{self, Purpose};
use invigil_store::tenancy::Organization;

use crate::common::{TestApp, TestUser};

pub const ORG: &str = "/api/v1/orgs/acme";

pub struct World {
    pub org: Organization,
    pub admin: TestUser,
    pub learner: TestUser,
    pub teacher: TestUser,
}

pub async fn world(app: &TestApp) -> World {
    let org = app.org("acme").await;
    let admin = app.member(&org, "admin@acme.org", &[Role::OrgAdmin]).await;
    let learner = app.member(&org, "ana@acme.org", &[Role::Candidate]).await;
    let teacher = app
        .member(&org, "teacher@acme.org", &[Role::ExamAuthor])
        .await;
    World {
        org,
        admin,
        learner,
        teacher,
    }
}

/// A COURSE payment checked out the way the courses module will: the
/// service in a transaction, then the provider after the commit (MANUAL
/// only: STRIPE would call out). Returns the payment as JSON.
pub async fn course_payment(
    app: &TestApp,
    w: &World,
    amount: i64,
    provider: ProviderKind,
) -> Value {
    let tx = app.db().begin().await.unwrap();
    let pending = service::start_checkout(
        &tx,
        w.org.id,
        w.learner.id,
        Purpose {
            kind: PurposeKind::Course,
            id: Uuid::now_v7(),
        },
        amount,
        "eur",
        Some(w.teacher.id),
        provider,
        "Anatomy 101",
        app.state.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    if provider == ProviderKind::Manual {
        let c = service::open_checkout(&app.state, pending).await.unwrap();
        let text = c.instructions.clone().unwrap();
        assert!(text.contains(&c.payment.reference), "{text}");
        assert!(text.contains("10.00 EUR") || amount != 1000, "{text}");
        serde_json::to_value(&c.payment).unwrap()
    } else {
        serde_json::to_value(service::PaymentView::from(&pending.payment)).unwrap()
    }
}

pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}
