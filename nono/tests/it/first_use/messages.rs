//! Messages that name the fix, and `why`'s exit status.

use super::*;

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
    let too_new = (nono_model::Abi::LATEST.0 + 1).to_string();
    s.run(["run", "--abi", &too_new, "--", "true"])
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
        sh.args(["-c", script, crate::common::NONO, path]);
        copy_env(&s.nono_home(), &mut sh);
        Outcome::of(&mut sh)
    };
    branch(&key).expect_ok().expect_stdout("denied 1\n");
    branch(&notes).expect_ok().expect_stdout("allowed\n");
}

// ---------------------------------------------------------------- colour
