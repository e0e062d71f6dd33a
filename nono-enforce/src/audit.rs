//! Whether the kernel's audit log, where Landlock writes denials, is on.

use rustix::io::Errno;
use rustix::net::{self, AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};
use std::time::Duration;

/// The state of the kernel audit subsystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditState {
    /// The kernel has no audit support: denials cannot be logged.
    Unsupported,
    /// The state could not be read (typically: not root, as the query needs
    /// `CAP_AUDIT_CONTROL`).
    Unknown(AuditError),
    /// Audit is built in but disabled: nothing is recorded.
    Disabled,
    /// Audit is enabled; `daemon_pid` is the audit daemon, if one is
    /// registered (without one, records go to the kernel log, `dmesg`).
    Enabled {
        /// The registered audit daemon's pid, if any.
        daemon_pid: Option<u32>,
    },
}

/// Why the audit status could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The kernel refused a step of the query, or answered with an error.
    #[error(transparent)]
    Kernel(#[from] Errno),
    /// The reply was too short to be an audit status.
    #[error("short audit reply")]
    ShortReply,
}

const AUDIT_GET: u16 = 1000;
const NLMSG_HDRLEN: usize = 16;

/// Asks the kernel for its audit status over netlink (`AUDIT_GET`).
pub fn audit_state() -> AuditState {
    match query() {
        Ok(state) => state,
        Err(AuditError::Kernel(Errno::PROTONOSUPPORT)) => AuditState::Unsupported,
        Err(e) => AuditState::Unknown(e),
    }
}

fn query() -> Result<AuditState, AuditError> {
    let fd = net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC,
        Some(net::netlink::AUDIT),
    )?;
    net::sockopt::set_socket_timeout(
        &fd,
        net::sockopt::Timeout::Recv,
        Some(Duration::from_secs(1)),
    )?;
    let mut request = [0u8; NLMSG_HDRLEN];
    request[0..4].copy_from_slice(&(NLMSG_HDRLEN as u32).to_ne_bytes());
    request[4..6].copy_from_slice(&AUDIT_GET.to_ne_bytes());
    request[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    request[8..12].copy_from_slice(&1u32.to_ne_bytes());
    net::send(&fd, &request, SendFlags::empty())?;
    let mut reply = [0u8; 512];
    let (got, _) = net::recv(&fd, &mut reply[..], RecvFlags::empty())?;
    parse_reply(&reply[..got])
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Reads an `AUDIT_GET` reply: a netlink header, then `struct
/// audit_status { mask, enabled, failure, pid, ... }`, or an error message.
fn parse_reply(reply: &[u8]) -> Result<AuditState, AuditError> {
    let kind = reply
        .get(4..6)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_ne_bytes)
        .ok_or(AuditError::ShortReply)?;
    if kind == libc::NLMSG_ERROR as u16 {
        let errno = u32_at(reply, NLMSG_HDRLEN).ok_or(AuditError::ShortReply)? as i32;
        return Err(Errno::from_raw_os_error(-errno).into());
    }
    let enabled = u32_at(reply, NLMSG_HDRLEN + 4).ok_or(AuditError::ShortReply)?;
    let pid = u32_at(reply, NLMSG_HDRLEN + 12).ok_or(AuditError::ShortReply)?;
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
    rustix::thread::secure_computing_mode().is_ok()
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
        assert_eq!(err, AuditError::Kernel(Errno::PERM));
        // The text `nono check` shows is the kernel's, as before.
        assert_eq!(
            err.to_string(),
            std::io::Error::from_raw_os_error(libc::EPERM).to_string()
        );
        assert_eq!(parse_reply(&[0u8; 3]), Err(AuditError::ShortReply));
        assert_eq!(AuditError::ShortReply.to_string(), "short audit reply");
    }
}
