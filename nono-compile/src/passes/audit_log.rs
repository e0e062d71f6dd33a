//! ABI 7: denial logging (`--log-denials`).
//!
//! By default the kernel logs the denials of the process that restricted
//! itself only until it executes another program, which for nono is at once.
//! `--log-denials` asks it to log the command's denials too.

use super::{Lowering, Pass};
use nono_model::{Abi, Requirement};

fn lower_audit_log(lowering: &mut Lowering<'_>) {
    lowering.ruleset.log_new_exec = lowering.intent.log_denials;
}

fn without_audit_log(lowering: &mut Lowering<'_>) {
    if lowering.intent.log_denials {
        lowering.note("denials cannot be logged (--log-denials has no effect)");
    }
}

/// The `audit_log` pass.
pub const PASS: Pass = Pass {
    name: "audit_log",
    requires: Requirement::Landlock(Abi::V7),
    lower: lower_audit_log,
    without: without_audit_log,
};
