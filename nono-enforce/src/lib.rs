//! The kernel side of nono: detect Landlock, apply a [`nono_model::Ruleset`], report.
//!
//! This crate makes no policy decisions: [`apply`] enforces exactly the
//! ruleset it is given (compiled by `nono-compile`) on the calling thread and
//! everything it later executes, and says what the kernel did. It cannot be
//! undone.

mod apply;
mod audit;
pub mod behalf;
mod caps;
mod detect;
mod notify;
mod rights;
mod seccomp;
mod target_path;

pub use apply::{EnforceError, Report, apply, confine_supervisor};
pub use audit::{AuditState, audit_state, seccomp_available};
pub use caps::{CapsError, drop_capabilities, has_capabilities};
pub use detect::{LandlockState, kernel_release, landlock_state};
pub use notify::{
    Listener, Notification, NotifiedCalls, NotifyFilter, pidfd_open, read_memory, take_fd,
    write_memory,
};
pub use seccomp::FilterError;
pub use target_path::{PATH_MAX, Start, TargetView, fd_path, stat_fd};
