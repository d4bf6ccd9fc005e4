//! The Payments section (ORG_ADMIN: `ManagePayments`), the services of
//! `/api/v1/orgs/{org}/payments*`, `/payouts*`, `/plans*` and
//! `/subscriptions*`:
//!
//! - `/orgs/{org}/payments`: the ledger, filtered by status, provider and
//!   course, 50 a page by cursor, amounts in the currency's major unit;
//! - `/orgs/{org}/payments/{id}`: one payment with its refunds and its
//!   history (the audit entries of the payment), "mark paid" / "mark
//!   failed" / "cancel" for a MANUAL invoice, and the refund form, capped by
//!   what is left, with a confirm step;
//! - payouts ([`payouts`]) and plans and subscriptions ([`plans`]).
//!
//! Amounts are typed in major units (`12.50`) and turned into minor units
//! by [`parse_amount`] with the currency's exponent; every refusal of the
//! service is shown next to its field.

mod money;
mod payouts;
pub mod plans;

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::payments::{PaymentStatus, ProviderKind, PurposeKind, refund_outcome};
use invigil_store::courses::{self as course_store, CourseVisibility};
use invigil_store::identity::users;
use invigil_store::payments as pay_store;
use invigil_store::{Keyset, audit as audit_store};

use super::{Pager, Section, Staff};
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::payments::service::{
    self, MarkPaidBody, PaymentDetail, PaymentQuery, PaymentView, ReasonBody, RefundBody,
};
use crate::state::AppState;
use crate::web::errors::{Failure, FormErrors, error_page, form_failure, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/payments", get(ledger))
        .route("/orgs/{org}/payments/{id}", get(detail))
        .route("/orgs/{org}/payments/{id}/mark-paid", post(mark_paid))
        .route("/orgs/{org}/payments/{id}/close", post(close))
        .route("/orgs/{org}/payments/{id}/refund", post(refund))
        .merge(payouts::router())
        .merge(plans::router())
}

pub use invigil_domain::payments::money::{exponent, format_money, major_input, parse_amount};
pub use money::in_money;

/// The badge class of a payment status.
pub fn payment_badge(s: &str) -> &'static str {
    match s {
        "COMPLETED" => "badge ok",
        "PENDING" | "PARTIALLY_REFUNDED" => "badge warn",
        "FAILED" => "badge bad",
        _ => "badge muted",
    }
}

/// A status as a person reads it.
pub fn status_words(s: &str) -> String {
    let lower = s.replace('_', " ").to_ascii_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The tabs of the section, shown on each of its pages.
#[derive(Debug, Clone)]
pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

pub fn tabs(staff: &Staff, current: &str) -> Vec<Tab> {
    [
        ("/payments", "Ledger"),
        ("/payouts", "Instructor payouts"),
        ("/plans", "Plans"),
        ("/subscriptions", "Subscriptions"),
    ]
    .into_iter()
    .map(|(path, label)| Tab {
        href: staff.href(path),
        label,
        current: path == current,
    })
    .collect()
}

/// The section's guard: ORG_ADMIN (`ManagePayments`).
pub fn authorize(staff: &Staff) -> Result<Authorized, ApiError> {
    staff.ctx.authorize(Action::ManagePayments)
}

/// Names and emails of users, for the tables.
pub async fn people(
    state: &AppState,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, (String, String)>, ApiError> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    Ok(users::by_ids(state.db.read(), ids)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.name, u.email)))
        .collect())
}

/// The organization's courses by id (the first 500, for the filter and
/// the "for" column).
async fn courses(state: &AppState, org_id: Uuid) -> Result<Vec<(Uuid, String)>, ApiError> {
    let page = course_store::courses_page(
        state.db.read(),
        org_id,
        CourseVisibility::All,
        None,
        false,
        Keyset::new(None, 500),
    )
    .await?;
    let mut list: Vec<(Uuid, String)> = page.items.into_iter().map(|c| (c.id, c.title)).collect();
    list.sort_by_key(|a| a.1.to_lowercase());
    Ok(list)
}

/// What a payment is for, in words.
pub async fn purpose_words(
    state: &AppState,
    org_id: Uuid,
    kind: &str,
    id: Uuid,
    course_titles: &HashMap<Uuid, String>,
    plan_names: &mut HashMap<Uuid, String>,
) -> Result<String, ApiError> {
    if kind == PurposeKind::Course.name() {
        if let Some(t) = course_titles.get(&id) {
            return Ok(format!("Course: {t}"));
        }
        return Ok(
            match course_store::course(state.db.read(), org_id, id).await? {
                Some(c) => format!("Course: {}", c.title),
                None => "Course (removed)".to_owned(),
            },
        );
    }
    if let Some(n) = plan_names.get(&id) {
        return Ok(n.clone());
    }
    let db = state.db.read();
    let words = match pay_store::subscription(db, Some(org_id), id).await? {
        Some(s) => match pay_store::plan(db, org_id, s.plan_id).await? {
            Some(p) => format!("Subscription: {}", p.name),
            None => "Subscription".to_owned(),
        },
        None => "Subscription (removed)".to_owned(),
    };
    plan_names.insert(id, words.clone());
    Ok(words)
}

// ---- the ledger

#[derive(Debug)]
pub struct LedgerRow {
    pub href: String,
    pub reference: String,
    pub created: String,
    pub created_sort: String,
    pub payer: String,
    pub payer_email: String,
    pub purpose: String,
    pub amount: String,
    pub amount_sort: i64,
    pub refunded: String,
    pub status: String,
    pub status_words: String,
    pub badge: &'static str,
    pub provider: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/payments.html")]
pub struct LedgerPage {
    pub layout: Layout,
    pub tabs: Vec<Tab>,
    pub rows: Vec<LedgerRow>,
    pub status: String,
    pub provider: String,
    pub course: String,
    pub statuses: Vec<(&'static str, String)>,
    pub courses: Vec<(String, String)>,
    pub action: String,
    pub filtered: bool,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub struct LedgerQuery {
    pub status: Option<String>,
    pub provider: Option<String>,
    pub course: Option<String>,
    pub cursor: Option<String>,
}

/// `GET /orgs/{org}/payments`.
pub async fn ledger(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<LedgerQuery>,
) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    match ledger_page(&state, &staff, &auth, q).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

async fn ledger_page(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    q: LedgerQuery,
) -> Result<LedgerPage, ApiError> {
    let status = non_empty(q.status);
    let provider = non_empty(q.provider);
    let course = non_empty(q.course);
    let course_id = match &course {
        None => None,
        Some(c) => Some(
            c.parse::<Uuid>()
                .map_err(|_| ApiError::field("course", "choose a course of the list"))?,
        ),
    };
    let query = PaymentQuery {
        limit: Some(50),
        cursor: non_empty(q.cursor.clone()),
        status: status.clone(),
        payer: None,
        purpose: course_id,
        purpose_kind: course_id.map(|_| PurposeKind::Course.name().to_owned()),
        provider: provider.clone(),
    };
    let filter = query.filter()?;
    let page = crate::http::page::PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let list = service::list(state, auth, &filter, page.keyset()?).await?;
    let course_list = courses(state, auth.org_id).await?;
    let titles: HashMap<Uuid, String> = course_list.iter().cloned().collect();
    let who = people(state, list.items.iter().map(|p| p.payer_user_id)).await?;
    let mut plan_names = HashMap::new();
    let mut rows = Vec::with_capacity(list.items.len());
    for p in &list.items {
        let (payer, payer_email) = who
            .get(&p.payer_user_id)
            .cloned()
            .unwrap_or_else(|| ("Unknown person".into(), String::new()));
        rows.push(LedgerRow {
            href: staff.href(&format!("/payments/{}", p.id)),
            reference: p.reference.clone(),
            created: when(p.created_at),
            created_sort: p.created_at.to_rfc3339(),
            payer,
            payer_email,
            purpose: purpose_words(
                state,
                auth.org_id,
                &p.purpose_kind,
                p.purpose_id,
                &titles,
                &mut plan_names,
            )
            .await?,
            amount: format_money(p.amount, &p.currency),
            amount_sort: p.amount,
            refunded: if p.refunded_amount > 0 {
                format_money(p.refunded_amount, &p.currency)
            } else {
                String::new()
            },
            status: p.status.clone(),
            status_words: status_words(&p.status),
            badge: payment_badge(&p.status),
            provider: p.provider.clone(),
        });
    }
    let mut params: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = &status {
        params.push(("status", s));
    }
    if let Some(p) = &provider {
        params.push(("provider", p));
    }
    if let Some(c) = &course {
        params.push(("course", c));
    }
    let action = staff.href("/payments");
    let base = if params.is_empty() {
        action.clone()
    } else {
        format!(
            "{action}?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    };
    Ok(LedgerPage {
        layout: staff.layout("Payments", Section::Payments),
        tabs: tabs(staff, "/payments"),
        rows,
        filtered: !params.is_empty(),
        status: status.unwrap_or_default(),
        provider: provider.unwrap_or_default(),
        course: course.unwrap_or_default(),
        statuses: [
            PaymentStatus::Pending,
            PaymentStatus::Completed,
            PaymentStatus::PartiallyRefunded,
            PaymentStatus::Refunded,
            PaymentStatus::Failed,
            PaymentStatus::Cancelled,
        ]
        .into_iter()
        .map(|s| (s.name(), status_words(s.name())))
        .collect(),
        courses: course_list
            .into_iter()
            .map(|(id, t)| (id.to_string(), t))
            .collect(),
        action,
        pager: Pager::new(&base, page.cursor.as_deref(), list.next_cursor.as_deref()),
    })
}

// ---- one payment

#[derive(Debug)]
pub struct RefundRow {
    pub created: String,
    pub amount: String,
    pub reason: String,
    pub status: String,
    pub by: String,
}

#[derive(Debug)]
pub struct HistoryRow {
    pub when: String,
    pub what: String,
    pub by: String,
}

/// The forms' values as typed, for a page shown again with errors.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PaymentForms {
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/payments_detail.html")]
pub struct DetailPage {
    pub layout: Layout,
    pub tabs: Vec<Tab>,
    pub ledger_href: String,
    pub base: String,
    pub p: PaymentView,
    pub payer: String,
    pub payer_email: String,
    pub payee: Option<String>,
    pub purpose: String,
    pub amount: String,
    pub refunded: String,
    pub left: String,
    pub left_input: String,
    pub badge: &'static str,
    pub status_words: String,
    pub created: String,
    pub completed: Option<String>,
    pub refunds: Vec<RefundRow>,
    pub history: Vec<HistoryRow>,
    pub manual_open: bool,
    pub may_cancel: bool,
    pub refundable: bool,
    pub currency: String,
    pub notice: &'static str,
    /// Which form the errors are about: `paid`, `close`, `refund` or ``.
    pub failed_form: &'static str,
    pub errors: FormErrors,
    pub form: PaymentForms,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    pub done: Option<String>,
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// `GET /orgs/{org}/payments/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let notice = match q.done.as_deref() {
        Some("paid") => "The payment is marked paid.",
        Some("failed") => "The payment is marked failed.",
        Some("cancelled") => "The payment is cancelled.",
        Some("refunded") => "The refund is recorded.",
        _ => "",
    };
    match detail_page(&state, &staff, &auth, id).await {
        Ok(mut p) => {
            p.notice = notice;
            p.into_response()
        }
        Err(e) => error_page(&e),
    }
}

async fn detail_page(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    id: Uuid,
) -> Result<DetailPage, ApiError> {
    let PaymentDetail {
        payment: p,
        refunds,
    } = service::detail(state, auth, id).await?;
    audit_store::link_pending(&state.db).await?;
    let entries = audit_store::list(
        state.db.read(),
        auth.org_id,
        &audit_store::Filter {
            resource_id: Some(p.id.to_string()),
            ..audit_store::Filter::default()
        },
        None,
        50,
    )
    .await?;
    let ids = [p.payer_user_id]
        .into_iter()
        .chain(p.payee_user_id)
        .chain(refunds.iter().filter_map(|r| r.created_by))
        .chain(entries.iter().filter_map(|e| e.actor_id));
    let who = people(state, ids).await?;
    let name = |id: Option<Uuid>| -> String {
        match id.and_then(|i| who.get(&i)) {
            Some((n, _)) => n.clone(),
            None if id.is_none() => "The provider".to_owned(),
            None => "Unknown person".to_owned(),
        }
    };
    let (payer, payer_email) = who
        .get(&p.payer_user_id)
        .cloned()
        .unwrap_or_else(|| ("Unknown person".into(), String::new()));
    let course_titles = HashMap::new();
    let purpose = purpose_words(
        state,
        auth.org_id,
        &p.purpose_kind,
        p.purpose_id,
        &course_titles,
        &mut HashMap::new(),
    )
    .await?;
    let status = PaymentStatus::parse(&p.status);
    let left = p.amount - p.refunded_amount;
    let refundable = matches!(
        status,
        Some(PaymentStatus::Completed | PaymentStatus::PartiallyRefunded)
    ) && left > 0;
    let manual = p.provider == ProviderKind::Manual.name();
    let manual_open =
        manual && matches!(status, Some(PaymentStatus::Pending | PaymentStatus::Failed));
    let may_cancel = manual_open;
    let history = entries
        .into_iter()
        .rev()
        .map(|e| HistoryRow {
            when: when(e.created_at),
            what: history_words(&e.action, &e.details, &p.currency),
            by: name(e.actor_id),
        })
        .collect();
    Ok(DetailPage {
        layout: staff.layout(&format!("Payment {}", p.reference), Section::Payments),
        tabs: tabs(staff, "/payments"),
        ledger_href: staff.href("/payments"),
        base: staff.href(&format!("/payments/{}", p.id)),
        payer,
        payer_email,
        payee: p.payee_user_id.map(|u| name(Some(u))),
        purpose,
        amount: format_money(p.amount, &p.currency),
        refunded: format_money(p.refunded_amount, &p.currency),
        left: format_money(left.max(0), &p.currency),
        left_input: major_input(left.max(0), &p.currency),
        badge: payment_badge(&p.status),
        status_words: status_words(&p.status),
        created: when(p.created_at),
        completed: p.completed_at.map(when),
        refunds: refunds
            .iter()
            .map(|r| RefundRow {
                created: when(r.created_at),
                amount: format_money(r.amount, &p.currency),
                reason: r.reason.clone(),
                status: status_words(&r.status),
                by: name(r.created_by),
            })
            .collect(),
        history,
        manual_open,
        may_cancel,
        refundable,
        currency: p.currency.clone(),
        notice: "",
        failed_form: "",
        errors: FormErrors::default(),
        form: PaymentForms::default(),
        p,
    })
}

/// An audit entry of a payment in words.
fn history_words(action: &str, details: &str, currency: &str) -> String {
    let d: serde_json::Value = serde_json::from_str(details).unwrap_or_default();
    match action {
        "payment.completed" => match d["detail"]["bank_reference"].as_str() {
            Some(r) => format!("Marked paid (bank reference {r})"),
            None => "Completed".to_owned(),
        },
        "payment.refunded" => {
            let amount = d["refund"]["amount"].as_i64().unwrap_or(0);
            match d["refund"]["reason"].as_str() {
                Some(r) => format!("Refunded {}: {r}", format_money(amount, currency)),
                None => format!("Refunded {}", format_money(amount, currency)),
            }
        }
        "payment.failed" => match d["reason"].as_str() {
            Some(r) => format!("Marked failed: {r}"),
            None => "Marked failed".to_owned(),
        },
        "payment.cancelled" => match d["reason"].as_str() {
            Some(r) => format!("Cancelled: {r}"),
            None => "Cancelled".to_owned(),
        },
        other => other.replace(['.', '_'], " "),
    }
}

/// The detail page again with the errors of one form (its status), or the
/// error page when the error is not about the form.
async fn detail_again(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    id: Uuid,
    form_name: &'static str,
    form: PaymentForms,
    e: ApiError,
) -> Response {
    let fields: &[&str] = match form_name {
        "paid" => &["reference"],
        "close" => &["reason"],
        _ => &["amount", "reason"],
    };
    let mut page = match detail_page(state, staff, auth, id).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let (status, errors) = match e {
        ApiError::Conflict { detail, .. } | ApiError::Unprocessable { detail, .. } => {
            (StatusCode::CONFLICT, FormErrors::general(sentence(&detail)))
        }
        other => match form_failure(other, fields) {
            Failure::Form(f) => (f.status, f.errors),
            Failure::Page(p) => return p,
        },
    };
    let currency = page.currency.clone();
    page.errors = FormErrors {
        fields: errors
            .fields
            .into_iter()
            .map(|f| FieldError::new(f.field, in_money(&f.message, &currency)))
            .collect(),
        general: errors.general,
    };
    page.failed_form = form_name;
    page.form = form;
    (status, page).into_response()
}

/// `POST /orgs/{org}/payments/{id}/mark-paid` (MANUAL).
pub async fn mark_paid(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<PaymentForms>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let body = MarkPaidBody {
        reference: form.value.reference.clone(),
    };
    match service::mark_paid(&state, &auth, id, body).await {
        Ok(_) => see_other(&staff.href(&format!("/payments/{id}?done=paid"))),
        Err(e) => detail_again(&state, &staff, &auth, id, "paid", form.value, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct CloseForm {
    /// `failed` or `cancelled`.
    pub op: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /orgs/{org}/payments/{id}/close`: mark failed or cancel (MANUAL).
pub async fn close(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<CloseForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let (to, done) = match form.value.op.as_str() {
        "failed" => (PaymentStatus::Failed, "failed"),
        "cancelled" => (PaymentStatus::Cancelled, "cancelled"),
        _ => return error_page(&ApiError::field("op", "must be failed or cancelled")),
    };
    let reason = form.value.reason.trim();
    let body = ReasonBody {
        reason: (!reason.is_empty()).then(|| reason.to_owned()),
    };
    match service::close(&state, &auth, id, to, body).await {
        Ok(_) => see_other(&staff.href(&format!("/payments/{id}?done={done}"))),
        Err(e) => {
            let typed = PaymentForms {
                reason: form.value.reason.clone(),
                ..PaymentForms::default()
            };
            detail_again(&state, &staff, &auth, id, "close", typed, e).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reason: String,
    /// Present on the confirm page's button: do it.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// A confirm step: what will happen, the form's values as hidden fields,
/// and the button that does it.
#[derive(Template, WebTemplate)]
#[template(path = "staff/payments_confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub facts: Vec<(String, String)>,
    pub warning: String,
    pub action: String,
    pub hidden: Vec<(String, String)>,
    pub button: String,
    pub back: String,
}

/// `POST /orgs/{org}/payments/{id}/refund`: checked, then a confirm page,
/// then (with `confirm`) the refund.
pub async fn refund(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<RefundForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let f = form.value;
    let typed = PaymentForms {
        amount: f.amount.clone(),
        reason: f.reason.clone(),
        ..PaymentForms::default()
    };
    let seen = match service::detail(&state, &auth, id).await {
        Ok(d) => d.payment,
        Err(e) => return error_page(&e),
    };
    let again = |e: ApiError, typed: PaymentForms| {
        let state = state.clone();
        let staff = staff.clone();
        let auth = auth.clone();
        async move { detail_again(&state, &staff, &auth, id, "refund", typed, e).await }
    };
    // The page's own checks first: the amount typed, a reason.
    let mut errors = Vec::new();
    let amount = match parse_amount(&f.amount, &seen.currency) {
        Ok(a) => Some(a),
        Err(m) => {
            errors.push(FieldError::new("amount", m));
            None
        }
    };
    if f.reason.trim().is_empty() {
        errors.push(FieldError::new("reason", "say why (the payer may see it)"));
    }
    if !errors.is_empty() {
        return again(ApiError::Validation(errors), typed).await;
    }
    let Some(amount) = amount else {
        return error_page(&ApiError::BadRequest("no amount".into()));
    };
    if f.confirm.is_none() {
        // The same rule the service applies, so a refund over what is left
        // is refused before the confirm step.
        let status = PaymentStatus::parse(&seen.status).unwrap_or(PaymentStatus::Pending);
        if let Err(e) = refund_outcome(status, seen.amount, seen.refunded_amount, Some(amount)) {
            return again(service::money_error("amount", e), typed).await;
        }
        let left = seen.amount - seen.refunded_amount - amount;
        let base = staff.href(&format!("/payments/{id}"));
        return ConfirmPage {
            layout: staff.layout("Confirm the refund", Section::Payments),
            heading: format!("Refund {}?", format_money(amount, &seen.currency)),
            facts: vec![
                ("Payment".into(), seen.reference.clone()),
                ("Paid".into(), format_money(seen.amount, &seen.currency)),
                (
                    "Refunded so far".into(),
                    format_money(seen.refunded_amount, &seen.currency),
                ),
                ("This refund".into(), format_money(amount, &seen.currency)),
                ("Left after it".into(), format_money(left, &seen.currency)),
                ("Reason".into(), f.reason.trim().to_owned()),
            ],
            warning: if seen.provider == ProviderKind::Manual.name() {
                "A MANUAL payment is refunded by hand: this records the refund in the ledger; \
                 send the money back to the payer yourself. It cannot be undone."
                    .into()
            } else {
                format!(
                    "The refund is sent to {} at once. It cannot be undone.",
                    seen.provider
                )
            },
            action: format!("{base}/refund"),
            hidden: vec![
                ("amount".into(), f.amount.trim().to_owned()),
                ("reason".into(), f.reason.clone()),
                ("confirm".into(), "1".into()),
            ],
            button: format!("Refund {}", format_money(amount, &seen.currency)),
            back: base,
        }
        .into_response();
    }
    let body = RefundBody {
        amount: Some(amount),
        reason: f.reason.clone(),
    };
    match service::refund(&state, &auth, id, body).await {
        Ok(_) => see_other(&staff.href(&format!("/payments/{id}?done=refunded"))),
        Err(e) => again(e, typed).await,
    }
}
