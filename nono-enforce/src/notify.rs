//! Seccomp user notification: the kernel primitives the supervisor uses to
//! judge system calls on the command's behalf.
//!
//! The command's process installs the filter that hands the chosen system
//! calls to the supervisor ([`JudgedBy`], [`crate::apply_judged`]) and gets a
//! listener descriptor; the supervisor
//! takes that descriptor ([`take_fd`]) and, for each [`Notification`], reads
//! the arguments from the target's memory ([`read_memory`]), takes the
//! descriptors it names, decides, performs the operation itself and answers
//! with the result ([`Listener::respond`]). The kernel never re-reads what
//! was checked: the supervisor never answers "continue".
//!
//! This module only wraps the kernel calls; it decides nothing.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// Which system calls the filter hands to the supervisor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotifiedCalls {
    /// `connect`, `bind`, `sendmsg`, `sendmmsg`, and `sendto` with an
    /// address: the socket calls that can name a pathname Unix socket.
    pub sockets: bool,
    /// The `chmod`, `chown`, `utimes` and `xattr` families.
    pub metadata: bool,
    /// `inotify_add_watch`.
    pub inotify: bool,
}

impl NotifiedCalls {
    /// Whether the filter would hand over no call at all.
    pub fn is_empty(self) -> bool {
        !(self.sockets || self.metadata || self.inotify)
    }
}

/// System call numbers (x86-64) that libc does not name yet.
mod nr {
    pub const FCHMODAT2: i64 = 452;
    pub const SETXATTRAT: i64 = 463;
    pub const REMOVEXATTRAT: i64 = 466;
}

/// The socket calls the supervisor judges. `sendto` is handled apart: only
/// with an address.
const SOCKET_CALLS: [i64; 4] = [
    libc::SYS_connect,
    libc::SYS_bind,
    libc::SYS_sendmsg,
    libc::SYS_sendmmsg,
];

/// The metadata calls the supervisor judges.
const METADATA_CALLS: [i64; 20] = [
    libc::SYS_chmod,
    libc::SYS_fchmod,
    libc::SYS_fchmodat,
    nr::FCHMODAT2,
    libc::SYS_chown,
    libc::SYS_fchown,
    libc::SYS_lchown,
    libc::SYS_fchownat,
    libc::SYS_utime,
    libc::SYS_utimes,
    libc::SYS_futimesat,
    libc::SYS_utimensat,
    libc::SYS_setxattr,
    libc::SYS_lsetxattr,
    libc::SYS_fsetxattr,
    libc::SYS_removexattr,
    libc::SYS_lremovexattr,
    libc::SYS_fremovexattr,
    nr::SETXATTRAT,
    nr::REMOVEXATTRAT,
];

/// How a call the supervisor judges is picked out by the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Handed {
    /// Every call of that number.
    Always,
    /// Only a call whose argument of this index (a pointer) is not null:
    /// `sendto` with an address; without one the kernel sends to the
    /// connected peer, which `connect` already judged.
    WithAddress(u32),
}

impl NotifiedCalls {
    /// The call numbers the filter hands to the supervisor, and how.
    pub(crate) fn handed(self) -> BTreeMap<i64, Handed> {
        let mut calls = BTreeMap::new();
        if self.sockets {
            calls.extend(SOCKET_CALLS.map(|nr| (nr, Handed::Always)));
            calls.insert(libc::SYS_sendto, Handed::WithAddress(4));
        }
        if self.metadata {
            calls.extend(METADATA_CALLS.map(|nr| (nr, Handed::Always)));
        }
        if self.inotify {
            calls.insert(libc::SYS_inotify_add_watch, Handed::Always);
        }
        calls
    }
}

/// Who answers the calls a supervisor judges, in the one seccomp filter
/// [`crate::apply_judged`] installs with the syscall guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JudgedBy {
    /// The supervisor: the calls wait for its answer on the listener the
    /// filter creates.
    Supervisor(NotifiedCalls),
    /// Nobody (a process no supervisor watches, like the plugin helper):
    /// the calls are refused with `EPERM`, the strictest answer.
    Nobody(NotifiedCalls),
}

/// What became of the calls a [`JudgedBy`] was to answer.
#[derive(Debug)]
pub enum Judged {
    /// The supervisor answers them: its end of the filter, close-on-exec.
    Listener(OwnedFd),
    /// This process already has a listening filter (nono inside a
    /// supervised nono), and the kernel allows one: the outer supervisor
    /// judges these calls by its own policy. The rest of the filter is
    /// installed.
    Nested,
    /// They are refused ([`JudgedBy::Nobody`]), or none were named.
    Refused,
}

/// One system call waiting for the supervisor's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The kernel's cookie for this call; answers and validity checks name
    /// it.
    pub id: u64,
    /// The calling thread (its id in the supervisor's pid namespace).
    pub pid: u32,
    /// The system call number.
    pub nr: i64,
    /// The architecture (`AUDIT_ARCH_*`).
    pub arch: u32,
    /// The six raw arguments.
    pub args: [u64; 6],
}

/// The supervisor's end of a notification filter.
#[derive(Debug)]
pub struct Listener {
    fd: OwnedFd,
}

impl Listener {
    /// Wraps a listener descriptor (from [`crate::apply_judged`], taken
    /// from the command's process with [`take_fd`]).
    pub fn new(fd: OwnedFd) -> Listener {
        Listener { fd }
    }

    /// The descriptor, for `poll`.
    pub fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Waits for the next notification. `ENOENT` means the caller went
    /// away before it could be received (try again); `EINTR` a signal.
    pub fn recv(&self) -> io::Result<Notification> {
        // SAFETY: an all-zero seccomp_notif is valid (plain integers), and
        // the kernel requires it zeroed.
        let mut raw: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: `raw` is a live, writable seccomp_notif for the ioctl.
        let rc = unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &raw mut raw,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Notification {
            id: raw.id,
            pid: raw.pid,
            nr: i64::from(raw.data.nr),
            arch: raw.data.arch,
            args: raw.data.args,
        })
    }

    /// Whether notification `id` is still pending: its caller is alive and
    /// waiting. Checked after reading the caller's memory and taking its
    /// descriptors, so that a recycled pid cannot have been read instead.
    pub fn is_pending(&self, id: u64) -> bool {
        // The kernel takes the id by pointer (SECCOMP_IOCTL_NOTIF_ID_VALID,
        // _IOW('!', 2, __u64)).
        const ID_VALID: libc::Ioctl = 0x4008_2102;
        let mut id = id;
        // SAFETY: `id` is a live u64 for the ioctl to read.
        unsafe { libc::ioctl(self.fd.as_raw_fd(), ID_VALID, &raw mut id) == 0 }
    }

    /// Answers notification `id`: the call returns `Ok(value)` or fails
    /// with `Err(errno)`. An error here (`ENOENT`) means the caller is gone
    /// or was interrupted; nothing is owed to it.
    pub fn respond(&self, id: u64, result: Result<i64, i32>) -> io::Result<()> {
        let (val, error) = match result {
            Ok(v) => (v, 0),
            Err(errno) => (0, -errno.abs()),
        };
        let mut resp = libc::seccomp_notif_resp {
            id,
            val,
            error,
            flags: 0,
        };
        // SAFETY: `resp` is a live seccomp_notif_resp for the ioctl.
        let rc = unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SEND,
                &raw mut resp,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Opens a pidfd for process `pid` (`ESRCH` for pid 0 or one that does
/// not fit a pid).
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))?;
    Ok(rustix::process::pidfd_open(
        pid,
        rustix::process::PidfdFlags::empty(),
    )?)
}

/// Takes a duplicate of descriptor `target_fd` of the process `pidfd`
/// names (`pidfd_getfd`; needs ptrace access to it, as its parent has).
/// The copy is close-on-exec.
pub fn take_fd(pidfd: &OwnedFd, target_fd: i32) -> io::Result<OwnedFd> {
    Ok(rustix::process::pidfd_getfd(
        pidfd,
        target_fd,
        rustix::process::PidfdGetfdFlags::empty(),
    )?)
}

/// Copies `buf.len()` bytes at `addr` in process `pid`'s memory into `buf`.
/// Returns how many bytes were readable (fewer at the end of a mapping).
pub fn read_memory(pid: u32, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast::<c_void>(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as usize as *mut c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, writable for its length; the remote
    // address is only read by the kernel, in the other process.
    let n = unsafe { libc::process_vm_readv(pid as libc::pid_t, &local, 1, &remote, 1, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Writes `data` at `addr` in process `pid`'s memory (the supervisor uses
/// it only for the length fields `sendmmsg` reports back).
pub fn write_memory(pid: u32, addr: u64, data: &[u8]) -> io::Result<usize> {
    let local = libc::iovec {
        iov_base: data.as_ptr().cast_mut().cast::<c_void>(),
        iov_len: data.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as usize as *mut c_void,
        iov_len: data.len(),
    };
    // SAFETY: `local` describes `data`, readable for its length; the kernel
    // writes only into the other process.
    let n = unsafe { libc::process_vm_writev(pid as libc::pid_t, &local, 1, &remote, 1, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_call_is_handed_and_sendto_only_with_an_address() {
        assert!(NotifiedCalls::default().handed().is_empty());
        let all = NotifiedCalls {
            sockets: true,
            metadata: true,
            inotify: true,
        }
        .handed();
        assert_eq!(all.len(), SOCKET_CALLS.len() + METADATA_CALLS.len() + 2);
        assert_eq!(all.get(&libc::SYS_sendto), Some(&Handed::WithAddress(4)));
        assert_eq!(all.get(&libc::SYS_chmod), Some(&Handed::Always));
        let sockets = NotifiedCalls {
            sockets: true,
            ..NotifiedCalls::default()
        }
        .handed();
        assert!(!sockets.contains_key(&libc::SYS_chmod));
        assert!(sockets.contains_key(&libc::SYS_connect));
    }

    #[test]
    fn memory_of_this_process_reads_back() {
        let data = *b"nono reads this";
        let mut buf = [0u8; 15];
        let n = read_memory(std::process::id(), data.as_ptr() as u64, &mut buf).unwrap();
        assert_eq!(n, 15);
        assert_eq!(&buf, &data);
    }
}
