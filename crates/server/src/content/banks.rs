//! Question banks: create, edit, and the review workflow with the
//! two-person rule (submit, approve, reject, revise, archive).

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::bank::transition;
use invigil_domain::content::{BankAction, BankStatus, may_review};
use invigil_domain::identity::Action;
use invigil_store::content::{self, BankPatch, NewBank};

use super::service::{
    begin_edit, check_department, clean_description, clean_tags, clean_title, load_bank,
};
use super::views::BankView;
use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit, double_option};

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBankBody {
    pub title: String,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub department_id: Option<Uuid>,
}

pub async fn create_bank(
    state: &AppState,
    ctx: &OrgCtx,
    body: CreateBankBody,
) -> Result<BankView, ApiError> {
    let auth = ctx.authorize_in(Action::AuthorContent, body.department_id)?;
    let mut errors = Vec::new();
    let title = clean_title(&body.title, &mut errors);
    let description = clean_description(body.description, &mut errors);
    let tags = clean_tags("tags", body.tags, &mut errors);
    check_department(state, auth.org_id, body.department_id, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let bank = content::create_bank(
        &tx,
        auth.org_id,
        NewBank {
            title,
            description,
            tags,
            department_id: body.department_id,
            author_id: auth.actor.user_id,
        },
        BankStatus::Draft,
        now,
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::BankCreated,
            bank.id,
            json!({ "title": bank.title }),
        )
        .await?;
    commit(tx).await?;
    bank.try_into()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchBankBody {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub department_id: Option<Option<Uuid>>,
}

pub async fn update_bank(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    body: PatchBankBody,
) -> Result<BankView, ApiError> {
    let (bank, auth) = load_bank(state, ctx, bank_id, Action::AuthorContent).await?;
    let mut errors = Vec::new();
    let title = body.title.as_deref().map(|t| clean_title(t, &mut errors));
    let description = body.description.map(|d| clean_description(d, &mut errors));
    let tags = body.tags.map(|t| clean_tags("tags", Some(t), &mut errors));
    if let Some(d) = body.department_id {
        check_department(state, auth.org_id, d, &mut errors).await?;
        // Moving a bank needs the right in the target department too.
        let _also_there = ctx.authorize_in(Action::AuthorContent, d)?;
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let status = begin_edit(&tx, &auth, &bank, now).await?;
    let fresh = content::bank(&tx, auth.org_id, bank.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let updated = content::update_bank(
        &tx,
        fresh,
        BankPatch {
            title,
            description,
            tags,
            department_id: body.department_id,
        },
        status,
        now,
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::BankUpdated,
            bank.id,
            json!({ "title": updated.title }),
        )
        .await?;
    commit(tx).await?;
    updated.try_into()
}

/// A step of the review workflow, as the routes name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankStep {
    Submit,
    Approve,
    /// With the reviewer's reason.
    Reject(String),
    Revise,
    Archive,
}

impl BankStep {
    /// Reviewing (approve, reject) is QUALITY_ASSURANCE's; the rest the author's.
    fn needs(&self) -> Action {
        match self {
            BankStep::Approve | BankStep::Reject(_) => Action::ReviewContent,
            BankStep::Submit | BankStep::Revise | BankStep::Archive => Action::AuthorContent,
        }
    }

    fn audit_action(&self) -> AuditAction {
        match self {
            BankStep::Submit => AuditAction::BankSubmitted,
            BankStep::Approve => AuditAction::BankApproved,
            BankStep::Reject(_) => AuditAction::BankRejected,
            BankStep::Revise => AuditAction::BankRevised,
            BankStep::Archive => AuditAction::BankArchived,
        }
    }
}

/// The review workflow: submit, approve, reject, revise, archive.
pub async fn act_on_bank(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    step: BankStep,
) -> Result<BankView, ApiError> {
    let needed = step.needs();
    let (bank, auth) = load_bank(state, ctx, bank_id, needed).await?;
    let from = bank.status;
    if needed == Action::ReviewContent {
        let editors = content::editors(state.db.read(), auth.org_id, bank.id).await?;
        if !may_review(auth.actor.user_id, bank.author_id, &editors) {
            return Err(ApiError::Denied(
                "two-person rule: you authored or edited this bank, so another reviewer must decide".into(),
            ));
        }
    }
    let audit_action = step.audit_action();
    let action = match step {
        BankStep::Submit => BankAction::Submit {
            active_questions: usize::try_from(
                content::count_active(state.db.read(), auth.org_id, bank.id).await?,
            )
            .unwrap_or(usize::MAX),
        },
        BankStep::Approve => BankAction::Approve,
        BankStep::Reject(reason) => BankAction::Reject { reason },
        BankStep::Revise => BankAction::Revise,
        BankStep::Archive => BankAction::Archive,
    };
    let to = transition(from, &action)?;
    let now = state.now();
    let tx = begin(state).await?;
    let reviewer = (needed == Action::ReviewContent).then_some(auth.actor.user_id);
    let reject_reason = match &action {
        BankAction::Reject { reason } => Some(reason.trim().to_owned()),
        _ => None,
    };
    let updated = content::transition_bank(
        &tx,
        auth.org_id,
        bank.id,
        from,
        to,
        reviewer,
        reject_reason.clone(),
        now,
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            audit_action,
            bank.id,
            json!({ "from": from, "to": to, "reason": reject_reason }),
        )
        .await?;
    commit(tx).await?;
    updated.try_into()
}
