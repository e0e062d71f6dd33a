//! nono's own errors: 125, one line naming the input, nothing run.

use crate::common::{Scratch, assert_absent, assert_file, run_args};
use nono_model::Abi;

/// Runs `nono run GRANTS -- touch MARKER` (with `--allow .` so the marker
/// would appear if the command ran) and asserts a nono error naming `needle`.
fn expect_refused(s: &Scratch, grants: &[&str], needle: &str) {
    let mut args = vec!["--allow", "."];
    args.extend_from_slice(grants);
    s.run(run_args(args, ["touch", "MARKER"]))
        .expect_nono_error(needle);
    assert_absent(&s.join("MARKER"));
}

#[test]
fn a_missing_read_path_is_125_naming_the_path() {
    let s = Scratch::new();
    expect_refused(&s, &["--read", "no-such-dir"], "no-such-dir");
    expect_refused(&s, &["--allow", "gone/deeper"], "gone/deeper");
    let out = s.run(run_args(
        ["--allow", ".", "--read", "no-such-dir"],
        ["true"],
    ));
    out.expect_stderr("--read")
        .expect_stderr("no such file or directory");
    // Twin: once it exists, the same command runs.
    s.mkdir("no-such-dir");
    s.run(run_args(
        ["--allow", ".", "--read", "no-such-dir"],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert_file(&s.join("MARKER"), "");
}

#[test]
fn an_error_names_a_path_with_runs_of_spaces_exactly() {
    // The one-line error must name the input as given: folding whitespace
    // turns `no  such   dir` into a different path, `no such dir`.
    let s = Scratch::new();
    expect_refused(&s, &["--read", "no  such   dir"], "no  such   dir");

    // Twin: once it exists, the path is shown and granted as written.
    s.write("no  such   dir/f.txt", "spaced\n");
    s.run(run_args(
        ["--dry-run", "--read", "no  such   dir"],
        ["true"],
    ))
    .expect_ok()
    .expect_stdout(&format!("-> {}", s.join("no  such   dir").display()));
    s.run(run_args(
        ["--read", "no  such   dir"],
        ["cat", "no  such   dir/f.txt"],
    ))
    .expect_ok()
    .expect_stdout("spaced");
}

#[test]
fn an_unknown_preset_is_125_naming_it() {
    let s = Scratch::new();
    expect_refused(&s, &["--preset", "no-such-preset"], "no-such-preset");
    // Twin: a known preset runs.
    s.run(run_args(
        ["--allow", ".", "--preset", "tmp"],
        ["touch", "MARKER"],
    ))
    .expect_ok();
    assert_file(&s.join("MARKER"), "");
}

#[test]
fn a_malformed_preset_file_is_125_naming_file_line_and_column() {
    let s = Scratch::new();
    s.mkdir("ro");
    // A missing comma: line 5, column 21 is where `access` starts.
    let syntax = s.write(
        "syntax.ron",
        "(\n    name: \"syntax\",\n    description: \"x\",\n    grants: [\n        (path: \"ro\" access: Read),\n    ],\n)\n",
    );
    expect_refused(
        &s,
        &["--preset", syntax.to_str().unwrap()],
        &format!("{}:5:21", syntax.display()),
    );
    // An unknown field: line 5, column 5.
    let field = s.write(
        "field.ron",
        "(\n    name: \"field\",\n    description: \"x\",\n    grants: [],\n    colour: \"red\",\n)\n",
    );
    let out = s.run(run_args(
        ["--allow", ".", "--preset", field.to_str().unwrap()],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error(&format!("{}:5:5", field.display()))
        .expect_stderr("colour");
    assert_absent(&s.join("MARKER"));
    // A relative path is named as written.
    expect_refused(&s, &["--preset", "./syntax.ron"], "./syntax.ron:5:21");

    // Twin: a well-formed preset file applies its grants.
    let good = s.write(
        "good.ron",
        "(\n    name: \"good\",\n    description: \"x\",\n    grants: [(path: \"ro\", access: Read)],\n)\n",
    );
    s.write("ro/f.txt", "granted by the file\n");
    s.run(run_args(
        ["--preset", good.to_str().unwrap()],
        ["cat", "ro/f.txt"],
    ))
    .expect_ok()
    .expect_stdout("granted by the file");
}

#[test]
fn a_bad_abi_value_is_125_naming_it() {
    let s = Scratch::new();
    let too_new = (Abi::LATEST.0 + 1).to_string();
    for bad in ["0", too_new.as_str(), "abc", "256", ""] {
        let out = s.run(run_args(
            ["--allow", ".", "--abi", bad],
            ["touch", "MARKER"],
        ));
        out.expect_nono_error("--abi")
            .expect_stderr(&format!("'{bad}'"));
        assert_absent(&s.join("MARKER"));
    }
    // A negative value must be attached (`--abi -1` reads as a flag).
    s.run(run_args(["--allow", ".", "--abi=-1"], ["touch", "MARKER"]))
        .expect_nono_error("--abi")
        .expect_stderr("'-1'");
    assert_absent(&s.join("MARKER"));
    // Twin: each valid value runs.
    for good in Abi::known() {
        let good = good.to_string();
        s.run(run_args(["--allow", ".", "--abi", good.as_str()], ["true"]))
            .expect_ok();
    }
}

#[test]
fn usage_errors_are_125_one_line() {
    let s = Scratch::new();
    s.run(["run"]).expect_nono_error("COMMAND");
    s.run(["run", "--json", "--", "true"])
        .expect_nono_error("--dry-run");
    s.run(["run", "--no-such-flag", "--", "true"])
        .expect_nono_error("--no-such-flag");
    s.run(["frobnicate"]).expect_nono_error("frobnicate");
}
