//! The Rust toolchain the tests run with.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The running Rust toolchain: its `bin` directory (from `rustup which
/// cargo`) and the rustup home it lives in, both canonical.
pub struct RustToolchain {
    /// The directory of `cargo` and `rustc`.
    pub bin: PathBuf,
    /// `rustup show home`.
    pub rustup_home: PathBuf,
}

/// The trimmed stdout of a command run with this test process's own
/// environment, if it succeeds and prints something.
pub fn stdout_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Finds the running toolchain with `rustup`.
pub fn rust_toolchain() -> RustToolchain {
    let cargo = stdout_of(Command::new("rustup").args(["which", "cargo"]))
        .expect("`rustup which cargo` must work: this workspace is built with rustup");
    let bin = Path::new(&cargo).parent().unwrap().to_path_buf();
    let rustup_home = stdout_of(Command::new("rustup").args(["show", "home"]))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("RUSTUP_HOME").map(PathBuf::from))
        .expect("the rustup home");
    let rustup_home = rustup_home.canonicalize().unwrap();
    let bin = bin.canonicalize().unwrap();
    assert!(
        bin.starts_with(&rustup_home),
        "the toolchain {} is not under RUSTUP_HOME {}",
        bin.display(),
        rustup_home.display()
    );
    RustToolchain { bin, rustup_home }
}
