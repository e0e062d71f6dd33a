//! Sensitive paths and sensitive variables, kept from the command for real.
//!
//! Each test gives nono a fake home (`HOME` in the scratch directory) that
//! holds fake secrets where real tools keep them (`~/.ssh/id_ed25519`,
//! `~/.aws/credentials`, `~/.config/gcloud/...`, `~/.docker/config.json`,
//! `~/.netrc`, `~/.cargo/credentials.toml`, `~/.local/share/keyrings/...`)
//! beside ordinary files, grants the home (or a part of it) and runs real
//! commands under real Landlock:
//!
//! - **carving**: under `--allow ~` (or `--allow .` run from the home) every
//!   ordinary file is readable and every ordinary subdirectory fully usable,
//!   while every secret is unreadable and unwritable; a carved directory can
//!   be *listed* (names only, by design) but what it lists cannot be read;
//!   documented limits are asserted as such (no new file directly in a
//!   carved directory; directories below a denied directory can be listed
//!   too); `--dry-run` (text and JSON) and `-v` show every carve;
//! - the `rust` preset carves `$CARGO_HOME/credentials.toml` while
//!   `cargo build --offline` of a tiny crate still works;
//! - `--expose` grants a sensitive path (with a WARNING line), and without it
//!   a grant inside one is a one-line error suggesting `--expose`;
//!   `--deny PATH` and a preset file's `deny: [...]` carve ordinary paths;
//! - **the environment**: credential-looking and code-injection variables
//!   are removed unless `--env-keep`, `-v` names them (never their values),
//!   `--env-clear` with `--env` passes exactly what is named, ordinary
//!   variables pass.
//!
//! Every denial has an allowed twin, and no output ever shows a secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    FAKE_ORDINARY, FAKE_SECRETS, FAKE_SENSITIVE, Outcome, SECRET_MARKER, Scratch, assert_absent,
    assert_file, assert_no_secret, run_args, text,
};
use std::path::{Path, PathBuf};
use std::process::Command;

const DENIED: &str = "Permission denied";

/// `nono run GRANTS -- COMMAND` with the fake home, from the scratch dir.
fn run(s: &Scratch, grants: &[&str], command: &[&str]) -> Outcome {
    s.run_home(run_args(grants, command))
}

/// `sh -c SCRIPT` under `grants`; the script gets the home as `$H`.
fn sh(s: &Scratch, grants: &[&str], script: &str) -> Outcome {
    let home = s.home();
    run(s, grants, &["sh", "-c", script, "sh", text(&home)])
}

/// Asserts that `cat PATH` under `grants` fails with EACCES and shows no
/// secret.
#[track_caller]
fn expect_cat_denied(s: &Scratch, grants: &[&str], path: &Path) {
    let out = run(s, grants, &["cat", text(path)]);
    out.expect_code(1).expect_stderr(DENIED);
    assert_no_secret(&out);
}

/// Asserts that `cat PATH` under `grants` prints the file.
#[track_caller]
fn expect_cat_ok(s: &Scratch, grants: &[&str], path: &Path) {
    let want = std::fs::read_to_string(path).unwrap();
    let out = run(s, grants, &["cat", text(path)]);
    out.expect_ok();
    assert_eq!(out.stdout, want, "{out:#?}");
}

// ---------------------------------------------------------------------------
// Carving under a grant on the home
// ---------------------------------------------------------------------------

#[test]
fn home_grant_reads_ordinary_files_but_no_secret() {
    let s = Scratch::new();
    let home = s.fake_home();
    let grants = ["--allow", "~"];

    // The example, and every other ordinary file, some of them
    // beside a secret in a carved directory.
    run(&s, &grants, &["cat", text(&home.join("notes.txt"))])
        .expect_ok()
        .expect_stdout("ordinary: notes.txt");
    for rel in FAKE_ORDINARY {
        expect_cat_ok(&s, &grants, &home.join(rel));
    }

    // Every secret is out of reach.
    for (rel, _) in FAKE_SECRETS {
        expect_cat_denied(&s, &grants, &home.join(rel));
    }
    // So are the other files in a denied directory.
    for rel in [
        ".ssh/id_ed25519.pub",
        ".ssh/config",
        ".aws/sso/cache/token.json",
    ] {
        expect_cat_denied(&s, &grants, &home.join(rel));
    }
}

#[test]
fn a_secret_directory_lists_names_but_nothing_it_lists_can_be_read() {
    let s = Scratch::new();
    let home = s.fake_home();
    let grants = ["--allow", "~"];

    // By design a carved directory keeps a list-only right, and Landlock
    // applies it to the directories below: `ls ~/.ssh` shows the names.
    let out = run(&s, &grants, &["ls", "-a", text(&home.join(".ssh"))]);
    out.expect_ok();
    assert_no_secret(&out);
    let mut names: Vec<&str> = out
        .stdout
        .lines()
        .filter(|n| *n != "." && *n != "..")
        .collect();
    names.sort_unstable();
    let mut want = vec!["config", "hook.sh", "id_ed25519", "id_ed25519.pub"];
    want.sort_unstable();
    assert_eq!(names, want, "{out:#?}");

    // But none of the files it lists can be read.
    for name in &names {
        expect_cat_denied(&s, &grants, &home.join(".ssh").join(name));
    }
    // Not even through a shell glob inside the sandbox.
    let out = sh(
        &s,
        &grants,
        "for f in \"$1\"/.ssh/*; do cat \"$f\" 2>/dev/null && exit 9; done; exit 0",
    );
    out.expect_ok();
    assert_no_secret(&out);

    // Documented limit: the list-only right reaches every directory below
    // the denied one too, so `ls ~/.aws/sso/cache` shows `token.json`
    // (names, never contents).
    let out = run(&s, &grants, &["ls", text(&home.join(".aws/sso/cache"))]);
    out.expect_ok().expect_stdout("token.json");
    expect_cat_denied(&s, &grants, &home.join(".aws/sso/cache/token.json"));

    // The allowed twin of the whole test: listing and reading an ordinary
    // directory both work.
    run(&s, &grants, &["ls", text(&home.join("proj"))])
        .expect_ok()
        .expect_stdout("readme.txt");
}

#[test]
fn a_secret_directory_cannot_be_written_to() {
    let s = Scratch::new();
    let home = s.fake_home();
    let grants = ["--allow", "~"];

    sh(
        &s,
        &grants,
        "echo ssh-ed25519 AAAA >> \"$1/.ssh/authorized_keys\"",
    )
    .expect_code(2)
    .expect_stderr(DENIED);
    assert_absent(&home.join(".ssh/authorized_keys"));
    // Nor can an existing secret be overwritten, removed or renamed.
    let key = home.join(".ssh/id_ed25519");
    sh(&s, &grants, "echo gone > \"$1/.ssh/id_ed25519\"")
        .expect_code(2)
        .expect_stderr(DENIED);
    sh(&s, &grants, "rm -f \"$1/.ssh/id_ed25519\"")
        .expect_code(1)
        .expect_stderr(DENIED);
    sh(&s, &grants, "mv \"$1/.ssh/id_ed25519\" \"$1/proj/stolen\"")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert_file(&key, &format!("{SECRET_MARKER} .ssh/id_ed25519\n"));
    assert_absent(&home.join("proj/stolen"));

    // The allowed twin: the same append in an ordinary directory works.
    sh(
        &s,
        &grants,
        "echo ssh-ed25519 AAAA >> \"$1/proj/authorized_keys\"",
    )
    .expect_ok();
    assert_file(&home.join("proj/authorized_keys"), "ssh-ed25519 AAAA\n");
}

#[test]
fn ordinary_subdirectories_stay_fully_usable() {
    let s = Scratch::new();
    let home = s.fake_home();
    let grants = ["--allow", "~"];

    let script = "set -e; cd \"$1/proj\"
        echo new > new.txt
        echo more >> readme.txt
        mkdir -p made/deeper && echo x > made/deeper/f && mv made/deeper/f made/g
        rm sub/deep.txt && rmdir sub
        mv new.txt renamed.txt
        ln -s renamed.txt link
        cat link readme.txt";
    let out = sh(&s, &grants, script);
    out.expect_ok()
        .expect_stdout("new\n")
        .expect_stdout("ordinary: proj/readme.txt\nmore\n");
    assert_file(&home.join("proj/renamed.txt"), "new\n");
    assert_file(&home.join("proj/made/g"), "x\n");
    assert_absent(&home.join("proj/made/deeper/f"));
    assert_absent(&home.join("proj/sub"));
    assert_absent(&home.join("proj/new.txt"));
    // Ordinary directories beside a secret too.
    sh(
        &s,
        &grants,
        "set -e; echo k=v > \"$1/.config/app/new.toml\"; rm \"$1/.config/app/settings.toml\"",
    )
    .expect_ok();
    assert_file(&home.join(".config/app/new.toml"), "k=v\n");
    assert_absent(&home.join(".config/app/settings.toml"));

    // The denied twin: the same moves into or out of a secret directory.
    sh(
        &s,
        &grants,
        "mv \"$1/proj/renamed.txt\" \"$1/.ssh/renamed.txt\"",
    )
    .expect_code(1)
    .expect_stderr(DENIED);
    assert_file(&home.join("proj/renamed.txt"), "new\n");
    assert_absent(&home.join(".ssh/renamed.txt"));
}

#[test]
fn new_files_directly_in_a_carved_home_cannot_be_created() {
    let s = Scratch::new();
    let home = s.fake_home();
    let grants = ["--allow", "~"];

    // Documented limit: a carved directory may only be listed, so nothing
    // can be created (or removed) directly in it.
    sh(&s, &grants, "echo x > \"$1/new.txt\"")
        .expect_code(2)
        .expect_stderr(DENIED);
    assert_absent(&home.join("new.txt"));
    sh(&s, &grants, "mkdir \"$1/newdir\"")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert_absent(&home.join("newdir"));
    sh(&s, &grants, "rm \"$1/notes.txt\"")
        .expect_code(1)
        .expect_stderr(DENIED);
    assert!(home.join("notes.txt").is_file());

    // The allowed twins: an existing file there keeps its own rule and can
    // be modified, and new files go into ordinary subdirectories.
    sh(&s, &grants, "echo edited >> \"$1/notes.txt\"").expect_ok();
    assert_file(&home.join("notes.txt"), "# ordinary: notes.txt\nedited\n");
    sh(&s, &grants, "echo x > \"$1/proj/new.txt\"").expect_ok();
    assert_file(&home.join("proj/new.txt"), "x\n");
    // Without any sensitive path in the granted tree nothing is carved, and
    // creating directly in it works.
    sh(
        &s,
        &["--allow", "~/proj"],
        "echo y > \"$1/proj/direct.txt\"",
    )
    .expect_ok();
    assert_file(&home.join("proj/direct.txt"), "y\n");
}

#[test]
fn a_write_only_home_grant_runs_and_carves() {
    let s = Scratch::new();
    let home = s.fake_home();
    let grants = ["--write", "~"];

    // A carved directory keeps only listing, which Write does not have: the
    // carved directories then grant nothing, and the command must still
    // run (today Landlock refuses the rule: "empty access-right").
    sh(&s, &grants, "echo x > \"$1/proj/new.txt\"").expect_ok();
    assert_file(&home.join("proj/new.txt"), "x\n");
    sh(&s, &grants, "echo x > \"$1/.ssh/authorized_keys\"")
        .expect_code(2)
        .expect_stderr(DENIED);
    assert_absent(&home.join(".ssh/authorized_keys"));
    // The twin: the same grant on a tree without secrets runs.
    sh(&s, &["--write", "~/proj"], "echo y > \"$1/proj/other.txt\"").expect_ok();
    assert_file(&home.join("proj/other.txt"), "y\n");
}

#[test]
fn a_sensitive_path_that_is_a_symlink_is_carved_at_its_target() {
    let s = Scratch::new();
    let home = s.fake_home();
    // A dotfile manager's layout: ~/.aws is a link into ~/dotfiles.
    std::fs::rename(home.join(".aws"), home.join("dotfiles-aws")).unwrap();
    s.mkdir("home/dotfiles");
    std::fs::rename(home.join("dotfiles-aws"), home.join("dotfiles/aws")).unwrap();
    std::os::unix::fs::symlink("dotfiles/aws", home.join(".aws")).unwrap();
    s.write("home/dotfiles/vimrc", "set nocompatible\n");
    let grants = ["--allow", "~"];

    expect_cat_denied(&s, &grants, &home.join(".aws/credentials"));
    expect_cat_denied(&s, &grants, &home.join("dotfiles/aws/credentials"));
    // The twin: the rest of the dotfiles directory is readable.
    expect_cat_ok(&s, &grants, &home.join("dotfiles/vimrc"));
    let h = text(&home);
    s.run_home(["run", "--dry-run", "--allow", "~"])
        .expect_ok()
        .expect_stdout(&format!(
            "Carved: {h}/dotfiles/aws out of {h} (built-in sensitive paths)"
        ));
}

#[test]
fn allow_dot_run_from_the_home_carves_the_same() {
    let s = Scratch::new();
    let home = s.fake_home();
    let in_home = |args: Vec<String>| Outcome::of(s.nono_home().current_dir(&home).args(args));
    let grants = ["--allow", "."];

    in_home(run_args(grants, ["cat", "notes.txt"]))
        .expect_ok()
        .expect_stdout("ordinary: notes.txt");
    in_home(run_args(grants, ["cat", ".config/app/settings.toml"]))
        .expect_ok()
        .expect_stdout("ordinary: .config/app/settings.toml");
    for (rel, _) in FAKE_SECRETS {
        let out = in_home(run_args(grants, ["cat", rel]));
        out.expect_code(1).expect_stderr(DENIED);
        assert_no_secret(&out);
    }
    in_home(run_args(grants, ["ls", ".ssh"]))
        .expect_ok()
        .expect_stdout("id_ed25519");
    in_home(run_args(
        grants,
        ["sh", "-c", "echo x > .ssh/authorized_keys"],
    ))
    .expect_code(2)
    .expect_stderr(DENIED);
    assert_absent(&home.join(".ssh/authorized_keys"));
    in_home(run_args(grants, ["sh", "-c", "echo x > proj/ok.txt"])).expect_ok();
    assert_file(&home.join("proj/ok.txt"), "x\n");

    // The dry run names the same carves as `--allow ~`.
    let dot = in_home(vec![
        "run".into(),
        "--dry-run".into(),
        "--json".into(),
        "--allow".into(),
        ".".into(),
    ]);
    let tilde = s.run_home(["run", "--dry-run", "--json", "--allow", "~"]);
    assert_eq!(
        dot.expect_ok().json()["carves"],
        tilde.expect_ok().json()["carves"]
    );
}

#[test]
fn dry_run_and_verbose_show_every_carve() {
    let s = Scratch::new();
    let home = s.fake_home();
    let h = text(&home);

    // Text: one "Carved:" line per sensitive path, naming the home; those
    // that do not exist say so, and where nothing can be created.
    let out = s.run_home(["run", "--dry-run", "--allow", "~", "--", "true"]);
    out.expect_ok();
    let (missing, carved): (Vec<&str>, Vec<&str>) = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("Carved: "))
        .partition(|l| l.contains(" does not exist, so nothing new can be created in "));
    assert_eq!(carved.len(), FAKE_SENSITIVE.len(), "{out:#?}");
    out.expect_stdout(&format!(
        "Carved: {h}/.kube out of {h} (built-in sensitive paths): {h}/.kube does not exist, so nothing new can be created in {h}; directories on the way may only be listed\n"
    ));
    out.expect_stdout(&format!(
        "Carved: {h}/.config/nono out of {h} (built-in sensitive paths): {h}/.config/nono does not exist, so nothing new can be created in {h}/.config;"
    ));
    for rel in FAKE_SENSITIVE {
        let line = format!("Carved: {h}/{rel} out of {h} (built-in sensitive paths)");
        assert!(
            carved.iter().any(|l| l.starts_with(&line)),
            "no {line:?}: {out:#?}"
        );
    }
    // The ruleset shows the carved directories as list-only.
    out.expect_stdout(&format!(
        "  {h} (dir, carved, allow): read_dir  [flag --allow]"
    ));

    // JSON: `denied` holds every sensitive path, `carves` every carve.
    let json = s
        .run_home(["run", "--dry-run", "--json", "--allow", "~", "--", "true"])
        .expect_ok()
        .json();
    let denied: Vec<&str> = json["denied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    let carves: Vec<(&str, &str)> = json["carves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["under"].as_str().unwrap(), c["denied"].as_str().unwrap()))
        .collect();
    for ((_, requested), rel) in FAKE_SECRETS.iter().zip(FAKE_SENSITIVE) {
        let path = format!("{h}/{rel}");
        assert!(
            denied.contains(&path.as_str()),
            "{path} not denied: {json:#}"
        );
        assert!(
            carves.contains(&(h, path.as_str())),
            "{path} not carved: {json:#}"
        );
        let entry = json["denied"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == path.as_str())
            .unwrap();
        assert_eq!(entry["requested"], *requested);
        assert_eq!(entry["source"]["builtin"], "sensitive paths");
    }
    // Every other carve is of a denied path that does not exist, listed in
    // `missing_denied` with the directory where nothing can be created (in
    // the home; those elsewhere, such as nono's cache directory beside it,
    // carve nothing here).
    let missing_json = json["missing_denied"].as_array().unwrap();
    let missing_in_home = missing_json
        .iter()
        .filter(|d| d["path"].as_str().unwrap().starts_with(&format!("{h}/")))
        .count();
    assert_eq!(missing_in_home, missing.len(), "{json:#}");
    assert_eq!(
        carves.len(),
        FAKE_SENSITIVE.len() + missing.len(),
        "{json:#}"
    );
    let kube = json["carves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["denied"] == format!("{h}/.kube").as_str())
        .unwrap();
    assert_eq!(kube["nearest_existing"], h);
    let entry = missing_json
        .iter()
        .find(|d| d["path"] == format!("{h}/.kube").as_str())
        .unwrap();
    assert_eq!(entry["requested"], "~/.kube");
    assert_eq!(entry["nearest_existing"], h);

    // -v: one line per carve before the command runs.
    let out = run(&s, &["-v", "--allow", "~"], &["true"]);
    out.expect_ok();
    for rel in FAKE_SENSITIVE {
        out.expect_stderr(&format!(
            "nono: carved {h}/{rel} out of {h} (built-in sensitive paths)\n"
        ));
    }
    out.expect_stderr(&format!(
        "nono: carved {h}/.kube out of {h} (built-in sensitive paths): {h}/.kube does not exist, so nothing new can be created in {h}\n"
    ));

    // The twin: a grant that covers no sensitive path carves nothing.
    let out = s.run_home(["run", "--dry-run", "--allow", "~/proj", "--", "true"]);
    out.expect_ok();
    assert!(!out.stdout.contains("Carved:"), "{out:#?}");
    let json = s
        .run_home(["run", "--dry-run", "--json", "--allow", "~/proj"])
        .expect_ok()
        .json();
    assert_eq!(json["carves"], serde_json::json!([]));
    // (The sensitive paths that exist are still listed as denied, and
    // nono's cache directory, which no run that stores nothing creates, as
    // a missing denied path.)
    let denied: Vec<&str> = json["denied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .filter(|p| p.starts_with(&format!("{h}/")))
        .collect();
    assert_eq!(denied.len(), FAKE_SENSITIVE.len(), "{json:#}");
    let cache = s.cache_home().join("nono");
    assert!(
        json["missing_denied"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["path"] == text(&cache)),
        "{json:#}"
    );
    run(&s, &["-v", "--allow", "~/proj"], &["true"])
        .expect_ok()
        .expect_no_stderr("carved");
}

// ---------------------------------------------------------------------------
// Sensitive paths that do not exist, and nono's own configuration
// ---------------------------------------------------------------------------

/// A fake home without any secret: ordinary files and directories only
/// (`notes.txt`, `proj/readme.txt`, `.config/app/settings.toml`).
fn bare_home(s: &Scratch) -> PathBuf {
    for rel in ["notes.txt", "proj/readme.txt", ".config/app/settings.toml"] {
        s.write(format!("home/{rel}"), &format!("# ordinary: {rel}\n"));
    }
    s.home()
}

/// The write probe (`common::op_probe`) on `path` under `grants`: it
/// prints the errno's name, or `OK`.
fn probe_write(s: &Scratch, grants: &[&str], path: &Path) -> Outcome {
    s.run_home(run_args(grants, common::op_probe("write", text(path))))
}

/// Asserts that `sh -c SCRIPT` under `grants` fails with "Permission
/// denied" (EACCES) and that `left` does not exist afterwards.
#[track_caller]
fn expect_sh_denied(s: &Scratch, grants: &[&str], script: &str, left: &Path) {
    let out = sh(s, grants, script);
    assert_ne!(out.code, Some(0), "{script}: {out:#?}");
    out.expect_stderr(DENIED);
    assert_absent(left);
}

#[test]
fn missing_secrets_cannot_be_created_under_a_home_grant() {
    let s = Scratch::new();
    let home = bare_home(&s);
    let grants = ["--allow", "~"];

    // ~/.ssh does not exist, so it cannot be carved: the sandbox may not
    // create anything directly in the home instead.
    expect_sh_denied(&s, &grants, "mkdir \"$1/.ssh\"", &home.join(".ssh"));
    expect_sh_denied(
        &s,
        &grants,
        "mkdir -p \"$1/.ssh\" && echo ssh-ed25519 AAAA >> \"$1/.ssh/authorized_keys\"",
        &home.join(".ssh"),
    );
    // Nor under another name, moved or linked into place afterwards.
    expect_sh_denied(
        &s,
        &grants,
        "mv \"$1/proj\" \"$1/.ssh\"",
        &home.join(".ssh"),
    );
    assert!(home.join("proj/readme.txt").is_file());
    expect_sh_denied(&s, &grants, "ln -s proj \"$1/.ssh\"", &home.join(".ssh"));
    expect_sh_denied(
        &s,
        &grants,
        "echo registry > \"$1/.npmrc\"",
        &home.join(".npmrc"),
    );
    // ~/.docker/config.json, without ~/.docker: the directory cannot be
    // made.
    expect_sh_denied(
        &s,
        &grants,
        "mkdir -p \"$1/.docker\" && echo '{}' > \"$1/.docker/config.json\"",
        &home.join(".docker"),
    );
    // The precise errno, from the kernel.
    probe_write(&s, &grants, &home.join(".npmrc")).expect_errno("EACCES");

    // The allowed twins: an existing subdirectory of the home is fully
    // usable, and an existing file in the home can be written.
    sh(
        &s,
        &grants,
        "set -e; mkdir \"$1/proj/.ssh\"; echo k > \"$1/proj/.ssh/authorized_keys\"; echo more >> \"$1/notes.txt\"",
    )
    .expect_ok();
    assert_file(&home.join("proj/.ssh/authorized_keys"), "k\n");
    assert_file(&home.join("notes.txt"), "# ordinary: notes.txt\nmore\n");
    probe_write(&s, &grants, &home.join("proj/new.txt")).expect_probe_ok();
    // And a grant on that subdirectory alone lets it create directly in it.
    sh(
        &s,
        &["--allow", "~/proj"],
        "echo y > \"$1/proj/direct.txt\"",
    )
    .expect_ok();
    assert_file(&home.join("proj/direct.txt"), "y\n");
}

#[test]
fn a_missing_secret_in_an_existing_directory_cannot_be_created() {
    let s = Scratch::new();
    let home = bare_home(&s);
    s.write("home/.docker/daemon.json", "{}\n");
    let grants = ["--allow", "~"];

    // ~/.docker exists without config.json: nothing can be created in it,
    // and it cannot be moved away and replaced.
    expect_sh_denied(
        &s,
        &grants,
        "echo '{\"auths\":{}}' > \"$1/.docker/config.json\"",
        &home.join(".docker/config.json"),
    );
    probe_write(&s, &grants, &home.join(".docker/config.json")).expect_errno("EACCES");
    expect_sh_denied(
        &s,
        &grants,
        "mv \"$1/.docker\" \"$1/proj/docker\"",
        &home.join("proj/docker"),
    );
    expect_sh_denied(
        &s,
        &grants,
        "mv \"$1/proj\" \"$1/.docker/config.json\"",
        &home.join(".docker/config.json"),
    );
    // The twin: the existing file beside it can be modified.
    sh(
        &s,
        &grants,
        "echo '{\"debug\":true}' > \"$1/.docker/daemon.json\"",
    )
    .expect_ok();
    assert_file(&home.join(".docker/daemon.json"), "{\"debug\":true}\n");
    // The same directory granted on its own is carved the same way.
    expect_sh_denied(
        &s,
        &["--allow", "~/.docker"],
        "echo x > \"$1/.docker/config.json\"",
        &home.join(".docker/config.json"),
    );
    // --expose ~/.docker: nothing in it is protected, so config.json can be
    // created (the allowed twin of the denial).
    sh(
        &s,
        &["--allow", "~", "--expose", "~/.docker"],
        "echo '{}' > \"$1/.docker/config.json\"",
    )
    .expect_ok();
    assert_file(&home.join(".docker/config.json"), "{}\n");
}

#[test]
fn the_dry_run_says_why_nothing_can_be_created_in_the_home() {
    let s = Scratch::new();
    let home = bare_home(&s);
    let h = text(&home);
    let out = s.run_home(["run", "--dry-run", "--allow", "~", "--", "true"]);
    out.expect_ok().expect_stdout(&format!(
        "Carved: {h}/.ssh out of {h} (built-in sensitive paths): {h}/.ssh does not exist, so nothing new can be created in {h}; directories on the way may only be listed\n"
    ));
    // The home is list-only; its existing subdirectories keep everything.
    out.expect_stdout(&format!(
        "  {h} (dir, carved, allow): read_dir  [flag --allow]\n"
    ));
    out.expect_stdout(&format!("  {h}/proj (dir, allow): execute, write_file"));
    // `nono why` gives the same reason.
    let why = s.run_home(["why", &format!("{h}/.ssh"), "--op", "write", "--allow", "~"]);
    why.expect_code(1)
        .expect_stdout(&format!("denied: write {h}/.ssh"))
        .expect_stdout(&format!(
            "{h}/.ssh does not exist, so nothing new can be created in {h} (carved out of {h}, built-in sensitive paths)"
        ));
    // The twin: under a read-only grant, nothing is carved for a missing
    // path (a grant that cannot create cannot create it).
    let out = s.run_home(["run", "--dry-run", "--read", "~", "--", "true"]);
    out.expect_ok();
    assert!(!out.stdout.contains("Carved:"), "{out:#?}");
}

#[test]
fn nonos_own_configuration_cannot_be_created_or_modified() {
    let s = Scratch::new();
    let home = bare_home(&s);
    let presets = home.join(".config/nono/presets");
    let grants = ["--allow", "~"];

    // Missing: ~/.config/nono cannot be created (~/.config exists and is
    // shut), under a grant on the home or on ~/.config.
    for grants in [&grants[..], &["--allow", "~/.config"]] {
        expect_sh_denied(
            &s,
            grants,
            "mkdir -p \"$1/.config/nono/presets\" && echo '(name: \"rust\", description: \"d\", grants: [(path: \"/\", access: Allow)])' > \"$1/.config/nono/presets/rust.ron\"",
            &home.join(".config/nono"),
        );
    }
    // The dry run names it as the reason.
    let h = text(&home);
    s.run_home(["run", "--dry-run", "--allow", "~"])
        .expect_ok()
        .expect_stdout(&format!(
            "Carved: {h}/.config/nono out of {h} (built-in sensitive paths): {h}/.config/nono does not exist, so nothing new can be created in {h}/.config;"
        ));
    // The twin: another ~/.config subdirectory is writable.
    sh(&s, &grants, "echo k=v > \"$1/.config/app/new.toml\"").expect_ok();
    assert_file(&home.join(".config/app/new.toml"), "k=v\n");

    // Existing: a user preset cannot be modified, replaced or removed, and
    // no new one can be added.
    let rust = s.write(
        "home/.config/nono/presets/rust.ron",
        "(name: \"rust\", description: \"mine\", grants: [])\n",
    );
    let original = std::fs::read_to_string(&rust).unwrap();
    for script in [
        "echo '(name: \"rust\", description: \"d\", grants: [(path: \"/\", access: Allow)])' > \"$1/.config/nono/presets/rust.ron\"",
        "rm \"$1/.config/nono/presets/rust.ron\"",
        "mv \"$1/.config/app/settings.toml\" \"$1/.config/nono/presets/rust.ron\"",
    ] {
        let out = sh(&s, &grants, script);
        assert_ne!(out.code, Some(0), "{script}: {out:#?}");
        out.expect_stderr(DENIED);
        assert_file(&rust, &original);
    }
    expect_sh_denied(
        &s,
        &grants,
        "echo '()' > \"$1/.config/nono/presets/go.ron\"",
        &presets.join("go.ron"),
    );
    // The twin: the settings file beside it is still there and writable.
    sh(
        &s,
        &grants,
        "echo edited >> \"$1/.config/app/settings.toml\"",
    )
    .expect_ok();
    // The dry run names the configuration directory.
    s.run_home(["run", "--dry-run", "--allow", "~"])
        .expect_ok()
        .expect_stdout(&format!(
            "Carved: {h}/.config/nono out of {h} (built-in sensitive paths)"
        ));
}

#[test]
fn the_plugin_path_cannot_be_written_from_a_sandbox() {
    let s = Scratch::new();
    let home = bare_home(&s);
    // Plugin directories inside a granted project: one that exists, one
    // that does not, and a relative entry (which nono neither searches nor
    // denies).
    let plugins = s.mkdir("home/proj/plugins");
    let more = home.join("proj/more-plugins");
    let plugin_path = format!("{}:{}:relative/plugins", text(&plugins), text(&more));
    let grants = ["--allow", "~/proj"];
    let with_path = |script: &str| {
        let mut cmd = s.nono_home();
        cmd.env("NONO_PLUGIN_PATH", &plugin_path)
            .args(run_args(grants, ["sh", "-c", script, "sh", text(&home)]));
        Outcome::of(&mut cmd)
    };

    // An existing plugin directory: no plugin can be planted in it.
    let out = with_path("echo evil > \"$1/proj/plugins/libevil.so\"");
    out.expect_code(2).expect_stderr(DENIED);
    assert_absent(&plugins.join("libevil.so"));
    // A missing one cannot be created (nothing can be created directly in
    // the project, where it would be).
    let out = with_path("mkdir \"$1/proj/more-plugins\"");
    out.expect_code(1).expect_stderr(DENIED);
    assert_absent(&more);
    // Existing files in the project stay writable.
    with_path("echo more >> \"$1/proj/readme.txt\"").expect_ok();
    // The dry run says where the denials come from.
    let mut cmd = s.nono_home();
    cmd.env("NONO_PLUGIN_PATH", &plugin_path)
        .args(["run", "--dry-run", "--allow", "~/proj"]);
    let p = text(&home.join("proj")).to_owned();
    Outcome::of(&mut cmd)
        .expect_ok()
        .expect_stdout(&format!(
            "Carved: {} out of {p} (built-in plugin directory in $NONO_PLUGIN_PATH);",
            text(&plugins)
        ))
        .expect_stdout(&format!(
            "Carved: {} out of {p} (built-in plugin directory in $NONO_PLUGIN_PATH): {} does not exist, so nothing new can be created in {p};",
            text(&more),
            text(&more)
        ));

    // The twins: without NONO_PLUGIN_PATH the same directories are
    // ordinary, writable and creatable.
    sh(
        &s,
        &grants,
        "set -e; echo ok > \"$1/proj/plugins/libfine.so\"; mkdir \"$1/proj/more-plugins\"",
    )
    .expect_ok();
    assert_file(&plugins.join("libfine.so"), "ok\n");
    assert!(more.is_dir());
}

// ---------------------------------------------------------------------------
// The rust preset and CARGO_HOME
// ---------------------------------------------------------------------------

/// The running toolchain's `bin` directory and the rustup home, found with
/// `rustup` as `presets_toolchains.rs` does.
fn rust_toolchain() -> (PathBuf, PathBuf) {
    let out = |args: &[&str]| {
        let o = Command::new("rustup").args(args).output().expect("rustup");
        assert!(o.status.success(), "rustup {args:?}: {o:?}");
        PathBuf::from(String::from_utf8(o.stdout).unwrap().trim())
    };
    let cargo = out(&["which", "cargo"]);
    let bin = cargo.parent().unwrap().canonicalize().unwrap();
    let rustup_home = out(&["show", "home"]).canonicalize().unwrap();
    (bin, rustup_home)
}

#[test]
fn rust_preset_hides_cargo_credentials_and_cargo_still_builds() {
    let s = Scratch::new();
    let home = s.fake_home();
    let cargo_home = home.join(".cargo");
    assert!(cargo_home.join("credentials.toml").is_file());
    let proj = s.mkdir("home/proj/tiny");
    // `[workspace]`: cargo must not look for a workspace in the parents.
    s.write(
        "home/proj/tiny/Cargo.toml",
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    s.write(
        "home/proj/tiny/src/main.rs",
        "fn main() { println!(\"tiny says {}\", 6 * 7); }\n",
    );
    let (bin, rustup_home) = rust_toolchain();
    let path =
        std::env::join_paths([bin.as_path(), Path::new("/usr/bin"), Path::new("/bin")]).unwrap();
    // The sandboxed environment: only what cargo needs, so that nothing
    // (such as this test's own CARGO_TARGET_DIR) adds a grant.
    let cargo_nono = || {
        let mut cmd = s.nono_home();
        cmd.env_clear()
            .current_dir(&proj)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", s.cache_home())
            .env("PATH", &path)
            .env("RUSTUP_HOME", &rustup_home)
            .env("CARGO_HOME", &cargo_home)
            .env("CARGO_TERM_COLOR", "never")
            .env("LC_ALL", "C");
        cmd
    };
    let cargo_run = |args: &[&str]| {
        Outcome::of(cargo_nono().args(run_args(["--preset", "rust", "--allow", "."], args)))
    };

    let out = cargo_run(&["cargo", "build", "--offline"]);
    out.expect_ok().expect_stderr("Compiling tiny v0.1.0");
    assert_no_secret(&out);
    let built = Outcome::of(&mut Command::new(proj.join("target/debug/tiny")));
    built.expect_ok().expect_stdout("tiny says 42");

    // The preset grants CARGO_HOME, but its credentials stay out of reach,
    let out = cargo_run(&["cat", text(&cargo_home.join("credentials.toml"))]);
    out.expect_code(1).expect_stderr(DENIED);
    assert_no_secret(&out);
    // while the rest of CARGO_HOME is readable (the twin),
    cargo_run(&["cat", text(&cargo_home.join("config.toml"))])
        .expect_ok()
        .expect_stdout("ordinary: .cargo/config.toml");
    // and the dry run says why.
    let out =
        Outcome::of(cargo_nono().args(["run", "--dry-run", "--preset", "rust", "--allow", "."]));
    out.expect_ok().expect_stdout(&format!(
        "Carved: {}/credentials.toml out of {} (built-in sensitive paths)",
        text(&cargo_home),
        text(&cargo_home)
    ));
}

// ---------------------------------------------------------------------------
// --expose, --deny, preset deny lists
// ---------------------------------------------------------------------------

#[test]
fn expose_grants_a_sensitive_path_and_warns_loudly() {
    let s = Scratch::new();
    let home = s.fake_home();
    let key = home.join(".ssh/id_ed25519");

    let out = run(&s, &["--expose", "~/.ssh"], &["cat", text(&key)]);
    out.expect_ok()
        .expect_stdout(&format!("{SECRET_MARKER} .ssh/id_ed25519"));
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("WARNING"))
        .collect();
    assert_eq!(warnings.len(), 1, "{out:#?}");
    assert!(
        warnings[0].contains("~/.ssh") && warnings[0].contains("--expose"),
        "{out:#?}"
    );
    // Exposed under a home grant too: not carved out, so readable.
    run(
        &s,
        &["--allow", "~", "--expose", "~/.ssh"],
        &["cat", text(&key)],
    )
    .expect_ok()
    .expect_stderr("WARNING");
    // --expose grants Read only: the exposed directory is not writable.
    sh(
        &s,
        &["--expose", "~/.ssh"],
        "echo x > \"$1/.ssh/authorized_keys\"",
    )
    .expect_code(2)
    .expect_stderr(DENIED);
    assert_absent(&home.join(".ssh/authorized_keys"));
    // Exposing one sensitive path leaves the others carved.
    expect_cat_denied(
        &s,
        &["--allow", "~", "--expose", "~/.ssh"],
        &home.join(".aws/credentials"),
    );

    // The denied twin: without --expose the key is unreadable, and no
    // --expose warning is printed (the one for --allow ~ itself is).
    let out = run(&s, &["--allow", "~"], &["cat", text(&key)]);
    out.expect_code(1)
        .expect_stderr(DENIED)
        .expect_no_stderr("WARNING: --expose");
    assert_no_secret(&out);
}

#[test]
fn a_grant_inside_a_sensitive_path_needs_expose() {
    let s = Scratch::new();
    let home = s.fake_home();
    let key = home.join(".ssh/id_ed25519");

    for grant in [
        vec!["--read", "~/.ssh"],
        vec!["--allow", "~/.ssh/id_ed25519"],
        vec!["-w", "~/.aws"],
    ] {
        let path = grant[1];
        let out = run(&s, &grant, &["cat", text(&key)]);
        out.expect_nono_error(path).expect_stderr("--expose");
        assert_no_secret(&out);
    }
    s.run_home(["run", "--dry-run", "--read", "~/.ssh"])
        .expect_nono_error("~/.ssh")
        .expect_stderr("--expose ~/.ssh");
    // The same path through a symlink is refused too.
    std::os::unix::fs::symlink(home.join(".ssh"), home.join("proj/keys")).unwrap();
    run(&s, &["--read", "~/proj/keys"], &["true"]).expect_nono_error("~/proj/keys");

    // A preset's grant is held to the same rule, naming the preset.
    let preset = s.write(
        "presets/greedy.ron",
        "(name: \"greedy\", description: \"wants the keys\", grants: [(path: \"~/.aws\", access: Read)])\n",
    );
    run(&s, &["--preset", text(&preset)], &["true"])
        .expect_nono_error("preset greedy")
        .expect_stderr("~/.aws");

    // The allowed twin: with --expose, the same grant runs.
    run(
        &s,
        &["--read", "~/.ssh", "--expose", "~/.ssh"],
        &["cat", text(&key)],
    )
    .expect_ok()
    .expect_stdout(SECRET_MARKER);
}

#[test]
fn deny_flag_carves_an_ordinary_path() {
    let s = Scratch::new();
    let home = s.fake_home();
    let h = text(&home);
    s.write(
        "home/proj/private/key.pem",
        &format!("{SECRET_MARKER} pem\n"),
    );
    let grants = ["--allow", "~", "--deny", "~/proj/private"];

    expect_cat_denied(&s, &grants, &home.join("proj/private/key.pem"));
    sh(&s, &grants, "echo x > \"$1/proj/private/new\"")
        .expect_code(2)
        .expect_stderr(DENIED);
    assert_absent(&home.join("proj/private/new"));
    // The allowed twins: its siblings stay readable; without --deny it is
    // readable.
    expect_cat_ok(&s, &grants, &home.join("proj/readme.txt"));
    expect_cat_ok(&s, &["--allow", "~"], &home.join("proj/private/key.pem"));

    // Shown like a built-in carve, with its own source.
    let mut args = vec!["run", "--dry-run"];
    args.extend(grants);
    s.run_home(&args)
        .expect_ok()
        .expect_stdout(&format!(
            "Carved: {h}/proj/private out of {h} (flag --deny)"
        ))
        .expect_stdout(&format!(
            "Carved: {h}/.ssh out of {h} (built-in sensitive paths)"
        ));
    // A grant inside it is refused; a --deny of a missing path is no error.
    run(
        &s,
        &["--deny", "~/proj/private", "--read", "~/proj/private"],
        &["true"],
    )
    .expect_nono_error("~/proj/private");
    run(
        &s,
        &["--allow", "~/proj", "--deny", "~/proj/missing"],
        &["cat", text(&home.join("proj/readme.txt"))],
    )
    .expect_ok()
    .expect_stdout("ordinary");
}

#[test]
fn a_preset_files_deny_list_carves() {
    let s = Scratch::new();
    let home = s.fake_home();
    let h = text(&home);
    s.write(
        "home/proj/private/key.pem",
        &format!("{SECRET_MARKER} pem\n"),
    );
    let preset = s.write(
        "presets/mine.ron",
        "(\n    name: \"mine\",\n    description: \"the project, minus its private dir\",\n    \
         grants: [(path: \"~/proj\", access: Allow)],\n    deny: [\"~/proj/private\"],\n)\n",
    );
    let grants = ["--preset", text(&preset)];

    expect_cat_denied(&s, &grants, &home.join("proj/private/key.pem"));
    expect_cat_ok(&s, &grants, &home.join("proj/readme.txt"));
    s.run_home(["run", "--dry-run", "--preset", text(&preset)])
        .expect_ok()
        .expect_stdout(&format!(
            "Carved: {h}/proj/private out of {h}/proj (preset mine)"
        ));

    // The twin: the same preset without its deny list grants the file.
    let open = s.write(
        "presets/open.ron",
        "(name: \"open\", description: \"the project\", grants: [(path: \"~/proj\", access: Allow)])\n",
    );
    expect_cat_ok(
        &s,
        &["--preset", text(&open)],
        &home.join("proj/private/key.pem"),
    );
}

// ---------------------------------------------------------------------------
// The environment
// ---------------------------------------------------------------------------

/// Variables set on nono for the environment tests, with values that must
/// never be printed.
const SENSITIVE_VARS: [(&str, &str); 6] = [
    ("FOO_TOKEN", "value-of-foo-token-1d9c"),
    ("AWS_SECRET_ACCESS_KEY", "value-of-aws-secret-77ab"),
    ("GITHUB_TOKEN", "value-of-github-token-31f0"),
    ("SSH_AUTH_SOCK", "/value/of/ssh-auth-sock-5e2a"),
    // ":" names no library: ld.so ignores it, for nono and for `env`.
    ("LD_PRELOAD", ":"),
    ("DB_PASSWORD", "value-of-db-password-a0c4"),
];

/// Ordinary variables that must pass (TOKENIZERS_PARALLELISM contains
/// "TOKEN" but is not a credential).
const ORDINARY_VARS: [(&str, &str); 3] = [
    ("LANG", "C.UTF-8"),
    ("TOKENIZERS_PARALLELISM", "false"),
    ("NONO_TEST_ORDINARY", "plain-value"),
];

/// `nono ARGS` with the sensitive and ordinary variables set.
fn run_env(s: &Scratch, args: &[&str]) -> Outcome {
    let mut cmd = s.nono_home();
    cmd.envs(SENSITIVE_VARS).envs(ORDINARY_VARS).args(args);
    Outcome::of(&mut cmd)
}

/// The `NAME=VALUE` lines of `env`'s output.
fn env_lines(out: &Outcome) -> Vec<&str> {
    out.stdout.lines().collect()
}

#[test]
fn credential_and_injection_variables_are_removed() {
    let s = Scratch::new();
    let out = run_env(&s, &["run", "--", "env"]);
    out.expect_ok();
    let lines = env_lines(&out);
    for (name, _) in SENSITIVE_VARS {
        assert!(
            !lines.iter().any(|l| l.starts_with(&format!("{name}="))),
            "{name} passed: {out:#?}"
        );
    }
    // The twin: ordinary variables, HOME and PATH pass unchanged.
    for (name, value) in ORDINARY_VARS {
        assert!(
            lines.contains(&format!("{name}={value}").as_str()),
            "{name} missing: {out:#?}"
        );
    }
    let home = format!("HOME={}", text(&s.home()));
    assert!(lines.contains(&home.as_str()), "{out:#?}");
    assert!(lines.iter().any(|l| l.starts_with("PATH=")), "{out:#?}");
}

#[test]
fn env_keep_passes_a_named_variable() {
    let s = Scratch::new();
    let out = run_env(
        &s,
        &[
            "run",
            "--env-keep",
            "FOO_TOKEN",
            "--env-keep",
            "LD_PRELOAD",
            "--",
            "env",
        ],
    );
    out.expect_ok()
        .expect_stdout("FOO_TOKEN=value-of-foo-token-1d9c\n")
        .expect_stdout("LD_PRELOAD=:\n");
    // Only those: the other sensitive variables are still removed.
    for name in [
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "SSH_AUTH_SOCK",
        "DB_PASSWORD",
    ] {
        assert!(
            !out.stdout.contains(&format!("{name}=")),
            "{name} passed: {out:#?}"
        );
    }
    // The twin: without --env-keep neither passes.
    let out = run_env(&s, &["run", "--", "env"]);
    out.expect_ok();
    assert!(!out.stdout.contains("FOO_TOKEN="), "{out:#?}");
    assert!(!out.stdout.contains("LD_PRELOAD="), "{out:#?}");
}

#[test]
fn verbose_names_the_removed_variables_never_their_values() {
    let s = Scratch::new();
    let out = run_env(&s, &["run", "-v", "--", "true"]);
    out.expect_ok();
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("nono: removed from the environment: "))
        .unwrap_or_else(|| panic!("no removed line: {out:#?}"));
    let names: Vec<&str> = line
        .trim_start_matches("nono: removed from the environment: ")
        .split(' ')
        .collect();
    for (name, _) in SENSITIVE_VARS {
        assert!(names.contains(&name), "{name} not listed: {out:#?}");
    }
    for (name, _) in ORDINARY_VARS {
        assert!(!names.contains(&name), "{name} listed: {out:#?}");
    }
    for (_, value) in SENSITIVE_VARS.iter().filter(|(_, v)| v.len() > 1) {
        assert!(
            !out.stderr.contains(value) && !out.stdout.contains(value),
            "value shown: {out:#?}"
        );
    }
    // The dry run lists the same names, still without values.
    let dry = run_env(&s, &["run", "--dry-run", "--", "true"]);
    dry.expect_ok().expect_stdout("Environment: removed ");
    let json = run_env(&s, &["run", "--dry-run", "--json", "--", "true"]).json();
    let removed: Vec<&str> = json["env_removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for (name, value) in SENSITIVE_VARS {
        assert!(removed.contains(&name), "{json:#}");
        if value.len() > 1 {
            assert!(!dry.stdout.contains(value), "{dry:#?}");
        }
    }
    // The twin: with nothing sensitive in the environment, no line.
    let mut cmd = s.nono_home();
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", s.home())
        .env("XDG_CACHE_HOME", s.cache_home());
    Outcome::of(cmd.args(["run", "-v", "--", "true"]))
        .expect_ok()
        .expect_no_stderr("removed from the environment");
}

#[test]
fn env_clear_passes_exactly_the_named_variables() {
    let s = Scratch::new();
    let path = std::env::var("PATH").unwrap();
    let out = run_env(
        &s,
        &[
            "run",
            "--env-clear",
            "--env",
            "PATH",
            "--env",
            "MODE=ci",
            "--",
            "env",
        ],
    );
    out.expect_ok();
    let mut lines = env_lines(&out);
    lines.sort_unstable();
    let path_line = format!("PATH={path}");
    // And the marker nono always sets.
    assert_eq!(
        lines,
        ["MODE=ci", "NONO_SANDBOX=1", path_line.as_str()],
        "{out:#?}"
    );

    // --env can also pass a sensitive variable on purpose, or set one.
    let out = run_env(
        &s,
        &[
            "run",
            "--env-clear",
            "--env",
            "FOO_TOKEN",
            "--env",
            "X_TOKEN=given",
            "--",
            "/usr/bin/env",
        ],
    );
    out.expect_ok();
    let mut lines = env_lines(&out);
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "FOO_TOKEN=value-of-foo-token-1d9c",
            "NONO_SANDBOX=1",
            "X_TOKEN=given"
        ],
        "{out:#?}"
    );
}
