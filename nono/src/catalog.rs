//! The preset catalog every command looks presets up in.

use crate::plugin_helper::PLUGIN_EVAL_SUBCOMMAND;
use nono_plugins::cache::{CacheOff, CacheSetting};
use nono_plugins::{Catalog, ContextSource, Evaluator, PluginHost, PluginSearch};
use std::path::PathBuf;

/// The catalog for this process: user preset files, built-ins, and plugins
/// (the `--plugin` files first, then the plugin directories), each plugin
/// evaluated only when a preset of it is asked for.
///
/// Plugins' answers are looked up in and stored in nono's cache only when
/// `stores` (a `nono run` that runs its command): every other command
/// (`--dry-run`, `why`, `presets`) changes nothing on disk, so it evaluates
/// plugins afresh and creates no cache directory. The cache directory is
/// created only when an entry is stored; while it is missing, no sandbox
/// can create it (see `nono_plugins::cache`).
pub fn catalog(plugin_files: &[PathBuf], stores: bool) -> Catalog {
    // /proc/self/exe is this very binary, should current_exe fail.
    let program = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let cache = if stores {
        CacheSetting::from_env()
    } else {
        CacheSetting::Off(CacheOff::ChangesNothing)
    };
    let evaluator = Evaluator::new(
        program,
        vec![PLUGIN_EVAL_SUBCOMMAND.into()],
        ContextSource::Current {
            nono_version: env!("CARGO_PKG_VERSION").to_owned(),
        },
    )
    .with_cache(cache);
    Catalog::new()
        .with_user_dir(nono_plugins::user_preset_dir())
        .with_plugins(PluginHost {
            search: PluginSearch::from_env(plugin_files.to_vec()),
            evaluator,
        })
}
