//! Other processes (ptrace, memory, descriptors, signals, abstract
//! sockets), and the network under `--net-block`.

use super::*;

#[rustfmt::skip]
pub(super) fn process_cases() -> Vec<Case> {
    vec![
        // Landlock forbids ptrace-like access to a process outside the
        // sandbox's domain (EPERM), even for root keeping CAP_SYS_PTRACE;
        // its own children are fine.
        case("ptrace(ATTACH) a process outside", STD, Py("ptrace-attach", &["{SLEEPER}"]), ErrnoAt("EPERM", "PTRACE_ATTACH"), Twin::Cmd(Py("ptrace-attach", &["child"]), OK)),
        case("ptrace(ATTACH) a process outside, keeping root's capabilities", STD_KEEP, Py("ptrace-attach", &["{SLEEPER}"]), ErrnoAt("EPERM", "PTRACE_ATTACH"), Twin::Cmd(Py("ptrace-attach", &["child"]), OK)),
        case("process_vm_readv a process outside, keeping root's capabilities", STD_KEEP, Py("vm-read", &["{SLEEPER}"]), ErrnoAt("EPERM", "process_vm_readv"), Twin::Cmd(Py("vm-read", &["child"]), Exit(0, "DATA vm-data"))),
        case("pidfd_getfd a process outside, keeping root's capabilities", STD_KEEP, Py("pidfd-getfd", &["{SLEEPER}", "0"]), ErrnoAt("EPERM", "pidfd_getfd"), Twin::Cmd(Py("pidfd-getfd", &["child", "0"]), OK)),
        case("kill(2) a process outside, keeping root's capabilities", STD_KEEP, Py("kill", &["{SLEEPER}"]), ErrnoAt("EPERM", "kill"), Twin::Cmd(Py("kill", &["child"]), OK)).needs(6),
        case("ptrace(SEIZE) the parent", STD, Py("ptrace-seize", &["ppid"]), ErrnoAt("EPERM", "PTRACE_SEIZE"), Twin::Cmd(Py("ptrace-seize", &["child"]), OK)),
        case("process_vm_readv a process outside", STD, Py("vm-read", &["{SLEEPER}"]), ErrnoAt("EPERM", "process_vm_readv"), Twin::Cmd(Py("vm-read", &["child"]), Exit(0, "DATA vm-data"))),
        case("pidfd_getfd the secret fd of a process outside", STD, Py("pidfd-getfd", &["{SLEEPER}", "0"]), ErrnoAt("EPERM", "pidfd_getfd"), Twin::Cmd(Py("pidfd-getfd", &["child", "0"]), OK)),
        // Scoped signals (ABI 6, on by default): EPERM outside.
        case("kill(2) a process outside", STD, Py("kill", &["{SLEEPER}"]), ErrnoAt("EPERM", "kill"), Twin::Flags(STD_SIGNALS, OK)).needs(6),
        case("kill(2) the parent", STD, Py("kill", &["ppid"]), ErrnoAt("EPERM", "kill"), Twin::Cmd(Py("kill", &["child"]), OK)).needs(6),
        case("pidfd_send_signal to a process outside", STD, Py("pidfd-signal", &["{SLEEPER}"]), ErrnoAt("EPERM", "pidfd_send_signal"), Twin::Flags(STD_SIGNALS, OK)).needs(6),
        case("shell kill -0 a process outside", STD, Sh("kill -0 {SLEEPER}"), Exit(1, "Operation not permitted"), Twin::Flags(STD_SIGNALS, OK)).needs(6),
        // Scoped abstract Unix sockets (ABI 6): EPERM for sockets bound
        // outside.
        case("connect to an abstract socket outside", STD, Py("abstract-connect", &["{ABS}"]), ErrnoAt("EPERM", "connect"), Twin::Flags(STD_ABSTRACT, OK)).needs(6),
        case("sendto an abstract datagram socket outside", STD, Py("abstract-sendto", &["{ABSDG}"]), ErrnoAt("EPERM", "sendto"), Twin::Flags(STD_ABSTRACT, OK)).needs(6),
    ]
}

#[test]
fn process_escapes_are_denied() {
    run_table(&process_cases(), "processes");
}

// ---------------------------------------------------------------------------
// The network under --net-block.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
pub(super) fn network_cases() -> Vec<Case> {
    // The seccomp filter refuses every socket but AF_UNIX, and io_uring:
    // EACCES. Each twin is the same without --net-block (keeping root's
    // capabilities where the socket needs CAP_NET_RAW).
    vec![
        case("TCP socket", BLOCK, Py("socket", &["AF_INET", "SOCK_STREAM", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("TCP connect to a listener outside", BLOCK, Py("connect", &["{PORT}"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("TCP over IPv6", BLOCK, Py("socket", &["AF_INET6", "SOCK_STREAM", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("UDP socket", BLOCK, Py("socket", &["AF_INET", "SOCK_DGRAM", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        // Raw and packet sockets need CAP_NET_RAW, which nono drops, but the
        // filter refuses them first (EACCES), and also when root keeps its
        // capabilities. The twins keep them: without --net-block they work.
        case("raw ICMP socket", BLOCK, Py("socket", &["AF_INET", "SOCK_RAW", "1"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("raw ICMP socket, keeping root's capabilities", BLOCK_KEEP, Py("socket", &["AF_INET", "SOCK_RAW", "1"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("packet socket", BLOCK, Py("socket", &["AF_PACKET", "SOCK_RAW", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("packet socket, keeping root's capabilities", BLOCK_KEEP, Py("socket", &["AF_PACKET", "SOCK_RAW", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("MPTCP socket", BLOCK, Py("socket", &["AF_INET", "SOCK_STREAM", "262"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("netlink route socket", BLOCK, Py("socket", &["AF_NETLINK", "SOCK_RAW", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        // Refused without --net-block too, by the syscall guard.
        case("io_uring_setup", BLOCK, Py("io-uring", &[]), ErrnoAt("EACCES", "io_uring_setup"), Twin::Unsandboxed(Py("io-uring", &[]), OK)),
    ]
}

#[test]
fn network_escapes_are_denied_under_net_block() {
    run_table(&network_cases(), "network");
}
