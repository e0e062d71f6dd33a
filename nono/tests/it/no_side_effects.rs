//! What nono leaves on disk: nothing it does not need for the run it
//! performs.
//!
//! - `run --dry-run` (text and JSON), `check`, `why`, `presets list` and
//!   `presets show`, and a real run that stores nothing, leave a fresh home
//!   exactly as it was (every entry, kind, mode, owner, size and
//!   modification time); twin: a run that writes in the home changes the
//!   snapshot, so the snapshot sees a change;
//! - with a `HOME` that does not exist, none of them creates it;
//! - a dry run, `why` and `presets` with a plugin preset store no answer
//!   in the plugin cache and create no cache directory; twin: the real run
//!   stores one (and only then creates the directory, mode 0700);
//! - nono's cache directory is still out of every sandbox's reach while it
//!   does not exist: under `--allow ~` or `--allow ~/.cache` the command
//!   cannot create it (nono carves the nearest existing directory of a
//!   missing denied path); twins: the same command creates files in an
//!   existing directory under the home and under `~/.cache`.

use crate::common::{Outcome, Scratch, assert_absent, probe, run_args, text};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every entry below `root` (symlinks not followed) with its kind, mode,
/// owner, size and modification time.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let kind = if meta.is_dir() {
            "dir"
        } else if meta.file_type().is_symlink() {
            "link"
        } else {
            "file"
        };
        let mtime = if meta.is_dir() {
            // A directory's time changes with its entries, which are
            // recorded themselves.
            0
        } else {
            meta.mtime_nsec() + meta.mtime() * 1_000_000_000
        };
        out.insert(
            path.clone(),
            format!(
                "{kind} {:o} {}:{} {} {mtime}",
                meta.mode(),
                meta.uid(),
                meta.gid(),
                if meta.is_dir() { 0 } else { meta.size() }
            ),
        );
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        }
    }
    out
}

/// `nono` from the scratch directory with `HOME` set to `home` and neither
/// `XDG_CACHE_HOME` nor `XDG_CONFIG_HOME`: nono's cache and configuration
/// are in their default places in the home.
fn nono_in(s: &Scratch, home: &Path) -> Command {
    let mut cmd = s.nono();
    cmd.env("HOME", home)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_CONFIG_HOME");
    cmd
}

/// The commands that must change nothing on disk, the home's `proj`
/// directory granted where a sandbox is described, each with its exit
/// status (`why` exits 1 when its answer is "denied").
fn quiet_commands(home: &Path) -> Vec<(Vec<String>, i32)> {
    let proj = home.join("proj");
    let allow = ["--allow", text(&proj)];
    let with_allow = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter()
            .chain(&allow)
            .chain(tail)
            .map(|a| (*a).to_owned())
            .collect()
    };
    vec![
        (with_allow(&["run", "--dry-run"], &["--", "true"]), 0),
        (
            with_allow(&["run", "--dry-run", "--json"], &["--", "true"]),
            0,
        ),
        (
            with_allow(&["run", "--dry-run", "--allow", "~"], &["--", "true"]),
            0,
        ),
        (with_allow(&["why", "~/proj/file"], &[]), 0),
        (
            with_allow(&["why", "~/.cache", "--op", "write", "--allow", "~"], &[]),
            1,
        ),
        (with_allow(&["why", "--json", "~/proj"], &[]), 0),
        (vec!["check".into()], 0),
        (vec!["check".into(), "--json".into()], 0),
        (vec!["presets".into(), "list".into()], 0),
        (vec!["presets".into(), "list".into(), "--json".into()], 0),
        (vec!["presets".into(), "show".into(), "rust".into()], 0),
        // A real run that stores nothing creates nothing either.
        (with_allow(&["run"], &["--", "true"]), 0),
        (with_allow(&["run", "--allow", "~"], &["--", "true"]), 0),
    ]
}

#[test]
fn commands_that_run_nothing_leave_a_fresh_home_unchanged() {
    let s = Scratch::new();
    let home = s.home();
    s.write("home/proj/file", "project file\n");
    s.write("home/notes.txt", "notes\n");
    let before_home = snapshot(&home);
    let before_scratch = snapshot(&s.path());
    for (args, code) in quiet_commands(&home) {
        let out = Outcome::of(nono_in(&s, &home).args(&args));
        out.expect_code(code);
        assert_eq!(snapshot(&home), before_home, "{args:?} changed the home");
        assert_eq!(
            snapshot(&s.path()),
            before_scratch,
            "{args:?} changed the working directory"
        );
    }
    assert_absent(&home.join(".cache"));

    // Twin: a run that writes in the home shows in the snapshot.
    Outcome::of(nono_in(&s, &home).args(run_args(
        ["--allow", "~/proj"],
        ["touch", text(&home.join("proj/new"))],
    )))
    .expect_ok();
    let after = snapshot(&home);
    assert_ne!(after, before_home);
    assert!(after.contains_key(&home.join("proj/new")));
}

#[test]
fn a_home_that_does_not_exist_is_not_created() {
    let s = Scratch::new();
    let gone = s.join("gone");
    let home = gone.join("home");
    s.mkdir("work");
    for args in [
        vec!["run", "--dry-run", "--allow", "work", "--", "true"],
        vec![
            "run",
            "--dry-run",
            "--json",
            "--allow",
            "work",
            "--",
            "true",
        ],
        vec!["run", "--allow", "work", "--", "true"],
        vec!["why", "work", "--allow", "work"],
        vec!["check"],
        vec!["presets", "list"],
    ] {
        Outcome::of(nono_in(&s, &home).args(&args)).expect_ok();
        assert_absent(&gone);
    }
    // Twin: the same HOME is usable once it exists (the commands did not
    // fail for want of it).
    std::fs::create_dir_all(&home).unwrap();
    Outcome::of(nono_in(&s, &home).args(run_args(
        ["--allow", "~"],
        ["touch", text(&home.join("made"))],
    )))
    .expect_code(1)
    .expect_stderr("Permission denied");
    s.mkdir("gone/home/dir");
    Outcome::of(nono_in(&s, &home).args(run_args(
        ["--allow", "~"],
        ["touch", text(&home.join("dir/made"))],
    )))
    .expect_ok();
}

/// A C plugin `libtools.so` in `dir` whose `files` preset grants `granted`.
fn tools_plugin(s: &Scratch, dir: &Path, granted: &Path) -> PathBuf {
    let manifest = format!(
        "(name: \"tools\", version: \"1.0.0\", presets: [(name: \"files\", description: \"test\", grants: [(path: \"{}\", access: Read)])])",
        granted.display()
    );
    let source = format!(
        "#include <stdlib.h>\n#include <string.h>\n\
         unsigned nono_plugin_abi_version(void) {{ return 1; }}\n\
         unsigned char *nono_plugin_presets(const unsigned char *c, size_t n, size_t *out) {{\n\
         \x20   static const char text[] = \"{}\";\n\
         \x20   unsigned char *copy = malloc(sizeof text - 1);\n\
         \x20   (void)c; (void)n;\n\
         \x20   memcpy(copy, text, sizeof text - 1);\n\
         \x20   *out = sizeof text - 1;\n\
         \x20   return copy;\n\
         }}\n\
         void nono_plugin_free(unsigned char *p, size_t n) {{ (void)n; free(p); }}\n",
        manifest.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let src = s.write("src/tools.c", &source);
    let path = dir.join("libtools.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&path)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(status.success());
    use std::os::unix::fs::PermissionsExt;
    for p in [dir, path.as_path()] {
        let mode = if p == dir { 0o755 } else { 0o644 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    path
}

#[test]
fn only_a_real_run_stores_a_plugin_answer() {
    let s = Scratch::new();
    let home = s.home();
    let plugins = s.beside("plugins");
    let granted = s.beside("granted");
    std::fs::write(granted.join("data.txt"), "granted by the plugin\n").unwrap();
    tools_plugin(&s, &plugins, &granted);
    let nono = || {
        let mut cmd = nono_in(&s, &home);
        cmd.env("NONO_PLUGIN_PATH", &plugins);
        cmd
    };
    let data = granted.join("data.txt");
    let cat = ["cat", text(&data)];
    let before = snapshot(&home);
    for args in [
        run_args(["--dry-run", "--preset", "tools/files"], cat),
        run_args(["--dry-run", "--json", "--preset", "tools/files"], cat),
        vec![
            "why".to_owned(),
            text(&granted).to_owned(),
            "--preset".to_owned(),
            "tools/files".to_owned(),
        ],
        vec!["presets".into(), "list".into()],
        vec!["presets".into(), "show".into(), "tools/files".into()],
    ] {
        let out = Outcome::of(nono().args(&args));
        out.expect_ok();
        assert_eq!(snapshot(&home), before, "{args:?} changed the home");
    }
    // The dry run saw the plugin's grant.
    Outcome::of(nono().args(run_args(["--dry-run", "--preset", "tools/files"], cat)))
        .expect_ok()
        .expect_stdout(text(&granted));

    // Twin: the real run stores the answer, creating the directory.
    let out = Outcome::of(nono().args(run_args(["-v", "--preset", "tools/files"], cat)));
    out.expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr("stored in ");
    let cache = home.join(".cache/nono");
    let entries: Vec<_> = std::fs::read_dir(cache.join("plugins")).unwrap().collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(std::fs::metadata(&cache).unwrap().mode() & 0o7777, 0o700);
}

#[test]
fn a_sandbox_cannot_create_the_cache_directory_while_it_is_missing() {
    let s = Scratch::new();
    let home = s.home();
    s.mkdir("home/proj");
    let cache = home.join(".cache/nono");
    let run = |grants: &[&str], argv: Vec<String>| {
        Outcome::of(nono_in(&s, &home).args(run_args(grants, argv)))
    };
    let mkdir = |p: &Path| vec!["mkdir".to_owned(), "-p".to_owned(), text(p).to_owned()];

    // No ~/.cache at all.
    let out = run(&["--allow", "~"], mkdir(&cache.join("plugins")));
    out.expect_code(1).expect_stderr("Permission denied");
    assert_absent(&home.join(".cache"));
    // Twin: the same command makes a directory in an existing one.
    run(&["--allow", "~"], mkdir(&home.join("proj/a/b"))).expect_ok();

    // An existing ~/.cache (the usual case), granted whole or through ~.
    s.mkdir("home/.cache/app");
    for grant in ["~", "~/.cache"] {
        run(&["--allow", grant], mkdir(&cache)).expect_code(1);
        run(&["--allow", grant], probe("write", &[text(&cache)])).expect_errno("EACCES");
        assert_absent(&cache);
        // Twin: an existing directory in ~/.cache stays writable.
        run(
            &["--allow", grant],
            probe("write", &[text(&home.join(".cache/app"))]),
        )
        .expect_probe_ok();
        std::fs::remove_file(home.join(".cache/app/.nono-probe")).unwrap();
    }

    // XDG_CACHE_HOME inside a granted tree: its nono directory is denied
    // too, and so is the default one.
    let xdg = s.mkdir("xdg");
    s.mkdir("xdg/app");
    let with_xdg = |argv: Vec<String>| {
        Outcome::of(
            nono_in(&s, &home)
                .env("XDG_CACHE_HOME", &xdg)
                .args(run_args(["--allow", ".", "--allow", "~"], argv)),
        )
    };
    with_xdg(probe("write", &[text(&xdg.join("nono"))])).expect_errno("EACCES");
    with_xdg(probe("write", &[text(&cache)])).expect_errno("EACCES");
    with_xdg(probe("write", &[text(&xdg.join("app"))])).expect_probe_ok();
    assert_absent(&xdg.join("nono"));
    assert_absent(&cache);
}
