//! Which network addresses are not public (loopback, private, link-local,
//! reserved): the rule behind single sign-on's refusal to reach internal
//! addresses (server-side request forgery). Pure: the server resolves and
//! connects, this only judges an address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
}
