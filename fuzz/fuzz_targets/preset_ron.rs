//! Fuzzes the preset RON parser: any input is either a valid preset or an
//! error with a line and column inside the input; never a panic. The check
//! is `nono_plugins::fuzzing::preset_ron`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nono_plugins::fuzzing::preset_ron(data));
