//! Fuzzes the plugin manifest parser, which reads what an untrusted plugin
//! returned: any bytes are either a valid manifest (named as expected, every
//! preset valid) or an error; never a panic. The check is
//! `nono_plugins::fuzzing::plugin_manifest`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nono_plugins::fuzzing::plugin_manifest(data));
