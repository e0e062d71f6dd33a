//! The effective Landlock ABI, and what a kernel below a feature's ABI
//! lacks: the kernel matrix (tests/kernel-matrix) runs the kernel-facing
//! tests on kernels from ABI 2 up, and a test whose expectation depends on
//! the ABI asks these.

use super::{NONO, Outcome};
use std::process::Command;

/// The effective Landlock ABI, as `nono check --json` reports it: the
/// kernel's ABI, capped at the highest one nono knows. What the kernel
/// enforces for a test depends on it, and the kernel matrix
/// (tests/kernel-matrix) runs the same tests on kernels from ABI 2 up: a
/// test whose expectation depends on the ABI asks this, and expects the
/// denial the kernel gives at that ABI or, below it, the gap nono reports
/// and the access that really goes through. Asked once per test binary.
pub fn effective_abi() -> u8 {
    static ABI: std::sync::OnceLock<u8> = std::sync::OnceLock::new();
    *ABI.get_or_init(|| {
        let out = Outcome::of(Command::new(NONO).args(["check", "--json"]));
        out.expect_ok();
        let abi = out.json()["effective_abi"].as_u64();
        let abi = abi.unwrap_or_else(|| panic!("no effective_abi in nono check: {out:#?}"));
        u8::try_from(abi).expect("a small ABI")
    })
}

/// Whether the effective ABI ([`effective_abi`]) has the Landlock feature
/// of ABI `abi`.
pub fn abi_has(abi: u8) -> bool {
    effective_abi() >= abi
}

/// The features nono names a gap for when the ABI lacks them, with the ABI
/// each needs, in the order nono lists gaps.
pub const GAP_FEATURES: [(&str, u8); 5] = [
    ("truncate", 3),
    ("net_tcp", 4),
    ("ioctl_dev", 5),
    ("scope", 6),
    ("net_udp", 10),
];

/// The feature of [`GAP_FEATURES`] that ABI `abi` brings.
pub fn gap_feature(abi: u8) -> &'static str {
    GAP_FEATURES
        .iter()
        .find(|(_, needs)| *needs == abi)
        .map(|(name, _)| *name)
        .unwrap_or_else(|| panic!("no gap feature comes with ABI {abi}"))
}

/// Of `features` (names of [`GAP_FEATURES`], those a policy asks for), the
/// gaps nono names under `--abi asked` on this kernel: the ones that need
/// more than `min(asked, effective ABI)`, in nono's order.
pub fn gaps_at(asked: u8, features: &[&str]) -> Vec<&'static str> {
    let abi = asked.min(effective_abi());
    GAP_FEATURES
        .iter()
        .filter(|(name, needs)| features.contains(name) && *needs > abi)
        .map(|(name, _)| *name)
        .collect()
}
