//! ABI 4: TCP bind and connect, with one rule per allowed port.
//!
//! Under `--net-block` both rights are handled and no port is granted. Under
//! `--net-connect`/`--net-bind` only the listed ports are. Below ABI 4 a
//! block is still enforced, by the seccomp fallback; port rules cannot be.

use super::{Lowering, Pass};
use nono_model::{Abi, NetPolicy, NetRights, PortRule, Requirement};
use std::collections::BTreeMap;

fn lower_net_tcp(lowering: &mut Lowering<'_>) {
    let (connect, bind) = match &lowering.intent.net {
        NetPolicy::Unrestricted => return,
        NetPolicy::Block => (Default::default(), Default::default()),
        NetPolicy::Ports { connect, bind, .. } => (connect.clone(), bind.clone()),
    };
    lowering.ruleset.handled_net = NetRights::BIND_TCP | NetRights::CONNECT_TCP;
    let mut ports: BTreeMap<u16, NetRights> = BTreeMap::new();
    for port in connect {
        *ports.entry(port).or_default() |= NetRights::CONNECT_TCP;
    }
    for port in bind {
        *ports.entry(port).or_default() |= NetRights::BIND_TCP;
    }
    lowering.ruleset.port_rules = ports
        .into_iter()
        .map(|(port, rights)| PortRule { port, rights })
        .collect();
    if matches!(lowering.intent.net, NetPolicy::Ports { .. }) {
        lowering.note(
            "listen() on a socket that was never bound takes an ephemeral port without a bind check (a Landlock limitation up to ABI 7)",
        );
    }
}

fn without_net_tcp(lowering: &mut Lowering<'_>) {
    match lowering.intent.net {
        NetPolicy::Unrestricted => {}
        NetPolicy::Block => {
            lowering.note("TCP is blocked by the seccomp socket filter instead (no socket but AF_UNIX can be created)");
        }
        NetPolicy::Ports { .. } => {
            lowering.gap_below("TCP to and on any port");
        }
    }
}

/// The `net_tcp` pass.
pub const PASS: Pass = Pass {
    name: "net_tcp",
    requires: Requirement::Landlock(Abi::V4),
    lower: lower_net_tcp,
    without: without_net_tcp,
};
