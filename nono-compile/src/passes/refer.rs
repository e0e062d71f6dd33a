//! ABI 2: Refer, so files can move between directories of a writable tree.
//!
//! From ABI 2 the kernel refuses to rename or link a file into another
//! directory unless Refer is handled and granted on both sides; below it, such
//! moves are always refused. The kernel still refuses a move that would give
//! the file more rights than it had where it was.

use super::{Lowering, Pass};
use nono_model::{Abi, Access, FsRight, Requirement};

fn lower_refer(lowering: &mut Lowering<'_>) {
    lowering.handle(FsRight::Refer.into());
    lowering.grant(Access::Write, FsRight::Refer.into());
}

fn without_refer(lowering: &mut Lowering<'_>) {
    lowering.note("renaming or linking a file into another directory is always refused, even inside one writable tree");
}

/// The `refer` pass.
pub const PASS: Pass = Pass {
    name: "refer",
    requires: Requirement::Landlock(Abi::V2),
    lower: lower_refer,
    without: without_refer,
};
