//! Presets on first use: python (venv, pip), skipped optional caches, shell.

use super::*;

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
    Outcome::of(Command::new(crate::common::PYTHON).args(["-c", builder, text(&wheel)]))
        .expect_ok();
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
    let go = |args: &[String]| Outcome::of(s.nono().env_remove("GOCACHE").args(args));
    let dry_run: Vec<String> = ["run", "--dry-run", "--preset", "go", "--", "true"]
        .map(String::from)
        .to_vec();
    // A dry run makes nothing, and names it with the fix.
    let out = go(&dry_run);
    out.expect_ok().expect_stdout(&format!(
        "(skipped, optional: {shown} does not exist; {fix})"
    ));
    assert_absent(&cache);

    // A run makes it first (a cache the preset declares, below the
    // directory $XDG_CACHE_HOME names), and the command writes in its
    // private layer: the host's cache stays empty.
    let out = go(&run_args(
        ["-v", "--preset", "go"],
        ["touch", &format!("{shown}/entry")],
    ));
    out.expect_ok().expect_no_stderr("go-build does not exist");
    assert!(cache.is_dir());
    assert_absent(&cache.join("entry"));
    let out = go(&dry_run);
    out.expect_ok()
        .expect_stdout(&format!("{shown}  [preset go]"));
    assert!(
        !out.stdout.contains(&format!("mkdir -p {shown}")),
        "{out:#?}"
    );

    // A GOCACHE the user set is made where it says.
    let declared = s.beside("declared").join("go-build");
    let with_var = |var: Option<&Path>| {
        let mut cmd = s.nono();
        cmd.env_remove("GOCACHE").env_remove("XDG_CACHE_HOME");
        if let Some(var) = var {
            cmd.env("GOCACHE", var);
        }
        Outcome::of(cmd.args(run_args(["--preset", "go"], ["true"])))
    };
    with_var(Some(&declared)).expect_ok();
    assert!(declared.is_dir());
    // Never through a link that leaves the home: ~/.cache planted as a
    // link to a directory outside (as an earlier run could) is not
    // followed, and nothing is made there.
    let outside = s.beside("outside-cache");
    std::fs::remove_dir_all(s.home().join(".cache")).unwrap();
    std::os::unix::fs::symlink(&outside, s.home().join(".cache")).unwrap();
    with_var(None).expect_ok();
    assert_absent(&outside.join("go-build"));
    // Its twin: a real ~/.cache gets its go-build.
    std::fs::remove_file(s.home().join(".cache")).unwrap();
    std::fs::create_dir(s.home().join(".cache")).unwrap();
    with_var(None).expect_ok();
    assert!(s.home().join(".cache/go-build").is_dir());
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
