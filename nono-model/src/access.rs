//! Abstract access levels and sets of them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An abstract access level a grant gives to a path.
///
/// The levels are what users write (`--read`, `--write`, `--allow`); the
/// concrete Landlock rights each one lowers to depend on the ABI and are
/// decided by `nono-compile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Access {
    /// Read files, list directories, execute programs.
    Read,
    /// Create, write, truncate, rename and remove entries; no reading.
    Write,
    /// Read and Write, plus device ioctls.
    Allow,
}

impl Access {
    /// Every level, in order.
    pub const ALL: [Access; 3] = [Access::Read, Access::Write, Access::Allow];

    /// The lowercase word used in flags and output (`read`, `write`, `allow`).
    pub fn word(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Allow => "allow",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// A set of access levels, closed under implication: holding `Allow` means
/// holding `Read` and `Write` too.
///
/// Sets union when several grants name the same path, and an ancestor's set
/// covers a descendant's when it is a superset.
///
/// ```
/// use nono_model::{Access, AccessLevels};
///
/// let rw = AccessLevels::from(Access::Read).union(Access::Write.into());
/// assert!(rw.contains(Access::Write));
/// assert!(!rw.contains(Access::Allow));
/// assert!(AccessLevels::from(Access::Allow).covers(rw));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessLevels(u8);

impl AccessLevels {
    const READ: u8 = 1;
    const WRITE: u8 = 2;
    const ALLOW: u8 = 4;

    /// The empty set.
    pub const EMPTY: AccessLevels = AccessLevels(0);

    fn bit(access: Access) -> u8 {
        match access {
            Access::Read => Self::READ,
            Access::Write => Self::WRITE,
            Access::Allow => Self::ALLOW | Self::READ | Self::WRITE,
        }
    }

    /// Whether the set holds `access`.
    pub fn contains(self, access: Access) -> bool {
        let bit = Self::bit(access);
        self.0 & bit == bit
    }

    /// The union of two sets.
    #[must_use]
    pub fn union(self, other: AccessLevels) -> AccessLevels {
        AccessLevels(self.0 | other.0)
    }

    /// Whether every level in `other` is in `self`.
    pub fn covers(self, other: AccessLevels) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The levels held, from weakest to strongest (`Allow` listed only
    /// when held, `Read` and `Write` listed even when implied by it).
    pub fn iter(self) -> impl Iterator<Item = Access> {
        Access::ALL.into_iter().filter(move |a| self.contains(*a))
    }

    /// The strongest description: `allow`, `read+write`, `read` or `write`.
    pub fn word(self) -> &'static str {
        if self.contains(Access::Allow) {
            "allow"
        } else if self.contains(Access::Read) && self.contains(Access::Write) {
            "read+write"
        } else if self.contains(Access::Read) {
            "read"
        } else if self.contains(Access::Write) {
            "write"
        } else {
            "none"
        }
    }
}

impl From<Access> for AccessLevels {
    fn from(access: Access) -> Self {
        AccessLevels(Self::bit(access))
    }
}

impl fmt::Display for AccessLevels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl Serialize for AccessLevels {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_implies_read_and_write_but_not_the_reverse() {
        let allow = AccessLevels::from(Access::Allow);
        assert!(allow.contains(Access::Read) && allow.contains(Access::Write));
        let rw = AccessLevels::from(Access::Read).union(Access::Write.into());
        assert!(!rw.contains(Access::Allow));
        assert!(allow.covers(rw));
        assert!(!rw.covers(allow));
        assert_eq!(rw.word(), "read+write");
    }
}
