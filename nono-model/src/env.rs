//! What the sandboxed command's environment keeps.

use serde::{Deserialize, Serialize};

/// How the environment is passed to the command.
///
/// By default every variable passes except those that look like credentials
/// or that inject code into programs (see [`crate::is_sensitive_var`]);
/// `keep` names variables to pass anyway. With `clear`, nothing passes but
/// `set`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvPolicy {
    /// Variables to pass even though they look sensitive (`--env-keep`).
    #[serde(default)]
    pub keep: Vec<String>,
    /// Start from an empty environment (`--env-clear`).
    #[serde(default)]
    pub clear: bool,
    /// Variables to set, or to pass from nono's environment when the value
    /// is `None` (`--env NAME[=VALUE]`).
    #[serde(default)]
    pub set: Vec<(String, Option<String>)>,
}
