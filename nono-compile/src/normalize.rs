//! Normalisation: one rule per path, sorted, with covered rules dropped.

use crate::{Resolution, ResolvedGrant};
use nono_model::{AccessLevels, FileKind, GrantSource};
use serde::Serialize;
use std::cmp::Ordering;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A rule after normalisation, before lowering: a canonical path with the
/// union of the levels granted on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NormRule {
    /// The canonical path.
    #[serde(serialize_with = "nono_model::serialize_path")]
    pub path: PathBuf,
    /// Directory or file.
    pub kind: FileKind,
    /// Device number.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// The union of the levels granted on this path.
    pub levels: AccessLevels,
    /// Every source that granted it, sorted and without repeats.
    pub sources: Vec<GrantSource>,
    /// Carved around a sensitive path: only listing is granted (see
    /// [`carve`](crate::carve)).
    pub carved: bool,
    /// Found by listing a carved directory (see `PathRule::listed`).
    pub listed: bool,
}

/// A rule dropped because the rules on its ancestors already grant all its
/// levels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CoveredRule {
    /// The dropped rule's path.
    #[serde(serialize_with = "nono_model::serialize_path")]
    pub path: PathBuf,
    /// Its levels.
    pub levels: AccessLevels,
    /// The nearest ancestor rule that contributes to covering it.
    #[serde(serialize_with = "nono_model::serialize_path")]
    pub by: PathBuf,
}

/// Unions grants on the same path, sorts by path and drops every rule whose
/// levels its ancestors' rules already cover.
///
/// The result depends only on the set of resolved grants, not their order.
pub fn normalize(resolved: &[ResolvedGrant]) -> (Vec<NormRule>, Vec<CoveredRule>) {
    let mut rules: Vec<NormRule> = resolved
        .iter()
        .filter_map(|grant| {
            let Resolution::Resolved {
                path,
                kind,
                dev,
                ino,
                ..
            } = &grant.resolution
            else {
                return None;
            };
            Some(NormRule {
                path: path.clone(),
                kind: *kind,
                dev: *dev,
                ino: *ino,
                levels: grant.access.into(),
                sources: vec![grant.source.clone()],
                carved: false,
                listed: false,
            })
        })
        .collect();
    // Stable: rules on one path stay in grant order, so the first grant's
    // kind and identity are kept and sources are listed as they came.
    rules.sort_by(|a, b| path_order(&a.path, &b.path));
    let mut merged: Vec<NormRule> = Vec::with_capacity(rules.len());
    for rule in rules {
        match merged.last_mut() {
            Some(last) if same_path(&last.path, &rule.path) => {
                last.levels = last.levels.union(rule.levels);
                add_sources(&mut last.sources, rule.sources);
            }
            _ => merged.push(rule),
        }
    }
    drop_covered(merged)
}

/// Merges rules on the same path (a rule is carved only if every rule
/// merged into it is) and drops covered rules.
pub(crate) fn merge(
    rules: impl IntoIterator<Item = NormRule>,
) -> (Vec<NormRule>, Vec<CoveredRule>) {
    let mut rules: Vec<NormRule> = rules.into_iter().collect();
    rules.sort_by(|a, b| path_order(&a.path, &b.path));
    let mut merged: Vec<NormRule> = Vec::with_capacity(rules.len());
    for rule in rules {
        match merged.last_mut() {
            Some(existing) if same_path(&existing.path, &rule.path) => {
                // A carved rule's levels say only where it came from; an
                // uncarved rule on the same path decides what is granted.
                match (existing.carved, rule.carved) {
                    (true, false) => {
                        existing.levels = rule.levels;
                        existing.carved = false;
                    }
                    (false, true) => {}
                    _ => existing.levels = existing.levels.union(rule.levels),
                }
                // Granted by name too: then it must be there.
                existing.listed &= rule.listed;
                add_sources(&mut existing.sources, rule.sources);
            }
            _ => merged.push(rule),
        }
    }
    drop_covered(merged)
}

fn add_sources(sources: &mut Vec<GrantSource>, more: Vec<GrantSource>) {
    for source in more {
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
}

/// `Path`'s own order (component by component), computed on the bytes.
///
/// For paths in normal form (absolute, without `.`, `..`, `//` or a trailing
/// `/`, as canonical paths and the entries read from their directories
/// are), comparing byte by byte with `/` below every other byte gives the
/// same order (a test checks): a name that ends first sorts first, at a `/`
/// or at the end. It spares splitting both paths into components for every
/// comparison of the sort.
pub(crate) fn path_order(a: &Path, b: &Path) -> Ordering {
    let (a, b) = (a.as_os_str().as_bytes(), b.as_os_str().as_bytes());
    let rank = |c: u8| if c == b'/' { 0 } else { u16::from(c) + 1 };
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => rank(a[i]).cmp(&rank(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

/// Equality of paths in normal form, on their bytes.
fn same_path(a: &Path, b: &Path) -> bool {
    a.as_os_str() == b.as_os_str()
}

/// Whether `path` is `dir` or lies beneath it (`Path::starts_with`), for
/// paths in normal form, on their bytes.
fn within(path: &Path, dir: &Path) -> bool {
    let (path, dir) = (path.as_os_str().as_bytes(), dir.as_os_str().as_bytes());
    path.starts_with(dir) && (path.len() == dir.len() || dir == b"/" || path[dir.len()] == b'/')
}

/// Keeps, in path order, the rules whose levels the (uncarved) directory
/// rules above them do not already cover.
///
/// In path order (component by component) the rules under a directory come
/// right after it, so one pass with a stack of the rules above the current
/// one finds every rule's ancestors: O(n × depth), not a map lookup per
/// ancestor of every rule.
fn drop_covered(sorted: Vec<NormRule>) -> (Vec<NormRule>, Vec<CoveredRule>) {
    let mut kept = Vec::with_capacity(sorted.len());
    let mut covered = Vec::new();
    // The rules on ancestors of the current rule, outermost first: their
    // paths, and their levels when they are uncarved directories (only those
    // pass their levels down).
    let mut above: Vec<(PathBuf, Option<AccessLevels>)> = Vec::new();
    for mut rule in sorted {
        while above
            .last()
            .is_some_and(|(path, _)| !within(&rule.path, path))
        {
            above.pop();
        }
        let mut inherited = AccessLevels::EMPTY;
        let mut nearest = None;
        for (path, levels) in above.iter().rev() {
            let Some(levels) = levels else { continue };
            inherited = inherited.union(*levels);
            // Name only an ancestor that grants one of the rule's levels:
            // a nearer one granting none of them does not cover it.
            if nearest.is_none() && rule.levels.iter().any(|l| levels.contains(l)) {
                nearest = Some(path);
            }
        }
        let passes_down = (rule.kind == FileKind::Dir && !rule.carved).then_some(rule.levels);
        let path = rule.path.clone();
        match nearest {
            Some(by) if inherited.covers(rule.levels) => covered.push(CoveredRule {
                path: rule.path,
                levels: rule.levels,
                by: by.clone(),
            }),
            _ => {
                rule.sources.sort();
                kept.push(rule);
            }
        }
        above.push((path, passes_down));
    }
    (kept, covered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nono_model::Access;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The direct statement of `drop_covered`: look every ancestor up.
    fn drop_covered_reference(
        by_path: &BTreeMap<PathBuf, NormRule>,
    ) -> (Vec<NormRule>, Vec<CoveredRule>) {
        let mut kept = Vec::new();
        let mut covered = Vec::new();
        for rule in by_path.values() {
            let mut inherited = AccessLevels::EMPTY;
            let mut nearest = None;
            for ancestor in rule.path.ancestors().skip(1) {
                if let Some(a) = by_path
                    .get(ancestor)
                    .filter(|a| a.kind == FileKind::Dir && !a.carved)
                {
                    inherited = inherited.union(a.levels);
                    if rule.levels.iter().any(|l| a.levels.contains(l)) {
                        nearest.get_or_insert_with(|| a.path.clone());
                    }
                }
            }
            match nearest {
                Some(by) if inherited.covers(rule.levels) => covered.push(CoveredRule {
                    path: rule.path.clone(),
                    levels: rule.levels,
                    by,
                }),
                _ => {
                    let mut rule = rule.clone();
                    rule.sources.sort();
                    kept.push(rule);
                }
            }
        }
        (kept, covered)
    }

    fn rule_strategy() -> impl Strategy<Value = NormRule> {
        let name = prop::sample::select(vec!["a", "b", "a-b", "a.b", "ab", "b0"]);
        let path = prop::collection::vec(name, 0..4)
            .prop_map(|v| PathBuf::from(format!("/{}", v.join("/"))));
        let access = prop::sample::select(vec![Access::Read, Access::Write, Access::Allow]);
        let levels = prop::collection::vec(access, 1..3).prop_map(|v| {
            v.into_iter()
                .fold(AccessLevels::EMPTY, |l, a| l.union(a.into()))
        });
        (path, any::<bool>(), levels, any::<bool>()).prop_map(|(path, dir, levels, carved)| {
            NormRule {
                path,
                kind: if dir { FileKind::Dir } else { FileKind::File },
                dev: 1,
                ino: 1,
                levels,
                sources: vec![
                    GrantSource::Flag("--b".into()),
                    GrantSource::Flag("--a".into()),
                ],
                carved: carved && dir,
                listed: !carved,
            }
        })
    }

    fn normal_path() -> impl Strategy<Value = PathBuf> {
        let name = prop::sample::select(vec![
            "a", "b", "a-b", "a.b", "ab", "b0", "a b", "\u{e9}", "A",
        ]);
        prop::collection::vec(name, 0..4).prop_map(|v| PathBuf::from(format!("/{}", v.join("/"))))
    }

    proptest! {
        /// The byte order, equality and ancestry are Path's own, on paths in
        /// normal form.
        #[test]
        fn byte_order_is_path_order(a in normal_path(), b in normal_path()) {
            prop_assert_eq!(path_order(&a, &b), a.cmp(&b));
            prop_assert_eq!(same_path(&a, &b), a == b);
            prop_assert_eq!(within(&a, &b), a.starts_with(&b));
        }

        /// The one-pass walk keeps and drops exactly what looking every
        /// ancestor up does, naming the same covering rules.
        #[test]
        fn one_pass_agrees_with_looking_every_ancestor_up(
            rules in prop::collection::vec(rule_strategy(), 0..24),
        ) {
            let by_path: BTreeMap<PathBuf, NormRule> =
                rules.into_iter().map(|r| (r.path.clone(), r)).collect();
            let expected = drop_covered_reference(&by_path);
            prop_assert_eq!(drop_covered(by_path.into_values().collect()), expected);
        }
    }
}
