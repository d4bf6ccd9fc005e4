//! Accounts and sessions hardening (issue 9 points 1, 6, 7, 10): membership
//! changes never sign a person out of the platform, invitations that do not
//! reveal accounts and stay per organization, email change with the current
//! password and a revert link, the refresh retry rule, password rules.

mod email_change;
mod invitations;
mod membership;
mod passwords;
mod refresh;

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};
use invigil_domain::identity::Role;
use invigil_store::identity::{AccountStatus, users};

use crate::both;
use crate::common::{PASSWORD, TestApp, TestResponse, TestUser};
use crate::delivery::{ExamOpts, Setup, approved_bank, enroll, insert_exam, setup_with};

const NEW_PASSWORD: &str = "a-brand-new-passphrase-42";

fn refresh_body(t: &str) -> Value {
    json!({ "refresh_token": t })
}

async fn refresh(app: &TestApp, t: &str) -> TestResponse {
    app.post("/api/v1/auth/refresh")
        .json(&refresh_body(t))
        .send()
        .await
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} in {v}"))
        .to_owned()
}

/// Actions of the platform chain (sign-in, account events), oldest first.
async fn platform_actions(app: &TestApp) -> Vec<(String, Value)> {
    use invigil_store::audit::entity;
    entity::Entity::find()
        .filter(entity::Column::Chain.eq(invigil_store::audit::PLATFORM_CHAIN))
        .order_by_asc(entity::Column::Seq)
        .all(app.audit_linked().await.read())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, serde_json::from_str(&e.details).unwrap()))
        .collect()
}

/// The details of the newest entry of `action` in the organization's chain.
async fn last_org_entry(app: &TestApp, org_id: Uuid, action: &str) -> Value {
    let rows = invigil_store::audit::list(
        app.audit_linked().await.read(),
        org_id,
        &invigil_store::audit::Filter {
            action: Some(action.to_owned()),
            ..Default::default()
        },
        None,
        1,
    )
    .await
    .unwrap();
    serde_json::from_str(
        &rows
            .first()
            .unwrap_or_else(|| panic!("no {action}"))
            .details,
    )
    .unwrap()
}

async fn invite(app: &TestApp, token: &str, slug: &str, email: &str, roles: Value) -> Value {
    let r = app
        .post_json(
            &format!("/api/v1/orgs/{slug}/invitations"),
            token,
            &json!({ "email": email, "name": "Invited Name", "roles": roles }),
        )
        .await;
    r.assert(201);
    r.json()
}
