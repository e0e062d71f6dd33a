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

const HARNESS: &str = include_str!("fixtures/pty_harness.py");

/// Runs the pty harness (fixtures/pty_harness.py) with `spec` in the
/// scratch directory, with nono's test environment (HOME in the fake
/// home), and gives its JSON result.
fn in_terminal(s: &Scratch, spec: &serde_json::Value) -> serde_json::Value {
    s.write("pty_harness.py", HARNESS);
    let mut cmd = Command::new(PYTHON);
    cmd.current_dir(s.path())
        .arg("pty_harness.py")
        .arg(spec.to_string());
    for (key, value) in s.nono().get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "the pty harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn text(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The local-mode flags of modes recorded by the harness.
fn lflag(modes: &serde_json::Value) -> u64 {
    modes[3].as_u64().unwrap()
}

/// `nono run` with the harness readable, as argv for the harness.
fn nono_argv(flags: &[&str], command: &[&str]) -> Vec<String> {
    let mut argv: Vec<String> = vec![
        common::NONO.into(),
        "run".into(),
        "--read".into(),
        "pty_harness.py".into(),
    ];
    argv.extend(flags.iter().map(|f| (*f).to_owned()));
    argv.push("--".into());
    argv.extend(command.iter().map(|c| (*c).to_owned()));
    argv
}

/// The terminal takeover: the job leaves a process behind (double-forked,
/// ignoring SIGHUP, SIGTTOU and SIGTTIN) that waits until the job has
/// ended and the shell has the terminal back, then opens /dev/tty (else
/// uses its standard input), makes itself the terminal's foreground, reads
/// the line the user types next, pushes a byte into the terminal and turns
/// its echo off. What it got is in `work/out`.
fn left_behind_thief(s: &Scratch, job: Vec<String>) -> String {
    let out = s.join("work/out");
    let go = s.join("work/go");
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&go);
    let spec = serde_json::json!({
        "argv": job,
        "timeout": 30,
        "after": [
            {"touch": go},
            {"wait_file": [out, "tcsetpgrp:"]},
            {"sleep": 0.3},
            {"send": "secret-line\r"},
            {"wait_file": [out, "tcsetattr:"]},
        ],
    });
    let result = in_terminal(s, &spec);
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    std::fs::read_to_string(&out).unwrap()
}

#[test]
fn a_process_left_behind_cannot_take_the_terminal_after_nono_exits() {
    let s = Scratch::new();
    s.mkdir("work");
    let thief = format!("{PYTHON} pty_harness.py thief work/out work/go; exit 0");
    // Under nono, with the terminal as standard input, output and error.
    let got = left_behind_thief(
        &s,
        nono_argv(&["--allow", "work"], &["/bin/sh", "-c", &thief]),
    );
    assert!(!got.contains("secret-line"), "{got}");
    assert!(got.contains("tty: ENXIO"), "{got}");
    assert!(!got.contains("tcsetpgrp: ok"), "{got}");
    assert!(got.contains("read: eof"), "{got}");
    assert!(!got.contains("tiocsti: ok"), "{got}");
    assert!(!got.contains("tcsetattr: ok"), "{got}");
    // Under nono, with standard descriptors that are not the terminal
    // (which stays the session's controlling terminal): no /dev/tty.
    let redirected = format!(
        "exec {} </dev/null >/dev/null 2>&1",
        nono_argv(
            &["--allow", "work"],
            &["/bin/sh", "-c", &format!("'{thief}'")]
        )
        .join(" ")
    );
    let got = left_behind_thief(&s, vec!["/bin/sh".into(), "-c".into(), redirected]);
    assert!(!got.contains("secret-line"), "{got}");
    assert!(got.contains("tty: ENXIO"), "{got}");
    assert!(!got.contains("tcsetpgrp: ok"), "{got}");
    // Twins: the same job without nono captures the line, both ways.
    let got = left_behind_thief(&s, vec!["/bin/sh".into(), "-c".into(), thief.clone()]);
    assert!(got.contains("tcsetpgrp: ok"), "{got}");
    assert!(got.contains("read: secret-line"), "{got}");
    assert!(got.contains("tcsetattr: ok"), "{got}");
    let redirected = format!("exec /bin/sh -c '{thief}' </dev/null >/dev/null 2>&1");
    let got = left_behind_thief(&s, vec!["/bin/sh".into(), "-c".into(), redirected]);
    assert!(got.contains("tty: ok"), "{got}");
    assert!(got.contains("read: secret-line"), "{got}");
}

#[test]
fn typed_lines_and_window_sizes_reach_the_command_through_the_pty() {
    let s = Scratch::new();
    // After the line, it waits (as long as the harness lets it) until the
    // new window size reached it.
    let script = "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; stty size; read line; echo got:$line; while [ \"$(stty size)\" = '30 100' ]; do sleep 0.05; done; stty size";
    let spec = serde_json::json!({
        "argv": nono_argv(&[], &["/bin/sh", "-c", script]),
        "rows": 30, "cols": 100,
        "steps": [
            {"expect": "30 100"},
            {"modes": "running"},
            {"send": "hello there\r"},
            {"expect": "got:hello there"},
            {"winsize": [40, 120]},
            {"expect": "40 120"},
        ],
    });
    let result = in_terminal(&s, &spec);
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert!(text(&result["output"]).contains("all-ttys"), "{result:#}");
    // Raw while it ran (the pty's line discipline does the editing), and
    // the modes it had afterwards.
    let running = &result["modes_at"]["running"];
    assert_eq!(lflag(running) & u64::from(libc::ICANON | libc::ECHO), 0);
    assert_eq!(result["modes_after"], result["modes_before"]);
    assert_ne!(*running, result["modes_before"]);
}

#[test]
fn ctrl_c_and_ctrl_d_typed_act_on_the_command_as_on_a_terminal() {
    let s = Scratch::new();
    // Ctrl-C: the command dies by SIGINT, and nono with it (a shell shows
    // 130), as without nono; the terminal's modes come back.
    let job = ["/bin/sh", "-c", "echo ready; sleep 30"];
    let steps = serde_json::json!([{"expect": "ready"}, {"sleep": 0.2}, {"send": "\u{3}"}]);
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": nono_argv(&[], &job), "steps": steps}),
    );
    assert_eq!(text(&result["status"]), "signal 2", "{result:#}");
    assert_eq!(result["modes_after"], result["modes_before"]);
    let twin = in_terminal(&s, &serde_json::json!({"argv": job, "steps": steps}));
    assert_eq!(text(&twin["status"]), "signal 2", "{twin:#}");
    // With its standard descriptors elsewhere, nono gets the terminal's
    // SIGINT and passes it to the command (in a session of its own).
    s.mkdir("work");
    let quiet = format!(
        "exec {} </dev/null >/dev/null 2>&1",
        nono_argv(
            &["--allow", "work"],
            &["/bin/sh", "-c", "'touch work/ready; sleep 30'"]
        )
        .join(" ")
    );
    let ready = s.join("work/ready");
    let steps = serde_json::json!([{"wait_file": [ready, ""]}, {"sleep": 0.2}, {"send": "\u{3}"}]);
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": ["/bin/sh", "-c", quiet], "steps": steps}),
    );
    assert_eq!(text(&result["status"]), "signal 2", "{result:#}");
    // Ctrl-D: end of input for a reader.
    let job = ["/bin/sh", "-c", "cat; echo cat-ended"];
    let steps = serde_json::json!([
        {"sleep": 0.3}, {"send": "abc\r"}, {"expect": "abc"}, {"send": "\u{4}"}, {"expect": "cat-ended"},
    ]);
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": nono_argv(&[], &job), "steps": steps}),
    );
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert_eq!(result["modes_after"], result["modes_before"]);
}

#[test]
fn ctrl_z_suspends_the_run_with_the_terminal_restored_and_fg_continues_it() {
    let s = Scratch::new();
    let job = ["/bin/sh", "-c", "echo ready; read line; echo got:$line"];
    let spec = serde_json::json!({
        "argv": nono_argv(&[], &job),
        "steps": [
            {"expect": "ready"},
            {"sleep": 0.2},
            {"send": "\u{1a}"},
            {"report": "stopped"},
            {"modes": "stopped"},
            {"fg": true},
            {"sleep": 0.3},
            {"send": "after\r"},
            {"expect": "got:after"},
        ],
    });
    let result = in_terminal(&s, &spec);
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    // nono stopped as SIGTSTP stops a program, in the modes it started with.
    assert!(
        text(&result["reports"]).contains(&format!("stopped {}", libc::SIGTSTP)),
        "{result:#}"
    );
    assert_eq!(result["modes_at"]["stopped"], result["modes_before"]);
    assert_eq!(result["modes_after"], result["modes_before"]);
}

#[test]
fn standard_input_from_a_pipe_passes_through_with_the_terminal_on_output() {
    let s = Scratch::new();
    let inner = "[ -t 0 ] || echo stdin-is-a-pipe; [ -t 1 ] && echo stdout-is-a-tty; cat";
    let job = format!(
        "echo piped-line | {}",
        nono_argv(&[], &["/bin/sh", "-c", &format!("'{inner}'")]).join(" ")
    );
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": ["/bin/sh", "-c", job], "steps": [{"expect": "piped-line"}]}),
    );
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    let output = text(&result["output"]);
    assert!(output.contains("stdin-is-a-pipe\r\n"), "{output}");
    assert!(output.contains("stdout-is-a-tty\r\n"), "{output}");
    // The pty makes the line ends; the terminal does not add its own.
    assert!(!output.contains("\r\r\n"), "{output:?}");
    assert_eq!(result["modes_after"], result["modes_before"]);
}

#[test]
fn in_the_background_nono_leaves_the_terminal_alone() {
    let s = Scratch::new();
    let spec = serde_json::json!({
        "argv": nono_argv(&[], &["/bin/sh", "-c", "sleep 0.3; echo from-the-background"]),
        "background": true,
        "steps": [{"modes": "running"}, {"expect": "from-the-background"}],
    });
    let result = in_terminal(&s, &spec);
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert!(!text(&result["reports"]).contains("stopped"), "{result:#}");
    assert_eq!(result["modes_at"]["running"], result["modes_before"]);
    assert_eq!(result["modes_after"], result["modes_before"]);
}

/// How many ticks the command wrote to `work/ticks` so far.
fn ticks(s: &Scratch) -> usize {
    std::fs::read_to_string(s.join("work/ticks"))
        .map(|t| t.len())
        .unwrap_or(0)
}

#[test]
fn sigtstp_to_nono_stops_the_command_and_sigcont_continues_it() {
    use std::os::unix::process::CommandExt;
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
            "while :; do echo x >> work/ticks; sleep 0.02; done",
        ])
        // A process group whose parent is in the session, so that a stop
        // is not discarded (as for a job a shell started).
        .process_group(0)
        .spawn()
        .unwrap();
    let nono = child.id() as i32;
    let deadline = Instant::now() + Duration::from_secs(10);
    while ticks(&s) == 0 {
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signals to our own child; waitpid on it.
    let stopped = unsafe {
        libc::kill(nono, libc::SIGTSTP);
        let mut status = 0;
        libc::waitpid(nono, &raw mut status, libc::WUNTRACED);
        libc::WIFSTOPPED(status).then(|| libc::WSTOPSIG(status))
    };
    assert_eq!(stopped, Some(libc::SIGTSTP));
    // The command stopped with it (a tick in flight may still land).
    std::thread::sleep(Duration::from_millis(200));
    let at_stop = ticks(&s);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(ticks(&s), at_stop, "the command still runs");
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(nono, libc::SIGCONT) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while ticks(&s) == at_stop {
        assert!(Instant::now() < deadline, "the command was not continued");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(nono, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[test]
fn a_nested_nono_on_a_terminal_shares_the_outer_pty_as_a_named_gap() {
    let s = Scratch::new();
    let nono = common::NONO;
    let dir = Path::new(nono).parent().unwrap().to_str().unwrap();
    // The outer sandbox grants no /dev/ptmx: the inner nono cannot open a
    // pty, says so, and its command uses the outer run's pty.
    let job = nono_argv(
        &["--read", dir],
        &[
            nono,
            "run",
            "--",
            "/bin/sh",
            "-c",
            "[ -t 0 ] && echo inner-on-a-tty",
        ],
    );
    let result = in_terminal(&s, &serde_json::json!({"argv": job}));
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    let output = text(&result["output"]);
    assert!(output.contains("inner-on-a-tty"), "{output}");
    assert!(
        output.contains("PartiallyEnforced") && output.contains("terminal: no pty for the command"),
        "{output}"
    );
    // Twin: not nested, no such gap.
    let job = nono_argv(&["-v"], &["/bin/sh", "-c", "[ -t 0 ] && echo on-a-tty"]);
    let result = in_terminal(&s, &serde_json::json!({"argv": job}));
    let output = text(&result["output"]);
    assert!(
        output.contains("FullyEnforced") && output.contains("on-a-tty"),
        "{output}"
    );
}

#[test]
fn a_process_left_behind_writing_without_end_does_not_keep_nono_or_the_terminal() {
    let s = Scratch::new();
    let run = |job: Vec<String>| {
        let spec = serde_json::json!({
            "argv": job,
            "timeout": 20,
            "after": [{"mark": "ended"}, {"sleep": 1.0}, {"mark": "later"}],
        });
        let result = in_terminal(&s, &spec);
        assert_eq!(text(&result["status"]), "exit 3", "{:#}", result["status"]);
        assert!(text(&result["output"]).contains("left-behind"));
        assert_eq!(result["modes_after"], result["modes_before"]);
        let mark = |name: &str| result["marks"][name].as_u64().unwrap();
        (mark("ended"), mark("later"))
    };
    // It ignores SIGHUP and keeps writing to the pty as fast as it can:
    // nono still ends, and once the pty is hung up nothing more reaches
    // the terminal.
    let flood = "(trap '' HUP; exec yes left-behind) & sleep 0.3; exit 3";
    let (ended, later) = run(nono_argv(&[], &["/bin/sh", "-c", flood]));
    assert_eq!(ended, later);
    // The same with a line every 50 ms for 3 s, and its twin: without
    // nono, the lines go on reaching the terminal after the job ended.
    let lines = "(trap '' HUP; i=0; while [ $i -lt 60 ]; do echo left-behind-$i; sleep 0.05; i=$((i+1)); done) & sleep 0.3; exit 3";
    let (ended, later) = run(nono_argv(&[], &["/bin/sh", "-c", lines]));
    assert_eq!(ended, later);
    let (ended, later) = run(vec!["/bin/sh".into(), "-c".into(), lines.into()]);
    assert!(later > ended, "{ended} {later}");
}

#[test]
fn a_command_changing_its_terminal_modes_leaves_the_users_alone() {
    let s = Scratch::new();
    // It turns echo off and the terminal raw, and exits without undoing
    // it: that was the pty; the user's terminal keeps its modes.
    let job = ["/bin/sh", "-c", "stty -echo raw; echo changed"];
    let spec =
        |argv: Vec<String>| serde_json::json!({"argv": argv, "steps": [{"expect": "changed"}]});
    let result = in_terminal(&s, &spec(nono_argv(&[], &job)));
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert_eq!(result["modes_after"], result["modes_before"]);
    // Twin: without nono the same command changes the user's terminal.
    let twin = in_terminal(&s, &spec(job.iter().map(|a| (*a).to_owned()).collect()));
    assert_eq!(text(&twin["status"]), "exit 0", "{twin:#}");
    assert_ne!(twin["modes_after"], twin["modes_before"]);
    assert_eq!(lflag(&twin["modes_after"]) & u64::from(libc::ECHO), 0);
}

#[test]
fn an_editor_suspending_itself_suspends_the_run() {
    let s = Scratch::new();
    // A raw-mode program reads Ctrl-Z as a key and stops itself with
    // SIGTSTP: the kernel stops it (its group has a parent in its session,
    // the pty's waiter), and nono follows; fg continues both.
    let editor = [PYTHON, "pty_harness.py", "editor"];
    let steps = serde_json::json!([
        {"expect": "editor-ready"},
        {"send": "\u{1a}"},
        {"report": "stopped"},
        {"modes": "stopped"},
        {"fg": true},
        {"expect": "editor-resumed"},
        {"send": "q"},
    ]);
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": nono_argv(&[], &editor), "steps": steps}),
    );
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert_eq!(result["modes_at"]["stopped"], result["modes_before"]);
    assert_eq!(result["modes_after"], result["modes_before"]);
    // Twin: the same without nono.
    let twin = in_terminal(&s, &serde_json::json!({"argv": editor, "steps": steps}));
    assert_eq!(text(&twin["status"]), "exit 0", "{twin:#}");
    assert!(text(&twin["reports"]).contains("stopped"), "{twin:#}");
}

#[test]
fn the_command_cannot_signal_the_pty_sessions_waiter() {
    let s = Scratch::new();
    // On a pty the command's parent is nono's waiter, outside the sandbox:
    // signal scoping keeps the command from it (kill -0 asks permission).
    let probe = [
        "/bin/sh",
        "-c",
        "kill -0 $PPID 2>/dev/null && echo signal-sent || echo signal-refused",
    ];
    let result = in_terminal(&s, &serde_json::json!({"argv": nono_argv(&[], &probe)}));
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert!(
        text(&result["output"]).contains("signal-refused"),
        "{result:#}"
    );
    // Twin: with --allow-signals the same probe reaches it.
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": nono_argv(&["--allow-signals"], &probe)}),
    );
    assert!(
        text(&result["output"]).contains("signal-sent"),
        "{result:#}"
    );
}
