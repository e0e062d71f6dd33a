//! Every built-in preset, proved by running the real toolchain under it.
//!
//! Each test runs a real toolchain (cargo, python3, node, git, go, a shell)
//! under real Landlock with one built-in preset and `--allow` on a project
//! directory in the scratch dir, and checks the side effects on disk: the
//! crate is built and its binary prints what its vendored dependency computed,
//! the script's output file is there, the commit is in `git log`. Each has a
//! denial twin: under the same preset, a file outside every grant (a sibling
//! of the project in the scratch dir) cannot be read, the toolchain cannot
//! write outside the project, and without the preset the toolchain does not
//! work at all. Finally `--dry-run --json` shows each preset's own grants.
//!
//! The sandboxed commands get a cleared environment: HOME (and
//! XDG_CONFIG_HOME) in the scratch dir, a PATH that puts the toolchain's own
//! directory first, and only the toolchain variables a test sets on purpose
//! (RUSTUP_HOME, PYENV_ROOT, GOROOT). Where the toolchain lives is found from
//! this test process's own environment (`rustup which cargo`, PATH), never
//! hard-coded. node, git and go are skipped, with the reason on stderr, when
//! they are not installed; cargo and python3 never are.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Outcome, Scratch};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The system directories every sandboxed PATH ends with.
const SYSTEM_PATH: [&str; 3] = ["/usr/local/bin", "/usr/bin", "/bin"];

/// What the files outside every grant contain; no output may show it.
const SECRET: &str = "nono-secret-7f3a9c";

/// The first executable `name` on this test process's PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The trimmed stdout of a command run with this test process's own
/// environment, if it succeeds.
fn stdout_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// A `nono` command for the sandbox tests: working directory `cwd`, and a
/// cleared environment holding only HOME and XDG_CONFIG_HOME (in the scratch
/// dir) and a PATH of `first` then the system directories.
fn nono_in(s: &Scratch, cwd: &Path, first: &[&Path]) -> Command {
    let path: Vec<PathBuf> = first
        .iter()
        .map(|p| p.to_path_buf())
        .chain(SYSTEM_PATH.iter().map(PathBuf::from))
        .collect();
    let mut cmd = s.nono();
    cmd.env_clear()
        .current_dir(cwd)
        .env("HOME", s.home())
        .env("XDG_CONFIG_HOME", s.home().join(".config"))
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("LC_ALL", "C");
    cmd
}

/// Runs `nono run ARGS...` as `cmd` describes.
fn run(cmd: &mut Command, args: &[&str]) -> Outcome {
    Outcome::of(cmd.arg("run").args(args))
}

/// Asserts a failure that the sandbox caused: a non-zero exit, "permission
/// denied" (any case) on stderr, and the secret nowhere in the output.
#[track_caller]
fn expect_denied(out: &Outcome) {
    assert_ne!(out.code, Some(0), "expected a denial: {out:#?}");
    assert!(
        out.stderr.to_lowercase().contains("permission denied"),
        "expected 'permission denied' on stderr: {out:#?}"
    );
    assert!(
        !out.stdout.contains(SECRET) && !out.stderr.contains(SECRET),
        "the secret leaked: {out:#?}"
    );
}

/// A scratch dir with `proj/` (to be granted with --allow) and
/// `outside/secret.txt` beside it (granted by nothing).
fn project() -> (Scratch, PathBuf, PathBuf) {
    let s = Scratch::new();
    let proj = s.mkdir("proj");
    let secret = s.write("outside/secret.txt", SECRET);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), SECRET);
    (s, proj, secret)
}

fn st(p: &Path) -> &str {
    p.to_str().expect("UTF-8 scratch path")
}

// ---------------------------------------------------------------- rust

/// The running Rust toolchain: its `bin` directory (from `rustup which
/// cargo`) and the rustup home it lives in.
struct RustToolchain {
    bin: PathBuf,
    rustup_home: PathBuf,
}

fn rust_toolchain() -> RustToolchain {
    let cargo = stdout_of(Command::new("rustup").args(["which", "cargo"]))
        .expect("`rustup which cargo` must work: this workspace is built with rustup");
    let bin = Path::new(&cargo).parent().unwrap().to_path_buf();
    let rustup_home = stdout_of(Command::new("rustup").args(["show", "home"]))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("RUSTUP_HOME").map(PathBuf::from))
        .expect("the rustup home");
    let rustup_home = rustup_home.canonicalize().unwrap();
    let bin = bin.canonicalize().unwrap();
    assert!(
        bin.starts_with(&rustup_home),
        "the toolchain {} is not under RUSTUP_HOME {}",
        bin.display(),
        rustup_home.display()
    );
    RustToolchain { bin, rustup_home }
}

/// Writes a binary crate `dir` depending on `tinydep = "0.1"`, which cargo
/// takes from the vendored directory source `dir/vendor`. `main_rs` is the
/// crate's `src/main.rs`.
fn write_vendored_crate(dir: &Path, main_rs: &str) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    // `[workspace]`: the scratch dir is inside the nono checkout, and cargo
    // would otherwise look for a workspace root in its (ungranted) parents.
    w(
        "Cargo.toml",
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\ntinydep = \"0.1\"\n\n[workspace]\n",
    );
    w("src/main.rs", main_rs);
    w(
        ".cargo/config.toml",
        "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n\
         [source.vendored-sources]\ndirectory = \"vendor\"\n",
    );
    w(
        "vendor/tinydep/Cargo.toml",
        "[package]\nname = \"tinydep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    w(
        "vendor/tinydep/src/lib.rs",
        "/// The sum of the squares of 1..=n.\n\
         pub fn sum_of_squares(n: u64) -> u64 {\n    (1..=n).map(|i| i * i).sum()\n}\n",
    );
    w(
        "vendor/tinydep/.cargo-checksum.json",
        "{\"files\":{},\"package\":null}",
    );
}

/// `nono` for cargo: the toolchain's bin dir first on PATH (no rustup
/// proxies), RUSTUP_HOME the real rustup home (the preset grants it
/// read-only), CARGO_HOME a fresh dir in the scratch dir.
fn cargo_nono(s: &Scratch, tc: &RustToolchain, cwd: &Path) -> Command {
    let cargo_home = s.mkdir("cargo-home");
    let mut cmd = nono_in(s, cwd, &[&tc.bin]);
    cmd.env("RUSTUP_HOME", &tc.rustup_home)
        .env("CARGO_HOME", cargo_home)
        .env("CARGO_TERM_COLOR", "never");
    cmd
}

#[test]
fn rust_preset_builds_a_crate_with_a_vendored_dependency() {
    let tc = rust_toolchain();
    let (s, proj, _secret) = project();
    write_vendored_crate(
        &proj,
        "fn main() {\n    let greeting = include_str!(\"../greeting.txt\").trim();\n    \
         println!(\"{greeting}: tinydep says {}\", tinydep::sum_of_squares(10));\n}\n",
    );
    std::fs::write(proj.join("greeting.txt"), "hello from the project\n").unwrap();

    run(
        &mut cargo_nono(&s, &tc, &proj),
        &[
            "--preset",
            "rust",
            "--allow",
            ".",
            "--",
            "cargo",
            "build",
            "--offline",
        ],
    )
    .expect_ok()
    .expect_stderr("Compiling tinydep v0.1.0");

    let bin = proj.join("target/debug/hello");
    assert!(bin.is_file(), "cargo built no binary at {}", bin.display());
    assert!(proj.join("Cargo.lock").is_file());
    let out = Outcome::of(&mut Command::new(&bin));
    out.expect_ok()
        .expect_stdout("hello from the project: tinydep says 385");
}

#[test]
fn rust_preset_denies_reading_outside_the_grants() {
    let tc = rust_toolchain();
    let (s, proj, secret) = project();
    std::fs::write(proj.join("inside.txt"), "inside the project\n").unwrap();

    // The allowed twin: a file in the --allow dir is readable.
    run(
        &mut cargo_nono(&s, &tc, &proj),
        &[
            "--preset",
            "rust",
            "--allow",
            ".",
            "--",
            "cat",
            "inside.txt",
        ],
    )
    .expect_ok()
    .expect_stdout("inside the project");

    // A file in a sibling dir that nothing grants is not.
    let out = run(
        &mut cargo_nono(&s, &tc, &proj),
        &["--preset", "rust", "--allow", ".", "--", "cat", st(&secret)],
    );
    expect_denied(&out);
    out.expect_code(1).expect_stderr("Permission denied");

    // Nor can rustc read it: a crate that embeds the secret fails to build.
    write_vendored_crate(
        &proj,
        &format!(
            "fn main() {{ println!(\"{{}} {{}}\", include_str!({:?}), tinydep::sum_of_squares(2)); }}\n",
            st(&secret)
        ),
    );
    let out = run(
        &mut cargo_nono(&s, &tc, &proj),
        &[
            "--preset",
            "rust",
            "--allow",
            ".",
            "--",
            "cargo",
            "build",
            "--offline",
        ],
    );
    expect_denied(&out);
    out.expect_code(101).expect_stderr("couldn't read");
    assert!(!proj.join("target/debug/hello").exists());
}

#[test]
fn rust_preset_keeps_the_toolchain_read_only_and_is_needed() {
    let tc = rust_toolchain();
    let (s, proj, _secret) = project();
    write_vendored_crate(
        &proj,
        "fn main() { println!(\"{}\", tinydep::sum_of_squares(3)); }\n",
    );

    // The preset grants RUSTUP_HOME read-only: opening a toolchain file for
    // appending is denied. (`: >>` writes nothing, so even a failure of this
    // test could not change the toolchain.)
    // (Not a binary: opening a running one, such as cargo, for writing
    // fails with ETXTBSY before Landlock is asked.)
    let components = tc.bin.parent().unwrap().join("lib/rustlib/components");
    assert!(components.is_file(), "{} is missing", components.display());
    let out = run(
        &mut cargo_nono(&s, &tc, &proj),
        &[
            "--preset",
            "rust",
            "--allow",
            ".",
            "--",
            "sh",
            "-c",
            ": >> \"$1\"",
            "sh",
            st(&components),
        ],
    );
    expect_denied(&out);

    // Without the preset cargo cannot even be executed: it lives in
    // RUSTUP_HOME, which only the preset grants.
    let out = run(
        &mut cargo_nono(&s, &tc, &proj),
        &["--allow", ".", "--", "cargo", "build", "--offline"],
    );
    expect_denied(&out);
    out.expect_code(126);
    assert!(!proj.join("target").exists());
}

// ---------------------------------------------------------------- python

/// python3 from this test process's PATH, and the environment it needs (a
/// pyenv shim needs PYENV_ROOT, which the python preset grants).
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
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        env.push(("VIRTUAL_ENV".to_owned(), venv));
    }
    (dir, env)
}

fn python_nono(s: &Scratch, cwd: &Path) -> Command {
    let (dir, env) = python();
    let mut cmd = nono_in(s, cwd, &[&dir]);
    cmd.envs(env);
    cmd
}

#[test]
fn python_preset_runs_a_script_that_writes_into_the_project() {
    let (s, proj, secret) = project();
    std::fs::write(
        proj.join("script.py"),
        "import json, sys\n\
         with open('out.json', 'w') as f:\n    \
             json.dump({'squares': [i * i for i in range(5)], 'version': sys.version_info[0]}, f)\n\
         print('wrote out.json')\n",
    )
    .unwrap();
    run(
        &mut python_nono(&s, &proj),
        &[
            "--preset",
            "python",
            "--allow",
            ".",
            "--",
            "python3",
            "script.py",
        ],
    )
    .expect_ok()
    .expect_stdout("wrote out.json");
    let out: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(proj.join("out.json")).unwrap()).unwrap();
    assert_eq!(out["squares"], serde_json::json!([0, 1, 4, 9, 16]));
    assert_eq!(out["version"], 3);

    // The denial twin: the same interpreter cannot read a file outside the
    // grants, nor write beside it.
    std::fs::write(
        proj.join("leak.py"),
        "import sys\nprint(open(sys.argv[1]).read())\n",
    )
    .unwrap();
    let out = run(
        &mut python_nono(&s, &proj),
        &[
            "--preset",
            "python",
            "--allow",
            ".",
            "--",
            "python3",
            "leak.py",
            st(&secret),
        ],
    );
    expect_denied(&out);
    out.expect_code(1)
        .expect_stderr("PermissionError: [Errno 13] Permission denied");

    let stolen = s.join("outside/copy.txt");
    let out = run(
        &mut python_nono(&s, &proj),
        &[
            "--preset",
            "python",
            "--allow",
            ".",
            "--",
            "python3",
            "-c",
            "import sys; open(sys.argv[1], 'w').write('x')",
            st(&stolen),
        ],
    );
    expect_denied(&out);
    out.expect_stderr("PermissionError");
    assert!(!stolen.exists());
}

#[test]
fn python_preset_is_what_grants_an_interpreter_outside_base() {
    let (dir, _) = python();
    let canonical = dir.join("python3").canonicalize().unwrap();
    if canonical.starts_with("/usr") {
        eprintln!(
            "skipped: python3 is {}, which base grants anyway",
            canonical.display()
        );
        return;
    }
    let (s, proj, _secret) = project();
    // pyenv's shim (or the interpreter itself) lies outside base's grants.
    let out = run(
        &mut python_nono(&s, &proj),
        &[
            "--allow",
            ".",
            "--",
            "python3",
            "-c",
            "print('unreachable')",
        ],
    );
    expect_denied(&out);
    assert!(!out.stdout.contains("unreachable"));
}

// ---------------------------------------------------------------- node

#[test]
fn node_preset_writes_in_the_project_and_cannot_read_outside() {
    let Some(node) = which("node") else {
        eprintln!("skipped: node is not installed (not on PATH)");
        return;
    };
    let (s, proj, secret) = project();
    let dir = node.parent().unwrap();
    let nono = || {
        let mut cmd = nono_in(&s, &proj, &[dir]);
        if let Some(nvm) = std::env::var_os("NVM_DIR") {
            cmd.env("NVM_DIR", nvm);
        }
        cmd
    };

    run(
        &mut nono(),
        &[
            "--preset",
            "node",
            "--allow",
            ".",
            "--",
            "node",
            "-e",
            "require('fs').writeFileSync('out.txt', JSON.stringify([1, 2, 3].map(x => x * 7)))",
        ],
    )
    .expect_ok();
    assert_eq!(
        std::fs::read_to_string(proj.join("out.txt")).unwrap(),
        "[7,14,21]"
    );

    const READ: &str = "try { process.stdout.write(require('fs').readFileSync(process.argv[1], 'utf8')) } \
                        catch (e) { console.log(e.code); process.exit(3) }";
    run(
        &mut nono(),
        &[
            "--preset", "node", "--allow", ".", "--", "node", "-e", READ, "out.txt",
        ],
    )
    .expect_ok()
    .expect_stdout("[7,14,21]");
    let out = run(
        &mut nono(),
        &[
            "--preset",
            "node",
            "--allow",
            ".",
            "--",
            "node",
            "-e",
            READ,
            st(&secret),
        ],
    );
    out.expect_code(3).expect_stdout("EACCES");
    assert!(!out.stdout.contains(SECRET));
}

#[test]
fn node_preset_lets_npm_use_its_cache() {
    let Some(node) = which("node") else {
        eprintln!("skipped: node is not installed (not on PATH)");
        return;
    };
    if which("npm").is_none() {
        eprintln!("skipped: npm is not installed (not on PATH)");
        return;
    }
    let (s, proj, _secret) = project();
    // The cache grant is optional, and an optional grant on a directory that
    // does not exist is skipped: create ~/.npm as a first npm run would.
    let cache = s.mkdir("home/.npm");
    let mut cmd = nono_in(&s, &proj, &[node.parent().unwrap()]);
    cmd.env("npm_config_update_notifier", "false")
        .env("npm_config_offline", "true")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false");
    run(
        &mut cmd,
        &[
            "--preset", "node", "--allow", ".", "--", "npm", "init", "-y",
        ],
    )
    .expect_ok();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(proj.join("package.json")).unwrap()).unwrap();
    assert_eq!(manifest["name"], "proj");
    assert!(
        std::fs::read_dir(cache.join("_logs")).is_ok_and(|mut d| d.next().is_some()),
        "npm wrote no log into its cache {}",
        cache.display()
    );
}

// ---------------------------------------------------------------- git

#[test]
fn git_preset_commits_in_the_project_and_cannot_read_outside() {
    let Some(git) = which("git") else {
        eprintln!("skipped: git is not installed (not on PATH)");
        return;
    };
    let (s, proj, secret) = project();
    // The identity comes from ~/.gitconfig, which the preset grants read-only.
    s.write(
        "home/.gitconfig",
        "[user]\n\tname = Nono Test\n\temail = nono@example.invalid\n\
         [init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
    );
    let dir = git.parent().unwrap();
    let git_run = |args: &[&str]| {
        let mut full = vec!["--preset", "git", "--allow", ".", "--", "git"];
        full.extend_from_slice(args);
        run(&mut nono_in(&s, &proj, &[dir]), &full)
    };

    git_run(&["init", "-q", "."]).expect_ok();
    std::fs::write(proj.join("a.txt"), "first line\n").unwrap();
    git_run(&["add", "a.txt"]).expect_ok();
    git_run(&["commit", "-q", "-m", "first commit"]).expect_ok();
    git_run(&["log", "--format=%an <%ae> %s"])
        .expect_ok()
        .expect_stdout("Nono Test <nono@example.invalid> first commit");
    assert!(proj.join(".git/refs/heads/main").is_file());

    // The allowed twin of the denial: diffing two files in the project works
    // (exit 1: they differ).
    std::fs::write(proj.join("b.txt"), "second line\n").unwrap();
    git_run(&["--no-pager", "diff", "--no-index", "a.txt", "b.txt"])
        .expect_code(1)
        .expect_stdout("+second line");
    // Against a file outside the grants it cannot even open it.
    let out = git_run(&["--no-pager", "diff", "--no-index", "a.txt", st(&secret)]);
    expect_denied(&out);
    out.expect_code(128).expect_stderr("Permission denied");

    // Nor can it create a repository outside the project.
    let elsewhere = s.join("outside/repo");
    let out = git_run(&["init", "-q", st(&elsewhere)]);
    expect_denied(&out);
    assert!(!elsewhere.join(".git").exists());
}

// ---------------------------------------------------------------- go

#[test]
fn go_preset_builds_a_module() {
    let Some(go) = which("go") else {
        eprintln!("skipped: go is not installed (not on PATH; Debian: apt-get install golang-go)");
        return;
    };
    let (s, proj, _secret) = project();
    // Asked with the scratch HOME, so that not even this touches the real one.
    let goroot = stdout_of(
        Command::new(&go)
            .args(["env", "GOROOT"])
            .env("HOME", s.home())
            .env("GOTOOLCHAIN", "local"),
    )
    .expect("go env GOROOT");
    std::fs::write(proj.join("go.mod"), "module example.com/hello\n\ngo 1.18\n").unwrap();
    std::fs::write(
        proj.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n\
         func main() { fmt.Println(\"go says\", strings.Repeat(\"ab\", 3)) }\n",
    )
    .unwrap();
    // GOCACHE and GOPATH keep their defaults in the scratch home. Their
    // grants are optional and skipped when missing, so create them as a
    // first `go` run outside the sandbox would.
    let cache = s.mkdir("home/.cache/go-build");
    s.mkdir("home/go");
    let dir = go.parent().unwrap();
    let nono = || {
        let mut cmd = nono_in(&s, &proj, &[dir]);
        cmd.env("GOROOT", &goroot)
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off");
        cmd
    };
    // -buildvcs=false: the scratch dir is inside the nono checkout, whose
    // .git is (rightly) not granted.
    let go_run = |grants: &[&str], out: &str| {
        let mut args = grants.to_vec();
        args.extend(["--", "go", "build", "-buildvcs=false", "-o", out, "."]);
        run(&mut nono(), &args)
    };

    go_run(&["--preset", "go", "--allow", "."], "hello").expect_ok();
    let bin = proj.join("hello");
    assert!(bin.is_file(), "go built no binary");
    Outcome::of(&mut Command::new(&bin))
        .expect_ok()
        .expect_stdout("go says ababab");
    assert!(
        std::fs::read_dir(&cache).unwrap().next().is_some(),
        "go wrote nothing into its build cache"
    );

    // It cannot write its output outside the grants.
    let outside = s.join("outside/hello");
    let out = go_run(&["--preset", "go", "--allow", "."], st(&outside));
    expect_denied(&out);
    assert!(!outside.exists());

    // Without the preset, neither go's work dir under /tmp nor its build
    // cache is writable (and a Go outside /usr could not even be executed).
    std::fs::remove_file(&bin).unwrap();
    let out = go_run(&["--allow", "."], "hello");
    expect_denied(&out);
    assert!(!bin.exists());
}

// ---------------------------------------------------------------- tmp

#[test]
fn tmp_preset_grants_tmpdir_and_nothing_else() {
    let s = Scratch::new();
    let tmpdir = s.mkdir("tmpdir");
    let not_granted = s.mkdir("not-granted");
    let nono = || {
        let mut cmd = nono_in(&s, &s.path(), &[]);
        cmd.env("TMPDIR", &tmpdir);
        cmd
    };
    const WRITE: &str = "echo written > \"$1\"";

    let in_tmp = tmpdir.join("t.txt");
    run(
        &mut nono(),
        &[
            "--preset",
            "tmp",
            "--",
            "sh",
            "-c",
            WRITE,
            "sh",
            st(&in_tmp),
        ],
    )
    .expect_ok();
    assert_eq!(std::fs::read_to_string(&in_tmp).unwrap(), "written\n");

    // Under the tmp preset, the scratch dir (not granted) stays read-only.
    let elsewhere = not_granted.join("t.txt");
    let out = run(
        &mut nono(),
        &[
            "--preset",
            "tmp",
            "--",
            "sh",
            "-c",
            WRITE,
            "sh",
            st(&elsewhere),
        ],
    );
    expect_denied(&out);
    assert!(!elsewhere.exists());

    // Without the preset, $TMPDIR is not writable either.
    let again = tmpdir.join("again.txt");
    let out = run(&mut nono(), &["--", "sh", "-c", WRITE, "sh", st(&again)]);
    expect_denied(&out);
    assert!(!again.exists());
}

#[test]
fn tmp_preset_grants_slash_tmp() {
    let s = Scratch::new();
    // mktemp makes a fresh file, and the script removes it again.
    const SCRIPT: &str =
        "f=$(mktemp /tmp/nono-preset-test.XXXXXX) && echo ok > \"$f\" && cat \"$f\" && rm \"$f\"";
    run(
        &mut nono_in(&s, &s.path(), &[]),
        &["--preset", "tmp", "--", "sh", "-c", SCRIPT],
    )
    .expect_ok()
    .expect_stdout("ok");
    let out = run(
        &mut nono_in(&s, &s.path(), &[]),
        &["--", "sh", "-c", SCRIPT],
    );
    expect_denied(&out);
}

// ---------------------------------------------------------------- base

#[test]
fn base_alone_runs_system_tools() {
    let s = Scratch::new();
    let nono = || nono_in(&s, &s.path(), &[]);
    run(&mut nono(), &["--", "ls", "/usr/bin"])
        .expect_ok()
        .expect_stdout("\nls\n");
    run(&mut nono(), &["--", "cat", "/etc/passwd"])
        .expect_ok()
        .expect_stdout("root:");
    run(
        &mut nono(),
        &["--", "sh", "-c", "echo discarded > /dev/null"],
    )
    .expect_ok();

    // --no-base is the denial twin: then not even ls can be executed.
    let out = run(&mut nono(), &["--no-base", "--", "ls", "/usr/bin"]);
    expect_denied(&out);
    out.expect_code(126);
}

#[test]
fn base_grants_no_secrets_and_no_proc_or_sys() {
    let s = Scratch::new();
    let nono = || nono_in(&s, &s.path(), &[]);

    if Path::new("/etc/shadow").exists() {
        let out = run(&mut nono(), &["--", "cat", "/etc/shadow"]);
        out.expect_code(1).expect_stderr("Permission denied");
        assert!(!out.stdout.contains("root:"), "{out:#?}");
    } else {
        eprintln!("note: /etc/shadow does not exist here; not checked");
    }

    // /proc/1 is listable outside the sandbox, not inside.
    assert!(std::fs::read_dir("/proc/1").is_ok());
    let out = run(&mut nono(), &["--", "ls", "/proc/1"]);
    expect_denied(&out);
    out.expect_stderr("Permission denied");

    // A /sys/kernel file readable outside the sandbox is not readable inside.
    let sys = [
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "/sys/kernel/uevent_seqnum",
        "/sys/kernel/address_bits",
        "/sys/kernel/profiling",
    ]
    .into_iter()
    .find(|p| std::fs::read(p).is_ok())
    .expect("some /sys/kernel file is readable outside the sandbox");
    run(&mut nono(), &["--", "cat", sys])
        .expect_code(1)
        .expect_stderr("Permission denied");
}

// ---------------------------------------------------------------- dry run

#[test]
fn every_builtin_preset_dry_runs_with_its_own_grants() {
    let s = Scratch::new();
    let catalog = nono_plugins::Catalog::new();
    for name in [
        "base", "tmp", "rust", "python", "node", "go", "git", "shell",
    ] {
        let out = run(
            &mut nono_in(&s, &s.path(), &[]),
            &["--preset", name, "--dry-run", "--json", "--", "true"],
        );
        out.expect_ok();
        let json: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("--preset {name}: bad JSON ({e}): {out:#?}"));
        let grants = json["grants"].as_array().expect("a grants array");
        let from = |preset: &str| -> Vec<(String, String)> {
            grants
                .iter()
                .filter(|g| g["source"]["preset"] == preset)
                .map(|g| {
                    (
                        g["requested"].as_str().unwrap().to_owned(),
                        g["access"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let listed = from(name);
        let loaded = catalog.load(name).unwrap().preset;
        assert!(
            !listed.is_empty(),
            "--preset {name}: no grant from it: {out:#?}"
        );
        for g in &loaded.grants {
            let want = (g.path.clone(), format!("{:?}", g.access));
            assert!(
                listed.contains(&want),
                "--preset {name}: {want:?} missing from the dry run: {listed:?}"
            );
        }
        // `base` is in every run; the presets this one extends are expanded.
        for parent in loaded.extends.iter().map(String::as_str).chain(["base"]) {
            assert!(
                !from(parent).is_empty(),
                "--preset {name}: nothing from {parent}"
            );
        }
        assert!(
            grants.iter().all(|g| g["source"]["preset"].is_string()),
            "--preset {name}: a grant not from a preset: {out:#?}"
        );
    }
}
