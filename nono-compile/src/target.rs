//! What the ruleset is compiled for: the kernel's ABI and the user's limit.

use crate::passes::Host;
use nono_model::{Abi, EnforcementStatus, Gap};

/// The kernel a policy is compiled for.
///
/// The effective ABI is the smallest of the kernel's ABI, the user's
/// `--abi` limit and the newest ABI nono knows ([`Abi::LATEST`]).
///
/// ```
/// use nono_compile::Target;
/// use nono_model::Abi;
///
/// let t = Target { kernel_abi: Some(Abi::LATEST), abi_limit: Some(Abi::V3), user_namespaces: false };
/// assert_eq!(t.effective_abi(), Some(Abi::V3));
/// assert_eq!(Target { kernel_abi: None, abi_limit: None, user_namespaces: true }.effective_abi(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The kernel's Landlock ABI, or `None` when Landlock is unavailable.
    pub kernel_abi: Option<Abi>,
    /// The user's `--abi N`, if given.
    pub abi_limit: Option<Abi>,
    /// Whether the mount layer can be had: a private mount namespace,
    /// directly (root) or in a new user namespace.
    pub user_namespaces: bool,
}

impl Target {
    /// A kernel with `abi` and no user limit.
    pub fn kernel(abi: Abi) -> Target {
        Target {
            kernel_abi: Some(abi),
            abi_limit: None,
            user_namespaces: false,
        }
    }

    /// The ABI the ruleset will be applied with, or `None` without Landlock.
    pub fn effective_abi(&self) -> Option<Abi> {
        let kernel = self.kernel_abi?;
        Some(
            [Some(kernel), self.abi_limit, Some(Abi::LATEST)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(kernel),
        )
    }

    /// The ABI to lower for: the effective one, or, without Landlock, the one
    /// the user asked for (so a dry-run still shows what would be applied).
    pub fn lowering_abi(&self) -> Abi {
        self.effective_abi()
            .unwrap_or_else(|| self.abi_limit.unwrap_or(Abi::LATEST).min(Abi::LATEST))
    }

    /// What the passes may use: the lowering ABI, and the other layers as
    /// `nono run` has them (see [`Host::landlock`]).
    pub fn host(&self) -> Host {
        Host {
            user_namespaces: self.user_namespaces,
            ..Host::landlock(self.lowering_abi())
        }
    }

    /// The status the kernel should report, given the lowering's gaps.
    pub fn predict(&self, gaps: &[Gap]) -> EnforcementStatus {
        match (self.effective_abi(), gaps.is_empty()) {
            (None, _) => EnforcementStatus::NotEnforced,
            (Some(_), true) => EnforcementStatus::FullyEnforced,
            (Some(_), false) => EnforcementStatus::PartiallyEnforced,
        }
    }
}
