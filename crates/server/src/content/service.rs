//! Content services: banks, the review workflow with the two-person rule,
//! questions with immutable versions, import and export.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::bank::transition;
use invigil_domain::content::{
    BankAction, BankError, BankErrorKind, BankStatus, ExportFormat, ImportFormat, Question,
    QuestionInput, export, import, may_review, validate,
};
use invigil_domain::identity::Action;
use invigil_store::Tx;
use invigil_store::content::{self, Bank, BankPatch, NewBank, QuestionMeta, QuestionRow};
use invigil_store::tenancy;

use super::views::{BankView, QuestionView, parse_body};
use crate::audit;
use crate::authz::{Authorized, OrgCtx};
use crate::http::error::{ApiError, FieldError, LineError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit, double_option};

fn field_errors(errs: Vec<invigil_domain::content::FieldError>) -> ApiError {
    ApiError::Validation(
        errs.into_iter()
            .map(|e| FieldError::new(e.field, e.message))
            .collect(),
    )
}

fn bank_error(e: BankError) -> ApiError {
    match e.kind() {
        BankErrorKind::Conflict => ApiError::conflict(e.to_string()),
        BankErrorKind::Validation => ApiError::field("reason", e.to_string()),
    }
}

fn status_of(b: &Bank) -> Result<BankStatus, ApiError> {
    BankStatus::parse(&b.status)
        .ok_or_else(|| ApiError::internal(format!("bad bank status {}", b.status)))
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
        question_type: q.question_type().as_str().to_owned(),
        difficulty: q.difficulty().as_str().to_owned(),
        tags: q.tags().iter().map(|t| t.to_lowercase()).collect(),
        search_text: search,
        points: q.points(),
        body: serde_json::to_string(q).unwrap_or_default(),
    }
}

fn clean_tags(field: &str, tags: Option<Vec<String>>, errors: &mut Vec<FieldError>) -> Vec<String> {
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

fn clean_title(title: &str, errors: &mut Vec<FieldError>) -> String {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 300 || t.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "title",
            "must be 1 to 300 printable characters",
        ));
    }
    t.to_owned()
}

fn clean_description(d: Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let d = d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if d.as_ref().is_some_and(|d| d.chars().count() > 20_000) {
        errors.push(FieldError::new("description", "at most 20000 characters"));
    }
    d
}

async fn check_department(
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
        BankStatus::Draft.as_str(),
        now,
    )
    .await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "bank.created",
        ("question_bank", Some(bank.id.to_string())),
        serde_json::json!({ "title": bank.title }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(bank.into())
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
async fn begin_edit(
    tx: &Tx,
    auth: &Authorized,
    bank: &Bank,
    now: DateTime<Utc>,
) -> Result<BankStatus, ApiError> {
    let status = status_of(bank)?;
    if !status.is_editable() {
        return Err(ApiError::conflict(format!(
            "the bank is {} and cannot be edited{}",
            status.as_str(),
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
        status.as_str(),
        BankStatus::Draft.as_str(),
        None,
        None,
        now,
    )
    .await?;
    content::add_editor(tx, auth.org_id, bank.id, auth.actor.user_id, now).await?;
    Ok(BankStatus::Draft)
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
        status.as_str(),
        now,
    )
    .await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "bank.updated",
        ("question_bank", Some(bank.id.to_string())),
        serde_json::json!({ "title": updated.title }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(updated.into())
}

/// The review workflow: submit, approve, reject, revise, archive.
pub async fn act_on_bank(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    action_name: &str,
    reason: Option<String>,
) -> Result<BankView, ApiError> {
    let needed = match action_name {
        "approve" | "reject" => Action::ReviewContent,
        _ => Action::AuthorContent,
    };
    let (bank, auth) = load_bank(state, ctx, bank_id, needed).await?;
    let from = status_of(&bank)?;
    if needed == Action::ReviewContent {
        let editors = content::editors(state.db.read(), auth.org_id, bank.id).await?;
        if !may_review(auth.actor.user_id, bank.author_id, &editors) {
            return Err(ApiError::Denied(
                "two-person rule: you authored or edited this bank, so another reviewer must decide".into(),
            ));
        }
    }
    let action = match action_name {
        "submit" => BankAction::Submit {
            active_questions: usize::try_from(
                content::count_active(state.db.read(), auth.org_id, bank.id).await?,
            )
            .unwrap_or(usize::MAX),
        },
        "approve" => BankAction::Approve,
        "reject" => BankAction::Reject {
            reason: reason.clone().unwrap_or_default(),
        },
        "revise" => BankAction::Revise,
        "archive" => BankAction::Archive,
        _ => return Err(ApiError::NotFound),
    };
    let to = transition(from, &action).map_err(bank_error)?;
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
        from.as_str(),
        to.as_str(),
        reviewer,
        reject_reason.clone(),
        now,
    )
    .await?;
    let audit_action = match action_name {
        "submit" => "bank.submitted",
        "approve" => "bank.approved",
        "reject" => "bank.rejected",
        "revise" => "bank.revised",
        _ => "bank.archived",
    };
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        audit_action,
        ("question_bank", Some(bank.id.to_string())),
        serde_json::json!({ "from": from.as_str(), "to": to.as_str(), "reason": reject_reason }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(updated.into())
}

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
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "question.created",
        ("question", Some(id.to_string())),
        serde_json::json!({ "bank_id": bank.id, "version": 1 }),
        now,
    )
    .await?;
    commit(tx).await?;
    question_view(state, auth.org_id, bank.id, id).await
}

pub async fn question_view(
    state: &AppState,
    org_id: Uuid,
    bank_id: Uuid,
    id: Uuid,
) -> Result<QuestionView, ApiError> {
    let row = content::question(state.db.read(), org_id, bank_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let v = content::version(state.db.read(), org_id, id, row.current_version)
        .await?
        .ok_or(ApiError::NotFound)?;
    QuestionView::new(&row, &v).ok_or_else(|| ApiError::internal("stored question does not parse"))
}

async fn load_question(
    state: &AppState,
    org_id: Uuid,
    bank_id: Uuid,
    id: Uuid,
) -> Result<(QuestionRow, Question), ApiError> {
    let row = content::question(state.db.read(), org_id, bank_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let v = content::version(state.db.read(), org_id, id, row.current_version)
        .await?
        .ok_or(ApiError::NotFound)?;
    let q = parse_body(&v).ok_or_else(|| ApiError::internal("stored question does not parse"))?;
    Ok((row, q))
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
    if row.status != content::question_status::ACTIVE {
        return Err(ApiError::conflict("a retired question cannot be edited"));
    }
    let serde_json::Value::Object(patch) = patch else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    const FIELDS: [&str; 8] = [
        "type",
        "text",
        "options",
        "correct_answer",
        "points",
        "difficulty",
        "tags",
        "explanation",
    ];
    if let Some(k) = patch.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::field(k.clone(), "unknown field"));
    }
    let mut merged = serde_json::to_value(current.to_input()).map_err(ApiError::internal)?;
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
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "question.updated",
        ("question", Some(id.to_string())),
        serde_json::json!({ "bank_id": bank.id, "version": version }),
        now,
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
    if row.status == content::question_status::RETIRED {
        return Ok(());
    }
    let now = state.now();
    let tx = begin(state).await?;
    begin_edit(&tx, &auth, &bank, now).await?;
    content::retire(&tx, &row, now).await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "question.retired",
        ("question", Some(id.to_string())),
        serde_json::json!({ "bank_id": bank.id }),
        now,
    )
    .await?;
    commit(tx).await
}

#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(as = QuestionImportResult)]
pub struct ImportResult {
    pub imported: usize,
    pub errors: Vec<LineError>,
}

/// Imports questions; atomic unless `partial`.
pub async fn import_questions(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    format: &str,
    text: &str,
    partial: bool,
) -> Result<ImportResult, ApiError> {
    let (bank, auth) = load_bank(state, ctx, bank_id, Action::AuthorContent).await?;
    let format = match format {
        "gift" => ImportFormat::Gift,
        "aiken" => ImportFormat::Aiken,
        "csv" => ImportFormat::Csv,
        _ => return Err(ApiError::field("format", "must be gift, aiken or csv")),
    };
    if !status_of(&bank)?.is_editable() {
        return Err(ApiError::conflict(format!(
            "the bank is {} and cannot be edited",
            bank.status
        )));
    }
    let parsing = std::time::Instant::now();
    let outcome = import(format, text);
    let parse_ms = parsing.elapsed().as_millis();
    let errors: Vec<LineError> = outcome
        .errors
        .iter()
        .map(|e| LineError {
            line: e.line,
            message: e.message.clone(),
        })
        .collect();
    if !errors.is_empty() && !partial {
        return Err(ApiError::LineValidation(errors));
    }
    if outcome.items.is_empty() && errors.is_empty() {
        return Err(ApiError::LineValidation(vec![LineError {
            line: 1,
            message: "no questions found".into(),
        }]));
    }
    let metas: Vec<QuestionMeta> = outcome.items.iter().map(|i| meta_of(&i.question)).collect();
    let now = state.now();
    let detail = serde_json::json!({ "format": format!("{format:?}").to_lowercase(), "imported": metas.len(), "skipped": errors.len() });
    let writing = std::time::Instant::now();
    write_import(state, &auth, &bank, &metas, detail, now).await?;
    tracing::info!(
        bank_id = %bank.id,
        questions = metas.len(),
        bytes = text.len(),
        parse_ms,
        write_ms = writing.elapsed().as_millis(),
        "questions imported"
    );
    Ok(ImportResult {
        imported: metas.len(),
        errors,
    })
}

/// Questions per import transaction on SQLite. Between chunks the one
/// writer connection is free, so autosaves waiting for it go first: a large
/// import never holds the writer for more than one chunk. On PostgreSQL an
/// import is one transaction (see `Db::bulk_writes_in_chunks`).
pub const IMPORT_CHUNK: usize = 250;

/// Writes validated imported questions in chunks of [`IMPORT_CHUNK`], each
/// its own transaction that re-checks the bank is still editable (a submit
/// between chunks stops the import); the audit entry is written with the
/// last chunk.
///
/// All or nothing: everything was validated in memory before, so a chunk
/// only fails on a database error or a concurrent state change. Then the
/// chunks already committed are deleted again (chunk by chunk) and the
/// error is returned. Only when that clean-up fails too (the database went
/// away) can the bank keep a prefix of the import; that is logged. When
/// the request is cancelled part-way (timeout, client gone), the written
/// chunks are deleted in the background the same way.
/// Meanwhile readers of the DRAFT bank may see it grow.
async fn write_import(
    state: &AppState,
    auth: &Authorized,
    bank: &Bank,
    metas: &[QuestionMeta],
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let size = if state.db.bulk_writes_in_chunks() {
        IMPORT_CHUNK
    } else {
        metas.len().max(1)
    };
    let chunks: Vec<&[QuestionMeta]> = metas.chunks(size).collect();
    let mut current = bank.clone();
    // Undoes what was written if this future is dropped part-way (the
    // request timed out or the client went away).
    let mut written = UndoOnDrop {
        state: state.clone(),
        org_id: auth.org_id,
        bank_id: bank.id,
        ids: Vec::with_capacity(metas.len()),
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let step = async {
            let tx = begin(state).await?;
            begin_edit(&tx, auth, &current, now).await?;
            let ids = content::insert_questions(
                &tx,
                auth.org_id,
                bank.id,
                chunk,
                auth.actor.user_id,
                now,
            )
            .await?;
            // Recorded before the commit: a commit cut short by a dropped
            // request may still land, and undoing rows that never landed
            // deletes nothing.
            written.ids.extend(ids.iter().copied());
            if last {
                audit::by(
                    &tx,
                    Some(auth.org_id),
                    &auth.actor,
                    "bank.imported",
                    ("question_bank", Some(bank.id.to_string())),
                    detail.clone(),
                    now,
                )
                .await?;
            }
            commit(tx).await?;
            Ok::<_, ApiError>(())
        }
        .await;
        match step {
            Ok(()) => {}
            Err(e) => {
                let ids = std::mem::take(&mut written.ids);
                undo_import(state, auth.org_id, bank.id, &ids).await;
                return Err(e);
            }
        }
        // The first chunk moved a REJECTED bank back to DRAFT.
        current.status = BankStatus::Draft.as_str().to_owned();
        if !last {
            tokio::task::yield_now().await;
        }
    }
    // Complete: nothing to undo.
    written.ids.clear();
    Ok(())
}

/// The questions an import committed so far; dropped while not empty, it
/// deletes them in the background.
struct UndoOnDrop {
    state: AppState,
    org_id: Uuid,
    bank_id: Uuid,
    ids: Vec<Uuid>,
}

impl Drop for UndoOnDrop {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        let ids = std::mem::take(&mut self.ids);
        let (state, org_id, bank_id) = (self.state.clone(), self.org_id, self.bank_id);
        tracing::warn!(%bank_id, questions = ids.len(), "import interrupted; undoing what it wrote");
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { undo_import(&state, org_id, bank_id, &ids).await });
        }
    }
}

/// Deletes the questions a failed import already committed.
async fn undo_import(state: &AppState, org_id: Uuid, bank_id: Uuid, ids: &[Uuid]) {
    for chunk in ids.chunks(IMPORT_CHUNK) {
        let undone = async {
            let tx = begin(state).await?;
            content::delete_new_questions(&tx, org_id, bank_id, chunk).await?;
            commit(tx).await
        }
        .await;
        if let Err(e) = undone {
            tracing::error!(%bank_id, error = %e, left = ids.len(), "a failed import could not be undone; the bank keeps part of it");
            return;
        }
    }
}

/// Exports the bank's active questions.
pub async fn export_questions(
    state: &AppState,
    ctx: &OrgCtx,
    bank_id: Uuid,
    format: &str,
) -> Result<(ExportFormat, String), ApiError> {
    let (bank, auth) = load_bank(state, ctx, bank_id, Action::AuthorContent).await?;
    let format = match format {
        "gift" => ExportFormat::Gift,
        "csv" => ExportFormat::Csv,
        _ => return Err(ApiError::field("format", "must be gift or csv")),
    };
    let questions: Vec<Question> = content::active_questions(state.db.read(), auth.org_id, bank.id)
        .await?
        .iter()
        .filter_map(|(_, v)| parse_body(v))
        .collect();
    Ok((format, export(format, &questions)))
}
