//! What a sandbox must not reach: paths that hold credentials and nono's own
//! state (carved out of every grant unless exposed), and the environment
//! variables that carry credentials or inject code (removed from the
//! command's environment). A path that does not exist is protected too: no
//! grant that could create it keeps the right to create anything in its
//! nearest existing directory (see `nono_compile::carve`).

/// The built-in sensitive paths that hold credentials. A grant that covers
/// one of them is carved so that the path stays out of reach; `--expose
/// PATH` opts back in.
///
/// Each follows where its tool really looks: the place a variable names
/// when it is set (an entry whose variable is unset names no path and is
/// left out), and the default place, where the tool looks without the
/// variable (as a run without it would). `~` is `$HOME`, and the account's
/// home from the password database too (see [`Policy::deny_in_home`](crate::Policy::deny_in_home)):
/// ssh reads `~/.ssh` there whatever `$HOME` says, and tools fall back to
/// it when `$HOME` is unset. `$KUBECONFIG`, a list, is in
/// [`SENSITIVE_PATH_LISTS`].
pub const SENSITIVE_PATHS: [&str; 33] = [
    // ssh: the account's home only (no variable).
    "~/.ssh",
    // GnuPG: $GNUPGHOME, else ~/.gnupg.
    "$GNUPGHOME",
    "~/.gnupg",
    // AWS CLI and SDKs: ~/.aws (credentials, config, SSO and CLI caches),
    // and the two files when moved by their variables.
    "~/.aws",
    "$AWS_SHARED_CREDENTIALS_FILE",
    "$AWS_CONFIG_FILE",
    // Azure CLI: $AZURE_CONFIG_DIR, else ~/.azure.
    "$AZURE_CONFIG_DIR",
    "~/.azure",
    // gcloud: $CLOUDSDK_CONFIG, else ~/.config/gcloud; it ignores
    // $XDG_CONFIG_HOME.
    "$CLOUDSDK_CONFIG",
    "~/.config/gcloud",
    // kubectl: ~/.kube (config and caches); $KUBECONFIG's files are in
    // SENSITIVE_PATH_LISTS.
    "~/.kube",
    // docker: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
    "$DOCKER_CONFIG/config.json",
    "~/.docker/config.json",
    // git's credential store: ~/.git-credentials, and
    // $XDG_CONFIG_HOME/git/credentials (~/.config/git/credentials when
    // XDG_CONFIG_HOME is unset or empty).
    "~/.git-credentials",
    "${XDG_CONFIG_HOME:-~/.config}/git/credentials",
    "~/.config/git/credentials",
    // netrc: $NETRC (Go, Python requests), else ~/.netrc (curl, git).
    "$NETRC",
    "~/.netrc",
    // npm: its userconfig setting from the environment (npm reads
    // npm_config_* in any case), else ~/.npmrc.
    "$NPM_CONFIG_USERCONFIG",
    "$npm_config_userconfig",
    "~/.npmrc",
    // twine: ~/.pypirc (no variable).
    "~/.pypirc",
    // cargo: $CARGO_HOME, else ~/.cargo.
    "${CARGO_HOME:-~/.cargo}/credentials.toml",
    "${CARGO_HOME:-~/.cargo}/credentials",
    "~/.cargo/credentials.toml",
    "~/.cargo/credentials",
    // gh: $GH_CONFIG_DIR, else $XDG_CONFIG_HOME/gh, else ~/.config/gh.
    "$GH_CONFIG_DIR/hosts.yml",
    "${XDG_CONFIG_HOME:-~/.config}/gh/hosts.yml",
    "~/.config/gh/hosts.yml",
    // pass: $PASSWORD_STORE_DIR, else ~/.password-store.
    "$PASSWORD_STORE_DIR",
    "~/.password-store",
    // GNOME keyring: $XDG_DATA_HOME/keyrings, else
    // ~/.local/share/keyrings.
    "${XDG_DATA_HOME:-~/.local/share}/keyrings",
    "~/.local/share/keyrings",
];

/// Variables whose value is a list of credential files, separated by `:`:
/// kubectl merges every file of `$KUBECONFIG` (and uses `~/.kube/config`
/// only when it is unset). Each entry is denied as written (relative ones
/// against the working directory), see
/// [`Policy::deny_sensitive_lists`](crate::Policy::deny_sensitive_lists).
pub const SENSITIVE_PATH_LISTS: [&str; 1] = ["KUBECONFIG"];

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
const INJECTION: [&str; 16] = [
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
    // Git configuration given on the command line of an outer git (`git -c`
    // passes it to the gits it starts this way): any setting, so code
    // (`core.sshCommand`, `core.fsmonitor`, `core.hooksPath`,
    // `credential.helper`) and credentials (`http.extraHeader`).
    "GIT_CONFIG_PARAMETERS",
    // How many GIT_CONFIG_KEY_<n> / GIT_CONFIG_VALUE_<n> pairs git reads
    // (see INJECTION_PREFIXES).
    "GIT_CONFIG_COUNT",
];

/// Prefixes of names removed because they inject code: git's
/// `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_<n>` / `GIT_CONFIG_VALUE_<n>` set
/// any git configuration, like [`INJECTION`]'s `GIT_CONFIG_PARAMETERS`.
const INJECTION_PREFIXES: [&str; 3] = ["BASH_FUNC_", "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"];

/// Names removed because they are credentials, reach a credential agent,
/// or name the program a tool asks for credentials or connects through.
const CREDENTIALS: [&str; 19] = [
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
    // Bitwarden's unlocked-vault session key.
    "BW_SESSION",
    // Yarn's `user:password` for the npm registry, base64.
    "YARN_NPM_AUTH_IDENT",
    // Registry credentials as docker's config.json text (GitLab CI).
    "DOCKER_AUTH_CONFIG",
    // The programs git and ssh run to ask for a password or passphrase
    // (an IDE's, which hands out its stored credentials), and the command
    // git connects to a remote through.
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
];

/// Prefixes of credential names: 1Password's `OP_SESSION_<account>`
/// session tokens, Terraform's `TF_TOKEN_<host>` API tokens.
const CREDENTIAL_PREFIXES: [&str; 2] = ["OP_SESSION_", "TF_TOKEN_"];

/// Fragments that mark a credential wherever they appear in a name.
const CREDENTIAL_FRAGMENTS: [&str; 6] = [
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

/// Suffixes that mark a credential: `_KEY` (`AZURE_STORAGE_KEY`,
/// `KAGGLE_KEY`, `OPENAI_API_KEY`), `_PAT` (a personal access token:
/// `GITHUB_PAT`), npm's `_authToken`.
const CREDENTIAL_SUFFIXES: [&str; 7] = [
    "_TOKEN",
    "_KEY",
    "_APIKEY",
    "_AUTH",
    "_AUTHTOKEN",
    "_PASS",
    "_PAT",
];

/// npm reads its configuration from every variable named `npm_config_*`
/// (in any case); those whose name holds `auth` (`_auth`, `_authToken`,
/// `//registry.example/:_authToken`) are credentials.
const NPM_CONFIG_PREFIX: &str = "NPM_CONFIG_";

/// Whether a variable name looks like a credential or an injection variable.
///
/// The name alone: [`is_sensitive_env`] also looks at the value.
///
/// ```
/// use nono_model::is_sensitive_var;
///
/// assert!(is_sensitive_var("FOO_TOKEN"));
/// assert!(is_sensitive_var("db_password"));
/// assert!(is_sensitive_var("LD_PRELOAD"));
/// assert!(is_sensitive_var("GITHUB_PAT"));
/// assert!(is_sensitive_var("npm_config_//registry.npmjs.org/:_authToken"));
/// assert!(!is_sensitive_var("PATH"));
/// assert!(!is_sensitive_var("TOKENIZERS_PARALLELISM"));
/// assert!(!is_sensitive_var("SSH_KEY_PATH"));
/// ```
pub fn is_sensitive_var(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // A plain scan: the names and fragments are short, and str::contains
    // sets up a two-way searcher for every call (nono asks this of every
    // variable of its environment on every run).
    let holds = |fragment: &str| {
        upper
            .as_bytes()
            .windows(fragment.len())
            .any(|w| w == fragment.as_bytes())
    };
    INJECTION.contains(&upper.as_str())
        || CREDENTIALS.contains(&upper.as_str())
        || INJECTION_PREFIXES
            .iter()
            .chain(&CREDENTIAL_PREFIXES)
            .any(|p| upper.starts_with(p))
        || CREDENTIAL_FRAGMENTS.iter().any(|f| holds(f))
        || CREDENTIAL_SUFFIXES.iter().any(|s| upper.ends_with(s))
        || (upper.starts_with(NPM_CONFIG_PREFIX) && holds("AUTH"))
}

/// Whether a variable's value holds a URL with a password in it,
/// `scheme://user:password@host` (or `scheme://:password@host`), anywhere
/// in the value: `DATABASE_URL`, `PIP_INDEX_URL`, a list of such URLs. A
/// URL with a user and no password (`ssh://git@host`, `https://user@host`)
/// is not a credential, nor is `user@host:path` (no `://`).
///
/// Cheap, since every value of nono's environment goes through it on every
/// run: one pass over a value without `@`, and otherwise a look at what
/// follows each `://`.
///
/// ```
/// use nono_model::has_url_credentials;
///
/// assert!(has_url_credentials(b"postgres://app:s3cret@db.internal:5432/app"));
/// assert!(has_url_credentials(b"redis://:s3cret@cache:6379"));
/// assert!(!has_url_credentials(b"ssh://git@github.com/org/repo.git"));
/// assert!(!has_url_credentials(b"https://example.com/a:b@c"));
/// assert!(!has_url_credentials(b"/usr/local/bin:/usr/bin"));
/// ```
pub fn has_url_credentials(value: &[u8]) -> bool {
    if !value.contains(&b'@') {
        return false;
    }
    let mut rest = value;
    while let Some(at) = rest.windows(3).position(|w| w == b"://") {
        let after = &rest[at + 3..];
        let has_scheme = at > 0 && is_scheme_byte(rest[at - 1]);
        // The authority ends at the path, query or fragment (RFC 3986), or
        // where the URL itself ends in a list of them.
        let end = after
            .iter()
            .position(|&b| matches!(b, b'/' | b'?' | b'#') || b.is_ascii_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..end];
        if has_scheme
            && let Some(userinfo_end) = authority.iter().rposition(|&b| b == b'@')
            && let Some(colon) = authority[..userinfo_end].iter().position(|&b| b == b':')
            && colon + 1 < userinfo_end
        {
            return true;
        }
        rest = after;
    }
    false
}

/// A byte a URL scheme may end with (RFC 3986: letters, digits, `+-.`).
fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// Whether a variable is kept from the command: its name looks like a
/// credential or an injection variable ([`is_sensitive_var`]; a name that
/// is not UTF-8 always is), or its value holds a URL with a password
/// ([`has_url_credentials`]).
///
/// ```
/// use nono_model::is_sensitive_env;
///
/// assert!(is_sensitive_env(b"DATABASE_URL", b"postgres://app:pw@db/app"));
/// assert!(is_sensitive_env(b"GITHUB_TOKEN", b"ghp_x"));
/// assert!(!is_sensitive_env(b"DATABASE_URL", b"postgres://app@db/app"));
/// assert!(!is_sensitive_env(b"HOME", b"/home/ada"));
/// ```
pub fn is_sensitive_env(name: &[u8], value: &[u8]) -> bool {
    std::str::from_utf8(name).map_or(true, is_sensitive_var) || has_url_credentials(value)
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
/// written with ([`template_vars`]), and the list variables of
/// [`SENSITIVE_PATH_LISTS`]: all a process needs in its environment to
/// find them, as nono's plugin helper does to carve them out of its own
/// view while it is given no other variable.
///
/// ```
/// assert!(nono_model::sensitive_path_vars().contains(&"HOME"));
/// ```
pub fn sensitive_path_vars() -> Vec<&'static str> {
    let mut vars = Vec::new();
    for name in SENSITIVE_PATHS.iter().flat_map(|path| template_vars(path)) {
        push_new(&mut vars, name);
    }
    for name in SENSITIVE_PATH_LISTS {
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
            [
                "AWS_CONFIG_FILE",
                "AWS_SHARED_CREDENTIALS_FILE",
                "AZURE_CONFIG_DIR",
                "CARGO_HOME",
                "CLOUDSDK_CONFIG",
                "DOCKER_CONFIG",
                "GH_CONFIG_DIR",
                "GNUPGHOME",
                "HOME",
                "KUBECONFIG",
                "NETRC",
                "NPM_CONFIG_USERCONFIG",
                "PASSWORD_STORE_DIR",
                "XDG_CONFIG_HOME",
                "XDG_DATA_HOME",
                "npm_config_userconfig",
            ]
        );
    }

    #[test]
    fn every_variable_place_has_its_default_beside_it() {
        // A `${VAR:-DEFAULT}/rest` entry is listed as `DEFAULT/rest` too: a
        // later run without the variable looks there.
        for path in SENSITIVE_PATHS
            .iter()
            .chain(&NONO_CACHE_PATHS)
            .chain(&NONO_CONFIG_PATHS)
        {
            if let Some(inner) = path.strip_prefix("${") {
                let (var, rest) = inner.split_once('}').unwrap();
                let (_, default) = var.split_once(":-").unwrap();
                let plain = format!("{default}{rest}");
                assert!(
                    SENSITIVE_PATHS
                        .iter()
                        .chain(&NONO_CACHE_PATHS)
                        .chain(&NONO_CONFIG_PATHS)
                        .any(|p| *p == plain),
                    "{path} has no {plain}"
                );
            }
        }
    }
}
