//! Concrete Landlock filesystem rights, as data.
//!
//! The bit values are the kernel's (`LANDLOCK_ACCESS_FS_*`), so a set can be
//! handed to the kernel as is; nothing here calls it.

use serde::{Serialize, Serializer};
use std::fmt;

/// Defines [`FsRight`] from one table: the variants with their kernel
/// bits, [`FsRight::ALL`] and the names, so that a new right is one line
/// here (and the compiler then asks, through exhaustive matches, whether it
/// is directory-only, which level grants it in the reference model, and what
/// the `landlock` crate calls it).
macro_rules! fs_rights {
    ( $( $(#[$doc:meta])* $name:ident = $bit:expr => $text:literal, )+ ) => {
        /// One Landlock filesystem access right.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u64)]
        pub enum FsRight {
            $( $(#[$doc])* $name = $bit, )+
        }

        impl FsRight {
            /// Every right, in bit order.
            pub const ALL: [FsRight; [$($text),+].len()] = [$(FsRight::$name),+];

            /// The snake_case name used in output (`read_file`).
            pub fn name(self) -> &'static str {
                match self {
                    $( FsRight::$name => $text, )+
                }
            }
        }
    };
}

fs_rights! {
    /// Execute a file.
    Execute = 1 << 0 => "execute",
    /// Open a file for writing.
    WriteFile = 1 << 1 => "write_file",
    /// Open a file for reading.
    ReadFile = 1 << 2 => "read_file",
    /// Open or list a directory.
    ReadDir = 1 << 3 => "read_dir",
    /// Remove (or rename away) a directory.
    RemoveDir = 1 << 4 => "remove_dir",
    /// Unlink (or rename away) a file.
    RemoveFile = 1 << 5 => "remove_file",
    /// Create a character device.
    MakeChar = 1 << 6 => "make_char",
    /// Create a directory.
    MakeDir = 1 << 7 => "make_dir",
    /// Create a regular file.
    MakeReg = 1 << 8 => "make_reg",
    /// Create a Unix socket.
    MakeSock = 1 << 9 => "make_sock",
    /// Create a named pipe.
    MakeFifo = 1 << 10 => "make_fifo",
    /// Create a block device.
    MakeBlock = 1 << 11 => "make_block",
    /// Create a symbolic link.
    MakeSym = 1 << 12 => "make_sym",
    /// Link or rename a file into another directory (ABI 2).
    Refer = 1 << 13 => "refer",
    /// Truncate a file (ABI 3).
    Truncate = 1 << 14 => "truncate",
    /// Use ioctl on a device (ABI 5).
    IoctlDev = 1 << 15 => "ioctl_dev",
    /// Connect or send to a pathname Unix socket (ABI 9).
    ResolveUnix = 1 << 16 => "resolve_unix",
}

impl FsRight {
    /// Whether the right means something only on a directory (the kernel
    /// refuses it in a rule on a file).
    pub const fn directory_only(self) -> bool {
        match self {
            FsRight::Execute
            | FsRight::WriteFile
            | FsRight::ReadFile
            | FsRight::Truncate
            | FsRight::IoctlDev
            | FsRight::ResolveUnix => false,
            FsRight::ReadDir
            | FsRight::RemoveDir
            | FsRight::RemoveFile
            | FsRight::MakeChar
            | FsRight::MakeDir
            | FsRight::MakeReg
            | FsRight::MakeSock
            | FsRight::MakeFifo
            | FsRight::MakeBlock
            | FsRight::MakeSym
            | FsRight::Refer => true,
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
    /// them in a rule on a file (see [`FsRight::directory_only`]).
    pub const DIRECTORY_ONLY: FsRights = {
        let mut bits = 0;
        let mut i = 0;
        while i < FsRight::ALL.len() {
            if FsRight::ALL[i].directory_only() {
                bits |= FsRight::ALL[i] as u64;
            }
            i += 1;
        }
        FsRights(bits)
    };

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
        for r in FsRight::ALL {
            assert_eq!(FsRights::DIRECTORY_ONLY.contains(r), r.directory_only());
        }
    }

    #[test]
    fn net_and_scope_sets_iterate_their_members() {
        let all = NetRights::BIND_TCP
            | NetRights::CONNECT_TCP
            | NetRights::BIND_UDP
            | NetRights::CONNECT_SEND_UDP;
        assert_eq!(all.iter().collect::<Vec<_>>(), NetRight::ALL);
        assert_eq!(
            all.to_string(),
            "bind_tcp, connect_tcp, bind_udp, connect_send_udp"
        );
        assert_eq!(NetRights::EMPTY.iter().count(), 0);
        for r in ScopeFlag::ALL {
            assert_eq!(ScopeSet::from(r).iter().collect::<Vec<_>>(), [r]);
        }
        assert_eq!(ScopeSet::SIGNAL.to_string(), "signal");
    }
}

/// Defines a small set type over kernel bit values, and the enum of its
/// single members: named constants, set operations, iteration over the
/// members, and `Display`/`Serialize` as the list of names.
macro_rules! kernel_bit_set {
    (
        $(#[$doc:meta])*
        $name:ident of $item:ident, $what:literal {
            $( $(#[$cdoc:meta])* $konst:ident / $variant:ident = $bit:expr => $text:literal, )+
        }
    ) => {
        #[doc = concat!("One ", $what, " of [`", stringify!($name), "`].")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u64)]
        pub enum $item {
            $( $(#[$cdoc])* $variant = $bit, )+
        }

        impl $item {
            #[doc = concat!("Every ", $what, ", in bit order.")]
            pub const ALL: [$item; [$($text),+].len()] = [$($item::$variant),+];

            /// The snake_case name used in output.
            pub fn name(self) -> &'static str {
                match self {
                    $( $item::$variant => $text, )+
                }
            }
        }

        impl fmt::Display for $item {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            #[doc = concat!("No ", $what, ".")]
            pub const EMPTY: $name = $name(0);
            $( $(#[$cdoc])* pub const $konst: $name = $name($item::$variant as u64); )+

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

            #[doc = concat!("The ", $what, "s held, in bit order.")]
            pub fn iter(self) -> impl Iterator<Item = $item> {
                $item::ALL
                    .into_iter()
                    .filter(move |r| self.0 & (*r as u64) != 0)
            }
        }

        impl From<$item> for $name {
            fn from(item: $item) -> Self {
                $name(item as u64)
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
                let names: Vec<_> = self.iter().map($item::name).collect();
                f.write_str(&if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.iter().map($item::name))
            }
        }
    };
}

kernel_bit_set! {
    /// Landlock network rights (TCP from ABI 4, UDP from ABI 10), as the
    /// kernel's bit mask.
    NetRights of NetRight, "right" {
        /// Bind a TCP port (`LANDLOCK_ACCESS_NET_BIND_TCP`).
        BIND_TCP / BindTcp = 1 << 0 => "bind_tcp",
        /// Connect to a TCP port (`LANDLOCK_ACCESS_NET_CONNECT_TCP`).
        CONNECT_TCP / ConnectTcp = 1 << 1 => "connect_tcp",
        /// Bind a UDP port, including the kernel's implicit bind to an
        /// ephemeral port (`LANDLOCK_ACCESS_NET_BIND_UDP`, ABI 10).
        BIND_UDP / BindUdp = 1 << 2 => "bind_udp",
        /// Connect a UDP socket to a port, or send a datagram to one
        /// (`LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP`, ABI 10).
        CONNECT_SEND_UDP / ConnectSendUdp = 1 << 3 => "connect_send_udp",
    }
}

kernel_bit_set! {
    /// Landlock IPC scopes (ABI 6), as the kernel's bit mask.
    ScopeSet of ScopeFlag, "scope" {
        /// Abstract Unix sockets (`LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET`).
        ABSTRACT_UNIX_SOCKET / AbstractUnixSocket = 1 << 0 => "abstract_unix_socket",
        /// Signals (`LANDLOCK_SCOPE_SIGNAL`).
        SIGNAL / Signal = 1 << 1 => "signal",
    }
}
