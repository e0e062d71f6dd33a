//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/*`) through the
//! same checks the fuzz targets call, so that `cargo test` on stable runs
//! every input a fuzzing session found interesting, and a crash once found
//! stays fixed. A file that makes a check fail (a panic or a broken
//! invariant) fails its target's test, naming the file.
//!
//! | target | check |
//! |---|---|
//! | `preset_ron` | `nono_plugins::fuzzing::preset_ron` |
//! | `plugin_manifest` | `nono_plugins::fuzzing::plugin_manifest` |
//! | `cli_argv` | `nono::fuzzing::check_argv_input` |
//! | `lowering` | `nono_compile::testing::check_lowering_input` |

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// Runs `check` on every file of `fuzz/corpus/<target>/`, and fails with
/// the name and the message of every file that fails it.
fn replay(target: &str, check: impl Fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no corpus files", dir.display());
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(ToString::to_string))
                .unwrap_or_default();
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            failed.push(format!("{target}/{name}: {message}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} corpus files fail:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}

#[test]
fn preset_ron_corpus() {
    replay("preset_ron", nono_plugins::fuzzing::preset_ron);
}

#[test]
fn plugin_manifest_corpus() {
    replay("plugin_manifest", nono_plugins::fuzzing::plugin_manifest);
}

#[test]
fn cli_argv_corpus() {
    replay("cli_argv", nono::fuzzing::check_argv_input);
}

#[test]
fn lowering_corpus() {
    replay("lowering", |data| {
        if let Err(broken) = nono_compile::testing::check_lowering_input(data) {
            panic!("{broken}");
        }
    });
}
