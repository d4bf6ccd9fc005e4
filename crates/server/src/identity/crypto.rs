//! Tokens and password hashing. Tokens are 256-bit random values shown to
//! the client once; only their SHA-256 is stored. Passwords are argon2id PHC
//! strings with OWASP parameters, hashed on the blocking pool behind a
//! semaphore so a login flood never takes more than its share of the CPU
//! from exam traffic.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, Semaphore};

/// A new opaque token: 32 random bytes, base64url without padding.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a presented secret equals the expected one, in constant time:
/// both sides are hashed first, so the comparison takes the same time
/// whatever their lengths or the first differing byte. The one comparison
/// of secrets that are not stored hashed (such as the metrics token).
pub fn secrets_match(given: &str, expected: &str) -> bool {
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A random human-typable password (demo accounts).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// A hashing failure is ours (a closed semaphore, a panicked worker): 500.
impl From<HashError> for crate::http::error::ApiError {
    fn from(e: HashError) -> Self {
        crate::http::error::ApiError::caused_by(e)
    }
}

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The stored hash uses weaker parameters than today's: re-hash it.
    pub needs_rehash: bool,
}

pub struct Hasher {
    params: Params,
    permits: Semaphore,
    dummy: OnceCell<String>,
}

impl Hasher {
    /// OWASP: m = 19 MiB, t = 2, p = 1.
    pub fn owasp(concurrency: usize) -> Arc<Hasher> {
        let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
        Arc::new(Hasher {
            params,
            permits: Semaphore::new(concurrency.max(1)),
            dummy: OnceCell::new(),
        })
    }

    /// A share of the hashing CPU (see the module docs).
    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, HashError> {
        self.permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let _permit = self.permit().await?;
        let argon = self.argon();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError(e.to_string()))
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }

    /// Checks `password` against `stored`; with no stored hash (unknown
    /// email, invited user) a dummy hash is checked instead so the answer
    /// takes the same time, and the result is never ok.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<Verified, HashError> {
        let (phc, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let _permit = self.permit().await?;
        let argon = self.argon();
        let wanted = self.params.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&phc) else {
                return Ok(Verified {
                    ok: false,
                    needs_rehash: false,
                });
            };
            let ok = argon.verify_password(password.as_bytes(), &parsed).is_ok() && real;
            let needs_rehash = ok
                && (parsed.algorithm.as_str() != "argon2id"
                    || Params::try_from(&parsed)
                        .map(|p| {
                            p.m_cost() < wanted.m_cost()
                                || p.t_cost() < wanted.t_cost()
                                || p.p_cost() < wanted.p_cost()
                        })
                        .unwrap_or(true));
            Ok(Verified { ok, needs_rehash })
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }

    async fn dummy_hash(&self) -> Result<String, HashError> {
        self.dummy
            .get_or_try_init(|| async { self.hash("invigil-dummy-password-for-timing").await })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_the_same_secret() {
        assert!(secrets_match("a-long-enough-token", "a-long-enough-token"));
        assert!(!secrets_match("a-long-enough-token", "a-long-enough-tokeN"));
        assert!(!secrets_match("short", "a-long-enough-token"));
        assert!(secrets_match("", ""));
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_never_match() {
        let h = Hasher::owasp(1);
        let phc = h.hash("correct horse battery staple").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            h.verify("correct horse battery staple", Some(&phc))
                .await
                .unwrap()
                .ok
        );
        assert!(!h.verify("wrong", Some(&phc)).await.unwrap().ok);
        assert!(
            !h.verify("invigil-dummy-password-for-timing", None)
                .await
                .unwrap()
                .ok
        );
    }

    #[tokio::test]
    async fn weaker_hashes_ask_for_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let phc = weak
            .hash_password(b"pw-123456789", &salt)
            .unwrap()
            .to_string();
        let v = Hasher::owasp(1)
            .verify("pw-123456789", Some(&phc))
            .await
            .unwrap();
        assert!(v.ok && v.needs_rehash);
    }

    #[test]
    fn tokens_are_256_bit_and_hash_stably() {
        let t = new_token();
        assert_eq!(t.len(), 43);
        assert_ne!(t, new_token());
        assert_eq!(hash_token("abc").len(), 64);
        assert_eq!(hash_token("abc"), hash_token("abc"));
    }
}
