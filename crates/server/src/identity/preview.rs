//! Read-only looks at one-time links, for the web pages that show a form
//! before the link is used (reset password, accept invitation): the page can
//! say at once that a link is dead, and which form an invitation needs. A
//! look changes nothing and uses nothing up; the POST that follows goes
//! through the same service as the API.

use invigil_store::identity::{AccountStatus, OneTimeKind};

use super::crypto::hash_token;
use super::service::peek_token_user;
use crate::http::error::ApiError;
use crate::state::AppState;

/// What an invitation link asks of the person who follows it.
#[derive(Debug, Clone)]
pub struct InvitationPreview {
    /// The invited address.
    pub email: String,
    /// A new person chooses a name and a password; an existing account
    /// proves itself with its current password.
    pub new_account: bool,
}

/// A live password-reset link: `Ok(())`; unknown, used or expired:
/// [`ApiError::BadOneTimeToken`].
pub async fn password_reset(state: &AppState, token: &str) -> Result<(), ApiError> {
    let hash = hash_token(token);
    peek_token_user(state, OneTimeKind::PasswordReset, &hash, state.now()).await?;
    Ok(())
}

/// A live invitation link and the form it needs.
pub async fn invitation(state: &AppState, token: &str) -> Result<InvitationPreview, ApiError> {
    let hash = hash_token(token);
    let user = peek_token_user(state, OneTimeKind::Invitation, &hash, state.now()).await?;
    Ok(InvitationPreview {
        new_account: user.status == AccountStatus::PendingVerification,
        email: user.email,
    })
}
