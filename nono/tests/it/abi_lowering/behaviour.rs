//! How the kernel behaves at each `--abi`.

use crate::common::{Outcome, Scratch, abi_has, assert_absent, assert_file, probe, run_args};

#[test]
fn truncating_a_read_only_file_works_at_abi_2_and_is_denied_at_abi_3() {
    let s = Scratch::new();
    let two = s.write("ro/two.txt", "abi two\n");
    let three = s.write("ro/three.txt", "abi three\n");

    // ABI 2 does not know Truncate: truncate(2) needs no other right.
    let out = s.run(run_args(
        ["--abi", "2", "--read", "ro"],
        probe("truncate", &["ro/two.txt"]),
    ));
    out.expect_probe_ok()
        .expect_stderr("PartiallyEnforced")
        .expect_stderr("truncate");
    assert_file(&two, "");

    // ABI 3 handles it and --read does not grant it. On a kernel below ABI
    // 3, the truncation goes through as at ABI 2, and the gap is named.
    let denied = |out: &Outcome| {
        if abi_has(3) {
            out.expect_errno("EACCES");
            assert_file(&three, "abi three\n");
        } else {
            out.expect_probe_ok().expect_stderr("truncate");
            assert_file(&three, "");
            std::fs::write(&three, "abi three\n").unwrap();
        }
    };
    denied(&s.run(run_args(
        ["--abi", "3", "--read", "ro"],
        probe("truncate", &["ro/three.txt"]),
    )));
    // Nor does a file grant of Read at ABI 3 or the default ABI.
    denied(&s.run(run_args(
        ["--read", "ro/three.txt"],
        probe("truncate", &["ro/three.txt"]),
    )));

    // Twin at ABI 3: an --allow grant truncates.
    s.run(run_args(
        ["--abi", "3", "--allow", "ro"],
        probe("truncate", &["ro/three.txt"]),
    ))
    .expect_probe_ok();
    assert_file(&three, "");
}

#[test]
fn rename_across_dirs_of_one_tree_is_exdev_at_abi_1_and_works_at_abi_2() {
    let s = Scratch::new();
    s.write("rw/a/one.txt", "one\n");
    s.write("rw/a/two.txt", "two\n");
    s.mkdir("rw/b");

    // ABI 1: no Refer, so any cross-directory rename is refused.
    s.run(run_args(
        ["--abi", "1", "--allow", "rw"],
        probe("rename", &["rw/a/one.txt", "rw/b/one.txt"]),
    ))
    .expect_errno("EXDEV");
    assert_file(&s.join("rw/a/one.txt"), "one\n");
    assert_absent(&s.join("rw/b/one.txt"));
    s.run(run_args(
        ["--abi", "1", "--allow", "rw"],
        probe("link", &["rw/a/one.txt", "rw/b/hard.txt"]),
    ))
    .expect_errno("EXDEV");
    assert_absent(&s.join("rw/b/hard.txt"));
    // ...but a rename within one directory is not a reparenting: it works.
    s.run(run_args(
        ["--abi", "1", "--allow", "rw"],
        probe("rename", &["rw/a/two.txt", "rw/a/renamed.txt"]),
    ))
    .expect_probe_ok();
    assert_file(&s.join("rw/a/renamed.txt"), "two\n");

    // ABI 2: Refer handled and granted with Write: the same move works.
    s.run(run_args(
        ["--abi", "2", "--allow", "rw"],
        probe("rename", &["rw/a/one.txt", "rw/b/one.txt"]),
    ))
    .expect_probe_ok();
    assert_absent(&s.join("rw/a/one.txt"));
    assert_file(&s.join("rw/b/one.txt"), "one\n");
}

#[test]
fn abi_1_still_enforces_the_base_rights() {
    let s = Scratch::new();
    s.write("ro/f.txt", "kept\n");
    s.mkdir("rw");
    let grants = ["--abi", "1", "--read", "ro", "--allow", "rw"];

    s.run(run_args(
        grants,
        ["sh", "-c", "cat ro/f.txt && touch rw/new"],
    ))
    .expect_ok()
    .expect_stdout("kept");
    assert_file(&s.join("rw/new"), "");
    s.run(run_args(grants, ["sh", "-c", "touch ro/new"]))
        .expect_code(1)
        .expect_stderr("Permission denied");
    assert_absent(&s.join("ro/new"));
    s.run(run_args(grants, ["rm", "ro/f.txt"]))
        .expect_code(1)
        .expect_stderr("Permission denied");
    assert_file(&s.join("ro/f.txt"), "kept\n");
}

#[test]
fn verbose_at_abi_3_reports_partially_enforced_and_the_ioctl_dev_gap() {
    let s = Scratch::new();
    s.mkdir("rw");

    let out = s.run(run_args(
        ["-v", "--abi", "3", "--allow", "rw"],
        ["sh", "-c", "echo ran > rw/out"],
    ));
    out.expect_ok()
        .expect_stderr("Sandbox status: PartiallyEnforced")
        .expect_stderr("warning")
        .expect_stderr("ioctl_dev")
        .expect_stderr("scope");
    // (A kernel below ABI 3 lacks Truncate too.)
    assert_eq!(out.stderr.contains("truncate"), !abi_has(3), "{out:#?}");
    assert_file(&s.join("rw/out"), "ran\n");

    // Twin: the default ABI is fully enforced, with no warning (on a kernel
    // from ABI 6; below, the kernel's own gaps are named).
    let out = s.run(run_args(
        ["-v", "--allow", "rw"],
        ["sh", "-c", "echo ran2 > rw/out"],
    ));
    if abi_has(6) {
        out.expect_ok()
            .expect_stderr("Sandbox status: FullyEnforced")
            .expect_no_stderr("warning")
            .expect_no_stderr("ioctl_dev")
            .expect_no_stderr("scope");
    } else {
        out.expect_ok()
            .expect_stderr("Sandbox status: PartiallyEnforced")
            .expect_stderr("scope");
    }
    assert_file(&s.join("rw/out"), "ran2\n");
    // And without -v, no status line.
    let out = s.run(run_args(["--allow", "rw"], ["true"]));
    out.expect_ok().expect_no_stderr("Sandbox status");
}

#[test]
fn strict_refuses_a_partial_sandbox_without_running_and_runs_a_full_one() {
    let s = Scratch::new();

    let out = s.run(run_args(
        ["--strict", "--abi", "3", "--allow", "."],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error("--strict").expect_stderr("ioctl_dev");
    assert_absent(&s.join("MARKER"));
    let out = s.run(run_args(
        ["--strict", "--abi", "1", "--allow", "."],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error("--strict")
        .expect_stderr("truncate")
        .expect_stderr("ioctl_dev");
    assert_absent(&s.join("MARKER"));
    // ABI 5 has every filesystem right, but not the default scopes.
    let out = s.run(run_args(
        ["--strict", "--abi", "5", "--allow", "."],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error("--strict").expect_stderr("scope");
    assert_eq!(out.stderr.contains("ioctl_dev"), !abi_has(5), "{out:#?}");
    assert_absent(&s.join("MARKER"));

    // Twins: --strict at ABI 5 without scopes, at ABI 6 and at the default
    // ABI all run; on a kernel below the ABI a twin needs, it is refused
    // there too, without running.
    let full_from = |abi: u8, out: Outcome, marker: &str| {
        if abi_has(abi) {
            out.expect_ok();
            assert_file(&s.join(marker), "");
        } else {
            out.expect_nono_error("--strict");
            assert_absent(&s.join(marker));
        }
    };
    let out = s.run(run_args(
        [
            "--strict",
            "--abi",
            "5",
            "--allow-signals",
            "--allow-abstract-unix",
            "--allow",
            ".",
        ],
        ["touch", "MARKER5"],
    ));
    full_from(5, out, "MARKER5");
    let out = s.run(run_args(
        ["--strict", "--abi", "6", "--allow", "."],
        ["touch", "MARKER6"],
    ));
    full_from(6, out, "MARKER6");
    let out = s.run(run_args(
        ["--strict", "-v", "--allow", "."],
        ["touch", "MARKER"],
    ));
    if abi_has(6) {
        out.expect_stderr("Sandbox status: FullyEnforced");
    }
    full_from(6, out, "MARKER");
}
