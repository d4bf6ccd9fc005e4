//! What the content services share: loading a bank with the caller's right
//! on its department, starting an edit (the review workflow's edit rule),
//! the searchable summary of a question, and the cleaning of bank fields.
//! The actions are in [`super::banks`], [`super::questions`] and
//! [`super::transfer`].

use chrono::{DateTime, Utc};
use uuid::Uuid;

use invigil_domain::content::{BankError, BankErrorKind, BankStatus, Question};
use invigil_domain::identity::Action;
use invigil_store::Tx;
use invigil_store::content::{self, Bank, QuestionMeta};
use invigil_store::tenancy;

use crate::authz::{Authorized, OrgCtx};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;

impl From<BankError> for ApiError {
    fn from(e: BankError) -> Self {
        match e.kind() {
            BankErrorKind::Conflict => ApiError::conflict(e.to_string()),
            BankErrorKind::Validation => ApiError::field("reason", e.to_string()),
        }
    }
}

/// 422 with the validator's field errors.
pub(super) fn field_errors(errs: Vec<invigil_domain::content::FieldError>) -> ApiError {
    ApiError::Validation(
        errs.into_iter()
            .map(|e| FieldError::new(e.field, e.message))
            .collect(),
    )
}

/// The searchable summary stored beside each version. Tags and the search
/// text are lowercased here (Unicode-aware) and the filters lowercase their
/// input, so matching is case-insensitive on both backends (SQLite's LIKE
/// ignores ASCII case, PostgreSQL's does not).
pub fn meta_of(q: &Question) -> QuestionMeta {
    let mut search = q.text().to_lowercase();
    for o in q.options() {
        search.push('\n');
        search.push_str(&o.to_lowercase());
    }
    for t in q.tags() {
        search.push('\n');
        search.push_str(&t.to_lowercase());
    }
    QuestionMeta {
        question_type: q.question_type(),
        difficulty: q.difficulty(),
        tags: q.tags().iter().map(|t| t.to_lowercase()).collect(),
        search_text: search,
        points: q.points(),
        body: serde_json::to_string(q).unwrap_or_default(),
    }
}

pub(super) fn clean_tags(
    field: &str,
    tags: Option<Vec<String>>,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, t) in tags.unwrap_or_default().into_iter().enumerate() {
        let t = t.trim().to_owned();
        if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "must be 1 to 100 printable characters",
            ));
        } else if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 32 {
        errors.push(FieldError::new(field, "at most 32 tags"));
    }
    out
}

pub(super) fn clean_title(title: &str, errors: &mut Vec<FieldError>) -> String {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 300 || t.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "title",
            "must be 1 to 300 printable characters",
        ));
    }
    t.to_owned()
}

pub(super) fn clean_description(d: Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let d = d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if d.as_ref().is_some_and(|d| d.chars().count() > 20_000) {
        errors.push(FieldError::new("description", "at most 20000 characters"));
    }
    d
}

/// Adds a field error when `d` names no department of the organization.
pub(crate) async fn check_department(
    state: &AppState,
    org_id: Uuid,
    d: Option<Uuid>,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    if let Some(d) = d
        && tenancy::department(state.db.read(), org_id, d)
            .await?
            .is_none()
    {
        errors.push(FieldError::new(
            "department_id",
            "no such department in this organization",
        ));
    }
    Ok(())
}

/// Loads a bank of the organization and checks `action` on its department.
pub async fn load_bank(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    action: Action,
) -> Result<(Bank, Authorized), ApiError> {
    let bank = content::bank(state.db.read(), ctx.org_id(), bank_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let auth = ctx.authorize_in(action, bank.department_id)?;
    Ok((bank, auth))
}

/// Starts an edit of `bank` inside `tx`: refuses unless DRAFT or REJECTED,
/// moves a REJECTED bank back to DRAFT, and records the editor.
pub(super) async fn begin_edit(
    tx: &Tx,
    auth: &Authorized,
    bank: &Bank,
    now: DateTime<Utc>,
) -> Result<BankStatus, ApiError> {
    let status = bank.status;
    if !status.is_editable() {
        return Err(ApiError::conflict(format!(
            "the bank is {status} and cannot be edited{}",
            if status == BankStatus::Approved {
                " until it is revised"
            } else {
                ""
            }
        )));
    }
    // A conditional update even for DRAFT -> DRAFT: `bank` was read before
    // this transaction, and a submit (or approve) committed meanwhile must
    // make this edit fail rather than land in a bank under review.
    content::transition_bank(
        tx,
        auth.org_id,
        bank.id,
        status,
        BankStatus::Draft,
        None,
        None,
        now,
    )
    .await?;
    content::add_editor(tx, auth.org_id, bank.id, auth.actor.user_id, now).await?;
    Ok(BankStatus::Draft)
}
