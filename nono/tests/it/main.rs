//! nono's integration tests, one test binary (`cargo test -p nono --test it`)
//! with a module per concern, as they run the real `nono` binary under real
//! Landlock. The programs they run inside sandboxes are files under
//! `tests/fixtures`: the probe (`probe.py`, one attempt with real system
//! calls a run, named by op), the terminal harness (`tty.py`) and the C
//! plugins (`plugins/*.c`).
//!
//! - [`abi_lowering`]: `--abi N` lowers the same policy differently, and the
//!   kernel behaves as the lowering says;
//! - [`bad_inputs`]: every malformed input gets one clear error;
//! - [`cli_contract`]: `--dry-run`, exit codes, nono's own errors, `check`,
//!   `presets`;
//! - [`differential`]: the compiler and the reference evaluator against the
//!   kernel, on random policies over a real tree;
//! - [`escapes`]: real attempts to get out of a sandbox;
//! - [`first_use`]: what a new user meets first (warnings, presets,
//!   messages, man pages, completions, the agent recipe);
//! - [`fs_levels`]: the three access levels, file grants, scripts, Refer;
//! - [`fuzz_corpus`]: the committed fuzz corpus, replayed;
//! - [`guard`]: the syscall guard, each channel it closes tried for real;
//! - [`net_confinement`]: network and IPC confinement, against real peers;
//! - [`no_side_effects`]: commands that run nothing change nothing on disk;
//! - [`non_utf8_paths`]: grants and reports of paths that are not UTF-8;
//! - [`persistence`]: nothing a run writes may run later outside it (the
//!   mount layer's protected paths);
//! - [`plugins`]: preset plugins, end to end, and their cache;
//! - [`presets_toolchains`]: every built-in preset, with its real toolchain;
//! - [`redirect`]: a preset's grant does not follow a symlink an earlier
//!   sandbox may have planted;
//! - [`secrets`]: sensitive paths and variables;
//! - [`supervisor`]: what the supervisor judges (Unix sockets, metadata,
//!   inotify), and the run's life under it;
//! - [`user_presets`]: user preset files;
//! - [`why`]: `nono why` held to the kernel, and the self-describing
//!   commands.
//!
//! [`common`] holds what several of them share: the scratch directory and
//! the fake home, running nono, the probe, the dry run's report, the C
//! plugins' compiler, the Rust toolchain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod abi_lowering;
mod bad_inputs;
mod cli_contract;
mod differential;
mod escapes;
mod first_use;
mod fs_levels;
mod fuzz_corpus;
mod guard;
mod net_allow;
mod net_confinement;
mod no_side_effects;
mod non_utf8_paths;
mod persistence;
mod plugins;
mod presets_toolchains;
mod redirect;
mod secrets;
mod supervisor;
mod user_presets;
mod why;

/// With `autotests = false` (nono/Cargo.toml), a test file that is not a
/// module of this binary would never be compiled, and its tests would pass
/// by never running. So: no `.rs` file directly under `tests/`, and every
/// `.rs` file under `tests/it` is declared as a module by its parent
/// (`main.rs` or the `mod.rs` of its directory). Twin: the check finds the
/// modules that are declared (this file's own, at least thirteen).
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    use std::path::Path;
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let stray: Vec<_> = std::fs::read_dir(&tests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    assert!(
        stray.is_empty(),
        "{stray:?}: make each a module of tests/it, or it never runs"
    );
    fn walk(dir: &Path, parent: &str, found: &mut usize, missing: &mut Vec<String>) {
        let parent_text = std::fs::read_to_string(dir.join(parent)).unwrap();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let module = if path.is_dir() {
                walk(&path, "mod.rs", found, missing);
                name
            } else if path.extension().is_some_and(|x| x == "rs") && name != "mod" && name != "main"
            {
                name
            } else {
                continue;
            };
            if parent_text.contains(&format!("mod {module};")) {
                *found += 1;
            } else {
                missing.push(path.display().to_string());
            }
        }
    }
    let (mut found, mut missing) = (0, Vec::new());
    walk(&tests.join("it"), "main.rs", &mut found, &mut missing);
    assert!(
        missing.is_empty(),
        "{missing:?}: not declared as modules, so never compiled"
    );
    assert!(found >= 14, "only {found} modules found");
}
