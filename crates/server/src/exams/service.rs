//! What the exam services share: loading an exam with the caller's right on
//! its department, the exam list's scope, body parsing helpers; and exam
//! types. Exams themselves are in [`super::edit`] (create, edit) and
//! [`super::lifecycle`] (schedule, open, close, cancel, archive); enrollment
//! in [`super::enroll`].

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{Action, Visibility};
use invigil_store::DeptScope;
use invigil_store::exams::{self, Exam, NewExamType};

use super::views::ExamTypeView;
use crate::audit::AuditAction;
use crate::authz::{Authorized, OrgCtx};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// Parses a JSON value into `T`, naming the failing field (422).
pub fn from_value<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, ApiError> {
    crate::http::extract::parse_json(v.to_string().as_bytes())
}

/// 403 unless the caller may do `action` in some department at least; the
/// exact check on the resource's department follows once it is known.
pub fn may_at_all(ctx: &OrgCtx, action: Action) -> Result<(), ApiError> {
    match ctx.visibility(action) {
        Visibility::Nothing => Err(ApiError::Forbidden),
        _ => Ok(()),
    }
}

pub(super) fn clean_text(
    field: &str,
    value: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} printable characters"),
        ));
    }
    v.to_owned()
}

// ---- exam types

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateExamTypeBody {
    /// Unique in the organization: 1 to 50 of letters, digits, `_`, `-`, `.`.
    pub code: String,
    pub name: String,
    /// 0 to 1000.
    pub default_weight: f64,
}

/// An exam type's fields, checked: the code 1 to 50 of letters, digits,
/// `_`, `-`, `.`; the name 1 to 200 printable characters; the weight 0 to
/// 1000. Every problem is a field error (422).
fn exam_type_fields(code: &str, name: &str, weight: f64) -> Result<NewExamType, ApiError> {
    let mut errors = Vec::new();
    let code = code.trim().to_owned();
    if code.is_empty()
        || code.chars().count() > 50
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        errors.push(FieldError::new(
            "code",
            "must be 1 to 50 of letters, digits, '_', '-' and '.'",
        ));
    }
    let name = clean_text("name", name, 200, &mut errors);
    if !weight.is_finite() || !(0.0..=1000.0).contains(&weight) {
        errors.push(FieldError::new(
            "default_weight",
            "must be a number from 0 to 1000",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(NewExamType {
        code,
        name,
        default_weight: weight,
    })
}

/// A change of an exam type: the fields given replace the current ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateExamTypeBody {
    pub code: Option<String>,
    pub name: Option<String>,
    pub default_weight: Option<f64>,
}

/// Edits an exam type (404 when not in the organization, 409 for a code
/// already used); audited with the values before and after.
pub async fn update_exam_type(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    body: UpdateExamTypeBody,
) -> Result<ExamTypeView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let current = exams::exam_type(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let fields = exam_type_fields(
        body.code.as_deref().unwrap_or(&current.code),
        body.name.as_deref().unwrap_or(&current.name),
        body.default_weight.unwrap_or(current.default_weight),
    )?;
    let t = exams::update_exam_type(&tx, auth.org_id, id, fields)
        .await?
        .ok_or(ApiError::NotFound)?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ExamTypeUpdated,
            t.id,
            json!({
                "before": { "code": current.code, "name": current.name, "default_weight": current.default_weight },
                "after": { "code": t.code, "name": t.name, "default_weight": t.default_weight },
            }),
        )
        .await?;
    commit(tx).await?;
    Ok(t.into())
}

/// Deletes an exam type that no exam and no external result uses (409
/// otherwise); audited.
pub async fn delete_exam_type(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let current = exams::exam_type(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let used = exams::exams_of_type(&tx, auth.org_id, id).await?;
    if used > 0 {
        return Err(ApiError::conflict(format!(
            "{used} exam(s) use this exam type; change their type first"
        )));
    }
    let recorded = invigil_store::records::externals_of_type(&tx, auth.org_id, id).await?;
    if recorded > 0 {
        return Err(ApiError::conflict(format!(
            "{recorded} external result(s) are recorded on this exam type; delete them first"
        )));
    }
    exams::delete_exam_type(&tx, auth.org_id, id).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ExamTypeDeleted,
            id,
            json!({ "code": current.code, "name": current.name }),
        )
        .await?;
    commit(tx).await?;
    Ok(())
}

pub async fn create_exam_type(
    state: &AppState,
    auth: &Authorized,
    body: CreateExamTypeBody,
) -> Result<ExamTypeView, ApiError> {
    let fields = exam_type_fields(&body.code, &body.name, body.default_weight)?;
    let now = state.now();
    let tx = begin(state).await?;
    let t = exams::create_exam_type(&tx, auth.org_id, fields, now).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ExamTypeCreated,
            t.id,
            json!({ "code": t.code, "name": t.name, "default_weight": t.default_weight }),
        )
        .await?;
    commit(tx).await?;
    Ok(t.into())
}

/// Loads an exam of the organization and checks `action` on its department.
pub async fn load_exam(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    action: Action,
) -> Result<(Exam, Authorized), ApiError> {
    let exam = exams::exam(state.db.read(), ctx.org_id(), exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let auth = ctx.authorize_in(action, exam.department_id)?;
    Ok((exam, auth))
}

/// Scope of the exam list for the caller.
pub fn exam_scope(ctx: &OrgCtx) -> Result<DeptScope, ApiError> {
    DeptScope::of(ctx.visibility(Action::ReadExams)).ok_or(ApiError::Forbidden)
}

/// 422 with the domain's field errors added to `errors`.
pub(crate) fn domain_errors(
    errors: &mut Vec<FieldError>,
    errs: Vec<invigil_domain::exams::FieldError>,
) {
    errors.extend(
        errs.into_iter()
            .map(|e| FieldError::new(e.field, e.message)),
    );
}
