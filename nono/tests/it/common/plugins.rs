//! The small C plugins of `tests/fixtures/plugins`, compiled for a test:
//! they show that a plugin need not be Rust, and each fails in its own way.

use std::path::Path;
use std::process::Command;

/// Where the programs the tests run are: the probe, the terminal harness,
/// the C programs.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Where the C plugins' sources are.
pub const C_PLUGINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plugins");

/// `bytes` as a C string literal (octal escapes, which cannot run on into
/// the next character).
pub fn c_literal(bytes: &[u8]) -> String {
    let mut lit = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => lit.push_str("\\\""),
            b'\\' => lit.push_str("\\\\"),
            b' '..=b'~' => lit.push(b as char),
            _ => lit.push_str(&format!("\\{b:03o}")),
        }
    }
    lit.push('"');
    lit
}

/// `-DNAME=LITERAL`: the macro `NAME` defined as `bytes`, a C string literal.
pub fn c_define(name: &str, bytes: &[u8]) -> String {
    format!("-D{name}={}", c_literal(bytes))
}

/// Compiles the C plugin source `NAME.c` into `out`:
/// `cc -Wall -Werror -I C_PLUGINS FLAGS... -o OUT NAME.c` (the flags make it
/// a shared library, `-shared -fPIC`, and define its macros).
pub fn compile_c(name: &str, out: &Path, flags: &[&str]) {
    let src = Path::new(C_PLUGINS).join(format!("{name}.c"));
    let status = Command::new("cc")
        .args(["-Wall", "-Werror", "-I", C_PLUGINS])
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed on {}", src.display());
}
