//! Fuzzes the compiler: a policy (grants in every form, denials, exposes,
//! network, scopes) over an in-memory tree, compiled at every Landlock ABI
//! nono knows and checked against every invariant of `nono_compile::testing`
//! (sound against the reference model, complete, normalised, file rules,
//! carving, order-independent, monotone). The check is
//! `nono_compile::testing::check_lowering_input`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = nono_compile::testing::check_lowering_input(data) {
        panic!("{broken}");
    }
});
