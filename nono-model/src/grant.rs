//! A filesystem grant: a path and an access level.

use crate::Access;
use serde::{Deserialize, Serialize};

/// One filesystem grant: `path` (which may use `~`, `$VAR` and
/// `${VAR:-default}`, expanded by `nono-compile`) at `access`.
///
/// An `optional` grant whose path does not exist, or whose variables are not
/// set, is skipped instead of being an error.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FsGrant {
    /// The path as written, before expansion.
    pub path: String,
    /// The access level granted.
    pub access: Access,
    /// Skip the grant, rather than fail, when the path cannot be resolved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// Where the command's writes land: in place (`Host`, the default), or
    /// in a sandbox-private copy-on-write layer over the directory
    /// (`Private`), for a shared cache that unsandboxed tools later trust.
    /// A `Private` directory that does not exist is made before the run
    /// (below the home only), as the tool would on first use.
    #[serde(default, skip_serializing_if = "Layer::is_host")]
    pub layer: Layer,
}

/// Where a grant's writes land (see [`FsGrant::layer`]).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Layer {
    /// In place, on the host's files.
    #[default]
    Host,
    /// In an overlay over the directory, whose upper directory lives in
    /// nono's cache (one per project and directory, kept between runs).
    Private,
}

impl Layer {
    /// Whether writes land in place.
    pub fn is_host(&self) -> bool {
        *self == Layer::Host
    }
}

/// Why a grant's value is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The path is the empty string.
    #[error("the path is empty")]
    EmptyPath,
    /// The path holds a NUL byte, which no path can.
    #[error("the path {0:?} contains a NUL byte")]
    NulInPath(String),
}

impl FsGrant {
    /// A required grant of `access` on `path`.
    pub fn new(path: impl Into<String>, access: Access) -> Self {
        FsGrant {
            path: path.into(),
            access,
            optional: false,
            layer: Layer::Host,
        }
    }

    /// The same grant, made optional: skipped rather than an error when its
    /// path does not exist or its variables are unset.
    ///
    /// ```
    /// use nono_model::{Access, FsGrant};
    ///
    /// assert!(FsGrant::new("~/.cache/acme", Access::Allow).skip_if_missing().optional);
    /// ```
    #[must_use]
    pub fn skip_if_missing(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Checks the values a grant can be wrong about without looking at the
    /// filesystem.
    pub fn validate(&self) -> Result<(), GrantError> {
        if self.path.is_empty() {
            return Err(GrantError::EmptyPath);
        }
        if self.path.contains('\0') {
            return Err(GrantError::NulInPath(self.path.clone()));
        }
        Ok(())
    }
}
