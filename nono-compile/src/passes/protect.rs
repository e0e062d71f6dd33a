//! The mount layer's protected paths (DESIGN.md section 7.3).
//!
//! Landlock grants a whole tree: where a run may write, it may also write a
//! repository's hooks, a shell startup file or a toolchain's `bin`
//! directory, which programs run later outside the sandbox trust. This pass
//! keeps the candidates found by `protect` (the module) that a writable
//! rule covers, for `nono-enforce` to bind read-only (or pin) in a private
//! mount namespace before Landlock is applied. Making that namespace needs
//! a user namespace, unless nono runs as root; without one, each such path
//! stays writable: a gap.

use super::{Lowering, Pass};
use nono_model::{Access, FileKind, Requirement};

/// What stays writable without the mount layer.
const UNENFORCED: &str = "writing protected paths inside writable grants (a repository's .git hooks and config, shell startup files, toolchain bin directories)";

/// The candidates that a writable, not carved, directory rule covers.
fn covered(lowering: &Lowering<'_>) -> Vec<nono_model::ProtectedPath> {
    lowering
        .intent
        .protect
        .iter()
        .filter(|p| {
            // Below a private layer, the command's writes never reach the
            // host's file anyway.
            !lowering
                .ruleset
                .layers
                .iter()
                .any(|layer| p.path.starts_with(&layer.path))
        })
        .filter(|p| {
            lowering.rules.iter().any(|rule| {
                rule.levels.contains(Access::Write)
                    && !rule.carved
                    && (rule.path == p.path
                        || (rule.kind == FileKind::Dir && p.path.starts_with(&rule.path)))
            })
        })
        .cloned()
        .collect()
}

fn lower_protect(lowering: &mut Lowering<'_>) {
    lowering.ruleset.protected = covered(lowering);
}

fn without_protect(lowering: &mut Lowering<'_>) {
    let lost = covered(lowering);
    if lost.is_empty() {
        return;
    }
    lowering.gap_below(UNENFORCED);
    let list: Vec<String> = lost.iter().map(|p| p.path.display().to_string()).collect();
    lowering.note(&format!(
        "stay writable: {}; see 'nono check' to enable user namespaces",
        list.join(" ")
    ));
}

/// The `protect` pass.
pub const PASS: Pass = Pass {
    name: "protect",
    requires: Requirement::UserNamespaces,
    lower: lower_protect,
    without: without_protect,
};

#[cfg(test)]
mod tests {
    use crate::NormRule;
    use crate::passes::{Host, Intent, lower};
    use nono_model::{Abi, Access, AccessLevels, FileKind, ProtectedPath, Protection, Requirement};
    use std::path::PathBuf;

    fn rule(path: &str, access: Access) -> NormRule {
        NormRule {
            path: PathBuf::from(path),
            kind: FileKind::Dir,
            dev: 1,
            ino: 2,
            levels: AccessLevels::from(access),
            sources: Vec::new(),
            carved: false,
            listed: false,
        }
    }

    fn hooks(path: &str) -> ProtectedPath {
        ProtectedPath {
            path: PathBuf::from(path),
            kind: FileKind::Dir,
            dev: 1,
            ino: 3,
            how: Protection::ReadOnly,
            absent: false,
            seed: "",
            why: "git hooks",
        }
    }

    #[test]
    fn only_paths_under_writable_rules_are_protected_and_without_userns_it_is_a_gap() {
        let intent = Intent {
            protect: vec![hooks("/rw/.git/hooks"), hooks("/ro/.git/hooks")],
            ..Intent::default()
        };
        let rules = [rule("/ro", Access::Read), rule("/rw", Access::Allow)];
        let host = Host {
            user_namespaces: true,
            ..Host::landlock(Abi::LATEST)
        };
        let with = lower(host, &rules, &intent);
        assert_eq!(with.ruleset.protected, [hooks("/rw/.git/hooks")]);
        assert!(with.gaps.is_empty());

        let without = lower(Host::landlock(Abi::LATEST), &rules, &intent);
        assert!(without.ruleset.protected.is_empty());
        assert_eq!(without.gaps.len(), 1);
        assert_eq!(without.gaps[0].feature, "protect");
        assert_eq!(without.gaps[0].needs, Requirement::UserNamespaces);
        assert!(
            without
                .notes
                .iter()
                .any(|n| n.contains("/rw/.git/hooks") && !n.contains("/ro/")),
            "{:?}",
            without.notes
        );

        // Nothing writable covers a candidate: no gap even without userns.
        let read_only = lower(Host::landlock(Abi::LATEST), &rules[..1], &intent);
        assert!(read_only.gaps.is_empty());
    }
}
