//! The kernel side of nono: detect Landlock, apply a [`nono_model::Ruleset`], report.
//!
//! This crate makes no policy decisions: [`apply`] enforces exactly the
//! ruleset it is given (compiled by `nono-compile`) on the calling thread and
//! everything it later executes, and says what the kernel did. It cannot be
//! undone. [`isolate_ipc`] gives the process the private IPC namespace the
//! ruleset's syscall guard asks for, where one can be made; [`apply`] does
//! it itself if the caller has not (a caller that drops capabilities first
//! calls it before, since root needs `CAP_SYS_ADMIN` for it).

mod apply;
mod audit;
pub mod behalf;
mod caps;
mod detect;
mod ipc;
mod notify;
mod seccomp;
mod target_path;

pub use apply::{EnforceError, Report, apply, confine_supervisor};
pub use audit::{AuditState, audit_state, seccomp_available};
pub use caps::{CapsError, drop_capabilities, has_capabilities};
pub use detect::{LandlockState, kernel_release, landlock_state};
pub use ipc::{IpcError, IpcIsolation, IpcSupport, ipc_support, isolate_ipc};
pub use notify::{
    Listener, Notification, NotifiedCalls, NotifyFilter, pidfd_open, read_memory, take_fd,
    write_memory,
};
pub use seccomp::FilterError;
pub use target_path::{PATH_MAX, Start, TargetView, fd_path, stat_fd};
