//! Tenancy services: organizations, departments, roles and member status
//! (invitations: `invitations.rs`). Every change is audited in the organization's chain.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{Grant, MemberStatus, OrgKind, RevokeReason, Role};
use invigil_domain::text::Text;
use invigil_store::identity::{one_time, sessions};
use invigil_store::tenancy::{self, Organization, RoleRow};
use invigil_store::{StoreError, Tx};

use crate::audit::{Audit, AuditAction};
use crate::authz::{Actor, Authorized};
use crate::http::error::{ApiError, FieldError};
use crate::proctoring::risk::RULES_SETTING;
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
    /// INSTITUTION or COMPANY.
    #[schema(value_type = String, example = "INSTITUTION")]
    pub kind: OrgKind,
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
            kind: o.kind,
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
    /// INSTITUTION (the default) or COMPANY (hires through job postings).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "INSTITUTION")]
    pub kind: Option<OrgKind>,
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
    let org = tenancy::create_org(
        &tx,
        &slug,
        &name,
        domain,
        body.kind.unwrap_or(OrgKind::Institution),
        now,
    )
    .await?;
    Audit::by(actor, Some(org.id), now)
        .record(
            &tx,
            AuditAction::OrgCreated,
            org.id,
            serde_json::json!({ "slug": slug, "name": name, "kind": org.kind.name() }),
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
    let mut rules_after = None;
    let settings = match body.settings {
        None => None,
        Some(v @ serde_json::Value::Object(_)) => {
            let text = v.to_string();
            if text.len() > 64 * 1024 {
                errors.push(FieldError::new("settings", "must be at most 64 KiB"));
            }
            rules_after = Some(proctoring_rules_field(&v, &mut errors));
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
    let rules_before = match &rules_after {
        None => None,
        Some(_) => tenancy::org_by_id(&tx, auth.org_id)
            .await?
            .ok_or(ApiError::NotFound)?
            .settings_json()?
            .get(RULES_SETTING)
            .filter(|v| !v.is_null())
            .cloned(),
    };
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
    if let Some(after) = rules_after
        && after != rules_before
    {
        auth.audit(now)
            .record(
                &tx,
                AuditAction::OrgProctoringRulesChanged,
                auth.org_id,
                rules_change_details(rules_before.as_ref(), after.as_ref()),
            )
            .await?;
    }
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

/// The `proctoring_rules` of a new settings object (`None`: absent or
/// null, the defaults apply), checked as a rule set: every problem is added
/// to `errors` under `settings.proctoring_rules.<path>`, so bad rules are
/// refused instead of being ignored at the next evaluation.
fn proctoring_rules_field(
    settings: &serde_json::Value,
    errors: &mut Vec<FieldError>,
) -> Option<serde_json::Value> {
    let rules = settings.get(RULES_SETTING).filter(|v| !v.is_null())?;
    if let Err(list) = invigil_domain::proctoring::RuleSet::from_json(rules.clone()) {
        for e in list {
            errors.push(FieldError::new(
                format!("settings.{RULES_SETTING}.{}", e.field),
                e.message,
            ));
        }
    }
    Some(rules.clone())
}

/// What an audit entry says of a rule-set change: the rule ids added,
/// removed and changed, and the thresholds before and after (`null`: the
/// defaults).
fn rules_change_details(
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> serde_json::Value {
    let defaults = serde_json::to_value(invigil_domain::proctoring::default_rules())
        .unwrap_or(serde_json::Value::Null);
    let rules_of = |v: Option<&serde_json::Value>| -> Vec<(String, serde_json::Value)> {
        v.unwrap_or(&defaults)["rules"]
            .as_array()
            .map(|rules| {
                rules
                    .iter()
                    .map(|r| (r["id"].as_str().unwrap_or("").to_owned(), r.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (b, a) = (rules_of(before), rules_of(after));
    let find = |list: &[(String, serde_json::Value)], id: &str| {
        list.iter().find(|(i, _)| i == id).map(|(_, r)| r.clone())
    };
    let added: Vec<&str> = a
        .iter()
        .filter(|(id, _)| find(&b, id).is_none())
        .map(|(id, _)| id.as_str())
        .collect();
    let removed: Vec<&str> = b
        .iter()
        .filter(|(id, _)| find(&a, id).is_none())
        .map(|(id, _)| id.as_str())
        .collect();
    let changed: Vec<serde_json::Value> = a
        .iter()
        .filter_map(|(id, rule)| match find(&b, id) {
            Some(old) if &old != rule => {
                Some(serde_json::json!({ "id": id, "before": old, "after": rule }))
            }
            _ => None,
        })
        .collect();
    serde_json::json!({
        "defaults_before": before.is_none(),
        "defaults_after": after.is_none(),
        "added": added,
        "removed": removed,
        "changed": changed,
        "thresholds_before": before.unwrap_or(&defaults)["thresholds"],
        "thresholds_after": after.unwrap_or(&defaults)["thresholds"],
    })
}

/// `PATCH /orgs/{org}/departments/{id}` (ORG_ADMIN): a new name.
pub async fn rename_department(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    name: &str,
) -> Result<DepartmentView, ApiError> {
    let name = OrgName::parse("name", name)?.into_string();
    let now = state.now();
    let tx = begin(state).await?;
    let before = tenancy::department(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let d = tenancy::rename_department(&tx, auth.org_id, id, &name).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::DepartmentRenamed,
            d.id,
            serde_json::json!({ "from": before.name, "to": name }),
        )
        .await?;
    commit(tx).await?;
    Ok(DepartmentView {
        id: d.id,
        name: d.name,
        created_at: d.created_at,
    })
}

/// `DELETE /orgs/{org}/departments/{id}` (ORG_ADMIN): only an empty
/// department (no banks, no exams, no role limited to it) goes; otherwise
/// 409 saying what is still in it.
pub async fn delete_department(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let d = tenancy::department(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let banks = invigil_store::content::banks_in_department(&tx, auth.org_id, id).await?;
    let exams = invigil_store::exams::exams_in_department(&tx, auth.org_id, id).await?;
    let grants = tenancy::grants_in_department(&tx, auth.org_id, id).await?;
    if banks + exams + grants > 0 {
        return Err(ApiError::conflict(format!(
            "the department {} is not empty: it has {banks} question bank(s), {exams} exam(s) \
             and {grants} role grant(s); move or remove them first",
            d.name
        )));
    }
    tenancy::delete_department(&tx, auth.org_id, id).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::DepartmentDeleted,
            id,
            serde_json::json!({ "name": d.name }),
        )
        .await?;
    commit(tx).await
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
    commit(tx).await?;
    // The standing it changed no longer holds on the autosave path.
    crate::delivery::hot::standing_changed(state).await;
    Ok(())
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
    commit(tx).await?;
    // The standing it changed no longer holds on the autosave path.
    crate::delivery::hot::standing_changed(state).await;
    Ok(())
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
    commit(tx).await?;
    // The standing it changed no longer holds on the autosave path.
    crate::delivery::hot::standing_changed(state).await;
    Ok(())
}
