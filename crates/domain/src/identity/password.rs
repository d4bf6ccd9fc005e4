//! Rules for a new password, after OWASP ASVS 5.0 (V6.2): a length of 8 to 128 characters
//! counted as Unicode scalar values, no composition rules (no "one digit, one symbol"), no
//! truncation or other changes to what the user typed, and no password from a list of the most
//! common ones nor one equal to the user's email address.
//!
//! Beyond ASVS, a password is refused when it is one character repeated, only whitespace, or
//! holds control characters (C0 including NUL and tab/newline, DEL, C1): such values are
//! either trivially guessable or cannot be typed back reliably. A new password equal to the
//! current one is refused too ([`PasswordError::SameAsCurrent`]; the caller compares, since
//! only it holds the stored hash).
//!
//! The common-password list ships with the binary (`common-passwords.txt`, see its header for
//! the source and licence): the 10,000 most common passwords of at least 8 characters.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Fewest characters a password may have.
pub const MIN_LEN: usize = 8;
/// The length the UI should suggest (ASVS recommends at least 15 for passwords used alone;
/// 12 is what we nudge towards without making it a rule).
pub const RECOMMENDED_LEN: usize = 12;
/// Most characters a password may have (ASVS: at least 64 must be allowed).
pub const MAX_LEN: usize = 128;

/// Why a new password is refused. The messages are meant for end users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {min} characters long")]
    TooShort { min: usize },
    #[error("the password must be at most {max} characters long")]
    TooLong { max: usize },
    #[error(
        "this password is one of the most commonly used passwords and easy to guess; choose another"
    )]
    TooCommon,
    #[error("the password must not be the same as your email address")]
    SameAsEmail,
    #[error("the password must not contain control characters (such as NUL, tab or newline)")]
    ControlCharacter,
    #[error("the password must not consist of whitespace only")]
    WhitespaceOnly,
    #[error("the password must not be one character repeated")]
    RepeatedCharacter,
    #[error("the new password must differ from the current one")]
    SameAsCurrent,
}

const LIST: &str = include_str!("common-passwords.txt");

/// The list, lower-cased, built on first use.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    LIST.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Number of entries in the shipped common-password list.
pub fn common_list_len() -> usize {
    COMMON.len()
}

/// Whether the password is on the common-password list, ignoring case.
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

/// Checks a password a user chose (sign-up, invitation, reset, change). `email` is the
/// account's address as stored or typed; the password must not equal it nor its local part
/// (both compared ignoring case and surrounding whitespace of the email).
///
/// The checks run in this order, and the first that fails is reported: too short, too long,
/// control characters, whitespace only, one repeated character, same as the email, too common.
pub fn check_new_password(password: &str, email: Option<&str>) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(PasswordError::TooShort { min: MIN_LEN });
    }
    if len > MAX_LEN {
        return Err(PasswordError::TooLong { max: MAX_LEN });
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordError::ControlCharacter);
    }
    if password.chars().all(char::is_whitespace) {
        return Err(PasswordError::WhitespaceOnly);
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(PasswordError::RepeatedCharacter);
    }
    if let Some(email) = email {
        let email = email.trim().to_lowercase();
        let local = email.rsplit_once('@').map_or(email.as_str(), |(l, _)| l);
        let lower = password.to_lowercase();
        if !email.is_empty() && (lower == email || lower == local) {
            return Err(PasswordError::SameAsEmail);
        }
    }
    if is_common(password) {
        return Err(PasswordError::TooCommon);
    }
    Ok(())
}
