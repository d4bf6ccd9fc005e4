//! The phone as a second camera. The candidate asks for a one-time pairing
//! token (5 minutes, stored hashed); the phone claims it once and gets a
//! DEVICE credential bound to that exam session: it may post MOBILE events,
//! heartbeats and frames of that session and nothing else. A second claim of
//! a token is refused (409 `conflict`) and recorded as a SYSTEM
//! `SECOND_DEVICE_LOGIN` event; an unknown or expired token is 400
//! `invalid_token`. A newer phone's claim revokes the earlier phone's
//! credential (one phone per session).

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::proctoring::{EventSource, EventType};
use invigil_store::delivery::{self, Session};
use invigil_store::identity::sessions::{self, ClientMeta};
use invigil_store::proctoring::{self as store, Pairing};

use super::ingest::{SystemEvent, record_system_events};
use super::system_meta;
use crate::audit::{Audit, AuditAction};
use crate::delivery::{clock_of, state_of};
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::identity::crypto::{hash_token, new_token};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// How long a pairing token can be claimed.
pub const PAIRING_TTL: TimeDelta = TimeDelta::minutes(5);
/// The phone's credential outlives the session's deadline by this much
/// (extensions, pauses, the late-event grace).
const DEVICE_SLACK: TimeDelta = TimeDelta::hours(2);
/// Longest accepted device fingerprint.
const MAX_FINGERPRINT_CHARS: usize = 256;

#[derive(Debug, Serialize, ToSchema)]
pub struct PairingView {
    /// One-time; shown once.
    pub pairing_token: String,
    pub expires_at: DateTime<Utc>,
    /// The link the phone opens (e.g. as a QR code).
    pub pair_url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClaimBody {
    pub pairing_token: String,
    pub device_fingerprint: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimResult {
    /// A bearer credential for this session's MOBILE events, frames and heartbeats only.
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    pub session_id: Uuid,
}

/// A session that is running (not finished, time not over).
fn check_running(state: &AppState, s: &Session) -> Result<(), ApiError> {
    let st = state_of(s);
    if st.status.is_terminal() || st.is_expired(state.now(), state.config.grace()) {
        return Err(ApiError::conflict_code(
            "session_closed",
            "the session is over",
        ));
    }
    Ok(())
}

/// `POST /sessions/{s}/pairing` (the candidate, running session).
pub async fn create(
    state: &AppState,
    me: &CurrentUser,
    session_id: Uuid,
) -> Result<PairingView, ApiError> {
    let s = crate::delivery::service::own_session(state, me, session_id).await?;
    check_running(state, &s)?;
    let now = state.now();
    let token = new_token();
    let expires_at = now + PAIRING_TTL;
    store::insert_pairing(
        state.db.write(),
        Pairing {
            id: Uuid::now_v7(),
            org_id: s.org_id,
            session_id: s.id,
            token_hash: hash_token(&token),
            expires_at,
            claimed_at: None,
            device_fingerprint: None,
            device_auth_session_id: None,
            created_at: now,
        },
    )
    .await?;
    Ok(PairingView {
        pair_url: format!("{}/pair?token={token}", state.config.public_base()),
        pairing_token: token,
        expires_at,
    })
}

async fn record_reuse(state: &AppState, p: &Pairing, fingerprint: &str, client: &ClientInfo) {
    let event = SystemEvent {
        event_type: EventType::SecondDeviceLogin,
        occurred_at: state.now(),
        meta: system_meta(
            EventSource::Mobile,
            serde_json::json!({
                "reason": "pairing token claimed again",
                "pairing_id": p.id,
                "device_fingerprint": fingerprint,
                "ip": client.ip_string(),
            }),
        ),
    };
    if let Err(e) = record_system_events(state, p.org_id, p.session_id, vec![event]).await {
        tracing::warn!(session_id = %p.session_id, error = %e, "cannot record SECOND_DEVICE_LOGIN");
    }
}

fn already_claimed() -> ApiError {
    ApiError::conflict("this pairing token has already been used")
}

/// `POST /pairing/claim`.
pub async fn claim(
    state: &AppState,
    client: &ClientInfo,
    body: ClaimBody,
) -> Result<ClaimResult, ApiError> {
    let fingerprint = body.device_fingerprint.trim().to_owned();
    let n = fingerprint.chars().count();
    if n == 0 || n > MAX_FINGERPRINT_CHARS {
        return Err(ApiError::field(
            "device_fingerprint",
            format!("must be 1 to {MAX_FINGERPRINT_CHARS} characters"),
        ));
    }
    let token = body.pairing_token.trim();
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::BadOneTimeToken);
    }
    let now = state.now();
    let p = store::pairing_by_hash(state.db.read(), &hash_token(token))
        .await?
        .ok_or(ApiError::BadOneTimeToken)?;
    if p.claimed_at.is_some() {
        record_reuse(state, &p, &fingerprint, client).await;
        return Err(already_claimed());
    }
    if p.expires_at <= now {
        return Err(ApiError::BadOneTimeToken);
    }
    let s = delivery::session(state.db.read(), p.session_id)
        .await?
        .ok_or(ApiError::BadOneTimeToken)?;
    check_running(state, &s)?;
    // The phone acts for the candidate: only while they are still an ACTIVE
    // CANDIDATE member (the token stays unclaimed otherwise).
    crate::authz::ensure_candidate_of_exam(state, s.org_id, s.exam_id, s.user_id).await?;

    let access_token = new_token();
    let expires_at = clock_of(&s).deadline(now) + DEVICE_SLACK;
    let tx = begin(state).await?;
    if !store::claim_pairing(&tx, p.id, &fingerprint, now).await? {
        drop(tx);
        record_reuse(state, &p, &fingerprint, client).await;
        return Err(already_claimed());
    }
    // One phone per session: an earlier phone's credential ends here.
    for old in store::claimed_pairings(&tx, s.id).await? {
        if let Some(auth) = old.device_auth_session_id
            && old.id != p.id
        {
            sessions::revoke(
                &tx,
                auth,
                invigil_domain::identity::RevokeReason::PhoneReplaced,
                now,
            )
            .await?;
        }
    }
    let auth_session = sessions::create_device(
        &tx,
        s.user_id,
        ClientMeta {
            ip: client.ip_string(),
            user_agent: client.user_agent.clone(),
            device_fingerprint: Some(fingerprint.clone()),
        },
        &hash_token(&access_token),
        expires_at,
        now,
    )
    .await?;
    store::bind_device_session(&tx, p.id, auth_session).await?;
    // The phone acts for the candidate: the entry is theirs, from the phone's client.
    let audit = Audit {
        org_id: Some(s.org_id),
        actor_id: Some(s.user_id),
        client,
        now,
    };
    audit
        .record(
            &tx,
            AuditAction::SessionPhonePaired,
            s.id,
            serde_json::json!({ "pairing_id": p.id, "device_fingerprint": fingerprint }),
        )
        .await?;
    commit(tx).await?;
    Ok(ClaimResult {
        access_token,
        expires_at,
        session_id: s.id,
    })
}
