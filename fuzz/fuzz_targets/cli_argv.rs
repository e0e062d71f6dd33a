//! Fuzzes the command line: an argv of real and junk words goes through
//! clap, `policy::build` (built-in presets only) and `compile` over an
//! in-memory machine; never a panic, every error one line, no secret
//! reachable without `--expose`. The check is
//! `nono::fuzzing::check_argv_input`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nono::fuzzing::check_argv_input(data));
