//! The supervisor (DESIGN.md section 7.2), against the real kernel: what a
//! hostile command tries with pathname Unix sockets, metadata changes and
//! inotify, each attack with its allowed twin (the same probe unconfined,
//! or with the grant that allows it), and the run's life: exit status,
//! signals, standard input, processes left behind.
//!
//! The attacks use the probe (`tests/fixtures/probe.py`), written into the
//! scratch directory and granted Read there. [`sockets`] holds the Unix
//! socket attacks, [`metadata`] metadata changes and inotify, [`life`] the
//! run's life, [`terminal`] the pty.

mod life;
mod metadata;
mod sockets;
mod terminal;

use crate::common::{NONO, Outcome, PROBE, PYTHON, Scratch, mode, open_to_nobody};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Polls `done` every 20 ms until it holds; fails with `what` after `secs`
/// seconds.
fn wait_until(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

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
