//! Operations the supervisor performs on the command's behalf, on files it
//! has already resolved and pinned ([`crate::TargetView`]) and on
//! descriptors it took from the command ([`crate::take_fd`]).
//!
//! Each works on the pinned file itself (through its descriptor, or its
//! `/proc/self/fd/N` name), never on a path the command could change.

use crate::target_path::proc_fd_path;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

fn cvt(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn cvt_size(rc: isize) -> io::Result<usize> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

/// Sets the mode of the pinned file.
pub fn chmod(pinned: &OwnedFd, mode: u32) -> io::Result<()> {
    let path = proc_fd_path(pinned);
    // SAFETY: a NUL-terminated path.
    cvt(unsafe { libc::chmod(path.as_ptr(), mode as libc::mode_t) })
}

/// Sets the mode of an open file (a descriptor taken from the command).
pub fn fchmod(fd: &OwnedFd, mode: u32) -> io::Result<()> {
    // SAFETY: plain system call on a live descriptor.
    cvt(unsafe { libc::fchmod(fd.as_raw_fd(), mode as libc::mode_t) })
}

/// Changes the owner of the pinned file (or of the link itself, when it was
/// pinned without following). `u32::MAX` leaves an id unchanged.
pub fn chown(pinned: &OwnedFd, uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: the empty name with AT_EMPTY_PATH names `pinned` itself.
    cvt(unsafe {
        libc::fchownat(
            pinned.as_raw_fd(),
            c"".as_ptr(),
            uid,
            gid,
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
        )
    })
}

/// Sets the access and modification times of the pinned file (`None`: now).
/// A pinned symbolic link's own times cannot be set this way (`EPERM`).
pub fn utimens(pinned: &OwnedFd, times: Option<[libc::timespec; 2]>) -> io::Result<()> {
    let path = proc_fd_path(pinned);
    let ptr = times.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
    // SAFETY: a NUL-terminated path; `ptr` is null or two timespecs.
    cvt(unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), ptr, 0) })
}

/// Sets the times of an open file (a descriptor taken from the command).
pub fn futimens(fd: &OwnedFd, times: Option<[libc::timespec; 2]>) -> io::Result<()> {
    let ptr = times.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
    // SAFETY: `ptr` is null or two timespecs; `fd` is live.
    cvt(unsafe { libc::futimens(fd.as_raw_fd(), ptr) })
}

/// Sets or removes (`value: None`) an extended attribute of the pinned
/// file.
pub fn set_xattr(
    pinned: &OwnedFd,
    name: &CString,
    value: Option<&[u8]>,
    flags: i32,
) -> io::Result<()> {
    let path = proc_fd_path(pinned);
    match value {
        // SAFETY: NUL-terminated path and name; `v` is readable for its
        // length.
        Some(v) => cvt(unsafe {
            libc::setxattr(
                path.as_ptr(),
                name.as_ptr(),
                v.as_ptr().cast(),
                v.len(),
                flags,
            )
        }),
        // SAFETY: NUL-terminated path and name.
        None => cvt(unsafe { libc::removexattr(path.as_ptr(), name.as_ptr()) }),
    }
}

/// Sets or removes an extended attribute of an open file (a descriptor
/// taken from the command).
pub fn fset_xattr(
    fd: &OwnedFd,
    name: &CString,
    value: Option<&[u8]>,
    flags: i32,
) -> io::Result<()> {
    match value {
        // SAFETY: NUL-terminated name; `v` is readable for its length.
        Some(v) => cvt(unsafe {
            libc::fsetxattr(
                fd.as_raw_fd(),
                name.as_ptr(),
                v.as_ptr().cast(),
                v.len(),
                flags,
            )
        }),
        // SAFETY: NUL-terminated name; `fd` is live.
        None => cvt(unsafe { libc::fremovexattr(fd.as_raw_fd(), name.as_ptr()) }),
    }
}

/// Adds an inotify watch for the pinned file on the command's inotify
/// descriptor; returns the watch descriptor.
pub fn inotify_add_watch(inotify: &OwnedFd, pinned: &OwnedFd, mask: u32) -> io::Result<i64> {
    let path = proc_fd_path(pinned);
    // The link is already resolved: follow the /proc name to the file.
    let mask = mask & !libc::IN_DONT_FOLLOW;
    // SAFETY: a NUL-terminated path; `inotify` is live.
    let wd = unsafe { libc::inotify_add_watch(inotify.as_raw_fd(), path.as_ptr(), mask) };
    if wd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(i64::from(wd))
}

/// A socket address as raw bytes (a copied `struct sockaddr_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SockAddr(pub Vec<u8>);

impl SockAddr {
    /// The address family, if the address is long enough to have one.
    pub fn family(&self) -> Option<u16> {
        Some(u16::from_ne_bytes(self.0.get(..2)?.try_into().ok()?))
    }

    /// The path of a pathname Unix socket address (not abstract, not
    /// unnamed), up to its first NUL.
    pub fn unix_path(&self) -> Option<&[u8]> {
        if self.family()? != libc::AF_UNIX as u16 {
            return None;
        }
        let path = self.0.get(2..)?;
        if path.first().is_none_or(|&b| b == 0) {
            return None;
        }
        Some(path.split(|&b| b == 0).next().unwrap_or(path))
    }

    /// The IP address and port of an `AF_INET` or `AF_INET6` address (the
    /// copy: what is judged is what is used).
    pub fn inet(&self) -> Option<std::net::SocketAddr> {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
        let family = i32::from(self.family()?);
        let port = u16::from_be_bytes(self.0.get(2..4)?.try_into().ok()?);
        let ip = if family == libc::AF_INET {
            let octets: [u8; 4] = self.0.get(4..8)?.try_into().ok()?;
            IpAddr::V4(Ipv4Addr::from(octets))
        } else if family == libc::AF_INET6 {
            let octets: [u8; 16] = self.0.get(8..24)?.try_into().ok()?;
            IpAddr::V6(Ipv6Addr::from(octets))
        } else {
            return None;
        };
        Some(SocketAddr::new(ip, port))
    }

    /// The pathname Unix address of the pinned socket file.
    pub fn unix_for(pinned: &OwnedFd) -> SockAddr {
        let path = proc_fd_path(pinned);
        let mut bytes = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        bytes.extend_from_slice(path.as_bytes_with_nul());
        SockAddr(bytes)
    }

    fn raw(&self) -> (*const libc::sockaddr, libc::socklen_t) {
        if self.0.is_empty() {
            return (std::ptr::null(), 0);
        }
        (self.0.as_ptr().cast(), self.0.len() as libc::socklen_t)
    }
}

/// Connects a socket taken from the command.
pub fn connect(sock: &OwnedFd, addr: &SockAddr) -> io::Result<()> {
    let (ptr, len) = addr.raw();
    // SAFETY: `ptr` is readable for `len` bytes (or null with 0).
    cvt(unsafe { libc::connect(sock.as_raw_fd(), ptr, len) })
}

/// Binds a socket taken from the command.
pub fn bind(sock: &OwnedFd, addr: &SockAddr) -> io::Result<()> {
    let (ptr, len) = addr.raw();
    // SAFETY: `ptr` is readable for `len` bytes (or null with 0).
    cvt(unsafe { libc::bind(sock.as_raw_fd(), ptr, len) })
}

/// Binds a Unix socket taken from the command to `name` in the pinned
/// directory `dir`.
pub fn bind_unix_at(sock: &OwnedFd, dir: &OwnedFd, name: &[u8]) -> io::Result<()> {
    let mut path = proc_fd_path(dir).into_bytes();
    path.push(b'/');
    path.extend_from_slice(name);
    // sun_path holds 108 bytes with the NUL.
    if path.len() >= 108 {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    let mut bytes = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
    bytes.extend_from_slice(&path);
    bytes.push(0);
    bind(sock, &SockAddr(bytes))
}

/// One message to send: its data, its ancillary data (already translated
/// to this process's descriptors) and its destination.
#[derive(Debug, Default)]
pub struct Message {
    /// The data, gathered from the command's buffers.
    pub data: Vec<u8>,
    /// The ancillary data (`cmsg` headers and payloads), or empty.
    pub control: Vec<u8>,
    /// The destination, or `None` for the connected peer.
    pub to: Option<SockAddr>,
}

/// Sends `msg` on a socket taken from the command; returns the bytes sent.
pub fn send(sock: &OwnedFd, msg: &Message, flags: i32) -> io::Result<usize> {
    let mut iov = libc::iovec {
        iov_base: msg.data.as_ptr().cast_mut().cast(),
        iov_len: msg.data.len(),
    };
    // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths).
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_iov = &raw mut iov;
    hdr.msg_iovlen = 1;
    if let Some(to) = &msg.to {
        let (ptr, len) = to.raw();
        hdr.msg_name = ptr.cast_mut().cast();
        hdr.msg_namelen = len;
    }
    if !msg.control.is_empty() {
        hdr.msg_control = msg.control.as_ptr().cast_mut().cast();
        hdr.msg_controllen = msg.control.len();
    }
    // SAFETY: every pointer in `hdr` refers to live buffers of `msg` and
    // `iov`, which outlive the call; the kernel only reads them.
    cvt_size(unsafe { libc::sendmsg(sock.as_raw_fd(), &raw const hdr, flags) })
}

/// The device and inode of the file a bound pathname Unix socket created,
/// asked of the kernel's socket diagnostics by the socket's own inode (not
/// by a name the command could swap). The inode is the low 32 bits, as the
/// kernel reports it.
pub fn unix_socket_file(sock: &OwnedFd) -> io::Result<(u64, u32)> {
    let st = crate::target_path::stat_fd(sock)?;
    let sock_ino =
        u32::try_from(st.st_ino).map_err(|_| io::Error::from_raw_os_error(libc::EOVERFLOW))?;
    // SAFETY: plain system call.
    let nl = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        )
    };
    if nl < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor.
    let nl = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(nl) };
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const UDIAG_SHOW_VFS: u32 = 0x2;
    const UNIX_DIAG_VFS: u16 = 1;
    let mut req = Vec::with_capacity(40);
    req.extend_from_slice(&40u32.to_ne_bytes()); // nlmsg_len
    req.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req.extend_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    req.extend_from_slice(&1u32.to_ne_bytes()); // seq
    req.extend_from_slice(&0u32.to_ne_bytes()); // pid
    req.push(libc::AF_UNIX as u8);
    req.push(0); // protocol
    req.extend_from_slice(&0u16.to_ne_bytes()); // pad
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // states
    req.extend_from_slice(&sock_ino.to_ne_bytes());
    req.extend_from_slice(&UDIAG_SHOW_VFS.to_ne_bytes());
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // no cookie
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    // SAFETY: `req` is readable for its length.
    let sent = unsafe { libc::send(nl.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) };
    cvt_size(sent)?;
    let mut buf = [0u8; 512];
    // SAFETY: `buf` is writable for its length.
    let n = cvt_size(unsafe { libc::recv(nl.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) })?;
    let buf = &buf[..n];
    let u16_at = |at: usize| {
        buf.get(at..at + 2)
            .and_then(|b| b.try_into().ok())
            .map(u16::from_ne_bytes)
    };
    let u32_at = |at: usize| {
        buf.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_ne_bytes)
    };
    let bad = || io::Error::from_raw_os_error(libc::EPROTO);
    if u16_at(4).ok_or_else(bad)? == libc::NLMSG_ERROR as u16 {
        let errno = u32_at(16).ok_or_else(bad)? as i32;
        return Err(io::Error::from_raw_os_error(errno.abs()));
    }
    // nlmsghdr (16) + unix_diag_msg (16), then attributes.
    let end = (u32_at(0).ok_or_else(bad)? as usize).min(buf.len());
    let mut at = 32;
    while at + 4 <= end {
        let len = usize::from(u16_at(at).ok_or_else(bad)?);
        let kind = u16_at(at + 2).ok_or_else(bad)?;
        if len < 4 {
            break;
        }
        if kind == UNIX_DIAG_VFS {
            let ino = u32_at(at + 4).ok_or_else(bad)?;
            let kdev = u32_at(at + 8).ok_or_else(bad)?;
            // The kernel's internal dev_t: major in the top 12 bits.
            let dev = libc::makedev(kdev >> 20, kdev & 0xf_ffff);
            return Ok((dev, ino));
        }
        at += (len + 3) & !3;
    }
    // Not bound to a path.
    Err(io::Error::from_raw_os_error(libc::ENOENT))
}
