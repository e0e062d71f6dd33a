//! The issue's headline: `nono run --preset rust --allow . -- cargo build`
//! with a hostile `build.rs` that tries each write that would run later
//! outside the sandbox.

use super::*;

/// The build script: each write, reported as a cargo warning
/// (`NAME wrote` / `NAME refused`). The build itself succeeds either way.
const BUILD_RS: &str = r##"
use std::io::Write;
fn attempt(name: &str, f: impl FnOnce() -> std::io::Result<()>) {
    let verdict = if f().is_ok() { "wrote" } else { "refused" };
    println!("cargo:warning=ATTEMPT {name} {verdict}");
}
fn append(path: &str, text: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new().append(true).create(true).open(path)?.write_all(text.as_bytes())
}
fn main() {
    let mark = std::env::var("MARK").unwrap();
    let cargo_home = std::env::var("CARGO_HOME").unwrap();
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let hook = format!("{root}/.git/hooks/pre-commit");
    attempt("hook", || {
        std::fs::write(&hook, format!("#!/bin/sh\ntouch {mark}\n"))?;
        std::process::Command::new("chmod").arg("+x").arg(&hook).status().map(|_| ())
    });
    attempt("fsmonitor", || append(&format!("{root}/.git/config"), &format!("[core]\n\tfsmonitor = \"touch {mark}; false\"\n")));
    attempt("git-swap", || std::fs::rename(format!("{root}/.git"), format!("{root}/.git-old")));
    attempt("cargo-bin", || std::fs::write(format!("{cargo_home}/bin/cargo-evil"), "#!/bin/sh\n"));
    attempt("cargo-env", || append(&format!("{cargo_home}/env"), &format!("touch {mark}\n")));
    attempt("cargo-config", || append(&format!("{cargo_home}/config.toml"), "[build]\nrustc-wrapper = \"/evil\"\n"));
    attempt("registry-src", || append(&format!("{cargo_home}/registry/src/index.crates.io-1949cf8c6b5b557f/dep-0.1.0/build.rs"), "// planted\n"));
}
"##;

/// The files outside that the attacks aim at, to compare before and after.
fn host_state(cargo_home: &Path, repo: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out = snapshot(repo);
    for rel in [
        "env",
        "config.toml",
        "bin/cargo-evil",
        "registry/src/index.crates.io-1949cf8c6b5b557f/dep-0.1.0/build.rs",
    ] {
        let p = cargo_home.join(rel);
        out.push((p.display().to_string(), std::fs::read(&p).ok()));
    }
    out
}

/// `nono` in `dir` with the running toolchain's cargo on PATH and `cargo_home` as CARGO_HOME.
fn nono_cargo(s: &Scratch, dir: &Path, cargo_home: &Path) -> Command {
    let tc = rust_toolchain();
    let mut cmd = s.nono();
    cmd.current_dir(dir)
        .env("PATH", format!("{}:/usr/bin:/bin", tc.bin.display()))
        .env("RUSTUP_HOME", &tc.rustup_home)
        .env("CARGO_HOME", cargo_home)
        .env("CARGO_TERM_COLOR", "never");
    cmd
}

#[test]
fn a_hostile_build_script_under_the_rust_preset_changes_nothing_that_runs_later() {
    let s = Scratch::new();
    let repo = repository(&s);
    hello_crate(
        &s,
        "repo",
        "build = \"build.rs\"\n",
        "fn main() { println!(\"built\"); }\n",
    );
    s.write("repo/build.rs", BUILD_RS);
    let cargo_home = s.join("home/.cargo");
    s.write("home/.cargo/env", "# cargo env\n");
    s.mkdir("home/.cargo/bin");
    s.write(
        "home/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/dep-0.1.0/build.rs",
        "fn main() {}\n",
    );
    let before = host_state(&cargo_home, &repo);
    let build = |flags: &[&str]| {
        let mut cmd = nono_cargo(&s, &repo, &cargo_home);
        cmd.env("MARK", s.join("planted-code-ran"))
            .args(["run", "-v", "--preset", "rust", "--allow", "."])
            .args(flags)
            .args(["--", "cargo", "build", "--offline"]);
        Outcome::of(&mut cmd)
    };
    let out = build(&[]);
    out.expect_ok().expect_stderr("1 private layers");
    let verdicts: Vec<&str> = out
        .stderr
        .lines()
        .filter_map(|l| l.split("ATTEMPT ").nth(1))
        .collect();
    // The repository's are refused; CARGO_HOME's land in the run's private
    // layer, not in the host's CARGO_HOME.
    assert_eq!(
        verdicts,
        [
            "hook refused",
            "fsmonitor refused",
            "git-swap refused",
            "cargo-bin wrote",
            "cargo-env wrote",
            "cargo-config wrote",
            "registry-src wrote",
        ],
        "{out:#?}"
    );
    assert!(repo.join("target/debug/hello").is_file());
    assert_eq!(host_state(&cargo_home, &repo), before);
    user_commits_outside(&s, &repo);
    assert_absent(&s.join("planted-code-ran"));
    // What the run wrote is in its layer, under nono's cache.
    let layers = s.cache_home().join("nono/layers");
    let planted = std::fs::read_dir(&layers)
        .unwrap()
        .flat_map(|p| std::fs::read_dir(p.unwrap().path()).unwrap())
        .map(|l| l.unwrap().path().join("upper/bin/cargo-evil"))
        .find(|p| p.is_file());
    assert!(planted.is_some(), "nothing in {}", layers.display());
}

/// A local registry (`local-registry`, no network) serving `dep 0.1.0`.
fn local_registry(s: &Scratch) -> PathBuf {
    let reg = s.beside("local-registry");
    let script = "import hashlib, io, json, os, sys, tarfile\n\
        reg = sys.argv[1]\n\
        buf = io.BytesIO()\n\
        with tarfile.open(fileobj=buf, mode='w:gz') as t:\n\
        \x20   for name, text in [('dep-0.1.0/Cargo.toml', '[package]\\nname = \"dep\"\\nversion = \"0.1.0\"\\nedition = \"2021\"\\n'), ('dep-0.1.0/src/lib.rs', 'pub fn hello() -> &\\'static str { \"hello from dep\" }\\n')]:\n\
        \x20       data = text.encode()\n\
        \x20       info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 1\n\
        \x20       t.addfile(info, io.BytesIO(data))\n\
        crate = buf.getvalue()\n\
        open(os.path.join(reg, 'dep-0.1.0.crate'), 'wb').write(crate)\n\
        os.makedirs(os.path.join(reg, 'index/3/d'), exist_ok=True)\n\
        line = {'name': 'dep', 'vers': '0.1.0', 'deps': [], 'cksum': hashlib.sha256(crate).hexdigest(), 'features': {}, 'yanked': False}\n\
        open(os.path.join(reg, 'index/3/d/dep'), 'w').write(json.dumps(line) + '\\n')\n";
    Outcome::of(Command::new(PYTHON).args(["-I", "-c", script]).arg(&reg)).expect_ok();
    reg
}

/// A dependency cargo unpacks inside the sandbox (from a local registry)
/// lands in the private layer over CARGO_HOME, never in the host's; the
/// same project's second build reuses it.
#[test]
fn a_dependency_unpacked_inside_lands_in_the_private_layer_and_is_reused() {
    let s = Scratch::new();
    let reg = local_registry(&s);
    hello_crate(
        &s,
        "proj",
        "\n[dependencies]\ndep = \"0.1\"\n",
        "fn main() { println!(\"{}\", dep::hello()); }\n",
    );
    s.write(
        "proj/.cargo/config.toml",
        &format!(
            "[source.crates-io]\nreplace-with = \"local\"\n\n[source.local]\nlocal-registry = {:?}\n",
            text(&reg)
        ),
    );
    let cargo_home = s.mkdir("home/.cargo");
    let build = || {
        let mut cmd = nono_cargo(&s, &s.join("proj"), &cargo_home);
        cmd.args([
            "run",
            "--preset",
            "rust",
            "--allow",
            ".",
            "--read",
            text(&reg),
        ])
        .args(["--", "cargo", "build", "--offline"]);
        Outcome::of(&mut cmd)
    };
    build().expect_ok().expect_stderr("Unpacking dep v0.1.0");
    expect_hello_from_dep(&s.join("proj/target/debug/hello"), &cargo_home);
    let unpacked: Vec<PathBuf> = std::fs::read_dir(s.cache_home().join("nono/layers"))
        .unwrap()
        .flat_map(|p| std::fs::read_dir(p.unwrap().path()).unwrap())
        .map(|l| l.unwrap().path().join("upper/registry/src"))
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(unpacked.len(), 1, "the unpacked sources are not in a layer");
    // The second build finds it unpacked: nothing to unpack again.
    std::fs::remove_dir_all(s.join("proj/target")).unwrap();
    let again = build();
    again.expect_ok().expect_stderr("Compiling dep v0.1.0");
    assert!(!again.stderr.contains("Unpacking"), "{again:#?}");
}
