//! Mounts, namespaces, chroot; and a nested nono trying to widen its
//! grants.

use super::*;

#[rustfmt::skip]
pub(super) fn mount_cases() -> Vec<Case> {
    vec![
        // Landlock refuses every mount change to a sandboxed process
        // (EPERM), whatever its capabilities, in any namespace. Each twin
        // does the same without the sandbox, and the bind mount does reveal
        // the secret through the granted path there: these attempts would
        // work if the sandbox let them. (Mounts in a new user namespace
        // cannot propagate back to this one.)
        case("bind-mount a denied dir over a granted one (new user+mount ns)", STD, Py("bind-mount", &["{S}/secret", "{S}/rw", "s.txt"]), ErrnoAt("EPERM", "mount"), Twin::Unsandboxed(Py("bind-mount", &["{S}/secret", "{S}/rw", "s.txt"]), Exit(0, SECRET))).root_twin(),
        // In a new mount namespace of the root user namespace, which needs
        // CAP_SYS_ADMIN: unshare is refused once nono drops it (EPERM).
        // Keeping it, Landlock refuses the first mount change, making /
        // private (EPERM too, one step later).
        case("bind-mount in a new mount ns", STD, Py("bind-mount-root-ns", &["{S}/secret", "{S}/rw", "s.txt"]), ErrnoAt("EPERM", "unshare"), Twin::Unsandboxed(Py("bind-mount-root-ns", &["{S}/secret", "{S}/rw", "s.txt"]), Exit(0, SECRET))).root_twin(),
        case("bind-mount in a new mount ns, keeping root's capabilities", STD_KEEP, Py("bind-mount-root-ns", &["{S}/secret", "{S}/rw", "s.txt"]), ErrnoAt("EPERM", "make / private"), Twin::Unsandboxed(Py("bind-mount-root-ns", &["{S}/secret", "{S}/rw", "s.txt"]), Exit(0, SECRET))).root_twin(),
        case("unshare -m mount --bind", STD, Sh("unshare -m sh -c 'mount --bind {S}/secret {S}/rw && cat {S}/rw/s.txt'"), Exit(1, "unshare failed: Operation not permitted"), Twin::Unsandboxed(Sh("unshare -m sh -c 'mount --bind {S}/secret {S}/rw && cat {S}/rw/s.txt'"), Exit(0, SECRET))).root_twin(),
        case("unshare -m mount --bind, keeping root's capabilities", STD_KEEP, Sh("unshare -m sh -c 'mount --bind {S}/secret {S}/rw && cat {S}/rw/s.txt'"), Exit(1, "cannot change root filesystem propagation: Operation not permitted"), Twin::Unsandboxed(Sh("unshare -m sh -c 'mount --bind {S}/secret {S}/rw && cat {S}/rw/s.txt'"), Exit(0, SECRET))).root_twin(),
        case("mount a tmpfs over a granted dir", STD, Py("tmpfs-mount", &["{S}/rw"]), ErrnoAt("EPERM", "mount"), Twin::Unsandboxed(Py("tmpfs-mount", &["{S}/rw"]), OK)).root_twin(),
        case("move_mount a clone of a denied dir over a granted one", STD, Py("move-mount", &["{S}/secret", "{S}/rw", "s.txt"]), ErrnoAt("EPERM", "move_mount"), Twin::Unsandboxed(Py("move-mount", &["{S}/secret", "{S}/rw", "s.txt"]), Exit(0, SECRET))).root_twin(),
        // fsopen(2) needs CAP_SYS_ADMIN: EPERM. Keeping it, a new tmpfs can
        // be made, but the detached mount is reached from no rule: nothing
        // can be made in it (EACCES).
        case("fsopen a tmpfs", STD, Py("fsmount", &[]), ErrnoAt("EPERM", "fsopen"), Twin::Unsandboxed(Py("fsmount", &[]), OK)).root_twin(),
        case("create in a detached fsmount tmpfs, keeping root's capabilities", STD_KEEP, Py("fsmount", &[]), ErrnoAt("EACCES", "creat x"), Twin::Unsandboxed(Py("fsmount", &[]), OK)).root_twin(),
        // chroot(2) needs CAP_SYS_CHROOT: EPERM. Keeping it, chroot works,
        // but Landlock checks real paths, not paths relative to the root: a
        // file outside the new root, reached through the old cwd, stays
        // denied. The twin reads a granted file the same way.
        case("chroot", STD, Py("chroot-cat", &["{S}/rw", "ro/f.txt"]), ErrnoAt("EPERM", "chroot"), Twin::Flags(STD_KEEP, OK)).root_twin(),
        case("chroot, then read outside through the old cwd, keeping root's capabilities", STD_KEEP, Py("chroot-cat", &["{S}/rw", "secret/s.txt"]), ErrnoAt("EACCES", "open secret/s.txt"), Twin::Cmd(Py("chroot-cat", &["{S}/rw", "ro/f.txt"]), OK)).root_twin(),
    ]
}

#[test]
fn mount_and_namespace_escapes_are_denied() {
    run_table(&mount_cases(), "mounts");
}

// ---------------------------------------------------------------------------
// A nested nono trying to widen its grants.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
pub(super) fn nested_cases() -> Vec<Case> {
    // The inner nono may run (its directory is granted Read), and applies
    // its own ruleset on top of the outer one: Landlock only ever narrows.
    // The `--allow /` case lets the inner nono read `/` (the outer grants
    // it, with the secret denied): carving its built-in denied paths out
    // of `/` needs listing `/`, and the built-in denied paths always name
    // a path (without HOME, in the account's home), so under an outer
    // sandbox that cannot list `/` the inner nono would refuse to run at
    // all (125). The case is about what it can reach when it does run.
    vec![
        case("nested nono --allow of an ungranted dir", &["-r", "{NONODIR}"], Argv(&["{NONO}", "run", "--allow", "{S}/secret", "--", "cat", "{S}/secret/s.txt"]), Exit(1, "Permission denied"), Twin::Both(&["-r", "{NONODIR}", "-r", "{S}/ro"], Argv(&["{NONO}", "run", "--read", "{S}/ro", "--", "cat", "{S}/ro/f.txt"]), Exit(0, "ro-data"))),
        case("nested nono --no-base --allow /", &["-r", "{NONODIR}", "-r", "/", "--deny", "{S}/secret"], Argv(&["{NONO}", "run", "--no-base", "--allow", "/", "--", "cat", "{S}/secret/s.txt"]), Exit(1, "Permission denied"), Twin::Cmd(Argv(&["{NONO}", "run", "--no-base", "--allow", "/", "--", "cat", "{S}/ro/f.txt"]), Exit(0, "ro-data"))),
        case("nested nono --allow of a read-only dir, then write", &["-r", "{NONODIR}", "-r", "{S}/ro"], Argv(&["{NONO}", "run", "--allow", "{S}/ro", "--", "sh", "-c", "echo x >> {S}/ro/f.txt"]), Exit(2, "Permission denied"), Twin::Both(&["-r", "{NONODIR}", "-a", "{S}/rw"], Argv(&["{NONO}", "run", "--allow", "{S}/rw", "--", "sh", "-c", "echo x >> {S}/rw/f.txt"]), OK)),
        case("nested nono --allow-signals", &["-r", "{NONODIR}"], Argv(&["{NONO}", "run", "--allow-signals", "--", "sh", "-c", "kill -0 {SLEEPER}"]), Exit(1, "Operation not permitted"), Twin::Flags(&["-r", "{NONODIR}", "--allow-signals"], OK)).needs(6),
        case("nested nono without --net-block", &["-r", "{NONODIR}", "--net-block"], Argv(&["{NONO}", "run", "--", "{PY}", "-c", "import socket; socket.socket()"]), Exit(1, "PermissionError"), Twin::Flags(&["-r", "{NONODIR}"], OK)),
    ]
}

#[test]
fn nested_nono_cannot_widen_its_grants() {
    run_table(&nested_cases(), "nested");
}
