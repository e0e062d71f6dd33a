//! The preset catalog every command looks presets up in.

use crate::plugin_helper::PLUGIN_EVAL_SUBCOMMAND;
use nono_plugins::{Catalog, ContextSource, Evaluator, PluginHost, PluginSearch};
use std::path::PathBuf;

/// The catalog for this process: user preset files, built-ins, and plugins
/// (the `--plugin` files first, then the plugin directories), each plugin
/// evaluated only when a preset of it is asked for, its answer cached.
///
/// It also creates nono's cache directory if it is missing: every sandbox
/// carves it out of its grants (see `nono_plugins::cache`). Every command
/// builds its catalog before its policy.
pub fn catalog(plugin_files: &[PathBuf]) -> Catalog {
    // /proc/self/exe is this very binary, should current_exe fail.
    let program = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let evaluator = Evaluator::new(
        program,
        vec![PLUGIN_EVAL_SUBCOMMAND.into()],
        ContextSource::Current {
            nono_version: env!("CARGO_PKG_VERSION").to_owned(),
        },
    )
    .with_cache(nono_plugins::cache::prepare_from_env());
    Catalog::new()
        .with_user_dir(nono_plugins::user_preset_dir())
        .with_plugins(PluginHost {
            search: PluginSearch::from_env(plugin_files.to_vec()),
            evaluator,
        })
}
