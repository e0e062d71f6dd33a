//! Links the unwinder (libgcc_eh) into nono statically, so that starting
//! nono does not load libgcc_s.so.
//!
//! Rust's standard library on linux-gnu links libgcc_s.so for unwinding
//! (panics, backtraces). Loading it costs every run of nono about 0.1 ms on
//! a 2-core VM (measured with benches/whole_command.py: an empty Rust
//! program that execs /bin/true, 1.28 ms with it and 1.18 ms without; its
//! constructor alone runs CPUID several times, which traps to the
//! hypervisor). nono sits in front of every command, so that is a tenth of
//! its whole overhead.
//!
//! The standard library asks the linker for `-lgcc_s`. Here a directory
//! holding `libgcc_s.a`, a link to the compiler's `libgcc_eh.a` (the same
//! unwinder, as an archive), is put first on the library search path, so
//! that `-lgcc_s` finds the archive: nono carries the few unwinder functions
//! it uses, and libgcc_s.so is no longer needed (with `--as-needed`, which
//! rustc passes, it is not even listed). Panics unwind and backtraces work
//! as before. This is what `-C target-feature=+crt-static` does for the
//! unwinder, without also linking glibc statically (which would break
//! `dlopen`, needed for plugins).
//!
//! Anywhere this does not apply (not linux-gnu, no C compiler to ask, no
//! libgcc_eh.a), nothing is done and nono links libgcc_s.so as usual.
//! `NONO_SHARED_LIBGCC=1` turns it off.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=NONO_SHARED_LIBGCC");
    println!("cargo:rerun-if-env-changed=CC");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let crt_static = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .unwrap_or_default()
        .split(',')
        .any(|f| f == "crt-static");
    if target_os != "linux" || target_env != "gnu" || crt_static {
        return;
    }
    if std::env::var_os("NONO_SHARED_LIBGCC").is_some_and(|v| v == "1") {
        return;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let Ok(out) = Command::new(&cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let eh = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    // A compiler that does not know the file prints its bare name.
    if !out.status.success() || !eh.is_absolute() || !eh.is_file() {
        return;
    }
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let dir = out_dir.join("static-libgcc");
    let archive = dir.join("libgcc_s.a");
    let _ = std::fs::remove_file(&archive);
    if std::fs::create_dir_all(&dir).is_err() || std::os::unix::fs::symlink(&eh, &archive).is_err()
    {
        return;
    }
    println!("cargo:rerun-if-changed={}", eh.display());
    println!("cargo:rustc-link-search=native={}", dir.display());
}
