//! Payouts to instructors: never more than the payee's unpaid balance in
//! that currency (their share of completed payments, less refunds, less
//! payouts not failed). The share is `payout_share_percent` of the config.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::audit::AuditAction;
use invigil_domain::payments::{
    Currency, PayoutMethod, PayoutStatus, check_payout, payee_share, unpaid_balance,
};
use invigil_store::payments::{self as store, NewPayout, Payout};
use invigil_store::{Keyset, Tx, tenancy};

use super::service::money_error;
use crate::authz::Authorized;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutView {
    pub id: Uuid,
    pub payee_user_id: Uuid,
    pub amount: i64,
    pub currency: String,
    /// PENDING, PAID, FAILED.
    pub status: String,
    /// BANK_TRANSFER, STRIPE, OTHER.
    pub method: String,
    pub reference: Option<String>,
    pub period: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
}

impl From<&Payout> for PayoutView {
    fn from(p: &Payout) -> Self {
        PayoutView {
            id: p.id,
            payee_user_id: p.payee_user_id,
            amount: p.amount,
            currency: p.currency.clone(),
            status: p.status.name().into(),
            method: p.method.name().into(),
            reference: p.reference.clone(),
            period: p.period.clone(),
            created_by: p.created_by,
            created_at: p.created_at,
            paid_at: p.paid_at,
        }
    }
}

/// A payee's money in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Balance {
    pub payee_user_id: Uuid,
    pub currency: String,
    /// What completed payments kept (amount less refunds).
    pub earned_net: i64,
    /// The payee's share of it.
    pub share: i64,
    /// Payouts pending or paid.
    pub paid_out: i64,
    /// What may still be paid out.
    pub unpaid: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balances {
    pub share_percent: u8,
    pub items: Vec<Balance>,
}

/// Balances of every payee (or one), per currency.
fn to_balances(totals: Vec<(Uuid, String, i64, i64)>, percent: u8) -> Vec<Balance> {
    totals
        .into_iter()
        .map(|(who, cur, net, out)| {
            let share = payee_share(net, 0, percent);
            Balance {
                payee_user_id: who,
                currency: cur,
                earned_net: net,
                share,
                paid_out: out,
                unpaid: unpaid_balance(share, out),
            }
        })
        .collect()
}

pub async fn balances(state: &AppState, auth: &Authorized) -> Result<Balances, ApiError> {
    let percent = state.config.payout_share_percent;
    Ok(Balances {
        share_percent: percent,
        items: to_balances(
            store::payee_totals(state.db.read(), auth.org_id, None).await?,
            percent,
        ),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutBody {
    pub payee_user_id: Uuid,
    /// Minor units; at most the payee's unpaid balance in `currency`.
    pub amount: i64,
    pub currency: String,
    /// BANK_TRANSFER (default), STRIPE or OTHER.
    pub method: Option<String>,
    pub reference: Option<String>,
    /// What it pays for, e.g. `2026-11`.
    pub period: Option<String>,
}

fn opt_text(field: &str, v: Option<&str>) -> Result<Option<String>, ApiError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > 200 || t.chars().any(char::is_control) => Err(
            ApiError::field(field, "must be at most 200 printable characters"),
        ),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// `POST /orgs/{org}/payouts` (PENDING until marked paid).
pub async fn create(
    state: &AppState,
    auth: &Authorized,
    body: PayoutBody,
) -> Result<PayoutView, ApiError> {
    let currency = Currency::parse(&body.currency).map_err(|e| money_error("currency", e))?;
    let method = match body.method.as_deref() {
        None => PayoutMethod::BankTransfer,
        Some(m) => PayoutMethod::parse(m)
            .ok_or_else(|| ApiError::field("method", "must be BANK_TRANSFER, STRIPE or OTHER"))?,
    };
    let reference = opt_text("reference", body.reference.as_deref())?;
    let period = opt_text("period", body.period.as_deref())?;
    if tenancy::member(state.db.read(), auth.org_id, body.payee_user_id)
        .await?
        .is_none()
    {
        return Err(ApiError::field(
            "payee_user_id",
            "no member with this id in the organization",
        ));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let balance = payee_balance(&tx, state, auth.org_id, body.payee_user_id, &currency).await?;
    let amount = check_payout(body.amount, balance).map_err(|e| money_error("amount", e))?;
    let p = store::insert_payout(
        &tx,
        auth.org_id,
        &NewPayout {
            payee_user_id: body.payee_user_id,
            amount,
            currency: currency.to_string(),
            method,
            reference,
            period,
        },
        auth.actor.user_id,
        now,
    )
    .await?;
    let view = PayoutView::from(&p);
    auth.audit(now)
        .record(
            &tx,
            AuditAction::PayoutCreated,
            p.id,
            json!({ "payout": view, "balance_before": balance }),
        )
        .await?;
    commit(tx).await?;
    Ok(view)
}

/// The unpaid balance of one payee in one currency, with their payments
/// locked (PostgreSQL) so two payouts cannot both spend it.
async fn payee_balance(
    tx: &Tx,
    state: &AppState,
    org_id: Uuid,
    payee: Uuid,
    currency: &Currency,
) -> Result<i64, ApiError> {
    let all = to_balances(
        store::payee_totals(tx, org_id, Some(payee)).await?,
        state.config.payout_share_percent,
    );
    Ok(all
        .into_iter()
        .find(|b| b.currency == currency.as_str())
        .map(|b| b.unpaid)
        .unwrap_or(0))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutMarkBody {
    pub reference: Option<String>,
}

/// `mark-paid` / `mark-failed` of a PENDING payout (a failed one frees the
/// balance again).
pub async fn mark(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    to: PayoutStatus,
    body: PayoutMarkBody,
) -> Result<PayoutView, ApiError> {
    let reference = opt_text("reference", body.reference.as_deref())?;
    let now = state.now();
    let tx = begin(state).await?;
    let p = store::payout(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if p.status != PayoutStatus::Pending {
        return Err(ApiError::conflict_code(
            "payout_state",
            format!("the payout is {} already", p.status),
        ));
    }
    let p = store::set_payout_status(&tx, p, to, reference, now).await?;
    let view = PayoutView::from(&p);
    let action = if to == PayoutStatus::Paid {
        AuditAction::PayoutPaid
    } else {
        AuditAction::PayoutFailed
    };
    auth.audit(now)
        .record(&tx, action, p.id, json!({ "payout": view }))
        .await?;
    commit(tx).await?;
    Ok(view)
}

pub async fn list(
    state: &AppState,
    auth: &Authorized,
    payee: Option<Uuid>,
    page: Keyset<Uuid>,
) -> Result<Page<PayoutView>, ApiError> {
    let rows = store::payouts_page(state.db.read(), auth.org_id, payee, page).await?;
    Ok(Page::from_keyset(rows, |p| PayoutView::from(&p)))
}
