//! File grants, executing scripts, nested grants, Refer, many rules.

use super::*;
use crate::common::{NONO, chmod};

#[test]
fn read_file_grant_covers_that_file_not_its_sibling() {
    let s = Scratch::new();
    s.write("dir/a.txt", "alpha\n");
    s.write("dir/b.txt", "beta\n");

    sh(&s, &["--read", "dir/a.txt"], "cat dir/a.txt")
        .expect_ok()
        .expect_stdout("alpha");
    let out = sh(&s, &["--read", "dir/a.txt"], "cat dir/b.txt");
    out.expect_code(1)
        .expect_stderr("dir/b.txt")
        .expect_stderr(DENIED);
    assert!(!out.stdout.contains("beta"), "{out:#?}");
    // The file grant does not extend to its directory.
    sh(&s, &["--read", "dir/a.txt"], "ls dir")
        .expect_code(2)
        .expect_stderr(DENIED);
    // Nor does it allow writing the file.
    sh(&s, &["--read", "dir/a.txt"], "echo x >> dir/a.txt")
        .expect_code(2)
        .expect_stderr(DENIED);
    assert_file(&s.join("dir/a.txt"), "alpha\n");

    // Twin: granting the directory covers the sibling.
    sh(&s, &["--read", "dir"], "cat dir/b.txt")
        .expect_ok()
        .expect_stdout("beta");
}

#[test]
fn allow_file_grant_writes_that_file_but_creates_nothing_beside_it() {
    let s = Scratch::new();
    s.write("dir/a.txt", "alpha\n");
    s.write("dir/b.txt", "beta\n");

    sh(
        &s,
        &["--allow", "dir/a.txt"],
        "cat dir/a.txt && : > dir/a.txt",
    )
    .expect_ok()
    .expect_stdout("alpha");
    assert_file(&s.join("dir/a.txt"), "");

    sh(&s, &["--allow", "dir/a.txt"], ": > dir/b.txt")
        .expect_code(2)
        .expect_stderr(DENIED);
    assert_file(&s.join("dir/b.txt"), "beta\n");
    sh(&s, &["--allow", "dir/a.txt"], "touch dir/c.txt")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert_absent(&s.join("dir/c.txt"));
    sh(&s, &["--allow", "dir/a.txt"], "rm -f dir/a.txt")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert!(s.join("dir/a.txt").exists());
}

// ---------------------------------------------------------------------------
// Executing scripts
// ---------------------------------------------------------------------------

/// Writes an executable `#!/bin/sh` script that prints `script-ran`.
fn script(s: &Scratch, rel: &str) -> std::path::PathBuf {
    let p = s.write(rel, "#!/bin/sh\necho script-ran\n");
    chmod(&p, 0o755);
    p
}

#[test]
fn script_in_a_read_dir_runs() {
    let s = Scratch::new();
    script(&s, "bin/s.sh");
    s.run_script(run_args(["--read", "bin"], ["./bin/s.sh"]))
        .expect_ok()
        .expect_stdout("script-ran");
    // Also by absolute path, and with a file grant on the script alone.
    let abs = s.join("bin/s.sh");
    s.run_script(run_args(["--read", "bin/s.sh"], [abs.to_str().unwrap()]))
        .expect_ok()
        .expect_stdout("script-ran");
}

#[test]
fn script_not_granted_is_126_and_names_the_missing_grant() {
    let s = Scratch::new();
    script(&s, "bin/s.sh");
    script(&s, "other/s.sh");

    let out = s.run_script(run_args(["--read", "other"], ["./bin/s.sh"]));
    out.expect_code(126)
        .expect_stderr("cannot execute ./bin/s.sh")
        .expect_stderr(&format!("--read {}", s.join("bin").display()));
    assert!(!out.stdout.contains("script-ran"), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");

    // Twin: the granted one runs.
    s.run_script(run_args(["--read", "other"], ["./other/s.sh"]))
        .expect_ok()
        .expect_stdout("script-ran");
}

#[test]
fn no_base_script_without_its_interpreter_is_126_naming_the_interpreter() {
    let s = Scratch::new();
    script(&s, "bin/s.sh");
    let interp = std::fs::canonicalize("/bin/sh").unwrap();

    let out = s.run_script(run_args(
        ["--no-base", "--read", "bin/s.sh"],
        ["./bin/s.sh"],
    ));
    out.expect_code(126)
        .expect_stderr("interpreter")
        .expect_stderr(&interp.display().to_string())
        .expect_stderr(&format!("--read {}", interp.parent().unwrap().display()));
    assert!(!out.stdout.contains("script-ran"), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");

    // Twin: still --no-base, but with the interpreter's tree granted, it runs.
    s.run_script(run_args(
        ["--no-base", "--read", "/usr", "--read", "bin/s.sh"],
        ["./bin/s.sh"],
    ))
    .expect_ok()
    .expect_stdout("script-ran");
}

// ---------------------------------------------------------------------------
// Nested grants
// ---------------------------------------------------------------------------

#[test]
fn nested_allow_child_in_read_parent_writes_only_in_the_child() {
    let s = Scratch::new();
    s.write("parent/p.txt", "parent\n");
    s.mkdir("parent/child");
    let grants = ["--read", "parent", "--allow", "parent/child"];

    let out = sh(
        &s,
        &grants,
        "cat parent/p.txt && echo c > parent/child/c.txt && cat parent/child/c.txt",
    );
    out.expect_ok().expect_stdout("parent").expect_stdout("c");
    assert_file(&s.join("parent/child/c.txt"), "c\n");

    sh(&s, &grants, "echo p > parent/new.txt")
        .expect_code(2)
        .expect_stderr(DENIED);
    assert_absent(&s.join("parent/new.txt"));
    sh(&s, &grants, ": > parent/p.txt")
        .expect_code(2)
        .expect_stderr(DENIED);
    assert_file(&s.join("parent/p.txt"), "parent\n");
    // The child itself is an entry of the read-only parent: not removable.
    sh(&s, &grants, "rm -rf parent/child")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert!(s.join("parent/child").is_dir());
}

// ---------------------------------------------------------------------------
// Refer: moving files between directories
// ---------------------------------------------------------------------------

#[test]
fn move_between_subdirs_of_one_allow_tree_succeeds() {
    let s = Scratch::new();
    s.write("rw/a/f.txt", "payload\n");
    s.write("rw/a/g.txt", "second\n");
    s.mkdir("rw/b");

    s.run(run_args(
        ["--allow", "rw"],
        probe("rename", &["rw/a/f.txt", "rw/b/f.txt"]),
    ))
    .expect_probe_ok();
    assert_absent(&s.join("rw/a/f.txt"));
    assert_file(&s.join("rw/b/f.txt"), "payload\n");

    // mv(1) and a hard link across the subdirectories too.
    sh(
        &s,
        &["--allow", "rw"],
        "mv rw/a/g.txt rw/b/ && ln rw/b/f.txt rw/a/hard.txt",
    )
    .expect_ok();
    assert_file(&s.join("rw/b/g.txt"), "second\n");
    assert_file(&s.join("rw/a/hard.txt"), "payload\n");
}

#[test]
fn move_out_of_an_allow_tree_into_a_read_dir_is_eacces() {
    let s = Scratch::new();
    s.write("rw/a/f.txt", "payload\n");
    s.mkdir("rw/b");
    s.mkdir("ro");
    let grants = ["--allow", "rw", "--read", "ro"];

    // The destination lacks MakeReg: the kernel says EACCES.
    s.run(run_args(
        grants,
        probe("rename", &["rw/a/f.txt", "ro/f.txt"]),
    ))
    .expect_errno("EACCES");
    assert_file(&s.join("rw/a/f.txt"), "payload\n");
    assert_absent(&s.join("ro/f.txt"));
    sh(&s, &grants, "mv rw/a/f.txt ro/")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert_file(&s.join("rw/a/f.txt"), "payload\n");
    assert_absent(&s.join("ro/f.txt"));
    s.run(run_args(grants, probe("link", &["rw/a/f.txt", "ro/f.txt"])))
        .expect_errno("EACCES");
    assert_absent(&s.join("ro/f.txt"));

    // Twin: the same rename to a sibling inside the tree works.
    s.run(run_args(
        grants,
        probe("rename", &["rw/a/f.txt", "rw/b/f.txt"]),
    ))
    .expect_probe_ok();
    assert_file(&s.join("rw/b/f.txt"), "payload\n");
}

#[test]
fn move_that_would_widen_a_files_rights_is_exdev() {
    // A file in a --write dir is not readable there; moving it into an
    // --allow dir would make it readable. The kernel refuses with EXDEV.
    let s = Scratch::new();
    s.write("wo/f.txt", "write-only\n");
    s.write("rw/g.txt", "readable\n");
    s.mkdir("wo2");
    let grants = ["--write", "wo", "--write", "wo2", "--allow", "rw"];

    s.run(run_args(grants, probe("rename", &["wo/f.txt", "rw/f.txt"])))
        .expect_errno("EXDEV");
    assert_file(&s.join("wo/f.txt"), "write-only\n");
    assert_absent(&s.join("rw/f.txt"));
    // mv falls back to copying on EXDEV, and the copy cannot read the file.
    sh(&s, &grants, "mv wo/f.txt rw/")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert_file(&s.join("wo/f.txt"), "write-only\n");

    // Twins: the reverse move (rights only shrink) and a move between two
    // --write dirs (rights unchanged) both work.
    s.run(run_args(grants, probe("rename", &["rw/g.txt", "wo/g.txt"])))
        .expect_probe_ok();
    assert_file(&s.join("wo/g.txt"), "readable\n");
    s.run(run_args(
        grants,
        probe("rename", &["wo/f.txt", "wo2/f.txt"]),
    ))
    .expect_probe_ok();
    assert_file(&s.join("wo2/f.txt"), "write-only\n");
}

// ---------------------------------------------------------------------------
// Many rules
// ---------------------------------------------------------------------------

#[test]
fn more_rules_than_the_descriptor_limit_still_apply() {
    // nono opens each rule's path, adds the rule and closes it before the
    // next: 300 file rules under a limit of 64 open files work, and each
    // grant is a real one.
    let s = Scratch::new();
    let grants: Vec<String> = (0..300)
        .flat_map(|i| {
            s.write(format!("many/f{i:03}"), &format!("file {i}\n"));
            ["--read".to_owned(), format!("many/f{i:03}")]
        })
        .collect();
    s.write("many/ungranted", "secret\n");
    let run = |script: &str| {
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.current_dir(s.path())
            .env("HOME", s.home())
            .env("XDG_CONFIG_HOME", s.home().join(".config"))
            .env("XDG_CACHE_HOME", s.cache_home())
            .env_remove("RUST_LOG")
            .env_remove("TMPDIR")
            .args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", NONO])
            .args(run_args(&grants, ["sh", "-c", script]));
        Outcome::of(&mut cmd)
    };
    run("cat many/f000 many/f299")
        .expect_ok()
        .expect_stdout("file 299");
    run("cat many/ungranted")
        .expect_code(1)
        .expect_stderr(DENIED);
}
