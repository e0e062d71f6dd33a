//! The terminal and the run's life on it: the command gets a pty that
//! nono relays, so nothing it leaves behind can reach the user's terminal;
//! typed lines, window sizes, Ctrl-C/Ctrl-D/Ctrl-Z, pipes and job control
//! behave as on the terminal itself. The harness
//! (`tests/fixtures/pty_harness.py`) runs a small job-control shell on a
//! real pty; every attack has its twin without nono.

mod job_control;
mod takeover;

use super::*;

const HARNESS: &str = include_str!("../../../fixtures/pty_harness.py");

/// Runs the pty harness (fixtures/pty_harness.py) with `spec` in the
/// scratch directory, with nono's test environment (HOME in the fake
/// home), and gives its JSON result.
fn in_terminal(s: &Scratch, spec: &serde_json::Value) -> serde_json::Value {
    s.write("pty_harness.py", HARNESS);
    let mut cmd = Command::new(PYTHON);
    cmd.current_dir(s.path())
        .arg("pty_harness.py")
        .arg(spec.to_string());
    for (key, value) in s.nono().get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "the pty harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn text(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The local-mode flags of modes recorded by the harness.
fn lflag(modes: &serde_json::Value) -> u64 {
    modes[3].as_u64().unwrap()
}

/// `nono run` with the harness readable, as argv for the harness.
fn nono_argv(flags: &[&str], command: &[&str]) -> Vec<String> {
    let mut argv: Vec<String> = vec![
        crate::common::NONO.into(),
        "run".into(),
        "--read".into(),
        "pty_harness.py".into(),
    ];
    argv.extend(flags.iter().map(|f| (*f).to_owned()));
    argv.push("--".into());
    argv.extend(command.iter().map(|c| (*c).to_owned()));
    argv
}

/// The terminal takeover: the job leaves a process behind (double-forked,
/// ignoring SIGHUP, SIGTTOU and SIGTTIN) that waits until the job has
/// ended and the shell has the terminal back, then opens /dev/tty (else
/// uses its standard input), makes itself the terminal's foreground, reads
/// the line the user types next, pushes a byte into the terminal and turns
/// its echo off. What it got is in `work/out`.
fn left_behind_thief(s: &Scratch, job: Vec<String>) -> String {
    let out = s.join("work/out");
    let go = s.join("work/go");
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&go);
    let spec = serde_json::json!({
        "argv": job,
        "timeout": 30,
        "after": [
            {"touch": go},
            {"wait_file": [out, "tcsetpgrp:"]},
            {"sleep": 0.3},
            {"send": "secret-line\r"},
            {"wait_file": [out, "tcsetattr:"]},
        ],
    });
    let result = in_terminal(s, &spec);
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    std::fs::read_to_string(&out).unwrap()
}
