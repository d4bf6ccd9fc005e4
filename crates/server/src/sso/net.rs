//! Which addresses single sign-on may reach: an organization's admin names
//! the issuer URL, and the provider's metadata names the token, JWKS and
//! userinfo endpoints, so without a check an admin could make the server
//! fetch from its own loopback, the private network or a cloud metadata
//! address (server-side request forgery). Every provider request resolves
//! its host through [`GuardedResolver`] (and an address literal through
//! [`check_url`]), which refuses those addresses unless the server's
//! `sso_allow_private_networks` setting allows them (a provider on the same
//! machine or network; the tests).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use openidconnect::url::{Host, Url};

pub use invigil_domain::sso::address::{Internal, classify};

/// The refusal of an address (its message says which host and why).
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{host} resolves to {ip}, {}; single sign-on only reaches public addresses (the server setting sso_allow_private_networks allows others)",
    why.describe()
)]
pub struct Refused {
    pub host: String,
    pub ip: IpAddr,
    pub why: Internal,
}

/// Whether the server may talk to `ip` (of `host`).
pub fn allow(host: &str, ip: IpAddr, allow_private: bool) -> Result<(), Refused> {
    match classify(ip) {
        Some(why) if !allow_private => Err(Refused {
            host: host.to_owned(),
            ip,
            why,
        }),
        _ => Ok(()),
    }
}

/// Checks a URL whose host is an address literal (a name is checked when
/// it is resolved, by [`GuardedResolver`]).
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), Refused> {
    match url.host() {
        Some(Host::Ipv4(v4)) => allow(&v4.to_string(), IpAddr::V4(v4), allow_private),
        Some(Host::Ipv6(v6)) => allow(&format!("[{v6}]"), IpAddr::V6(v6), allow_private),
        _ => Ok(()),
    }
}

/// Resolves every host of a URL now and checks each address: the clear
/// 422 of the configuration (the requests themselves are checked again at
/// connect time, so a name that changes its answer later is still
/// refused). An unresolvable name is left to the request to report.
pub async fn check_url_resolved(url: &Url, allow_private: bool) -> Result<(), Refused> {
    check_url(url, allow_private)?;
    if let Some(Host::Domain(name)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        if let Ok(addrs) = tokio::net::lookup_host((name, port)).await {
            for a in addrs {
                allow(name, a.ip(), allow_private)?;
            }
        }
    }
    Ok(())
}

/// reqwest's resolver for provider requests: the system's answer, with
/// every internal address refused (unless allowed).
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for a in &addrs {
                allow(&host, a.ip(), allow_private)
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl GuardedResolver {
    pub fn shared(allow_private: bool) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { allow_private })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_only_when_the_setting_says_so() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let e = allow("idp.test", lo, false).unwrap_err();
        assert!(
            e.to_string()
                .contains("idp.test resolves to 127.0.0.1, a loopback address")
        );
        assert!(allow("idp.test", lo, true).is_ok());
        assert!(allow("idp.test", "8.8.8.8".parse().unwrap(), false).is_ok());
        let url = Url::parse("http://[::ffff:192.168.0.1]:8080/realms/x").unwrap();
        assert_eq!(check_url(&url, false).unwrap_err().why, Internal::Private);
        assert!(check_url(&url, true).is_ok());
        let named = Url::parse("https://idp.example.org/").unwrap();
        assert!(check_url(&named, false).is_ok());
    }
}
