//! Evidence keys and the frame cipher.
//!
//! - The master key is 32 bytes: `evidence_key` of the configuration (base64),
//!   or, when that is unset, `<data_dir>/evidence.key` (base64, mode 0600),
//!   generated on first use. Several replicas must share one configured key.
//! - Each organization encrypts with its own data key, derived from the master
//!   key with HKDF-SHA256 (RFC 5869; salt `invigil-evidence-v1`, info = the
//!   organization id's 16 bytes). Nothing derived is stored.
//! - Frames are sealed with AES-256-GCM under a fresh random 96-bit nonce
//!   (kept in the frame row); the associated data binds the ciphertext to its
//!   session, frame id and content type, so a ciphertext moved to another
//!   row does not decrypt.

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;
use uuid::Uuid;

use crate::config::Config;

/// Name of the generated key file in the data directory.
pub const KEY_FILE: &str = "evidence.key";
/// Bytes of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
const HKDF_SALT: &[u8] = b"invigil-evidence-v1";
const AAD_PREFIX: &[u8] = b"invigil/frame/v1";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("evidence_key must be the base64 of exactly 32 bytes")]
    BadConfiguredKey,
    #[error("{path} does not hold the base64 of 32 bytes")]
    BadKeyFile { path: PathBuf },
    #[error("cannot read or create {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("evidence could not be decrypted (wrong key, or the ciphertext was altered)")]
    Decrypt,
    #[error("evidence could not be encrypted")]
    Encrypt,
}

/// The 32-byte master key. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

fn decode32(text: &str) -> Option<[u8; 32]> {
    let bytes = STANDARD.decode(text.trim()).ok()?;
    <[u8; 32]>::try_from(bytes.as_slice()).ok()
}

impl MasterKey {
    /// The configured key, or the data directory's key file (created when
    /// missing). Blocking file I/O: call through `spawn_blocking` on hot paths
    /// or use [`MasterKey::load`].
    pub fn load_blocking(config: &Config) -> Result<MasterKey, KeyError> {
        if let Some(secret) = &config.evidence_key {
            return decode32(secret.expose())
                .map(MasterKey)
                .ok_or(KeyError::BadConfiguredKey);
        }
        load_or_create(&config.data_dir.join(KEY_FILE)).map(MasterKey)
    }

    pub async fn load(config: &Config) -> Result<MasterKey, KeyError> {
        let config = config.clone();
        tokio::task::spawn_blocking(move || MasterKey::load_blocking(&config))
            .await
            .map_err(|e| KeyError::Io {
                path: PathBuf::from(KEY_FILE),
                source: std::io::Error::other(e.to_string()),
            })?
    }

    /// A 32-byte key for another purpose than evidence, derived with that
    /// purpose's own salt (single sign-on seals client secrets with one).
    pub fn derive(&self, salt: &[u8], info: &[u8]) -> [u8; 32] {
        let hk = Hkdf::<Sha256>::new(Some(salt), &self.0);
        let mut okm = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit: cannot fail.
        let _ = hk.expand(info, &mut okm);
        okm
    }

    /// The data key of an organization.
    pub fn org_key(&self, org_id: Uuid) -> OrgKey {
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.0);
        let mut okm = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 × 32: cannot fail.
        let _ = hk.expand(org_id.as_bytes(), &mut okm);
        OrgKey(okm)
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the key file, or creates it with a new random key (mode 0600). Of
/// two processes creating it at once, one writes and both use its key.
fn load_or_create(path: &Path) -> Result<[u8; 32], KeyError> {
    let read = |path: &Path| -> Result<[u8; 32], KeyError> {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        decode32(&text).ok_or_else(|| KeyError::BadKeyFile {
            path: path.to_path_buf(),
        })
    };
    if path.exists() {
        return read(path);
    }
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    // Written to a private temporary file, then linked into place only if no
    // key exists yet: a reader never sees a half-written key.
    let tmp = path.with_extension(format!("tmp-{}", Uuid::new_v4().simple()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(STANDARD.encode(key).as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "generated a new evidence key; back it up, and configure evidence_key when running several replicas");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Checks at start-up that evidence can be encrypted: a configured key is
/// valid, or the key file exists or can be created.
pub fn ensure_key(config: &Config) -> Result<(), KeyError> {
    MasterKey::load_blocking(config).map(|_| ())
}

/// An organization's data key.
pub struct OrgKey([u8; 32]);

impl std::fmt::Debug for OrgKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrgKey([redacted])")
    }
}

/// What a frame's ciphertext is bound to.
pub struct FrameAad<'a> {
    pub session_id: Uuid,
    pub frame_id: Uuid,
    pub content_type: &'a str,
}

impl FrameAad<'_> {
    fn bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(AAD_PREFIX.len() + 32 + self.content_type.len());
        v.extend_from_slice(AAD_PREFIX);
        v.extend_from_slice(self.session_id.as_bytes());
        v.extend_from_slice(self.frame_id.as_bytes());
        v.extend_from_slice(self.content_type.as_bytes());
        v
    }
}

impl OrgKey {
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.0).into())
    }

    /// Seals `plaintext` under a new random nonce; returns (nonce, ciphertext
    /// with its tag).
    pub fn seal(
        &self,
        plaintext: &[u8],
        aad: &FrameAad<'_>,
    ) -> Result<([u8; NONCE_LEN], Vec<u8>), KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = aad.bytes();
        let ct = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::Encrypt)?;
        Ok((nonce, ct))
    }

    /// Opens a ciphertext sealed by [`OrgKey::seal`].
    pub fn open(
        &self,
        nonce: &[u8],
        ciphertext: &[u8],
        aad: &FrameAad<'_>,
    ) -> Result<Vec<u8>, KeyError> {
        if nonce.len() != NONCE_LEN {
            return Err(KeyError::Decrypt);
        }
        let aad = aad.bytes();
        self.cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn aad(frame: Uuid) -> FrameAad<'static> {
        FrameAad {
            session_id: Uuid::nil(),
            frame_id: frame,
            content_type: "image/png",
        }
    }

    #[test]
    fn seal_open_round_trip_and_binding() {
        let master = MasterKey([7u8; 32]);
        let org = Uuid::new_v4();
        let frame = Uuid::new_v4();
        let (nonce, ct) = master.org_key(org).seal(b"hello", &aad(frame)).unwrap();
        assert_ne!(&ct[..], b"hello");
        assert_eq!(
            master.org_key(org).open(&nonce, &ct, &aad(frame)).unwrap(),
            b"hello"
        );
        // Another organization's key, another frame, a flipped bit: refused.
        assert!(
            master
                .org_key(Uuid::new_v4())
                .open(&nonce, &ct, &aad(frame))
                .is_err()
        );
        assert!(
            master
                .org_key(org)
                .open(&nonce, &ct, &aad(Uuid::new_v4()))
                .is_err()
        );
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert!(master.org_key(org).open(&nonce, &bad, &aad(frame)).is_err());
    }

    #[test]
    fn configured_key_must_be_32_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        config.evidence_key = Some(Secret::new(STANDARD.encode([1u8; 16])));
        assert!(matches!(
            MasterKey::load_blocking(&config),
            Err(KeyError::BadConfiguredKey)
        ));
        config.evidence_key = Some(Secret::new(STANDARD.encode([1u8; 32])));
        assert!(MasterKey::load_blocking(&config).is_ok());
        // A configured key never writes a key file.
        assert!(!dir.path().join(KEY_FILE).exists());
    }

    #[test]
    fn generated_key_file_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        let a = MasterKey::load_blocking(&config).unwrap();
        let b = MasterKey::load_blocking(&config).unwrap();
        assert_eq!(a.0, b.0);
        let path = config.data_dir.join(KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(format!("{a:?}").contains("redacted"));
    }
}
