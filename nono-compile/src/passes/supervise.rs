//! Any ABI: what the supervisor judges on the command's behalf.
//!
//! Landlock has no right for these, so a seccomp user-notification filter
//! hands them to nono's supervising process, which resolves the path the
//! call names, asks the same evaluator as `nono why` and performs the call
//! itself (DESIGN.md section 7.2):
//!
//! - `connect`/`sendto`/`sendmsg` to pathname Unix sockets: only at or
//!   below an `--allow-unix` path, or to a socket the sandbox bound itself
//!   (Landlock ABI 9 governs them in the kernel; nono knows ABIs up to 7,
//!   so the supervisor does it on every kernel it lowers for);
//! - mode, owner, time and extended-attribute changes: only where Write is
//!   granted;
//! - `inotify_add_watch`: only where Read is granted.

use super::{Lowering, Pass};
use nono_model::{Abi, Supervision};

fn lower_supervise(lowering: &mut Lowering<'_>) {
    lowering.ruleset.supervision = Supervision {
        unix_sockets: true,
        metadata: true,
        inotify: true,
    };
}

/// The `supervise` pass (needs no Landlock feature; runs at every ABI).
pub const PASS: Pass = Pass {
    name: "supervise",
    since: Abi(1),
    lower: lower_supervise,
    below: lower_supervise,
};

#[cfg(test)]
mod tests {
    use crate::passes::{Intent, lower};
    use nono_model::Abi;

    #[test]
    fn every_abi_is_supervised_for_sockets_metadata_and_inotify() {
        for abi in 1..=Abi::LATEST.0 {
            let lowered = lower(Abi(abi), &[], &Intent::default());
            let s = lowered.ruleset.supervision;
            assert!(s.unix_sockets && s.metadata && s.inotify, "ABI {abi}");
            assert!(lowered.gaps.iter().all(|g| g.feature != "supervise"));
        }
    }
}
