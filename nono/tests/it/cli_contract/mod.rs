//! The CLI contract of DESIGN.md section 3, checked against the real binary.
//!
//! - `--dry-run` runs nothing (a marker command leaves no trace) and reports
//!   the grants with their source and resolved path, the per-rule rights, the
//!   handled set and the predicted status, as text and as JSON;
//! - a granted symlink resolves to its target: the dry run shows both, and
//!   the sandbox grants the target (a sibling of the target stays denied);
//! - exit codes: the command's own status (nono execs it: same pid, same
//!   signal), 127 for a missing command, 126 for a denied exec, 125 with one
//!   line on stderr naming the input for each of nono's own errors (missing
//!   path, unknown preset, malformed preset file with line:column, bad
//!   `--abi`), and in each case the command did not run;
//! - `nono check` (text and JSON) reports the kernel, the Landlock ABI and
//!   one line per feature; `nono presets list|show`;
//! - `-vv` shows the pipeline: each stage, and each pass by name with what
//!   it added.
//!
//! One module each: [`dry_run`] (and symlinks), [`exit_codes`], [`errors`]
//! (nono's own), [`listings`] (`nono check`, `nono presets`), [`verbose`]
//! (`-vv`).

mod dry_run;
mod errors;
mod exit_codes;
mod listings;
mod verbose;
