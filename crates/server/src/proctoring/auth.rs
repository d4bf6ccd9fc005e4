//! Who may post to a session's proctoring routes: the session's candidate
//! (their ACCESS token: LAPTOP) or the phone paired with that session (its
//! DEVICE token: MOBILE; or, on `/web-api/v1`, their browser session). A
//! DEVICE token works nowhere else: `CurrentUser`
//! accepts ACCESS tokens only. Either way the candidate must still be an
//! ACTIVE member holding CANDIDATE in the session's organization (else 403).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use invigil_domain::proctoring::{ClientKind, EventSource};
use invigil_store::delivery::{self, Session};
use invigil_store::identity::{AccountStatus, TokenKind};
use invigil_store::proctoring as store;

use crate::http::auth::{ClientInfo, authenticate};
use crate::http::error::ApiError;
use crate::state::AppState;

/// The exam session of the path (`{session}`) and the credential posting to
/// it. Another person's session, or a session the phone is not paired with,
/// is 404; no or an unknown token is 401.
#[derive(Debug, Clone)]
pub struct DeviceOrCandidate {
    /// The exam session named by the path.
    pub session: Session,
    /// LAPTOP for the candidate's credential, MOBILE for the paired phone's.
    pub source: EventSource,
    pub kind: ClientKind,
    /// The candidate (the phone acts for them).
    pub user_id: Uuid,
    /// The auth session behind the token (the phone's DEVICE session).
    pub auth_session_id: Uuid,
    pub client: ClientInfo,
}

fn path_session(params: &HashMap<String, String>) -> Result<Uuid, ApiError> {
    params
        .get("session")
        .and_then(|s| s.parse().ok())
        .ok_or(ApiError::NotFound)
}

impl FromRequestParts<AppState> for DeviceOrCandidate {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let db = state.db.read();
        // The laptop's ACCESS token through the autosave path's cache.
        let (found, kind) = match crate::delivery::hot::access_principal(parts, state).await? {
            Some(f) => (f, ClientKind::Candidate),
            None => (
                authenticate(parts, state, TokenKind::Device)
                    .await?
                    .ok_or(ApiError::InvalidToken)?,
                ClientKind::PairedPhone,
            ),
        };
        if found.user.status != AccountStatus::Active {
            return Err(ApiError::InvalidToken);
        }
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let session_id = path_session(&params)?;
        let session = if kind == ClientKind::Candidate && state.hot.enabled() {
            // The session and the candidate's standing, cached at most
            // the grace (see `delivery::hot::own_session_for_events`).
            crate::delivery::hot::own_session_for_events(state, found.user.id, session_id)
                .await?
                .session
        } else {
            if kind == ClientKind::PairedPhone {
                let bound = store::pairing_by_device_session(db, found.session_id)
                    .await?
                    .is_some_and(|p| p.session_id == session_id);
                if !bound {
                    return Err(ApiError::NotFound);
                }
            }
            let session = match delivery::session(db, session_id).await? {
                Some(s) if s.user_id == found.user.id => s,
                _ => return Err(ApiError::NotFound),
            };
            // The laptop and the paired phone alike act for the candidate:
            // only while they are an ACTIVE CANDIDATE member of the exam's
            // organization.
            crate::authz::ensure_candidate_of_exam(
                state,
                session.org_id,
                session.exam_id,
                session.user_id,
            )
            .await?;
            session
        };
        let client = ClientInfo::from_request_parts(parts, state).await?;
        Ok(DeviceOrCandidate {
            session,
            source: kind.allowed_source(),
            kind,
            user_id: found.user.id,
            auth_session_id: found.session_id,
            client,
        })
    }
}
