//! The kernel side of nono: detect Landlock, apply a [`nono_model::Ruleset`], report.
//!
//! This crate makes no policy decisions: [`apply`] enforces exactly the
//! ruleset it is given (compiled by `nono-compile`) on the calling thread and
//! everything it later executes, and says what the kernel did. It cannot be
//! undone. [`isolate_ipc`] gives the process the private IPC namespace the
//! ruleset's syscall guard asks for, where one can be made; [`apply`] does
//! it itself if the caller has not (a caller that drops capabilities first
//! calls it before, since root needs `CAP_SYS_ADMIN` for it). The same
//! holds for [`protect_paths`], the mount layer over the ruleset's
//! protected paths.

mod apply;
mod audit;
pub mod behalf;
mod caps;
mod detect;
mod ipc;
mod mounts;
mod notify;
mod rights;
mod seccomp;
mod target_path;

pub use apply::{EnforceError, Report, apply, apply_judged, confine_supervisor};
pub use audit::{AuditError, AuditState, audit_state, seccomp_available};
pub use caps::{CapsError, drop_capabilities, has_capabilities};
pub use detect::{LandlockState, kernel_release, landlock_state};
pub use ipc::{IpcError, IpcIsolation, IpcSupport, ipc_support, isolate_ipc};
pub use mounts::{MountError, MountLayer, mount_namespace_support, protect_paths};
pub use notify::{
    Judged, JudgedBy, Listener, Notification, NotifiedCalls, pidfd_open, read_memory, take_fd,
    write_memory,
};
pub use seccomp::FilterError;
pub use target_path::{PATH_MAX, Start, TargetView, fd_path, stat_fd, tgid_of};

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// The errors keep the kernel's or seccompiler's error as their source,
    /// and the one line the user sees is what it was when they were strings.
    #[test]
    fn errors_keep_their_source_and_their_text() {
        let build = FilterError::from(seccompiler::BackendError::EmptyRule);
        assert_eq!(
            build.to_string(),
            "seccomp filter: The condition vector of a rule cannot be empty."
        );
        assert!(build.source().is_some());
        let install = FilterError::from(seccompiler::Error::EmptyFilter);
        assert_eq!(
            install.to_string(),
            "seccomp filter: Cannot install empty filter."
        );
        assert!(install.source().is_some());

        let eperm = std::io::Error::from_raw_os_error(libc::EPERM);
        let nnp = EnforceError::NoNewPrivs(std::io::Error::from_raw_os_error(libc::EPERM));
        assert_eq!(nnp.to_string(), format!("cannot set no_new_privs: {eperm}"));
        assert!(nnp.source().is_some());
    }
}
