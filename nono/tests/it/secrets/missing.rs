//! Sensitive paths that do not exist, and nono's own configuration.

use super::*;
use crate::common::{assert_absent, assert_file, probe};
use std::path::PathBuf;

/// A fake home without any secret: ordinary files and directories only
/// (`notes.txt`, `proj/readme.txt`, `.config/app/settings.toml`).
fn bare_home(s: &Scratch) -> PathBuf {
    for rel in ["notes.txt", "proj/readme.txt", ".config/app/settings.toml"] {
        s.write(format!("home/{rel}"), &format!("# ordinary: {rel}\n"));
    }
    s.home()
}

/// The probe's `write` on `path` under `grants`: it prints the errno's
/// name, or `OK`.
fn probe_write(s: &Scratch, grants: &[&str], path: &Path) -> Outcome {
    s.run_home(run_args(grants, probe("write", &[text(path)])))
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
    expect_sh_writes(
        &s,
        &grants,
        "set -e; mkdir \"$1/proj/.ssh\"; echo k > \"$1/proj/.ssh/authorized_keys\"; echo more >> \"$1/notes.txt\"",
        &home.join("proj/.ssh/authorized_keys"),
        "k\n",
    );
    assert_file(&home.join("notes.txt"), "# ordinary: notes.txt\nmore\n");
    probe_write(&s, &grants, &home.join("proj/new.txt")).expect_probe_ok();
    // And a grant on that subdirectory alone lets it create directly in it.
    expect_uncarved_proj_creates_directly(&s);
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
    expect_sh_writes(
        &s,
        &grants,
        "echo '{\"debug\":true}' > \"$1/.docker/daemon.json\"",
        &home.join(".docker/daemon.json"),
        "{\"debug\":true}\n",
    );
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
    expect_sh_writes(
        &s,
        &grants,
        "echo k=v > \"$1/.config/app/new.toml\"",
        &home.join(".config/app/new.toml"),
        "k=v\n",
    );

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
    expect_sh_writes(
        &s,
        &grants,
        "set -e; echo ok > \"$1/proj/plugins/libfine.so\"; mkdir \"$1/proj/more-plugins\"",
        &plugins.join("libfine.so"),
        "ok\n",
    );
    assert!(more.is_dir());
}
