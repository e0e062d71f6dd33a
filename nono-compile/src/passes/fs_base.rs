//! ABI 1: the base filesystem rights and the path rules.

use super::{Lowering, Pass};
use nono_model::{Abi, Access, FsRight, FsRights, Requirement};

/// The rights Read lowers to.
pub const READ: [FsRight; 3] = [FsRight::Execute, FsRight::ReadFile, FsRight::ReadDir];

/// The ABI 1 rights Write lowers to. `MakeChar` and `MakeBlock` are absent on
/// purpose: no level grants them, so a process with `CAP_MKNOD` cannot make a
/// disk's device node in a writable directory and read around every rule.
pub const WRITE: [FsRight; 8] = [
    FsRight::WriteFile,
    FsRight::RemoveFile,
    FsRight::RemoveDir,
    FsRight::MakeDir,
    FsRight::MakeReg,
    FsRight::MakeSock,
    FsRight::MakeFifo,
    FsRight::MakeSym,
];

/// Every filesystem right of ABI 1: all handled, so all denied unless granted.
pub const HANDLED: [FsRight; 13] = [
    FsRight::Execute,
    FsRight::WriteFile,
    FsRight::ReadFile,
    FsRight::ReadDir,
    FsRight::RemoveDir,
    FsRight::RemoveFile,
    FsRight::MakeChar,
    FsRight::MakeDir,
    FsRight::MakeReg,
    FsRight::MakeSock,
    FsRight::MakeFifo,
    FsRight::MakeBlock,
    FsRight::MakeSym,
];

fn lower_fs_base(lowering: &mut Lowering<'_>) {
    lowering.handle(FsRights::of(&HANDLED));
    lowering.grant(Access::Read, FsRights::of(&READ));
    lowering.grant(Access::Write, FsRights::of(&WRITE));
}

fn without_fs_base(lowering: &mut Lowering<'_>) {
    lowering.gap_below("the filesystem");
}

/// The `fs_base` pass.
pub const PASS: Pass = Pass {
    name: "fs_base",
    requires: Requirement::Landlock(Abi::V1),
    lower: lower_fs_base,
    without: without_fs_base,
};
