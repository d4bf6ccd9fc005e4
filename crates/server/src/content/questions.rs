//! Questions with immutable versions: create, edit (a new version), retire.

use serde_json::json;
use uuid::Uuid;

use invigil_domain::content::{CSV_HEADER, Question, QuestionInput, QuestionStatus, validate};
use invigil_domain::identity::Action;
use invigil_store::content::{self, QuestionRow};

use super::service::{begin_edit, field_errors, load_bank, meta_of};
use super::views::QuestionView;
use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

fn parse_input(v: serde_json::Value) -> Result<Question, ApiError> {
    let input: QuestionInput = crate::http::extract::parse_json(v.to_string().as_bytes())?;
    validate(input).map_err(field_errors)
}

pub async fn create_question(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    body: serde_json::Value,
) -> Result<QuestionView, ApiError> {
    let (bank, auth) = load_bank(state, ctx, bank_id, Action::AuthorContent).await?;
    let q = parse_input(body)?;
    let meta = meta_of(&q);
    let now = state.now();
    let tx = begin(state).await?;
    begin_edit(&tx, &auth, &bank, now).await?;
    let ids = content::insert_questions(
        &tx,
        auth.org_id,
        bank.id,
        std::slice::from_ref(&meta),
        auth.actor.user_id,
        now,
    )
    .await?;
    let id = ids
        .first()
        .copied()
        .ok_or_else(|| ApiError::internal("no id"))?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::QuestionCreated,
            id,
            json!({ "bank_id": bank.id, "version": 1 }),
        )
        .await?;
    commit(tx).await?;
    question_view(state, auth.org_id, bank.id, id).await
}

/// A question's row and current version.
async fn current(
    state: &AppState,
    org_id: Uuid,
    bank_id: Uuid,
    id: Uuid,
) -> Result<(QuestionRow, content::Version), ApiError> {
    let row = content::question(state.db.read(), org_id, bank_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let v = content::version(state.db.read(), org_id, id, row.current_version)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((row, v))
}

pub async fn question_view(
    state: &AppState,
    org_id: Uuid,
    bank_id: Uuid,
    id: Uuid,
) -> Result<QuestionView, ApiError> {
    let (row, v) = current(state, org_id, bank_id, id).await?;
    QuestionView::new(&row, &v)
}

async fn load_question(
    state: &AppState,
    org_id: Uuid,
    bank_id: Uuid,
    id: Uuid,
) -> Result<(QuestionRow, Question), ApiError> {
    let (row, v) = current(state, org_id, bank_id, id).await?;
    Ok((row, v.question()?))
}

/// Applies a partial edit: the given fields replace those of the current
/// version; the result is validated and stored as a new version.
pub async fn update_question(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    id: Uuid,
    patch: serde_json::Value,
) -> Result<QuestionView, ApiError> {
    let (bank, auth) = load_bank(state, ctx, bank_id, Action::AuthorContent).await?;
    let (row, current) = load_question(state, auth.org_id, bank.id, id).await?;
    if row.status != QuestionStatus::Active {
        return Err(ApiError::conflict("a retired question cannot be edited"));
    }
    let serde_json::Value::Object(patch) = patch else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    // The fields of a question are the CSV columns.
    if let Some(k) = patch.keys().find(|k| !CSV_HEADER.contains(&k.as_str())) {
        return Err(ApiError::field(k.clone(), "unknown field"));
    }
    let mut merged = serde_json::to_value(current.to_input()).map_err(ApiError::caused_by)?;
    if let serde_json::Value::Object(m) = &mut merged {
        for (k, v) in patch {
            m.insert(k, v);
        }
    }
    let q = parse_input(merged)?;
    if q == current {
        return question_view(state, auth.org_id, bank.id, id).await;
    }
    let now = state.now();
    let tx = begin(state).await?;
    begin_edit(&tx, &auth, &bank, now).await?;
    let version = content::add_version(&tx, &row, &meta_of(&q), auth.actor.user_id, now).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::QuestionUpdated,
            id,
            json!({ "bank_id": bank.id, "version": version }),
        )
        .await?;
    commit(tx).await?;
    question_view(state, auth.org_id, bank.id, id).await
}

/// Deleting retires: versions stay, sessions served them keep them.
pub async fn retire_question(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    let (bank, auth) = load_bank(state, ctx, bank_id, Action::AuthorContent).await?;
    let (row, _) = load_question(state, auth.org_id, bank.id, id).await?;
    if row.status == QuestionStatus::Retired {
        return Ok(());
    }
    let now = state.now();
    let tx = begin(state).await?;
    begin_edit(&tx, &auth, &bank, now).await?;
    content::retire(&tx, &row, now).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::QuestionRetired,
            id,
            json!({ "bank_id": bank.id }),
        )
        .await?;
    commit(tx).await
}
