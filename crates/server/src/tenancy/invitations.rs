//! Invitations: nobody becomes a member by being invited. The roles wait in
//! a per-(person, organization) invitation until the person accepts it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{Email, Grant};
use invigil_store::Tx;
use invigil_store::identity::one_time::OneTimeToken;
use invigil_store::identity::{AccountStatus, OneTimeKind, one_time, users};
use invigil_store::tenancy::{self, Organization, RoleRow};

use super::service::grant_rows;
use crate::audit::{Audit, AuditAction};
use crate::authz::Actor;
use crate::http::error::ApiError;
use crate::identity::INVITATION_TTL;
use crate::identity::crypto::{hash_token, new_token};
use crate::mail;
use crate::notify::Vars;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InviteOutcome {
    /// `POST /invitations`: a time-ordered id minted now, the same kind of
    /// value whether or not the person has an account (it is the new
    /// account's id only for an unknown email); bulk imports: the account id.
    pub user_id: Uuid,
    /// The invitation. Always set by `POST /invitations`; in bulk imports
    /// `null` when an active user was simply added.
    pub invitation_id: Option<Uuid>,
}

/// The grants an invitation gives when accepted (`POST /invitations`).
#[derive(Debug, Serialize, Deserialize)]
struct InvitationPayload {
    grants: Vec<RoleRow>,
}

/// `POST /orgs/{org}/invitations`: an invitation nobody can tell apart from
/// the outside. Whether or not an account with this email exists (and in
/// whatever state), the caller gets the same answer: a fresh invitation id
/// and a `user_id` that is a new time-ordered UUID of this moment (for an
/// unknown email it is the id of the PENDING_VERIFICATION account made for
/// the person; otherwise it is minted for this answer and names nothing).
/// Nobody becomes a member before accepting; the grants wait in the
/// invitation, the audit entry is the same in both cases, and a new
/// invitation replaces only this organization's earlier one. The mail goes
/// to the address; an existing account accepts by proving its password
/// (`POST /auth/accept-invitation`), a new person chooses one.
#[expect(
    clippy::too_many_arguments,
    reason = "the invitation's inputs plus the caller's transaction and clock"
)]
pub async fn invite(
    tx: &Tx,
    state: &AppState,
    org: &Organization,
    email: &Email,
    name: &str,
    grants: &[Grant],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InviteOutcome, ApiError> {
    let (user, is_new) = user_or_pending(tx, email, name, now).await?;
    // An existing account's id is never disclosed before it accepts.
    let user_id = if is_new { user.id } else { Uuid::now_v7() };
    let existing = user.status != AccountStatus::PendingVerification;
    let payload = serde_json::to_string(&InvitationPayload {
        grants: grant_rows(grants),
    })
    .map_err(ApiError::caused_by)?;
    let token = new_token();
    one_time::delete_invitations_in_org(tx, user.id, org.id).await?;
    let invitation_id = one_time::create(
        tx,
        one_time::NewOneTime {
            hash: &hash_token(&token),
            kind: OneTimeKind::Invitation,
            user_id: user.id,
            email: None,
            org_id: Some(org.id),
            payload: Some(payload),
            expires_at: now + INVITATION_TTL,
        },
        now,
    )
    .await?;
    let roles: Vec<&str> = grants.iter().map(|g| g.role.as_str()).collect();
    let link = mail::token_link(state, "accept-invitation", &token);
    crate::notify::mail_to(
        tx,
        state,
        Some(org.id),
        "invitation",
        &user.email,
        Vars::new()
            .set("name", if existing { user.name.as_str() } else { name })
            .set("inviter", &actor.email)
            .set("org", &org.name)
            .set("roles", roles.join(", "))
            .set("link", link)
            .set("existing", if existing { "yes" } else { "" }),
    )
    .await?;
    Audit::by(actor, Some(org.id), now)
        .record(
            tx,
            AuditAction::MemberInvited,
            invitation_id,
            serde_json::json!({ "email": email.as_str(), "roles": grant_rows(grants) }),
        )
        .await?;
    Ok(InviteOutcome {
        user_id,
        invitation_id: Some(invitation_id),
    })
}

/// Joins the organization an accepted invitation names, with the grants it
/// carries (none for invitations of bulk imports, which added them already).
/// An existing membership keeps its status: an invitation never lifts a
/// suspension. A payload that does not decode is an error, not "no roles".
pub async fn join_by_invitation(
    tx: &Tx,
    org_id: Uuid,
    user_id: Uuid,
    invitation: &OneTimeToken,
    now: DateTime<Utc>,
) -> Result<Vec<RoleRow>, ApiError> {
    let grants = invitation
        .payload_as::<InvitationPayload>()?
        .map(|p| p.grants)
        .unwrap_or_default();
    tenancy::ensure_member(tx, org_id, user_id, now).await?;
    tenancy::add_roles(tx, org_id, user_id, &grants, now).await?;
    Ok(grants)
}

/// Adds `email` to the organization with `grants` for bulk operations
/// (candidate import, enrollments): an unknown person gets a
/// PENDING_VERIFICATION account and an invitation mail; an active user gets
/// the membership and roles and a notice mail. Runs in the caller's
/// transaction, so bulk operations stay atomic.
#[expect(
    clippy::too_many_arguments,
    reason = "the invitation's inputs plus the caller's transaction and clock"
)]
pub async fn invite_in(
    tx: &Tx,
    state: &AppState,
    org: &Organization,
    email: &Email,
    name: &str,
    grants: &[Grant],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InviteOutcome, ApiError> {
    let (user, is_new) = user_or_pending(tx, email, name, now).await?;
    if crate::upload::is_refused(&user) {
        return Err(ApiError::conflict(crate::upload::ACCOUNT_REFUSED));
    }
    tenancy::ensure_member(tx, org.id, user.id, now).await?;
    tenancy::add_roles(tx, org.id, user.id, &grant_rows(grants), now).await?;
    let roles: Vec<&str> = grants.iter().map(|g| g.role.as_str()).collect();
    let invitation_id = if user.status == AccountStatus::Active {
        crate::notify::mail_to(
            tx,
            state,
            Some(org.id),
            "member_added",
            &user.email,
            Vars::new()
                .set("name", &user.name)
                .set("inviter", &actor.email)
                .set("org", &org.name)
                .set("roles", roles.join(", ")),
        )
        .await?;
        None
    } else {
        let token = new_token();
        // Invitations are per (person, organization): another
        // organization's pending invitation stays valid.
        one_time::delete_invitations_in_org(tx, user.id, org.id).await?;
        let id = one_time::create(
            tx,
            one_time::NewOneTime {
                hash: &hash_token(&token),
                kind: OneTimeKind::Invitation,
                user_id: user.id,
                email: None,
                org_id: Some(org.id),
                // Membership and roles were added above.
                payload: None,
                expires_at: now + INVITATION_TTL,
            },
            now,
        )
        .await?;
        let link = mail::token_link(state, "accept-invitation", &token);
        crate::notify::mail_to(
            tx,
            state,
            Some(org.id),
            "invitation",
            &user.email,
            Vars::new()
                .set("name", name)
                .set("inviter", &actor.email)
                .set("org", &org.name)
                .set("roles", roles.join(", "))
                .set("link", link)
                .set("existing", ""),
        )
        .await?;
        Some(id)
    };
    let details = serde_json::json!({ "email": user.email, "roles": grant_rows(grants) });
    let audit = Audit::by(actor, Some(org.id), now);
    if is_new {
        // Stored on the user here (on the invitation in `invite`).
        audit
            .record_on(tx, AuditAction::MemberInvited, "user", user.id, details)
            .await?;
    } else {
        audit
            .record(tx, AuditAction::MemberAdded, user.id, details)
            .await?;
    }
    Ok(InviteOutcome {
        user_id: user.id,
        invitation_id,
    })
}

/// The account of `email`, or a new PENDING_VERIFICATION one (`true`) that
/// accepting an invitation activates.
async fn user_or_pending(
    tx: &Tx,
    email: &Email,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(users::User, bool), ApiError> {
    if let Some(u) = users::by_email(tx, email.as_str()).await? {
        return Ok((u, false));
    }
    let u = users::create(
        tx,
        users::NewUser {
            email: email.as_str().to_owned(),
            name: name.to_owned(),
            status: AccountStatus::PendingVerification,
            password_hash: None,
            is_super_admin: false,
            email_verified: false,
        },
        now,
    )
    .await?;
    Ok((u, true))
}

/// A pending invitation as an administrator sees it: the address, the roles
/// it will give (none for invitations of bulk imports, whose roles were
/// added at once) and when it was sent and expires. Nothing of the account
/// behind the address, so the list tells no more than the invitation did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PendingInvitation {
    pub invitation_id: Uuid,
    pub email: String,
    pub roles: Vec<super::service::GrantBody>,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The organization's pending invitations, newest first (at most 500).
pub async fn pending(state: &AppState, org_id: Uuid) -> Result<Vec<PendingInvitation>, ApiError> {
    let db = state.db.read();
    let tokens = one_time::invitations_in_org(db, org_id, state.now(), 500).await?;
    let people = users::by_ids(db, tokens.iter().map(|t| t.user_id).collect()).await?;
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        let grants = t
            .payload_as::<InvitationPayload>()?
            .map(|p| p.grants)
            .unwrap_or_default();
        out.push(PendingInvitation {
            invitation_id: t.id,
            email: people
                .iter()
                .find(|u| u.id == t.user_id)
                .map(|u| u.email.clone())
                .unwrap_or_default(),
            roles: grants
                .into_iter()
                .map(|(role, department_id)| super::service::GrantBody {
                    role: role.as_str().to_owned(),
                    department_id,
                })
                .collect(),
            sent_at: t.created_at,
            expires_at: t.expires_at,
        });
    }
    Ok(out)
}
