//! A rule for an entry found by listing a carved directory (`listed`) is
//! skipped when the entry is gone or is another file by the time the
//! sandbox is applied; any other rule's path must still be there. Checked
//! against the kernel: each case applies a ruleset in a child process (this
//! test binary run again for one test, since a sandbox cannot be undone)
//! and reads files through it.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use nono_model::{Abi, AccessLevels, FileKind, FsRight, FsRights, PathRule, Ruleset};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHILD: &str = "NONO_ENFORCE_TEST_CHILD";

/// A rule reading `path`, with the identity it has now.
fn read_rule(path: &Path, listed: bool) -> PathRule {
    let meta = std::fs::metadata(path).expect("the test file");
    PathRule {
        path: path.to_path_buf(),
        kind: FileKind::File,
        dev: meta.dev(),
        ino: meta.ino(),
        levels: AccessLevels::from(nono_model::Access::Read),
        rights: FsRights::of(&[FsRight::ReadFile]),
        sources: Vec::new(),
        carved: false,
        listed,
    }
}

/// A directory with `keep`, and `gone` and `replaced` whose rules are made
/// while they exist; then `gone` is removed and `replaced` is another file.
fn scene(dir: &Path, listed: bool) -> Ruleset {
    let abi = nono_enforce::landlock_state()
        .abi()
        .expect("these tests need Landlock");
    let mut ruleset = Ruleset::empty(abi.min(Abi::LATEST));
    ruleset.handled_fs = FsRights::of(&[FsRight::ReadFile, FsRight::ReadDir]);
    for name in ["keep", "gone", "replaced"] {
        std::fs::write(dir.join(name), name).unwrap();
        ruleset.rules.push(read_rule(&dir.join(name), true));
    }
    // Only the vanishing ones carry the flag under test.
    ruleset.rules[1].listed = listed;
    ruleset.rules[2].listed = listed;
    std::fs::remove_file(dir.join("gone")).unwrap();
    // Written beside it, then renamed over it: another inode for certain.
    std::fs::write(dir.join("replaced.new"), "another file").unwrap();
    std::fs::rename(dir.join("replaced.new"), dir.join("replaced")).unwrap();
    ruleset
}

/// Runs this test again in a child process with `CHILD=dir`; returns its
/// exit status and output.
fn in_child(test: &str, dir: &Path) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, dir)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let base = option_env!("CARGO_TARGET_TMPDIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = base.join(format!("nono-enforce-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_listed_entry_that_vanished_is_skipped() {
    if let Some(dir) = std::env::var_os(CHILD) {
        let dir = PathBuf::from(dir);
        let ruleset = scene(&dir, true);
        let report = nono_enforce::apply(&ruleset).expect("applied despite the vanished entries");
        assert_eq!(
            report.vanished,
            [dir.join("gone"), dir.join("replaced")],
            "{report:?}"
        );
        assert_eq!(report.rules, 1);
        // The twin: the entry still there is readable ...
        assert_eq!(std::fs::read_to_string(dir.join("keep")).unwrap(), "keep");
        // ... and the other file now at a skipped path is not.
        let err = std::fs::read(dir.join("replaced")).expect_err("no rule for it");
        assert_eq!(err.raw_os_error(), Some(libc::EACCES));
        std::process::exit(0);
    }
    let dir = scratch("listed");
    let out = in_child("a_listed_entry_that_vanished_is_skipped", &dir);
    assert!(out.status.success(), "{out:#?}");
    // Outside the sandbox the replaced file reads fine.
    assert_eq!(
        std::fs::read_to_string(dir.join("replaced")).unwrap(),
        "another file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rule_not_from_a_listing_must_still_find_its_file() {
    if let Some(dir) = std::env::var_os(CHILD) {
        let dir = PathBuf::from(dir);
        let ruleset = scene(&dir, false);
        let err = nono_enforce::apply(&ruleset).expect_err("refused: a rule's file is gone");
        assert!(err.is_vanished(), "{err}");
        assert!(err.to_string().contains("gone"), "{err}");
        // Nothing was applied: everything is still readable.
        assert_eq!(
            std::fs::read_to_string(dir.join("replaced")).unwrap(),
            "another file"
        );
        std::process::exit(0);
    }
    let dir = scratch("named");
    let out = in_child("a_rule_not_from_a_listing_must_still_find_its_file", &dir);
    assert!(out.status.success(), "{out:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}
