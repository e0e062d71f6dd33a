//! Fuzzes the preset RON parser: any input is either a valid preset or an
//! error with a line and column inside the input; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nono_model::{Preset, PresetError};

fuzz_target!(|data: &[u8]| {
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
            assert!(e.line <= text.lines().count().max(1) + 1, "line past the end: {e}");
        }
        Err(_) => {}
    }
});
