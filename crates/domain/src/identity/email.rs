//! Email addresses, parsed once at the boundary (STYLE.md "Parse, don't validate").
//!
//! An [`Email`] is the normalised form used as the identity key (users are unique by email,
//! login lockout is counted per email): surrounding whitespace trimmed and the whole address
//! lower-cased. The accepted grammar is deliberately narrower than RFC 5322 and covers the
//! addresses people actually use:
//!
//! - exactly one `@`, no whitespace or control characters anywhere;
//! - at most 254 bytes in all (the rules below make `a@b.c` the shortest that passes);
//! - local part: 1 to 64 bytes of dot-atom text (RFC 5322 `atext` and dots, no leading,
//!   trailing or doubled dot). Non-ASCII characters are accepted (RFC 6531, internationalised
//!   mailboxes) and lower-cased like the rest; quoted local parts (`"a b"@x.org`) are not;
//! - domain: at least two labels separated by dots, each 1 to 63 ASCII letters, digits or
//!   hyphens, not starting or ending with a hyphen; the last label is not all digits (so no IP
//!   addresses, and no `[1.2.3.4]` literals). Internationalised domains are written in their
//!   ASCII (`xn--`) form, so that one mailbox has one spelling.
//!
//! Lengths are counted in bytes of UTF-8, as SMTP (RFC 5321) does. Unicode normalisation
//! (NFC) of non-ASCII local parts is not applied.

use std::fmt;
use std::str::FromStr;

/// Longest address, in bytes (RFC 5321 path limit minus the angle brackets).
pub const MAX_LEN: usize = 254;
/// Longest local part, in bytes (RFC 5321).
pub const MAX_LOCAL_LEN: usize = 64;
/// Longest domain label, in bytes (RFC 1035).
pub const MAX_LABEL_LEN: usize = 63;

/// A syntactically valid, normalised email address. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Email(String);

/// Why a string is not an acceptable email address. The messages are meant for end users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("the email address is too long (at most {max} characters)")]
    TooLong { max: usize },
    #[error("the email address must not contain spaces, control or invisible characters")]
    Whitespace,
    #[error("the email address must contain an @")]
    MissingAt,
    #[error("the email address must contain only one @")]
    MultipleAt,
    #[error("the part before the @ is empty")]
    EmptyLocalPart,
    #[error("the part before the @ is too long (at most {max} characters)")]
    LocalPartTooLong { max: usize },
    #[error("the part before the @ contains {0:?}, which is not allowed")]
    InvalidLocalChar(char),
    #[error("the part before the @ must not start or end with a dot or contain two dots in a row")]
    InvalidLocalDots,
    #[error("the part after the @ is not a valid domain name such as example.org")]
    InvalidDomain,
}

impl Email {
    /// Parses and normalises an address. See the module documentation for the rules.
    pub fn parse(s: &str) -> Result<Email, EmailError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
        {
            return Err(EmailError::Whitespace);
        }
        let lower = trimmed.to_lowercase();
        if lower.len() > MAX_LEN {
            return Err(EmailError::TooLong { max: MAX_LEN });
        }
        let mut parts = lower.split('@');
        let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
            (Some(local), Some(domain), None) => (local, domain),
            (_, None, _) => return Err(EmailError::MissingAt),
            _ => return Err(EmailError::MultipleAt),
        };
        check_local(local)?;
        check_domain(domain)?;
        Ok(Email(lower))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(local, _)| local)
    }

    /// The part after the `@`, e.g. `example.org`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, domain)| domain)
    }

    /// The normalised address, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Zero-width and bidirectional formatting characters: not whitespace to Unicode, but invisible,
/// so two addresses differing only in them would look the same to a person.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// RFC 5322 `atext` outside letters and digits.
const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

fn check_local(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::EmptyLocalPart);
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(EmailError::LocalPartTooLong { max: MAX_LOCAL_LEN });
    }
    if let Some(bad) = local.chars().find(|&c| {
        !(c.is_ascii_alphanumeric() || c == '.' || ATEXT_SPECIALS.contains(c) || !c.is_ascii())
    }) {
        return Err(EmailError::InvalidLocalChar(bad));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::InvalidLocalDots);
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), EmailError> {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(EmailError::InvalidDomain);
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !labels.iter().all(|l| label_ok(l)) {
        return Err(EmailError::InvalidDomain);
    }
    let top = labels.last().copied().unwrap_or_default();
    if top.chars().all(|c| c.is_ascii_digit()) {
        return Err(EmailError::InvalidDomain);
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Email, EmailError> {
        Email::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(s: String) -> Result<Email, EmailError> {
        Email::parse(&s)
    }
}

impl TryFrom<&str> for Email {
    type Error = EmailError;

    fn try_from(s: &str) -> Result<Email, EmailError> {
        Email::parse(s)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl serde::Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}
