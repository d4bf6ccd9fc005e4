//! My billing: `/me/billing`, the services of `GET /api/v1/me/payments`,
//! `GET /api/v1/me/subscriptions` and `POST /api/v1/me/subscriptions/{id}/cancel`:
//! my payments and invoices in every organization (a pending MANUAL
//! invoice says how to pay it), my subscriptions with their period and
//! status, and "cancel at the end of the period".
//!
//! `/me/payments` (where a provider's checkout comes back, `?paid=` or
//! `?cancelled=` and the reference) leads here with its query.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::payments::ProviderKind;
use invigil_store::Keyset;
use invigil_store::payments as pay_store;
use invigil_store::tenancy;

use super::errors::{csrf_refused, error_page};
use super::form::WebForm;
use super::session::{SignedIn, see_other};
use super::staff::payments::plans::{period_words, subscription_badge};
use super::staff::payments::{format_money, payment_badge, purpose_words, status_words};
use super::{Layout, when};
use crate::authz::Actor;
use crate::http::error::ApiError;
use crate::payments::{service, subscriptions};
use crate::state::AppState;

const PAGE: u64 = 30;

#[derive(Debug)]
pub struct PaymentRow {
    pub reference: String,
    pub created: String,
    pub org: String,
    pub purpose: String,
    pub amount: String,
    pub refunded: String,
    pub status: String,
    pub badge: &'static str,
    /// A pending MANUAL invoice: the page says how to pay it.
    pub due: bool,
    /// A pending STRIPE checkout: nothing to do but wait or retry.
    pub waiting: bool,
}

#[derive(Debug)]
pub struct SubscriptionRow {
    pub org: String,
    pub plan: String,
    pub price: String,
    pub status: String,
    pub badge: &'static str,
    pub period: String,
    pub ends: Option<String>,
    pub cancel_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "billing.html")]
pub struct BillingPage {
    pub layout: Layout,
    pub payments: Vec<PaymentRow>,
    pub subscriptions: Vec<SubscriptionRow>,
    pub more_payments: Option<String>,
    pub later_page: bool,
    pub notice: String,
    pub problem: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct BillingQuery {
    pub cursor: Option<String>,
    pub paid: Option<String>,
    pub cancelled: Option<String>,
    pub done: Option<String>,
}

/// `GET /me/payments`: to `/me/billing` with the same query.
pub async fn payments_redirect(uri: axum::http::Uri) -> Response {
    match uri.query() {
        Some(q) => see_other(&format!("/me/billing?{q}")),
        None => see_other("/me/billing"),
    }
}

/// A reference as shown back: `INV-` and hex digits only (never reflect
/// anything else from the query).
fn clean_reference(r: &str) -> Option<&str> {
    let ok = r.len() <= 64
        && !r.is_empty()
        && r.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(r)
}

/// `GET /me/billing`.
pub async fn billing_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<BillingQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    match render(&state, &signed_in, q).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

async fn org_name(
    state: &AppState,
    cache: &mut HashMap<Uuid, String>,
    id: Uuid,
) -> Result<String, ApiError> {
    if let Some(n) = cache.get(&id) {
        return Ok(n.clone());
    }
    let name = tenancy::org_by_id(state.db.read(), id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    cache.insert(id, name.clone());
    Ok(name)
}

async fn render(
    state: &AppState,
    signed_in: &SignedIn,
    q: BillingQuery,
) -> Result<BillingPage, ApiError> {
    let user_id = signed_in.user.id();
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(c.parse::<Uuid>().map_err(|_| ApiError::NotFound)?),
    };
    let later_page = cursor.is_some();
    let payments = service::mine(state, user_id, Keyset::new(cursor, PAGE)).await?;
    let subs = subscriptions::list(state, None, Some(user_id), Keyset::new(None, 100)).await?;
    let mut orgs = HashMap::new();
    let mut plan_cache = HashMap::new();
    let no_titles = HashMap::new();
    let mut rows = Vec::with_capacity(payments.items.len());
    for p in &payments.items {
        let org = org_name(state, &mut orgs, p.org_id).await?;
        let pending = p.status == "PENDING";
        let amount = format_money(p.amount, &p.currency);
        rows.push(PaymentRow {
            reference: p.reference.clone(),
            created: when(p.created_at),
            purpose: purpose_words(
                state,
                p.org_id,
                &p.purpose_kind,
                p.purpose_id,
                &no_titles,
                &mut plan_cache,
            )
            .await?,
            refunded: if p.refunded_amount > 0 {
                format_money(p.refunded_amount, &p.currency)
            } else {
                String::new()
            },
            status: status_words(&p.status),
            badge: payment_badge(&p.status),
            due: pending && p.provider == ProviderKind::Manual.name(),
            waiting: pending && p.provider != ProviderKind::Manual.name(),
            amount,
            org,
        });
    }
    let mut sub_rows = Vec::with_capacity(subs.items.len());
    for s in &subs.items {
        let org = org_name(state, &mut orgs, s.org_id).await?;
        let plan = pay_store::plan(state.db.read(), s.org_id, s.plan_id).await?;
        let live = matches!(
            s.status.as_str(),
            "ACTIVE" | "TRIALING" | "PAST_DUE" | "INCOMPLETE"
        );
        sub_rows.push(SubscriptionRow {
            org,
            plan: plan.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
            price: plan
                .as_ref()
                .map(|p| {
                    format!(
                        "{} per {}",
                        format_money(p.price, &p.currency),
                        if p.interval.name() == "YEAR" {
                            "year"
                        } else {
                            "month"
                        }
                    )
                })
                .unwrap_or_default(),
            status: status_words(&s.status),
            badge: subscription_badge(&s.status),
            period: period_words(s.current_period_start, s.current_period_end),
            ends: s
                .cancel_at_period_end
                .then(|| s.current_period_end.map(when))
                .flatten(),
            cancel_href: (live && !s.cancel_at_period_end)
                .then(|| format!("/me/billing/subscriptions/{}/cancel", s.id)),
        });
    }
    let notice = match (q.paid.as_deref(), q.cancelled.as_deref(), q.done.as_deref()) {
        (Some(r), _, _) => match clean_reference(r) {
            Some(r) => format!(
                "Thank you. The payment {r} is confirmed here as soon as the provider reports it."
            ),
            None => String::new(),
        },
        (_, _, Some("cancelled")) => {
            "Your subscription is cancelled: it stays active until the end of the period and is not renewed."
                .to_owned()
        }
        _ => String::new(),
    };
    let problem = match q.cancelled.as_deref().and_then(clean_reference) {
        Some(r) => format!("The checkout of {r} was cancelled: nothing was charged."),
        None => String::new(),
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    Ok(BillingPage {
        layout: Layout::for_visitor("Billing", &signed_in.visitor, &csrf),
        payments: rows,
        subscriptions: sub_rows,
        more_payments: payments.next_cursor.map(|c| {
            format!(
                "/me/billing?{}",
                serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()
            )
        }),
        later_page,
        notice,
        problem,
    })
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /me/billing/subscriptions/{id}/cancel`: at the end of the period.
pub async fn cancel_subscription(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: WebForm<Empty>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let actor = Actor::from(&signed_in.user);
    match subscriptions::cancel(&state, &actor, None, id).await {
        Ok(_) => see_other("/me/billing?done=cancelled"),
        Err(e) => crate::web::staff::live::refused(&e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_references_are_shown_back() {
        assert_eq!(
            super::clean_reference("INV-00FF00FF00FF00FF"),
            Some("INV-00FF00FF00FF00FF")
        );
        assert_eq!(super::clean_reference("<script>"), None);
        assert_eq!(super::clean_reference(""), None);
    }
}
