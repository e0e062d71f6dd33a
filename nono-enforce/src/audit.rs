//! Whether the kernel's audit log, where Landlock writes denials, is on.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The state of the kernel audit subsystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditState {
    /// The kernel has no audit support: denials cannot be logged.
    Unsupported,
    /// The state could not be read (typically: not root, as the query needs
    /// `CAP_AUDIT_CONTROL`).
    Unknown(String),
    /// Audit is built in but disabled: nothing is recorded.
    Disabled,
    /// Audit is enabled; `daemon_pid` is the audit daemon, if one is
    /// registered (without one, records go to the kernel log, `dmesg`).
    Enabled {
        /// The registered audit daemon's pid, if any.
        daemon_pid: Option<u32>,
    },
}

const NETLINK_AUDIT: libc::c_int = 9;
const AUDIT_GET: u16 = 1000;
const NLMSG_HDRLEN: usize = 16;

/// Asks the kernel for its audit status over netlink (`AUDIT_GET`).
pub fn audit_state() -> AuditState {
    match query() {
        Ok(state) => state,
        Err(e) if e.raw_os_error() == Some(libc::EPROTONOSUPPORT) => AuditState::Unsupported,
        Err(e) => AuditState::Unknown(e.to_string()),
    }
}

fn query() -> io::Result<AuditState> {
    // SAFETY: socket(2) with constant arguments; the result is checked.
    let raw = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            NETLINK_AUDIT,
        )
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh, valid descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let timeout = libc::timeval {
        tv_sec: 1,
        tv_usec: 0,
    };
    // SAFETY: the option value points at a live timeval of the size given.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            std::ptr::from_ref(&timeout).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut request = [0u8; NLMSG_HDRLEN];
    request[0..4].copy_from_slice(&(NLMSG_HDRLEN as u32).to_ne_bytes());
    request[4..6].copy_from_slice(&AUDIT_GET.to_ne_bytes());
    request[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    request[8..12].copy_from_slice(&1u32.to_ne_bytes());
    // SAFETY: the buffer is valid for its length.
    let sent = unsafe { libc::send(fd.as_raw_fd(), request.as_ptr().cast(), request.len(), 0) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut reply = [0u8; 512];
    // SAFETY: the buffer is valid and writable for its length.
    let got = unsafe { libc::recv(fd.as_raw_fd(), reply.as_mut_ptr().cast(), reply.len(), 0) };
    let got = usize::try_from(got).map_err(|_| io::Error::last_os_error())?;
    parse_reply(&reply[..got])
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Reads an `AUDIT_GET` reply: a netlink header, then `struct
/// audit_status { mask, enabled, failure, pid, ... }`, or an error message.
fn parse_reply(reply: &[u8]) -> io::Result<AuditState> {
    let short = || io::Error::new(io::ErrorKind::InvalidData, "short audit reply");
    let kind = reply
        .get(4..6)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_ne_bytes)
        .ok_or_else(short)?;
    if kind == libc::NLMSG_ERROR as u16 {
        let errno = u32_at(reply, NLMSG_HDRLEN).ok_or_else(short)? as i32;
        return Err(io::Error::from_raw_os_error(-errno));
    }
    let enabled = u32_at(reply, NLMSG_HDRLEN + 4).ok_or_else(short)?;
    let pid = u32_at(reply, NLMSG_HDRLEN + 12).ok_or_else(short)?;
    Ok(if enabled == 0 {
        AuditState::Disabled
    } else {
        AuditState::Enabled {
            daemon_pid: (pid != 0).then_some(pid),
        }
    })
}

/// Whether this kernel accepts seccomp filters.
pub fn seccomp_available() -> bool {
    // SAFETY: PR_GET_SECCOMP takes no pointers and only reads the mode.
    unsafe { libc::prctl(libc::PR_GET_SECCOMP) >= 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(kind: u16, payload: &[u32]) -> Vec<u8> {
        let mut v = vec![0u8; NLMSG_HDRLEN];
        v[4..6].copy_from_slice(&kind.to_ne_bytes());
        for word in payload {
            v.extend_from_slice(&word.to_ne_bytes());
        }
        v
    }

    #[test]
    fn parses_status_and_errors() {
        assert_eq!(
            parse_reply(&reply(AUDIT_GET, &[0, 0, 1, 0])).unwrap(),
            AuditState::Disabled
        );
        assert_eq!(
            parse_reply(&reply(AUDIT_GET, &[0, 1, 1, 42])).unwrap(),
            AuditState::Enabled {
                daemon_pid: Some(42)
            }
        );
        let eperm = (-libc::EPERM) as u32;
        let err = parse_reply(&reply(libc::NLMSG_ERROR as u16, &[eperm])).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        assert!(parse_reply(&[0u8; 3]).is_err());
    }
}
