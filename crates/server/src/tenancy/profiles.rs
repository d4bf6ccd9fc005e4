//! A candidate's profile in an organization (seed 003: student number,
//! class year, the accommodations flag and extra time), read and changed one
//! person at a time: `GET` and `PATCH /orgs/{org}/candidates/{user_id}/profile`
//! (ENROLLMENT_MANAGER, ORG_ADMIN), besides the CSV import. Nobody changes
//! their own profile (extra time is an accommodation); every change is
//! audited with the values before and after.

use axum::Json;
use axum::extract::{Request, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::tenancy::{self, CandidateProfile, ProfileInput};

use super::service::{begin, commit, double_option};
use crate::audit::AuditAction;
use crate::authz::{OrgCtx, own_session_denied};
use crate::http::error::{ApiError, FieldError};
use crate::http::extract::{ApiPath, json_body};
use crate::state::AppState;

/// A candidate's profile (empty fields when none was ever set).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileView {
    pub user_id: Uuid,
    pub student_number: Option<String>,
    pub class_year: Option<i32>,
    pub has_accommodations: bool,
    /// Extra time in percent of the exam's duration (0 to 400).
    pub extra_time_percent: Option<i32>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl ProfileView {
    fn of(user_id: Uuid, p: Option<&CandidateProfile>) -> ProfileView {
        ProfileView {
            user_id,
            student_number: p.and_then(|p| p.student_number.clone()),
            class_year: p.and_then(|p| p.class_year),
            has_accommodations: p.is_some_and(|p| p.has_accommodations),
            extra_time_percent: p.and_then(|p| p.extra_time_percent),
            updated_at: p.map(|p| p.updated_at),
        }
    }
}

/// A change: the fields present replace the current values; `null` clears
/// an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub student_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub class_year: Option<Option<i32>>,
    pub has_accommodations: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub extra_time_percent: Option<Option<i32>>,
}

/// The profile after `patch`, checked: student number up to 50 printable
/// characters, class year 1 to 3000, extra time 0 to 400.
pub fn apply(current: &ProfileView, patch: ProfilePatch) -> Result<ProfileInput, ApiError> {
    let mut errors = Vec::new();
    let student_number = match patch.student_number {
        None => current.student_number.clone(),
        Some(None) => None,
        Some(Some(s)) => {
            let s = s.trim().to_owned();
            if s.chars().count() > 50 || s.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    "student_number",
                    "must be at most 50 printable characters",
                ));
            }
            (!s.is_empty()).then_some(s)
        }
    };
    let class_year = patch.class_year.unwrap_or(current.class_year);
    if class_year.is_some_and(|y| !(1..=3000).contains(&y)) {
        errors.push(FieldError::new(
            "class_year",
            "must be a year from 1 to 3000",
        ));
    }
    let extra_time_percent = patch
        .extra_time_percent
        .unwrap_or(current.extra_time_percent);
    if extra_time_percent.is_some_and(|p| !(0..=400).contains(&p)) {
        errors.push(FieldError::new(
            "extra_time_percent",
            "must be a whole number from 0 to 400",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(ProfileInput {
        student_number,
        class_year,
        has_accommodations: patch
            .has_accommodations
            .unwrap_or(current.has_accommodations),
        extra_time_percent,
    })
}

/// 404 unless `user_id` is a member of the organization.
async fn ensure_member(state: &AppState, org_id: Uuid, user_id: Uuid) -> Result<(), ApiError> {
    tenancy::member(state.db.read(), org_id, user_id)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound)
}

/// A candidate's profile (ENROLLMENT_MANAGER, ORG_ADMIN).
#[utoipa::path(get, path = "/orgs/{org}/candidates/{user_id}/profile", tag = "organizations",
    params(("org" = String, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, body = ProfileView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_profile(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, user_id)): ApiPath<(String, Uuid)>,
) -> Result<Json<ProfileView>, ApiError> {
    let auth = ctx.authorize(Action::ManageEnrollments)?;
    ensure_member(&state, auth.org_id, user_id).await?;
    let p = tenancy::profile(state.db.read(), auth.org_id, user_id).await?;
    Ok(Json(ProfileView::of(user_id, p.as_ref())))
}

/// Change a candidate's profile (ENROLLMENT_MANAGER, ORG_ADMIN; not one's
/// own): the fields given replace the current ones.
#[utoipa::path(patch, path = "/orgs/{org}/candidates/{user_id}/profile", tag = "organizations",
    request_body = ProfilePatch,
    params(("org" = String, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, body = ProfileView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_profile(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, user_id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<ProfileView>, ApiError> {
    let auth = ctx.authorize(Action::ManageEnrollments)?;
    if auth.actor.user_id == user_id {
        return Err(own_session_denied());
    }
    let patch: ProfilePatch = json_body(req, &state).await?;
    ensure_member(&state, auth.org_id, user_id).await?;
    let now = state.now();
    let tx = begin(&state).await?;
    let before = tenancy::profile(&tx, auth.org_id, user_id).await?;
    let before = ProfileView::of(user_id, before.as_ref());
    let input = apply(&before, patch)?;
    tenancy::upsert_profile(&tx, auth.org_id, user_id, &input, now).await?;
    let after = tenancy::profile(&tx, auth.org_id, user_id).await?;
    let after = ProfileView::of(user_id, after.as_ref());
    auth.audit(now)
        .record(
            &tx,
            AuditAction::CandidateProfileUpdated,
            user_id,
            json!({ "before": before, "after": after }),
        )
        .await?;
    commit(tx).await?;
    Ok(Json(after))
}
