//! Normalisation: one rule per path, sorted, with covered rules dropped.

use crate::{Resolution, ResolvedGrant};
use nono_model::{AccessLevels, FileKind, GrantSource};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A rule after normalisation, before lowering: a canonical path with the
/// union of the levels granted on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NormRule {
    /// The canonical path.
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
}

/// A rule dropped because the rules on its ancestors already grant all its
/// levels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CoveredRule {
    /// The dropped rule's path.
    pub path: PathBuf,
    /// Its levels.
    pub levels: AccessLevels,
    /// The nearest ancestor rule that contributes to covering it.
    pub by: PathBuf,
}

/// Unions grants on the same path, sorts by path and drops every rule whose
/// levels its ancestors' rules already cover.
///
/// The result depends only on the set of resolved grants, not their order.
pub fn normalize(resolved: &[ResolvedGrant]) -> (Vec<NormRule>, Vec<CoveredRule>) {
    let mut by_path: BTreeMap<PathBuf, NormRule> = BTreeMap::new();
    for grant in resolved {
        let Resolution::Resolved {
            path,
            kind,
            dev,
            ino,
            ..
        } = &grant.resolution
        else {
            continue;
        };
        let rule = by_path.entry(path.clone()).or_insert_with(|| NormRule {
            path: path.clone(),
            kind: *kind,
            dev: *dev,
            ino: *ino,
            levels: AccessLevels::EMPTY,
            sources: Vec::new(),
            carved: false,
        });
        rule.levels = rule.levels.union(grant.access.into());
        if !rule.sources.contains(&grant.source) {
            rule.sources.push(grant.source.clone());
        }
    }
    drop_covered(by_path)
}

/// Merges rules on the same path (a rule is carved only if every rule
/// merged into it is) and drops covered rules.
pub(crate) fn merge(
    rules: impl IntoIterator<Item = NormRule>,
) -> (Vec<NormRule>, Vec<CoveredRule>) {
    let mut by_path: BTreeMap<PathBuf, NormRule> = BTreeMap::new();
    for rule in rules {
        match by_path.get_mut(&rule.path) {
            None => {
                by_path.insert(rule.path.clone(), rule);
            }
            Some(existing) => {
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
                for source in rule.sources {
                    if !existing.sources.contains(&source) {
                        existing.sources.push(source);
                    }
                }
            }
        }
    }
    drop_covered(by_path)
}

/// Keeps, in path order, the rules whose levels the (uncarved) directory
/// rules above them do not already cover.
///
/// In path order (component by component) the rules under a directory come
/// right after it, so one pass with a stack of the rules above the current
/// one finds every rule's ancestors: O(n × depth), not a map lookup per
/// ancestor of every rule.
fn drop_covered(by_path: BTreeMap<PathBuf, NormRule>) -> (Vec<NormRule>, Vec<CoveredRule>) {
    let mut kept = Vec::with_capacity(by_path.len());
    let mut covered = Vec::new();
    // The rules on ancestors of the current rule, outermost first: their
    // paths, and their levels when they are uncarved directories (only those
    // pass their levels down).
    let mut above: Vec<(PathBuf, Option<AccessLevels>)> = Vec::new();
    for mut rule in by_path.into_values() {
        while above
            .last()
            .is_some_and(|(path, _)| !rule.path.starts_with(path))
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
            }
        })
    }

    proptest! {
        /// The one-pass walk keeps and drops exactly what looking every
        /// ancestor up does, naming the same covering rules.
        #[test]
        fn one_pass_agrees_with_looking_every_ancestor_up(
            rules in prop::collection::vec(rule_strategy(), 0..24),
        ) {
            let by_path: BTreeMap<PathBuf, NormRule> =
                rules.into_iter().map(|r| (r.path.clone(), r)).collect();
            let expected = drop_covered_reference(&by_path);
            prop_assert_eq!(drop_covered(by_path), expected);
        }
    }
}
