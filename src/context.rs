//! The request context signed URLs, prefixes and IP bindings are judged against: the address
//! of the client and the URL it really used, the same in every host.
//!
//! The client address starts as the peer the host saw. Only when that peer is one of the
//! policy's `trusted_proxies` are forwarded headers read (`X-Forwarded-For`, `Forwarded`,
//! `CF-Connecting-IP`), walking each from the right past trusted hops to the first address
//! that is not trusted. Every present header must name the same client; when they disagree,
//! or a hop is not an address, the client is unknown, and credentials bound to an address
//! fail. A request from an untrusted peer is judged by the peer's own address whatever it
//! claims in its headers.
//!
//! The public URL is the policy's `public_origin` (scheme and host the client sees) followed
//! by the raw request target. It never comes from `Host` or `X-Forwarded-Host`: a signed URL
//! is checked against the origin the operator configured.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::IpAddr;

/// An address block (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDR/LEN` or a bare address (a /32 or /128). Host bits must be zero, so a
    /// typo like `10.1.2.3/8` is refused instead of silently widened.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        // An IPv4-mapped block (`::ffff:10.0.0.0/104`) is the IPv4 block it maps.
        let parsed: IpAddr = a.parse().ok()?;
        let (addr, shift) = match (parsed, canonical(parsed)) {
            (IpAddr::V6(_), v4 @ IpAddr::V4(_)) => (v4, 96u8),
            (same, _) => (same, 0),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match len {
            None => max,
            Some(l) if !l.is_empty() && l.len() <= 3 && l.bytes().all(|b| b.is_ascii_digit()) => {
                if l.len() > 1 && l.starts_with('0') {
                    return None;
                }
                l.parse::<u8>()
                    .ok()?
                    .checked_sub(shift)
                    .filter(|p| *p <= max)?
            }
            Some(_) => return None,
        };
        let c = Cidr { addr, prefix };
        (c.network_bits(addr) == bits(addr)).then_some(c)
    }

    /// True when `ip` lies in this block. An IPv4 address never lies in an IPv6 block or the
    /// reverse (IPv4-mapped IPv6 addresses are compared as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.addr.is_ipv4() == ip.is_ipv4() && self.network_bits(ip) == bits(self.addr)
    }

    fn network_bits(&self, ip: IpAddr) -> u128 {
        let width: u32 = if ip.is_ipv4() { 32 } else { 128 };
        let host = width - u32::from(self.prefix);
        let mask = if host >= 128 {
            0
        } else {
            (u128::MAX >> host) << host
        };
        bits(ip) & mask
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, as dual-stack sockets report IPv4 peers)
/// become the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v) => v.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Parses a peer address as hosts report it: `1.2.3.4`, `1.2.3.4:5678`, `::1`,
/// `[::1]:5678`, `[::1]`.
pub fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim_matches([' ', '\t']);
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || port_ok(after.strip_prefix(':')?)) {
            return None;
        }
        return inside
            .parse::<core::net::Ipv6Addr>()
            .ok()
            .map(|v| canonical(v.into()));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    let (host, port) = s.rsplit_once(':')?;
    if !port_ok(port) {
        return None;
    }
    host.parse::<core::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn port_ok(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the peer is one of `trusted` (an unparseable or absent peer is not).
pub fn peer_trusted(peer: Option<&str>, trusted: &[Cidr]) -> bool {
    peer.and_then(parse_addr)
        .is_some_and(|ip| trusted.iter().any(|c| c.contains(ip)))
}

/// Decodes a SHA-256 digest written as 64 hex digits (either case).
pub fn sha256_from_hex(s: &str) -> Option<[u8; 32]> {
    let b = s.trim_matches([' ', '\t']).as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *o = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// The client certificate digest in one element of Envoy's `X-Forwarded-Client-Cert`
/// (`By=...;Hash=<hex>;Subject="..."`): exactly one element (no comma outside quotes) with
/// exactly one `Hash`.
pub fn xfcc_hash(value: &str) -> Option<[u8; 32]> {
    let mut quoted = false;
    let mut hash = None;
    let mut start = 0usize;
    let bytes = value.as_bytes();
    let mut fields = Vec::new();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b',' if !quoted => return None,
            b';' if !quoted => {
                fields.push(value.get(start..i)?);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    fields.push(value.get(start..)?);
    for f in fields {
        let (k, v) = f.trim_matches([' ', '\t']).split_once('=')?;
        if k.eq_ignore_ascii_case("hash") {
            if hash.is_some() {
                return None;
            }
            hash = Some(sha256_from_hex(v)?);
        }
    }
    hash
}

/// How many hops of one forwarded header are read at most; a longer chain makes the client
/// unknown.
const MAX_HOPS: usize = 32;

/// The client address of a request: `peer` itself unless it is trusted, then the first
/// untrusted hop of the forwarded headers (`headers` as the host got them, any name case).
///
/// `None` when the peer is unknown, or it is trusted and the forwarded headers are absent,
/// unreadable or disagree.
pub fn client_ip(peer: Option<&str>, headers: &[(&str, &str)], trusted: &[Cidr]) -> Option<IpAddr> {
    let peer = parse_addr(peer?)?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut answer: Option<IpAddr> = None;
    for (kind, name) in [
        (Header::Xff, "x-forwarded-for"),
        (Header::Forwarded, "forwarded"),
        (Header::CfConnectingIp, "cf-connecting-ip"),
    ] {
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
            .collect();
        if values.is_empty() {
            continue;
        }
        let found = walk(&hops(kind, &values)?, &is_trusted)?;
        if answer.is_some_and(|a| a != found) {
            return None;
        }
        answer = Some(found);
    }
    // A trusted proxy that forwarded nothing is the client as far as anyone knows (a health
    // check, or the proxy's own request).
    Some(answer.unwrap_or(peer))
}

#[derive(Clone, Copy)]
enum Header {
    Xff,
    Forwarded,
    CfConnectingIp,
}

/// Every hop of a forwarded header, left to right (repeated fields concatenated in order);
/// `None` if a hop is not an address or there are too many.
fn hops(kind: Header, values: &[&str]) -> Option<Vec<IpAddr>> {
    let mut out = Vec::new();
    for v in values {
        match kind {
            Header::CfConnectingIp => out.push(parse_addr(v)?),
            Header::Xff => {
                for part in v.split(',') {
                    out.push(parse_addr(part)?);
                }
            }
            Header::Forwarded => {
                for element in v.split(',') {
                    let mut this = None;
                    for pair in element.split(';') {
                        let pair = pair.trim_matches([' ', '\t']);
                        if pair.is_empty() {
                            continue;
                        }
                        let (k, val) = pair.split_once('=')?;
                        if k.eq_ignore_ascii_case("for") {
                            if this.is_some() {
                                return None;
                            }
                            let val = val
                                .strip_prefix('"')
                                .and_then(|x| x.strip_suffix('"'))
                                .unwrap_or(val);
                            // `unknown` and obfuscated identifiers end the chain as unknown.
                            this = Some(parse_addr(val)?);
                        }
                    }
                    out.push(this?);
                }
            }
        }
        if out.len() > MAX_HOPS {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// From the right, past trusted hops, to the first untrusted one; the leftmost when every
/// hop is trusted.
fn walk(hops: &[IpAddr], trusted: &dyn Fn(IpAddr) -> bool) -> Option<IpAddr> {
    hops.iter()
        .rev()
        .copied()
        .find(|ip| !trusted(*ip))
        .or_else(|| hops.first().copied())
}

/// Whether a raw request path has a dot-segment (`.` or `..`, also percent-encoded as `%2e`):
/// signed URLs, prefixes and ACLs are matched against raw paths, which must not climb.
pub fn has_dot_segment(raw_path: &str) -> bool {
    raw_path.split('/').any(|seg| {
        let lower = seg.to_ascii_lowercase();
        let dots = lower.replace("%2e", ".");
        dots == "." || dots == ".."
    })
}

/// Checks a `public_origin`: `https://host[:port]` or `http://host[:port]`, lower-case
/// scheme and host, no path, user info, query or fragment.
pub fn check_origin(origin: &str) -> Result<(), &'static str> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or("must start with https:// or http://")?;
    if rest.is_empty() {
        return Err("has no host");
    }
    let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:[]".contains(&b);
    if !rest.bytes().all(ok) {
        return Err("is scheme://host[:port] only, in lower case (no path, query, user info)");
    }
    Ok(())
}

/// The URL the client used: `origin` (checked by [`check_origin`]) and the raw request target.
pub fn public_url(origin: &str, target: &str) -> String {
    let mut u = String::with_capacity(origin.len() + target.len());
    u.push_str(origin);
    u.push_str(target);
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn cidrs(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|s| Cidr::parse(s).unwrap()).collect()
    }

    #[test]
    fn cidr_parsing_is_strict() {
        let mapped = Cidr::parse("::ffff:10.0.0.0/104").unwrap();
        assert_eq!(mapped, Cidr::parse("10.0.0.0/8").unwrap());
        assert!(mapped.contains("10.2.3.4".parse().unwrap()));
        assert!(Cidr::parse("::ffff:10.0.0.0/95").is_none());
        for good in [
            "10.0.0.0/8",
            "192.0.2.1",
            "0.0.0.0/0",
            "2001:db8::/32",
            "::1",
            "::/0",
        ] {
            assert!(Cidr::parse(good).is_some(), "{good}");
        }
        for bad in [
            "10.1.2.3/8",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "010.0.0.0/8",
            "2001:db8::1/32",
            "::/129",
            "example.com",
            "",
        ] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn cidr_contains() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains("10.255.1.2".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        assert!(!all.contains("2001:db8::1".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
    }

    #[test]
    fn peer_addresses() {
        let ip = |s: &str| parse_addr(s);
        assert_eq!(ip("1.2.3.4:80"), "1.2.3.4".parse().ok());
        assert_eq!(ip("1.2.3.4"), "1.2.3.4".parse().ok());
        assert_eq!(ip("[::1]:80"), "::1".parse().ok());
        assert_eq!(ip("[::1]"), "::1".parse().ok());
        assert_eq!(ip("::1"), "::1".parse().ok());
        assert_eq!(ip("[::ffff:1.2.3.4]:9"), "1.2.3.4".parse().ok());
        for bad in [
            "1.2.3.4:",
            "1.2.3.4:x",
            "[::1",
            "[::1]x",
            "host:80",
            "1.2.3.04",
            "",
        ] {
            assert_eq!(ip(bad), None, "{bad}");
        }
    }

    #[test]
    fn untrusted_peers_are_judged_by_their_own_address() {
        let trusted = cidrs(&["10.0.0.0/8"]);
        let h = [
            ("X-Forwarded-For", "198.51.100.7"),
            ("cf-connecting-ip", "198.51.100.7"),
        ];
        assert_eq!(
            client_ip(Some("203.0.113.5:4000"), &h, &trusted),
            "203.0.113.5".parse().ok()
        );
        assert_eq!(client_ip(None, &h, &trusted), None);
    }

    #[test]
    fn trusted_peers_forward_the_first_untrusted_hop() {
        let trusted = cidrs(&["10.0.0.0/8", "192.0.2.0/24"]);
        let peer = Some("10.0.0.1:1234");
        // The client put a spoofed entry first; the proxies appended the real one.
        let h = [("x-forwarded-for", "1.1.1.1, 198.51.100.7, 192.0.2.9")];
        assert_eq!(client_ip(peer, &h, &trusted), "198.51.100.7".parse().ok());
        // Repeated fields read as one list, in order.
        let h = [
            ("x-forwarded-for", "1.1.1.1"),
            ("X-Forwarded-For", "198.51.100.7, 10.2.2.2"),
        ];
        assert_eq!(client_ip(peer, &h, &trusted), "198.51.100.7".parse().ok());
        // Every hop trusted: the leftmost.
        let h = [("x-forwarded-for", "10.9.9.9, 10.1.1.1")];
        assert_eq!(client_ip(peer, &h, &trusted), "10.9.9.9".parse().ok());
        // Forwarded (RFC 7239), quoted IPv6 with port.
        let h = [(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::7]:4711\";proto=https;, for=10.3.3.3",
        )];
        assert_eq!(client_ip(peer, &h, &trusted), "2001:db8::7".parse().ok());
        // No forwarded header from a trusted peer: the peer.
        assert_eq!(client_ip(peer, &[], &trusted), "10.0.0.1".parse().ok());
    }

    #[test]
    fn unreadable_or_disagreeing_forwarding_makes_the_client_unknown() {
        let trusted = cidrs(&["10.0.0.0/8"]);
        let peer = Some("10.0.0.1");
        for h in [
            vec![("x-forwarded-for", "198.51.100.7, not-an-ip")],
            vec![("x-forwarded-for", "")],
            vec![("forwarded", "for=unknown")],
            vec![("forwarded", "for=_hidden")],
            vec![("forwarded", "for=1.1.1.1;for=2.2.2.2")],
            vec![
                ("x-forwarded-for", "198.51.100.7"),
                ("cf-connecting-ip", "198.51.100.8"),
            ],
            vec![
                ("x-forwarded-for", "198.51.100.7"),
                ("forwarded", "for=198.51.100.9"),
            ],
        ] {
            assert_eq!(client_ip(peer, &h, &trusted), None, "{h:?}");
        }
        let long = "1.1.1.1,".repeat(40) + "1.1.1.1";
        assert_eq!(
            client_ip(peer, &[("x-forwarded-for", &long)], &trusted),
            None
        );
        // Agreement is fine.
        let h = [
            ("x-forwarded-for", "198.51.100.7"),
            ("cf-connecting-ip", "198.51.100.7"),
        ];
        assert_eq!(client_ip(peer, &h, &trusted), "198.51.100.7".parse().ok());
    }

    #[test]
    fn certificate_digests() {
        use alloc::format;
        let hex = "8f43288ad272f3103b6fb1428485ea3014bc2f6a3ef0bb3c3b6c52f8a6d5a8e3";
        let d = sha256_from_hex(hex).unwrap();
        assert_eq!(d[0], 0x8f);
        assert_eq!(sha256_from_hex(&hex.to_ascii_uppercase()), Some(d));
        assert_eq!(sha256_from_hex(&hex[1..]), None);
        assert_eq!(sha256_from_hex(&hex.replace('8', "g")), None);
        let one = format!("By=spiffe://a;Hash={hex};Subject=\"CN=x, O=y\";URI=");
        assert_eq!(xfcc_hash(&one), Some(d));
        assert_eq!(
            xfcc_hash(&format!("{one},By=b;Hash={hex}")),
            None,
            "two elements"
        );
        assert_eq!(xfcc_hash(&format!("Hash={hex};Hash={hex}")), None);
        assert_eq!(xfcc_hash("By=x;Subject=\"unterminated"), None);
        assert_eq!(xfcc_hash("By=x"), None);
        assert!(peer_trusted(
            Some("10.0.0.1:5"),
            &[Cidr::parse("10.0.0.0/8").unwrap()]
        ));
        assert!(!peer_trusted(None, &[Cidr::parse("10.0.0.0/8").unwrap()]));
    }

    #[test]
    fn dot_segments() {
        for bad in [
            "/a/../b",
            "/a/./b",
            "/a/..",
            "/.",
            "/a/%2e%2E/b",
            "/a/.%2e",
            "/%2E",
        ] {
            assert!(has_dot_segment(bad), "{bad}");
        }
        for good in ["/a/b", "/a/.b", "/a/..b/", "/...", "/a%2eb", "/"] {
            assert!(!has_dot_segment(good), "{good}");
        }
    }

    #[test]
    fn origins() {
        assert!(check_origin("https://cdn.example.com").is_ok());
        assert!(check_origin("http://127.0.0.1:8080").is_ok());
        for bad in [
            "cdn.example.com",
            "https://",
            "https://cdn.example.com/",
            "https://CDN.example.com",
            "https://u@cdn.example.com",
            "ftp://x",
            "https://x?y",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
        assert_eq!(
            public_url("https://a.example", "/p?q=1"),
            "https://a.example/p?q=1"
        );
    }
}
