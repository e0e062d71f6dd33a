//! Metadata changes and inotify watches.

use super::*;
use crate::common::{chmod, probe, text};
use std::os::unix::fs::MetadataExt;

/// The time `utime` sets, 2001-09-09.
const TIME: &str = "1000000000";

/// The attribute `setxattr` sets: `user.nono`, "probe" (in hex).
const XATTR: (&str, &str) = ("user.nono", "70726f6265");

#[test]
fn metadata_changes_need_write_and_leave_a_read_only_file_unchanged() {
    let (s, _) = setup();
    let ro = s.write("ro/file", "read only\n");
    let rw = s.write("rw/file", "writable\n");
    let before = std::fs::metadata(&ro).unwrap();
    let ro_s = ro.to_str().unwrap();
    let rw_s = rw.to_str().unwrap();
    // chown to the owner the file has: a change of nothing, still judged.
    let owner = |p: &Path| {
        let m = std::fs::metadata(p).unwrap();
        (m.uid().to_string(), m.gid().to_string())
    };
    let (ro_uid, ro_gid) = owner(&ro);
    let (rw_uid, rw_gid) = owner(&rw);
    for (op, args) in [
        ("chmod", vec![ro_s, "666"]),
        ("fchmod", vec![ro_s, "666"]),
        ("utime", vec![ro_s, TIME]),
        ("setxattr", vec![ro_s, XATTR.0, XATTR.1]),
        ("chown", vec![ro_s, &ro_uid, &ro_gid]),
    ] {
        let out = probe_in(&s, &["--read", "ro", "--allow", "rw"], op, &args);
        expect_printed(&out, "EPERM");
    }
    let after = std::fs::metadata(&ro).unwrap();
    assert_eq!(mode(&ro), before.permissions().mode() & 0o7777);
    assert_eq!(after.mtime(), before.mtime());
    assert!(xattr_absent(&ro));
    // Twins: the same calls in the writable directory work.
    for (op, args) in [
        ("chmod", vec![rw_s, "640"]),
        ("fchmod", vec![rw_s, "600"]),
        ("utime", vec![rw_s, TIME]),
        ("setxattr", vec![rw_s, XATTR.0, XATTR.1]),
        ("chown", vec![rw_s, &rw_uid, &rw_gid]),
    ] {
        let out = probe_in(&s, &["--read", "ro", "--allow", "rw"], op, &args);
        expect_printed(&out, "OK");
    }
    assert_eq!(mode(&rw), 0o600);
    assert_eq!(std::fs::metadata(&rw).unwrap().mtime(), 1_000_000_000);
    assert!(!xattr_absent(&rw));
}

/// Whether `user.nono` is absent from `path` (asked with the probe's
/// `listxattr`, unsandboxed).
fn xattr_absent(path: &Path) -> bool {
    let argv = probe("listxattr", &[text(path)]);
    let out = Outcome::of(Command::new(&argv[0]).args(&argv[1..]));
    !out.expect_probe_shows(0)
        .split(' ')
        .any(|n| n == "user.nono")
}

#[test]
fn metadata_of_a_file_outside_every_grant_cannot_change_even_through_a_link() {
    let (s, outside) = setup();
    let target = outside.join("target.txt");
    std::fs::write(&target, "outside\n").unwrap();
    chmod(&target, 0o644);
    s.mkdir("work");
    std::os::unix::fs::symlink(&target, s.join("work/link")).unwrap();
    let out = probe_in(&s, &["--allow", "work"], "chmod", &["work/link", "666"]);
    expect_printed(&out, "EPERM");
    assert_eq!(mode(&target), 0o644);
    // Twin: unconfined, the same call changes it.
    let out = probe_unconfined(&s, "chmod", &["work/link", "600"]);
    expect_printed(&out, "OK");
    assert_eq!(mode(&target), 0o600);
}

#[test]
fn inotify_watches_need_read() {
    let (s, outside) = setup();
    s.mkdir("ro");
    let out = probe_in(&s, &[], "inotify", &[outside.to_str().unwrap()]);
    expect_printed(&out, "EACCES");
    let out = probe_in(&s, &["--read", "ro"], "inotify", &["ro"]);
    expect_printed(&out, "OK");
    let out = probe_unconfined(&s, "inotify", &[outside.to_str().unwrap()]);
    expect_printed(&out, "OK");
}
