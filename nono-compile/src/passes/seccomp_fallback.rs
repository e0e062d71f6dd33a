//! Any ABI: a seccomp socket filter for what Landlock cannot enforce.
//!
//! Landlock filters TCP (ABI 4) and UDP (ABI 10) by port, nothing else.
//! Under `--net-block` the filter lets the sandbox create only `AF_UNIX`
//! sockets, which also closes UDP (DNS) below ABI 10, raw, packet, MPTCP
//! and SCTP sockets, and enforces the block on kernels without ABI 4. Under
//! port rules it keeps TCP and UDP usable and refuses the rest; UDP ports
//! are Landlock's from ABI 10 (the `net_udp` pass, which names the gap
//! below it).

use super::{Lowering, Pass};
use nono_model::{NetPolicy, Requirement, SocketFilter};

fn lower_seccomp_fallback(lowering: &mut Lowering<'_>) {
    lowering.ruleset.socket_filter = match lowering.intent.net {
        NetPolicy::Unrestricted => None,
        NetPolicy::Block => Some(SocketFilter::UnixOnly),
        NetPolicy::Ports { .. } => Some(SocketFilter::TcpUdpOnly),
    };
}

fn without_seccomp_fallback(lowering: &mut Lowering<'_>) {
    if lowering.intent.net.is_restricted() {
        lowering.gap_below("the network beyond Landlock's TCP rules (UDP, raw and other sockets)");
    }
}

/// The `seccomp_fallback` pass (needs no Landlock feature; runs at every
/// ABI).
pub const PASS: Pass = Pass {
    name: "seccomp_fallback",
    requires: Requirement::Seccomp,
    lower: lower_seccomp_fallback,
    without: without_seccomp_fallback,
};
