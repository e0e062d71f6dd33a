//! Host allowlist entries (`--net-allow HOST[:PORT]`, a preset's
//! `net_allow`): what they look like and what they match.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The ports a pattern without `:PORT` allows: HTTPS and HTTP.
pub const DEFAULT_HOST_PORTS: [u16; 2] = [443, 80];

/// The host part of a [`HostPattern`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostName {
    /// One name, lowercase, without a trailing dot (`crates.io`).
    Name(String),
    /// Every name below this suffix (`*.crates.io` is `crates.io`), not the
    /// suffix itself.
    Below(String),
    /// An IP address literal.
    Ip(IpAddr),
}

/// One allowlist entry: a host (a name, `*.` and a suffix, or an IP
/// literal) and its port, or none for 443 and 80.
///
/// ```
/// use nono_model::HostPattern;
///
/// let p: HostPattern = "*.example.com".parse().unwrap();
/// assert!(p.matches("a.example.com", 443));
/// assert!(!p.matches("example.com", 443));
/// assert!(!p.matches("a.example.com", 8080));
/// assert!("exa mple.com".parse::<HostPattern>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HostPattern {
    /// The host part.
    pub host: HostName,
    /// The port, or `None` for [`DEFAULT_HOST_PORTS`].
    pub port: Option<u16>,
}

/// Why a `HOST[:PORT]` value is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?}: {reason}")]
pub struct HostError {
    /// The value as written.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Normalises a host name (lowercase, no trailing dot) or says why it is
/// not one: 1 to 253 characters, labels of 1 to 63 letters, digits, `-`
/// and `_`, not starting or ending with `-`.
pub fn normalize_host_name(name: &str) -> Result<String, &'static str> {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if name.is_empty() {
        return Err("the host is empty");
    }
    if name.len() > 253 {
        return Err("a host name has at most 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("each label of a host name has 1 to 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("a host name has only letters, digits, '-', '_' and '.'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label of a host name does not start or end with '-'");
        }
    }
    Ok(name)
}

impl std::str::FromStr for HostPattern {
    type Err = HostError;

    fn from_str(value: &str) -> Result<Self, HostError> {
        let bad = |reason| HostError {
            value: value.to_owned(),
            reason,
        };
        // "[v6]", "[v6]:port", a bare v6 literal, "host", "host:port".
        let (host, port) = if let Some(rest) = value.strip_prefix('[') {
            let (inside, after) = rest
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 literal in [ ] lacks its ']'"))?;
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| bad("only :PORT may follow an IPv6 literal in [ ]"))?,
                ),
            };
            let ip: Ipv6Addr = inside
                .parse()
                .map_err(|_| bad("not an IPv6 address inside [ ]"))?;
            (HostName::Ip(IpAddr::V6(ip)), port)
        } else if let Ok(ip) = value.parse::<Ipv6Addr>() {
            (HostName::Ip(IpAddr::V6(ip)), None)
        } else {
            let (host, port) = match value.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (value, None),
            };
            let name = if let Ok(ip) = host.parse::<Ipv4Addr>() {
                HostName::Ip(IpAddr::V4(ip))
            } else if let Some(suffix) = host.strip_prefix("*.") {
                HostName::Below(normalize_host_name(suffix).map_err(bad)?)
            } else if host.contains('*') {
                return Err(bad(
                    "a wildcard is only '*.' before a domain (*.example.com)",
                ));
            } else {
                HostName::Name(normalize_host_name(host).map_err(bad)?)
            };
            (name, port)
        };
        let port = match port {
            None => None,
            Some(p) => {
                let n: u16 = p
                    .parse()
                    .map_err(|_| bad("the port is a number from 1 to 65535"))?;
                if n == 0 {
                    return Err(bad("the port is a number from 1 to 65535"));
                }
                Some(n)
            }
        };
        Ok(HostPattern { host, port })
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostName::Name(n) => f.write_str(n),
            HostName::Below(s) => write!(f, "*.{s}"),
            HostName::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            HostName::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

/// A host as a client names it (in `CONNECT host:port` or a URL), made
/// comparable with patterns: an IP literal (with or without `[ ]`) or a
/// normalised name. `None` when it is neither.
pub fn requested_host(host: &str) -> Option<HostName> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(HostName::Ip(ip));
    }
    normalize_host_name(host).ok().map(HostName::Name)
}

impl HostPattern {
    /// The ports this pattern allows.
    pub fn ports(&self) -> Vec<u16> {
        match self.port {
            Some(p) => vec![p],
            None => DEFAULT_HOST_PORTS.to_vec(),
        }
    }

    /// Whether `host` (as [`requested_host`] reads it), on `port`, is
    /// allowed by this pattern. A name never matches an IP pattern, nor an
    /// IP a name pattern: no resolution happens here.
    pub fn matches_host(&self, host: &HostName, port: u16) -> bool {
        if !self.ports().contains(&port) {
            return false;
        }
        match (&self.host, host) {
            (HostName::Name(a), HostName::Name(b)) => a == b,
            (HostName::Below(suffix), HostName::Name(b)) => b
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            (HostName::Ip(a), HostName::Ip(b)) => a == b,
            _ => false,
        }
    }

    /// [`matches_host`](Self::matches_host) for a host as text.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        requested_host(host).is_some_and(|h| self.matches_host(&h, port))
    }

    /// Whether this pattern names the loopback on purpose (`localhost`) or
    /// names `ip` itself: only then may a name resolve to the host's own or
    /// a private address.
    pub fn permits_address(&self, ip: IpAddr) -> bool {
        match &self.host {
            HostName::Name(n) => n == "localhost" && ip.is_loopback(),
            HostName::Ip(a) => *a == ip,
            HostName::Below(_) => false,
        }
    }
}

/// Whether `ip` is not a public unicast address: loopback, private,
/// shared (CGNAT), link-local, unspecified, multicast, broadcast,
/// documentation, unique-local IPv6, or an IPv6 address carrying one of
/// these IPv4 ones (mapped, compatible, NAT64, 6to4).
/// Names resolving to such an address are refused unless allowed by
/// address (DNS rebinding).
pub fn is_internal_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            // An IPv4 address carried in an IPv6 one (mapped, compatible,
            // NAT64's 64:ff9b::/96, 6to4's 2002::/16) reaches that IPv4
            // address: judge that one.
            if let Some(v4) = v6.to_ipv4() {
                return is_internal_address(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
            };
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_internal_address(embedded(s[6], s[7]));
            }
            if s[0] == 0x2002 && is_internal_address(embedded(s[1], s[2])) {
                return true;
            }
            let first = s[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> HostPattern {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn names_ports_and_literals_parse() {
        assert_eq!(p("Crates.IO.").to_string(), "crates.io");
        assert_eq!(p("crates.io:8443").port, Some(8443));
        assert_eq!(p("127.0.0.1:80").host, HostName::Ip([127, 0, 0, 1].into()));
        assert_eq!(p("[::1]:8080").to_string(), "[::1]:8080");
        assert_eq!(p("::1").host, HostName::Ip(Ipv6Addr::LOCALHOST.into()));
        assert_eq!(
            p("*.example.com").host,
            HostName::Below("example.com".into())
        );
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            "",
            ":0",
            ":443",
            "exa mple.com",
            "*",
            "*.",
            "a.*.com",
            "ex*.com",
            "x:0",
            "x:65536",
            "x:",
            "x:y",
            "[::1",
            "[::1]x",
            "[zz]:1",
            "-a.com",
            "a..com",
        ] {
            assert!(bad.parse::<HostPattern>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn wildcards_match_below_only() {
        let w = p("*.example.com");
        assert!(w.matches("a.b.example.com", 80));
        assert!(!w.matches("example.com", 443));
        assert!(!w.matches("badexample.com", 443));
        assert!(!w.matches("a.example.com.evil", 443));
        assert!(!w.matches("a.example.com", 22));
    }

    #[test]
    fn names_and_addresses_never_match_each_other() {
        assert!(!p("localhost").matches("127.0.0.1", 443));
        assert!(!p("127.0.0.1").matches("localhost", 443));
        assert!(p("[::1]:8080").matches("[::1]", 8080));
        assert!(p("LOCALHOST:8080").matches("localhost.", 8080));
    }

    #[test]
    fn internal_addresses_need_naming() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a01:203",
            "2002:c0a8:1::1",
            "0.0.0.0",
        ] {
            let ip: IpAddr = ip.parse().unwrap_or_else(|_| panic!("{ip}"));
            assert!(is_internal_address(ip), "{ip}");
        }
        for ip in [
            "1.1.1.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap_or_else(|_| panic!("{ip}"));
            assert!(!is_internal_address(ip), "{ip}");
        }
        let lo: IpAddr = Ipv4Addr::LOCALHOST.into();
        assert!(p("localhost").permits_address(lo));
        assert!(p("127.0.0.1:9").permits_address(lo));
        assert!(!p("example.com").permits_address(lo));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn label() -> impl Strategy<Value = String> {
            "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
        }

        proptest! {
            #[test]
            fn display_parses_back(labels in proptest::collection::vec(label(), 1..4), wild: bool, port in proptest::option::of(1u16..)) {
                let name = labels.join(".");
                let text = match (wild, port) {
                    (true, Some(port)) => format!("*.{name}:{port}"),
                    (true, None) => format!("*.{name}"),
                    (false, Some(port)) => format!("{name}:{port}"),
                    (false, None) => name.clone(),
                };
                if let Ok(parsed) = text.parse::<HostPattern>() {
                    prop_assert_eq!(parsed.to_string().parse::<HostPattern>().ok(), Some(parsed));
                }
            }

            #[test]
            fn a_wildcard_matches_exactly_the_names_below(sub in label(), labels in proptest::collection::vec(label(), 1..3), other in label()) {
                let domain = labels.join(".");
                let w: HostPattern = match format!("*.{domain}").parse() {
                    Ok(w) => w,
                    Err(_) => return Ok(()),
                };
                let below = format!("{sub}.{domain}");
                let glued = format!("{other}{domain}");
                if below.parse::<IpAddr>().is_ok() {
                    return Ok(());
                }
                prop_assert!(w.matches(&below, 443));
                prop_assert!(!w.matches(&domain, 443));
                prop_assert!(!w.matches(&glued, 443));
                prop_assert!(!w.matches(&below, 444));
            }

            #[test]
            fn an_ip_pattern_matches_only_its_address(a: u32, b: u32, port in 1u16..) {
                let pa = Ipv4Addr::from(a);
                let pb = Ipv4Addr::from(b);
                let pat: HostPattern = match format!("{pa}:{port}").parse() {
                    Ok(p) => p,
                    Err(e) => return Err(TestCaseError::fail(e.to_string())),
                };
                prop_assert!(pat.matches(&pa.to_string(), port));
                prop_assert_eq!(pat.matches(&pb.to_string(), port), a == b);
            }
        }
    }
}
