//! Certificates (issue 16 item 4): the rules that need no I/O. A
//! certificate's status at a moment (expiry is computed from `valid_until`,
//! never stored), who gets one (the best released attempt passes and no
//! violation was confirmed), and the public verification code (12 random
//! characters of an alphabet without look-alikes, `XXXX-XXXX-XXXX`).

use chrono::{DateTime, Utc};

use crate::review::IntegrityStatus;

crate::stored_enum! {
    /// A certificate's status as shown to anyone who verifies it.
    pub enum CertificateStatus {
        Valid = "VALID",
        Expired = "EXPIRED",
        Revoked = "REVOKED",
    }
}

/// The status at `now`: REVOKED wins over EXPIRED; a certificate is
/// EXPIRED from `valid_until` on.
#[must_use]
pub fn status_at(
    revoked_at: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CertificateStatus {
    if revoked_at.is_some() {
        CertificateStatus::Revoked
    } else if valid_until.is_some_and(|v| v <= now) {
        CertificateStatus::Expired
    } else {
        CertificateStatus::Valid
    }
}

/// What a candidate's released result means for their certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entitlement {
    /// The result passes and no violation was confirmed: one certificate.
    Earned,
    /// A decided result that does not earn one (why, for the revoke reason).
    Lost(&'static str),
    /// Nothing decided yet (ungraded essays, an open review): leave as is.
    Undecided,
}

/// The entitlement of the best released attempt: its `passed` score (None
/// while essays wait) and its integrity.
#[must_use]
pub fn entitlement(passed: Option<bool>, integrity: IntegrityStatus) -> Entitlement {
    match (passed, integrity) {
        (_, IntegrityStatus::Flagged | IntegrityStatus::UnderReview) => Entitlement::Undecided,
        (_, IntegrityStatus::ViolationConfirmed) => {
            Entitlement::Lost("the integrity review confirmed a violation")
        }
        (None, _) => Entitlement::Undecided,
        (Some(false), _) => Entitlement::Lost("the result no longer passes"),
        (Some(true), _) => Entitlement::Earned,
    }
}

/// The code alphabet: upper-case letters and digits without 0/O, 1/I/L.
pub const CODE_ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of a code, without its dashes.
pub const CODE_CHARS: usize = 12;

/// A code from 12 random bytes (`XXXX-XXXX-XXXX`). Each byte picks one
/// character (rejection-free modulo: a bias of under 1% per character,
/// harmless for a lookup key of ~59 bits).
#[must_use]
pub fn code_from(random: [u8; CODE_CHARS]) -> String {
    let mut out = String::with_capacity(CODE_CHARS + 2);
    for (i, b) in random.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(
            CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()],
        ));
    }
    out
}

/// A code as typed (any case, with or without dashes or spaces) in its
/// canonical form; `None` when it cannot be a code.
#[must_use]
pub fn normalize_code(raw: &str) -> Option<String> {
    let chars: Vec<u8> = raw
        .bytes()
        .filter(|b| *b != b'-' && *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if chars.len() != CODE_CHARS || !chars.iter().all(|c| CODE_ALPHABET.contains(c)) {
        return None;
    }
    let mut bytes = [0u8; CODE_CHARS];
    for (i, c) in chars.iter().enumerate() {
        let pos = CODE_ALPHABET.iter().position(|a| a == c)?;
        bytes[i] = u8::try_from(pos).ok()?;
    }
    Some(code_from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap()
    }

    #[test]
    fn status_revoked_wins_and_expiry_is_inclusive() {
        let now = t0();
        assert_eq!(status_at(None, None, now), CertificateStatus::Valid);
        assert_eq!(
            status_at(None, Some(now + Duration::seconds(1)), now),
            CertificateStatus::Valid
        );
        assert_eq!(status_at(None, Some(now), now), CertificateStatus::Expired);
        assert_eq!(
            status_at(Some(now), Some(now - Duration::days(1)), now),
            CertificateStatus::Revoked
        );
    }

    #[test]
    fn entitlement_rules() {
        use IntegrityStatus as I;
        assert_eq!(entitlement(Some(true), I::Clean), Entitlement::Earned);
        assert_eq!(entitlement(Some(true), I::Cleared), Entitlement::Earned);
        assert!(matches!(
            entitlement(Some(true), I::ViolationConfirmed),
            Entitlement::Lost(_)
        ));
        assert!(matches!(
            entitlement(Some(false), I::Clean),
            Entitlement::Lost(_)
        ));
        assert_eq!(entitlement(None, I::Clean), Entitlement::Undecided);
        assert_eq!(entitlement(Some(true), I::Flagged), Entitlement::Undecided);
        assert_eq!(
            entitlement(Some(false), I::UnderReview),
            Entitlement::Undecided
        );
    }

    #[test]
    fn codes_have_the_shape_and_alphabet() {
        let c = code_from([0, 1, 2, 3, 30, 31, 200, 255, 7, 8, 9, 10]);
        assert_eq!(c.len(), 14);
        assert_eq!(&c[4..5], "-");
        assert_eq!(&c[9..10], "-");
        assert!(
            c.bytes()
                .filter(|b| *b != b'-')
                .all(|b| CODE_ALPHABET.contains(&b))
        );
        assert!(!c.contains('O') && !c.contains('0') && !c.contains('I') && !c.contains('1'));
    }

    #[test]
    fn codes_normalize() {
        let c = code_from([5; 12]);
        assert_eq!(normalize_code(&c.to_lowercase()), Some(c.clone()));
        assert_eq!(normalize_code(&c.replace('-', "")), Some(c.clone()));
        assert_eq!(normalize_code("ABCD-EFGH-JKM"), None);
        assert_eq!(normalize_code("ABCD-EFGH-JKM0"), None);
        assert_eq!(normalize_code(""), None);
        assert_eq!(normalize_code("ÄBCD-EFGH-JKMN"), None);
    }
}
