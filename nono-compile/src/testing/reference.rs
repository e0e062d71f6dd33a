//! The reference model: DESIGN.md section 2 written out again, independent
//! of the passes, so that the compiler can be checked against it.
//!
//! Read = ReadFile, ReadDir, Execute; Write = WriteFile, RemoveFile,
//! RemoveDir, MakeDir, MakeReg, MakeSock, MakeFifo, MakeSym, Truncate
//! (ABI 3+), Refer (ABI 2+); Allow = Read ∪ Write ∪ IoctlDev (ABI 5+);
//! MakeChar and MakeBlock are never granted; ResolveUnix (ABI 9+) is granted
//! by no level, only by `--allow-unix` (its own rules); directory-only
//! rights do not come from a grant on a file. The filesystem part is one line per right
//! ([`ref_right`]), a match the compiler keeps complete. A grant on a directory applies to everything
//! beneath it. For the network and IPC (DESIGN.md sections 2 and 3): TCP
//! bind and connect are handled from ABI 4 when any `--net-*` is given, UDP
//! bind and connect/send from ABI 10, with one port rule per listed port
//! (plain ports TCP, `udp:` ports UDP, and port 0 bindable by UDP when any
//! UDP connect port is listed); the seccomp socket filter is UnixOnly for a
//! block and TcpUdpOnly for port rules at every ABI; the scopes asked for
//! are enforced from ABI 6; denial logging from ABI 7; every thread
//! restricted at once from ABI 8; `--allow-unix` paths as ResolveUnix rules
//! from ABI 9, and judged by the supervisor below it.
//! The syscall guard (DESIGN.md section 7.1) is on at every ABI; it refuses
//! TCP Fast Open exactly under port rules, and System V IPC follows
//! `--allow-sysv-ipc`.

use nono_model::{
    Abi, Access, AccessLevels, FileKind, FsRight, FsRights, NetPolicy, NetRights, Policy,
    PolicyGrant, PortRule, Requirement, ScopeSet, Scopes, SocketFilter, SyscallGuard, SysvIpc,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One line of DESIGN.md section 2's table of rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefRight {
    /// The first ABI that has the right.
    pub since: u8,
    /// The levels that grant it (on a directory).
    pub levels: &'static [Access],
    /// Whether it means something only on a directory, so that a grant on a
    /// file does not give it.
    pub directory_only: bool,
}

/// The reference's line for `right`: a match over every right, so that a
/// new one does not compile until the reference says what it is.
pub fn ref_right(right: FsRight) -> RefRight {
    use Access::{Allow, Read, Write};
    const READ: &[Access] = &[Read, Allow];
    const WRITE: &[Access] = &[Write, Allow];
    let (since, levels, directory_only) = match right {
        FsRight::Execute => (1, READ, false),
        FsRight::ReadFile => (1, READ, false),
        FsRight::ReadDir => (1, READ, true),
        FsRight::WriteFile => (1, WRITE, false),
        FsRight::RemoveDir => (1, WRITE, true),
        FsRight::RemoveFile => (1, WRITE, true),
        FsRight::MakeChar => (1, &[][..], true),
        FsRight::MakeDir => (1, WRITE, true),
        FsRight::MakeReg => (1, WRITE, true),
        FsRight::MakeSock => (1, WRITE, true),
        FsRight::MakeFifo => (1, WRITE, true),
        FsRight::MakeBlock => (1, &[][..], true),
        FsRight::MakeSym => (1, WRITE, true),
        FsRight::Refer => (2, WRITE, true),
        FsRight::Truncate => (3, WRITE, false),
        FsRight::IoctlDev => (5, &[Allow][..], false),
        FsRight::ResolveUnix => (9, &[][..], false),
    };
    RefRight {
        since,
        levels,
        directory_only,
    }
}

/// The rights for which `keep` holds.
fn rights_where(keep: impl Fn(FsRight, RefRight) -> bool) -> FsRights {
    FsRight::ALL
        .into_iter()
        .filter(|r| keep(*r, ref_right(*r)))
        .fold(FsRights::EMPTY, |acc, r| acc | r.into())
}

/// Rights that mean something only on a directory.
pub fn ref_directory_only() -> FsRights {
    rights_where(|_, line| line.directory_only)
}

/// Every right ABI `abi` knows (all of them handled).
pub fn ref_handled(abi: u8) -> FsRights {
    rights_where(|_, line| line.since <= abi)
}

/// The rights `access` stands for at `abi`, on a directory.
pub fn ref_level(access: Access, abi: u8) -> FsRights {
    rights_where(|_, line| line.since <= abi && line.levels.contains(&access))
}

/// The rights a grant of `access` on a path of `kind` gives at `abi`.
pub fn ref_grant(access: Access, kind: FileKind, abi: u8) -> FsRights {
    let rights = ref_level(access, abi);
    match kind {
        FileKind::Dir => rights,
        FileKind::File => rights.without(ref_directory_only()),
    }
}

/// The rights a set of levels gives on a path of `kind` at `abi`.
pub fn ref_levels(levels: AccessLevels, kind: FileKind, abi: u8) -> FsRights {
    levels
        .iter()
        .fold(FsRights::EMPTY, |acc, a| acc | ref_grant(a, kind, abi))
}

/// What `granted` (each grant with the tree node it resolves to, an index
/// into `real`) grants on `path` at `abi`: the union of the rights of every
/// grant on `path` or on a directory above it.
pub fn ref_rights_on(
    granted: &[(&PolicyGrant, usize)],
    real: &[(PathBuf, FileKind)],
    path: &Path,
    abi: u8,
) -> FsRights {
    granted
        .iter()
        .map(|(pg, t)| (pg.grant.access, &real[*t]))
        .filter(|(_, (gpath, gkind))| {
            gpath == path || (*gkind == FileKind::Dir && path.starts_with(gpath))
        })
        .fold(FsRights::EMPTY, |acc, (access, (_, gkind))| {
            acc | ref_grant(access, *gkind, abi)
        })
}

/// The union of the levels `granted` grants on exactly `path`.
pub fn ref_levels_at(
    granted: &[(&PolicyGrant, usize)],
    real: &[(PathBuf, FileKind)],
    path: &Path,
) -> AccessLevels {
    granted
        .iter()
        .filter(|(_, t)| real[*t].0 == path)
        .fold(AccessLevels::EMPTY, |acc, (pg, _)| {
            acc.union(pg.grant.access.into())
        })
}

/// The network rights Landlock handles at `abi`: both TCP rights from ABI 4
/// and both UDP rights from ABI 10 when any network restriction is asked
/// for, else none.
pub fn ref_handled_net(net: &NetPolicy, abi: u8) -> NetRights {
    let mut rights = NetRights::EMPTY;
    if *net != NetPolicy::Unrestricted {
        if abi >= 4 {
            rights |= NetRights::BIND_TCP | NetRights::CONNECT_TCP;
        }
        if abi >= 10 {
            rights |= NetRights::BIND_UDP | NetRights::CONNECT_SEND_UDP;
        }
    }
    rights
}

/// The port rules at `abi`, sorted by port: one per port listed anywhere,
/// with TCP connect and/or bind as listed from ABI 4, UDP connect/send
/// and/or bind as listed from ABI 10, and UDP bind on port 0 (the
/// ephemeral port the kernel binds on a first send) when any UDP connect
/// port is listed. None under a block (every port denied), none below
/// ABI 4.
pub fn ref_port_rules(net: &NetPolicy, abi: u8) -> Vec<PortRule> {
    let NetPolicy::Ports {
        connect,
        bind,
        udp_connect,
        udp_bind,
    } = net
    else {
        return Vec::new();
    };
    let udp = abi >= 10;
    let ephemeral: BTreeSet<u16> = if udp && !udp_connect.is_empty() {
        [0].into()
    } else {
        BTreeSet::new()
    };
    let all: BTreeSet<u16> = if abi < 4 {
        BTreeSet::new()
    } else if udp {
        connect
            .iter()
            .chain(bind)
            .chain(udp_connect)
            .chain(udp_bind)
            .chain(&ephemeral)
            .copied()
            .collect()
    } else {
        connect.union(bind).copied().collect()
    };
    all.into_iter()
        .map(|port| {
            let mut rights = NetRights::EMPTY;
            if connect.contains(&port) {
                rights |= NetRights::CONNECT_TCP;
            }
            if bind.contains(&port) {
                rights |= NetRights::BIND_TCP;
            }
            if udp && udp_connect.contains(&port) {
                rights |= NetRights::CONNECT_SEND_UDP;
            }
            if udp && (udp_bind.contains(&port) || ephemeral.contains(&port)) {
                rights |= NetRights::BIND_UDP;
            }
            PortRule { port, rights }
        })
        .collect()
}

/// Whether every thread is restricted at once: from ABI 8.
pub fn ref_all_threads(abi: u8) -> bool {
    abi >= 8
}

/// The paths granted ResolveUnix by their own rules at `abi`: the resolved
/// `--allow-unix` paths `unix` from ABI 9, none below (the supervisor
/// judges pathname sockets there).
pub fn ref_unix_rules(unix: &BTreeSet<PathBuf>, abi: u8) -> Vec<PathBuf> {
    if abi >= 9 {
        unix.iter().cloned().collect()
    } else {
        Vec::new()
    }
}

/// Whether ResolveUnix is granted on `path` at `abi` (from ABI 9): at or
/// below an `--allow-unix` path `unix` (a node of `real`), the whole tree
/// below it for a directory.
pub fn ref_unix_on(
    unix: &BTreeSet<PathBuf>,
    real: &[(PathBuf, FileKind)],
    path: &Path,
    abi: u8,
) -> bool {
    abi >= 9
        && real.iter().any(|(u, kind)| {
            unix.contains(u) && (u == path || (*kind == FileKind::Dir && path.starts_with(u)))
        })
}

/// Whether the supervisor judges pathname Unix sockets: below ABI 9.
pub fn ref_supervises_unix_sockets(abi: u8) -> bool {
    abi < 9
}

/// The seccomp socket filter, the same at every ABI.
pub fn ref_socket_filter(net: &NetPolicy) -> Option<SocketFilter> {
    match net {
        NetPolicy::Unrestricted => None,
        NetPolicy::Block => Some(SocketFilter::UnixOnly),
        NetPolicy::Ports { .. } => Some(SocketFilter::TcpUdpOnly),
    }
}

/// The syscall guard, the same at every ABI.
pub fn ref_syscall_guard(policy: &Policy) -> Option<SyscallGuard> {
    Some(SyscallGuard {
        refuse_fast_open: matches!(policy.net, NetPolicy::Ports { .. }),
        sysv_ipc: if policy.allow_sysv_ipc {
            SysvIpc::PrivateOrShared
        } else {
            SysvIpc::PrivateOrRefused
        },
    })
}

/// The scopes Landlock enforces at `abi`: those asked for, from ABI 6.
pub fn ref_scoped(scopes: Scopes, abi: u8) -> ScopeSet {
    let mut set = ScopeSet::EMPTY;
    if abi >= 6 && scopes.signals {
        set |= ScopeSet::SIGNAL;
    }
    if abi >= 6 && scopes.abstract_unix {
        set |= ScopeSet::ABSTRACT_UNIX_SOCKET;
    }
    set
}

/// The gaps at `abi`, in pipeline order: `truncate` below 3; `net_tcp`
/// below 4 for port rules (a block is still enforced, by seccomp);
/// `ioctl_dev` below 5; `scope` below 6 when a scope is asked for;
/// `net_udp` below 10 for port rules (a block is still enforced, by
/// seccomp).
pub fn ref_gaps(policy: &Policy, abi: u8) -> Vec<(&'static str, Requirement)> {
    let ports = matches!(policy.net, NetPolicy::Ports { .. });
    let mut want = Vec::new();
    let needs = |n| Requirement::Landlock(Abi(n));
    if abi < 3 {
        want.push(("truncate", needs(3)));
    }
    if abi < 4 && ports {
        want.push(("net_tcp", needs(4)));
    }
    if abi < 5 {
        want.push(("ioctl_dev", needs(5)));
    }
    if abi < 6 && policy.scopes.any() {
        want.push(("scope", needs(6)));
    }
    if abi < 10 && ports {
        want.push(("net_udp", needs(10)));
    }
    want
}
