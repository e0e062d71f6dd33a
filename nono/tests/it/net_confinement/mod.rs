//! Network and IPC confinement, against real peers on this machine.
//!
//! Every case talks to a peer the test itself owns, outside the sandbox: a
//! `TcpListener` or `UdpSocket` on 127.0.0.1 (port 0, so an ephemeral port),
//! an abstract Unix socket with a name unique to the test, or a `sleep`
//! process. Inside the sandbox the probe (`tests/fixtures/probe.py`) does one
//! thing and prints `OK` or the errno's name (and, on stderr, the step that
//! failed). A connection counts only if the peer really received the probe's
//! token; a denial counts only if the peer received nothing. Each denial has
//! its allowed twin: the same probe, against the same kind of peer, with the
//! flag that denies it left out.
//!
//! - `--net-block`: no TCP (connect or bind), no UDP, no raw socket, no
//!   io_uring, all EACCES; AF_UNIX socketpairs and pathname sockets still work.
//! - `--net-connect P` / `--net-bind P`: only the listed TCP ports (comma lists
//!   and repeats); UDP still works; raw, packet, MPTCP and non-route netlink
//!   sockets and io_uring are refused with EACCES.
//! - Bad ports and conflicting flags are one-line usage errors (exit 125).
//! - `--abi 3`: a block is enforced by seccomp alone (no `net_tcp` gap), port
//!   rules are a `net_tcp` gap that `--strict` refuses.
//! - Scoping (ABI 6, on by default): no signal to a process outside the
//!   sandbox, no connection to an abstract Unix socket bound outside it;
//!   `--allow-signals` and `--allow-abstract-unix` opt out; not at `--abi 5`.
//! - `--log-denials` (ABI 7) sets `log_new_exec`, a note below.
//!
//! On a kernel of a lower ABI (the kernel matrix, tests/kernel-matrix, boots
//! ABI 2 and 6) each test expects what that kernel gives: where the kernel
//! lacks what refuses an access (port rules below ABI 4, scoping below 6),
//! the access goes through and nono names the gap; `--abi N` lowers as
//! `--abi min(N, the kernel's)`.

mod below_abi_4;
mod block;
mod log_denials;
mod ports;
mod scoping;

use crate::common::{Outcome, Scratch, abi_has, effective_abi, gaps_at, probe, run_args};
use std::io::{ErrorKind, Read};
use std::net::{TcpListener, UdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::process::{Child, Command};
use std::time::Duration;

/// Runs the probe `OP ARGS...` under `nono run FLAGS...`.
fn probe_under(s: &Scratch, flags: &[&str], op: &str, args: &[&str]) -> Outcome {
    s.run(run_args(flags, probe(op, args)))
}

/// What the kernel gives a probe that Landlock ABI `abi` refuses (port
/// rules need 4, scoping 6).
trait ProbeOutcome {
    /// On a kernel with ABI `abi`, the probe failed with `errno` at `step`;
    /// on one below, the kernel let it through and nono's warning named the
    /// gap `gap`. Whether it was refused.
    fn denied_from(&self, abi: u8, gap: &str, errno: &str, step: &str) -> bool;
}

impl ProbeOutcome for Outcome {
    #[track_caller]
    fn denied_from(&self, abi: u8, gap: &str, errno: &str, step: &str) -> bool {
        if abi_has(abi) {
            self.expect_errno_at(errno, step);
        } else {
            self.expect_probe_ok().expect_stderr(gap);
        }
        abi_has(abi)
    }
}

/// What a peer should have received from a probe sending `tok`: nothing if
/// the probe was refused.
fn reached(refused: bool, tok: &str) -> Option<String> {
    (!refused).then(|| tok.to_owned())
}

/// "FullyEnforced" without gaps, else "PartiallyEnforced".
fn status(gaps: &[&str]) -> &'static str {
    if gaps.is_empty() {
        "FullyEnforced"
    } else {
        "PartiallyEnforced"
    }
}

/// A token unique to this test process and `tag`.
fn token(tag: &str) -> String {
    format!("nono-net-{}-{tag}", std::process::id())
}

// ---------------------------------------------------------------------------
// Peers outside the sandbox.
// ---------------------------------------------------------------------------

/// How long a peer waits for what a probe sent. The probe has already
/// exited when a peer looks, and loopback delivers at once, so this only
/// bounds a wait that should not happen.
const WAIT: Duration = Duration::from_millis(300);

/// Reads what one accepted connection sent, until the peer closes it.
fn read_all(mut stream: impl Read) -> String {
    let mut got = String::new();
    stream
        .read_to_string(&mut got)
        .expect("read the connection");
    got
}

/// A TCP listener on 127.0.0.1, on an ephemeral port.
struct TcpPeer(TcpListener);

impl TcpPeer {
    fn new() -> TcpPeer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a TCP listener");
        listener.set_nonblocking(true).unwrap();
        TcpPeer(listener)
    }

    fn port(&self) -> String {
        self.0.local_addr().unwrap().port().to_string()
    }

    /// What the first queued connection sent, or `None` if nobody connected.
    fn received(&self) -> Option<String> {
        match self.0.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(WAIT * 10)).unwrap();
                Some(read_all(stream))
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// A UDP socket on 127.0.0.1, on an ephemeral port.
struct UdpPeer(UdpSocket);

impl UdpPeer {
    fn new() -> UdpPeer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
        socket.set_read_timeout(Some(WAIT)).unwrap();
        UdpPeer(socket)
    }

    fn port(&self) -> String {
        self.0.local_addr().unwrap().port().to_string()
    }

    /// The next datagram, or `None` if none came. (A wait interrupted by a
    /// signal, or by this process being stopped and continued, is waited
    /// again.)
    fn received(&self) -> Option<String> {
        let mut buf = [0u8; 512];
        loop {
            match self.0.recv_from(&mut buf) {
                Ok((n, _)) => return Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return None;
                }
                Err(e) => panic!("recv_from: {e}"),
            }
        }
    }
}

/// A listening abstract Unix socket with a name unique to the test.
struct AbstractPeer {
    name: String,
    listener: UnixListener,
}

impl AbstractPeer {
    fn new(tag: &str) -> AbstractPeer {
        let name = format!("nono-test-{}-{tag}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixListener::bind_addr(&addr).expect("bind an abstract socket");
        listener.set_nonblocking(true).unwrap();
        AbstractPeer { name, listener }
    }

    /// What the first queued connection sent, or `None`.
    fn received(&self) -> Option<String> {
        match self.listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(WAIT * 10)).unwrap();
                Some(read_all(stream))
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// Ports that were free a moment ago (each bound, then released).
fn free_ports<const N: usize>() -> [String; N] {
    let held: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| held[i].local_addr().unwrap().port().to_string())
}

/// A `sleep 30` started by the test, outside every sandbox; killed on drop.
struct Outsider(Child);

impl Outsider {
    fn new() -> Outsider {
        Outsider(
            Command::new("sleep")
                .arg("30")
                .spawn()
                .expect("spawn sleep"),
        )
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }

    fn alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for Outsider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether this test process may open raw sockets (CAP_NET_RAW, bit 13 of
/// the effective set).
fn has_cap_net_raw() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap()
        .trim();
    u64::from_str_radix(hex, 16).unwrap() & (1 << 13) != 0
}
