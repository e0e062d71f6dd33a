//! `--net-allow HOST[:PORT]`: the command reaches the named hosts through
//! nono's proxy and nothing else (issue 16). Everything runs on loopback:
//! an origin server in this process, `localhost` as the allowed name.

use crate::common::{Outcome, Scratch, python, run_args, which};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

/// An HTTP origin on 127.0.0.1 that answers every request with `body`.
struct Origin {
    port: u16,
}

impl Origin {
    fn new(body: &'static str) -> Origin {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the origin");
        let port = listener.local_addr().expect("origin address").port();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = write!(
                        conn,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Origin { port }
    }
}

/// `nono run --preset python FLAGS -- python3 -c SCRIPT`.
fn python_under(s: &Scratch, flags: &[&str], script: &str) -> Outcome {
    let (dir, env) = python();
    let mut cmd = s.nono();
    cmd.arg("run").arg("--preset").arg("python").args(flags);
    cmd.arg("--").arg(dir.join("python3")).arg("-c").arg(script);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Outcome::of(&mut cmd)
}

fn curl_under(s: &Scratch, flags: &[&str], url: &str) -> Outcome {
    let curl = which("curl").expect("curl must be on PATH");
    let mut args = vec!["run".to_owned()];
    args.extend(flags.iter().map(|f| (*f).to_owned()));
    args.extend([
        "--".to_owned(),
        curl.display().to_string(),
        "-sS".into(),
        url.to_owned(),
    ]);
    s.run(&args)
}

/// `nono run FLAGS -- curl -sS --noproxy * URL`: a request around the proxy.
fn curl_around_proxy(s: &Scratch, flags: &[&str], url: &str) -> Outcome {
    let curl = which("curl").expect("curl");
    let curl = curl.to_str().expect("utf-8");
    s.run(run_args(flags, [curl, "-sS", "--noproxy", "*", url]))
}

#[test]
fn curl_reaches_the_allowed_host_and_no_other_host_or_port() {
    let s = Scratch::new();
    let origin = Origin::new("from-origin");
    let other = Origin::new("from-other");
    let allow = format!("localhost:{}", origin.port);
    let flags = ["--net-allow", allow.as_str()];
    curl_under(&s, &flags, &format!("http://localhost:{}/x", origin.port))
        .expect_ok()
        .expect_stdout("from-origin");
    // The same origin by its IP literal: another host to the proxy.
    let by_ip = curl_under(&s, &flags, &format!("http://127.0.0.1:{}/x", origin.port));
    by_ip.expect_stdout(&format!(
        "--net-allow 127.0.0.1:{} would allow it",
        origin.port
    ));
    assert!(!by_ip.stdout.contains("from-origin"), "{by_ip:#?}");
    // Another port of the allowed name.
    let port = curl_under(&s, &flags, &format!("http://localhost:{}/x", other.port));
    port.expect_stdout("is not allowed");
    assert!(!port.stdout.contains("from-other"), "{port:#?}");
    // Another name (never resolved: refused by name).
    curl_under(
        &s,
        &flags,
        &format!("http://nono-other.invalid:{}/x", origin.port),
    )
    .expect_stdout("nono-other.invalid");
    // Around the proxy: Landlock and the supervisor refuse the connect.
    let direct_url = format!("http://127.0.0.1:{}/x", origin.port);
    let direct = curl_around_proxy(&s, &flags, &direct_url);
    assert_ne!(direct.code, Some(0), "{direct:#?}");
    assert!(!direct.stdout.contains("from-origin"), "{direct:#?}");
    // Twins: the same direct request with the address allowed by a port
    // rule works, and the IP literal works once allowed by name.
    let port_flag = origin.port.to_string();
    let with_port = curl_around_proxy(
        &s,
        &["--net-allow", &allow, "--net-connect", &port_flag],
        &direct_url,
    );
    with_port.expect_ok().expect_stdout("from-origin");
    let ip_allowed = format!("127.0.0.1:{}", origin.port);
    curl_under(
        &s,
        &["--net-allow", &ip_allowed],
        &format!("http://127.0.0.1:{}/x", origin.port),
    )
    .expect_ok()
    .expect_stdout("from-origin");
}

/// What the Python probe prints: the proxy works for urllib, and what a
/// hostile command tries around it.
const PROBE: &str = r#"
import os, socket, sys, urllib.request, errno
port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ["ORIGIN"])
proxy = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1])
print("no_proxy", os.environ.get("NO_PROXY"), os.environ.get("no_proxy"))
print("pip", os.environ["PIP_PROXY"], "cargo", os.environ["CARGO_HTTP_PROXY"], "npm", os.environ["npm_config_https_proxy"])
print("urllib", urllib.request.urlopen("http://localhost:%d/u" % port).read().decode())
def attempt(name, f):
    try:
        f(); print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
def connect(host, p, family=socket.AF_INET):
    def go():
        s = socket.socket(family, socket.SOCK_STREAM); s.settimeout(3); s.connect((host, p)); s.close()
    return go
attempt("proxy-v4", connect("127.0.0.1", proxy))
attempt("proxy-mapped", connect("::ffff:127.0.0.1", proxy, socket.AF_INET6))
attempt("proxy-port-other-host", connect("127.0.0.2", proxy))
attempt("proxy-port-v6", connect("::1", proxy, socket.AF_INET6))
attempt("direct", connect("127.0.0.1", port))
attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"\0" * 12, ("127.0.0.1", 53)))
def fastopen():
    s = socket.socket(); s.settimeout(3); s.sendto(b"GET / HTTP/1.0\r\n\r\n", socket.MSG_FASTOPEN, ("127.0.0.1", proxy))
attempt("fastopen", fastopen)
print("proxy-port", proxy)
"#;

fn probe_lines(out: &Outcome) -> Vec<String> {
    out.stdout.lines().map(str::to_owned).collect()
}

#[test]
fn python_reaches_the_proxy_and_nothing_around_it() {
    let s = Scratch::new();
    let origin = Origin::new("py-origin");
    let allow = format!("localhost:{}", origin.port);
    let script = PROBE.replace("int(os.environ[\"ORIGIN\"])", &origin.port.to_string());
    let out = python_under(&s, &["--net-allow", &allow], &script);
    out.expect_ok();
    let lines = probe_lines(&out);
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert!(has("no_proxy None None"), "{out:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with("pip http://127.0.0.1:")),
        "{out:#?}"
    );
    assert!(has("urllib py-origin"), "{out:#?}");
    // The proxy itself, by IPv4 and IPv4-mapped IPv6: reached.
    assert!(has("proxy-v4 ok"), "{out:#?}");
    assert!(has("proxy-mapped ok"), "{out:#?}");
    // The proxy's port number at another address, the origin directly,
    // UDP (DNS) and TCP Fast Open: refused.
    assert!(has("proxy-port-other-host EACCES"), "{out:#?}");
    assert!(has("proxy-port-v6 EACCES"), "{out:#?}");
    assert!(has("direct EACCES"), "{out:#?}");
    assert!(lines.iter().any(|l| l.starts_with("udp E")), "{out:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with("fastopen E")),
        "{out:#?}"
    );
    // Twin: without the sandbox the same probe reaches the origin
    // directly and sends UDP (the proxy variables point at nothing
    // there, so the proxy attempts are not asked about).
    let (dir, _) = python();
    let twin = Command::new(dir.join("python3"))
        .arg("-c")
        .arg(&script)
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("PIP_PROXY", "x")
        .env("CARGO_HTTP_PROXY", "x")
        .env("npm_config_https_proxy", "x")
        .env("NO_PROXY", "*")
        .output()
        .expect("python3");
    let twin = String::from_utf8_lossy(&twin.stdout).to_string();
    assert!(twin.contains("urllib py-origin"), "{twin}");
    assert!(twin.contains("direct ok"), "{twin}");
    assert!(twin.contains("udp ok"), "{twin}");

    // The proxy is gone once nono has exited: nothing listens on its port.
    let port: u16 = lines
        .iter()
        .find_map(|l| l.strip_prefix("proxy-port "))
        .and_then(|p| p.parse().ok())
        .expect("the probe prints the proxy's port");
    let after = TcpStream::connect((Ipv4Addr::LOCALHOST, port));
    assert!(after.is_err(), "something still listens on {port}");
}

#[test]
fn a_name_resolving_to_the_host_itself_needs_the_address_named() {
    // A hosts file in a private mount namespace gives a name the test
    // controls that resolves to the loopback: DNS rebinding.
    if which("unshare").is_none() || !crate::common::is_root() {
        return;
    }
    let s = Scratch::new();
    let origin = Origin::new("rebound");
    let hosts = s.write("hosts", "127.0.0.1 localhost\n127.0.0.1 rebind.nono.test\n");
    let curl = which("curl").expect("curl");
    let nono = env!("CARGO_BIN_EXE_nono");
    let run = |extra: &str| {
        let script = format!(
            "mount --bind {} /etc/hosts && exec {nono} run --net-allow rebind.nono.test:{p} {extra} -- {} -sS http://rebind.nono.test:{p}/",
            hosts.display(),
            curl.display(),
            p = origin.port
        );
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "--propagation", "private", "sh", "-c", &script])
            .current_dir(s.path())
            .env("HOME", s.home());
        Outcome::of(&mut cmd)
    };
    let refused = run("");
    refused.expect_stdout("resolves to an internal address (127.0.0.1)");
    assert!(!refused.stdout.contains("rebound"), "{refused:#?}");
    // Twin: with the address named too, the same request is served.
    let named = format!("--net-allow 127.0.0.1:{}", origin.port);
    run(&named).expect_ok().expect_stdout("rebound");
}

#[test]
fn git_clones_over_http_through_the_proxy() {
    // .ci/run installs git; a missing tool is a failure, not a pass.
    let git = which("git").expect("git must be on PATH");
    let s = Scratch::new();
    let work = s.mkdir("src");
    let sh = |dir: &Path, args: &[&str]| {
        let st = Command::new(&git)
            .args(args)
            .current_dir(dir)
            .env("HOME", s.home())
            .output()
            .expect("git");
        assert!(st.status.success(), "git {args:?}: {st:?}");
    };
    sh(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("README"), "cloned through nono\n").expect("write");
    sh(&work, &["add", "README"]);
    sh(
        &work,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "one",
        ],
    );
    let served = s.mkdir("served");
    sh(
        &served,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().expect("utf-8"),
            "repo.git",
        ],
    );
    sh(&served.join("repo.git"), &["update-server-info"]);
    let (dir, env) = python();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let mut server = Command::new(dir.join("python3"));
    server
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(&served)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in &env {
        server.env(k, v);
    }
    let mut server = server.spawn().expect("http.server");
    for _ in 0..100 {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let url = format!("http://localhost:{port}/repo.git");
    let allow = format!("localhost:{port}");
    let clone = |flags: &[&str], into: &str| {
        let mut args = vec!["run", "--preset", "git", "--allow", "."];
        args.extend_from_slice(flags);
        let gitp = git.to_str().expect("utf-8");
        args.extend(["--", gitp, "clone", "-q", url.as_str(), into]);
        s.run(&args)
    };
    let ok = clone(&["--net-allow", &allow], "ok");
    let other = format!("localhost:{}", port.wrapping_add(1).max(1));
    let refused = clone(&["--net-allow", &other], "refused");
    let _ = server.kill();
    let _ = server.wait();
    ok.expect_ok();
    assert_eq!(
        std::fs::read_to_string(s.join("ok/README")).ok().as_deref(),
        Some("cloned through nono\n")
    );
    assert_ne!(refused.code, Some(0), "{refused:#?}");
    assert!(!s.join("refused/README").exists());
}

#[test]
fn bad_values_are_one_line_errors() {
    let s = Scratch::new();
    for bad in ["exa mple.com", ":0", "", "*", "a.com:0", "*.", "[::1"] {
        s.run(["run", "--net-allow", bad, "--", "true"])
            .expect_nono_error("--net-allow");
    }
    s.run(["run", "--net-block", "--net-allow", "a.com", "--", "true"])
        .expect_nono_error("--net-block");
    // A preset's net_allow is checked the same way.
    s.write(
        "bad.ron",
        r#"(name: "bad", description: "d", net_allow: ["exa mple.com"])"#,
    );
    s.run(["run", "--preset", "./bad.ron", "--dry-run", "--", "true"])
        .expect_nono_error("net_allow");
}

#[test]
fn dry_run_and_why_answer_from_the_same_rules() {
    let s = Scratch::new();
    s.write(
        "reg.ron",
        r#"(name: "reg", description: "a registry", net_allow: ["crates.io", "*.crates.io"])"#,
    );
    let dry = s.run([
        "run",
        "--preset",
        "./reg.ron",
        "--net-allow",
        "api.example:8443",
        "--dry-run",
        "--",
        "true",
    ]);
    dry.expect_ok()
        .expect_stdout("*.crates.io")
        .expect_stdout("api.example:8443")
        .expect_stdout("HTTPS_PROXY");
    let why = |host: &str| s.run(["why", "--host", host, "--preset", "./reg.ron"]);
    why("static.crates.io")
        .expect_ok()
        .expect_stdout("*.crates.io");
    why("crates.io:80").expect_ok();
    why("crates.io:22")
        .expect_code(1)
        .expect_stdout("--net-allow crates.io:22");
    why("github.com").expect_code(1);
    // Twin: without any --net-allow every host is allowed.
    s.run(["why", "--host", "github.com"]).expect_ok();
}

/// Serves `dir` over HTTP on 127.0.0.1 with Python's http.server until
/// dropped.
struct FileServer {
    port: u16,
    child: std::process::Child,
}

impl FileServer {
    fn new(dir: &Path) -> FileServer {
        let (py, env) = python();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("port");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let mut cmd = Command::new(py.join("python3"));
        cmd.args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("http.server");
        for _ in 0..200 {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        FileServer { port, child }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The hex digest `tool` (`sha256sum`, `sha1sum`) prints for `file`.
fn checksum(tool: &str, file: &Path) -> String {
    let out = Command::new(tool).arg(file).output().expect(tool);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Asserts `fetch` makes its file through `localhost:port`, and (twin) none through another port.
#[track_caller]
fn fetched_only_through(port: u16, fetch: impl Fn(&str, &str) -> (Outcome, PathBuf)) {
    let (ok, got) = fetch("ok", &format!("localhost:{port}"));
    ok.expect_ok();
    assert!(got.is_file(), "{ok:#?}");
    let (refused, got) = fetch(
        "refused",
        &format!("localhost:{}", port.wrapping_add(1).max(1)),
    );
    assert_ne!(refused.code, Some(0), "{refused:#?}");
    assert!(!got.exists());
}

#[test]
fn cargo_fetches_from_a_registry_through_the_proxy() {
    let tc = crate::common::rust_toolchain();
    let s = Scratch::new();
    let w = |rel: &str, text: &str| {
        let p = s.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    // The crate the registry serves, packaged by the real cargo.
    w(
        "pkg/Cargo.toml",
        "[package]\nname = \"nonodep\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndescription = \"d\"\nlicense = \"MIT\"\n\n[workspace]\n",
    );
    w("pkg/src/lib.rs", "/// One.\npub fn one() -> u8 { 1 }\n");
    let path = format!(
        "{}:{}",
        tc.bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let host_cargo_home = s.mkdir("host-cargo-home");
    let packaged = Command::new(tc.bin.join("cargo"))
        .args(["package", "--no-verify", "--allow-dirty", "--offline", "-q"])
        .current_dir(s.join("pkg"))
        .env("PATH", &path)
        .env("RUSTUP_HOME", &tc.rustup_home)
        .env("CARGO_HOME", &host_cargo_home)
        .output()
        .expect("cargo package");
    assert!(packaged.status.success(), "{packaged:?}");
    let crate_file =
        std::fs::read(s.join("pkg/target/package/nonodep-0.1.0.crate")).expect("crate");
    let sum = checksum(
        "sha256sum",
        &s.join("pkg/target/package/nonodep-0.1.0.crate"),
    );
    // A sparse registry: config.json, the index file, the download.
    let served = s.mkdir("registry");
    let server = FileServer::new(&served);
    let port = server.port;
    w(
        "registry/index/config.json",
        &format!("{{\"dl\": \"http://localhost:{port}/dl/{{crate}}/{{version}}/download\"}}"),
    );
    w(
        "registry/index/no/no/nonodep",
        &format!(
            "{{\"name\":\"nonodep\",\"vers\":\"0.1.0\",\"deps\":[],\"cksum\":\"{sum}\",\"features\":{{}},\"yanked\":false}}\n"
        ),
    );
    std::fs::create_dir_all(served.join("dl/nonodep/0.1.0")).expect("mkdir");
    std::fs::write(served.join("dl/nonodep/0.1.0/download"), crate_file).expect("write");
    // The project that depends on it.
    let fetch = |name: &str, allow: &str| {
        w(
            &format!("{name}/Cargo.toml"),
            "[package]\nname = \"user\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nnonodep = { version = \"0.1\", registry = \"local\" }\n\n[workspace]\n",
        );
        w(
            &format!("{name}/src/main.rs"),
            "fn main() { println!(\"{}\", nonodep::one()); }\n",
        );
        w(
            &format!("{name}/.cargo/config.toml"),
            &format!("[registries.local]\nindex = \"sparse+http://localhost:{port}/index/\"\n"),
        );
        // A fresh CARGO_HOME is carved around its (absent) credentials
        // files: nothing new directly in it, so its registry directory is
        // made first, as a used one has it.
        let cargo_home = s.mkdir(format!("{name}-cargo-home"));
        std::fs::create_dir(cargo_home.join("registry")).expect("mkdir");
        let mut cmd = s.nono();
        cmd.current_dir(s.join(name))
            .env("PATH", &path)
            .env("RUSTUP_HOME", &tc.rustup_home)
            .env("CARGO_HOME", &cargo_home)
            .env("CARGO_TERM_COLOR", "never")
            .args(["run", "--preset", "rust", "--allow", ".", "--allow"])
            .arg(&cargo_home)
            .args(["--net-allow", allow, "--", "cargo", "fetch"]);
        (Outcome::of(&mut cmd), cargo_home)
    };
    let (ok, home) = fetch("ok", &format!("localhost:{port}"));
    ok.expect_ok();
    assert!(
        std::fs::read_dir(home.join("registry/cache"))
            .map(|mut d| d.next().is_some())
            .unwrap_or(false),
        "nothing downloaded: {ok:#?}"
    );
    // Twin: the registry's host on another port is not allowed.
    let (refused, home) = fetch(
        "refused",
        &format!("localhost:{}", port.wrapping_add(1).max(1)),
    );
    assert_ne!(refused.code, Some(0), "{refused:#?}");
    assert!(!home.join("registry/cache").exists(), "{refused:#?}");
    drop(server);
}

/// A second thread rewrites the address while the first connects: the
/// supervisor judges and uses one copy, so every connect that succeeds is
/// to the proxy, never to the other address.
const RACE: &str = r#"
import ctypes, os, socket, struct, threading
libc = ctypes.CDLL(None, use_errno=True)
proxy = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1])
target = int(os.environ["TARGET"])
good = struct.pack("=HH4s8x", socket.AF_INET, socket.htons(proxy), socket.inet_aton("127.0.0.1"))
bad = struct.pack("=HH4s8x", socket.AF_INET, socket.htons(target), socket.inet_aton("127.0.0.1"))
buf = ctypes.create_string_buffer(good, 16)
stop = False
def flip():
    while not stop:
        ctypes.memmove(buf, bad, 16); ctypes.memmove(buf, good, 16)
t = threading.Thread(target=flip); t.start()
seen = {}
# Up to 1000 tries, ending once the other address was reached (which only
# the unconfined twin can): a loaded machine gives the flips few windows.
for _ in range(1000):
    s = socket.socket()
    rc = libc.connect(s.fileno(), buf, 16)
    if rc == 0:
        peer = s.getpeername()[1]
        seen[peer] = seen.get(peer, 0) + 1
    s.close()
    if target in seen:
        break
stop = True; t.join()
print("peers", sorted(seen))
"#;

#[test]
fn a_racing_thread_cannot_redirect_a_checked_connect() {
    let s = Scratch::new();
    let origin = Origin::new("raced");
    let allow = format!("localhost:{}", origin.port);
    let (dir, env) = python();
    let mut cmd = s.nono();
    cmd.args(["run", "--preset", "python", "--net-allow", &allow, "--"])
        .arg(dir.join("python3"))
        .args(["-c", RACE])
        .env("TARGET", origin.port.to_string());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = Outcome::of(&mut cmd);
    out.expect_ok();
    let proxy_only = out.stdout.lines().any(|l| {
        l.strip_prefix("peers [")
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|ports| !ports.is_empty() && !ports.contains(&origin.port.to_string()))
    });
    assert!(proxy_only, "{out:#?}");
    // Twin: unconfined, the same race reaches the other port too.
    // A stand-in for the proxy that accepts (so that no connect waits on a
    // full backlog).
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let fake_proxy = listener.local_addr().expect("addr").port();
    let accepting = listener.try_clone().expect("clone");
    std::thread::spawn(move || for _ in accepting.incoming() {});
    let (dir, env) = python();
    let mut twin = Command::new(dir.join("python3"));
    twin.args(["-c", RACE])
        .env("HTTP_PROXY", format!("http://127.0.0.1:{fake_proxy}"))
        .env("TARGET", origin.port.to_string());
    for (k, v) in env {
        twin.env(k, v);
    }
    let twin = Outcome::of(&mut twin);
    drop(listener);
    twin.expect_ok().expect_stdout(&origin.port.to_string());
}

#[test]
fn verbose_runs_name_each_refused_host_once() {
    let s = Scratch::new();
    let origin = Origin::new("v");
    let allow = format!("localhost:{}", origin.port);
    let curl = which("curl").expect("curl");
    let url = format!("http://127.0.0.1:{}/", origin.port);
    let script = format!(
        "{c} -sS {url} >/dev/null; {c} -sS {url} >/dev/null; {c} -sS http://localhost:{p}/",
        c = curl.display(),
        p = origin.port
    );
    let out = s.run([
        "run",
        "-v",
        "--net-allow",
        &allow,
        "--",
        "/bin/sh",
        "-c",
        &script,
    ]);
    out.expect_ok()
        .expect_stdout("v")
        .expect_stderr("nono: proxy on 127.0.0.1:");
    let refused = format!("127.0.0.1:{} is not allowed", origin.port);
    assert_eq!(out.stderr.matches(&refused).count(), 1, "{out:#?}");
    // Twin: without -v, nothing is logged.
    let quiet = s.run(["run", "--net-allow", &allow, "--", "/bin/sh", "-c", &script]);
    quiet.expect_ok().expect_no_stderr("is not allowed");
}

#[test]
fn pip_downloads_from_a_local_index_through_the_proxy() {
    let s = Scratch::new();
    let index = s.mkdir("index/simple/nonopy");
    let wheel = "nonopy-1.0-py3-none-any.whl";
    // A wheel is a zip file: Python writes it.
    let (py, env) = python();
    let mut make = Command::new(py.join("python3"));
    make.args([
        "-c",
        "import sys, zipfile\n\
         with zipfile.ZipFile(sys.argv[1], 'w') as z:\n\
         \x20   z.writestr('nonopy.py', 'X = 1\\n')\n\
         \x20   z.writestr('nonopy-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: nonopy\\nVersion: 1.0\\n')\n\
         \x20   z.writestr('nonopy-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')\n\
         \x20   z.writestr('nonopy-1.0.dist-info/RECORD', '')\n",
    ])
    .arg(index.join(wheel));
    for (k, v) in &env {
        make.env(k, v);
    }
    assert!(make.status().expect("python3").success());
    std::fs::write(
        index.join("index.html"),
        format!("<html><body><a href=\"{wheel}\">{wheel}</a></body></html>\n"),
    )
    .expect("write");
    let server = FileServer::new(&s.join("index"));
    let port = server.port;
    let download = |into: &str, allow: &str| {
        let dir = s.mkdir(into);
        let url = format!("http://localhost:{port}/simple/");
        let mut cmd = s.nono();
        cmd.args(["run", "--preset", "python", "--allow"])
            .arg(&dir)
            .args(["--net-allow", allow, "--"])
            .arg(py.join("python3"))
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-cache-dir",
                "--retries",
                "0",
                "--timeout",
                "5",
                "-d",
            ])
            .arg(&dir)
            .args(["--index-url", &url, "nonopy"]);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        (Outcome::of(&mut cmd), dir.join(wheel))
    };
    // Through the index's host and port; twin: another port is not allowed.
    fetched_only_through(port, download);
}

#[test]
fn npm_installs_from_a_local_registry_through_the_proxy() {
    // .ci/run installs node and npm; a missing tool is a failure, not a pass.
    let npm = which("npm").expect("npm must be on PATH");
    which("node").expect("node must be on PATH");
    let s = Scratch::new();
    let pkg = s.mkdir("pkg");
    std::fs::write(
        pkg.join("package.json"),
        r#"{"name":"nonopkg","version":"1.0.0","main":"index.js"}"#,
    )
    .expect("write");
    std::fs::write(pkg.join("index.js"), "module.exports = 42;\n").expect("write");
    let packed = Command::new(&npm)
        .args(["pack", "-q"])
        .current_dir(&pkg)
        .env("HOME", s.home())
        .output()
        .expect("npm pack");
    assert!(packed.status.success(), "{packed:?}");
    let tarball = std::fs::read(pkg.join("nonopkg-1.0.0.tgz")).expect("tarball");
    let sha1 = checksum("sha1sum", &pkg.join("nonopkg-1.0.0.tgz"));
    let registry = s.mkdir("registry/nonopkg");
    std::fs::write(registry.join("nonopkg-1.0.0.tgz"), tarball).expect("write");
    let server = FileServer::new(&s.join("registry"));
    let port = server.port;
    // The package document, served as the directory's index.html.
    std::fs::write(
        registry.join("index.html"),
        format!(
            r#"{{"name":"nonopkg","dist-tags":{{"latest":"1.0.0"}},"versions":{{"1.0.0":{{"name":"nonopkg","version":"1.0.0","dist":{{"tarball":"http://localhost:{port}/nonopkg/nonopkg-1.0.0.tgz","shasum":"{sha1}"}}}}}}}}"#
        ),
    )
    .expect("write");
    let install = |name: &str, allow: &str| {
        let proj = s.mkdir(name);
        std::fs::write(
            proj.join("package.json"),
            r#"{"name":"p","version":"1.0.0"}"#,
        )
        .expect("write");
        let cache = s.mkdir(format!("{name}-npm-cache"));
        let registry = format!("http://localhost:{port}/");
        let mut cmd = s.nono();
        cmd.current_dir(&proj)
            .env("npm_config_cache", &cache)
            .env("npm_config_fetch_retries", "0")
            .args(["run", "--preset", "node", "--allow", ".", "--allow"])
            .arg(&cache)
            .args(["--net-allow", allow, "--"])
            .arg(&npm)
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--registry",
                &registry,
                "nonopkg",
            ]);
        (
            Outcome::of(&mut cmd),
            proj.join("node_modules/nonopkg/index.js"),
        )
    };
    // Through the registry's host and port; twin: another port is not allowed.
    fetched_only_through(port, install);
}
