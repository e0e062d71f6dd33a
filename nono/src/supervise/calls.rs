//! The supervisor's answer to each notified system call: copy the
//! arguments once, resolve and pin what they name in the caller's view,
//! judge with the compiled ruleset (the evaluator `nono why` uses), perform
//! the call on the caller's behalf and give its result.
//!
//! Nothing here trusts the caller: every pointer is read with a length
//! limit (a bad one is `EFAULT`), every descriptor is taken once, and the
//! notification is checked to be still pending after everything was read
//! and before anything is done, so a recycled pid is never acted for.

use nono_enforce::behalf::{self, Message, SockAddr};
use nono_enforce::{Notification, PATH_MAX, Start, TargetView, fd_path, stat_fd};
use nono_model::{FsRight, Ruleset};
use std::collections::HashSet;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::Mutex;

/// The answer to a call: its return value or an errno.
pub type Answer = Result<i64, i32>;

/// The largest message the supervisor copies for one send (a stream socket
/// gets a short count beyond it, any other socket `EMSGSIZE`).
const MAX_SEND: usize = 4 << 20;
/// The most ancillary data copied for one `sendmsg`.
const MAX_CONTROL: usize = 64 << 10;
/// `UIO_MAXIOV`: the most buffers one `sendmsg` may gather.
const MAX_IOV: usize = 1024;
/// The longest socket address (`sizeof(struct sockaddr_storage)`).
const MAX_ADDR: usize = 128;
/// `XATTR_NAME_MAX` and `XATTR_SIZE_MAX`.
const XATTR_NAME_MAX: usize = 255;
const XATTR_SIZE_MAX: usize = 65536;

/// System call numbers libc does not name (x86-64).
const SYS_FCHMODAT2: i64 = 452;
const SYS_SETXATTRAT: i64 = 463;
const SYS_REMOVEXATTRAT: i64 = 466;

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// What the supervisor knows while the run lasts.
pub struct Judge {
    ruleset: Ruleset,
    /// The socket files (device, low 32 bits of the inode) that processes
    /// of this sandbox bound: reachable without an `--allow-unix` grant.
    bound: Mutex<HashSet<(u64, u32)>>,
    /// Whether the user was told that bound sockets cannot be recognised
    /// here (once per run).
    told_no_diag: std::sync::atomic::AtomicBool,
}

/// A notification being answered: the caller, and its view of the
/// filesystem once needed.
struct Call<'a> {
    n: &'a Notification,
    pidfd: OwnedFd,
}

impl Call<'_> {
    fn arg(&self, i: usize) -> u64 {
        self.n.args[i]
    }

    fn arg_fd(&self, i: usize) -> i32 {
        self.n.args[i] as i32
    }

    fn take(&self, fd: i32) -> Result<OwnedFd, i32> {
        nono_enforce::take_fd(&self.pidfd, fd).map_err(|_| libc::EBADF)
    }

    fn view(&self) -> Result<TargetView, i32> {
        TargetView::of(self.n.pid).map_err(|e| errno(&e))
    }

    /// `len` bytes at `addr` in the caller's memory, all or `EFAULT`.
    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, i32> {
        if addr == 0 && len > 0 {
            return Err(libc::EFAULT);
        }
        let mut buf = vec![0u8; len];
        match nono_enforce::read_memory(self.n.pid, addr, &mut buf) {
            Ok(n) if n == len => Ok(buf),
            _ => Err(libc::EFAULT),
        }
    }

    /// A NUL-terminated string at `addr`, at most `max` bytes before the
    /// NUL; read a page at a time so that a string near the end of a
    /// mapping reads.
    fn read_cstr(&self, addr: u64, max: usize, too_long: i32) -> Result<Vec<u8>, i32> {
        if addr == 0 {
            return Err(libc::EFAULT);
        }
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() <= max {
            let to_page = 4096 - (at % 4096) as usize;
            let mut chunk = vec![0u8; to_page];
            let n =
                nono_enforce::read_memory(self.n.pid, at, &mut chunk).map_err(|_| libc::EFAULT)?;
            if n == 0 {
                return Err(libc::EFAULT);
            }
            chunk.truncate(n);
            if let Some(end) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..end]);
                return if out.len() > max {
                    Err(too_long)
                } else {
                    Ok(out)
                };
            }
            out.extend_from_slice(&chunk);
            at += n as u64;
        }
        Err(too_long)
    }

    fn read_path(&self, addr: u64) -> Result<Vec<u8>, i32> {
        self.read_cstr(addr, PATH_MAX - 1, libc::ENAMETOOLONG)
    }

    fn read_u64s<const N: usize>(&self, addr: u64) -> Result<[u64; N], i32> {
        let bytes = self.read(addr, 8 * N)?;
        let mut out = [0u64; N];
        for (o, c) in out.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            *o = u64::from_ne_bytes(b);
        }
        Ok(out)
    }

    fn read_addr(&self, addr: u64, len: u64) -> Result<SockAddr, i32> {
        let len = usize::try_from(len).map_err(|_| libc::EINVAL)?;
        if len > MAX_ADDR {
            return Err(libc::EINVAL);
        }
        Ok(SockAddr(self.read(addr, len)?))
    }

    /// Where a `*at` call's relative path starts.
    fn start(&self, dirfd: i32) -> Result<Start, i32> {
        if dirfd == libc::AT_FDCWD {
            Ok(Start::Cwd)
        } else {
            self.take(dirfd).map(Start::Dir)
        }
    }
}

fn is_symlink(fd: &OwnedFd) -> bool {
    stat_fd(fd).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK)
}

fn is_dir(fd: &OwnedFd) -> bool {
    stat_fd(fd).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

/// What a metadata call changes.
enum Change {
    Mode(u32),
    Owner(u32, u32),
    Times(Option<[libc::timespec; 2]>),
    Xattr(CString, Option<Vec<u8>>, i32),
}

impl Judge {
    /// A judge for `ruleset`.
    pub fn new(ruleset: Ruleset) -> Judge {
        Judge {
            ruleset,
            bound: Mutex::new(HashSet::new()),
            told_no_diag: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn may(&self, path: &Path, right: FsRight) -> bool {
        nono_compile::allowed(&self.ruleset, path, right)
    }

    /// Whether the command may change the metadata of the file `fd` refers
    /// to: where Write is granted. A descriptor with no path (a pipe, a
    /// socket) changes nothing anyone else opens by name.
    fn may_change(&self, fd: &OwnedFd) -> Result<(), i32> {
        match fd_path(fd) {
            Ok(path) if self.may(&path, FsRight::WriteFile) => Ok(()),
            Ok(_) => Err(libc::EPERM),
            Err(_)
                if stat_fd(fd).is_ok_and(|st| {
                    let kind = st.st_mode & libc::S_IFMT;
                    kind == libc::S_IFIFO || kind == libc::S_IFSOCK
                }) =>
            {
                Ok(())
            }
            Err(_) => Err(libc::EPERM),
        }
    }

    /// Whether the command may reach the pathname socket `pinned`.
    fn may_reach_socket(&self, pinned: &OwnedFd) -> Result<(), i32> {
        if let Ok(path) = fd_path(pinned)
            && self
                .ruleset
                .unix_sockets
                .iter()
                .any(|g| path.starts_with(g))
        {
            return Ok(());
        }
        let st = stat_fd(pinned).map_err(|e| errno(&e))?;
        let key = (st.st_dev, st.st_ino as u32);
        let bound = self.bound.lock().map_err(|_| libc::EIO)?;
        if st.st_mode & libc::S_IFMT == libc::S_IFSOCK && bound.contains(&key) {
            return Ok(());
        }
        Err(libc::EACCES)
    }

    /// Answers notification `n`; `None` when it is no longer pending (the
    /// caller is gone or was interrupted: nothing was done).
    pub fn answer(&self, n: &Notification, pending: &dyn Fn(u64) -> bool) -> Option<Answer> {
        let Some(pidfd) = process_of(n.pid) else {
            // Gone, or unreadable: refuse if it still waits.
            return pending(n.id).then_some(Err(libc::EPERM));
        };
        let call = Call { n, pidfd };
        Some(self.dispatch(&call, &|| pending(n.id)))
    }

    fn dispatch(&self, c: &Call<'_>, pending: &dyn Fn() -> bool) -> Answer {
        let nr = c.n.nr;
        match nr {
            libc::SYS_connect => self.connect(c, pending),
            libc::SYS_bind => self.bind(c, pending),
            libc::SYS_sendto => self.sendto(c, pending),
            libc::SYS_sendmsg => self.sendmsg(c, c.arg(1), c.arg(2) as i32, pending),
            libc::SYS_sendmmsg => self.sendmmsg(c, pending),
            libc::SYS_inotify_add_watch => self.inotify(c, pending),
            SYS_SETXATTRAT | SYS_REMOVEXATTRAT => Err(libc::ENOSYS),
            _ => self.metadata(c, pending),
        }
    }

    /// The metadata family: resolve, judge (Write), change.
    fn metadata(&self, c: &Call<'_>, pending: &dyn Fn() -> bool) -> Answer {
        let nr = c.n.nr;
        // (target, change): the target is a pinned path or a taken fd.
        let by_path = |dirfd: i32, path_arg: u64, follow: bool| -> Result<OwnedFd, i32> {
            let path = c.read_path(path_arg)?;
            let start = c.start(dirfd)?;
            c.view()?
                .resolve(start, &path, follow)
                .map_err(|e| errno(&e))
        };
        let at_flags = |flags: u64| -> Result<(bool, bool), i32> {
            let flags = flags as i32;
            let known = libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH;
            if flags & !known != 0 {
                return Err(libc::EINVAL);
            }
            Ok((
                flags & libc::AT_SYMLINK_NOFOLLOW == 0,
                flags & libc::AT_EMPTY_PATH != 0,
            ))
        };
        // An *at call with AT_EMPTY_PATH and "" acts on dirfd itself.
        let at_target =
            |dirfd_arg: usize, path_arg: usize, flags: u64| -> Result<(OwnedFd, bool), i32> {
                let (follow, empty) = at_flags(flags)?;
                if empty {
                    let path = c.read_path(c.arg(path_arg))?;
                    if path.is_empty() {
                        return Ok((c.take(c.arg_fd(dirfd_arg))?, true));
                    }
                }
                Ok((
                    by_path(c.arg_fd(dirfd_arg), c.arg(path_arg), follow)?,
                    follow,
                ))
            };
        let times_timeval = |addr: u64| -> Result<Option<[libc::timespec; 2]>, i32> {
            if addr == 0 {
                return Ok(None);
            }
            let [s0, u0, s1, u1] = c.read_u64s::<4>(addr)?;
            let ts = |s: u64, u: u64| -> Result<libc::timespec, i32> {
                if u >= 1_000_000 {
                    return Err(libc::EINVAL);
                }
                Ok(libc::timespec {
                    tv_sec: s as i64,
                    tv_nsec: (u * 1000) as i64,
                })
            };
            Ok(Some([ts(s0, u0)?, ts(s1, u1)?]))
        };
        let xattr = |name_arg: u64, value: Option<(u64, u64)>, flags: u64| -> Result<Change, i32> {
            let name = c.read_cstr(name_arg, XATTR_NAME_MAX, libc::ERANGE)?;
            if name.is_empty() {
                return Err(libc::ERANGE);
            }
            let name = CString::new(name).map_err(|_| libc::EINVAL)?;
            let value = match value {
                None => None,
                Some((addr, size)) => {
                    let size = usize::try_from(size).map_err(|_| libc::E2BIG)?;
                    if size > XATTR_SIZE_MAX {
                        return Err(libc::E2BIG);
                    }
                    Some(c.read(addr, size)?)
                }
            };
            Ok(Change::Xattr(name, value, flags as i32))
        };
        // (descriptor, whether it is pinned by path or taken, followed, change)
        let (fd, pinned, followed, change) = match nr {
            libc::SYS_chmod => (
                by_path(libc::AT_FDCWD, c.arg(0), true)?,
                true,
                true,
                Change::Mode(c.arg(1) as u32),
            ),
            libc::SYS_fchmod => (
                c.take(c.arg_fd(0))?,
                false,
                true,
                Change::Mode(c.arg(1) as u32),
            ),
            libc::SYS_fchmodat => (
                by_path(c.arg_fd(0), c.arg(1), true)?,
                true,
                true,
                Change::Mode(c.arg(2) as u32),
            ),
            SYS_FCHMODAT2 => {
                let (fd, follow) = at_target(0, 1, c.arg(3))?;
                (fd, true, follow, Change::Mode(c.arg(2) as u32))
            }
            libc::SYS_chown => (
                by_path(libc::AT_FDCWD, c.arg(0), true)?,
                true,
                true,
                Change::Owner(c.arg(1) as u32, c.arg(2) as u32),
            ),
            libc::SYS_lchown => (
                by_path(libc::AT_FDCWD, c.arg(0), false)?,
                true,
                false,
                Change::Owner(c.arg(1) as u32, c.arg(2) as u32),
            ),
            libc::SYS_fchown => (
                c.take(c.arg_fd(0))?,
                false,
                true,
                Change::Owner(c.arg(1) as u32, c.arg(2) as u32),
            ),
            libc::SYS_fchownat => {
                let (fd, follow) = at_target(0, 1, c.arg(4))?;
                (
                    fd,
                    true,
                    follow,
                    Change::Owner(c.arg(2) as u32, c.arg(3) as u32),
                )
            }
            libc::SYS_utime => {
                let times = if c.arg(1) == 0 {
                    None
                } else {
                    let [a, m] = c.read_u64s::<2>(c.arg(1))?;
                    let ts = |s: u64| libc::timespec {
                        tv_sec: s as i64,
                        tv_nsec: 0,
                    };
                    Some([ts(a), ts(m)])
                };
                (
                    by_path(libc::AT_FDCWD, c.arg(0), true)?,
                    true,
                    true,
                    Change::Times(times),
                )
            }
            libc::SYS_utimes => (
                by_path(libc::AT_FDCWD, c.arg(0), true)?,
                true,
                true,
                Change::Times(times_timeval(c.arg(1))?),
            ),
            libc::SYS_futimesat => (
                by_path(c.arg_fd(0), c.arg(1), true)?,
                true,
                true,
                Change::Times(times_timeval(c.arg(2))?),
            ),
            libc::SYS_utimensat => {
                let times = if c.arg(2) == 0 {
                    None
                } else {
                    let [s0, n0, s1, n1] = c.read_u64s::<4>(c.arg(2))?;
                    Some([
                        libc::timespec {
                            tv_sec: s0 as i64,
                            tv_nsec: n0 as i64,
                        },
                        libc::timespec {
                            tv_sec: s1 as i64,
                            tv_nsec: n1 as i64,
                        },
                    ])
                };
                if c.arg(1) == 0 {
                    // futimens(fd, times).
                    (c.take(c.arg_fd(0))?, false, true, Change::Times(times))
                } else {
                    let (fd, follow) = at_target(0, 1, c.arg(3))?;
                    (fd, true, follow, Change::Times(times))
                }
            }
            libc::SYS_setxattr | libc::SYS_lsetxattr => {
                let follow = nr == libc::SYS_setxattr;
                let change = xattr(c.arg(1), Some((c.arg(2), c.arg(3))), c.arg(4))?;
                (
                    by_path(libc::AT_FDCWD, c.arg(0), follow)?,
                    true,
                    follow,
                    change,
                )
            }
            libc::SYS_fsetxattr => {
                let change = xattr(c.arg(1), Some((c.arg(2), c.arg(3))), c.arg(4))?;
                (c.take(c.arg_fd(0))?, false, true, change)
            }
            libc::SYS_removexattr | libc::SYS_lremovexattr => {
                let follow = nr == libc::SYS_removexattr;
                let change = xattr(c.arg(1), None, 0)?;
                (
                    by_path(libc::AT_FDCWD, c.arg(0), follow)?,
                    true,
                    follow,
                    change,
                )
            }
            libc::SYS_fremovexattr => {
                let change = xattr(c.arg(1), None, 0)?;
                (c.take(c.arg_fd(0))?, false, true, change)
            }
            _ => return Err(libc::ENOSYS),
        };
        self.may_change(&fd)?;
        if let Change::Mode(mode) = change {
            // The syscall guard refuses these bits too; never set them on
            // the command's behalf.
            if mode & (libc::S_ISUID | libc::S_ISGID) != 0 {
                return Err(libc::EPERM);
            }
        }
        if !pending() {
            return Err(libc::ENOENT);
        }
        let link = pinned && is_symlink(&fd);
        if link && followed {
            // A /proc magic link that led to a link: the kernel would
            // follow it further, to a file nobody judged.
            return Err(libc::ELOOP);
        }
        let result = match (change, pinned) {
            (Change::Mode(_), true) if link => Err(io::Error::from_raw_os_error(libc::EOPNOTSUPP)),
            (Change::Mode(mode), true) => behalf::chmod(&fd, mode),
            (Change::Mode(mode), false) => behalf::fchmod(&fd, mode),
            (Change::Owner(uid, gid), _) => behalf::chown(&fd, uid, gid),
            (Change::Times(_), true) if link => Err(io::Error::from_raw_os_error(libc::EPERM)),
            (Change::Times(t), true) => behalf::utimens(&fd, t),
            (Change::Times(t), false) => behalf::futimens(&fd, t),
            (Change::Xattr(..), true) if link => Err(io::Error::from_raw_os_error(libc::EPERM)),
            (Change::Xattr(name, value, flags), true) => {
                behalf::set_xattr(&fd, &name, value.as_deref(), flags)
            }
            (Change::Xattr(name, value, flags), false) => {
                behalf::fset_xattr(&fd, &name, value.as_deref(), flags)
            }
        };
        result.map(|()| 0).map_err(|e| errno(&e))
    }

    /// `inotify_add_watch(fd, path, mask)`: only where Read is granted.
    fn inotify(&self, c: &Call<'_>, pending: &dyn Fn() -> bool) -> Answer {
        let inotify = c.take(c.arg_fd(0))?;
        let mask = c.arg(2) as u32;
        let path = c.read_path(c.arg(1))?;
        let follow = mask & libc::IN_DONT_FOLLOW == 0;
        let pinned = c
            .view()?
            .resolve(Start::Cwd, &path, follow)
            .map_err(|e| errno(&e))?;
        let right = if is_dir(&pinned) {
            FsRight::ReadDir
        } else {
            FsRight::ReadFile
        };
        let resolved = fd_path(&pinned).map_err(|e| errno(&e))?;
        if !self.may(&resolved, right) {
            return Err(libc::EACCES);
        }
        if follow && is_symlink(&pinned) {
            return Err(libc::ELOOP);
        }
        if !pending() {
            return Err(libc::ENOENT);
        }
        behalf::inotify_add_watch(&inotify, &pinned, mask).map_err(|e| errno(&e))
    }

    /// Resolves and judges a pathname Unix socket address; returns the
    /// address to use instead: the pinned socket's (its descriptor is kept
    /// in `held` until the call is made), or the address as it was.
    fn destination(
        &self,
        c: &Call<'_>,
        sock: &OwnedFd,
        addr: SockAddr,
        held: &mut Vec<OwnedFd>,
    ) -> Result<SockAddr, i32> {
        let inet_family = addr
            .family()
            .is_some_and(|f| i32::from(f) == libc::AF_INET || i32::from(f) == libc::AF_INET6);
        if inet_family && addr.inet().is_none() && self.ruleset.proxy.is_some() {
            // Too short to name an address: the kernel would refuse it too.
            return Err(libc::EINVAL);
        }
        if let (Some(to), Some(proxy)) = (addr.inet(), &self.ruleset.proxy) {
            // --net-allow: the command reaches the proxy and its own
            // --net-connect ports, nothing else. The address judged is the
            // copy the call is then made with.
            let datagram = sock_type(sock) != libc::SOCK_STREAM;
            return if proxy.command_may_reach(to, datagram) {
                Ok(addr)
            } else {
                Err(libc::EACCES)
            };
        }
        let Some(path) = addr.unix_path() else {
            return Ok(addr);
        };
        let pinned = c
            .view()?
            .resolve(Start::Cwd, path, true)
            .map_err(|e| errno(&e))?;
        if is_symlink(&pinned) {
            return Err(libc::ELOOP);
        }
        self.may_reach_socket(&pinned)?;
        let to = SockAddr::unix_for(&pinned);
        held.push(pinned);
        Ok(to)
    }

    fn connect(&self, c: &Call<'_>, pending: &dyn Fn() -> bool) -> Answer {
        let sock = c.take(c.arg_fd(0))?;
        let addr = c.read_addr(c.arg(1), c.arg(2))?;
        let mut held = Vec::new();
        let to = self.destination(c, &sock, addr, &mut held)?;
        if !pending() {
            return Err(libc::ENOENT);
        }
        behalf::connect(&sock, &to)
            .map(|()| 0)
            .map_err(|e| errno(&e))
    }

    fn bind(&self, c: &Call<'_>, pending: &dyn Fn() -> bool) -> Answer {
        let sock = c.take(c.arg_fd(0))?;
        let addr = c.read_addr(c.arg(1), c.arg(2))?;
        let Some(path) = addr.unix_path() else {
            if !pending() {
                return Err(libc::ENOENT);
            }
            return behalf::bind(&sock, &addr)
                .map(|()| 0)
                .map_err(|e| errno(&e));
        };
        let (dir, name) = c
            .view()?
            .resolve_parent(Start::Cwd, path)
            .map_err(|e| errno(&e))?;
        let Some(name) = name else {
            return Err(libc::EADDRINUSE);
        };
        let dir_path = fd_path(&dir).map_err(|e| errno(&e))?;
        if !self.may(&dir_path, FsRight::MakeSock) {
            return Err(libc::EACCES);
        }
        if !pending() {
            return Err(libc::ENOENT);
        }
        behalf::bind_unix_at(&sock, &dir, &name).map_err(|e| errno(&e))?;
        // Asked of the kernel by the socket itself, so a file renamed over
        // the name in between cannot be recorded instead.
        match behalf::unix_socket_file(&sock) {
            Ok(file) => {
                if let Ok(mut bound) = self.bound.lock() {
                    bound.insert(file);
                }
            }
            // Without the kernel's socket diagnostics (unix_diag, a module
            // on many distributions) the socket cannot be recorded, so
            // connecting to it is refused like any socket outside: safe,
            // but the user must be able to see why.
            Err(e) => {
                if !self
                    .told_no_diag
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
                {
                    eprintln!(
                        "nono: warning: cannot record a socket the command bound ({e}: the kernel's unix_diag is missing; `modprobe unix_diag` adds it), so connecting to it is refused unless --allow-unix grants its path"
                    );
                }
            }
        }
        Ok(0)
    }

    fn sendto(&self, c: &Call<'_>, pending: &dyn Fn() -> bool) -> Answer {
        let sock = c.take(c.arg_fd(0))?;
        let flags = c.arg(3) as i32;
        self.refuse_fastopen(flags)?;
        let addr = c.read_addr(c.arg(4), c.arg(5))?;
        let len = usize::try_from(c.arg(2)).map_err(|_| libc::EINVAL)?;
        let (len, _short) = fit(&sock, len)?;
        let data = c.read(c.arg(1), len)?;
        let mut held = Vec::new();
        let to = self.destination(c, &sock, addr, &mut held)?;
        let msg = Message {
            data,
            control: Vec::new(),
            to: Some(to),
        };
        if !pending() {
            return Err(libc::ENOENT);
        }
        behalf::send(&sock, &msg, flags)
            .map(|n| n as i64)
            .map_err(|e| errno(&e))
    }

    /// TCP Fast Open connects inside a send, where Landlock's port rules
    /// never look: refused whenever port rules are in force.
    fn refuse_fastopen(&self, flags: i32) -> Result<(), i32> {
        if flags & libc::MSG_FASTOPEN != 0 && !self.ruleset.handled_net.is_empty() {
            return Err(libc::EPERM);
        }
        Ok(())
    }

    /// Reads one `struct msghdr` at `addr` and everything it points to.
    /// The descriptors of an `SCM_RIGHTS` message are taken from the caller
    /// (and kept alive in `held`) and renumbered to this process's.
    fn read_message(
        &self,
        c: &Call<'_>,
        sock: &OwnedFd,
        addr: u64,
        held: &mut Vec<OwnedFd>,
    ) -> Result<Message, i32> {
        let [name, namelen, iov, iovlen, control, controllen, _flags] = c.read_u64s::<7>(addr)?;
        let to = if name == 0 {
            None
        } else {
            let addr = c.read_addr(name, namelen & 0xffff_ffff)?;
            Some(self.destination(c, sock, addr, held)?)
        };
        let iovlen = usize::try_from(iovlen).map_err(|_| libc::EMSGSIZE)?;
        if iovlen > MAX_IOV {
            return Err(libc::EMSGSIZE);
        }
        let mut wanted = 0usize;
        let mut buffers = Vec::with_capacity(iovlen);
        for i in 0..iovlen {
            let [base, len] = c.read_u64s::<2>(iov + 16 * i as u64)?;
            let len = usize::try_from(len).map_err(|_| libc::EINVAL)?;
            wanted = wanted.checked_add(len).ok_or(libc::EINVAL)?;
            buffers.push((base, len));
        }
        let (budget, _short) = fit(sock, wanted)?;
        let mut data = Vec::with_capacity(budget);
        for (base, len) in buffers {
            let take = len.min(budget - data.len());
            if take == 0 {
                break;
            }
            data.extend_from_slice(&c.read(base, take)?);
        }
        let controllen = usize::try_from(controllen).map_err(|_| libc::ENOBUFS)?;
        if controllen > MAX_CONTROL {
            return Err(libc::ENOBUFS);
        }
        let mut control = if control == 0 || controllen == 0 {
            Vec::new()
        } else {
            c.read(control, controllen)?
        };
        self.translate_rights(c, &mut control, held)?;
        Ok(Message { data, control, to })
    }

    /// Renumbers the descriptors of `SCM_RIGHTS` messages in `control` to
    /// copies taken from the caller.
    fn translate_rights(
        &self,
        c: &Call<'_>,
        control: &mut [u8],
        held: &mut Vec<OwnedFd>,
    ) -> Result<(), i32> {
        const HDR: usize = 16;
        let mut at = 0usize;
        while at + HDR <= control.len() {
            let len = u64::from_ne_bytes(control[at..at + 8].try_into().map_err(|_| libc::EINVAL)?);
            let level = i32::from_ne_bytes(
                control[at + 8..at + 12]
                    .try_into()
                    .map_err(|_| libc::EINVAL)?,
            );
            let kind = i32::from_ne_bytes(
                control[at + 12..at + 16]
                    .try_into()
                    .map_err(|_| libc::EINVAL)?,
            );
            let len = usize::try_from(len).map_err(|_| libc::EINVAL)?;
            if len < HDR || at + len > control.len() {
                return Err(libc::EINVAL);
            }
            if level == libc::SOL_SOCKET && kind == libc::SCM_RIGHTS {
                for slot in (at + HDR..at + len).step_by(4) {
                    let Some(bytes) = control.get(slot..slot + 4) else {
                        break;
                    };
                    let theirs = i32::from_ne_bytes(bytes.try_into().map_err(|_| libc::EINVAL)?);
                    let ours = c.take(theirs)?;
                    control[slot..slot + 4].copy_from_slice(&ours.as_raw_fd().to_ne_bytes());
                    held.push(ours);
                }
            }
            at += (len + 7) & !7;
        }
        Ok(())
    }

    fn sendmsg(&self, c: &Call<'_>, addr: u64, flags: i32, pending: &dyn Fn() -> bool) -> Answer {
        self.refuse_fastopen(flags)?;
        let sock = c.take(c.arg_fd(0))?;
        let mut held = Vec::new();
        let msg = self.read_message(c, &sock, addr, &mut held)?;
        if !pending() {
            return Err(libc::ENOENT);
        }
        behalf::send(&sock, &msg, flags)
            .map(|n| n as i64)
            .map_err(|e| errno(&e))
    }

    /// `sendmmsg`: the first message is sent (a short count is allowed;
    /// callers send the rest again), and its length written back.
    fn sendmmsg(&self, c: &Call<'_>, pending: &dyn Fn() -> bool) -> Answer {
        let vec = c.arg(1);
        if c.arg(2) as u32 == 0 {
            return Ok(0);
        }
        let sent = self.sendmsg(c, vec, c.arg(3) as i32, pending)?;
        let len = u32::try_from(sent).unwrap_or(u32::MAX);
        // msg_len follows the 56-byte msghdr.
        nono_enforce::write_memory(c.n.pid, vec + 56, &len.to_ne_bytes())
            .map_err(|_| libc::EFAULT)?;
        Ok(1)
    }
}

/// A pidfd for the process thread `tid` belongs to: the thread itself when
/// it leads its process, else its thread-group leader (found in
/// `/proc/TID/status`), whose descriptor table the thread shares.
/// The socket's type (`SOCK_STREAM`, `SOCK_DGRAM`...), or -1.
fn sock_type(sock: &OwnedFd) -> i32 {
    let mut ty: libc::c_int = -1;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `ty` and `len` are valid for getsockopt to write.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&raw mut ty).cast(),
            &raw mut len,
        )
    };
    if rc == 0 { ty } else { -1 }
}

fn process_of(tid: u32) -> Option<OwnedFd> {
    match nono_enforce::pidfd_open(tid) {
        Ok(fd) => Some(fd),
        // A thread that does not lead its process: EINVAL on older
        // kernels, ENOENT on newer ones.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOENT)) => {
            nono_enforce::pidfd_open(nono_enforce::tgid_of(tid).ok()?).ok()
        }
        Err(_) => None,
    }
}

/// How much of a `len`-byte send the supervisor copies: all of it, or (a
/// stream socket) the first `MAX_SEND` bytes and a short count; any other
/// socket over the limit is `EMSGSIZE`.
fn fit(sock: &OwnedFd, len: usize) -> Result<(usize, bool), i32> {
    if len <= MAX_SEND {
        return Ok((len, false));
    }
    let mut kind: libc::c_int = 0;
    let mut size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `kind` and `size` are live and sized for SO_TYPE's int.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&raw mut kind).cast(),
            &raw mut size,
        )
    };
    if rc == 0 && kind == libc::SOCK_STREAM {
        Ok((MAX_SEND, true))
    } else {
        Err(libc::EMSGSIZE)
    }
}
