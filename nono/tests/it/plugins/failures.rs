//! Plugins are loaded only when needed; each way a plugin fails is a clear
//! error naming it, exit 125, and nothing runs.

use super::*;
use std::time::{Duration, Instant};

#[test]
fn a_run_naming_only_builtin_presets_loads_no_plugin() {
    let lab = Lab::new();
    // A plugin that crashes whenever it is evaluated.
    let path = lab.c_plugin("acme", "segfault", &[]);
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
    let broken = lab.answering("broken", b"(oops");
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
    let path = lab.c_plugin("nosym", "no_presets", &[]);
    lab.expect_failure("nosym", &path, "missing symbol nono_plugin_presets");
    lab.expect_twin_works("nosym");
}

#[test]
fn abi_version_2_is_an_error() {
    let lab = Lab::new();
    let manifest = good_manifest("future", &lab.granted());
    let path = lab.c_plugin(
        "future",
        "answer",
        &[
            "-DABI_VERSION=2".to_owned(),
            c_define("ANSWER", manifest.as_bytes()),
        ],
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
    let path = lab.c_plugin("segv", "segfault", &[]);
    lab.expect_failure("segv", &path, "crashed (signal SIGSEGV)");
    lab.expect_twin_works("segv");
}

#[test]
fn an_infinite_loop_hits_the_time_limit() {
    let lab = Lab::new();
    let path = lab.c_plugin("spin", "spin", &[]);
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
    let path = lab.c_plugin("huge", "huge", &[]);
    lab.expect_failure("huge", &path, "more than 4 MiB (the output limit)");
    lab.expect_twin_works("huge");
}

#[test]
fn invalid_utf8_is_an_error() {
    let lab = Lab::new();
    let path = lab.answering("latin", b"(name: \"latin\", version: \"caf\xe9\")");
    lab.expect_failure("latin", &path, "returned invalid UTF-8 (at byte 29 of 32)");
    lab.expect_twin_works("latin");
}

#[test]
fn malformed_ron_is_an_error_with_line_and_column() {
    let lab = Lab::new();
    // A missing comma after the version: the parser notices at line 4,
    // column 5, where `presets` starts instead.
    let path = lab.answering(
        "sloppy",
        b"(\n    name: \"sloppy\",\n    version: \"1\"\n    presets: [],\n)\n",
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
    let path = lab.answering("colourful", b"(name: \"colourful\", version: \"1\", presets: [(name: \"files\", description: \"d\", colour: \"red\")])");
    let out = lab.expect_failure("colourful", &path, "returned a malformed manifest: 1:");
    out.expect_stderr("colour");
    lab.expect_twin_works("colourful");
}

#[test]
fn a_manifest_naming_another_plugin_is_an_error() {
    let lab = Lab::new();
    let manifest = good_manifest("acme", &lab.granted());
    let path = lab.answering("impostor", manifest.as_bytes());
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
    let path = lab.c_plugin("quitter", "quitter", &[]);
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
