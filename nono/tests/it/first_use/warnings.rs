//! WARNING lines before dangerous grants, and none for ordinary ones.

use super::*;

#[test]
fn a_grant_that_can_write_a_startup_file_is_warned_and_the_harm_is_real() {
    let s = Scratch::new();
    let bashrc = s.write("home/.bashrc", "# mine\n");
    s.mkdir("home/proj");
    let append = ["/bin/sh", "-c", "echo planted >> \"$HOME/.bashrc\""];

    // --allow ~: warned. The existing startup file is a protected path
    // (read-only in the run's mount namespace), so the append fails...
    let out = s.run(run_args(["--allow", "~"], append));
    out.expect_code(2).expect_stderr("Read-only file system");
    let w = warnings(&out);
    assert_eq!(w.len(), 1, "{out:#?}");
    assert!(w[0].starts_with("nono: WARNING: --allow ~: "), "{out:#?}");
    assert!(w[0].contains("shell's startup files"), "{out:#?}");
    assert!(w[0].contains("--allow ~/PROJECT"), "{out:#?}");
    assert_eq!(std::fs::read_to_string(&bashrc).unwrap(), "# mine\n");
    // ... and unprotected on purpose, the startup file really can be
    // changed: the harm the warning names is real.
    let out = s.run(run_args(
        ["--allow", "~", "--unprotect", "~/.bashrc"],
        append,
    ));
    out.expect_ok();
    assert_eq!(warnings(&out).len(), 2, "{out:#?}");
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
