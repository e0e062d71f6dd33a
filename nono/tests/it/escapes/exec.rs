//! Executing what is not granted.

use super::*;

#[rustfmt::skip]
pub(super) fn exec_cases() -> Vec<Case> {
    vec![
        case("exec a denied binary as the command", STD, Argv(&["{S}/secret/true"]), Exit(126, "the sandbox denies executing"), Twin::Cmd(Argv(&["{S}/ro/true"]), OK)),
        case("exec a denied binary from a shell", STD, Sh("{S}/secret/true"), Exit(126, "Permission denied"), Twin::Cmd(Sh("{S}/ro/true"), OK)),
        case("exec a write-only binary", STD, Argv(&["{S}/wo/true"]), Exit(126, "the sandbox denies executing"), Twin::Flags(&["-a", "{S}/wo"], OK)),
        case("posix_spawn a denied binary", STD, Py("execute", &["{S}/secret/true"]), Errno("EACCES"), Twin::Cmd(Py("execute", &["{S}/ro/true"]), OK)),
        case("execveat an O_PATH fd of a denied binary", STD, Py("execveat", &["{S}/secret/true"]), ErrnoAt("EACCES", "execveat"), Twin::Cmd(Py("execveat", &["{S}/ro/true"]), OK)),
        case("exec a denied binary via /proc/self/fd", STD, Py("execute-proc-fd", &["{S}/secret/true"]), Errno("EACCES"), Twin::Cmd(Py("execute-proc-fd", &["{S}/ro/true"]), OK)),
        // Through an interpreter: it must read the script, which is denied.
        case("sh SCRIPT in an ungranted dir", STD, Argv(&["sh", "{S}/secret/s.sh"]), Exit(2, "Permission denied"), Twin::Cmd(Argv(&["sh", "{S}/ro/s.sh"]), Exit(0, "script-ran"))),
        case("python3 SCRIPT in an ungranted dir", STD, Argv(&["{PY}", "{S}/secret/s.py"]), Exit(2, "Permission denied"), Twin::Cmd(Argv(&["{PY}", "{S}/ro/s.py"]), Exit(0, "script-ran"))),
        // Through the dynamic loader, which opens and maps the program
        // itself: it cannot read it.
        case("ld.so BINARY in an ungranted dir", STD, Argv(&["{LOADER}", "{S}/secret/true"]), Exit(127, "Permission denied"), Twin::Cmd(Argv(&["{LOADER}", "{S}/ro/true"]), OK)),
    ]
}

#[test]
fn exec_escapes_are_denied() {
    run_table(&exec_cases(), "exec");
}
