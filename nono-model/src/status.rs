//! Enforcement status and the gaps that explain it.

use crate::Requirement;
use serde::Serialize;
use std::fmt;

/// How much of a policy the kernel enforces.
///
/// Ordered from weakest to strongest, so the weaker of a prediction and a
/// report is their `min`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum EnforcementStatus {
    /// Landlock is not available: nothing is enforced.
    NotEnforced,
    /// Some restrictions are active; the gaps say which are not.
    PartiallyEnforced,
    /// Every restriction the policy asks for is active.
    FullyEnforced,
}

impl fmt::Display for EnforcementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EnforcementStatus::NotEnforced => "NotEnforced",
            EnforcementStatus::PartiallyEnforced => "PartiallyEnforced",
            EnforcementStatus::FullyEnforced => "FullyEnforced",
        })
    }
}

/// A restriction the policy implies but this machine cannot enforce: the
/// effective ABI is too old, or another [`Requirement`] of the pass is
/// missing.
///
/// ```
/// use nono_model::{Abi, Gap, Requirement};
///
/// let gap = Gap {
///     feature: "truncate",
///     needs: Requirement::Landlock(Abi::V3),
///     unenforced: "truncating files anywhere",
/// };
/// assert_eq!(gap.to_string(), "truncate: needs ABI 3 (Linux 6.2): truncating files anywhere is not restricted");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// The pass (feature) name.
    pub feature: &'static str,
    /// What would enforce it.
    pub needs: Requirement,
    /// What stays unrestricted because of the gap.
    pub unenforced: &'static str,
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: needs {}: {} is not restricted",
            self.feature, self.needs, self.unenforced
        )
    }
}
