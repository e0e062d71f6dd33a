//! Shared helpers for nono's integration tests.
//!
//! Every test works in a scratch directory under Cargo's target tmp dir, not
//! under /tmp: the `tmp` preset grants /tmp, and a test of a denial must not
//! pass or fail because of that. `HOME` and `XDG_CONFIG_HOME` point into the
//! scratch directory so no test touches the real home directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The nono binary under test.
pub const NONO: &str = env!("CARGO_BIN_EXE_nono");

/// A scratch directory with a fake home inside it, removed on drop.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// A new, empty scratch directory (with `home/` inside).
    pub fn new() -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix("nono-test-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("create a scratch directory");
        std::fs::create_dir(dir.path().join("home")).expect("create the fake home");
        Scratch { dir }
    }

    /// The scratch directory's canonical path.
    pub fn path(&self) -> PathBuf {
        self.dir.path().canonicalize().expect("canonical scratch path")
    }

    /// A path inside the scratch directory.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path().join(rel)
    }

    /// The fake home directory.
    pub fn home(&self) -> PathBuf {
        self.join("home")
    }

    /// Creates a directory (and parents) inside the scratch directory.
    pub fn mkdir(&self, rel: impl AsRef<Path>) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    }

    /// Writes a file (creating parents) inside the scratch directory.
    pub fn write(&self, rel: impl AsRef<Path>, contents: &str) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir parent");
        }
        std::fs::write(&p, contents).expect("write file");
        p
    }

    /// `nono` with its working directory in the scratch directory and HOME
    /// and XDG_CONFIG_HOME inside it.
    pub fn nono(&self) -> Command {
        let mut cmd = Command::new(NONO);
        cmd.current_dir(self.path())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env_remove("RUST_LOG")
            .env_remove("TMPDIR");
        cmd
    }

    /// Runs `nono ARGS...` in the scratch directory.
    pub fn run<I, S>(&self, args: I) -> Outcome
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Outcome::of(self.nono().args(args))
    }
}

/// What a finished command did.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Outcome {
    /// Runs `cmd` to completion and captures its output.
    pub fn of(cmd: &mut Command) -> Outcome {
        let out = cmd.output().expect("spawn the command");
        Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Outcome {
        assert_eq!(self.code, Some(code), "unexpected exit code: {self:#?}");
        self
    }

    /// Asserts success (exit 0).
    #[track_caller]
    pub fn expect_ok(&self) -> &Outcome {
        self.expect_code(0)
    }

    /// Asserts that stderr contains `needle`.
    #[track_caller]
    pub fn expect_stderr(&self, needle: &str) -> &Outcome {
        assert!(self.stderr.contains(needle), "stderr lacks {needle:?}: {self:#?}");
        self
    }

    /// Asserts that stdout contains `needle`.
    #[track_caller]
    pub fn expect_stdout(&self, needle: &str) -> &Outcome {
        assert!(self.stdout.contains(needle), "stdout lacks {needle:?}: {self:#?}");
        self
    }

    /// Asserts a nono error: exit 125 and exactly one line on stderr that
    /// starts with `nono:` and contains `needle`.
    #[track_caller]
    pub fn expect_nono_error(&self, needle: &str) -> &Outcome {
        self.expect_code(125).expect_stderr(needle);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr: {self:#?}");
        assert!(lines[0].starts_with("nono: "), "{self:#?}");
        self
    }
}
