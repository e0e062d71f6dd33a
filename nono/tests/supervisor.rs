//! The supervisor (DESIGN.md section 7.2), against the real kernel: what a
//! hostile command tries with pathname Unix sockets, metadata changes and
//! inotify, each attack with its allowed twin (the same probe unconfined,
//! or with the grant that allows it), and the run's life: exit status,
//! signals, standard input, processes left behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Outcome, PYTHON, Scratch};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PROBE: &str = include_str!("fixtures/supervisor_probe.py");
const RACE: &str = include_str!("fixtures/unix_race.c");

/// A Unix socket server outside every grant that records what it receives
/// (the proof that a connection or a datagram got through).
struct Server {
    received: Arc<Mutex<Vec<String>>>,
    path: PathBuf,
}

impl Server {
    fn stream(path: &Path) -> Server {
        let listener = UnixListener::bind(path).unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let log = log.clone();
                std::thread::spawn(move || {
                    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                    let mut text = String::new();
                    let _ = conn.read_to_string(&mut text);
                    log.lock().unwrap().push(text);
                });
            }
        });
        Server {
            received,
            path: path.to_owned(),
        }
    }

    fn datagram(path: &Path) -> Server {
        let sock = UnixDatagram::bind(path).unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = sock.recv(&mut buf) {
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        });
        Server {
            received,
            path: path.to_owned(),
        }
    }

    /// Whether `token` arrived (waiting a little for the server threads).
    fn got(&self, token: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            if self.received.lock().unwrap().iter().any(|t| t == token) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

/// A scratch directory with the probe in it, and a directory beside it
/// (outside every grant) for the servers.
fn setup() -> (Scratch, PathBuf) {
    let s = Scratch::new();
    s.write("probe.py", PROBE);
    let outside = s.beside("outside");
    (s, outside)
}

/// `nono run FLAGS... -- python3 probe.py OP ARGS...` in the scratch dir.
fn probe_in(s: &Scratch, flags: &[&str], op: &str, args: &[&str]) -> Outcome {
    let mut argv: Vec<String> = vec!["run".into(), "--read".into(), "probe.py".into()];
    argv.extend(flags.iter().map(|f| (*f).to_owned()));
    argv.extend(["--".into(), PYTHON.into(), "probe.py".into(), op.into()]);
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    s.run(argv)
}

/// The same probe without nono.
fn probe_unconfined(s: &Scratch, op: &str, args: &[&str]) -> Outcome {
    Outcome::of(
        Command::new(PYTHON)
            .current_dir(s.path())
            .arg("probe.py")
            .arg(op)
            .args(args),
    )
}

fn expect_printed(out: &Outcome, word: &str) {
    assert_eq!(out.stdout.trim(), word, "{out:#?}");
}

#[test]
fn connecting_to_an_outside_stream_socket_is_refused_unless_granted() {
    let (s, outside) = setup();
    let server = Server::stream(&outside.join("agent.sock"));
    let out = probe_in(&s, &[], "connect", &[server.path(), "denied-token"]);
    expect_printed(&out, "EACCES");
    assert!(!server.got("denied-token"));
    // Twins: with --allow-unix on its directory, and unconfined.
    let dir = outside.to_str().unwrap();
    let out = probe_in(
        &s,
        &["--allow-unix", dir],
        "connect",
        &[server.path(), "granted"],
    );
    expect_printed(&out, "OK");
    assert!(server.got("granted"));
    let out = probe_unconfined(&s, "connect", &[server.path(), "free"]);
    expect_printed(&out, "OK");
    assert!(server.got("free"));
}

#[test]
fn datagrams_to_an_outside_socket_are_refused_by_every_call() {
    let (s, outside) = setup();
    let server = Server::datagram(&outside.join("log.sock"));
    for op in ["sendto", "dgram-connect", "sendmsg"] {
        let token = format!("denied-{op}");
        let out = probe_in(&s, &[], op, &[server.path(), &token]);
        expect_printed(&out, "EACCES");
        assert!(!server.got(&token), "{op} got through");
        let token = format!("granted-{op}");
        let out = probe_in(
            &s,
            &["--allow-unix", server.path()],
            op,
            &[server.path(), &token],
        );
        expect_printed(&out, "OK");
        assert!(server.got(&token), "{op} with --allow-unix");
    }
}

#[test]
fn a_symlink_or_an_o_path_descriptor_does_not_lead_around_the_judgement() {
    let (s, outside) = setup();
    let server = Server::stream(&outside.join("agent.sock"));
    s.mkdir("work");
    std::os::unix::fs::symlink(&server.path, s.join("work/link.sock")).unwrap();
    let link = s.join("work/link.sock");
    let link = link.to_str().unwrap();
    let out = probe_in(&s, &["--allow", "work"], "connect", &[link, "via-link"]);
    expect_printed(&out, "EACCES");
    let out = probe_in(&s, &[], "connect-opath", &[server.path(), "via-opath"]);
    expect_printed(&out, "EACCES");
    assert!(!server.got("via-link") && !server.got("via-opath"));
    // Twins: the socket's directory granted, the same two ways work.
    let dir = outside.to_str().unwrap();
    let out = probe_in(
        &s,
        &["--allow", "work", "--allow-unix", dir],
        "connect",
        &[link, "link-ok"],
    );
    expect_printed(&out, "OK");
    let out = probe_in(
        &s,
        &["--allow-unix", dir],
        "connect-opath",
        &[server.path(), "opath-ok"],
    );
    expect_printed(&out, "OK");
    assert!(server.got("link-ok") && server.got("opath-ok"));
}

#[test]
fn a_socket_in_tmp_stays_out_of_reach_under_the_tmp_preset() {
    let (s, _) = setup();
    // Like an ssh-agent or tmux socket: in /tmp, which the tmp preset grants.
    let dir = tempfile::Builder::new()
        .prefix("nono-agent-")
        .tempdir_in("/tmp")
        .unwrap();
    let server = Server::stream(&dir.path().join("agent.1"));
    let out = probe_in(
        &s,
        &["--preset", "tmp"],
        "connect",
        &[server.path(), "tmp-denied"],
    );
    expect_printed(&out, "EACCES");
    assert!(!server.got("tmp-denied"));
    let granted = dir.path().to_str().unwrap();
    let out = probe_in(
        &s,
        &["--preset", "tmp", "--allow-unix", granted],
        "connect",
        &[server.path(), "tmp-granted"],
    );
    expect_printed(&out, "OK");
    assert!(server.got("tmp-granted"));
}

#[test]
fn a_server_the_sandbox_bound_itself_is_reachable_without_a_grant() {
    let (s, _) = setup();
    s.mkdir("work");
    let out = probe_in(&s, &["--allow", "work"], "own-server", &["work"]);
    expect_printed(&out, "OK");
    // Its twin is the refusal of an outside server above; binding needs
    // Write where the socket is made.
    s.mkdir("ro");
    let out = probe_in(&s, &["--read", "ro"], "own-server", &["ro"]);
    expect_printed(&out, "EACCES");
}

#[test]
fn a_thread_flipping_the_address_never_reaches_the_denied_socket() {
    let (s, outside) = setup();
    let granted_dir = s.beside("granted");
    let granted = Server::stream(&granted_dir.join("g.sock"));
    let denied = Server::stream(&outside.join("d.sock"));
    s.write("race.c", RACE);
    let status = Command::new("cc")
        .current_dir(s.path())
        .args(["-O2", "-pthread", "-o", "race", "race.c"])
        .status()
        .unwrap();
    assert!(status.success(), "cc failed");
    let out = s.run([
        "run",
        "--read",
        "race",
        "--allow-unix",
        granted_dir.to_str().unwrap(),
        "--",
        "./race",
        granted.path(),
        denied.path(),
        "raced",
        "3000",
    ]);
    out.expect_ok();
    let connected: usize = out.stdout.trim().parse().unwrap();
    assert!(
        connected > 0,
        "the granted socket was never reached: {out:#?}"
    );
    assert!(granted.got("raced"));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        denied.received.lock().unwrap().is_empty(),
        "the denied server saw a connection"
    );
}

#[test]
fn a_process_left_behind_cannot_connect_after_nono_exits() {
    let (s, outside) = setup();
    let server = Server::stream(&outside.join("late.sock"));
    s.mkdir("work");
    // The command starts a process in the background that waits until
    // nono has exited, then tries: it must fail (the supervisor is gone
    // and its calls fail closed), and says so in a file it may write.
    let script = format!(
        "( sleep 1; {PYTHON} probe.py connect {} late > work/late.txt 2>&1 ) & exit 0",
        server.path()
    );
    let out = s.run([
        "run", "--read", "probe.py", "--allow", "work", "--", "/bin/sh", "-c", &script,
    ]);
    out.expect_ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    let result = loop {
        if let Ok(text) = std::fs::read_to_string(s.join("work/late.txt"))
            && !text.is_empty()
        {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the left-behind process wrote nothing"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // It ran (it wrote its answer) and was refused.
    assert_ne!(result.trim(), "OK", "{result}");
    assert!(!server.got("late"));
}

fn mode_of(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn metadata_changes_need_write_and_leave_a_read_only_file_unchanged() {
    let (s, _) = setup();
    let ro = s.write("ro/file", "read only\n");
    let rw = s.write("rw/file", "writable\n");
    let before = std::fs::metadata(&ro).unwrap();
    let ro_s = ro.to_str().unwrap();
    let rw_s = rw.to_str().unwrap();
    for (op, args) in [
        ("chmod", vec![ro_s, "666"]),
        ("fchmod", vec![ro_s, "666"]),
        ("utime", vec![ro_s]),
        ("setxattr", vec![ro_s]),
        ("chown", vec![ro_s]),
    ] {
        let out = probe_in(&s, &["--read", "ro", "--allow", "rw"], op, &args);
        expect_printed(&out, "EPERM");
    }
    let after = std::fs::metadata(&ro).unwrap();
    assert_eq!(mode_of(&ro), before.permissions().mode() & 0o7777);
    assert_eq!(after.mtime(), before.mtime());
    assert!(xattr_absent(&ro));
    // Twins: the same calls in the writable directory work.
    for (op, args) in [
        ("chmod", vec![rw_s, "640"]),
        ("fchmod", vec![rw_s, "600"]),
        ("utime", vec![rw_s]),
        ("setxattr", vec![rw_s]),
        ("chown", vec![rw_s]),
    ] {
        let out = probe_in(&s, &["--read", "ro", "--allow", "rw"], op, &args);
        expect_printed(&out, "OK");
    }
    assert_eq!(mode_of(&rw), 0o600);
    assert_eq!(std::fs::metadata(&rw).unwrap().mtime(), 1_000_000_000);
    assert!(!xattr_absent(&rw));
}

/// Whether `user.nono` is absent from `path` (asked with Python, which
/// has the call in its standard library).
fn xattr_absent(path: &Path) -> bool {
    let out = Command::new(PYTHON)
        .args([
            "-c",
            "import os,sys; print('user.nono' in os.listxattr(sys.argv[1]))",
        ])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "False"
}

#[test]
fn metadata_of_a_file_outside_every_grant_cannot_change_even_through_a_link() {
    let (s, outside) = setup();
    let target = outside.join("target.txt");
    std::fs::write(&target, "outside\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    s.mkdir("work");
    std::os::unix::fs::symlink(&target, s.join("work/link")).unwrap();
    let out = probe_in(&s, &["--allow", "work"], "chmod", &["work/link", "666"]);
    expect_printed(&out, "EPERM");
    assert_eq!(mode_of(&target), 0o644);
    // Twin: unconfined, the same call changes it.
    let out = probe_unconfined(&s, "chmod", &["work/link", "600"]);
    expect_printed(&out, "OK");
    assert_eq!(mode_of(&target), 0o600);
}

#[test]
fn inotify_watches_need_read() {
    let (s, outside) = setup();
    s.mkdir("ro");
    let out = probe_in(&s, &[], "inotify", &[outside.to_str().unwrap()]);
    expect_printed(&out, "EACCES");
    let out = probe_in(&s, &["--read", "ro"], "inotify", &["ro"]);
    expect_printed(&out, "OK");
    let out = probe_unconfined(&s, "inotify", &[outside.to_str().unwrap()]);
    expect_printed(&out, "OK");
}

#[test]
fn the_exit_status_and_standard_input_pass_through() {
    let s = Scratch::new();
    s.run(["run", "--", "/bin/sh", "-c", "exit 7"])
        .expect_code(7);
    let status = s
        .nono()
        .args(["run", "--", "/bin/sh", "-c", "kill -TERM $$"])
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    let mut child = s
        .nono()
        .args(["run", "--", "/bin/cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"through the supervisor\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"through the supervisor\n");
}

#[test]
fn a_signal_sent_to_nono_reaches_the_command() {
    let s = Scratch::new();
    s.mkdir("work");
    let mut child = s
        .nono()
        .args([
            "run",
            "--allow",
            "work",
            "--",
            "/bin/sh",
            "-c",
            "trap 'echo got-term > work/term; exit 42' TERM; touch work/ready; while :; do sleep 0.05; done",
        ])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.join("work/ready").exists() {
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill of our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(42), "{status:?}");
    assert_eq!(
        std::fs::read_to_string(s.join("work/term")).unwrap(),
        "got-term\n"
    );
}

#[test]
fn a_nested_nono_says_its_own_supervision_is_a_gap() {
    let s = Scratch::new();
    let nono = common::NONO;
    let dir = Path::new(nono)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let out = s.run([
        "run",
        "--read",
        &dir,
        "--",
        nono,
        "run",
        "-v",
        "--",
        "/bin/true",
    ]);
    out.expect_ok()
        .expect_stderr("Sandbox status: PartiallyEnforced");
    out.expect_stderr("supervise: nono already runs under a supervisor");
    let out = s.run([
        "run",
        "--read",
        &dir,
        "--",
        nono,
        "run",
        "--strict",
        "--",
        "/bin/true",
    ]);
    out.expect_code(125).expect_stderr("--strict: supervise");
    // Twin: not nested, the same run is fully enforced.
    s.run(["run", "-v", "--", "/bin/true"])
        .expect_ok()
        .expect_stderr("Sandbox status: FullyEnforced");
}

#[test]
fn an_unprivileged_user_is_supervised_too() {
    let s = Scratch::new();
    if Command::new("runuser").arg("--help").output().is_err() {
        eprintln!("skipped: runuser is not installed");
        return;
    }
    let dir = s.mkdir("nobody");
    s.write("nobody/probe.py", PROBE);
    let ro = s.write("nobody/ro", "x\n");
    let rw = s.write("nobody/rw/f", "x\n");
    for p in [&dir, &ro, &rw, &rw.parent().unwrap().to_path_buf()] {
        std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
    }
    // The scratch directories above must be traversable by nobody.
    let mut p = dir.clone();
    while let Some(parent) = p.parent() {
        let mode = mode_of(parent);
        if mode & 0o001 == 0 {
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(mode | 0o001))
                .unwrap();
        }
        p = parent.to_path_buf();
    }
    let run = |file: &Path| {
        Outcome::of(
            Command::new("runuser")
                .current_dir(&dir)
                .args([
                    "-u",
                    "nobody",
                    "--",
                    common::NONO,
                    "run",
                    "--read",
                    "probe.py",
                ])
                .args([
                    "--read", "ro", "--allow", "rw", "--", PYTHON, "probe.py", "chmod",
                ])
                .arg(file)
                .arg("600")
                .env("HOME", &dir),
        )
    };
    expect_printed(&run(&ro), "EPERM");
    expect_printed(&run(&rw), "OK");
    assert_eq!(mode_of(&rw), 0o600);
    assert_ne!(mode_of(&ro), 0o600);
}
