//! A policy: every grant a run asks for, with where each came from.

use crate::{FsGrant, NetPolicy, Scopes};
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
}

impl fmt::Display for GrantSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantSource::Flag(flag) => write!(f, "flag {flag}"),
            GrantSource::Preset(name) => write!(f, "preset {name}"),
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
}

impl Policy {
    /// Appends a grant from `source`.
    pub fn add(&mut self, grant: FsGrant, source: GrantSource) {
        self.grants.push(PolicyGrant { grant, source });
    }
}
