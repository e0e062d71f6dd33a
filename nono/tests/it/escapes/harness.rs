//! The fixture, the peers outside the sandbox, and running a table of
//! cases.

use super::root::root_disk;
use super::*;
use crate::common::{chmod, copy_program};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Copies /usr/bin/true (see [`copy_program`]).
fn copy_true(to: &Path) {
    copy_program("/usr/bin/true", to);
}

/// A fresh fixture: see the module's documentation.
pub(super) fn fixture() -> Scratch {
    let s = Scratch::new();
    s.write("secret/s.txt", &format!("{SECRET}\n"));
    s.write("secret/s.sh", "#!/bin/sh\necho script-ran\n");
    s.write("secret/s.py", "print('script-ran')\n");
    s.mkdir("secret/sub");
    copy_true(&s.join("secret/true"));
    s.write("ro/f.txt", RO_DATA);
    s.write("ro/s.sh", "#!/bin/sh\necho script-ran\n");
    s.write("ro/s.py", "print('script-ran')\n");
    copy_true(&s.join("ro/true"));
    s.write("rw/f.txt", "rw-data\n");
    s.write("rw/g.txt", "rw-other\n");
    s.mkdir("rw/sub");
    s.write("wo/h.txt", "wo-data\n");
    s.mkdir("wo/d");
    copy_true(&s.join("wo/true"));
    s.write("p/child/f.txt", "child\n");
    for script in ["secret/s.sh", "ro/s.sh"] {
        chmod(&s.join(script), 0o755);
    }
    s
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Mode, owner, group and modification time of what the attempts aim at in
/// `secret/`.
fn secret_metadata(s: &Scratch) -> Vec<(u32, u32, u32, i64)> {
    ["secret", "secret/s.txt", "secret/true"]
        .iter()
        .map(|p| {
            let m = std::fs::symlink_metadata(s.join(p)).unwrap();
            (m.mode(), m.uid(), m.gid(), m.mtime())
        })
        .collect()
}

/// The peers outside the sandbox that the process cases aim at.
pub(super) struct Outside {
    /// Holds the file the sleeper has as stdin.
    _home: Scratch,
    pub(super) sleeper: Child,
    abs: String,
    _abs_listener: UnixListener,
    absdg: String,
    _absdg_socket: UnixDatagram,
    tcp: std::net::TcpListener,
}

impl Outside {
    pub(super) fn new(tag: &str) -> Outside {
        let home = Scratch::new();
        let secret = home.write("secret.txt", &format!("{SECRET}\n"));
        let sleeper = Command::new("sleep")
            .arg("300")
            .env("NONO_SLEEPER_TOKEN", "sleeper-env-token")
            .stdin(std::fs::File::open(secret).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .expect("start sleep");
        let abs = format!("nono-escapes-{}-{tag}", std::process::id());
        let absdg = format!("{abs}-dgram");
        let abs_listener =
            UnixListener::bind_addr(&SocketAddr::from_abstract_name(abs.as_bytes()).unwrap())
                .unwrap();
        let absdg_socket =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(absdg.as_bytes()).unwrap())
                .unwrap();
        Outside {
            _home: home,
            sleeper,
            abs,
            _abs_listener: abs_listener,
            absdg,
            _absdg_socket: absdg_socket,
            tcp: std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = self.sleeper.kill();
        let _ = self.sleeper.wait();
    }
}

pub(super) fn subst(text: &str, s: &Scratch, out: &Outside) -> String {
    let nono_dir = Path::new(NONO).parent().unwrap();
    let text = text
        .replace("{S}", &s.path().display().to_string())
        .replace("{NONODIR}", &nono_dir.display().to_string())
        .replace("{NONO}", NONO)
        .replace("{PY}", PYTHON)
        .replace("{LOADER}", LOADER)
        .replace("{SLEEPER}", &out.sleeper.id().to_string())
        .replace("{ABSDG}", &out.absdg)
        .replace("{ABS}", &out.abs)
        .replace("{PORT}", &out.tcp.local_addr().unwrap().port().to_string());
    if !(text.contains("{DISK") || text.contains("{BLK}")) {
        return text;
    }
    let d = root_disk()
        .as_ref()
        .expect("a case naming the disk runs only where it was found");
    text.replace("{DISKMAJ}", &d.major.to_string())
        .replace("{DISKMIN}", &d.minor.to_string())
        .replace("{DISK}", &d.node)
        .replace("{BLK}", &d.readable)
}

/// The argv of a command (the probe's through [`probe`]).
fn argv_of(cmd: Cmd) -> Vec<String> {
    match cmd {
        Py(op, args) => probe(op, args),
        Argv(argv) => argv.iter().map(|a| (*a).to_owned()).collect(),
        Sh(script) => vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()],
    }
}

/// Runs `cmd` in the fixture `s`, under `nono run FLAGS` (or, without flags,
/// unsandboxed), with fd 3 as given.
pub(super) fn launch(
    s: &Scratch,
    out: &Outside,
    flags: Option<&[&str]>,
    cmd: Cmd,
    fd3: Fd3,
) -> Outcome {
    launch_as(s, out, &[], flags, cmd, fd3)
}

/// [`launch`], with `prefix` (such as [`NOBODY`]) before nono.
fn launch_as(
    s: &Scratch,
    out: &Outside,
    prefix: &[&str],
    flags: Option<&[&str]>,
    cmd: Cmd,
    fd3: Fd3,
) -> Outcome {
    let mut argv: Vec<String> = prefix.iter().map(|p| (*p).to_owned()).collect();
    if let Some(flags) = flags {
        argv.push(NONO.to_owned());
        argv.push("run".to_owned());
        argv.extend(flags.iter().map(|f| subst(f, s, out)));
        argv.push("--".to_owned());
    }
    argv.extend(argv_of(cmd).iter().map(|a| subst(a, s, out)));
    let mut command = match fd3 {
        Fd3::None => {
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
        Fd3::Read(path) | Fd3::Append(path) => {
            let redirect = if matches!(fd3, Fd3::Read(_)) {
                "3<"
            } else {
                "3>>"
            };
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("f=$1; shift; exec \"$@\" {redirect}\"$f\""))
                .arg("sh")
                .arg(subst(path, s, out))
                .args(&argv);
            c
        }
    };
    command
        .current_dir(s.path())
        .env("HOME", s.home())
        .env("XDG_CONFIG_HOME", s.home().join(".config"))
        .env("XDG_CACHE_HOME", s.cache_home())
        .env_remove("RUST_LOG")
        .env_remove("TMPDIR");
    Outcome::of(&mut command)
}

/// The value of `FIELD:` in `/proc/PID/status` text.
fn status_field<'t>(status: &'t str, field: &str) -> Option<&'t str> {
    status.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

/// Whether `got` is what `expect` says (its placeholders filled in by
/// `fill`); if not, why.
pub(super) fn mismatch(
    expect: Expect,
    got: &Outcome,
    fill: &dyn Fn(&str) -> String,
) -> Option<String> {
    let last = got.stdout.lines().last().unwrap_or("").trim();
    let all = format!("{}{}", got.stdout, got.stderr);
    let ok = match expect {
        Errno(name) => got.code == Some(1) && last == name,
        ErrnoAt(name, step) => {
            got.code == Some(1)
                && last == name
                && got.stderr.contains(&format!("failed at {}", fill(step)))
        }
        Exit(code, needle) => got.code == Some(code) && all.contains(&fill(needle)),
        CapsZero => {
            got.code == Some(0)
                && ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]
                    .iter()
                    .all(|set| {
                        status_field(&got.stdout, set).is_some_and(|v| v.bytes().all(|c| c == b'0'))
                    })
                && status_field(&got.stdout, "NoNewPrivs") == Some("1")
        }
        Unprivileged => {
            let zero =
                |set| status_field(&got.stdout, set).is_some_and(|v| v.bytes().all(|c| c == b'0'));
            let uids: Vec<&str> = status_field(&got.stdout, "Uid")
                .map(|v| v.split_whitespace().collect())
                .unwrap_or_default();
            got.code == Some(0)
                && ["CapInh", "CapPrm", "CapEff", "CapAmb"]
                    .into_iter()
                    .all(zero)
                && status_field(&got.stdout, "NoNewPrivs") == Some("1")
                && uids.len() == 4
                && uids.iter().all(|u| *u == uids[0])
        }
        CapNonZero(set) => {
            got.code == Some(0)
                && status_field(&got.stdout, set).is_some_and(|v| v.bytes().any(|c| c != b'0'))
        }
    };
    (!ok).then(|| format!("expected {expect:?}, got {got:#?}"))
}

/// Runs every case of `table` and its twin; panics with every failure.
pub(super) fn run_table(table: &[Case], tag: &str) {
    run_table_with(table, tag, &|_| {});
}

/// [`run_table`], with `more` adding to every fixture (attempt and twin).
pub(super) fn run_table_with(table: &[Case], tag: &str, more: &dyn Fn(&Scratch)) {
    let out = Outside::new(tag);
    let root = is_root();
    let mut failures = Vec::new();
    let fixture = || {
        let s = fixture();
        more(&s);
        s
    };
    for c in table {
        // The attempt.
        let s = fixture();
        let secret_dir = listing(&s.join("secret"));
        let secret_meta = secret_metadata(&s);
        let prefix: &[&str] = if c.as_nobody { &NOBODY } else { &[] };
        let got = launch_as(&s, &out, prefix, Some(c.flags), c.cmd, c.fd3);
        let shown = format!("{prefix:?} {:?} {:?}", c.flags, c.cmd);
        let refusable = abi_has(c.needs_abi);
        if !refusable {
            // A kernel without the feature: the attempt goes through, and
            // nono's warning names the gap.
            let gap = gap_feature(c.needs_abi);
            if got.code != Some(0) || !got.stderr.contains(&format!("{gap}: needs ABI")) {
                failures.push(format!(
                    "{}: attempt {shown}: below ABI {}, expected it to go through with the gap {gap} named, got {got:#?}",
                    c.name, c.needs_abi
                ));
            }
        } else if let Some(why) = mismatch(c.expect, &got, &|t| subst(t, &s, &out)) {
            failures.push(format!("{}: attempt {shown}: {why}", c.name));
        }
        if got.stdout.contains(SECRET) || got.stderr.contains(SECRET) {
            failures.push(format!(
                "{}: attempt {shown}: LEAKED the secret: {got:#?}",
                c.name
            ));
        }
        let intact = std::fs::read_to_string(s.join("secret/s.txt")).ok()
            == Some(format!("{SECRET}\n"))
            && std::fs::read_to_string(s.join("ro/f.txt")).ok().as_deref() == Some(RO_DATA)
            && listing(&s.join("secret")) == secret_dir
            && secret_metadata(&s) == secret_meta;
        if refusable && !intact {
            failures.push(format!(
                "{}: attempt {shown}: CHANGED secret/ or ro/f.txt: {got:#?}",
                c.name
            ));
        }

        // The twin, in a fresh fixture.
        if c.twin_needs_root && !root {
            eprintln!("{}: twin skipped: it needs root", c.name);
            continue;
        }
        let s = fixture();
        let (flags, cmd, fd3, expect) = match c.twin {
            Twin::Cmd(cmd, e) => (Some(c.flags), cmd, c.fd3, e),
            Twin::Flags(flags, e) => (Some(flags), c.cmd, c.fd3, e),
            Twin::Both(flags, cmd, e) => (Some(flags), cmd, c.fd3, e),
            Twin::Fd3(fd3, cmd, e) => (Some(c.flags), cmd, fd3, e),
            Twin::Unsandboxed(cmd, e) => (None, cmd, c.fd3, e),
        };
        let got = launch(&s, &out, flags, cmd, fd3);
        if let Some(why) = mismatch(expect, &got, &|t| subst(t, &s, &out)) {
            failures.push(format!("{}: twin {flags:?} {cmd:?} {fd3:?}: {why}", c.name));
        }
    }
    eprintln!(
        "{tag}: {} escape attempts, {} failures",
        table.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
