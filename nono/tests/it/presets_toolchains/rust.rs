//! The rust preset: cargo builds a crate with a vendored dependency.

use super::*;
use crate::common::{RustToolchain, rust_toolchain};

/// Writes a binary crate `dir` depending on `tinydep = "0.1"`, which cargo
/// takes from the vendored directory source `dir/vendor`. `main_rs` is the
/// crate's `src/main.rs`.
fn write_vendored_crate(dir: &Path, main_rs: &str) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    // `[workspace]`: the scratch dir is inside the nono checkout, and cargo
    // would otherwise look for a workspace root in its (ungranted) parents.
    w(
        "Cargo.toml",
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\ntinydep = \"0.1\"\n\n[workspace]\n",
    );
    w("src/main.rs", main_rs);
    w(
        ".cargo/config.toml",
        "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n\
         [source.vendored-sources]\ndirectory = \"vendor\"\n",
    );
    w(
        "vendor/tinydep/Cargo.toml",
        "[package]\nname = \"tinydep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    w(
        "vendor/tinydep/src/lib.rs",
        "/// The sum of the squares of 1..=n.\n\
         pub fn sum_of_squares(n: u64) -> u64 {\n    (1..=n).map(|i| i * i).sum()\n}\n",
    );
    w(
        "vendor/tinydep/.cargo-checksum.json",
        "{\"files\":{},\"package\":null}",
    );
}

/// `nono` for cargo: the toolchain's bin dir first on PATH (no rustup
/// proxies), RUSTUP_HOME the real rustup home (the preset grants it
/// read-only), CARGO_HOME a fresh dir in the scratch dir.
fn cargo_nono(s: &Scratch, tc: &RustToolchain, cwd: &Path) -> Command {
    let cargo_home = s.mkdir("cargo-home");
    let mut cmd = nono_in(s, cwd, &[&tc.bin]);
    cmd.env("RUSTUP_HOME", &tc.rustup_home)
        .env("CARGO_HOME", cargo_home)
        .env("CARGO_TERM_COLOR", "never");
    cmd
}

#[test]
fn rust_preset_builds_a_crate_with_a_vendored_dependency() {
    let tc = rust_toolchain();
    let (s, proj, _secret) = project();
    write_vendored_crate(
        &proj,
        "fn main() {\n    let greeting = include_str!(\"../greeting.txt\").trim();\n    \
         println!(\"{greeting}: tinydep says {}\", tinydep::sum_of_squares(10));\n}\n",
    );
    std::fs::write(proj.join("greeting.txt"), "hello from the project\n").unwrap();

    in_project(
        &mut cargo_nono(&s, &tc, &proj),
        "rust",
        &["cargo", "build", "--offline"],
    )
    .expect_ok()
    .expect_stderr("Compiling tinydep v0.1.0");

    let bin = proj.join("target/debug/hello");
    assert!(bin.is_file(), "cargo built no binary at {}", bin.display());
    assert!(proj.join("Cargo.lock").is_file());
    let out = Outcome::of(&mut Command::new(&bin));
    out.expect_ok()
        .expect_stdout("hello from the project: tinydep says 385");
}

#[test]
fn rust_preset_denies_reading_outside_the_grants() {
    let tc = rust_toolchain();
    let (s, proj, secret) = project();
    std::fs::write(proj.join("inside.txt"), "inside the project\n").unwrap();

    // The allowed twin: a file in the --allow dir is readable.
    in_project(
        &mut cargo_nono(&s, &tc, &proj),
        "rust",
        &["cat", "inside.txt"],
    )
    .expect_ok()
    .expect_stdout("inside the project");

    // A file in a sibling dir that nothing grants is not.
    let out = in_project(
        &mut cargo_nono(&s, &tc, &proj),
        "rust",
        &["cat", text(&secret)],
    );
    expect_denied(&out);
    out.expect_code(1).expect_stderr("Permission denied");

    // Nor can rustc read it: a crate that embeds the secret fails to build.
    write_vendored_crate(
        &proj,
        &format!(
            "fn main() {{ println!(\"{{}} {{}}\", include_str!({:?}), tinydep::sum_of_squares(2)); }}\n",
            text(&secret)
        ),
    );
    let out = in_project(
        &mut cargo_nono(&s, &tc, &proj),
        "rust",
        &["cargo", "build", "--offline"],
    );
    expect_denied(&out);
    out.expect_code(101).expect_stderr("couldn't read");
    assert!(!proj.join("target/debug/hello").exists());
}

#[test]
fn rust_preset_keeps_the_toolchain_read_only_and_is_needed() {
    let tc = rust_toolchain();
    let (s, proj, _secret) = project();
    write_vendored_crate(
        &proj,
        "fn main() { println!(\"{}\", tinydep::sum_of_squares(3)); }\n",
    );

    // The preset grants RUSTUP_HOME read-only: opening a toolchain file for
    // appending is denied. (`: >>` writes nothing, so even a failure of this
    // test could not change the toolchain.)
    // (Not a binary: opening a running one, such as cargo, for writing
    // fails with ETXTBSY before Landlock is asked.)
    let components = tc.bin.parent().unwrap().join("lib/rustlib/components");
    assert!(components.is_file(), "{} is missing", components.display());
    let out = in_project(
        &mut cargo_nono(&s, &tc, &proj),
        "rust",
        &["sh", "-c", ": >> \"$1\"", "sh", text(&components)],
    );
    expect_denied(&out);

    // Without the preset cargo cannot even be executed: it lives in
    // RUSTUP_HOME, which only the preset grants.
    let out = run(
        &mut cargo_nono(&s, &tc, &proj),
        &["--allow", ".", "--", "cargo", "build", "--offline"],
    );
    expect_denied(&out);
    out.expect_code(126);
    assert!(!proj.join("target").exists());
}
