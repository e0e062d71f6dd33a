//! Carving: keeping sensitive paths out of reach inside granted trees.
//!
//! Landlock can only allow, never deny beneath an allowed directory. So when
//! a directory rule covers a denied path, the rule is replaced:
//!
//! - every entry of the directory that does not lead to a denied path gets a
//!   rule of its own with the original levels;
//! - an entry that leads to a denied path is carved in turn, recursively;
//! - the denied path itself gets nothing;
//! - each carved directory keeps a rule that only lets it be **listed**: every
//!   other right on a directory would reach into the denied path below it.
//!   Listing reveals names (`ls ~/.ssh` shows `id_ed25519`), never contents.
//!
//! Symbolic links among the entries get no rule (the link itself needs none,
//! and its target was never covered by the grant). Entries created in a
//! carved directory after the sandbox starts are not covered, so they cannot
//! be opened from inside; nor can new entries be created there.
//!
//! # Denied paths that do not exist
//!
//! Landlock cannot deny a name that does not exist yet, and a command that
//! may create `~/.ssh/authorized_keys`, `~/.docker/config.json` or
//! `~/.npmrc` can make tools outside the sandbox run its code. The first
//! missing component of such a path would be created in its **nearest
//! existing directory** `A` (found by walking the path as `realpath(3)`
//! does, through symlinks, dangling ones included; when the walk meets a
//! file with more components to go, `A` is the file's directory, where the
//! file could be replaced by a directory). So a directory rule with creation
//! rights (the Write level) at or above `A` is carved as if the denied path
//! were an entry of `A`: `A` and every directory from the rule down to it
//! keep only listing (so nothing can be created, removed or renamed in
//! them), and every existing entry of `A` keeps the rule's levels, carved
//! further only where another denied path lies below it. A rule without
//! creation rights (Read) cannot create the path, and is left alone.

use crate::{FsProbe, NormRule};
use nono_model::{Access, FileKind, GrantSource};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A denied path resolved to a canonical path, with its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeniedPath {
    /// The path as written.
    pub requested: String,
    /// The canonical path; for a path that does not exist, where it would
    /// be: its nearest existing directory joined with the missing rest.
    #[serde(serialize_with = "nono_model::serialize_path")]
    pub path: PathBuf,
    /// Where the denial came from.
    pub source: GrantSource,
    /// `None` when the path exists. When it does not, its nearest existing
    /// directory (canonical): the first missing component would be created
    /// there, so carving refuses every new entry in it.
    #[serde(serialize_with = "nono_model::serialize_opt_path")]
    pub nearest_existing: Option<PathBuf>,
}

/// One carve: `denied` was cut out of the grant on `under`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Carve {
    /// The granted directory that covered the denied path.
    #[serde(serialize_with = "nono_model::serialize_path")]
    pub under: PathBuf,
    /// The denied path (for a missing one, where it would be).
    #[serde(serialize_with = "nono_model::serialize_path")]
    pub denied: PathBuf,
    /// Where the denial came from.
    pub source: GrantSource,
    /// For a denied path that does not exist: its nearest existing
    /// directory, in which nothing new can be created (see the module
    /// documentation). `None` when the denied path exists.
    #[serde(serialize_with = "nono_model::serialize_opt_path")]
    pub nearest_existing: Option<PathBuf>,
}

impl Carve {
    /// Why a carve for a missing path takes away more than the path itself,
    /// in words: `"/h/.ssh does not exist, so nothing new can be created in
    /// /h"`. `None` for an existing denied path.
    pub fn missing_reason(&self) -> Option<String> {
        let nearest = self.nearest_existing.as_ref()?;
        Some(format!(
            "{} does not exist, so nothing new can be created in {}",
            self.denied.display(),
            nearest.display()
        ))
    }
}

/// `DENIED out of UNDER (SOURCE)`, then `: ` and [`Carve::missing_reason`]
/// for a missing path: the carve as the dry run and `-v` name it.
impl std::fmt::Display for Carve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} out of {} ({})",
            self.denied.display(),
            self.under.display(),
            self.source
        )?;
        match self.missing_reason() {
            Some(why) => write!(f, ": {why}"),
            None => Ok(()),
        }
    }
}

/// Why a carve could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot carve {denied} out of {under}: {path}: {error}")]
pub struct CarveError {
    /// The granted directory.
    pub under: PathBuf,
    /// The denied path.
    pub denied: PathBuf,
    /// The directory or entry that could not be read.
    pub path: PathBuf,
    /// The error.
    pub error: std::io::Error,
}

/// Replaces every directory rule that covers a denied path by the carved
/// rules described in the module documentation. Rules that cover no denied
/// path are returned as they are. The result still needs merging.
///
/// `denied` holds existing denied paths (`nearest_existing` is `None`) and
/// missing ones; a missing one is carved out of every directory rule with
/// the Write level at or above its nearest existing directory.
pub fn carve(
    rules: Vec<NormRule>,
    denied: &[DeniedPath],
    fs: &dyn FsProbe,
) -> Result<(Vec<NormRule>, Vec<Carve>), CarveError> {
    let mut out = Vec::with_capacity(rules.len());
    let mut carves = Vec::new();
    for rule in rules {
        if rule.kind != FileKind::Dir {
            out.push(rule);
            continue;
        }
        let creates = rule.levels.contains(Access::Write);
        let below: Vec<&DeniedPath> = denied
            .iter()
            .filter(|d| match &d.nearest_existing {
                None => d.path != rule.path && d.path.starts_with(&rule.path),
                Some(nearest) => creates && nearest.starts_with(&rule.path),
            })
            .collect();
        if below.is_empty() {
            out.push(rule);
            continue;
        }
        for d in &below {
            carves.push(Carve {
                under: rule.path.clone(),
                denied: d.path.clone(),
                source: d.source.clone(),
                nearest_existing: d.nearest_existing.clone(),
            });
        }
        let existing: Vec<&Path> = below
            .iter()
            .filter(|d| d.nearest_existing.is_none())
            .map(|d| d.path.as_path())
            .collect();
        let shut: Vec<&Path> = below
            .iter()
            .filter_map(|d| d.nearest_existing.as_deref())
            .collect();
        let paths = Cut {
            denied: existing,
            shut,
        };
        carve_dir(&rule, &rule.path, &paths, fs, &mut out).map_err(|(path, error)| CarveError {
            under: rule.path.clone(),
            denied: below[0].path.clone(),
            path,
            error,
        })?;
    }
    Ok((out, carves))
}

/// What is cut out below a directory being carved.
struct Cut<'a> {
    /// Existing denied paths: they get no rule.
    denied: Vec<&'a Path>,
    /// Directories in which nothing may be created (the nearest existing
    /// directories of missing denied paths): they are carved themselves.
    shut: Vec<&'a Path>,
}

impl<'a> Cut<'a> {
    /// What of `self` lies in the entry `entry`, `None` when nothing does.
    fn below(&self, entry: &Path) -> Option<Cut<'a>> {
        let denied: Vec<&Path> = self
            .denied
            .iter()
            .copied()
            .filter(|d| d.starts_with(entry))
            .collect();
        let shut: Vec<&Path> = self
            .shut
            .iter()
            .copied()
            .filter(|d| d.starts_with(entry))
            .collect();
        (!denied.is_empty() || !shut.is_empty()).then_some(Cut { denied, shut })
    }
}

/// Emits the list-only rule for `dir` and the rules for its entries.
fn carve_dir(
    rule: &NormRule,
    dir: &Path,
    cut: &Cut<'_>,
    fs: &dyn FsProbe,
    out: &mut Vec<NormRule>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let meta = fs.stat(dir).map_err(|e| (dir.to_path_buf(), e))?;
    out.push(NormRule {
        path: dir.to_path_buf(),
        kind: FileKind::Dir,
        dev: meta.dev,
        ino: meta.ino,
        levels: rule.levels,
        sources: rule.sources.clone(),
        carved: true,
        listed: false,
    });
    for entry in fs.read_dir(dir).map_err(|e| (dir.to_path_buf(), e))? {
        if cut.denied.contains(&entry.as_path()) {
            continue;
        }
        let meta = match fs.stat(&entry) {
            Ok(meta) => meta,
            // Gone between the listing and now: nothing to grant.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err((entry, e)),
        };
        if meta.symlink {
            continue;
        }
        match cut.below(&entry) {
            None => out.push(NormRule {
                path: entry,
                kind: meta.kind,
                dev: meta.dev,
                ino: meta.ino,
                levels: rule.levels,
                sources: rule.sources.clone(),
                carved: false,
                listed: true,
            }),
            Some(deeper) => carve_dir(rule, &entry, &deeper, fs, out)?,
        }
    }
    Ok(())
}
