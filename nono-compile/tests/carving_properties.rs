//! Property tests for carving: denied paths cut out of granted trees.
//!
//! Each case builds a random [`MemFs`] tree (directories and files, depth at
//! most 4, a few symlinks), random grants on its nodes (written absolute or
//! through a symlink), and random denials: nodes anywhere in the tree, nodes
//! at or below a grant's path (so possibly equal to a grant, to one of its
//! descendants, or nested in another denial), and paths that do not exist;
//! written absolute or through a symlink, from a flag, a preset or the
//! built-in list. Some existing denials are also `--expose`d. The generator
//! knows which node every grant and denial names, so the reference below
//! never asks the compiler how a path resolves. Each case is compiled at a
//! random ABI 1..=7.
//!
//! Terms: `D` is the set of *effective* denied paths (denials that exist and
//! are not at or below an exposed path). A grant is *offending* when its path
//! is at or below some `d` in `D` and not at or below an exposed path.
//! `rs` is the ruleset of the policy without its offending grants; `rs0` the
//! ruleset of the same grants with no denials and no exposes. A directory
//! `c` is *carved* when it is a strict ancestor of some `d` in `D`, is not
//! itself at or below any `d` in `D` (nested denials), and a directory rule
//! of `rs0` is at or above it (`C` is the set of them). A
//! *handled* right is one `rs` handles. `allowed` is the reference
//! evaluator.
//!
//! Properties:
//!
//! - **sensitive**: a policy with an offending grant fails with
//!   `CompileError::Sensitive` naming the first offending grant (in policy
//!   order) and a denial that contains it; without one it compiles;
//! - **denied and carves**: `Compiled::denied` lists exactly `D`, and
//!   `Compiled::carves` has exactly one `(under, denied)` for every
//!   directory rule of `rs0` strictly above a `d` in `D`; the rules of `rs`
//!   marked carved are exactly `C`, and grant at most ReadDir;
//! - **nothing denied is reachable**: for every path `p` equal to or beneath
//!   a `d` in `D` (existing, or a new name in a directory there), and not
//!   inside an exposed path, `allowed(rs, p, r)` is false for every handled
//!   right `r` other than ReadDir. ReadDir on such a `p` is allowed exactly
//!   when `rs0` allowed ReadDir on `d` itself, and then `d`'s parent is
//!   carved. This is the precise form of "listing names only": Landlock
//!   applies the list-only rule of a carved directory to the whole hierarchy
//!   beneath it, so a *directory* below `d` can be listed too (never read,
//!   written or executed); the brief's stronger "only on `d` itself" cannot
//!   be expressed in Landlock without taking listing away from the carved
//!   directory;
//! - **everything else keeps its rights**: a carved directory in `C` (and a
//!   new name directly in one) keeps exactly ReadDir if `rs0` allowed it
//!   there, and nothing else; every other existing path, and new name in a
//!   directory, that is not beneath a `d` in `D`, has exactly the rights it
//!   has in `rs0` (for a file: every right that applies to files);
//! - **sound**: on every path, `rs` never allows a right that `rs0` denies;
//! - **order-independent**: shuffling the grants, the denials and the
//!   exposes gives the same ruleset and the same `covered`, and the same
//!   `denied` and `carves` (paths and sources);
//! - **appliable**: every rule of `rs` grants at least one right (Landlock
//!   refuses a rule with an empty access set).
//!
//! Plus example-based tests on a fixed home with the built-in sensitive
//! paths.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nono_compile::{CompileError, Compiled, MemFs, ResolveEnv, Target, allowed, compile};
use nono_model::{Abi, Access, FileKind, FsGrant, FsRight, FsRights, GrantSource, Policy};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// Random trees, grants and denials.
// ---------------------------------------------------------------------------

/// Entry names: `a` and `ab` so that a string-prefix check would be caught
/// confusing `/a` with `/ab`.
const NAMES: [&str; 5] = ["a", "ab", "b", "s", "f"];
const MAX_DEPTH: usize = 4;
/// The name of a path that does not exist, in any directory.
const NEW: &str = "zz-new";

#[derive(Clone, Debug)]
struct NodeSpec {
    parent: Index,
    name: usize,
    dir: bool,
}

#[derive(Clone, Debug)]
struct LinkSpec {
    dir: Index,
    target: Index,
}

#[derive(Clone, Debug)]
struct GrantSpec {
    target: Index,
    access: Access,
    via: Option<Index>,
    source: usize,
}

#[derive(Clone, Debug)]
struct DenySpec {
    /// 0: any node but `/`; 1: a node at or below a grant's path; 2: missing.
    kind: u8,
    pick: Index,
    aux: Index,
    via: Option<Index>,
    source: usize,
    exposed: bool,
}

#[derive(Clone, Debug)]
struct Spec {
    nodes: Vec<NodeSpec>,
    links: Vec<LinkSpec>,
    grants: Vec<GrantSpec>,
    denies: Vec<DenySpec>,
    abi: u8,
    shuffle: u64,
}

/// A tree and a policy, with what every grant and denial names.
#[derive(Clone, Debug)]
struct Scenario {
    fs: MemFs,
    /// Every real (non-symlink) node, `/` first.
    real: Vec<(PathBuf, FileKind)>,
    env: ResolveEnv,
    /// The full policy (grants, denies, exposes).
    policy: Policy,
    /// Per grant: its node in `real`.
    grant_targets: Vec<usize>,
    /// Per denial: its node in `real`, or `None` for a missing path.
    deny_targets: Vec<Option<usize>>,
    abi: u8,
    shuffle: u64,
}

fn text(path: &Path) -> String {
    path.to_str().expect("generated paths are UTF-8").to_owned()
}

fn depth(path: &Path) -> usize {
    path.components().count() - 1
}

fn grant_source(i: usize) -> GrantSource {
    match i % 3 {
        0 => GrantSource::Flag("--read".into()),
        1 => GrantSource::Flag("--allow".into()),
        _ => GrantSource::Preset("rust".into()),
    }
}

fn deny_source(i: usize) -> GrantSource {
    match i % 3 {
        0 => GrantSource::Flag("--deny".into()),
        1 => GrantSource::Builtin("sensitive paths".into()),
        _ => GrantSource::Preset("team".into()),
    }
}

/// `path` written through one of the symlinks that lead to it or to a
/// directory above it, if `via` picks one; else absolute.
fn written(path: &Path, via: Option<Index>, links: &[(PathBuf, PathBuf)]) -> String {
    let options: Vec<String> = links
        .iter()
        .filter_map(|(link, to)| {
            let rest = path.strip_prefix(to).ok()?;
            Some(if rest.as_os_str().is_empty() {
                text(link)
            } else {
                format!("{}/{}", text(link), text(rest))
            })
        })
        .collect();
    match via {
        Some(i) if !options.is_empty() => options[i.index(options.len())].clone(),
        _ => text(path),
    }
}

fn build(spec: Spec) -> Scenario {
    let mut fs = MemFs::new();
    let mut real: Vec<(PathBuf, FileKind)> = vec![(PathBuf::from("/"), FileKind::Dir)];
    let dirs = |real: &[(PathBuf, FileKind)]| -> Vec<usize> {
        (0..real.len())
            .filter(|&i| real[i].1 == FileKind::Dir && depth(&real[i].0) < MAX_DEPTH)
            .collect()
    };
    for node in &spec.nodes {
        let parents = dirs(&real);
        let parent = parents[node.parent.index(parents.len())];
        let path = real[parent].0.join(NAMES[node.name]);
        if real.iter().any(|(p, _)| *p == path) {
            continue;
        }
        if node.dir {
            fs.dir(&path);
            real.push((path, FileKind::Dir));
        } else {
            fs.file(&path);
            real.push((path, FileKind::File));
        }
    }
    // Symlinks `lN` to real nodes (absolute targets); they add no node.
    let mut links: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (i, l) in spec.links.iter().enumerate() {
        let homes = dirs(&real);
        let at = real[homes[l.dir.index(homes.len())]]
            .0
            .join(format!("l{i}"));
        let to = real[l.target.index(real.len())].0.clone();
        fs.symlink(&at, &to);
        links.push((at, to));
    }

    let mut policy = Policy::default();
    let mut grant_targets = Vec::new();
    for g in &spec.grants {
        let t = g.target.index(real.len());
        let path = written(&real[t].0, g.via, &links);
        policy.add(FsGrant::new(path, g.access), grant_source(g.source));
        grant_targets.push(t);
    }
    let mut deny_targets = Vec::new();
    for d in &spec.denies {
        let target = match d.kind % 3 {
            0 if real.len() > 1 => Some(1 + d.pick.index(real.len() - 1)),
            1 if !grant_targets.is_empty() => {
                let g = &real[grant_targets[d.aux.index(grant_targets.len())]].0;
                let below: Vec<usize> = (0..real.len())
                    .filter(|&i| i != 0 && real[i].0.starts_with(g))
                    .collect();
                (!below.is_empty()).then(|| below[d.pick.index(below.len())])
            }
            _ => None,
        };
        let path = match target {
            Some(t) => written(&real[t].0, d.via, &links),
            None => {
                // Missing: a new name in a directory, or "below" a file.
                let at = &real[d.pick.index(real.len())].0;
                text(&at.join(NEW))
            }
        };
        policy.deny(path, deny_source(d.source));
        if let (true, Some(t)) = (d.exposed, target) {
            policy.exposes.push(text(&real[t].0));
        }
        deny_targets.push(target);
    }

    Scenario {
        fs,
        real,
        env: ResolveEnv::new("/"),
        policy,
        grant_targets,
        deny_targets,
        abi: spec.abi,
        shuffle: spec.shuffle,
    }
}

fn access() -> impl Strategy<Value = Access> {
    prop_oneof![Just(Access::Read), Just(Access::Write), Just(Access::Allow)]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let node = (any::<Index>(), 0..NAMES.len(), prop::bool::weighted(0.6))
        .prop_map(|(parent, name, dir)| NodeSpec { parent, name, dir });
    let link = (any::<Index>(), any::<Index>()).prop_map(|(dir, target)| LinkSpec { dir, target });
    let grant = (
        any::<Index>(),
        access(),
        prop::option::weighted(0.3, any::<Index>()),
        0usize..3,
    )
        .prop_map(|(target, access, via, source)| GrantSpec {
            target,
            access,
            via,
            source,
        });
    let deny = (
        prop_oneof![3 => Just(0u8), 6 => Just(1u8), 1 => Just(2u8)],
        any::<Index>(),
        any::<Index>(),
        prop::option::weighted(0.3, any::<Index>()),
        0usize..3,
        prop::bool::weighted(0.15),
    )
        .prop_map(|(kind, pick, aux, via, source, exposed)| DenySpec {
            kind,
            pick,
            aux,
            via,
            source,
            exposed,
        });
    (
        vec(node, 1..=16),
        vec(link, 0..=3),
        vec(grant, 0..=6),
        vec(deny, 0..=5),
        1u8..=7,
        any::<u64>(),
    )
        .prop_map(|(nodes, links, grants, denies, abi, shuffle)| {
            build(Spec {
                nodes,
                links,
                grants,
                denies,
                abi,
                shuffle,
            })
        })
}

// ---------------------------------------------------------------------------
// The reference: effective denials, offending grants, carved directories.
// ---------------------------------------------------------------------------

impl Scenario {
    fn target(&self) -> Target {
        Target::kernel(Abi(self.abi))
    }

    fn exposed(&self) -> Vec<PathBuf> {
        self.policy.exposes.iter().map(PathBuf::from).collect()
    }

    fn is_exposed(&self, p: &Path) -> bool {
        self.exposed().iter().any(|e| p.starts_with(e))
    }

    /// `D`: the existing denials not at or below an exposed path.
    fn effective_denied(&self) -> BTreeSet<PathBuf> {
        self.deny_targets
            .iter()
            .flatten()
            .map(|&t| self.real[t].0.clone())
            .filter(|d| !self.is_exposed(d))
            .collect()
    }

    /// The indices of the offending grants, in policy order.
    fn offending(&self) -> Vec<usize> {
        let denied = self.effective_denied();
        (0..self.grant_targets.len())
            .filter(|&i| {
                let p = &self.real[self.grant_targets[i]].0;
                denied.iter().any(|d| p.starts_with(d)) && !self.is_exposed(p)
            })
            .collect()
    }

    /// The policy without its offending grants.
    fn clean_policy(&self) -> Policy {
        let offending = self.offending();
        let mut policy = self.policy.clone();
        policy.grants = policy
            .grants
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !offending.contains(i))
            .map(|(_, g)| g)
            .collect();
        policy
    }

    /// The clean policy with no denials and no exposes.
    fn undenied_policy(&self) -> Policy {
        let mut policy = self.clean_policy();
        policy.denies.clear();
        policy.exposes.clear();
        policy
    }

    /// Every existing path, and a new name in every directory.
    fn probe_paths(&self) -> Vec<(PathBuf, Option<FileKind>)> {
        let mut paths: Vec<(PathBuf, Option<FileKind>)> = self
            .real
            .iter()
            .map(|(p, k)| (p.clone(), Some(*k)))
            .collect();
        paths.extend(
            self.real
                .iter()
                .filter(|(_, k)| *k == FileKind::Dir)
                .map(|(p, _)| (p.join(NEW), None)),
        );
        paths
    }

    fn compile(&self, policy: &Policy) -> Result<Compiled, TestCaseError> {
        compile(policy, &self.target(), &self.env, &self.fs)
            .map_err(|e| TestCaseError::fail(format!("compile failed: {e}")))
    }
}

/// `C`: the directories strictly above a denied path, not themselves at or
/// below one, with a directory rule of `rs0` at or above them.
fn carved_dirs(denied: &BTreeSet<PathBuf>, rs0: &Compiled) -> BTreeSet<PathBuf> {
    let mut carved = BTreeSet::new();
    for d in denied {
        for c in d.ancestors().skip(1) {
            if denied.iter().any(|other| c.starts_with(other)) {
                continue;
            }
            let covered = rs0
                .ruleset
                .rules
                .iter()
                .any(|r| r.kind == FileKind::Dir && c.starts_with(&r.path));
            if covered {
                carved.insert(c.to_path_buf());
            }
        }
    }
    carved
}

/// A deterministic shuffle of `items` by `seed`.
fn shuffled<T>(mut items: Vec<T>, seed: u64) -> Vec<T> {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from((state >> 33) % (i as u64 + 1)).unwrap();
        items.swap(i, j);
    }
    items
}

fn shuffled_policy(policy: &Policy, seed: u64) -> Policy {
    let mut out = policy.clone();
    out.grants = shuffled(out.grants, seed);
    out.denies = shuffled(out.denies, seed.rotate_left(17));
    out.exposes = shuffled(out.exposes, seed.rotate_left(31));
    out
}

// ---------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Sensitive: an offending grant is a `CompileError::Sensitive` naming
    /// the first offending grant and a denial containing it; a policy
    /// without one compiles.
    #[test]
    fn grants_inside_a_denied_path_are_refused(s in scenario()) {
        let offending = s.offending();
        match (compile(&s.policy, &s.target(), &s.env, &s.fs), offending.first()) {
            (Err(CompileError::Sensitive { path, denied, .. }), Some(&first)) => {
                prop_assert_eq!(&path, &s.policy.grants[first].grant.path);
                let grant = &s.real[s.grant_targets[first]].0;
                let names_a_container = s.policy.denies.iter().zip(&s.deny_targets).any(
                    |(d, t)| d.path == denied && t.is_some_and(|t| grant.starts_with(&s.real[t].0)),
                );
                prop_assert!(names_a_container, "{denied:?} does not contain {}", grant.display());
            }
            (Ok(_), None) => {}
            (Ok(out), Some(&first)) => prop_assert!(
                false,
                "compiled although grant {:?} is inside a denied path: {:?}",
                s.policy.grants[first].grant.path, out.carves
            ),
            (Err(e), _) => prop_assert!(false, "unexpected error: {e}"),
        }
        // Without the offending grants the policy compiles.
        s.compile(&s.clean_policy())?;
    }

    /// Denied and carves, nothing denied reachable, everything else keeps
    /// its rights, sound (see the file's documentation).
    #[test]
    fn carving_hides_exactly_the_denied_paths(s in scenario()) {
        let out = s.compile(&s.clean_policy())?;
        let out0 = s.compile(&s.undenied_policy())?;
        let (rs, rs0) = (&out.ruleset, &out0.ruleset);
        prop_assert_eq!(rs.handled_fs, rs0.handled_fs);
        let denied = s.effective_denied();
        let carved = carved_dirs(&denied, &out0);

        // Denied and carves.
        let got: BTreeSet<PathBuf> = out.denied.iter().map(|d| d.path.clone()).collect();
        prop_assert_eq!(&got, &denied);
        let got: BTreeSet<(PathBuf, PathBuf)> =
            out.carves.iter().map(|c| (c.under.clone(), c.denied.clone())).collect();
        let want: BTreeSet<(PathBuf, PathBuf)> = rs0
            .rules
            .iter()
            .filter(|r| r.kind == FileKind::Dir)
            .flat_map(|r| {
                denied
                    .iter()
                    .filter(|d| **d != r.path && d.starts_with(&r.path))
                    .map(|d| (r.path.clone(), d.clone()))
            })
            .collect();
        prop_assert_eq!(out.carves.len(), got.len(), "a carve is listed twice");
        prop_assert_eq!(got, want);
        let marked: BTreeSet<PathBuf> =
            rs.rules.iter().filter(|r| r.carved).map(|r| r.path.clone()).collect();
        // A carved directory keeps a rule only if it had listing to keep:
        // under a Write-only grant it has no right left, and no rule.
        let listable: BTreeSet<PathBuf> = carved
            .iter()
            .filter(|c| nono_compile::allowed(rs0, c, FsRight::ReadDir))
            .cloned()
            .collect();
        prop_assert_eq!(&marked, &listable);
        for r in rs.rules.iter().filter(|r| r.carved) {
            prop_assert_eq!(r.kind, FileKind::Dir);
            prop_assert!(
                FsRights::from(FsRight::ReadDir).contains_all(r.rights),
                "carved {} grants {}", r.path.display(), r.rights
            );
        }

        for (p, kind) in s.probe_paths() {
            let inside = denied.iter().find(|d| p.starts_with(d));
            let in_carved = carved.contains(&p)
                || (kind.is_none() && p.parent().is_some_and(|q| carved.contains(q)));
            for r in rs.handled_fs.iter() {
                let (now, before) = (allowed(rs, &p, r), allowed(rs0, &p, r));
                // Sound.
                prop_assert!(
                    !now || before,
                    "{} on {} allowed only after carving", r, p.display()
                );
                match inside {
                    Some(_) if s.is_exposed(&p) => {}
                    Some(d) => {
                        if r == FsRight::ReadDir {
                            prop_assert_eq!(
                                now, allowed(rs0, d, FsRight::ReadDir),
                                "read_dir on {} below denied {}", p.display(), d.display()
                            );
                            if now {
                                let parent = d.parent().unwrap();
                                prop_assert!(
                                    carved.contains(parent),
                                    "{} listable but its parent is not carved", d.display()
                                );
                            }
                        } else {
                            prop_assert!(
                                !now,
                                "{} reachable on {} below denied {}", r, p.display(), d.display()
                            );
                        }
                    }
                    None if in_carved => prop_assert_eq!(
                        now,
                        r == FsRight::ReadDir && before,
                        "{} on {} (carved, or new in a carved directory)", r, p.display()
                    ),
                    None => {
                        let applies = kind != Some(FileKind::File)
                            || !FsRights::DIRECTORY_ONLY.contains(r);
                        if applies {
                            prop_assert_eq!(
                                now, before,
                                "{} on {} changed by carving", r, p.display()
                            );
                        }
                    }
                }
            }
        }
    }

    /// Order-independent: shuffling grants, denials and exposes gives the
    /// same ruleset and the same covered rules.
    #[test]
    fn the_ruleset_is_independent_of_order(s in scenario()) {
        let policy = s.clean_policy();
        let a = s.compile(&policy)?;
        let b = s.compile(&shuffled_policy(&policy, s.shuffle))?;
        prop_assert_eq!(&a.ruleset, &b.ruleset);
        prop_assert_eq!(&a.covered, &b.covered);
    }

    /// Order-independent: shuffling gives the same `denied` and `carves`,
    /// down to which denial's text and source each names (what `--dry-run`
    /// prints).
    #[test]
    fn denied_and_carves_are_independent_of_order(s in scenario()) {
        let policy = s.clean_policy();
        let a = s.compile(&policy)?;
        let b = s.compile(&shuffled_policy(&policy, s.shuffle))?;
        prop_assert_eq!(&a.denied, &b.denied);
        prop_assert_eq!(&a.carves, &b.carves);
    }

    /// Appliable: no rule has an empty access set (Landlock refuses one:
    /// `nono run` would fail with "empty access-right").
    #[test]
    fn every_rule_grants_something(s in scenario()) {
        let out = s.compile(&s.clean_policy())?;
        for r in &out.ruleset.rules {
            prop_assert!(
                !r.rights.is_empty(),
                "rule on {} ({:?}, levels {}, carved {}) grants nothing",
                r.path.display(), r.kind, r.levels, r.carved
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Examples: a home with the built-in sensitive paths.
// ---------------------------------------------------------------------------

/// A home at /h with secrets and ordinary files, and its environment.
fn home() -> (MemFs, ResolveEnv) {
    let mut fs = MemFs::new();
    fs.file("/h/.ssh/id_ed25519")
        .file("/h/.aws/credentials")
        .dir("/h/.aws/sso/cache")
        .file("/h/.cargo/credentials.toml")
        .file("/h/.cargo/config.toml")
        .file("/h/.netrc")
        .file("/h/notes.txt")
        .file("/h/proj/src/main.rs");
    let mut env = ResolveEnv::new("/h/proj");
    env.home = Some("/h".into());
    (fs, env)
}

fn home_policy(grants: &[(&str, Access)]) -> Policy {
    let mut policy = Policy::default();
    policy.deny_sensitive();
    for (path, access) in grants {
        policy.add(
            FsGrant::new(*path, *access),
            GrantSource::Flag("--allow".into()),
        );
    }
    policy
}

#[test]
fn a_home_grant_carves_every_sensitive_path_that_exists() {
    let (fs, env) = home();
    let out = compile(
        &home_policy(&[("~", Access::Allow)]),
        &Target::kernel(Abi(7)),
        &env,
        &fs,
    )
    .unwrap();
    let denied: Vec<&Path> = out.denied.iter().map(|d| d.path.as_path()).collect();
    assert_eq!(
        denied,
        [
            "/h/.aws",
            "/h/.cargo/credentials.toml",
            "/h/.netrc",
            "/h/.ssh"
        ]
        .map(Path::new)
    );
    assert!(out.carves.iter().all(|c| c.under == Path::new("/h")));
    let rs = &out.ruleset;
    let ok = |p: &str, r| allowed(rs, Path::new(p), r);
    // Secrets: nothing but listing their directories.
    assert!(!ok("/h/.ssh/id_ed25519", FsRight::ReadFile));
    assert!(!ok("/h/.cargo/credentials.toml", FsRight::ReadFile));
    assert!(!ok("/h/.ssh/authorized_keys", FsRight::WriteFile));
    assert!(!ok("/h/.ssh", FsRight::MakeReg));
    assert!(ok("/h/.ssh", FsRight::ReadDir));
    assert!(
        ok("/h/.aws/sso/cache", FsRight::ReadDir),
        "listing reaches below"
    );
    assert!(!ok("/h/.aws/sso/cache", FsRight::MakeReg));
    // The allowed twins.
    assert!(ok("/h/notes.txt", FsRight::ReadFile) && ok("/h/notes.txt", FsRight::WriteFile));
    assert!(ok("/h/.cargo/config.toml", FsRight::ReadFile));
    assert!(ok("/h/proj/src/new.rs", FsRight::MakeReg));
    assert!(ok("/h/proj/src", FsRight::RemoveFile));
    // The carved home: listing only, so no new file directly in it.
    assert!(ok("/h", FsRight::ReadDir));
    assert!(!ok("/h/new.txt", FsRight::MakeReg) && !ok("/h", FsRight::MakeReg));
}

#[test]
fn grants_on_sensitive_paths_need_expose() {
    let (fs, env) = home();
    let t = Target::kernel(Abi(7));
    for grant in [
        "~/.ssh",
        "~/.ssh/id_ed25519",
        "/h/.aws/sso",
        "~/.cargo/credentials.toml",
    ] {
        let err = compile(&home_policy(&[(grant, Access::Read)]), &t, &env, &fs).unwrap_err();
        assert!(
            matches!(&err, CompileError::Sensitive { path, .. } if path == grant),
            "{grant}: {err}"
        );
        assert!(err.to_string().contains("--expose"), "{err}");
    }
    // The twin: exposed, the grant compiles and is not carved.
    let mut policy = home_policy(&[("~/.ssh", Access::Read), ("~", Access::Read)]);
    policy.exposes.push("~/.ssh".into());
    let out = compile(&policy, &t, &env, &fs).unwrap();
    assert!(allowed(
        &out.ruleset,
        Path::new("/h/.ssh/id_ed25519"),
        FsRight::ReadFile
    ));
    assert!(!allowed(
        &out.ruleset,
        Path::new("/h/.aws/credentials"),
        FsRight::ReadFile
    ));
    assert!(out.denied.iter().all(|d| d.path != Path::new("/h/.ssh")));
    // A grant on a parent of a sensitive path is carved, not refused.
    compile(&home_policy(&[("~/.cargo", Access::Allow)]), &t, &env, &fs).unwrap();
}
