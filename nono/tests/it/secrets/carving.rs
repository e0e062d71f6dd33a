//! Carving under a grant on the home.

use super::*;
use crate::common::{FAKE_ORDINARY, FAKE_SECRETS, FAKE_SENSITIVE, assert_absent, assert_file};

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

    expect_sh_code_denied(
        &s,
        &grants,
        "echo ssh-ed25519 AAAA >> \"$1/.ssh/authorized_keys\"",
        2,
    );
    assert_absent(&home.join(".ssh/authorized_keys"));
    // Nor can an existing secret be overwritten, removed or renamed.
    let key = home.join(".ssh/id_ed25519");
    expect_sh_code_denied(&s, &grants, "echo gone > \"$1/.ssh/id_ed25519\"", 2);
    expect_sh_code_denied(&s, &grants, "rm -f \"$1/.ssh/id_ed25519\"", 1);
    expect_sh_code_denied(
        &s,
        &grants,
        "mv \"$1/.ssh/id_ed25519\" \"$1/proj/stolen\"",
        1,
    );
    assert_file(&key, &format!("{SECRET_MARKER} .ssh/id_ed25519\n"));
    assert_absent(&home.join("proj/stolen"));

    // The allowed twin: the same append in an ordinary directory works.
    expect_sh_writes(
        &s,
        &grants,
        "echo ssh-ed25519 AAAA >> \"$1/proj/authorized_keys\"",
        &home.join("proj/authorized_keys"),
        "ssh-ed25519 AAAA\n",
    );
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
    expect_sh_writes(
        &s,
        &grants,
        "set -e; echo k=v > \"$1/.config/app/new.toml\"; rm \"$1/.config/app/settings.toml\"",
        &home.join(".config/app/new.toml"),
        "k=v\n",
    );
    assert_absent(&home.join(".config/app/settings.toml"));

    // The denied twin: the same moves into or out of a secret directory.
    expect_sh_code_denied(
        &s,
        &grants,
        "mv \"$1/proj/renamed.txt\" \"$1/.ssh/renamed.txt\"",
        1,
    );
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
    expect_sh_code_denied(&s, &grants, "echo x > \"$1/new.txt\"", 2);
    assert_absent(&home.join("new.txt"));
    expect_sh_code_denied(&s, &grants, "mkdir \"$1/newdir\"", 1);
    assert_absent(&home.join("newdir"));
    expect_sh_code_denied(&s, &grants, "rm \"$1/notes.txt\"", 1);
    assert!(home.join("notes.txt").is_file());

    // The allowed twins: an existing file there keeps its own rule and can
    // be modified, and new files go into ordinary subdirectories.
    expect_sh_writes(
        &s,
        &grants,
        "echo edited >> \"$1/notes.txt\"",
        &home.join("notes.txt"),
        "# ordinary: notes.txt\nedited\n",
    );
    expect_proj_creates(&s, &grants);
    // Without any sensitive path in the granted tree nothing is carved, and
    // creating directly in it works.
    expect_uncarved_proj_creates_directly(&s);
}

#[test]
fn a_write_only_home_grant_runs_and_carves() {
    let s = Scratch::new();
    let home = s.fake_home();
    let grants = ["--write", "~"];

    // A carved directory keeps only listing, which Write does not have: the
    // carved directories then grant nothing, and the command must still
    // run (today Landlock refuses the rule: "empty access-right").
    expect_proj_creates(&s, &grants);
    expect_sh_code_denied(&s, &grants, "echo x > \"$1/.ssh/authorized_keys\"", 2);
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
