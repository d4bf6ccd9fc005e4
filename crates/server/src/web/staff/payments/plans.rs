//! `/orgs/{org}/plans` (the plans members subscribe to: create, edit,
//! deactivate) and `/orgs/{org}/subscriptions` (the members'
//! subscriptions, cancel at the end of the period). The services of
//! `/api/v1/orgs/{org}/plans*` and `/subscriptions*`.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_store::Keyset;
use invigil_store::payments as pay_store;

use super::{Tab, authorize, format_money, major_input, parse_amount, people, tabs};
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::http::page::PageQuery;
use crate::payments::subscriptions::{self, PlanBody, PlanPatch, PlanView};
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::{Failure, FormErrors, error_page, form_failure, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::staff::{Pager, Section, Staff};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/plans", get(plans_page).post(create_plan))
        .route("/orgs/{org}/plans/{id}", get(edit_page).post(update_plan))
        .route("/orgs/{org}/plans/{id}/active", post(set_active))
        .route("/orgs/{org}/subscriptions", get(subscriptions_page))
        .route(
            "/orgs/{org}/subscriptions/{id}/cancel",
            post(cancel_subscription),
        )
}

const PLAN_FIELDS: [&str; 5] = ["code", "name", "price", "currency", "interval"];

#[derive(Debug)]
pub struct PlanRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub price: String,
    pub interval: String,
    pub active: bool,
    pub edit_href: String,
}

/// The plan form as typed.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub interval: String,
    /// A checkbox: present when checked.
    #[serde(default)]
    pub active: Option<String>,
}

impl Default for PlanForm {
    fn default() -> Self {
        PlanForm {
            code: String::new(),
            name: String::new(),
            price: String::new(),
            currency: "EUR".into(),
            interval: "MONTH".into(),
            active: Some("on".into()),
        }
    }
}

impl PlanForm {
    fn of(p: &PlanView) -> PlanForm {
        PlanForm {
            code: p.code.clone(),
            name: p.name.clone(),
            price: major_input(p.price, &p.currency),
            currency: p.currency.clone(),
            interval: p.interval.clone(),
            active: p.active.then(|| "on".into()),
        }
    }

    /// The price in minor units, or the form's own message.
    fn price(&self) -> Result<i64, ApiError> {
        parse_amount(&self.price, self.currency.trim())
            .map_err(|m| ApiError::Validation(vec![FieldError::new("price", m)]))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/payments_plans.html")]
pub struct PlansPage {
    pub layout: Layout,
    pub tabs: Vec<Tab>,
    pub rows: Vec<PlanRow>,
    pub action: String,
    pub form: PlanForm,
    pub errors: FormErrors,
    pub notice: &'static str,
    pub pager: Pager,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/payments_plan.html")]
pub struct PlanPage {
    pub layout: Layout,
    pub tabs: Vec<Tab>,
    pub plans_href: String,
    pub action: String,
    pub form: PlanForm,
    pub errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub cursor: Option<String>,
    pub done: Option<String>,
}

async fn plans_render(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    form: PlanForm,
    cursor: Option<String>,
) -> Result<PlansPage, ApiError> {
    let page_q = PageQuery {
        limit: Some(50),
        cursor: cursor.filter(|c| !c.is_empty()),
    };
    let list = subscriptions::list_plans(state, auth.org_id, page_q.keyset()?).await?;
    let base = staff.href("/plans");
    Ok(PlansPage {
        layout: staff.layout("Plans", Section::Payments),
        tabs: tabs(staff, "/plans"),
        rows: list
            .items
            .iter()
            .map(|p| PlanRow {
                id: p.id,
                code: p.code.clone(),
                name: p.name.clone(),
                price: format_money(p.price, &p.currency),
                interval: if p.interval == "YEAR" {
                    "per year".into()
                } else {
                    "per month".into()
                },
                active: p.active,
                edit_href: staff.href(&format!("/plans/{}", p.id)),
            })
            .collect(),
        action: base.clone(),
        form,
        errors: FormErrors::default(),
        notice: "",
        pager: Pager::new(&base, page_q.cursor.as_deref(), list.next_cursor.as_deref()),
    })
}

/// A service refusal as the form's messages: the status and the errors,
/// or the error page.
fn plan_errors(e: ApiError) -> Result<(axum::http::StatusCode, FormErrors), Box<Response>> {
    match e {
        ApiError::Conflict { detail, .. } => Ok((
            axum::http::StatusCode::CONFLICT,
            FormErrors {
                fields: vec![FieldError::new("code", sentence(&detail))],
                general: Vec::new(),
            },
        )),
        other => match form_failure(other, &PLAN_FIELDS) {
            Failure::Form(f) => Ok((f.status, f.errors)),
            Failure::Page(p) => Err(Box::new(p)),
        },
    }
}

/// `GET /orgs/{org}/plans`.
pub async fn plans_page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let notice = match q.done.as_deref() {
        Some("created") => "The plan is created.",
        Some("saved") => "The plan is saved.",
        Some("deactivated") => "The plan is deactivated: nobody new can subscribe to it.",
        Some("activated") => "The plan is active again.",
        _ => "",
    };
    match plans_render(&state, &staff, &auth, PlanForm::default(), q.cursor).await {
        Ok(mut p) => {
            p.notice = notice;
            p.into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/plans`.
pub async fn create_plan(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<PlanForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let f = form.value;
    let result = match f.price() {
        Ok(price) => {
            subscriptions::create_plan(
                &state,
                &auth,
                PlanBody {
                    code: f.code.clone(),
                    name: f.name.clone(),
                    price,
                    currency: f.currency.clone(),
                    interval: f.interval.clone(),
                    active: Some(f.active.is_some()),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(&staff.href("/plans?done=created")),
        Err(e) => {
            let (status, errors) = match plan_errors(e) {
                Ok(v) => v,
                Err(page) => return *page,
            };
            match plans_render(&state, &staff, &auth, f, None).await {
                Ok(mut p) => {
                    p.errors = errors;
                    (status, p).into_response()
                }
                Err(e) => error_page(&e),
            }
        }
    }
}

async fn plan_of(state: &AppState, auth: &Authorized, id: &str) -> Result<PlanView, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::NotFound)?;
    pay_store::plan(state.db.read(), auth.org_id, id)
        .await?
        .map(|p| PlanView::from(&p))
        .ok_or(ApiError::NotFound)
}

/// `GET /orgs/{org}/plans/{id}`: the edit form.
pub async fn edit_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    match plan_of(&state, &auth, &id).await {
        Ok(p) => PlanPage {
            layout: staff.layout(&format!("Plan {}", p.name), Section::Payments),
            tabs: tabs(&staff, "/plans"),
            plans_href: staff.href("/plans"),
            action: staff.href(&format!("/plans/{}", p.id)),
            form: PlanForm::of(&p),
            errors: FormErrors::default(),
        }
        .into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/plans/{id}`.
pub async fn update_plan(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<PlanForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let plan = match plan_of(&state, &auth, &id).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let f = form.value;
    let result = match f.price() {
        Ok(price) => {
            subscriptions::update_plan(
                &state,
                &auth,
                plan.id,
                PlanPatch {
                    code: Some(f.code.clone()),
                    name: Some(f.name.clone()),
                    price: Some(price),
                    currency: Some(f.currency.clone()),
                    interval: Some(f.interval.clone()),
                    active: Some(f.active.is_some()),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(&staff.href("/plans?done=saved")),
        Err(e) => {
            let (status, errors) = match plan_errors(e) {
                Ok(v) => v,
                Err(page) => return *page,
            };
            let page = PlanPage {
                layout: staff.layout(&format!("Plan {}", plan.name), Section::Payments),
                tabs: tabs(&staff, "/plans"),
                plans_href: staff.href("/plans"),
                action: staff.href(&format!("/plans/{}", plan.id)),
                form: f,
                errors,
            };
            (status, page).into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    /// `true` or `false`.
    pub active: String,
}

/// `POST /orgs/{org}/plans/{id}/active`: deactivate (or activate again).
pub async fn set_active(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<ActiveForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let plan = match plan_of(&state, &auth, &id).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let active = match form.value.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return error_page(&ApiError::field("active", "must be true or false")),
    };
    let patch = PlanPatch {
        active: Some(active),
        ..PlanPatch::default()
    };
    match subscriptions::update_plan(&state, &auth, plan.id, patch).await {
        Ok(_) => see_other(&staff.href(if active {
            "/plans?done=activated"
        } else {
            "/plans?done=deactivated"
        })),
        Err(e) => crate::web::staff::live::refused(&e),
    }
}

// ---- subscriptions

#[derive(Debug)]
pub struct SubscriptionRow {
    pub cancel_href: String,
    pub member: String,
    pub email: String,
    pub plan: String,
    pub status: String,
    pub badge: &'static str,
    pub period: String,
    pub cancel_at_period_end: bool,
    pub provider: String,
    pub cancellable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/payments_subscriptions.html")]
pub struct SubscriptionsPage {
    pub layout: Layout,
    pub tabs: Vec<Tab>,
    pub rows: Vec<SubscriptionRow>,
    pub notice: &'static str,
    pub pager: Pager,
}

/// The badge class of a subscription status.
pub fn subscription_badge(s: &str) -> &'static str {
    match s {
        "ACTIVE" | "TRIALING" => "badge ok",
        "INCOMPLETE" | "PAST_DUE" => "badge warn",
        _ => "badge muted",
    }
}

/// A subscription's period in words.
pub fn period_words(
    start: Option<chrono::DateTime<chrono::Utc>>,
    end: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let day = |t: chrono::DateTime<chrono::Utc>| t.format("%-d %b %Y").to_string();
    match (start, end) {
        (Some(s), Some(e)) => format!("{} – {}", day(s), day(e)),
        (None, Some(e)) => format!("until {}", day(e)),
        _ => "Not started (waiting for the first payment)".into(),
    }
}

/// `GET /orgs/{org}/subscriptions`.
pub async fn subscriptions_page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let notice = match q.done.as_deref() {
        Some("cancelled") => "The subscription is cancelled: it ends with its current period.",
        _ => "",
    };
    match subscriptions_render(&state, &staff, &auth, q.cursor).await {
        Ok(mut p) => {
            p.notice = notice;
            p.into_response()
        }
        Err(e) => error_page(&e),
    }
}

async fn subscriptions_render(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    cursor: Option<String>,
) -> Result<SubscriptionsPage, ApiError> {
    let page_q = PageQuery {
        limit: Some(50),
        cursor: cursor.filter(|c| !c.is_empty()),
    };
    let list = subscriptions::list(state, Some(auth.org_id), None, page_q.keyset()?).await?;
    let who = people(state, list.items.iter().map(|s| s.user_id)).await?;
    let plans: HashMap<Uuid, String> =
        pay_store::plans_page(state.db.read(), auth.org_id, Keyset::new(None, 500))
            .await?
            .items
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
    let base = staff.href("/subscriptions");
    Ok(SubscriptionsPage {
        layout: staff.layout("Subscriptions", Section::Payments),
        tabs: tabs(staff, "/subscriptions"),
        rows: list
            .items
            .iter()
            .map(|s| {
                let (member, email) = who
                    .get(&s.user_id)
                    .cloned()
                    .unwrap_or_else(|| ("Unknown person".into(), String::new()));
                let live = matches!(
                    s.status.as_str(),
                    "ACTIVE" | "TRIALING" | "PAST_DUE" | "INCOMPLETE"
                );
                SubscriptionRow {
                    cancel_href: staff.href(&format!("/subscriptions/{}/cancel", s.id)),
                    member,
                    email,
                    plan: plans.get(&s.plan_id).cloned().unwrap_or_default(),
                    status: super::status_words(&s.status),
                    badge: subscription_badge(&s.status),
                    period: period_words(s.current_period_start, s.current_period_end),
                    cancel_at_period_end: s.cancel_at_period_end,
                    provider: s.provider.clone(),
                    cancellable: live && !s.cancel_at_period_end,
                }
            })
            .collect(),
        notice: "",
        pager: Pager::new(&base, page_q.cursor.as_deref(), list.next_cursor.as_deref()),
    })
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /orgs/{org}/subscriptions/{id}/cancel`.
pub async fn cancel_subscription(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<Empty>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    match subscriptions::cancel(&state, &auth.actor, Some(auth.org_id), id).await {
        Ok(_) => see_other(&staff.href("/subscriptions?done=cancelled")),
        Err(e) => crate::web::staff::live::refused(&e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_period_reads_as_dates() {
        use chrono::TimeZone;
        let s = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap();
        let e = chrono::Utc.with_ymd_and_hms(2027, 1, 4, 8, 0, 0).unwrap();
        assert_eq!(
            super::period_words(Some(s), Some(e)),
            "4 Dec 2026 – 4 Jan 2027"
        );
        assert!(super::period_words(None, None).starts_with("Not started"));
    }
}
