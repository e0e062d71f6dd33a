//! Random trees, policies and targets, built so that the generator knows
//! which tree node every grant and denial names.

use crate::{MemFs, ResolveEnv, Target};
use nono_model::{
    Abi, Access, FileKind, FsGrant, GrantSource, NetPolicy, Policy, PolicyGrant, Scopes, UnixGrant,
};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// An index into a collection whose length is not known when it is drawn:
/// the length scales it, as [`proptest::sample::Index`] does (which cannot
/// be built from plain numbers, as a fuzz target needs). It shrinks towards
/// the first element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pick(pub usize);

impl Pick {
    /// The index this pick stands for in a collection of `len` elements (0
    /// when the collection is empty).
    pub fn index(self, len: usize) -> usize {
        // A fixed-point multiply: uniform over 0..len, for any len.
        ((len as u128 * self.0 as u128) >> usize::BITS) as usize
    }

    /// A pick from one byte, spread over the whole range, so that one byte
    /// of fuzz input picks uniformly from up to 256 elements.
    pub fn from_byte(b: u8) -> Pick {
        Pick(usize::from(b) * (usize::MAX / 255))
    }
}

impl Arbitrary for Pick {
    type Parameters = ();
    type Strategy = proptest::strategy::Map<proptest::num::usize::Any, fn(usize) -> Pick>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        any::<usize>().prop_map(Pick)
    }
}

/// Names of tree entries: `a` and `ab` so that a string-prefix check would be
/// caught confusing `/a` with `/ab`.
pub const NAMES: [&str; 6] = ["a", "ab", "b", "src", "x", "f.txt"];
/// The deepest a tree node can be (`/` is depth 0).
pub const MAX_DEPTH: usize = 4;
/// The environment variable that names the scenario's base directory.
pub const VAR: &str = "TREE";
/// The name of an entry that does not exist, in any directory: where a file
/// could be created (the checks probe it), and what a missing denial names.
pub const NEW: &str = "new";
/// The sources grants are drawn from, by index (`0..SOURCES`).
pub const SOURCES: usize = 5;
/// The sources denials are drawn from, by index (`0..DENY_SOURCES`).
pub const DENY_SOURCES: usize = 3;

/// The source of grant number `i` (`0..SOURCES`).
pub fn source(i: usize) -> GrantSource {
    match i {
        0 => GrantSource::Flag("--read".into()),
        1 => GrantSource::Flag("--write".into()),
        2 => GrantSource::Flag("--allow".into()),
        3 => GrantSource::Preset("rust".into()),
        _ => GrantSource::Preset("node".into()),
    }
}

/// The source of denial number `i` (`0..DENY_SOURCES`).
pub fn deny_source(i: usize) -> GrantSource {
    match i % DENY_SOURCES {
        0 => GrantSource::Flag("--deny".into()),
        1 => GrantSource::Builtin("sensitive paths".into()),
        _ => GrantSource::Preset("team".into()),
    }
}

/// A tree node: a directory or file named `NAMES[name]` in the directory
/// `parent` picks (among those above [`MAX_DEPTH`]). A node already there is
/// skipped.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// The parent directory.
    pub parent: Pick,
    /// An index into [`NAMES`].
    pub name: usize,
    /// A directory, or a file.
    pub dir: bool,
}

/// A symlink `lN` in the directory `dir` picks, to a real node, an earlier
/// symlink, or a missing path (dangling), written absolute or relative.
#[derive(Clone, Debug)]
pub struct LinkSpec {
    /// The directory the link is in.
    pub dir: Pick,
    /// What it points to: a real node, an earlier link, or nothing.
    pub target: Pick,
    /// The target written relative to the link's directory.
    pub relative: bool,
}

/// A grant of a tree node (or of a missing path), written in one of nine
/// forms (`form % 9`): 0 absolute; 1 relative to the working directory;
/// 2 through a symlink to it or to a directory above it; 3 `~/...`;
/// 4 `$TREE/...` or `${TREE}/...`; 5 `${NONO_UNSET:-...}`; 6 with a `..`
/// and `.` detour; 7 missing below a directory or "below" a file; 8 a
/// dangling symlink, an unset variable or a missing absolute path. Forms 7
/// and 8 are optional grants (they must be skipped).
#[derive(Clone, Debug)]
pub struct GrantSpec {
    /// How the path is written.
    pub form: u8,
    /// The node granted.
    pub target: Pick,
    /// A second choice some forms need.
    pub aux: Pick,
    /// The level.
    pub access: Access,
    /// Marked optional (forms 7 and 8 always are).
    pub optional: bool,
    /// An index into the grant sources (`0..SOURCES`).
    pub source: usize,
}

/// A denial (`--deny`, a preset's `deny`, or a built-in sensitive path).
#[derive(Clone, Debug)]
pub struct DenySpec {
    /// 0: any node but `/`; 1: a node at or below a grant's path; 2: a
    /// missing path.
    pub kind: u8,
    /// The node (among the candidates of `kind`).
    pub pick: Pick,
    /// For kind 1: which grant. For a missing path (kind 2, or a kind that
    /// finds no node), how it is written (`aux.index(8) % 4`): 0 a new name
    /// [`NEW`] in the picked node (a directory, or "below" a file); 1 two
    /// levels of new names; 2 a new name written through a symlink to the
    /// node or a directory above it; 3 a dangling symlink (possibly
    /// through a chain of them), or a new name below one. With
    /// `aux.index(8) >= 4` the node is one at or below a granted path.
    pub aux: Pick,
    /// Written through a symlink, if one leads there.
    pub via: Option<Pick>,
    /// An index into the denial sources.
    pub source: usize,
    /// Also `--expose`d (for an existing path).
    pub exposed: bool,
}

/// The policy's network, scope and logging intent.
#[derive(Clone, Debug)]
pub struct IntentSpec {
    /// The network policy.
    pub net: NetPolicy,
    /// The IPC scopes.
    pub scopes: Scopes,
    /// `--log-denials`.
    pub log_denials: bool,
    /// `--allow-sysv-ipc`.
    pub allow_sysv_ipc: bool,
    /// `--allow-unix`: nodes of the tree (their canonical paths).
    pub unix: Vec<Pick>,
}

/// Everything a [`Scenario`] is built from.
#[derive(Clone, Debug)]
pub struct ScenarioSpec {
    /// The tree's nodes.
    pub nodes: Vec<NodeSpec>,
    /// Its symlinks.
    pub links: Vec<LinkSpec>,
    /// The grants.
    pub grants: Vec<GrantSpec>,
    /// The denials.
    pub denies: Vec<DenySpec>,
    /// The working directory.
    pub cwd: Pick,
    /// The home directory, also the value of `$TREE`.
    pub base: Pick,
    /// Network, scopes, logging.
    pub intent: IntentSpec,
    /// A seed to shuffle the policy with (order-independence).
    pub shuffle: u64,
}

/// A tree of directories, files and symlinks, with what each symlink
/// resolves to.
#[derive(Clone, Debug)]
pub struct Tree {
    /// The tree.
    pub fs: MemFs,
    /// Every real (non-symlink) node, `/` first.
    pub real: Vec<(PathBuf, FileKind)>,
    /// Every symlink and the real node (an index into `real`) it finally
    /// resolves to (`None`: dangling).
    pub links: Vec<(PathBuf, Option<usize>)>,
}

impl Tree {
    /// Builds a tree from node and link specs.
    pub fn build(nodes: &[NodeSpec], links: &[LinkSpec]) -> Tree {
        let mut fs = MemFs::new();
        let mut real: Vec<(PathBuf, FileKind)> = vec![(PathBuf::from("/"), FileKind::Dir)];
        for node in nodes {
            let parents = dirs_above(&real, MAX_DEPTH);
            let parent = parents[node.parent.index(parents.len())];
            let path = real[parent].0.join(NAMES[node.name % NAMES.len()]);
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

        let mut made: Vec<(PathBuf, Option<usize>)> = Vec::new();
        for (i, link) in links.iter().enumerate() {
            let homes = dirs_above(&real, MAX_DEPTH);
            let home = real[homes[link.dir.index(homes.len())]].0.clone();
            let path = home.join(format!("l{i}"));
            let choice = link.target.index(real.len() + made.len() + 1);
            let (target, resolves_to) = if choice < real.len() {
                (real[choice].0.clone(), Some(choice))
            } else if choice < real.len() + made.len() {
                made[choice - real.len()].clone()
            } else {
                (home.join("missing"), None)
            };
            let written = if link.relative {
                relative(&home, &target)
            } else {
                text(&target)
            };
            fs.symlink(&path, written);
            made.push((path, resolves_to));
        }
        Tree {
            fs,
            real,
            links: made,
        }
    }

    /// Adds the directory `path` (absolute, canonical) and its missing
    /// ancestors, as a preset's test puts in place what the preset expects.
    /// Returns `false`, adding nothing, when `path` or one of its ancestors
    /// is a file or a symlink.
    pub fn add_dir(&mut self, path: impl AsRef<Path>) -> bool {
        let path = path.as_ref();
        let blocked = path.ancestors().any(|a| {
            self.links.iter().any(|(l, _)| l == a)
                || self
                    .real
                    .iter()
                    .any(|(p, k)| p == a && *k == FileKind::File)
        });
        if blocked || !path.is_absolute() {
            return false;
        }
        let mut missing: Vec<&Path> = path
            .ancestors()
            .filter(|a| !self.real.iter().any(|(p, _)| p == a))
            .collect();
        missing.reverse();
        for a in missing {
            self.fs.dir(a);
            self.real.push((a.to_path_buf(), FileKind::Dir));
        }
        true
    }

    /// Where the dangling symlink `link` finally points (following a chain
    /// of dangling links): the missing path its last target names. Every
    /// directory on these paths is real, so resolving them lexically is
    /// resolving them.
    pub fn dangling_end(&self, link: &Path) -> Option<PathBuf> {
        let mut at = link.to_path_buf();
        // Each link points to an earlier one, so a chain is shorter than
        // the list.
        for _ in 0..=self.links.len() {
            let target = crate::FsProbe::read_link(&self.fs, &at).ok()?;
            let next = lexical_join(at.parent()?, &target);
            if self.links.iter().any(|(l, _)| *l == next) {
                at = next;
            } else {
                return Some(next);
            }
        }
        None
    }

    /// The real directories, `/` first.
    pub fn dirs(&self) -> impl Iterator<Item = &Path> {
        self.real
            .iter()
            .filter(|(_, k)| *k == FileKind::Dir)
            .map(|(p, _)| p.as_path())
    }

    /// The paths to ask the evaluator about: every real node (with its
    /// kind), and a new entry [`NEW`] in every directory (`None`: where a
    /// file could be created).
    pub fn probe_paths(&self) -> Vec<(PathBuf, Option<FileKind>)> {
        let mut paths: Vec<(PathBuf, Option<FileKind>)> = self
            .real
            .iter()
            .map(|(p, k)| (p.clone(), Some(*k)))
            .collect();
        paths.extend(self.dirs().map(|p| (p.join(NEW), None)));
        paths
    }

    /// Node `t` (an index into `real`) written through one of the symlinks
    /// that lead to it or to a directory above it, the one `pick` chooses;
    /// `None` when no symlink leads there.
    pub fn via_link(&self, t: usize, pick: Pick) -> Option<String> {
        let path = &self.real[t].0;
        let via: Vec<String> = self
            .links
            .iter()
            .filter_map(|(link, to)| {
                let (to_path, to_kind) = &self.real[(*to)?];
                if to_path == path {
                    Some(text(link))
                } else if *to_kind == FileKind::Dir {
                    Some(format!("{}{}", text(link), suffix(path, to_path)?))
                } else {
                    None
                }
            })
            .collect();
        via.get(pick.index(via.len())).cloned()
    }
}

/// The indices of the real directories shallower than `max_depth`.
fn dirs_above(real: &[(PathBuf, FileKind)], max_depth: usize) -> Vec<usize> {
    (0..real.len())
        .filter(|&i| real[i].1 == FileKind::Dir && depth(&real[i].0) < max_depth)
        .collect()
}

/// A tree, an environment and a policy, with the node every grant and
/// denial names.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The tree.
    pub tree: Tree,
    /// The environment: a working directory and a home (also `$TREE`) in
    /// the tree.
    pub env: ResolveEnv,
    /// The policy: grants, denials, exposes, network, scopes, logging.
    pub policy: Policy,
    /// Per grant: the index in `tree.real` it resolves to, or `None` (an
    /// optional grant that must be skipped).
    pub expected: Vec<Option<usize>>,
    /// Per denial: the index in `tree.real` it names, or `None` (a path
    /// that does not exist).
    pub deny_targets: Vec<Option<usize>>,
    /// Per denial of a path that does not exist: where it would be, and its
    /// nearest existing directory (the generator's own answer: the picked
    /// directory, a file's directory, or the directory a dangling symlink's
    /// target would be created in). `None` for a denial of a node.
    pub deny_missing: Vec<Option<(PathBuf, PathBuf)>>,
    /// The `--allow-unix` paths, canonical.
    pub unix: BTreeSet<PathBuf>,
    /// A seed to shuffle the policy with.
    pub shuffle: u64,
}

/// `to` written relative to the directory `from` (both canonical).
pub fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// A generated path as text (generated paths are UTF-8).
pub fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// How many components below `/` a path is.
pub fn depth(path: &Path) -> usize {
    path.components().count() - 1
}

/// `path` relative to its ancestor-or-self `base`, as a suffix to append
/// (empty, or starting with `/`).
pub fn suffix(path: &Path, base: &Path) -> Option<String> {
    let rest = path.strip_prefix(base).ok()?;
    Some(if rest.as_os_str().is_empty() {
        String::new()
    } else {
        format!("/{}", text(rest))
    })
}

impl Scenario {
    /// Builds the scenario a spec describes.
    pub fn build(spec: ScenarioSpec) -> Scenario {
        let tree = Tree::build(&spec.nodes, &spec.links);
        let real = &tree.real;
        let all_dirs = dirs_above(real, usize::MAX);
        let cwd = real[all_dirs[spec.cwd.index(all_dirs.len())]].0.clone();
        let base = real[all_dirs[spec.base.index(all_dirs.len())]].0.clone();
        let mut env = ResolveEnv::new(cwd.clone());
        env.home = Some(base.clone());
        env.vars.insert(VAR.to_owned(), text(&base));

        let mut policy = Policy {
            net: spec.intent.net,
            scopes: spec.intent.scopes,
            log_denials: spec.intent.log_denials,
            allow_sysv_ipc: spec.intent.allow_sysv_ipc,
            ..Policy::default()
        };
        let mut expected = Vec::new();
        for g in &spec.grants {
            let (written, resolves_to) = grant_path(&tree, &cwd, &base, g);
            let mut grant = FsGrant::new(written, g.access);
            grant.optional = g.optional || resolves_to.is_none();
            policy.add(grant, source(g.source % SOURCES));
            expected.push(resolves_to);
        }
        // A preset's grant through a link in the working directory, the
        // home or a writable grant would be refused (see `redirect`); the
        // properties here are about lowering, so such a grant is the user's
        // own. Removing grants (`clean_policy`) only removes places, so
        // this holds for the cleaned policy too.
        for i in crate::resolve::redirected_grants(&policy, &env, &tree.fs) {
            let g = &mut policy.grants[i];
            g.source = GrantSource::Flag(format!("--{}", g.grant.access.word()));
        }

        let mut unix = BTreeSet::new();
        for pick in &spec.intent.unix {
            let path = real[pick.index(real.len())].0.clone();
            policy.unix.push(UnixGrant {
                path: text(&path),
                source: GrantSource::Flag("--allow-unix".into()),
            });
            unix.insert(path);
        }

        let granted: Vec<usize> = expected.iter().flatten().copied().collect();
        let mut deny_targets = Vec::new();
        let mut deny_missing = Vec::new();
        for d in &spec.denies {
            let target = match d.kind % 3 {
                0 if real.len() > 1 => Some(1 + d.pick.index(real.len() - 1)),
                1 if !granted.is_empty() => {
                    let g = &real[granted[d.aux.index(granted.len())]].0;
                    let below: Vec<usize> = (1..real.len())
                        .filter(|&i| real[i].0.starts_with(g))
                        .collect();
                    (!below.is_empty()).then(|| below[d.pick.index(below.len())])
                }
                _ => None,
            };
            let (path, missing) = match target {
                Some(t) => {
                    let path = d
                        .via
                        .and_then(|via| tree.via_link(t, via))
                        .unwrap_or_else(|| text(&real[t].0));
                    (path, None)
                }
                None => {
                    let (written, would_be, nearest) = missing_denial(&tree, d, &granted);
                    (written, Some((would_be, nearest)))
                }
            };
            policy.deny(path, deny_source(d.source));
            if let (true, Some(t)) = (d.exposed, target) {
                policy.exposes.push(text(&real[t].0));
            }
            deny_targets.push(target);
            deny_missing.push(missing);
        }

        Scenario {
            tree,
            env,
            policy,
            expected,
            deny_targets,
            deny_missing,
            unix,
            shuffle: spec.shuffle,
        }
    }

    /// The exposed paths (canonical, as the generator writes them).
    pub fn exposed(&self) -> Vec<PathBuf> {
        self.policy.exposes.iter().map(PathBuf::from).collect()
    }

    /// Whether `p` is at or below an exposed path.
    pub fn is_exposed(&self, p: &Path) -> bool {
        self.policy.exposes.iter().any(|e| p.starts_with(e))
    }

    /// `D`: the existing denials not at or below an exposed path.
    pub fn effective_denied(&self) -> BTreeSet<PathBuf> {
        self.deny_targets
            .iter()
            .flatten()
            .map(|&t| self.tree.real[t].0.clone())
            .filter(|d| !self.is_exposed(d))
            .collect()
    }

    /// The effective denials of paths that do not exist (not at or below an
    /// exposed path): where each would be, with its nearest existing
    /// directory.
    pub fn effective_missing(&self) -> BTreeMap<PathBuf, PathBuf> {
        self.deny_missing
            .iter()
            .flatten()
            .filter(|(path, _)| !self.is_exposed(path))
            .cloned()
            .collect()
    }

    /// The indices of the *offending* grants, in policy order: those at or
    /// below an effective denial and not at or below an exposed path.
    pub fn offending(&self) -> Vec<usize> {
        let denied = self.effective_denied();
        (0..self.expected.len())
            .filter(|&i| {
                self.expected[i].is_some_and(|t| {
                    let p = &self.tree.real[t].0;
                    denied.iter().any(|d| p.starts_with(d)) && !self.is_exposed(p)
                })
            })
            .collect()
    }

    /// The policy without its offending grants (the whole policy when
    /// nothing is denied).
    pub fn clean_policy(&self) -> Policy {
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
    pub fn undenied_policy(&self) -> Policy {
        let mut policy = self.clean_policy();
        policy.denies.clear();
        policy.exposes.clear();
        policy
    }

    /// The grants of the clean policy that resolve, each with its node.
    pub fn granted(&self) -> Vec<(&PolicyGrant, usize)> {
        let offending = self.offending();
        self.policy
            .grants
            .iter()
            .zip(&self.expected)
            .enumerate()
            .filter(|(i, _)| !offending.contains(i))
            .filter_map(|(_, (pg, t))| t.map(|t| (pg, t)))
            .collect()
    }

    /// The scenario's policy with other grants.
    pub fn policy_with(&self, grants: Vec<PolicyGrant>) -> Policy {
        let mut policy = self.policy.clone();
        policy.grants = grants;
        policy
    }
}

/// A denial of a path that does not exist, as [`DenySpec::aux`] says to
/// write it: the text, where the path would be, and its nearest existing
/// directory (where its first missing component would be created).
fn missing_denial(tree: &Tree, d: &DenySpec, granted: &[usize]) -> (String, PathBuf, PathBuf) {
    let real = &tree.real;
    let form = d.aux.index(8);
    // Half the time a node at or below a granted path, where the missing
    // path could be created.
    let below: Vec<usize> = if form >= 4 && !granted.is_empty() {
        let g = &real[granted[d.pick.index(granted.len())]].0;
        (0..real.len())
            .filter(|&i| real[i].0.starts_with(g))
            .collect()
    } else {
        Vec::new()
    };
    let t = if below.is_empty() {
        d.pick.index(real.len())
    } else {
        below[d.via.unwrap_or(d.aux).index(below.len())]
    };
    let (node, kind) = &real[t];
    // Below a file, the file would have to be replaced by a directory
    // first, in its own directory.
    let nearest = match kind {
        FileKind::Dir => node.clone(),
        FileKind::File => node.parent().unwrap_or(Path::new("/")).to_path_buf(),
    };
    let new = node.join(NEW);
    match form % 4 {
        1 => {
            let deeper = new.join(NEW);
            (text(&deeper), deeper, nearest)
        }
        2 => match tree.via_link(t, d.via.unwrap_or(d.pick)) {
            Some(via) => (format!("{via}/{NEW}"), new, nearest),
            None => (text(&new), new, nearest),
        },
        3 => {
            let dangling: Vec<&PathBuf> = tree
                .links
                .iter()
                .filter(|(_, to)| to.is_none())
                .map(|(link, _)| link)
                .collect();
            let chosen = dangling
                .get(d.via.unwrap_or(d.pick).index(dangling.len()))
                .and_then(|link| Some((*link, tree.dangling_end(link)?)));
            match chosen {
                Some((link, end)) => {
                    let nearest = end.parent().unwrap_or(Path::new("/")).to_path_buf();
                    if d.pick.index(2) == 0 {
                        (text(link), end, nearest)
                    } else {
                        (format!("{}/{NEW}", text(link)), end.join(NEW), nearest)
                    }
                }
                None => (text(&new), new, nearest),
            }
        }
        _ => (text(&new), new, nearest),
    }
}

/// `base` joined with `rel` and normalised lexically (`.` dropped, `..`
/// taking one component off).
fn lexical_join(base: &Path, rel: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in base.join(rel).components() {
        match c {
            std::path::Component::Normal(name) => out.push(name),
            std::path::Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// How grant `g` is written, and the node it resolves to.
fn grant_path(tree: &Tree, cwd: &Path, base: &Path, g: &GrantSpec) -> (String, Option<usize>) {
    let real = &tree.real;
    let t = g.target.index(real.len());
    let (path, kind) = &real[t];
    let absolute = text(path);
    match g.form % 9 {
        0 => (absolute, Some(t)),
        1 => (relative(cwd, path), Some(t)),
        2 => (tree.via_link(t, g.aux).unwrap_or(absolute), Some(t)),
        3 => match suffix(path, base) {
            Some(rest) => (format!("~{rest}"), Some(t)),
            None => (absolute, Some(t)),
        },
        4 => match suffix(path, base) {
            Some(rest) if g.aux.index(2) == 0 => (format!("${{{VAR}}}{rest}"), Some(t)),
            Some(rest) => (format!("${VAR}{rest}"), Some(t)),
            None => (absolute, Some(t)),
        },
        5 => (format!("${{NONO_UNSET:-{absolute}}}"), Some(t)),
        6 => {
            // `/p/../p/./name`: a detour through `..` and `.`.
            match (path.parent(), path.file_name()) {
                (Some(parent), Some(name)) if depth(parent) >= 1 => match parent.file_name() {
                    Some(pname) => {
                        let detour = parent.join("..").join(pname).join(".").join(name);
                        (text(&detour), Some(t))
                    }
                    None => (absolute, Some(t)),
                },
                _ => (absolute, Some(t)),
            }
        }
        7 => {
            // Missing below a directory, or "below" a file (ENOTDIR).
            let leaf = if *kind == FileKind::Dir { "nope" } else { "x" };
            (text(&path.join(leaf)), None)
        }
        _ => {
            let dangling = tree.links.iter().find(|(_, to)| to.is_none());
            match (g.aux.index(3), dangling) {
                (0, Some((link, _))) => (text(link), None),
                (1, _) => ("$NONO_UNSET/x".to_owned(), None),
                _ => ("/nope/x".to_owned(), None),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------

/// A level: Read, Write or Allow.
pub fn access() -> impl Strategy<Value = Access> {
    prop_oneof![Just(Access::Read), Just(Access::Write), Just(Access::Allow)]
}

/// Ports drawn mostly from a small range, so that connect and bind sets
/// overlap, and sometimes from anywhere.
pub fn ports() -> impl Strategy<Value = BTreeSet<u16>> {
    proptest::collection::btree_set(prop_oneof![3 => 0u16..6, 1 => any::<u16>()], 0..=4)
}

/// Unrestricted, blocked, or port rules with random TCP and UDP connect and
/// bind ports.
pub fn net_policy() -> impl Strategy<Value = NetPolicy> {
    prop_oneof![
        Just(NetPolicy::Unrestricted),
        Just(NetPolicy::Block),
        (ports(), ports(), ports(), ports()).prop_map(|(connect, bind, udp_connect, udp_bind)| {
            NetPolicy::Ports {
                connect,
                bind,
                udp_connect,
                udp_bind,
            }
        }),
    ]
}

/// Random IPC scopes.
pub fn scopes() -> impl Strategy<Value = Scopes> {
    (any::<bool>(), any::<bool>()).prop_map(|(signals, abstract_unix)| Scopes {
        signals,
        abstract_unix,
    })
}

/// A random network policy, scopes, `--log-denials`, `--allow-sysv-ipc`
/// and up to three `--allow-unix` nodes.
pub fn intent() -> impl Strategy<Value = IntentSpec> {
    (
        net_policy(),
        scopes(),
        any::<bool>(),
        any::<bool>(),
        vec(any::<Pick>(), 0..=3),
    )
        .prop_map(
            |(net, scopes, log_denials, allow_sysv_ipc, unix)| IntentSpec {
                net,
                scopes,
                log_denials,
                allow_sysv_ipc,
                unix,
            },
        )
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    (any::<Pick>(), 0..NAMES.len(), prop::bool::weighted(0.6))
        .prop_map(|(parent, name, dir)| NodeSpec { parent, name, dir })
}

fn link_spec() -> impl Strategy<Value = LinkSpec> {
    (any::<Pick>(), any::<Pick>(), any::<bool>()).prop_map(|(dir, target, relative)| LinkSpec {
        dir,
        target,
        relative,
    })
}

fn grant_spec() -> impl Strategy<Value = GrantSpec> {
    (
        0u8..9,
        any::<Pick>(),
        any::<Pick>(),
        access(),
        prop::bool::weighted(0.2),
        0..SOURCES,
    )
        .prop_map(|(form, target, aux, access, optional, source)| GrantSpec {
            form,
            target,
            aux,
            access,
            optional,
            source,
        })
}

fn deny_spec() -> impl Strategy<Value = DenySpec> {
    (
        prop_oneof![3 => Just(0u8), 5 => Just(1u8), 2 => Just(2u8)],
        any::<Pick>(),
        any::<Pick>(),
        prop::option::weighted(0.3, any::<Pick>()),
        0..DENY_SOURCES,
        prop::bool::weighted(0.15),
    )
        .prop_map(|(kind, pick, aux, via, source, exposed)| DenySpec {
            kind,
            pick,
            aux,
            via,
            source,
            exposed,
        })
}

/// A random tree: 1 to 18 nodes (directories and files, depth at most
/// [`MAX_DEPTH`]) and up to 4 symlinks (to nodes, to other symlinks, or
/// dangling; absolute or relative).
pub fn tree() -> impl Strategy<Value = Tree> {
    (vec(node_spec(), 1..=18), vec(link_spec(), 0..=4))
        .prop_map(|(nodes, links)| Tree::build(&nodes, &links))
}

/// A random scenario without denials: a tree as [`tree`] makes, a working
/// directory and a home in it, up to 10 grants in every form
/// [`GrantSpec`] lists, and a random network policy, scopes and logging.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    scenario_of(1..=18, 0..=4, 0..=10, 0..=0)
}

/// A random scenario with denials: a tree of 1 to 16 nodes and up to 3
/// symlinks, up to 6 grants and up to 5 denials (a node anywhere, a node at
/// or below a grant's path, or a missing path; some of them exposed).
pub fn scenario_with_denies() -> impl Strategy<Value = Scenario> {
    scenario_of(1..=16, 0..=3, 0..=6, 0..=5)
}

fn scenario_of(
    nodes: std::ops::RangeInclusive<usize>,
    links: std::ops::RangeInclusive<usize>,
    grants: std::ops::RangeInclusive<usize>,
    denies: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Scenario> {
    (
        vec(node_spec(), nodes),
        vec(link_spec(), links),
        vec(grant_spec(), grants),
        vec(deny_spec(), denies),
        any::<Pick>(),
        any::<Pick>(),
        intent(),
        any::<u64>(),
    )
        .prop_map(
            |(nodes, links, grants, denies, cwd, base, intent, shuffle)| {
                Scenario::build(ScenarioSpec {
                    nodes,
                    links,
                    grants,
                    denies,
                    cwd,
                    base,
                    intent,
                    shuffle,
                })
            },
        )
}

// ---------------------------------------------------------------------------
// Targets.
// ---------------------------------------------------------------------------

/// A target whose effective ABI is `abi` (one of [`Abi::known`]), reached
/// in one of three ways picked by `form`: the kernel's own ABI (a newer
/// kernel than nono knows when `abi` is [`Abi::LATEST`]), an `abi_limit`
/// below a newer kernel, or a kernel below a higher `abi_limit`. `extra`
/// (0..3) is how much newer.
pub fn target_for(abi: u8, form: u8, extra: u8) -> Target {
    match form % 3 {
        0 if abi == Abi::LATEST.0 => Target {
            kernel_abi: Some(Abi(abi.saturating_add(extra))),
            abi_limit: None,
            user_namespaces: false,
        },
        0 => Target::kernel(Abi(abi)),
        1 => Target {
            kernel_abi: Some(Abi(abi.saturating_add(extra))),
            abi_limit: Some(Abi(abi)),
            user_namespaces: false,
        },
        _ => Target {
            kernel_abi: Some(Abi(abi)),
            abi_limit: Some(Abi(abi.saturating_add(extra))),
            user_namespaces: false,
        },
    }
}

/// One (form, extra) seed per ABI of [`Abi::known`], for [`target_for`].
pub type TargetSeeds = [(u8, u8); Abi::COUNT];

/// One ABI of [`Abi::known`], as its number: where a property takes the
/// ABI as a parameter.
pub fn known_abi() -> impl Strategy<Value = u8> {
    proptest::sample::select(Abi::known().map(|abi| abi.0).collect::<Vec<u8>>())
}

/// Random [`TargetSeeds`].
pub fn target_seeds() -> impl Strategy<Value = TargetSeeds> {
    proptest::array::uniform((0u8..3, 0u8..3))
}

/// Every ABI of [`Abi::known`] with the target the seeds pick for it.
pub fn targets(seeds: &TargetSeeds) -> impl Iterator<Item = (u8, Target)> + '_ {
    Abi::known()
        .zip(seeds)
        .map(|(abi, &(form, extra))| (abi.0, target_for(abi.0, form % 3, extra % 3)))
}
