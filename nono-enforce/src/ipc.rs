//! A private IPC namespace for the command.
//!
//! System V message queues, semaphore sets and shared memory segments live
//! in the IPC namespace, not in the filesystem: Landlock does not govern
//! them, and a command in the host's namespace can list, read and change
//! every object its user may. In a private namespace it has System V IPC of
//! its own, empty at the start and gone when its last process exits, and
//! none of the host's.
//!
//! A process with `CAP_SYS_ADMIN` (root) makes one with
//! `unshare(CLONE_NEWIPC)`, before it drops its capabilities. Another
//! process can only make one inside a new user namespace, which nono does
//! only when the policy asks for System V IPC (`--allow-sysv-ipc`): there
//! the command's user and group are mapped to themselves, and files of
//! other users show as the overflow user (`nobody`).
//!
//! What was done is recorded for the process, since a namespace belongs to
//! the process: [`isolate_ipc`] acts once, and [`crate::apply`] builds the
//! seccomp filter from its answer (the System V calls are refused where the
//! command would otherwise reach the host's objects).

use nono_model::SysvIpc;
use std::io::Write;
use std::sync::OnceLock;

/// What nono did with the IPC namespace of this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpcIsolation {
    /// A private IPC namespace (made with `CAP_SYS_ADMIN`).
    Private,
    /// A private IPC namespace in a new user namespace, which maps the
    /// caller's user and group to themselves.
    PrivateInUserNamespace,
    /// The host's IPC namespace: no private one could be made.
    Shared {
        /// Why not, in words.
        reason: String,
    },
}

impl IpcIsolation {
    /// Whether the command has an IPC namespace of its own.
    pub fn is_private(&self) -> bool {
        !matches!(self, IpcIsolation::Shared { .. })
    }
}

impl std::fmt::Display for IpcIsolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IpcIsolation::Private => write!(f, "a private IPC namespace"),
            IpcIsolation::PrivateInUserNamespace => {
                write!(f, "a private IPC namespace in a new user namespace")
            }
            IpcIsolation::Shared { reason } => write!(f, "the host's IPC namespace ({reason})"),
        }
    }
}

/// Why the IPC namespace could not be set up. The process may already be
/// in a new user namespace without its ids: the command must not run.
#[derive(Debug, thiserror::Error)]
#[error("cannot map the user and group into the new user namespace ({what}): {source}")]
pub struct IpcError {
    /// The file that could not be written.
    what: &'static str,
    /// The kernel's answer.
    source: std::io::Error,
}

static DONE: OnceLock<IpcIsolation> = OnceLock::new();

/// Gives this process a private IPC namespace where `policy` allows one
/// here, once; a later call returns what the first did. Call it before
/// dropping capabilities (root needs `CAP_SYS_ADMIN` for it);
/// [`crate::apply`] calls it itself if nobody did.
pub fn isolate_ipc(policy: SysvIpc) -> Result<IpcIsolation, IpcError> {
    if let Some(done) = DONE.get() {
        return Ok(done.clone());
    }
    let outcome = attempt(policy)?;
    Ok(DONE.get_or_init(|| outcome).clone())
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

fn attempt(policy: SysvIpc) -> Result<IpcIsolation, IpcError> {
    // SAFETY: unshare takes flags only.
    if unsafe { libc::unshare(libc::CLONE_NEWIPC) } == 0 {
        return Ok(IpcIsolation::Private);
    }
    let direct = last_error();
    match policy {
        SysvIpc::PrivateOrRefused => Ok(IpcIsolation::Shared {
            reason: format!("making one needs CAP_SYS_ADMIN: {direct}"),
        }),
        SysvIpc::PrivateOrShared => in_user_namespace(),
    }
}

/// `unshare(CLONE_NEWUSER | CLONE_NEWIPC)`, then the caller's effective
/// user and group mapped to themselves (and `setgroups` denied, which an
/// unprivileged mapping requires).
fn in_user_namespace() -> Result<IpcIsolation, IpcError> {
    // SAFETY: these calls take no arguments and cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    // SAFETY: unshare takes flags only.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWIPC) } != 0 {
        return Ok(IpcIsolation::Shared {
            reason: format!("no user namespace to make one in: {}", last_error()),
        });
    }
    let write = |what: &'static str, text: String| -> Result<(), IpcError> {
        std::fs::OpenOptions::new()
            .write(true)
            .open(what)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|source| IpcError { what, source })
    };
    write("/proc/self/setgroups", "deny".to_owned())?;
    write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))?;
    Ok(IpcIsolation::PrivateInUserNamespace)
}

/// Whether a private IPC namespace can be made here, tried in a child
/// process so that this one changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcSupport {
    /// Directly (`CAP_SYS_ADMIN`, as root): the default policy gets one.
    pub direct: bool,
    /// In a new user namespace: `--allow-sysv-ipc` gets one.
    pub user_namespace: bool,
}

/// Tries `unshare(flags)` in a forked child, which exits at once.
fn child_can_unshare(flags: libc::c_int) -> bool {
    // SAFETY: the child calls only unshare and _exit, which are
    // async-signal-safe, so forking a multi-threaded process is sound.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above.
        unsafe {
            let code = if libc::unshare(flags) == 0 { 0 } else { 1 };
            libc::_exit(code);
        }
    }
    if pid < 0 {
        return false;
    }
    let mut status = 0;
    // SAFETY: `status` is a valid place for the child's status.
    let waited = unsafe { libc::waitpid(pid, &raw mut status, 0) };
    waited == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// Whether a private IPC namespace can be made here, and how (see
/// [`IpcSupport`]). Nothing in this process changes.
pub fn ipc_support() -> IpcSupport {
    let direct = child_can_unshare(libc::CLONE_NEWIPC);
    IpcSupport {
        direct,
        user_namespace: direct || child_can_unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWIPC),
    }
}

impl IpcSupport {
    /// What [`isolate_ipc`] would do under `policy`, in words.
    pub fn predict(self, policy: SysvIpc) -> &'static str {
        match (policy, self.direct, self.user_namespace) {
            (_, true, _) => "a private IPC namespace",
            (SysvIpc::PrivateOrShared, false, true) => {
                "a private IPC namespace in a new user namespace"
            }
            (SysvIpc::PrivateOrShared, false, false) => {
                "the host's IPC namespace (no namespace can be made here), with a warning"
            }
            (SysvIpc::PrivateOrRefused, false, _) => {
                "no private IPC namespace without CAP_SYS_ADMIN: the System V calls are refused"
            }
        }
    }
}
