//! What a new user meets first, checked as they would meet it.
//!
//! - A WARNING line before a grant that can write somewhere dangerous (the
//!   whole filesystem, `/etc`, the home, a shell startup file, a directory
//!   on `PATH`), saying what it exposes and the narrower grant; none for an
//!   ordinary grant, a read grant, or a toolchain preset. The harm is shown
//!   for real: `echo >> ~/.bashrc` succeeds under `--allow ~`.
//! - The `python` preset with the real interpreter: `python3 -m venv` (with
//!   ensurepip) and `pip install` of a local wheel, without network; the
//!   release files in `base` are what makes them work (a twin denies one).
//! - `-v` and `--dry-run` name an optional grant skipped because its path is
//!   missing, with the fix, and the fix works.
//! - The `shell` preset with the real bash: startup files run, without a
//!   "Permission denied", and stay read-only; the history stays unreadable.
//! - Messages: clap's "similar argument" tip in the one-line usage error,
//!   pointing to the subcommand's help; "did you mean" for a mistyped
//!   preset; the preset to add for a denied toolchain program; `--json`
//!   without `--dry-run`.
//! - `nono why` exits 1 when the answer is "denied", 0 when allowed, 125
//!   for bad input.
//! - Colour in `-vv` output only on a terminal, never with `NO_COLOR`.
//! - The man page of every subcommand (every flag, exit status, examples)
//!   and shell completions that offer the built-in presets, generated here
//!   (so in CI) and read by the real `man` and `bash` where installed.
//! - `NONO_SANDBOX=1` in the command's environment.

mod agent;
mod docs;
mod messages;
mod presets;
mod warnings;

use crate::common::{Outcome, Scratch, assert_absent, python, run_args, text, which};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes an executable shell script.
fn script(s: &Scratch, rel: &str, body: &str) -> PathBuf {
    let p = s.write(rel, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// The `nono: WARNING:` lines of an outcome.
fn warnings(out: &Outcome) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with("nono: WARNING: "))
        .collect()
}

/// `nono` with PATH set to `path` (and the system directories after it).
fn nono_with_path(s: &Scratch, first: &[&Path]) -> Command {
    let dirs: Vec<PathBuf> = first
        .iter()
        .map(|p| p.to_path_buf())
        .chain(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from))
        .collect();
    let mut cmd = s.nono();
    cmd.env("PATH", std::env::join_paths(dirs).unwrap());
    cmd
}

// ---------------------------------------------------------------- warnings

/// Gives `to` the environment changes `from` makes.
fn copy_env(from: &Command, to: &mut Command) {
    for (k, v) in from.get_envs() {
        match v {
            Some(v) => to.env(k, v),
            None => to.env_remove(k),
        };
    }
}
