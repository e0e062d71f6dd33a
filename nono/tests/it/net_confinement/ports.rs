//! `--net-connect` and `--net-bind`: only the listed TCP ports.

use super::*;
use crate::common::{assert_absent, dry_text};

#[test]
fn net_connect_allows_only_the_listed_port() {
    let s = Scratch::new();
    let allowed = TcpPeer::new();
    let other = TcpPeer::new();
    let (p, q) = (allowed.port(), other.port());
    let flags = ["--net-connect", p.as_str()];

    let tok = token("connect-allowed");
    let out = probe_under(&s, &flags, "connect", &[&p, &tok]);
    out.expect_probe_ok();
    // Below ABI 10 UDP is not filtered by port: the gap is named.
    assert_eq!(
        out.stderr.contains("net_udp"),
        effective_abi() < 10,
        "{out:#?}"
    );
    assert_eq!(allowed.received().as_deref(), Some(tok.as_str()));

    // Landlock refuses the connect itself: the socket is created.
    let tok = token("connect-other");
    let refused = probe_under(&s, &flags, "connect", &[&q, &tok])
        .denied_from(4, "net_tcp", "EACCES", "connect");
    assert_eq!(
        other.received(),
        reached(refused, &tok),
        "the unlisted port"
    );
    // Twin: the unlisted listener is reachable without the flag.
    probe_under(&s, &[], "connect", &[&q, &tok]).expect_probe_ok();
    assert_eq!(other.received().as_deref(), Some(tok.as_str()));

    // Connecting is all --net-connect grants: binding any port is refused.
    let [free] = free_ports();
    probe_under(&s, &flags, "bind", &[&free]).denied_from(4, "net_tcp", "EACCES", "bind");
    // p is in use (its peer listens there): below ABI 4 nothing refuses the
    // bind, which the network stack then fails.
    let out = probe_under(&s, &flags, "bind", &[&p]);
    if abi_has(4) {
        out.expect_errno_at("EACCES", "bind");
    } else {
        out.expect_errno_at("EADDRINUSE", "bind")
            .expect_stderr("net_tcp");
    }
}

#[test]
fn net_connect_takes_comma_lists_and_repeats() {
    let s = Scratch::new();
    let peers = [TcpPeer::new(), TcpPeer::new(), TcpPeer::new()];
    let [a, b, c] = [peers[0].port(), peers[1].port(), peers[2].port()];
    let outside = TcpPeer::new();
    let comma = format!("{a},{b}");
    let flags = ["--net-connect", comma.as_str(), "--net-connect", c.as_str()];
    for (peer, port) in peers.iter().zip([&a, &b, &c]) {
        let tok = token(&format!("list-{port}"));
        probe_under(&s, &flags, "connect", &[port, &tok]).expect_probe_ok();
        assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
    }
    let tok = token("list-outside");
    let refused = probe_under(&s, &flags, "connect", &[&outside.port(), &tok])
        .denied_from(4, "net_tcp", "EACCES", "connect");
    assert_eq!(outside.received(), reached(refused, &tok));

    // The dry run lists one rule per port, sorted, and says how each part
    // is enforced (below ABI 4: that the ports are not).
    let text = dry_text(&s, &flags);
    if !abi_has(4) {
        assert!(!text.contains("tcp port "), "{text}");
        assert!(text.contains("gap: net_tcp: needs ABI 4"), "{text}");
        assert!(text.contains("gap: net_udp: needs ABI 10"), "{text}");
        return;
    }
    let mut sorted = [&a, &b, &c].map(|p| p.parse::<u16>().unwrap());
    sorted.sort_unstable();
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("tcp port "))
        .collect();
    let want: Vec<String> = sorted.iter().map(|p| format!("{p}: connect_tcp")).collect();
    assert_eq!(lines, want, "{text}");
    if effective_abi() < 10 {
        assert!(text.contains("Network: TCP only on ports ["), "{text}");
        assert!(text.contains("UDP unfiltered"), "{text}");
        assert!(text.contains("gap: net_udp: needs ABI 10"), "{text}");
    } else {
        assert!(
            text.contains("Network: TCP and UDP only on ports ["),
            "{text}"
        );
        assert!(!text.contains("gap: net_udp"), "{text}");
    }
}

/// Under TCP port rules, UDP sockets can still be created (Landlock judges
/// ports, not sockets); below ABI 10 a datagram reaches any port, from ABI
/// 10 only a `udp:` port (see the next test).
#[test]
fn net_connect_keeps_udp_usable() {
    let s = Scratch::new();
    let tcp = TcpPeer::new();
    let udp = UdpPeer::new();
    let port = tcp.port();
    let flags = ["--net-connect", port.as_str()];
    let tok = token("udp-ports");
    let out = probe_under(&s, &flags, "udp-send", &[&udp.port(), &tok]);
    if effective_abi() < 10 {
        out.expect_probe_ok();
        assert_eq!(udp.received().as_deref(), Some(tok.as_str()));
    } else {
        out.expect_errno_at("EACCES", "sendto");
        assert_eq!(udp.received(), None);
    }
    probe_under(
        &s,
        &flags,
        "socket",
        &["AF_INET6", "SOCK_DGRAM", "IPPROTO_UDP"],
    )
    .expect_probe_ok();
    // Route netlink stays (getaddrinfo asks it for addresses).
    probe_under(&s, &flags, "socket", &["AF_NETLINK", "SOCK_RAW", "0"]).expect_probe_ok();
}

/// `--net-connect udp:P`: from ABI 10 the kernel lets a datagram go to P and
/// refuses it to any other port at `sendto` (twin: the same send without a
/// flag arrives), and port rules are FullyEnforced; below ABI 10 the datagram
/// to the other port still arrives, and `net_udp` is named as the gap, so
/// that nothing claims what the kernel does not do.
#[test]
fn net_connect_udp_port_allows_only_that_udp_port_at_abi_10() {
    let s = Scratch::new();
    let listed = UdpPeer::new();
    let other = UdpPeer::new();
    let (p, q) = (listed.port(), other.port());
    let udp_p = format!("udp:{p}");
    let flags = ["-v", "--net-connect", udp_p.as_str()];

    let tok = token("udp-listed");
    let out = probe_under(&s, &flags, "udp-send", &[&p, &tok]);
    out.expect_probe_ok();
    assert_eq!(listed.received().as_deref(), Some(tok.as_str()));

    let tok = token("udp-other");
    let to_other = probe_under(&s, &flags, "udp-send", &[&q, &tok]);
    if effective_abi() >= 10 {
        to_other.expect_errno_at("EACCES", "sendto");
        assert_eq!(other.received(), None, "the unlisted UDP port was reached");
        assert!(
            out.stderr.contains("Sandbox status: FullyEnforced"),
            "{out:#?}"
        );
        assert!(!out.stderr.contains("net_udp"), "{out:#?}");
    } else {
        to_other.expect_probe_ok();
        assert_eq!(other.received().as_deref(), Some(tok.as_str()));
        assert!(out.stderr.contains("net_udp"), "{out:#?}");
    }
    // Twin: the unlisted port is reachable without the flag.
    let tok = token("udp-other-free");
    probe_under(&s, &[], "udp-send", &[&q, &tok]).expect_probe_ok();
    assert_eq!(other.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn net_connect_refuses_raw_packet_mptcp_and_other_netlink_sockets() {
    let s = Scratch::new();
    let flags = ["--net-connect", "443"];
    let kinds: [[&str; 3]; 6] = [
        ["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"],
        ["AF_INET6", "SOCK_RAW", "IPPROTO_ICMPV6"],
        ["AF_PACKET", "SOCK_RAW", "0"],
        ["AF_INET", "SOCK_STREAM", "262"],  // MPTCP
        ["AF_INET6", "SOCK_STREAM", "262"], // MPTCP
        ["AF_NETLINK", "SOCK_DGRAM", "15"], // NETLINK_KOBJECT_UEVENT
    ];
    for kind in kinds {
        probe_under(&s, &flags, "socket", &kind).expect_errno_at("EACCES", "socket");
    }
    // SCTP is refused by the filter before the kernel looks for the
    // protocol (this kernel has no SCTP: EPROTONOSUPPORT without a filter).
    probe_under(&s, &flags, "socket", &["AF_INET", "SOCK_STREAM", "132"])
        .expect_errno_at("EACCES", "socket");
    let unfiltered = probe_under(&s, &[], "socket", &["AF_INET", "SOCK_STREAM", "132"]);
    assert_ne!(unfiltered.stdout.trim(), "EACCES", "{unfiltered:#?}");

    // Twin: as root, keeping capabilities, every one of them can be
    // created without the flag.
    assert!(has_cap_net_raw(), "this test needs CAP_NET_RAW (root)");
    for kind in kinds {
        probe_under(&s, &["--keep-caps"], "socket", &kind).expect_probe_ok();
    }
}

#[test]
fn net_bind_allows_only_the_listed_port() {
    let s = Scratch::new();
    let [p, q] = free_ports();
    let flags = ["--net-bind", p.as_str()];
    probe_under(&s, &flags, "bind", &[&p]).expect_probe_ok();
    probe_under(&s, &flags, "bind", &[&q]).denied_from(4, "net_tcp", "EACCES", "bind");
    // Twin: q binds without the flag.
    probe_under(&s, &[], "bind", &[&q]).expect_probe_ok();
    // An ephemeral port (bind to port 0) is a port like any other: refused
    // unless `--net-bind 0` is given, which in turn grants no fixed port.
    probe_under(&s, &flags, "bind", &["0"]).denied_from(4, "net_tcp", "EACCES", "bind");
    probe_under(&s, &["--net-bind", "0"], "bind", &["0"]).expect_probe_ok();
    probe_under(&s, &["--net-bind", "0"], "bind", &[&q])
        .denied_from(4, "net_tcp", "EACCES", "bind");

    // Binding is all --net-bind grants: no outbound TCP, even to p.
    let peer = TcpPeer::new();
    let tok = token("bind-only-connect");
    let refused = probe_under(&s, &flags, "connect", &[&peer.port(), &tok])
        .denied_from(4, "net_tcp", "EACCES", "connect");
    assert_eq!(peer.received(), reached(refused, &tok));

    // Both flags together: each grants its own.
    let peer_port = peer.port();
    let both = [
        "--net-bind",
        p.as_str(),
        "--net-connect",
        peer_port.as_str(),
    ];
    probe_under(&s, &both, "bind", &[&p]).expect_probe_ok();
    probe_under(&s, &both, "connect", &[&peer.port(), &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn bad_ports_and_conflicting_flags_are_one_line_usage_errors() {
    let s = Scratch::new();
    for (flag, value) in [
        ("--net-connect", "0"),
        ("--net-connect", "70000"),
        ("--net-connect", "abc"),
        ("--net-connect", ""),
        ("--net-connect", "80,"),
        ("--net-connect", "-1"),
        ("--net-bind", "70000"),
        ("--net-bind", "abc"),
        ("--net-bind", ""),
    ] {
        let arg = format!("{flag}={value}");
        let out = s.run(run_args(
            [arg.as_str(), "--allow", "."],
            ["touch", "MARKER"],
        ));
        out.expect_nono_error(flag);
        assert_absent(&s.join("MARKER"));
    }
    for flags in [
        ["--net-block", "--net-connect", "1"],
        ["--net-bind", "1", "--net-block"],
    ] {
        let mut all = flags.to_vec();
        all.extend(["--allow", "."]);
        let out = s.run(run_args(all, ["touch", "MARKER"]));
        out.expect_nono_error("--net-block");
        assert_absent(&s.join("MARKER"));
    }
    // Twin: good values run.
    s.run(run_args(
        [
            "--net-connect",
            "1,65535",
            "--net-bind",
            "0",
            "--allow",
            ".",
        ],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert!(s.join("MARKER").exists());
}
