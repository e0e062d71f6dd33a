//! The syscall guard (DESIGN.md section 7.1, issue 12): channels out of the
//! sandbox that Landlock does not govern and that need no path decision,
//! each tried for real as a hostile command would, each with a twin that
//! shows the same probe working (unconfined, with the opt-in flag, on the
//! allowed port, or on the caller itself), so no case can pass by the probe
//! failing for another reason.
//!
//! - TCP Fast Open: under `--net-connect P`, `sendto`/`sendmsg`/`sendmmsg`
//!   with `MSG_FASTOPEN` connects to any port without the `connect()`
//!   Landlock checks (IPv4 and IPv6): EACCES. `TCP_FASTOPEN_CONNECT` then
//!   `connect()` is checked by Landlock already (EACCES on another port, a
//!   reply on the granted one).
//! - Other processes' limits and priorities: `prlimit64`, `setpriority`
//!   (process and process group), `ioprio_set`, `sched_setaffinity`,
//!   `sched_setscheduler`, `sched_setparam`, `sched_setattr` aimed at a
//!   process outside (root's and another user's): EPERM, and the victim
//!   is unchanged; a pid with junk in its high half too. The command's own
//!   `nice`, `ionice`, `taskset`, `chrt`, `prlimit` and `setrlimit` (pid 0)
//!   still work; naming its own pid by number is refused, as documented.
//! - System V IPC: the host's message queue and shared memory segment
//!   cannot be seen, read, listed or written, as root (a private IPC
//!   namespace: ENOENT, and the command has System V IPC of its own, gone
//!   after the run) and as another user (refused, EPERM); with
//!   `--allow-sysv-ipc` the other user gets a private namespace too; where
//!   no user namespace can be made, `--allow-sysv-ipc` warns and shares
//!   the host's.
//! - Kernel keyrings: reading a key added outside, searching, adding and
//!   `request_key`: EPERM.
//! - setuid/setgid files by `open`, `openat`, `creat`, `mknod`, `mknodat`
//!   and `O_TMPFILE` (EACCES) and `openat2` (ENOSYS): nothing appears;
//!   mode 0755 works; unconfined, the same calls make set-id files.
//! - The terminal: `TIOCSETD` (a line discipline outlives the command) and
//!   `TIOCEXCL` (exclusive mode outlives it) on the inherited terminal:
//!   EACCES, and the terminal is unchanged; the Linux console's setters on
//!   a virtual terminal: EACCES even with root's capabilities kept.
//! - Host-wide facilities some hosts open to every user: `bpf`,
//!   `perf_event_open` of a whole CPU, `syslog`, io_uring, `fanotify`
//!   watching a directory outside the grants.
//! - What Landlock already closes, pinned so the README's list stays true:
//!   `kcmp`, `setns` into an outside process's namespace through a pidfd,
//!   a pidfd's namespace ioctls, POSIX message queues.
//!
//! The suite runs as root (as CI does). Where nono's capability drop would
//! refuse a call before the guard does, the case runs with `--keep-caps`,
//! so that the guard is what refuses it.

mod files_tty;
mod host;
mod ipc;
mod network;
mod processes;

use crate::common::{NONO, Outcome, PYTHON, Scratch, abi_has};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------
// The probe.
// ---------------------------------------------------------------------------

/// `OP ARGS...`: one attempt with real system calls. Prints `DATA ...` for
/// what it learned, then `OK` (exit 0); or the errno's name (exit 1, and
/// `failed at STEP` on stderr).
const PROBE: &str = include_str!("../../fixtures/guard_probe.py");

/// `setpriv` arguments that run the rest of a command line as uid and gid
/// 65534 (`nobody`) with no supplementary groups.
const NOBODY: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

/// Who runs the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Root,
    Nobody,
}

/// A command line in the scratch directory with the environment nono's
/// tests give it (fake home, own cache), as `who`.
fn command(s: &Scratch, who: Who, argv: &[String]) -> Command {
    let mut full: Vec<String> = match who {
        Who::Root => Vec::new(),
        Who::Nobody => NOBODY.iter().map(|a| (*a).to_owned()).collect(),
    };
    full.extend(argv.iter().cloned());
    let mut cmd = Command::new(&full[0]);
    cmd.args(&full[1..])
        .current_dir(s.path())
        .env("HOME", s.home())
        .env("XDG_CONFIG_HOME", s.home().join(".config"))
        .env("XDG_CACHE_HOME", s.cache_home())
        .env_remove("NONO_PLUGIN_CACHE")
        .env_remove("NONO_PLUGIN_PATH")
        .env_remove("RUST_LOG")
        .env_remove("TMPDIR");
    cmd
}

/// The probe's argv: `python3 -I -c PROBE OP ARGS...`.
fn probe(op: &str, args: &[&str]) -> Vec<String> {
    let mut argv = vec![
        PYTHON.to_owned(),
        "-I".to_owned(),
        "-c".to_owned(),
        PROBE.to_owned(),
        op.to_owned(),
    ];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    argv
}

/// `nono run FLAGS... -- ARGV...`.
fn sandboxed(flags: &[&str], argv: Vec<String>) -> Vec<String> {
    let mut full = vec![NONO.to_owned(), "run".to_owned()];
    full.extend(flags.iter().map(|f| (*f).to_owned()));
    full.push("--".to_owned());
    full.extend(argv);
    full
}

/// The probe `op ARGS` under `nono run FLAGS`, as `who`.
fn inside(s: &Scratch, who: Who, flags: &[&str], op: &str, args: &[&str]) -> Outcome {
    Outcome::of(&mut command(s, who, &sandboxed(flags, probe(op, args))))
}

/// The probe `op ARGS` with no sandbox, as `who`.
fn outside(s: &Scratch, who: Who, op: &str, args: &[&str]) -> Outcome {
    Outcome::of(&mut command(s, who, &probe(op, args)))
}

/// A scratch directory that uid 65534 can reach (the fake home stays
/// closed to it, as a real one would be).
fn scratch() -> Scratch {
    let s = Scratch::new();
    std::fs::set_permissions(s.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    s
}

impl Checks for Outcome {}

/// Assertions on a probe's outcome.
trait Checks: std::borrow::Borrow<Outcome> {
    /// The probe failed with `errno` at `step`.
    #[track_caller]
    fn refused(&self, errno: &str, step: &str) {
        let out = self.borrow();
        assert_eq!(out.code, Some(1), "{out:#?}");
        assert_eq!(out.stdout.trim().lines().last(), Some(errno), "{out:#?}");
        assert!(
            out.stderr.contains(&format!("failed at {step}\n")),
            "expected a failure at {step}: {out:#?}"
        );
    }

    /// The probe succeeded; returns its `DATA` lines.
    #[track_caller]
    fn works(&self) -> Vec<String> {
        let out = self.borrow();
        assert_eq!(out.code, Some(0), "{out:#?}");
        assert_eq!(out.stdout.trim().lines().last(), Some("OK"), "{out:#?}");
        out.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("DATA "))
            .map(str::to_owned)
            .collect()
    }
}

// ---------------------------------------------------------------------------
// 1. TCP Fast Open.
// ---------------------------------------------------------------------------

/// A TCP server on 127.0.0.1 that answers each connection's first message
/// with `pong:MESSAGE`, and remembers the messages.
struct Server {
    port: u16,
    heard: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&heard);
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let mut buf = [0u8; 64];
                let n = conn.read(&mut buf).unwrap_or(0);
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                let _ = conn.write_all(format!("pong:{msg}").as_bytes());
                log.lock().unwrap().push(msg);
            }
        });
        Server { port, heard }
    }

    fn port(&self) -> String {
        self.port.to_string()
    }

    fn heard(&self) -> Vec<String> {
        self.heard.lock().unwrap().clone()
    }
}

/// A `sleep` outside the sandbox, in a process group of its own, killed on
/// drop.
struct Victim(Child);

impl Victim {
    fn start(who: Who) -> Victim {
        let mut argv: Vec<&str> = match who {
            Who::Root => Vec::new(),
            Who::Nobody => NOBODY.to_vec(),
        };
        argv.extend(["sleep", "600"]);
        let child = Command::new(argv[0])
            .args(&argv[1..])
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Victim(child)
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }

    /// Its soft RLIMIT_CORE, nice value, scheduling policy, CPUs and I/O
    /// priority, as the kernel shows them.
    fn state(&self) -> (String, String, String, String, String) {
        let pid = self.0.id();
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap()
            .split_whitespace()
            .nth(4)
            .unwrap()
            .to_owned();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
        // Fields 19 (nice) and 41 (policy), counted from 1 with pid and
        // comm before the ones split here.
        let (nice, policy) = (fields[16].to_owned(), fields[38].to_owned());
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let cpus = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap()
            .trim()
            .to_owned();
        let ionice = Command::new("ionice")
            .args(["-p", &pid.to_string()])
            .output()
            .unwrap();
        let io = String::from_utf8_lossy(&ionice.stdout).trim().to_owned();
        (core, nice, policy, cpus, io)
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
