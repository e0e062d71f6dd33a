//! A preset's grant does not follow a symlink an earlier sandbox may have
//! planted (issue 14, part 4): real links, real runs. Each refusal is one
//! line, exit 125, naming the preset and variable, the link, where it points
//! and the flag that grants the target on purpose; `--dry-run` and `why`
//! refuse the same. Each has its allowed twin: no link, a root-owned system
//! link (`/bin -> usr/bin`), a link inside what the user granted, or the
//! target granted explicitly. Tests run as root; one runs nono as uid 65534.

use crate::common::{NONO, Outcome, Scratch, run_args};
use std::ffi::OsStr;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `nono ARGS...` in `s`, with the variables `vars` set.
fn run_with<S: AsRef<OsStr>>(s: &Scratch, vars: &[(&str, &Path)], args: &[S]) -> Outcome {
    let mut cmd = s.nono_home();
    for (name, value) in vars {
        cmd.env(name, value);
    }
    Outcome::of(cmd.args(args))
}

/// Asserts the refusal: exit 125, one line, with every piece in `needles`.
#[track_caller]
fn refused(out: &Outcome, needles: &[&str]) {
    out.expect_nono_error("goes through the symlink");
    for needle in needles {
        out.expect_stderr(needle);
    }
    assert!(
        out.stderr.contains("or remove the link"),
        "no fix named: {out:#?}"
    );
}

/// The same refusal from `run`, `run --dry-run` and `why`, for a grant of
/// `preset` through `vars`; nothing ran (the command would have made
/// `ran`).
#[track_caller]
fn refused_everywhere(s: &Scratch, vars: &[(&str, &Path)], preset: &str, needles: &[&str]) {
    let ran = s.join("ran");
    let touch = format!("touch {}", ran.display());
    let out = run_with(
        s,
        vars,
        &[
            "run", "--preset", preset, "--allow", ".", "--", "sh", "-c", &touch,
        ],
    );
    refused(&out, needles);
    assert!(!ran.exists(), "the command ran: {out:#?}");
    let dry = run_with(
        s,
        vars,
        &[
            "run",
            "--dry-run",
            "--preset",
            preset,
            "--allow",
            ".",
            "--",
            "true",
        ],
    );
    refused(&dry, needles);
    assert_eq!(dry.stderr, out.stderr, "the dry run says otherwise");
    let why = run_with(
        s,
        vars,
        &["why", "/etc", "--preset", preset, "--allow", "."],
    );
    refused(&why, needles);
    assert_eq!(why.stderr, out.stderr, "why says otherwise");
}

/// Links `name` to `target` and asserts [`refused_everywhere`] through `$var`; returns the link.
#[track_caller]
fn linked_var_refused(
    s: &Scratch,
    name: &str,
    target: &str,
    var: &str,
    preset: &str,
    flag: &str,
) -> PathBuf {
    symlink(target, s.join(name)).unwrap();
    let link = s.join(name);
    refused_everywhere(
        s,
        &[(var, &link)],
        preset,
        &[
            &format!("preset {preset}: ${var}: "),
            &format!("the symlink {} -> {target} ", link.display()),
            &format!("pass {flag} {target} "),
        ],
    );
    link
}

#[test]
fn tmpdir_linked_to_etc_is_refused_and_a_real_tmpdir_works() {
    let s = Scratch::new();
    let tmp = linked_var_refused(&s, "tmp", "/etc", "TMPDIR", "tmp", "--allow");
    // Twin: a real directory there; the command writes in it.
    std::fs::remove_file(&tmp).unwrap();
    let tmp = s.mkdir("tmp");
    let write = ["sh", "-c", "echo x > \"$TMPDIR/f\""];
    run_with(
        &s,
        &[("TMPDIR", &tmp)],
        &run_args(["--preset", "tmp"], write),
    )
    .expect_ok();
    assert!(tmp.join("f").exists());
}

#[test]
fn virtual_env_linked_to_root_is_refused_and_a_real_venv_is_read() {
    let s = Scratch::new();
    linked_var_refused(&s, "venv", "/", "VIRTUAL_ENV", "python", "--read");
    // Twin: a real venv, read by the command, outside what --allow covers.
    let real = s.beside("venv");
    std::fs::write(real.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    let cfg = real.join("pyvenv.cfg");
    let cat = ["cat", cfg.to_str().unwrap()];
    run_with(
        &s,
        &[("VIRTUAL_ENV", &real)],
        &run_args(["--preset", "python"], cat),
    )
    .expect_ok()
    .expect_stdout("home = /usr/bin");
}

#[test]
fn cargo_target_dir_in_the_project_linked_to_cron_d_is_refused() {
    let cron = if Path::new("/etc/cron.d").is_dir() {
        "/etc/cron.d"
    } else {
        "/etc"
    };
    let s = Scratch::new();
    let target = linked_var_refused(&s, "target", cron, "CARGO_TARGET_DIR", "rust", "--allow");
    // Twin: a link inside the project to a directory inside the project,
    // which the user's --allow . covers: followed, and written through.
    std::fs::remove_file(&target).unwrap();
    s.mkdir("build-out");
    symlink("build-out", &target).unwrap();
    let grants = ["--preset", "rust", "--allow", "."];
    let write = ["sh", "-c", "echo x > \"$CARGO_TARGET_DIR/f\""];
    run_with(
        &s,
        &[("CARGO_TARGET_DIR", &target)],
        &run_args(grants, write),
    )
    .expect_ok();
    assert!(s.join("build-out/f").exists());
}

#[test]
fn gomodcache_linked_outside_is_refused_until_the_user_grants_the_target() {
    let s = Scratch::new();
    let outside = s.beside("modcache");
    symlink(&outside, s.join("mod")).unwrap();
    let link = s.join("mod");
    let write = format!("echo x > {}/f", outside.display());
    let out = run_with(
        &s,
        &[("GOMODCACHE", &link)],
        &[
            "run", "--preset", "go", "--allow", ".", "--", "sh", "-c", &write,
        ],
    );
    let fix = format!("pass --allow {} ", outside.display());
    refused(
        &out,
        &["preset go: ${GOMODCACHE:-${GOPATH:-~/go}/pkg/mod}: ", &fix],
    );
    assert!(!outside.join("f").exists());
    // Twin: the target granted explicitly, as the message says; the command
    // writes there through Landlock.
    let outside_text = outside.to_str().unwrap();
    let grants = ["--preset", "go", "--allow", ".", "--allow", outside_text];
    let command = ["sh", "-c", write.as_str()];
    run_with(&s, &[("GOMODCACHE", &link)], &run_args(grants, command)).expect_ok();
    assert!(outside.join("f").exists());
}

#[test]
fn a_link_the_user_types_is_followed_as_documented() {
    let s = Scratch::new();
    let outside = s.beside("typed");
    symlink(&outside, s.join("to-outside")).unwrap();
    let write = format!("echo x > {}/f", outside.display());
    s.run(["run", "--allow", "to-outside", "--", "sh", "-c", &write])
        .expect_ok();
    assert!(outside.join("f").exists());
}

#[test]
fn root_owned_system_links_are_followed_by_presets() {
    // /bin -> usr/bin where the system has it (merged /usr); the base
    // preset grants /bin and the command runs from it.
    let s = Scratch::new();
    let bin_is_link = std::fs::symlink_metadata("/bin").is_ok_and(|m| m.is_symlink());
    let out = s
        .run(["run", "--dry-run", "--", "true"])
        .expect_ok()
        .stdout
        .clone();
    if bin_is_link {
        assert!(out.contains("/bin -> /usr/bin"), "{out}");
    }
    s.run(["run", "--", "/bin/sh", "-c", "exit 0"]).expect_ok();
}

#[test]
fn a_link_planted_by_an_earlier_sandboxed_run_is_refused_by_the_next() {
    let s = Scratch::new();
    let target = s.join("target");
    // The first run, confined to the project, plants the link.
    s.run(["run", "--allow", ".", "--", "ln", "-s", "/etc", "target"])
        .expect_ok();
    assert!(std::fs::symlink_metadata(&target).unwrap().is_symlink());
    let out = run_with(
        &s,
        &[("CARGO_TARGET_DIR", &target)],
        &["run", "--preset", "rust", "--allow", ".", "--", "true"],
    );
    refused(
        &out,
        &["preset rust: $CARGO_TARGET_DIR: ", "pass --allow /etc "],
    );
    // Twin: the first run makes a directory there instead.
    std::fs::remove_file(&target).unwrap();
    s.run(["run", "--allow", ".", "--", "mkdir", "target"])
        .expect_ok();
    run_with(
        &s,
        &[("CARGO_TARGET_DIR", &target)],
        &["run", "--preset", "rust", "--allow", ".", "--", "true"],
    )
    .expect_ok();
}

#[test]
fn as_uid_65534_a_link_in_its_own_directory_is_refused_and_bin_is_not() {
    use std::os::unix::fs::{PermissionsExt, chown};
    let s = Scratch::new();
    // Let uid 65534 reach the scratch directory and own a project in it.
    std::fs::set_permissions(s.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let proj = s.mkdir("proj");
    let cache = s.mkdir("proj/cache");
    chown(&proj, Some(65534), Some(65534)).unwrap();
    chown(&cache, Some(65534), Some(65534)).unwrap();
    let nobody = |tmpdir: &Path, args: Vec<String>| {
        Outcome::of(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(NONO)
                .args(args)
                .current_dir(&proj)
                .env("HOME", &proj)
                .env("XDG_CACHE_HOME", &cache)
                .env("XDG_CONFIG_HOME", proj.join(".config"))
                .env("TMPDIR", tmpdir)
                .env_remove("NONO_PLUGIN_PATH")
                .env_remove("RUST_LOG"),
        )
    };
    // The link as uid 65534 would make it: in its own directory.
    let planted = proj.join("tmp");
    Outcome::of(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .args(["ln", "-s", "/etc"])
            .arg(&planted),
    )
    .expect_ok();
    let out = nobody(&planted, run_args(["--preset", "tmp"], ["true"]));
    refused(
        &out,
        &[
            "preset tmp: $TMPDIR: ",
            &format!("({} is owned by uid 65534, not root)", proj.display()),
        ],
    );
    // Twin: a real directory of its own, and the base preset's /bin link.
    let real = proj.join("realtmp");
    Outcome::of(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "mkdir"])
            .arg(&real),
    )
    .expect_ok();
    let write = ["/bin/sh", "-c", "echo x > \"$TMPDIR/f\""];
    nobody(&real, run_args(["--preset", "tmp"], write)).expect_ok();
    assert!(real.join("f").exists());
}

#[test]
fn a_sandbox_still_running_cannot_swap_the_link_in_between_check_and_open() {
    // A hostile command of an earlier run, still running, confined to the
    // project, swaps `target` between a directory and a link to `victim`
    // as fast as it can, while the next run's rust preset grants
    // `$CARGO_TARGET_DIR` and its command tries to write in `victim`.
    let s = Scratch::new();
    let victim = s.beside("victim");
    let target = s.mkdir("target");
    // It stops when `stop` appears (or after many rounds), so that nothing
    // is left running.
    let swap = format!(
        "i=0; while [ ! -e stop ] && [ $i -lt 200000 ]; do i=$((i+1)); rmdir target 2>/dev/null || rm -f target; ln -s {v} target; rm -f target; mkdir target; done",
        v = victim.display()
    );
    let mut racer = s
        .nono()
        .args(["run", "--allow", ".", "--", "sh", "-c", &swap])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pwned = victim.join("pwned");
    let touch = format!("touch {}", pwned.display());
    let mut codes = std::collections::BTreeMap::new();
    for _ in 0..40 {
        let out = run_with(
            &s,
            &[("CARGO_TARGET_DIR", &target)],
            &[
                "run", "--preset", "rust", "--allow", ".", "--", "sh", "-c", &touch,
            ],
        );
        *codes.entry(out.code).or_insert(0) += 1;
        assert!(
            !pwned.exists(),
            "the grant followed the swapped link: {out:#?}"
        );
    }
    std::fs::write(s.join("stop"), "").unwrap();
    assert!(racer.wait().unwrap().success());
    eprintln!("exit codes of the runs during the swaps: {codes:?}");
    // Every run was refused (125) or ran and was denied the write (1).
    assert!(
        codes.keys().all(|c| matches!(c, Some(125) | Some(1))),
        "{codes:?}"
    );
    // Twin: the same write with the victim granted by the user works.
    let victim_text = victim.to_str().unwrap();
    let grants = ["--allow", ".", "--allow", victim_text];
    let command = ["sh", "-c", touch.as_str()];
    run_with(
        &s,
        &[("CARGO_TARGET_DIR", &target)],
        &run_args(grants, command),
    )
    .expect_ok();
    assert!(pwned.exists());
}
