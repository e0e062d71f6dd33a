//! The environment: credential-looking and code-injection variables.

use super::*;

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
