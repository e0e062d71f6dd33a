//! The invariants every lowering keeps, each a function that checks one
//! case and fails with a message saying what broke where.

use super::reference::{
    ref_all_threads, ref_directory_only, ref_gaps, ref_handled, ref_handled_net, ref_levels,
    ref_levels_at, ref_port_rules, ref_rights_on, ref_scoped, ref_socket_filter,
    ref_supervises_unix_sockets, ref_syscall_guard, ref_unix_on, ref_unix_rules,
};
use super::scenario::{Scenario, TargetSeeds, targets, text};
use crate::{CompileError, Compiled, FsProbe, Resolution, Target, allowed, compile};
use nono_model::{
    Abi, Access, AccessLevels, EnforcementStatus, FileKind, FsGrant, FsRight, FsRights,
    GrantSource, NetPolicy, NetRights, Policy, Ruleset,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a check returns: `Err` says which invariant broke, and where.
pub type CheckResult = Result<(), TestCaseError>;

/// Compiles `policy` in the scenario's tree and environment; a compile
/// error fails the check.
pub fn compile_in(
    s: &Scenario,
    policy: &Policy,
    target: &Target,
) -> Result<Compiled, TestCaseError> {
    compile(policy, target, &s.env, &s.tree.fs)
        .map_err(|e| TestCaseError::fail(format!("compile failed for {target:?}: {e}")))
}

/// A deterministic shuffle of `items` by `seed`.
pub fn shuffled<T>(mut items: Vec<T>, seed: u64) -> Vec<T> {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    items
}

/// `policy` with its grants, denials and exposes shuffled by `seed`.
pub fn shuffled_policy(policy: &Policy, seed: u64) -> Policy {
    let mut out = policy.clone();
    out.grants = shuffled(out.grants, seed);
    out.denies = shuffled(out.denies, seed.rotate_left(17));
    out.exposes = shuffled(out.exposes, seed.rotate_left(31));
    out
}

/// **Resolution**: each grant of the clean policy resolves to the node the
/// generator meant (or is skipped, when optional and missing), and `MemFs`
/// lists exactly the tree's real nodes and resolves every symlink as meant.
pub fn check_resolution(s: &Scenario) -> CheckResult {
    let listed: Vec<_> = s
        .tree
        .fs
        .paths()
        .map(|(p, k)| (p.to_path_buf(), k))
        .collect();
    let mut real = s.tree.real.clone();
    real.sort();
    prop_assert_eq!(listed, real);
    for (link, to) in &s.tree.links {
        let got = s.tree.fs.canonicalize(link).ok();
        prop_assert_eq!(
            got,
            to.map(|t| s.tree.real[t].0.clone()),
            "symlink {}",
            link.display()
        );
    }

    let offending = s.offending();
    let policy = s.clean_policy();
    let expected: Vec<Option<usize>> = s
        .expected
        .iter()
        .enumerate()
        .filter(|(i, _)| !offending.contains(i))
        .map(|(_, t)| *t)
        .collect();
    let out = compile_in(s, &policy, &Target::kernel(Abi::LATEST))?;
    prop_assert_eq!(out.resolved.len(), policy.grants.len());
    for ((rg, pg), want) in out.resolved.iter().zip(&policy.grants).zip(&expected) {
        prop_assert_eq!(&rg.requested, &pg.grant.path);
        prop_assert_eq!(rg.access, pg.grant.access);
        prop_assert_eq!(&rg.source, &pg.source);
        match (&rg.resolution, want) {
            (Resolution::Resolved { path, kind, .. }, Some(t)) => {
                prop_assert_eq!(path, &s.tree.real[*t].0, "grant {:?}", pg.grant.path);
                prop_assert_eq!(*kind, s.tree.real[*t].1);
            }
            (Resolution::Skipped { reason }, None) => {
                prop_assert!(pg.grant.optional);
                prop_assert!(!reason.is_empty());
            }
            (got, want) => {
                prop_assert!(
                    false,
                    "grant {:?}: got {:?}, want {:?}",
                    pg.grant.path,
                    got,
                    want
                );
            }
        }
    }
    Ok(())
}

/// **Sound**: in `out` (the scenario compiled at `abi`, with or without its
/// denials), a handled right is allowed only where the reference model
/// grants it; MakeChar and MakeBlock never; the handled set is exactly the
/// ABI's full set; an unhandled right is allowed everywhere, except Refer
/// below ABI 2 (the kernel refuses every cross-directory move there).
pub fn check_sound(s: &Scenario, abi: u8, out: &Compiled) -> CheckResult {
    let granted = s.granted();
    let rs = &out.ruleset;
    prop_assert_eq!(rs.abi, Abi(abi));
    prop_assert_eq!(rs.handled_fs, ref_handled(abi), "ABI {}", abi);
    for (p, _) in s.tree.probe_paths() {
        let mut reference = ref_rights_on(&granted, &s.tree.real, &p, abi);
        if ref_unix_on(&s.unix, &s.tree.real, &p, abi) {
            reference |= FsRight::ResolveUnix.into();
        }
        for r in FsRight::ALL {
            let ok = allowed(rs, &p, r);
            if r == FsRight::Refer && !rs.handled_fs.contains(r) {
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
                abi,
                r,
                p.display(),
                reference
            );
            if matches!(r, FsRight::MakeChar | FsRight::MakeBlock) {
                prop_assert!(!ok, "ABI {}: {} allowed on {}", abi, r, p.display());
            }
        }
    }
    Ok(())
}

/// **Complete**: every right the reference model grants (all of them
/// handled at the ABI) is allowed in `out`, which must be compiled without
/// denials (carving takes rights away on purpose).
pub fn check_complete(s: &Scenario, abi: u8, out: &Compiled) -> CheckResult {
    let granted = s.granted();
    let rs = &out.ruleset;
    for (p, _) in s.tree.probe_paths() {
        let reference = ref_rights_on(&granted, &s.tree.real, &p, abi);
        prop_assert!(
            ref_handled(abi).contains_all(reference),
            "reference grants {} beyond ABI {}",
            reference,
            abi
        );
        for r in reference.iter() {
            prop_assert!(rs.handled_fs.contains(r));
            prop_assert!(
                allowed(rs, &p, r),
                "ABI {}: {} denied on {} although granted",
                abi,
                r,
                p.display()
            );
        }
    }
    Ok(())
}

/// **Order-independent** (and idempotent) comparisons: two compilations of
/// the same policy, written differently, give the same ruleset, covered
/// rules, denied paths, carves, gaps, notes and status.
pub fn check_same_lowering(a: &Compiled, b: &Compiled) -> CheckResult {
    prop_assert_eq!(&a.ruleset, &b.ruleset);
    prop_assert_eq!(&a.covered, &b.covered);
    prop_assert_eq!(&a.denied, &b.denied);
    prop_assert_eq!(&a.carves, &b.carves);
    prop_assert_eq!(&a.gaps, &b.gaps);
    prop_assert_eq!(&a.notes, &b.notes);
    prop_assert_eq!(a.predicted, b.predicted);
    Ok(())
}

/// **Idempotent**: every grant of `policy` given twice gives the same
/// ruleset and covered rules as `out` (`policy` compiled for `target`).
pub fn check_duplication(
    s: &Scenario,
    policy: &Policy,
    target: &Target,
    out: &Compiled,
) -> CheckResult {
    let mut doubled = policy.clone();
    doubled.grants.extend(policy.grants.iter().cloned());
    let again = compile_in(s, &doubled, target)?;
    prop_assert_eq!(&again.ruleset, &out.ruleset);
    prop_assert_eq!(&again.covered, &out.covered);
    Ok(())
}

/// **Idempotent**: the rules of `out` (the undenied policy compiled for
/// `target`), given back as a policy (each rule path at each of its levels,
/// from each of its sources), compile to the same ruleset, with nothing
/// covered.
pub fn check_own_rules(s: &Scenario, target: &Target, out: &Compiled) -> CheckResult {
    let mut back = s.undenied_policy();
    back.grants.clear();
    for rule in &out.ruleset.rules {
        for level in rule.levels.iter() {
            for source in &rule.sources {
                back.add(FsGrant::new(text(&rule.path), level), source.clone());
            }
        }
    }
    let again = compile_in(s, &back, target)?;
    prop_assert_eq!(&again.ruleset, &out.ruleset);
    prop_assert!(again.covered.is_empty(), "covered: {:?}", again.covered);
    Ok(())
}

/// **Normalised**: in `out` (compiled without denials), rules are sorted by
/// path without repeats; no rule's levels are covered by its directory
/// ancestors' rules; each rule holds exactly the levels and sources granted
/// on its path, the node's kind and its `(dev, ino)`.
pub fn check_normalised(s: &Scenario, out: &Compiled) -> CheckResult {
    let granted = s.granted();
    let rules = &out.ruleset.rules;
    for w in rules.windows(2) {
        prop_assert!(
            w[0].path < w[1].path,
            "{} then {}",
            w[0].path.display(),
            w[1].path.display()
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
            rule.path.display(),
            rule.levels,
            inherited
        );
        prop_assert_eq!(
            rule.levels,
            ref_levels_at(&granted, &s.tree.real, &rule.path)
        );
        let mut sources: Vec<GrantSource> = granted
            .iter()
            .filter(|(_, t)| s.tree.real[*t].0 == rule.path)
            .map(|(pg, _)| pg.source.clone())
            .collect();
        sources.sort();
        sources.dedup();
        prop_assert_eq!(&rule.sources, &sources);
        let kind = s
            .tree
            .real
            .iter()
            .find(|(p, _)| *p == rule.path)
            .map(|(_, k)| *k);
        prop_assert_eq!(
            Some(rule.kind),
            kind,
            "{} is not a tree node",
            rule.path.display()
        );
        let meta = s.tree.fs.stat(&rule.path);
        prop_assert!(meta.is_ok(), "{} does not exist", rule.path.display());
        if let Ok(meta) = meta {
            prop_assert_eq!((rule.dev, rule.ino), (meta.dev, meta.ino));
        }
    }
    Ok(())
}

/// **Covered rules are justified**: in `out` (compiled without denials),
/// every resolved path ends up either as a rule or as a covered rule; a
/// covered rule is really covered by the kept rules above it, and names as
/// `by` a directory above it that grants one of its levels.
pub fn check_covered(s: &Scenario, out: &Compiled) -> CheckResult {
    let granted = s.granted();
    let real = &s.tree.real;
    let rules = &out.ruleset.rules;
    let kept: BTreeSet<&PathBuf> = rules.iter().map(|r| &r.path).collect();
    let dropped: BTreeSet<&PathBuf> = out.covered.iter().map(|c| &c.path).collect();
    let resolved: BTreeSet<&PathBuf> = granted.iter().map(|(_, t)| &real[*t].0).collect();
    prop_assert!(kept.is_disjoint(&dropped));
    prop_assert_eq!(
        kept.union(&dropped).copied().collect::<BTreeSet<_>>(),
        resolved
    );
    for c in &out.covered {
        prop_assert_eq!(c.levels, ref_levels_at(&granted, real, &c.path));
        let inherited = rules
            .iter()
            .filter(|a| a.kind == FileKind::Dir && a.path != c.path)
            .filter(|a| c.path.starts_with(&a.path))
            .fold(AccessLevels::EMPTY, |acc, a| acc.union(a.levels));
        prop_assert!(
            inherited.covers(c.levels),
            "{} dropped but not covered",
            c.path.display()
        );
        prop_assert!(c.by != c.path && c.path.starts_with(&c.by));
        let by_is_dir = real.iter().any(|(p, k)| *p == c.by && *k == FileKind::Dir);
        prop_assert!(
            by_is_dir,
            "`by` {} is not a directory of the tree",
            c.by.display()
        );
        let by_levels = ref_levels_at(&granted, real, &c.by);
        prop_assert!(
            c.levels.iter().any(|l| by_levels.contains(l)),
            "{} ({}) said covered by {} ({}), which grants none of its levels",
            c.path.display(),
            c.levels,
            c.by.display(),
            by_levels
        );
    }
    Ok(())
}

/// **File rules** carry no directory-only right; every rule but a carved
/// one has exactly the rights its levels lower to at `abi` for its kind;
/// and every rule grants something (Landlock refuses an empty access set).
pub fn check_file_rules(abi: u8, out: &Compiled) -> CheckResult {
    prop_assert_eq!(FsRights::DIRECTORY_ONLY, ref_directory_only());
    for rule in &out.ruleset.rules {
        if rule.kind == FileKind::File {
            prop_assert!(
                rule.rights
                    .intersection(FsRights::DIRECTORY_ONLY)
                    .is_empty(),
                "ABI {}: file rule {} has {}",
                abi,
                rule.path.display(),
                rule.rights
            );
        }
        if !rule.carved {
            prop_assert_eq!(
                rule.rights,
                ref_levels(rule.levels, rule.kind, abi),
                "ABI {}: rule {} ({})",
                abi,
                rule.path.display(),
                rule.levels
            );
        }
    }
    check_appliable(out)
}

/// **Appliable**: no rule has an empty access set (Landlock refuses one:
/// `nono run` would fail with "empty access-right").
pub fn check_appliable(out: &Compiled) -> CheckResult {
    for r in &out.ruleset.rules {
        prop_assert!(
            !r.rights.is_empty(),
            "rule on {} ({:?}, levels {}, carved {}) grants nothing",
            r.path.display(),
            r.kind,
            r.levels,
            r.carved
        );
    }
    Ok(())
}

/// **Monotone across ABIs**, given the scenario compiled at consecutive
/// ABIs: every right handled at ABI n is still handled at n+1 and decided
/// the same way on every path; the same holds for the network rights (and
/// their port rules, restricted to the rights handled at n) and the
/// scopes; the socket filter does not depend on
/// the ABI; every gap at n+1 is a gap at n; the status never falls.
pub fn check_monotone(s: &Scenario, compiled: &[(u8, Compiled)]) -> CheckResult {
    let paths = s.tree.probe_paths();
    for pair in compiled.windows(2) {
        let ((n, lo), (_, hi)) = (&pair[0], &pair[1]);
        prop_assert!(hi.ruleset.handled_fs.contains_all(lo.ruleset.handled_fs));
        prop_assert!(hi.ruleset.handled_net.contains(lo.ruleset.handled_net));
        if !lo.ruleset.handled_net.is_empty() {
            // What ABI n handles is decided the same way at n+1 (which may
            // add rights, UDP at 10, and the ports they need).
            let kept: Vec<nono_model::PortRule> = hi
                .ruleset
                .port_rules
                .iter()
                .map(|r| nono_model::PortRule {
                    port: r.port,
                    rights: r
                        .rights
                        .iter()
                        .filter(|x| lo.ruleset.handled_net.contains((*x).into()))
                        .fold(NetRights::EMPTY, |acc, x| acc | x.into()),
                })
                .filter(|r| !r.rights.is_empty())
                .collect();
            prop_assert_eq!(&lo.ruleset.port_rules, &kept);
        }
        prop_assert!(hi.ruleset.scoped.contains(lo.ruleset.scoped));
        prop_assert_eq!(lo.ruleset.socket_filter, hi.ruleset.socket_filter);
        prop_assert_eq!(lo.ruleset.syscall_guard, hi.ruleset.syscall_guard);
        prop_assert!(
            lo.ruleset.log_new_exec <= hi.ruleset.log_new_exec,
            "log_new_exec lost between ABI {} and {}",
            n,
            n + 1
        );
        for g in &hi.gaps {
            prop_assert!(
                lo.gaps.contains(g),
                "gap {} at ABI {} but not at ABI {}",
                g.feature,
                n + 1,
                n
            );
        }
        prop_assert!(
            hi.predicted >= lo.predicted,
            "status fell from ABI {} to {}",
            n,
            n + 1
        );
        for (p, _) in &paths {
            for r in lo.ruleset.handled_fs.iter() {
                prop_assert_eq!(
                    allowed(&lo.ruleset, p, r),
                    allowed(&hi.ruleset, p, r),
                    "{} on {} differs between ABI {} and {}",
                    r,
                    p.display(),
                    n,
                    n + 1
                );
            }
        }
    }
    Ok(())
}

/// **Status**: for `policy` compiled at effective ABI `abi`, the gaps are
/// exactly the reference's (`truncate`, `net_tcp`, `ioctl_dev`, `scope`,
/// `net_udp`), each needing a newer ABI; FullyEnforced exactly when there is
/// no gap; notes for `refer` (ABI < 2), a block enforced by seccomp alone
/// (ABI < 4), port rules' unchecked listen() autobind (ABI >= 4) and
/// `--log-denials` without effect (ABI < 7), and no others.
pub fn check_status(policy: &Policy, abi: u8, out: &Compiled) -> CheckResult {
    let want = ref_gaps(policy, abi);
    let got: Vec<_> = out.gaps.iter().map(|g| (g.feature, g.needs)).collect();
    prop_assert_eq!(
        &got,
        &want,
        "ABI {}: {:?} {:?}",
        abi,
        policy.net,
        policy.scopes
    );
    for g in &out.gaps {
        prop_assert!(
            g.needs.landlock_abi().is_some_and(|needs| needs > Abi(abi)),
            "ABI {}: gap {} needs {}",
            abi,
            g.feature,
            g.needs
        );
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
        prop_assert_eq!(
            out.predicted == EnforcementStatus::FullyEnforced,
            abi >= full_from
        );
    }
    let note = |prefix: &str| out.notes.iter().any(|n| n.starts_with(prefix));
    prop_assert_eq!(
        note("refer:"),
        abi < 2,
        "ABI {}: notes {:?}",
        abi,
        out.notes
    );
    let ports = matches!(policy.net, NetPolicy::Ports { .. });
    prop_assert_eq!(
        note("net_tcp:"),
        (abi < 4 && policy.net == NetPolicy::Block) || (abi >= 4 && ports),
        "ABI {}: notes {:?}",
        abi,
        out.notes
    );
    prop_assert_eq!(
        note("audit_log:"),
        abi < 7 && policy.log_denials,
        "ABI {}: notes {:?}",
        abi,
        out.notes
    );
    prop_assert_eq!(
        out.notes.len(),
        usize::from(abi < 2)
            + usize::from(abi < 4 && policy.net == NetPolicy::Block)
            + usize::from(abi >= 4 && ports)
            + usize::from(abi < 7 && policy.log_denials),
        "ABI {}: notes {:?}",
        abi,
        out.notes
    );
    Ok(())
}

/// **Network, scopes, logging, threads**: for `policy` compiled at ABI
/// `abi`, TCP is handled (both rights) iff the network is restricted and
/// the ABI is 4+, UDP (both rights) iff it is restricted and the ABI is
/// 10+; the port rules are exactly the reference's (the union of the TCP
/// and UDP connect and bind sets with the right rights, sorted); no UDP
/// right is granted on a port the policy did not list for UDP, except the
/// ephemeral bind (port 0) that a UDP connect port needs; no TCP right from
/// a `udp:` port alone; the socket filter is UnixOnly for a block,
/// TcpUdpOnly for port rules, none otherwise, at every ABI; the scoped set
/// is exactly the scopes asked for from ABI 6 and empty below;
/// `log_new_exec` iff `--log-denials` at ABI 7; every thread restricted at
/// once iff ABI 8+; the syscall guard is on at every ABI, refusing TCP Fast
/// Open iff port rules are in force, with the System V IPC
/// `--allow-sysv-ipc` asks for.
pub fn check_intent(policy: &Policy, abi: u8, out: &Compiled) -> CheckResult {
    let rs = &out.ruleset;
    let ctx = format!("ABI {abi}: {:?} {:?}", policy.net, policy.scopes);
    prop_assert_eq!(rs.handled_net, ref_handled_net(&policy.net, abi), "{}", ctx);
    let tcp = NetRights::BIND_TCP | NetRights::CONNECT_TCP;
    let udp = NetRights::BIND_UDP | NetRights::CONNECT_SEND_UDP;
    prop_assert_eq!(
        rs.handled_net.contains(tcp),
        policy.net.is_restricted() && abi >= 4,
        "{}",
        ctx
    );
    prop_assert_eq!(
        rs.handled_net.contains(udp),
        policy.net.is_restricted() && abi >= 10,
        "{}",
        ctx
    );
    prop_assert!((tcp | udp).contains(rs.handled_net), "{}", ctx);
    prop_assert_eq!(&rs.port_rules, &ref_port_rules(&policy.net, abi), "{}", ctx);
    if let NetPolicy::Ports {
        connect,
        bind,
        udp_connect,
        udp_bind,
    } = &policy.net
    {
        for rule in &rs.port_rules {
            let p = rule.port;
            prop_assert_eq!(
                rule.rights.contains(NetRights::CONNECT_SEND_UDP),
                abi >= 10 && udp_connect.contains(&p),
                "{}: port {}",
                ctx,
                p
            );
            prop_assert_eq!(
                rule.rights.contains(NetRights::BIND_UDP),
                abi >= 10 && (udp_bind.contains(&p) || (p == 0 && !udp_connect.is_empty())),
                "{}: port {}",
                ctx,
                p
            );
            prop_assert_eq!(
                rule.rights.contains(NetRights::CONNECT_TCP),
                connect.contains(&p),
                "{}: port {}",
                ctx,
                p
            );
            prop_assert_eq!(
                rule.rights.contains(NetRights::BIND_TCP),
                bind.contains(&p),
                "{}: port {}",
                ctx,
                p
            );
        }
    }
    for w in rs.port_rules.windows(2) {
        prop_assert!(
            w[0].port < w[1].port,
            "{}: unsorted {:?}",
            ctx,
            rs.port_rules
        );
    }
    for rule in &rs.port_rules {
        prop_assert!(!rule.rights.is_empty(), "{}", ctx);
        prop_assert!(rs.handled_net.contains(rule.rights), "{}", ctx);
    }
    prop_assert_eq!(rs.socket_filter, ref_socket_filter(&policy.net), "{}", ctx);
    prop_assert_eq!(rs.syscall_guard, ref_syscall_guard(policy), "{}", ctx);
    prop_assert_eq!(rs.scoped, ref_scoped(policy.scopes, abi), "{}", ctx);
    prop_assert_eq!(rs.log_new_exec, abi >= 7 && policy.log_denials, "{}", ctx);
    prop_assert_eq!(rs.all_threads, ref_all_threads(abi), "{}", ctx);
    Ok(())
}

/// **Pathname Unix sockets**: for the scenario compiled at ABI `abi`, the
/// `--allow-unix` paths are exactly the reference's ResolveUnix rules (from
/// ABI 9; none below), each with the kind and identity of its node; the
/// supervisor judges pathname sockets exactly below ABI 9, by the same
/// paths; ResolveUnix is handled exactly from ABI 9 and granted by no path
/// rule (no Read, Write or Allow grant reaches a socket), so that without
/// `--allow-unix` no path may be reached; from ABI 9 the evaluator allows
/// ResolveUnix exactly at or below an `--allow-unix` path.
pub fn check_unix(s: &Scenario, abi: u8, out: &Compiled) -> CheckResult {
    let rs = &out.ruleset;
    let got: Vec<PathBuf> = rs.unix_rules.iter().map(|u| u.path.clone()).collect();
    prop_assert_eq!(&got, &ref_unix_rules(&s.unix, abi), "ABI {}", abi);
    for rule in &rs.unix_rules {
        let node = s.tree.real.iter().find(|(p, _)| *p == rule.path);
        prop_assert!(
            node.is_some(),
            "ABI {}: {:?} not in the tree",
            abi,
            rule.path
        );
        if let Some((_, kind)) = node {
            prop_assert_eq!(rule.kind, *kind, "ABI {}: {:?}", abi, rule.path);
        }
    }
    let want: Vec<PathBuf> = s.unix.iter().cloned().collect();
    prop_assert_eq!(&rs.unix_sockets, &want, "ABI {}", abi);
    prop_assert_eq!(
        rs.supervision.unix_sockets,
        ref_supervises_unix_sockets(abi),
        "ABI {}",
        abi
    );
    prop_assert_eq!(
        rs.handled_fs.contains(FsRight::ResolveUnix),
        abi >= 9,
        "ABI {}",
        abi
    );
    if abi >= 9 {
        for (p, _) in s.tree.probe_paths() {
            prop_assert_eq!(
                allowed(rs, &p, FsRight::ResolveUnix),
                ref_unix_on(&s.unix, &s.tree.real, &p, abi),
                "ABI {}: {:?}",
                abi,
                p
            );
        }
    }
    for rule in &rs.rules {
        prop_assert!(
            !rule.rights.contains(FsRight::ResolveUnix),
            "ABI {}: {:?} grants resolve_unix by a level",
            abi,
            rule.path
        );
    }
    Ok(())
}

/// **Sensitive**: the scenario's whole policy, compiled for `target`, fails
/// with [`CompileError::Sensitive`] naming the first offending grant (in
/// policy order) and a denial that contains it when there is an offending
/// grant, and compiles when there is none.
pub fn check_sensitive(s: &Scenario, target: &Target) -> CheckResult {
    let offending = s.offending();
    match (
        compile(&s.policy, target, &s.env, &s.tree.fs),
        offending.first(),
    ) {
        (Err(CompileError::Sensitive { path, denied, .. }), Some(&first)) => {
            prop_assert_eq!(&path, &s.policy.grants[first].grant.path);
            let Some(t) = s.expected[first] else {
                return Err(TestCaseError::fail("an offending grant resolves"));
            };
            let grant = &s.tree.real[t].0;
            let names_a_container = s.policy.denies.iter().zip(&s.deny_targets).any(|(d, t)| {
                d.path == denied && t.is_some_and(|t| grant.starts_with(&s.tree.real[t].0))
            });
            prop_assert!(
                names_a_container,
                "{:?} does not contain {}",
                denied,
                grant.display()
            );
        }
        (Ok(_), None) => {}
        (Ok(out), Some(&first)) => prop_assert!(
            false,
            "compiled although grant {:?} is inside a denied path: {:?}",
            s.policy.grants[first].grant.path,
            out.carves
        ),
        (Err(e), _) => prop_assert!(false, "unexpected error: {e}"),
    }
    Ok(())
}

/// `C`: the directories strictly above a denied path, not themselves at or
/// below one, with a directory rule of `rs0` at or above them.
fn carved_dirs(denied: &BTreeSet<PathBuf>, out0: &Compiled) -> BTreeSet<PathBuf> {
    let mut carved = BTreeSet::new();
    for d in denied {
        for c in d.ancestors().skip(1) {
            if denied.iter().any(|other| c.starts_with(other)) {
                continue;
            }
            let covered = out0
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

/// Whether rule `r` of `rs0` can create entries: a directory rule with
/// the Write level.
fn creates(r: &nono_model::PathRule) -> bool {
    r.kind == FileKind::Dir && r.levels.contains(Access::Write)
}

/// `S`: the directories *shut* for missing denied paths: for each missing
/// denial `m` of `M` with nearest existing directory `A`, `A` and its
/// ancestors that a directory rule of `rs0` with the Write level is at or
/// above, and that are not at or below a `d` in `D`.
fn shut_dirs(
    missing: &BTreeMap<PathBuf, PathBuf>,
    denied: &BTreeSet<PathBuf>,
    out0: &Compiled,
) -> BTreeSet<PathBuf> {
    let mut shut = BTreeSet::new();
    for nearest in missing.values() {
        for c in nearest.ancestors() {
            if denied.iter().any(|d| c.starts_with(d)) {
                continue;
            }
            if out0
                .ruleset
                .rules
                .iter()
                .any(|r| creates(r) && c.starts_with(&r.path))
            {
                shut.insert(c.to_path_buf());
            }
        }
    }
    shut
}

/// The rights a shut directory `c` (in `S`, not in `C`) keeps, and a new
/// entry in it: from each directory rule of `rs0` at or above it, all its
/// rights when it cannot create (it was left alone), and only ReadDir when
/// it can (it was carved).
fn shut_rights(rs0: &Ruleset, c: &Path) -> FsRights {
    rs0.rules
        .iter()
        .filter(|r| r.kind == FileKind::Dir && c.starts_with(&r.path))
        .fold(FsRights::EMPTY, |acc, r| {
            if creates(r) {
                acc | r.rights.intersection(FsRight::ReadDir.into())
            } else {
                acc | r.rights
            }
        })
}

/// The rights that create, remove or move entries of a directory.
const CREATION: [FsRight; 10] = [
    FsRight::MakeReg,
    FsRight::MakeDir,
    FsRight::MakeSym,
    FsRight::MakeSock,
    FsRight::MakeFifo,
    FsRight::MakeChar,
    FsRight::MakeBlock,
    FsRight::RemoveFile,
    FsRight::RemoveDir,
    FsRight::Refer,
];

/// **Nothing can create a missing denied path**, given `out` (the clean
/// policy compiled) and `out0` (the undenied policy compiled for the same
/// target): for every effective missing denial whose nearest existing
/// directory `A` is covered by a directory rule of `rs0` with the Write
/// level (and does not lie in an effective existing denial), `rs` allows
/// no right that creates, removes or moves an entry ([`CREATION`]) on `A`,
/// on a new name in `A`, or on any directory from such a rule down to `A`;
/// and every existing entry of `A` that leads to no denied path keeps
/// exactly the rights it has in `rs0` (for a file: the rights that apply
/// to files).
pub fn check_missing_denied(s: &Scenario, out: &Compiled, out0: &Compiled) -> CheckResult {
    let (rs, rs0) = (&out.ruleset, &out0.ruleset);
    let denied = s.effective_denied();
    let missing = s.effective_missing();
    for (m, nearest) in &missing {
        if denied.iter().any(|d| nearest.starts_with(d)) {
            continue;
        }
        let roots: Vec<&Path> = rs0
            .rules
            .iter()
            .filter(|r| creates(r) && nearest.starts_with(&r.path))
            .map(|r| r.path.as_path())
            .collect();
        for root in &roots {
            for dir in nearest.ancestors().take_while(|c| c.starts_with(root)) {
                for probe in [dir.to_path_buf(), dir.join(super::NEW)] {
                    for r in CREATION.into_iter().filter(|r| rs.handled_fs.contains(*r)) {
                        prop_assert!(
                            !allowed(rs, &probe, r),
                            "{} allowed on {} although the denied {} does not exist and would be created in {}",
                            r,
                            probe.display(),
                            m.display(),
                            nearest.display()
                        );
                    }
                }
            }
        }
        // The existing entries of A keep their rights, unless they lead to
        // a denied path (or are one).
        for (p, kind) in &s.tree.real {
            if p.parent() != Some(nearest.as_path()) {
                continue;
            }
            let leads = denied.iter().any(|d| d.starts_with(p) || p.starts_with(d))
                || missing.values().any(|a| a.starts_with(p));
            if leads {
                continue;
            }
            for r in rs.handled_fs.iter() {
                if *kind == FileKind::File && FsRights::DIRECTORY_ONLY.contains(r) {
                    continue;
                }
                prop_assert_eq!(
                    allowed(rs, p, r),
                    allowed(rs0, p, r),
                    "{} on {}, an entry of {} (nearest existing directory of the missing {})",
                    r,
                    p.display(),
                    nearest.display(),
                    m.display()
                );
            }
        }
    }
    Ok(())
}

/// **Carving hides the denied paths, and nothing else**, given `out` (the
/// clean policy compiled) and `out0` (the undenied policy compiled for the
/// same target). See `tests/it/carving.rs` for the terms: `D` the
/// effective denials that exist, `M` those that do not, `C` the carved
/// directories, `S` the shut ones.
///
/// - `denied` lists exactly `D`, `missing` exactly `M` with each one's
///   nearest existing directory; `carves` has exactly one `(under, denied)`
///   for every directory rule of `rs0` strictly above a `d` in `D`, and one
///   for every directory rule with the Write level at or above the nearest
///   existing directory of an `m` in `M` (naming that directory); the rules
///   marked carved are in `C` or `S`, include the listable members of `C`,
///   and grant at most ReadDir;
/// - nothing at or below a `d` in `D` (and not exposed) is allowed any
///   handled right but ReadDir, and ReadDir only as `rs0` allowed it on `d`,
///   when `d`'s parent is carved;
/// - a carved directory (and a new entry in it) keeps only ReadDir, if it
///   had it; a shut directory (and a new entry in it) keeps ReadDir if it
///   had it and the rights of the rules above it that cannot create, so no
///   right to create, remove or move an entry; every other path keeps
///   exactly its rights in `rs0`;
/// - sound: nothing is allowed that `rs0` denies;
/// - [`check_missing_denied`].
pub fn check_carving(s: &Scenario, out: &Compiled, out0: &Compiled) -> CheckResult {
    let (rs, rs0) = (&out.ruleset, &out0.ruleset);
    prop_assert_eq!(rs.handled_fs, rs0.handled_fs);
    let denied = s.effective_denied();
    let missing = s.effective_missing();
    let carved = carved_dirs(&denied, out0);
    let shut = shut_dirs(&missing, &denied, out0);

    let got: BTreeSet<PathBuf> = out.denied.iter().map(|d| d.path.clone()).collect();
    prop_assert_eq!(&got, &denied);
    prop_assert!(out.denied.iter().all(|d| d.nearest_existing.is_none()));
    let got: BTreeMap<PathBuf, PathBuf> = out
        .missing
        .iter()
        .filter_map(|d| Some((d.path.clone(), d.nearest_existing.clone()?)))
        .collect();
    prop_assert_eq!(got.len(), out.missing.len(), "{:?}", out.missing);
    prop_assert_eq!(&got, &missing);

    type Listed = (PathBuf, PathBuf, Option<PathBuf>);
    let got: BTreeSet<Listed> = out
        .carves
        .iter()
        .map(|c| {
            (
                c.under.clone(),
                c.denied.clone(),
                c.nearest_existing.clone(),
            )
        })
        .collect();
    let mut want: BTreeSet<Listed> = rs0
        .rules
        .iter()
        .filter(|r| r.kind == FileKind::Dir)
        .flat_map(|r| {
            denied
                .iter()
                .filter(|d| **d != r.path && d.starts_with(&r.path))
                .map(|d| (r.path.clone(), d.clone(), None))
        })
        .collect();
    for r in rs0.rules.iter().filter(|r| creates(r)) {
        for (m, nearest) in &missing {
            if nearest.starts_with(&r.path) {
                want.insert((r.path.clone(), m.clone(), Some(nearest.clone())));
            }
        }
    }
    prop_assert_eq!(out.carves.len(), got.len(), "a carve is listed twice");
    prop_assert_eq!(got, want);
    let marked: BTreeSet<PathBuf> = rs
        .rules
        .iter()
        .filter(|r| r.carved)
        .map(|r| r.path.clone())
        .collect();
    // A carved directory keeps a rule only if it had listing to keep:
    // under a Write-only grant it has no right left, and no rule.
    let listable: BTreeSet<PathBuf> = carved
        .iter()
        .filter(|c| allowed(rs0, c, FsRight::ReadDir))
        .cloned()
        .collect();
    prop_assert!(
        listable.is_subset(&marked),
        "carved {:?}, marked {:?}",
        listable,
        marked
    );
    // A shut directory may also hold an uncarved rule of a grant that
    // cannot create (which then decides), so it need not be marked.
    prop_assert!(
        marked
            .iter()
            .all(|m| carved.contains(m) || shut.contains(m)),
        "marked {:?}, carved {:?}, shut {:?}",
        marked,
        carved,
        shut
    );
    for r in rs.rules.iter().filter(|r| r.carved) {
        prop_assert_eq!(r.kind, FileKind::Dir);
        prop_assert!(
            FsRights::from(FsRight::ReadDir).contains_all(r.rights),
            "carved {} grants {}",
            r.path.display(),
            r.rights
        );
    }

    for (p, kind) in s.tree.probe_paths() {
        let inside = denied.iter().find(|d| p.starts_with(d));
        let dir_of = |set: &BTreeSet<PathBuf>| {
            if set.contains(&p) {
                Some(p.clone())
            } else if kind.is_none() {
                p.parent()
                    .filter(|q| set.contains(*q))
                    .map(Path::to_path_buf)
            } else {
                None
            }
        };
        let in_carved = dir_of(&carved).is_some();
        let in_shut = dir_of(&shut);
        // ResolveUnix comes from `--allow-unix` alone, which names sockets
        // on purpose and is not carved (below ABI 9 the supervisor does
        // not carve it either); `check_unix` holds it to its paths.
        for r in rs.handled_fs.iter().filter(|r| *r != FsRight::ResolveUnix) {
            let (now, before) = (allowed(rs, &p, r), allowed(rs0, &p, r));
            prop_assert!(
                !now || before,
                "{} on {} allowed only after carving",
                r,
                p.display()
            );
            match inside {
                Some(_) if s.is_exposed(&p) => {}
                Some(d) => {
                    if r == FsRight::ReadDir {
                        prop_assert_eq!(
                            now,
                            allowed(rs0, d, FsRight::ReadDir),
                            "read_dir on {} below denied {}",
                            p.display(),
                            d.display()
                        );
                        if now {
                            let parent_carved = d.parent().is_some_and(|q| carved.contains(q));
                            prop_assert!(
                                parent_carved,
                                "{} listable but its parent is not carved",
                                d.display()
                            );
                        }
                    } else {
                        prop_assert!(
                            !now,
                            "{} reachable on {} below denied {}",
                            r,
                            p.display(),
                            d.display()
                        );
                    }
                }
                None if in_carved => prop_assert_eq!(
                    now,
                    r == FsRight::ReadDir && before,
                    "{} on {} (carved, or new in a carved directory)",
                    r,
                    p.display()
                ),
                None => match &in_shut {
                    Some(c) => prop_assert_eq!(
                        now,
                        shut_rights(rs0, c).contains(r),
                        "{} on {} (shut for a missing denied path, or new in a shut directory)",
                        r,
                        p.display()
                    ),
                    None => {
                        let applies =
                            kind != Some(FileKind::File) || !FsRights::DIRECTORY_ONLY.contains(r);
                        if applies {
                            prop_assert_eq!(
                                now,
                                before,
                                "{} on {} changed by carving",
                                r,
                                p.display()
                            );
                        }
                    }
                },
            }
        }
    }
    check_missing_denied(s, out, out0)
}

/// Every invariant above for one scenario and one target whose effective
/// ABI is `abi`: sensitive grants refused; then, for the clean policy (and
/// the same without denials): resolution, sound against the reference,
/// complete, normalised, covered rules justified, file rules, network,
/// scopes and status, carving, order-independent (shuffled by the
/// scenario's seed), idempotent. Returns the clean policy compiled.
pub fn check_case(s: &Scenario, abi: u8, target: &Target) -> Result<Compiled, TestCaseError> {
    prop_assert_eq!(target.effective_abi(), Some(Abi(abi)));
    check_sensitive(s, target)?;
    let policy = s.clean_policy();
    let undenied = s.undenied_policy();
    let out = compile_in(s, &policy, target)?;
    let out0 = compile_in(s, &undenied, target)?;

    check_sound(s, abi, &out)?;
    check_sound(s, abi, &out0)?;
    check_complete(s, abi, &out0)?;
    check_normalised(s, &out0)?;
    check_covered(s, &out0)?;
    check_file_rules(abi, &out0)?;
    check_file_rules(abi, &out)?;
    check_intent(&policy, abi, &out)?;
    check_status(&policy, abi, &out)?;
    check_unix(s, abi, &out)?;
    check_carving(s, &out, &out0)?;

    let shuffled = compile_in(s, &shuffled_policy(&policy, s.shuffle), target)?;
    check_same_lowering(&out, &shuffled)?;
    check_duplication(s, &policy, target, &out)?;
    check_own_rules(s, target, &out0)?;
    Ok(out)
}

/// [`check_case`] at every ABI nono knows (each reached the way `seeds` picks),
/// then [`check_resolution`] and [`check_monotone`] across them.
pub fn check_scenario(s: &Scenario, seeds: &TargetSeeds) -> CheckResult {
    check_resolution(s)?;
    let compiled: Vec<(u8, Compiled)> = targets(seeds)
        .map(|(abi, target)| check_case(s, abi, &target).map(|out| (abi, out)))
        .collect::<Result<_, _>>()?;
    check_monotone(s, &compiled)
}
