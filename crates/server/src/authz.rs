//! Authorization at the HTTP edge. [`OrgCtx`] resolves `/orgs/{org}` for the
//! signed-in user (an organization they do not belong to answers 404, as if
//! it did not exist) and turns the policy of `invigil_domain::identity::policy`
//! into an [`Authorized`] proof that services require. The proof can only be
//! made here, after the policy said yes.
//!
//! Two more rules of the policy are turned into errors here, for the routes
//! that do not go through [`OrgCtx`] or that act on one person's session:
//! [`ensure_candidate`] (every step of delivery: an ACTIVE member holding
//! CANDIDATE) and [`Authorized::on_session_of`] (nobody acts as staff on their
//! own session). Both answer 403 `forbidden` with a detail saying why.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use invigil_domain::identity::MemberStatus;
use invigil_domain::identity::{
    Action, Decision, Grant, Membership, Role, Visibility, decide, may_act_on_session,
    may_take_exam, visible_departments,
};
use invigil_store::tenancy::{self, Organization, RoleRow};

use crate::http::auth::{BrowserSession, ClientInfo, CurrentUser, bearer};
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

impl Authorized {
    /// 403 when the session (or enrollment) of `candidate_id` is the actor's
    /// own: nobody grades, proctors, reviews or overrides their own session.
    /// Ask it on every staff path that names a session, an enrollment or a
    /// candidate, after the role check (so a stranger still gets 404/403 as
    /// before) and before anything is written.
    pub fn on_session_of(&self, candidate_id: Uuid) -> Result<(), ApiError> {
        match may_act_on_session(self.actor.user_id, candidate_id) {
            Decision::Allow => Ok(()),
            Decision::Deny => Err(own_session_denied()),
        }
    }
}

/// The refusal of a staff action on one's own session.
pub fn own_session_denied() -> ApiError {
    ApiError::Denied("nobody acts as staff on their own exam session or enrollment".into())
}

/// 403 unless `user_id` may take an exam of `exam_department` in `org_id`
/// now: an ACTIVE member holding CANDIDATE there. Asked at every step of
/// delivery (start, resume, read, save, proctoring events and heartbeats,
/// frames, pairing, submit), since those routes authenticate the person but
/// not their standing in the exam's organization.
pub async fn ensure_candidate(
    state: &AppState,
    org_id: Uuid,
    exam_department: Option<Uuid>,
    user_id: Uuid,
) -> Result<(), ApiError> {
    let (membership, grants) = standing(state, org_id, user_id).await?;
    decide_candidate(membership, &grants, exam_department)
}

/// [`ensure_candidate`] for the exam `exam_id` of `org_id`. This runs on
/// every save and event batch, so the exam is read only when its department
/// can change the answer: an ACTIVE member with only department-scoped
/// CANDIDATE grants. An exam that is gone then answers 404.
pub async fn ensure_candidate_of_exam(
    state: &AppState,
    org_id: Uuid,
    exam_id: Uuid,
    user_id: Uuid,
) -> Result<(), ApiError> {
    let (membership, grants) = standing(state, org_id, user_id).await?;
    let org_wide = grants
        .iter()
        .any(|g| g.role == Role::Candidate && g.department_id.is_none());
    let department = if membership == Membership::Active && !org_wide {
        invigil_store::exams::exam(state.db.read(), org_id, exam_id)
            .await?
            .ok_or(ApiError::NotFound)?
            .department_id
    } else {
        None
    };
    decide_candidate(membership, &grants, department)
}

/// The caller's membership in `org_id` and, when ACTIVE, their grants.
async fn standing(
    state: &AppState,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<(Membership, Vec<Grant>), ApiError> {
    let db = state.db.read();
    let membership = match tenancy::member(db, org_id, user_id).await? {
        None => Membership::None,
        Some(m) => Membership::from(m.status),
    };
    let grants = if membership == Membership::Active {
        parse_grants(tenancy::roles_of(db, org_id, user_id).await?)
    } else {
        Vec::new()
    };
    Ok((membership, grants))
}

fn decide_candidate(
    membership: Membership,
    grants: &[Grant],
    exam_department: Option<Uuid>,
) -> Result<(), ApiError> {
    may_take_exam(membership, grants, exam_department).map_err(|e| ApiError::Denied(e.to_string()))
}

/// The grants of stored role rows.
pub fn parse_grants(rows: Vec<RoleRow>) -> Vec<Grant> {
    rows.into_iter()
        .map(|(role, department_id)| Grant {
            role,
            department_id,
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
        let key = if parts.extensions.get::<BrowserSession>().is_none()
            && bearer(parts).is_some_and(crate::people::api_keys::is_api_key)
        {
            Some(crate::people::api_keys::authenticate(parts, state).await?)
        } else {
            None
        };
        let user = match &key {
            Some(k) => k.user.clone(),
            None => CurrentUser::from_request_parts(parts, state).await?,
        };
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let slug = params.get("org").ok_or(ApiError::NotFound)?;
        match key {
            Some(k) => OrgCtx::for_api_key(state, k, slug).await,
            None => OrgCtx::resolve(state, user, slug).await,
        }
    }
}

impl OrgCtx {
    /// The organization `slug` for an API key: 404 unless it is the key's
    /// own; the grants are the key's roles, never more.
    pub async fn for_api_key(
        state: &AppState,
        key: crate::people::api_keys::KeyPrincipal,
        slug: &str,
    ) -> Result<OrgCtx, ApiError> {
        let org = tenancy::org_by_slug(state.db.read(), slug)
            .await?
            .ok_or(ApiError::NotFound)?;
        if org.id != key.org_id {
            return Err(ApiError::NotFound);
        }
        Ok(OrgCtx {
            org,
            user: key.user,
            grants: key
                .roles
                .into_iter()
                .map(|role| Grant {
                    role,
                    department_id: None,
                })
                .collect(),
            is_super_admin: false,
        })
    }

    /// The organization `slug` for `user`: 404 when it does not exist or
    /// they are not a member (super admins excepted), 403 when their
    /// membership is not ACTIVE. Used by the API extractor and the staff
    /// pages alike.
    pub async fn resolve(
        state: &AppState,
        user: CurrentUser,
        slug: &str,
    ) -> Result<OrgCtx, ApiError> {
        let org = tenancy::org_by_slug(state.db.read(), slug)
            .await?
            .ok_or(ApiError::NotFound)?;
        let is_super_admin = user.user.is_super_admin;
        let membership = tenancy::member(state.db.read(), org.id, user.id()).await?;
        let grants = match membership {
            Some(m) if m.status == MemberStatus::Active => {
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
