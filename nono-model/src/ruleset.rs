//! The concrete ruleset: what `nono-compile` produces and `nono-enforce`
//! applies.

use crate::{
    Abi, AccessLevels, FsRights, GrantSource, HostName, HostPattern, NetRights, ScopeSet,
    SyscallGuard,
};
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;

/// Whether a path is a directory (a rule covers everything beneath it) or
/// anything else (the rule covers that one file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A directory.
    Dir,
    /// A regular file, device, socket or pipe.
    File,
}

/// One rule of the ruleset: `rights` on `path` and, for a directory,
/// everything beneath it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathRule {
    /// The canonical path (no symlinks, absolute).
    #[serde(serialize_with = "crate::serialize_path")]
    pub path: PathBuf,
    /// Directory or file.
    pub kind: FileKind,
    /// Device number recorded when the path was resolved.
    pub dev: u64,
    /// Inode number recorded when the path was resolved.
    pub ino: u64,
    /// The abstract levels the rule came from.
    pub levels: AccessLevels,
    /// The concrete rights granted.
    pub rights: FsRights,
    /// The grants' sources, for output and diagnostics.
    pub sources: Vec<GrantSource>,
    /// A directory carved around a sensitive path: it may only be listed,
    /// since every right on it would reach into the sensitive path too.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub carved: bool,
    /// An entry found by listing a carved directory, granted as the
    /// directory was. If it is gone (or is another file) by the time the
    /// sandbox is applied, its rule is skipped: a file in a busy directory
    /// that disappears is no reason to refuse the run, and a skipped rule
    /// only takes access away.
    #[serde(skip)]
    pub listed: bool,
}

/// The concrete ruleset for one Landlock ABI.
///
/// Every right in `handled_fs` that no rule grants on a path is denied there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ruleset {
    /// The ABI this ruleset was lowered for.
    pub abi: Abi,
    /// The filesystem rights the kernel is asked to handle.
    pub handled_fs: FsRights,
    /// The path rules, sorted by path.
    pub rules: Vec<PathRule>,
    /// The network rights the kernel is asked to handle (TCP from ABI 4,
    /// UDP from ABI 10).
    pub handled_net: NetRights,
    /// The port rules, sorted by port, one per port.
    pub port_rules: Vec<PortRule>,
    /// The IPC scopes (ABI 6).
    pub scoped: ScopeSet,
    /// Log denials after the command is executed (ABI 7).
    pub log_new_exec: bool,
    /// Restrict every thread of the process at once
    /// (`LANDLOCK_RESTRICT_SELF_TSYNC`, ABI 8).
    pub all_threads: bool,
    /// The seccomp socket filter, where Landlock alone cannot enforce the
    /// network policy.
    pub socket_filter: Option<SocketFilter>,
    /// The seccomp syscall guard, for the channels Landlock does not
    /// govern and that need no path decision: the terminal, setuid/setgid
    /// bits, other processes' limits and priorities, keyrings, System V
    /// IPC, TCP Fast Open and the rest of [`SyscallGuard::REFUSED`]. `None`
    /// installs none.
    pub syscall_guard: Option<SyscallGuard>,
    /// What the supervisor judges on the command's behalf, because no
    /// Landlock right of this ABI covers it.
    pub supervision: Supervision,
    /// Where the command may connect or send to pathname Unix sockets
    /// (`--allow-unix`): canonical paths, each covering everything below
    /// it, sorted. The supervisor judges by them below ABI 9.
    pub unix_sockets: Vec<PathBuf>,
    /// The same places as Landlock rules granting ResolveUnix (ABI 9; empty
    /// below), sorted by path, one per path. They are kept apart from
    /// `rules`, which come from access levels: no level grants ResolveUnix.
    pub unix_rules: Vec<UnixRule>,
    /// nono's proxy (`--net-allow`), when the command reaches hosts by
    /// name through it.
    pub proxy: Option<ProxyRules>,
    /// Paths inside writable grants that the command must not change,
    /// because programs run later outside the sandbox trust them (a
    /// repository's hooks and config, shell startup files, toolchain `bin`
    /// directories): made read-only (or pinned) by binds in a private mount
    /// namespace before Landlock is applied. Sorted by path, so a directory
    /// comes before what is inside it. Empty without user namespaces (a
    /// gap).
    pub protected: Vec<ProtectedPath>,
    /// Directories the command writes through a private copy-on-write
    /// layer (overlayfs in the same mount namespace), so that the host's
    /// copy, which unsandboxed tools trust, never changes. Each has a path
    /// rule of its own, opened after the overlay is mounted. Sorted by
    /// path. Empty without user namespaces (a gap).
    pub layers: Vec<PrivateLayer>,
}

/// What nono's proxy admits, and how the command may reach the network
/// around it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProxyRules {
    /// The proxy's port on 127.0.0.1, or 0 before it is chosen (a dry
    /// run, `nono why`).
    pub port: u16,
    /// The allowed hosts, sorted, one per pattern.
    pub hosts: Vec<HostPattern>,
    /// The TCP ports the command may also connect to directly, at any
    /// address (`--net-connect`).
    pub direct_ports: BTreeSet<u16>,
    /// The UDP ports the command may send to directly (`--net-connect
    /// udp:PORT`).
    pub direct_udp_ports: BTreeSet<u16>,
}

impl ProxyRules {
    /// The ports the proxy connects to for the command (every allowed
    /// host's), which the supervisor's own Landlock domain must allow.
    pub fn upstream_ports(&self) -> BTreeSet<u16> {
        self.hosts.iter().flat_map(HostPattern::ports).collect()
    }

    /// Whether the command itself may connect (or send) to `to`: nono's
    /// proxy on 127.0.0.1 (an IPv4-mapped IPv6 address too), or a
    /// `--net-connect` port on any address.
    pub fn command_may_reach(&self, to: std::net::SocketAddr, datagram: bool) -> bool {
        if datagram {
            return self.direct_udp_ports.contains(&to.port());
        }
        let loopback_v4 = match to.ip() {
            IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
            IpAddr::V6(v6) => v6.to_ipv4_mapped() == Some(std::net::Ipv4Addr::LOCALHOST),
        };
        (self.port != 0 && to.port() == self.port && loopback_v4)
            || self.direct_ports.contains(&to.port())
    }

    /// The first pattern that admits `host` on `port`, if any.
    pub fn admits(&self, host: &HostName, port: u16) -> Option<&HostPattern> {
        self.hosts.iter().find(|p| p.matches_host(host, port))
    }

    /// Whether a name's resolved address `ip` may be reached on `port`:
    /// a public address, or one that an allowed pattern names (by
    /// address, or `localhost` for the loopback).
    pub fn admits_address(&self, ip: IpAddr, port: u16) -> bool {
        !crate::is_internal_address(ip)
            || self
                .hosts
                .iter()
                .any(|p| p.ports().contains(&port) && p.permits_address(ip))
    }
}

/// A sandbox-private copy-on-write layer over a directory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PrivateLayer {
    /// The directory (canonical), the overlay's lower layer and where the
    /// overlay is mounted.
    #[serde(serialize_with = "crate::serialize_path")]
    pub path: PathBuf,
    /// Device number recorded when the path was resolved.
    pub dev: u64,
    /// Inode number recorded when the path was resolved.
    pub ino: u64,
    /// The overlay's upper directory (what the runs wrote), in nono's
    /// cache.
    #[serde(serialize_with = "crate::serialize_path")]
    pub upper: PathBuf,
    /// The overlay's work directory, beside `upper`.
    #[serde(serialize_with = "crate::serialize_path")]
    pub work: PathBuf,
}

/// A path the mount layer protects (DESIGN.md section 7.3).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ProtectedPath {
    /// The canonical path (no symlinks, absolute).
    #[serde(serialize_with = "crate::serialize_path")]
    pub path: PathBuf,
    /// Directory or file.
    pub kind: FileKind,
    /// Device number recorded when the path was resolved (0 when `absent`).
    pub dev: u64,
    /// Inode number recorded when the path was resolved (0 when `absent`).
    pub ino: u64,
    /// How it is protected.
    pub how: Protection,
    /// The path does not exist yet: it is made first, so that nothing can
    /// be created in its place: an empty directory (a repository's
    /// `hooks`), or a file holding `seed` (a repository's `commondir`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub absent: bool,
    /// What a file made for an `absent` path holds.
    #[serde(skip)]
    pub seed: &'static str,
    /// Why it is protected, in words (`git hooks`, `shell startup file`).
    pub why: &'static str,
}

/// What the mount layer does to a protected path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    /// Bound onto itself: a mount point, which cannot be renamed or
    /// removed, but stays writable inside (a repository's `.git`).
    Pinned,
    /// Bound onto itself read-only: nothing in it can be written, created,
    /// renamed or removed, and it cannot be replaced.
    ReadOnly,
}

/// A Landlock rule granting ResolveUnix (connect or send to pathname Unix
/// sockets) on `path` and, for a directory, everything beneath it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnixRule {
    /// The canonical path (no symlinks, absolute).
    pub path: PathBuf,
    /// Directory or file (a socket).
    pub kind: FileKind,
    /// Device number recorded when the path was resolved.
    pub dev: u64,
    /// Inode number recorded when the path was resolved.
    pub ino: u64,
}

/// The calls the supervisor (DESIGN.md section 7.2) decides for the
/// command, per path, where Landlock cannot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Supervision {
    /// `connect`, `sendto`, `sendmsg` to pathname Unix sockets, and `bind`
    /// (to know which sockets the sandbox made itself): below ABI 9.
    pub unix_sockets: bool,
    /// Mode, owner, time and extended-attribute changes: only where Write
    /// is granted.
    pub metadata: bool,
    /// `inotify_add_watch`: only where Read is granted.
    pub inotify: bool,
    /// `connect` and sends to IP addresses (`--net-allow`): only to nono's
    /// proxy, and to `--net-connect` ports.
    pub inet_destinations: bool,
}

impl Supervision {
    /// Whether nothing is supervised.
    pub fn is_empty(self) -> bool {
        !(self.unix_sockets || self.metadata || self.inotify || self.inet_destinations)
    }
}

impl Ruleset {
    /// An empty ruleset for `abi`: nothing handled, so nothing restricted.
    pub fn empty(abi: Abi) -> Ruleset {
        Ruleset {
            abi,
            handled_fs: FsRights::EMPTY,
            rules: Vec::new(),
            handled_net: NetRights::EMPTY,
            port_rules: Vec::new(),
            scoped: ScopeSet::EMPTY,
            log_new_exec: false,
            all_threads: false,
            socket_filter: None,
            syscall_guard: None,
            supervision: Supervision::default(),
            unix_sockets: Vec::new(),
            unix_rules: Vec::new(),
            proxy: None,
            protected: Vec::new(),
            layers: Vec::new(),
        }
    }
}

/// One port rule: `rights` on `port`, for TCP (ABI 4) and UDP (ABI 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortRule {
    /// The port.
    pub port: u16,
    /// Bind and/or connect, TCP and/or UDP.
    pub rights: NetRights,
}

/// Which sockets a seccomp filter lets the sandbox create. Every variant
/// also refuses `io_uring_setup`, since io_uring can create sockets without
/// the `socket` system call, and refuses foreign-ABI (32-bit, x32) system
/// calls that would step around the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SocketFilter {
    /// Only `AF_UNIX` sockets (`--net-block`).
    UnixOnly,
    /// `AF_UNIX`; `AF_INET`/`AF_INET6` stream and datagram sockets with the
    /// TCP or UDP protocol; `AF_NETLINK` route sockets. Raw, packet, MPTCP,
    /// SCTP and every other family are refused (`--net-connect`/`--net-bind`).
    TcpUdpOnly,
    /// As [`TcpUdpOnly`](Self::TcpUdpOnly) without UDP: only stream
    /// `AF_INET`/`AF_INET6` sockets (`--net-allow` without UDP ports: the
    /// command needs no DNS, its proxy resolves names).
    TcpOnly,
    /// No sockets at all, not even `AF_UNIX` (`socket` and `socketpair`
    /// refused). No flag asks for it: the plugin helper uses it, because
    /// below Landlock ABI 9 nothing else keeps a process from connecting to
    /// a pathname Unix socket, such as a container runtime's.
    NoSockets,
}
