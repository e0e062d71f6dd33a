//! The seccomp filter, built with `seccompiler`: the parts of a ruleset
//! that Landlock cannot enforce.
//!
//! The filter allows every system call except the ones it names: the ones
//! it refuses, and the ones a supervisor judges ([`crate::JudgedBy`]),
//! which it hands on with `SECCOMP_RET_USER_NOTIF` (or refuses with `EPERM`
//! when nobody judges them) in the same program, so that the kernel
//! checks, compiles and runs one filter, not two. A refused call fails
//! with an error number and never kills the process:
//!
//! - with a [`SocketFilter`] (`EACCES`): `socket` and `socketpair` outside
//!   what it allows, and `io_uring_setup` always (io_uring can open sockets
//!   without `socket`);
//! - with the syscall guard ([`SyscallGuard`]):
//!   - `EACCES`, as Landlock answers: `ioctl` with `TIOCSTI`, `TIOCLINUX`
//!     (typing into the terminal the command inherited, which Landlock does
//!     not check: the terminal was opened before the sandbox), `TIOCSETD`
//!     (a line discipline such as `N_NULL` outlives the command and leaves
//!     the terminal unusable), `TIOCEXCL` (exclusive mode outlives it too:
//!     the user's next program cannot open the terminal), and the Linux
//!     console's keyboard, font and VT-switching setters (on a console the
//!     command shares, they change every console: a function key's string
//!     is typed input); `chmod`, `fchmod`, `fchmodat`, `fchmodat2`, `mknod`,
//!     `mknodat` with the setuid or setgid bit in the mode, and `open`,
//!     `openat`, `creat` creating a file (`O_CREAT`, `O_TMPFILE`) with
//!     either bit (Landlock has no right for file modes); io_uring (its
//!     requests reach the kernel without passing this filter); under port
//!     rules, `sendto`, `sendmsg` and `sendmmsg` with `MSG_FASTOPEN` (TCP
//!     Fast Open connects without the `connect()` Landlock checks);
//!     `perf_event_open` of a whole CPU (pid -1) or a cgroup;
//!   - `EPERM`, as the kernel answers a caller without the right:
//!     `prlimit64`, `sched_setaffinity`, `sched_setscheduler`,
//!     `sched_setparam`, `sched_setattr` on any pid but 0 (the caller),
//!     `setpriority` and `ioprio_set` on anything but the caller (process
//!     0); the keyring calls `add_key`, `keyctl`, `request_key`; `bpf`,
//!     `fanotify_init`, `syslog`; and, when the command has no private IPC
//!     namespace and may not share the host's, the System V IPC calls;
//!   - `ENOSYS` for `openat2`: its mode lies in a structure seccomp cannot
//!     read, and "not implemented" is the answer every caller of `openat2`
//!     already handles, by falling back to `openat`, which is checked;
//! - on x86_64, every x32 call (`EACCES`: x32 shares the x86_64 audit
//!   architecture, so the architecture check alone would not catch its
//!   numbers, which reach the same calls).
//!
//! A system call of another architecture (32-bit `int 0x80`) kills the
//! process: the architecture is checked first. Arguments are compared on
//! their low 32 bits, as the kernel reads them (an `ioctl` request or a pid
//! with junk in its high bits is still caught).
//!
//! `seccompiler` compiles the rules of each refused call, each with its
//! error number; [`assemble`] puts them behind a binary search over the
//! call numbers. seccompiler alone gives a filter one error number and
//! tests the numbers one after the other, and the kernel walks that chain
//! for every call number when the filter is installed (to learn which
//! calls it always allows): with this many calls, the search keeps that
//! walk, and every call's path, a handful of instructions.

use crate::IpcIsolation;
use crate::notify::{Handed, JudgedBy, NotifiedCalls};
use nono_model::{Ruleset, SocketFilter, SyscallGuard, SysvIpc};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch, sock_filter,
};
use std::collections::BTreeMap;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

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
    /// More refused calls than the search tree's 8-bit jumps can reach.
    #[error("seccomp filter: too many system calls for the filter's search tree")]
    TooManyCalls,
    /// A system call number that does not fit the filter's 32-bit compare.
    #[error("seccomp filter: system call {0}")]
    CallNumber(i64),
    /// seccompiler's program for one call did not start with the
    /// architecture and number checks the assembler replaces.
    #[error("seccomp filter: seccompiler's program for system call {0} does not start as expected")]
    UnexpectedProgram(i64),
    /// A jump of the assembled program had no target (a mistake in the
    /// assembler, never the ruleset).
    #[error("seccomp filter: the program could not be laid out")]
    Layout,
    /// The kernel refused the filter that hands calls to the supervisor.
    #[error("seccomp filter: {0}")]
    Listen(#[source] std::io::Error),
    /// The assembled program is longer than the kernel takes.
    #[error("seccomp filter: {0} instructions, more than the kernel takes (4096)")]
    TooLong(usize),
}

/// The socket type without `SOCK_NONBLOCK` and `SOCK_CLOEXEC`.
const SOCK_TYPE_MASK: u64 = 0xf;

fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, FilterError> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value).map_err(FilterError::Build)
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, FilterError> {
    SeccompRule::new(conditions).map_err(FilterError::Build)
}

/// A C constant as the unsigned value a condition compares (its low 32
/// bits, as the kernel reads an `int` argument).
fn word(value: impl Into<i64>) -> u64 {
    u64::from(value.into() as u32)
}

/// The rules (each a conjunction) under which `socket` is refused.
fn socket_denials(filter: SocketFilter) -> Result<Vec<SeccompRule>, FilterError> {
    use SeccompCmpOp::{Eq, MaskedEq, Ne};
    let unix = word(libc::AF_UNIX);
    match filter {
        // No rule: refused unconditionally.
        SocketFilter::NoSockets => Ok(Vec::new()),
        SocketFilter::UnixOnly => Ok(vec![rule(vec![cond(0, Ne, unix)?])?]),
        SocketFilter::TcpUdpOnly | SocketFilter::TcpOnly => {
            let udp = filter == SocketFilter::TcpUdpOnly;
            let inet = [word(libc::AF_INET), word(libc::AF_INET6)];
            let netlink = word(libc::AF_NETLINK);
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
                    cond(2, Ne, word(libc::NETLINK_ROUTE))?,
                ])?,
            ];
            for fam in inet {
                // Protocols other than the default, TCP and UDP (MPTCP,
                // SCTP, UDP-Lite, ICMP, raw protocols).
                rules.push(rule(vec![
                    cond(0, Eq, fam)?,
                    cond(2, Ne, 0)?,
                    cond(2, Ne, word(libc::IPPROTO_TCP))?,
                    cond(2, Ne, word(libc::IPPROTO_UDP))?,
                ])?);
                if !udp {
                    // UDP by protocol or by type (datagram, type 2).
                    rules.push(rule(vec![
                        cond(0, Eq, fam)?,
                        cond(2, Eq, word(libc::IPPROTO_UDP))?,
                    ])?);
                    rules.push(rule(vec![
                        cond(1, MaskedEq(SOCK_TYPE_MASK), 2)?,
                        cond(0, Eq, fam)?,
                    ])?);
                }
                // Socket types other than stream and datagram (raw,
                // seqpacket, rdm, dccp, packet): type 3, and every type
                // with bit 2 or bit 3 set (4 to 15).
                for (mask, value) in [(SOCK_TYPE_MASK, 3), (4, 4), (8, 8)] {
                    rules.push(rule(vec![
                        cond(1, MaskedEq(mask), value)?,
                        cond(0, Eq, fam)?,
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

/// The error number a refused call gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    /// `EACCES`, as Landlock refuses.
    Denied,
    /// `EPERM`, as the kernel refuses a caller without the right.
    NotPermitted,
    /// `ENOSYS`: as if the kernel did not have the call.
    Absent,
}

impl Refusal {
    fn errno(self) -> libc::c_int {
        match self {
            Refusal::Denied => libc::EACCES,
            Refusal::NotPermitted => libc::EPERM,
            Refusal::Absent => libc::ENOSYS,
        }
    }

    fn action(self) -> SeccompAction {
        SeccompAction::Errno(self.errno().unsigned_abs())
    }
}

/// Refused calls: each call number, the error number it gets, and the
/// rules (each a conjunction; none means always) under which it is refused.
#[derive(Default)]
struct Denials(BTreeMap<i64, (Refusal, Vec<SeccompRule>)>);

impl Denials {
    /// Refuses `nr` with `EACCES` under `rules` (unconditionally if empty).
    fn deny(&mut self, nr: libc::c_long, rules: Vec<SeccompRule>) {
        self.add(Refusal::Denied, nr, rules);
    }

    /// Refuses `nr` with the error number of `refusal` under `rules`.
    fn add(&mut self, refusal: Refusal, nr: libc::c_long, rules: Vec<SeccompRule>) {
        self.0.insert(nr, (refusal, rules));
    }
}

/// Linux console ioctls ('K' and 'V', numbered without direction or size)
/// that only read: `KDGETLED`, `KDGKBTYPE`, `KDGETMODE`, `KDGKBMODE`,
/// `KDGKBENT`, `KDGKBSENT`, `KDGKBDIACR`, `KDGETKEYCODE`, `GIO_SCRNMAP`,
/// `GIO_FONT`, `KDGKBMETA`, `KDGKBLED`, `GIO_UNIMAP`, `GIO_UNISCRNMAP`,
/// `GIO_FONTX`, `GIO_CMAP`, `KDGKBDIACRUC`; `VT_OPENQRY`, `VT_GETMODE`,
/// `VT_GETSTATE`, `VT_WAITACTIVE`, `VT_GETHIFONTMASK`, `VT_WAITEVENT`.
const CONSOLE_READS: [(u64, &[u64]); 2] = [
    (
        0x4B00,
        &[
            0x4B31, 0x4B33, 0x4B3B, 0x4B44, 0x4B46, 0x4B48, 0x4B4A, 0x4B4C, 0x4B40, 0x4B60, 0x4B62,
            0x4B64, 0x4B66, 0x4B69, 0x4B6B, 0x4B70, 0x4BFA,
        ],
    ),
    (0x5600, &[0x5600, 0x5601, 0x5603, 0x5607, 0x560D, 0x560E]),
];

/// The `ioctl` requests the guard refuses on every descriptor.
fn ioctl_denials() -> Result<Vec<SeccompRule>, FilterError> {
    use SeccompCmpOp::{Eq, MaskedEq, Ne};
    let mut rules = Vec::new();
    for request in [
        libc::TIOCSTI,
        libc::TIOCLINUX,
        libc::TIOCSETD,
        libc::TIOCEXCL,
    ] {
        rules.push(rule(vec![cond(1, Eq, request)?])?);
    }
    // Every console request of the group but the reads. The group check
    // comes last in the list because seccompiler tests a rule's conditions
    // last to first: any other request leaves the rule at its first test.
    for (group, reads) in CONSOLE_READS {
        let mut conditions = reads
            .iter()
            .map(|&read| cond(1, Ne, read))
            .collect::<Result<Vec<_>, _>>()?;
        conditions.push(cond(1, MaskedEq(0xFFFF_FF00), group)?);
        rules.push(rule(conditions)?);
    }
    Ok(rules)
}

/// Rules refusing a mode argument with the setuid or setgid bit.
fn set_id_bits(mode_arg: u8) -> Result<Vec<SeccompRule>, FilterError> {
    use SeccompCmpOp::MaskedEq;
    let bits = [u64::from(libc::S_ISUID), u64::from(libc::S_ISGID)];
    bits.iter()
        .map(|&bit| rule(vec![cond(mode_arg, MaskedEq(bit), bit)?]))
        .collect()
}

/// Rules refusing an open that creates a file (`O_CREAT`, or `O_TMPFILE`
/// without its `O_DIRECTORY` part) with the setuid or setgid bit.
fn creating_set_id(flags_arg: u8, mode_arg: u8) -> Result<Vec<SeccompRule>, FilterError> {
    use SeccompCmpOp::MaskedEq;
    let creating = [
        word(libc::O_CREAT),
        word(libc::O_TMPFILE & !libc::O_DIRECTORY),
    ];
    let bits = [u64::from(libc::S_ISUID), u64::from(libc::S_ISGID)];
    let mut rules = Vec::new();
    for flag in creating {
        for bit in bits {
            rules.push(rule(vec![
                cond(mode_arg, MaskedEq(bit), bit)?,
                cond(flags_arg, MaskedEq(flag), flag)?,
            ])?);
        }
    }
    Ok(rules)
}

/// Rules refusing a pid argument other than 0 (the caller).
fn other_pid(pid_arg: u8) -> Result<Vec<SeccompRule>, FilterError> {
    Ok(vec![rule(vec![cond(pid_arg, SeccompCmpOp::Ne, 0)?])?])
}

/// Rules refusing a `(which, who)` pair other than (`process`, 0).
fn other_who(process: u64) -> Result<Vec<SeccompRule>, FilterError> {
    use SeccompCmpOp::Ne;
    Ok(vec![
        rule(vec![cond(0, Ne, process)?])?,
        rule(vec![cond(1, Ne, 0)?])?,
    ])
}

/// Rules refusing a flags argument with `flag`.
fn with_flag(flags_arg: u8, flag: u64) -> Result<Vec<SeccompRule>, FilterError> {
    Ok(vec![rule(vec![cond(
        flags_arg,
        SeccompCmpOp::MaskedEq(flag),
        flag,
    )?])?])
}

/// The System V IPC calls.
const SYSV_CALLS: [libc::c_long; 12] = [
    libc::SYS_msgget,
    libc::SYS_msgsnd,
    libc::SYS_msgrcv,
    libc::SYS_msgctl,
    libc::SYS_semget,
    libc::SYS_semop,
    libc::SYS_semctl,
    libc::SYS_semtimedop,
    libc::SYS_shmget,
    libc::SYS_shmat,
    libc::SYS_shmdt,
    libc::SYS_shmctl,
];

/// Whether the guard must refuse the System V calls: the command has no
/// private IPC namespace and the policy does not let it share the host's.
fn refuses_sysv(guard: &SyscallGuard, ipc: Option<&IpcIsolation>) -> bool {
    let private = ipc.is_some_and(IpcIsolation::is_private);
    guard.sysv_ipc == SysvIpc::PrivateOrRefused && !private
}

/// Adds the guard's refusals.
fn guard_denials(
    denials: &mut Denials,
    guard: &SyscallGuard,
    ipc: Option<&IpcIsolation>,
) -> Result<(), FilterError> {
    use Refusal::{Absent, NotPermitted};

    // The terminal.
    denials.deny(libc::SYS_ioctl, ioctl_denials()?);

    // Setuid and setgid bits.
    denials.deny(libc::SYS_fchmod, set_id_bits(1)?);
    denials.deny(libc::SYS_fchmodat, set_id_bits(2)?);
    denials.deny(libc::SYS_fchmodat2, set_id_bits(2)?);
    denials.deny(libc::SYS_mknodat, set_id_bits(2)?);
    denials.deny(libc::SYS_openat, creating_set_id(2, 3)?);
    #[cfg(target_arch = "x86_64")]
    {
        denials.deny(libc::SYS_chmod, set_id_bits(1)?);
        denials.deny(libc::SYS_mknod, set_id_bits(1)?);
        denials.deny(libc::SYS_creat, set_id_bits(1)?);
        denials.deny(libc::SYS_open, creating_set_id(1, 2)?);
    }
    denials.add(Absent, libc::SYS_openat2, Vec::new());

    // io_uring: its requests (openat with a mode, sendmsg with
    // MSG_FASTOPEN) reach the kernel without passing this filter.
    for nr in [
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
    ] {
        denials.deny(nr, Vec::new());
    }

    // TCP Fast Open, under port rules.
    if guard.refuse_fast_open {
        let fast_open = word(libc::MSG_FASTOPEN);
        denials.deny(libc::SYS_sendto, with_flag(3, fast_open)?);
        denials.deny(libc::SYS_sendmsg, with_flag(2, fast_open)?);
        denials.deny(libc::SYS_sendmmsg, with_flag(3, fast_open)?);
    }

    // Other processes' limits, priorities and CPUs.
    denials.add(NotPermitted, libc::SYS_prlimit64, other_pid(0)?);
    for nr in [
        libc::SYS_sched_setaffinity,
        libc::SYS_sched_setscheduler,
        libc::SYS_sched_setparam,
        libc::SYS_sched_setattr,
    ] {
        denials.add(NotPermitted, nr, other_pid(0)?);
    }
    denials.add(
        NotPermitted,
        libc::SYS_setpriority,
        other_who(word(libc::PRIO_PROCESS))?,
    );
    // IOPRIO_WHO_PROCESS (linux/ioprio.h).
    const IOPRIO_WHO_PROCESS: u64 = 1;
    denials.add(
        NotPermitted,
        libc::SYS_ioprio_set,
        other_who(IOPRIO_WHO_PROCESS)?,
    );

    // Kernel keyrings.
    for nr in [libc::SYS_add_key, libc::SYS_keyctl, libc::SYS_request_key] {
        denials.add(NotPermitted, nr, Vec::new());
    }

    // Host-wide kernel facilities that some hosts open to every user.
    for nr in [libc::SYS_bpf, libc::SYS_fanotify_init, libc::SYS_syslog] {
        denials.add(NotPermitted, nr, Vec::new());
    }
    // PERF_FLAG_PID_CGROUP (linux/perf_event.h).
    const PERF_FLAG_PID_CGROUP: u64 = 1 << 2;
    denials.deny(
        libc::SYS_perf_event_open,
        vec![
            rule(vec![cond(1, SeccompCmpOp::Eq, word(-1))?])?,
            rule(vec![cond(
                4,
                SeccompCmpOp::MaskedEq(PERF_FLAG_PID_CGROUP),
                PERF_FLAG_PID_CGROUP,
            )?])?,
        ],
    );

    // System V IPC, where it would reach the host's objects.
    if refuses_sysv(guard, ipc) {
        for nr in SYSV_CALLS {
            denials.add(NotPermitted, nr, Vec::new());
        }
    }
    Ok(())
}

/// The instruction that allows a call.
const RET_ALLOW: sock_filter = sock_filter {
    code: (libc::BPF_RET | libc::BPF_K) as u16,
    jt: 0,
    jf: 0,
    k: libc::SECCOMP_RET_ALLOW,
};

fn stmt(code: u32, k: u32) -> sock_filter {
    sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

fn ret(action: SeccompAction) -> sock_filter {
    stmt(libc::BPF_RET | libc::BPF_K, u32::from(action))
}

/// The audit architecture of this build's system calls.
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;
#[cfg(target_arch = "riscv64")]
const AUDIT_ARCH: u32 = 0xC000_00F3;

/// Offsets of `nr`, `arch` and `args[0]` (its low half; the high half
/// follows, little-endian) in `struct seccomp_data`.
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;
const ARGS_OFFSET: u32 = 16;

/// At most this many numbers are compared one by one at a leaf of the
/// search tree.
const LEAF: usize = 4;

/// How many instructions the search tree over `count` numbers takes.
fn tree_len(count: usize) -> usize {
    if count <= LEAF {
        count + 1
    } else {
        let left = count / 2;
        1 + tree_len(left) + tree_len(count - left)
    }
}

/// A conditional jump's offset, which must fit in its 8 bits.
fn near(offset: usize) -> Result<u8, FilterError> {
    u8::try_from(offset).map_err(|_| FilterError::TooManyCalls)
}

/// Appends the search tree over the sorted call numbers `nrs[lo..hi]` to
/// `out`: a call whose number is `nrs[i]` jumps to instruction
/// `table + i`, any other to `allow`. Inner nodes split on a number
/// (`>=`: to the right half), leaves compare up to [`LEAF`] numbers.
fn emit_tree(
    out: &mut BpfProgram,
    nrs: &[u32],
    (lo, hi): (usize, usize),
    table: usize,
    allow: usize,
) -> Result<(), FilterError> {
    if hi - lo <= LEAF {
        for (i, &nr) in nrs.iter().enumerate().take(hi).skip(lo) {
            let here = out.len();
            let to_entry = near(table + i - here - 1)?;
            out.push(jump(
                libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
                nr,
                to_entry,
                0,
            ));
        }
        let here = out.len();
        let to_allow = u32::try_from(allow - here - 1).unwrap_or(u32::MAX);
        out.push(stmt(libc::BPF_JMP | libc::BPF_JA, to_allow));
        return Ok(());
    }
    let mid = lo + (hi - lo) / 2;
    let left = near(tree_len(mid - lo))?;
    out.push(jump(
        libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K,
        nrs[mid],
        left,
        0,
    ));
    emit_tree(out, nrs, (lo, mid), table, allow)?;
    emit_tree(out, nrs, (mid, hi), table, allow)
}

/// The rules part of the program `seccompiler` compiles for the one call
/// `nr`: without its first five instructions (load the architecture,
/// compare, kill; load the call number, compare with `nr`), which the
/// search has done already. Entered at its first rule, as the comparison
/// with `nr` would have let it; every jump in it is relative and forward,
/// so none leads into what is cut.
fn rules_of(mut block: BpfProgram, nr: i64) -> Result<BpfProgram, FilterError> {
    let expected = [
        (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, ARCH_OFFSET),
        (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, AUDIT_ARCH),
        (libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_KILL_PROCESS),
        (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, NR_OFFSET),
        (
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            u32::try_from(nr).unwrap_or(u32::MAX),
        ),
    ];
    let head_matches = block.len() > expected.len()
        && block
            .iter()
            .zip(expected)
            .all(|(insn, (code, k))| u32::from(insn.code) == code && insn.k == k);
    if !head_matches {
        return Err(FilterError::UnexpectedProgram(nr));
    }
    Ok(block.split_off(expected.len()))
}

/// The calls a filter hands on instead of allowing them, and the action
/// it hands them on with: `SECCOMP_RET_USER_NOTIF` (the supervisor answers)
/// or an error (nobody does).
pub(crate) struct Handing {
    /// Each call's number and how it is picked out.
    pub(crate) calls: BTreeMap<i64, Handed>,
    /// The action a handed call gets.
    pub(crate) action: u32,
}

impl Handing {
    /// A filter that hands nothing on.
    pub(crate) fn nothing() -> Handing {
        Handing {
            calls: BTreeMap::new(),
            action: libc::SECCOMP_RET_ALLOW,
        }
    }

    /// The instructions that decide a call picked out by `handed`: handed
    /// on, or (a `sendto` without an address) allowed.
    fn tail(&self, handed: Handed) -> Vec<sock_filter> {
        match handed {
            Handed::Always => vec![stmt(libc::BPF_RET | libc::BPF_K, self.action)],
            Handed::WithAddress(arg) => {
                let ld = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
                let jeq = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
                let low = ARGS_OFFSET + 8 * arg;
                vec![
                    stmt(ld, low),
                    jump(jeq, 0, 0, 2),
                    stmt(ld, low + 4),
                    jump(jeq, 0, 1, 0),
                    stmt(libc::BPF_RET | libc::BPF_K, self.action),
                    RET_ALLOW,
                ]
            }
        }
    }
}

/// A refused call, compiled.
enum Refused {
    /// Refused with this action, whatever its arguments.
    Always(u32),
    /// Refused under rules: the rules of the program `seccompiler`
    /// compiles for that call alone (see [`rules_of`]).
    Under(BpfProgram),
}

/// The guard's refused calls, compiled once (seccompiler's work, the costly
/// part) and assembled with or without the calls a supervisor judges.
pub(crate) struct GuardCode(BTreeMap<i64, Refused>);

impl GuardCode {
    /// Compiles each refused call of `denials`.
    fn of(denials: Denials) -> Result<GuardCode, FilterError> {
        let mut code = BTreeMap::new();
        for (nr, (refusal, rules)) in denials.0 {
            let refused = if rules.is_empty() {
                Refused::Always(u32::from(refusal.action()))
            } else {
                let filter = SeccompFilter::new(
                    BTreeMap::from([(nr, rules)]),
                    SeccompAction::Allow,
                    refusal.action(),
                    ARCH,
                )?;
                Refused::Under(rules_of(BpfProgram::try_from(filter)?, nr)?)
            };
            code.insert(nr, refused);
        }
        Ok(GuardCode(code))
    }

    /// The refused calls of `ruleset`, compiled. `ipc` is what was done
    /// with the IPC namespace (see [`crate::isolate_ipc`]); without a
    /// private one, System V IPC is refused unless the ruleset lets the
    /// command share the host's.
    pub(crate) fn compile(
        ruleset: &Ruleset,
        ipc: Option<&IpcIsolation>,
    ) -> Result<GuardCode, FilterError> {
        GuardCode::of(denials_of(ruleset, ipc)?)
    }

    /// The program that refuses these calls and hands on the ones
    /// `handing` names, or `None` when that is nothing at all.
    pub(crate) fn program(&self, handing: &Handing) -> Result<Option<BpfProgram>, FilterError> {
        if self.0.is_empty() && handing.calls.is_empty() {
            return Ok(None);
        }
        let program = assemble(self, handing)?;
        // The kernel takes at most BPF_MAXINSNS (4096) instructions.
        if program.len() > 4096 {
            return Err(FilterError::TooLong(program.len()));
        }
        Ok(Some(program))
    }
}

/// What a named call's entry in the filter does.
enum Entry {
    /// Return this action, whatever the arguments.
    Return(u32),
    /// Jump to its block, which starts this many instructions into the
    /// blocks.
    Block(usize),
    /// Jump to the tail that decides how it is handed on.
    Tail(Handed),
}

/// Assembles the filter for `denials` and `handing`:
///
/// 1. the architecture check (a call of another architecture kills the
///    process) and, on x86_64, the refusal of every x32 call (`EACCES`): x32
///    shares the x86_64 architecture tag, and its numbers (the x86_64 ones
///    with bit 30 set, and a few of its own) would reach every call below by
///    another number, so x32 programs do not run under nono at all;
/// 2. a binary search over the named calls' numbers, so that a call the
///    filter does not name is allowed after a handful of comparisons (the
///    kernel runs this path once per call number when the filter is
///    installed, to learn which calls it always allows);
/// 3. one entry per named call: its error or its hand-over, or, when rules
///    decide, a jump to its block or its tail;
/// 4. the blocks: for each call refused under rules, the rules of the
///    program `seccompiler` compiles for that call alone (see
///    [`rules_of`]), which test the arguments and refuse or allow; a call
///    that is also handed on jumps to its tail where the block would allow
///    it;
/// 5. the tails: how a handed call is handed on (see [`Handing::tail`]).
///
/// A call both refused and handed on is refused where the guard refuses it
/// and handed on elsewhere: what two stacked filters would do, since the
/// kernel lets an error win over a hand-over.
fn assemble(guard: &GuardCode, handing: &Handing) -> Result<BpfProgram, FilterError> {
    type Named<'a> = (Option<&'a Refused>, Option<Handed>);
    let mut named: BTreeMap<i64, Named> = BTreeMap::new();
    for (&nr, refused) in &guard.0 {
        named.entry(nr).or_default().0 = Some(refused);
    }
    for (&nr, &handed) in &handing.calls {
        named.entry(nr).or_default().1 = Some(handed);
    }
    let mut nrs = Vec::new();
    let mut entries = Vec::new();
    let mut blocks = Vec::new();
    // Where a block allows a handed call: (index in the blocks, its tail).
    let mut to_tail = Vec::new();
    for (nr, (refused, handed)) in named {
        nrs.push(u32::try_from(nr).map_err(|_| FilterError::CallNumber(nr))?);
        let entry = match (refused, handed) {
            (Some(Refused::Always(action)), _) => Entry::Return(*action),
            (Some(Refused::Under(block)), handed) => {
                if let Some(handed) = handed {
                    for (i, insn) in block.iter().enumerate() {
                        if *insn == RET_ALLOW {
                            to_tail.push((blocks.len() + i, handed));
                        }
                    }
                }
                let at = blocks.len();
                blocks.extend_from_slice(block);
                Entry::Block(at)
            }
            (None, Some(Handed::Always)) => Entry::Return(handing.action),
            (None, Some(handed)) => Entry::Tail(handed),
            (None, None) => Entry::Return(libc::SECCOMP_RET_ALLOW),
        };
        entries.push(entry);
    }
    let mut out = vec![
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, ARCH_OFFSET),
        jump(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            AUDIT_ARCH,
            1,
            0,
        ),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_KILL_PROCESS),
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, NR_OFFSET),
    ];
    if cfg!(target_arch = "x86_64") {
        const X32_SYSCALL_BIT: u32 = 0x4000_0000;
        out.push(jump(
            libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K,
            X32_SYSCALL_BIT,
            0,
            1,
        ));
        out.push(ret(Refusal::Denied.action()));
    }
    let table = out.len() + tree_len(nrs.len());
    let allow = table + nrs.len();
    emit_tree(&mut out, &nrs, (0, nrs.len()), table, allow)?;
    let first_block = allow + 1;
    // The tails follow the blocks, one per way of handing a call on that
    // is used.
    let mut tails: BTreeMap<Handed, usize> = BTreeMap::new();
    let mut tail_code = Vec::new();
    let used = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Tail(h) => Some(*h),
            _ => None,
        })
        .chain(to_tail.iter().map(|&(_, h)| h));
    for handed in used {
        if let std::collections::btree_map::Entry::Vacant(slot) = tails.entry(handed) {
            slot.insert(first_block + blocks.len() + tail_code.len());
            tail_code.extend(handing.tail(handed));
        }
    }
    let tail_of = |handed: Handed| tails.get(&handed).copied().ok_or(FilterError::Layout);
    let forward = |from: usize, to: usize| {
        stmt(
            libc::BPF_JMP | libc::BPF_JA,
            u32::try_from(to - from - 1).unwrap_or(u32::MAX),
        )
    };
    for entry in entries {
        let here = out.len();
        out.push(match entry {
            Entry::Return(action) => stmt(libc::BPF_RET | libc::BPF_K, action),
            Entry::Block(at) => forward(here, first_block + at),
            Entry::Tail(handed) => forward(here, tail_of(handed)?),
        });
    }
    out.push(RET_ALLOW);
    for (i, handed) in to_tail {
        blocks[i] = forward(first_block + i, tail_of(handed)?);
    }
    out.extend(blocks);
    out.extend(tail_code);
    Ok(out)
}

/// The calls `ruleset` refuses, given what was done with the IPC
/// namespace.
fn denials_of(ruleset: &Ruleset, ipc: Option<&IpcIsolation>) -> Result<Denials, FilterError> {
    let mut denials = Denials::default();
    if let Some(filter) = ruleset.socket_filter {
        denials.deny(libc::SYS_socket, socket_denials(filter)?);
        // Only Unix sockets come in pairs; the kernel refuses the rest.
        let pairs = match filter {
            SocketFilter::NoSockets => Vec::new(),
            _ => vec![rule(vec![cond(0, SeccompCmpOp::Ne, word(libc::AF_UNIX))?])?],
        };
        denials.deny(libc::SYS_socketpair, pairs);
        denials.deny(libc::SYS_io_uring_setup, Vec::new());
    }
    if let Some(guard) = &ruleset.syscall_guard {
        guard_denials(&mut denials, guard, ipc)?;
    }
    Ok(denials)
}

impl JudgedBy {
    /// How the filter hands on the calls this judge answers.
    pub(crate) fn handing(self) -> Handing {
        match self {
            JudgedBy::Supervisor(calls) => Handing {
                calls: calls.handed(),
                action: libc::SECCOMP_RET_USER_NOTIF,
            },
            JudgedBy::Nobody(calls) => Handing {
                calls: calls.handed(),
                action: libc::SECCOMP_RET_ERRNO | libc::EPERM.unsigned_abs(),
            },
        }
    }

    /// The calls it answers.
    pub(crate) fn calls(self) -> NotifiedCalls {
        match self {
            JudgedBy::Supervisor(calls) | JudgedBy::Nobody(calls) => calls,
        }
    }
}

/// Compiles the seccomp part of `ruleset` to BPF, with the calls `handing`
/// hands on, or `None` when that asks for no filter (see
/// [`GuardCode::compile`] and [`GuardCode::program`]).
#[cfg(test)]
fn compile(
    ruleset: &Ruleset,
    ipc: Option<&IpcIsolation>,
    handing: &Handing,
) -> Result<Option<BpfProgram>, FilterError> {
    GuardCode::compile(ruleset, ipc)?.program(handing)
}

/// Installs a compiled filter on the calling thread. `no_new_privs` must be
/// set (or the caller privileged).
pub(crate) fn install_compiled(program: &BpfProgram) -> Result<(), FilterError> {
    seccompiler::apply_filter(program).map_err(FilterError::Install)
}

/// Installs a compiled filter that hands calls on with
/// `SECCOMP_RET_USER_NOTIF` on the calling thread, and returns its
/// listener (close-on-exec, as the kernel makes it), or `None` when this
/// process already has a filter with a listener (`EBUSY`: the kernel
/// allows one), in which case nothing was installed. `no_new_privs` must
/// be set (or the caller privileged).
pub(crate) fn install_listening(program: &BpfProgram) -> Result<Option<OwnedFd>, FilterError> {
    let prog = libc::sock_fprog {
        len: u16::try_from(program.len()).map_err(|_| FilterError::TooLong(program.len()))?,
        // seccompiler's sock_filter has the kernel's layout (repr C, the
        // same four fields).
        filter: program.as_ptr().cast::<libc::sock_filter>().cast_mut(),
    };
    // SAFETY: `prog` points to `program`, which outlives the call; the
    // kernel copies the program before returning.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &raw const prog,
        )
    };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EBUSY) {
            return Ok(None);
        }
        return Err(FilterError::Listen(e));
    }
    let fd = RawFd::try_from(fd)
        .map_err(|_| FilterError::Listen(std::io::Error::from_raw_os_error(libc::EBADF)))?;
    // SAFETY: the kernel just returned this new descriptor, owned by no one
    // else.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }))
}

#[cfg(test)]
mod tests {
    //! The compiled filter run by a small classic-BPF interpreter over
    //! made-up `seccomp_data`, for what the kernel tests in `nono/tests`
    //! cannot reach here: the x32 numbers (this kernel has no x32), the
    //! high halves of arguments, and the search over the call numbers.

    use super::*;
    use nono_model::{Abi, Ruleset};

    const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
    const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;

    fn errno(e: libc::c_int) -> u32 {
        libc::SECCOMP_RET_ERRNO | e.unsigned_abs()
    }

    /// Runs `program` over a call: `nr` with `args`, of architecture `arch`.
    fn run(program: &[sock_filter], arch: u32, nr: i64, args: [u64; 6]) -> u32 {
        trace(program, arch, nr, args).0
    }

    /// [`run`], and how many instructions it ran.
    fn trace(program: &[sock_filter], arch: u32, nr: i64, args: [u64; 6]) -> (u32, usize) {
        let mut data = Vec::with_capacity(64);
        data.extend_from_slice(&(nr as u32).to_le_bytes());
        data.extend_from_slice(&arch.to_le_bytes());
        data.extend_from_slice(&0u64.to_le_bytes());
        for arg in args {
            data.extend_from_slice(&arg.to_le_bytes());
        }
        let (mut acc, mut pc, mut steps) = (0u32, 0usize, 0usize);
        loop {
            let insn = &program[pc];
            steps += 1;
            let code = u32::from(insn.code);
            pc += 1;
            match code {
                c if c == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS => {
                    let at = insn.k as usize;
                    acc = u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
                }
                c if c == libc::BPF_ALU | libc::BPF_AND | libc::BPF_K => acc &= insn.k,
                c if c == libc::BPF_JMP | libc::BPF_JA => pc += insn.k as usize,
                c if c & 0x07 == libc::BPF_JMP => {
                    let taken = match c & 0xf0 {
                        op if op == libc::BPF_JEQ => acc == insn.k,
                        op if op == libc::BPF_JGE => acc >= insn.k,
                        op if op == libc::BPF_JGT => acc > insn.k,
                        op if op == libc::BPF_JSET => acc & insn.k != 0,
                        op => panic!("jump op {op:#x}"),
                    };
                    pc += usize::from(if taken { insn.jt } else { insn.jf });
                }
                c if c == libc::BPF_RET | libc::BPF_K => return (insn.k, steps),
                c => panic!("instruction {c:#x} at {}", pc - 1),
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    const NATIVE: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64

    fn guarded(refuse_fast_open: bool, sysv_ipc: SysvIpc) -> Ruleset {
        let mut ruleset = Ruleset::empty(Abi::LATEST);
        ruleset.syscall_guard = Some(SyscallGuard {
            refuse_fast_open,
            sysv_ipc,
        });
        ruleset
    }

    fn program(ruleset: &Ruleset, ipc: Option<&IpcIsolation>) -> BpfProgram {
        compile(ruleset, ipc, &Handing::nothing())
            .unwrap()
            .expect("a filter")
    }

    fn shared() -> IpcIsolation {
        IpcIsolation::Shared {
            reason: "test".to_owned(),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn each_refusal_gets_its_error_number_and_the_rest_is_allowed() {
        let p = program(&guarded(true, SysvIpc::PrivateOrRefused), Some(&shared()));
        let call = |nr: i64, args: [u64; 6]| run(&p, NATIVE, nr, args);
        let eacces = errno(libc::EACCES);
        let eperm = errno(libc::EPERM);
        assert_eq!(
            call(libc::SYS_ioctl, [0, libc::TIOCSTI, 0, 0, 0, 0]),
            eacces
        );
        assert_eq!(
            call(libc::SYS_ioctl, [0, libc::TIOCSETD, 0, 0, 0, 0]),
            eacces
        );
        assert_eq!(
            call(libc::SYS_ioctl, [0, libc::TIOCEXCL, 0, 0, 0, 0]),
            eacces
        );
        assert_eq!(call(libc::SYS_ioctl, [0, libc::TCGETS, 0, 0, 0, 0]), ALLOW);
        // KDSKBSENT and VT_ACTIVATE refused; KDGETMODE, VT_GETSTATE and a
        // video4linux request of the same type letter ('V') allowed.
        assert_eq!(call(libc::SYS_ioctl, [0, 0x4B49, 0, 0, 0, 0]), eacces);
        assert_eq!(call(libc::SYS_ioctl, [0, 0x5606, 0, 0, 0, 0]), eacces);
        assert_eq!(call(libc::SYS_ioctl, [0, 0x4B3B, 0, 0, 0, 0]), ALLOW);
        assert_eq!(call(libc::SYS_ioctl, [0, 0x5603, 0, 0, 0, 0]), ALLOW);
        assert_eq!(call(libc::SYS_ioctl, [0, 0x8068_5600, 0, 0, 0, 0]), ALLOW);
        let creat = word(libc::O_CREAT | libc::O_WRONLY);
        assert_eq!(call(libc::SYS_openat, [0, 0, creat, 0o4755, 0, 0]), eacces);
        assert_eq!(call(libc::SYS_openat, [0, 0, creat, 0o2755, 0, 0]), eacces);
        assert_eq!(call(libc::SYS_openat, [0, 0, creat, 0o755, 0, 0]), ALLOW);
        let tmpfile = word(libc::O_TMPFILE | libc::O_WRONLY);
        assert_eq!(
            call(libc::SYS_openat, [0, 0, tmpfile, 0o4700, 0, 0]),
            eacces
        );
        // Without O_CREAT or O_TMPFILE the mode means nothing.
        assert_eq!(call(libc::SYS_openat, [0, 0, 0, 0o4755, 0, 0]), ALLOW);
        assert_eq!(call(libc::SYS_creat, [0, 0o6755, 0, 0, 0, 0]), eacces);
        let reg = u64::from(libc::S_IFREG);
        assert_eq!(
            call(libc::SYS_mknodat, [0, 0, reg | 0o4755, 0, 0, 0]),
            eacces
        );
        assert_eq!(call(libc::SYS_mknodat, [0, 0, reg | 0o755, 0, 0, 0]), ALLOW);
        assert_eq!(call(libc::SYS_openat2, [0; 6]), errno(libc::ENOSYS));
        let fast_open = word(libc::MSG_FASTOPEN);
        assert_eq!(call(libc::SYS_sendto, [0, 0, 0, fast_open, 0, 0]), eacces);
        assert_eq!(call(libc::SYS_sendmsg, [0, 0, fast_open, 0, 0, 0]), eacces);
        assert_eq!(call(libc::SYS_sendmmsg, [0, 0, 0, fast_open, 0, 0]), eacces);
        assert_eq!(call(libc::SYS_sendto, [0, 0, 0, 0, 0, 0]), ALLOW);
        assert_eq!(call(libc::SYS_prlimit64, [0, 4, 0, 0, 0, 0]), ALLOW);
        assert_eq!(call(libc::SYS_prlimit64, [1234, 4, 0, 0, 0, 0]), eperm);
        assert_eq!(call(libc::SYS_setpriority, [0, 0, 5, 0, 0, 0]), ALLOW);
        assert_eq!(call(libc::SYS_setpriority, [0, 1234, 5, 0, 0, 0]), eperm);
        assert_eq!(call(libc::SYS_setpriority, [2, 0, 5, 0, 0, 0]), eperm);
        assert_eq!(call(libc::SYS_ioprio_set, [1, 0, 0, 0, 0, 0]), ALLOW);
        assert_eq!(call(libc::SYS_ioprio_set, [3, 0, 0, 0, 0, 0]), eperm);
        assert_eq!(call(libc::SYS_sched_setattr, [0; 6]), ALLOW);
        assert_eq!(call(libc::SYS_sched_setaffinity, [7, 0, 0, 0, 0, 0]), eperm);
        assert_eq!(call(libc::SYS_keyctl, [0; 6]), eperm);
        assert_eq!(call(libc::SYS_msgget, [0; 6]), eperm);
        assert_eq!(call(libc::SYS_io_uring_setup, [0; 6]), eacces);
        assert_eq!(
            call(libc::SYS_perf_event_open, [0, 0, u64::MAX, 0, 0, 0]),
            ALLOW
        );
        assert_eq!(
            call(libc::SYS_perf_event_open, [0, 0xFFFF_FFFF, 0, 0, 0, 0]),
            eacces
        );
        assert_eq!(call(libc::SYS_perf_event_open, [0, 3, 0, 0, 4, 0]), eacces);
        assert_eq!(call(libc::SYS_getpid, [0; 6]), ALLOW);
        assert_eq!(call(libc::SYS_read, [0; 6]), ALLOW);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn arguments_are_read_as_the_kernel_reads_them_on_their_low_half() {
        let p = program(&guarded(false, SysvIpc::PrivateOrRefused), None);
        let high = 1u64 << 32;
        // A pid of 0 with junk above is the caller for the kernel too.
        assert_eq!(
            run(&p, NATIVE, libc::SYS_prlimit64, [high, 4, 0, 0, 0, 0]),
            ALLOW
        );
        assert_eq!(
            run(&p, NATIVE, libc::SYS_prlimit64, [high | 99, 4, 0, 0, 0, 0]),
            errno(libc::EPERM)
        );
        assert_eq!(
            run(
                &p,
                NATIVE,
                libc::SYS_ioctl,
                [0, high | libc::TIOCSTI, 0, 0, 0, 0]
            ),
            errno(libc::EACCES)
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_x32_call_is_refused_and_another_architecture_killed() {
        let p = program(&guarded(true, SysvIpc::PrivateOrRefused), Some(&shared()));
        let x32 = |nr: i64| nr | 0x4000_0000;
        let eacces = errno(libc::EACCES);
        // The x32 ioctl and sendmsg have numbers of their own; getpid is
        // not filtered at all natively.
        for nr in [
            x32(514),
            x32(518),
            x32(libc::SYS_getpid),
            x32(libc::SYS_keyctl),
        ] {
            assert_eq!(
                run(&p, NATIVE, nr, [0, libc::TCGETS, 0, 0, 0, 0]),
                eacces,
                "{nr:#x}"
            );
        }
        assert_eq!(run(&p, 0x4000_0003, libc::SYS_getpid, [0; 6]), KILL);
        assert_eq!(run(&p, 0x4000_0003, x32(libc::SYS_getpid), [0; 6]), KILL);
        // Even a filter with no guard at all (a socket filter alone).
        let mut sockets = Ruleset::empty(Abi::LATEST);
        sockets.socket_filter = Some(SocketFilter::UnixOnly);
        let p = program(&sockets, None);
        assert_eq!(
            run(&p, NATIVE, x32(libc::SYS_socket), [2, 1, 0, 0, 0, 0]),
            eacces
        );
        assert_eq!(
            run(&p, NATIVE, libc::SYS_socket, [2, 1, 0, 0, 0, 0]),
            eacces
        );
        assert_eq!(run(&p, NATIVE, libc::SYS_socket, [1, 1, 0, 0, 0, 0]), ALLOW);
    }

    #[test]
    fn system_v_is_refused_only_without_a_private_namespace_unless_shared_is_allowed() {
        let refused = |sysv, ipc: Option<IpcIsolation>| {
            let p = program(&guarded(false, sysv), ipc.as_ref());
            run(&p, NATIVE_OR_ANY, libc::SYS_shmget, [0; 6]) == errno(libc::EPERM)
        };
        assert!(refused(SysvIpc::PrivateOrRefused, Some(shared())));
        assert!(refused(SysvIpc::PrivateOrRefused, None));
        assert!(!refused(
            SysvIpc::PrivateOrRefused,
            Some(IpcIsolation::Private)
        ));
        assert!(!refused(SysvIpc::PrivateOrShared, Some(shared())));
        assert!(!refused(
            SysvIpc::PrivateOrShared,
            Some(IpcIsolation::PrivateInUserNamespace)
        ));
    }

    #[cfg(target_arch = "x86_64")]
    const NATIVE_OR_ANY: u32 = NATIVE;
    #[cfg(target_arch = "aarch64")]
    const NATIVE_OR_ANY: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64
    #[cfg(target_arch = "riscv64")]
    const NATIVE_OR_ANY: u32 = 0xC000_00F3; // AUDIT_ARCH_RISCV64

    /// How many instructions the filter runs for a call.
    fn steps(program: &[sock_filter], nr: i64, args: [u64; 6]) -> usize {
        trace(program, NATIVE_OR_ANY, nr, args).1
    }

    #[test]
    fn every_call_number_is_found_by_the_search() {
        let mut ruleset = guarded(true, SysvIpc::PrivateOrRefused);
        ruleset.socket_filter = Some(SocketFilter::TcpUdpOnly);
        let denials = denials_of(&ruleset, Some(&shared())).unwrap();
        let refused: Vec<(i64, Refusal, bool)> = denials
            .0
            .iter()
            .map(|(nr, (refusal, rules))| (*nr, *refusal, rules.is_empty()))
            .collect();
        let p = program(&ruleset, Some(&shared()));
        let named = |nr: i64| refused.iter().any(|(n, _, _)| *n == nr);
        // Every call refused whatever its arguments answers its error
        // number; every other number up to 500 is allowed.
        for (nr, refusal, always) in &refused {
            if *always {
                assert_eq!(
                    run(&p, NATIVE_OR_ANY, *nr, [0; 6]),
                    errno(refusal.errno()),
                    "{nr}"
                );
            }
        }
        for nr in (0..500).filter(|&nr| !named(nr)) {
            assert_eq!(run(&p, NATIVE_OR_ANY, nr, [0; 6]), ALLOW, "{nr}");
        }
        // Every jump lands inside the program, and it ends by allowing.
        for (at, insn) in p.iter().enumerate() {
            if u32::from(insn.code) == libc::BPF_JMP | libc::BPF_JA {
                assert!(at + 1 + (insn.k as usize) < p.len());
            } else if u32::from(insn.code) & 0x07 == libc::BPF_JMP {
                assert!(at + 1 + usize::from(insn.jt.max(insn.jf)) < p.len());
            }
        }
    }

    #[test]
    fn every_call_passes_few_checks() {
        let mut ruleset = guarded(true, SysvIpc::PrivateOrRefused);
        ruleset.socket_filter = Some(SocketFilter::TcpUdpOnly);
        let p = program(&ruleset, Some(&shared()));
        let open = word(libc::O_CREAT | libc::O_WRONLY);
        // The whole filter is several hundred instructions; a call the
        // filter does not name passes the search alone, one it judges its
        // own block too.
        assert!(p.len() > 400, "{}", p.len());
        for (name, nr, args, most) in [
            ("read", libc::SYS_read, [0; 6], 20),
            ("getpid", libc::SYS_getpid, [0; 6], 20),
            ("openat", libc::SYS_openat, [0, 0, open, 0o644, 0, 0], 60),
            ("ioctl", libc::SYS_ioctl, [0, libc::TCGETS, 0, 0, 0, 0], 60),
            ("sendto", libc::SYS_sendto, [0; 6], 40),
        ] {
            let n = steps(&p, nr, args);
            assert!(n <= most, "{name}: {n} instructions of {}", p.len());
        }
    }

    #[test]
    fn the_socket_filter_refuses_exactly_the_other_types_and_protocols() {
        let mut ruleset = Ruleset::empty(Abi::LATEST);
        ruleset.socket_filter = Some(SocketFilter::TcpUdpOnly);
        let p = program(&ruleset, None);
        let socket = |family: i32, ty: u64, protocol: i32| {
            run(
                &p,
                NATIVE_OR_ANY,
                libc::SYS_socket,
                [word(family), ty, word(protocol), 0, 0, 0],
            )
        };
        for family in [libc::AF_INET, libc::AF_INET6] {
            for ty in 0..16u64 {
                for flags in [0, 0x800, 0x80000, 0x80800] {
                    let expected = if (3..16).contains(&ty) {
                        errno(libc::EACCES)
                    } else {
                        ALLOW
                    };
                    assert_eq!(
                        socket(family, ty | flags, 0),
                        expected,
                        "type {ty} {flags:#x}"
                    );
                }
            }
            assert_eq!(socket(family, 1, libc::IPPROTO_TCP), ALLOW);
            assert_eq!(socket(family, 2, libc::IPPROTO_UDP), ALLOW);
            assert_eq!(socket(family, 1, 262), errno(libc::EACCES)); // MPTCP
            assert_eq!(socket(family, 1, libc::IPPROTO_SCTP), errno(libc::EACCES));
        }
        assert_eq!(socket(libc::AF_UNIX, 5, 0), ALLOW);
        assert_eq!(socket(libc::AF_NETLINK, 3, libc::NETLINK_ROUTE), ALLOW);
        assert_eq!(socket(libc::AF_NETLINK, 3, 9), errno(libc::EACCES));
        assert_eq!(socket(libc::AF_PACKET, 3, 0), errno(libc::EACCES));
        let pair = |family: i32| {
            run(
                &p,
                NATIVE_OR_ANY,
                libc::SYS_socketpair,
                [word(family), 1, 0, 0, 0, 0],
            )
        };
        assert_eq!(pair(libc::AF_UNIX), ALLOW);
        assert_eq!(pair(libc::AF_INET), errno(libc::EACCES));
    }

    #[test]
    fn no_guard_and_no_socket_filter_is_no_filter() {
        assert!(
            compile(&Ruleset::empty(Abi::LATEST), None, &Handing::nothing())
                .unwrap()
                .is_none()
        );
    }

    const EVERY_CALL: NotifiedCalls = NotifiedCalls {
        sockets: true,
        metadata: true,
        inotify: true,
    };
    const NOTIF: u32 = libc::SECCOMP_RET_USER_NOTIF;

    /// The guard and the supervisor's calls in one program: each call gets
    /// what the two programs stacked would give it (the kernel lets an
    /// error win over a hand-over, and a hand-over over an allow).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn one_program_answers_as_the_guard_and_the_hand_over_stacked() {
        let mut ruleset = guarded(true, SysvIpc::PrivateOrRefused);
        ruleset.socket_filter = Some(SocketFilter::TcpOnly);
        let ipc = shared();
        let guard = program(&ruleset, Some(&ipc));
        let handing = JudgedBy::Supervisor(EVERY_CALL).handing();
        let both = compile(&ruleset, Some(&ipc), &handing)
            .unwrap()
            .expect("a filter");
        let stacked = |nr: i64, args: [u64; 6]| {
            let guarded = run(&guard, NATIVE, nr, args);
            let handed = match handing.calls.get(&nr) {
                Some(Handed::Always) => NOTIF,
                Some(Handed::WithAddress(arg)) if args[*arg as usize] != 0 => NOTIF,
                _ => ALLOW,
            };
            // The kernel's precedence: KILL, TRAP, ERRNO, USER_NOTIF, ..., ALLOW.
            if guarded == ALLOW { handed } else { guarded }
        };
        let setuid = word(libc::S_ISUID | 0o755);
        let creat = word(libc::O_CREAT | libc::O_WRONLY);
        let cases: Vec<(i64, [u64; 6])> = vec![
            // Handed on always, refused under rules, refused always.
            (libc::SYS_connect, [3, 0x1000, 16, 0, 0, 0]),
            (libc::SYS_chmod, [0x1000, 0o644, 0, 0, 0, 0]),
            (libc::SYS_chmod, [0x1000, setuid, 0, 0, 0, 0]),
            (libc::SYS_fchmodat, [0, 0x1000, setuid, 0, 0, 0]),
            (libc::SYS_fchmodat, [0, 0x1000, 0o600, 0, 0, 0]),
            (libc::SYS_fchmod, [3, setuid | (1 << 32), 0, 0, 0, 0]),
            (libc::SYS_utimensat, [0, 0x1000, 0, 0, 0, 0]),
            (libc::SYS_inotify_add_watch, [3, 0x1000, 1, 0, 0, 0]),
            // sendto: with and without an address (either half), with
            // MSG_FASTOPEN (the guard refuses it under port rules).
            (libc::SYS_sendto, [3, 0x1000, 1, 0, 0, 0]),
            (libc::SYS_sendto, [3, 0x1000, 1, 0, 0x2000, 16]),
            (libc::SYS_sendto, [3, 0x1000, 1, 0, 1 << 32, 16]),
            (
                libc::SYS_sendto,
                [3, 0x1000, 1, word(libc::MSG_FASTOPEN), 0, 0],
            ),
            (
                libc::SYS_sendto,
                [3, 0x1000, 1, word(libc::MSG_FASTOPEN), 0x2000, 16],
            ),
            (libc::SYS_sendmsg, [3, 0x1000, 0, 0, 0, 0]),
            (
                libc::SYS_sendmsg,
                [3, 0x1000, word(libc::MSG_FASTOPEN), 0, 0, 0],
            ),
            // Neither: the guard's own and a call nobody names.
            (libc::SYS_ioctl, [0, libc::TIOCSTI, 0, 0, 0, 0]),
            (libc::SYS_openat, [0, 0x1000, creat, setuid, 0, 0]),
            (libc::SYS_socket, [word(libc::AF_INET), 2, 0, 0, 0, 0]),
            (libc::SYS_getpid, [0; 6]),
            (libc::SYS_read, [0; 6]),
        ];
        for (nr, args) in cases {
            assert_eq!(
                run(&both, NATIVE, nr, args),
                stacked(nr, args),
                "call {nr} {args:x?}"
            );
        }
        // Every other number below the last one the kernel has: as stacked.
        for nr in 0..470 {
            assert_eq!(
                run(&both, NATIVE, nr, [0; 6]),
                stacked(nr, [0; 6]),
                "call {nr}"
            );
        }
        assert_eq!(
            run(&both, NATIVE, libc::SYS_chmod | 0x4000_0000, [0; 6]),
            errno(libc::EACCES)
        );
        assert_eq!(run(&both, 0x4000_0003, libc::SYS_chmod, [0; 6]), KILL);
        // One filter is shorter than two: the second header and its
        // allow are gone.
        assert!(both.len() > guard.len());
    }

    /// Without a guard, the hand-over alone; refused instead of handed on
    /// when nobody judges.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_hand_over_alone_and_the_refusal_for_nobody() {
        let bare = Ruleset::empty(Abi::LATEST);
        let handed = compile(&bare, None, &JudgedBy::Supervisor(EVERY_CALL).handing())
            .unwrap()
            .expect("a filter");
        let refused = compile(&bare, None, &JudgedBy::Nobody(EVERY_CALL).handing())
            .unwrap()
            .expect("a filter");
        let eperm = errno(libc::EPERM);
        for (nr, handed_as, refused_as) in [
            (libc::SYS_chmod, NOTIF, eperm),
            (libc::SYS_bind, NOTIF, eperm),
            (libc::SYS_inotify_add_watch, NOTIF, eperm),
            (libc::SYS_getpid, ALLOW, ALLOW),
            (libc::SYS_openat, ALLOW, ALLOW),
        ] {
            assert_eq!(run(&handed, NATIVE, nr, [0; 6]), handed_as, "call {nr}");
            assert_eq!(run(&refused, NATIVE, nr, [0; 6]), refused_as, "call {nr}");
        }
        let sendto =
            |p: &[sock_filter], addr: u64| run(p, NATIVE, libc::SYS_sendto, [3, 0, 0, 0, addr, 16]);
        assert_eq!(sendto(&handed, 0), ALLOW);
        assert_eq!(sendto(&handed, 0x1000), NOTIF);
        assert_eq!(sendto(&refused, 0x1000), eperm);
        let only_inotify = NotifiedCalls {
            inotify: true,
            ..NotifiedCalls::default()
        };
        let p = compile(&bare, None, &JudgedBy::Supervisor(only_inotify).handing())
            .unwrap()
            .expect("a filter");
        assert_eq!(run(&p, NATIVE, libc::SYS_chmod, [0; 6]), ALLOW);
        assert_eq!(run(&p, NATIVE, libc::SYS_inotify_add_watch, [0; 6]), NOTIF);
        assert!(
            compile(
                &bare,
                None,
                &JudgedBy::Supervisor(NotifiedCalls::default()).handing()
            )
            .unwrap()
            .is_none()
        );
    }
}
