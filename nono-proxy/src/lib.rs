//! nono's domain proxy (`--net-allow`, DESIGN.md section 7.4): an HTTP
//! proxy on a loopback port, for one run, that admits only the allowed
//! hosts.
//!
//! - `CONNECT host:port` opens a tunnel (TLS, or any TCP protocol a client
//!   tunnels); an absolute `http://` request is forwarded to its host, one
//!   request per client connection (`Connection: close`).
//! - The host must match an allowed pattern ([`ProxyRules::admits`]); the
//!   proxy resolves the name itself and connects only to the addresses it
//!   resolves to, and never to an internal address (loopback, private,
//!   link-local...) unless a pattern names that address or `localhost`
//!   ([`ProxyRules::admits_address`]): a name that resolves to the host
//!   itself is DNS rebinding.
//! - A refusal is `403` with a body naming the host and the flag that
//!   would allow it.
//! - At most [`Limits::connections`] clients at once (the rest are closed
//!   at once), a deadline for the request head, a connect timeout, and an
//!   idle timeout on tunnels: a flood or a slow client costs a bounded
//!   number of threads.
//!
//! The request head is parsed by `httparse`, the request target by
//! `http`'s URI grammar; nothing here parses HTTP by hand.

use nono_model::{HostName, ProxyRules, requested_host};
use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The largest request head read (request line and headers).
const MAX_HEAD: usize = 16 << 10;
/// The most headers in one request.
const MAX_HEADERS: usize = 64;
/// Bytes copied per read in a tunnel.
const COPY_BUF: usize = 64 << 10;
/// How often an idle tunnel looks at the clock.
const TICK: Duration = Duration::from_secs(1);

/// The proxy's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Clients served at once; more are closed on arrival.
    pub connections: usize,
    /// Time a client has to send its request head.
    pub head: Duration,
    /// Time to connect to the host.
    pub connect: Duration,
    /// A tunnel with no byte either way for this long is closed.
    pub idle: Duration,
}

impl Default for Limits {
    /// 256 clients, 10 s for the head, 10 s to connect, 5 minutes idle.
    fn default() -> Self {
        Limits {
            connections: 256,
            head: Duration::from_secs(10),
            connect: Duration::from_secs(10),
            idle: Duration::from_secs(300),
        }
    }
}

/// Binds the proxy's listening socket: 127.0.0.1, a port the kernel
/// chooses. Close-on-exec, so the command never inherits it.
pub fn bind() -> io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
}

/// Serves `listener` with `rules` on a thread of its own until the process
/// ends. With `log`, each refused host is written once to stderr.
pub fn serve(
    listener: TcpListener,
    rules: ProxyRules,
    limits: Limits,
    log: bool,
) -> io::Result<std::thread::JoinHandle<()>> {
    let shared = Arc::new(Shared {
        rules,
        limits,
        log,
        told: Mutex::new(HashSet::new()),
        active: AtomicUsize::new(0),
    });
    std::thread::Builder::new()
        .name("nono-proxy".into())
        .stack_size(128 << 10)
        .spawn(move || accept_loop(&listener, &shared))
}

struct Shared {
    rules: ProxyRules,
    limits: Limits,
    log: bool,
    told: Mutex<HashSet<String>>,
    active: AtomicUsize,
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept() else {
            // EMFILE and the like: wait a little rather than spin.
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        if shared.active.fetch_add(1, Ordering::AcqRel) >= shared.limits.connections {
            shared.active.fetch_sub(1, Ordering::AcqRel);
            drop(client);
            continue;
        }
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .stack_size(128 << 10)
            .spawn(move || {
                let _ = handle(client, &s);
                s.active.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            shared.active.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// What a client asked for, once its head was read.
struct Request {
    connect: bool,
    host: String,
    port: u16,
    /// For plain HTTP: the head to send to the host.
    head: Vec<u8>,
    /// Bytes the client sent after its head.
    rest: Vec<u8>,
}

/// Why a request is not served: the status and the body's line.
struct Refusal(u16, &'static str, String);

fn respond(client: &mut TcpStream, refusal: &Refusal) {
    let Refusal(code, reason, body) = refusal;
    let body = format!("{body}\n");
    let _ = write!(
        client,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn handle(mut client: TcpStream, shared: &Shared) -> io::Result<()> {
    let request = match read_request(&mut client, shared.limits.head) {
        Ok(r) => r,
        Err(refusal) => {
            respond(&mut client, &refusal);
            return Ok(());
        }
    };
    let upstream = match open(&request, shared) {
        Ok(u) => u,
        Err(refusal) => {
            if refusal.0 == 403 && shared.log {
                let key = format!("{}:{}", request.host, request.port);
                if shared.told.lock().is_ok_and(|mut t| t.insert(key)) {
                    eprintln!("nono: proxy: {}", refusal.2);
                }
            }
            respond(&mut client, &refusal);
            return Ok(());
        }
    };
    let mut upstream = upstream;
    if request.connect {
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    } else {
        upstream.write_all(&request.head)?;
    }
    upstream.write_all(&request.rest)?;
    tunnel(client, upstream, shared.limits.idle)
}

/// Reads one request head within `deadline` and says what it asks for.
fn read_request(client: &mut TcpStream, deadline: Duration) -> Result<Request, Refusal> {
    let bad = |what: &str| Refusal(400, "Bad Request", format!("nono: proxy: {what}"));
    let end = Instant::now() + deadline;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Refusal(
                408,
                "Request Timeout",
                "nono: proxy: the request head took too long".into(),
            ));
        }
        let _ = client.set_read_timeout(Some(left));
        let n = match client.read(&mut chunk) {
            Ok(0) => return Err(bad("the connection closed before a request")),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                return Err(Refusal(
                    408,
                    "Request Timeout",
                    "nono: proxy: the request head took too long".into(),
                ));
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let _ = client.set_read_timeout(None);
                return request_of(&req, &buf[len..]).map_err(|e| bad(&e));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Err(Refusal(
                    431,
                    "Request Header Fields Too Large",
                    "nono: proxy: the request head is too large".into(),
                ));
            }
            Err(e) => return Err(bad(&format!("not an HTTP request ({e})"))),
        }
    }
}

/// The headers a proxy consumes and never forwards.
fn hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "proxy-connection",
        "keep-alive",
        "proxy-authorization",
        "te",
        "upgrade",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

fn request_of(req: &httparse::Request<'_, '_>, rest: &[u8]) -> Result<Request, String> {
    let method = req.method.unwrap_or_default();
    let target = req.path.unwrap_or_default();
    if method.eq_ignore_ascii_case("CONNECT") {
        let authority: http::uri::Authority = target
            .parse()
            .map_err(|_| format!("CONNECT {target:?}: not host:port"))?;
        let port = authority
            .port_u16()
            .ok_or_else(|| format!("CONNECT {target:?}: the port is missing"))?;
        return Ok(Request {
            connect: true,
            host: authority.host().to_owned(),
            port,
            head: Vec::new(),
            rest: rest.to_vec(),
        });
    }
    let uri: http::Uri = target
        .parse()
        .map_err(|_| format!("{target:?}: not a URI"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "{target:?}: only http:// URLs are forwarded (https goes through CONNECT)"
        ));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| format!("{target:?}: no host"))?;
    let port = authority.port_u16().unwrap_or(80);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut head = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    let mut has_host = false;
    for h in req.headers.iter() {
        if hop_by_hop(h.name) {
            continue;
        }
        has_host |= h.name.eq_ignore_ascii_case("host");
        head.extend_from_slice(h.name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(h.value);
        head.extend_from_slice(b"\r\n");
    }
    if !has_host {
        head.extend_from_slice(format!("Host: {authority}\r\n").as_bytes());
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    Ok(Request {
        connect: false,
        host: authority.host().to_owned(),
        port,
        head,
        rest: rest.to_vec(),
    })
}

/// Judges the request's host, resolves it and connects.
fn open(request: &Request, shared: &Shared) -> Result<TcpStream, Refusal> {
    let rules = &shared.rules;
    let (host, port) = (&request.host, request.port);
    let shown = match requested_host(host) {
        Some(HostName::Ip(IpAddr::V6(ip))) => format!("[{ip}]:{port}"),
        _ => format!("{host}:{port}"),
    };
    let forbidden = |why: String| Refusal(403, "Forbidden", why);
    let Some(name) = requested_host(host) else {
        return Err(forbidden(format!(
            "{shown} is not a host name or an IP address"
        )));
    };
    if rules.admits(&name, port).is_none() {
        return Err(forbidden(format!(
            "{shown} is not allowed; --net-allow {shown} would allow it"
        )));
    }
    let addrs: Vec<SocketAddr> = match &name {
        HostName::Ip(ip) => vec![SocketAddr::new(*ip, port)],
        _ => (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| {
                Refusal(
                    502,
                    "Bad Gateway",
                    format!("nono: proxy: cannot resolve {host}: {e}"),
                )
            })?
            .collect(),
    };
    let reachable: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| rules.admits_address(a.ip(), port))
        .collect();
    if reachable.is_empty() {
        let first = addrs
            .first()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        return Err(forbidden(format!(
            "{shown} resolves to an internal address ({first}); --net-allow {first}:{port} (or localhost) would allow it"
        )));
    }
    let mut last = None;
    for addr in reachable {
        match TcpStream::connect_timeout(&addr, shared.limits.connect) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(Refusal(
        502,
        "Bad Gateway",
        format!(
            "nono: proxy: cannot connect to {shown}: {}",
            last.map(|e| e.to_string()).unwrap_or_default()
        ),
    ))
}

/// Copies both ways until both sides are done or the tunnel idles out.
fn tunnel(client: TcpStream, upstream: TcpStream, idle: Duration) -> io::Result<()> {
    let start = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let (c2, u2) = (client.try_clone()?, upstream.try_clone()?);
    let l2 = last.clone();
    let back = std::thread::Builder::new()
        .stack_size(128 << 10)
        .spawn(move || copy(u2, c2, &l2, start, idle));
    match back {
        Ok(back) => {
            copy(client, upstream, &last, start, idle);
            let _ = back.join();
        }
        Err(_) => {
            let _ = client.shutdown(Shutdown::Both);
            let _ = upstream.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

fn copy(mut from: TcpStream, mut to: TcpStream, last: &AtomicU64, start: Instant, idle: Duration) {
    let _ = from.set_read_timeout(Some(TICK));
    let mut buf = vec![0u8; COPY_BUF];
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                last.store(start.elapsed().as_secs(), Ordering::Relaxed);
                if to.write_all(&buf[..n]).is_err() {
                    let _ = from.shutdown(Shutdown::Both);
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                let quiet = start.elapsed().as_secs() - last.load(Ordering::Relaxed);
                if quiet >= idle.as_secs() {
                    let _ = from.shutdown(Shutdown::Both);
                    let _ = to.shutdown(Shutdown::Both);
                    return;
                }
            }
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn rules(hosts: &[&str]) -> ProxyRules {
        ProxyRules {
            port: 0,
            hosts: hosts
                .iter()
                .map(|h| h.parse().unwrap_or_else(|_| unreachable!()))
                .collect(),
            direct_ports: Default::default(),
            direct_udp_ports: Default::default(),
        }
    }

    fn origin() -> (TcpListener, u16) {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap_or_else(|e| panic!("{e}"));
        let port = l.local_addr().map(|a| a.port()).unwrap_or_default();
        (l, port)
    }

    fn start(r: ProxyRules, limits: Limits) -> u16 {
        let l = bind().unwrap_or_else(|e| panic!("{e}"));
        let port = l.local_addr().map(|a| a.port()).unwrap_or_default();
        serve(l, r, limits, false).unwrap_or_else(|e| panic!("{e}"));
        port
    }

    fn ask(proxy: u16, request: &str) -> String {
        let mut s =
            TcpStream::connect((Ipv4Addr::LOCALHOST, proxy)).unwrap_or_else(|e| panic!("{e}"));
        s.write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn plain_http_reaches_an_allowed_host_and_nothing_else() {
        let (origin, port) = origin();
        std::thread::spawn(move || {
            if let Ok((mut c, _)) = origin.accept() {
                let mut head = [0u8; 1024];
                let n = c.read(&mut head).unwrap_or(0);
                let seen = String::from_utf8_lossy(&head[..n]).to_string();
                let body = if seen.starts_with("GET /x HTTP/1.1\r\n")
                    && seen.contains("Connection: close")
                    && !seen.contains("Proxy-")
                {
                    "ok"
                } else {
                    "bad"
                };
                let _ = write!(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{body}");
            }
        });
        let proxy = start(rules(&[&format!("localhost:{port}")]), Limits::default());
        let ok = ask(
            proxy,
            &format!(
                "GET http://localhost:{port}/x HTTP/1.1\r\nHost: localhost:{port}\r\nProxy-Connection: keep-alive\r\n\r\n"
            ),
        );
        assert!(ok.starts_with("HTTP/1.1 200") && ok.ends_with("ok"), "{ok}");
        let other = ask(
            proxy,
            &format!("GET http://127.0.0.1:{port}/x HTTP/1.1\r\n\r\n"),
        );
        assert!(
            other.starts_with("HTTP/1.1 403")
                && other.contains(&format!("--net-allow 127.0.0.1:{port}")),
            "{other}"
        );
        let port2 = ask(
            proxy,
            &format!(
                "CONNECT localhost:{} HTTP/1.1\r\n\r\n",
                port.wrapping_add(1)
            ),
        );
        assert!(port2.starts_with("HTTP/1.1 403"), "{port2}");
        let garbage = ask(proxy, "\x01\x02 nonsense\r\n\r\n");
        assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    }

    #[test]
    fn a_name_resolving_to_loopback_needs_localhost_or_the_address() {
        let (_origin, port) = origin();
        // `localhost` is the one name every test machine resolves to the
        // loopback; as `*.localhost`'s stand-in, ask by a pattern that
        // matches it by wildcard only.
        let r = rules(&["*.localhost"]);
        assert!(
            r.admits(&HostName::Name("a.localhost".into()), 443)
                .is_some()
        );
        assert!(!r.admits_address(Ipv4Addr::LOCALHOST.into(), 443));
        let proxy = start(rules(&[&format!("localhost:{port}")]), Limits::default());
        let mut s =
            TcpStream::connect((Ipv4Addr::LOCALHOST, proxy)).unwrap_or_else(|e| panic!("{e}"));
        let _ = write!(s, "CONNECT localhost:{port} HTTP/1.1\r\n\r\n");
        let mut ok = [0u8; 12];
        let _ = s.read_exact(&mut ok);
        assert_eq!(&ok, b"HTTP/1.1 200");
    }

    #[test]
    fn a_slow_client_is_cut_off_and_a_flood_is_bounded() {
        let limits = Limits {
            connections: 2,
            head: Duration::from_millis(300),
            ..Limits::default()
        };
        let proxy = start(rules(&["example.com"]), limits);
        let slow: Vec<TcpStream> = (0..2)
            .map(|_| {
                TcpStream::connect((Ipv4Addr::LOCALHOST, proxy)).unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100));
        // A third client while two are served: closed at once, no answer.
        let third = ask(proxy, "CONNECT example.com:443 HTTP/1.1\r\n\r\n");
        assert_eq!(third, "");
        for mut s in slow {
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            assert!(out.starts_with("HTTP/1.1 408"), "{out}");
        }
        std::thread::sleep(Duration::from_millis(100));
        let fourth = ask(proxy, "CONNECT other.example:443 HTTP/1.1\r\n\r\n");
        assert!(fourth.starts_with("HTTP/1.1 403"), "{fourth}");
    }
}
