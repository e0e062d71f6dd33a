//! The toolchains the tests run with: programs on PATH, Python, Rust.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first executable `name` on this test process's PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The directory of python3 on this test process's PATH, and the variables
/// it needs in a sandbox: PYENV_ROOT for a pyenv shim (the python preset
/// grants it), VIRTUAL_ENV when the tests run in one.
pub fn python() -> (PathBuf, Vec<(String, OsString)>) {
    let python = which("python3").expect("python3 must be on PATH");
    let dir = python.parent().unwrap().to_path_buf();
    let mut env = Vec::new();
    let pyenv_root = std::env::var_os("PYENV_ROOT").or_else(|| {
        (dir.file_name()? == "shims").then(|| dir.parent().unwrap().as_os_str().to_owned())
    });
    if let Some(root) = pyenv_root {
        env.push(("PYENV_ROOT".to_owned(), root));
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        env.push(("VIRTUAL_ENV".to_owned(), venv));
    }
    (dir, env)
}

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
