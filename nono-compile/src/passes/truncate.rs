//! ABI 3: Truncate, granted with Write.

use super::{Lowering, Pass};
use nono_model::{Abi, Access, FsRight, Requirement};

fn lower_truncate(lowering: &mut Lowering<'_>) {
    lowering.handle(FsRight::Truncate.into());
    lowering.grant(Access::Write, FsRight::Truncate.into());
}

fn without_truncate(lowering: &mut Lowering<'_>) {
    lowering.gap_below("truncating files outside the writable grants");
}

/// The `truncate` pass.
pub const PASS: Pass = Pass {
    name: "truncate",
    requires: Requirement::Landlock(Abi::V3),
    lower: lower_truncate,
    without: without_truncate,
};
