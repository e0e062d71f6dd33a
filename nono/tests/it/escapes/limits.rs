//! Known limits: not denied, and documented.

use super::*;
use std::os::unix::fs::MetadataExt;

/// What the kernel does today for the holes a user must know about. Each is
/// asserted as it is, so a change (a fix, or a regression) is noticed.
#[test]
fn known_limits_hold_as_documented() {
    let out = Outside::new("limits");
    let root = is_root();
    let mut failures = Vec::new();
    let mut check = |name: &str, got: Outcome, expect: Expect| {
        if let Some(why) = mismatch(expect, &got, &|t| t.to_owned()) {
            failures.push(format!("{name}: {why}"));
        }
    };

    // Descriptors opened before the sandbox are not rechecked (README,
    // "Limits"): an inherited read fd of an ungranted file reads it,
    // an inherited append fd writes it, an inherited directory fd lists it.
    // Reopening any of them is denied (see path_cases).
    let s = fixture();
    check(
        "inherited fd read",
        launch(
            &s,
            &out,
            Some(STD),
            Py("fd-read", &["3"]),
            Fd3::Read("{S}/secret/s.txt"),
        ),
        Exit(0, SECRET),
    );
    check(
        "inherited fd write",
        launch(
            &s,
            &out,
            Some(STD),
            Py("fd-write", &["3"]),
            Fd3::Append("{S}/secret/s.txt"),
        ),
        OK,
    );
    assert_eq!(
        std::fs::read_to_string(s.join("secret/s.txt")).unwrap(),
        format!("{SECRET}\npwned\n")
    );
    check(
        "inherited dir fd listing",
        launch(
            &s,
            &out,
            Some(STD),
            Py("fd-listdir", &["3"]),
            Fd3::Read("{S}/secret"),
        ),
        Exit(0, "DATA s.py s.sh s.txt sub true"),
    );

    // Connecting to a pathname Unix socket needs no Landlock right before
    // ABI 9 (LANDLOCK_ACCESS_FS_RESOLVE_UNIX): a sandboxed process reaches
    // any Unix-socket service whose path it knows, in ungranted directories
    // too (a Docker or D-Bus socket would be a way out). Only its creation
    // (bind, MakeSock) is checked.
    let s = fixture();
    let sock = s.join("secret/service.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    check(
        "connect to a pathname Unix socket in an ungranted dir",
        launch(
            &s,
            &out,
            Some(STD),
            Py("unix-connect", &["{S}/secret/service.sock"]),
            Fd3::None,
        ),
        // Closed by the supervisor (it was a known limit before it).
        Errno("EACCES"),
    );
    drop(listener);

    // Code the sandbox writes into memory can be executed (memfd is on an
    // internal filesystem Landlock does not restrict); it runs confined.
    check(
        "exec from a memfd",
        launch(&s, &out, Some(STD), Py("memfd-exec", &[]), Fd3::None),
        OK,
    );

    // With /proc granted (no preset grants it), the descriptor numbers of
    // a process outside are listable (/proc/<pid>/fd needs only DAC); their
    // targets are not (path_cases).
    check(
        "list /proc/<outside>/fd with /proc granted",
        launch(
            &s,
            &out,
            Some(STD_PROC),
            Py("proc-listdir", &["{SLEEPER}", "fd"]),
            Fd3::None,
        ),
        Exit(0, "DATA 0 1"),
    );

    // File metadata outside the grants: Landlock has no right for modes,
    // times or extended attributes; the supervisor refuses them where Write
    // is not granted (they were a known limit before it). Their twins, in a
    // writable directory, are in the `supervisor` module and
    // metadata_escapes_are_denied.
    let s = fixture();
    check(
        "chmod a+rwx an ungranted dir",
        launch(
            &s,
            &out,
            Some(STD),
            Py("chmod", &["{S}/secret", "777"]),
            Fd3::None,
        ),
        Errno("EPERM"),
    );
    check(
        "utime an ungranted file",
        launch(
            &s,
            &out,
            Some(STD),
            Py("utime", &["{S}/secret/s.txt"]),
            Fd3::None,
        ),
        Errno("EPERM"),
    );
    check(
        "setxattr user.* on an ungranted file",
        launch(
            &s,
            &out,
            Some(STD),
            Py("setxattr", &["{S}/secret/s.txt", "user.nono", "01"]),
            Fd3::None,
        ),
        Errno("EPERM"),
    );
    check(
        "chmod 0 an ungranted file",
        launch(
            &s,
            &out,
            Some(STD),
            Py("chmod", &["{S}/secret/s.txt", "0"]),
            Fd3::None,
        ),
        Errno("EPERM"),
    );
    let meta = std::fs::metadata(s.join("secret/s.txt")).unwrap();
    assert_ne!(meta.mode() & 0o7777, 0, "chmod 0 took effect");
    assert_ne!(meta.mtime(), 0, "utime took effect");

    // What --keep-caps gives back (it warns): root's capabilities walk
    // around Landlock where no Landlock right applies. With /proc granted,
    // the kernel lets a caller with CAP_SYS_ADMIN open /proc/<pid>/environ
    // and maps of a process outside; owners of ungranted files change.
    if root {
        check(
            "--keep-caps: /proc/<outside>/environ with /proc granted",
            launch(
                &s,
                &out,
                Some(STD_PROC_KEEP),
                Py("proc-cat", &["{SLEEPER}", "environ"]),
                Fd3::None,
            ),
            Exit(0, "NONO_SLEEPER_TOKEN=sleeper-env-token"),
        );
        check(
            "--keep-caps: /proc/<outside>/maps with /proc granted",
            launch(
                &s,
                &out,
                Some(STD_PROC_KEEP),
                Py("proc-cat", &["{SLEEPER}", "maps"]),
                Fd3::None,
            ),
            Exit(0, "/usr/bin/sleep"),
        );
        check(
            "--keep-caps: chown an ungranted file",
            launch(
                &s,
                &out,
                Some(STD_KEEP),
                Py("chown", &["{S}/secret/s.txt", "1234", "1234"]),
                Fd3::None,
            ),
            // The supervisor judges owners by the grants, capabilities or
            // not.
            Errno("EPERM"),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
