//! Landlock ABI versions, and what a lowering pass requires of the machine.
//!
//! The ABIs nono lowers to are listed once, in the `landlock_abis!` table
//! below; everything else is derived from it: [`Abi::LATEST`],
//! [`Abi::COUNT`], [`Abi::known`] (which every loop over the ABIs uses) and
//! the Linux release of each. Adding an ABI is one line here; the compiler
//! then points at the rest (a pass that requires an ABI missing from the
//! table does not compile, see `nono_compile::passes`).

use serde::Serialize;
use std::fmt;

/// A Landlock ABI version, as the kernel numbers them (1 = Linux 5.13).
///
/// A number rather than an enum, because a number is what the kernel
/// reports (a kernel may be newer than nono) and what `--abi` takes, and a
/// gap may name an ABI that nono does not lower to yet. The ABIs nono lowers
/// to are [`Abi::known`]; name them with the constants (`Abi::V3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Abi(pub u8);

/// Defines the named ABI constants, the known list and the Linux releases
/// from one table: `lowered` are the ABIs nono lowers to (1, 2, ... in
/// order, checked at compile time), `upcoming` the newer ones a gap may
/// name.
macro_rules! landlock_abis {
    (
        lowered {
            $( $(#[$doc:meta])* $name:ident = $n:literal => $linux:literal, )+
        }
        upcoming {
            $( $(#[$udoc:meta])* $uname:ident = $un:literal => $ulinux:literal, )*
        }
    ) => {
        impl Abi {
            $( $(#[$doc])* pub const $name: Abi = Abi($n); )+
            $( $(#[$udoc])* pub const $uname: Abi = Abi($un); )*

            /// Every ABI nono lowers to, oldest first.
            const KNOWN: [Abi; [$($n),+].len()] = [$(Abi($n)),+];

            /// The newer ABIs that a gap may name, oldest first.
            const UPCOMING: &[Abi] = &[$(Abi($un)),*];

            /// The first Linux release with this ABI (`"none"` for 0, `"?"`
            /// for an ABI newer than nono knows of).
            pub fn linux(self) -> &'static str {
                match self.0 {
                    0 => "none",
                    $( $n => $linux, )+
                    $( $un => $ulinux, )*
                    _ => "?",
                }
            }
        }
    };
}

landlock_abis! {
    lowered {
        /// ABI 1 (Linux 5.13): the base filesystem rights.
        V1 = 1 => "5.13",
        /// ABI 2 (Linux 5.19): Refer.
        V2 = 2 => "5.19",
        /// ABI 3 (Linux 6.2): Truncate.
        V3 = 3 => "6.2",
        /// ABI 4 (Linux 6.7): TCP bind and connect.
        V4 = 4 => "6.7",
        /// ABI 5 (Linux 6.10): IoctlDev.
        V5 = 5 => "6.10",
        /// ABI 6 (Linux 6.12): signal and abstract Unix socket scoping.
        V6 = 6 => "6.12",
        /// ABI 7 (Linux 6.15): denial logging flags.
        V7 = 7 => "6.15",
        /// ABI 8 (Linux 7.0): restricting every thread at once.
        V8 = 8 => "7.0",
        /// ABI 9 (Linux 7.1): ResolveUnix.
        V9 = 9 => "7.1",
        /// ABI 10 (Linux 7.2): UDP bind and connect/send.
        V10 = 10 => "7.2",
    }
    upcoming {
    }
}

// The lowered ABIs are 1, 2, ... with no hole, so that `known()` is
// `1..=LATEST` and an ABI's number is its place in the list; the upcoming
// ones follow, in order.
const _: () = {
    let mut i = 0;
    while i < Abi::KNOWN.len() {
        assert!(
            Abi::KNOWN[i].0 as usize == i + 1,
            "the lowered ABIs must be 1, 2, 3, ... in order"
        );
        i += 1;
    }
    let mut last = Abi::KNOWN[Abi::KNOWN.len() - 1].0;
    let mut j = 0;
    while j < Abi::UPCOMING.len() {
        assert!(
            Abi::UPCOMING[j].0 > last,
            "the upcoming ABIs must be newer than the lowered ones, in order"
        );
        last = Abi::UPCOMING[j].0;
        j += 1;
    }
};

impl Abi {
    /// How many ABIs nono lowers to.
    pub const COUNT: usize = Abi::KNOWN.len();

    /// The newest ABI nono lowers to.
    pub const LATEST: Abi = Abi::KNOWN[Abi::COUNT - 1];

    /// Every ABI nono lowers to, oldest first (`Abi::V1` to
    /// [`Abi::LATEST`]).
    ///
    /// ```
    /// use nono_model::Abi;
    ///
    /// assert_eq!(Abi::known().next(), Some(Abi::V1));
    /// assert_eq!(Abi::known().last(), Some(Abi::LATEST));
    /// assert_eq!(Abi::known().count(), Abi::COUNT);
    /// ```
    pub fn known() -> impl DoubleEndedIterator<Item = Abi> + ExactSizeIterator + Clone {
        Abi::KNOWN.into_iter()
    }

    /// Whether nono lowers to this ABI.
    pub fn is_known(self) -> bool {
        (Abi::V1..=Abi::LATEST).contains(&self)
    }
}

impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a lowering pass needs from the machine to enforce its feature.
/// When the machine does not provide it, the pass records what is lost
/// instead (a gap, named after the pass, that says what it needs).
///
/// ```
/// use nono_model::{Abi, Requirement};
///
/// assert_eq!(Requirement::Landlock(Abi::V3).to_string(), "ABI 3 (Linux 6.2)");
/// assert_eq!(Requirement::Seccomp.to_string(), "seccomp");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// A Landlock ABI: the passes of Landlock features (`fs_base` to
    /// `net_udp`).
    Landlock(Abi),
    /// seccomp filters: the socket filter (`seccomp_fallback`) and the
    /// syscall guard (`syscall_guard`).
    Seccomp,
    /// The supervisor: nono outside the sandbox answering seccomp user
    /// notifications on the command's behalf, where a path must be judged
    /// and Landlock cannot judge it (the `supervise_*` passes, DESIGN.md
    /// section 7).
    Supervisor,
    /// Unprivileged user namespaces: the mount layer's read-only binds over
    /// protected paths inside writable grants (the `protect` pass, DESIGN.md
    /// section 7).
    UserNamespaces,
}

impl Requirement {
    /// The Landlock ABI, for a Landlock requirement.
    pub fn landlock_abi(self) -> Option<Abi> {
        match self {
            Requirement::Landlock(abi) => Some(abi),
            Requirement::Seccomp | Requirement::Supervisor | Requirement::UserNamespaces => None,
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Landlock(abi) => write!(f, "ABI {abi} (Linux {})", abi.linux()),
            Requirement::Seccomp => f.write_str("seccomp"),
            Requirement::Supervisor => f.write_str("the supervisor (seccomp user notification)"),
            Requirement::UserNamespaces => f.write_str("unprivileged user namespaces"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_is_one_to_latest_and_upcoming_is_beyond() {
        let numbers: Vec<u8> = Abi::known().map(|a| a.0).collect();
        let expected: Vec<u8> = (1..=Abi::LATEST.0).collect();
        assert_eq!(numbers, expected);
        assert!(Abi::known().all(Abi::is_known));
        assert!(!Abi(0).is_known());
        assert!(!Abi(Abi::LATEST.0 + 1).is_known());
        for abi in Abi::known().chain(Abi::UPCOMING.iter().copied()) {
            assert_ne!(abi.linux(), "?", "ABI {abi}");
        }
        assert!(Abi::UPCOMING.iter().all(|a| !a.is_known()));
        assert_eq!(Abi::V3.linux(), "6.2");
        assert_eq!(Abi::V10.linux(), "7.2");
        assert_eq!(Abi(0).linux(), "none");
        assert_eq!(Abi(200).linux(), "?");
    }
}
