//! The checks of the preset and plugin manifest fuzz targets (not part of
//! the API): what `fuzz/` runs on random input and `cargo test` replays on
//! the committed corpus. Each panics when a check fails.

use crate::{ManifestError, PluginManifest};
use nono_model::{Preset, PresetError};

/// The preset RON parser: any input is either a valid preset or an error
/// with a line and column inside the input; never a panic.
pub fn preset_ron(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Preset::from_ron(text) {
        Ok(preset) => {
            assert!(Preset::is_valid_name(&preset.name));
            assert!(preset.grants.iter().all(|g| g.validate().is_ok()));
        }
        Err(PresetError::Ron(e)) => {
            assert!(e.line >= 1, "line numbers are 1-based: {e}");
            assert!(
                e.line <= text.lines().count().max(1) + 1,
                "line past the end: {e}"
            );
        }
        Err(_) => {}
    }
}

/// The plugin manifest parser, which reads what an untrusted plugin
/// returned: any bytes are either a valid manifest (named as expected,
/// every preset valid) or an error; never a panic.
pub fn plugin_manifest(data: &[u8]) {
    match PluginManifest::parse(data, "acme") {
        Ok(manifest) => {
            assert_eq!(manifest.name, "acme");
            assert!(manifest.presets.iter().all(|p| p.validate().is_ok()));
            assert!(
                manifest
                    .presets
                    .iter()
                    .all(|p| Preset::is_valid_name(&p.name))
            );
        }
        Err(ManifestError::Ron(e)) => {
            assert!(e.line >= 1, "line numbers are 1-based: {e}");
        }
        Err(ManifestError::NotUtf8 { valid_up_to, len }) => {
            assert!(valid_up_to < len && len == data.len());
        }
        Err(_) => {}
    }
}
