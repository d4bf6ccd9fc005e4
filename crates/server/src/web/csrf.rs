//! CSRF tokens: `base64url(HMAC-SHA256(key = secret, "invigil web csrf v1"))`,
//! where the secret is the browser session's cookie value (signed in) or the
//! anonymous CSRF cookie's (before signing in). The token is per session,
//! needs no storage, does not reveal the cookie it derives from, and is
//! compared in constant time. Forms carry it in the field `csrf`; scripts
//! (htmx, fetch) send it in the `X-CSRF-Token` header.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const LABEL: &[u8] = b"invigil web csrf v1";

/// The header scripts send the token in.
pub const HEADER: &str = "x-csrf-token";

/// The token derived from a secret.
pub fn token_of(secret: &str) -> String {
    let mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut m) => {
            m.update(LABEL);
            m.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length; never reached.
        Err(_) => Vec::new(),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
}

/// Whether `presented` is the token of `secret` (constant time).
pub fn verify(secret: &str, presented: &str) -> bool {
    let expected = token_of(secret);
    !presented.is_empty() && crate::identity::crypto::secrets_match(presented, &expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_belong_to_their_secret() {
        let t = token_of("secret-one-aaaaaaaaaaaaaaaa");
        assert!(verify("secret-one-aaaaaaaaaaaaaaaa", &t));
        assert!(!verify("secret-two-aaaaaaaaaaaaaaaa", &t));
        assert!(!verify("secret-one-aaaaaaaaaaaaaaaa", ""));
        assert!(!t.contains("secret"));
    }
}
