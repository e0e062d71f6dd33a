//! The three access levels, enforced for real by Landlock on this kernel.
//!
//! Each test runs real commands (`sh`, `cat`, `ls`, `touch`, `rm`, `rmdir`,
//! `mv`, `mknod`, and a one-syscall Python probe that prints the errno name)
//! under `nono run`, and proves both halves of a rule: the operation a level
//! grants works, and its neighbours are denied with the kernel's error
//! (`Permission denied` / EACCES, or EXDEV for a move that would gain rights).
//! Every denial has an allowed twin in the same test, and where an operation
//! leaves a trace on disk the test checks the disk afterwards.
//!
//! Covered: `--read` dirs (no create, truncate, rm, rmdir, mv out), `--write`
//! dirs (no ls, no cat, but create), `--allow` dirs (everything, but never a
//! device node), file grants (the file, not its sibling), executing scripts
//! (the script and its interpreter need Read; the 126 message names the
//! missing grant), nested grants, and Refer (moves inside one `--allow` tree
//! work; moves that would widen a file's rights are refused).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Scratch, assert_absent, assert_file, probe, run_args};

const DENIED: &str = "Permission denied";

/// `sh -c SCRIPT` under `grants`.
fn sh(s: &Scratch, grants: &[&str], script: &str) -> common::Outcome {
    s.run(run_args(grants, ["sh", "-c", script]))
}

// ---------------------------------------------------------------------------
// --read directories
// ---------------------------------------------------------------------------

#[test]
fn read_dir_can_be_listed_and_read_but_not_created_in() {
    let s = Scratch::new();
    s.write("ro/f.txt", "kept\n");
    s.mkdir("rw");

    // Allowed: list and read.
    let out = sh(&s, &["--read", "ro"], "ls ro && cat ro/f.txt");
    out.expect_ok().expect_stdout("f.txt").expect_stdout("kept");

    // Denied: create a file in it.
    sh(&s, &["--read", "ro"], "touch ro/new")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert_absent(&s.join("ro/new"));
    // Also denied: mkdir, a symlink, a fifo.
    sh(
        &s,
        &["--read", "ro"],
        "mkdir ro/d || ln -s x ro/l || mkfifo ro/p",
    )
    .expect_code(1)
    .expect_stderr(DENIED);
    assert_absent(&s.join("ro/d"));
    assert_absent(&s.join("ro/l"));
    assert_absent(&s.join("ro/p"));

    // Twin: the same create in an --allow dir works.
    sh(&s, &["--read", "ro", "--allow", "rw"], "touch rw/new").expect_ok();
    assert_file(&s.join("rw/new"), "");
}

#[test]
fn read_dir_file_cannot_be_truncated_or_written() {
    let s = Scratch::new();
    s.write("ro/f.txt", "survives\n");
    s.write("rw/f.txt", "goes\n");

    // Denied: `: >` truncates through an O_TRUNC write open.
    let out = sh(&s, &["--read", "ro"], ": > ro/f.txt");
    out.expect_code(2)
        .expect_stderr("cannot create ro/f.txt")
        .expect_stderr(DENIED);
    assert_file(&s.join("ro/f.txt"), "survives\n");
    // Denied: appending.
    sh(&s, &["--read", "ro"], "echo more >> ro/f.txt")
        .expect_code(2)
        .expect_stderr(DENIED);
    assert_file(&s.join("ro/f.txt"), "survives\n");
    // Denied: truncate(2) alone, without any write open.
    s.run(run_args(["--read", "ro"], probe("truncate", &["ro/f.txt"])))
        .expect_errno("EACCES");
    assert_file(&s.join("ro/f.txt"), "survives\n");

    // Twin: the same in an --allow dir.
    sh(&s, &["--read", "ro", "--allow", "rw"], ": > rw/f.txt").expect_ok();
    assert_file(&s.join("rw/f.txt"), "");
}

#[test]
fn read_dir_entries_cannot_be_removed_with_rm() {
    let s = Scratch::new();
    s.write("ro/f.txt", "stays\n");
    s.write("rw/f.txt", "goes\n");

    sh(&s, &["--read", "ro"], "rm -f ro/f.txt")
        .expect_code(1)
        .expect_stderr("cannot remove 'ro/f.txt'")
        .expect_stderr(DENIED);
    assert_file(&s.join("ro/f.txt"), "stays\n");

    sh(&s, &["--read", "ro", "--allow", "rw"], "rm -f rw/f.txt").expect_ok();
    assert_absent(&s.join("rw/f.txt"));
}

#[test]
fn read_dir_subdirs_cannot_be_removed_with_rmdir() {
    let s = Scratch::new();
    s.mkdir("ro/sub");
    s.mkdir("rw/sub");

    sh(&s, &["--read", "ro"], "rmdir ro/sub")
        .expect_code(1)
        .expect_stderr("failed to remove 'ro/sub'")
        .expect_stderr(DENIED);
    assert!(s.join("ro/sub").is_dir());

    sh(&s, &["--read", "ro", "--allow", "rw"], "rmdir rw/sub").expect_ok();
    assert_absent(&s.join("rw/sub"));
}

#[test]
fn read_dir_entries_cannot_be_moved_out() {
    let s = Scratch::new();
    s.write("ro/f.txt", "stays\n");
    s.write("rw/a/g.txt", "moves\n");
    s.mkdir("rw/b");

    // mv out of the read-only dir into a writable one.
    sh(&s, &["--read", "ro", "--allow", "rw"], "mv ro/f.txt rw/b/")
        .expect_code(1)
        .expect_stderr("cannot move 'ro/f.txt'")
        .expect_stderr(DENIED);
    assert_file(&s.join("ro/f.txt"), "stays\n");
    assert_absent(&s.join("rw/b/f.txt"));
    // The kernel's answer, without mv's copy fallback: EACCES (the source
    // directory lacks RemoveFile).
    s.run(run_args(
        ["--read", "ro", "--allow", "rw"],
        probe("rename", &["ro/f.txt", "rw/b/f.txt"]),
    ))
    .expect_errno("EACCES");
    assert_file(&s.join("ro/f.txt"), "stays\n");

    // Twin: the same mv out of an --allow dir works.
    sh(
        &s,
        &["--read", "ro", "--allow", "rw"],
        "mv rw/a/g.txt rw/b/",
    )
    .expect_ok();
    assert_absent(&s.join("rw/a/g.txt"));
    assert_file(&s.join("rw/b/g.txt"), "moves\n");
}

// ---------------------------------------------------------------------------
// --write directories
// ---------------------------------------------------------------------------

#[test]
fn write_dir_cannot_be_listed_or_read_but_can_be_created_in() {
    let s = Scratch::new();
    s.write("wo/secret.txt", "hidden\n");

    sh(&s, &["--write", "wo"], "ls wo")
        .expect_code(2)
        .expect_stderr("cannot open directory 'wo'")
        .expect_stderr(DENIED);
    let out = sh(&s, &["--write", "wo"], "cat wo/secret.txt");
    out.expect_code(1)
        .expect_stderr("wo/secret.txt")
        .expect_stderr(DENIED);
    assert!(!out.stdout.contains("hidden"), "{out:#?}");

    // Allowed: create and write a new file, and overwrite an existing one.
    sh(
        &s,
        &["--write", "wo"],
        "echo made > wo/new.txt && echo over > wo/secret.txt",
    )
    .expect_ok();
    assert_file(&s.join("wo/new.txt"), "made\n");
    assert_file(&s.join("wo/secret.txt"), "over\n");

    // Twin: with --allow, the denied reads work.
    let out = sh(&s, &["--allow", "wo"], "ls wo && cat wo/new.txt");
    out.expect_ok()
        .expect_stdout("secret.txt")
        .expect_stdout("made");
}

// ---------------------------------------------------------------------------
// --allow directories
// ---------------------------------------------------------------------------

#[test]
fn allow_dir_permits_every_file_operation() {
    let s = Scratch::new();
    s.write("rw/f.txt", "old\n");
    s.write("rw/gone.txt", "x\n");
    s.mkdir("rw/emptydir");
    s.mkdir("other");

    let script = "ls rw && cat rw/f.txt && : > rw/f.txt && echo new >> rw/f.txt \
        && rm rw/gone.txt && rmdir rw/emptydir && mkdir rw/d && touch rw/d/t \
        && mv rw/d/t rw/moved && ln -s moved rw/link && mkfifo rw/fifo";
    let out = sh(&s, &["--allow", "rw"], script);
    out.expect_ok()
        .expect_stdout("gone.txt")
        .expect_stdout("old");
    assert_file(&s.join("rw/f.txt"), "new\n");
    assert_absent(&s.join("rw/gone.txt"));
    assert_absent(&s.join("rw/emptydir"));
    assert_absent(&s.join("rw/d/t"));
    assert_file(&s.join("rw/moved"), "");
    assert_eq!(
        std::fs::read_link(s.join("rw/link")).unwrap(),
        std::path::Path::new("moved")
    );

    // Twin: outside the grant, the same creation is denied.
    sh(&s, &["--allow", "rw"], "touch other/t")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert_absent(&s.join("other/t"));
}

#[test]
fn allow_dir_never_grants_device_nodes() {
    // MakeChar/MakeBlock are handled and granted by no level, so even root
    // (CAP_MKNOD) cannot make a device node in a writable tree.
    let s = Scratch::new();
    s.mkdir("rw");

    s.run(run_args(["--allow", "rw"], probe("mknod", &["rw/null"])))
        .expect_errno("EACCES");
    assert_absent(&s.join("rw/null"));
    sh(&s, &["--allow", "rw"], "mknod rw/null2 c 1 3")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert_absent(&s.join("rw/null2"));

    // Twin: a fifo (MakeFifo, granted with Write) in the same dir works.
    sh(&s, &["--allow", "rw"], "mkfifo rw/fifo").expect_ok();
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(s.join("rw/fifo"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

// ---------------------------------------------------------------------------
// File grants
// ---------------------------------------------------------------------------

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

/// Runs `nono ARGS`, again if the exec met ETXTBSY: a script written a moment
/// ago can still be open for writing in a child another test thread forked
/// before its exec closed the descriptor.
fn run_script(s: &Scratch, args: Vec<String>) -> common::Outcome {
    for _ in 0..20 {
        let out = s.run(&args);
        if !out.stderr.contains("Text file busy") {
            return out;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.run(&args)
}

/// Writes an executable `#!/bin/sh` script that prints `script-ran`.
fn script(s: &Scratch, rel: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = s.write(rel, "#!/bin/sh\necho script-ran\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn script_in_a_read_dir_runs() {
    let s = Scratch::new();
    script(&s, "bin/s.sh");
    run_script(&s, run_args(["--read", "bin"], ["./bin/s.sh"]))
        .expect_ok()
        .expect_stdout("script-ran");
    // Also by absolute path, and with a file grant on the script alone.
    let abs = s.join("bin/s.sh");
    run_script(
        &s,
        run_args(["--read", "bin/s.sh"], [abs.to_str().unwrap()]),
    )
    .expect_ok()
    .expect_stdout("script-ran");
}

#[test]
fn script_not_granted_is_126_and_names_the_missing_grant() {
    let s = Scratch::new();
    script(&s, "bin/s.sh");
    script(&s, "other/s.sh");

    let out = run_script(&s, run_args(["--read", "other"], ["./bin/s.sh"]));
    out.expect_code(126)
        .expect_stderr("cannot execute ./bin/s.sh")
        .expect_stderr(&format!("--read {}", s.join("bin").display()));
    assert!(!out.stdout.contains("script-ran"), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");

    // Twin: the granted one runs.
    run_script(&s, run_args(["--read", "other"], ["./other/s.sh"]))
        .expect_ok()
        .expect_stdout("script-ran");
}

#[test]
fn no_base_script_without_its_interpreter_is_126_naming_the_interpreter() {
    let s = Scratch::new();
    script(&s, "bin/s.sh");
    let interp = std::fs::canonicalize("/bin/sh").unwrap();

    let out = run_script(
        &s,
        run_args(["--no-base", "--read", "bin/s.sh"], ["./bin/s.sh"]),
    );
    out.expect_code(126)
        .expect_stderr("interpreter")
        .expect_stderr(&interp.display().to_string())
        .expect_stderr(&format!("--read {}", interp.parent().unwrap().display()));
    assert!(!out.stdout.contains("script-ran"), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");

    // Twin: still --no-base, but with the interpreter's tree granted, it runs.
    run_script(
        &s,
        run_args(
            ["--no-base", "--read", "/usr", "--read", "bin/s.sh"],
            ["./bin/s.sh"],
        ),
    )
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
            .args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", common::NONO])
            .args(run_args(&grants, ["sh", "-c", script]));
        common::Outcome::of(&mut cmd)
    };
    run("cat many/f000 many/f299")
        .expect_ok()
        .expect_stdout("file 299");
    run("cat many/ungranted")
        .expect_code(1)
        .expect_stderr(DENIED);
}
