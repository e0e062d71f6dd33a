//! Preset sources for nono, and the SDK for writing preset plugins.
//!
//! A preset is requested by a *spec*:
//!
//! - a path ending in `.ron` is read from that file;
//! - `PLUGIN/NAME` names a plugin's preset: the plugin `libPLUGIN.so` is
//!   found (see [`PluginSearch`]), checked ([`trust`]), and evaluated in a
//!   sandboxed helper process ([`isolate`]; the sandbox is the `nono`
//!   binary's, handed in as a [`Confine`]), or its answer for exactly this
//!   file and context taken from the cache ([`cache`]); only then is any
//!   plugin loaded;
//! - a bare name is a user preset file (`$XDG_CONFIG_HOME/nono/presets/NAME.ron`,
//!   which shadows a built-in of the same name) or a built-in preset (`base`,
//!   `tmp`, `rust`, `python`, `node`, `go`, `git`), embedded from
//!   `presets/*.ron` and parsed by the same code as preset files.
//!
//! [`Catalog::expand`] follows `extends` and returns every grant with the
//! name of the preset that holds it.
//!
//! ```
//! # #[cfg(feature = "host")] {
//! use nono_plugins::Catalog;
//!
//! let catalog = Catalog::new();
//! let grants = catalog.expand("rust").unwrap();
//! assert!(grants.iter().any(|g| g.preset == "base" && g.grant.path == "/usr"));
//! # }
//! ```
//!
//! # Features
//!
//! - `host` (default): everything above; what nono uses. This crate
//!   depends on `nono-model` and no other nono crate: it sandboxes nothing
//!   itself.
//! - `sdk`: [`export_plugin!`] for plugin authors. A plugin depends on this
//!   crate with `default-features = false, features = ["sdk"]`.
//!
//! The wire types, [`HostContext`] and [`PluginManifest`], are always there.

mod builtin;
#[cfg(feature = "host")]
pub mod cache;
#[doc(hidden)]
pub mod fuzzing;
mod manifest;

#[cfg(feature = "host")]
mod catalog;
#[cfg(feature = "host")]
mod discovery;
#[cfg(feature = "host")]
pub mod isolate;
#[cfg(feature = "host")]
pub mod trust;

#[cfg(feature = "sdk")]
pub mod sdk;

pub use builtin::BUILTIN;
pub use manifest::{
    HostContext, ManifestError, OUTPUT_LIMIT, PLUGIN_ABI_VERSION, PluginManifest,
    plugin_name_from_file,
};

#[cfg(feature = "host")]
pub use cache::{CacheOff, CacheSetting, PluginCache, Provenance};
#[cfg(feature = "host")]
pub use catalog::{
    Catalog, Listed, Listing, LoadedPlugin, LoadedPreset, Origin, PluginError, PluginHost,
    PresetGrant, PresetLookupError,
};
#[cfg(feature = "host")]
pub use discovery::{
    BadPluginFile, FoundPlugin, PLUGIN_PATH_VAR, PluginSearch, SYSTEM_PLUGIN_DIR, SearchDir,
    config_dir, plugin_path_dirs, user_preset_dir,
};
#[cfg(feature = "host")]
pub use isolate::{
    Confine, ContextSource, Evaluation, Evaluator, PluginFailure, TIME_LIMIT, helper_main,
};

#[cfg(feature = "host")]
impl HostContext {
    /// The context of this process: nono's version (`nono_version`, which
    /// the caller passes, since this crate's version need not be nono's),
    /// the OS and architecture, `$HOME`, the working directory and the
    /// environment. Variables that are not UTF-8 are left out, and so are
    /// those the sandboxed command would not get either (credentials and
    /// code-injection variables, and values with a password in a URL, see
    /// `nono_model::is_sensitive_env`): a plugin is untrusted code.
    pub fn current(nono_version: &str) -> HostContext {
        let env: std::collections::BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, v)| !nono_model::is_sensitive_env(k.as_bytes(), v.as_bytes()))
            .collect();
        HostContext {
            abi_version: PLUGIN_ABI_VERSION,
            nono_version: nono_version.to_owned(),
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            home: env.get("HOME").filter(|h| !h.is_empty()).cloned(),
            cwd: std::env::current_dir()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_default(),
            env,
        }
    }
}
