//! The command's environment: credentials and injection variables removed.

use nono_model::EnvPolicy;
use std::ffi::{OsStr, OsString};

/// Names removed because they inject code into the programs the command
/// runs.
const INJECTION: [&str; 14] = [
    "LD_PRELOAD",
    "LD_AUDIT",
    "LD_DEBUG",
    "LD_DEBUG_OUTPUT",
    "LD_PROFILE",
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "RUBYOPT",
    "NODE_OPTIONS",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
];

/// Names removed because they are credentials or reach a credential agent.
const CREDENTIALS: [&str; 12] = [
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITLAB_TOKEN",
    "NPM_TOKEN",
    "CARGO_REGISTRY_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "SSH_AUTH_SOCK",
    "GPG_AGENT_INFO",
];

/// Fragments that mark a credential wherever they appear in a name.
const CREDENTIAL_FRAGMENTS: [&str; 6] = [
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

/// Suffixes that mark a credential.
const CREDENTIAL_SUFFIXES: [&str; 5] = ["_TOKEN", "_API_KEY", "_APIKEY", "_AUTH", "_PASS"];

/// Whether a variable name looks like a credential or an injection variable.
///
/// ```
/// use nono_compile::is_sensitive_var;
///
/// assert!(is_sensitive_var("FOO_TOKEN"));
/// assert!(is_sensitive_var("db_password"));
/// assert!(is_sensitive_var("LD_PRELOAD"));
/// assert!(!is_sensitive_var("PATH"));
/// assert!(!is_sensitive_var("TOKENIZERS_PARALLELISM"));
/// ```
pub fn is_sensitive_var(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    INJECTION.contains(&upper.as_str())
        || upper.starts_with("BASH_FUNC_")
        || CREDENTIALS.contains(&upper.as_str())
        // A plain scan: the names and fragments are short, and str::contains
        // sets up a two-way searcher for every call (nono asks this of every
        // variable of its environment on every run).
        || CREDENTIAL_FRAGMENTS
            .iter()
            .any(|f| upper.as_bytes().windows(f.len()).any(|w| w == f.as_bytes()))
        || CREDENTIAL_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

/// The environment to give the command, and the names removed from nono's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvOutcome {
    /// The variables the command gets, in order.
    pub vars: Vec<(OsString, OsString)>,
    /// The names removed (never their values), sorted.
    pub removed: Vec<String>,
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
            let sensitive = name.to_str().is_none_or(is_sensitive_var);
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
}
