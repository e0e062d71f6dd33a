//! Every built-in preset, proved by running the real toolchain under it.
//!
//! Each test runs a real toolchain (cargo, python3, node, git, go, a shell)
//! under real Landlock with one built-in preset and `--allow` on a project
//! directory in the scratch dir, and checks the side effects on disk: the
//! crate is built and its binary prints what its vendored dependency computed,
//! the script's output file is there, the commit is in `git log`. Each has a
//! denial twin: under the same preset, a file outside every grant (a sibling
//! of the project in the scratch dir) cannot be read, the toolchain cannot
//! write outside the project, and without the preset the toolchain does not
//! work at all. Finally `--dry-run --json` shows each preset's own grants.
//!
//! The sandboxed commands get a cleared environment: HOME (and
//! XDG_CONFIG_HOME) in the scratch dir, a PATH that puts the toolchain's own
//! directory first, and only the toolchain variables a test sets on purpose
//! (RUSTUP_HOME, PYENV_ROOT, GOROOT). Where the toolchain lives is found from
//! this test process's own environment (`rustup which cargo`, PATH), never
//! hard-coded. Every toolchain must be installed (`.ci/run` installs node,
//! npm, git and go): a missing one fails its test rather than passing it.
//!
//! One module each for rust, python and node, git and go, tmp and base
//! (and every preset's dry run).

mod git_go;
mod python_node;
mod rust;
mod tmp_base;

use crate::common::{Outcome, Scratch, python, stdout_of, text, which};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The system directories every sandboxed PATH ends with.
const SYSTEM_PATH: [&str; 3] = ["/usr/local/bin", "/usr/bin", "/bin"];

/// What the files outside every grant contain; no output may show it.
const SECRET: &str = "nono-secret-7f3a9c";

/// A `nono` command for the sandbox tests: working directory `cwd`, and a
/// cleared environment holding only HOME and XDG_CONFIG_HOME (in the scratch
/// dir) and a PATH of `first` then the system directories.
fn nono_in(s: &Scratch, cwd: &Path, first: &[&Path]) -> Command {
    let path: Vec<PathBuf> = first
        .iter()
        .map(|p| p.to_path_buf())
        .chain(SYSTEM_PATH.iter().map(PathBuf::from))
        .collect();
    let mut cmd = s.nono();
    cmd.env_clear()
        .current_dir(cwd)
        .env("HOME", s.home())
        .env("XDG_CONFIG_HOME", s.home().join(".config"))
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("LC_ALL", "C");
    cmd
}

/// Runs `nono run ARGS...` as `cmd` describes.
fn run(cmd: &mut Command, args: &[&str]) -> Outcome {
    Outcome::of(cmd.arg("run").args(args))
}

/// Runs `nono run --preset PRESET --allow . -- ARGV...` as `cmd` describes:
/// how each toolchain's test runs its tool in the project (`cmd`'s working
/// directory).
fn in_project(cmd: &mut Command, preset: &str, argv: &[&str]) -> Outcome {
    let mut args = vec!["--preset", preset, "--allow", ".", "--"];
    args.extend_from_slice(argv);
    run(cmd, &args)
}

/// Asserts a failure that the sandbox caused: a non-zero exit, "permission
/// denied" (any case) on stderr, and the secret nowhere in the output.
#[track_caller]
fn expect_denied(out: &Outcome) {
    assert_ne!(out.code, Some(0), "expected a denial: {out:#?}");
    assert!(
        out.stderr.to_lowercase().contains("permission denied"),
        "expected 'permission denied' on stderr: {out:#?}"
    );
    assert!(
        !out.stdout.contains(SECRET) && !out.stderr.contains(SECRET),
        "the secret leaked: {out:#?}"
    );
}

/// A scratch dir with `proj/` (to be granted with --allow) and
/// `outside/secret.txt` beside it (granted by nothing).
fn project() -> (Scratch, PathBuf, PathBuf) {
    let s = Scratch::new();
    let proj = s.mkdir("proj");
    let secret = s.write("outside/secret.txt", SECRET);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), SECRET);
    (s, proj, secret)
}
