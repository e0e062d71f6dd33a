//! The reference evaluator: what a ruleset allows, by Landlock's semantics.

use nono_model::{FileKind, FsRight, PathRule, Ruleset};
use std::path::Path;

fn applies(rule: &PathRule, path: &Path) -> bool {
    match rule.kind {
        FileKind::Dir => path.starts_with(&rule.path),
        FileKind::File => path == rule.path,
    }
}

/// The rules that grant `right` on `path` (a canonical, absolute path).
pub fn granting_rules<'r>(
    ruleset: &'r Ruleset,
    path: &Path,
    right: FsRight,
) -> impl Iterator<Item = &'r PathRule> {
    ruleset
        .rules
        .iter()
        .filter(move |rule| rule.rights.contains(right) && applies(rule, path))
}

/// Whether `ruleset` lets a process use `right` on `path` (canonical and
/// absolute).
///
/// A right the ruleset does not handle is allowed everywhere (except Refer,
/// which the kernel always treats as handled); a handled right is allowed
/// only where a rule on the path, or on a directory above it, grants it
/// (for ResolveUnix, a Unix socket rule: `--allow-unix`). This is the model
/// the property tests and `nono why` hold the kernel to.
pub fn allowed(ruleset: &Ruleset, path: &Path, right: FsRight) -> bool {
    if right == FsRight::ResolveUnix && ruleset.handled_fs.contains(right) {
        return ruleset
            .unix_rules
            .iter()
            .any(|u| u.path == path || (u.kind == FileKind::Dir && path.starts_with(&u.path)));
    }
    // The kernel treats Refer as handled at every ABI: below ABI 2, where it
    // cannot be handled, moving or linking into another directory is always
    // refused (EXDEV).
    let handled = ruleset.handled_fs.contains(right) || right == FsRight::Refer;
    !handled || granting_rules(ruleset, path, right).next().is_some()
}
