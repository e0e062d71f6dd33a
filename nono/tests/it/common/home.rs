//! A fake home holding fake secrets, for the sensitive-path and `nono why`
//! suites.

use super::{Outcome, Scratch, chmod};
use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

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
            chmod(&p, 0o755);
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
