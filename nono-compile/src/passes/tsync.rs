//! ABI 8: restrict every thread of the process at once.
//!
//! `landlock_restrict_self` restricts only the calling thread, and a thread
//! that already runs keeps its old (unrestricted) domain. nono restricts
//! itself before it executes the command, while it runs one thread, so
//! nothing is lost without the flag; with it (`LANDLOCK_RESTRICT_SELF_TSYNC`)
//! the kernel restricts every thread of the process in the same call, so
//! that no thread nono or a library started (the supervisor may be
//! threaded) can stay outside the sandbox whatever the order of events.

use super::{Lowering, Pass};
use nono_model::{Abi, Requirement};

fn lower_tsync(lowering: &mut Lowering<'_>) {
    lowering.ruleset.all_threads = true;
}

fn without_tsync(_: &mut Lowering<'_>) {
    // Nothing is lost: the sandbox is applied in a single-threaded process
    // right before it executes the command, which keeps only that thread.
}

/// The `tsync` pass.
pub const PASS: Pass = Pass {
    name: "tsync",
    requires: Requirement::Landlock(Abi::V8),
    lower: lower_tsync,
    without: without_tsync,
};

#[cfg(test)]
mod tests {
    use crate::passes::{Host, Intent, lower};
    use nono_model::Abi;

    #[test]
    fn every_thread_is_restricted_from_abi_8_and_nothing_is_lost_below() {
        for abi in Abi::known() {
            let lowered = lower(Host::landlock(abi), &[], &Intent::default());
            assert_eq!(lowered.ruleset.all_threads, abi >= Abi::V8, "ABI {abi}");
            assert!(lowered.gaps.iter().all(|g| g.feature != "tsync"));
            assert!(lowered.notes.iter().all(|n| !n.starts_with("tsync")));
        }
    }
}
