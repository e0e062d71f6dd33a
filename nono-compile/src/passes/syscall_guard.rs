//! Any ABI: the syscall guard, for what Landlock does not cover at all.
//!
//! Two ways out that no Landlock right governs, closed with seccomp on every
//! run (see `nono-enforce`'s seccomp module for the filter):
//!
//! - `ioctl(TIOCSTI)` / `ioctl(TIOCLINUX)` on the terminal the command
//!   inherited: Landlock checks ioctls only on devices opened inside the
//!   sandbox, and a command could otherwise type into the user's shell,
//!   which runs it after the command exits;
//! - setting the setuid or setgid bit with `chmod`: Landlock has no right for
//!   file modes, and a command running as root could otherwise make a
//!   root-owned program setuid for everyone.
//!
//! Other mode, owner and timestamp changes on files outside the grants stay
//! possible (for root, owner changes need the capabilities nono drops); the
//! README says so.

use super::{Lowering, Pass};
use nono_model::Requirement;

fn lower_syscall_guard(lowering: &mut Lowering<'_>) {
    lowering.ruleset.syscall_guard = true;
}

fn without_syscall_guard(lowering: &mut Lowering<'_>) {
    lowering.gap_below("typing into the terminal and setting setuid/setgid bits");
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
    use nono_model::Abi;

    #[test]
    fn the_guard_is_on_at_every_abi_whatever_the_policy() {
        for abi in Abi::known() {
            let lowered = lower(Host::landlock(abi), &[], &Intent::default());
            assert!(lowered.ruleset.syscall_guard, "ABI {abi}");
            assert!(lowered.gaps.iter().all(|g| g.feature != "syscall_guard"));
        }
    }
}
