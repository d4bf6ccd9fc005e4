//! Single sign-on and self sign-up rules (issue 16): the domain allow-lists
//! of an organization, the issuer URLs it may trust, and why a sign-in
//! through the provider was refused. Pure: no I/O.

use std::fmt;

pub mod address;

/// At most this many domains in an allow-list.
pub const MAX_DOMAINS: usize = 50;

/// Why a list of domains was refused; the message is the 422 `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainListError {
    #[error("has more than {MAX_DOMAINS} domains")]
    TooMany,
    #[error("{0:?} is not a domain name (like example.org)")]
    Invalid(String),
}

/// A normalised allow-list of email domains: lower-case, without a leading
/// `@`, each a valid DNS name with at least two labels, each once, in the
/// order given. Empty means every domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainList(Vec<String>);

fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

impl DomainList {
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<DomainList, DomainListError> {
        if raw.len() > MAX_DOMAINS {
            return Err(DomainListError::TooMany);
        }
        let mut out: Vec<String> = Vec::with_capacity(raw.len());
        for d in raw {
            let given = d.as_ref();
            let norm = given.trim().trim_start_matches('@').to_ascii_lowercase();
            let labels: Vec<&str> = norm.split('.').collect();
            if norm.len() > 253 || labels.len() < 2 || !labels.iter().all(|l| valid_label(l)) {
                return Err(DomainListError::Invalid(given.chars().take(80).collect()));
            }
            if !out.contains(&norm) {
                out.push(norm);
            }
        }
        Ok(DomainList(out))
    }

    /// Whether an address's domain (already lower-case, as `Email` keeps
    /// it) is allowed: an empty list allows every domain; a listed domain
    /// allows itself only (not its subdomains).
    pub fn allows(&self, email_domain: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|d| d == email_domain)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// Why an issuer URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerError {
    #[error("must be an absolute https URL (http only for a loopback address)")]
    NotHttps,
    #[error("must not carry a user name, password, query or fragment")]
    Extras,
    #[error("must be at most 500 characters")]
    TooLong,
}

/// Checks the parts of an issuer URL (the caller parses it): https, or http
/// to a loopback host (a provider on the same machine, tests); no
/// credentials, query or fragment (OpenID Connect Discovery 1.0 §2).
pub fn check_issuer(
    scheme: &str,
    host: Option<&str>,
    has_credentials: bool,
    has_query_or_fragment: bool,
    len: usize,
) -> Result<(), IssuerError> {
    if len > 500 {
        return Err(IssuerError::TooLong);
    }
    let Some(host) = host.filter(|h| !h.is_empty()) else {
        return Err(IssuerError::NotHttps);
    };
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1");
    match scheme {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(IssuerError::NotHttps),
    }
    if has_credentials || has_query_or_fragment {
        return Err(IssuerError::Extras);
    }
    Ok(())
}

/// Why a sign-in through the provider was refused: recorded in
/// `auth.sso_login_failed` (`reason`) and shown, in words, on the error page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoFailure {
    /// SSO is not configured or not enabled for the organization.
    NotEnabled,
    /// The state is unknown, used, expired, of another organization, or not
    /// this browser's.
    BadState,
    /// The provider answered with an error (the person cancelled, ...).
    ProviderError,
    /// The provider could not be reached or its metadata is bad.
    ProviderUnavailable,
    /// The code exchange failed.
    TokenExchange,
    /// The ID token is missing, badly signed, expired, for another client
    /// or issuer, or its nonce is not ours.
    InvalidIdToken,
    /// The provider gave no email address.
    NoEmail,
    /// The provider did not verify the email address.
    EmailNotVerified,
    /// The address's domain is not on the organization's SSO allow-list.
    DomainNotAllowed,
    /// No account, and the organization does not let people sign up.
    SignUpClosed,
    /// The account is suspended, deactivated, or not yet verified.
    AccountDisabled,
}

impl SsoFailure {
    /// The stable reason code of the audit entry.
    pub fn code(self) -> &'static str {
        match self {
            SsoFailure::NotEnabled => "not_enabled",
            SsoFailure::BadState => "bad_state",
            SsoFailure::ProviderError => "provider_error",
            SsoFailure::ProviderUnavailable => "provider_unavailable",
            SsoFailure::TokenExchange => "token_exchange_failed",
            SsoFailure::InvalidIdToken => "invalid_id_token",
            SsoFailure::NoEmail => "no_email",
            SsoFailure::EmailNotVerified => "email_not_verified",
            SsoFailure::DomainNotAllowed => "domain_not_allowed",
            SsoFailure::SignUpClosed => "sign_up_closed",
            SsoFailure::AccountDisabled => "account_disabled",
        }
    }

    /// What the person is told.
    pub fn message(self) -> &'static str {
        match self {
            SsoFailure::NotEnabled => "Single sign-on is not available for this organization.",
            SsoFailure::BadState => {
                "This sign-in link is expired or was already used. Start the sign-in again."
            }
            SsoFailure::ProviderError => {
                "The identity provider did not complete the sign-in. Start the sign-in again."
            }
            SsoFailure::ProviderUnavailable => {
                "The identity provider cannot be reached right now. Try again in a few minutes."
            }
            SsoFailure::TokenExchange | SsoFailure::InvalidIdToken => {
                "The identity provider's answer could not be verified, so you were not signed in."
            }
            SsoFailure::NoEmail => {
                "The identity provider did not share your email address, so you were not signed in."
            }
            SsoFailure::EmailNotVerified => {
                "Your identity provider has not verified your email address. Verify it there, then sign in again."
            }
            SsoFailure::DomainNotAllowed => {
                "Your email address's domain is not allowed to sign in to this organization."
            }
            SsoFailure::SignUpClosed => {
                "There is no account with your email address, and this organization does not accept sign-ups. Ask an administrator for an invitation."
            }
            SsoFailure::AccountDisabled => {
                "Your account is not active. Contact the organization's administrator."
            }
        }
    }
}

impl fmt::Display for SsoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_deduplicated() {
        let l = DomainList::parse(&["Example.ORG", "@example.org", " uni.ac.uk "]).unwrap();
        assert_eq!(l.as_slice(), ["example.org", "uni.ac.uk"]);
        assert!(l.allows("example.org"));
        assert!(!l.allows("sub.example.org"));
        assert!(!l.allows("example.com"));
        assert!(DomainList::default().allows("anything.test"));
    }

    #[test]
    fn bad_domains_are_refused() {
        for bad in [
            "",
            "localhost",
            "exa mple.org",
            "-a.org",
            "a-.org",
            "a..org",
            "a.org/x",
        ] {
            assert!(
                matches!(DomainList::parse(&[bad]), Err(DomainListError::Invalid(_))),
                "{bad:?}"
            );
        }
        let many: Vec<String> = (0..=MAX_DOMAINS).map(|i| format!("d{i}.org")).collect();
        assert_eq!(DomainList::parse(&many), Err(DomainListError::TooMany));
    }

    #[test]
    fn issuers_need_https_except_on_loopback() {
        assert!(check_issuer("https", Some("id.example.org"), false, false, 30).is_ok());
        assert!(check_issuer("http", Some("127.0.0.1"), false, false, 30).is_ok());
        assert!(check_issuer("http", Some("localhost"), false, false, 30).is_ok());
        assert_eq!(
            check_issuer("http", Some("id.example.org"), false, false, 30),
            Err(IssuerError::NotHttps)
        );
        assert_eq!(
            check_issuer("ftp", Some("id.example.org"), false, false, 30),
            Err(IssuerError::NotHttps)
        );
        assert_eq!(
            check_issuer("https", Some("id.example.org"), true, false, 30),
            Err(IssuerError::Extras)
        );
        assert_eq!(
            check_issuer("https", Some("id.example.org"), false, true, 30),
            Err(IssuerError::Extras)
        );
        assert_eq!(
            check_issuer("https", Some("id.example.org"), false, false, 501),
            Err(IssuerError::TooLong)
        );
    }

    #[test]
    fn every_failure_has_a_code_and_a_message() {
        use SsoFailure::*;
        let all = [
            NotEnabled,
            BadState,
            ProviderError,
            ProviderUnavailable,
            TokenExchange,
            InvalidIdToken,
            NoEmail,
            EmailNotVerified,
            DomainNotAllowed,
            SignUpClosed,
            AccountDisabled,
        ];
        let mut codes: Vec<&str> = all.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|f| f.message().ends_with('.')));
    }
}
