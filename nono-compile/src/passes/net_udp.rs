//! ABI 10: UDP bind and connect/send, with port rules.
//!
//! Under any `--net-*` restriction both UDP rights are handled. Under
//! `--net-block` no port is granted. Under port rules only the `udp:`
//! ports are (`--net-connect udp:53`, `--net-bind udp:5353`); a plain port
//! is TCP, as it always was. A UDP connect port also grants binding port 0:
//! the kernel binds an unbound socket to an ephemeral port on its first
//! `connect` or `sendto`, and Landlock checks that bind as BindUdp on port
//! 0 (an ephemeral port the kernel picks, never a chosen one).
//!
//! Below ABI 10 a block is still enforced by the seccomp socket filter (no
//! UDP socket can be created); port rules cannot govern UDP, which stays
//! usable on every port: the `net_udp` gap.

use super::{Lowering, Pass};
use nono_model::{Abi, NetPolicy, NetRights, PortRule, Requirement};
use std::collections::BTreeMap;

fn lower_net_udp(lowering: &mut Lowering<'_>) {
    let (connect, bind) = match &lowering.intent.net {
        NetPolicy::Unrestricted => return,
        NetPolicy::Block => (Default::default(), Default::default()),
        NetPolicy::Ports {
            udp_connect,
            udp_bind,
            ..
        } => (udp_connect.clone(), udp_bind.clone()),
    };
    lowering.ruleset.handled_net |= NetRights::BIND_UDP | NetRights::CONNECT_SEND_UDP;
    let mut ports: BTreeMap<u16, NetRights> = lowering
        .ruleset
        .port_rules
        .iter()
        .map(|r| (r.port, r.rights))
        .collect();
    for port in &connect {
        *ports.entry(*port).or_default() |= NetRights::CONNECT_SEND_UDP;
    }
    if !connect.is_empty() {
        *ports.entry(0).or_default() |= NetRights::BIND_UDP;
    }
    for port in bind {
        *ports.entry(port).or_default() |= NetRights::BIND_UDP;
    }
    lowering.ruleset.port_rules = ports
        .into_iter()
        .map(|(port, rights)| PortRule { port, rights })
        .collect();
}

fn without_net_udp(lowering: &mut Lowering<'_>) {
    if let NetPolicy::Ports {
        udp_connect,
        udp_bind,
        ..
    } = &lowering.intent.net
    {
        // --net-allow without UDP ports: the seccomp socket filter refuses
        // UDP sockets altogether (net_proxy), so nothing is lost.
        let proxied_only = !lowering.intent.hosts.is_empty()
            && udp_connect.is_empty()
            && udp_bind.is_empty()
            && lowering.host.seccomp
            && lowering.host.supervisor;
        if proxied_only {
            lowering.note("no UDP socket at all (--net-allow: the proxy resolves names; the seccomp socket filter refuses UDP)");
        } else {
            lowering.gap_below("UDP to and from any port");
        }
    }
}

/// The `net_udp` pass.
pub const PASS: Pass = Pass {
    name: "net_udp",
    requires: Requirement::Landlock(Abi::V10),
    lower: lower_net_udp,
    without: without_net_udp,
};
