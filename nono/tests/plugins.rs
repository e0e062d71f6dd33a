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
//! The failing plugins are tiny C files compiled with `cc -shared -fPIC`
//! (which also shows a plugin need not be Rust); the panicking one uses the
//! Rust SDK (`nono-plugins/fixtures/panicky`). The Rust plugins are built
//! once per test run, by the cargo running the tests, into their own target
//! directory so that the build never waits on the outer cargo's lock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Outcome, Scratch, assert_absent, assert_file, run_args, text};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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
const C_PRELUDE: &str = r#"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static unsigned char *answer(const char *text, size_t len, size_t *out_len) {
    unsigned char *copy = malloc(len);
    memcpy(copy, text, len);
    *out_len = len;
    return copy;
}

void nono_plugin_free(unsigned char *ptr, size_t len) {
    (void)len;
    free(ptr);
}
"#;

const ABI_1: &str = "unsigned nono_plugin_abi_version(void) { return 1; }";

/// `bytes` as a C string literal (octal escapes, which cannot run on into
/// the next character).
fn c_literal(bytes: &[u8]) -> String {
    let mut lit = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => lit.push_str("\\\""),
            b'\\' => lit.push_str("\\\\"),
            b' '..=b'~' => lit.push(b as char),
            _ => lit.push_str(&format!("\\{b:03o}")),
        }
    }
    lit.push('"');
    lit
}

/// A `nono_plugin_presets` that returns exactly `bytes`.
fn presets_returning(bytes: &[u8]) -> String {
    format!(
        "unsigned char *nono_plugin_presets(const unsigned char *ctx, size_t ctx_len, size_t *out_len) {{\n\
         \x20   static const char text[] = {};\n\
         \x20   (void)ctx; (void)ctx_len;\n\
         \x20   return answer(text, sizeof text - 1, out_len);\n\
         }}\n",
        c_literal(bytes)
    )
}

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

    /// Compiles C source (after the prelude) into `plugins/libNAME.so`,
    /// mode 0644, replacing what was there.
    fn c_plugin(&self, name: &str, source: &str) -> PathBuf {
        let src = self
            .s
            .write(format!("src/{name}.c"), &format!("{C_PRELUDE}\n{source}"));
        let tmp = self.s.join(format!("src/lib{name}.so"));
        compile_c(&src, &tmp, &["-shared", "-fPIC"]);
        let path = self.dir.join(format!("lib{name}.so"));
        std::fs::rename(&tmp, &path).unwrap();
        chmod(&path, 0o644);
        path
    }

    /// A C plugin `name` that works: its `files` preset grants `granted/`.
    fn good_c_plugin(&self, name: &str) -> PathBuf {
        let manifest = good_manifest(name, &self.granted());
        self.c_plugin(
            name,
            &format!("{ABI_1}\n{}", presets_returning(manifest.as_bytes())),
        )
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

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn compile_c(src: &Path, out: &Path, flags: &[&str]) {
    let status = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(src)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed on {}", src.display());
}

// ---------------------------------------------------------------------------
// The example plugin
// ---------------------------------------------------------------------------

/// The first code block of kind `lang` (```` ```lang ````) in the README's
/// "Writing a preset plugin" section, unindented.
fn readme_block(lang: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let section = readme
        .split("### Writing a preset plugin")
        .nth(1)
        .expect("the README has a \"Writing a preset plugin\" section");
    let fence = format!("```{lang}\n");
    let start = section
        .find(&fence)
        .unwrap_or_else(|| panic!("no {lang} block in the section"));
    let lines: Vec<&str> = section[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.trim() != "```")
        .collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").to_owned() + "\n")
        .collect()
}

/// Builds the plugin a newcomer writes by following the README: a crate
/// made of its `Cargo.toml` and `src/lib.rs` blocks, built with
/// `cargo build --release`, in the plugin build directory, as its own
/// workspace with a copy of nono's lock file (so it builds offline).
fn build_readme_crate(target: &Path) {
    let krate = target.join("readme-plugin");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let sdk = workspace_dir().join("nono-plugins").canonicalize().unwrap();
    let toml = readme_block("toml").replace("/path/to/nono/nono-plugins", sdk.to_str().unwrap());
    write_if_changed(
        &krate.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"acme-presets\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             # Its own workspace, wherever the build directory is.\n[workspace]\n\n{toml}"
        ),
    );
    write_if_changed(&krate.join("src/lib.rs"), &readme_block("rust"));
    if !krate.join("Cargo.lock").exists() {
        std::fs::copy(workspace_dir().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    }
    cargo_build(&krate, &["--release", "--offline"], target);
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

/// The README's walkthrough, step by step: the crate from its blocks,
/// built; `libacme.so` installed in `~/.config/nono/plugins` with safe
/// permissions; `nono presets list`, `nono presets show acme/jdk`,
/// `nono run --preset acme/jdk`.
#[test]
fn the_readme_walkthrough_works_end_to_end() {
    let built = &rust_plugins().readme;
    let s = Scratch::new();
    s.write("jdk/release", "JAVA_VERSION=\"21\"\n");
    let user_plugins = s.mkdir("home/.config/nono/plugins");
    chmod(&user_plugins, 0o755);
    let installed = user_plugins.join("libacme.so");
    std::fs::copy(built, &installed).unwrap();
    chmod(&installed, 0o644);
    let nono = || {
        let mut cmd = s.nono();
        cmd.env("ACME_JDK_HOME", s.join("jdk"));
        cmd
    };

    let list = Outcome::of(nono().args(["presets", "list"]));
    list.expect_ok();
    for preset in ["acme/jdk", "acme/cache"] {
        let line = list
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(preset))
            .unwrap_or_else(|| panic!("{preset} is not listed: {list:#?}"));
        assert!(
            line.contains(&format!(
                "plugin acme ({}), version 0.1.0",
                installed.display()
            )),
            "{line}"
        );
    }
    Outcome::of(nono().args(["presets", "show", "acme/jdk"]))
        .expect_ok()
        .expect_stdout(&format!("  read   {}\n", s.join("jdk").display()));

    Outcome::of(nono().args(run_args(["--preset", "acme/jdk"], ["cat", "jdk/release"])))
        .expect_ok()
        .expect_stdout("JAVA_VERSION=\"21\"");
    // Twin: without the preset, the JDK is out of reach.
    let denied = Outcome::of(nono().args(run_args(["--read", "home"], ["cat", "jdk/release"])));
    denied.expect_code(1).expect_stderr("Permission denied");
}

#[test]
fn the_example_is_found_through_nono_plugin_path_and_listed() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let out = Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", lab.granted())
            .args(["presets", "list"]),
    );
    out.expect_ok();
    for name in ["acme/jdk", "acme/cache", "acme/build"] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} is not listed: {out:#?}"));
        assert!(
            line.contains(&format!("plugin acme ({})", path.display())),
            "{line}"
        );
    }
    // The description comes from the host context: where the JDK was found.
    out.expect_stdout(&format!(
        "Acme JDK at {} (from $ACME_JDK_HOME)",
        lab.granted().display()
    ));
    // The built-ins are still there, first.
    assert!(out.stdout.starts_with("base "), "{out:#?}");

    let json = Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", lab.granted())
            .args(["presets", "list", "--json"]),
    )
    .expect_ok()
    .json();
    let jdk = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "acme/jdk")
        .unwrap();
    assert_eq!(jdk["version"], "1.4.0");
    assert_eq!(jdk["grants"][0]["path"], lab.granted().to_str().unwrap());

    // Twin: without the plugin path, no acme presets.
    let out = lab.s.run(["presets", "list"]);
    out.expect_ok();
    assert!(!out.stdout.contains("acme/"), "{out:#?}");
}

#[test]
fn the_example_jdk_preset_grants_what_it_computed_and_nothing_else() {
    let lab = Lab::new();
    lab.install(&rust_plugins().acme, "acme");
    let with_jdk =
        |args: Vec<String>| Outcome::of(lab.nono().env("ACME_JDK_HOME", lab.granted()).args(args));

    // What it grants: exactly the JDK directory, Read, under its name.
    let json = with_jdk(run_args(
        ["--dry-run", "--json", "--no-base", "--preset", "acme/jdk"],
        ["true"],
    ))
    .expect_ok()
    .json();
    let grants = json["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{json:#}");
    assert_eq!(grants[0]["source"]["preset"], "acme/jdk");
    assert_eq!(grants[0]["path"], lab.granted().to_str().unwrap());
    assert_eq!(grants[0]["access"], "Read");
    let text = with_jdk(run_args(["--dry-run", "--preset", "acme/jdk"], ["true"]));
    text.expect_ok().expect_stdout(&format!(
        "{} (dir, read): execute, read_file, read_dir  [preset acme/jdk]",
        lab.granted().display()
    ));

    // Real access: the JDK can be read...
    with_jdk(run_args(
        ["--preset", "acme/jdk"],
        ["cat", "granted/data.txt"],
    ))
    .expect_ok()
    .expect_stdout("granted by the plugin");
    // ...but not written,
    let out = with_jdk(run_args(
        ["--preset", "acme/jdk"],
        ["touch", "granted/new.txt"],
    ));
    out.expect_code(1).expect_stderr("Permission denied");
    assert_absent(&lab.s.join("granted/new.txt"));
    // ...and its sibling cannot be read.
    let out = with_jdk(run_args(
        ["--preset", "acme/jdk"],
        ["cat", "outside/secret.txt"],
    ));
    out.expect_code(1).expect_stderr("Permission denied");
    assert!(!out.stdout.contains("not granted"));

    // Without ACME_JDK_HOME (and no /opt/acme/jdk here), the plugin has no
    // JDK preset: a clear error naming it.
    if !Path::new("/opt/acme/jdk").exists() {
        let out = lab.run(run_args(["--preset", "acme/jdk"], ["true"]));
        out.expect_nono_error("has no preset 'jdk' (it has: cache, build)");
    }
}

#[test]
fn the_example_cache_preset_follows_the_home_in_the_context() {
    let lab = Lab::new();
    lab.install(&rust_plugins().acme, "acme");
    let cache = lab.s.mkdir("home/.cache/acme");
    lab.run(run_args(
        ["--preset", "acme/cache"],
        ["touch", "home/.cache/acme/artifact"],
    ))
    .expect_ok();
    assert_file(&cache.join("artifact"), "");
    // Twin: the rest of the home is not granted.
    let out = lab.run(run_args(
        ["--preset", "acme/cache"],
        ["touch", "home/elsewhere"],
    ));
    out.expect_code(1).expect_stderr("Permission denied");
    assert_absent(&lab.s.join("home/elsewhere"));
}

#[test]
fn the_example_build_preset_extends_its_siblings() {
    let lab = Lab::new();
    lab.install(&rust_plugins().acme, "acme");
    lab.s.mkdir("home/.cache/acme");
    let json = Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", lab.granted())
            .args(run_args(
                ["--dry-run", "--json", "--preset", "acme/build"],
                ["true"],
            )),
    )
    .expect_ok()
    .json();
    let sources: Vec<&str> = json["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["source"]["preset"].as_str().unwrap_or(""))
        .collect();
    for preset in ["base", "tmp", "acme/jdk", "acme/cache"] {
        assert!(sources.contains(&preset), "{preset}: {sources:?}");
    }
}

#[test]
fn a_plugin_named_with_dash_dash_plugin_needs_no_plugin_path() {
    let lab = Lab::new();
    let file = lab.s.join("elsewhere/libacme.so");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    chmod(file.parent().unwrap(), 0o755);
    std::fs::copy(&rust_plugins().acme, &file).unwrap();
    chmod(&file, 0o644);
    lab.s.mkdir("home/.cache/acme");
    let plugin = file.to_str().unwrap();
    lab.s
        .run(run_args(
            ["--plugin", plugin, "--preset", "acme/cache"],
            ["touch", "home/.cache/acme/x"],
        ))
        .expect_ok();
    lab.s
        .run(["presets", "show", "acme/cache", "--plugin", plugin])
        .expect_ok()
        .expect_stdout(&format!("source: plugin acme ({plugin}), version 1.4.0"));
    // Twin: without --plugin, there is no plugin acme.
    lab.s
        .run(run_args(["--preset", "acme/cache"], ["true"]))
        .expect_nono_error("no plugin 'acme'");
    // A --plugin file must be named libNAME.so.
    let bad = lab.s.join("elsewhere/acme.so");
    std::fs::copy(&file, &bad).unwrap();
    lab.s
        .run(run_args(
            ["--plugin", bad.to_str().unwrap(), "--preset", "acme/cache"],
            ["true"],
        ))
        .expect_nono_error("must be named libNAME.so");
}

#[test]
fn a_user_preset_can_extend_a_plugin_preset() {
    let lab = Lab::new();
    lab.good_c_plugin("tools");
    lab.s.write(
        "home/.config/nono/presets/mine.ron",
        "(name: \"mine\", description: \"d\", extends: [\"tools/files\"])",
    );
    lab.run(run_args(["--preset", "mine"], ["cat", "granted/data.txt"]))
        .expect_ok()
        .expect_stdout("granted by the plugin");
    // Twin: the user preset alone, without the plugin path, cannot load it.
    lab.s
        .run(run_args(["--preset", "mine"], ["true"]))
        .expect_nono_error("no plugin 'tools'");
}

// ---------------------------------------------------------------------------
// Plugins are loaded only when needed
// ---------------------------------------------------------------------------

#[test]
fn a_run_naming_only_builtin_presets_loads_no_plugin() {
    let lab = Lab::new();
    // A plugin that crashes whenever it is evaluated.
    let path = lab.c_plugin(
        "acme",
        &format!("{ABI_1}\nunsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {{ (void)c; (void)n; (void)o; *(volatile int *)0 = 1; return 0; }}"),
    );
    lab.run(run_args(
        ["--allow", ".", "--preset", "tmp", "--preset", "rust"],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert_file(&lab.s.join("MARKER"), "");
    lab.run(["presets", "show", "rust"]).expect_ok();
    // Twin: naming one of its presets loads it, and it crashes.
    std::fs::remove_file(lab.s.join("MARKER")).unwrap();
    lab.expect_failure("acme", &path, "crashed (signal SIGSEGV)");
}

#[test]
fn an_unknown_plugin_or_plugin_preset_is_125_naming_it() {
    let lab = Lab::new();
    let path = lab.good_c_plugin("tools");
    let out = lab.run_marker("nosuch/files");
    out.expect_nono_error("--preset nosuch/files: no plugin 'nosuch'")
        .expect_stderr(&format!("looked for libnosuch.so in {}", lab.dir.display()));
    let out = lab.run_marker("tools/nosuch");
    out.expect_nono_error(&format!(
        "plugin tools ({}) has no preset 'nosuch' (it has: files)",
        path.display()
    ));
    assert_absent(&lab.s.join("MARKER"));
    // Twin.
    lab.run_marker("tools/files").expect_ok();
    assert_file(&lab.s.join("MARKER"), "");
}

#[test]
fn presets_list_lists_what_loads_and_names_each_broken_plugin() {
    let lab = Lab::new();
    lab.good_c_plugin("tools");
    let broken = lab.c_plugin(
        "broken",
        &format!("{ABI_1}\n{}", presets_returning(b"(oops")),
    );
    let out = lab.run(["presets", "list"]);
    out.expect_nono_error(&format!("plugin broken ({}): ", broken.display()));
    out.expect_stdout("tools/files ").expect_stdout("base ");
    // Twin: without the broken plugin, the listing succeeds.
    std::fs::remove_file(&broken).unwrap();
    lab.run(["presets", "list"])
        .expect_ok()
        .expect_stdout("tools/files ");
}

// ---------------------------------------------------------------------------
// Each way a plugin fails: a clear error naming it, 125, nothing runs
// ---------------------------------------------------------------------------

#[test]
fn a_missing_symbol_is_an_error() {
    let lab = Lab::new();
    // The ABI version, but no nono_plugin_presets.
    let path = lab.c_plugin("nosym", ABI_1);
    lab.expect_failure("nosym", &path, "missing symbol nono_plugin_presets");
    lab.expect_twin_works("nosym");
}

#[test]
fn abi_version_2_is_an_error() {
    let lab = Lab::new();
    let manifest = good_manifest("future", &lab.granted());
    let path = lab.c_plugin(
        "future",
        &format!(
            "unsigned nono_plugin_abi_version(void) {{ return 2; }}\n{}",
            presets_returning(manifest.as_bytes())
        ),
    );
    lab.expect_failure(
        "future",
        &path,
        "it speaks plugin ABI version 2, but this nono speaks version 1",
    );
    lab.expect_twin_works("future");
}

#[test]
fn a_panic_in_an_sdk_plugin_is_an_error_not_an_abort() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().panicky, "panicky");
    let out = lab.expect_failure("panicky", &path, "failed: panicked at ");
    out.expect_stderr("the fixture panics on purpose");
    // The panic message came through the host context: the fixture
    // formats the home directory it was told.
    out.expect_stderr(&lab.s.home().display().to_string());
    // Twin: an SDK plugin that does not panic works.
    lab.install(&rust_plugins().acme, "acme");
    lab.s.mkdir("home/.cache/acme");
    lab.run_marker("acme/cache").expect_ok();
    assert_file(&lab.s.join("MARKER"), "");
}

#[test]
fn a_segfault_is_an_error() {
    let lab = Lab::new();
    let path = lab.c_plugin(
        "segv",
        &format!("{ABI_1}\nunsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {{ (void)c; (void)n; (void)o; *(volatile int *)0 = 1; return 0; }}"),
    );
    lab.expect_failure("segv", &path, "crashed (signal SIGSEGV)");
    lab.expect_twin_works("segv");
}

#[test]
fn an_infinite_loop_hits_the_time_limit() {
    let lab = Lab::new();
    let path = lab.c_plugin(
        "spin",
        &format!("{ABI_1}\nunsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {{ volatile unsigned long i = 0; (void)c; (void)n; (void)o; for (;;) i++; }}"),
    );
    let start = Instant::now();
    lab.expect_failure(
        "spin",
        &path,
        "did not answer within 5 s (the time limit), so it was stopped",
    );
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(4900) && took < Duration::from_secs(30),
        "{took:?}"
    );
    lab.expect_twin_works("spin");
}

#[test]
fn a_hundred_megabytes_of_output_hits_the_size_limit() {
    let lab = Lab::new();
    let path = lab.c_plugin(
        "huge",
        &format!(
            "{ABI_1}\nunsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {{\n\
             \x20   size_t len = (size_t)100 << 20;\n\
             \x20   unsigned char *p = malloc(len);\n\
             \x20   (void)c; (void)n;\n\
             \x20   memset(p, 'x', len);\n\
             \x20   *o = len;\n\
             \x20   return p;\n\
             }}"
        ),
    );
    lab.expect_failure("huge", &path, "more than 4 MiB (the output limit)");
    lab.expect_twin_works("huge");
}

#[test]
fn invalid_utf8_is_an_error() {
    let lab = Lab::new();
    let path = lab.c_plugin(
        "latin",
        &format!(
            "{ABI_1}\n{}",
            presets_returning(b"(name: \"latin\", version: \"caf\xe9\")")
        ),
    );
    lab.expect_failure("latin", &path, "returned invalid UTF-8 (at byte 29 of 32)");
    lab.expect_twin_works("latin");
}

#[test]
fn malformed_ron_is_an_error_with_line_and_column() {
    let lab = Lab::new();
    // A missing comma after the version: the parser notices at line 4,
    // column 5, where `presets` starts instead.
    let path = lab.c_plugin(
        "sloppy",
        &format!(
            "{ABI_1}\n{}",
            presets_returning(
                b"(\n    name: \"sloppy\",\n    version: \"1\"\n    presets: [],\n)\n"
            )
        ),
    );
    lab.expect_failure(
        "sloppy",
        &path,
        "returned a malformed manifest: 4:5: Expected comma",
    );
    lab.expect_twin_works("sloppy");
}

#[test]
fn an_unknown_field_in_a_preset_is_an_error() {
    let lab = Lab::new();
    let path = lab.c_plugin(
        "colourful",
        &format!(
            "{ABI_1}\n{}",
            presets_returning(
                b"(name: \"colourful\", version: \"1\", presets: [(name: \"files\", description: \"d\", colour: \"red\")])"
            )
        ),
    );
    let out = lab.expect_failure("colourful", &path, "returned a malformed manifest: 1:");
    out.expect_stderr("colour");
    lab.expect_twin_works("colourful");
}

#[test]
fn a_manifest_naming_another_plugin_is_an_error() {
    let lab = Lab::new();
    let manifest = good_manifest("acme", &lab.granted());
    let path = lab.c_plugin(
        "impostor",
        &format!("{ABI_1}\n{}", presets_returning(manifest.as_bytes())),
    );
    lab.expect_failure(
        "impostor",
        &path,
        "the manifest names the plugin 'acme', but its file name makes it 'impostor'",
    );
    lab.expect_twin_works("impostor");
}

#[test]
fn a_null_answer_reports_the_plugins_last_words() {
    let lab = Lab::new();
    let path = lab.c_plugin(
        "quitter",
        &format!("{ABI_1}\nunsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {{ (void)c; (void)n; (void)o; fprintf(stderr, \"no JDK configured\\n\"); return NULL; }}"),
    );
    lab.expect_failure("quitter", &path, "failed: no JDK configured");
    lab.expect_twin_works("quitter");
}

#[test]
fn untrusted_plugin_files_are_refused_saying_why() {
    let lab = Lab::new();
    let path = lab.good_c_plugin("shared");
    let canonical = path.canonicalize().unwrap();

    chmod(&path, 0o664);
    lab.expect_failure(
        "shared",
        &path,
        &format!(
            "refused: its file {} is group-writable (mode 0664)",
            canonical.display()
        ),
    );
    chmod(&path, 0o644);

    chmod(&lab.dir, 0o757);
    lab.expect_failure(
        "shared",
        &path,
        &format!(
            "refused: its directory {} is world-writable (mode 0757)",
            lab.dir.canonicalize().unwrap().display()
        ),
    );
    chmod(&lab.dir, 0o755);

    // Owned by someone else (only root can give a file away).
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&path, Some(4242), None).unwrap();
        lab.expect_failure(
            "shared",
            &path,
            "is owned by uid 4242, not by root or by you",
        );
        std::os::unix::fs::chown(&path, Some(0), None).unwrap();
    }

    // Twin: the same file, with safe permissions, works.
    lab.run_marker("shared/files").expect_ok();
    assert_file(&lab.s.join("MARKER"), "");
}

// ---------------------------------------------------------------------------
// The helper's sandbox
// ---------------------------------------------------------------------------

/// A plugin body that tries to create `TARGET_FILE`, connect to
/// 127.0.0.1:`PORT` and to the Unix socket `UNIX_SOCKET` (as a container
/// runtime's or a bus's would be), make the existing `MODE_FILE`
/// world-writable, reads its own effective capabilities, and reports all
/// five in its preset's description. `main` runs the same
/// code unconfined.
const ESCAPE: &str = r#"
unsigned nono_plugin_abi_version(void) { return 1; }

static char report[1024];

static const char *attempt(void) {
    int fd = open(TARGET_FILE, O_CREAT | O_WRONLY, 0644);
    const char *file = fd >= 0 ? "created" : strerror(errno);
    char file_result[128];
    snprintf(file_result, sizeof file_result, "%s", file);
    const char *tcp;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        tcp = strerror(errno);
    } else {
        struct sockaddr_in addr = {0};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(PORT);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        tcp = connect(s, (struct sockaddr *)&addr, sizeof addr) == 0 ? "connected" : strerror(errno);
    }
    char tcp_result[128];
    snprintf(tcp_result, sizeof tcp_result, "%s", tcp);
    const char *unix_result;
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    if (u < 0) {
        unix_result = strerror(errno);
    } else {
        struct sockaddr_un addr = {0};
        addr.sun_family = AF_UNIX;
        snprintf(addr.sun_path, sizeof addr.sun_path, "%s", UNIX_SOCKET);
        unix_result = connect(u, (struct sockaddr *)&addr, sizeof addr) == 0 ? "connected" : strerror(errno);
    }
    const char *mode = chmod(MODE_FILE, 0666) == 0 ? "changed" : strerror(errno);
    char mode_result[128];
    snprintf(mode_result, sizeof mode_result, "%s", mode);
    char caps[64] = "unknown";
    FILE *status = fopen("/proc/self/status", "r");
    if (status) {
        char line[256];
        while (fgets(line, sizeof line, status)) {
            if (strncmp(line, "CapEff:\t", 8) == 0) {
                snprintf(caps, sizeof caps, "%.16s", line + 8);
            }
        }
        fclose(status);
    }
    snprintf(report, sizeof report, "file=%s tcp=%s unix=%s chmod=%s capeff=%s",
        file_result, tcp_result, unix_result, mode_result, caps);
    return report;
}

unsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {
    char text[2048];
    (void)c; (void)n;
    snprintf(text, sizeof text,
        "(name: \"escape\", version: \"1\", presets: [(name: \"files\", description: \"%s\")])",
        attempt());
    return answer(text, strlen(text), o);
}

#ifdef UNCONFINED
int main(void) {
    puts(attempt());
    return 0;
}
#endif
"#;

#[test]
fn the_helper_cannot_write_files_or_connect_and_holds_no_capabilities() {
    let lab = Lab::new();
    let target = lab.s.join("escaped.txt");
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    tcp.set_nonblocking(true).unwrap();
    let port = tcp.local_addr().unwrap().port();
    let socket_path = lab.s.join("daemon.sock");
    let unix = UnixListener::bind(&socket_path).unwrap();
    unix.set_nonblocking(true).unwrap();
    let mode_file = lab.s.write("mode.txt", "a user's file\n");
    chmod(&mode_file, 0o644);
    let defines = [
        format!(
            "-DMODE_FILE={}",
            c_literal(mode_file.to_str().unwrap().as_bytes())
        ),
        format!(
            "-DTARGET_FILE={}",
            c_literal(target.to_str().unwrap().as_bytes())
        ),
        format!("-DPORT={port}"),
        format!(
            "-DUNIX_SOCKET={}",
            c_literal(socket_path.to_str().unwrap().as_bytes())
        ),
    ];
    let src = lab
        .s
        .write("src/escape.c", &format!("{C_PRELUDE}\n{ESCAPE}"));
    let built = lab.s.join("src/libescape.so");
    let mut flags = vec!["-shared", "-fPIC"];
    flags.extend(defines.iter().map(String::as_str));
    compile_c(&src, &built, &flags);
    let path = lab.dir.join("libescape.so");
    std::fs::rename(&built, &path).unwrap();
    chmod(&path, 0o644);

    let out = lab.run(["presets", "show", "escape/files"]);
    out.expect_ok();
    let description = out.stdout.lines().next().unwrap();
    for expected in [
        "file=Permission denied",
        "tcp=Permission denied",
        "unix=Permission denied",
        "chmod=Operation not permitted",
        "capeff=0000000000000000",
    ] {
        assert!(description.contains(expected), "{expected}: {description}");
    }
    assert_absent(&target);
    use std::os::unix::fs::PermissionsExt;
    let mode = || std::fs::metadata(&mode_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(), 0o644, "the plugin changed a file's mode");
    let accepted = tcp.accept().map(|_| ());
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the plugin connected over TCP: {accepted:?}"
    );
    let accepted = unix.accept().map(|_| ());
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the plugin connected to the Unix socket: {accepted:?}"
    );

    // Twin: the same code, unconfined, does all of it.
    let exe = lab.s.join("src/escape");
    let mut flags = vec!["-DUNCONFINED"];
    flags.extend(defines.iter().map(String::as_str));
    compile_c(&src, &exe, &flags);
    let out = Outcome::of(&mut Command::new(&exe));
    out.expect_ok();
    assert!(
        out.stdout
            .starts_with("file=created tcp=connected unix=connected chmod=changed"),
        "{out:#?}"
    );
    assert_file(&target, "");
    assert_eq!(mode(), 0o666);
    tcp.set_nonblocking(false).unwrap();
    unix.set_nonblocking(false).unwrap();
    tcp.accept()
        .expect("the unconfined twin connected over TCP");
    unix.accept()
        .expect("the unconfined twin connected to the Unix socket");
}

#[test]
fn what_a_plugin_prints_does_not_corrupt_its_answer() {
    let lab = Lab::new();
    let manifest = good_manifest("chatty", &lab.granted());
    // 100 MB on its standard output and some on standard error, then a good
    // answer.
    let path = lab.c_plugin(
        "chatty",
        &format!(
            "{ABI_1}\n\
             unsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {{\n\
             \x20   static const char text[] = {};\n\
             \x20   static char junk[1 << 20];\n\
             \x20   (void)c; (void)n;\n\
             \x20   memset(junk, '(', sizeof junk);\n\
             \x20   for (int i = 0; i < 100; i++) {{ if (write(1, junk, sizeof junk) < 0) break; }}\n\
             \x20   fprintf(stderr, \"just saying\\n\");\n\
             \x20   return answer(text, sizeof text - 1, o);\n\
             }}",
            c_literal(manifest.as_bytes())
        ),
    );
    lab.run_marker("chatty/files").expect_ok();
    assert_file(&lab.s.join("MARKER"), "");
    let _ = path;
}

/// A plugin that tries to read a fake SSH key and an ordinary file in the
/// home directory, and looks for a token in the context it was given.
const PRYING: &str = r#"
unsigned nono_plugin_abi_version(void) { return 1; }

static const char *try_read(const char *path) {
    static char results[2][128];
    static int which = 0;
    char *out = results[which++ % 2];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(out, 128, "%s", strerror(errno));
    } else {
        ssize_t n = read(fd, out, 127);
        out[n > 0 ? n : 0] = 0;
        for (char *p = out; *p; p++) if (*p == '\n' || *p == '"') *p = ' ';
        close(fd);
    }
    return out;
}

static int contains(const unsigned char *hay, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        if (memcmp(hay + i, needle, m) == 0) return 1;
    }
    return 0;
}

unsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {
    char key[512], notes[512], text[2048];
    const char *home = getenv("HOME");
    snprintf(key, sizeof key, "%s/.ssh/id_ed25519", home ? home : "/nonexistent");
    snprintf(notes, sizeof notes, "%s/notes.txt", home ? home : "/nonexistent");
    char k[128], t[128];
    snprintf(k, sizeof k, "%s", try_read(key));
    snprintf(t, sizeof t, "%s", try_read(notes));
    const char *token = contains(c, n, "FOO_TOKEN") ? "present" : "absent";
    const char *path = contains(c, n, "PLAIN_SETTING") ? "present" : "absent";
    snprintf(text, sizeof text,
        "(name: \"prying\", version: \"1\", presets: [(name: \"files\", description: \"key=%s notes=%s token=%s plain=%s\")])",
        k, t, token, path);
    return answer(text, strlen(text), o);
}
"#;

#[test]
fn the_helper_cannot_read_sensitive_paths_and_the_context_has_no_credentials() {
    let lab = Lab::new();
    let home = lab.s.home();
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(home.join(".ssh/id_ed25519"), "PRIVATE-KEY-MATERIAL\n").unwrap();
    std::fs::write(home.join("notes.txt"), "ordinary-notes\n").unwrap();
    lab.c_plugin("prying", PRYING);

    let out = Outcome::of(
        lab.nono()
            .env("FOO_TOKEN", "token-value-123")
            .env("PLAIN_SETTING", "1")
            .args(["presets", "show", "prying/files"]),
    );
    out.expect_ok();
    let description = out.stdout.lines().next().unwrap();
    // Denied: the key (a built-in sensitive path) and the token.
    assert!(
        description.contains("key=Permission denied"),
        "{description}"
    );
    assert!(!out.stdout.contains("PRIVATE-KEY-MATERIAL"), "{out:#?}");
    assert!(description.contains("token=absent"), "{description}");
    assert!(!out.stdout.contains("token-value-123"), "{out:#?}");
    // Twins: an ordinary file in the same home is readable, and an ordinary
    // variable reaches the plugin.
    assert!(
        description.contains("notes=ordinary-notes"),
        "{description}"
    );
    assert!(description.contains("plain=present"), "{description}");
}

/// A plugin body that reports what the helper process it runs in holds: a
/// descriptor nono's caller leaked as number 47 (it writes through it), its
/// dumpability and core-size limit, whether it leads its own process group,
/// a variable nono was given, every variable name it sees, no_new_privs and
/// the seccomp mode, and whether it may signal its parent (nono). `main`
/// runs the same code as an ordinary child of the test.
const HOLDINGS: &str = r#"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

unsigned nono_plugin_abi_version(void) { return 1; }

extern char **environ;
static char report[4096];

static void status_field(const char *field, char *out, size_t n) {
    snprintf(out, n, "?");
    FILE *status = fopen("/proc/self/status", "r");
    if (!status) return;
    char line[256];
    size_t len = strlen(field);
    while (fgets(line, sizeof line, status)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            snprintf(out, n, "%s", line + len + 2);
            out[strcspn(out, "\n")] = 0;
        }
    }
    fclose(status);
}

static const char *probe(void) {
    char fd[64];
    snprintf(fd, sizeof fd, "%s", write(47, "x", 1) == 1 ? "written" : strerror(errno));
    struct rlimit core = {0};
    getrlimit(RLIMIT_CORE, &core);
    char names[1024] = "";
    for (char **e = environ; *e; e++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%.*s", used ? "+" : "",
            (int)strcspn(*e, "="), *e);
    }
    char nnp[16], seccomp[16];
    status_field("NoNewPrivs", nnp, sizeof nnp);
    status_field("Seccomp", seccomp, sizeof seccomp);
    char signal[64];
    snprintf(signal, sizeof signal, "%s", kill(getppid(), 0) == 0 ? "allowed" : strerror(errno));
    snprintf(report, sizeof report,
        "fd=%s dumpable=%d core=%llu group=%s marker=%s nnp=%s seccomp=%s signal=%s env=%s",
        fd, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), (unsigned long long)core.rlim_cur,
        getpgrp() == getpid() ? "own" : "inherited",
        getenv("NONO_TEST_MARKER") ? "present" : "absent",
        nnp, seccomp, signal, names);
    return report;
}

unsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {
    char text[8192];
    (void)c; (void)n;
    snprintf(text, sizeof text,
        "(name: \"holdings\", version: \"1\", presets: [(name: \"files\", description: \"%s\")])",
        probe());
    return answer(text, strlen(text), o);
}

#ifdef UNCONFINED
int main(void) {
    puts(probe());
    return 0;
}
#endif
"#;

/// `cmd` started with `leak` open as descriptor 47 (not close-on-exec),
/// cores of up to 1 MiB allowed and `NONO_TEST_MARKER` set: what a careless
/// caller of nono could hand it.
fn with_leaks(cmd: &mut Command, leak: &std::fs::File) -> Outcome {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let fd = leak.as_raw_fd();
    cmd.env("NONO_TEST_MARKER", "1");
    // SAFETY: between fork and exec the closure only makes two system
    // calls with plain integer arguments and a pointer to a local.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd, 47) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let core = libc::rlimit {
                rlim_cur: 1 << 20,
                rlim_max: 1 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_CORE, &raw const core) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Outcome::of(cmd)
}

#[test]
fn the_helper_inherits_no_descriptor_or_variable_and_cannot_dump_core_or_signal_out() {
    let lab = Lab::new();
    let leaked = lab.s.join("leaked.txt");
    let leak = std::fs::File::create(&leaked).unwrap();
    let src = lab
        .s
        .write("src/holdings.c", &format!("{C_PRELUDE}\n{HOLDINGS}"));
    lab.c_plugin("holdings", HOLDINGS);

    let out = with_leaks(
        lab.nono().args(["presets", "show", "holdings/files"]),
        &leak,
    );
    out.expect_ok();
    let description = out.stdout.lines().next().unwrap();
    for expected in [
        "fd=Bad file descriptor",
        "dumpable=0",
        "core=0",
        "group=own",
        "marker=absent",
        "nnp=1",
        "seccomp=2",
        "signal=Operation not permitted",
    ] {
        assert!(description.contains(expected), "{expected}: {description}");
    }
    // Only the variables the sensitive paths are written with.
    let names = description.rsplit("env=").next().unwrap();
    for name in names.split('+').filter(|n| !n.is_empty()) {
        assert!(
            ["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "CARGO_HOME"].contains(&name),
            "{name}: {description}"
        );
    }
    assert_file(&leaked, "");

    // Twin: the same code, started the same way as an ordinary child, has
    // all of it.
    let exe = lab.s.join("src/holdings");
    compile_c(&src, &exe, &["-DUNCONFINED"]);
    let out = with_leaks(&mut Command::new(&exe), &leak);
    out.expect_ok();
    for expected in [
        "fd=written",
        "dumpable=1",
        "core=1048576",
        "group=inherited",
        "marker=present",
        "nnp=0",
        "seccomp=0",
        "signal=allowed",
    ] {
        assert!(out.stdout.contains(expected), "{expected}: {out:#?}");
    }
    assert!(out.stdout.contains("NONO_TEST_MARKER"), "{out:#?}");
    assert_file(&leaked, "x");
}

// ---------------------------------------------------------------------------
// The plugin cache
// ---------------------------------------------------------------------------

/// The entries in the scratch plugin cache (`XDG_CACHE_HOME/nono/plugins`),
/// sorted.
fn cache_entries(s: &Scratch) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(s.plugin_cache())
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

/// The only entry in the scratch plugin cache.
#[track_caller]
fn the_entry(s: &Scratch) -> PathBuf {
    let entries = cache_entries(s);
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// The `-v` line of plugin `name` at `path` whose presets came from the
/// cache entry `entry`.
fn from_cache(name: &str, path: &Path, entry: &Path) -> String {
    format!(
        "nono: plugin {name} ({}): presets from the cache ({})\n",
        path.display(),
        entry.display()
    )
}

/// The start of the `-v` line of plugin `name` at `path` when it was
/// evaluated.
fn evaluated(name: &str, path: &Path) -> String {
    format!(
        "nono: plugin {name} ({}): presets evaluated by the plugin (",
        path.display()
    )
}

/// An entry with its answer replaced by `edit(answer)`, and the answer's
/// length line made to match, as someone who knows the format would forge
/// it. (The key, with its own length, is kept as it is.)
fn forge(entry: &[u8], edit: impl Fn(&str) -> String) -> Vec<u8> {
    let text = std::str::from_utf8(entry).unwrap();
    let (head, rest) = text.split_once("\nanswer ").unwrap();
    let (_, answer) = rest.split_once('\n').unwrap();
    let new = edit(answer);
    format!("{head}\nanswer {}\n{new}", new.len()).into_bytes()
}

/// Writes `bytes` to `path` with exactly `mode`.
fn put(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::write(path, bytes).unwrap();
    chmod(path, mode);
}

/// The acme plugin, run `-v` with `--preset acme/jdk` and the JDK at
/// `jdk`: `cat FILE` (relative to the scratch directory).
fn acme_cat(lab: &Lab, jdk: &Path, file: &str) -> Outcome {
    Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", jdk)
            .args(run_args(["-v", "--preset", "acme/jdk"], ["cat", file])),
    )
}

/// The second run of a plugin preset is served from the cache, without
/// starting the plugin, and grants exactly what the first run granted,
/// checked by real access; the entry and its directories have modes 0600
/// and 0700. Twin: with `NONO_PLUGIN_CACHE=off` the plugin is evaluated
/// again, and the cache is left as it was.
#[test]
fn a_plugin_answer_is_reused_from_the_cache_with_the_same_real_access() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let jdk = lab.granted();

    let first = acme_cat(&lab, &jdk, "granted/data.txt");
    first
        .expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr(&evaluated("acme", &path))
        .expect_stderr("(cache miss: no entry; stored in ");
    let entry = the_entry(&lab.s);
    first.expect_stderr(&format!("stored in {})\n", entry.display()));
    assert!(
        entry
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("acme-")
    );
    assert_eq!(mode(&entry), 0o600);
    assert_eq!(mode(&lab.s.plugin_cache()), 0o700);
    assert_eq!(mode(&lab.s.cache_home().join("nono")), 0o700);
    let stored = std::fs::read(&entry).unwrap();

    // Reused: the same access, from the cache.
    acme_cat(&lab, &jdk, "granted/data.txt")
        .expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr(&from_cache("acme", &path, &entry))
        .expect_no_stderr("evaluated by the plugin");
    let out = Outcome::of(lab.nono().env("ACME_JDK_HOME", &jdk).args(run_args(
        ["-v", "--preset", "acme/jdk"],
        ["touch", "granted/new.txt"],
    )));
    out.expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("acme", &path, &entry));
    assert_absent(&lab.s.join("granted/new.txt"));
    let out = acme_cat(&lab, &jdk, "outside/secret.txt");
    out.expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("acme", &path, &entry));
    assert!(!out.stdout.contains("not granted"), "{out:#?}");
    assert_eq!(std::fs::read(&entry).unwrap(), stored);

    // Twin: the cache off, the plugin is evaluated, and the cache untouched.
    let modified = std::fs::metadata(&entry).unwrap().modified().unwrap();
    Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", &jdk)
            .env("NONO_PLUGIN_CACHE", "off")
            .args(run_args(
                ["-v", "--preset", "acme/jdk"],
                ["cat", "granted/data.txt"],
            )),
    )
    .expect_ok()
    .expect_stdout("granted by the plugin")
    .expect_stderr(&format!(
        "{}cache off: NONO_PLUGIN_CACHE=off)\n",
        evaluated("acme", &path)
    ));
    assert_eq!(cache_entries(&lab.s), std::slice::from_ref(&entry));
    assert_eq!(std::fs::read(&entry).unwrap(), stored);
    assert_eq!(
        std::fs::metadata(&entry).unwrap().modified().unwrap(),
        modified
    );
}

/// A plugin rebuilt at the same path, touched (even with its modification
/// time set back), or overwritten in place is evaluated again, and what the
/// new file grants is what the sandbox enforces; the old grant is gone.
/// Twin: the unchanged file is served from the cache.
#[test]
fn changing_the_plugin_file_invalidates_its_cache_entry() {
    let lab = Lab::new();
    lab.s.write("other/data.txt", "granted by the new plugin\n");
    let path = lab.good_c_plugin("tools");
    let first_build = std::fs::read(&path).unwrap();
    let cat = |file: &str| lab.run(run_args(["-v", "--preset", "tools/files"], ["cat", file]));

    cat("granted/data.txt")
        .expect_ok()
        .expect_stderr(&evaluated("tools", &path));
    let entry = the_entry(&lab.s);
    cat("granted/data.txt")
        .expect_ok()
        .expect_stderr(&from_cache("tools", &path, &entry));

    // Rebuilt to grant other/ instead: a new file at the same path.
    let manifest = good_manifest("tools", &lab.s.join("other"));
    let rebuilt = lab.c_plugin(
        "tools",
        &format!("{ABI_1}\n{}", presets_returning(manifest.as_bytes())),
    );
    assert_eq!(rebuilt, path);
    cat("other/data.txt")
        .expect_ok()
        .expect_stdout("granted by the new plugin")
        .expect_stderr(&evaluated("tools", &path))
        .expect_stderr("(cache miss: no entry; stored in ");
    let entries = cache_entries(&lab.s);
    assert_eq!(entries.len(), 2, "{entries:?}");
    let new_entry = entries.into_iter().find(|e| *e != entry).unwrap();
    let out = cat("granted/data.txt");
    out.expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("tools", &path, &new_entry));

    // Touched, with the modification time set back to what it was: the
    // status-change time still moves, so it is evaluated again.
    let meta = std::fs::metadata(&path).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(meta.modified().unwrap())
        .unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        meta.modified().unwrap()
    );
    cat("other/data.txt")
        .expect_ok()
        .expect_stderr(&evaluated("tools", &path))
        .expect_stderr("(cache miss: no entry; stored in ");
    cat("other/data.txt")
        .expect_ok()
        .expect_stderr("presets from the cache");

    // Overwritten in place (the same inode) with the first build: evaluated
    // again, and the first build's grant is back.
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(&path).unwrap().ino();
    std::fs::write(&path, &first_build).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), ino);
    cat("granted/data.txt")
        .expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr(&evaluated("tools", &path));
    cat("other/data.txt")
        .expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr("presets from the cache");
}

/// A change in the context the plugin saw (here `ACME_JDK_HOME`, which the
/// example plugin reads, and the working directory) is a miss: the plugin
/// is evaluated, and the new grant is what is enforced, the old one gone.
/// Going back to the first context is served from its own entry again.
#[test]
fn changing_the_context_invalidates_and_the_new_grant_is_enforced() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let first = lab.granted();
    lab.s.write("jdk2/release", "JAVA_VERSION=\"22\"\n");
    let second = lab.s.join("jdk2");

    acme_cat(&lab, &first, "granted/data.txt")
        .expect_ok()
        .expect_stderr(&evaluated("acme", &path));
    let first_entry = the_entry(&lab.s);
    acme_cat(&lab, &first, "granted/data.txt")
        .expect_ok()
        .expect_stderr(&from_cache("acme", &path, &first_entry));

    // Another JDK: evaluated, and only the new JDK is granted.
    acme_cat(&lab, &second, "jdk2/release")
        .expect_ok()
        .expect_stdout("JAVA_VERSION=\"22\"")
        .expect_stderr(&evaluated("acme", &path))
        .expect_stderr("(cache miss: no entry; stored in ");
    let second_entry = cache_entries(&lab.s)
        .into_iter()
        .find(|e| *e != first_entry)
        .unwrap();
    let out = acme_cat(&lab, &second, "granted/data.txt");
    out.expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("acme", &path, &second_entry));
    assert!(!out.stdout.contains("granted by the plugin"), "{out:#?}");

    // Back to the first JDK: its own entry, its own grant.
    acme_cat(&lab, &first, "jdk2/release")
        .expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("acme", &path, &first_entry));
    acme_cat(&lab, &first, "granted/data.txt")
        .expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr(&from_cache("acme", &path, &first_entry));

    // Another working directory is another context too.
    Outcome::of(
        lab.nono()
            .current_dir(lab.s.join("outside"))
            .env("ACME_JDK_HOME", &first)
            .args(run_args(
                ["-v", "--preset", "acme/jdk"],
                ["cat", "../granted/data.txt"],
            )),
    )
    .expect_ok()
    .expect_stderr(&evaluated("acme", &path));
    assert_eq!(cache_entries(&lab.s).len(), 3);
}

/// A cache entry that was tampered with is not used: group- or
/// world-writable, owned by someone else, edited without its lengths,
/// garbage, or holding an answer that fails validation. The plugin is
/// evaluated instead, the run grants exactly what the plugin computes (the
/// widened grant of the forged entry is not there), and the entry is
/// replaced by a good one. Twin: the same forged entry, written as nono
/// writes entries (mode 0600, the user's), is used; that is why no sandbox
/// may write the cache (see the next test).
#[test]
fn a_tampered_cache_entry_is_not_used_and_the_run_stays_correct() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let jdk = lab.granted();
    acme_cat(&lab, &jdk, "granted/data.txt").expect_ok();
    let entry = the_entry(&lab.s);
    let good = std::fs::read(&entry).unwrap();
    let granted = lab.granted().display().to_string();
    let scratch = lab.s.path().display().to_string();
    // The JDK grant widened to the whole scratch directory, outside/
    // included.
    let widened = forge(&good, |answer| answer.replace(&granted, &scratch));
    assert_ne!(widened, good);

    let edited = {
        let text = String::from_utf8(good.clone()).unwrap();
        let at = text.find("\nanswer ").unwrap();
        let (head, answer) = text.split_at(at);
        format!("{head}{}", answer.replace(&granted, &scratch)).into_bytes()
    };
    let other_plugin = forge(&good, |answer| {
        answer.replacen("name:\"acme\"", "name:\"acmx\"", 1)
    });
    assert_ne!(other_plugin, good);
    let unknown_field = forge(&good, |answer| {
        answer.replacen("(name:\"acme\"", "(colour:\"red\",name:\"acme\"", 1)
    });
    // What was done, the entry's bytes, mode and owner, and what -v says.
    type Tampered<'a> = (&'a str, Vec<u8>, u32, Option<u32>, &'a str);
    let mut cases: Vec<Tampered> = vec![
        (
            "group-writable",
            widened.clone(),
            0o620,
            None,
            "it is group- or world-writable (mode 0620)",
        ),
        (
            "world-writable",
            widened.clone(),
            0o606,
            None,
            "it is group- or world-writable (mode 0606)",
        ),
        (
            "edited without its lengths",
            edited,
            0o600,
            None,
            "its answer is truncated or has trailing bytes",
        ),
        (
            "garbage",
            b"garbage\n".to_vec(),
            0o600,
            None,
            "it is not a cache entry of this nono",
        ),
        (
            "empty",
            Vec::new(),
            0o600,
            None,
            "it is not a cache entry of this nono",
        ),
        (
            "another plugin's answer",
            other_plugin,
            0o600,
            None,
            "the plugin answer in it is not valid: the manifest names the plugin 'acmx'",
        ),
        (
            "an unknown field",
            unknown_field,
            0o600,
            None,
            "the plugin answer in it is not valid: returned a malformed manifest",
        ),
    ];
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cases.push((
            "owned by someone else",
            widened.clone(),
            0o600,
            Some(4242),
            "it is owned by uid 4242",
        ));
    }
    for (what, bytes, perm, owner, why) in cases {
        put(&entry, &bytes, perm);
        if let Some(uid) = owner {
            std::os::unix::fs::chown(&entry, Some(uid), None).unwrap();
        }
        let out = acme_cat(&lab, &jdk, "outside/secret.txt");
        out.expect_code(1).expect_stderr("Permission denied");
        assert!(!out.stdout.contains("not granted"), "{what}: {out:#?}");
        out.expect_stderr(&format!(
            "{}cache miss: entry {} not used: {why}",
            evaluated("acme", &path),
            entry.display()
        ));
        // Replaced by a good entry, mode 0600, which the next run uses.
        assert_eq!(std::fs::read(&entry).unwrap(), good, "{what}");
        assert_eq!(mode(&entry), 0o600, "{what}");
        acme_cat(&lab, &jdk, "granted/data.txt")
            .expect_ok()
            .expect_stdout("granted by the plugin")
            .expect_stderr(&from_cache("acme", &path, &entry));
    }

    // Twin: the forged entry, as nono itself would have written it.
    put(&entry, &widened, 0o600);
    acme_cat(&lab, &jdk, "outside/secret.txt")
        .expect_ok()
        .expect_stdout("not granted")
        .expect_stderr(&from_cache("acme", &path, &entry));
}

/// Every sandbox is denied nono's cache directory, even under `--allow ~`
/// or `--allow ~/.cache`: it cannot create the directory in a fresh home
/// (nono creates it first, to carve it), nor create, modify, rename or read
/// entries; with `XDG_CACHE_HOME` set, both that directory and the default
/// one are denied. Twins: another directory under `~/.cache` is writable
/// in the same runs, and the plugin's entry is still good afterwards.
#[test]
fn sandboxed_commands_cannot_write_the_plugin_cache() {
    use common::op_probe;
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let home = lab.s.home();
    let cache = home.join(".cache/nono");
    let twin = lab.s.mkdir("home/.cache/other");
    // The default place, as for a user without XDG_CACHE_HOME.
    let nono = || {
        let mut cmd = lab.nono();
        cmd.env_remove("XDG_CACHE_HOME")
            .env("ACME_JDK_HOME", lab.granted());
        cmd
    };
    let run = |grants: &[&str], argv: Vec<String>| Outcome::of(nono().args(run_args(grants, argv)));
    let sh = |script: &str| vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()];

    // A fresh home: no cache yet. The command tries to plant an entry.
    assert_absent(&cache);
    let plant = "mkdir -p \"$HOME/.cache/nono/plugins\" && echo forged > \"$HOME/.cache/nono/plugins/acme-0\"";
    let out = run(&["--allow", "~"], sh(plant));
    assert_ne!(out.code, Some(0), "{out:#?}");
    out.expect_stderr("Permission denied");
    assert!(cache.is_dir(), "nono creates its cache directory");
    assert_eq!(mode(&cache), 0o700);
    assert_absent(&cache.join("plugins"));
    // Twin: the same under another directory of ~/.cache works.
    run(
        &["--allow", "~"],
        sh(&plant.replace(".cache/nono", ".cache/other")),
    )
    .expect_ok();
    assert_file(&twin.join("plugins/acme-0"), "forged\n");

    // A real entry now.
    let out = Outcome::of(nono().args(run_args(
        ["-v", "--preset", "acme/jdk"],
        ["cat", "granted/data.txt"],
    )));
    out.expect_ok();
    let entries: Vec<PathBuf> = std::fs::read_dir(cache.join("plugins"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    let good = std::fs::read(entry).unwrap();

    for grant in ["~", "~/.cache"] {
        let grants = ["--allow", grant];
        for target in [
            entry.clone(),
            cache.join("plugins"),
            cache.clone(),
            cache.join("plugins/new"),
        ] {
            run(&grants, op_probe("write", text(&target))).expect_errno("EACCES");
        }
        run(&grants, op_probe("read", text(entry))).expect_errno("EACCES");
        let out = run(
            &grants,
            sh(&format!(
                "mv {} {}",
                cache.display(),
                home.join(".cache/moved").display()
            )),
        );
        assert_ne!(out.code, Some(0), "{grant}: {out:#?}");
        run(&grants, sh(&format!("rm -rf {}", cache.display()))).expect_code(1);
        // Twins: another directory under ~/.cache.
        run(&grants, op_probe("write", text(&twin))).expect_probe_ok();
        std::fs::remove_file(twin.join(".nono-probe")).unwrap();
        run(
            &grants,
            op_probe("write", text(&twin.join("plugins/acme-0"))),
        )
        .expect_probe_ok();
        run(
            &grants,
            op_probe("read", text(&twin.join("plugins/acme-0"))),
        )
        .expect_probe_ok();
    }
    assert_eq!(std::fs::read(entry).unwrap(), good);
    assert_absent(&cache.join("plugins/new"));
    assert_absent(&home.join(".cache/moved"));

    // With XDG_CACHE_HOME inside a granted tree: that cache directory is
    // denied, and so is the default one.
    let xdg = lab.s.mkdir("xdg");
    let xdg_twin = lab.s.mkdir("xdg/other");
    let with_xdg = |argv: Vec<String>| {
        Outcome::of(
            nono()
                .env("XDG_CACHE_HOME", &xdg)
                .args(run_args(["--allow", ".", "--allow", "~"], argv)),
        )
    };
    with_xdg(op_probe("write", text(&xdg.join("nono")))).expect_errno("EACCES");
    with_xdg(op_probe("write", text(&cache.join("plugins")))).expect_errno("EACCES");
    with_xdg(op_probe("write", text(&xdg_twin))).expect_probe_ok();
    assert_eq!(mode(&xdg.join("nono")), 0o700);

    // The entry is still the plugin's, and still used.
    assert_eq!(std::fs::read(entry).unwrap(), good);
    Outcome::of(nono().args(run_args(
        ["-v", "--preset", "acme/jdk"],
        ["cat", "granted/data.txt"],
    )))
    .expect_ok()
    .expect_stderr(&from_cache("acme", &path, entry));
}

/// A plugin that fails is never cached: the failure is reported every time
/// and no entry is written. Twin: the same plugin without the defect, at
/// the same path, is cached.
#[test]
fn a_plugin_failure_is_never_cached() {
    let lab = Lab::new();
    let path = lab.c_plugin(
        "broken",
        &format!("{ABI_1}\n{}", presets_returning(b"(oops")),
    );
    for _ in 0..2 {
        lab.expect_failure("broken", &path, "returned a malformed manifest");
    }
    let path = lab.c_plugin(
        "broken",
        &format!("{ABI_1}\nunsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *o) {{ (void)c; (void)n; (void)o; *(volatile int *)0 = 1; return 0; }}"),
    );
    lab.expect_failure("broken", &path, "crashed (signal SIGSEGV)");
    assert_eq!(cache_entries(&lab.s), Vec::<PathBuf>::new());
    lab.expect_twin_works("broken");
    let entry = the_entry(&lab.s);
    lab.run(run_args(["-v", "--preset", "broken/files"], ["true"]))
        .expect_ok()
        .expect_stderr(&from_cache("broken", &path, &entry));
}

/// A cache that cannot be read or written is a miss, never an error: the
/// plugin is evaluated on every run, `-v` says why nothing was stored, and
/// the sandbox is the same.
#[test]
fn a_cache_that_cannot_be_written_is_not_an_error() {
    let lab = Lab::new();
    let path = lab.good_c_plugin("tools");
    // A cache directory under a regular file cannot exist.
    let file = lab.s.write("a-file", "not a directory\n");
    for _ in 0..2 {
        let out = Outcome::of(lab.nono().env("XDG_CACHE_HOME", &file).args(run_args(
            ["-v", "--preset", "tools/files"],
            ["cat", "granted/data.txt"],
        )));
        out.expect_ok()
            .expect_stdout("granted by the plugin")
            .expect_stderr(&evaluated("tools", &path))
            .expect_stderr("; not stored: cannot create ");
    }
    // Twin: the same runs with a usable cache directory.
    lab.run(run_args(
        ["--preset", "tools/files"],
        ["cat", "granted/data.txt"],
    ))
    .expect_ok();
    let entry = the_entry(&lab.s);
    lab.run(run_args(
        ["-v", "--preset", "tools/files"],
        ["cat", "granted/data.txt"],
    ))
    .expect_ok()
    .expect_stdout("granted by the plugin")
    .expect_stderr(&from_cache("tools", &path, &entry));
}
