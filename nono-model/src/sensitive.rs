//! What a sandbox must not reach: paths that hold credentials and nono's own
//! state (carved out of every grant unless exposed), and the environment
//! variables that carry credentials or inject code (removed from the
//! command's environment). A path that does not exist is protected too: no
//! grant that could create it keeps the right to create anything in its
//! nearest existing directory (see `nono_compile::carve`).

/// The built-in sensitive paths that hold credentials. A grant that covers
/// one of them is carved so that the path stays out of reach; `--expose
/// PATH` opts back in.
pub const SENSITIVE_PATHS: [&str; 17] = [
    "~/.ssh",
    "~/.gnupg",
    "~/.aws",
    "~/.azure",
    "${XDG_CONFIG_HOME:-~/.config}/gcloud",
    "~/.kube",
    "~/.docker/config.json",
    "~/.git-credentials",
    "${XDG_CONFIG_HOME:-~/.config}/git/credentials",
    "~/.netrc",
    "~/.npmrc",
    "~/.pypirc",
    "${CARGO_HOME:-~/.cargo}/credentials.toml",
    "${CARGO_HOME:-~/.cargo}/credentials",
    "${XDG_CONFIG_HOME:-~/.config}/gh/hosts.yml",
    "~/.password-store",
    "${XDG_DATA_HOME:-~/.local/share}/keyrings",
];

/// nono's own cache directory, denied to every sandbox like the sensitive
/// paths: it holds plugins' answers, which later runs trust, so no sandboxed
/// command may write it (or read the contexts stored in it). Listed twice:
/// where `$XDG_CACHE_HOME` puts it now, and the default place, which a run
/// without `$XDG_CACHE_HOME` would use.
pub const NONO_CACHE_PATHS: [&str; 2] = ["${XDG_CACHE_HOME:-~/.cache}/nono", "~/.cache/nono"];

/// nono's own configuration directory, denied to every sandbox like the
/// sensitive paths: it holds user presets and plugins, which the next run
/// trusts, so a sandboxed command that could write it could widen the next
/// sandbox (or run its code in nono). Listed twice, like
/// [`NONO_CACHE_PATHS`]: where `$XDG_CONFIG_HOME` puts it now, and the
/// default place. The directories of `$NONO_PLUGIN_PATH` are denied too, by
/// the `nono` binary, which reads that variable.
pub const NONO_CONFIG_PATHS: [&str; 2] = ["${XDG_CONFIG_HOME:-~/.config}/nono", "~/.config/nono"];

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
/// use nono_model::is_sensitive_var;
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

/// The environment variables a path template is written with, in order of
/// first appearance: each `$NAME`, `${NAME}` and `${NAME:-default}`
/// (defaults included, nested ones too), and `HOME` when the template has a
/// `~` (only a leading one expands, but a default may lead).
///
/// ```
/// use nono_model::template_vars;
///
/// assert_eq!(template_vars("${CARGO_HOME:-~/.cargo}/bin"), ["CARGO_HOME", "HOME"]);
/// assert_eq!(template_vars("/opt/$TOOL/${TOOL}"), ["TOOL"]);
/// assert!(template_vars("/usr/lib").is_empty());
/// ```
pub fn template_vars(template: &str) -> Vec<&str> {
    let mut vars = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find(['$', '~']) {
        let after = &rest[at + 1..];
        if rest[at..].starts_with('~') {
            push_new(&mut vars, "HOME");
            rest = after;
            continue;
        }
        let after = after.strip_prefix('{').unwrap_or(after);
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if len > 0 {
            push_new(&mut vars, &after[..len]);
        }
        rest = &after[len..];
    }
    vars
}

/// The variables the built-in sensitive paths ([`SENSITIVE_PATHS`]) are
/// written with ([`template_vars`]): all a process needs in its
/// environment to find them, as nono's plugin helper does to carve them out
/// of its own view while it is given no other variable.
///
/// ```
/// assert!(nono_model::sensitive_path_vars().contains(&"HOME"));
/// ```
pub fn sensitive_path_vars() -> Vec<&'static str> {
    let mut vars = Vec::new();
    for name in SENSITIVE_PATHS.iter().flat_map(|path| template_vars(path)) {
        push_new(&mut vars, name);
    }
    vars
}

fn push_new<'a>(vars: &mut Vec<&'a str>, name: &'a str) {
    if !vars.contains(&name) {
        vars.push(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_variable_is_found_once() {
        assert_eq!(template_vars("~"), ["HOME"]);
        assert_eq!(template_vars("~/.ssh"), ["HOME"]);
        assert_eq!(template_vars("$A/$B_2/x"), ["A", "B_2"]);
        assert_eq!(template_vars("${A}${B:-/d}"), ["A", "B"]);
        assert_eq!(
            template_vars("${A:-${B:-${C:-~/n}}}"),
            ["A", "B", "C", "HOME"]
        );
        assert_eq!(template_vars("${A:-$A}/$A"), ["A"]);
        // A `$` not followed by a name expands to itself.
        assert!(template_vars("/a$/b$").is_empty());
        assert!(template_vars("${").is_empty());
    }

    #[test]
    fn the_sensitive_paths_are_written_with_these_variables() {
        let mut vars = sensitive_path_vars();
        vars.sort_unstable();
        assert_eq!(
            vars,
            ["CARGO_HOME", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"]
        );
    }
}
