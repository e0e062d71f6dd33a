//! The nono compiler: from a [`Policy`] to a concrete [`Ruleset`].
//!
//! [`compile`] runs four stages, each pure given an [`FsProbe`]:
//!
//! 1. **resolve**: expand `~`, `$VAR`, `${VAR:-default}`; make paths absolute
//!    against the working directory; canonicalise symlinks; record each
//!    path's kind and `(dev, ino)`. A missing path is an error unless the
//!    grant is optional.
//! 2. **normalise**: union grants on the same path, sort, and drop a rule
//!    whose levels its ancestors already cover.
//! 3. **lower**: one pass per Landlock feature ([`passes`]), each a no-op
//!    below its ABI, building the handled set and the per-rule rights.
//! 4. **predict** the enforcement status, with the gaps that explain it.
//!
//! ```
//! use nono_compile::{compile, MemFs, ResolveEnv, Target};
//! use nono_model::{Abi, Access, FsGrant, FsRight, GrantSource, Policy};
//! use std::path::Path;
//!
//! let mut fs = MemFs::new();
//! fs.dir("/work/src");
//! let mut policy = Policy::default();
//! policy.add(FsGrant::new("/work", Access::Read), GrantSource::Flag("--read".into()));
//! let env = ResolveEnv::new("/work");
//! let out = compile(&policy, &Target::kernel(Abi(3)), &env, &fs).unwrap();
//! assert!(nono_compile::allowed(&out.ruleset, Path::new("/work/src"), FsRight::ReadDir));
//! assert!(!nono_compile::allowed(&out.ruleset, Path::new("/work/src"), FsRight::MakeReg));
//! ```

mod eval;
mod expand;
mod mem_fs;
mod normalize;
pub mod passes;
mod probe;
mod resolve;
mod target;

pub use eval::{allowed, granting_rules};
pub use expand::{ExpandError, expand};
pub use mem_fs::MemFs;
pub use normalize::{CoveredRule, NormRule, normalize};
pub use probe::{FileMeta, FsProbe, RealFs};
pub use resolve::{Resolution, ResolveEnv, ResolvedGrant, resolve};
pub use target::Target;

use nono_model::{EnforcementStatus, Gap, Policy, Ruleset};
use serde::Serialize;

/// Everything the compiler learned about a policy: the ruleset to apply and
/// what to tell the user about it.
#[derive(Clone, Debug, Serialize)]
pub struct Compiled {
    /// Each grant of the policy with how it resolved (or why it was skipped).
    pub resolved: Vec<ResolvedGrant>,
    /// Rules dropped because an ancestor's rule already covers them.
    pub covered: Vec<CoveredRule>,
    /// The concrete ruleset.
    pub ruleset: Ruleset,
    /// Restrictions the effective ABI cannot enforce.
    pub gaps: Vec<Gap>,
    /// Other consequences of the effective ABI worth knowing.
    pub notes: Vec<String>,
    /// The status the kernel is expected to report.
    pub predicted: EnforcementStatus,
}

/// Why a policy cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A grant's path could not be resolved.
    #[error("{source_of}: {path}: {reason}")]
    Resolve {
        /// The grant's source (`flag --read`, `preset rust`).
        source_of: String,
        /// The path as written.
        path: String,
        /// What went wrong, with a hint.
        reason: String,
    },
}

/// Compiles `policy` for `target`, reaching the filesystem only through `fs`.
pub fn compile(
    policy: &Policy,
    target: &Target,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Compiled, CompileError> {
    let resolved = resolve(policy, env, fs)?;
    let (rules, covered) = normalize(&resolved);
    let abi = target.lowering_abi();
    let lowered = passes::lower(abi, &rules, &passes::Intent::from(policy));
    let predicted = target.predict(&lowered.gaps);
    Ok(Compiled {
        resolved,
        covered,
        ruleset: lowered.ruleset,
        gaps: lowered.gaps,
        notes: lowered.notes,
        predicted,
    })
}
