//! `--dry-run`, and granted symlinks.

use crate::common::{Scratch, assert_absent, assert_file, run_args};

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
