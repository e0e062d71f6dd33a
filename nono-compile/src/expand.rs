//! Expansion of `~`, `$VAR` and `${VAR:-default}` in grant paths.

use crate::ResolveEnv;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Why a path could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// `$NAME` or `${NAME}` names a variable that is not set (or is empty).
    #[error("environment variable {0} is not set")]
    Unset(String),
    /// `~` is used but no home directory is known.
    #[error("`~` used but HOME is not set")]
    NoHome,
    /// `${` without a closing `}`, or a bad variable name.
    #[error("malformed variable reference: {0}")]
    Malformed(String),
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands variables, then a leading `~`, in `text`.
///
/// `$NAME` and `${NAME}` take the variable's value and fail when it is unset
/// or empty; `${NAME:-default}` takes `default` (itself expanded) then. A `$`
/// not followed by a name is kept as is. `${\xHH}` is the byte HH (two hex
/// digits, not 00): how a path that is not UTF-8, or a literal `$`, is
/// written (see `nono_model::grant_text`). A leading `~` (alone or before
/// `/`) becomes the home directory, also when it came from a default, but
/// not when it was written `${\x7e}`.
///
/// The result is bytes (an [`OsString`]): a path need not be UTF-8.
///
/// ```
/// use nono_compile::{expand, ResolveEnv};
///
/// let mut env = ResolveEnv::new("/w");
/// env.home = Some("/home/ada".into());
/// env.vars.insert("CARGO_HOME".into(), "/opt/cargo".into());
/// assert_eq!(expand("${CARGO_HOME:-~/.cargo}/bin", &env).unwrap(), "/opt/cargo/bin");
/// assert_eq!(expand("${RUSTUP_HOME:-~/.rustup}", &env).unwrap(), "/home/ada/.rustup");
/// assert_eq!(expand("/cost${\\x24}5", &env).unwrap(), "/cost$5");
/// assert!(expand("$NOPE/x", &env).is_err());
/// ```
pub fn expand(text: &str, env: &ResolveEnv) -> Result<OsString, ExpandError> {
    let mut out = Vec::with_capacity(text.len());
    expand_vars(text, env, &mut out)?;
    // A leading `~` that was written as an escape is a name, not the home.
    let literal_lead = text.starts_with("${\\x");
    Ok(OsString::from_vec(if literal_lead {
        out
    } else {
        expand_tilde(out, env)?
    }))
}

fn expand_tilde(text: Vec<u8>, env: &ResolveEnv) -> Result<Vec<u8>, ExpandError> {
    if text == b"~" || text.starts_with(b"~/") {
        let home = env.home.as_ref().ok_or(ExpandError::NoHome)?;
        let mut out = home.as_os_str().as_bytes().to_vec();
        out.extend_from_slice(&text[1..]);
        Ok(out)
    } else {
        Ok(text)
    }
}

fn lookup<'a>(env: &'a ResolveEnv, name: &str) -> Option<&'a str> {
    env.vars
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The byte an escape `\xHH` (what is inside `${...}`) stands for.
fn escaped_byte(inner: &str) -> Option<u8> {
    let hex = inner.strip_prefix("\\x")?;
    if hex.len() != 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(hex, 16).ok().filter(|&b| b != 0)
}

fn expand_vars(text: &str, env: &ResolveEnv, out: &mut Vec<u8>) -> Result<(), ExpandError> {
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.extend_from_slice(&rest.as_bytes()[..at]);
        let after = &rest[at + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            let end = matching_brace(braced)
                .ok_or_else(|| ExpandError::Malformed(format!("${{{braced}")))?;
            let inner = &braced[..end];
            rest = &braced[end + 1..];
            if inner.starts_with('\\') {
                let byte = escaped_byte(inner)
                    .ok_or_else(|| ExpandError::Malformed(format!("${{{inner}}}")))?;
                out.push(byte);
                continue;
            }
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            if name.is_empty() || !name.chars().all(is_name_char) {
                return Err(ExpandError::Malformed(format!("${{{inner}}}")));
            }
            match (lookup(env, name), default) {
                (Some(value), _) => out.extend_from_slice(value.as_bytes()),
                (None, Some(default)) => expand_vars(default, env, out)?,
                (None, None) => return Err(ExpandError::Unset(name.to_owned())),
            }
        } else {
            let len = after.find(|c| !is_name_char(c)).unwrap_or(after.len());
            if len == 0 {
                out.push(b'$');
            } else {
                let name = &after[..len];
                let value = lookup(env, name).ok_or_else(|| ExpandError::Unset(name.to_owned()))?;
                out.extend_from_slice(value.as_bytes());
            }
            rest = &after[len..];
        }
    }
    out.extend_from_slice(rest.as_bytes());
    Ok(())
}

/// The index of the `}` closing a `${`, allowing nested `${...}` in defaults.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    fn env() -> ResolveEnv {
        let mut env = ResolveEnv::new("/cwd");
        env.home = Some("/home/u".into());
        env.vars.insert("A".into(), "alpha".into());
        env.vars.insert("EMPTY".into(), String::new());
        env
    }

    #[test]
    fn plain_braced_and_default_forms() {
        let env = env();
        assert_eq!(expand("/x/$A/y", &env).unwrap(), "/x/alpha/y");
        assert_eq!(expand("/x/${A}y", &env).unwrap(), "/x/alphay");
        assert_eq!(expand("${B:-/d}", &env).unwrap(), "/d");
        assert_eq!(expand("${EMPTY:-/d}", &env).unwrap(), "/d");
        assert_eq!(expand("${B:-${A}}", &env).unwrap(), "alpha");
        assert_eq!(expand("${B:-${C:-~/n}}", &env).unwrap(), "/home/u/n");
        assert_eq!(expand("/cost$", &env).unwrap(), "/cost$");
        assert_eq!(expand("~", &env).unwrap(), "/home/u");
        assert_eq!(expand("~user", &env).unwrap(), "~user");
    }

    #[test]
    fn errors_name_the_variable() {
        let env = env();
        assert_eq!(expand("$B", &env), Err(ExpandError::Unset("B".into())));
        assert_eq!(
            expand("${EMPTY}", &env),
            Err(ExpandError::Unset("EMPTY".into()))
        );
        assert!(matches!(
            expand("${A", &env),
            Err(ExpandError::Malformed(_))
        ));
        assert!(matches!(
            expand("${A B}", &env),
            Err(ExpandError::Malformed(_))
        ));
        let mut no_home = env.clone();
        no_home.home = None;
        assert_eq!(expand("~/x", &no_home), Err(ExpandError::NoHome));
    }

    /// The environment `names` give: each set to a value of its own, `~`
    /// from `HOME`.
    fn setting(names: &[&str]) -> ResolveEnv {
        ResolveEnv::new("/cwd").with_vars(
            names
                .iter()
                .map(|n| ((*n).to_owned(), format!("/set/{n}")))
                .collect(),
        )
    }

    /// `nono_model::template_vars` misses no variable that expansion
    /// reads: with only the variables it derives set, every sensitive path
    /// expands exactly as with every word of the path set too. (A word the
    /// path reads as a variable and the derivation missed would expand to
    /// its own value in the second case only.) The plugin helper finds the
    /// sensitive paths with only the derived variables in its environment.
    #[test]
    fn the_derived_variables_are_all_the_sensitive_paths_read() {
        for path in nono_model::SENSITIVE_PATHS {
            let derived = nono_model::template_vars(path);
            let mut words: Vec<&str> = path
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .collect();
            words.push("HOME");
            let only = expand(path, &setting(&derived)).unwrap();
            assert_eq!(only, expand(path, &setting(&words)).unwrap(), "{path}");
            // And each derived variable is read: set alone, it changes
            // what the path expands to.
            for name in &derived {
                assert_ne!(
                    expand(path, &setting(&[name])).ok(),
                    expand(path, &setting(&[])).ok(),
                    "{path}: {name}"
                );
            }
        }
        // Derived over every sensitive path, they are one list.
        for path in nono_model::SENSITIVE_PATHS {
            for name in nono_model::template_vars(path) {
                assert!(nono_model::sensitive_path_vars().contains(&name), "{name}");
            }
        }
    }

    #[test]
    fn escapes_are_bytes_and_never_the_home() {
        let env = env();
        assert_eq!(
            expand("/d/${\\xff}x", &env).unwrap().as_bytes(),
            b"/d/\xffx"
        );
        assert_eq!(expand("${\\x24}A", &env).unwrap(), "$A");
        assert_eq!(expand("${\\x7e}/x", &env).unwrap(), "~/x");
        assert_eq!(expand("${\\x7E}", &env).unwrap(), "~");
        assert_eq!(
            expand("${B:-/${\\xfe}}", &env).unwrap().as_bytes(),
            b"/\xfe"
        );
        for bad in [
            "${\\x00}",
            "${\\x1}",
            "${\\xfff}",
            "${\\xzz}",
            "${\\q}",
            "${\\}",
        ] {
            assert!(
                matches!(expand(bad, &env), Err(ExpandError::Malformed(_))),
                "{bad}"
            );
        }
    }

    proptest::proptest! {
        /// Any path, written with nono_model::literal_grant_text, expands
        /// to exactly its bytes.
        #[test]
        fn a_literal_path_expands_to_itself(bytes in proptest::collection::vec(1u8.., 0..40)) {
            let text = nono_model::literal_grant_text(&bytes);
            let env = env();
            let got = expand(&text, &env).unwrap();
            proptest::prop_assert_eq!(got.as_bytes(), bytes.as_slice());
        }

        /// A command-line path (nono_model::grant_text) without `$` or a
        /// leading `~` expands to exactly its bytes too.
        #[test]
        fn a_plain_path_expands_to_itself(bytes in proptest::collection::vec(1u8.., 0..40)) {
            proptest::prop_assume!(!bytes.contains(&b'$') && bytes.first() != Some(&b'~'));
            let text = nono_model::grant_text(&bytes);
            let env = env();
            let got = expand(&text, &env).unwrap();
            proptest::prop_assert_eq!(got.as_bytes(), bytes.as_slice());
        }
    }
}
