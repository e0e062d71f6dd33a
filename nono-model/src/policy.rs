//! A policy: every grant a run asks for, with where each came from.

use crate::{EnvPolicy, FsGrant, HostPattern, NetPolicy, Scopes};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a grant came from, kept so that output and diagnostics can name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantSource {
    /// A command-line flag such as `--read`.
    Flag(String),
    /// A preset, by the name it was requested under.
    Preset(String),
    /// A list built into nono (the sensitive paths).
    Builtin(String),
}

impl fmt::Display for GrantSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantSource::Flag(flag) => write!(f, "flag {flag}"),
            GrantSource::Preset(name) => write!(f, "preset {name}"),
            GrantSource::Builtin(name) => write!(f, "built-in {name}"),
        }
    }
}

/// A grant and its source.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicyGrant {
    /// The grant itself.
    pub grant: FsGrant,
    /// Where it came from.
    pub source: GrantSource,
}

/// A path to keep out of reach even inside a granted tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicyDeny {
    /// The path as written (`~`, `$VAR` allowed).
    pub path: String,
    /// Where the denial came from.
    pub source: GrantSource,
}

/// A place where the command may connect or send to pathname Unix sockets
/// (`--allow-unix`, a preset's `unix`): the socket itself or a directory,
/// covering everything below it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnixGrant {
    /// The path as written (`~`, `$VAR` allowed).
    pub path: String,
    /// Where the grant came from.
    pub source: GrantSource,
}

/// A host the command may reach through nono's proxy (`--net-allow`, a
/// preset's `net_allow`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HostGrant {
    /// The host and port pattern.
    pub pattern: HostPattern,
    /// Where the grant came from.
    pub source: GrantSource,
}

/// Everything a run asks the sandbox to allow. What is not granted is denied.
///
/// ```
/// use nono_model::{Access, FsGrant, GrantSource, Policy};
///
/// let mut policy = Policy::default();
/// policy.add(FsGrant::new(".", Access::Allow), GrantSource::Flag("--allow".into()));
/// assert_eq!(policy.grants.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The filesystem grants, in the order they were given.
    pub grants: Vec<PolicyGrant>,
    /// The network policy.
    #[serde(default)]
    pub net: NetPolicy,
    /// The IPC scopes.
    #[serde(default)]
    pub scopes: Scopes,
    /// Ask the kernel to log denials to the audit log (ABI 7).
    #[serde(default)]
    pub log_denials: bool,
    /// Let the command use System V IPC of its own (`--allow-sysv-ipc`),
    /// in a private IPC namespace wherever one can be had.
    #[serde(default)]
    pub allow_sysv_ipc: bool,
    /// Paths carved out of every grant (sensitive paths, `--deny`, presets'
    /// `deny`).
    #[serde(default)]
    pub denies: Vec<PolicyDeny>,
    /// Sensitive paths granted on purpose (`--expose`).
    #[serde(default)]
    pub exposes: Vec<String>,
    /// The command's environment.
    #[serde(default)]
    pub env: EnvPolicy,
    /// Where the command may reach pathname Unix sockets.
    #[serde(default)]
    pub unix: Vec<UnixGrant>,
    /// The hosts the command may reach through nono's proxy; when any is
    /// given, the command reaches the network through the proxy alone
    /// (and the ports of `net`, if any).
    #[serde(default)]
    pub hosts: Vec<HostGrant>,
    /// Files this run was configured from (preset files and plugins named
    /// on the command line): protected like a repository's hooks when a
    /// writable grant covers them, so that the run cannot widen the next.
    #[serde(default)]
    pub protect: Vec<String>,
    /// Protected paths the user wants writable anyway (`--unprotect`).
    #[serde(default)]
    pub unprotect: Vec<String>,
}

impl Policy {
    /// Appends a grant from `source`.
    pub fn add(&mut self, grant: FsGrant, source: GrantSource) {
        self.grants.push(PolicyGrant { grant, source });
    }

    /// Appends a path to carve out, from `source`.
    pub fn deny(&mut self, path: impl Into<String>, source: GrantSource) {
        self.denies.push(PolicyDeny {
            path: path.into(),
            source,
        });
    }

    /// Adds the built-in sensitive paths, and nono's own cache and
    /// configuration directories, to the denials.
    pub fn deny_sensitive(&mut self) {
        for &path in crate::SENSITIVE_PATHS
            .iter()
            .chain(&crate::NONO_CACHE_PATHS)
            .chain(&crate::NONO_CONFIG_PATHS)
        {
            self.deny(path, GrantSource::Builtin("sensitive paths".into()));
        }
    }

    /// Adds each of `paths` that is written under `~` again, under `home`
    /// (a path, as bytes) instead: for the account's home from the password
    /// database when `$HOME` is another directory. ssh reads `~/.ssh` there
    /// whatever `$HOME` says, and any command can run a tool with `HOME`
    /// set back to it.
    ///
    /// ```
    /// use nono_model::{Policy, SENSITIVE_PATHS};
    ///
    /// let mut policy = Policy::default();
    /// policy.deny_in_home(b"/root", &SENSITIVE_PATHS);
    /// assert!(policy.denies.iter().any(|d| d.path == "/root/.ssh"));
    /// assert!(!policy.denies.iter().any(|d| d.path.contains('~')));
    /// ```
    pub fn deny_in_home(&mut self, home: &[u8], paths: &[&str]) {
        let home = crate::literal_grant_text(home);
        let home = home.trim_end_matches('/');
        for path in paths {
            if let Some(rest) = path.strip_prefix("~/") {
                self.deny(
                    format!("{home}/{rest}"),
                    GrantSource::Builtin("sensitive paths".into()),
                );
            }
        }
    }

    /// Adds every entry of the list variables of
    /// [`SENSITIVE_PATH_LISTS`](crate::SENSITIVE_PATH_LISTS)
    /// (`$KUBECONFIG`), as `var` gives their values: entries separated by
    /// `:`, each denied exactly as written (no `~` or `$` expansion; a
    /// relative one against the working directory), empty ones skipped.
    ///
    /// ```
    /// use nono_model::Policy;
    ///
    /// let mut policy = Policy::default();
    /// policy.deny_sensitive_lists(|name| {
    ///     (name == "KUBECONFIG").then(|| b"/etc/kube/a.yaml::rel/$b".to_vec())
    /// });
    /// let paths: Vec<&str> = policy.denies.iter().map(|d| d.path.as_str()).collect();
    /// assert_eq!(paths, ["/etc/kube/a.yaml", "rel/${\\x24}b"]);
    /// ```
    pub fn deny_sensitive_lists(&mut self, var: impl Fn(&str) -> Option<Vec<u8>>) {
        for name in crate::SENSITIVE_PATH_LISTS {
            let Some(value) = var(name) else { continue };
            for entry in value.split(|&b| b == b':').filter(|e| !e.is_empty()) {
                self.deny(
                    crate::literal_grant_text(entry),
                    GrantSource::Builtin(format!("sensitive paths in ${name}")),
                );
            }
        }
    }
}
