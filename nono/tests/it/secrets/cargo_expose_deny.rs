//! The rust preset and CARGO_HOME; `--expose`; `--deny`.

use super::*;
use crate::common::{RustToolchain, assert_absent, rust_toolchain};
use std::process::Command;

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
    let RustToolchain { bin, rustup_home } = rust_toolchain();
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
