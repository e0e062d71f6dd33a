//! The seccomp filter, built with `seccompiler`: the parts of a ruleset
//! that Landlock cannot enforce.
//!
//! The filter allows every system call except the ones it names, which fail
//! with `EACCES`:
//!
//! - with a [`SocketFilter`]: `socket` and `socketpair` outside what it
//!   allows, and `io_uring_setup` always (io_uring can open sockets without
//!   `socket`);
//! - with the syscall guard: `ioctl` with `TIOCSTI` or `TIOCLINUX` (typing
//!   into the terminal the command inherited, which Landlock does not check:
//!   the terminal was opened before the sandbox), and `chmod`, `fchmod`,
//!   `fchmodat` and `fchmodat2` setting the setuid or setgid bit (Landlock
//!   has no right for file modes);
//! - on x86_64, the x32 numbers of those calls (x32 shares the x86_64 audit
//!   architecture, so the architecture check alone would not catch them).
//!
//! A system call of another architecture (32-bit `int 0x80`) kills the
//! process: `seccompiler` checks the architecture first. Arguments are
//! compared on their low 32 bits, as the kernel reads them (an `ioctl`
//! request with junk in its high bits is still caught).

use nono_model::{Ruleset, SocketFilter};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// Why the filter could not be built or installed.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// `seccompiler` refused a rule or the filter (a bad argument index, a
    /// program past the BPF length limit).
    #[error("seccomp filter: {0}")]
    Build(#[from] seccompiler::BackendError),
    /// The kernel refused to install the filter.
    #[error("seccomp filter: {0}")]
    Install(#[from] seccompiler::Error),
}

const DENIED: SeccompAction = SeccompAction::Errno(libc::EACCES as u32);

/// The socket type without `SOCK_NONBLOCK` and `SOCK_CLOEXEC`.
const SOCK_TYPE_MASK: u64 = 0xf;

fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, FilterError> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value).map_err(FilterError::Build)
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, FilterError> {
    SeccompRule::new(conditions).map_err(FilterError::Build)
}

fn family(f: libc::c_int) -> u64 {
    u64::try_from(f).unwrap_or(u64::MAX)
}

/// The rules (each a conjunction) under which `socket` is refused.
fn socket_denials(filter: SocketFilter) -> Result<Vec<SeccompRule>, FilterError> {
    use SeccompCmpOp::{Eq, MaskedEq, Ne};
    let unix = family(libc::AF_UNIX);
    match filter {
        // No rule: refused unconditionally.
        SocketFilter::NoSockets => Ok(Vec::new()),
        SocketFilter::UnixOnly => Ok(vec![rule(vec![cond(0, Ne, unix)?])?]),
        SocketFilter::TcpUdpOnly => {
            let inet = [family(libc::AF_INET), family(libc::AF_INET6)];
            let netlink = family(libc::AF_NETLINK);
            let mut rules = vec![
                // Any family but these four.
                rule(vec![
                    cond(0, Ne, unix)?,
                    cond(0, Ne, inet[0])?,
                    cond(0, Ne, inet[1])?,
                    cond(0, Ne, netlink)?,
                ])?,
                // Netlink other than NETLINK_ROUTE (addresses, for getaddrinfo).
                rule(vec![
                    cond(0, Eq, netlink)?,
                    cond(2, Ne, libc::NETLINK_ROUTE as u64)?,
                ])?,
            ];
            for fam in inet {
                // Protocols other than the default, TCP and UDP (MPTCP,
                // SCTP, UDP-Lite, ICMP, raw protocols).
                rules.push(rule(vec![
                    cond(0, Eq, fam)?,
                    cond(2, Ne, 0)?,
                    cond(2, Ne, libc::IPPROTO_TCP as u64)?,
                    cond(2, Ne, libc::IPPROTO_UDP as u64)?,
                ])?);
                // Socket types other than stream and datagram (raw,
                // seqpacket, rdm, dccp, packet).
                for ty in 3..=SOCK_TYPE_MASK {
                    rules.push(rule(vec![
                        cond(0, Eq, fam)?,
                        cond(1, MaskedEq(SOCK_TYPE_MASK), ty)?,
                    ])?);
                }
            }
            Ok(rules)
        }
    }
}

#[cfg(target_arch = "x86_64")]
const ARCH: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: TargetArch = TargetArch::aarch64;
#[cfg(target_arch = "riscv64")]
const ARCH: TargetArch = TargetArch::riscv64;

/// The x32 variant of an x86_64 system call number.
#[cfg(target_arch = "x86_64")]
fn foreign_variants(nr: libc::c_long) -> Vec<i64> {
    const X32_SYSCALL_BIT: i64 = 0x4000_0000;
    vec![nr | X32_SYSCALL_BIT]
}

#[cfg(not(target_arch = "x86_64"))]
fn foreign_variants(_nr: libc::c_long) -> Vec<i64> {
    Vec::new()
}

/// The guard's rules: which calls, and under which conditions (each a
/// conjunction), are refused.
fn guard_denials() -> Result<Vec<(libc::c_long, Vec<SeccompRule>)>, FilterError> {
    use SeccompCmpOp::{Eq, MaskedEq};
    let ioctl = vec![
        rule(vec![cond(1, Eq, libc::TIOCSTI)?])?,
        rule(vec![cond(1, Eq, libc::TIOCLINUX)?])?,
    ];
    let set_id_bits = |mode_arg: u8| -> Result<Vec<SeccompRule>, FilterError> {
        Ok(vec![
            rule(vec![cond(mode_arg, MaskedEq(0o4000), 0o4000)?])?,
            rule(vec![cond(mode_arg, MaskedEq(0o2000), 0o2000)?])?,
        ])
    };
    // fchmodat2 (Linux 6.6) is not in every libc yet.
    const SYS_FCHMODAT2: libc::c_long = 452;
    let mut out = vec![
        (libc::SYS_ioctl, ioctl.clone()),
        (libc::SYS_chmod, set_id_bits(1)?),
        (libc::SYS_fchmod, set_id_bits(1)?),
        (libc::SYS_fchmodat, set_id_bits(2)?),
        (SYS_FCHMODAT2, set_id_bits(2)?),
    ];
    // The x32 ioctl has its own number.
    #[cfg(target_arch = "x86_64")]
    out.push((514, ioctl));
    Ok(out)
}

/// Compiles the seccomp part of `ruleset` to BPF, or `None` when it asks
/// for no filter.
pub fn compile(ruleset: &Ruleset) -> Result<Option<BpfProgram>, FilterError> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    if let Some(filter) = ruleset.socket_filter {
        let socket_rules = socket_denials(filter)?;
        for nr in [libc::SYS_socket, libc::SYS_socketpair] {
            rules.insert(nr, socket_rules.clone());
            for foreign in foreign_variants(nr) {
                rules.insert(foreign, Vec::new());
            }
        }
        rules.insert(libc::SYS_io_uring_setup, Vec::new());
        for foreign in foreign_variants(libc::SYS_io_uring_setup) {
            rules.insert(foreign, Vec::new());
        }
    }
    if ruleset.syscall_guard {
        for (nr, conditions) in guard_denials()? {
            for foreign in foreign_variants(nr) {
                rules.insert(foreign, conditions.clone());
            }
            rules.insert(nr, conditions);
        }
    }
    if rules.is_empty() {
        return Ok(None);
    }
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, DENIED, ARCH)?;
    Ok(Some(BpfProgram::try_from(filter)?))
}

/// Installs a compiled filter on the calling thread. `no_new_privs` must be
/// set (or the caller privileged).
pub fn install_compiled(program: &BpfProgram) -> Result<(), FilterError> {
    seccompiler::apply_filter(program).map_err(FilterError::Install)
}
