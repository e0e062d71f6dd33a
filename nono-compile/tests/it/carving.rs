//! Property tests for carving: denied paths cut out of granted trees.
//!
//! The generators, the reference and the checks live in
//! `nono_compile::testing` (feature `proptest`, which this crate's tests
//! enable); this module states the properties.
//!
//! Each case ([`testing::scenario_with_denies`]) builds a random [`MemFs`]
//! tree (directories and files, depth at most 4, a few symlinks), random
//! grants on its nodes (written in every form the lowering tests use:
//! absolute, relative, through a symlink, `~`, `$VAR`, ...), and random
//! denials: nodes anywhere in the tree, nodes at or below a grant's path (so
//! possibly equal to a grant, to one of its descendants, or nested in
//! another denial), and paths that do not exist (a new name in a directory,
//! two levels of new names, a new name "below" a file, written through a
//! symlink, or a dangling symlink and what lies below it); written absolute
//! or through a symlink, from a flag, a preset or the built-in list. Some
//! existing denials are also `--expose`d. The generator knows which node
//! every grant and denial names, and for a missing path its nearest existing
//! directory, so the reference never asks the compiler how a path resolves.
//! Each case is compiled at a random ABI that nono knows.
//!
//! Terms: `D` is the set of *effective* denied paths (denials that exist and
//! are not at or below an exposed path); `M` the effective denials of paths
//! that do not exist, each with its *nearest existing directory* `A`, where
//! its first missing component would be created (a file's directory when
//! the path goes "below" a file). A grant is *offending* when its path
//! is at or below some `d` in `D` and not at or below an exposed path.
//! `rs` is the ruleset of the policy without its offending grants; `rs0` the
//! ruleset of the same grants with no denials and no exposes. A directory
//! `c` is *carved* when it is a strict ancestor of some `d` in `D`, is not
//! itself at or below any `d` in `D` (nested denials), and a directory rule
//! of `rs0` is at or above it (`C` is the set of them). A directory is
//! *shut* when it is the `A` of some `m` in `M`, or an ancestor of one, with
//! a directory rule of `rs0` that has the Write level (creation rights) at
//! or above it, and is not at or below a `d` in `D` (`S` is the set of
//! them). A *handled* right is one `rs` handles. `allowed` is the reference
//! evaluator.
//!
//! Properties:
//!
//! - **sensitive**: a policy with an offending grant fails with
//!   `CompileError::Sensitive` naming the first offending grant (in policy
//!   order) and a denial that contains it; without one it compiles;
//! - **denied and carves**: `Compiled::denied` lists exactly `D` and
//!   `Compiled::missing` exactly `M` (with each `A`); `Compiled::carves`
//!   has exactly one `(under, denied)` for every directory rule of `rs0`
//!   strictly above a `d` in `D`, and one `(under, m, A)` for every
//!   directory rule of `rs0` with the Write level at or above the `A` of an
//!   `m` in `M`; the rules of `rs` marked carved include the listable
//!   members of `C`, lie in `C` or `S`, and grant at most ReadDir;
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
//! - **nothing can create a missing denied path**: for every `m` in `M`
//!   whose `A` a directory rule of `rs0` with the Write level covers (and
//!   that is not inside a `d` in `D`), `allowed(rs, p, r)` is false for
//!   every right `r` that creates, removes or moves an entry (Make*,
//!   Remove*, Refer), on `A`, on a new name in `A`, and on every directory
//!   from such a rule down to `A`; every existing entry of `A` that leads to
//!   no denied path keeps exactly its rights in `rs0`
//!   ([`testing::check_missing_denied`]);
//! - **everything else keeps its rights**: a carved directory in `C` (and a
//!   new name directly in one) keeps exactly ReadDir if `rs0` allowed it
//!   there, and nothing else; a shut directory in `S` but not `C` (and a new
//!   name in one) keeps exactly ReadDir if `rs0` allowed it, plus the rights
//!   of the rules of `rs0` above it that cannot create (they are not
//!   carved for a missing path); every other existing path, and new name in
//!   a directory, that is not beneath a `d` in `D`, has exactly the rights
//!   it has in `rs0` (for a file: every right that applies to files);
//! - **sound**: on every path, `rs` never allows a right that `rs0` denies;
//! - **order-independent**: shuffling the grants, the denials and the
//!   exposes gives the same ruleset and the same `covered`, and the same
//!   `denied` and `carves` (paths and sources);
//! - **appliable**: every rule of `rs` grants at least one right (Landlock
//!   refuses a rule with an empty access set);
//! - **every invariant at once**: [`testing::check_scenario`] (the lowering
//!   invariants with denials, at every ABI) holds, as the lowering fuzz
//!   target checks.
//!
//! Plus example-based tests on a fixed home with the built-in sensitive
//! paths.

use nono_compile::testing::{
    self, Scenario, check_appliable, check_carving, check_missing_denied, check_same_lowering,
    check_sensitive, compile_in, known_abi, scenario_with_denies, shuffled_policy, target_seeds,
};
use nono_compile::{CompileError, MemFs, ResolveEnv, Target, allowed, compile};
use nono_model::{Abi, Access, FsGrant, FsRight, GrantSource, Policy};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn target(abi: u8) -> Target {
    Target::kernel(Abi(abi))
}

/// The clean policy and the same shuffled by `seed` lower alike.
fn check_shuffled(s: &Scenario, abi: u8, seed: u64) -> testing::CheckResult {
    let policy = s.clean_policy();
    let a = compile_in(s, &policy, &target(abi))?;
    let b = compile_in(s, &shuffled_policy(&policy, seed), &target(abi))?;
    check_same_lowering(&a, &b)
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
    fn grants_inside_a_denied_path_are_refused(s in scenario_with_denies(), abi in known_abi()) {
        check_sensitive(&s, &target(abi))?;
        // Without the offending grants the policy compiles.
        compile_in(&s, &s.clean_policy(), &target(abi))?;
    }

    /// Denied and carves, nothing denied reachable, everything else keeps
    /// its rights, sound (see the file's documentation).
    #[test]
    fn carving_hides_exactly_the_denied_paths(s in scenario_with_denies(), abi in known_abi()) {
        let out = compile_in(&s, &s.clean_policy(), &target(abi))?;
        let out0 = compile_in(&s, &s.undenied_policy(), &target(abi))?;
        check_carving(&s, &out, &out0)?;
    }

    /// Nothing can create a missing denied path: its nearest existing
    /// directory, and every directory from a grant that could create it
    /// down to that one, allow no right that creates, removes or moves an
    /// entry, while the existing entries there keep their rights.
    #[test]
    fn missing_denied_paths_cannot_be_created(s in scenario_with_denies(), abi in known_abi()) {
        let out = compile_in(&s, &s.clean_policy(), &target(abi))?;
        let out0 = compile_in(&s, &s.undenied_policy(), &target(abi))?;
        check_missing_denied(&s, &out, &out0)?;
    }

    /// Order-independent: shuffling grants, denials and exposes gives the
    /// same ruleset and the same covered rules (and everything else
    /// `check_same_lowering` compares).
    #[test]
    fn the_ruleset_is_independent_of_order(
        s in scenario_with_denies(),
        abi in known_abi(),
        seed in any::<u64>(),
    ) {
        check_shuffled(&s, abi, seed)?;
    }

    /// Order-independent: shuffling gives the same `denied` and `carves`,
    /// down to which denial's text and source each names (what `--dry-run`
    /// prints).
    #[test]
    fn denied_and_carves_are_independent_of_order(
        s in scenario_with_denies(),
        abi in known_abi(),
        seed in any::<u64>(),
    ) {
        check_shuffled(&s, abi, seed)?;
    }

    /// Appliable: no rule has an empty access set (Landlock refuses one:
    /// `nono run` would fail with "empty access-right").
    #[test]
    fn every_rule_grants_something(s in scenario_with_denies(), abi in known_abi()) {
        check_appliable(&compile_in(&s, &s.clean_policy(), &target(abi))?)?;
    }
}

proptest! {
    // Each case compiles at every ABI nono knows, several times over.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every invariant of `testing::check_scenario` at once, with denials:
    /// what the lowering fuzz target checks.
    #[test]
    fn every_invariant_holds_with_denials(s in scenario_with_denies(), seeds in target_seeds()) {
        testing::check_scenario(&s, &seeds)?;
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
        &Target::kernel(Abi::LATEST),
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
    let t = Target::kernel(Abi::LATEST);
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

// ---------------------------------------------------------------------------
// Examples: sensitive paths that do not exist.
// ---------------------------------------------------------------------------

/// A home at /h without `.ssh`, `.npmrc` or `.kube`, with `.docker` (but no
/// `.docker/config.json`), a file `.gnupg` (so `.gnupg` cannot hold
/// anything until it is replaced), a dangling `.aws` link into
/// `/vault/aws`, and ordinary files.
fn bare_home() -> (MemFs, ResolveEnv) {
    let mut fs = MemFs::new();
    fs.file("/h/.docker/daemon.json")
        .file("/h/.config")
        .file("/h/notes.txt")
        .file("/h/proj/src/main.rs")
        .dir("/vault")
        .file("/vault/other.txt")
        .symlink("/h/.aws", "/vault/aws");
    let mut env = ResolveEnv::new("/h/proj");
    env.home = Some("/h".into());
    (fs, env)
}

const CREATE: [FsRight; 7] = [
    FsRight::MakeReg,
    FsRight::MakeDir,
    FsRight::MakeSym,
    FsRight::MakeFifo,
    FsRight::RemoveFile,
    FsRight::RemoveDir,
    FsRight::Refer,
];

#[test]
fn missing_sensitive_paths_leave_nothing_to_create_in_their_nearest_directory() {
    let (fs, env) = bare_home();
    let t = Target::kernel(Abi::LATEST);
    let out = compile(&home_policy(&[("~", Access::Allow)]), &t, &env, &fs).unwrap();
    // No existing sensitive path here: only missing ones, each with the
    // directory it would be created in.
    assert!(out.denied.is_empty(), "{:?}", out.denied);
    let nearest = |p: &str| {
        out.missing
            .iter()
            .find(|d| d.path == Path::new(p))
            .and_then(|d| d.nearest_existing.clone())
    };
    assert_eq!(nearest("/h/.ssh"), Some("/h".into()));
    assert_eq!(nearest("/h/.docker/config.json"), Some("/h/.docker".into()));
    // Through the dangling link: where its target would be created.
    assert_eq!(nearest("/vault/aws"), Some("/vault".into()));
    // "Below" a file: replacing the file happens in its directory.
    assert_eq!(nearest("/h/.config/gcloud"), Some("/h".into()));
    let carve = out
        .carves
        .iter()
        .find(|c| c.denied == Path::new("/h/.ssh"))
        .unwrap();
    assert_eq!(carve.under, Path::new("/h"));
    assert_eq!(
        carve.missing_reason().unwrap(),
        "/h/.ssh does not exist, so nothing new can be created in /h"
    );
    // /vault is not granted: nothing carved for the link's target.
    assert!(
        out.carves
            .iter()
            .all(|c| c.denied != Path::new("/vault/aws"))
    );

    let rs = &out.ruleset;
    let ok = |p: &str, r| allowed(rs, Path::new(p), r);
    for r in CREATE {
        // Neither ~/.ssh nor ~/.npmrc can be created, nor anything in the
        // existing ~/.docker, nor can ~/.docker be renamed or removed.
        assert!(!ok("/h", r), "{r} on /h");
        assert!(!ok("/h/.ssh", r), "{r} on /h/.ssh");
        assert!(!ok("/h/.docker", r), "{r} on /h/.docker");
        assert!(!ok("/h/.docker/config.json", r), "{r}");
        // The allowed twin: an existing subdirectory keeps every right.
        assert!(ok("/h/proj", r), "{r} on /h/proj");
        assert!(ok("/h/proj/src/new.rs", r), "{r} in /h/proj/src");
    }
    assert!(!ok("/h/.npmrc", FsRight::WriteFile));
    // Existing entries keep their rights: files can be written, not
    // removed.
    for p in ["/h/notes.txt", "/h/.docker/daemon.json", "/h/.config"] {
        assert!(ok(p, FsRight::WriteFile) && ok(p, FsRight::ReadFile), "{p}");
    }
    assert!(ok("/h", FsRight::ReadDir) && ok("/h/.docker", FsRight::ReadDir));

    // A grant that cannot create changes nothing.
    let out = compile(&home_policy(&[("~", Access::Read)]), &t, &env, &fs).unwrap();
    assert!(out.carves.is_empty(), "{:?}", out.carves);
    assert!(allowed(
        &out.ruleset,
        Path::new("/h/new.txt"),
        FsRight::ReadFile
    ));
    // Nor does a grant that does not cover the nearest directory.
    let out = compile(&home_policy(&[("~/proj", Access::Allow)]), &t, &env, &fs).unwrap();
    assert!(out.carves.is_empty(), "{:?}", out.carves);
    assert!(allowed(
        &out.ruleset,
        Path::new("/h/proj"),
        FsRight::MakeReg
    ));
    // A grant on /vault: the dangling ~/.aws would be created there.
    let out = compile(&home_policy(&[("/vault", Access::Write)]), &t, &env, &fs).unwrap();
    assert!(!allowed(
        &out.ruleset,
        Path::new("/vault"),
        FsRight::MakeDir
    ));
    assert!(allowed(
        &out.ruleset,
        Path::new("/vault/other.txt"),
        FsRight::WriteFile
    ));
}

#[test]
fn an_exposed_path_is_not_carved_when_what_it_holds_is_missing() {
    let (fs, env) = bare_home();
    let t = Target::kernel(Abi::LATEST);
    // ~/.docker exposed: the missing ~/.docker/config.json inside it is not
    // carved, so it can be created...
    let mut policy = home_policy(&[("~", Access::Allow)]);
    policy.exposes.push("~/.docker".into());
    let out = compile(&policy, &t, &env, &fs).unwrap();
    assert!(
        out.missing
            .iter()
            .all(|d| d.path != Path::new("/h/.docker/config.json"))
    );
    assert!(allowed(
        &out.ruleset,
        Path::new("/h/.docker"),
        FsRight::MakeReg
    ));
    // ... while the home stays shut for the other missing paths.
    assert!(!allowed(&out.ruleset, Path::new("/h"), FsRight::MakeDir));
    // The twin, without --expose: ~/.docker is shut.
    let out = compile(&home_policy(&[("~", Access::Allow)]), &t, &env, &fs).unwrap();
    assert!(!allowed(
        &out.ruleset,
        Path::new("/h/.docker"),
        FsRight::MakeReg
    ));
}

/// A tree where a listing names an entry that is gone by the time it is
/// looked at (a busy directory: a temporary file removed in between).
struct Vanishing {
    fs: MemFs,
    listed_but_gone: PathBuf,
}

impl nono_compile::FsProbe for Vanishing {
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        self.fs.canonicalize(path)
    }
    fn stat(&self, path: &Path) -> std::io::Result<nono_compile::FileMeta> {
        self.fs.stat(path)
    }
    fn read_link(&self, path: &Path) -> std::io::Result<PathBuf> {
        self.fs.read_link(path)
    }
    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut entries = self.fs.read_dir(path)?;
        if self.listed_but_gone.parent() == Some(path) {
            entries.push(self.listed_but_gone.clone());
        }
        Ok(entries)
    }
}

#[test]
fn an_entry_gone_between_listing_and_looking_is_left_out_and_the_rest_is_marked_listed() {
    let (fs, env) = home();
    let policy = home_policy(&[("~", Access::Allow)]);
    let target = Target::kernel(Abi::LATEST);
    let plain = compile(&policy, &target, &env, &fs).unwrap();
    let racing = Vanishing {
        fs,
        listed_but_gone: "/h/tmp.1234".into(),
    };
    let out = compile(&policy, &target, &env, &racing).unwrap();
    // The same ruleset as without the race: the vanished name gets no rule.
    assert_eq!(out.ruleset, plain.ruleset);
    let rule = |p: &str| out.ruleset.rules.iter().find(|r| r.path == Path::new(p));
    assert!(rule("/h/tmp.1234").is_none());
    // Entries found by listing the carved home may vanish before the
    // sandbox is applied; the carved home itself may not.
    assert!(rule("/h/notes.txt").expect("a rule").listed);
    assert!(rule("/h/proj").expect("a rule").listed);
    let home = rule("/h").expect("a rule");
    assert!(home.carved && !home.listed);
}
