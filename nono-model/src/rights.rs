//! Concrete Landlock filesystem rights, as data.
//!
//! The bit values are the kernel's (`LANDLOCK_ACCESS_FS_*`), so a set can be
//! handed to the kernel as is; nothing here calls it.

use serde::{Serialize, Serializer};
use std::fmt;

/// One Landlock filesystem access right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u64)]
pub enum FsRight {
    /// Execute a file.
    Execute = 1 << 0,
    /// Open a file for writing.
    WriteFile = 1 << 1,
    /// Open a file for reading.
    ReadFile = 1 << 2,
    /// Open or list a directory.
    ReadDir = 1 << 3,
    /// Remove (or rename away) a directory.
    RemoveDir = 1 << 4,
    /// Unlink (or rename away) a file.
    RemoveFile = 1 << 5,
    /// Create a character device.
    MakeChar = 1 << 6,
    /// Create a directory.
    MakeDir = 1 << 7,
    /// Create a regular file.
    MakeReg = 1 << 8,
    /// Create a Unix socket.
    MakeSock = 1 << 9,
    /// Create a named pipe.
    MakeFifo = 1 << 10,
    /// Create a block device.
    MakeBlock = 1 << 11,
    /// Create a symbolic link.
    MakeSym = 1 << 12,
    /// Link or rename a file into another directory (ABI 2).
    Refer = 1 << 13,
    /// Truncate a file (ABI 3).
    Truncate = 1 << 14,
    /// Use ioctl on a device (ABI 5).
    IoctlDev = 1 << 15,
}

impl FsRight {
    /// Every right, in bit order.
    pub const ALL: [FsRight; 16] = [
        FsRight::Execute,
        FsRight::WriteFile,
        FsRight::ReadFile,
        FsRight::ReadDir,
        FsRight::RemoveDir,
        FsRight::RemoveFile,
        FsRight::MakeChar,
        FsRight::MakeDir,
        FsRight::MakeReg,
        FsRight::MakeSock,
        FsRight::MakeFifo,
        FsRight::MakeBlock,
        FsRight::MakeSym,
        FsRight::Refer,
        FsRight::Truncate,
        FsRight::IoctlDev,
    ];

    /// The snake_case name used in output (`read_file`).
    pub fn name(self) -> &'static str {
        match self {
            FsRight::Execute => "execute",
            FsRight::WriteFile => "write_file",
            FsRight::ReadFile => "read_file",
            FsRight::ReadDir => "read_dir",
            FsRight::RemoveDir => "remove_dir",
            FsRight::RemoveFile => "remove_file",
            FsRight::MakeChar => "make_char",
            FsRight::MakeDir => "make_dir",
            FsRight::MakeReg => "make_reg",
            FsRight::MakeSock => "make_sock",
            FsRight::MakeFifo => "make_fifo",
            FsRight::MakeBlock => "make_block",
            FsRight::MakeSym => "make_sym",
            FsRight::Refer => "refer",
            FsRight::Truncate => "truncate",
            FsRight::IoctlDev => "ioctl_dev",
        }
    }

    /// The right with this snake_case name.
    pub fn from_name(name: &str) -> Option<FsRight> {
        FsRight::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for FsRight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`FsRight`]s, stored as the kernel's bit mask.
///
/// ```
/// use nono_model::{FsRight, FsRights};
///
/// let rights = FsRights::from(FsRight::ReadFile) | FsRight::ReadDir.into();
/// assert!(rights.contains(FsRight::ReadDir));
/// assert_eq!(rights.to_string(), "read_file, read_dir");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FsRights(u64);

impl FsRights {
    /// No rights.
    pub const EMPTY: FsRights = FsRights(0);

    /// Rights that only mean something on a directory; the kernel refuses
    /// them in a rule on a file.
    pub const DIRECTORY_ONLY: FsRights = FsRights(
        FsRight::ReadDir as u64
            | FsRight::RemoveDir as u64
            | FsRight::RemoveFile as u64
            | FsRight::MakeChar as u64
            | FsRight::MakeDir as u64
            | FsRight::MakeReg as u64
            | FsRight::MakeSock as u64
            | FsRight::MakeFifo as u64
            | FsRight::MakeBlock as u64
            | FsRight::MakeSym as u64
            | FsRight::Refer as u64,
    );

    /// The raw kernel bit mask.
    pub fn bits(self) -> u64 {
        self.0
    }

    /// The set with these bits, or `None` if a bit is not a known right.
    pub fn from_bits(bits: u64) -> Option<FsRights> {
        let known = FsRight::ALL.iter().fold(0, |acc, r| acc | *r as u64);
        (bits & !known == 0).then_some(FsRights(bits))
    }

    /// Builds a set from a list of rights.
    pub fn of(rights: &[FsRight]) -> FsRights {
        rights
            .iter()
            .fold(FsRights::EMPTY, |acc, r| acc | FsRights::from(*r))
    }

    /// Whether `right` is in the set.
    pub fn contains(self, right: FsRight) -> bool {
        self.0 & right as u64 != 0
    }

    /// Whether every right of `other` is in the set.
    pub fn contains_all(self, other: FsRights) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The rights in `self` and not in `other`.
    #[must_use]
    pub fn without(self, other: FsRights) -> FsRights {
        FsRights(self.0 & !other.0)
    }

    /// The rights in both sets.
    #[must_use]
    pub fn intersection(self, other: FsRights) -> FsRights {
        FsRights(self.0 & other.0)
    }

    /// The rights held, in bit order.
    pub fn iter(self) -> impl Iterator<Item = FsRight> {
        FsRight::ALL.into_iter().filter(move |r| self.contains(*r))
    }
}

impl From<FsRight> for FsRights {
    fn from(right: FsRight) -> Self {
        FsRights(right as u64)
    }
}

impl std::ops::BitOr for FsRights {
    type Output = FsRights;
    fn bitor(self, rhs: FsRights) -> FsRights {
        FsRights(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for FsRights {
    fn bitor_assign(&mut self, rhs: FsRights) {
        self.0 |= rhs.0;
    }
}

impl fmt::Display for FsRights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("(none)");
        }
        for (i, right) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(right.name())?;
        }
        Ok(())
    }
}

impl Serialize for FsRights {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(FsRight::name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bits_are_distinct() {
        let mut seen = 0u64;
        for r in FsRight::ALL {
            assert_eq!(FsRight::from_name(r.name()), Some(r));
            assert_eq!(seen & r as u64, 0);
            seen |= r as u64;
        }
        assert_eq!(FsRights::from_bits(seen).map(FsRights::bits), Some(seen));
        assert_eq!(FsRights::from_bits(1 << 40), None);
    }

    #[test]
    fn directory_only_excludes_the_file_rights() {
        for r in [
            FsRight::Execute,
            FsRight::ReadFile,
            FsRight::WriteFile,
            FsRight::Truncate,
            FsRight::IoctlDev,
        ] {
            assert!(!FsRights::DIRECTORY_ONLY.contains(r), "{r}");
        }
        assert!(FsRights::DIRECTORY_ONLY.contains(FsRight::Refer));
    }
}

/// Defines a small set type over kernel bit values: named constants, set
/// operations, and `Display`/`Serialize` as the list of names.
macro_rules! kernel_bit_set {
    (
        $(#[$doc:meta])*
        $name:ident, $what:literal {
            $( $(#[$cdoc:meta])* $konst:ident = $bit:expr => $text:literal, )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            #[doc = concat!("No ", $what, ".")]
            pub const EMPTY: $name = $name(0);
            $( $(#[$cdoc])* pub const $konst: $name = $name($bit); )+

            /// The raw kernel bit mask.
            pub fn bits(self) -> u64 {
                self.0
            }

            #[doc = concat!("Whether every ", $what, " of `other` is in the set.")]
            pub fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether the set is empty.
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }

            fn names(self) -> impl Iterator<Item = &'static str> {
                [$( ($name::$konst, $text), )+]
                    .into_iter()
                    .filter(move |(r, _)| self.contains(*r))
                    .map(|(_, n)| n)
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: $name) {
                self.0 |= rhs.0;
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names: Vec<_> = self.names().collect();
                f.write_str(&if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.names())
            }
        }
    };
}

kernel_bit_set! {
    /// Landlock network rights (ABI 4), as the kernel's bit mask.
    NetRights, "right" {
        /// Bind a TCP port (`LANDLOCK_ACCESS_NET_BIND_TCP`).
        BIND_TCP = 1 << 0 => "bind_tcp",
        /// Connect to a TCP port (`LANDLOCK_ACCESS_NET_CONNECT_TCP`).
        CONNECT_TCP = 1 << 1 => "connect_tcp",
    }
}

kernel_bit_set! {
    /// Landlock IPC scopes (ABI 6), as the kernel's bit mask.
    ScopeSet, "scope" {
        /// Abstract Unix sockets (`LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET`).
        ABSTRACT_UNIX_SOCKET = 1 << 0 => "abstract_unix_socket",
        /// Signals (`LANDLOCK_SCOPE_SIGNAL`).
        SIGNAL = 1 << 1 => "signal",
    }
}
