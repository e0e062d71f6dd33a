//! The supervisor: what it judges on the command's behalf.
//!
//! Landlock has no right for these, so a seccomp user-notification filter
//! hands them to nono's supervising process, which resolves the path the
//! call names, asks the same evaluator as `nono why` and performs the call
//! itself (DESIGN.md section 7.2):
//!
//! - `connect`/`sendto`/`sendmsg` to pathname Unix sockets: only at or
//!   below an `--allow-unix` path, or to a socket the sandbox bound itself;
//!   below ABI 9 only: from ABI 9 the kernel judges them (the
//!   `resolve_unix` pass) and the supervisor is not asked;
//! - mode, owner, time and extended-attribute changes: only where Write is
//!   granted;
//! - `inotify_add_watch`: only where Read is granted.

use super::{Lowering, Pass, resolve_unix};
use nono_model::{Requirement, Supervision};

fn lower_supervise(lowering: &mut Lowering<'_>) {
    lowering.ruleset.supervision = Supervision {
        unix_sockets: !lowering.host.provides(resolve_unix::PASS.requires),
        metadata: true,
        inotify: true,
        inet_destinations: false,
    };
}

fn without_supervise(lowering: &mut Lowering<'_>) {
    lowering.gap_below("connect/send to pathname Unix sockets, metadata changes and inotify watches anywhere the filesystem rules reach");
}

/// The `supervise` pass (needs no Landlock feature, only the supervisor).
pub const PASS: Pass = Pass {
    name: "supervise",
    requires: Requirement::Supervisor,
    lower: lower_supervise,
    without: without_supervise,
};

#[cfg(test)]
mod tests {
    use crate::passes::{Host, Intent, lower};
    use nono_model::Abi;

    #[test]
    fn every_abi_is_supervised_for_metadata_and_inotify_and_below_9_for_sockets() {
        for abi in Abi::known() {
            let lowered = lower(Host::landlock(abi), &[], &Intent::default());
            let s = lowered.ruleset.supervision;
            assert!(s.metadata && s.inotify, "ABI {abi}");
            assert_eq!(s.unix_sockets, abi < Abi::V9, "ABI {abi}");
            assert!(lowered.gaps.iter().all(|g| g.feature != "supervise"));
        }
    }

    #[test]
    fn without_the_supervisor_its_calls_are_a_gap() {
        let host = Host {
            supervisor: false,
            ..Host::landlock(Abi::LATEST)
        };
        let lowered = lower(host, &[], &Intent::default());
        assert!(lowered.ruleset.supervision.is_empty());
        assert!(lowered.gaps.iter().any(|g| g.feature == "supervise"));
    }
}
