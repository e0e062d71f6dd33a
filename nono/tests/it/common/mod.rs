//! Shared helpers for nono's integration tests.
//!
//! Every test works in a scratch directory outside every directory the
//! built-in presets grant (the `tmp` preset grants /tmp, /var/tmp and
//! $TMPDIR): a test of a denial must not pass or fail because of where the
//! checkout happens to be. See [`scratch_base`]. `HOME` and
//! `XDG_CONFIG_HOME` point into a fake home so no test touches the real home
//! directory, and `XDG_CACHE_HOME` (where nono caches plugins' answers) into
//! a directory of its own. Both are beside the scratch directory, not in
//! it: nono denies the sensitive paths of the home and its own cache and
//! configuration, and a denied path is carved out of every grant that
//! covers it, or, when it does not exist, out of every grant that covers
//! its nearest existing directory (the home). Inside the scratch
//! directory they would carve every test's `--allow .`, and nothing could
//! be created directly in it. The scratch directory holds a symlink `home`
//! to the fake home, so that tests can still name it `home/...` from there.

mod abi;
mod home;
mod plugins;
mod probe;
mod report;
mod toolchain;

pub use abi::*;
pub use home::*;
pub use plugins::*;
pub use probe::*;
pub use report::*;
pub use toolchain::*;

use std::ffi::OsStr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The nono binary under test.
pub const NONO: &str = env!("CARGO_BIN_EXE_nono");

/// Where scratch directories go: Cargo's target tmp dir, unless the checkout
/// lies under a directory the `tmp` preset grants (a clone in /tmp), in which
/// case /dev/shm, which no preset grants.
pub fn scratch_base() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let target = target.canonicalize().unwrap_or(target);
    let granted_by_tmp = ["/tmp", "/var/tmp"]
        .into_iter()
        .map(PathBuf::from)
        .chain(std::env::var_os("TMPDIR").map(PathBuf::from))
        .filter_map(|p| p.canonicalize().ok())
        .any(|tmp| target.starts_with(tmp));
    if granted_by_tmp {
        PathBuf::from("/dev/shm")
    } else {
        target
    }
}

/// A scratch directory, a fake home and a cache directory beside it, all
/// removed on drop.
pub struct Scratch {
    dir: tempfile::TempDir,
    /// Holds the fake home, `home/` (so its path ends in `/home`).
    home: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Scratch {
    /// A new, empty scratch directory (with the symlink `home` to the fake
    /// home inside).
    pub fn new() -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix("nono-test-")
            .tempdir_in(scratch_base())
            .expect("create a scratch directory");
        let home = tempfile::Builder::new()
            .prefix("nono-test-home-")
            .tempdir_in(scratch_base())
            .expect("create a directory for the fake home");
        std::fs::create_dir(home.path().join("home")).expect("create the fake home");
        std::os::unix::fs::symlink(home.path().join("home"), dir.path().join("home"))
            .expect("link the fake home into the scratch directory");
        let cache = tempfile::Builder::new()
            .prefix("nono-test-cache-")
            .tempdir_in(scratch_base())
            .expect("create a cache directory");
        Scratch { dir, home, cache }
    }

    /// The `XDG_CACHE_HOME` nono runs with: outside the scratch directory,
    /// because nono's cache directory in it is carved out of every grant
    /// (a test's `--allow .` in the scratch directory would otherwise be
    /// carved).
    pub fn cache_home(&self) -> PathBuf {
        self.cache
            .path()
            .canonicalize()
            .expect("canonical cache path")
    }

    /// nono's plugin cache entries: `XDG_CACHE_HOME/nono/plugins`.
    pub fn plugin_cache(&self) -> PathBuf {
        self.cache_home().join("nono/plugins")
    }

    /// A new directory `name` beside the scratch directory (next to the
    /// fake home), for what a test's `--allow .` must not cover: a plugin
    /// directory in `$NONO_PLUGIN_PATH`, which nono denies to every sandbox,
    /// would carve the scratch directory.
    pub fn beside(&self, name: &str) -> PathBuf {
        let p = self
            .home
            .path()
            .canonicalize()
            .expect("canonical home holder")
            .join(name);
        std::fs::create_dir_all(&p).expect("mkdir beside the scratch directory");
        p
    }

    /// The scratch directory's canonical path.
    pub fn path(&self) -> PathBuf {
        self.dir
            .path()
            .canonicalize()
            .expect("canonical scratch path")
    }

    /// A path inside the scratch directory; `home/...` is a path in the
    /// fake home, given canonical (not through the `home` symlink), as
    /// nono prints it.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        let rel = rel.as_ref();
        match rel.strip_prefix("home") {
            Ok(in_home) if rel.is_relative() => {
                let home = self.home();
                if in_home.as_os_str().is_empty() {
                    home
                } else {
                    home.join(in_home)
                }
            }
            _ => self.path().join(rel),
        }
    }

    /// The fake home directory (canonical: beside the scratch directory,
    /// which links to it as `home`).
    pub fn home(&self) -> PathBuf {
        self.home
            .path()
            .canonicalize()
            .expect("canonical home path")
            .join("home")
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

    /// `nono` with its working directory in the scratch directory, HOME and
    /// XDG_CONFIG_HOME in the fake home, XDG_CACHE_HOME beside it, and no
    /// NONO_PLUGIN_PATH or NONO_PLUGIN_CACHE: the only user presets and
    /// plugins it finds are the ones the test puts there.
    pub fn nono(&self) -> Command {
        let mut cmd = Command::new(NONO);
        cmd.current_dir(self.path())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_CACHE_HOME", self.cache_home())
            .env_remove("NONO_PLUGIN_CACHE")
            .env_remove("NONO_PLUGIN_PATH")
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
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {self:#?}"
        );
        self
    }

    /// Asserts that stdout contains `needle`.
    #[track_caller]
    pub fn expect_stdout(&self, needle: &str) -> &Outcome {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}: {self:#?}"
        );
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

/// `nono run GRANTS... -- COMMAND...` as one argument list.
pub fn run_args<G, C>(grants: G, command: C) -> Vec<String>
where
    G: IntoIterator,
    G::Item: AsRef<str>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let mut argv = vec!["run".to_owned()];
    argv.extend(grants.into_iter().map(|g| g.as_ref().to_owned()));
    argv.push("--".to_owned());
    argv.extend(command.into_iter().map(|c| c.as_ref().to_owned()));
    argv
}

impl Scratch {
    /// Runs `nono ARGS`, again if the exec met ETXTBSY: a script written a
    /// moment ago can still be open for writing in a child that another test
    /// thread forked before its exec closed the descriptor.
    pub fn run_script(&self, args: Vec<String>) -> Outcome {
        for _ in 0..20 {
            let out = self.run(&args);
            if !out.stderr.contains("Text file busy") {
                return out;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.run(&args)
    }
}

impl Outcome {
    /// Asserts that stderr does not contain `needle`.
    #[track_caller]
    pub fn expect_no_stderr(&self, needle: &str) -> &Outcome {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}: {self:#?}"
        );
        self
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }
}

/// Asserts that `path` is a regular file holding exactly `contents`.
#[track_caller]
pub fn assert_file(path: &Path, contents: &str) {
    let got = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} should be readable: {e}", path.display()));
    assert_eq!(got, contents, "contents of {}", path.display());
}

/// Asserts that nothing exists at `path` (not even a dangling symlink).
#[track_caller]
pub fn assert_absent(path: &Path) {
    assert!(
        std::fs::symlink_metadata(path).is_err(),
        "{} should not exist",
        path.display()
    );
}

/// A path as UTF-8 text (scratch paths are).
pub fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 scratch path")
}

/// Sets the permission bits of `path` to exactly `mode`.
pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The permission bits of `path` (not following a symlink).
pub fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// Adds `o+x` to every directory above `dir`, so that uid 65534 can reach it.
pub fn open_to_nobody(dir: &Path) {
    let mut p = dir.to_path_buf();
    while let Some(parent) = p.parent() {
        let mode = mode(parent);
        if mode & 0o001 == 0 {
            chmod(parent, mode | 0o001);
        }
        p = parent.to_path_buf();
    }
}

/// Whether the tests run as root (as CI does).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

/// Copies a program with cp(1), so that this multi-threaded process never
/// holds it open for writing while another thread forks (no ETXTBSY when it
/// is executed later).
pub fn copy_program(from: &str, to: &Path) {
    let st = Command::new("cp").arg(from).arg(to).status().unwrap();
    assert!(st.success(), "cp {from} {}", to.display());
}
