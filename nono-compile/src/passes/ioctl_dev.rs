//! ABI 5: IoctlDev, granted only with Allow.

use super::{Lowering, Pass};
use nono_model::{Abi, Access, FsRight, Requirement};

fn lower_ioctl_dev(lowering: &mut Lowering<'_>) {
    lowering.handle(FsRight::IoctlDev.into());
    lowering.grant(Access::Allow, FsRight::IoctlDev.into());
}

fn without_ioctl_dev(lowering: &mut Lowering<'_>) {
    lowering.gap_below("ioctl on devices opened in the sandbox");
}

/// The `ioctl_dev` pass.
pub const PASS: Pass = Pass {
    name: "ioctl_dev",
    requires: Requirement::Landlock(Abi::V5),
    lower: lower_ioctl_dev,
    without: without_ioctl_dev,
};
