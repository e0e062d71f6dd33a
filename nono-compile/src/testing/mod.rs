//! Property-testing kit for the compiler (feature `proptest`): random
//! in-memory trees and policies, the independent reference model of
//! DESIGN.md section 2, and the invariants every lowering keeps.
//!
//! nono's own property tests (`tests/it/lowering.rs`, `tests/it/carving.rs`)
//! and its lowering fuzz target are built from this module. It is public so
//! that preset and plugin authors can property-test their presets against
//! random machines the same way.
//!
//! - **Trees**: [`tree`] makes a random [`Tree`], an in-memory filesystem
//!   ([`MemFs`](crate::MemFs)) of directories, files and symlinks whose
//!   nodes it lists. [`Pick`] chooses among them.
//! - **Scenarios**: [`scenario`] and [`scenario_with_denies`] make a random
//!   [`Scenario`]: a tree, an environment, and a policy whose grants name
//!   tree nodes in many ways (absolute, relative, through symlinks, `~`,
//!   `$VAR`, `${VAR:-default}`, `..` detours, missing optional paths), with
//!   denials, exposes, a network policy and scopes. The generator knows
//!   which node each grant and denial names, so the checks never ask the
//!   compiler how a path resolves.
//! - **Targets**: [`target_seeds`] and [`targets`] reach every ABI nono
//!   knows ([`Abi::known`](nono_model::Abi::known)) the three ways a [`Target`](crate::Target) can (the kernel's ABI, an
//!   `--abi` limit below a newer kernel, a kernel below a higher limit).
//! - **Checks**: [`check_case`] checks one (tree, policy, target) case
//!   against every invariant (sound against the [`reference`](mod@reference) model,
//!   complete, normalised, file rules without directory-only rights,
//!   network and status, carving hides denied paths, order-independent,
//!   idempotent); [`check_scenario`] does so at every ABI and adds
//!   monotonicity. Each invariant is also a function of its own
//!   (`check_*`). [`check_confined`] is the one preset authors want most.
//!
//! Checks return [`CheckResult`], so they compose with `?` inside
//! `proptest!` bodies.
//!
//! # Example: a preset grants nothing outside the directories it names
//!
//! A preset for a documentation tree, `$DOCS_ROOT` (default `~/src`) read
//! and its `x` subdirectory writable, on random machines: any tree, any
//! home, `DOCS_ROOT` set to any directory or unset.
//!
//! ```
//! use nono_compile::testing::{CheckResult, Pick, Tree, check_confined, tree};
//! use nono_compile::{FsProbe, ResolveEnv, Target, compile};
//! use nono_model::{Abi, GrantSource, Policy, Preset};
//! use proptest::prelude::*;
//! use proptest::test_runner::TestCaseError;
//! use std::path::PathBuf;
//!
//! const DOCS: &str = r#"(
//!     name: "docs",
//!     description: "The documentation tree, and its build output",
//!     grants: [
//!         (path: "${DOCS_ROOT:-~/src}", access: Read, optional: true),
//!         (path: "${DOCS_ROOT:-~/src}/x", access: Allow, optional: true),
//!     ],
//! )"#;
//!
//! fn docs_stays_in_its_directories(t: Tree, home: Pick, root: Option<Pick>) -> CheckResult {
//!     let dirs: Vec<PathBuf> = t.dirs().map(PathBuf::from).collect();
//!     let mut env = ResolveEnv::new("/");
//!     env.home = Some(dirs[home.index(dirs.len())].clone());
//!     if let Some(root) = root {
//!         let root = dirs[root.index(dirs.len())].display().to_string();
//!         env.vars.insert("DOCS_ROOT".into(), root);
//!     }
//!     let preset = Preset::from_ron(DOCS).map_err(|e| TestCaseError::fail(e.to_string()))?;
//!     let mut policy = Policy::default();
//!     for grant in preset.grants {
//!         policy.add(grant, GrantSource::Preset(preset.name.clone()));
//!     }
//!     // Where the preset says it points, here: the directory it names,
//!     // through any symlinks.
//!     let named = nono_compile::expand("${DOCS_ROOT:-~/src}", &env).unwrap_or_default();
//!     let roots: Vec<PathBuf> = t.fs.canonicalize(named.as_ref()).into_iter().collect();
//!     let out = compile(&policy, &Target::kernel(Abi::LATEST), &env, &t.fs)
//!         .map_err(|e| TestCaseError::fail(format!("does not compile: {e}")))?;
//!     check_confined(&out.ruleset, &t, &roots)
//! }
//!
//! // In a test file this is
//! // proptest! {
//! //     #[test]
//! //     fn docs(t in tree(), home in any::<Pick>(), root in proptest::option::of(any::<Pick>())) {
//! //         docs_stays_in_its_directories(t, home, root)?;
//! //     }
//! // }
//! let mut runner = proptest::test_runner::TestRunner::default();
//! runner
//!     .run(
//!         &(tree(), any::<Pick>(), proptest::option::of(any::<Pick>())),
//!         |(t, home, root)| docs_stays_in_its_directories(t, home, root),
//!     )
//!     .unwrap();
//! ```
//!
//! A plugin tests the presets its function computes the same way, with a
//! random `HostContext` (its environment variables and home pointing into
//! the tree): see `nono-plugins/examples/acme`.

mod checks;
#[cfg(feature = "fuzzing")]
mod fuzz;
pub mod reference;
mod scenario;

pub use checks::{
    CheckResult, check_appliable, check_carving, check_case, check_complete, check_covered,
    check_duplication, check_file_rules, check_intent, check_missing_denied, check_monotone,
    check_normalised, check_own_rules, check_resolution, check_same_lowering, check_scenario,
    check_sensitive, check_sound, check_status, compile_in, shuffled, shuffled_policy,
};
#[cfg(feature = "fuzzing")]
pub use fuzz::{check_lowering_input, scenario_input};
pub use scenario::{
    DENY_SOURCES, DenySpec, GrantSpec, IntentSpec, LinkSpec, MAX_DEPTH, NAMES, NEW, NodeSpec, Pick,
    SOURCES, Scenario, ScenarioSpec, TargetSeeds, Tree, VAR, access, deny_source, depth, intent,
    known_abi, net_policy, ports, relative, scenario, scenario_with_denies, scopes, source, suffix,
    target_for, target_seeds, targets, text, tree,
};

use crate::allowed;
use nono_model::Ruleset;
use proptest::prelude::*;
use std::path::PathBuf;

/// **Confined**: `ruleset` grants nothing outside `roots` (canonical paths
/// in `tree`, directories or files). Every rule is at or below a root, and
/// on every path of the tree outside them (and on a new entry in every
/// directory outside them), every handled right is denied.
pub fn check_confined(ruleset: &Ruleset, tree: &Tree, roots: &[PathBuf]) -> CheckResult {
    let inside = |p: &std::path::Path| roots.iter().any(|r| p.starts_with(r));
    for rule in &ruleset.rules {
        prop_assert!(
            inside(&rule.path),
            "a rule on {} ({}), outside {:?}",
            rule.path.display(),
            rule.rights,
            roots
        );
    }
    for (p, _) in tree.probe_paths() {
        if inside(&p) {
            continue;
        }
        for r in ruleset.handled_fs.iter() {
            prop_assert!(
                !allowed(ruleset, &p, r),
                "{} allowed on {}, outside {:?}",
                r,
                p.display(),
                roots
            );
        }
    }
    Ok(())
}
