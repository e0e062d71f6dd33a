//! nono's rights in the `landlock` crate's words.
//!
//! One exhaustive `match` per kind of right, not a cast of the bit mask: a
//! right added to the model does not compile here until it is given its
//! `landlock` name, and a bit the crate does not know cannot slip through.

use landlock::{AccessFs, AccessNet, BitFlags, Scope};
use nono_model::{FsRight, FsRights, NetRight, NetRights, ScopeFlag, ScopeSet};

/// The `landlock` crate's name for a filesystem right.
pub fn access_fs(right: FsRight) -> AccessFs {
    match right {
        FsRight::Execute => AccessFs::Execute,
        FsRight::WriteFile => AccessFs::WriteFile,
        FsRight::ReadFile => AccessFs::ReadFile,
        FsRight::ReadDir => AccessFs::ReadDir,
        FsRight::RemoveDir => AccessFs::RemoveDir,
        FsRight::RemoveFile => AccessFs::RemoveFile,
        FsRight::MakeChar => AccessFs::MakeChar,
        FsRight::MakeDir => AccessFs::MakeDir,
        FsRight::MakeReg => AccessFs::MakeReg,
        FsRight::MakeSock => AccessFs::MakeSock,
        FsRight::MakeFifo => AccessFs::MakeFifo,
        FsRight::MakeBlock => AccessFs::MakeBlock,
        FsRight::MakeSym => AccessFs::MakeSym,
        FsRight::Refer => AccessFs::Refer,
        FsRight::Truncate => AccessFs::Truncate,
        FsRight::IoctlDev => AccessFs::IoctlDev,
        FsRight::ResolveUnix => AccessFs::ResolveUnix,
    }
}

/// The `landlock` crate's name for a network right.
pub fn access_net(right: NetRight) -> AccessNet {
    match right {
        NetRight::BindTcp => AccessNet::BindTcp,
        NetRight::ConnectTcp => AccessNet::ConnectTcp,
        NetRight::BindUdp => AccessNet::BindUdp,
        NetRight::ConnectSendUdp => AccessNet::ConnectSendUdp,
    }
}

/// The `landlock` crate's name for an IPC scope.
pub fn scope(flag: ScopeFlag) -> Scope {
    match flag {
        ScopeFlag::AbstractUnixSocket => Scope::AbstractUnixSocket,
        ScopeFlag::Signal => Scope::Signal,
    }
}

/// A set of filesystem rights as the `landlock` crate's flags.
pub fn fs_flags(rights: FsRights) -> BitFlags<AccessFs> {
    rights.iter().map(access_fs).collect()
}

/// A set of network rights as the `landlock` crate's flags.
pub fn net_flags(rights: NetRights) -> BitFlags<AccessNet> {
    rights.iter().map(access_net).collect()
}

/// A set of scopes as the `landlock` crate's flags.
pub fn scope_flags(scopes: ScopeSet) -> BitFlags<Scope> {
    scopes.iter().map(scope).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use landlock::{ABI, Access};
    use nono_model::Abi;

    /// The `landlock` crate's ABI for nono's newest one.
    fn latest() -> ABI {
        ABI::from(i32::from(Abi::LATEST.0))
    }

    #[test]
    fn every_fs_right_round_trips_through_the_landlock_crate() {
        for right in FsRight::ALL {
            let flags = fs_flags(right.into());
            assert_eq!(flags.len(), 1, "{right}");
            // The same kernel bit, and back to the same right.
            assert_eq!(flags.bits(), right as u64, "{right}");
            assert_eq!(
                FsRights::from_bits(flags.bits()),
                Some(FsRights::from(right)),
                "{right}"
            );
        }
        let all = FsRights::of(&FsRight::ALL);
        assert_eq!(FsRights::from_bits(fs_flags(all).bits()), Some(all));
        assert!(fs_flags(FsRights::EMPTY).is_empty());
    }

    #[test]
    fn the_model_has_exactly_the_fs_rights_of_the_latest_abi() {
        let all = FsRights::of(&FsRight::ALL);
        assert_eq!(fs_flags(all), AccessFs::from_all(latest()));
        // What may be granted on a file: the model's directory-only rights
        // are exactly the ones the crate does not allow on one.
        assert_eq!(
            fs_flags(all.without(FsRights::DIRECTORY_ONLY)),
            AccessFs::from_file(latest())
        );
    }

    #[test]
    fn resolve_unix_is_the_crates_write_right_that_nono_leaves_out_of_write() {
        // The crate counts ResolveUnix as a write right from ABI 9; nono's
        // Write level does not grant it (only `--allow-unix` does).
        assert!(AccessFs::from_write(ABI::V9).contains(AccessFs::ResolveUnix));
        assert!(!AccessFs::from_write(ABI::V8).contains(AccessFs::ResolveUnix));
        assert_eq!(access_fs(FsRight::ResolveUnix), AccessFs::ResolveUnix);
        // It may be granted on a file (a socket).
        assert!(AccessFs::from_file(ABI::V9).contains(AccessFs::ResolveUnix));
        assert!(!FsRight::ResolveUnix.directory_only());
    }

    #[test]
    fn the_udp_rights_are_the_crates_abi_10_rights() {
        let udp = net_flags(NetRights::BIND_UDP | NetRights::CONNECT_SEND_UDP);
        assert_eq!(
            udp,
            AccessNet::from_all(ABI::V10) & !AccessNet::from_all(ABI::V9)
        );
    }

    #[test]
    fn every_net_right_and_scope_round_trips_through_the_landlock_crate() {
        for right in NetRight::ALL {
            assert_eq!(net_flags(right.into()).bits(), right as u64, "{right}");
        }
        let all_net = NetRight::ALL
            .into_iter()
            .fold(NetRights::EMPTY, |acc, r| acc | r.into());
        assert_eq!(net_flags(all_net), AccessNet::from_all(latest()));
        for flag in ScopeFlag::ALL {
            assert_eq!(scope_flags(flag.into()).bits(), flag as u64, "{flag}");
        }
        let all_scopes = ScopeFlag::ALL
            .into_iter()
            .fold(ScopeSet::EMPTY, |acc, s| acc | s.into());
        assert_eq!(scope_flags(all_scopes), Scope::from_all(latest()));
    }
}
