//! /proc, inherited and pre-opened descriptors, other ways to name a file.

use super::*;

#[rustfmt::skip]
pub(super) fn path_cases() -> Vec<Case> {
    vec![
        // /proc is not granted, but a path through it lands on the real
        // file, whose own rule decides.
        case("read via /proc/self/root", STD, Py("cat", &["/proc/self/root{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("cat", &["/proc/self/root{S}/ro/f.txt"]), OK)),
        case("read via /proc/self/cwd/..", STD, Py("chdir-cat", &["{S}/rw", "/proc/self/cwd/../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("chdir-cat", &["{S}/rw", "/proc/self/cwd/f.txt"]), OK)),
        case("read /proc itself, not granted", STD, Py("cat", &["/proc/self/status"]), Errno("EACCES"), Twin::Flags(STD_PROC, OK)),
        case("write /proc/self/comm, not granted", STD, Py("append", &["/proc/self/comm"]), Errno("EACCES"), Twin::Flags(&["-a", "/proc"], OK)),
        // Even with /proc granted, processes outside the sandbox are out of
        // reach (Landlock's ptrace restriction): EACCES; a child inside is
        // not.
        case("/proc/<parent>/root of a granted file", STD_PROC, Py("proc-cat", &["ppid", "root{S}/ro/f.txt"]), Errno("EACCES"), Twin::Cmd(Py("proc-cat", &["child", "root{S}/ro/f.txt"]), OK)),
        case("/proc/<outside>/root", STD_PROC, Py("proc-cat", &["{SLEEPER}", "root{S}/ro/f.txt"]), Errno("EACCES"), Twin::Cmd(Py("proc-cat", &["child", "root{S}/ro/f.txt"]), OK)),
        // The sleeper's stdin is a file the sandbox may not read; its fd
        // link would reopen it.
        case("/proc/<outside>/fd/0, the secret behind it", STD_PROC, Py("proc-cat", &["{SLEEPER}", "fd/0"]), Errno("EACCES"), Twin::Cmd(Py("proc-cat", &["child", "fd/0"]), OK)),
        case("readlink /proc/<outside>/fd/0", STD_PROC, Py("proc-readlink", &["{SLEEPER}", "fd/0"]), Errno("EACCES"), Twin::Cmd(Py("proc-readlink", &["child", "fd/0"]), OK)),
        case("/proc/<outside>/fdinfo/0", STD_PROC, Py("proc-cat", &["{SLEEPER}", "fdinfo/0"]), Errno("EACCES"), Twin::Cmd(Py("proc-cat", &["child", "fdinfo/0"]), OK)),
        case("/proc/<outside>/exe", STD_PROC, Py("proc-cat", &["{SLEEPER}", "exe"]), Errno("EACCES"), Twin::Cmd(Py("proc-cat", &["child", "exe"]), OK)),
        case("/proc/<outside>/mem", STD_PROC, Py("proc-open", &["{SLEEPER}", "mem"]), Errno("EACCES"), Twin::Cmd(Py("proc-open", &["child", "mem"]), OK)),
        case("/proc/<parent>/mem", STD_PROC, Py("proc-open", &["ppid", "mem"]), Errno("EACCES"), Twin::Cmd(Py("proc-open", &["child", "mem"]), OK)),
        case("/proc/<outside>/mem, keeping root's capabilities", STD_PROC_KEEP, Py("proc-open", &["{SLEEPER}", "mem"]), Errno("EACCES"), Twin::Cmd(Py("proc-open", &["child", "mem"]), OK)),
        // The environment and memory map of a process outside: root with
        // CAP_SYS_ADMIN could read them (see known_limits_hold_as_documented
        // for --keep-caps); with root's capabilities dropped, the ptrace
        // check runs and Landlock refuses it.
        case("/proc/<outside>/environ", STD_PROC, Py("proc-cat", &["{SLEEPER}", "environ"]), ErrnoAt("EACCES", "open /proc/{SLEEPER}/environ"), Twin::Cmd(Py("proc-cat", &["child", "environ"]), OK)),
        case("/proc/<outside>/maps", STD_PROC, Py("proc-cat", &["{SLEEPER}", "maps"]), ErrnoAt("EACCES", "open /proc/{SLEEPER}/maps"), Twin::Cmd(Py("proc-cat", &["child", "maps"]), OK)),
        case("/proc/<parent>/environ", STD_PROC, Py("proc-cat", &["ppid", "environ"]), Errno("EACCES"), Twin::Cmd(Py("proc-cat", &["child", "environ"]), OK)),
        // Reopening an inherited descriptor is a new open, checked on the
        // file: EACCES. (Using the inherited descriptor itself is a known
        // limit: see known_limits_hold_as_documented.)
        case("reopen an inherited fd via /dev/fd", STD, Py("cat", &["/dev/fd/3"]), Errno("EACCES"), Twin::Fd3(Fd3::Read("{S}/ro/f.txt"), Py("cat", &["/dev/fd/3"]), OK)).fd3(Fd3::Read("{S}/secret/s.txt")),
        case("reopen an inherited fd for writing via /proc/self/fd", STD, Py("append", &["/proc/self/fd/3"]), Errno("EACCES"), Twin::Fd3(Fd3::Read("{S}/rw/f.txt"), Py("append", &["/proc/self/fd/3"]), OK)).fd3(Fd3::Read("{S}/secret/s.txt")),
        case("reopen an inherited read-only fd for writing", STD, Py("append", &["/dev/fd/3"]), Errno("EACCES"), Twin::Fd3(Fd3::Read("{S}/rw/g.txt"), Py("append", &["/dev/fd/3"]), OK)).fd3(Fd3::Read("{S}/ro/f.txt")),
        case("shell: cat /dev/fd/3 of an ungranted file", STD, Sh("cat /dev/fd/3"), Exit(1, "Permission denied"), Twin::Fd3(Fd3::Read("{S}/ro/f.txt"), Sh("cat /dev/fd/3"), Exit(0, "ro-data"))).fd3(Fd3::Read("{S}/secret/s.txt")),
        // Directory descriptors opened BEFORE the sandbox: openat(2)
        // relative to them is still checked on the file reached: EACCES.
        case("openat on a pre-opened ungranted dir", STD, Py("fd-openat", &["3", "s.txt"]), Errno("EACCES"), Twin::Fd3(Fd3::Read("{S}/ro"), Py("fd-openat", &["3", "f.txt"]), OK)).fd3(Fd3::Read("{S}/secret")),
        case("fchdir to a pre-opened ungranted dir", STD, Py("fd-fchdir", &["3", "s.txt"]), ErrnoAt("EACCES", "open s.txt"), Twin::Fd3(Fd3::Read("{S}/ro"), Py("fd-fchdir", &["3", "f.txt"]), OK)).fd3(Fd3::Read("{S}/secret")),
        case("openat .. from a pre-opened granted dir", STD, Py("fd-openat", &["3", "../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("fd-openat", &["3", "../ro/f.txt"]), OK)).fd3(Fd3::Read("{S}/rw")),
        // Directory descriptors opened AFTER, inside the sandbox.
        case("openat .. from a granted dir fd", STD, Py("openat", &["{S}/rw", "../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("openat", &["{S}/rw", "f.txt"]), OK)),
        case("openat an absolute path from a granted dir fd", STD, Py("openat", &["{S}/rw", "{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("openat", &["{S}/rw", "{S}/ro/f.txt"]), OK)),
        case("openat from an O_PATH fd of an ungranted dir", STD, Py("openat-opath", &["{S}/secret", "s.txt"]), ErrnoAt("EACCES", "open s.txt"), Twin::Cmd(Py("openat-opath", &["{S}/ro", "f.txt"]), OK)),
        // A detached clone of the mount (open_tree(2), which needs
        // CAP_SYS_ADMIN: EPERM once nono drops it) is still the same files,
        // under the same rules: EACCES when root keeps its capabilities.
        // A detached clone is under no path the supervisor's domain (which
        // the command's is nested in) grants, so even a granted directory's
        // clone is unreadable: the twins run unsandboxed.
        case("read via an open_tree clone", STD, Py("open-tree", &["{S}/secret", "s.txt"]), ErrnoAt("EPERM", "open_tree"), Twin::Unsandboxed(Py("open-tree", &["{S}/ro", "f.txt"]), OK)).root_twin(),
        case("read via an open_tree clone, keeping root's capabilities", STD_KEEP, Py("open-tree", &["{S}/secret", "s.txt"]), ErrnoAt("EACCES", "open s.txt"), Twin::Unsandboxed(Py("open-tree", &["{S}/ro", "f.txt"]), OK)).root_twin(),
        // io_uring opens on the process's behalf, with its credentials and
        // so its Landlock domain (no --net-block here: the ring is allowed).
        case("io_uring openat of an ungranted file", STD, Py("uring-cat", &["{S}/secret/s.txt"]), ErrnoAt("EACCES", "io_uring_setup"), Twin::Unsandboxed(Py("uring-cat", &["{S}/ro/f.txt"]), OK)),
        // open_by_handle_at(2) skips the path walk. It needs
        // CAP_DAC_READ_SEARCH (EPERM once dropped); with it kept, Landlock
        // denies it even for granted files (the dentry it opens is not
        // reached from a rule), so the twins are unsandboxed.
        case("open_by_handle_at an ungranted file", STD, Py("open-by-handle", &["{S}/secret/s.txt", "{S}/rw"]), ErrnoAt("EPERM", "open_by_handle_at"), Twin::Unsandboxed(Py("open-by-handle", &["{S}/ro/f.txt", "{S}/rw"]), OK)).root_twin(),
        case("open_by_handle_at, keeping root's capabilities", STD_KEEP, Py("open-by-handle", &["{S}/secret/s.txt", "{S}/rw"]), ErrnoAt("EACCES", "open_by_handle_at"), Twin::Unsandboxed(Py("open-by-handle", &["{S}/ro/f.txt", "{S}/rw"]), OK)).root_twin(),
    ]
}

#[test]
fn proc_and_descriptor_escapes_are_denied() {
    run_table(&path_cases(), "paths");
}
