//! The CLI contract of DESIGN.md section 3, checked against the real binary.
//!
//! - `--dry-run` runs nothing (a marker command leaves no trace) and reports
//!   the grants with their source and resolved path, the per-rule rights, the
//!   handled set and the predicted status, as text and as JSON;
//! - a granted symlink resolves to its target: the dry run shows both, and
//!   the sandbox grants the target (a sibling of the target stays denied);
//! - exit codes: the command's own status (nono execs it: same pid, same
//!   signal), 127 for a missing command, 126 for a denied exec, 125 with one
//!   line on stderr naming the input for each of nono's own errors (missing
//!   path, unknown preset, malformed preset file with line:column, bad
//!   `--abi`), and in each case the command did not run;
//! - `nono check` (text and JSON) reports the kernel, the Landlock ABI and
//!   one line per feature; `nono presets list|show`;
//! - `-vv` shows the pipeline: each stage, and each pass by name with what
//!   it added.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Outcome, Scratch, assert_absent, assert_file, kernel_landlock_abi, run_args};
use nono_model::Abi;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;

const FEATURES: [(&str, u64, &str); 10] = [
    ("fs_base", 1, "5.13"),
    ("refer", 2, "5.19"),
    ("truncate", 3, "6.2"),
    ("net_tcp", 4, "6.7"),
    ("ioctl_dev", 5, "6.10"),
    ("scope", 6, "6.12"),
    ("audit_log", 7, "6.15"),
    ("tsync", 8, "7.0"),
    ("resolve_unix", 9, "7.1"),
    ("net_udp", 10, "7.2"),
];

const BUILTIN_PRESETS: [&str; 7] = ["base", "tmp", "rust", "python", "node", "go", "git"];

// ---------------------------------------------------------------------------
// --dry-run
// ---------------------------------------------------------------------------

#[test]
fn dry_run_runs_nothing() {
    let s = Scratch::new();
    for extra in [&[][..], &["--json"][..], &["--abi", "1"][..]] {
        let mut args = vec!["run", "--dry-run", "--allow", "."];
        args.extend_from_slice(extra);
        args.extend(["--", "touch", "MARKER"]);
        let out = s.run(&args);
        out.expect_ok();
        assert!(
            out.stdout.contains("MARKER"),
            "the report names the command: {out:#?}"
        );
        assert_absent(&s.join("MARKER"));
    }
    // Twin: the same command without --dry-run leaves the marker.
    s.run(run_args(["--allow", "."], ["touch", "MARKER"]))
        .expect_ok();
    assert_file(&s.join("MARKER"), "");
}

#[test]
fn dry_run_text_lists_grants_sources_paths_rights_handled_and_status() {
    let s = Scratch::new();
    s.mkdir("rw");
    s.write("ro/f.txt", "x");
    let out = s.run(run_args(
        ["--dry-run", "--allow", "rw", "--read", "ro/f.txt"],
        ["touch", "MARKER"],
    ));
    out.expect_ok();
    let text = &out.stdout;
    let rw = s.join("rw");
    let file = s.join("ro/f.txt");

    assert!(
        text.starts_with("nono dry run: nothing is executed\n"),
        "{text}"
    );
    assert!(text.contains("Command: touch MARKER (runs "), "{text}");
    // Grants: level, as written, resolved path, source.
    assert!(text.contains("Grants:\n"), "{text}");
    let grant_line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}: {text}"))
            .to_owned()
    };
    let g = grant_line(&format!("rw -> {}", rw.display()));
    assert!(g.trim_start().starts_with("allow"), "{g}");
    assert!(g.ends_with("[flag --allow]"), "{g}");
    let g = grant_line(&format!("ro/f.txt -> {}", file.display()));
    assert!(g.trim_start().starts_with("read"), "{g}");
    assert!(g.ends_with("[flag --read]"), "{g}");
    let g = grant_line("/usr  [preset base]");
    assert!(g.trim_start().starts_with("read"), "{g}");

    // The ruleset: ABI, handled set, one rule per path with kind, level,
    // rights and source.
    assert!(text.contains("Ruleset for Landlock ABI "), "{text}");
    let handled = grant_line("handled: ");
    for right in [
        "execute",
        "write_file",
        "make_char",
        "refer",
        "truncate",
        "ioctl_dev",
    ] {
        assert!(handled.contains(right), "{handled}");
    }
    let rule = grant_line(&format!("{} (dir, allow): ", rw.display()));
    for right in [
        "read_dir",
        "write_file",
        "make_reg",
        "remove_file",
        "refer",
        "truncate",
    ] {
        assert!(rule.contains(right), "{rule}");
    }
    assert!(
        !rule.contains("make_char") && !rule.contains("make_block"),
        "{rule}"
    );
    assert!(rule.ends_with("[flag --allow]"), "{rule}");
    let rule = grant_line(&format!("{} (file, read): ", file.display()));
    assert!(rule.contains("execute, read_file  [flag --read]"), "{rule}");
    assert!(
        !rule.contains("read_dir"),
        "a file rule has no dir-only rights: {rule}"
    );
    let rule = grant_line("/usr (dir, read): ");
    assert!(
        rule.contains("execute, read_file, read_dir  [preset base]"),
        "{rule}"
    );
    assert!(text.contains("Predicted status: FullyEnforced\n"), "{text}");
}

#[test]
fn dry_run_json_has_the_same_report() {
    let s = Scratch::new();
    s.mkdir("rw");
    s.write("ro/f.txt", "x");
    let json = s
        .run(run_args(
            ["--dry-run", "--json", "--allow", "rw", "--read", "ro/f.txt"],
            ["touch", "MARKER"],
        ))
        .expect_ok()
        .json();
    assert_absent(&s.join("MARKER"));
    let rw = s.join("rw");
    let file = s.join("ro/f.txt");

    assert_eq!(json["command"], serde_json::json!(["touch", "MARKER"]));
    assert!(
        json["program"].as_str().unwrap().ends_with("/touch"),
        "{json:#}"
    );
    let grants = json["grants"].as_array().unwrap();
    let grant = |requested: &str| {
        grants
            .iter()
            .find(|g| g["requested"] == requested)
            .unwrap_or_else(|| panic!("no grant {requested}: {json:#}"))
    };
    let g = grant("rw");
    assert_eq!(g["access"], "Allow");
    assert_eq!(g["source"], serde_json::json!({"flag": "--allow"}));
    assert_eq!(g["outcome"], "resolved");
    assert_eq!(g["path"], rw.to_str().unwrap());
    assert_eq!(g["kind"], "dir");
    let g = grant("ro/f.txt");
    assert_eq!(g["access"], "Read");
    assert_eq!(g["source"], serde_json::json!({"flag": "--read"}));
    assert_eq!(g["path"], file.to_str().unwrap());
    assert_eq!(g["kind"], "file");
    let g = grant("/usr");
    assert_eq!(g["source"], serde_json::json!({"preset": "base"}));

    let handled: Vec<&str> = json["ruleset"]["handled_fs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for right in [
        "execute",
        "write_file",
        "make_char",
        "refer",
        "truncate",
        "ioctl_dev",
    ] {
        assert!(handled.contains(&right), "{handled:?}");
    }
    let rules = json["ruleset"]["rules"].as_array().unwrap();
    let rule = |path: &std::path::Path| {
        rules
            .iter()
            .find(|r| r["path"] == path.to_str().unwrap())
            .unwrap_or_else(|| panic!("no rule {}: {json:#}", path.display()))
    };
    let r = rule(&rw);
    assert_eq!(r["kind"], "dir");
    assert_eq!(r["levels"], "allow");
    assert_eq!(r["sources"], serde_json::json!([{"flag": "--allow"}]));
    let rights: Vec<&str> = r["rights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for right in ["read_dir", "write_file", "make_reg", "refer", "truncate"] {
        assert!(rights.contains(&right), "{rights:?}");
    }
    assert!(!rights.contains(&"make_char"), "{rights:?}");
    let r = rule(&file);
    assert_eq!(r["kind"], "file");
    assert_eq!(r["rights"], serde_json::json!(["execute", "read_file"]));
    assert_eq!(json["predicted_status"], "FullyEnforced");
    assert_eq!(json["gaps"], serde_json::json!([]));
}

// ---------------------------------------------------------------------------
// Symlinks
// ---------------------------------------------------------------------------

#[test]
fn symlink_grant_dry_run_shows_the_link_and_its_target() {
    let s = Scratch::new();
    s.write("data/real/f.txt", "x");
    std::os::unix::fs::symlink("data/real", s.join("link")).unwrap();
    let target = s.join("data/real");

    let out = s.run(run_args(["--dry-run", "--read", "link"], ["true"]));
    out.expect_ok()
        .expect_stdout(&format!("link -> {}  [flag --read]", target.display()))
        .expect_stdout(&format!("{} (dir, read): ", target.display()));
    assert!(
        !out.stdout
            .contains(&format!("{} (", s.join("link").display())),
        "no rule is made for the link itself: {out:#?}"
    );

    let json = s
        .run(run_args(
            ["--dry-run", "--json", "--read", "link"],
            ["true"],
        ))
        .expect_ok()
        .json();
    let g = json["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["requested"] == "link")
        .unwrap();
    assert_eq!(g["expanded"], s.join("link").to_str().unwrap());
    assert_eq!(g["path"], target.to_str().unwrap());
    assert!(
        json["ruleset"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == target.to_str().unwrap()),
        "{json:#}"
    );
}

#[test]
fn symlink_grant_grants_the_target_and_not_its_siblings() {
    let s = Scratch::new();
    s.write("data/real/f.txt", "through the target\n");
    s.write("data/other/g.txt", "sibling\n");
    std::os::unix::fs::symlink("data/real", s.join("dirlink")).unwrap();
    s.write("files/a.txt", "file target\n");
    s.write("files/b.txt", "file sibling\n");
    std::os::unix::fs::symlink("files/a.txt", s.join("filelink")).unwrap();
    let sh = |grant: &str, script: &str| s.run(run_args(["--read", grant], ["sh", "-c", script]));

    // Directory link: the target path and the link path both read.
    let real = s.join("data/real/f.txt");
    sh(
        "dirlink",
        &format!("cat {} && cat dirlink/f.txt", real.display()),
    )
    .expect_ok()
    .expect_stdout("through the target");
    let out = sh("dirlink", "cat data/other/g.txt");
    out.expect_code(1)
        .expect_stderr("data/other/g.txt: Permission denied");
    assert!(!out.stdout.contains("sibling"), "{out:#?}");

    // File link: the target file, not the file beside it.
    sh("filelink", "cat files/a.txt && cat filelink")
        .expect_ok()
        .expect_stdout("file target");
    sh("filelink", "cat files/b.txt")
        .expect_code(1)
        .expect_stderr("files/b.txt: Permission denied");
}

// ---------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------

#[test]
fn the_commands_own_status_is_nonos_status() {
    let s = Scratch::new();
    s.run(run_args(["--allow", "."], ["sh", "-c", "exit 7"]))
        .expect_code(7);
    s.run(run_args(["--allow", "."], ["sh", "-c", "exit 0"]))
        .expect_ok();
    // Killed by a signal: no exit code at all, as if run directly.
    let out = s.run(run_args(["--allow", "."], ["sh", "-c", "kill -KILL $$"]));
    assert_eq!(out.code, None, "{out:#?}");
}

/// nono gives the C `main` itself (src/main.rs); what the standard
/// library's start-up did must still hold: a closed standard descriptor is
/// reopened on /dev/null (so no file nono opens takes its number), and the
/// command starts with SIGPIPE at its default, not ignored. The twin: the
/// same descriptors and disposition as seen without nono.
#[test]
fn the_command_starts_with_sane_descriptors_and_signals() {
    use std::os::unix::process::CommandExt;
    /// Starts `cmd` with its standard input closed.
    fn without_stdin(cmd: &mut std::process::Command) -> &mut std::process::Command {
        // SAFETY: close(2) is async-signal-safe and touches no memory.
        unsafe {
            cmd.pre_exec(|| {
                libc::close(0);
                Ok(())
            })
        }
    }
    let s = Scratch::new();
    let report = "readlink /proc/self/fd/0 >&2; grep SigIgn /proc/self/status >&2";
    let out = Outcome::of(without_stdin(s.nono().args(run_args(
        ["--allow", ".", "--read", "/proc"],
        ["sh", "-c", report],
    ))));
    out.expect_ok();
    assert!(out.stderr.contains("/dev/null"), "{out:#?}");
    // Bit 13 (SIGPIPE) is the 0x1000 of the mask's last four hex digits.
    let ignored = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .map(|m| u64::from_str_radix(m.trim(), 16).expect("a hex mask"))
        .expect("SigIgn line");
    assert_eq!(
        ignored & (1 << 12),
        0,
        "SIGPIPE ignored in the command: {out:#?}"
    );
    // Twin: without nono, the same start leaves the descriptor closed.
    let bare = Outcome::of(without_stdin(
        std::process::Command::new("sh")
            .args(["-c", "readlink /proc/self/fd/0 >&2 || echo closed >&2"])
            .current_dir(s.path()),
    ));
    assert!(bare.stderr.contains("closed"), "{bare:#?}");
}

#[test]
fn nono_supervises_the_command_as_its_parent() {
    let s = Scratch::new();
    let child = s
        .nono()
        .args(run_args(["--allow", "."], ["sh", "-c", "echo $PPID"]))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), pid.to_string());
}

#[test]
fn a_missing_command_is_127() {
    let s = Scratch::new();
    s.run(run_args(["--allow", "."], ["nono-no-such-command-xyz"]))
        .expect_code(127)
        .expect_stderr("nono-no-such-command-xyz");
    s.run(run_args(["--allow", "."], ["./no-such-file"]))
        .expect_code(127)
        .expect_stderr("./no-such-file");
    // A script whose interpreter is missing: 127, naming the interpreter.
    let script = s.write("bin/s.sh", "#!/nonexistent/interp\necho ran\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run_retrying_etxtbsy(&s, run_args(["--read", "bin"], ["./bin/s.sh"]));
    out.expect_code(127).expect_stderr("/nonexistent/interp");
    // Twin: a command that exists runs.
    s.run(run_args(["--allow", "."], ["true"])).expect_ok();
}

/// Runs `nono ARGS`, again if the exec met ETXTBSY (a script written a moment
/// ago may still be open in a child another test thread just forked).
fn run_retrying_etxtbsy(s: &Scratch, args: Vec<String>) -> common::Outcome {
    for _ in 0..20 {
        let out = s.run(&args);
        if !out.stderr.contains("Text file busy") {
            return out;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.run(&args)
}

#[test]
fn a_denied_exec_is_126_and_names_the_grant() {
    let s = Scratch::new();
    let truth = std::fs::canonicalize("/usr/bin/true").unwrap();
    let out = s.run(run_args(["--no-base", "--allow", "."], ["/usr/bin/true"]));
    out.expect_code(126)
        .expect_stderr("cannot execute /usr/bin/true: permission denied")
        .expect_stderr(&format!("--read {}", truth.parent().unwrap().display()));
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    // Twin: with the base preset it runs.
    s.run(run_args(["--allow", "."], ["/usr/bin/true"]))
        .expect_ok();
}

#[test]
fn exec_of_a_non_executable_file_does_not_blame_the_sandbox() {
    // A file without any execute bit cannot be executed by anyone, sandbox
    // or not: 126 is right, but nono must not say the sandbox denied it or
    // hint at a grant that would not help.
    let s = Scratch::new();
    s.write("bin/plain.txt", "echo hi\n"); // mode 0644: never executable
    let direct = std::process::Command::new(s.join("bin/plain.txt")).status();
    assert_eq!(
        direct.unwrap_err().kind(),
        std::io::ErrorKind::PermissionDenied,
        "outside nono too"
    );
    let script = s.write("bin/ok.sh", "#!/bin/sh\necho ran\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();

    // Twin: an executable script in the same granted dir runs.
    run_retrying_etxtbsy(&s, run_args(["--read", "bin"], ["./bin/ok.sh"]))
        .expect_ok()
        .expect_stdout("ran");

    for grants in [&["--read", "bin"][..], &["--allow", "."][..]] {
        let out = s.run(run_args(grants, ["./bin/plain.txt"]));
        out.expect_code(126)
            .expect_stderr("cannot execute ./bin/plain.txt")
            .expect_no_stderr("sandbox")
            .expect_no_stderr("grant it");
    }
    // Ungranted, the hint must not send the user to a grant that cannot help.
    let out = s.run(run_args(Vec::<&str>::new(), ["./bin/plain.txt"]));
    out.expect_code(126).expect_no_stderr("grant it with");
}

// ---------------------------------------------------------------------------
// nono's own errors: 125, one line naming the input, nothing run
// ---------------------------------------------------------------------------

/// Runs `nono run GRANTS -- touch MARKER` (with `--allow .` so the marker
/// would appear if the command ran) and asserts a nono error naming `needle`.
fn expect_refused(s: &Scratch, grants: &[&str], needle: &str) {
    let mut args = vec!["--allow", "."];
    args.extend_from_slice(grants);
    s.run(run_args(args, ["touch", "MARKER"]))
        .expect_nono_error(needle);
    assert_absent(&s.join("MARKER"));
}

#[test]
fn a_missing_read_path_is_125_naming_the_path() {
    let s = Scratch::new();
    expect_refused(&s, &["--read", "no-such-dir"], "no-such-dir");
    expect_refused(&s, &["--allow", "gone/deeper"], "gone/deeper");
    let out = s.run(run_args(
        ["--allow", ".", "--read", "no-such-dir"],
        ["true"],
    ));
    out.expect_stderr("--read")
        .expect_stderr("no such file or directory");
    // Twin: once it exists, the same command runs.
    s.mkdir("no-such-dir");
    s.run(run_args(
        ["--allow", ".", "--read", "no-such-dir"],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert_file(&s.join("MARKER"), "");
}

#[test]
fn an_error_names_a_path_with_runs_of_spaces_exactly() {
    // The one-line error must name the input as given: folding whitespace
    // turns `no  such   dir` into a different path, `no such dir`.
    let s = Scratch::new();
    expect_refused(&s, &["--read", "no  such   dir"], "no  such   dir");

    // Twin: once it exists, the path is shown and granted as written.
    s.write("no  such   dir/f.txt", "spaced\n");
    s.run(run_args(
        ["--dry-run", "--read", "no  such   dir"],
        ["true"],
    ))
    .expect_ok()
    .expect_stdout(&format!("-> {}", s.join("no  such   dir").display()));
    s.run(run_args(
        ["--read", "no  such   dir"],
        ["cat", "no  such   dir/f.txt"],
    ))
    .expect_ok()
    .expect_stdout("spaced");
}

#[test]
fn an_unknown_preset_is_125_naming_it() {
    let s = Scratch::new();
    expect_refused(&s, &["--preset", "no-such-preset"], "no-such-preset");
    // Twin: a known preset runs.
    s.run(run_args(
        ["--allow", ".", "--preset", "tmp"],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert_file(&s.join("MARKER"), "");
}

#[test]
fn a_malformed_preset_file_is_125_naming_file_line_and_column() {
    let s = Scratch::new();
    s.mkdir("ro");
    // A missing comma: line 5, column 21 is where `access` starts.
    let syntax = s.write(
        "syntax.ron",
        "(\n    name: \"syntax\",\n    description: \"x\",\n    grants: [\n        (path: \"ro\" access: Read),\n    ],\n)\n",
    );
    expect_refused(
        &s,
        &["--preset", syntax.to_str().unwrap()],
        &format!("{}:5:21", syntax.display()),
    );
    // An unknown field: line 5, column 5.
    let field = s.write(
        "field.ron",
        "(\n    name: \"field\",\n    description: \"x\",\n    grants: [],\n    colour: \"red\",\n)\n",
    );
    let out = s.run(run_args(
        ["--allow", ".", "--preset", field.to_str().unwrap()],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error(&format!("{}:5:5", field.display()))
        .expect_stderr("colour");
    assert_absent(&s.join("MARKER"));
    // A relative path is named as written.
    expect_refused(&s, &["--preset", "./syntax.ron"], "./syntax.ron:5:21");

    // Twin: a well-formed preset file applies its grants.
    let good = s.write(
        "good.ron",
        "(\n    name: \"good\",\n    description: \"x\",\n    grants: [(path: \"ro\", access: Read)],\n)\n",
    );
    s.write("ro/f.txt", "granted by the file\n");
    s.run(run_args(
        ["--preset", good.to_str().unwrap()],
        ["cat", "ro/f.txt"],
    ))
    .expect_ok()
    .expect_stdout("granted by the file");
}

#[test]
fn a_bad_abi_value_is_125_naming_it() {
    let s = Scratch::new();
    let too_new = (Abi::LATEST.0 + 1).to_string();
    for bad in ["0", too_new.as_str(), "abc", "256", ""] {
        let out = s.run(run_args(
            ["--allow", ".", "--abi", bad],
            ["touch", "MARKER"],
        ));
        out.expect_nono_error("--abi")
            .expect_stderr(&format!("'{bad}'"));
        assert_absent(&s.join("MARKER"));
    }
    // A negative value must be attached (`--abi -1` reads as a flag).
    s.run(run_args(["--allow", ".", "--abi=-1"], ["touch", "MARKER"]))
        .expect_nono_error("--abi")
        .expect_stderr("'-1'");
    assert_absent(&s.join("MARKER"));
    // Twin: each valid value runs.
    for good in Abi::known() {
        let good = good.to_string();
        s.run(run_args(["--allow", ".", "--abi", good.as_str()], ["true"]))
            .expect_ok();
    }
}

#[test]
fn usage_errors_are_125_one_line() {
    let s = Scratch::new();
    s.run(["run"]).expect_nono_error("COMMAND");
    s.run(["run", "--json", "--", "true"])
        .expect_nono_error("--dry-run");
    s.run(["run", "--no-such-flag", "--", "true"])
        .expect_nono_error("--no-such-flag");
    s.run(["frobnicate"]).expect_nono_error("frobnicate");
}

// ---------------------------------------------------------------------------
// nono check
// ---------------------------------------------------------------------------

#[test]
fn check_reports_kernel_abi_and_features() {
    let s = Scratch::new();
    let abi = kernel_landlock_abi();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let release = release.trim();

    let out = s.run(["check"]);
    out.expect_ok()
        .expect_stdout(&format!("Kernel: Linux {release}\n"))
        .expect_stdout(&format!("Landlock: available, ABI {abi}\n"))
        .expect_stdout(&format!("Effective ABI: {abi}"));
    for (name, since, linux) in FEATURES {
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}: {out:#?}"));
        assert!(line.contains(&format!("ABI {since}")), "{line}");
        assert!(line.contains(&format!("Linux {linux}")), "{line}");
        let yes = if abi >= since { "yes" } else { "no" };
        assert!(line.trim_end().ends_with(yes), "{line}");
    }

    let json = s.run(["check", "--json"]).expect_ok().json();
    assert_eq!(json["kernel"], release);
    assert_eq!(json["landlock"], "available");
    assert_eq!(json["kernel_abi"], abi);
    assert_eq!(json["effective_abi"], abi.min(u64::from(Abi::LATEST.0)));
    let features = json["features"].as_array().unwrap();
    // The Landlock passes, then the two seccomp passes and the supervisor,
    // which need no ABI.
    assert_eq!(features.len(), FEATURES.len() + 3, "{json:#}");
    for ((name, since, linux), f) in FEATURES.iter().zip(features) {
        assert_eq!(f["name"], *name);
        assert_eq!(f["abi"], *since);
        assert_eq!(f["linux"], *linux);
        assert_eq!(f["enforceable"], Value::Bool(abi >= *since), "{f}");
    }
    // This kernel has seccomp: /proc/self/status says which mode we are in.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(status.lines().any(|l| l.starts_with("Seccomp:")));
    for (f, name) in
        features[FEATURES.len()..]
            .iter()
            .zip(["seccomp_fallback", "syscall_guard", "supervise"])
    {
        assert_eq!(f["name"], name);
        assert_eq!(f["abi"], Value::Null);
        assert_eq!(f["enforceable"], true);
        let line = out
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line: {out:#?}"));
        assert!(line.contains("ABI any"), "{line}");
        assert!(line.trim_end().ends_with("yes"), "{line}");
    }
    assert_eq!(json["hints"], serde_json::json!([]));

    // The audit log: one of four states, the same in text and JSON; as root
    // the state is never unknown, and "reachable" means enabled at ABI 7.
    let state = json["audit"]["state"].as_str().unwrap();
    assert!(
        ["unsupported", "disabled", "enabled"].contains(&state),
        "{json:#}"
    );
    assert_eq!(
        json["audit"]["reachable"],
        Value::Bool(state == "enabled" && abi >= 7)
    );
    let detail = json["audit"]["detail"].as_str().unwrap();
    out.expect_stdout(&format!("Audit log: {detail}"));
}

// ---------------------------------------------------------------------------
// nono presets
// ---------------------------------------------------------------------------

#[test]
fn presets_list_shows_the_seven_builtins() {
    let s = Scratch::new();
    let out = s.run(["presets", "list"]);
    out.expect_ok();
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, BUILTIN_PRESETS, "{out:#?}");
    for line in out.stdout.lines() {
        assert!(line.contains("built-in"), "{line}");
    }

    let json = s.run(["presets", "list", "--json"]).expect_ok().json();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BUILTIN_PRESETS);
}

#[test]
fn presets_show_prints_grants_and_rejects_unknown_names() {
    let s = Scratch::new();
    let out = s.run(["presets", "show", "rust"]);
    out.expect_ok()
        .expect_stdout("rust: ")
        .expect_stdout("source: built-in")
        .expect_stdout("extends: base, tmp")
        .expect_stdout("${CARGO_HOME:-~/.cargo} (optional)")
        .expect_stdout("${RUSTUP_HOME:-~/.rustup} (optional)");
    let cargo = out
        .stdout
        .lines()
        .find(|l| l.contains("CARGO_HOME"))
        .unwrap();
    assert!(cargo.trim_start().starts_with("allow"), "{cargo}");

    let json = s
        .run(["presets", "show", "rust", "--json"])
        .expect_ok()
        .json();
    assert_eq!(json["name"], "rust");
    assert!(
        json["grants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["path"] == "${CARGO_HOME:-~/.cargo}" && g["access"] == "Allow"),
        "{json:#}"
    );

    s.run(["presets", "show", "nosuch"])
        .expect_nono_error("nosuch");
    assert!(s.run(["presets", "show", "nosuch"]).stdout.is_empty());
}

// ---------------------------------------------------------------------------
// -vv: the pipeline
// ---------------------------------------------------------------------------

/// `-vv` shows each stage of the pipeline and each pass by name with what it
/// added (or, for a pass the ABI lacks, the gap it recorded); `-v` (the
/// twin) shows the status line and none of it.
#[test]
fn verbose_twice_shows_each_stage_and_pass() {
    use nono_compile::passes::PIPELINE;
    let s = Scratch::new();
    let out = s.run(run_args(["-vv", "--allow", "."], ["true"]));
    out.expect_ok()
        .expect_stderr("Sandbox status: FullyEnforced");
    for stage in [
        "compile{abi=",
        "resolve: ",
        "normalise: ",
        "carve: ",
        "predict: FullyEnforced",
        "apply{abi=",
        "ruleset created: handled fs ",
        "restricted: FullyEnforced",
        "seccomp filter installed",
    ] {
        out.expect_stderr(stage);
    }
    for pass in PIPELINE {
        out.expect_stderr(&format!("pass {} [", pass.name));
    }
    out.expect_stderr("pass fs_base [ABI 1 (Linux 5.13)]: handled fs execute, ")
        .expect_stderr("pass syscall_guard [seccomp]: syscall guard");

    // Below ABI 5, the ioctl_dev pass says what is lost instead.
    let out = s.run(run_args(["-vv", "--abi", "3", "--allow", "."], ["true"]));
    out.expect_ok()
        .expect_stderr(
            "pass truncate [ABI 3 (Linux 6.2)]: handled fs truncate; granted truncate on ",
        )
        .expect_stderr(
            "pass ioctl_dev [needs ABI 5 (Linux 6.10), not here]: gap ioctl_dev: needs ABI 5",
        );

    let out = s.run(run_args(["-v", "--allow", "."], ["true"]));
    out.expect_ok()
        .expect_stderr("Sandbox status: FullyEnforced");
    for pass in PIPELINE {
        out.expect_no_stderr(&format!("pass {} [", pass.name));
    }
    out.expect_no_stderr("resolve: ").expect_no_stderr("DEBUG");
}
