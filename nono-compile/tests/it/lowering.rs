//! Property tests for the compiler: `compile` checked against an independent
//! reference model on random in-memory trees.
//!
//! The generators, the reference model and the checks live in
//! `nono_compile::testing` (feature `proptest`, which this crate's tests
//! enable), where the fuzz targets and preset authors use them too; this
//! file states the properties.
//!
//! Each case builds a random [`MemFs`] tree (directories, files, a few
//! symlinks, depth at most 4, at most ~25 nodes) and a random [`Policy`] whose
//! grants name paths of the tree in several ways (absolute, relative to a
//! working directory inside the tree, through symlinks, through `~`, `$VAR`,
//! `${VAR:-default}`, with `.` and `..` detours), plus optional grants on
//! paths that do not resolve, and a random network policy (unrestricted,
//! blocked, or port rules with random connect and bind ports), random IPC
//! scopes and a random `--log-denials` ([`testing::scenario`]). The generator
//! knows, by construction, which tree node each grant must resolve to, so the
//! reference model ([`testing::reference`]) never asks the compiler (or
//! `MemFs`) how a path resolves.
//!
//! The reference model is the access table of DESIGN.md section 2, written
//! out again: Read = ReadFile, ReadDir, Execute; Write = WriteFile,
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
//! Properties, for every ABI nono knows (given as the kernel's ABI, or as an
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

use nono_compile::testing::{
    self, Pick, Scenario, check_complete, check_covered, check_duplication, check_file_rules,
    check_intent, check_monotone, check_normalised, check_own_rules, check_resolution,
    check_same_lowering, check_sound, check_status, compile_in, known_abi, scenario, target_seeds,
    targets,
};
use nono_compile::{
    CompileError, Compiled, FsProbe, MemFs, Resolution, ResolveEnv, Target, allowed, compile,
};
use nono_model::{
    Abi, Access, AccessLevels, EnforcementStatus, FileKind, FsGrant, FsRight, FsRights,
    GrantSource, NetPolicy, NetRights, Policy, ScopeSet, Scopes,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeSet;
use std::path::Path;

/// Compiles the scenario's own policy.
fn compile_ok(s: &Scenario, target: &Target) -> Result<Compiled, TestCaseError> {
    compile_in(s, &s.policy, target)
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
        check_resolution(&s)?;
    }

    /// A required grant that does not resolve makes `compile` fail, naming
    /// the grant's source and its path as written.
    #[test]
    fn required_missing_path_is_an_error_naming_it(
        s in scenario(),
        at in any::<Pick>(),
        missing in prop_oneof![Just("/nope/x"), Just("nope"), Just("$NONO_UNSET/x")],
        abi in known_abi(),
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
        let policy = s.policy_with(grants);
        match compile(&policy, &Target::kernel(Abi(abi)), &s.env, &s.tree.fs) {
            Err(CompileError::Resolve { source_of, path, reason }) => {
                prop_assert_eq!(source_of.as_str(), named);
                prop_assert_eq!(path.as_str(), missing);
                prop_assert!(!reason.to_string().is_empty());
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
        for (abi, target) in targets(&seeds) {
            prop_assert_eq!(target.effective_abi(), Some(Abi(abi)));
            check_sound(&s, abi, &compile_ok(&s, &target)?)?;
        }
    }

    /// Complete: every right the reference model grants (all of them handled
    /// at the ABI) is allowed.
    #[test]
    fn complete(s in scenario(), seeds in target_seeds()) {
        for (abi, target) in targets(&seeds) {
            check_complete(&s, abi, &compile_ok(&s, &target)?)?;
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
        let other = s.policy_with(shuffled);
        for (_, target) in targets(&seeds) {
            let a = compile_ok(&s, &target)?;
            let b = compile_in(&s, &other, &target)?;
            check_same_lowering(&a, &b)?;
        }
    }

    /// Idempotent: every grant given twice gives the same ruleset.
    #[test]
    fn idempotent_under_duplication(s in scenario(), seeds in target_seeds()) {
        for (_, target) in targets(&seeds) {
            check_duplication(&s, &s.policy, &target, &compile_ok(&s, &target)?)?;
        }
    }

    /// Idempotent: the ruleset's own rules, given back as a policy (each rule
    /// path at each of its levels, from each of its sources), compile to the
    /// same ruleset, with nothing covered.
    #[test]
    fn idempotent_on_its_own_rules(s in scenario(), seeds in target_seeds()) {
        for (_, target) in targets(&seeds) {
            check_own_rules(&s, &target, &compile_ok(&s, &target)?)?;
        }
    }

    /// Normalised: rules sorted by path without repeats; no rule's levels are
    /// covered by its directory ancestors' rules; each rule holds exactly the
    /// levels and sources granted on its path.
    #[test]
    fn normalised(s in scenario(), abi in known_abi()) {
        check_normalised(&s, &compile_ok(&s, &Target::kernel(Abi(abi)))?)?;
    }

    /// Every resolved path ends up either as a rule or as a covered rule, and
    /// a covered rule is really covered by the kept rules above it, and names
    /// as `by` a directory above it that grants one of its levels.
    #[test]
    fn covered_rules_are_justified(s in scenario()) {
        check_covered(&s, &compile_ok(&s, &Target::kernel(Abi::LATEST))?)?;
    }

    /// File rules carry no directory-only right, and every rule's rights are
    /// exactly what its levels lower to at the ABI for its kind.
    #[test]
    fn file_rules_carry_no_directory_only_right(s in scenario(), seeds in target_seeds()) {
        prop_assert_eq!(
            FsRights::DIRECTORY_ONLY,
            testing::reference::ref_directory_only()
        );
        for (abi, target) in targets(&seeds) {
            check_file_rules(abi, &compile_ok(&s, &target)?)?;
        }
    }

    /// Monotone across ABIs: every right handled at ABI n is still handled at
    /// n+1 and decided the same way on every path; the same holds for the
    /// network rights (and their port rules) and the scopes; the socket
    /// filter does not depend on the ABI; and every gap at n+1 is a gap at n.
    #[test]
    fn monotone_across_abis(s in scenario(), seeds in target_seeds()) {
        let compiled: Vec<(u8, Compiled)> = targets(&seeds)
            .map(|(abi, t)| compile_ok(&s, &t).map(|c| (abi, c)))
            .collect::<Result<_, _>>()?;
        check_monotone(&s, &compiled)?;
    }

    /// `abi_limit` below the kernel's ABI lowers exactly like a kernel of
    /// that ABI.
    #[test]
    fn abi_limit_lowers_like_the_kernel_abi(
        s in scenario(),
        abi in known_abi(),
        newer in 0u8..=3,
    ) {
        let by_kernel = compile_ok(&s, &Target::kernel(Abi(abi)))?;
        let limited = Target {
            kernel_abi: Some(Abi(abi + newer)),
            abi_limit: Some(Abi(abi)),
            user_namespaces: false,
        };
        let by_limit = compile_ok(&s, &limited)?;
        check_same_lowering(&by_kernel, &by_limit)?;
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
        limit in proptest::option::of(known_abi()),
    ) {
        let policy = &s.policy;
        for (abi, target) in targets(&seeds) {
            check_status(policy, abi, &compile_ok(&s, &target)?)?;
        }

        let none = Target { kernel_abi: None, abi_limit: limit.map(Abi), user_namespaces: false };
        prop_assert_eq!(none.effective_abi(), None);
        let out = compile_ok(&s, &none)?;
        prop_assert_eq!(out.predicted, EnforcementStatus::NotEnforced);
        let lowered = limit.unwrap_or(Abi::LATEST.0);
        prop_assert_eq!(out.ruleset.abi, Abi(lowered));
        prop_assert_eq!(out.ruleset.handled_fs, testing::reference::ref_handled(lowered));
        prop_assert_eq!(
            out.ruleset.handled_net,
            testing::reference::ref_handled_net(&policy.net, lowered)
        );
        prop_assert_eq!(
            out.ruleset.scoped,
            testing::reference::ref_scoped(policy.scopes, lowered)
        );
    }

    /// The network, scopes and logging lower as the reference says at every
    /// ABI (see `testing::check_intent`). The filesystem part is not touched
    /// by any of it.
    #[test]
    fn network_scopes_and_logging_lower_per_abi(s in scenario(), seeds in target_seeds()) {
        let mut fs_only = s.policy.clone();
        fs_only.net = NetPolicy::Unrestricted;
        fs_only.scopes = Scopes { signals: false, abstract_unix: false };
        fs_only.log_denials = false;
        for (abi, target) in targets(&seeds) {
            let out = compile_ok(&s, &target)?;
            check_intent(&s.policy, abi, &out)?;
            let rs = &out.ruleset;
            let ctx = format!("ABI {abi}: {:?} {:?}", s.policy.net, s.policy.scopes);
            let plain = compile_in(&s, &fs_only, &target)?;
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
    /// ruleset: the model keeps sets, and the rules come out sorted (the
    /// TCP lists are used as UDP lists too, the other way round).
    #[test]
    fn port_rules_are_order_independent(
        s in scenario(),
        connect in vec(prop_oneof![0u16..6, any::<u16>()], 0..=6),
        bind in vec(prop_oneof![0u16..6, any::<u16>()], 0..=6),
        seed in any::<u64>(),
        abi in known_abi(),
    ) {
        // The same ports with repeats, shuffled by `seed`.
        let scramble = |ports: &[u16]| -> Vec<u16> {
            let doubled: Vec<u16> = ports.iter().chain(ports.iter().rev()).copied().collect();
            testing::shuffled(doubled, seed)
        };
        let policy_of = |c: &[u16], b: &[u16]| {
            let mut p = s.policy.clone();
            p.net = NetPolicy::Ports {
                connect: c.iter().copied().collect(),
                bind: b.iter().copied().collect(),
                udp_connect: b.iter().copied().collect(),
                udp_bind: c.iter().copied().collect(),
            };
            p
        };
        let target = Target::kernel(Abi(abi));
        let a = compile_in(&s, &policy_of(&connect, &bind), &target)?;
        let b = compile_in(&s, &policy_of(&scramble(&connect), &scramble(&bind)), &target)?;
        prop_assert_eq!(&a.ruleset, &b.ruleset);
        prop_assert_eq!(&a.gaps, &b.gaps);
        let mut union: BTreeSet<u16> = connect.iter().chain(&bind).copied().collect();
        if abi >= 10 && !bind.is_empty() {
            // A UDP connect port also grants binding the ephemeral port 0.
            union.insert(0);
        }
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
    assert_eq!(reason.to_string(), "no such file or directory");
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

/// The ABI 8, 9 and 10 passes on one policy: `--allow /tmp`,
/// `--allow-unix /tmp/agent.sock`, `--net-connect 443,udp:53`,
/// `--net-bind udp:5353`. Every thread is restricted at once from 8;
/// ResolveUnix is handled from 9 and granted on the socket by its own rule,
/// never by the Allow grant on `/tmp` around it, and the supervisor judges
/// sockets only below 9; UDP rights and `udp:` port rules (with the
/// ephemeral bind on port 0) exist only from 10, where the `net_udp` gap
/// closes and the policy is FullyEnforced.
#[test]
fn abi_8_9_and_10_lower_threads_unix_sockets_and_udp() {
    let mut fs = MemFs::new();
    fs.dir("/tmp")
        .file("/tmp/agent.sock")
        .file("/tmp/other.sock");
    let mut policy = Policy::default();
    policy.add(FsGrant::new("/tmp", Access::Allow), flag("--allow"));
    policy.unix.push(nono_model::UnixGrant {
        path: "/tmp/agent.sock".into(),
        source: flag("--allow-unix"),
    });
    policy.net = NetPolicy::Ports {
        connect: [443].into(),
        bind: BTreeSet::new(),
        udp_connect: [53].into(),
        udp_bind: [5353].into(),
    };
    let env = ResolveEnv::new("/");
    for abi in Abi::known() {
        let out = compile(&policy, &Target::kernel(abi), &env, &fs).unwrap();
        let rs = &out.ruleset;
        let ctx = format!("ABI {abi}");
        assert_eq!(rs.all_threads, abi >= Abi::V8, "{ctx}");

        let tmp = &rs.rules[0];
        assert_eq!(tmp.path, Path::new("/tmp"), "{ctx}");
        assert!(!tmp.rights.contains(FsRight::ResolveUnix), "{ctx}");
        assert_eq!(
            rs.handled_fs.contains(FsRight::ResolveUnix),
            abi >= Abi::V9,
            "{ctx}"
        );
        let unix: Vec<&Path> = rs.unix_rules.iter().map(|u| u.path.as_path()).collect();
        if abi >= Abi::V9 {
            assert_eq!(unix, [Path::new("/tmp/agent.sock")], "{ctx}");
        } else {
            assert!(unix.is_empty(), "{ctx}");
        }
        assert_eq!(rs.supervision.unix_sockets, abi < Abi::V9, "{ctx}");
        let agent = Path::new("/tmp/agent.sock");
        let other = Path::new("/tmp/other.sock");
        if abi >= Abi::V9 {
            assert!(allowed(rs, agent, FsRight::ResolveUnix), "{ctx}");
            assert!(!allowed(rs, other, FsRight::ResolveUnix), "{ctx}");
        }

        let udp = NetRights::BIND_UDP | NetRights::CONNECT_SEND_UDP;
        assert_eq!(rs.handled_net.contains(udp), abi >= Abi::V10, "{ctx}");
        let ports: Vec<(u16, NetRights)> =
            rs.port_rules.iter().map(|r| (r.port, r.rights)).collect();
        let want: Vec<(u16, NetRights)> = match abi.0 {
            10.. => vec![
                (0, NetRights::BIND_UDP),
                (53, NetRights::CONNECT_SEND_UDP),
                (443, NetRights::CONNECT_TCP),
                (5353, NetRights::BIND_UDP),
            ],
            4.. => vec![(443, NetRights::CONNECT_TCP)],
            _ => vec![],
        };
        assert_eq!(ports, want, "{ctx}");
        let udp_gap = out.gaps.iter().any(|g| g.feature == "net_udp");
        assert_eq!(udp_gap, abi < Abi::V10, "{ctx}");
        if abi >= Abi::V10 {
            assert!(out.gaps.is_empty(), "{ctx}: {:?}", out.gaps);
            assert_eq!(out.predicted, EnforcementStatus::FullyEnforced, "{ctx}");
        }
    }
}

/// Under `--net-block` UDP is handled with no port rule from ABI 10 (the
/// seccomp filter refuses UDP sockets at every ABI), and no gap is named:
/// the block was never a gap below 10.
#[test]
fn net_block_handles_udp_from_abi_10_and_is_no_gap_below() {
    let fs = MemFs::new();
    let policy = Policy {
        net: NetPolicy::Block,
        ..Policy::default()
    };
    let env = ResolveEnv::new("/");
    for abi in Abi::known() {
        let out = compile(&policy, &Target::kernel(abi), &env, &fs).unwrap();
        let udp = NetRights::BIND_UDP | NetRights::CONNECT_SEND_UDP;
        assert_eq!(
            out.ruleset.handled_net.contains(udp),
            abi >= Abi::V10,
            "ABI {abi}"
        );
        assert!(out.ruleset.port_rules.is_empty(), "ABI {abi}");
        assert!(out.gaps.iter().all(|g| g.feature != "net_udp"), "ABI {abi}");
    }
}
