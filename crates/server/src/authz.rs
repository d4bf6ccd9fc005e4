//! Authorization at the HTTP edge. [`OrgCtx`] resolves `/orgs/{org}` for the
//! signed-in user (an organization they do not belong to answers 404, as if
//! it did not exist) and turns the policy of `invigil_domain::identity::policy`
//! into an [`Authorized`] proof that services require. The proof can only be
//! made here, after the policy said yes.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use invigil_domain::identity::{
    Action, Decision, Grant, Role, Visibility, decide, visible_departments,
};
use invigil_store::tenancy::{self, Organization, member_status};

use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Who acts, for audit entries.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub client: ClientInfo,
}

impl From<&CurrentUser> for Actor {
    fn from(u: &CurrentUser) -> Self {
        Actor {
            user_id: u.user.id,
            email: u.user.email.clone(),
            client: u.client.clone(),
        }
    }
}

/// The organization of the path and the caller's standing in it.
#[derive(Debug, Clone)]
pub struct OrgCtx {
    pub org: Organization,
    pub user: CurrentUser,
    pub grants: Vec<Grant>,
    pub is_super_admin: bool,
}

/// Proof that the policy allowed `action` in `org_id`.
#[must_use]
#[derive(Debug, Clone)]
pub struct Authorized {
    pub org_id: Uuid,
    pub actor: Actor,
    pub action: Action,
}

pub fn parse_grants(rows: Vec<(String, Option<Uuid>)>) -> Vec<Grant> {
    rows.into_iter()
        .filter_map(|(r, d)| {
            Role::parse(&r).map(|role| Grant {
                role,
                department_id: d,
            })
        })
        .collect()
}

impl OrgCtx {
    pub fn org_id(&self) -> Uuid {
        self.org.id
    }

    pub fn actor(&self) -> Actor {
        Actor::from(&self.user)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// Allows an org-level action, or one on a resource without a department.
    pub fn authorize(&self, action: Action) -> Result<Authorized, ApiError> {
        self.authorize_in(action, None)
    }

    /// Allows `action` on a resource of `department`.
    pub fn authorize_in(
        &self,
        action: Action,
        department: Option<Uuid>,
    ) -> Result<Authorized, ApiError> {
        match decide(self.is_super_admin, &self.grants, action, department) {
            Decision::Allow => Ok(Authorized {
                org_id: self.org.id,
                actor: self.actor(),
                action,
            }),
            Decision::Deny => Err(ApiError::Forbidden),
        }
    }

    /// Which departments' resources a listing may show for `action`.
    pub fn visibility(&self, action: Action) -> Visibility {
        visible_departments(self.is_super_admin, &self.grants, action)
    }
}

impl FromRequestParts<AppState> for OrgCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let slug = params.get("org").ok_or(ApiError::NotFound)?;
        let org = tenancy::org_by_slug(state.db.read(), slug)
            .await?
            .ok_or(ApiError::NotFound)?;
        let is_super_admin = user.user.is_super_admin;
        let membership = tenancy::member(state.db.read(), org.id, user.id()).await?;
        let grants = match membership {
            Some(m) if m.status == member_status::ACTIVE => {
                parse_grants(tenancy::roles_of(state.db.read(), org.id, user.id()).await?)
            }
            Some(_) if !is_super_admin => return Err(ApiError::Forbidden),
            None if !is_super_admin => return Err(ApiError::NotFound),
            _ => Vec::new(),
        };
        Ok(OrgCtx {
            org,
            user,
            grants,
            is_super_admin,
        })
    }
}
