//! The invariants of a lowered ruleset, checked after lowering in debug
//! builds (as a compiler verifies its IR after its passes).
//!
//! They are the ones the property tests (`nono_compile::testing`) state
//! about every ruleset, in the form that needs no reference model: rules
//! sorted by path and one per path, none empty, no directory-only right on a
//! file, no right granted that is not handled, MakeChar and MakeBlock granted
//! nowhere, carved directories only listable, port rules sorted and handled.

use crate::normalize::path_order;
use nono_model::{Abi, FileKind, FsRight, FsRights, NetRights, Ruleset};
use std::cmp::Ordering;
use std::path::PathBuf;

/// A broken invariant of a lowered ruleset: a bug in a pass.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// The ruleset is for an ABI newer than nono lowers to.
    #[error("lowered for Landlock ABI {0}, newer than nono knows")]
    AbiTooNew(u8),
    /// Two rules are out of order, or on the same path.
    #[error(
        "rule on {second} follows the rule on {first}: rules must be sorted by path, one per path"
    )]
    Unsorted {
        /// The earlier rule's path.
        first: PathBuf,
        /// The later rule's path.
        second: PathBuf,
    },
    /// A rule grants nothing (the kernel refuses an empty access set).
    #[error("rule on {0} grants nothing")]
    Empty(PathBuf),
    /// A rule comes from no access level.
    #[error("rule on {0} has no access level")]
    NoLevel(PathBuf),
    /// A rule on a file has a right that means something only on a
    /// directory (the kernel refuses it).
    #[error("rule on the file {path} has directory-only rights: {rights}")]
    DirectoryOnlyOnFile {
        /// The file.
        path: PathBuf,
        /// The directory-only rights it has.
        rights: FsRights,
    },
    /// A rule grants a right the ruleset does not handle (the kernel
    /// refuses it).
    #[error("rule on {path} grants rights that are not handled: {rights}")]
    Unhandled {
        /// The rule's path.
        path: PathBuf,
        /// The rights granted but not handled.
        rights: FsRights,
    },
    /// A rule grants MakeChar, MakeBlock or ResolveUnix, which no level
    /// grants (ResolveUnix comes only from `unix_rules`).
    #[error("rule on {path} grants {right}, which no access level grants")]
    DeviceCreation {
        /// The rule's path.
        path: PathBuf,
        /// MakeChar or MakeBlock.
        right: FsRight,
    },
    /// A carved directory grants more than listing.
    #[error("the carved directory {path} grants {rights}, more than read_dir")]
    CarvedTooWide {
        /// The carved directory.
        path: PathBuf,
        /// What it grants.
        rights: FsRights,
    },
    /// A Unix socket rule where ResolveUnix is not handled (the kernel
    /// refuses it).
    #[error("unix socket rule on {0} but resolve_unix is not handled")]
    UnixUnhandled(PathBuf),
    /// Port rules out of order, or two on one port.
    #[error(
        "port rule {second} follows port rule {first}: port rules must be sorted, one per port"
    )]
    PortsUnsorted {
        /// The earlier port.
        first: u16,
        /// The later port.
        second: u16,
    },
    /// A port rule grants nothing, or a network right that is not handled.
    #[error("port rule {port} grants {rights}, but the handled network rights are {handled}")]
    PortUnhandled {
        /// The port.
        port: u16,
        /// What it grants.
        rights: NetRights,
        /// What is handled.
        handled: NetRights,
    },
}

/// Checks every invariant of a lowered `ruleset`; the first broken one is
/// the error.
///
/// ```
/// use nono_compile::passes::{Broken, verify};
/// use nono_model::{Abi, Ruleset};
///
/// assert_eq!(verify(&Ruleset::empty(Abi::V3)), Ok(()));
/// let too_new = Abi(Abi::LATEST.0 + 1);
/// assert_eq!(verify(&Ruleset::empty(too_new)), Err(Broken::AbiTooNew(too_new.0)));
/// ```
pub fn verify(ruleset: &Ruleset) -> Result<(), Broken> {
    if ruleset.abi > Abi::LATEST {
        return Err(Broken::AbiTooNew(ruleset.abi.0));
    }
    for pair in ruleset.rules.windows(2) {
        if path_order(&pair[0].path, &pair[1].path) != Ordering::Less {
            return Err(Broken::Unsorted {
                first: pair[0].path.clone(),
                second: pair[1].path.clone(),
            });
        }
    }
    for rule in &ruleset.rules {
        let path = || rule.path.clone();
        if rule.rights.is_empty() {
            return Err(Broken::Empty(path()));
        }
        if rule.levels.is_empty() {
            return Err(Broken::NoLevel(path()));
        }
        let dir_only = rule.rights.intersection(FsRights::DIRECTORY_ONLY);
        if rule.kind == FileKind::File && !dir_only.is_empty() {
            return Err(Broken::DirectoryOnlyOnFile {
                path: path(),
                rights: dir_only,
            });
        }
        let unhandled = rule.rights.without(ruleset.handled_fs);
        if !unhandled.is_empty() {
            return Err(Broken::Unhandled {
                path: path(),
                rights: unhandled,
            });
        }
        if let Some(right) = [FsRight::MakeChar, FsRight::MakeBlock, FsRight::ResolveUnix]
            .into_iter()
            .find(|r| rule.rights.contains(*r))
        {
            return Err(Broken::DeviceCreation {
                path: path(),
                right,
            });
        }
        if rule.carved && !FsRights::from(FsRight::ReadDir).contains_all(rule.rights) {
            return Err(Broken::CarvedTooWide {
                path: path(),
                rights: rule.rights,
            });
        }
    }
    if !ruleset.unix_rules.is_empty() && !ruleset.handled_fs.contains(FsRight::ResolveUnix) {
        return Err(Broken::UnixUnhandled(ruleset.unix_rules[0].path.clone()));
    }
    for pair in ruleset.port_rules.windows(2) {
        if pair[0].port >= pair[1].port {
            return Err(Broken::PortsUnsorted {
                first: pair[0].port,
                second: pair[1].port,
            });
        }
    }
    for port in &ruleset.port_rules {
        if port.rights.is_empty() || !ruleset.handled_net.contains(port.rights) {
            return Err(Broken::PortUnhandled {
                port: port.port,
                rights: port.rights,
                handled: ruleset.handled_net,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nono_model::{Access, GrantSource, PathRule, PortRule};

    fn rule(path: &str, kind: FileKind, rights: &[FsRight]) -> PathRule {
        PathRule {
            path: path.into(),
            kind,
            dev: 1,
            ino: 2,
            levels: Access::Allow.into(),
            rights: FsRights::of(rights),
            sources: vec![GrantSource::Flag("--allow".into())],
            carved: false,
            listed: false,
        }
    }

    /// A ruleset that keeps every invariant: the twin of each broken one.
    fn good() -> Ruleset {
        let mut rs = Ruleset::empty(Abi::V4);
        rs.handled_fs = FsRights::of(&FsRight::ALL);
        rs.rules = vec![
            rule("/a", FileKind::Dir, &[FsRight::ReadDir, FsRight::MakeReg]),
            rule("/a/f", FileKind::File, &[FsRight::ReadFile]),
            rule("/a-b", FileKind::Dir, &[FsRight::ReadDir]),
        ];
        rs.handled_net = NetRights::BIND_TCP | NetRights::CONNECT_TCP;
        rs.port_rules = vec![
            PortRule {
                port: 80,
                rights: NetRights::CONNECT_TCP,
            },
            PortRule {
                port: 443,
                rights: NetRights::CONNECT_TCP | NetRights::BIND_TCP,
            },
        ];
        rs
    }

    #[test]
    fn a_ruleset_that_keeps_every_invariant_passes() {
        assert_eq!(verify(&good()), Ok(()));
        let mut carved = good();
        carved.rules[0].carved = true;
        carved.rules[0].rights = FsRight::ReadDir.into();
        assert_eq!(verify(&carved), Ok(()));
    }

    #[test]
    fn each_broken_invariant_is_named() {
        let broken = |change: &dyn Fn(&mut Ruleset)| {
            let mut rs = good();
            change(&mut rs);
            verify(&rs).expect_err("broken")
        };
        assert!(matches!(
            broken(&|rs| rs.abi = Abi(Abi::LATEST.0 + 1)),
            Broken::AbiTooNew(_)
        ));
        assert!(matches!(
            broken(&|rs| rs.rules.swap(1, 2)),
            Broken::Unsorted { .. }
        ));
        assert!(matches!(
            broken(&|rs| rs.rules[1].path = "/a".into()),
            Broken::Unsorted { .. }
        ));
        assert!(matches!(
            broken(&|rs| rs.rules[0].rights = FsRights::EMPTY),
            Broken::Empty(_)
        ));
        assert!(matches!(
            broken(&|rs| rs.rules[0].levels = nono_model::AccessLevels::EMPTY),
            Broken::NoLevel(_)
        ));
        assert!(matches!(
            broken(&|rs| rs.rules[1].rights |= FsRight::ReadDir.into()),
            Broken::DirectoryOnlyOnFile { .. }
        ));
        assert!(matches!(
            broken(&|rs| rs.handled_fs = FsRight::ReadFile.into()),
            Broken::Unhandled { .. }
        ));
        assert!(matches!(
            broken(&|rs| rs.rules[0].rights |= FsRight::MakeBlock.into()),
            Broken::DeviceCreation {
                right: FsRight::MakeBlock,
                ..
            }
        ));
        assert!(matches!(
            broken(&|rs| rs.rules[1].rights |= FsRight::ResolveUnix.into()),
            Broken::DeviceCreation {
                right: FsRight::ResolveUnix,
                ..
            }
        ));
        assert!(matches!(
            broken(&|rs| {
                rs.handled_fs = rs.handled_fs.without(FsRight::ResolveUnix.into());
                rs.unix_rules.push(nono_model::UnixRule {
                    path: "/run/x.sock".into(),
                    kind: FileKind::File,
                    dev: 1,
                    ino: 3,
                });
            }),
            Broken::UnixUnhandled(_)
        ));
        assert!(matches!(
            broken(&|rs| rs.rules[0].carved = true),
            Broken::CarvedTooWide { .. }
        ));
        assert!(matches!(
            broken(&|rs| rs.port_rules.reverse()),
            Broken::PortsUnsorted { .. }
        ));
        assert!(matches!(
            broken(&|rs| rs.handled_net = NetRights::CONNECT_TCP),
            Broken::PortUnhandled { port: 443, .. }
        ));
        assert!(matches!(
            broken(&|rs| rs.port_rules[0].rights = NetRights::EMPTY),
            Broken::PortUnhandled { port: 80, .. }
        ));
    }
}
