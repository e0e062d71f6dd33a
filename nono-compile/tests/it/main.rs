//! nono-compile's property tests, one test binary
//! (`cargo test -p nono-compile --test it`): [`lowering`] checks `compile`
//! against an independent reference model on random in-memory trees,
//! [`carving`] the denied paths cut out of granted trees, [`redirect`] that
//! a preset's grant does not follow a link a sandbox could have planted,
//! against an oracle that knows where it planted one. Each also has
//! example-based tests on small fixed trees. A module's failing cases are
//! kept in its `.proptest-regressions` file, beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod carving;
mod lowering;
mod redirect;
