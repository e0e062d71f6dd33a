//! Credentials that would reach the command through its environment, by
//! name or by value, end to end through `nono run -- env`:
//!
//! - the names the scrubber removes (`BW_SESSION`, `OP_SESSION_*`,
//!   `TF_TOKEN_*`, `*_PAT`, `*_KEY`, npm's `npm_config_*auth*` and
//!   `*_authToken`, git's `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_*` /
//!   `GIT_CONFIG_VALUE_*` / `GIT_CONFIG_PARAMETERS`, `GIT_ASKPASS`,
//!   `SSH_ASKPASS`, `GIT_SSH`, `GIT_SSH_COMMAND`) and any variable whose
//!   value holds a URL with a password never reach the command, while
//!   ordinary variables (some with `@` or a URL in them) pass unchanged;
//!   twin: the same `env` run without nono sees every one of them;
//! - git configuration injected through `GIT_CONFIG_*` (here an alias) does
//!   not reach a real `git` in the sandbox; twin: with `--env-keep` it does;
//! - `--env-keep` wins over a name and over a value;
//! - `-v`, `--dry-run` and `--dry-run --json` name what was removed and
//!   never show a value.

use crate::common::{Outcome, Scratch};
use std::process::Command;

/// Sensitive variables, each with a value no output may show (the marker
/// `sv-` plus a tag).
const SENSITIVE: [(&str, &str); 22] = [
    ("BW_SESSION", "sv-bw-session-5c1e"),
    ("OP_SESSION_acme", "sv-op-session-77d0"),
    ("TF_TOKEN_app_terraform_io", "sv-tf-token-0b9a"),
    ("GITHUB_PAT", "sv-github-pat-4e21"),
    ("AZURE_STORAGE_KEY", "sv-azure-key-9f3c"),
    ("KAGGLE_KEY", "sv-kaggle-key-12ab"),
    ("npm_config__authToken", "sv-npm-auth-token-6d4f"),
    (
        "npm_config_//registry.example/:_authToken",
        "sv-npm-scoped-8e02",
    ),
    ("NPM_CONFIG__AUTH", "sv-npm-auth-3a7b"),
    ("GIT_CONFIG_COUNT", "1"),
    ("GIT_CONFIG_KEY_0", "alias.nonoprobe"),
    ("GIT_CONFIG_VALUE_0", "!echo sv-injected-alias-2f6d"),
    (
        "GIT_CONFIG_PARAMETERS",
        "'http.extraheader'='sv-git-params-0c8e'",
    ),
    ("GIT_ASKPASS", "/sv-git-askpass-5b3d"),
    ("SSH_ASKPASS", "/sv-ssh-askpass-1e9f"),
    ("GIT_SSH", "/sv-git-ssh-7a2c"),
    ("GIT_SSH_COMMAND", "ssh -i /sv-git-ssh-command-4d1b"),
    (
        "DATABASE_URL",
        "postgres://app:sv-db-password-3e5a@db.internal:5432/app",
    ),
    ("REDIS_URL", "redis://:sv-redis-password-6c0d@cache:6379/0"),
    (
        "HTTPS_PROXY",
        "http://ada:sv-proxy-password-9b4e@proxy.internal:3128",
    ),
    (
        "PIP_EXTRA_INDEX_URL",
        "https://pypi.org/simple https://u:sv-pip-token-2d7f@pkgs.internal/simple",
    ),
    (
        "UPSTREAM_URL",
        "https://x-access-token:sv-ghs-token-8f1a@github.com/org/repo.git",
    ),
];

/// Ordinary variables that must pass unchanged.
const ORDINARY: [(&str, &str); 17] = [
    ("LANG", "C.UTF-8"),
    ("TERM", "xterm-256color"),
    ("DISPLAY", ":0"),
    ("EDITOR", "vi"),
    ("RUSTUP_TOOLCHAIN", "stable"),
    ("VIRTUAL_ENV", "/opt/venv"),
    ("GOPATH", "/opt/go"),
    ("NODE_ENV", "production"),
    ("TOKENIZERS_PARALLELISM", "false"),
    ("KEYMAP", "uk"),
    ("SSH_TTY", "/dev/pts/9"),
    ("SSH_KEY_PATH", "/opt/keys/id_ed25519.pub"),
    ("npm_config_registry", "https://registry.npmjs.org/"),
    ("NONO_TEST_REPO", "ssh://git@github.com/org/repo.git"),
    ("NONO_TEST_DB", "postgres://app@db.internal:5432/app"),
    ("NONO_TEST_EMAIL", "ada@example.com"),
    ("NONO_TEST_DOCS", "see https://example.com/a:b@c"),
];

/// `/usr/bin/env` (absolute: no `$PATH` lookup to depend on).
const ENV: &str = "/usr/bin/env";

/// `nono ARGS` with only PATH, HOME, the cache and the variables above.
fn nono_with_vars(s: &Scratch, args: &[&str]) -> Outcome {
    let mut cmd = s.nono();
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", s.home())
        .env("XDG_CACHE_HOME", s.cache_home())
        .envs(SENSITIVE)
        .envs(ORDINARY)
        .args(args);
    Outcome::of(&mut cmd)
}

/// The `NAME=VALUE` lines of `env`'s output.
fn lines(out: &Outcome) -> Vec<&str> {
    out.stdout.lines().collect()
}

/// Whether `env`'s output has variable `name`.
fn has_var(out: &Outcome, name: &str) -> bool {
    out.stdout
        .lines()
        .any(|l| l.starts_with(&format!("{name}=")))
}

/// Asserts that no sensitive value, nor any marker in one, is in `out`.
#[track_caller]
fn assert_no_value(out: &Outcome) {
    for (name, value) in SENSITIVE.iter().filter(|(_, v)| v.contains("sv-")) {
        let marker = value
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find(|w| w.starts_with("sv-"))
            .unwrap();
        assert!(
            !out.stdout.contains(marker) && !out.stderr.contains(marker),
            "the value of {name} was shown: {out:#?}"
        );
    }
}

#[test]
fn credential_names_and_passwords_in_urls_never_reach_the_command() {
    let s = Scratch::new();
    let out = nono_with_vars(&s, &["run", "--", ENV]);
    out.expect_ok();
    for (name, _) in SENSITIVE {
        assert!(!has_var(&out, name), "{name} passed: {out:#?}");
    }
    assert_no_value(&out);
    let got = lines(&out);
    for (name, value) in ORDINARY {
        assert!(
            got.contains(&format!("{name}={value}").as_str()),
            "{name} did not pass unchanged: {out:#?}"
        );
    }

    // Twin: the same `env` without nono sees every variable, so the probe
    // would show them.
    let mut bare = Command::new(ENV);
    bare.env_clear().envs(SENSITIVE).envs(ORDINARY);
    let bare = Outcome::of(&mut bare);
    bare.expect_ok();
    for (name, value) in SENSITIVE.iter().chain(&ORDINARY) {
        assert!(
            lines(&bare).contains(&format!("{name}={value}").as_str()),
            "{name}: {bare:#?}"
        );
    }
}

#[test]
fn env_keep_wins_over_a_name_and_over_a_value() {
    let s = Scratch::new();
    let out = nono_with_vars(
        &s,
        &[
            "run",
            "--env-keep",
            "GITHUB_PAT",
            "--env-keep",
            "DATABASE_URL",
            "--",
            ENV,
        ],
    );
    out.expect_ok();
    for kept in [
        "GITHUB_PAT=sv-github-pat-4e21",
        "DATABASE_URL=postgres://app:sv-db-password-3e5a@db.internal:5432/app",
    ] {
        assert!(lines(&out).contains(&kept), "{kept}: {out:#?}");
    }
    // Only those two.
    for (name, _) in SENSITIVE
        .iter()
        .filter(|(n, _)| !["GITHUB_PAT", "DATABASE_URL"].contains(n))
    {
        assert!(!has_var(&out, name), "{name} passed: {out:#?}");
    }
    // `--env NAME` passes one on purpose too.
    nono_with_vars(&s, &["run", "--env", "REDIS_URL", "--", ENV])
        .expect_ok()
        .expect_stdout("REDIS_URL=redis://:sv-redis-password-6c0d@cache:6379/0\n");
}

/// git configuration injected through `GIT_CONFIG_COUNT` /
/// `GIT_CONFIG_KEY_0` / `GIT_CONFIG_VALUE_0` (an alias that runs a shell
/// command; `core.sshCommand` or `core.fsmonitor` would run theirs the
/// same way) does not reach a real git in the sandbox. Twin: kept on
/// purpose, git reads it.
#[test]
fn git_configuration_in_the_environment_does_not_reach_git() {
    let s = Scratch::new();
    // From `/`: no repository around to read (or be denied).
    let ask = ["git", "-C", "/", "config", "--get", "alias.nonoprobe"];
    let mut argv = vec!["run", "--"];
    argv.extend(ask);
    let out = nono_with_vars(&s, &argv);
    assert_eq!(out.code, Some(1), "git found the alias: {out:#?}");
    assert!(out.stdout.is_empty(), "{out:#?}");

    let mut kept = vec!["run"];
    for name in ["GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"] {
        kept.extend(["--env-keep", name]);
    }
    kept.push("--");
    kept.extend(ask);
    nono_with_vars(&s, &kept)
        .expect_ok()
        .expect_stdout("!echo sv-injected-alias-2f6d\n");
}

#[test]
fn verbose_and_dry_run_name_what_was_removed_never_a_value() {
    let s = Scratch::new();
    let out = nono_with_vars(&s, &["run", "-v", "--", "true"]);
    out.expect_ok();
    assert_no_value(&out);
    let line = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("nono: removed from the environment: "))
        .unwrap_or_else(|| panic!("no removed line: {out:#?}"));
    let names: Vec<&str> = line.split(' ').collect();
    let mut expected: Vec<&str> = SENSITIVE.iter().map(|(n, _)| *n).collect();
    expected.sort_unstable();
    assert_eq!(names, expected, "{out:#?}");

    let dry = nono_with_vars(&s, &["run", "--dry-run", "--", "true"]);
    dry.expect_ok();
    assert_no_value(&dry);
    let listed = dry
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Environment: removed "))
        .unwrap_or_else(|| panic!("no Environment line: {dry:#?}"));
    assert_eq!(listed.split(' ').collect::<Vec<_>>(), expected);

    let json = nono_with_vars(&s, &["run", "--dry-run", "--json", "--", "true"]);
    json.expect_ok();
    assert_no_value(&json);
    let removed: Vec<String> = json.json()["env_removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(removed, expected);

    // Twin: the same run with the values shown on purpose (kept) prints
    // them from the command, so the check above would catch a leak.
    let kept = nono_with_vars(&s, &["run", "-v", "--env-keep", "BW_SESSION", "--", ENV]);
    kept.expect_ok().expect_stdout("sv-bw-session-5c1e");
}
