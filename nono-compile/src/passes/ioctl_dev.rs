//! ABI 5: IoctlDev, granted only with Allow.

use super::{Lowering, Pass};
use nono_model::{Abi, Access, FsRight};

fn lower_ioctl_dev(lowering: &mut Lowering<'_>) {
    lowering.handle(FsRight::IoctlDev.into());
    lowering.grant(Access::Allow, FsRight::IoctlDev.into());
}

fn below_ioctl_dev(lowering: &mut Lowering<'_>) {
    lowering.gap_below("ioctl on devices opened in the sandbox");
}

/// The `ioctl_dev` pass.
pub const PASS: Pass = Pass {
    name: "ioctl_dev",
    since: Abi(5),
    lower: lower_ioctl_dev,
    below: below_ioctl_dev,
};
