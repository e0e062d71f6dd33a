//! User preset files (DESIGN.md section 4): `$XDG_CONFIG_HOME/nono/presets/NAME.ron`.
//!
//! - A bare `--preset NAME` finds the user file `NAME.ron` and grants what
//!   it says (checked by real access, with a denial twin);
//! - a user file with a built-in's name shadows the built-in: a run gets the
//!   user file's grants and not the built-in's, and `nono presets list` and
//!   `show` say so;
//! - without `XDG_CONFIG_HOME`, the directory is `~/.config/nono/presets`;
//! - a user file whose preset is named otherwise, or that is malformed, is a
//!   one-line error naming the file (with line:column), exit 125, and the
//!   command does not run;
//! - `nono presets show NAME` prints each grant with its path resolved here,
//!   and says which grants are skipped or missing.

use crate::common::{Outcome, Scratch, assert_absent, assert_file, grant_presets, run_args};
use std::path::PathBuf;

const USER_DIR: &str = "home/.config/nono/presets";

/// Writes `NAME.ron` into the user preset directory.
fn user_preset(s: &Scratch, file: &str, text: &str) -> PathBuf {
    s.write(format!("{USER_DIR}/{file}"), text)
}

#[test]
fn a_user_preset_is_found_by_name_and_grants_its_paths() {
    let s = Scratch::new();
    s.write("docs/readme.txt", "documentation\n");
    s.write("private/notes.txt", "private\n");
    user_preset(
        &s,
        "docs.ron",
        "(\n    name: \"docs\",\n    description: \"the docs\",\n    grants: [(path: \"docs\", access: Read)],\n)\n",
    );
    s.run(run_args(["--preset", "docs"], ["cat", "docs/readme.txt"]))
        .expect_ok()
        .expect_stdout("documentation");
    // Twin: what the file does not grant stays denied.
    let out = s.run(run_args(["--preset", "docs"], ["cat", "private/notes.txt"]));
    out.expect_code(1).expect_stderr("Permission denied");
    // And Read is not Write.
    let out = s.run(run_args(["--preset", "docs"], ["touch", "docs/new"]));
    out.expect_code(1);
    assert_absent(&s.join("docs/new"));

    let list = s.run(["presets", "list"]);
    list.expect_ok();
    let line = list
        .stdout
        .lines()
        .find(|l| l.starts_with("docs "))
        .unwrap_or_else(|| panic!("docs is not listed: {list:#?}"));
    assert!(
        line.contains(&format!(
            "user file {}",
            s.join(USER_DIR).join("docs.ron").display()
        )),
        "{line}"
    );
    assert!(!line.contains("shadows"), "{line}");
}

#[test]
fn a_user_preset_shadows_the_builtin_of_the_same_name() {
    let s = Scratch::new();
    s.mkdir("mytmp");
    let file = user_preset(
        &s,
        "tmp.ron",
        "(name: \"tmp\", description: \"my own scratch space\", grants: [(path: \"mytmp\", access: Allow)])",
    );
    // The user's tmp grants mytmp...
    s.run(run_args(["--preset", "tmp"], ["touch", "mytmp/ok"]))
        .expect_ok();
    assert_file(&s.join("mytmp/ok"), "");
    // ...and the built-in's /tmp is not granted.
    let probe = format!("/tmp/nono-shadow-test-{}", std::process::id());
    let out = s.run(run_args(["--preset", "tmp"], ["touch", &probe]));
    let leaked = std::path::Path::new(&probe).exists();
    let _ = std::fs::remove_file(&probe);
    out.expect_code(1).expect_stderr("Permission denied");
    assert!(!leaked, "the built-in tmp preset was applied");
    let json = s
        .run(run_args(
            ["--dry-run", "--json", "--no-base", "--preset", "tmp"],
            ["true"],
        ))
        .expect_ok()
        .json();
    let paths: Vec<&str> = json["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["requested"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["mytmp"]);

    // presets list says who shadows whom.
    let list = s.run(["presets", "list"]);
    list.expect_ok();
    let lines: Vec<&str> = list
        .stdout
        .lines()
        .filter(|l| l.starts_with("tmp "))
        .collect();
    assert_eq!(lines.len(), 2, "{list:#?}");
    assert!(
        lines[0].contains(&format!(
            "built-in, shadowed by user file {}",
            file.display()
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(&format!(
            "user file {}, shadows built-in tmp",
            file.display()
        )),
        "{}",
        lines[1]
    );
    let json = s.run(["presets", "list", "--json"]).expect_ok().json();
    let user = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "tmp" && p["shadows"].is_array())
        .unwrap();
    assert_eq!(user["shadows"], serde_json::json!(["built-in tmp"]));
    s.run(["presets", "show", "tmp"])
        .expect_ok()
        .expect_stdout("tmp: my own scratch space")
        .expect_stdout(&format!(
            "source: user file {}, shadows built-in tmp",
            file.display()
        ));

    // Twin: without the user file, the built-in is back.
    std::fs::remove_file(&file).unwrap();
    s.run(["presets", "show", "tmp"])
        .expect_ok()
        .expect_stdout("source: built-in");
    let out = s.run(run_args(["--preset", "tmp"], ["touch", "mytmp/again"]));
    out.expect_code(1);
    assert_absent(&s.join("mytmp/again"));
}

#[test]
fn without_xdg_config_home_the_directory_is_under_home() {
    let s = Scratch::new();
    s.write("docs/readme.txt", "documentation\n");
    user_preset(
        &s,
        "docs.ron",
        "(name: \"docs\", description: \"d\", grants: [(path: \"docs\", access: Read)])",
    );
    let out = Outcome::of(
        s.nono()
            .env_remove("XDG_CONFIG_HOME")
            .args(run_args(["--preset", "docs"], ["cat", "docs/readme.txt"])),
    );
    out.expect_ok().expect_stdout("documentation");
    // Twin: XDG_CONFIG_HOME pointing elsewhere hides it.
    let elsewhere = s.mkdir("elsewhere");
    let out = Outcome::of(
        s.nono()
            .env("XDG_CONFIG_HOME", &elsewhere)
            .args(run_args(["--preset", "docs"], ["true"])),
    );
    out.expect_nono_error("unknown preset 'docs'");
}

#[test]
fn a_user_file_defining_another_name_is_125_naming_the_file() {
    let s = Scratch::new();
    let file = user_preset(
        &s,
        "docs.ron",
        "(name: \"documentation\", description: \"d\", grants: [])",
    );
    let out = s.run(run_args(
        ["--allow", ".", "--preset", "docs"],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error(&format!(
        "--preset docs: {}: the file defines preset 'documentation', but its file name makes it 'docs'",
        file.display()
    ));
    assert_absent(&s.join("MARKER"));
    // presets list names it too, after listing the rest.
    let list = s.run(["presets", "list"]);
    list.expect_nono_error(&file.display().to_string());
    list.expect_stdout("base ");
    // Twin: named after its preset, it works.
    std::fs::rename(&file, s.join(USER_DIR).join("documentation.ron")).unwrap();
    s.run(run_args(
        ["--allow", ".", "--preset", "documentation"],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert_file(&s.join("MARKER"), "");
}

#[test]
fn a_malformed_user_file_is_125_naming_file_line_and_column() {
    let s = Scratch::new();
    s.mkdir("docs");
    let file = user_preset(
        &s,
        "docs.ron",
        "(\n    name: \"docs\",\n    description: \"d\",\n    grants: [(path: \"docs\", acess: Read)],\n)\n",
    );
    let out = s.run(run_args(
        ["--allow", ".", "--preset", "docs"],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error(&format!("{}:4:", file.display()))
        .expect_stderr("acess");
    assert_absent(&s.join("MARKER"));
    // Twin: spelt right, it works.
    user_preset(
        &s,
        "docs.ron",
        "(\n    name: \"docs\",\n    description: \"d\",\n    grants: [(path: \"docs\", access: Read)],\n)\n",
    );
    s.run(run_args(
        ["--allow", ".", "--preset", "docs"],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert_file(&s.join("MARKER"), "");
}

#[test]
fn user_presets_extend_builtins_and_each_other() {
    let s = Scratch::new();
    s.write("data/a.txt", "data\n");
    user_preset(
        &s,
        "data.ron",
        "(name: \"data\", description: \"d\", grants: [(path: \"data\", access: Read)])",
    );
    user_preset(
        &s,
        "project.ron",
        "(name: \"project\", description: \"d\", extends: [\"data\", \"git\"])",
    );
    let json = s
        .run(run_args(
            ["--dry-run", "--json", "--preset", "project"],
            ["true"],
        ))
        .expect_ok()
        .json();
    let sources = grant_presets(&json);
    assert!(
        sources.contains(&"data") && sources.contains(&"git"),
        "{sources:?}"
    );
    s.run(run_args(["--preset", "project"], ["cat", "data/a.txt"]))
        .expect_ok()
        .expect_stdout("data");
    // Twin: an extends cycle is an error naming the chain.
    user_preset(
        &s,
        "data.ron",
        "(name: \"data\", description: \"d\", extends: [\"project\"])",
    );
    s.run(run_args(["--preset", "project"], ["true"]))
        .expect_nono_error("project -> data -> project");
}

#[test]
fn presets_show_resolves_paths_here_and_reports_skipped_and_missing_ones() {
    let s = Scratch::new();
    s.mkdir("home/data");
    std::os::unix::fs::symlink(s.join("home/data"), s.join("link")).unwrap();
    user_preset(
        &s,
        "mixed.ron",
        "(\n    name: \"mixed\",\n    description: \"a mix\",\n    grants: [\n        (path: \"~/data\", access: Read),\n        (path: \"link\", access: Allow),\n        (path: \"$NONO_TEST_UNSET\", access: Read, optional: true),\n        (path: \"/nonexistent/nono-test\", access: Read),\n        (path: \"/bin\", access: Read),\n    ],\n)\n",
    );
    let out = s.run(["presets", "show", "mixed"]);
    // Twin of the refusal below: a root-owned system link is followed.
    if std::fs::symlink_metadata("/bin").is_ok_and(|m| m.is_symlink()) {
        let bin = std::fs::canonicalize("/bin").unwrap();
        out.expect_stdout(&format!("  read   /bin -> {}\n", bin.display()));
    }
    out.expect_ok();
    let data = s.join("home/data");
    // `link` is in the working directory, where an earlier run (as root
    // here) could have planted it: a run refuses it, and `show` says so.
    let refused = format!(
        "  allow  link  [refused here: goes through the symlink {} -> {} where an earlier sandbox may have planted it (",
        s.join("link").display(),
        data.display()
    );
    out.expect_stdout(&format!("  read   ~/data -> {}\n", data.display()))
        .expect_stdout(&refused)
        .expect_stdout(&format!(
            "pass --allow {} to grant that on purpose, or remove the link; a run with this preset fails]\n",
            data.display()
        ))
        .expect_stdout(
            "  read   $NONO_TEST_UNSET (optional)  [skipped here: environment variable NONO_TEST_UNSET is not set]\n",
        )
        .expect_stdout(
            "  read   /nonexistent/nono-test  [missing here: no such file or directory; a run with this preset fails]\n",
        );
    let json = s
        .run(["presets", "show", "mixed", "--json"])
        .expect_ok()
        .json();
    let resolved = json["resolved"].as_array().unwrap();
    assert_eq!(resolved[0]["path"], data.to_str().unwrap());
    assert_eq!(resolved[1]["outcome"], "skipped");
    assert!(
        resolved[1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("refused: goes through the symlink "),
        "{json}"
    );
    assert_eq!(resolved[2]["outcome"], "skipped");
    assert_eq!(resolved[3]["outcome"], "skipped");
    assert_eq!(resolved[3]["optional"], false);
    // Twin: the missing grant does fail a run.
    s.run(run_args(["--preset", "mixed"], ["true"]))
        .expect_nono_error("/nonexistent/nono-test");
}
