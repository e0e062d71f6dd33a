//! The example plugin, and the README's walkthrough.

use super::*;
use crate::common::grant_presets;

/// The first code block of kind `lang` (```` ```lang ````) in the README's
/// "Writing a preset plugin" section, unindented.
fn readme_block(lang: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let section = readme
        .split("### Writing a preset plugin")
        .nth(1)
        .expect("the README has a \"Writing a preset plugin\" section");
    let fence = format!("```{lang}\n");
    let start = section
        .find(&fence)
        .unwrap_or_else(|| panic!("no {lang} block in the section"));
    let lines: Vec<&str> = section[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.trim() != "```")
        .collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").to_owned() + "\n")
        .collect()
}

/// Builds the plugin a newcomer writes by following the README: a crate
/// made of its `Cargo.toml` and `src/lib.rs` blocks, built with
/// `cargo build --release`, in the plugin build directory, as its own
/// workspace with a copy of nono's lock file (so it builds offline).
pub(super) fn build_readme_crate(target: &Path) {
    let krate = target.join("readme-plugin");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let sdk = workspace_dir().join("nono-plugins").canonicalize().unwrap();
    let toml = readme_block("toml").replace("/path/to/nono/nono-plugins", sdk.to_str().unwrap());
    write_if_changed(
        &krate.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"acme-presets\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             # Its own workspace, wherever the build directory is.\n[workspace]\n\n{toml}"
        ),
    );
    write_if_changed(&krate.join("src/lib.rs"), &readme_block("rust"));
    if !krate.join("Cargo.lock").exists() {
        std::fs::copy(workspace_dir().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    }
    cargo_build(&krate, &["--release", "--offline"], target);
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

/// The README's walkthrough, step by step: the crate from its blocks,
/// built; `libacme.so` installed in `~/.config/nono/plugins` with safe
/// permissions; `nono presets list`, `nono presets show acme/jdk`,
/// `nono run --preset acme/jdk`.
#[test]
fn the_readme_walkthrough_works_end_to_end() {
    let built = &rust_plugins().readme;
    let s = Scratch::new();
    s.write("jdk/release", "JAVA_VERSION=\"21\"\n");
    let user_plugins = s.mkdir("home/.config/nono/plugins");
    chmod(&user_plugins, 0o755);
    let installed = user_plugins.join("libacme.so");
    std::fs::copy(built, &installed).unwrap();
    chmod(&installed, 0o644);
    let nono = || {
        let mut cmd = s.nono();
        cmd.env("ACME_JDK_HOME", s.join("jdk"));
        cmd
    };

    let list = Outcome::of(nono().args(["presets", "list"]));
    list.expect_ok();
    for preset in ["acme/jdk", "acme/cache"] {
        let line = list
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(preset))
            .unwrap_or_else(|| panic!("{preset} is not listed: {list:#?}"));
        assert!(
            line.contains(&format!(
                "plugin acme ({}), version 0.1.0",
                installed.display()
            )),
            "{line}"
        );
    }
    Outcome::of(nono().args(["presets", "show", "acme/jdk"]))
        .expect_ok()
        .expect_stdout(&format!("  read   {}\n", s.join("jdk").display()));

    Outcome::of(nono().args(run_args(["--preset", "acme/jdk"], ["cat", "jdk/release"])))
        .expect_ok()
        .expect_stdout("JAVA_VERSION=\"21\"");
    // Twin: without the preset, the JDK is out of reach.
    let denied = Outcome::of(nono().args(run_args(["--read", "home"], ["cat", "jdk/release"])));
    denied.expect_code(1).expect_stderr("Permission denied");
}

#[test]
fn the_example_is_found_through_nono_plugin_path_and_listed() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let out = Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", lab.granted())
            .args(["presets", "list"]),
    );
    out.expect_ok();
    for name in ["acme/jdk", "acme/cache", "acme/build"] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} is not listed: {out:#?}"));
        assert!(
            line.contains(&format!("plugin acme ({})", path.display())),
            "{line}"
        );
    }
    // The description comes from the host context: where the JDK was found.
    out.expect_stdout(&format!(
        "Acme JDK at {} (from $ACME_JDK_HOME)",
        lab.granted().display()
    ));
    // The built-ins are still there, first.
    assert!(out.stdout.starts_with("base "), "{out:#?}");

    let json = Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", lab.granted())
            .args(["presets", "list", "--json"]),
    )
    .expect_ok()
    .json();
    let jdk = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "acme/jdk")
        .unwrap();
    assert_eq!(jdk["version"], "1.4.0");
    assert_eq!(jdk["grants"][0]["path"], lab.granted().to_str().unwrap());

    // Twin: without the plugin path, no acme presets.
    let out = lab.s.run(["presets", "list"]);
    out.expect_ok();
    assert!(!out.stdout.contains("acme/"), "{out:#?}");
}

#[test]
fn the_example_jdk_preset_grants_what_it_computed_and_nothing_else() {
    let lab = Lab::new();
    lab.install(&rust_plugins().acme, "acme");
    let with_jdk =
        |args: Vec<String>| Outcome::of(lab.nono().env("ACME_JDK_HOME", lab.granted()).args(args));

    // What it grants: exactly the JDK directory, Read, under its name.
    let json = with_jdk(run_args(
        ["--dry-run", "--json", "--no-base", "--preset", "acme/jdk"],
        ["true"],
    ))
    .expect_ok()
    .json();
    let grants = json["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{json:#}");
    assert_eq!(grants[0]["source"]["preset"], "acme/jdk");
    assert_eq!(grants[0]["path"], lab.granted().to_str().unwrap());
    assert_eq!(grants[0]["access"], "Read");
    let text = with_jdk(run_args(["--dry-run", "--preset", "acme/jdk"], ["true"]));
    text.expect_ok().expect_stdout(&format!(
        "{} (dir, read): execute, read_file, read_dir  [preset acme/jdk]",
        lab.granted().display()
    ));

    // Real access: the JDK can be read...
    with_jdk(run_args(
        ["--preset", "acme/jdk"],
        ["cat", "granted/data.txt"],
    ))
    .expect_ok()
    .expect_stdout("granted by the plugin");
    // ...but not written,
    let out = with_jdk(run_args(
        ["--preset", "acme/jdk"],
        ["touch", "granted/new.txt"],
    ));
    out.expect_code(1).expect_stderr("Permission denied");
    assert_absent(&lab.s.join("granted/new.txt"));
    // ...and its sibling cannot be read.
    let out = with_jdk(run_args(
        ["--preset", "acme/jdk"],
        ["cat", "outside/secret.txt"],
    ));
    out.expect_code(1).expect_stderr("Permission denied");
    assert!(!out.stdout.contains("not granted"));

    // Without ACME_JDK_HOME (and no /opt/acme/jdk here), the plugin has no
    // JDK preset: a clear error naming it.
    if !Path::new("/opt/acme/jdk").exists() {
        let out = lab.run(run_args(["--preset", "acme/jdk"], ["true"]));
        out.expect_nono_error("has no preset 'jdk' (it has: cache, build)");
    }
}

#[test]
fn the_example_cache_preset_follows_the_home_in_the_context() {
    let lab = Lab::new();
    lab.install(&rust_plugins().acme, "acme");
    let cache = lab.s.mkdir("home/.cache/acme");
    lab.run(run_args(
        ["--preset", "acme/cache"],
        ["touch", "home/.cache/acme/artifact"],
    ))
    .expect_ok();
    assert_file(&cache.join("artifact"), "");
    // Twin: the rest of the home is not granted.
    let out = lab.run(run_args(
        ["--preset", "acme/cache"],
        ["touch", "home/elsewhere"],
    ));
    out.expect_code(1).expect_stderr("Permission denied");
    assert_absent(&lab.s.join("home/elsewhere"));
}

#[test]
fn the_example_build_preset_extends_its_siblings() {
    let lab = Lab::new();
    lab.install(&rust_plugins().acme, "acme");
    lab.s.mkdir("home/.cache/acme");
    let json = Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", lab.granted())
            .args(run_args(
                ["--dry-run", "--json", "--preset", "acme/build"],
                ["true"],
            )),
    )
    .expect_ok()
    .json();
    let sources = grant_presets(&json);
    for preset in ["base", "tmp", "acme/jdk", "acme/cache"] {
        assert!(sources.contains(&preset), "{preset}: {sources:?}");
    }
}

#[test]
fn a_plugin_named_with_dash_dash_plugin_needs_no_plugin_path() {
    let lab = Lab::new();
    let file = lab.s.join("elsewhere/libacme.so");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    chmod(file.parent().unwrap(), 0o755);
    std::fs::copy(&rust_plugins().acme, &file).unwrap();
    chmod(&file, 0o644);
    lab.s.mkdir("home/.cache/acme");
    let plugin = file.to_str().unwrap();
    lab.s
        .run(run_args(
            ["--plugin", plugin, "--preset", "acme/cache"],
            ["touch", "home/.cache/acme/x"],
        ))
        .expect_ok();
    lab.s
        .run(["presets", "show", "acme/cache", "--plugin", plugin])
        .expect_ok()
        .expect_stdout(&format!("source: plugin acme ({plugin}), version 1.4.0"));
    // Twin: without --plugin, there is no plugin acme.
    lab.s
        .run(run_args(["--preset", "acme/cache"], ["true"]))
        .expect_nono_error("no plugin 'acme'");
    // A --plugin file must be named libNAME.so.
    let bad = lab.s.join("elsewhere/acme.so");
    std::fs::copy(&file, &bad).unwrap();
    lab.s
        .run(run_args(
            ["--plugin", bad.to_str().unwrap(), "--preset", "acme/cache"],
            ["true"],
        ))
        .expect_nono_error("must be named libNAME.so");
}

#[test]
fn a_user_preset_can_extend_a_plugin_preset() {
    let lab = Lab::new();
    lab.good_c_plugin("tools");
    lab.s.write(
        "home/.config/nono/presets/mine.ron",
        "(name: \"mine\", description: \"d\", extends: [\"tools/files\"])",
    );
    lab.run(run_args(["--preset", "mine"], ["cat", "granted/data.txt"]))
        .expect_ok()
        .expect_stdout("granted by the plugin");
    // Twin: the user preset alone, without the plugin path, cannot load it.
    lab.s
        .run(run_args(["--preset", "mine"], ["true"]))
        .expect_nono_error("no plugin 'tools'");
}
