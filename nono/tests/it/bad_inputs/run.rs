//! Preparing the scratch directory for a case, running it, and checking
//! what it did.

use super::*;
use crate::common::{NONO, Outcome, Scratch, c_define, chmod, compile_c, probe, text};
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `{LONGNAME}`: one path component over NAME_MAX (255).
fn long_name() -> String {
    "n".repeat(300)
}

/// `{LONGPATH}`: an absolute path over PATH_MAX (4096) whose components are
/// each short enough; nothing exists there.
fn long_path() -> String {
    format!(
        "/nono-no-such{}",
        format!("/{}", "d".repeat(200)).repeat(25)
    )
}

/// The components of `{DEEP}` below `deep/`.
const DEEP_LEVELS: usize = 20;

fn deep_rel() -> String {
    let mut rel = String::from("deep");
    for _ in 0..DEEP_LEVELS {
        rel.push('/');
        rel.push_str(&"d".repeat(250));
    }
    rel
}

/// Fills in the placeholders of `text`, as bytes (`{FF}` is not UTF-8).
fn fill(text: &str, s: &Scratch) -> OsString {
    let text = text
        .replace("{S}", &s.path().display().to_string())
        .replace("{LONGNAME}", &long_name())
        .replace("{LONGPATH}", &long_path())
        .replace("{DEEP}", &s.join(deep_rel()).display().to_string());
    let mut bytes = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("{FF}") {
        bytes.extend_from_slice(&rest.as_bytes()[..at]);
        bytes.push(0xFF);
        rest = &rest[at + 4..];
    }
    bytes.extend_from_slice(rest.as_bytes());
    OsString::from_vec(bytes)
}

/// The good test plugin, `libgood.so` (`answer.c`), built once: its preset
/// `files` grants Read on /usr.
fn good_plugin() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-inputs-plugin");
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!("libgood.so.{}", std::process::id()));
        let manifest = "(name: \"good\", version: \"1\", presets: [(name: \"files\", description: \"d\", grants: [(path: \"/usr\", access: Read)])])";
        compile_c(
            "answer",
            &tmp,
            &["-shared", "-fPIC", &c_define("ANSWER", manifest.as_bytes())],
        );
        let out = dir.join("libgood.so");
        std::fs::rename(&tmp, &out).unwrap();
        out
    })
}

/// Makes what `setup` says in `s`.
pub(super) fn prepare(s: &Scratch, setup: &[Setup]) {
    let make_parent = |p: &Path| std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    for step in setup {
        match *step {
            File(rel, text) => {
                s.write(rel, text);
            }
            Bytes(rel, bytes) => {
                let p = s.join(rel);
                make_parent(&p);
                std::fs::write(p, bytes).unwrap();
            }
            Dir(rel) => {
                s.mkdir(rel);
            }
            Fifo(rel) => {
                let p = s.join(rel);
                make_parent(&p);
                let st = Command::new("mkfifo").arg(&p).status().unwrap();
                assert!(st.success(), "mkfifo {}", p.display());
            }
            Symlink(rel, target) => {
                let p = s.join(rel);
                make_parent(&p);
                std::os::unix::fs::symlink(fill(target, s), p).unwrap();
            }
            Huge(rel, mib, tail) => {
                let p = s.join(rel);
                make_parent(&p);
                let mut text = vec![b' '; mib << 20];
                text.extend_from_slice(tail.as_bytes());
                std::fs::write(p, text).unwrap();
            }
            Plugin(rel) => {
                let p = s.join(rel);
                make_parent(&p);
                std::fs::copy(good_plugin(), &p).unwrap();
                chmod(&p, 0o644);
            }
            Mode(rel, mode) => chmod(&s.join(rel), mode),
            Deep => {
                // Made relative to a descriptor, one level at a time: the
                // whole path is too long for mkdir(2).
                let argv = probe("mkdir-deep", &[text(&s.path()), &deep_rel()]);
                let st = Command::new(&argv[0]).args(&argv[1..]).status().unwrap();
                assert!(st.success(), "could not make {{DEEP}}");
            }
        }
    }
}

/// Every entry under `dir`, recursively, with its kind and size: what must
/// not change. A directory that cannot be listed (a path over PATH_MAX) is
/// one entry.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            out.push(format!("{rel}/<unlisted>"));
            return;
        };
        let mut entries: Vec<_> = entries.map(|e| e.unwrap()).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let name = format!("{rel}/{}", e.file_name().to_string_lossy());
            let meta = std::fs::symlink_metadata(e.path()).ok();
            let kind = meta.as_ref().map_or("?".to_owned(), |m| {
                format!(
                    "{:?} {}",
                    m.file_type(),
                    if m.is_file() { m.len() } else { 0 }
                )
            });
            out.push(format!("{name} {kind}"));
            if meta.is_some_and(|m| m.is_dir()) {
                walk(&e.path(), &name, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}

/// Runs `cmd` to completion or until `deadline`, then kills it. `None`
/// when it had to be killed.
pub(super) fn run_until(cmd: &mut Command, deadline: Duration) -> Option<Outcome> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nono");
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = reader(Box::new(child.stdout.take().unwrap()));
    let stderr = reader(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    status.map(|st| Outcome {
        code: st.code(),
        stdout,
        stderr,
    })
}

/// Runs one case in a fresh scratch directory; the reasons it failed.
fn check(c: &Bad) -> Vec<String> {
    let s = Scratch::new();
    s.mkdir("out");
    prepare(&s, c.setup);
    let before = listing(&s.path());
    let marker = s.join("out/MARKER");

    let mut argv: Vec<OsString> = Vec::new();
    match c.args {
        Run(args) => {
            argv.extend(["run", "--allow"].map(OsString::from));
            argv.push(fill("{S}/out", &s));
            argv.extend(args.iter().map(|a| fill(a, &s)));
            argv.push("--".into());
            argv.push("touch".into());
            argv.push(marker.clone().into());
        }
        Raw(args) => argv.extend(args.iter().map(|a| fill(a, &s))),
    }
    let mut cmd = if c.limit_memory {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "ulimit -v 524288 && exec \"$@\"", "sh", NONO]);
        cmd
    } else {
        Command::new(NONO)
    };
    cmd.args(&argv)
        .current_dir(s.path())
        .env("HOME", s.home())
        .env("XDG_CONFIG_HOME", s.home().join(".config"))
        .env("XDG_CACHE_HOME", s.cache_home())
        .env("RUST_BACKTRACE", "1")
        .env_remove("NONO_PLUGIN_PATH")
        .env_remove("RUST_LOG")
        .env_remove("TMPDIR");
    for (name, value) in c.env {
        match value {
            Some(v) => cmd.env(name, fill(v, &s)),
            None => cmd.env_remove(name),
        };
    }

    let shown = format!("{}: nono {:?}", c.name, argv);
    let Some(out) = run_until(&mut cmd, c.deadline) else {
        return vec![format!(
            "{shown}: HANG: still running after {:?}, killed",
            c.deadline
        )];
    };
    let mut why = Vec::new();
    for bad in [
        "panicked",
        "RUST_BACKTRACE",
        "internal error",
        "stack backtrace",
    ] {
        if out.stderr.contains(bad) {
            why.push(format!("PANIC ({bad:?} on stderr)"));
        }
    }
    match c.want {
        Error(code, needle) => {
            let needle = fill(needle, &s).to_string_lossy().into_owned();
            let lines: Vec<&str> = out.stderr.lines().collect();
            if out.code != Some(code) {
                why.push(format!("exit {:?}, not {code}", out.code));
            }
            if lines.len() != 1 {
                why.push(format!("{} lines on stderr, not one", lines.len()));
            }
            if !lines.first().is_some_and(|l| l.starts_with("nono: ")) {
                why.push("stderr does not start with `nono: `".to_owned());
            }
            if !out.stderr.contains(&needle) {
                why.push(format!("stderr does not name the input ({needle:?})"));
            }
            if let Some(text) = c.unlike.filter(|t| out.stderr.contains(t)) {
                why.push(format!("stderr says {text:?}"));
            }
            if marker.exists() {
                why.push("the command ran (the marker exists)".to_owned());
            }
            let after = listing(&s.path());
            if after != before {
                let added: Vec<_> = after.iter().filter(|e| !before.contains(e)).collect();
                let gone: Vec<_> = before.iter().filter(|e| !after.contains(e)).collect();
                why.push(format!(
                    "the scratch directory changed: +{added:?} -{gone:?}"
                ));
            }
        }
        Runs => {
            if out.code != Some(0) || !marker.exists() {
                why.push(format!("the command did not run (exit {:?})", out.code));
            }
        }
    }
    if why.is_empty() {
        Vec::new()
    } else {
        vec![format!("{shown}: {}: {out:#?}", why.join("; "))]
    }
}

/// Runs every case of `table`; panics listing every failure.
pub(super) fn run_table(table: &[Bad], tag: &str) {
    let start = Instant::now();
    let failures: Vec<String> = table.iter().flat_map(check).collect();
    eprintln!(
        "{tag}: {} inputs ({} errors, {} accepted), {} failures, {:.1} s",
        table.len(),
        table.iter().filter(|c| matches!(c.want, Error(..))).count(),
        table.iter().filter(|c| matches!(c.want, Runs)).count(),
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
