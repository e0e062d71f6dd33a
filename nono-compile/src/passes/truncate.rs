//! ABI 3: Truncate, granted with Write.

use super::{Lowering, Pass, Shortfall};
use nono_model::{Abi, Access, FsRight};

fn lower_truncate(lowering: &mut Lowering<'_>) {
    lowering.handle(FsRight::Truncate.into());
    lowering.grant(Access::Write, FsRight::Truncate.into());
}

/// The `truncate` pass.
pub const PASS: Pass = Pass {
    name: "truncate",
    since: Abi(3),
    lower: lower_truncate,
    below: Shortfall::Gap("truncating files outside the writable grants"),
};
