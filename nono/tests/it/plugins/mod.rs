//! Preset plugins (DESIGN.md section 5), end to end with the real binary.
//!
//! - The example organisation plugin (`nono-plugins/examples/acme`) is built
//!   with cargo, as the README's "Writing a preset plugin" says, found
//!   through `$NONO_PLUGIN_PATH`, the user plugin directory or `--plugin`,
//!   listed by `nono presets list`, and `nono run --preset acme/NAME` grants
//!   exactly what it computed from the host context: checked by real access
//!   in the sandbox, with denial twins.
//! - Each way a plugin can fail is a one-line error naming the plugin
//!   (`nono: plugin NAME (PATH): ...`), exit 125, and the command never
//!   starts: a missing symbol, ABI version 2, a panic (a Rust plugin built
//!   with the SDK), a segfault, an infinite loop (the time limit), 100 MB of
//!   output (the size limit), invalid UTF-8, malformed RON, an unknown field,
//!   a group-writable file (and a world-writable directory, a foreign owner),
//!   a manifest naming another plugin. Each failing plugin's twin (the same
//!   plugin without the defect, at the same path) works.
//! - The helper that evaluates a plugin is sandboxed: a plugin that tries to
//!   create a file or open a TCP connection fails (the file does not exist
//!   afterwards, the listener sees no connection), and holds no capability;
//!   the same code run unconfined does both. Nor does it hold a descriptor
//!   nono's caller leaked, a variable other than those the sensitive paths
//!   are written with, the right to dump core or to signal nono, or a
//!   process group shared with nono; its unconfined twin holds each.
//! - A run that names only built-in presets loads no plugin.
//!
//! The failing plugins are tiny C files (`tests/fixtures/plugins/*.c`)
//! compiled with `cc -shared -fPIC` (which also shows a plugin need not be
//! Rust); the panicking one uses the Rust SDK
//! (`nono-plugins/fixtures/panicky`). The Rust plugins are built once per
//! test run, by the cargo running the tests, into their own target directory
//! so that the build never waits on the outer cargo's lock.
//!
//! [`example`] holds the example plugin's tests, [`failures`] each way a
//! plugin fails, [`helper`] the helper's sandbox, [`cache`] and
//! [`cache_tampering`] the cache of plugins' answers.

mod cache;
mod cache_tampering;
mod example;
mod failures;
mod helper;

use crate::common::{
    Outcome, Scratch, assert_absent, assert_file, c_define, chmod, compile_c, run_args,
};
use example::build_readme_crate;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// Building plugins
// ---------------------------------------------------------------------------

/// The Rust plugins, built once.
struct RustPlugins {
    /// The example organisation plugin, `libacme.so`.
    acme: PathBuf,
    /// The SDK plugin that panics, `libpanicky.so`.
    panicky: PathBuf,
    /// The plugin of the README's walkthrough, also `libacme.so`.
    readme: PathBuf,
}

fn workspace_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Where the plugins are built: next to Cargo's tmp dir for tests, in the
/// same target directory, but a build directory of its own, so the build
/// never waits on the outer cargo's lock.
fn plugin_build_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("plugin-build")
}

/// `cargo build --quiet EXTRA... --target-dir TARGET` in `dir`, with the
/// cargo running the tests.
fn cargo_build(dir: &Path, extra: &[&str], target: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let out = Command::new(cargo)
        .current_dir(dir)
        .args(["build", "--quiet"])
        .args(extra)
        .arg("--target-dir")
        .arg(target)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build {extra:?} in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the Rust plugins once: the example and the fixture in the
/// workspace, then the README's crate. Each is copied out of the build
/// directory as soon as it is built.
fn rust_plugins() -> &'static RustPlugins {
    static BUILT: OnceLock<RustPlugins> = OnceLock::new();
    BUILT.get_or_init(|| {
        let target = plugin_build_dir();
        let keep = |built: &str, dir: &str| {
            let dest = target.join("keep").join(dir);
            std::fs::create_dir_all(&dest).unwrap();
            let dest = dest.join(built);
            std::fs::copy(target.join("debug").join(built), &dest).unwrap();
            dest
        };
        cargo_build(
            workspace_dir(),
            &[
                "--locked",
                "-p",
                "nono-example-acme",
                "-p",
                "nono-fixture-panicky",
            ],
            &target,
        );
        let acme = keep("libacme.so", "example");
        let panicky = keep("libpanicky.so", "fixture");
        build_readme_crate(&target);
        // A release build, as the README says: release/libacme.so. (Not
        // debug: a cdylib's file name carries no hash, so two crates whose
        // library is `acme` would overwrite each other's deps/libacme.so.)
        let readme = target.join("keep/readme/libacme.so");
        std::fs::create_dir_all(readme.parent().unwrap()).unwrap();
        std::fs::copy(target.join("release/libacme.so"), &readme).unwrap();
        RustPlugins {
            acme,
            panicky,
            readme,
        }
    })
}

/// What every C test plugin starts with: `answer()` returns a malloc'ed
/// copy of its text, which `nono_plugin_free` frees.
/// A good manifest for plugin `name`: one preset, `files`, granting Read on
/// `path`.
fn good_manifest(name: &str, path: &Path) -> String {
    format!(
        "(\n    name: \"{name}\",\n    version: \"2.0.0\",\n    presets: [\n        (name: \"files\", description: \"C plugin {name}\", grants: [(path: \"{}\", access: Read)]),\n    ],\n)\n",
        path.display()
    )
}

/// A scratch directory with a plugin directory beside it (mode 0755), and a
/// `granted/` directory with a file that the `files` preset of a good test
/// plugin grants.
struct Lab {
    s: Scratch,
    dir: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let s = Scratch::new();
        // Beside the scratch directory: nono denies the directories of
        // $NONO_PLUGIN_PATH to every sandbox, so inside it the plugin
        // directory would carve the tests' `--allow .`.
        let dir = s.beside("plugins");
        chmod(&dir, 0o755);
        s.write("granted/data.txt", "granted by the plugin\n");
        s.write("outside/secret.txt", "not granted\n");
        Lab { s, dir }
    }

    fn granted(&self) -> PathBuf {
        self.s.join("granted")
    }

    /// Compiles the C plugin `SOURCE.c` (`tests/fixtures/plugins`), with
    /// `defines`, into `plugins/libNAME.so`, mode 0644, replacing what was
    /// there.
    fn c_plugin(&self, name: &str, source: &str, defines: &[String]) -> PathBuf {
        let tmp = self.s.mkdir("build").join(format!("lib{name}.so"));
        let mut flags = vec!["-shared", "-fPIC"];
        flags.extend(defines.iter().map(String::as_str));
        compile_c(source, &tmp, &flags);
        let path = self.dir.join(format!("lib{name}.so"));
        std::fs::rename(&tmp, &path).unwrap();
        chmod(&path, 0o644);
        path
    }

    /// A C plugin `name` whose answer is exactly `bytes` (`answer.c`).
    fn answering(&self, name: &str, bytes: &[u8]) -> PathBuf {
        self.c_plugin(name, "answer", &[c_define("ANSWER", bytes)])
    }

    /// A C plugin `name` that works: its `files` preset grants `granted/`.
    fn good_c_plugin(&self, name: &str) -> PathBuf {
        self.answering(name, good_manifest(name, &self.granted()).as_bytes())
    }

    /// Copies a built plugin into `plugins/` as `libNAME.so`, mode 0644.
    fn install(&self, built: &Path, name: &str) -> PathBuf {
        let path = self.dir.join(format!("lib{name}.so"));
        std::fs::copy(built, &path).unwrap();
        chmod(&path, 0o644);
        path
    }

    /// `nono` with `NONO_PLUGIN_PATH` set to the plugin directory.
    fn nono(&self) -> Command {
        let mut cmd = self.s.nono();
        cmd.env("NONO_PLUGIN_PATH", &self.dir);
        cmd
    }

    fn run<I, S>(&self, args: I) -> Outcome
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Outcome::of(self.nono().args(args))
    }

    /// `nono run --allow . --preset PRESET -- touch MARKER`.
    fn run_marker(&self, preset: &str) -> Outcome {
        self.run(run_args(
            ["--allow", ".", "--preset", preset],
            ["touch", "MARKER"],
        ))
    }

    /// Asserts that plugin `name` at `path` fails with `what` (a one-line
    /// error naming the plugin, exit 125) and that the command did not
    /// start.
    #[track_caller]
    fn expect_failure(&self, name: &str, path: &Path, what: &str) -> Outcome {
        let out = self.run_marker(&format!("{name}/files"));
        out.expect_nono_error(&format!("plugin {name} ({}): ", path.display()))
            .expect_stderr(what);
        assert_absent(&self.s.join("MARKER"));
        out
    }

    /// The twin: the same plugin name and path without the defect works,
    /// and the command runs.
    #[track_caller]
    fn expect_twin_works(&self, name: &str) {
        let path = self.good_c_plugin(name);
        assert_eq!(path, self.dir.join(format!("lib{name}.so")));
        self.run_marker(&format!("{name}/files")).expect_ok();
        assert_file(&self.s.join("MARKER"), "");
        std::fs::remove_file(self.s.join("MARKER")).unwrap();
    }
}
