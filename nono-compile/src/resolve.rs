//! Resolution: from grants as written to canonical paths with identities.

use crate::{CompileError, DeniedPath, FileMeta, FsProbe, expand};
use nono_model::{Access, FileKind, GrantSource, Policy};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The environment paths are expanded and made absolute in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveEnv {
    /// The home directory for `~`.
    pub home: Option<PathBuf>,
    /// The directory relative paths are taken from.
    pub cwd: PathBuf,
    /// Environment variables for `$VAR`.
    pub vars: BTreeMap<String, String>,
}

impl ResolveEnv {
    /// An environment with working directory `cwd`, no home and no variables.
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        ResolveEnv {
            home: None,
            cwd: cwd.into(),
            vars: BTreeMap::new(),
        }
    }
}

/// How one grant resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Resolution {
    /// The grant names this existing path.
    Resolved {
        /// The expanded, absolute path before symlinks were resolved.
        expanded: PathBuf,
        /// The canonical path.
        path: PathBuf,
        /// Directory or file.
        kind: FileKind,
        /// Device number.
        dev: u64,
        /// Inode number.
        ino: u64,
    },
    /// An optional grant that could not be resolved, so is not applied.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One grant of the policy and its resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedGrant {
    /// The path as written.
    pub requested: String,
    /// The access level.
    pub access: Access,
    /// Whether a failure to resolve is allowed.
    pub optional: bool,
    /// Where the grant came from.
    pub source: GrantSource,
    /// The outcome.
    #[serde(flatten)]
    pub resolution: Resolution,
}

fn describe_io(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = err.to_string();
            // Drop std's " (os error N)" tail: the words say it.
            text.split(" (os error").next().unwrap_or(&text).to_owned()
        }
    }
}

fn resolve_one(
    text: &str,
    env: &crate::ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<(PathBuf, PathBuf, FileMeta), String> {
    let expanded = expand(text, env).map_err(|e| e.to_string())?;
    if expanded.is_empty() {
        // `${VAR:-}` with VAR unset: an empty path must not mean "here".
        return Err("expands to an empty path".to_owned());
    }
    let expanded = Path::new(&expanded);
    let absolute = if expanded.is_absolute() {
        expanded.to_path_buf()
    } else {
        env.cwd.join(expanded)
    };
    let canonical = fs.canonicalize(&absolute).map_err(|e| describe_io(&e))?;
    let meta = fs.stat(&canonical).map_err(|e| describe_io(&e))?;
    Ok((absolute, canonical, meta))
}

/// Resolves every grant of `policy`.
///
/// A required grant that cannot be resolved is an error naming its source and
/// path; an optional one is kept as [`Resolution::Skipped`].
pub fn resolve(
    policy: &Policy,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Vec<ResolvedGrant>, CompileError> {
    policy
        .grants
        .iter()
        .map(|pg| {
            let grant = &pg.grant;
            let resolution = match resolve_one(&grant.path, env, fs) {
                Ok((expanded, path, meta)) => Resolution::Resolved {
                    expanded,
                    path,
                    kind: meta.kind,
                    dev: meta.dev,
                    ino: meta.ino,
                },
                Err(reason) if grant.optional => Resolution::Skipped { reason },
                Err(reason) => {
                    return Err(CompileError::Resolve {
                        source_of: source_label(&pg.source),
                        path: grant.path.clone(),
                        reason,
                    });
                }
            };
            Ok(ResolvedGrant {
                requested: grant.path.clone(),
                access: grant.access,
                optional: grant.optional,
                source: pg.source.clone(),
                resolution,
            })
        })
        .collect()
}

/// Resolves the policy's denied paths. A denied path that does not exist (or
/// whose variables are unset) has nothing to protect and is left out.
pub fn resolve_denies(policy: &Policy, env: &ResolveEnv, fs: &dyn FsProbe) -> Vec<DeniedPath> {
    let mut out: Vec<DeniedPath> = policy
        .denies
        .iter()
        .filter_map(|d| {
            let (_, path, _) = resolve_one(&d.path, env, fs).ok()?;
            Some(DeniedPath {
                requested: d.path.clone(),
                path,
                source: d.source.clone(),
            })
        })
        .collect();
    // Sorted by path, then by source and text, so that the one kept for a
    // path named twice does not depend on the order of the denials.
    out.sort_by(|a, b| (&a.path, &a.source, &a.requested).cmp(&(&b.path, &b.source, &b.requested)));
    out.dedup_by(|a, b| a.path == b.path);
    out
}

/// Resolves the policy's exposed paths (`--expose`); each must exist.
pub fn resolve_exposes(
    policy: &Policy,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Vec<PathBuf>, CompileError> {
    policy
        .exposes
        .iter()
        .map(|text| {
            resolve_one(text, env, fs)
                .map(|(_, path, _)| path)
                .map_err(|reason| CompileError::Resolve {
                    source_of: "--expose".to_owned(),
                    path: text.clone(),
                    reason,
                })
        })
        .collect()
}

/// How an error names a grant's source: the flag itself (`--read`), or
/// `preset NAME`.
pub(crate) fn source_label(source: &GrantSource) -> String {
    match source {
        GrantSource::Flag(flag) => flag.clone(),
        other => other.to_string(),
    }
}
