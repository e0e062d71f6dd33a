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

use crate::{FsProbe, NormRule};
use nono_model::{FileKind, GrantSource};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A denied path resolved to a canonical path, with its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeniedPath {
    /// The path as written.
    pub requested: String,
    /// The canonical path.
    pub path: PathBuf,
    /// Where the denial came from.
    pub source: GrantSource,
}

/// One carve: `denied` was cut out of the grant on `under`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Carve {
    /// The granted directory that covered the denied path.
    pub under: PathBuf,
    /// The denied path.
    pub denied: PathBuf,
    /// Where the denial came from.
    pub source: GrantSource,
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
pub fn carve(
    rules: Vec<NormRule>,
    denied: &[DeniedPath],
    fs: &dyn FsProbe,
) -> Result<(Vec<NormRule>, Vec<Carve>), CarveError> {
    let mut out = Vec::with_capacity(rules.len());
    let mut carves = Vec::new();
    for rule in rules {
        let below: Vec<&DeniedPath> = denied
            .iter()
            .filter(|d| rule.kind == FileKind::Dir && d.path != rule.path)
            .filter(|d| d.path.starts_with(&rule.path))
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
            });
        }
        let paths: Vec<&Path> = below.iter().map(|d| d.path.as_path()).collect();
        carve_dir(&rule, &rule.path, &paths, fs, &mut out).map_err(|(path, error)| CarveError {
            under: rule.path.clone(),
            denied: below[0].path.clone(),
            path,
            error,
        })?;
    }
    Ok((out, carves))
}

/// Emits the list-only rule for `dir` and the rules for its entries.
fn carve_dir(
    rule: &NormRule,
    dir: &Path,
    denied: &[&Path],
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
    });
    for entry in fs.read_dir(dir).map_err(|e| (dir.to_path_buf(), e))? {
        if denied.contains(&entry.as_path()) {
            continue;
        }
        let meta = fs.stat(&entry).map_err(|e| (entry.clone(), e))?;
        if meta.symlink {
            continue;
        }
        let deeper: Vec<&Path> = denied
            .iter()
            .copied()
            .filter(|d| d.starts_with(&entry))
            .collect();
        if deeper.is_empty() {
            out.push(NormRule {
                path: entry,
                kind: meta.kind,
                dev: meta.dev,
                ino: meta.ino,
                levels: rule.levels,
                sources: rule.sources.clone(),
                carved: false,
            });
        } else {
            carve_dir(rule, &entry, &deeper, fs, out)?;
        }
    }
    Ok(())
}
