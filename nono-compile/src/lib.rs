//! The nono compiler: from a [`Policy`] to a concrete [`Ruleset`].
//!
//! [`compile`] runs four stages, each pure given an [`FsProbe`]:
//!
//! 1. **resolve**: expand `~`, `$VAR`, `${VAR:-default}`; make paths absolute
//!    against the working directory; canonicalise symlinks; record each
//!    path's kind and `(dev, ino)`. A missing path is an error unless the
//!    grant is optional. A grant the user did not type (a preset's) that
//!    goes through a symlink an earlier sandbox may have planted is refused
//!    ([`redirect`]).
//! 2. **normalise**: union grants on the same path, sort, and drop a rule
//!    whose levels its ancestors already cover; then **carve** denied paths
//!    out of the directory rules that cover them (a missing denied path out
//!    of the rules that could create it, see [`carve`]).
//! 3. **lower**: one pass per feature ([`passes`]), each a no-op (or a gap)
//!    where the machine lacks what it requires, building the handled set and
//!    the per-rule rights; in debug builds the result is then checked
//!    against the ruleset's invariants ([`passes::verify`]).
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
//! let out = compile(&policy, &Target::kernel(Abi::V3), &env, &fs).unwrap();
//! assert!(nono_compile::allowed(&out.ruleset, Path::new("/work/src"), FsRight::ReadDir));
//! assert!(!nono_compile::allowed(&out.ruleset, Path::new("/work/src"), FsRight::MakeReg));
//! ```
//!
//! # Features
//!
//! - `proptest`: the `testing` module, a property-testing kit (random
//!   trees and policies, a reference model, the lowering invariants) for the
//!   compiler's tests and for preset and plugin authors.
//! - `fuzzing`: `proptest`, plus the lowering fuzz target's input format.

mod carve;
mod env;
mod eval;
mod expand;
mod mem_fs;
mod memo;
mod normalize;
pub mod passes;
mod probe;
pub mod protect;
pub mod redirect;
mod resolve;
mod target;
#[cfg(feature = "proptest")]
pub mod testing;

pub use carve::{Carve, CarveError, DeniedPath, carve};
pub use env::{EnvOutcome, NO_PROXY_VARS, PROXY_VARS, point_at_proxy, scrub_env};
pub use eval::{allowed, granting_rules};
pub use expand::{ExpandError, expand};
pub use mem_fs::MemFs;
pub use memo::Memo;
pub use normalize::{CoveredRule, NormRule, normalize};
pub use passes::with_proxy_port;
pub use probe::{FileMeta, FsProbe, RealFs};
pub use resolve::{
    Resolution, ResolveEnv, ResolveError, ResolvedGrant, refused_redirects, resolve,
    resolve_denies, resolve_exposes, resolve_following_links,
};
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
    /// The denied (sensitive) paths that exist, after `--expose`.
    pub denied: Vec<DeniedPath>,
    /// The denied paths that do not exist, after `--expose`, each with its
    /// nearest existing directory (where nothing new may be created when a
    /// grant with creation rights covers it).
    pub missing: Vec<DeniedPath>,
    /// Where denied paths were carved out of grants.
    pub carves: Vec<Carve>,
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
        /// What went wrong.
        #[source]
        reason: ResolveError,
    },
    /// A grant names a sensitive path, or a path inside one, without
    /// `--expose`.
    #[error(
        "{source_of}: {path}: inside the sensitive path {denied} ({deny_source}); pass --expose {denied} to grant it on purpose"
    )]
    Sensitive {
        /// The grant's source.
        source_of: String,
        /// The grant's path as written.
        path: String,
        /// The denied path it falls in.
        denied: String,
        /// Where the denial came from.
        deny_source: String,
    },
    /// A grant the user did not type (a preset's, a built-in one) goes
    /// through a symlink that an earlier sandbox may have planted (see
    /// [`redirect`]).
    #[error("{source_of}: {path}: {redirection}")]
    Redirected {
        /// The grant's source.
        source_of: String,
        /// The grant's path as written.
        path: String,
        /// The link, and what to do.
        redirection: Box<redirect::Redirection>,
    },
    /// A granted directory could not be read to carve a denied path out.
    #[error(transparent)]
    Carve(#[from] CarveError),
}

/// Refuses grants on or inside a denied path, unless they are inside an
/// exposed path.
fn check_sensitive(
    resolved: &[ResolvedGrant],
    denied: &[DeniedPath],
    exposes: &[std::path::PathBuf],
) -> Result<(), CompileError> {
    for grant in resolved {
        let Resolution::Resolved { path, .. } = &grant.resolution else {
            continue;
        };
        if exposes.iter().any(|e| path.starts_with(e)) {
            continue;
        }
        if let Some(d) = denied.iter().find(|d| path.starts_with(&d.path)) {
            return Err(CompileError::Sensitive {
                source_of: resolve::source_label(&grant.source),
                path: grant.requested.clone(),
                denied: d.requested.clone(),
                deny_source: d.source.to_string(),
            });
        }
    }
    Ok(())
}

/// A stable 64-bit FNV-1a hash, for directory names that must be the same
/// from one run to the next.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Where the private layers of runs in `env`'s working directory live:
/// `${XDG_CACHE_HOME:-~/.cache}/nono/layers/PROJECT`, PROJECT a hash of
/// the working directory. `None` without a home or cache directory.
pub fn layers_dir(env: &ResolveEnv) -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let cache = std::path::PathBuf::from(expand(nono_model::NONO_CACHE_PATHS[0], env).ok()?);
    let project = fnv1a(env.cwd.as_os_str().as_bytes());
    Some(cache.join("layers").join(format!("{project:016x}")))
}

/// The private layers the policy's `layer: Private` grants ask for, one
/// per resolved directory, each with its upper and work directories under
/// [`layers_dir`]: `HASH-NAME/upper` and `HASH-NAME/work`, HASH a hash of
/// the directory's canonical path and NAME its last component.
fn layers(
    policy: &Policy,
    resolved: &[ResolvedGrant],
    env: &ResolveEnv,
) -> Vec<nono_model::PrivateLayer> {
    use std::os::unix::ffi::OsStrExt;
    let Some(base) = layers_dir(env) else {
        return Vec::new();
    };
    // A directory the user grants with a flag is written in place: the
    // flag says so on purpose.
    let flagged: Vec<&std::path::Path> = resolved
        .iter()
        .filter(|r| matches!(r.source, nono_model::GrantSource::Flag(_)))
        .filter_map(|r| match &r.resolution {
            Resolution::Resolved { path, .. } => Some(path.as_path()),
            Resolution::Skipped { .. } => None,
        })
        .collect();
    let mut out: Vec<nono_model::PrivateLayer> = policy
        .grants
        .iter()
        .zip(resolved)
        .filter(|(pg, _)| pg.grant.layer == nono_model::Layer::Private)
        .filter_map(|(_, r)| match &r.resolution {
            Resolution::Resolved {
                path,
                kind: nono_model::FileKind::Dir,
                dev,
                ino,
                ..
            } if !flagged.contains(&path.as_path()) => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dir = base.join(format!(
                    "{:016x}-{name}",
                    fnv1a(path.as_os_str().as_bytes())
                ));
                Some(nono_model::PrivateLayer {
                    path: path.clone(),
                    dev: *dev,
                    ino: *ino,
                    upper: dir.join("upper"),
                    work: dir.join("work"),
                })
            }
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.path == b.path);
    out
}

/// Compiles `policy` for `target`, reaching the filesystem only through `fs`.
///
/// Each stage logs what it did at debug level (`nono run -vv`), inside a
/// `compile` span.
pub fn compile(
    policy: &Policy,
    target: &Target,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Compiled, CompileError> {
    let host = target.host();
    let _span = tracing::debug_span!("compile", abi = %host.abi).entered();
    // Every path is looked up once for the whole compilation.
    let memo = memo::Memo::new(fs);
    let fs: &dyn FsProbe = &memo;
    let resolved = resolve(policy, env, fs)?;
    let exposes = resolve_exposes(policy, env, fs)?;
    // An exposed path is not carved, nor is anything inside it, whether it
    // exists or not.
    let all_denied: Vec<DeniedPath> = resolve_denies(policy, env, fs)
        .into_iter()
        .filter(|d| !exposes.iter().any(|e| d.path.starts_with(e)))
        .collect();
    let (missing, denied): (Vec<DeniedPath>, Vec<DeniedPath>) = all_denied
        .iter()
        .cloned()
        .partition(|d| d.nearest_existing.is_some());
    tracing::debug!(
        "resolve: {} grants ({} skipped), {} exposed, {} denied paths ({} missing)",
        resolved.len(),
        resolved
            .iter()
            .filter(|g| matches!(g.resolution, Resolution::Skipped { .. }))
            .count(),
        exposes.len(),
        all_denied.len(),
        missing.len()
    );
    check_sensitive(&resolved, &denied, &exposes)?;
    let (rules, mut covered) = normalize(&resolved);
    tracing::debug!(
        "normalise: {} rules, {} covered by an ancestor's",
        rules.len(),
        covered.len()
    );
    // A sensitive path that does not exist is carved so that nothing can
    // be made there; below a private layer, what the command makes never
    // reaches the host, so only the existing ones are carved there.
    let layers = layers(policy, &resolved, env);
    let to_carve: Vec<DeniedPath> = all_denied
        .iter()
        .filter(|d| {
            d.nearest_existing.is_none() || !layers.iter().any(|l| d.path.starts_with(&l.path))
        })
        .cloned()
        .collect();
    let (rules, carves) = carve(rules, &to_carve, fs)?;
    let rules = if carves.is_empty() {
        rules
    } else {
        let (merged, more_covered) = normalize::merge(rules);
        covered.extend(more_covered);
        merged
    };
    tracing::debug!("carve: {} carves, {} rules", carves.len(), rules.len());
    for c in &carves {
        tracing::trace!("carved {c}");
    }
    let mut intent = passes::Intent::from(policy);
    intent.unix = resolve::resolve_unix(policy, env, fs)?;
    resolve::refuse_redirected_unix(policy, env, fs, &resolved)?;
    // Each writable directory, and whether the user named it on the
    // command line (see `protect::candidates`).
    let write_roots: Vec<(std::path::PathBuf, bool)> = rules
        .iter()
        .filter(|r| {
            r.kind == nono_model::FileKind::Dir && r.levels.contains(nono_model::Access::Write)
        })
        .map(|r| {
            let named = !r.listed
                && r.sources
                    .iter()
                    .any(|s| matches!(s, nono_model::GrantSource::Flag(_)));
            (r.path.clone(), named)
        })
        .collect();
    let unprotect: Vec<std::path::PathBuf> = policy
        .unprotect
        .iter()
        .filter_map(|u| expand(u, env).ok())
        .filter_map(|u| fs.canonicalize(&env.cwd.join(u)).ok())
        .collect();
    intent.protect = protect::candidates(policy, env, &write_roots, &unprotect, fs);
    intent.layers = layers;
    let mut lowered = passes::lower(host, &rules, &intent);
    lowered.ruleset.unix_sockets = intent.unix.into_iter().map(|u| u.path).collect();
    let predicted = target.predict(&lowered.gaps);
    tracing::debug!(
        "predict: {predicted} at ABI {}, {} gaps",
        host.abi,
        lowered.gaps.len()
    );
    Ok(Compiled {
        resolved,
        covered,
        denied,
        missing,
        carves,
        ruleset: lowered.ruleset,
        gaps: lowered.gaps,
        notes: lowered.notes,
        predicted,
    })
}
