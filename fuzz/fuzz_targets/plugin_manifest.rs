//! Fuzzes the plugin manifest parser, which reads what an untrusted plugin
//! returned: any bytes are either a valid manifest (named as expected, every
//! preset valid) or an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nono_model::Preset;
use nono_plugins::{ManifestError, PluginManifest};

fuzz_target!(|data: &[u8]| {
    match PluginManifest::parse(data, "acme") {
        Ok(manifest) => {
            assert_eq!(manifest.name, "acme");
            assert!(manifest.presets.iter().all(|p| p.validate().is_ok()));
            assert!(manifest.presets.iter().all(|p| Preset::is_valid_name(&p.name)));
        }
        Err(ManifestError::Ron(e)) => {
            assert!(e.line >= 1, "line numbers are 1-based: {e}");
        }
        Err(ManifestError::NotUtf8 { valid_up_to, len }) => {
            assert!(valid_up_to < len && len == data.len());
        }
        Err(_) => {}
    }
});
