//! Property tests: on random machines, Acme's presets always validate and
//! compile, and grant nothing outside the directories they name.
//!
//! A machine is a random in-memory tree (`nono_compile::testing::tree`) with
//! a home directory (written as it is, or through a symlink; sometimes
//! holding `.cache/acme`), a working directory, sometimes the default JDK
//! `/opt/acme/jdk`, and `ACME_JDK_HOME` unset, naming a directory of the tree
//! (absolute, through a symlink, relative to the working directory, with a
//! trailing `/`, or with a `/./` detour), or naming a path that does not
//! exist. The plugin's function looks at that tree (through `presets_on`),
//! and nono's own compiler resolves the presets in it with the environment
//! the `HostContext` describes, as `nono run --preset acme/NAME` would.

use super::presets_on;
use nono_compile::testing::{CheckResult, Pick, Tree, check_confined, relative, text, tree};
use nono_compile::{CompileError, FsProbe, ResolveEnv, Target, compile};
use nono_model::{Abi, FileKind, GrantSource, Policy};
use nono_plugins::sdk::{HostContext, PluginManifest, Preset};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::path::{Path, PathBuf};

/// How `ACME_JDK_HOME` is set.
#[derive(Clone, Debug)]
enum JdkVar {
    /// Not set: the plugin looks for the default location.
    Unset,
    /// A directory of the tree, written in form 0 absolute, 1 through a
    /// symlink, 2 relative to the working directory, 3 with a trailing `/`,
    /// 4 with a `/./` detour.
    Dir(Pick, u8, Pick),
    /// A path that does not exist.
    Missing(Pick),
}

fn jdk_var() -> impl Strategy<Value = JdkVar> {
    prop_oneof![
        1 => Just(JdkVar::Unset),
        4 => (any::<Pick>(), 0u8..5, any::<Pick>()).prop_map(|(d, f, via)| JdkVar::Dir(d, f, via)),
        1 => any::<Pick>().prop_map(JdkVar::Missing),
    ]
}

/// A random machine and what the plugin should make of it.
#[derive(Debug)]
struct Machine {
    tree: Tree,
    ctx: HostContext,
    env: ResolveEnv,
    /// The JDK directory `ACME_JDK_HOME` (or the default) names, canonical;
    /// `None` when there is none.
    jdk: Option<PathBuf>,
    /// `ACME_JDK_HOME`'s value when it names nothing.
    missing_jdk: Option<String>,
    /// The cache directory, canonical, if it exists.
    cache: Option<PathBuf>,
}

#[allow(clippy::too_many_arguments)]
fn machine(
    mut tree: Tree,
    home: Pick,
    home_via: Option<Pick>,
    cwd: Pick,
    cache: bool,
    default_jdk: bool,
    var: JdkVar,
) -> Machine {
    let dirs = |tree: &Tree| -> Vec<PathBuf> { tree.dirs().map(PathBuf::from).collect() };
    let home = dirs(&tree)[home.index(dirs(&tree).len())].clone();
    let cwd = dirs(&tree)[cwd.index(dirs(&tree).len())].clone();
    let cache = (cache && tree.add_dir(home.join(".cache/acme"))).then(|| home.join(".cache/acme"));
    let default =
        (default_jdk && tree.add_dir("/opt/acme/jdk")).then(|| PathBuf::from("/opt/acme/jdk"));
    let written_as = |tree: &Tree, path: &Path, via: Option<Pick>| -> String {
        let node = tree.real.iter().position(|(p, _)| p == path);
        match (node, via) {
            (Some(t), Some(via)) => tree.via_link(t, via).unwrap_or_else(|| text(path)),
            _ => text(path),
        }
    };

    let all = dirs(&tree);
    let (value, jdk, missing_jdk) = match var {
        JdkVar::Unset => (None, default, None),
        JdkVar::Dir(d, form, via) => {
            let d = all[d.index(all.len())].clone();
            let value = match form {
                0 => text(&d),
                1 => written_as(&tree, &d, Some(via)),
                2 => relative(&cwd, &d),
                3 => format!("{}/", text(&d)),
                _ => match (d.parent(), d.file_name()) {
                    (Some(parent), Some(name)) => text(&parent.join(".").join(name)),
                    _ => text(&d),
                },
            };
            (Some(value), Some(d), None)
        }
        JdkVar::Missing(d) => {
            let value = text(&all[d.index(all.len())].join("missing-jdk"));
            (Some(value.clone()), None, Some(value))
        }
    };

    let home_text = written_as(&tree, &home, home_via);
    let mut ctx = HostContext {
        abi_version: 1,
        nono_version: "0.1.0".into(),
        os: "linux".into(),
        arch: "x86_64".into(),
        home: Some(home_text.clone()),
        cwd: text(&cwd),
        env: [("HOME".to_owned(), home_text.clone())].into(),
    };
    if let Some(value) = value {
        ctx.env.insert("ACME_JDK_HOME".into(), value);
    }
    // What nono resolves the presets with: the same process environment.
    let mut env = ResolveEnv::new(cwd);
    env.home = Some(home_text.into());
    env.vars = ctx.env.clone().into_iter().collect();
    Machine {
        tree,
        ctx,
        env,
        jdk,
        missing_jdk,
        cache,
    }
}

fn fail(what: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(what.to_string())
}

/// Acme's presets on `m`, through the manifest nono receives: they must
/// validate there as they do here.
fn presets(m: &Machine) -> Result<Vec<Preset>, TestCaseError> {
    let fs = &m.tree.fs;
    let is_dir = |p: &Path| {
        fs.canonicalize(p)
            .and_then(|c| fs.stat(&c))
            .is_ok_and(|meta| meta.kind == FileKind::Dir)
    };
    let presets = presets_on(&m.ctx, &is_dir);
    for p in &presets {
        p.validate()
            .map_err(|e| fail(format!("acme/{}: {e}", p.name)))?;
    }
    let manifest = PluginManifest {
        name: "acme".into(),
        version: "1.4.0".into(),
        presets: presets.clone(),
    };
    let ron = manifest.to_ron().map_err(fail)?;
    let back = PluginManifest::parse(ron.as_bytes(), "acme").map_err(fail)?;
    prop_assert_eq!(&back.presets, &presets);
    Ok(presets)
}

/// The presets validate and compile; each grants nothing outside the
/// directory it names (`build` nothing at all: it only extends); a JDK that
/// is not there is a resolve error naming it, never a grant elsewhere.
fn presets_stay_in_their_directories(m: &Machine) -> CheckResult {
    let presets = presets(m)?;
    let names: Vec<&str> = presets.iter().map(|p| p.name.as_str()).collect();
    let has_jdk = m.jdk.is_some() || m.missing_jdk.is_some();
    let mut want = vec!["base", "tmp"];
    if has_jdk {
        want.push("acme/jdk");
    }
    want.push("acme/cache");
    let want_names: Vec<&str> = ["jdk", "cache", "build"]
        .into_iter()
        .filter(|n| *n != "jdk" || has_jdk)
        .collect();
    prop_assert_eq!(&names, &want_names);

    for preset in &presets {
        let mut policy = Policy::default();
        policy.deny_sensitive();
        for grant in &preset.grants {
            policy.add(
                grant.clone(),
                GrantSource::Preset(format!("acme/{}", preset.name)),
            );
        }
        let roots: Vec<PathBuf> = match preset.name.as_str() {
            "jdk" => m.jdk.iter().cloned().collect(),
            "cache" => m.cache.iter().cloned().collect(),
            _ => {
                prop_assert_eq!(&preset.extends, &want);
                Vec::new()
            }
        };
        match compile(&policy, &Target::kernel(Abi::LATEST), &m.env, &m.tree.fs) {
            Ok(out) => check_confined(&out.ruleset, &m.tree, &roots)?,
            Err(CompileError::Resolve { path, .. })
                if preset.name == "jdk" && m.missing_jdk.as_deref() == Some(path.as_str()) => {}
            Err(e) => prop_assert!(false, "acme/{} does not compile: {}", preset.name, e),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn presets_validate_compile_and_stay_in_their_directories(
        t in tree(),
        home in any::<Pick>(),
        home_via in proptest::option::weighted(0.3, any::<Pick>()),
        cwd in any::<Pick>(),
        cache in any::<bool>(),
        default_jdk in any::<bool>(),
        var in jdk_var(),
    ) {
        let m = machine(t, home, home_via, cwd, cache, default_jdk, var);
        presets_stay_in_their_directories(&m)?;
    }
}
