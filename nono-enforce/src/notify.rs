//! Seccomp user notification: the kernel primitives the supervisor uses to
//! judge system calls on the command's behalf.
//!
//! The command's process installs a [`NotifyFilter`] (which system calls to
//! hand to the supervisor) and gets a listener descriptor; the supervisor
//! takes that descriptor ([`take_fd`]) and, for each [`Notification`], reads
//! the arguments from the target's memory ([`read_memory`]), takes the
//! descriptors it names, decides, performs the operation itself and answers
//! with the result ([`Listener::respond`]). The kernel never re-reads what
//! was checked: the supervisor never answers "continue".
//!
//! This module only wraps the kernel calls; it decides nothing.

use std::ffi::c_void;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

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

const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
const OFFSET_NR: u32 = 0;
const OFFSET_ARCH: u32 = 4;
/// Offset of `args[i]` in `struct seccomp_data` (low 32 bits; the high half
/// follows, little-endian).
const fn offset_arg(i: u32) -> u32 {
    16 + 8 * i
}

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// A seccomp program that hands the chosen calls to a listener.
///
/// A call from a foreign architecture kills the process, and every x32
/// call is refused with `ENOSYS`, so no other system call number reaches
/// the same kernel code unseen.
#[derive(Clone, Debug)]
pub struct NotifyFilter {
    program: Vec<libc::sock_filter>,
}

impl NotifyFilter {
    /// The program that hands `calls` to a listener.
    pub fn new(calls: NotifiedCalls) -> NotifyFilter {
        NotifyFilter::build(calls, libc::SECCOMP_RET_USER_NOTIF)
    }

    /// The program that refuses `calls` with `EPERM` outright, for a
    /// process nobody supervises (the plugin helper): the same calls,
    /// judged the strictest way.
    pub fn refusing(calls: NotifiedCalls) -> NotifyFilter {
        NotifyFilter::build(calls, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32)
    }

    fn build(calls: NotifiedCalls, action: u32) -> NotifyFilter {
        use libc::{
            BPF_ABS, BPF_JEQ, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_RET_ALLOW,
            SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
        };
        let ld = BPF_LD | BPF_W | BPF_ABS;
        let jeq = BPF_JMP | BPF_JEQ | BPF_K;
        let ret = BPF_RET | BPF_K;
        let mut p = vec![
            stmt(ld, OFFSET_ARCH),
            jump(jeq, AUDIT_ARCH_X86_64, 1, 0),
            stmt(ret, SECCOMP_RET_KILL_PROCESS),
            stmt(ld, OFFSET_NR),
            jump(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 0, 1),
            stmt(ret, SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
        ];
        let mut notified: Vec<i64> = Vec::new();
        if calls.sockets {
            notified.extend(SOCKET_CALLS);
        }
        if calls.metadata {
            notified.extend(METADATA_CALLS);
        }
        if calls.inotify {
            notified.push(libc::SYS_inotify_add_watch);
        }
        for call in notified {
            p.push(jump(jeq, call as u32, 0, 1));
            p.push(stmt(ret, action));
        }
        if calls.sockets {
            // sendto(fd, buf, len, flags, addr, addrlen): only with an
            // address; without one the kernel sends to the connected peer.
            p.push(jump(jeq, libc::SYS_sendto as u32, 0, 5));
            p.push(stmt(ld, offset_arg(4)));
            p.push(jump(jeq, 0, 0, 2));
            p.push(stmt(ld, offset_arg(4) + 4));
            p.push(jump(jeq, 0, 1, 0));
            p.push(stmt(ret, action));
        }
        p.push(stmt(ret, SECCOMP_RET_ALLOW));
        NotifyFilter { program: p }
    }

    /// The number of BPF instructions.
    pub fn len(&self) -> usize {
        self.program.len()
    }

    /// Whether the program is empty (it never is).
    pub fn is_empty(&self) -> bool {
        self.program.is_empty()
    }

    /// Installs a [`NotifyFilter::refusing`] program on the calling thread
    /// (no listener). `no_new_privs` must be set.
    pub fn install_refusing(&self) -> io::Result<()> {
        let prog = self.fprog()?;
        // SAFETY: `prog` points to `self.program`, which outlives the call;
        // the kernel copies the program before returning.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &raw const prog,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn fprog(&self) -> io::Result<libc::sock_fprog> {
        Ok(libc::sock_fprog {
            len: u16::try_from(self.program.len())
                .map_err(|_| io::Error::from_raw_os_error(libc::E2BIG))?,
            filter: self.program.as_ptr().cast_mut(),
        })
    }

    /// Installs the filter on the calling thread and returns the listener.
    /// `no_new_privs` must be set (or the caller privileged). Fails with
    /// `EBUSY` when a filter of this process already has a listener (nono
    /// running inside a supervised nono).
    pub fn install(&self) -> io::Result<OwnedFd> {
        let prog = self.fprog()?;
        // SAFETY: `prog` points to `self.program`, which outlives the call;
        // the kernel copies the program before returning.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
                &raw const prog,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = RawFd::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
        // SAFETY: the kernel just returned this new descriptor, owned by no
        // one else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
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
    /// Wraps a listener descriptor (from [`NotifyFilter::install`], taken
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

/// Opens a pidfd for process `pid`.
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain system call with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = RawFd::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned this new descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Takes a duplicate of descriptor `target_fd` of the process `pidfd`
/// names (`pidfd_getfd`; needs ptrace access to it, as its parent has).
/// The copy is close-on-exec.
pub fn take_fd(pidfd: &OwnedFd, target_fd: i32) -> io::Result<OwnedFd> {
    // SAFETY: plain system call with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), target_fd, 0u32) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = RawFd::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned this new descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
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
    fn the_program_grows_with_the_calls_and_always_ends_in_allow() {
        let none = NotifyFilter::new(NotifiedCalls::default());
        let all = NotifyFilter::new(NotifiedCalls {
            sockets: true,
            metadata: true,
            inotify: true,
        });
        assert!(all.len() > none.len());
        let last = all.program.last().map(|i| i.k);
        assert_eq!(last, Some(libc::SECCOMP_RET_ALLOW));
        // Two instructions per call, six for sendto, six for the header.
        assert_eq!(
            all.len(),
            6 + 2 * (SOCKET_CALLS.len() + METADATA_CALLS.len() + 1) + 6 + 1
        );
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
