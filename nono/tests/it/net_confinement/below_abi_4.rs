//! Below ABI 4: a block is enforced by seccomp alone; port rules are a gap.

use super::*;
use crate::common::{assert_absent, dry_json, dry_text, gap_features, notes};
use serde_json::json;

#[test]
fn abi_3_net_block_is_enforced_by_seccomp_alone() {
    let s = Scratch::new();
    let peer = TcpPeer::new();
    let port = peer.port();
    let flags = ["--abi", "3", "--net-block"];

    let tok = token("abi3-block");
    probe_under(&s, &flags, "connect", &[&port, &tok]).expect_errno_at("EACCES", "socket");
    assert_eq!(peer.received(), None);
    // Twin at the same ABI without the flag.
    probe_under(&s, &["--abi", "3"], "connect", &[&port, &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));

    let json = dry_json(&s, &flags);
    assert_eq!(json["ruleset"]["handled_net"], json!([]));
    assert_eq!(json["ruleset"]["socket_filter"], "unix_only");
    let network = json["network"].as_str().unwrap();
    assert!(network.contains("entirely by seccomp"), "{network}");
    // No net_tcp gap: the block is enforced. The gaps at ABI 3 are the
    // filesystem's and the scopes'.
    assert_eq!(json["predicted_status"], "PartiallyEnforced");
    assert_eq!(
        gap_features(&json),
        gaps_at(3, &["truncate", "ioctl_dev", "scope"])
    );
    let notes = notes(&json);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("net_tcp") && n.contains("seccomp")),
        "{notes:?}"
    );
    let text = dry_text(&s, &flags);
    assert!(
        text.contains("Network: blocked: entirely by seccomp"),
        "{text}"
    );
    assert!(
        text.contains("socket filter: seccomp: only AF_UNIX"),
        "{text}"
    );
    assert!(!text.contains("gap: net_tcp"), "{text}");
}

#[test]
fn abi_3_port_rules_are_a_gap_that_strict_refuses() {
    let s = Scratch::new();
    let allowed = TcpPeer::new();
    let other = TcpPeer::new();
    let p = allowed.port();
    let flags = ["--abi", "3", "--net-connect", p.as_str()];

    let json = dry_json(&s, &flags);
    assert_eq!(json["predicted_status"], "PartiallyEnforced");
    assert_eq!(
        gap_features(&json),
        gaps_at(3, &["truncate", "net_tcp", "ioctl_dev", "scope", "net_udp"])
    );
    assert_eq!(json["ruleset"]["port_rules"], json!([]));
    assert_eq!(json["ruleset"]["socket_filter"], "tcp_udp_only");
    assert!(
        json["network"].as_str().unwrap().contains("NOT enforced"),
        "{json:#}"
    );
    let text = dry_text(&s, &flags);
    assert!(
        text.contains("gap: net_tcp: needs ABI 4 (Linux 6.7)"),
        "{text}"
    );
    assert!(text.contains("gap: net_udp: needs ABI 10"), "{text}");

    // --strict: refused, and the command does not run.
    let mut strict = vec!["--strict", "--allow", "."];
    strict.extend(flags);
    s.run(run_args(&strict, ["touch", "MARKER"]))
        .expect_nono_error("--strict")
        .expect_stderr("net_tcp");
    assert_absent(&s.join("MARKER"));

    // Without --strict it runs, warns, and the gap is real: an unlisted port
    // is reachable. The seccomp part still holds.
    let tok = token("abi3-gap");
    probe_under(&s, &flags, "connect", &[&other.port(), &tok])
        .expect_probe_ok()
        .expect_stderr("warning")
        .expect_stderr("net_tcp");
    assert_eq!(other.received().as_deref(), Some(tok.as_str()));
    probe_under(
        &s,
        &flags,
        "socket",
        &["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"],
    )
    .expect_errno_at("EACCES", "socket");
}
