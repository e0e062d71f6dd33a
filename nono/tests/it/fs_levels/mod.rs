//! The three access levels, enforced for real by Landlock on this kernel.
//!
//! Each test runs real commands (`sh`, `cat`, `ls`, `touch`, `rm`, `rmdir`,
//! `mv`, `mknod`, and the probe, `tests/fixtures/probe.py`, which prints the
//! errno's name)
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
//!
//! This module holds the directory levels; [`grants`] the rest.

mod grants;

use crate::common::{Outcome, Scratch, assert_absent, assert_file, probe, run_args};

const DENIED: &str = "Permission denied";

/// `sh -c SCRIPT` under `grants`.
fn sh(s: &Scratch, grants: &[&str], script: &str) -> Outcome {
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

    s.run(run_args(
        ["--allow", "rw"],
        probe("mknod-char", &["rw/null"]),
    ))
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
