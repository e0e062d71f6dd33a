//! Evaluating a plugin in a sandboxed helper process.
//!
//! A plugin is native code. nono never loads one into its own process:
//! it starts a helper (nono itself, re-executed with a hidden subcommand),
//! which is confined first and only then loads the plugin and calls it.
//! This crate runs both sides but sandboxes nothing itself: the helper's
//! confinement is the `nono` binary's, handed to [`helper_main`] as a
//! [`Confine`].
//!
//! - `evaluator`: the parent's front door ([`Evaluator::evaluate`]):
//!   checks that the file may be trusted (see [`crate::trust`]), takes an
//!   answer for exactly this file and context from the cache
//!   ([`crate::cache`]) or runs the helper, then checks the answer (UTF-8,
//!   RON, the plugin's name, every preset) and stores a fresh, valid one.
//!   Any failure is a [`PluginFailure`]; nothing partial is ever returned.
//! - `protocol`: what the parent and the helper tell each other: the
//!   helper's arguments and environment, the context on its standard
//!   input, the answer on its standard output, and its exit status.
//! - `supervise`: starting the helper with a clean environment in a
//!   process group of its own, and reading its answer with a time limit
//!   ([`TIME_LIMIT`]) and a size limit ([`OUTPUT_LIMIT`]), killing the whole
//!   group when either is hit and once it has answered.
//! - `failure`: [`PluginFailure`], and how the helper's ending reads as
//!   one.
//! - `helper`: the helper process ([`helper_main`]): closes what it
//!   inherited, keeps its standard output for the answer, reads the
//!   context, opens the plugin and checks it is still the file the parent
//!   checked, has itself confined, and only then loads the plugin.
//! - `ffi`: loading the plugin and calling its C ABI.

mod evaluator;
mod failure;
mod ffi;
mod helper;
mod protocol;
mod supervise;

pub use crate::manifest::OUTPUT_LIMIT;
pub use evaluator::{ContextSource, Evaluation, Evaluator};
pub use failure::PluginFailure;
pub use helper::{Confine, helper_main};
pub use protocol::{EXIT_FAILED, EXIT_NO_MANIFEST, EXIT_OK};
pub use supervise::TIME_LIMIT;
