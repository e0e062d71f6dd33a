//! The `nono` binary: everything is in the library (`src/lib.rs`), which
//! tests and fuzz targets call too.

fn main() -> std::process::ExitCode {
    nono::main()
}
