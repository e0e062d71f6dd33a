//! Property tests for the compiler: `compile` checked against an independent
//! reference model on random in-memory trees.
//!
//! Each case builds a random [`MemFs`] tree (directories, files, a few
//! symlinks, depth at most 4, at most ~25 nodes) and a random [`Policy`] whose
//! grants name paths of the tree in several ways (absolute, relative to a
//! working directory inside the tree, through symlinks, through `~`, `$VAR`,
//! `${VAR:-default}`, with `.` and `..` detours), plus optional grants on
//! paths that do not resolve, and a random network policy (unrestricted,
//! blocked, or port rules with random connect and bind ports), random IPC
//! scopes and a random `--log-denials`. The generator knows, by construction, which
//! tree node each grant must resolve to, so the reference model below never
//! asks the compiler (or `MemFs`) how a path resolves.
//!
//! The reference model is the access table of DESIGN.md section 2, written
//! out again here: Read = ReadFile, ReadDir, Execute; Write = WriteFile,
//! RemoveFile, RemoveDir, MakeDir, MakeReg, MakeSock, MakeFifo, MakeSym,
//! Truncate (ABI 3+), Refer (ABI 2+); Allow = Read ∪ Write ∪ IoctlDev
//! (ABI 5+); MakeChar and MakeBlock are never granted; directory-only rights
//! do not come from a grant on a file. A grant on a directory applies to
//! everything beneath it. For the network and IPC (DESIGN.md sections 2 and
//! 3): TCP bind and connect are handled from ABI 4 when any `--net-*` is
//! given, with one port rule per listed port; the seccomp socket filter is
//! UnixOnly for a block and TcpUdpOnly for port rules at every ABI; the
//! scopes asked for are enforced from ABI 6; denial logging from ABI 7.
//!
//! Properties, for every ABI 1..=7 (given as the kernel's ABI, or as an
//! `abi_limit` below a newer kernel):
//!
//! - **sound**: the evaluator never allows a handled right the reference does
//!   not grant, and the handled set is exactly the ABI's full set;
//! - **complete**: every right the reference grants is allowed;
//! - **order-independent**: shuffling the grants changes nothing;
//! - **idempotent**: duplicating the grants, or compiling the ruleset's own
//!   rules back as a policy, gives the same ruleset;
//! - **normalised**: sorted, unique paths, no rule covered by its ancestors,
//!   and every dropped (`covered`) rule really is covered;
//! - **file rules** carry no directory-only right, and every rule's rights are
//!   exactly its levels' rights at the ABI;
//! - **monotone across ABIs**: a right handled at ABI n is decided the same
//!   way at ABI n+1 (network rights and scopes too), and the gaps only
//!   shrink;
//! - **network, scopes, logging**: handled net rights, port rules, socket
//!   filter, scoped set and `log_new_exec` are exactly the reference's at
//!   each ABI, and port lists are order-independent;
//! - **status**: the predicted status, its gaps (`truncate`, `net_tcp`,
//!   `ioctl_dev`, `scope`, `net_udp`) and notes for each ABI;
//! - **resolution**: each grant resolves to the node the generator meant, a
//!   missing required path is an error naming it.
//!
//! Plus a few example-based tests of the same behaviour on small fixed trees.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nono_compile::{
    CompileError, Compiled, FsProbe, MemFs, Resolution, ResolveEnv, Target, allowed, compile,
};
use nono_model::{
    Abi, Access, AccessLevels, EnforcementStatus, FileKind, FsGrant, FsRight, FsRights,
    GrantSource, NetPolicy, NetRights, Policy, PortRule, ScopeSet, Scopes, SocketFilter,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// The reference model (DESIGN.md section 2), independent of the passes.
// ---------------------------------------------------------------------------

/// The 13 filesystem rights of ABI 1.
const V1_RIGHTS: [FsRight; 13] = [
    FsRight::Execute,
    FsRight::WriteFile,
    FsRight::ReadFile,
    FsRight::ReadDir,
    FsRight::RemoveDir,
    FsRight::RemoveFile,
    FsRight::MakeChar,
    FsRight::MakeDir,
    FsRight::MakeReg,
    FsRight::MakeSock,
    FsRight::MakeFifo,
    FsRight::MakeBlock,
    FsRight::MakeSym,
];

/// Rights that mean something only on a directory.
const REF_DIRECTORY_ONLY: [FsRight; 11] = [
    FsRight::ReadDir,
    FsRight::RemoveDir,
    FsRight::RemoveFile,
    FsRight::MakeChar,
    FsRight::MakeDir,
    FsRight::MakeReg,
    FsRight::MakeSock,
    FsRight::MakeFifo,
    FsRight::MakeBlock,
    FsRight::MakeSym,
    FsRight::Refer,
];

/// Every right ABI `abi` knows (all of them handled).
fn ref_handled(abi: u8) -> FsRights {
    let mut rights = FsRights::of(&V1_RIGHTS);
    if abi >= 2 {
        rights |= FsRight::Refer.into();
    }
    if abi >= 3 {
        rights |= FsRight::Truncate.into();
    }
    if abi >= 5 {
        rights |= FsRight::IoctlDev.into();
    }
    rights
}

/// The number of rights handled at `abi`.
fn ref_handled_count(abi: u8) -> usize {
    match abi {
        1 => 13,
        2 => 14,
        3 | 4 => 15,
        _ => 16,
    }
}

/// The rights `access` stands for at `abi`, on a directory.
fn ref_level(access: Access, abi: u8) -> FsRights {
    let read = FsRights::of(&[FsRight::ReadFile, FsRight::ReadDir, FsRight::Execute]);
    let mut write = FsRights::of(&[
        FsRight::WriteFile,
        FsRight::RemoveFile,
        FsRight::RemoveDir,
        FsRight::MakeDir,
        FsRight::MakeReg,
        FsRight::MakeSock,
        FsRight::MakeFifo,
        FsRight::MakeSym,
    ]);
    if abi >= 3 {
        write |= FsRight::Truncate.into();
    }
    if abi >= 2 {
        write |= FsRight::Refer.into();
    }
    match access {
        Access::Read => read,
        Access::Write => write,
        Access::Allow if abi >= 5 => read | write | FsRight::IoctlDev.into(),
        Access::Allow => read | write,
    }
}

/// The rights a grant of `access` on a path of `kind` gives at `abi`.
fn ref_grant(access: Access, kind: FileKind, abi: u8) -> FsRights {
    let rights = ref_level(access, abi);
    match kind {
        FileKind::Dir => rights,
        FileKind::File => rights.without(FsRights::of(&REF_DIRECTORY_ONLY)),
    }
}

/// The rights a set of levels gives on a path of `kind` at `abi`.
fn ref_levels(levels: AccessLevels, kind: FileKind, abi: u8) -> FsRights {
    levels
        .iter()
        .fold(FsRights::EMPTY, |acc, a| acc | ref_grant(a, kind, abi))
}

/// What the policy of `s` grants on `path` at `abi`, by the reference model:
/// the union of the rights of every grant resolving to `path` or to a
/// directory above it.
fn ref_rights_on(s: &Scenario, path: &Path, abi: u8) -> FsRights {
    s.policy
        .grants
        .iter()
        .zip(&s.expected)
        .filter_map(|(pg, target)| target.map(|t| (pg.grant.access, &s.real[t])))
        .filter(|(_, (gpath, gkind))| {
            gpath == path || (*gkind == FileKind::Dir && path.starts_with(gpath))
        })
        .fold(FsRights::EMPTY, |acc, (access, (_, gkind))| {
            acc | ref_grant(access, *gkind, abi)
        })
}

/// The union of the levels the policy of `s` grants on exactly `path`.
fn ref_levels_at(s: &Scenario, path: &Path) -> AccessLevels {
    s.policy
        .grants
        .iter()
        .zip(&s.expected)
        .filter(|(_, target)| target.is_some_and(|t| s.real[t].0 == path))
        .fold(AccessLevels::EMPTY, |acc, (pg, _)| {
            acc.union(pg.grant.access.into())
        })
}

/// The network rights Landlock handles at `abi`: both TCP rights from ABI 4
/// when any network restriction is asked for, else none.
fn ref_handled_net(net: &NetPolicy, abi: u8) -> NetRights {
    if abi >= 4 && *net != NetPolicy::Unrestricted {
        NetRights::BIND_TCP | NetRights::CONNECT_TCP
    } else {
        NetRights::EMPTY
    }
}

/// The TCP port rules at `abi`, sorted by port: one per port of the union
/// of the connect and bind sets, with connect and/or bind as listed. None
/// under a block (every port denied), none below ABI 4.
fn ref_port_rules(net: &NetPolicy, abi: u8) -> Vec<PortRule> {
    let NetPolicy::Ports { connect, bind } = net else {
        return Vec::new();
    };
    if abi < 4 {
        return Vec::new();
    }
    let all: BTreeSet<u16> = connect.union(bind).copied().collect();
    all.into_iter()
        .map(|port| {
            let mut rights = NetRights::EMPTY;
            if connect.contains(&port) {
                rights |= NetRights::CONNECT_TCP;
            }
            if bind.contains(&port) {
                rights |= NetRights::BIND_TCP;
            }
            PortRule { port, rights }
        })
        .collect()
}

/// The seccomp socket filter, the same at every ABI.
fn ref_socket_filter(net: &NetPolicy) -> Option<SocketFilter> {
    match net {
        NetPolicy::Unrestricted => None,
        NetPolicy::Block => Some(SocketFilter::UnixOnly),
        NetPolicy::Ports { .. } => Some(SocketFilter::TcpUdpOnly),
    }
}

/// The scopes Landlock enforces at `abi`: those asked for, from ABI 6.
fn ref_scoped(scopes: Scopes, abi: u8) -> ScopeSet {
    let mut set = ScopeSet::EMPTY;
    if abi >= 6 && scopes.signals {
        set = set | ScopeSet::SIGNAL;
    }
    if abi >= 6 && scopes.abstract_unix {
        set = set | ScopeSet::ABSTRACT_UNIX_SOCKET;
    }
    set
}

/// The gaps at `abi`, in pipeline order: `truncate` below 3; `net_tcp`
/// below 4 for port rules (a block is still enforced, by seccomp);
/// `ioctl_dev` below 5; `scope` below 6 when a scope is asked for;
/// `net_udp` (ABI 10) at every ABI for port rules.
fn ref_gaps(policy: &Policy, abi: u8) -> Vec<(&'static str, Abi)> {
    let ports = matches!(policy.net, NetPolicy::Ports { .. });
    let mut want = Vec::new();
    if abi < 3 {
        want.push(("truncate", Abi(3)));
    }
    if abi < 4 && ports {
        want.push(("net_tcp", Abi(4)));
    }
    if abi < 5 {
        want.push(("ioctl_dev", Abi(5)));
    }
    if abi < 6 && policy.scopes.any() {
        want.push(("scope", Abi(6)));
    }
    if ports {
        want.push(("net_udp", Abi(10)));
    }
    want
}

// ---------------------------------------------------------------------------
// Targets.
// ---------------------------------------------------------------------------

/// A target whose effective ABI is `abi` (1..=7), reached in one of three
/// ways picked by `form`: the kernel's own ABI (a newer kernel than nono knows
/// when `abi` is 7), an `abi_limit` below a newer kernel, or a kernel below a
/// higher `abi_limit`. `extra` (0..=2) is how much newer.
fn target_for(abi: u8, form: u8, extra: u8) -> Target {
    match form % 3 {
        0 if abi == 7 => Target {
            kernel_abi: Some(Abi(7 + extra)),
            abi_limit: None,
        },
        0 => Target::kernel(Abi(abi)),
        1 => Target {
            kernel_abi: Some(Abi(abi + extra)),
            abi_limit: Some(Abi(abi)),
        },
        _ => Target {
            kernel_abi: Some(Abi(abi)),
            abi_limit: Some(Abi(abi + extra)),
        },
    }
}

/// One (form, extra) seed per ABI 1..=7.
type TargetSeeds = [(u8, u8); 7];

fn target_seeds() -> impl Strategy<Value = TargetSeeds> {
    proptest::array::uniform7((0u8..3, 0u8..3))
}

/// Every ABI 1..=7 with the target the seeds pick for it.
fn targets(seeds: &TargetSeeds) -> impl Iterator<Item = (u8, Target)> + '_ {
    (1u8..=7).map(move |abi| {
        let (form, extra) = seeds[usize::from(abi - 1)];
        (abi, target_for(abi, form, extra))
    })
}

// ---------------------------------------------------------------------------
// Random trees and policies.
// ---------------------------------------------------------------------------

/// Names of tree entries: `a` and `ab` so that a string-prefix check would be
/// caught confusing `/a` with `/ab`.
const NAMES: [&str; 6] = ["a", "ab", "b", "src", "x", "f.txt"];
const MAX_DEPTH: usize = 4;
const VAR: &str = "TREE";

/// The sources grants are drawn from, by index (`0..SOURCES`).
const SOURCES: usize = 5;

fn source(i: usize) -> GrantSource {
    match i {
        0 => GrantSource::Flag("--read".into()),
        1 => GrantSource::Flag("--write".into()),
        2 => GrantSource::Flag("--allow".into()),
        3 => GrantSource::Preset("rust".into()),
        _ => GrantSource::Preset("node".into()),
    }
}

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
    relative: bool,
}

#[derive(Clone, Debug)]
struct GrantSpec {
    form: u8,
    target: Index,
    aux: Index,
    access: Access,
    optional: bool,
    source: usize,
}

#[derive(Clone, Debug)]
struct ScenarioSpec {
    nodes: Vec<NodeSpec>,
    links: Vec<LinkSpec>,
    grants: Vec<GrantSpec>,
    cwd: Index,
    base: Index,
    intent: IntentSpec,
}

/// The policy's network, scope and logging intent.
#[derive(Clone, Debug)]
struct IntentSpec {
    net: NetPolicy,
    scopes: Scopes,
    log_denials: bool,
}

/// A tree, an environment and a policy, with what each grant must resolve to.
#[derive(Clone, Debug)]
struct Scenario {
    fs: MemFs,
    /// Every real (non-symlink) node, `/` first.
    real: Vec<(PathBuf, FileKind)>,
    /// Every symlink and the real node it finally resolves to (`None`:
    /// dangling).
    links: Vec<(PathBuf, Option<usize>)>,
    env: ResolveEnv,
    policy: Policy,
    /// Per grant: the index in `real` it resolves to, or `None` (an optional
    /// grant that must be skipped).
    expected: Vec<Option<usize>>,
}

/// `to` written relative to the directory `from` (both canonical).
fn relative(from: &Path, to: &Path) -> String {
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

fn text(path: &Path) -> String {
    path.to_str().expect("generated paths are UTF-8").to_owned()
}

fn depth(path: &Path) -> usize {
    path.components().count() - 1
}

/// `path` relative to its ancestor-or-self `base`, as a suffix to append
/// (empty, or starting with `/`).
fn suffix(path: &Path, base: &Path) -> Option<String> {
    let rest = path.strip_prefix(base).ok()?;
    Some(if rest.as_os_str().is_empty() {
        String::new()
    } else {
        format!("/{}", text(rest))
    })
}

fn build(spec: ScenarioSpec) -> Scenario {
    let mut fs = MemFs::new();
    let mut real: Vec<(PathBuf, FileKind)> = vec![(PathBuf::from("/"), FileKind::Dir)];
    let dirs = |real: &[(PathBuf, FileKind)], max_depth: usize| -> Vec<usize> {
        (0..real.len())
            .filter(|&i| real[i].1 == FileKind::Dir && depth(&real[i].0) < max_depth)
            .collect()
    };

    for node in &spec.nodes {
        let parents = dirs(&real, MAX_DEPTH);
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

    let mut links: Vec<(PathBuf, Option<usize>)> = Vec::new();
    for (i, link) in spec.links.iter().enumerate() {
        let homes = dirs(&real, MAX_DEPTH);
        let home = &real[homes[link.dir.index(homes.len())]].0;
        let path = home.join(format!("l{i}"));
        let choice = link.target.index(real.len() + links.len() + 1);
        let (target, resolves_to) = if choice < real.len() {
            (real[choice].0.clone(), Some(choice))
        } else if choice < real.len() + links.len() {
            links[choice - real.len()].clone()
        } else {
            (home.join("missing"), None)
        };
        let written = if link.relative {
            relative(home, &target)
        } else {
            text(&target)
        };
        fs.symlink(&path, written);
        links.push((path, resolves_to));
    }

    let all_dirs = dirs(&real, usize::MAX);
    let cwd = real[all_dirs[spec.cwd.index(all_dirs.len())]].0.clone();
    let base = real[all_dirs[spec.base.index(all_dirs.len())]].0.clone();
    let mut env = ResolveEnv::new(cwd.clone());
    env.home = Some(base.clone());
    env.vars.insert(VAR.to_owned(), text(&base));

    let mut policy = Policy {
        net: spec.intent.net,
        scopes: spec.intent.scopes,
        log_denials: spec.intent.log_denials,
        ..Policy::default()
    };
    let mut expected = Vec::new();
    for g in &spec.grants {
        let t = g.target.index(real.len());
        let (path, kind) = &real[t];
        let absolute = text(path);
        let (written, resolves_to) = match g.form % 9 {
            0 => (absolute, Some(t)),
            1 => (relative(&cwd, path), Some(t)),
            2 => {
                // Through a symlink to the node or to a directory above it.
                let via: Vec<(&PathBuf, String)> = links
                    .iter()
                    .filter_map(|(link, to)| {
                        let (to_path, to_kind) = &real[(*to)?];
                        if to_path == path {
                            Some((link, String::new()))
                        } else if *to_kind == FileKind::Dir {
                            Some((link, suffix(path, to_path)?))
                        } else {
                            None
                        }
                    })
                    .collect();
                match via.get(g.aux.index(via.len().max(1))) {
                    Some((link, rest)) => (format!("{}{rest}", text(link)), Some(t)),
                    None => (absolute, Some(t)),
                }
            }
            3 => match suffix(path, &base) {
                Some(rest) => (format!("~{rest}"), Some(t)),
                None => (absolute, Some(t)),
            },
            4 => match suffix(path, &base) {
                Some(rest) if g.aux.index(2) == 0 => (format!("${{{VAR}}}{rest}"), Some(t)),
                Some(rest) => (format!("${VAR}{rest}"), Some(t)),
                None => (absolute, Some(t)),
            },
            5 => (format!("${{NONO_UNSET:-{absolute}}}"), Some(t)),
            6 => {
                // `/p/../p/./name`: a detour through `..` and `.`.
                match (path.parent(), path.file_name()) {
                    (Some(parent), Some(name)) if depth(parent) >= 1 => {
                        let pname = parent.file_name().expect("a non-root parent has a name");
                        let detour = parent.join("..").join(pname).join(".").join(name);
                        (text(&detour), Some(t))
                    }
                    _ => (absolute, Some(t)),
                }
            }
            7 => {
                // Missing below a directory, or "below" a file (ENOTDIR).
                let leaf = if *kind == FileKind::Dir { "nope" } else { "x" };
                (text(&path.join(leaf)), None)
            }
            _ => {
                let dangling: Vec<&PathBuf> = links
                    .iter()
                    .filter(|(_, to)| to.is_none())
                    .map(|(l, _)| l)
                    .collect();
                match (g.aux.index(3), dangling.first()) {
                    (0, Some(link)) => (text(link), None),
                    (1, _) => ("$NONO_UNSET/x".to_owned(), None),
                    _ => ("/nope/x".to_owned(), None),
                }
            }
        };
        let mut grant = FsGrant::new(written, g.access);
        grant.optional = g.optional || resolves_to.is_none();
        policy.add(grant, source(g.source));
        expected.push(resolves_to);
    }

    Scenario {
        fs,
        real,
        links,
        env,
        policy,
        expected,
    }
}

fn access() -> impl Strategy<Value = Access> {
    prop_oneof![Just(Access::Read), Just(Access::Write), Just(Access::Allow)]
}

/// Ports drawn mostly from a small range, so that connect and bind sets
/// overlap, and sometimes from anywhere.
fn ports() -> impl Strategy<Value = BTreeSet<u16>> {
    proptest::collection::btree_set(prop_oneof![3 => 0u16..6, 1 => any::<u16>()], 0..=4)
}

fn net_policy() -> impl Strategy<Value = NetPolicy> {
    prop_oneof![
        Just(NetPolicy::Unrestricted),
        Just(NetPolicy::Block),
        (ports(), ports()).prop_map(|(connect, bind)| NetPolicy::Ports { connect, bind }),
    ]
}

fn scopes() -> impl Strategy<Value = Scopes> {
    (any::<bool>(), any::<bool>()).prop_map(|(signals, abstract_unix)| Scopes {
        signals,
        abstract_unix,
    })
}

fn intent() -> impl Strategy<Value = IntentSpec> {
    (net_policy(), scopes(), any::<bool>()).prop_map(|(net, scopes, log_denials)| IntentSpec {
        net,
        scopes,
        log_denials,
    })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let node = (any::<Index>(), 0..NAMES.len(), prop::bool::weighted(0.6))
        .prop_map(|(parent, name, dir)| NodeSpec { parent, name, dir });
    let link =
        (any::<Index>(), any::<Index>(), any::<bool>()).prop_map(|(dir, target, relative)| {
            LinkSpec {
                dir,
                target,
                relative,
            }
        });
    let grant = (
        0u8..9,
        any::<Index>(),
        any::<Index>(),
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
        });
    (
        vec(node, 1..=18),
        vec(link, 0..=4),
        vec(grant, 0..=10),
        any::<Index>(),
        any::<Index>(),
        intent(),
    )
        .prop_map(|(nodes, links, grants, cwd, base, intent)| {
            build(ScenarioSpec {
                nodes,
                links,
                grants,
                cwd,
                base,
                intent,
            })
        })
}

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

/// Compiles the scenario's own policy.
fn compile_ok(s: &Scenario, target: &Target) -> Result<Compiled, TestCaseError> {
    compile_policy(s, &s.policy, target)
}

/// Compiles `policy` in the scenario's tree and environment.
fn compile_policy(
    s: &Scenario,
    policy: &Policy,
    target: &Target,
) -> Result<Compiled, TestCaseError> {
    compile(policy, target, &s.env, &s.fs)
        .map_err(|e| TestCaseError::fail(format!("compile failed for {target:?}: {e}")))
}

/// The paths the evaluator is asked about: every real node, and a new child
/// of every directory (where a file could be created).
fn probe_paths(s: &Scenario) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = s.fs.paths().map(|(p, _)| p.to_path_buf()).collect();
    paths.extend(
        s.fs.paths()
            .filter(|(_, k)| *k == FileKind::Dir)
            .map(|(p, _)| p.join("new")),
    );
    paths
}

fn policy_with(s: &Scenario, grants: Vec<nono_model::PolicyGrant>) -> Policy {
    let mut policy = s.policy.clone();
    policy.grants = grants;
    policy
}

// ---------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The generator and the compiler agree on where every grant resolves,
    /// and `MemFs` lists exactly the tree's real nodes.
    #[test]
    fn resolution_matches_the_tree(s in scenario()) {
        let listed: Vec<_> = s.fs.paths().map(|(p, k)| (p.to_path_buf(), k)).collect();
        let mut real = s.real.clone();
        real.sort();
        prop_assert_eq!(listed, real);
        for (link, to) in &s.links {
            let got = s.fs.canonicalize(link).ok();
            prop_assert_eq!(got, to.map(|t| s.real[t].0.clone()), "symlink {}", link.display());
        }

        let out = compile_ok(&s, &Target::kernel(Abi(7)))?;
        prop_assert_eq!(out.resolved.len(), s.policy.grants.len());
        for ((rg, pg), want) in out.resolved.iter().zip(&s.policy.grants).zip(&s.expected) {
            prop_assert_eq!(&rg.requested, &pg.grant.path);
            prop_assert_eq!(rg.access, pg.grant.access);
            prop_assert_eq!(&rg.source, &pg.source);
            match (&rg.resolution, want) {
                (Resolution::Resolved { path, kind, .. }, Some(t)) => {
                    prop_assert_eq!(path, &s.real[*t].0, "grant {:?}", pg.grant.path);
                    prop_assert_eq!(*kind, s.real[*t].1);
                }
                (Resolution::Skipped { reason }, None) => {
                    prop_assert!(pg.grant.optional);
                    prop_assert!(!reason.is_empty());
                }
                (got, want) => {
                    prop_assert!(
                        false,
                        "grant {:?}: got {:?}, want {:?}", pg.grant.path, got, want
                    );
                }
            }
        }
    }

    /// A required grant that does not resolve makes `compile` fail, naming
    /// the grant's source and its path as written.
    #[test]
    fn required_missing_path_is_an_error_naming_it(
        s in scenario(),
        at in any::<Index>(),
        missing in prop_oneof![Just("/nope/x"), Just("nope"), Just("$NONO_UNSET/x")],
        abi in 1u8..=7,
        from_flag in any::<bool>(),
    ) {
        let mut grants = s.policy.grants.clone();
        // A flag is named by itself (`--culprit`), a preset as `preset NAME`.
        let (source, named) = if from_flag {
            (GrantSource::Flag("--culprit".into()), "--culprit")
        } else {
            (GrantSource::Preset("culprit".into()), "preset culprit")
        };
        let pos = at.index(grants.len() + 1);
        grants.insert(pos, nono_model::PolicyGrant {
            grant: FsGrant::new(missing, Access::Read),
            source,
        });
        let policy = policy_with(&s, grants);
        match compile(&policy, &Target::kernel(Abi(abi)), &s.env, &s.fs) {
            Err(CompileError::Resolve { source_of, path, reason }) => {
                prop_assert_eq!(source_of.as_str(), named);
                prop_assert_eq!(path.as_str(), missing);
                prop_assert!(!reason.is_empty());
            }
            Ok(out) => prop_assert!(
                false,
                "compiled although {missing:?} is missing: {:?}", out.ruleset
            ),
            Err(other) => prop_assert!(false, "unexpected error: {other}"),
        }
    }

    /// Sound: a handled right is allowed only where the reference model
    /// grants it; the handled set is exactly the ABI's full set.
    #[test]
    fn sound(s in scenario(), seeds in target_seeds()) {
        let paths = probe_paths(&s);
        for (abi, target) in targets(&seeds) {
            prop_assert_eq!(target.effective_abi(), Some(Abi(abi)));
            let out = compile_ok(&s, &target)?;
            let rs = &out.ruleset;
            prop_assert_eq!(rs.abi, Abi(abi));
            prop_assert_eq!(rs.handled_fs, ref_handled(abi), "ABI {}", abi);
            prop_assert_eq!(rs.handled_fs.iter().count(), ref_handled_count(abi));
            for p in &paths {
                let reference = ref_rights_on(&s, p, abi);
                for r in FsRight::ALL {
                    let ok = allowed(rs, p, r);
                    if r == FsRight::Refer && !rs.handled_fs.contains(r) {
                        // Below ABI 2 the kernel refuses every cross-directory
                        // move or link, as if Refer were handled and never
                        // granted.
                        prop_assert!(!ok, "refer allowed on {} at ABI {}", p.display(), abi);
                        continue;
                    }
                    if !rs.handled_fs.contains(r) {
                        prop_assert!(ok, "unhandled {} must be allowed on {}", r, p.display());
                        continue;
                    }
                    prop_assert!(
                        !ok || reference.contains(r),
                        "ABI {}: {} allowed on {} but no grant gives it (reference: {})",
                        abi, r, p.display(), reference
                    );
                    if matches!(r, FsRight::MakeChar | FsRight::MakeBlock) {
                        prop_assert!(!ok, "ABI {}: {} allowed on {}", abi, r, p.display());
                    }
                }
            }
        }
    }

    /// Complete: every right the reference model grants (all of them handled
    /// at the ABI) is allowed.
    #[test]
    fn complete(s in scenario(), seeds in target_seeds()) {
        let paths = probe_paths(&s);
        for (abi, target) in targets(&seeds) {
            let out = compile_ok(&s, &target)?;
            let rs = &out.ruleset;
            for p in &paths {
                let reference = ref_rights_on(&s, p, abi);
                prop_assert!(
                    ref_handled(abi).contains_all(reference),
                    "reference grants {} beyond ABI {}", reference, abi
                );
                for r in reference.iter() {
                    prop_assert!(rs.handled_fs.contains(r));
                    prop_assert!(
                        allowed(rs, p, r),
                        "ABI {}: {} denied on {} although granted", abi, r, p.display()
                    );
                }
            }
        }
    }

    /// Order-independent: the same grants in any order give the same
    /// ruleset, covered rules, gaps and status.
    #[test]
    fn order_independent(
        (s, shuffled) in scenario().prop_flat_map(|s| {
            let grants = s.policy.grants.clone();
            (Just(s), Just(grants).prop_shuffle())
        }),
        seeds in target_seeds(),
    ) {
        let other = policy_with(&s, shuffled);
        for (_, target) in targets(&seeds) {
            let a = compile_ok(&s, &target)?;
            let b = compile_policy(&s, &other, &target)?;
            prop_assert_eq!(&a.ruleset, &b.ruleset);
            prop_assert_eq!(&a.covered, &b.covered);
            prop_assert_eq!(&a.gaps, &b.gaps);
            prop_assert_eq!(a.predicted, b.predicted);
        }
    }

    /// Idempotent: every grant given twice gives the same ruleset.
    #[test]
    fn idempotent_under_duplication(s in scenario(), seeds in target_seeds()) {
        let mut twice = s.policy.grants.clone();
        twice.extend(s.policy.grants.iter().cloned());
        let doubled = policy_with(&s, twice);
        for (_, target) in targets(&seeds) {
            let a = compile_ok(&s, &target)?;
            let b = compile_policy(&s, &doubled, &target)?;
            prop_assert_eq!(&a.ruleset, &b.ruleset);
            prop_assert_eq!(&a.covered, &b.covered);
        }
    }

    /// Idempotent: the ruleset's own rules, given back as a policy (each rule
    /// path at each of its levels, from each of its sources), compile to the
    /// same ruleset, with nothing covered.
    #[test]
    fn idempotent_on_its_own_rules(s in scenario(), seeds in target_seeds()) {
        for (_, target) in targets(&seeds) {
            let first = compile_ok(&s, &target)?;
            let mut back = policy_with(&s, Vec::new());
            for rule in &first.ruleset.rules {
                for level in rule.levels.iter() {
                    for source in &rule.sources {
                        back.add(FsGrant::new(text(&rule.path), level), source.clone());
                    }
                }
            }
            let again = compile_policy(&s, &back, &target)?;
            prop_assert_eq!(&again.ruleset, &first.ruleset);
            prop_assert!(again.covered.is_empty(), "covered: {:?}", again.covered);
        }
    }

    /// Normalised: rules sorted by path without repeats; no rule's levels are
    /// covered by its directory ancestors' rules; each rule holds exactly the
    /// levels and sources granted on its path.
    #[test]
    fn normalised(s in scenario(), abi in 1u8..=7) {
        let out = compile_ok(&s, &Target::kernel(Abi(abi)))?;
        let rules = &out.ruleset.rules;
        for w in rules.windows(2) {
            prop_assert!(
                w[0].path < w[1].path,
                "{} then {}", w[0].path.display(), w[1].path.display()
            );
        }
        for rule in rules {
            prop_assert!(!rule.levels.is_empty());
            let inherited = rules
                .iter()
                .filter(|a| a.kind == FileKind::Dir && a.path != rule.path)
                .filter(|a| rule.path.starts_with(&a.path))
                .fold(AccessLevels::EMPTY, |acc, a| acc.union(a.levels));
            prop_assert!(
                !inherited.covers(rule.levels),
                "{} ({}) is covered by its ancestors ({})",
                rule.path.display(), rule.levels, inherited
            );
            prop_assert_eq!(rule.levels, ref_levels_at(&s, &rule.path));
            let mut sources: Vec<GrantSource> = s.policy.grants.iter().zip(&s.expected)
                .filter(|(_, t)| t.is_some_and(|t| s.real[t].0 == rule.path))
                .map(|(pg, _)| pg.source.clone())
                .collect();
            sources.sort();
            sources.dedup();
            prop_assert_eq!(&rule.sources, &sources);
            let (_, kind) = s
                .real
                .iter()
                .find(|(p, _)| *p == rule.path)
                .expect("a rule names a tree node");
            prop_assert_eq!(rule.kind, *kind);
            let meta = s.fs.stat(&rule.path).expect("a rule's path exists");
            prop_assert_eq!((rule.dev, rule.ino), (meta.dev, meta.ino));
        }
    }

    /// Every resolved path ends up either as a rule or as a covered rule, and
    /// a covered rule is really covered by the kept rules above it, and names
    /// as `by` a directory above it that grants one of its levels.
    #[test]
    fn covered_rules_are_justified(s in scenario()) {
        let out = compile_ok(&s, &Target::kernel(Abi(7)))?;
        let rules = &out.ruleset.rules;
        let kept: BTreeSet<&PathBuf> = rules.iter().map(|r| &r.path).collect();
        let dropped: BTreeSet<&PathBuf> = out.covered.iter().map(|c| &c.path).collect();
        let resolved: BTreeSet<&PathBuf> =
            s.expected.iter().flatten().map(|&t| &s.real[t].0).collect();
        prop_assert!(kept.is_disjoint(&dropped));
        prop_assert_eq!(kept.union(&dropped).copied().collect::<BTreeSet<_>>(), resolved);
        for c in &out.covered {
            prop_assert_eq!(c.levels, ref_levels_at(&s, &c.path));
            let inherited = rules
                .iter()
                .filter(|a| a.kind == FileKind::Dir && a.path != c.path)
                .filter(|a| c.path.starts_with(&a.path))
                .fold(AccessLevels::EMPTY, |acc, a| acc.union(a.levels));
            prop_assert!(
                inherited.covers(c.levels),
                "{} dropped but not covered", c.path.display()
            );
            prop_assert!(c.by != c.path && c.path.starts_with(&c.by));
            let by_is_dir = s.real.iter().any(|(p, k)| *p == c.by && *k == FileKind::Dir);
            prop_assert!(by_is_dir, "`by` {} is not a directory of the tree", c.by.display());
            let by_levels = ref_levels_at(&s, &c.by);
            prop_assert!(
                c.levels.iter().any(|l| by_levels.contains(l)),
                "{} ({}) said covered by {} ({}), which grants none of its levels",
                c.path.display(), c.levels, c.by.display(), by_levels
            );
        }
    }

    /// File rules carry no directory-only right, and every rule's rights are
    /// exactly what its levels lower to at the ABI for its kind.
    #[test]
    fn file_rules_carry_no_directory_only_right(s in scenario(), seeds in target_seeds()) {
        prop_assert_eq!(FsRights::DIRECTORY_ONLY, FsRights::of(&REF_DIRECTORY_ONLY));
        for (abi, target) in targets(&seeds) {
            let out = compile_ok(&s, &target)?;
            for rule in &out.ruleset.rules {
                if rule.kind == FileKind::File {
                    prop_assert!(
                        rule.rights.intersection(FsRights::DIRECTORY_ONLY).is_empty(),
                        "ABI {}: file rule {} has {}", abi, rule.path.display(), rule.rights
                    );
                }
                prop_assert_eq!(
                    rule.rights,
                    ref_levels(rule.levels, rule.kind, abi),
                    "ABI {}: rule {} ({})", abi, rule.path.display(), rule.levels
                );
            }
        }
    }

    /// Monotone across ABIs: every right handled at ABI n is still handled at
    /// n+1 and decided the same way on every path; the same holds for the
    /// network rights (and their port rules) and the scopes; the socket
    /// filter does not depend on the ABI; and every gap at n+1 is a gap at n.
    #[test]
    fn monotone_across_abis(s in scenario(), seeds in target_seeds()) {
        let paths = probe_paths(&s);
        let compiled: Vec<(u8, Compiled)> = targets(&seeds)
            .map(|(abi, t)| compile_ok(&s, &t).map(|c| (abi, c)))
            .collect::<Result<_, _>>()?;
        for pair in compiled.windows(2) {
            let ((n, lo), (_, hi)) = (&pair[0], &pair[1]);
            prop_assert!(hi.ruleset.handled_fs.contains_all(lo.ruleset.handled_fs));
            prop_assert!(hi.ruleset.handled_net.contains(lo.ruleset.handled_net));
            if !lo.ruleset.handled_net.is_empty() {
                prop_assert_eq!(&lo.ruleset.port_rules, &hi.ruleset.port_rules);
            }
            prop_assert!(hi.ruleset.scoped.contains(lo.ruleset.scoped));
            prop_assert_eq!(lo.ruleset.socket_filter, hi.ruleset.socket_filter);
            prop_assert!(
                lo.ruleset.log_new_exec <= hi.ruleset.log_new_exec,
                "log_new_exec lost between ABI {} and {}", n, n + 1
            );
            for g in &hi.gaps {
                prop_assert!(
                    lo.gaps.contains(g),
                    "gap {} at ABI {} but not at ABI {}", g.feature, n + 1, n
                );
            }
            prop_assert!(hi.predicted >= lo.predicted, "status fell from ABI {} to {}", n, n + 1);
            for p in &paths {
                for r in lo.ruleset.handled_fs.iter() {
                    prop_assert_eq!(
                        allowed(&lo.ruleset, p, r),
                        allowed(&hi.ruleset, p, r),
                        "{} on {} differs between ABI {} and {}", r, p.display(), n, n + 1
                    );
                }
            }
        }
    }

    /// `abi_limit` below the kernel's ABI lowers exactly like a kernel of
    /// that ABI.
    #[test]
    fn abi_limit_lowers_like_the_kernel_abi(
        s in scenario(),
        abi in 1u8..=7,
        newer in 0u8..=3,
    ) {
        let by_kernel = compile_ok(&s, &Target::kernel(Abi(abi)))?;
        let limited = Target {
            kernel_abi: Some(Abi(abi + newer)),
            abi_limit: Some(Abi(abi)),
        };
        let by_limit = compile_ok(&s, &limited)?;
        prop_assert_eq!(&by_kernel.ruleset, &by_limit.ruleset);
        prop_assert_eq!(&by_kernel.gaps, &by_limit.gaps);
        prop_assert_eq!(&by_kernel.notes, &by_limit.notes);
        prop_assert_eq!(by_kernel.predicted, by_limit.predicted);
    }

    /// Status: FullyEnforced exactly when there is no gap; the gaps are
    /// `truncate` (ABI < 3), `net_tcp` (port rules, ABI < 4), `ioctl_dev`
    /// (ABI < 5), `scope` (a scope asked for, ABI < 6) and `net_udp` (port
    /// rules, always); notes for `refer` (ABI < 2), a block enforced by
    /// seccomp alone (ABI < 4), port rules' unchecked listen() autobind
    /// (ABI >= 4) and `--log-denials` without effect (ABI < 7);
    /// NotEnforced without Landlock (still lowered, for dry runs).
    #[test]
    fn predicted_status_and_gaps(
        s in scenario(),
        seeds in target_seeds(),
        limit in proptest::option::of(1u8..=7),
    ) {
        let policy = &s.policy;
        for (abi, target) in targets(&seeds) {
            let out = compile_ok(&s, &target)?;
            let want = ref_gaps(policy, abi);
            let got: Vec<_> = out.gaps.iter().map(|g| (g.feature, g.needs)).collect();
            prop_assert_eq!(&got, &want, "ABI {}: {:?} {:?}", abi, policy.net, policy.scopes);
            for g in &out.gaps {
                prop_assert!(g.needs > Abi(abi), "ABI {}: gap {} needs {}", abi, g.feature, g.needs);
                prop_assert!(!g.unenforced.is_empty());
            }
            let status = if want.is_empty() {
                EnforcementStatus::FullyEnforced
            } else {
                EnforcementStatus::PartiallyEnforced
            };
            prop_assert_eq!(out.predicted, status, "ABI {}", abi);
            // Without a network restriction, FullyEnforced exactly from ABI 6
            // when a scope is asked for, from ABI 5 otherwise.
            if policy.net == NetPolicy::Unrestricted {
                let full_from = if policy.scopes.any() { 6 } else { 5 };
                prop_assert_eq!(out.predicted == EnforcementStatus::FullyEnforced, abi >= full_from);
            }
            let note = |prefix: &str| out.notes.iter().any(|n| n.starts_with(prefix));
            prop_assert_eq!(note("refer:"), abi < 2, "ABI {}: notes {:?}", abi, out.notes);
            let ports = matches!(policy.net, NetPolicy::Ports { .. });
            prop_assert_eq!(
                note("net_tcp:"),
                (abi < 4 && policy.net == NetPolicy::Block) || (abi >= 4 && ports),
                "ABI {}: notes {:?}", abi, out.notes
            );
            prop_assert_eq!(
                note("audit_log:"),
                abi < 7 && policy.log_denials,
                "ABI {}: notes {:?}", abi, out.notes
            );
            prop_assert_eq!(out.notes.len(),
                usize::from(abi < 2)
                    + usize::from(abi < 4 && policy.net == NetPolicy::Block)
                    + usize::from(abi >= 4 && ports)
                    + usize::from(abi < 7 && policy.log_denials),
                "ABI {}: notes {:?}", abi, out.notes);
        }

        let none = Target { kernel_abi: None, abi_limit: limit.map(Abi) };
        prop_assert_eq!(none.effective_abi(), None);
        let out = compile_ok(&s, &none)?;
        prop_assert_eq!(out.predicted, EnforcementStatus::NotEnforced);
        let lowered = limit.unwrap_or(7);
        prop_assert_eq!(out.ruleset.abi, Abi(lowered));
        prop_assert_eq!(out.ruleset.handled_fs, ref_handled(lowered));
        prop_assert_eq!(out.ruleset.handled_net, ref_handled_net(&policy.net, lowered));
        prop_assert_eq!(out.ruleset.scoped, ref_scoped(policy.scopes, lowered));
    }

    /// The network, scopes and logging lower as the reference says at every
    /// ABI: TCP handled (both rights) iff the network is restricted and the
    /// ABI is 4+; port rules exactly the union of the connect and bind sets
    /// with the right rights, sorted; the socket filter UnixOnly for a
    /// block, TcpUdpOnly for port rules, none otherwise, at every ABI; the
    /// scoped set exactly the scopes asked for from ABI 6 and empty below;
    /// `log_new_exec` iff `--log-denials` at ABI 7. The filesystem part is
    /// not touched by any of it.
    #[test]
    fn network_scopes_and_logging_lower_per_abi(s in scenario(), seeds in target_seeds()) {
        let policy = &s.policy;
        let mut fs_only = s.policy.clone();
        fs_only.net = NetPolicy::Unrestricted;
        fs_only.scopes = Scopes { signals: false, abstract_unix: false };
        fs_only.log_denials = false;
        for (abi, target) in targets(&seeds) {
            let out = compile_ok(&s, &target)?;
            let rs = &out.ruleset;
            let ctx = format!("ABI {abi}: {:?} {:?}", policy.net, policy.scopes);
            prop_assert_eq!(rs.handled_net, ref_handled_net(&policy.net, abi), "{}", ctx);
            prop_assert_eq!(
                rs.handled_net == NetRights::BIND_TCP | NetRights::CONNECT_TCP,
                policy.net.is_restricted() && abi >= 4,
                "{}", ctx
            );
            prop_assert_eq!(&rs.port_rules, &ref_port_rules(&policy.net, abi), "{}", ctx);
            for w in rs.port_rules.windows(2) {
                prop_assert!(w[0].port < w[1].port, "{}: unsorted {:?}", ctx, rs.port_rules);
            }
            for rule in &rs.port_rules {
                prop_assert!(!rule.rights.is_empty(), "{}", ctx);
                prop_assert!(rs.handled_net.contains(rule.rights), "{}", ctx);
            }
            prop_assert_eq!(rs.socket_filter, ref_socket_filter(&policy.net), "{}", ctx);
            prop_assert_eq!(rs.scoped, ref_scoped(policy.scopes, abi), "{}", ctx);
            prop_assert_eq!(rs.log_new_exec, abi >= 7 && policy.log_denials, "{}", ctx);

            let plain = compile_policy(&s, &fs_only, &target)?;
            prop_assert_eq!(&plain.ruleset.rules, &rs.rules, "{}", ctx);
            prop_assert_eq!(plain.ruleset.handled_fs, rs.handled_fs, "{}", ctx);
            prop_assert_eq!(plain.ruleset.handled_net, NetRights::EMPTY);
            prop_assert!(plain.ruleset.port_rules.is_empty());
            prop_assert_eq!(plain.ruleset.socket_filter, None);
            prop_assert_eq!(plain.ruleset.scoped, ScopeSet::EMPTY);
            prop_assert!(!plain.ruleset.log_new_exec);
        }
    }

    /// Port lists given in any order and with repeats lower to the same
    /// ruleset: the model keeps sets, and the rules come out sorted.
    #[test]
    fn port_rules_are_order_independent(
        s in scenario(),
        connect in vec(prop_oneof![0u16..6, any::<u16>()], 0..=6),
        bind in vec(prop_oneof![0u16..6, any::<u16>()], 0..=6),
        seed in any::<u64>(),
        abi in 1u8..=7,
    ) {
        // A deterministic shuffle with repeats, driven by `seed`.
        let scramble = |ports: &[u16]| -> Vec<u16> {
            let mut v: Vec<u16> = ports.iter().chain(ports.iter().rev()).copied().collect();
            let mut x = seed | 1;
            for i in (1..v.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let j = usize::try_from(x % (i as u64 + 1)).unwrap();
                v.swap(i, j);
            }
            v
        };
        let policy_of = |c: &[u16], b: &[u16]| {
            let mut p = s.policy.clone();
            p.net = NetPolicy::Ports {
                connect: c.iter().copied().collect(),
                bind: b.iter().copied().collect(),
            };
            p
        };
        let target = Target::kernel(Abi(abi));
        let a = compile_policy(&s, &policy_of(&connect, &bind), &target)?;
        let b = compile_policy(&s, &policy_of(&scramble(&connect), &scramble(&bind)), &target)?;
        prop_assert_eq!(&a.ruleset, &b.ruleset);
        prop_assert_eq!(&a.gaps, &b.gaps);
        let union: BTreeSet<u16> = connect.iter().chain(&bind).copied().collect();
        let expected_rules = if abi >= 4 { union.len() } else { 0 };
        prop_assert_eq!(a.ruleset.port_rules.len(), expected_rules);
    }
}

// ---------------------------------------------------------------------------
// Examples.
// ---------------------------------------------------------------------------

fn flag(name: &str) -> GrantSource {
    GrantSource::Flag(name.into())
}

#[test]
fn symlink_grant_resolves_to_its_target() {
    let mut fs = MemFs::new();
    fs.file("/usr/bin/python3.11").file("/usr/bin/perl");
    fs.symlink("/usr/bin/python3", "python3.11");
    fs.symlink("/opt", "/usr");
    let mut policy = Policy::default();
    policy.add(
        FsGrant::new("/opt/bin/python3", Access::Read),
        flag("--read"),
    );
    let out = compile(&policy, &Target::kernel(Abi(5)), &ResolveEnv::new("/"), &fs)
        .expect("the symlink resolves");

    match &out.resolved[0].resolution {
        Resolution::Resolved {
            expanded,
            path,
            kind,
            ..
        } => {
            assert_eq!(expanded, Path::new("/opt/bin/python3"));
            assert_eq!(path, Path::new("/usr/bin/python3.11"));
            assert_eq!(*kind, FileKind::File);
        }
        other => panic!("not resolved: {other:?}"),
    }
    let rules = &out.ruleset.rules;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].path, Path::new("/usr/bin/python3.11"));
    assert_eq!(
        rules[0].rights,
        FsRights::of(&[FsRight::ReadFile, FsRight::Execute])
    );
    let target = Path::new("/usr/bin/python3.11");
    assert!(allowed(&out.ruleset, target, FsRight::ReadFile));
    assert!(allowed(&out.ruleset, target, FsRight::Execute));
    assert!(!allowed(&out.ruleset, target, FsRight::WriteFile));
    assert!(!allowed(
        &out.ruleset,
        Path::new("/usr/bin/perl"),
        FsRight::ReadFile
    ));
    assert!(!allowed(
        &out.ruleset,
        Path::new("/usr/bin"),
        FsRight::ReadDir
    ));
}

#[test]
fn missing_required_path_is_an_error_naming_the_source() {
    let mut fs = MemFs::new();
    fs.dir("/work");
    let mut policy = Policy::default();
    policy.add(FsGrant::new("/work", Access::Read), flag("--read"));
    policy.add(
        FsGrant::new("/work/missing", Access::Write),
        GrantSource::Preset("rust".into()),
    );
    let err = compile(
        &policy,
        &Target::kernel(Abi(3)),
        &ResolveEnv::new("/work"),
        &fs,
    )
    .expect_err("a required grant on a missing path must fail");
    let CompileError::Resolve {
        source_of,
        path,
        reason,
    } = &err
    else {
        panic!("expected a resolve error, got {err}");
    };
    assert_eq!(source_of, "preset rust");
    assert_eq!(path, "/work/missing");
    assert_eq!(reason, "no such file or directory");
    assert_eq!(
        err.to_string(),
        "preset rust: /work/missing: no such file or directory"
    );

    // The same through a dangling symlink, relative to the cwd.
    fs.symlink("/work/link", "gone");
    let mut policy = Policy::default();
    policy.add(FsGrant::new("link", Access::Read), flag("--read"));
    let err = compile(
        &policy,
        &Target::kernel(Abi(3)),
        &ResolveEnv::new("/work"),
        &fs,
    )
    .expect_err("a dangling symlink does not resolve");
    assert_eq!(err.to_string(), "--read: link: no such file or directory");
}

#[test]
fn optional_missing_path_is_skipped() {
    let mut fs = MemFs::new();
    fs.dir("/work");
    fs.symlink("/work/dangling", "/nowhere");
    let mut policy = Policy::default();
    for path in ["/work/missing", "/work/dangling", "$NONO_UNSET/x"] {
        let mut grant = FsGrant::new(path, Access::Allow);
        grant.optional = true;
        policy.add(grant, GrantSource::Preset("opt".into()));
    }
    let out = compile(&policy, &Target::kernel(Abi(5)), &ResolveEnv::new("/"), &fs)
        .expect("optional grants never fail");
    let reasons: Vec<&str> = out
        .resolved
        .iter()
        .map(|rg| match &rg.resolution {
            Resolution::Skipped { reason } => reason.as_str(),
            other => panic!("{} not skipped: {other:?}", rg.requested),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "no such file or directory",
            "no such file or directory",
            "environment variable NONO_UNSET is not set",
        ]
    );
    assert!(out.ruleset.rules.is_empty());
    assert!(!allowed(&out.ruleset, Path::new("/work"), FsRight::ReadDir));
}

#[test]
fn grant_inside_an_ancestor_with_the_same_level_is_covered() {
    let mut fs = MemFs::new();
    fs.dir("/w/src/deep").file("/w/src/main.rs").dir("/w2");
    let mut policy = Policy::default();
    policy.add(FsGrant::new("/w", Access::Read), flag("--read"));
    policy.add(FsGrant::new("/w/src", Access::Read), flag("--read"));
    policy.add(FsGrant::new("/w/src/main.rs", Access::Read), flag("--read"));
    policy.add(FsGrant::new("/w/src/deep", Access::Write), flag("--write"));
    // `/w2` shares a string prefix with `/w` but is not beneath it.
    policy.add(FsGrant::new("/w2", Access::Read), flag("--read"));
    let out =
        compile(&policy, &Target::kernel(Abi(3)), &ResolveEnv::new("/"), &fs).expect("compiles");

    let covered: Vec<(&Path, &Path)> = out
        .covered
        .iter()
        .map(|c| (c.path.as_path(), c.by.as_path()))
        .collect();
    assert_eq!(
        covered,
        [
            (Path::new("/w/src"), Path::new("/w")),
            (Path::new("/w/src/main.rs"), Path::new("/w/src")),
        ]
    );
    assert_eq!(out.covered[0].levels, AccessLevels::from(Access::Read));
    let kept: Vec<&Path> = out.ruleset.rules.iter().map(|r| r.path.as_path()).collect();
    assert_eq!(kept, ["/w", "/w/src/deep", "/w2"].map(Path::new));
}

#[test]
fn covered_by_names_an_ancestor_that_grants_the_level() {
    // `/w/a` (read) is nearer to `/w/a/b` (write) than `/w` (allow), but
    // only `/w` grants write: it is the one to name.
    let mut fs = MemFs::new();
    fs.dir("/w/a/b");
    let mut policy = Policy::default();
    policy.add(FsGrant::new("/w", Access::Allow), flag("--allow"));
    policy.add(FsGrant::new("/w/a", Access::Read), flag("--read"));
    policy.add(FsGrant::new("/w/a/b", Access::Write), flag("--write"));
    let out =
        compile(&policy, &Target::kernel(Abi(5)), &ResolveEnv::new("/"), &fs).expect("compiles");
    let covered: Vec<(&Path, &Path)> = out
        .covered
        .iter()
        .map(|c| (c.path.as_path(), c.by.as_path()))
        .collect();
    assert_eq!(
        covered,
        [
            (Path::new("/w/a"), Path::new("/w")),
            (Path::new("/w/a/b"), Path::new("/w")),
        ]
    );
}

#[test]
fn partial_coverage_keeps_the_rule() {
    // Read above and write below: the write rule is kept, and the union
    // of the two is what a path under both gets.
    let mut fs = MemFs::new();
    fs.dir("/w/out").file("/w/out/log");
    let mut policy = Policy::default();
    policy.add(FsGrant::new("/w", Access::Read), flag("--read"));
    policy.add(FsGrant::new("/w/out", Access::Write), flag("--write"));
    let out =
        compile(&policy, &Target::kernel(Abi(3)), &ResolveEnv::new("/"), &fs).expect("compiles");
    assert!(out.covered.is_empty());
    assert_eq!(out.ruleset.rules.len(), 2);
    let log = Path::new("/w/out/log");
    for r in [FsRight::ReadFile, FsRight::WriteFile, FsRight::Truncate] {
        assert!(allowed(&out.ruleset, log, r), "{r}");
    }
    assert!(!allowed(&out.ruleset, Path::new("/w"), FsRight::WriteFile));
    // IoctlDev is not handled at ABI 3, so it is allowed everywhere; from
    // ABI 5 it is handled and only Allow grants it.
    assert!(allowed(&out.ruleset, log, FsRight::IoctlDev));
    let out =
        compile(&policy, &Target::kernel(Abi(5)), &ResolveEnv::new("/"), &fs).expect("compiles");
    assert!(!allowed(&out.ruleset, log, FsRight::IoctlDev));
    assert!(allowed(&out.ruleset, log, FsRight::Truncate));
}

#[test]
fn mem_fs_gives_distinct_inodes_when_a_path_is_added_twice() {
    let mut fs = MemFs::new();
    fs.dir("/a/b");
    fs.dir("/a");
    fs.file("/c");
    let ino = |p: &str| fs.stat(Path::new(p)).expect("exists").ino;
    let inos: BTreeSet<u64> = ["/", "/a", "/a/b", "/c"].into_iter().map(ino).collect();
    assert_eq!(inos.len(), 4, "inode numbers must identify paths");
}
