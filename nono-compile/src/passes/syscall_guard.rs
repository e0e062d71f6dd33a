//! Any ABI: the syscall guard, for what Landlock does not cover at all.
//!
//! Channels out of the sandbox that no Landlock right governs and that
//! need no path decision, closed with a static seccomp filter on every run
//! (see `nono-enforce`'s seccomp module for the filter, and
//! [`SyscallGuard::REFUSED`] for the fixed list): typing into or breaking
//! the terminal the command inherited; setuid/setgid bits by any call;
//! the limits, priorities and CPUs of processes outside (by pid);
//! kernel keyrings; io_uring, whose requests no filter sees; BPF, whole-CPU
//! performance monitoring, fanotify and the kernel log.
//!
//! What depends on the policy:
//!
//! - under port rules (`--net-connect`, `--net-bind`), TCP Fast Open data
//!   (`MSG_FASTOPEN`) is refused: it connects without a `connect()`, and
//!   Landlock checks only `connect()` (and `bind()`), so a Fast Open would
//!   reach any port. `--net-block` has no TCP socket to send it on, and
//!   without network rules there is nothing to bypass.
//! - System V IPC: by default a private IPC namespace where nono can make
//!   one without a user namespace (as root), else the calls are refused;
//!   `--allow-sysv-ipc` asks for a private namespace wherever one can be had
//!   (a user namespace otherwise) and falls back to the host's.
//!
//! The guard needs seccomp only, so it is the same at every ABI and makes
//! no gap. Other mode, owner and timestamp changes on files outside the
//! grants stay possible (for root, owner changes need the capabilities
//! nono drops); the README says so.

use super::{Lowering, Pass};
use nono_model::{NetPolicy, Requirement, SyscallGuard, SysvIpc};

fn lower_syscall_guard(lowering: &mut Lowering<'_>) {
    let intent = lowering.intent;
    lowering.ruleset.syscall_guard = Some(SyscallGuard {
        refuse_fast_open: matches!(intent.net, NetPolicy::Ports { .. }),
        sysv_ipc: if intent.allow_sysv_ipc {
            SysvIpc::PrivateOrShared
        } else {
            SysvIpc::PrivateOrRefused
        },
    });
}

fn without_syscall_guard(lowering: &mut Lowering<'_>) {
    lowering.gap_below(
        "typing into the terminal, setuid/setgid bits, other processes' limits, keyrings and System V IPC",
    );
}

/// The `syscall_guard` pass (needs no Landlock feature; runs at every ABI).
pub const PASS: Pass = Pass {
    name: "syscall_guard",
    requires: Requirement::Seccomp,
    lower: lower_syscall_guard,
    without: without_syscall_guard,
};

#[cfg(test)]
mod tests {
    use crate::passes::{Host, Intent, lower};
    use nono_model::{Abi, NetPolicy, SyscallGuard, SysvIpc};
    use std::collections::BTreeSet;

    fn guard(abi: Abi, intent: &Intent) -> SyscallGuard {
        let lowered = lower(Host::landlock(abi), &[], intent);
        assert!(lowered.gaps.iter().all(|g| g.feature != "syscall_guard"));
        lowered
            .ruleset
            .syscall_guard
            .expect("the guard is always on")
    }

    #[test]
    fn the_guard_is_on_at_every_abi_whatever_the_policy() {
        for abi in Abi::known() {
            let g = guard(abi, &Intent::default());
            assert!(!g.refuse_fast_open, "ABI {abi}");
            assert_eq!(g.sysv_ipc, SysvIpc::PrivateOrRefused, "ABI {abi}");
        }
    }

    #[test]
    fn fast_open_is_refused_exactly_under_port_rules() {
        let ports = NetPolicy::Ports {
            connect: BTreeSet::from([443]),
            bind: BTreeSet::new(),
            udp_connect: BTreeSet::new(),
            udp_bind: BTreeSet::new(),
        };
        let bind_only = NetPolicy::Ports {
            connect: BTreeSet::new(),
            bind: BTreeSet::from([8080]),
            udp_connect: BTreeSet::new(),
            udp_bind: BTreeSet::new(),
        };
        for abi in Abi::known() {
            for (net, refused) in [
                (NetPolicy::Unrestricted, false),
                (NetPolicy::Block, false),
                (ports.clone(), true),
                (bind_only.clone(), true),
            ] {
                let intent = Intent {
                    net: net.clone(),
                    ..Intent::default()
                };
                assert_eq!(guard(abi, &intent).refuse_fast_open, refused, "{net:?}");
            }
        }
    }

    #[test]
    fn allow_sysv_ipc_asks_for_a_namespace_or_the_hosts() {
        let intent = Intent {
            allow_sysv_ipc: true,
            ..Intent::default()
        };
        assert_eq!(
            guard(Abi::LATEST, &intent).sysv_ipc,
            SysvIpc::PrivateOrShared
        );
    }

    #[test]
    fn the_fast_open_line_is_listed_only_when_refused() {
        let mut g = guard(Abi::LATEST, &Intent::default());
        assert_eq!(g.refused(), SyscallGuard::REFUSED.to_vec());
        g.refuse_fast_open = true;
        let lines = g.refused();
        assert_eq!(lines.len(), SyscallGuard::REFUSED.len() + 1);
        assert!(lines.iter().any(|l| l.contains("MSG_FASTOPEN")));
    }
}
