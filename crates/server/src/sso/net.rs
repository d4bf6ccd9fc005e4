//! Which addresses single sign-on may reach: an organization's admin names
//! the issuer URL, and the provider's metadata names the token, JWKS and
//! userinfo endpoints, so without a check an admin could make the server
//! fetch from its own loopback, the private network or a cloud metadata
//! address (server-side request forgery). Every provider request resolves
//! its host through [`GuardedResolver`] (and an address literal through
//! [`check_url`]), which refuses those addresses unless the server's
//! `sso_allow_private_networks` setting allows them (a provider on the same
//! machine or network; the tests).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use openidconnect::url::{Host, Url};

/// Why an address is not a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internal {
    Loopback,
    Private,
    LinkLocal,
    Unspecified,
    /// Broadcast, multicast, documentation, shared (CGNAT), reserved,
    /// benchmarking, IPv6 unique-local/site-local, ...
    Reserved,
}

impl Internal {
    pub fn describe(self) -> &'static str {
        match self {
            Internal::Loopback => "a loopback address",
            Internal::Private => "a private-network address",
            Internal::LinkLocal => "a link-local address",
            Internal::Unspecified => "the unspecified address",
            Internal::Reserved => "a reserved or non-public address",
        }
    }
}

/// `Some(why)` when `ip` is not a public unicast address. IPv4-mapped and
/// IPv4-compatible/NAT64-embedding IPv6 addresses are judged by the IPv4
/// address inside.
pub fn classify(ip: IpAddr) -> Option<Internal> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Internal> {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        // 0.0.0.0/8: "this network"; 0.0.0.0 reaches the local host.
        return Some(Internal::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Internal::Loopback);
    }
    if ip.is_private() {
        return Some(Internal::Private);
    }
    if ip.is_link_local() {
        // 169.254.0.0/16, the cloud metadata address among them.
        return Some(Internal::LinkLocal);
    }
    let reserved = ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 100.64.0.0/10 shared address space (carrier-grade NAT).
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24 IETF protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15 benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4 reserved.
        || a >= 240;
    reserved.then_some(Internal::Reserved)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Internal> {
    if ip.is_unspecified() {
        return Some(Internal::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Internal::Loopback);
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    // ::a.b.c.d (deprecated IPv4-compatible) and 64:ff9b::a.b.c.d (NAT64).
    if (s[..6] == [0, 0, 0, 0, 0, 0]) || (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]) {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return classify_v4(Ipv4Addr::new(a, b, c, d)).or(Some(Internal::Reserved));
    }
    if (s[0] & 0xffc0) == 0xfe80 {
        return Some(Internal::LinkLocal);
    }
    if (s[0] & 0xfe00) == 0xfc00 {
        // fc00::/7 unique local: the IPv6 private networks.
        return Some(Internal::Private);
    }
    let reserved = ip.is_multicast()
        // fec0::/10 site-local (deprecated).
        || (s[0] & 0xffc0) == 0xfec0
        // 2001:db8::/32 documentation.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // 100::/64 discard-only.
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]);
    reserved.then_some(Internal::Reserved)
}

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

    fn v4(s: &str) -> Option<Internal> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn ipv4_internal_addresses() {
        assert_eq!(v4("127.0.0.1"), Some(Internal::Loopback));
        assert_eq!(v4("127.255.0.9"), Some(Internal::Loopback));
        assert_eq!(v4("10.1.2.3"), Some(Internal::Private));
        assert_eq!(v4("172.16.0.1"), Some(Internal::Private));
        assert_eq!(v4("172.31.255.255"), Some(Internal::Private));
        assert_eq!(v4("192.168.1.1"), Some(Internal::Private));
        assert_eq!(v4("169.254.169.254"), Some(Internal::LinkLocal));
        assert_eq!(v4("0.0.0.0"), Some(Internal::Unspecified));
        assert_eq!(v4("0.1.2.3"), Some(Internal::Unspecified));
        assert_eq!(v4("100.64.0.1"), Some(Internal::Reserved));
        assert_eq!(v4("224.0.0.1"), Some(Internal::Reserved));
        assert_eq!(v4("255.255.255.255"), Some(Internal::Reserved));
        assert_eq!(v4("192.0.2.1"), Some(Internal::Reserved));
        assert_eq!(v4("198.18.0.1"), Some(Internal::Reserved));
    }

    #[test]
    fn ipv4_public_addresses() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "172.15.255.255",
            "100.128.0.1",
            "93.184.216.34",
        ] {
            assert_eq!(v4(ip), None, "{ip}");
        }
    }

    #[test]
    fn ipv6_addresses() {
        assert_eq!(v4("::1"), Some(Internal::Loopback));
        assert_eq!(v4("::"), Some(Internal::Unspecified));
        assert_eq!(v4("fe80::1"), Some(Internal::LinkLocal));
        assert_eq!(v4("fd00::1"), Some(Internal::Private));
        assert_eq!(v4("fc12:3456::1"), Some(Internal::Private));
        assert_eq!(v4("ff02::1"), Some(Internal::Reserved));
        assert_eq!(v4("2001:db8::1"), Some(Internal::Reserved));
        assert_eq!(v4("fec0::1"), Some(Internal::Reserved));
        assert_eq!(v4("2606:4700:4700::1111"), None);
        assert_eq!(v4("2a00:1450:4001:80b::200e"), None);
    }

    #[test]
    fn ipv6_with_embedded_ipv4() {
        // Mapped: judged by the IPv4 address inside.
        assert_eq!(v4("::ffff:127.0.0.1"), Some(Internal::Loopback));
        assert_eq!(v4("::ffff:10.0.0.1"), Some(Internal::Private));
        assert_eq!(v4("::ffff:169.254.169.254"), Some(Internal::LinkLocal));
        assert_eq!(v4("::ffff:8.8.8.8"), None);
        // IPv4-compatible and NAT64 forms never pass for a public address.
        assert_eq!(v4("::127.0.0.1"), Some(Internal::Loopback));
        assert_eq!(v4("64:ff9b::10.0.0.1"), Some(Internal::Private));
        assert_eq!(v4("64:ff9b::8.8.8.8"), Some(Internal::Reserved));
    }

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
