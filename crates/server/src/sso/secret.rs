//! The client secret at rest: AES-256-GCM under a key derived from the
//! evidence master key (HKDF-SHA256, salt `invigil-sso-secret-v1`, info =
//! the organization id), a fresh nonce per save, and the organization id
//! as associated data, so a sealed secret copied to another organization's
//! row does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::review::keys::MasterKey;
use crate::state::AppState;

const SALT: &[u8] = b"invigil-sso-secret-v1";
const AAD: &[u8] = b"invigil/sso/client-secret/v1";

async fn cipher(state: &AppState, org_id: Uuid) -> Result<Aes256Gcm, ApiError> {
    let master = MasterKey::load(&state.config)
        .await
        .map_err(ApiError::caused_by)?;
    let key = master.derive(SALT, org_id.as_bytes());
    Ok(Aes256Gcm::new((&key).into()))
}

fn aad(org_id: Uuid) -> Vec<u8> {
    let mut v = AAD.to_vec();
    v.extend_from_slice(org_id.as_bytes());
    v
}

/// (nonce, sealed), both base64.
pub async fn seal(
    state: &AppState,
    org_id: Uuid,
    secret: &str,
) -> Result<(String, String), ApiError> {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let aad = aad(org_id);
    let sealed = cipher(state, org_id)
        .await?
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| ApiError::internal("the client secret could not be sealed"))?;
    Ok((STANDARD.encode(nonce), STANDARD.encode(sealed)))
}

pub async fn open(
    state: &AppState,
    org_id: Uuid,
    nonce: &str,
    sealed: &str,
) -> Result<String, ApiError> {
    let bad =
        || ApiError::internal("the stored client secret does not open (was the key changed?)");
    let nonce = STANDARD.decode(nonce).map_err(|_| bad())?;
    let sealed = STANDARD.decode(sealed).map_err(|_| bad())?;
    if nonce.len() != 12 {
        return Err(bad());
    }
    let aad = aad(org_id);
    let plain = cipher(state, org_id)
        .await?
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &sealed,
                aad: &aad,
            },
        )
        .map_err(|_| bad())?;
    String::from_utf8(plain).map_err(|_| bad())
}
