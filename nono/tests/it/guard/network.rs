//! TCP Fast Open under port rules.

use super::*;

/// Under `--net-connect` to another port, Fast Open data connects to the
/// server without the `connect()` Landlock checks: the guard refuses
/// `MSG_FASTOPEN` on all three calls, on IPv4 and IPv6, and the server
/// hears nothing. Twins: the same probes reach the server unconfined and
/// under nono without port rules.
#[test]
fn fast_open_cannot_reach_a_port_the_rules_do_not_grant() {
    let s = scratch();
    let server = Server::start();
    let port = server.port();
    let ops = [
        ("fastopen", "sendto MSG_FASTOPEN"),
        ("fastopen6", "sendto MSG_FASTOPEN"),
        ("fastopen-sendmsg", "sendmsg MSG_FASTOPEN"),
        ("fastopen-sendmmsg", "sendmmsg MSG_FASTOPEN"),
    ];
    for (op, step) in ops {
        inside(&s, Who::Root, &["--net-connect", "443"], op, &[&port]).refused("EACCES", step);
        inside(&s, Who::Nobody, &["--net-connect", "443"], op, &[&port]).refused("EACCES", step);
        // The granted port is refused too: seccomp cannot see the address.
        inside(&s, Who::Root, &["--net-connect", &port], op, &[&port]).refused("EACCES", step);
        inside(&s, Who::Root, &["--net-bind", "8080"], op, &[&port]).refused("EACCES", step);
    }
    assert_eq!(server.heard(), Vec::<String>::new());
    for (op, _) in ops {
        let reply = format!("pong:{op}");
        assert_eq!(
            outside(&s, Who::Root, op, &[&port]).works(),
            [reply.as_str()]
        );
        assert_eq!(inside(&s, Who::Root, &[], op, &[&port]).works(), [reply]);
    }
    // Without port rules there is nothing to bypass; --net-block has no TCP
    // socket at all.
    inside(&s, Who::Root, &["--net-block"], "fastopen", &[&port]).refused("EACCES", "socket");
}

/// `TCP_FASTOPEN_CONNECT` defers the handshake to the first write, but the
/// destination comes from `connect()`, which Landlock checks: refused on
/// another port, a reply on the granted one. No guard entry is needed. On a
/// kernel without port rules (below ABI 4, the kernel matrix's 6.1) nothing
/// checks the `connect()`, for Fast Open as for a plain connect: both reach
/// the server, and nono names the `net_tcp` gap.
#[test]
fn fast_open_connect_goes_through_the_checked_connect() {
    let s = scratch();
    let server = Server::start();
    let port = server.port();
    for op in ["tfo-connect", "connect"] {
        let out = inside(&s, Who::Root, &["--net-connect", "443"], op, &[&port]);
        if abi_has(4) {
            out.refused("EACCES", "connect");
        } else {
            assert_eq!(out.works(), [format!("pong:{op}")]);
            assert!(out.stderr.contains("net_tcp: needs ABI 4"), "{out:#?}");
        }
    }
    let heard: &[&str] = if abi_has(4) {
        &[]
    } else {
        &["tfo-connect", "connect"]
    };
    assert_eq!(server.heard(), heard);
    assert_eq!(
        inside(
            &s,
            Who::Root,
            &["--net-connect", &port],
            "tfo-connect",
            &[&port]
        )
        .works(),
        ["pong:tfo-connect"]
    );
    assert_eq!(
        inside(
            &s,
            Who::Root,
            &["--net-connect", &port],
            "connect",
            &[&port]
        )
        .works(),
        ["pong:connect"]
    );
}

// ---------------------------------------------------------------------------
// 2. Other processes' limits and priorities.
// ---------------------------------------------------------------------------
