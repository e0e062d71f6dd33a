//! The command's environment: credentials and injection variables removed,
//! by name and by value (see [`nono_model::is_sensitive_env`]).

use nono_model::{EnvPolicy, is_sensitive_env};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// The environment to give the command, and the names removed from nono's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvOutcome {
    /// The variables the command gets, in order.
    pub vars: Vec<(OsString, OsString)>,
    /// The names removed (never their values), sorted.
    pub removed: Vec<String>,
}

/// The variables that point tools at nono's proxy (`--net-allow`): the
/// usual ones (curl, git, Python, Go, pip read them; curl and git only the
/// lowercase `http_proxy`), and those of tools that ignore them (cargo
/// prefers git's `http.proxy` but honours `CARGO_HTTP_PROXY`; npm and yarn
/// read their own configuration; pip also `PIP_PROXY`).
pub const PROXY_VARS: [&str; 12] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "CARGO_HTTP_PROXY",
    "npm_config_proxy",
    "npm_config_https_proxy",
    "YARN_HTTP_PROXY",
    "YARN_HTTPS_PROXY",
    "PIP_PROXY",
];

/// The variables that exempt hosts from a proxy: removed, so that no host
/// is reached around nono's (the connection would be refused anyway).
pub const NO_PROXY_VARS: [&str; 3] = ["NO_PROXY", "no_proxy", "npm_config_noproxy"];

/// Points the command's environment at nono's proxy on 127.0.0.1:`port`:
/// sets every [`PROXY_VARS`] name (replacing what was there) and removes
/// every [`NO_PROXY_VARS`] name, whatever its case.
///
/// ```
/// let mut vars = vec![("no_proxy".into(), "*".into()), ("HTTPS_PROXY".into(), "http://other:3128".into())];
/// nono_compile::point_at_proxy(&mut vars, 4000);
/// assert!(vars.iter().all(|(k, _)| k != "no_proxy"));
/// assert!(vars.contains(&("HTTPS_PROXY".into(), "http://127.0.0.1:4000".into())));
/// ```
pub fn point_at_proxy(vars: &mut Vec<(OsString, OsString)>, port: u16) {
    vars.retain(|(name, _)| {
        let name = name.to_string_lossy();
        !PROXY_VARS
            .iter()
            .chain(&NO_PROXY_VARS)
            .any(|v| v.eq_ignore_ascii_case(&name))
    });
    let url = format!("http://127.0.0.1:{port}");
    for name in PROXY_VARS {
        vars.push((name.into(), url.clone().into()));
    }
}

/// Applies `policy` to `current` (nono's own environment).
pub fn scrub_env(
    current: impl IntoIterator<Item = (OsString, OsString)>,
    policy: &EnvPolicy,
) -> EnvOutcome {
    let current: Vec<(OsString, OsString)> = current.into_iter().collect();
    let keep = |name: &OsStr| policy.keep.iter().any(|k| OsStr::new(k) == name);
    let mut out = EnvOutcome::default();
    if policy.clear {
        out.removed = current
            .iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
    } else {
        for (name, value) in current.iter().cloned() {
            let sensitive = is_sensitive_env(name.as_bytes(), value.as_bytes());
            if sensitive && !keep(&name) {
                out.removed.push(name.to_string_lossy().into_owned());
            } else {
                out.vars.push((name, value));
            }
        }
    }
    for (name, value) in &policy.set {
        let value = match value {
            Some(v) => Some(OsString::from(v)),
            None => current
                .iter()
                .find(|(k, _)| k == OsStr::new(name))
                .map(|(_, v)| v.clone()),
        };
        if let Some(value) = value {
            out.vars.retain(|(k, _)| k != OsStr::new(name));
            out.removed.retain(|r| r != name);
            out.vars.push((name.into(), value));
        }
    }
    out.removed.sort();
    out.removed.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nono_model::{has_url_credentials, is_sensitive_var};

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn removes_credentials_and_injection_but_keeps_the_rest() {
        let out = scrub_env(
            env(&[
                ("PATH", "/usr/bin"),
                ("FOO_TOKEN", "x"),
                ("LD_PRELOAD", "/evil.so"),
                ("AWS_SECRET_ACCESS_KEY", "k"),
                ("HOME", "/h"),
            ]),
            &EnvPolicy::default(),
        );
        assert_eq!(out.vars, env(&[("PATH", "/usr/bin"), ("HOME", "/h")]));
        assert_eq!(
            out.removed,
            ["AWS_SECRET_ACCESS_KEY", "FOO_TOKEN", "LD_PRELOAD"]
        );
    }

    #[test]
    fn keep_clear_and_set() {
        let policy = EnvPolicy {
            keep: vec!["FOO_TOKEN".into()],
            ..Default::default()
        };
        let out = scrub_env(env(&[("FOO_TOKEN", "x")]), &policy);
        assert_eq!(out.vars, env(&[("FOO_TOKEN", "x")]));
        assert!(out.removed.is_empty());

        let policy = EnvPolicy {
            clear: true,
            set: vec![("PATH".into(), None), ("MODE".into(), Some("ci".into()))],
            ..Default::default()
        };
        let out = scrub_env(env(&[("PATH", "/bin"), ("HOME", "/h")]), &policy);
        assert_eq!(out.vars, env(&[("PATH", "/bin"), ("MODE", "ci")]));
        assert_eq!(out.removed, ["HOME"]);
    }

    /// Ordinary variables that must pass, with values they commonly hold
    /// (some with `@` or `://`, none with a password in a URL).
    const ORDINARY: [(&str, &str); 58] = [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("HOME", "/home/ada"),
        ("LANG", "en_US.UTF-8"),
        ("LC_ALL", "C.UTF-8"),
        ("TERM", "xterm-256color"),
        ("COLORTERM", "truecolor"),
        ("DISPLAY", ":0"),
        ("XAUTHORITY", "/run/user/1000/.Xauthority"),
        ("EDITOR", "vim"),
        ("VISUAL", "code --wait"),
        ("PAGER", "less"),
        ("LESSKEY", "/home/ada/.lesskey"),
        ("SHELL", "/bin/bash"),
        ("USER", "ada"),
        ("LOGNAME", "ada"),
        ("PWD", "/home/ada/proj"),
        ("TZ", "Europe/London"),
        ("CARGO_HOME", "/home/ada/.cargo"),
        ("CARGO_TARGET_DIR", "/tmp/target"),
        ("RUSTUP_TOOLCHAIN", "stable"),
        ("RUST_BACKTRACE", "1"),
        ("RUST_LOG", "info"),
        ("VIRTUAL_ENV", "/home/ada/proj/.venv"),
        ("PYTHONPATH", "/home/ada/proj/src"),
        ("GOPATH", "/home/ada/go"),
        ("GOFLAGS", "-mod=mod"),
        ("GOPROXY", "https://proxy.golang.org,direct"),
        ("NODE_ENV", "production"),
        ("npm_config_cache", "/home/ada/.npm"),
        ("npm_config_registry", "https://registry.npmjs.org/"),
        (
            "npm_config_user_agent",
            "npm/10.2.4 node/v20.11.0 linux x64",
        ),
        ("TOKENIZERS_PARALLELISM", "false"),
        ("KEYMAP", "uk"),
        ("KEYBOARD", "pc105"),
        ("SSH_TTY", "/dev/pts/3"),
        ("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22"),
        ("SSH_KEY_PATH", "/home/ada/.ssh/id_ed25519"),
        ("GPG_TTY", "/dev/pts/3"),
        ("XDG_RUNTIME_DIR", "/run/user/1000"),
        ("XDG_SESSION_ID", "4"),
        ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus"),
        ("HTTPS_PROXY", "http://proxy.internal:3128"),
        ("NO_PROXY", "localhost,127.0.0.1,.internal"),
        ("PIP_INDEX_URL", "https://pypi.org/simple"),
        ("DATABASE_URL", "postgres://app@db.internal:5432/app"),
        ("REPO", "ssh://git@github.com/org/repo.git"),
        ("UPSTREAM", "git@github.com:org/repo.git"),
        ("EMAIL", "ada@example.com"),
        ("GIT_AUTHOR_EMAIL", "ada@example.com"),
        ("GIT_DIR", "/home/ada/proj/.git"),
        ("GIT_CONFIG_GLOBAL", "/home/ada/.gitconfig"),
        ("PS1", r"\u@\h:\w\$ "),
        ("DOCS", "see https://example.com/a:b@c for details"),
        ("ANON_FTP", "ftp://anonymous:@ftp.example.com/"),
        ("JAVA_HOME", "/usr/lib/jvm/java-21"),
        ("MAKEFLAGS", "-j8"),
        ("LS_COLORS", "rs=0:di=01;34:ln=01;36:mh=00:pi=40;33"),
        ("HISTFILE", "/home/ada/.bash_history"),
    ];

    /// Credentials and injection variables the scrubber must remove, by name
    /// or by value.
    const SENSITIVE: [(&str, &str); 35] = [
        ("BW_SESSION", "bw-session-key"),
        ("OP_SESSION_my", "op-session"),
        ("OP_SESSION_acme_corp", "op-session"),
        ("TF_TOKEN_app_terraform_io", "tf-token"),
        ("GITHUB_PAT", "github_pat_x"),
        ("AZURE_DEVOPS_EXT_PAT", "pat"),
        ("AZURE_STORAGE_KEY", "storage-key"),
        ("KAGGLE_KEY", "kaggle-key"),
        ("OPENAI_API_KEY", "sk-x"),
        ("STRIPE_APIKEY", "sk_live_x"),
        ("npm_config__auth", "dXNlcjpwYXNz"),
        ("npm_config__authToken", "npm-token"),
        ("NPM_CONFIG__AUTHTOKEN", "npm-token"),
        ("npm_config_//registry.npmjs.org/:_authToken", "npm-token"),
        ("NPM_AUTHTOKEN", "npm-token"),
        ("YARN_NPM_AUTH_IDENT", "dXNlcjpwYXNz"),
        ("DOCKER_AUTH_CONFIG", "{\"auths\":{}}"),
        ("GIT_CONFIG_COUNT", "1"),
        ("GIT_CONFIG_KEY_0", "core.sshCommand"),
        ("GIT_CONFIG_VALUE_0", "sh -c evil"),
        ("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='evil'"),
        ("GIT_ASKPASS", "/usr/share/code/askpass.sh"),
        ("SSH_ASKPASS", "/usr/lib/ssh/ssh-askpass"),
        ("GIT_SSH", "/usr/bin/plink"),
        ("GIT_SSH_COMMAND", "ssh -i /home/ada/.ssh/deploy"),
        ("GITHUB_TOKEN", "ghp_x"),
        ("DB_PASSWORD", "pw"),
        ("LD_PRELOAD", "/evil.so"),
        ("BASH_FUNC_ls%%", "() { evil; }"),
        ("DATABASE_URL", "postgres://app:s3cret@db.internal:5432/app"),
        ("REDIS_URL", "redis://:s3cret@cache:6379/0"),
        ("HTTPS_PROXY", "http://ada:pw@proxy.internal:3128"),
        (
            "PIP_EXTRA_INDEX_URL",
            "https://pypi.org/simple https://u:tok@pkgs.internal/simple",
        ),
        ("MIRRORS", "https://a.example,https://u:tok@b.example/x"),
        (
            "GIT_REMOTE",
            "https://x-access-token:ghs_x@github.com/org/repo.git",
        ),
    ];

    #[test]
    fn ordinary_variables_pass_and_sensitive_ones_are_removed() {
        let mut all: Vec<(&str, &str)> = ORDINARY.to_vec();
        all.extend(SENSITIVE);
        let out = scrub_env(env(&all), &EnvPolicy::default());
        // Ordinary names pass; the two ordinary entries whose names are
        // also used by a sensitive entry (DATABASE_URL, HTTPS_PROXY) pass
        // with their ordinary value only.
        assert_eq!(out.vars, env(&ORDINARY), "{:?}", out.removed);
        let mut names: Vec<String> = SENSITIVE.iter().map(|(n, _)| (*n).to_owned()).collect();
        names.sort();
        names.dedup();
        assert_eq!(out.removed, names);
        for (name, value) in ORDINARY {
            assert!(
                !is_sensitive_env(name.as_bytes(), value.as_bytes()),
                "{name}={value}"
            );
        }
        for (name, value) in SENSITIVE {
            assert!(
                is_sensitive_env(name.as_bytes(), value.as_bytes()),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn keep_wins_over_a_name_and_over_a_value() {
        let policy = EnvPolicy {
            keep: vec!["GIT_SSH_COMMAND".into(), "DATABASE_URL".into()],
            ..Default::default()
        };
        let vars = env(&[
            ("GIT_SSH_COMMAND", "ssh -i key"),
            ("DATABASE_URL", "postgres://a:b@db/x"),
            ("REDIS_URL", "redis://:b@cache"),
        ]);
        let out = scrub_env(vars.clone(), &policy);
        assert_eq!(out.vars, vars[..2]);
        assert_eq!(out.removed, ["REDIS_URL"]);
    }

    #[test]
    fn a_name_that_is_not_utf8_is_removed_whatever_its_value() {
        use std::os::unix::ffi::OsStringExt;
        let name = OsString::from_vec(b"X\xffY".to_vec());
        let out = scrub_env([(name, OsString::from("1"))], &EnvPolicy::default());
        assert!(out.vars.is_empty());
        assert_eq!(out.removed, ["X\u{fffd}Y"]);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A name part: letters, digits and `_`, in either case.
        fn part() -> impl Strategy<Value = String> {
            "[A-Za-z0-9][A-Za-z0-9_]{0,12}"
        }

        /// Userinfo and host text: no `/?#@:` and no space.
        fn word() -> impl Strategy<Value = String> {
            "[A-Za-z0-9._~%!$&'()*+,;=-]{1,12}"
        }

        proptest! {
            /// Every name the families cover is sensitive, whatever its
            /// case and whatever it is built around.
            #[test]
            fn every_name_of_a_family_is_sensitive(stem in part(), pick in 0usize..9, lower in any::<bool>()) {
                let name = match pick {
                    0 => format!("OP_SESSION_{stem}"),
                    1 => format!("TF_TOKEN_{stem}"),
                    2 => format!("GIT_CONFIG_KEY_{stem}"),
                    3 => format!("GIT_CONFIG_VALUE_{stem}"),
                    4 => format!("{stem}_PAT"),
                    5 => format!("{stem}_KEY"),
                    6 => format!("{stem}_TOKEN"),
                    7 => format!("npm_config_{stem}auth{stem}"),
                    _ => format!("{stem}_authToken"),
                };
                let name = if lower { name.to_ascii_lowercase() } else { name };
                prop_assert!(is_sensitive_var(&name), "{name}");
                prop_assert!(is_sensitive_env(name.as_bytes(), b"x"), "{name}");
            }

            /// A URL with a password is found anywhere in a value, after
            /// any text and in any scheme; the same URL without the password
            /// (or with an empty one) is not.
            #[test]
            fn a_password_in_a_url_is_found_and_a_user_alone_is_not(
                scheme in "[a-z][a-z0-9+.-]{0,8}",
                user in proptest::option::of(word()),
                password in word(),
                host in word(),
                port in proptest::option::of(1u16..),
                path in "(/[A-Za-z0-9:@._-]{0,10}){0,3}",
                before in "([A-Za-z0-9=,;_-]{0,8} )?",
                after in "( [A-Za-z0-9:/@._-]{0,10})?",
            ) {
                let user = user.unwrap_or_default();
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let with = format!("{before}{scheme}://{user}:{password}@{host}{port}{path}{after}");
                prop_assert!(has_url_credentials(with.as_bytes()), "{with}");
                let without = format!("{before}{scheme}://{user}@{host}{port}{path}{after}");
                let after_has_url = after.contains("://");
                if !after_has_url {
                    prop_assert!(!has_url_credentials(without.as_bytes()), "{without}");
                    let empty = format!("{before}{scheme}://{user}:@{host}{port}{path}{after}");
                    prop_assert!(!has_url_credentials(empty.as_bytes()), "{empty}");
                }
            }

            /// A value without `@` never holds a URL with a password.
            #[test]
            fn a_value_without_an_at_sign_is_never_a_url_credential(value in proptest::collection::vec(any::<u8>(), 0..200)) {
                let value: Vec<u8> = value.into_iter().filter(|&b| b != b'@').collect();
                prop_assert!(!has_url_credentials(&value));
            }

            /// The scrubber splits the environment: every variable either
            /// passes unchanged or is named in `removed` (never with its
            /// value), removed exactly when it is sensitive and not kept.
            #[test]
            fn the_scrubber_passes_or_names_every_variable(
                vars in proptest::collection::btree_map("[A-Za-z_][A-Za-z0-9_]{0,16}", "[ -~]{0,40}", 0..24),
                keep_every in 1usize..4,
            ) {
                let keep: Vec<String> = vars.keys().step_by(keep_every).cloned().collect();
                let policy = EnvPolicy { keep: keep.clone(), ..Default::default() };
                let input: Vec<(OsString, OsString)> = vars
                    .iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect();
                let out = scrub_env(input, &policy);
                for (name, value) in &vars {
                    let passed = out.vars.iter().any(|(k, v)| k == name.as_str() && v == value.as_str());
                    let removed = out.removed.contains(name);
                    let expect_removed = is_sensitive_env(name.as_bytes(), value.as_bytes()) && !keep.contains(name);
                    prop_assert_eq!(removed, expect_removed, "{}={}", name, value);
                    prop_assert_eq!(passed, !expect_removed, "{}={}", name, value);
                }
                prop_assert_eq!(out.vars.len() + out.removed.len(), vars.len());
            }
        }
    }
}
