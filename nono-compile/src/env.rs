//! The command's environment: credentials and injection variables removed.

use nono_model::{EnvPolicy, is_sensitive_var};
use std::ffi::{OsStr, OsString};

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
