//! Sensitive paths and sensitive variables, kept from the command for real.
//!
//! Each test gives nono a fake home (`HOME` in the scratch directory) that
//! holds fake secrets where real tools keep them (`~/.ssh/id_ed25519`,
//! `~/.aws/credentials`, `~/.config/gcloud/...`, `~/.docker/config.json`,
//! `~/.netrc`, `~/.cargo/credentials.toml`, `~/.local/share/keyrings/...`)
//! beside ordinary files, grants the home (or a part of it) and runs real
//! commands under real Landlock:
//!
//! - **carving**: under `--allow ~` (or `--allow .` run from the home) every
//!   ordinary file is readable and every ordinary subdirectory fully usable,
//!   while every secret is unreadable and unwritable; a carved directory can
//!   be *listed* (names only, by design) but what it lists cannot be read;
//!   documented limits are asserted as such (no new file directly in a
//!   carved directory; directories below a denied directory can be listed
//!   too); `--dry-run` (text and JSON) and `-v` show every carve;
//! - the `rust` preset carves `$CARGO_HOME/credentials.toml` while
//!   `cargo build --offline` of a tiny crate still works;
//! - `--expose` grants a sensitive path (with a WARNING line), and without it
//!   a grant inside one is a one-line error suggesting `--expose`;
//!   `--deny PATH` and a preset file's `deny: [...]` carve ordinary paths;
//! - **the environment**: credential-looking and code-injection variables
//!   are removed unless `--env-keep`, `-v` names them (never their values),
//!   `--env-clear` with `--env` passes exactly what is named, ordinary
//!   variables pass.
//!
//! Every denial has an allowed twin, and no output ever shows a secret.
//!
//! [`carving`] holds the carves under a home grant, [`missing`] the
//! sensitive paths that do not exist and nono's own configuration,
//! [`cargo_expose_deny`] the rust preset, `--expose` and `--deny`,
//! [`environment`] the variables, [`env_names`] the credential names and
//! values the scrubber removes, [`tool_paths`] each tool's sensitive paths
//! where its variables move them, and the account's home.

mod cargo_expose_deny;
mod carving;
mod env_names;
mod environment;
mod missing;
mod tool_paths;

use crate::common::{Outcome, SECRET_MARKER, Scratch, assert_no_secret, run_args, text};
use std::path::Path;

const DENIED: &str = "Permission denied";

/// `nono run GRANTS -- COMMAND` with the fake home, from the scratch dir.
fn run(s: &Scratch, grants: &[&str], command: &[&str]) -> Outcome {
    s.run_home(run_args(grants, command))
}

/// `sh -c SCRIPT` under `grants`; the script gets the home as `$H`.
fn sh(s: &Scratch, grants: &[&str], script: &str) -> Outcome {
    let home = s.home();
    run(s, grants, &["sh", "-c", script, "sh", text(&home)])
}

/// Asserts that `cat PATH` under `grants` fails with EACCES and shows no
/// secret.
#[track_caller]
fn expect_cat_denied(s: &Scratch, grants: &[&str], path: &Path) {
    let out = run(s, grants, &["cat", text(path)]);
    out.expect_code(1).expect_stderr(DENIED);
    assert_no_secret(&out);
}

/// Asserts that `sh -c SCRIPT` under `grants` exits `code` with
/// "Permission denied".
#[track_caller]
fn expect_sh_code_denied(s: &Scratch, grants: &[&str], script: &str, code: i32) {
    sh(s, grants, script)
        .expect_code(code)
        .expect_stderr(DENIED);
}

/// Asserts that `sh -c SCRIPT` under `grants` works and leaves `path`
/// holding `contents`.
#[track_caller]
fn expect_sh_writes(s: &Scratch, grants: &[&str], script: &str, path: &Path, contents: &str) {
    sh(s, grants, script).expect_ok();
    crate::common::assert_file(path, contents);
}

/// Asserts that under `grants` (on the home) a new file in the ordinary
/// `~/proj` is created: the twin of a carve of the home.
#[track_caller]
fn expect_proj_creates(s: &Scratch, grants: &[&str]) {
    let script = "echo x > \"$1/proj/new.txt\"";
    let new = s.home().join("proj/new.txt");
    expect_sh_writes(s, grants, script, &new, "x\n");
}

/// The twin of every carve of the home: a grant on `~/proj` alone holds no
/// sensitive path, so nothing is carved, and the command creates directly
/// in it.
#[track_caller]
fn expect_uncarved_proj_creates_directly(s: &Scratch) {
    let script = "echo y > \"$1/proj/direct.txt\"";
    let direct = s.home().join("proj/direct.txt");
    expect_sh_writes(s, &["--allow", "~/proj"], script, &direct, "y\n");
}

/// Asserts that `cat PATH` under `grants` prints the file.
#[track_caller]
fn expect_cat_ok(s: &Scratch, grants: &[&str], path: &Path) {
    let want = std::fs::read_to_string(path).unwrap();
    let out = run(s, grants, &["cat", text(path)]);
    out.expect_ok();
    assert_eq!(out.stdout, want, "{out:#?}");
}
