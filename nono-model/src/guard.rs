//! The syscall guard: what a static seccomp filter refuses on every run,
//! for the channels that need no path decision and that Landlock does not
//! govern (DESIGN.md, section 7.1).

use serde::Serialize;

/// How the command is kept from the host's System V IPC objects (message
/// queues, semaphore sets, shared memory segments), which live in the IPC
/// namespace, not in the filesystem Landlock governs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SysvIpc {
    /// The default: a private IPC namespace where nono can make one without
    /// a user namespace (it holds `CAP_SYS_ADMIN`, as root does); the
    /// command then has System V IPC of its own and sees none of the
    /// host's. Elsewhere the System V calls are refused.
    #[default]
    PrivateOrRefused,
    /// `--allow-sysv-ipc`: a private IPC namespace wherever one can be had,
    /// in a new user namespace when nono is not privileged; where none can,
    /// System V IPC as the kernel allows it (the host's objects included),
    /// and nono says so with a warning.
    PrivateOrShared,
}

/// What the syscall guard refuses beyond its fixed list (see
/// [`SyscallGuard::REFUSED`]), as the policy decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SyscallGuard {
    /// Refuse TCP Fast Open data (`MSG_FASTOPEN` on `sendto`, `sendmsg`
    /// and `sendmmsg`): set when port rules are in force, because a Fast
    /// Open connects without the `connect()` that Landlock checks.
    pub refuse_fast_open: bool,
    /// System V IPC.
    pub sysv_ipc: SysvIpc,
}

impl SyscallGuard {
    /// What the guard refuses on every run, one line per channel, as the
    /// dry run prints it and the README lists it.
    pub const REFUSED: [&'static str; 8] = [
        "terminal: TIOCSTI, TIOCLINUX, TIOCSETD, TIOCEXCL; console keyboard, font and VT-switching ioctls",
        "setuid/setgid bits: chmod family; open, openat, creat, mknod, mknodat modes; openat2 (ENOSYS: callers fall back to openat)",
        "other processes: prlimit64, setpriority, ioprio_set, sched_setaffinity, sched_setscheduler, sched_setparam, sched_setattr on anything but the caller (pid 0)",
        "kernel keyrings: add_key, keyctl, request_key",
        "io_uring (its requests would bypass these checks)",
        "bpf; perf_event_open of a whole CPU or cgroup",
        "fanotify_init (its marks watch paths Landlock does not check)",
        "syslog (the kernel log)",
    ];

    /// The lines of [`SyscallGuard::REFUSED`] and what this policy adds.
    pub fn refused(&self) -> Vec<&'static str> {
        let mut lines = Self::REFUSED.to_vec();
        if self.refuse_fast_open {
            lines.push("TCP Fast Open: MSG_FASTOPEN on sendto, sendmsg, sendmmsg (port rules are in force)");
        }
        lines
    }
}

impl SysvIpc {
    /// One sentence: what happens to System V IPC under this policy.
    pub fn describe(self) -> &'static str {
        match self {
            SysvIpc::PrivateOrRefused => {
                "a private IPC namespace where nono can make one without a user namespace (as root); elsewhere the System V calls are refused"
            }
            SysvIpc::PrivateOrShared => {
                "--allow-sysv-ipc: a private IPC namespace wherever one can be had (a user namespace when not root); elsewhere the host's, with a warning"
            }
        }
    }
}
