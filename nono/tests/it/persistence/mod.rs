//! Nothing a run writes may run later outside it (issue 14, DESIGN.md
//! section 7.3): the mount layer's protected paths, tried with the writes a
//! hostile build would make, each with the twin that shows the same write
//! lands (and runs later) when the path is unprotected on purpose.

mod caches;
mod cargo;

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `setpriv` arguments that run the rest of a command line as uid and gid
/// 65534 (`nobody`) with no supplementary groups.
const NOBODY: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

/// A wrapper that makes user namespaces unavailable to the command it runs.
const NO_USERNS: &str = include_str!("../../fixtures/no_userns.py");

/// Each write a hostile build makes to plant code in a repository, one
/// line of output each: `NAME wrote` or `NAME refused`. `$MARK` is the
/// file the planted code would create.
const GIT_ATTACKS: &str = r##"
try() { if (eval "$2") 2>/dev/null; then echo "$1 wrote"; else echo "$1 refused"; fi; }
try hook 'printf "#!/bin/sh\ntouch $MARK\n" > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit'
try sample 'echo "touch $MARK" >> .git/hooks/pre-commit.sample'
try fsmonitor 'git config core.fsmonitor "touch $MARK; false"'
try config-append 'printf "[core]\n\thooksPath = /nonexistent\n" >> .git/config'
try hooks-swap 'mv .git/hooks .git/hooks-old'
try git-swap 'mv .git .git-old'
try commondir 'mkdir -p evil && cp -r .git/. evil/ && printf "[core]\n\tfsmonitor = \"touch $MARK; false\"\n" >> evil/config && echo ../evil > .git/commondir'
"##;

/// What the user does inside the sandbox: it must keep working.
const GIT_WORK: &str = r#"
set -e
echo more >> f.txt
git add f.txt
git commit -qm inside
git branch topic
git checkout -q topic
git checkout -q -
git fetch -q origin
echo "git works"
"#;

fn git(dir: &Path, home: &Path, args: &[&str]) -> Outcome {
    Outcome::of(
        Command::new("git")
            .args(["-c", "safe.directory=*"])
            .args(args)
            .current_dir(dir)
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com"),
    )
}

/// A repository `repo` with one commit and a local remote `remote.git`
/// (a bare clone, read-only to the sandbox), and the user's git identity
/// in the fake home.
fn repository(s: &Scratch) -> PathBuf {
    let repo = s.mkdir("repo");
    s.write(
        "home/.gitconfig",
        "[user]\n\tname = t\n\temail = t@example.com\n[safe]\n\tdirectory = *\n",
    );
    git(&repo, &s.home(), &["init", "-q", "-b", "main"]).expect_ok();
    s.write("repo/f.txt", "one\n");
    git(&repo, &s.home(), &["add", "f.txt"]).expect_ok();
    git(&repo, &s.home(), &["commit", "-qm", "one"]).expect_ok();
    git(
        &s.path(),
        &s.home(),
        &["clone", "-q", "--bare", "repo", "remote.git"],
    )
    .expect_ok();
    git(
        &repo,
        &s.home(),
        &["remote", "add", "origin", "../remote.git"],
    )
    .expect_ok();
    repo
}

/// The state of what the attacks aim at, to compare before and after.
fn snapshot(repo: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut paths = vec![repo.join(".git/config")];
    let mut hooks: Vec<PathBuf> = std::fs::read_dir(repo.join(".git/hooks"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    hooks.sort();
    paths.extend(hooks);
    paths
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).ok()))
        .collect()
}

fn sandboxed_sh(s: &Scratch, repo: &Path, flags: &[&str], script: &str) -> Command {
    let mut cmd = s.nono();
    cmd.current_dir(repo)
        .args([
            "run",
            "-v",
            "--preset",
            "git",
            "--allow",
            ".",
            "--read",
            "../remote.git",
        ])
        .args(flags)
        .args(["--", "sh", "-c", script])
        .env("MARK", s.join("planted-code-ran"));
    cmd
}

/// Runs the lines of [`GIT_ATTACKS`] that `keep` accepts, as [`sandboxed_sh`] with `flags`.
fn run_attacks(s: &Scratch, repo: &Path, flags: &[&str], keep: impl Fn(&str) -> bool) -> Outcome {
    let script: String = GIT_ATTACKS
        .lines()
        .filter(|l| keep(l))
        .map(|l| format!("{l}\n"))
        .collect();
    Outcome::of(&mut sandboxed_sh(s, repo, flags, &script))
}

/// The lines `NAME wrote` / `NAME refused` of a run of [`GIT_ATTACKS`].
fn verdicts(out: &Outcome) -> Vec<String> {
    out.stdout
        .lines()
        .filter(|l| l.ends_with(" wrote") || l.ends_with(" refused"))
        .map(str::to_owned)
        .collect()
}

/// After a run, what the user does outside: `git status` and `git commit`
/// run nothing planted.
fn user_commits_outside(s: &Scratch, repo: &Path) {
    s.write("repo/g.txt", "outside\n");
    git(repo, &s.home(), &["status"]);
    git(repo, &s.home(), &["add", "g.txt"]);
    git(repo, &s.home(), &["commit", "-qm", "outside"]);
}

#[test]
fn a_repository_s_hooks_and_config_are_read_only_and_git_keeps_working() {
    let s = Scratch::new();
    let repo = repository(&s);
    let before = snapshot(&repo);
    let out = Outcome::of(&mut sandboxed_sh(&s, &repo, &[], GIT_ATTACKS));
    out.expect_ok()
        .expect_stderr("nono: protected 4 paths with read-only binds and 0 private layers in a private mount namespace");
    assert_eq!(
        verdicts(&out),
        [
            "hook refused",
            "sample refused",
            "fsmonitor refused",
            "config-append refused",
            "hooks-swap refused",
            "git-swap refused",
            "commondir refused",
        ],
        "{out:#?}"
    );
    assert_eq!(snapshot(&repo), before);
    assert!(repo.join(".git/HEAD").is_file());
    // `nono why` says so; twin: unprotected, it is allowed.
    let why = |flags: &[&str]| {
        Outcome::of(
            s.nono()
                .current_dir(&repo)
                .args([
                    "why",
                    ".git/hooks/pre-commit",
                    "--op",
                    "write",
                    "--allow",
                    ".",
                ])
                .args(flags),
        )
    };
    let denied = why(&[]);
    assert_ne!(denied.code, Some(0), "{denied:#?}");
    denied
        .expect_stdout("denied: write")
        .expect_stdout(&format!(
            "{} is a protected path (git hooks)",
            repo.join(".git/hooks").display()
        ));
    why(&["--unprotect", ".git"])
        .expect_ok()
        .expect_stdout("allowed: write");
    // A dry run lists them, and makes nothing.
    let dry = Outcome::of(s.nono().current_dir(&repo).args([
        "run",
        "--dry-run",
        "--allow",
        ".",
        "--",
        "true",
    ]));
    dry.expect_ok().expect_stdout(&format!(
        "  protected, read-only: {} (git hooks)",
        repo.join(".git/hooks").display()
    ));
    // git itself works inside: add, commit, branch, checkout, fetch.
    Outcome::of(&mut sandboxed_sh(&s, &repo, &[], GIT_WORK))
        .expect_ok()
        .expect_stdout("git works");
    assert!(
        git(&repo, &s.home(), &["log", "--oneline"])
            .stdout
            .contains("inside"),
        "the commit made inside is there"
    );
    user_commits_outside(&s, &repo);
    assert_absent(&s.join("planted-code-ran"));
    // The mounts stayed in the run's namespace.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&repo.display().to_string()), "{mounts}");
}

/// The twin: `--unprotect .git` (with its WARNING line) lets the same
/// writes land, and the user's next plain `git commit` runs the planted
/// hook: what the protection stops is real.
#[test]
fn unprotect_makes_the_repository_writable_again_with_a_warning() {
    let s = Scratch::new();
    let repo = repository(&s);
    let out = run_attacks(&s, &repo, &["--unprotect", ".git"], |l| {
        !l.starts_with("try git-swap") && !l.starts_with("try commondir")
    });
    out.expect_ok().expect_stderr(
        "nono: WARNING: --unprotect .git: writable on purpose; what the command writes there may run later outside the sandbox",
    );
    assert_eq!(
        verdicts(&out),
        [
            "hook wrote",
            "sample wrote",
            "fsmonitor wrote",
            "config-append wrote",
            "hooks-swap wrote",
        ],
        "{out:#?}"
    );
    git(&repo, &s.home(), &["config", "--unset", "core.hooksPath"]).expect_ok();
    std::fs::rename(repo.join(".git/hooks-old"), repo.join(".git/hooks")).unwrap();
    user_commits_outside(&s, &repo);
    assert!(s.join("planted-code-ran").exists(), "the planted hook ran");
    // An --unprotect path that does not exist is an error, not a no-op.
    s.run(["run", "--unprotect", "nowhere", "--", "true"])
        .expect_code(125)
        .expect_stderr("--unprotect \"nowhere\": no such file or directory");
}

/// `.git/commondir` names where git takes config and hooks from; nono
/// makes the harmless one (".") where there is none, read-only. Twin:
/// unprotected, a run points the repository at a config of its making and
/// the user's next `git status` runs it.
#[test]
fn the_common_directory_link_cannot_redirect_the_repository() {
    let s = Scratch::new();
    let repo = repository(&s);
    let commondir = |l: &str| l.starts_with("try()") || l.starts_with("try commondir");
    let out = run_attacks(&s, &repo, &[], commondir);
    assert_eq!(verdicts(&out), ["commondir refused"], "{out:#?}");
    assert_file(&repo.join(".git/commondir"), ".\n");
    git(&repo, &s.home(), &["status"]).expect_ok();
    assert_absent(&s.join("planted-code-ran"));
    std::fs::remove_file(repo.join(".git/commondir")).unwrap();
    std::fs::remove_dir_all(repo.join("evil")).unwrap();
    let out = run_attacks(&s, &repo, &["--unprotect", ".git"], commondir);
    assert_eq!(verdicts(&out), ["commondir wrote"], "{out:#?}");
    git(&repo, &s.home(), &["status"]);
    assert!(
        s.join("planted-code-ran").exists(),
        "the redirected config ran"
    );
}

/// A repository without a hooks directory gets an empty, read-only one:
/// a hook cannot be created in its place.
#[test]
fn a_missing_hooks_directory_is_made_empty_and_read_only() {
    let s = Scratch::new();
    let repo = repository(&s);
    std::fs::remove_dir_all(repo.join(".git/hooks")).unwrap();
    let out = Outcome::of(&mut sandboxed_sh(&s, &repo, &[], GIT_ATTACKS));
    out.expect_ok().expect_stderr(&format!(
        "nono: note: made {} (missing) to protect it",
        repo.join(".git/hooks").display()
    ));
    assert!(
        verdicts(&out).contains(&"hook refused".to_owned()),
        "{out:#?}"
    );
    assert_eq!(
        std::fs::read_dir(repo.join(".git/hooks")).unwrap().count(),
        0
    );
    user_commits_outside(&s, &repo);
    assert_absent(&s.join("planted-code-ran"));
}

/// Landlock forbids every mount change, so even keeping root's
/// capabilities the command cannot take the binds away. Twin: outside the
/// sandbox, in a mount namespace of its own, the same unmount works.
#[test]
fn the_binds_cannot_be_undone_from_inside() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let s = Scratch::new();
    let repo = repository(&s);
    let undo = "umount .git/hooks && echo unmounted; mount -o remount,bind,rw .git/config && echo remounted; true";
    let out = Outcome::of(&mut sandboxed_sh(&s, &repo, &["--keep-caps"], undo));
    out.expect_ok();
    assert!(!out.stdout.contains("unmounted"), "{out:#?}");
    assert!(!out.stdout.contains("remounted"), "{out:#?}");
    let twin = Outcome::of(
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c"])
            .arg("mount --bind .git/hooks .git/hooks && umount .git/hooks && echo unmounted")
            .current_dir(&repo),
    );
    twin.expect_ok().expect_stdout("unmounted");
}

/// Files this run was configured from (a preset file given as a path)
/// cannot be rewritten by it to widen the next run.
#[test]
fn a_preset_file_named_on_the_command_line_cannot_be_rewritten() {
    let s = Scratch::new();
    let preset = s.write(
        "docs.ron",
        "(name: \"docs\", description: \"docs\", grants: [(path: \"/usr/share/doc\", access: Read, optional: true)])\n",
    );
    let widen = "echo '(name: \"docs\", description: \"docs\", grants: [(path: \"/\", access: Allow)])' > docs.ron && echo rewritten";
    let rewrite = |unprotect: &[&str]| {
        let flags = ["--preset", "./docs.ron", "--allow", "."];
        s.run(run_args(flags.iter().chain(unprotect), ["sh", "-c", widen]))
    };
    let out = rewrite(&[]);
    assert!(!out.stdout.contains("rewritten"), "{out:#?}");
    assert!(
        std::fs::read_to_string(&preset)
            .unwrap()
            .contains("/usr/share/doc")
    );
    out.expect_code(2).expect_stderr("Read-only file system");
    // Twin: unprotected on purpose, the rewrite lands.
    let out = rewrite(&["--unprotect", "docs.ron"]);
    out.expect_ok().expect_stdout("rewritten");
}

/// Shell startup files and a toolchain's `bin`, `env` and configuration
/// under a writable home are read-only; what else the grant covers stays
/// writable.
#[test]
fn shell_startup_files_and_toolchain_bin_under_a_writable_grant_are_read_only() {
    let s = Scratch::new();
    s.write("home/.bashrc", "# rc\n");
    s.write("home/.cargo/env", "# env\n");
    s.write("home/.cargo/bin/cargo", "#!/bin/sh\n");
    s.mkdir("home/.cargo/registry");
    let script = r#"
try() { if (eval "$2") 2>/dev/null; then echo "$1 wrote"; else echo "$1 refused"; fi; }
try bashrc 'echo evil >> "$HOME/.bashrc"'
try cargo-env 'echo evil >> "$HOME/.cargo/env"'
try cargo-bin 'echo evil > "$HOME/.cargo/bin/rustc"'
try cargo-config 'echo "[build]" > "$HOME/.cargo/config.toml"'
try registry 'echo ok > "$HOME/.cargo/registry/f"'
"#;
    let out = Outcome::of(
        s.nono()
            .args(["run", "-v", "--allow", "home", "--", "sh", "-c", script])
            .env_remove("CARGO_HOME"),
    );
    out.expect_ok();
    assert_eq!(
        verdicts(&out),
        [
            "bashrc refused",
            "cargo-env refused",
            "cargo-bin refused",
            // Not protected (it does not exist), but nothing new can be
            // made in ~/.cargo anyway: the missing ~/.cargo/credentials is
            // carved out of the grant.
            "cargo-config refused",
            "registry wrote",
        ],
        "{out:#?}"
    );
    assert_file(&s.join("home/.bashrc"), "# rc\n");
    assert_file(&s.join("home/.cargo/env"), "# env\n");
    assert_absent(&s.join("home/.cargo/bin/rustc"));
}

/// Writes the crate `hello` in `dir`: `Cargo.toml` ending in `manifest_tail`, and `src/main.rs`.
fn hello_crate(s: &Scratch, dir: &str, manifest_tail: &str, main_rs: &str) {
    s.write(
        format!("{dir}/Cargo.toml"),
        &format!(
            "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{manifest_tail}\n[workspace]\n"
        ),
    );
    s.write(format!("{dir}/src/main.rs"), main_rs);
}

/// Asserts that the built `program` prints "hello from dep" and that `host_cache` stayed empty.
#[track_caller]
fn expect_hello_from_dep(program: &Path, host_cache: &Path) {
    Outcome::of(&mut Command::new(program))
        .expect_ok()
        .expect_stdout("hello from dep");
    assert!(
        std::fs::read_dir(host_cache).unwrap().next().is_none(),
        "the build wrote into the host's cache {}",
        host_cache.display()
    );
}

fn chown_nobody(path: &Path) {
    Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(path)
        .status()
        .unwrap();
}

/// As an ordinary user, the mount layer lives in a new user namespace;
/// the same writes are refused and git works. Where no user namespace can
/// be had, the protection is a named gap: the status says
/// PartiallyEnforced, `--strict` refuses, and the writes land (which is why
/// it is a gap).
#[test]
fn an_unprivileged_user_gets_the_same_protection_or_a_named_gap() {
    if !is_root() || !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: needs root (to become nobody) and x86_64 (the wrapper's filter)");
        return;
    }
    let s = Scratch::new();
    let repo = repository(&s);
    chown_nobody(&s.path());
    chown_nobody(&s.home());
    open_to_nobody(&repo);
    open_to_nobody(&s.home());
    let before = snapshot(&repo);
    let as_nobody = |wrap: bool, flags: &[&str], script: &str| {
        let inner = sandboxed_sh(&s, &repo, flags, script);
        let mut argv: Vec<String> = Vec::new();
        if wrap {
            argv.extend([PYTHON, "-I", "-c", NO_USERNS].map(str::to_owned));
        }
        argv.extend(NOBODY.map(str::to_owned));
        argv.push(NONO.to_owned());
        argv.extend(inner.get_args().map(|a| a.to_string_lossy().into_owned()));
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).current_dir(&repo);
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        // nono's cache (its private layers) where nobody may write.
        cmd.env("XDG_CACHE_HOME", s.home().join(".cache"));
        Outcome::of(&mut cmd)
    };
    let out = as_nobody(false, &[], GIT_ATTACKS);
    out.expect_ok()
        .expect_stderr("in a new user namespace")
        .expect_stderr("Sandbox status: FullyEnforced");
    assert!(
        verdicts(&out).iter().all(|v| v.ends_with("refused")),
        "{out:#?}"
    );
    assert_eq!(snapshot(&repo), before);
    as_nobody(false, &[], GIT_WORK)
        .expect_ok()
        .expect_stdout("git works");

    // No user namespaces: a gap, and --strict refuses.
    let strict = as_nobody(true, &["--strict"], "echo ran");
    strict
        .expect_code(125)
        .expect_stderr("protect: needs unprivileged user namespaces");
    assert!(!strict.stdout.contains("ran"));
    let out = as_nobody(true, &[], GIT_ATTACKS);
    out.expect_ok()
        .expect_stderr("Sandbox status: PartiallyEnforced")
        .expect_stderr("protect: needs unprivileged user namespaces")
        .expect_stderr("see 'nono check'");
    assert!(
        verdicts(&out).contains(&"hook wrote".to_owned()),
        "{out:#?}"
    );
    // The presets' caches are then written in place, as before: a gap.
    let npm = s.home().join(".npm");
    std::fs::create_dir(&npm).unwrap();
    chown_nobody(&npm);
    let layered = as_nobody(true, &["--preset", "node"], "echo x > \"$HOME/.npm/f\"");
    layered
        .expect_ok()
        .expect_stderr("private_layer: needs unprivileged user namespaces");
    assert!(npm.join("f").is_file());
    // Twin: with user namespaces, the same write stays in the layer.
    std::fs::remove_file(npm.join("f")).unwrap();
    as_nobody(false, &["--preset", "node"], "echo x > \"$HOME/.npm/f\"").expect_ok();
    assert_absent(&npm.join("f"));
    // `nono check` says so, and how to enable them; unwrapped, it has them.
    let check = |wrap: bool| {
        let mut argv: Vec<&str> = Vec::new();
        if wrap {
            argv.extend([PYTHON, "-I", "-c", NO_USERNS]);
        }
        argv.extend(NOBODY);
        argv.extend([NONO, "check"]);
        Outcome::of(Command::new(argv[0]).args(&argv[1..]))
    };
    check(true)
        .expect_ok()
        .expect_stdout("Mount layer (protected paths): unavailable")
        .expect_stdout("packaging/apparmor/nono")
        .expect_stdout("kernel.unprivileged_userns_clone");
    let plain = check(false);
    plain.expect_ok().expect_stdout(
        "Mount layer (protected paths): a private mount namespace in a new user namespace",
    );
    assert!(!plain.stdout.contains("apparmor"), "{plain:#?}");
}

/// A worktree: its `.git` file (which says where its git directory is) is
/// read-only, and the hooks and config of the repository it belongs to are
/// protected too, found through the worktree's `commondir`; git works in
/// the worktree.
#[test]
fn a_worktree_s_link_and_its_repository_s_hooks_are_protected() {
    let s = Scratch::new();
    let repo = repository(&s);
    git(&repo, &s.home(), &["worktree", "add", "-q", "../wt"]).expect_ok();
    let wt = s.join("wt");
    let before = snapshot(&repo);
    let link = std::fs::read(wt.join(".git")).unwrap();
    let attacks = format!(
        r##"
try() {{ if (eval "$2") 2>/dev/null; then echo "$1 wrote"; else echo "$1 refused"; fi; }}
try link 'echo "gitdir: /elsewhere" > .git'
try hook 'echo "touch $MARK" > {0}/.git/hooks/pre-commit'
try config 'echo "[core]" >> {0}/.git/config'
echo more > f.txt && git add f.txt && git commit -qm in-worktree && echo "git works"
"##,
        text(&repo)
    );
    let mut cmd = s.nono();
    cmd.current_dir(&wt)
        .args(["run", "-v", "--preset", "git", "--allow", text(&s.path())])
        .args(["--", "sh", "-c", &attacks])
        .env("MARK", s.join("planted-code-ran"));
    let out = Outcome::of(&mut cmd);
    out.expect_ok().expect_stdout("git works");
    assert_eq!(
        verdicts(&out),
        ["link refused", "hook refused", "config refused"],
        "{out:#?}"
    );
    assert_eq!(std::fs::read(wt.join(".git")).unwrap(), link);
    assert_eq!(snapshot(&repo), before);
}

/// The host's view of the repository, through `/proc/PID/root` of a
/// process outside the sandbox (in the host's mount namespace, where there
/// are no binds), is out of reach even with /proc granted: Landlock keeps
/// a sandboxed process from reaching into a process outside its domain.
/// Twin: unsandboxed, the same path writes the hook.
#[test]
fn the_host_s_mount_namespace_is_not_reachable_through_proc() {
    let s = Scratch::new();
    let repo = repository(&s);
    let mut outside = Command::new("sleep").arg("60").spawn().unwrap();
    let via_host = format!(
        "/proc/{}/root{}",
        outside.id(),
        repo.join(".git/hooks/pre-commit").display()
    );
    let script = format!("echo 'touch $MARK' > {via_host} && echo wrote");
    let out = Outcome::of(&mut sandboxed_sh(&s, &repo, &["--read", "/proc"], &script));
    assert!(!out.stdout.contains("wrote"), "{out:#?}");
    out.expect_stderr("Permission denied");
    assert_absent(&repo.join(".git/hooks/pre-commit"));
    let twin = Outcome::of(Command::new("sh").args(["-c", &script]).current_dir(&repo));
    outside.kill().unwrap();
    outside.wait().unwrap();
    twin.expect_ok().expect_stdout("wrote");
    assert!(repo.join(".git/hooks/pre-commit").is_file());
}
