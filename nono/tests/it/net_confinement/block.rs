//! `--net-block`; no `--net-*` flag; io_uring under any of them.

use super::*;
use crate::common::{assert_absent, dry_json, gap_features};
use serde_json::{Value, json};

#[test]
fn net_block_refuses_tcp_connect_and_the_same_connect_works_without_it() {
    let s = Scratch::new();
    let peer = TcpPeer::new();
    let port = peer.port();

    let tok = token("tcp-blocked");
    probe_under(&s, &["--net-block"], "connect", &[&port, &tok])
        .expect_errno_at("EACCES", "socket");
    assert_eq!(
        peer.received(),
        None,
        "a blocked probe reached the listener"
    );

    // Twin: the same connect, without --net-block, reaches the listener.
    let tok = token("tcp-open");
    probe_under(&s, &[], "connect", &[&port, &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn net_block_refuses_tcp_bind() {
    let s = Scratch::new();
    let [port] = free_ports();
    probe_under(&s, &["--net-block"], "bind", &[&port]).expect_errno_at("EACCES", "socket");
    probe_under(&s, &[], "bind", &[&port]).expect_probe_ok();
}

#[test]
fn net_block_refuses_udp_so_a_dns_style_datagram_never_arrives() {
    let s = Scratch::new();
    let peer = UdpPeer::new();
    let port = peer.port();

    probe_under(
        &s,
        &["--net-block"],
        "socket",
        &["AF_INET", "SOCK_DGRAM", "0"],
    )
    .expect_errno_at("EACCES", "socket");
    probe_under(
        &s,
        &["--net-block"],
        "socket",
        &["AF_INET6", "SOCK_DGRAM", "0"],
    )
    .expect_errno_at("EACCES", "socket");
    let tok = token("udp-blocked");
    probe_under(&s, &["--net-block"], "udp-send", &[&port, &tok])
        .expect_errno_at("EACCES", "socket");
    assert_eq!(peer.received(), None, "a blocked datagram arrived");

    // Twin: without --net-block the datagram arrives.
    let tok = token("udp-open");
    probe_under(&s, &[], "udp-send", &[&port, &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn net_block_refuses_raw_packet_and_netlink_sockets() {
    let s = Scratch::new();
    let kinds: [[&str; 3]; 4] = [
        ["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"],
        ["AF_PACKET", "SOCK_RAW", "0"],
        ["AF_NETLINK", "SOCK_RAW", "0"],
        ["AF_INET", "SOCK_STREAM", "262"], // MPTCP
    ];
    for kind in kinds {
        probe_under(&s, &["--net-block"], "socket", &kind).expect_errno_at("EACCES", "socket");
    }
    // Twin: the test runs as root (CAP_NET_RAW), and without --net-block,
    // keeping root's capabilities, the probe can create every one of them.
    assert!(has_cap_net_raw(), "this test needs CAP_NET_RAW (root)");
    for kind in kinds {
        probe_under(&s, &["--keep-caps"], "socket", &kind).expect_probe_ok();
    }
}

#[test]
fn net_block_keeps_unix_sockets_working() {
    let s = Scratch::new();
    s.mkdir("rw");
    probe_under(&s, &["--net-block"], "socketpair", &[]).expect_probe_ok();
    probe_under(
        &s,
        &["--net-block", "--allow", "rw"],
        "unix-path",
        &["rw/sock"],
    )
    .expect_probe_ok();
    probe_under(
        &s,
        &["--net-block"],
        "socket",
        &["AF_UNIX", "SOCK_DGRAM", "0"],
    )
    .expect_probe_ok();
    // The pathname socket still needs its filesystem grant (MakeSock):
    // the network flags add nothing to the filesystem.
    s.mkdir("ro");
    probe_under(
        &s,
        &["--net-block", "--read", "ro"],
        "unix-path",
        &["ro/sock"],
    )
    .expect_errno_at("EACCES", "bind");
    assert_absent(&s.join("ro/sock"));
}

#[test]
fn net_block_is_fully_enforced_at_the_kernel_abi() {
    let s = Scratch::new();
    let json = dry_json(&s, &["--net-block"]);
    // The block adds no gap at any ABI; a kernel below ABI 6 has its
    // filesystem and scope gaps.
    let gaps = gaps_at(7, &["truncate", "ioctl_dev", "scope"]);
    assert_eq!(json["predicted_status"], status(&gaps), "{json:#}");
    assert_eq!(gap_features(&json), gaps);
    // TCP from ABI 4, UDP too from ABI 10, no port granted.
    let handled = if abi_has(10) {
        json!(["bind_tcp", "connect_tcp", "bind_udp", "connect_send_udp"])
    } else if abi_has(4) {
        json!(["bind_tcp", "connect_tcp"])
    } else {
        json!([])
    };
    assert_eq!(json["ruleset"]["handled_net"], handled);
    assert_eq!(json["ruleset"]["port_rules"], json!([]));
    assert_eq!(json["ruleset"]["socket_filter"], "unix_only");
    let network = json["network"].as_str().unwrap();
    assert!(
        network.contains("Landlock") && network.contains("seccomp"),
        "{network}"
    );
    // Below ABI 4, the filter alone.
    assert_eq!(
        network.contains("entirely by seccomp"),
        !abi_has(4),
        "{network}"
    );
    // So --strict runs it (where the kernel has no other gap).
    let out = s.run(run_args(
        ["--strict", "-v", "--net-block", "--allow", "."],
        ["touch", "MARKER"],
    ));
    if gaps.is_empty() {
        out.expect_ok()
            .expect_stderr("Sandbox status: FullyEnforced")
            .expect_no_stderr("warning");
        assert!(s.join("MARKER").exists());
    } else {
        out.expect_nono_error("--strict")
            .expect_no_stderr("net_tcp");
        assert_absent(&s.join("MARKER"));
    }
}

// ---------------------------------------------------------------------------
// No --net-* flag.
// ---------------------------------------------------------------------------

#[test]
fn without_net_flags_the_network_is_unrestricted() {
    let s = Scratch::new();
    let tcp = TcpPeer::new();
    let udp = UdpPeer::new();

    let tok = token("free-tcp");
    probe_under(&s, &[], "connect", &[&tcp.port(), &tok]).expect_probe_ok();
    assert_eq!(tcp.received().as_deref(), Some(tok.as_str()));
    let tok = token("free-udp");
    probe_under(&s, &[], "udp-send", &[&udp.port(), &tok]).expect_probe_ok();
    assert_eq!(udp.received().as_deref(), Some(tok.as_str()));
    let [free] = free_ports();
    probe_under(&s, &[], "bind", &[&free]).expect_probe_ok();
    // Raw sockets need root's CAP_NET_RAW, which nono drops unless kept:
    // with --keep-caps no network restriction stands in the way.
    assert!(has_cap_net_raw(), "this test needs CAP_NET_RAW (root)");
    probe_under(
        &s,
        &["--keep-caps"],
        "socket",
        &["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"],
    )
    .expect_probe_ok();
    probe_under(&s, &[], "socket", &["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"])
        .expect_errno_at("EPERM", "socket");

    let json = dry_json(&s, &[]);
    assert_eq!(json["network"], "unrestricted");
    assert_eq!(json["ruleset"]["handled_net"], json!([]));
    assert_eq!(json["ruleset"]["port_rules"], json!([]));
    assert_eq!(json["ruleset"]["socket_filter"], Value::Null);
    assert_eq!(
        json["predicted_status"],
        status(&gaps_at(7, &["truncate", "ioctl_dev", "scope"]))
    );
}

// ---------------------------------------------------------------------------
// io_uring.
// ---------------------------------------------------------------------------

#[test]
fn io_uring_is_refused_under_any_net_flag() {
    let s = Scratch::new();
    probe_under(&s, &["--net-block"], "io-uring", &[]).expect_errno_at("EACCES", "io_uring_setup");
    probe_under(&s, &["--net-connect", "443"], "io-uring", &[])
        .expect_errno_at("EACCES", "io_uring_setup");
    probe_under(&s, &["--net-bind", "8080"], "io-uring", &[])
        .expect_errno_at("EACCES", "io_uring_setup");
    probe_under(&s, &["--abi", "3", "--net-block"], "io-uring", &[])
        .expect_errno_at("EACCES", "io_uring_setup");
    // Without a --net-* flag the syscall guard refuses it too (its requests
    // would bypass the guard's checks; see the guard module).
    probe_under(&s, &[], "io-uring", &[]).expect_errno_at("EACCES", "io_uring_setup");
    // Twin: this kernel allows io_uring (io_uring_disabled = 0), and the
    // probe sets one up unsandboxed.
    let disabled = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|_| "0".to_owned());
    assert_eq!(disabled, "0", "this test needs io_uring enabled");
    let argv = probe("io-uring", &[]);
    Outcome::of(
        Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(s.path()),
    )
    .expect_probe_ok();
}
