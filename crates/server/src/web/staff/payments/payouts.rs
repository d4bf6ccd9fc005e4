//! `/orgs/{org}/payouts`: every instructor's balance per currency, the
//! payouts (cursor pages) with "mark paid" / "mark failed" for pending
//! ones, and the form that records a payout within the balance, with a
//! confirm step. The services of `/api/v1/orgs/{org}/payouts*`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::payments::{PayoutMethod, PayoutStatus, check_payout};

use super::{ConfirmPage, Tab, authorize, format_money, in_money, parse_amount, people, tabs};
use crate::authz::Authorized;
use crate::http::error::{ApiError, FieldError};
use crate::http::page::PageQuery;
use crate::payments::payouts::{self, PayoutBody, PayoutMarkBody};
use crate::payments::service::money_error;
use crate::state::AppState;
use crate::web::errors::{Failure, FormErrors, error_page, form_failure, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::staff::{Pager, Section, Staff};
use crate::web::{Layout, when};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/payouts", get(page).post(create))
        .route("/orgs/{org}/payouts/{id}/mark", post(mark))
}

#[derive(Debug)]
pub struct BalanceRow {
    pub payee: String,
    pub email: String,
    pub currency: String,
    pub earned: String,
    pub share: String,
    pub paid_out: String,
    pub unpaid: String,
    pub unpaid_sort: i64,
    /// The form prefilled for this payee and currency.
    pub pay_href: Option<String>,
}

#[derive(Debug)]
pub struct PayoutRow {
    pub id: Uuid,
    pub created: String,
    pub created_sort: String,
    pub payee: String,
    pub amount: String,
    pub amount_sort: i64,
    pub method: String,
    pub reference: String,
    pub period: String,
    pub status: String,
    pub badge: &'static str,
    pub pending: bool,
}

/// The payout form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PayoutForm {
    #[serde(default)]
    pub payee: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub confirm: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/payments_payouts.html")]
pub struct PayoutsPage {
    pub layout: Layout,
    pub tabs: Vec<Tab>,
    pub share_percent: u8,
    pub balances: Vec<BalanceRow>,
    pub payees: Vec<(String, String)>,
    pub payouts: Vec<PayoutRow>,
    pub action: String,
    pub form: PayoutForm,
    pub errors: FormErrors,
    pub notice: &'static str,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub struct PayoutsQuery {
    pub payee: Option<String>,
    pub currency: Option<String>,
    pub cursor: Option<String>,
    pub done: Option<String>,
}

fn payout_badge(s: &str) -> &'static str {
    match s {
        "PAID" => "badge ok",
        "PENDING" => "badge warn",
        _ => "badge bad",
    }
}

/// `GET /orgs/{org}/payouts`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PayoutsQuery>,
) -> Response {
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let form = PayoutForm {
        payee: q.payee.clone().unwrap_or_default(),
        currency: q.currency.clone().unwrap_or_default(),
        method: "BANK_TRANSFER".into(),
        ..PayoutForm::default()
    };
    let notice = match q.done.as_deref() {
        Some("created") => {
            "The payout is recorded as pending. Mark it paid once the money is sent."
        }
        Some("paid") => "The payout is marked paid.",
        Some("failed") => "The payout is marked failed: its amount is owed again.",
        _ => "",
    };
    match render(&state, &staff, &auth, form, q.cursor).await {
        Ok(mut p) => {
            p.notice = notice;
            p.into_response()
        }
        Err(e) => error_page(&e),
    }
}

async fn render(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    mut form: PayoutForm,
    cursor: Option<String>,
) -> Result<PayoutsPage, ApiError> {
    let balances = payouts::balances(state, auth).await?;
    let page_q = PageQuery {
        limit: Some(50),
        cursor: cursor.filter(|c| !c.is_empty()),
    };
    let list = payouts::list(state, auth, None, page_q.keyset()?).await?;
    let who = people(
        state,
        balances
            .items
            .iter()
            .map(|b| b.payee_user_id)
            .chain(list.items.iter().map(|p| p.payee_user_id)),
    )
    .await?;
    let name = |id: &Uuid| {
        who.get(id)
            .cloned()
            .unwrap_or_else(|| ("Unknown person".into(), String::new()))
    };
    // A payee with one currency: the form's currency follows.
    if form.currency.is_empty()
        && !form.payee.is_empty()
        && let Some(b) = balances
            .items
            .iter()
            .find(|b| b.payee_user_id.to_string() == form.payee)
    {
        form.currency = b.currency.clone();
    }
    let mut payees: Vec<(String, String)> = Vec::new();
    for b in &balances.items {
        let id = b.payee_user_id.to_string();
        if !payees.iter().any(|(i, _)| *i == id) {
            let (n, e) = name(&b.payee_user_id);
            payees.push((id, format!("{n} ({e})")));
        }
    }
    let base = staff.href("/payouts");
    Ok(PayoutsPage {
        layout: staff.layout("Instructor payouts", Section::Payments),
        tabs: tabs(staff, "/payouts"),
        share_percent: balances.share_percent,
        balances: balances
            .items
            .iter()
            .map(|b| {
                let (payee, email) = name(&b.payee_user_id);
                BalanceRow {
                    payee,
                    email,
                    currency: b.currency.clone(),
                    earned: format_money(b.earned_net, &b.currency),
                    share: format_money(b.share, &b.currency),
                    paid_out: format_money(b.paid_out, &b.currency),
                    unpaid: format_money(b.unpaid, &b.currency),
                    unpaid_sort: b.unpaid,
                    pay_href: (b.unpaid > 0).then(|| {
                        format!(
                            "{base}?{}#new-payout",
                            serde_urlencoded::to_string([
                                ("payee", b.payee_user_id.to_string()),
                                ("currency", b.currency.clone()),
                            ])
                            .unwrap_or_default()
                        )
                    }),
                }
            })
            .collect(),
        payees,
        payouts: list
            .items
            .iter()
            .map(|p| PayoutRow {
                id: p.id,
                created: when(p.created_at),
                created_sort: p.created_at.to_rfc3339(),
                payee: name(&p.payee_user_id).0,
                amount: format_money(p.amount, &p.currency),
                amount_sort: p.amount,
                method: super::status_words(&p.method),
                reference: p.reference.clone().unwrap_or_default(),
                period: p.period.clone().unwrap_or_default(),
                status: super::status_words(&p.status),
                badge: payout_badge(&p.status),
                pending: p.status == PayoutStatus::Pending.name(),
            })
            .collect(),
        action: base.clone(),
        form,
        errors: FormErrors::default(),
        notice: "",
        pager: Pager::new(&base, page_q.cursor.as_deref(), list.next_cursor.as_deref()),
    })
}

/// The page again with the form's errors.
async fn again(
    state: &AppState,
    staff: &Staff,
    auth: &Authorized,
    form: PayoutForm,
    e: ApiError,
) -> Response {
    let currency = form.currency.trim().to_ascii_uppercase();
    let (status, errors) = match e {
        ApiError::Conflict { detail, .. } | ApiError::Unprocessable { detail, .. } => (
            axum::http::StatusCode::CONFLICT,
            FormErrors::general(sentence(&detail)),
        ),
        other => match form_failure(
            other,
            &[
                "payee",
                "currency",
                "amount",
                "method",
                "reference",
                "period",
            ],
        ) {
            Failure::Form(f) => (f.status, f.errors),
            Failure::Page(p) => return p,
        },
    };
    let mut page = match render(state, staff, auth, form, None).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    page.errors = FormErrors {
        fields: errors
            .fields
            .into_iter()
            .map(|f| FieldError::new(f.field, in_money(&f.message, &currency)))
            .collect(),
        general: errors.general,
    };
    (status, page).into_response()
}

/// The service's field names as the form's.
fn form_field(e: ApiError) -> ApiError {
    match e {
        ApiError::Validation(list) => ApiError::Validation(
            list.into_iter()
                .map(|f| {
                    if f.field == "payee_user_id" {
                        FieldError::new("payee", f.message)
                    } else {
                        f
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

/// `POST /orgs/{org}/payouts`: checked against the balance, a confirm page,
/// then (with `confirm`) the payout.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<PayoutForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let auth = match authorize(&staff) {
        Ok(a) => a,
        Err(e) => return error_page(&e),
    };
    let f = form.value;
    let mut errors = Vec::new();
    let payee = match f.payee.trim().parse::<Uuid>() {
        Ok(u) => Some(u),
        Err(_) => {
            errors.push(FieldError::new("payee", "choose an instructor of the list"));
            None
        }
    };
    let currency = f.currency.trim().to_ascii_uppercase();
    if invigil_domain::payments::Currency::parse(&currency).is_err() {
        errors.push(FieldError::new(
            "currency",
            "a three-letter ISO 4217 code, e.g. EUR",
        ));
    }
    let amount = match parse_amount(&f.amount, &currency) {
        Ok(a) => Some(a),
        Err(m) => {
            errors.push(FieldError::new("amount", m));
            None
        }
    };
    let method = if f.method.is_empty() {
        "BANK_TRANSFER".to_owned()
    } else {
        f.method.clone()
    };
    if PayoutMethod::parse(&method).is_none() {
        errors.push(FieldError::new("method", "choose a method of the list"));
    }
    let (Some(payee), Some(amount), true) = (payee, amount, errors.is_empty()) else {
        return again(&state, &staff, &auth, f, ApiError::Validation(errors)).await;
    };
    if f.confirm.is_none() {
        // The balance as the service computes it, so an amount over it is
        // refused before the confirm step (the service checks again).
        let balance = match payouts::balances(&state, &auth).await {
            Ok(b) => b
                .items
                .into_iter()
                .find(|b| b.payee_user_id == payee && b.currency == currency)
                .map(|b| b.unpaid)
                .unwrap_or(0),
            Err(e) => return error_page(&e),
        };
        if let Err(e) = check_payout(amount, balance) {
            return again(&state, &staff, &auth, f, money_error("amount", e)).await;
        }
        let who = match people(&state, [payee]).await {
            Ok(w) => w,
            Err(e) => return error_page(&e),
        };
        let (name, email) = who
            .get(&payee)
            .cloned()
            .unwrap_or_else(|| ("Unknown person".into(), String::new()));
        let base = staff.href("/payouts");
        let mut facts = vec![
            ("To".to_owned(), format!("{name} ({email})")),
            ("Amount".to_owned(), format_money(amount, &currency)),
            (
                "Unpaid balance".to_owned(),
                format_money(balance, &currency),
            ),
            (
                "Left after it".to_owned(),
                format_money(balance - amount, &currency),
            ),
            ("Method".to_owned(), super::status_words(&method)),
        ];
        if !f.reference.trim().is_empty() {
            facts.push(("Reference".into(), f.reference.trim().to_owned()));
        }
        if !f.period.trim().is_empty() {
            facts.push(("Period".into(), f.period.trim().to_owned()));
        }
        return ConfirmPage {
            layout: staff.layout("Confirm the payout", Section::Payments),
            heading: format!("Pay out {} to {name}?", format_money(amount, &currency)),
            facts,
            warning: "The payout is recorded as pending and lowers the balance at once; \
                      send the money, then mark it paid (or failed, which frees the balance)."
                .into(),
            action: base.clone(),
            hidden: vec![
                ("payee".into(), payee.to_string()),
                ("currency".into(), currency.clone()),
                ("amount".into(), f.amount.trim().to_owned()),
                ("method".into(), method.clone()),
                ("reference".into(), f.reference.clone()),
                ("period".into(), f.period.clone()),
                ("confirm".into(), "1".into()),
            ],
            button: format!("Record the payout of {}", format_money(amount, &currency)),
            back: base,
        }
        .into_response();
    }
    let body = PayoutBody {
        payee_user_id: payee,
        amount,
        currency: currency.clone(),
        method: Some(method),
        reference: Some(f.reference.clone()),
        period: Some(f.period.clone()),
    };
    match payouts::create(&state, &auth, body).await {
        Ok(_) => see_other(&staff.href("/payouts?done=created")),
        Err(e) => again(&state, &staff, &auth, f, form_field(e)).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct MarkForm {
    /// `paid` or `failed`.
    pub op: String,
    #[serde(default)]
    pub reference: String,
}

/// `POST /orgs/{org}/payouts/{id}/mark`.
pub async fn mark(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<MarkForm>,
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
    let (to, done) = match form.value.op.as_str() {
        "paid" => (PayoutStatus::Paid, "paid"),
        "failed" => (PayoutStatus::Failed, "failed"),
        _ => return error_page(&ApiError::field("op", "must be paid or failed")),
    };
    let reference = form.value.reference.trim();
    let body = PayoutMarkBody {
        reference: (!reference.is_empty()).then(|| reference.to_owned()),
    };
    match payouts::mark(&state, &auth, id, to, body).await {
        Ok(_) => see_other(&staff.href(&format!("/payouts?done={done}"))),
        Err(e) => crate::web::staff::live::refused(&e),
    }
}
