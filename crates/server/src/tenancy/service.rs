//! Tenancy services: organizations, departments, roles and member status
//! (invitations: `invitations.rs`). Every change is audited in the organization's chain.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{Grant, Role};
use invigil_store::identity::{one_time, sessions};
use invigil_store::tenancy::{self, Organization, member_status};
use invigil_store::{StoreError, Tx};

use crate::audit;
use crate::authz::{Actor, Authorized};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub domain: Option<String>,
    /// Free-form settings object (proctoring rules among them).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Organization> for OrgView {
    fn from(o: Organization) -> Self {
        OrgView {
            id: o.id,
            settings: serde_json::from_str(&o.settings).unwrap_or_else(|_| serde_json::json!({})),
            slug: o.slug,
            name: o.name,
            domain: o.domain,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// Slugs: 2 to 63 of `a-z 0-9 -`, no leading, trailing or double hyphen.
pub fn valid_slug(s: &str) -> bool {
    (2..=63).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn valid_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} printable characters"),
        ));
    }
    v.to_owned()
}

fn valid_domain(d: &str) -> bool {
    let d = d.trim();
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

pub(crate) async fn commit(tx: Tx) -> Result<(), ApiError> {
    tx.commit().await.map_err(ApiError::internal)
}

pub(crate) async fn begin(state: &AppState) -> Result<Tx, ApiError> {
    state.db.begin().await.map_err(ApiError::internal)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrgBody {
    pub name: String,
    pub slug: String,
    pub domain: Option<String>,
}

/// `POST /orgs` (SUPER_ADMIN).
pub async fn create_org(
    state: &AppState,
    actor: &Actor,
    body: CreateOrgBody,
) -> Result<OrgView, ApiError> {
    let mut errors = Vec::new();
    let name = valid_text("name", &body.name, 200, &mut errors);
    let slug = body.slug.trim().to_owned();
    if !valid_slug(&slug) {
        errors.push(FieldError::new(
            "slug",
            "2 to 63 of a-z, 0-9 and single hyphens inside",
        ));
    }
    let domain = body
        .domain
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty());
    if domain.as_deref().is_some_and(|d| !valid_domain(d)) {
        errors.push(FieldError::new("domain", "is not a domain name"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let org = tenancy::create_org(&tx, &slug, &name, domain, now).await?;
    audit::by(
        &tx,
        Some(org.id),
        actor,
        "org.created",
        ("organization", Some(org.id.to_string())),
        serde_json::json!({ "slug": slug, "name": name }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(org.into())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchOrgBody {
    pub name: Option<String>,
    /// `null` removes the domain.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub domain: Option<Option<String>>,
    /// Replaces the settings object (at most 64 KiB).
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub settings: Option<serde_json::Value>,
}

/// Distinguishes an absent field from an explicit `null`.
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// `PATCH /orgs/{org}` (ORG_ADMIN).
pub async fn update_org(
    state: &AppState,
    auth: &Authorized,
    body: PatchOrgBody,
) -> Result<OrgView, ApiError> {
    let mut errors = Vec::new();
    let name = body
        .name
        .as_deref()
        .map(|n| valid_text("name", n, 200, &mut errors));
    let domain = body
        .domain
        .map(|d| d.map(|d| d.trim().to_lowercase()).filter(|d| !d.is_empty()));
    if let Some(Some(d)) = &domain
        && !valid_domain(d)
    {
        errors.push(FieldError::new("domain", "is not a domain name"));
    }
    let settings = match body.settings {
        None => None,
        Some(v @ serde_json::Value::Object(_)) => {
            let text = v.to_string();
            if text.len() > 64 * 1024 {
                errors.push(FieldError::new("settings", "must be at most 64 KiB"));
            }
            Some(text)
        }
        Some(_) => {
            errors.push(FieldError::new("settings", "must be a JSON object"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let org = tenancy::update_org(
        &tx,
        auth.org_id,
        name.clone(),
        domain.clone(),
        settings.clone(),
        now,
    )
    .await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "org.updated",
        ("organization", Some(auth.org_id.to_string())),
        serde_json::json!({ "name": name, "domain": domain, "settings_changed": settings.is_some() }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(org.into())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /orgs/{org}/departments` (ORG_ADMIN).
pub async fn create_department(
    state: &AppState,
    auth: &Authorized,
    name: &str,
) -> Result<DepartmentView, ApiError> {
    let mut errors = Vec::new();
    let name = valid_text("name", name, 200, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let d = tenancy::create_department(&tx, auth.org_id, &name, now).await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "department.created",
        ("department", Some(d.id.to_string())),
        serde_json::json!({ "name": name }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(DepartmentView {
        id: d.id,
        name: d.name,
        created_at: d.created_at,
    })
}

/// A role assignment in a request.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct GrantBody {
    pub role: String,
    pub department_id: Option<Uuid>,
}

/// Checks requested grants: known roles, never SUPER_ADMIN (platform-only),
/// departments of this organization.
pub async fn parse_grant_bodies(
    state: &AppState,
    org_id: Uuid,
    field: &str,
    bodies: &[GrantBody],
) -> Result<Vec<Grant>, ApiError> {
    let mut errors = Vec::new();
    let mut grants = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        match Role::parse(b.role.trim()) {
            Some(Role::SuperAdmin) => errors.push(FieldError::new(
                format!("{field}[{i}].role"),
                "SUPER_ADMIN is granted only by the operator CLI",
            )),
            Some(role) => {
                if let Some(d) = b.department_id
                    && tenancy::department(state.db.read(), org_id, d)
                        .await?
                        .is_none()
                {
                    errors.push(FieldError::new(
                        format!("{field}[{i}].department_id"),
                        "no such department in this organization",
                    ));
                    continue;
                }
                let g = Grant {
                    role,
                    department_id: b.department_id,
                };
                if !grants.contains(&g) {
                    grants.push(g);
                }
            }
            None => errors.push(FieldError::new(
                format!("{field}[{i}].role"),
                "unknown role",
            )),
        }
    }
    if errors.is_empty() {
        Ok(grants)
    } else {
        Err(ApiError::Validation(errors))
    }
}

pub fn grant_rows(grants: &[Grant]) -> Vec<(String, Option<Uuid>)> {
    grants
        .iter()
        .map(|g| (g.role.as_str().to_owned(), g.department_id))
        .collect()
}

/// Sets a member's grants. Sign-ins are platform-wide and stay: every
/// request re-reads the grants, so removed ones stop working at once. When
/// CANDIDATE goes, the phones paired to the member's exam sessions of this
/// organization are signed out (nothing of other organizations).
pub async fn replace_roles(
    state: &AppState,
    auth: &Authorized,
    user_id: Uuid,
    grants: &[Grant],
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    if tenancy::member(&tx, auth.org_id, user_id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let before = tenancy::roles_of(&tx, auth.org_id, user_id).await?;
    let removed =
        tenancy::replace_roles(&tx, auth.org_id, user_id, &grant_rows(grants), now).await?;
    let still_candidate = grants.iter().any(|g| g.role == Role::Candidate);
    let devices = if !still_candidate && removed.iter().any(|(r, _)| r == Role::Candidate.as_str())
    {
        sessions::revoke_devices_in_org(&tx, user_id, auth.org_id, "candidate_role_removed", now)
            .await?
    } else {
        0
    };
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "member.roles_changed",
        ("user", Some(user_id.to_string())),
        serde_json::json!({
            "before": before,
            "after": grant_rows(grants),
            "device_credentials_revoked": devices,
        }),
        now,
    )
    .await?;
    commit(tx).await
}

/// Sets a member's status in the organization. Sign-ins stay (they are
/// platform-wide and the organization refuses a non-ACTIVE member on every
/// request); suspending or deactivating signs out the phones paired to the
/// member's exam sessions of this organization.
pub async fn set_member_status(
    state: &AppState,
    auth: &Authorized,
    user_id: Uuid,
    status: &str,
) -> Result<(), ApiError> {
    let status = match status {
        member_status::ACTIVE | member_status::SUSPENDED | member_status::DEACTIVATED => status,
        _ => {
            return Err(ApiError::field(
                "status",
                "must be ACTIVE, SUSPENDED or DEACTIVATED",
            ));
        }
    };
    if user_id == auth.actor.user_id {
        return Err(ApiError::conflict("you cannot change your own status"));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let before = tenancy::member(&tx, auth.org_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tenancy::set_member_status(&tx, auth.org_id, user_id, status, now).await?;
    let devices = if status == member_status::ACTIVE {
        0
    } else {
        sessions::revoke_devices_in_org(&tx, user_id, auth.org_id, "member_status_changed", now)
            .await?
    };
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "member.status_changed",
        ("user", Some(user_id.to_string())),
        serde_json::json!({ "from": before.status, "to": status, "device_credentials_revoked": devices }),
        now,
    )
    .await?;
    commit(tx).await
}

/// Removes a member, their roles and their pending invitation here. Their
/// sign-ins stay (the organization answers 404 to them from now on); the
/// phones paired to their exam sessions of this organization are signed out.
pub async fn remove_member(
    state: &AppState,
    auth: &Authorized,
    user_id: Uuid,
) -> Result<(), ApiError> {
    if user_id == auth.actor.user_id {
        return Err(ApiError::conflict("you cannot remove yourself"));
    }
    let now = state.now();
    let tx = begin(state).await?;
    tenancy::remove_member(&tx, auth.org_id, user_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::NotFound,
            other => other.into(),
        })?;
    one_time::delete_invitations_in_org(&tx, user_id, auth.org_id).await?;
    let devices =
        sessions::revoke_devices_in_org(&tx, user_id, auth.org_id, "member_removed", now).await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "member.removed",
        ("user", Some(user_id.to_string())),
        serde_json::json!({ "device_credentials_revoked": devices }),
        now,
    )
    .await?;
    commit(tx).await
}
