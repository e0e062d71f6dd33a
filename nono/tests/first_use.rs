//! What a new user meets first, checked as they would meet it.
//!
//! - A WARNING line before a grant that can write somewhere dangerous (the
//!   whole filesystem, `/etc`, the home, a shell startup file, a directory
//!   on `PATH`), saying what it exposes and the narrower grant; none for an
//!   ordinary grant, a read grant, or a toolchain preset. The harm is shown
//!   for real: `echo >> ~/.bashrc` succeeds under `--allow ~`.
//! - The `python` preset with the real interpreter: `python3 -m venv` (with
//!   ensurepip) and `pip install` of a local wheel, without network; the
//!   release files in `base` are what makes them work (a twin denies one).
//! - `-v` and `--dry-run` name an optional grant skipped because its path is
//!   missing, with the fix, and the fix works.
//! - The `shell` preset with the real bash: startup files run, without a
//!   "Permission denied", and stay read-only; the history stays unreadable.
//! - Messages: clap's "similar argument" tip in the one-line usage error,
//!   pointing to the subcommand's help; "did you mean" for a mistyped
//!   preset; the preset to add for a denied toolchain program; `--json`
//!   without `--dry-run`.
//! - `nono why` exits 1 when the answer is "denied", 0 when allowed, 125
//!   for bad input.
//! - Colour in `-vv` output only on a terminal, never with `NO_COLOR`.
//! - The man page of every subcommand (every flag, exit status, examples)
//!   and shell completions that offer the built-in presets, generated here
//!   (so in CI) and read by the real `man` and `bash` where installed.
//! - `NONO_SANDBOX=1` in the command's environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Outcome, Scratch, assert_absent, run_args, text};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first executable `name` on this test process's PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Writes an executable shell script.
fn script(s: &Scratch, rel: &str, body: &str) -> PathBuf {
    let p = s.write(rel, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// The `nono: WARNING:` lines of an outcome.
fn warnings(out: &Outcome) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with("nono: WARNING: "))
        .collect()
}

/// `nono` with PATH set to `path` (and the system directories after it).
fn nono_with_path(s: &Scratch, first: &[&Path]) -> Command {
    let dirs: Vec<PathBuf> = first
        .iter()
        .map(|p| p.to_path_buf())
        .chain(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from))
        .collect();
    let mut cmd = s.nono();
    cmd.env("PATH", std::env::join_paths(dirs).unwrap());
    cmd
}

// ---------------------------------------------------------------- warnings

#[test]
fn a_grant_that_can_write_a_startup_file_is_warned_and_the_harm_is_real() {
    let s = Scratch::new();
    let bashrc = s.write("home/.bashrc", "# mine\n");
    s.mkdir("home/proj");
    let append = ["/bin/sh", "-c", "echo planted >> \"$HOME/.bashrc\""];

    // --allow ~: warned, and the startup file really can be changed.
    let out = s.run(run_args(["--allow", "~"], append));
    out.expect_ok();
    let w = warnings(&out);
    assert_eq!(w.len(), 1, "{out:#?}");
    assert!(w[0].starts_with("nono: WARNING: --allow ~: "), "{out:#?}");
    assert!(w[0].contains("shell's startup files"), "{out:#?}");
    assert!(w[0].contains("--allow ~/PROJECT"), "{out:#?}");
    assert_eq!(
        std::fs::read_to_string(&bashrc).unwrap(),
        "# mine\nplanted\n"
    );

    // The twin: the narrower grant says nothing, and the file is safe.
    std::fs::write(&bashrc, "# mine\n").unwrap();
    let out = s.run(run_args(["--allow", "~/proj"], append));
    assert_ne!(out.code, Some(0), "{out:#?}");
    out.expect_stderr("Permission denied");
    assert!(warnings(&out).is_empty(), "{out:#?}");
    assert_eq!(std::fs::read_to_string(&bashrc).unwrap(), "# mine\n");

    // A grant on the file itself, and on a dotfiles directory the startup
    // file links into (resolved, as the kernel resolves it).
    let out = s.run(run_args(["--write", "~/.bashrc"], ["true"]));
    out.expect_ok();
    let w = warnings(&out);
    assert_eq!(w.len(), 1, "{out:#?}");
    assert!(
        w[0].contains("--write ~/.bashrc: the command can change the shell startup file ~/.bashrc"),
        "{out:#?}"
    );
    s.write("home/dotfiles/profile", "# profile\n");
    std::os::unix::fs::symlink("dotfiles/profile", s.join("home/.profile")).unwrap();
    let out = s.run(run_args(["--allow", "~/dotfiles"], ["true"]));
    out.expect_ok();
    let w = warnings(&out);
    assert_eq!(w.len(), 1, "{out:#?}");
    assert!(w[0].contains("startup file ~/dotfiles/profile"), "{out:#?}");
    // Reading them is no danger.
    let out = s.run(run_args(["--read", "~/dotfiles", "--read", "~"], ["true"]));
    out.expect_ok();
    assert!(warnings(&out).is_empty(), "{out:#?}");
}

#[test]
fn a_grant_that_can_write_the_system_or_a_path_directory_is_warned() {
    let s = Scratch::new();
    let bin = s.mkdir("tools/bin");
    s.mkdir("proj");
    let nono = || nono_with_path(&s, &[&bin]);

    // The whole filesystem and /etc: checked with --dry-run, which warns too
    // (and grants nothing).
    for (grant, needle) in [
        (
            "/",
            "--allow /: the command can change every file you can write",
        ),
        (
            "/etc",
            "--allow /etc: the command can change the system's configuration in /etc",
        ),
    ] {
        let out = Outcome::of(nono().args(["run", "--dry-run", "--allow", grant, "--", "true"]));
        out.expect_ok();
        let w = warnings(&out);
        assert_eq!(w.len(), 1, "{out:#?}");
        assert!(w[0].contains(needle), "{out:#?}");
    }
    // A directory on PATH, or one holding it, with Write or Allow.
    for flag in ["--allow", "--write"] {
        for grant in ["tools", "tools/bin"] {
            let out = Outcome::of(nono().args(run_args([flag, grant], ["true"])));
            out.expect_ok();
            let w = warnings(&out);
            assert_eq!(w.len(), 1, "{flag} {grant}: {out:#?}");
            assert!(
                w[0].contains(&format!("{} is on your PATH", bin.display()))
                    && w[0].contains(&format!("--read {grant}")),
                "{out:#?}"
            );
        }
    }
    // Ordinary grants, read grants and toolchain presets: nothing. The
    // rust preset's CARGO_HOME holds a bin directory on PATH: that is
    // the toolchain it is for.
    let cargo_bin = s.mkdir("cargo-home/bin");
    for args in [
        &["--allow", "proj"][..],
        &["--read", "tools"],
        &["--read", "/"],
        &["--read", "/etc/passwd"],
        &["--preset", "rust", "--allow", "proj"],
    ] {
        let out = Outcome::of(
            nono_with_path(&s, &[&bin, &cargo_bin])
                .env("CARGO_HOME", s.join("cargo-home"))
                .args(run_args(args.iter().copied(), ["true"])),
        );
        out.expect_ok();
        assert_eq!(out.stderr, "", "{args:?}: {out:#?}");
    }
}

#[test]
fn a_preset_file_that_grants_the_home_is_warned_like_a_flag() {
    // A project could ship a preset file its README tells users to pass;
    // what it grants is warned about as if typed. A copy of a built-in
    // grant is not.
    let s = Scratch::new();
    s.write(
        "project.ron",
        "(name: \"project\", description: \"p\", grants: [(path: \"~\", access: Allow)])",
    );
    s.write(
        "home/.config/nono/presets/rust.ron",
        "(name: \"rust\", description: \"mine\", grants: [(path: \"${CARGO_HOME:-~/.cargo}\", access: Allow, optional: true)])",
    );
    s.mkdir("home/.cargo/bin");
    let out = s.run(run_args(["--preset", "./project.ron"], ["true"]));
    out.expect_ok();
    let w = warnings(&out);
    assert_eq!(w.len(), 1, "{out:#?}");
    assert!(
        w[0].starts_with("nono: WARNING: preset project grants allow ~: the command can change the files in your home"),
        "{out:#?}"
    );
    // The user file shadowing `rust` grants what the built-in grants.
    let out = Outcome::of(
        nono_with_path(&s, &[&s.join("home/.cargo/bin")])
            .env_remove("CARGO_HOME")
            .args(run_args(["--preset", "rust"], ["true"])),
    );
    out.expect_ok();
    assert_eq!(out.stderr, "", "{out:#?}");
}

#[test]
fn a_warning_quotes_a_hostile_name_without_its_control_characters() {
    // A PATH directory whose name holds a terminal escape: the warning names
    // it, escaped, so it cannot rewrite the user's terminal.
    let s = Scratch::new();
    let name = "bin\u{1b}[2J\u{1b}]0;pwned\u{7}";
    let bin = s.mkdir(name);
    let out = Outcome::of(nono_with_path(&s, &[&bin]).args(run_args(["--allow", name], ["true"])));
    out.expect_ok();
    let w = warnings(&out);
    assert_eq!(w.len(), 1, "{out:#?}");
    assert!(
        !out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{7}'),
        "{out:#?}"
    );
    assert!(
        w[0].contains("bin\\u{1b}[2J\\u{1b}]0;pwned\\u{7} is on your PATH"),
        "{out:#?}"
    );
}

// ---------------------------------------------------------------- python

/// python3 from this test process's PATH, and the variables it needs in the
/// sandbox (PYENV_ROOT for a pyenv shim).
fn python() -> (PathBuf, Vec<(String, OsString)>) {
    let python = which("python3").expect("python3 must be on PATH");
    let dir = python.parent().unwrap().to_path_buf();
    let mut env = Vec::new();
    let pyenv_root = std::env::var_os("PYENV_ROOT").or_else(|| {
        (dir.file_name()? == "shims").then(|| dir.parent().unwrap().as_os_str().to_owned())
    });
    if let Some(root) = pyenv_root {
        env.push(("PYENV_ROOT".to_owned(), root));
    }
    (dir, env)
}

/// A wheel of a one-module package, `tinywheel`, built by hand (a zip with
/// the module, METADATA, WHEEL and RECORD), so installing it needs no
/// network and no build backend.
fn write_wheel(dir: &Path) -> PathBuf {
    let builder = r#"
import base64, hashlib, sys, zipfile
files = {
    "tinywheel/__init__.py": "def hello():\n    return 'hello from tinywheel'\n",
    "tinywheel-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinywheel\nVersion: 1.0\n",
    "tinywheel-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: nono-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, body in files.items():
        z.writestr(name, body)
        digest = base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(body.encode())}")
    record.append("tinywheel-1.0.dist-info/RECORD,,")
    z.writestr("tinywheel-1.0.dist-info/RECORD", "\n".join(record) + "\n")
"#;
    let wheel = dir.join("tinywheel-1.0-py3-none-any.whl");
    Outcome::of(Command::new(common::PYTHON).args(["-c", builder, text(&wheel)])).expect_ok();
    wheel
}

#[test]
fn python_preset_creates_a_venv_and_pip_installs_a_local_wheel() {
    let (dir, vars) = python();
    let has_ensurepip = Command::new(dir.join("python3"))
        .args(["-c", "import ensurepip, venv"])
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .status()
        .is_ok_and(|s| s.success());
    if !has_ensurepip {
        eprintln!("skipped: this python3 has no ensurepip (Debian: apt-get install python3-venv)");
        return;
    }
    let s = Scratch::new();
    let proj = s.mkdir("proj");
    let wheel = write_wheel(&proj);
    let nono = |args: &[&str]| {
        let mut cmd = nono_with_path(&s, &[&dir]);
        cmd.current_dir(&proj)
            .envs(vars.iter().map(|(k, v)| (k, v)));
        Outcome::of(cmd.args(args))
    };
    let venv = [
        "run", "--preset", "python", "--allow", ".", "--", "python3", "-m", "venv", ".venv",
    ];
    nono(&venv).expect_ok();
    assert!(
        proj.join(".venv/bin/pip").is_file(),
        "ensurepip installed no pip"
    );
    let install = [
        "run",
        "--preset",
        "python",
        "--allow",
        ".",
        "--",
        ".venv/bin/pip",
        "install",
        "--no-index",
        "--disable-pip-version-check",
        text(&wheel),
    ];
    nono(&install)
        .expect_ok()
        .expect_stdout("Successfully installed tinywheel-1.0");
    nono(&[
        "run",
        "--preset",
        "python",
        "--allow",
        ".",
        "--",
        ".venv/bin/python",
        "-c",
        "import tinywheel; print(tinywheel.hello())",
    ])
    .expect_ok()
    .expect_stdout("hello from tinywheel");

    // The twin: `base` as it was before it granted the distribution's
    // release files (a user file shadows the built-in, and `python` extends
    // it): pip reads them, and fails on the denial. Where neither
    // /etc/debian_version exists nor /etc/os-release is a file of its own
    // (it links into /usr, which base grants anyway), pip reads nothing
    // it is denied.
    let os_release_own =
        std::fs::canonicalize("/etc/os-release").is_ok_and(|p| !p.starts_with("/usr"));
    if !Path::new("/etc/debian_version").exists() && !os_release_own {
        eprintln!("twin skipped: pip reads no release file here that /usr does not hold");
        return;
    }
    let release_files = ["debian_version", "-release\"", "SuSE-release"];
    let (_, builtin_base) = nono_plugins::BUILTIN
        .iter()
        .find(|(name, _)| *name == "base")
        .unwrap();
    let old_base: String = builtin_base
        .lines()
        .filter(|l| !release_files.iter().any(|r| l.contains(r)))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!old_base.contains("/etc/debian_version") && old_base.contains("/etc/passwd"));
    s.write("home/.config/nono/presets/base.ron", &old_base);
    let out = nono(&[&install[..], &["--force-reinstall"]].concat());
    assert_ne!(out.code, Some(0), "{out:#?}");
    out.expect_stderr("PermissionError: [Errno 13] Permission denied: '/etc/");
}

// ---------------------------------------------------------------- skipped grants

#[test]
fn a_missing_optional_cache_is_named_with_its_fix_and_the_fix_works() {
    let s = Scratch::new();
    // The go preset's build cache: ${XDG_CACHE_HOME:-~/.cache}/go-build.
    let cache = s.cache_home().join("go-build");
    let shown = text(&cache).to_owned();
    let fix = format!("create it first (mkdir -p {shown}) to let the command use it");
    let mkdir = ["mkdir", &shown];

    // -v names it with the fix, and indeed nothing inside can create it.
    let go = |args: &[String]| Outcome::of(s.nono().env_remove("GOCACHE").args(args));
    let dry_run: Vec<String> = ["run", "--dry-run", "--preset", "go", "--", "true"]
        .map(String::from)
        .to_vec();
    let out = go(&run_args(["-v", "--preset", "go"], mkdir));
    assert_ne!(out.code, Some(0), "{out:#?}");
    out.expect_stderr(&format!(
        "nono: note: skipped allow ${{GOCACHE:-${{XDG_CACHE_HOME:-~/.cache}}/go-build}} (preset go): {shown} does not exist, and the command cannot create it; {fix}"
    ))
    .expect_stderr("Permission denied");
    assert_absent(&cache);
    // So does --dry-run.
    let out = go(&dry_run);
    out.expect_ok().expect_stdout(&format!(
        "(skipped, optional: {shown} does not exist; {fix})"
    ));

    // The fix: created outside, it is granted, and the note is gone.
    std::fs::create_dir(&cache).unwrap();
    let out = go(&run_args(
        ["-v", "--preset", "go"],
        ["touch", &format!("{shown}/entry")],
    ));
    out.expect_ok().expect_no_stderr("go-build");
    assert!(cache.join("entry").is_file());
    let out = go(&dry_run);
    out.expect_ok()
        .expect_stdout(&format!("{shown}  [preset go]"));
    assert!(
        !out.stdout.contains(&format!("mkdir -p {shown}")),
        "{out:#?}"
    );
}

// ---------------------------------------------------------------- shell

/// A fake home with startup files that leave a mark and define an alias,
/// and a history holding a secret.
fn shell_home(s: &Scratch) {
    s.write("home/.profile", "echo profile-ran\n. \"$HOME/.bashrc\"\n");
    s.write(
        "home/.bashrc",
        "echo bashrc-ran\nalias greet='echo hello from an alias'\n",
    );
    s.write("home/.bash_history", "export TOKEN=history-secret-5d1e\n");
}

#[test]
fn shell_preset_runs_startup_files_without_denials_and_keeps_them_read_only() {
    let s = Scratch::new();
    shell_home(&s);
    s.mkdir("proj");
    let bashrc = s.join("home/.bashrc");
    let before = std::fs::read_to_string(&bashrc).unwrap();

    // A login shell: ~/.profile (which sources ~/.bashrc) runs.
    let login = |grants: &[&str]| {
        s.run(run_args(
            grants.iter().copied(),
            ["bash", "-lc", "echo login-ok"],
        ))
    };
    let out = login(&["--preset", "shell"]);
    out.expect_ok()
        .expect_stdout("profile-ran\nbashrc-ran\nlogin-ok")
        .expect_no_stderr("Permission denied");
    // An interactive shell reading commands: ~/.bashrc's alias works.
    let interactive = |grants: &[&str], commands: &str| {
        let mut cmd = s.nono();
        cmd.args(run_args(grants.iter().copied(), ["bash", "-i"]))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(commands.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    let out = interactive(
        &["--preset", "shell", "--allow", "proj"],
        "greet\necho appended >> ~/.bashrc\ncat ~/.bash_history\nexit 0\n",
    );
    out.expect_ok()
        .expect_stdout("bashrc-ran\nhello from an alias");
    // Not one denial for the startup files; the two the commands asked for.
    let denials: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("Permission denied"))
        .collect();
    assert_eq!(denials.len(), 2, "{out:#?}");
    assert!(
        denials[0].contains(".bashrc") && denials[1].contains(".bash_history"),
        "{out:#?}"
    );
    assert!(!out.stdout.contains("history-secret"), "{out:#?}");
    assert_eq!(std::fs::read_to_string(&bashrc).unwrap(), before);

    // The twin: without the preset each startup file is a denial, and
    // nothing of them runs.
    let out = login(&[]);
    out.expect_stderr(&format!(
        "{}: Permission denied",
        text(&s.join("home/.profile"))
    ));
    assert!(!out.stdout.contains("profile-ran"), "{out:#?}");
    let out = interactive(&[], "greet\nexit 0\n");
    out.expect_stderr(&format!("{}: Permission denied", text(&bashrc)));
    assert!(!out.stdout.contains("hello from an alias"), "{out:#?}");
}

#[test]
fn shell_preset_runs_the_distributions_own_startup_files_quietly() {
    let skel: Vec<&str> = [".bashrc", ".profile"]
        .into_iter()
        .filter(|f| Path::new("/etc/skel").join(f).is_file())
        .collect();
    if skel.is_empty() {
        eprintln!("skipped: no /etc/skel/.bashrc or /etc/skel/.profile here");
        return;
    }
    let s = Scratch::new();
    for f in &skel {
        std::fs::copy(Path::new("/etc/skel").join(f), s.join("home").join(f)).unwrap();
    }
    for args in [&["bash", "-lc", "echo ok"][..], &["bash", "-ic", "echo ok"]] {
        let out = Outcome::of(
            s.nono()
                .env("TERM", "xterm")
                .args(run_args(["--preset", "shell"], args.iter().copied())),
        );
        out.expect_ok()
            .expect_stdout("ok")
            .expect_no_stderr("Permission denied")
            .expect_no_stderr("denied");
        // The twin: without the preset, the same shell is denied its files.
        let out = Outcome::of(
            s.nono()
                .env("TERM", "xterm")
                .args(run_args(Vec::<&str>::new(), args.iter().copied())),
        );
        out.expect_stderr("Permission denied");
    }
}

// ---------------------------------------------------------------- messages

#[test]
fn a_mistyped_flag_keeps_the_tip_and_points_to_the_subcommands_help() {
    let s = Scratch::new();
    s.run(["run", "--alow", ".", "--", "true"])
        .expect_nono_error(
            "unexpected argument '--alow' found; tip: a similar argument exists: '--allow' (see 'nono run --help')",
        );
    s.run(["presets", "show", "--jsn", "rust"])
        .expect_nono_error(
            "tip: a similar argument exists: '--json' (see 'nono presets show --help')",
        );
    s.run(["runn"])
        .expect_nono_error("tip: a similar subcommand exists: 'run' (see 'nono --help')");
    s.run(["run", "--abi", "9", "--", "true"])
        .expect_nono_error("(see 'nono run --help')");
    // The twin: spelt right, it runs.
    s.run(["run", "--allow", ".", "--", "true"]).expect_ok();
}

#[test]
fn a_mistyped_preset_gets_a_suggestion() {
    let s = Scratch::new();
    for (typed, want) in [("rsut", "rust"), ("pyhton", "python"), ("shel", "shell")] {
        s.run(["run", "--preset", typed, "--", "true"]).expect_nono_error(&format!(
            "--preset {typed}: unknown preset '{typed}'; did you mean '{want}'? (known: base, tmp, rust, python, node, go, git, shell"
        ));
    }
    let out = s.run(["run", "--preset", "java", "--", "true"]);
    out.expect_nono_error("unknown preset 'java' (known: ");
    assert!(!out.stderr.contains("did you mean"), "{out:#?}");
    // A user preset is suggested too.
    s.write(
        "home/.config/nono/presets/docs.ron",
        "(name: \"docs\", description: \"d\", grants: [(path: \"/usr\", access: Read)])",
    );
    s.run(["run", "--preset", "doc", "--", "true"])
        .expect_nono_error("did you mean 'docs'?");
    s.run(["run", "--preset", "docs", "--", "true"]).expect_ok();
}

#[test]
fn a_denied_toolchain_program_names_its_preset() {
    let s = Scratch::new();
    let cargo = script(&s, "home/.cargo/bin/cargo", "echo fake cargo ran");
    let shim = script(&s, "home/.pyenv/shims/python3", "echo fake python ran");
    for (program, preset, grant) in [
        (&cargo, "rust", "${CARGO_HOME:-~/.cargo}"),
        (&shim, "python", "${PYENV_ROOT:-~/.pyenv}"),
    ] {
        let program = text(program);
        let out = Outcome::of(
            s.nono()
                .env_remove("CARGO_HOME")
                .env_remove("PYENV_ROOT")
                .args(run_args(["--allow", "."], [program])),
        );
        out.expect_code(126).expect_stderr(&format!(
            "cannot execute {program}: permission denied: the sandbox denies executing {program}; it belongs to a toolchain the preset {preset} grants ({grant}): add --preset {preset}"
        ));
        assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
        assert!(!out.stderr.contains("--read"), "{out:#?}");
        // The twin: with the preset it runs.
        Outcome::of(
            s.nono()
                .env_remove("CARGO_HOME")
                .env_remove("PYENV_ROOT")
                .args(run_args(["--preset", preset, "--allow", "."], [program])),
        )
        .expect_ok()
        .expect_stdout("ran");
    }
    // A program no preset covers still gets the directory to read.
    let other = script(&s, "other/tool", "echo ran");
    s.mkdir("proj");
    s.run(run_args(["--allow", "proj"], [text(&other)]))
        .expect_code(126)
        .expect_stderr(&format!("grant it with --read {}", text(&s.join("other"))));
}

#[test]
fn json_without_dry_run_says_so() {
    let s = Scratch::new();
    for args in [&["run", "--json", "--", "true"][..], &["run", "--json"]] {
        s.run(args).expect_nono_error(
            "--json works only with --dry-run (nono run --dry-run --json ... prints the policy as JSON); a run prints no JSON",
        );
    }
    // The twins: with --dry-run it is JSON, with or without a command.
    for args in [
        &["run", "--dry-run", "--json", "--", "true"][..],
        &["run", "--dry-run", "--json"],
    ] {
        let out = s.run(args);
        out.expect_ok();
        assert!(out.json()["grants"].is_array(), "{out:#?}");
    }
}

// ---------------------------------------------------------------- why

#[test]
fn why_exits_1_for_denied_0_for_allowed_and_125_for_bad_input() {
    let s = Scratch::new();
    let home = s.fake_home();
    let key = format!("{}/.ssh/id_ed25519", text(&home));
    let notes = format!("{}/notes.txt", text(&home));
    for json in [false, true] {
        let with = |mut args: Vec<&str>| {
            if json {
                args.push("--json");
            }
            s.run_home(args)
        };
        let out = with(vec!["why", &key, "--allow", "~"]);
        out.expect_code(1);
        if json {
            assert_eq!(out.json()["allowed"], false);
        } else {
            out.expect_stdout("denied: read");
        }
        assert_eq!(out.stderr, "", "{out:#?}");
        let out = with(vec!["why", &notes, "--allow", "~"]);
        out.expect_ok();
        if json {
            assert_eq!(out.json()["allowed"], true);
        }
        with(vec!["why", "--port", "443", "--net-connect", "80"]).expect_code(1);
        with(vec!["why", "--port", "80", "--net-connect", "80"]).expect_ok();
        with(vec!["why", &key, "--preset", "nosuch"]).expect_nono_error("nosuch");
        with(vec!["why", &key, "--op", "delete"]).expect_nono_error("delete");
    }
    // A script can branch on it.
    let branch = |path: &str| {
        let script = "if \"$0\" why \"$1\" --allow '~' >/dev/null; then echo allowed; else echo denied $?; fi";
        let mut sh = Command::new("/bin/sh");
        sh.args(["-c", script, common::NONO, path]);
        copy_env(&s.nono_home(), &mut sh);
        Outcome::of(&mut sh)
    };
    branch(&key).expect_ok().expect_stdout("denied 1\n");
    branch(&notes).expect_ok().expect_stdout("allowed\n");
}

// ---------------------------------------------------------------- colour

/// Gives `to` the environment changes `from` makes.
fn copy_env(from: &Command, to: &mut Command) {
    for (k, v) in from.get_envs() {
        match v {
            Some(v) => to.env(k, v),
            None => to.env_remove(k),
        };
    }
}

/// Runs `nono ARGS` with its standard streams on a new pseudo-terminal,
/// through python's pty module, and returns what the terminal received.
fn on_a_terminal(s: &Scratch, env: &[(&str, &str)], args: &[&str]) -> String {
    let relay = r#"
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave)
os.close(slave)
out = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
p.wait()
sys.stdout.write(out.decode("utf-8", "replace"))
"#;
    let mut relay_cmd = Command::new(common::PYTHON);
    relay_cmd.args(["-c", relay, common::NONO]).args(args);
    copy_env(&s.nono(), &mut relay_cmd);
    relay_cmd.current_dir(s.path()).env_remove("NO_COLOR");
    for (k, v) in env {
        relay_cmd.env(k, v);
    }
    let out = Outcome::of(&mut relay_cmd);
    out.expect_ok();
    out.stdout
}

#[test]
fn trace_output_is_coloured_only_on_a_terminal() {
    let s = Scratch::new();
    let args = ["run", "-vv", "--allow", ".", "--", "true"];
    // A pipe: no escape sequence, and the status line as the contract says.
    let out = Outcome::of(s.nono().env_remove("NO_COLOR").args(args));
    out.expect_ok()
        .expect_stderr("DEBUG")
        .expect_stderr("\nSandbox status: FullyEnforced\n");
    assert!(!out.stderr.contains('\u{1b}'), "{out:#?}");
    // The twin: on a terminal, colours.
    let tty = on_a_terminal(&s, &[], &args);
    assert!(tty.contains("\u{1b}["), "{tty:?}");
    assert!(tty.contains("Sandbox status: FullyEnforced"), "{tty:?}");
    // NO_COLOR wins over the terminal.
    let tty = on_a_terminal(&s, &[("NO_COLOR", "1")], &args);
    assert!(tty.contains("DEBUG") && !tty.contains('\u{1b}'), "{tty:?}");
    assert!(tty.contains("Sandbox status: FullyEnforced"), "{tty:?}");
}

// ---------------------------------------------------------------- man, completions

/// Every visible long flag of `cmd`, as roff writes it (`\-\-allow`).
fn long_flags(cmd: &clap::Command) -> Vec<String> {
    cmd.get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .map(|l| format!("\\-\\-{}", l.replace('-', "\\-")))
        .collect()
}

#[test]
fn man_pages_for_every_subcommand_with_every_flag_exit_status_and_examples() {
    use clap::CommandFactory;
    let s = Scratch::new();
    let mut top = nono::cli::Cli::command();
    top.build();
    let top_page = s.run(["man"]);
    top_page.expect_ok();
    assert!(top_page.stdout.contains("\n.TH nono 1 "), "{top_page:#?}");
    let pages: Vec<&str> = top
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(clap::Command::get_name)
        .collect();
    assert_eq!(
        pages,
        ["run", "check", "why", "completions", "man", "presets"]
    );
    let out_dir = s.mkdir("man1");
    for name in &pages {
        // The top page lists it.
        top_page.expect_stdout(&format!("nono\\-{name}(1)"));
        let out = s.run(["man", name]);
        out.expect_ok();
        assert!(out.stderr.is_empty(), "{out:#?}");
        let page = &out.stdout;
        assert!(
            page.contains(&format!("\n.TH nono-{name} 1 ")),
            "{name}: {page}"
        );
        let sub = top.find_subcommand(name).unwrap();
        let mut flags = long_flags(sub);
        for child in sub.get_subcommands() {
            flags.extend(long_flags(child));
        }
        for flag in flags {
            assert!(page.contains(&flag), "nono man {name} lacks {flag}");
        }
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
        assert!(page.contains(".SH \"SEE ALSO\""), "{name}");
        std::fs::write(out_dir.join(format!("nono-{name}.1")), page).unwrap();
    }
    let run = s.run(["man", "run"]);
    for needle in [
        ".SH EXAMPLES",
        "nono run \\-\\-preset rust \\-\\-allow . \\-\\- cargo build",
        ".SH GRANTS",
        ".SH \"NETWORK AND IPC\"",
        "NONO_SANDBOX",
        "125",
        "126",
        "127",
    ] {
        run.expect_stdout(needle);
    }
    let why = s.run(["man", "why"]);
    why.expect_stdout(".SH EXAMPLES")
        .expect_stdout("the operation would be denied");
    // The twin: no page for what is not a subcommand.
    s.run(["man", "frob"]).expect_nono_error("'frob'");

    // The real man(1) formats every page without a warning, where it is
    // installed.
    if which("man").is_none() {
        eprintln!("man(1) not installed: formatting not checked");
        return;
    }
    for name in &pages {
        let file = out_dir.join(format!("nono-{name}.1"));
        let out = Outcome::of(
            Command::new("man")
                .args(["-l", "--warnings", text(&file)])
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "80"),
        );
        out.expect_ok();
        assert!(out.stdout.contains("EXIT STATUS"), "{name}: {out:#?}");
        assert!(out.stderr.trim().is_empty(), "{name}: {out:#?}");
    }
}

#[test]
fn completions_offer_the_builtin_presets() {
    let s = Scratch::new();
    let names = [
        "base", "tmp", "rust", "python", "node", "go", "git", "shell",
    ];
    let dir = s.mkdir("completions");
    for shell in ["bash", "zsh", "fish"] {
        let out = s.run(["completions", shell]);
        out.expect_ok();
        for name in names {
            out.expect_stdout(name);
        }
        std::fs::write(dir.join(shell), &out.stdout).unwrap();
    }
    // fish and zsh show each preset's description.
    let fish = std::fs::read_to_string(dir.join("fish")).unwrap();
    assert!(
        fish.contains("shell\\t'Shells: the startup files"),
        "{fish}"
    );

    // The real bash completes them (and subcommand names for `nono man`).
    let complete = |words: &[&str]| -> String {
        let script = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; _nono nono \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[*]}}\"",
            text(&dir.join("bash")),
            words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            words.len() - 1
        );
        let out = Outcome::of(Command::new("bash").args(["--norc", "-c", &script]));
        out.expect_ok();
        out.stdout.trim().to_owned()
    };
    assert_eq!(complete(&["nono", "run", "--preset", "r"]), "rust");
    assert_eq!(complete(&["nono", "run", "-p", "s"]), "shell");
    assert_eq!(complete(&["nono", "presets", "show", "g"]), "go git");
    assert_eq!(complete(&["nono", "why", "--preset", "py"]), "python");
    // The twin: another flag's value completes no preset.
    assert!(!complete(&["nono", "run", "--env", "r"]).contains("rust"));
}

// ---------------------------------------------------------------- the agent recipe's limits

#[test]
fn a_single_granted_file_can_be_rewritten_but_not_replaced_atomically() {
    // What the README's agent recipe warns about: many tools save a file by
    // writing a temporary file beside it and renaming it over the file.
    let s = Scratch::new();
    let file = s.write("home/agent.json", "{}\n");
    s.write("home/agent/state.json", "{}\n");
    let replace = "import os, sys\n\
        path = sys.argv[1]\n\
        tmp = path + '.tmp'\n\
        try:\n    \
            open(tmp, 'w').write('{\"saved\": 1}\\n')\n    \
            os.replace(tmp, path)\n    \
            print('OK')\n\
        except OSError as e:\n    \
            print(e.strerror)\n";
    let in_place = "import sys\nopen(sys.argv[1], 'w').write('{\"saved\": 2}\\n')\nprint('OK')\n";
    let py = |grant: &str, code: &str, target: &Path| {
        s.run(run_args(
            ["--allow", grant],
            [common::PYTHON, "-c", code, text(target)],
        ))
    };
    let out = py("~/agent.json", replace, &file);
    out.expect_ok().expect_stdout("Permission denied");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{}\n");
    assert_absent(&s.join("home/agent.json.tmp"));
    // The twins: rewriting it in place works, and so does the atomic
    // replace inside a granted directory.
    py("~/agent.json", in_place, &file)
        .expect_ok()
        .expect_stdout("OK");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"saved\": 2}\n");
    let state = s.join("home/agent/state.json");
    py("~/agent", replace, &state)
        .expect_ok()
        .expect_stdout("OK");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "{\"saved\": 1}\n");
}

#[test]
fn an_api_key_reaches_the_command_only_when_kept() {
    // The agent recipe passes its API key with --env-keep: nono removes
    // *_API_KEY variables otherwise.
    let s = Scratch::new();
    let show = ["/bin/sh", "-c", "echo \"key=${EXAMPLE_API_KEY-unset}\""];
    let run = |extra: &[&str]| {
        Outcome::of(
            s.nono()
                .env("EXAMPLE_API_KEY", "sk-test-123")
                .args(run_args(extra.iter().copied(), show)),
        )
    };
    run(&[]).expect_ok().expect_stdout("key=unset\n");
    run(&["--env-keep", "EXAMPLE_API_KEY"])
        .expect_ok()
        .expect_stdout("key=sk-test-123\n");
}

// ---------------------------------------------------------------- marker

#[test]
fn the_command_knows_it_runs_inside_nono() {
    let s = Scratch::new();
    let show = ["/bin/sh", "-c", "echo \"marker=${NONO_SANDBOX-unset}\""];
    s.run(run_args(Vec::<&str>::new(), show))
        .expect_ok()
        .expect_stdout("marker=1\n");
    // With an empty environment too, and whatever nono's own says.
    s.run(run_args(["--env-clear"], show))
        .expect_ok()
        .expect_stdout("marker=1\n");
    Outcome::of(
        s.nono()
            .env("NONO_SANDBOX", "0")
            .args(run_args(Vec::<&str>::new(), show)),
    )
    .expect_ok()
    .expect_stdout("marker=1\n");
    // The dry run says it sets it.
    s.run(["run", "--dry-run", "--", "true"])
        .expect_ok()
        .expect_stdout("Environment: set NONO_SANDBOX=1\n");
    // The twin: the same command outside nono has no marker.
    Outcome::of(
        Command::new(show[0])
            .args(&show[1..])
            .env_remove("NONO_SANDBOX"),
    )
    .expect_ok()
    .expect_stdout("marker=unset\n");
}
