//! Network and IPC confinement, against real peers on this machine.
//!
//! Every case talks to a peer the test itself owns, outside the sandbox: a
//! `TcpListener` or `UdpSocket` on 127.0.0.1 (port 0, so an ephemeral port),
//! an abstract Unix socket with a name unique to the test, or a `sleep`
//! process. Inside the sandbox a small Python probe ([`NET_PROBE`]) does one
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
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Outcome, PYTHON, Scratch, assert_absent, run_args};

/// The Landlock ABI nono uses on this kernel.
fn effective_abi() -> u64 {
    common::kernel_landlock_abi().min(u64::from(nono_model::Abi::LATEST.0))
}
use serde_json::{Value, json};
use std::io::{ErrorKind, Read};
use std::net::{TcpListener, UdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::process::{Child, Command};
use std::time::Duration;

// ---------------------------------------------------------------------------
// The probe.
// ---------------------------------------------------------------------------

/// `OP ARGS...`: one network operation; prints `OK` (exit 0) or the errno's
/// name (exit 1, with `failed at STEP` on stderr). Ops:
///
/// - `tcp-connect PORT TOKEN`: connect to 127.0.0.1:PORT and send TOKEN;
/// - `tcp-bind PORT`: bind 127.0.0.1:PORT and listen;
/// - `udp-send PORT TOKEN`: a DNS-style datagram: TOKEN to 127.0.0.1:PORT;
/// - `socket FAMILY TYPE PROTO`: create (and close) a socket; each argument
///   a number or a name of Python's `socket` module;
/// - `socketpair`: an AF_UNIX socketpair, with a message through it;
/// - `unix-path PATH`: a pathname Unix socket server at PATH, a client
///   connected to it, a message through;
/// - `abstract-connect NAME TOKEN`: connect to the abstract socket NAME and
///   send TOKEN;
/// - `abstract-self NAME`: bind the abstract socket NAME, connect to it, a
///   message through;
/// - `io-uring`: `io_uring_setup(4, &params)` (syscall 425 on every
///   architecture), the fd closed again.
const NET_PROBE: &str = r#"
import ctypes, errno, os, socket, sys
op, args = sys.argv[1], sys.argv[2:]
step = op

def num(x):
    return int(x) if x.isdigit() else getattr(socket, x)

def echo(server, client):
    global step
    step = "send"
    client.sendall(b"ping")
    step = "accept"
    conn, _ = server.accept()
    step = "recv"
    if conn.recv(4) != b"ping":
        sys.exit("the message was lost")

try:
    if op == "tcp-connect":
        step = "socket"
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        step = "connect"
        s.connect(("127.0.0.1", int(args[0])))
        step = "send"
        s.sendall(args[1].encode())
        s.close()
    elif op == "tcp-bind":
        step = "socket"
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        step = "bind"
        s.bind(("127.0.0.1", int(args[0])))
        step = "listen"
        s.listen(1)
    elif op == "udp-send":
        step = "socket"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        step = "sendto"
        s.sendto(args[1].encode(), ("127.0.0.1", int(args[0])))
    elif op == "socket":
        step = "socket"
        socket.socket(num(args[0]), num(args[1]), num(args[2])).close()
    elif op == "socketpair":
        step = "socketpair"
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        step = "send"
        a.sendall(b"ping")
        if b.recv(4) != b"ping":
            sys.exit("the message was lost")
    elif op in ("unix-path", "abstract-self"):
        addr = args[0] if op == "unix-path" else "\0" + args[0]
        step = "socket"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        step = "bind"
        server.bind(addr)
        server.listen(1)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        step = "connect"
        client.connect(addr)
        echo(server, client)
    elif op == "abstract-connect":
        step = "socket"
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        step = "connect"
        c.connect("\0" + args[0])
        step = "send"
        c.sendall(args[1].encode())
        c.close()
    elif op == "io-uring":
        libc = ctypes.CDLL(None, use_errno=True)
        params = (ctypes.c_ubyte * 120)()  # struct io_uring_params
        step = "io_uring_setup"
        fd = libc.syscall(425, ctypes.c_uint(4), ctypes.byref(params))
        if fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
        os.close(fd)
    else:
        sys.exit("unknown probe op " + op)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    print("failed at " + step, file=sys.stderr)
    sys.exit(1)
"#;

/// The argv of a [`NET_PROBE`] run.
fn net_probe(op: &str, args: &[&str]) -> Vec<String> {
    let mut argv = vec![PYTHON.to_owned(), "-c".to_owned(), NET_PROBE.to_owned()];
    argv.push(op.to_owned());
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    argv
}

/// Runs the probe `OP ARGS...` under `nono run FLAGS...`.
fn probe_under(s: &Scratch, flags: &[&str], op: &str, args: &[&str]) -> Outcome {
    s.run(run_args(flags, net_probe(op, args)))
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

    /// The next datagram, or `None` if none came.
    fn received(&self) -> Option<String> {
        let mut buf = [0u8; 512];
        match self.0.recv_from(&mut buf) {
            Ok((n, _)) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
            Err(e) => panic!("recv_from: {e}"),
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

// ---------------------------------------------------------------------------
// Assertions.
// ---------------------------------------------------------------------------

/// Extra assertions on a probe run.
trait ProbeOutcome {
    /// The probe failed with `errno` at `step`.
    fn denied(&self, errno: &str, step: &str) -> &Self;
}

impl ProbeOutcome for Outcome {
    #[track_caller]
    fn denied(&self, errno: &str, step: &str) -> &Self {
        self.expect_errno(errno)
            .expect_stderr(&format!("failed at {step}"));
        self
    }
}

/// `nono run --dry-run --json FLAGS... -- true`, parsed.
fn dry_json(s: &Scratch, flags: &[&str]) -> Value {
    let mut argv = vec!["run", "--dry-run", "--json"];
    argv.extend_from_slice(flags);
    argv.extend(["--", "true"]);
    s.run(argv).expect_ok().json()
}

/// `nono run --dry-run FLAGS... -- true`: the text report.
fn dry_text(s: &Scratch, flags: &[&str]) -> String {
    let mut argv = vec!["run", "--dry-run"];
    argv.extend_from_slice(flags);
    argv.extend(["--", "true"]);
    s.run(argv).expect_ok().stdout.clone()
}

fn gap_features(json: &Value) -> Vec<String> {
    json["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["feature"].as_str().unwrap().to_owned())
        .collect()
}

fn notes(json: &Value) -> Vec<String> {
    json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
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

// ---------------------------------------------------------------------------
// --net-block.
// ---------------------------------------------------------------------------

#[test]
fn net_block_refuses_tcp_connect_and_the_same_connect_works_without_it() {
    let s = Scratch::new();
    let peer = TcpPeer::new();
    let port = peer.port();

    let tok = token("tcp-blocked");
    probe_under(&s, &["--net-block"], "tcp-connect", &[&port, &tok]).denied("EACCES", "socket");
    assert_eq!(
        peer.received(),
        None,
        "a blocked probe reached the listener"
    );

    // Twin: the same connect, without --net-block, reaches the listener.
    let tok = token("tcp-open");
    probe_under(&s, &[], "tcp-connect", &[&port, &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn net_block_refuses_tcp_bind() {
    let s = Scratch::new();
    let [port] = free_ports();
    probe_under(&s, &["--net-block"], "tcp-bind", &[&port]).denied("EACCES", "socket");
    probe_under(&s, &[], "tcp-bind", &[&port]).expect_probe_ok();
}

#[test]
fn net_block_refuses_udp_so_a_dns_style_datagram_never_arrives() {
    let s = Scratch::new();
    let peer = UdpPeer::new();
    let port = peer.port();

    probe_under(
        &s,
        &["--net-block"],
        "socket",
        &["AF_INET", "SOCK_DGRAM", "0"],
    )
    .denied("EACCES", "socket");
    probe_under(
        &s,
        &["--net-block"],
        "socket",
        &["AF_INET6", "SOCK_DGRAM", "0"],
    )
    .denied("EACCES", "socket");
    let tok = token("udp-blocked");
    probe_under(&s, &["--net-block"], "udp-send", &[&port, &tok]).denied("EACCES", "socket");
    assert_eq!(peer.received(), None, "a blocked datagram arrived");

    // Twin: without --net-block the datagram arrives.
    let tok = token("udp-open");
    probe_under(&s, &[], "udp-send", &[&port, &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn net_block_refuses_raw_packet_and_netlink_sockets() {
    let s = Scratch::new();
    let kinds: [[&str; 3]; 4] = [
        ["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"],
        ["AF_PACKET", "SOCK_RAW", "0"],
        ["AF_NETLINK", "SOCK_RAW", "0"],
        ["AF_INET", "SOCK_STREAM", "262"], // MPTCP
    ];
    for kind in kinds {
        probe_under(&s, &["--net-block"], "socket", &kind).denied("EACCES", "socket");
    }
    // Twin: the test runs as root (CAP_NET_RAW), and without --net-block,
    // keeping root's capabilities, the probe can create every one of them.
    assert!(has_cap_net_raw(), "this test needs CAP_NET_RAW (root)");
    for kind in kinds {
        probe_under(&s, &["--keep-caps"], "socket", &kind).expect_probe_ok();
    }
}

#[test]
fn net_block_keeps_unix_sockets_working() {
    let s = Scratch::new();
    s.mkdir("rw");
    probe_under(&s, &["--net-block"], "socketpair", &[]).expect_probe_ok();
    probe_under(
        &s,
        &["--net-block", "--allow", "rw"],
        "unix-path",
        &["rw/sock"],
    )
    .expect_probe_ok();
    probe_under(
        &s,
        &["--net-block"],
        "socket",
        &["AF_UNIX", "SOCK_DGRAM", "0"],
    )
    .expect_probe_ok();
    // The pathname socket still needs its filesystem grant (MakeSock):
    // the network flags add nothing to the filesystem.
    s.mkdir("ro");
    probe_under(
        &s,
        &["--net-block", "--read", "ro"],
        "unix-path",
        &["ro/sock"],
    )
    .denied("EACCES", "bind");
    assert_absent(&s.join("ro/sock"));
}

#[test]
fn net_block_is_fully_enforced_at_the_kernel_abi() {
    let s = Scratch::new();
    let json = dry_json(&s, &["--net-block"]);
    assert_eq!(json["predicted_status"], "FullyEnforced", "{json:#}");
    assert_eq!(gap_features(&json), Vec::<String>::new());
    // TCP from ABI 4, UDP too from ABI 10, no port granted.
    let handled = if effective_abi() >= 10 {
        json!(["bind_tcp", "connect_tcp", "bind_udp", "connect_send_udp"])
    } else {
        json!(["bind_tcp", "connect_tcp"])
    };
    assert_eq!(json["ruleset"]["handled_net"], handled);
    assert_eq!(json["ruleset"]["port_rules"], json!([]));
    assert_eq!(json["ruleset"]["socket_filter"], "unix_only");
    let network = json["network"].as_str().unwrap();
    assert!(
        network.contains("Landlock") && network.contains("seccomp"),
        "{network}"
    );
    // So --strict runs it.
    s.run(run_args(
        ["--strict", "-v", "--net-block", "--allow", "."],
        ["touch", "MARKER"],
    ))
    .expect_ok()
    .expect_stderr("Sandbox status: FullyEnforced")
    .expect_no_stderr("warning");
    assert!(s.join("MARKER").exists());
}

// ---------------------------------------------------------------------------
// --net-connect / --net-bind.
// ---------------------------------------------------------------------------

#[test]
fn net_connect_allows_only_the_listed_port() {
    let s = Scratch::new();
    let allowed = TcpPeer::new();
    let other = TcpPeer::new();
    let (p, q) = (allowed.port(), other.port());
    let flags = ["--net-connect", p.as_str()];

    let tok = token("connect-allowed");
    let out = probe_under(&s, &flags, "tcp-connect", &[&p, &tok]);
    out.expect_probe_ok();
    // Below ABI 10 UDP is not filtered by port: the gap is named.
    assert_eq!(
        out.stderr.contains("net_udp"),
        effective_abi() < 10,
        "{out:#?}"
    );
    assert_eq!(allowed.received().as_deref(), Some(tok.as_str()));

    // Landlock refuses the connect itself: the socket is created.
    let tok = token("connect-other");
    probe_under(&s, &flags, "tcp-connect", &[&q, &tok]).denied("EACCES", "connect");
    assert_eq!(other.received(), None, "the unlisted port was reached");
    // Twin: the unlisted listener is reachable without the flag.
    probe_under(&s, &[], "tcp-connect", &[&q, &tok]).expect_probe_ok();
    assert_eq!(other.received().as_deref(), Some(tok.as_str()));

    // Connecting is all --net-connect grants: binding any port is refused.
    let [free] = free_ports();
    probe_under(&s, &flags, "tcp-bind", &[&free]).denied("EACCES", "bind");
    probe_under(&s, &flags, "tcp-bind", &[&p]).denied("EACCES", "bind");
}

#[test]
fn net_connect_takes_comma_lists_and_repeats() {
    let s = Scratch::new();
    let peers = [TcpPeer::new(), TcpPeer::new(), TcpPeer::new()];
    let [a, b, c] = [peers[0].port(), peers[1].port(), peers[2].port()];
    let outside = TcpPeer::new();
    let comma = format!("{a},{b}");
    let flags = ["--net-connect", comma.as_str(), "--net-connect", c.as_str()];
    for (peer, port) in peers.iter().zip([&a, &b, &c]) {
        let tok = token(&format!("list-{port}"));
        probe_under(&s, &flags, "tcp-connect", &[port, &tok]).expect_probe_ok();
        assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
    }
    let tok = token("list-outside");
    probe_under(&s, &flags, "tcp-connect", &[&outside.port(), &tok]).denied("EACCES", "connect");
    assert_eq!(outside.received(), None);

    // The dry run lists one rule per port, sorted, and says how each part
    // is enforced.
    let text = dry_text(&s, &flags);
    let mut sorted = [&a, &b, &c].map(|p| p.parse::<u16>().unwrap());
    sorted.sort_unstable();
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("tcp port "))
        .collect();
    let want: Vec<String> = sorted.iter().map(|p| format!("{p}: connect_tcp")).collect();
    assert_eq!(lines, want, "{text}");
    if effective_abi() < 10 {
        assert!(text.contains("Network: TCP only on ports ["), "{text}");
        assert!(text.contains("UDP unfiltered"), "{text}");
        assert!(text.contains("gap: net_udp: needs ABI 10"), "{text}");
    } else {
        assert!(
            text.contains("Network: TCP and UDP only on ports ["),
            "{text}"
        );
        assert!(!text.contains("gap: net_udp"), "{text}");
    }
}

/// Under TCP port rules, UDP sockets can still be created (Landlock judges
/// ports, not sockets); below ABI 10 a datagram reaches any port, from ABI
/// 10 only a `udp:` port (see the next test).
#[test]
fn net_connect_keeps_udp_usable() {
    let s = Scratch::new();
    let tcp = TcpPeer::new();
    let udp = UdpPeer::new();
    let port = tcp.port();
    let flags = ["--net-connect", port.as_str()];
    let tok = token("udp-ports");
    let out = probe_under(&s, &flags, "udp-send", &[&udp.port(), &tok]);
    if effective_abi() < 10 {
        out.expect_probe_ok();
        assert_eq!(udp.received().as_deref(), Some(tok.as_str()));
    } else {
        out.denied("EACCES", "sendto");
        assert_eq!(udp.received(), None);
    }
    probe_under(
        &s,
        &flags,
        "socket",
        &["AF_INET6", "SOCK_DGRAM", "IPPROTO_UDP"],
    )
    .expect_probe_ok();
    // Route netlink stays (getaddrinfo asks it for addresses).
    probe_under(&s, &flags, "socket", &["AF_NETLINK", "SOCK_RAW", "0"]).expect_probe_ok();
}

/// `--net-connect udp:P`: from ABI 10 the kernel lets a datagram go to P and
/// refuses it to any other port at `sendto` (twin: the same send without a
/// flag arrives), and port rules are FullyEnforced; below ABI 10 the datagram
/// to the other port still arrives, and `net_udp` is named as the gap, so
/// that nothing claims what the kernel does not do.
#[test]
fn net_connect_udp_port_allows_only_that_udp_port_at_abi_10() {
    let s = Scratch::new();
    let listed = UdpPeer::new();
    let other = UdpPeer::new();
    let (p, q) = (listed.port(), other.port());
    let udp_p = format!("udp:{p}");
    let flags = ["-v", "--net-connect", udp_p.as_str()];

    let tok = token("udp-listed");
    let out = probe_under(&s, &flags, "udp-send", &[&p, &tok]);
    out.expect_probe_ok();
    assert_eq!(listed.received().as_deref(), Some(tok.as_str()));

    let tok = token("udp-other");
    let to_other = probe_under(&s, &flags, "udp-send", &[&q, &tok]);
    if effective_abi() >= 10 {
        to_other.denied("EACCES", "sendto");
        assert_eq!(other.received(), None, "the unlisted UDP port was reached");
        assert!(
            out.stderr.contains("Sandbox status: FullyEnforced"),
            "{out:#?}"
        );
        assert!(!out.stderr.contains("net_udp"), "{out:#?}");
    } else {
        to_other.expect_probe_ok();
        assert_eq!(other.received().as_deref(), Some(tok.as_str()));
        assert!(out.stderr.contains("net_udp"), "{out:#?}");
    }
    // Twin: the unlisted port is reachable without the flag.
    let tok = token("udp-other-free");
    probe_under(&s, &[], "udp-send", &[&q, &tok]).expect_probe_ok();
    assert_eq!(other.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn net_connect_refuses_raw_packet_mptcp_and_other_netlink_sockets() {
    let s = Scratch::new();
    let flags = ["--net-connect", "443"];
    let kinds: [[&str; 3]; 6] = [
        ["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"],
        ["AF_INET6", "SOCK_RAW", "IPPROTO_ICMPV6"],
        ["AF_PACKET", "SOCK_RAW", "0"],
        ["AF_INET", "SOCK_STREAM", "262"],  // MPTCP
        ["AF_INET6", "SOCK_STREAM", "262"], // MPTCP
        ["AF_NETLINK", "SOCK_DGRAM", "15"], // NETLINK_KOBJECT_UEVENT
    ];
    for kind in kinds {
        probe_under(&s, &flags, "socket", &kind).denied("EACCES", "socket");
    }
    // SCTP is refused by the filter before the kernel looks for the
    // protocol (this kernel has no SCTP: EPROTONOSUPPORT without a filter).
    probe_under(&s, &flags, "socket", &["AF_INET", "SOCK_STREAM", "132"])
        .denied("EACCES", "socket");
    let unfiltered = probe_under(&s, &[], "socket", &["AF_INET", "SOCK_STREAM", "132"]);
    assert_ne!(unfiltered.stdout.trim(), "EACCES", "{unfiltered:#?}");

    // Twin: as root, keeping capabilities, every one of them can be
    // created without the flag.
    assert!(has_cap_net_raw(), "this test needs CAP_NET_RAW (root)");
    for kind in kinds {
        probe_under(&s, &["--keep-caps"], "socket", &kind).expect_probe_ok();
    }
}

#[test]
fn net_bind_allows_only_the_listed_port() {
    let s = Scratch::new();
    let [p, q] = free_ports();
    let flags = ["--net-bind", p.as_str()];
    probe_under(&s, &flags, "tcp-bind", &[&p]).expect_probe_ok();
    probe_under(&s, &flags, "tcp-bind", &[&q]).denied("EACCES", "bind");
    // Twin: q binds without the flag.
    probe_under(&s, &[], "tcp-bind", &[&q]).expect_probe_ok();
    // An ephemeral port (bind to port 0) is a port like any other: refused
    // unless `--net-bind 0` is given, which in turn grants no fixed port.
    probe_under(&s, &flags, "tcp-bind", &["0"]).denied("EACCES", "bind");
    probe_under(&s, &["--net-bind", "0"], "tcp-bind", &["0"]).expect_probe_ok();
    probe_under(&s, &["--net-bind", "0"], "tcp-bind", &[&q]).denied("EACCES", "bind");

    // Binding is all --net-bind grants: no outbound TCP, even to p.
    let peer = TcpPeer::new();
    let tok = token("bind-only-connect");
    probe_under(&s, &flags, "tcp-connect", &[&peer.port(), &tok]).denied("EACCES", "connect");
    assert_eq!(peer.received(), None);

    // Both flags together: each grants its own.
    let peer_port = peer.port();
    let both = [
        "--net-bind",
        p.as_str(),
        "--net-connect",
        peer_port.as_str(),
    ];
    probe_under(&s, &both, "tcp-bind", &[&p]).expect_probe_ok();
    probe_under(&s, &both, "tcp-connect", &[&peer.port(), &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn bad_ports_and_conflicting_flags_are_one_line_usage_errors() {
    let s = Scratch::new();
    for (flag, value) in [
        ("--net-connect", "0"),
        ("--net-connect", "70000"),
        ("--net-connect", "abc"),
        ("--net-connect", ""),
        ("--net-connect", "80,"),
        ("--net-connect", "-1"),
        ("--net-bind", "70000"),
        ("--net-bind", "abc"),
        ("--net-bind", ""),
    ] {
        let arg = format!("{flag}={value}");
        let out = s.run(run_args(
            [arg.as_str(), "--allow", "."],
            ["touch", "MARKER"],
        ));
        out.expect_nono_error(flag);
        assert_absent(&s.join("MARKER"));
    }
    for flags in [
        ["--net-block", "--net-connect", "1"],
        ["--net-bind", "1", "--net-block"],
    ] {
        let mut all = flags.to_vec();
        all.extend(["--allow", "."]);
        let out = s.run(run_args(all, ["touch", "MARKER"]));
        out.expect_nono_error("--net-block");
        assert_absent(&s.join("MARKER"));
    }
    // Twin: good values run.
    s.run(run_args(
        [
            "--net-connect",
            "1,65535",
            "--net-bind",
            "0",
            "--allow",
            ".",
        ],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert!(s.join("MARKER").exists());
}

// ---------------------------------------------------------------------------
// Below ABI 4.
// ---------------------------------------------------------------------------

#[test]
fn abi_3_net_block_is_enforced_by_seccomp_alone() {
    let s = Scratch::new();
    let peer = TcpPeer::new();
    let port = peer.port();
    let flags = ["--abi", "3", "--net-block"];

    let tok = token("abi3-block");
    probe_under(&s, &flags, "tcp-connect", &[&port, &tok]).denied("EACCES", "socket");
    assert_eq!(peer.received(), None);
    // Twin at the same ABI without the flag.
    probe_under(&s, &["--abi", "3"], "tcp-connect", &[&port, &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));

    let json = dry_json(&s, &flags);
    assert_eq!(json["ruleset"]["handled_net"], json!([]));
    assert_eq!(json["ruleset"]["socket_filter"], "unix_only");
    let network = json["network"].as_str().unwrap();
    assert!(network.contains("entirely by seccomp"), "{network}");
    // No net_tcp gap: the block is enforced. The gaps at ABI 3 are the
    // filesystem's and the scopes'.
    assert_eq!(json["predicted_status"], "PartiallyEnforced");
    assert_eq!(gap_features(&json), ["ioctl_dev", "scope"]);
    let notes = notes(&json);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("net_tcp") && n.contains("seccomp")),
        "{notes:?}"
    );
    let text = dry_text(&s, &flags);
    assert!(
        text.contains("Network: blocked: entirely by seccomp"),
        "{text}"
    );
    assert!(
        text.contains("socket filter: seccomp: only AF_UNIX"),
        "{text}"
    );
    assert!(!text.contains("gap: net_tcp"), "{text}");
}

#[test]
fn abi_3_port_rules_are_a_gap_that_strict_refuses() {
    let s = Scratch::new();
    let allowed = TcpPeer::new();
    let other = TcpPeer::new();
    let p = allowed.port();
    let flags = ["--abi", "3", "--net-connect", p.as_str()];

    let json = dry_json(&s, &flags);
    assert_eq!(json["predicted_status"], "PartiallyEnforced");
    assert_eq!(
        gap_features(&json),
        ["net_tcp", "ioctl_dev", "scope", "net_udp"]
    );
    assert_eq!(json["ruleset"]["port_rules"], json!([]));
    assert_eq!(json["ruleset"]["socket_filter"], "tcp_udp_only");
    assert!(
        json["network"].as_str().unwrap().contains("NOT enforced"),
        "{json:#}"
    );
    let text = dry_text(&s, &flags);
    assert!(
        text.contains("gap: net_tcp: needs ABI 4 (Linux 6.7)"),
        "{text}"
    );
    assert!(text.contains("gap: net_udp: needs ABI 10"), "{text}");

    // --strict: refused, and the command does not run.
    let mut strict = vec!["--strict", "--allow", "."];
    strict.extend(flags);
    s.run(run_args(&strict, ["touch", "MARKER"]))
        .expect_nono_error("--strict")
        .expect_stderr("net_tcp");
    assert_absent(&s.join("MARKER"));

    // Without --strict it runs, warns, and the gap is real: an unlisted port
    // is reachable. The seccomp part still holds.
    let tok = token("abi3-gap");
    probe_under(&s, &flags, "tcp-connect", &[&other.port(), &tok])
        .expect_probe_ok()
        .expect_stderr("warning")
        .expect_stderr("net_tcp");
    assert_eq!(other.received().as_deref(), Some(tok.as_str()));
    probe_under(
        &s,
        &flags,
        "socket",
        &["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"],
    )
    .denied("EACCES", "socket");
}

// ---------------------------------------------------------------------------
// Scoping.
// ---------------------------------------------------------------------------

#[test]
fn signals_to_processes_outside_the_sandbox_are_refused() {
    let s = Scratch::new();
    let mut outsider = Outsider::new();
    let pid = outsider.pid();

    let kill0 = format!("kill -0 {pid}");
    s.run(run_args(&[] as &[&str], ["sh", "-c", &kill0]))
        .expect_code(1)
        .expect_stderr("Operation not permitted");
    let term = format!("kill -TERM {pid}");
    s.run(run_args(&[] as &[&str], ["sh", "-c", &term]))
        .expect_code(1)
        .expect_stderr("Operation not permitted");
    assert!(outsider.alive(), "the outside process was signalled");

    // Twin inside: the sandboxed shell signals its own child.
    s.run(run_args(
        &[] as &[&str],
        [
            "sh",
            "-c",
            "sleep 5 & kill -0 $! && kill -TERM $! && wait $!; echo status=$?",
        ],
    ))
    .expect_ok()
    .expect_stdout("status=143");

    // Twin with --allow-signals: the outside process is reachable.
    s.run(run_args(["--allow-signals"], ["sh", "-c", &kill0]))
        .expect_ok();
    assert!(outsider.alive());
    s.run(run_args(["--allow-signals"], ["sh", "-c", &term]))
        .expect_ok();
    let status = outsider.0.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(15)
    );

    // --allow-abstract-unix does not lift the signal scope.
    let other = Outsider::new();
    let kill0 = format!("kill -0 {}", other.pid());
    s.run(run_args(["--allow-abstract-unix"], ["sh", "-c", &kill0]))
        .expect_code(1)
        .expect_stderr("Operation not permitted");
}

#[test]
fn abstract_unix_sockets_bound_outside_are_unreachable() {
    let s = Scratch::new();
    let peer = AbstractPeer::new("scoped");

    let tok = token("abstract-scoped");
    probe_under(&s, &[], "abstract-connect", &[&peer.name, &tok]).denied("EPERM", "connect");
    assert_eq!(peer.received(), None);
    // --allow-signals does not lift the abstract socket scope.
    probe_under(
        &s,
        &["--allow-signals"],
        "abstract-connect",
        &[&peer.name, &tok],
    )
    .denied("EPERM", "connect");
    assert_eq!(peer.received(), None);

    // Twin inside: its own abstract socket works.
    let own = format!("nono-test-{}-own", std::process::id());
    probe_under(&s, &[], "abstract-self", &[&own]).expect_probe_ok();

    // Twin with --allow-abstract-unix: the outside socket is reached.
    probe_under(
        &s,
        &["--allow-abstract-unix"],
        "abstract-connect",
        &[&peer.name, &tok],
    )
    .expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));

    // Scoping is independent of --net-block (AF_UNIX stays allowed).
    probe_under(
        &s,
        &["--net-block"],
        "abstract-connect",
        &[&peer.name, &tok],
    )
    .denied("EPERM", "connect");
    probe_under(
        &s,
        &["--net-block", "--allow-abstract-unix"],
        "abstract-connect",
        &[&peer.name, &tok],
    )
    .expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn at_abi_5_scoping_is_a_gap_and_not_enforced() {
    let s = Scratch::new();
    let outsider = Outsider::new();
    let peer = AbstractPeer::new("abi5");

    let kill0 = format!("kill -0 {}", outsider.pid());
    s.run(run_args(["--abi", "5"], ["sh", "-c", &kill0]))
        .expect_ok()
        .expect_stderr("warning")
        .expect_stderr("scope");
    let tok = token("abstract-abi5");
    probe_under(&s, &["--abi", "5"], "abstract-connect", &[&peer.name, &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));

    let json = dry_json(&s, &["--abi", "5"]);
    assert_eq!(json["predicted_status"], "PartiallyEnforced");
    assert_eq!(gap_features(&json), ["scope"]);
    assert_eq!(json["gaps"][0]["needs_abi"], 6);
    assert_eq!(json["ruleset"]["scoped"], json!([]));
    let text = dry_text(&s, &["--abi", "5"]);
    assert!(
        text.contains("gap: scope: needs ABI 6 (Linux 6.12)"),
        "{text}"
    );
    // With both opt-outs nothing is missing at ABI 5.
    let json = dry_json(
        &s,
        &["--abi", "5", "--allow-signals", "--allow-abstract-unix"],
    );
    assert_eq!(json["predicted_status"], "FullyEnforced");
    // And at ABI 6 both scopes are enforced.
    let json = dry_json(&s, &["--abi", "6"]);
    assert_eq!(json["predicted_status"], "FullyEnforced");
    assert_eq!(
        json["ruleset"]["scoped"],
        json!(["abstract_unix_socket", "signal"])
    );
}

// ---------------------------------------------------------------------------
// No --net-* flag.
// ---------------------------------------------------------------------------

#[test]
fn without_net_flags_the_network_is_unrestricted() {
    let s = Scratch::new();
    let tcp = TcpPeer::new();
    let udp = UdpPeer::new();

    let tok = token("free-tcp");
    probe_under(&s, &[], "tcp-connect", &[&tcp.port(), &tok]).expect_probe_ok();
    assert_eq!(tcp.received().as_deref(), Some(tok.as_str()));
    let tok = token("free-udp");
    probe_under(&s, &[], "udp-send", &[&udp.port(), &tok]).expect_probe_ok();
    assert_eq!(udp.received().as_deref(), Some(tok.as_str()));
    let [free] = free_ports();
    probe_under(&s, &[], "tcp-bind", &[&free]).expect_probe_ok();
    // Raw sockets need root's CAP_NET_RAW, which nono drops unless kept:
    // with --keep-caps no network restriction stands in the way.
    assert!(has_cap_net_raw(), "this test needs CAP_NET_RAW (root)");
    probe_under(
        &s,
        &["--keep-caps"],
        "socket",
        &["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"],
    )
    .expect_probe_ok();
    probe_under(&s, &[], "socket", &["AF_INET", "SOCK_RAW", "IPPROTO_ICMP"])
        .denied("EPERM", "socket");

    let json = dry_json(&s, &[]);
    assert_eq!(json["network"], "unrestricted");
    assert_eq!(json["ruleset"]["handled_net"], json!([]));
    assert_eq!(json["ruleset"]["port_rules"], json!([]));
    assert_eq!(json["ruleset"]["socket_filter"], Value::Null);
    assert_eq!(json["predicted_status"], "FullyEnforced");
}

// ---------------------------------------------------------------------------
// io_uring.
// ---------------------------------------------------------------------------

#[test]
fn io_uring_is_refused_under_any_net_flag() {
    let s = Scratch::new();
    probe_under(&s, &["--net-block"], "io-uring", &[]).denied("EACCES", "io_uring_setup");
    probe_under(&s, &["--net-connect", "443"], "io-uring", &[]).denied("EACCES", "io_uring_setup");
    probe_under(&s, &["--net-bind", "8080"], "io-uring", &[]).denied("EACCES", "io_uring_setup");
    probe_under(&s, &["--abi", "3", "--net-block"], "io-uring", &[])
        .denied("EACCES", "io_uring_setup");
    // Twin: this kernel allows io_uring (io_uring_disabled = 0), and without
    // a --net-* flag the sandboxed probe sets one up.
    let disabled = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|_| "0".to_owned());
    assert_eq!(disabled, "0", "this test needs io_uring enabled");
    probe_under(&s, &[], "io-uring", &[]).expect_probe_ok();
}

// ---------------------------------------------------------------------------
// --log-denials.
// ---------------------------------------------------------------------------

#[test]
fn log_denials_sets_log_new_exec_at_abi_7_and_is_a_note_below() {
    let s = Scratch::new();
    let json = dry_json(&s, &["--log-denials"]);
    let effective = effective_abi();
    assert_eq!(json["ruleset"]["abi"], effective);
    assert_eq!(json["ruleset"]["log_new_exec"], true);
    assert!(
        !notes(&json).iter().any(|n| n.starts_with("audit_log")),
        "{json:#}"
    );
    assert!(dry_text(&s, &["--log-denials"]).contains("log denials after exec: yes"));

    let json = dry_json(&s, &[]);
    assert_eq!(json["ruleset"]["log_new_exec"], false);
    assert!(dry_text(&s, &[]).contains("log denials after exec: no"));

    let json = dry_json(&s, &["--abi", "6", "--log-denials"]);
    assert_eq!(json["ruleset"]["log_new_exec"], false);
    let notes = notes(&json);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("audit_log: needs ABI 7") && n.contains("--log-denials")),
        "{notes:?}"
    );
    // A note, not a gap.
    assert_eq!(json["predicted_status"], "FullyEnforced");

    // The kernel accepts the flag, and the sandbox still denies.
    s.mkdir("ro");
    s.mkdir("rw");
    s.run(run_args(
        ["--log-denials", "--allow", "rw"],
        ["touch", "rw/logged"],
    ))
    .expect_ok();
    assert!(s.join("rw/logged").exists());
    s.run(run_args(
        ["--log-denials", "--read", "ro"],
        ["touch", "ro/denied"],
    ))
    .expect_code(1)
    .expect_stderr("Permission denied");
    assert_absent(&s.join("ro/denied"));
}
