//! Tenancy services: organizations, departments, roles and member status
//! (invitations: `invitations.rs`). Every change is audited in the organization's chain.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{Grant, MemberStatus, RevokeReason, Role};
use invigil_domain::text::Text;
use invigil_store::identity::{one_time, sessions};
use invigil_store::tenancy::{self, Organization, RoleRow};
use invigil_store::{StoreError, Tx};

use crate::audit::{Audit, AuditAction};
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

impl TryFrom<Organization> for OrgView {
    type Error = StoreError;

    /// Fails on an organization whose stored settings do not decode.
    fn try_from(o: Organization) -> Result<Self, StoreError> {
        Ok(OrgView {
            id: o.id,
            settings: o.settings_json()?,
            slug: o.slug,
            name: o.name,
            domain: o.domain,
            created_at: o.created_at,
            updated_at: o.updated_at,
        })
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

/// An organization's or a department's name.
pub type OrgName = Text<200>;

/// `raw` as a name, or its refusal added to `errors` (other fields are
/// still checked, so one 422 lists them all).
fn name_field(raw: &str, errors: &mut Vec<FieldError>) -> String {
    match OrgName::parse("name", raw) {
        Ok(n) => n.into_string(),
        Err(e) => {
            errors.push(e.into());
            raw.trim().to_owned()
        }
    }
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
    Ok(tx.commit().await?)
}

pub(crate) async fn begin(state: &AppState) -> Result<Tx, ApiError> {
    Ok(state.db.begin().await?)
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
    let name = name_field(&body.name, &mut errors);
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
    Audit::by(actor, Some(org.id), now)
        .record(
            &tx,
            AuditAction::OrgCreated,
            org.id,
            serde_json::json!({ "slug": slug, "name": name }),
        )
        .await?;
    commit(tx).await?;
    Ok(org.try_into()?)
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
    let name = body.name.as_deref().map(|n| name_field(n, &mut errors));
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
    auth.audit(now)
        .record(&tx, AuditAction::OrgUpdated, auth.org_id, serde_json::json!({ "name": name, "domain": domain, "settings_changed": settings.is_some() }))
    .await?;
    commit(tx).await?;
    Ok(org.try_into()?)
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
    let name = OrgName::parse("name", name)?.into_string();
    let now = state.now();
    let tx = begin(state).await?;
    let d = tenancy::create_department(&tx, auth.org_id, &name, now).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::DepartmentCreated,
            d.id,
            serde_json::json!({ "name": name }),
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

/// The stored rows (and audit details) of grants.
pub fn grant_rows(grants: &[Grant]) -> Vec<RoleRow> {
    grants.iter().map(|g| (g.role, g.department_id)).collect()
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
    let devices = if !still_candidate && removed.iter().any(|(r, _)| *r == Role::Candidate) {
        sessions::revoke_devices_in_org(
            &tx,
            user_id,
            auth.org_id,
            RevokeReason::CandidateRoleRemoved,
            now,
        )
        .await?
    } else {
        0
    };
    auth.audit(now)
        .record(
            &tx,
            AuditAction::MemberRolesChanged,
            user_id,
            serde_json::json!({
                "before": before,
                "after": grant_rows(grants),
                "device_credentials_revoked": devices,
            }),
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
    status: MemberStatus,
) -> Result<(), ApiError> {
    if user_id == auth.actor.user_id {
        return Err(ApiError::conflict("you cannot change your own status"));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let before = tenancy::member(&tx, auth.org_id, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tenancy::set_member_status(&tx, auth.org_id, user_id, status, now).await?;
    let devices = if status == MemberStatus::Active {
        0
    } else {
        sessions::revoke_devices_in_org(
            &tx,
            user_id,
            auth.org_id,
            RevokeReason::MemberStatusChanged,
            now,
        )
        .await?
    };
    auth.audit(now)
        .record(&tx, AuditAction::MemberStatusChanged, user_id, serde_json::json!({ "from": before.status, "to": status, "device_credentials_revoked": devices }))
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
    let devices = sessions::revoke_devices_in_org(
        &tx,
        user_id,
        auth.org_id,
        RevokeReason::MemberRemoved,
        now,
    )
    .await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::MemberRemoved,
            user_id,
            serde_json::json!({ "device_credentials_revoked": devices }),
        )
        .await?;
    commit(tx).await
}
