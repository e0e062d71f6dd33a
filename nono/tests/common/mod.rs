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
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
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

// ---------------------------------------------------------------------------
// Helpers for the filesystem-level, ABI-lowering and CLI-contract suites.
// ---------------------------------------------------------------------------

/// The system Python, by absolute path: a `python3` found first in `$PATH`
/// may be a shim (pyenv) outside every granted directory.
pub const PYTHON: &str = "/usr/bin/python3";

/// A tiny probe: `OP ARGS...` performs one syscall and prints `OK` (exit 0)
/// or the errno's name, e.g. `EACCES` (exit 1). Ops: `rename SRC DST`,
/// `link SRC DST`, `truncate PATH` (to 0 bytes, needs only the Truncate
/// right), `mknod PATH` (a character device 1:3).
const PROBE: &str = r#"
import errno, os, stat, sys
op, args = sys.argv[1], sys.argv[2:]
try:
    if op == "rename":
        os.rename(args[0], args[1])
    elif op == "link":
        os.link(args[0], args[1])
    elif op == "truncate":
        os.truncate(args[0], 0)
    elif op == "mknod":
        os.mknod(args[0], 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        sys.exit("unknown probe op " + op)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(1)
"#;

/// The argv of a [`PROBE`] run: `python3 -c PROBE OP ARGS...`.
pub fn probe(op: &str, args: &[&str]) -> Vec<String> {
    let mut argv = vec![PYTHON.to_owned(), "-c".to_owned(), PROBE.to_owned()];
    argv.push(op.to_owned());
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    argv
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

impl Outcome {
    /// Asserts that a [`probe`] run succeeded.
    #[track_caller]
    pub fn expect_probe_ok(&self) -> &Outcome {
        self.expect_code(0);
        assert_eq!(self.stdout.trim(), "OK", "{self:#?}");
        self
    }

    /// Asserts that a [`probe`] run failed with the errno named `name`.
    #[track_caller]
    pub fn expect_errno(&self, name: &str) -> &Outcome {
        self.expect_code(1);
        assert_eq!(self.stdout.trim(), name, "{self:#?}");
        self
    }

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

/// The kernel's Landlock ABI version, asked of the kernel directly
/// (`landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`,
/// syscall 444 on every architecture), independently of nono.
pub fn kernel_landlock_abi() -> u64 {
    let out = Command::new(PYTHON)
        .args([
            "-c",
            "import ctypes; libc = ctypes.CDLL(None, use_errno=True); \
             print(libc.syscall(444, None, 0, 1))",
        ])
        .output()
        .expect("run python3");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|e| panic!("landlock ABI probe printed {text:?}: {e}"))
}

// ---------------------------------------------------------------------------
// Helpers for the sensitive-path and `nono why` suites: a fake home holding
// fake secrets, and a probe for read / write / execute / connect / bind.
// ---------------------------------------------------------------------------

/// Every fake secret's contents start with this; no sandboxed output may
/// show it.
pub const SECRET_MARKER: &str = "NONO-FAKE-SECRET";

/// The fake secrets [`Scratch::fake_home`] writes, relative to the home, and
/// the sensitive path (as nono's built-in list writes it) each falls under.
pub const FAKE_SECRETS: [(&str, &str); 7] = [
    (".ssh/id_ed25519", "~/.ssh"),
    (".aws/credentials", "~/.aws"),
    (
        ".config/gcloud/application_default_credentials.json",
        "~/.config/gcloud",
    ),
    (".docker/config.json", "~/.docker/config.json"),
    (".netrc", "~/.netrc"),
    (
        ".cargo/credentials.toml",
        "${CARGO_HOME:-~/.cargo}/credentials.toml",
    ),
    (
        ".local/share/keyrings/login.keyring",
        "${XDG_DATA_HOME:-~/.local/share}/keyrings",
    ),
];

/// The sensitive paths [`Scratch::fake_home`] creates, relative to the home:
/// each is carved out of a grant on the home.
pub const FAKE_SENSITIVE: [&str; 7] = [
    ".ssh",
    ".aws",
    ".config/gcloud",
    ".docker/config.json",
    ".netrc",
    ".cargo/credentials.toml",
    ".local/share/keyrings",
];

/// The ordinary files [`Scratch::fake_home`] writes, relative to the home,
/// several of them beside a secret; each holds `# ordinary: PATH` (a
/// comment in TOML, so cargo accepts `.cargo/config.toml`).
pub const FAKE_ORDINARY: [&str; 7] = [
    "notes.txt",
    "proj/readme.txt",
    "proj/sub/deep.txt",
    ".config/app/settings.toml",
    ".docker/daemon.json",
    ".cargo/config.toml",
    ".local/share/app/data.txt",
];

impl Scratch {
    /// Fills the fake home with fake secrets ([`FAKE_SECRETS`], plus
    /// `.ssh/id_ed25519.pub`, `.ssh/config`, `.ssh/hook.sh` and
    /// `.aws/sso/cache/token.json`), ordinary files ([`FAKE_ORDINARY`]),
    /// executable scripts `tool.sh` and `proj/run.sh` (both `exit 0`), and
    /// `outside/file.txt` beside the home. Returns the home.
    pub fn fake_home(&self) -> PathBuf {
        let home = self.home();
        for (rel, _) in FAKE_SECRETS {
            self.write(format!("home/{rel}"), &format!("{SECRET_MARKER} {rel}\n"));
        }
        for rel in [
            ".ssh/id_ed25519.pub",
            ".ssh/config",
            ".aws/sso/cache/token.json",
        ] {
            self.write(format!("home/{rel}"), &format!("{SECRET_MARKER} {rel}\n"));
        }
        for rel in FAKE_ORDINARY {
            self.write(format!("home/{rel}"), &format!("# ordinary: {rel}\n"));
        }
        for rel in ["tool.sh", "proj/run.sh", ".ssh/hook.sh"] {
            let p = self.write(format!("home/{rel}"), "#!/bin/sh\nexit 0\n");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        self.write("outside/file.txt", "outside the home\n");
        home
    }

    /// `nono` as [`Scratch::nono`] makes it, with the variables that move
    /// sensitive paths (`CARGO_HOME`, `XDG_DATA_HOME`) removed, so that the
    /// built-in list finds them in the fake home, and `CARGO_TARGET_DIR`
    /// (which the `rust` preset grants) too.
    pub fn nono_home(&self) -> Command {
        let mut cmd = self.nono();
        cmd.env_remove("CARGO_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("CARGO_TARGET_DIR");
        cmd
    }

    /// Runs `nono ARGS...` as [`Scratch::nono_home`] makes it.
    pub fn run_home<I, S>(&self, args: I) -> Outcome
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Outcome::of(self.nono_home().args(args))
    }
}

/// Asserts that no fake secret's contents appear in `out`'s output.
#[track_caller]
pub fn assert_no_secret(out: &Outcome) {
    assert!(
        !out.stdout.contains(SECRET_MARKER) && !out.stderr.contains(SECRET_MARKER),
        "a secret leaked: {out:#?}"
    );
}

/// A probe of one operation: `OP PATH` prints `OK` (exit 0) or the errno's
/// name (exit 1). Ops: `read` (a directory is listed, a file's first byte
/// read), `write` (a directory gets a new file `.nono-probe` created in it;
/// an existing file is opened for writing without truncation; a missing
/// path is created, exclusively), `execute` (the file is run, its exit
/// status ignored), `connect PORT` and `bind PORT` (TCP on 127.0.0.1).
const OP_PROBE: &str = r#"
import errno, os, socket, subprocess, sys
op, arg = sys.argv[1], sys.argv[2]
try:
    if op == "read":
        if os.path.isdir(arg):
            os.listdir(arg)
        else:
            with open(arg, "rb") as f:
                f.read(1)
    elif op == "write":
        if os.path.isdir(arg):
            os.close(os.open(os.path.join(arg, ".nono-probe"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        elif os.path.lexists(arg):
            os.close(os.open(arg, os.O_WRONLY))
        else:
            os.close(os.open(arg, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    elif op == "execute":
        subprocess.run([arg], stdin=subprocess.DEVNULL, check=False)
    elif op == "connect":
        socket.create_connection(("127.0.0.1", int(arg)), timeout=10).close()
    elif op == "bind":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", int(arg)))
        s.close()
    else:
        sys.exit("unknown probe op " + op)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(1)
"#;

/// The argv of an [`OP_PROBE`] run: `python3 -I -c OP_PROBE OP ARG`.
pub fn op_probe(op: &str, arg: &str) -> Vec<String> {
    vec![
        PYTHON.to_owned(),
        "-I".to_owned(),
        "-c".to_owned(),
        OP_PROBE.to_owned(),
        op.to_owned(),
        arg.to_owned(),
    ]
}

/// A path as UTF-8 text (scratch paths are).
pub fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 scratch path")
}
