//! The AI-agent recipe: single-file grants, API keys, the NONO_SANDBOX marker.

use super::*;

#[test]
fn a_single_granted_file_can_be_rewritten_but_not_replaced_atomically() {
    // What the README's agent recipe warns about: many tools save a file by
    // writing a temporary file beside it and renaming it over the file.
    let s = Scratch::new();
    let file = s.write("home/agent.json", "{}\n");
    s.write("home/agent/state.json", "{}\n");
    let replace = "import os, sys\n\
        path = sys.argv[1]\n\
        tmp = path + '.tmp'\n\
        try:\n    \
            open(tmp, 'w').write('{\"saved\": 1}\\n')\n    \
            os.replace(tmp, path)\n    \
            print('OK')\n\
        except OSError as e:\n    \
            print(e.strerror)\n";
    let in_place = "import sys\nopen(sys.argv[1], 'w').write('{\"saved\": 2}\\n')\nprint('OK')\n";
    let py = |grant: &str, code: &str, target: &Path| {
        s.run(run_args(
            ["--allow", grant],
            [crate::common::PYTHON, "-c", code, text(target)],
        ))
    };
    let out = py("~/agent.json", replace, &file);
    out.expect_ok().expect_stdout("Permission denied");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{}\n");
    assert_absent(&s.join("home/agent.json.tmp"));
    // The twins: rewriting it in place works, and so does the atomic
    // replace inside a granted directory.
    py("~/agent.json", in_place, &file)
        .expect_ok()
        .expect_stdout("OK");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"saved\": 2}\n");
    let state = s.join("home/agent/state.json");
    py("~/agent", replace, &state)
        .expect_ok()
        .expect_stdout("OK");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "{\"saved\": 1}\n");
}

#[test]
fn an_api_key_reaches_the_command_only_when_kept() {
    // The agent recipe passes its API key with --env-keep: nono removes
    // *_API_KEY variables otherwise.
    let s = Scratch::new();
    let show = ["/bin/sh", "-c", "echo \"key=${EXAMPLE_API_KEY-unset}\""];
    let run = |extra: &[&str]| {
        Outcome::of(
            s.nono()
                .env("EXAMPLE_API_KEY", "sk-test-123")
                .args(run_args(extra.iter().copied(), show)),
        )
    };
    run(&[]).expect_ok().expect_stdout("key=unset\n");
    run(&["--env-keep", "EXAMPLE_API_KEY"])
        .expect_ok()
        .expect_stdout("key=sk-test-123\n");
}

// ---------------------------------------------------------------- marker

#[test]
fn the_command_knows_it_runs_inside_nono() {
    let s = Scratch::new();
    let show = ["/bin/sh", "-c", "echo \"marker=${NONO_SANDBOX-unset}\""];
    s.run(run_args(Vec::<&str>::new(), show))
        .expect_ok()
        .expect_stdout("marker=1\n");
    // With an empty environment too, and whatever nono's own says.
    s.run(run_args(["--env-clear"], show))
        .expect_ok()
        .expect_stdout("marker=1\n");
    Outcome::of(
        s.nono()
            .env("NONO_SANDBOX", "0")
            .args(run_args(Vec::<&str>::new(), show)),
    )
    .expect_ok()
    .expect_stdout("marker=1\n");
    // The dry run says it sets it.
    s.run(["run", "--dry-run", "--", "true"])
        .expect_ok()
        .expect_stdout("Environment: set NONO_SANDBOX=1\n");
    // The twin: the same command outside nono has no marker.
    Outcome::of(
        Command::new(show[0])
            .args(&show[1..])
            .env_remove("NONO_SANDBOX"),
    )
    .expect_ok()
    .expect_stdout("marker=unset\n");
}
