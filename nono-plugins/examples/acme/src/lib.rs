//! An example organisation preset plugin: Acme's JDK and build cache.
//!
//! Built, this crate is `libacme.so`, the plugin `acme`. Its presets depend
//! on the machine it is evaluated on, which is what a plugin is for (fixed
//! paths belong in a preset file):
//!
//! - `acme/jdk`: the Acme JDK, read-only: the directory `$ACME_JDK_HOME`
//!   names, else `/opt/acme/jdk` if it exists. Without either there is no
//!   JDK here, and no `acme/jdk` preset.
//! - `acme/cache`: Acme's build cache, `~/.cache/acme`, read-write (skipped
//!   when it does not exist yet).
//! - `acme/build`: both of the above, plus the built-in `base` and `tmp`.
//!
//! nono evaluates the plugin in a sandboxed helper process: it may read the
//! filesystem (to look for the JDK) but not write to it or use the network.

use nono_plugins::sdk::{Access, FsGrant, HostContext, Preset};
use std::path::Path;

/// Where the JDK is installed when `$ACME_JDK_HOME` is not set.
const DEFAULT_JDK: &str = "/opt/acme/jdk";

/// The Acme JDK on this machine, and how it was found. `is_dir` says
/// whether a directory exists.
fn jdk(ctx: &HostContext, is_dir: &dyn Fn(&Path) -> bool) -> Option<(String, &'static str)> {
    if let Some(home) = ctx.var("ACME_JDK_HOME") {
        return Some((home.to_owned(), "$ACME_JDK_HOME"));
    }
    is_dir(Path::new(DEFAULT_JDK)).then(|| (DEFAULT_JDK.to_owned(), "the default location"))
}

/// Acme's presets for the machine `ctx` describes.
fn presets(ctx: &HostContext) -> Vec<Preset> {
    presets_on(ctx, &|path| path.is_dir())
}

/// Acme's presets for the machine `ctx` describes, whose filesystem
/// `is_dir` looks at: the real one in the plugin, a random in-memory tree in
/// the property tests (`src/properties.rs`).
fn presets_on(ctx: &HostContext, is_dir: &dyn Fn(&Path) -> bool) -> Vec<Preset> {
    let mut presets = Vec::new();
    let mut build = Preset::new(
        "build",
        "Build Acme projects: the JDK, the build cache, base and tmp",
    )
    .extending("base")
    .extending("tmp");

    if let Some((path, found_by)) = jdk(ctx, is_dir) {
        presets.push(
            Preset::new(
                "jdk",
                format!("Acme JDK at {path} (from {found_by}), read-only"),
            )
            .with_grant(FsGrant::new(path, Access::Read)),
        );
        build = build.extending("acme/jdk");
    }

    if let Some(home) = ctx.home_dir() {
        let cache = home.join(".cache/acme");
        presets.push(
            Preset::new("cache", "Acme build cache (~/.cache/acme), read-write")
                .with_grant(FsGrant::new(cache.to_string_lossy(), Access::Allow).skip_if_missing()),
        );
        build = build.extending("acme/cache");
    }

    presets.push(build);
    presets
}

nono_plugins::export_plugin!(presets);

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_jdk_comes_from_the_environment_and_the_cache_from_home() {
        let mut ctx = HostContext::default();
        ctx.env.insert("ACME_JDK_HOME".into(), "/srv/jdk-21".into());
        ctx.home = Some("/home/ada".into());
        let presets = presets(&ctx);
        let names: Vec<&str> = presets.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["jdk", "cache", "build"]);
        assert_eq!(presets[0].grants[0].path, "/srv/jdk-21");
        assert_eq!(presets[1].grants[0].path, "/home/ada/.cache/acme");
        assert_eq!(
            presets[2].extends,
            ["base", "tmp", "acme/jdk", "acme/cache"]
        );
        assert!(presets.iter().all(|p| p.validate().is_ok()));
    }
}
