//! The terminal the command inherited.

use super::*;
use crate::common::chmod;
use std::process::Command;

/// Runs `ARGV...` with a new pseudo-terminal as its controlling terminal,
/// stdin, stdout and stderr; prints what reached the terminal, what is
/// queued in its input, and the exit status (see the file).
const TTY_HELPER: &str = include_str!("../../fixtures/tty.py");

/// A sandboxed command cannot type into the user's shell.
///
/// Landlock checks ioctl only on devices opened inside the sandbox (ABI 5),
/// but the terminal a command inherits as stdin, stdout and stderr was
/// opened before: TIOCSTI on it would push `echo pwned` into the terminal's
/// input queue, and the user's shell would run it, unconfined, when the
/// command exits. This works for root (CAP_SYS_ADMIN), and for any user
/// where `dev.tty.legacy_tiocsti` is 1 (the kernel default), since the
/// terminal is the command's controlling terminal too. nono's syscall guard
/// refuses `ioctl(TIOCSTI)` on every descriptor (EACCES): the inherited
/// terminal, `/dev/tty` reopened inside even with Allow (which grants device
/// ioctls), under `--keep-caps`, and for a user other than root. Each twin is
/// the same injection without nono, which lands in the queue.
#[test]
fn terminal_injection_through_the_inherited_tty_is_denied() {
    let s = Scratch::new();
    // uid 65534 must reach the scratch directory.
    chmod(&s.path(), 0o755);
    let helper = |argv: &[String]| {
        let mut cmd = Command::new(PYTHON);
        cmd.args(["-I", "-c", TTY_HELPER])
            .args(argv)
            .current_dir(s.path())
            .env("HOME", s.home())
            .env("XDG_CONFIG_HOME", s.home().join(".config"))
            .env("XDG_CACHE_HOME", s.cache_home())
            .env_remove("RUST_LOG");
        Outcome::of(&mut cmd)
    };
    let injected = |out: &Outcome, what: &str| {
        out.expect_ok();
        assert!(
            out.stdout.contains("OK\\r\\n'") && out.stdout.contains("QUEUED b'echo pwned\\n'"),
            "{what}: the injection should land in the queue: {out:#?}"
        );
    };
    let refused = |out: &Outcome, what: &str| {
        out.expect_ok();
        assert!(
            out.stdout
                .contains("EACCES\\r\\nfailed at TIOCSTI\\r\\n'\nQUEUED b''\n"),
            "ESCAPE: {what}: the sandboxed command typed into the terminal: {out:#?}"
        );
    };
    // Pushes `echo pwned` into the input of the terminal on stdin, or of
    // /dev/tty, opened inside.
    let py = probe("tiocsti", &[]);
    let py_tty = probe("tiocsti", &["/dev/tty"]);
    let sandboxed = |flags: &[&str], cmd: &[String]| -> Vec<String> {
        [NONO, "run"]
            .into_iter()
            .chain(flags.iter().copied())
            .chain(["--"])
            .map(str::to_owned)
            .chain(cmd.iter().cloned())
            .collect()
    };

    // Twin: without the sandbox, the injection lands in the input queue
    // (so this test can see one).
    injected(&helper(&py), "unsandboxed, inherited terminal");
    // The attempts: under the strictest sandbox nono has, and keeping
    // root's capabilities.
    refused(
        &helper(&sandboxed(&["--net-block"], &py)),
        "the inherited terminal under --net-block",
    );
    refused(
        &helper(&sandboxed(&["--keep-caps"], &py)),
        "the inherited terminal under --keep-caps",
    );

    // Through /dev/tty reopened inside, granted Allow (device ioctls): the
    // guard refuses what Landlock would allow. Twin: unsandboxed.
    injected(&helper(&py_tty), "unsandboxed, /dev/tty");
    refused(
        &helper(&sandboxed(&["-a", "/dev/tty"], &py_tty)),
        "/dev/tty granted Allow",
    );

    // As a user other than root, where the kernel still allows TIOCSTI on
    // the controlling terminal.
    let legacy = std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti");
    if is_root() && legacy.as_deref().is_ok_and(|v| v.trim() == "1") {
        let nobody = |argv: &[String]| -> Vec<String> {
            NOBODY
                .iter()
                .map(|a| (*a).to_owned())
                .chain(argv.iter().cloned())
                .collect()
        };
        injected(&helper(&nobody(&py)), "unsandboxed, as uid 65534");
        refused(
            &helper(&nobody(&sandboxed(&[], &py))),
            "the inherited terminal, as uid 65534",
        );
    } else {
        eprintln!(
            "TIOCSTI as another user: skipped (needs root and dev.tty.legacy_tiocsti = 1; got {legacy:?})"
        );
    }
}
