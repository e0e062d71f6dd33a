//! Exit codes: the command's own status, 127, 126.

use crate::common::{Outcome, Scratch, run_args};
use std::os::unix::fs::PermissionsExt;

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
    let out = s.run_script(run_args(["--read", "bin"], ["./bin/s.sh"]));
    out.expect_code(127).expect_stderr("/nonexistent/interp");
    // Twin: a command that exists runs.
    s.run(run_args(["--allow", "."], ["true"])).expect_ok();
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
    s.run_script(run_args(["--read", "bin"], ["./bin/ok.sh"]))
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
