//! ABI 9: connect and send to pathname Unix sockets (ResolveUnix).
//!
//! The kernel judges `connect`, `sendto` and `sendmsg` to a pathname Unix
//! socket: allowed at or below a path that grants ResolveUnix, and to a
//! socket bound by a process of the same sandbox. The right is handled
//! whenever the ABI has it and granted **only** by `--allow-unix PATH`,
//! never by Write or Allow: a writable `/tmp` must not reach the tmux, X11
//! or ssh-agent sockets in it (the `landlock` crate's `from_write(V9)`
//! includes it; nono maps its own rights, see `fs_base`).
//!
//! Below ABI 9 the supervisor judges the same calls by the same paths (the
//! `supervise` pass), so the behaviour is the same on both sides.

use super::{Lowering, Pass};
use nono_model::{Abi, FsRight, Requirement};

fn lower_resolve_unix(lowering: &mut Lowering<'_>) {
    lowering.handle(FsRight::ResolveUnix.into());
    lowering.ruleset.unix_rules = lowering.intent.unix.clone();
}

fn without_resolve_unix(_: &mut Lowering<'_>) {
    // The supervisor judges pathname sockets instead (the `supervise` pass,
    // which names the gap if there is no supervisor).
}

/// The `resolve_unix` pass.
pub const PASS: Pass = Pass {
    name: "resolve_unix",
    requires: Requirement::Landlock(Abi::V9),
    lower: lower_resolve_unix,
    without: without_resolve_unix,
};
