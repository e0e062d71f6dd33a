//! `nono why` held to the kernel, and the self-describing commands.
//!
//! `nono why PATH --op OP --json FLAGS` answers from the compiler's reference
//! evaluator; these tests ask it about every case of the `secrets` module
//! and more (secret files, ordinary files, a missing `authorized_keys`
//! judged inside its parent, writes in an ordinary subdirectory, listing a
//! secret directory, executing scripts, `--read`, `--write`, nested grants,
//! `--deny`, `--expose`, symlinks into and out of granted and denied trees),
//! then perform the same operation for real under `nono run FLAGS` with the
//! probe's op of the same name (`tests/fixtures/probe.py`), and assert that
//! the two agree: `allowed` is true exactly when the probe succeeded. Each case also states the expected
//! answer, so the two cannot agree on a wrong one, and every denial has
//! allowed twins among the cases. The same is done for TCP ports:
//! `nono why --port N --port-op connect|bind` against a real connect to a
//! listener the test starts on 127.0.0.1, or a real bind, with and without
//! `--net-connect` / `--net-bind` / `--net-block`, and below ABI 4 where
//! Landlock has no network rules.
//!
//! Then the text output and errors of `why`, and `nono completions SHELL`
//! and `nono man`.
//!
//! [`paths`] holds the path cases; this module the ports, the text output,
//! completions and the man page.

mod paths;

use crate::common::{Outcome, Scratch, assert_absent, probe, run_args, text};
use std::net::TcpListener;
use std::path::PathBuf;

/// One question: `op` on `path` under `flags`, and the expected answer.
struct Case {
    flags: Vec<String>,
    path: PathBuf,
    op: &'static str,
    expect: bool,
}

fn case(flags: &[&str], path: PathBuf, op: &'static str, expect: bool) -> Case {
    Case {
        flags: flags.iter().map(|f| (*f).to_owned()).collect(),
        path,
        op,
        expect,
    }
}

/// What `nono why ARGS --json` says: `allowed`, and the whole answer. Its
/// exit status agrees: 0 when allowed, 1 when denied.
fn why_allowed(s: &Scratch, args: &[String]) -> (bool, serde_json::Value) {
    let mut argv = vec!["why".to_owned()];
    argv.extend(args.iter().cloned());
    argv.push("--json".to_owned());
    let out = s.run_home(&argv);
    let json = out.json();
    let allowed = json["allowed"]
        .as_bool()
        .unwrap_or_else(|| panic!("no `allowed` in {json:#}"));
    out.expect_code(if allowed { 0 } else { 1 });
    (allowed, json)
}

/// Whether the probe `op arg` succeeded under `nono run FLAGS`, or the
/// outcome of a run that never got to the probe.
fn probe_ok(
    s: &Scratch,
    flags: &[String],
    op: &str,
    arg: &str,
) -> Result<(bool, Outcome), Outcome> {
    let out = s.run_home(run_args(flags, probe(op, &[arg])));
    match out.code {
        Some(0) if out.stdout.trim() == "OK" => Ok((true, out)),
        Some(1) if !out.stdout.trim().is_empty() => Ok((false, out)),
        _ => Err(out),
    }
}

/// Checks every case ([`check`]) and fails naming each that disagrees,
/// with how many there were.
#[track_caller]
fn check_all(s: &Scratch, cases: &[Case]) {
    let problems: Vec<String> = cases.iter().filter_map(|c| check(s, c)).collect();
    assert!(
        problems.is_empty(),
        "{} of {} cases disagree:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

/// Asks `why`, runs the probe, cleans up what a write created, and returns
/// a line describing any disagreement (with the kernel, or with `expect`).
fn check(s: &Scratch, c: &Case) -> Option<String> {
    let path = text(&c.path);
    let existed = std::fs::symlink_metadata(&c.path).is_ok();
    let is_dir = c.path.is_dir();
    let mut args = vec![path.to_owned(), "--op".to_owned(), c.op.to_owned()];
    args.extend(c.flags.iter().cloned());
    let (said, json) = why_allowed(s, &args);
    let flags = c.flags.join(" ");
    let (did, out) = match probe_ok(s, &c.flags, c.op, path) {
        Ok(result) => result,
        Err(out) => {
            return Some(format!(
                "{} {path} [{flags}]: why says allowed={said}, but `nono run` did not start: exit {:?}: {}",
                c.op,
                out.code,
                out.stderr.trim()
            ));
        }
    };
    if c.op == "write" {
        let created = if is_dir {
            c.path.join(".nono-probe")
        } else {
            c.path.clone()
        };
        if !existed || is_dir {
            if did {
                std::fs::remove_file(&created).unwrap_or_else(|e| {
                    panic!("the probe said it created {}: {e}", created.display())
                });
            } else {
                assert_absent(&created);
            }
        }
    }
    if said != did {
        return Some(format!(
            "{} {path} [{flags}]: why says allowed={said}, the kernel {} ({})\n  why: {json}",
            c.op,
            if did { "allowed it" } else { "denied it" },
            out.stdout.trim()
        ));
    }
    (said != c.expect).then(|| {
        format!(
            "{} {path} [{flags}]: why and the kernel agree on allowed={said}, expected {}\n  why: {json}",
            c.op, c.expect
        )
    })
}

/// A port that was free a moment ago (bound, read, released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn why_agrees_with_the_kernel_on_ports() {
    let s = Scratch::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    // A port nobody listens on, never the listener's.
    let other = if port == "1" { "2" } else { "1" };
    let both = format!("{other},{port}");
    let p = port.as_str();

    let connect: [(&[&str], bool); 7] = [
        (&[], true),
        (&["--net-connect", p], true),
        (&["--net-connect", other], false),
        (&["--net-connect", &both], true),
        (&["--net-block"], false),
        // Below ABI 4 Landlock has no network rules: ports are not enforced
        // (seccomp still refuses every socket under --net-block).
        (&["--abi", "3", "--net-connect", other], true),
        (&["--abi", "3", "--net-block"], false),
    ];
    let bind_port = free_port().to_string();
    let b = bind_port.as_str();
    let bind: [(&[&str], bool); 4] = [
        (&[], true),
        (&["--net-bind", b], true),
        (&["--net-bind", other], false),
        (&["--net-block"], false),
    ];
    let mut problems = Vec::new();
    for (op, port, cases) in [
        ("connect", &port, &connect[..]),
        ("bind", &bind_port, &bind[..]),
    ] {
        for (flags, expect) in cases {
            let flags: Vec<String> = flags.iter().map(|f| (*f).to_owned()).collect();
            let mut args = vec![
                "--port".to_owned(),
                port.clone(),
                "--port-op".to_owned(),
                op.to_owned(),
            ];
            args.extend(flags.iter().cloned());
            let (said, json) = why_allowed(&s, &args);
            let (did, out) = probe_ok(&s, &flags, op, port)
                .unwrap_or_else(|out| panic!("the probe did not run: {out:#?}"));
            if said != did || said != *expect {
                problems.push(format!(
                    "{op} {port} {flags:?}: why {said}, kernel {did} ({}), expected {expect}\n  why: {json}",
                    out.stdout.trim()
                ));
            }
        }
    }
    drop(listener);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn why_explains_carves_and_grants_in_text() {
    let s = Scratch::new();
    let home = s.fake_home();
    let h = text(&home);

    let out = s.run_home(["why", &format!("{h}/.ssh/id_ed25519"), "--allow", "~"]);
    out.expect_code(1);
    let first = out.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!("denied: read {h}/.ssh/id_ed25519 (read_file)")
    );
    out.expect_stdout(&format!(
        "because {h}/.ssh is carved out of {h} (built-in sensitive paths)"
    ));
    // The twin names the rule that grants it.
    let out = s.run_home(["why", &format!("{h}/notes.txt"), "--allow", "~"]);
    out.expect_ok()
        .expect_stdout(&format!("allowed: read {h}/notes.txt (read_file)"))
        .expect_stdout("[flag --allow]");
    // The JSON form names the carve for a listed secret directory.
    let (allowed, json) = why_allowed(&s, &[format!("{h}/.ssh"), "--allow".into(), "~".into()]);
    assert!(allowed);
    assert_eq!(json["right"], "read_dir");
    assert!(
        json["carved_by"]
            .as_str()
            .unwrap()
            .contains("carved out of"),
        "{json:#}"
    );
    // Ports in text.
    s.run_home(["why", "--port", "443", "--net-connect", "80"])
        .expect_code(1)
        .expect_stdout("denied: connect tcp port 443 (connect_tcp)");
    s.run_home(["why", "--port", "80", "--net-connect", "80"])
        .expect_ok()
        .expect_stdout("allowed: connect tcp port 80 (connect_tcp)");
}

#[test]
fn why_refuses_what_run_refuses() {
    let s = Scratch::new();
    let home = s.fake_home();
    let key = format!("{}/.ssh/id_ed25519", text(&home));
    s.run_home(["why", &key, "--read", "~/.ssh"])
        .expect_nono_error("~/.ssh")
        .expect_stderr("--expose");
    s.run_home(["why", &key, "--read", "~/.ssh", "--expose", "~/.ssh"])
        .expect_ok()
        .expect_stdout("allowed: read");
    // Neither a path nor a port, or both: usage errors.
    s.run_home(["why", "--allow", "~"]).expect_code(125);
    s.run_home(["why", &key, "--port", "80"]).expect_code(125);
    s.run_home(["why", &key, "--op", "delete"])
        .expect_nono_error("delete");
}

// ---------------------------------------------------------------------------
// completions and man
// ---------------------------------------------------------------------------

#[test]
fn completions_for_every_shell() {
    let s = Scratch::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = s.run(["completions", shell]);
        out.expect_ok();
        assert!(out.stdout.contains("nono"), "{shell}: {out:#?}");
        assert!(out.stdout.len() > 200, "{shell}: {out:#?}");
        assert!(out.stderr.is_empty(), "{shell}: {out:#?}");
    }
    // The completions know the subcommands and the new flags.
    let bash = s.run(["completions", "bash"]);
    for word in ["why", "--expose", "--deny", "--env-keep"] {
        bash.expect_stdout(word);
    }
    // The twin: an unknown shell is a one-line error naming it.
    s.run(["completions", "tcsh"]).expect_nono_error("tcsh");
    s.run(["completions"]).expect_code(125);
}

#[test]
fn man_page_is_roff_about_nono_run() {
    let s = Scratch::new();
    let out = s.run(["man"]);
    out.expect_ok();
    assert!(
        out.stdout.starts_with(".TH") || out.stdout.starts_with(".ie"),
        "{out:#?}"
    );
    out.expect_stdout(".TH nono 1").expect_stdout("run");
    assert!(out.stderr.is_empty(), "{out:#?}");
    // The twin: `man` takes no argument but a subcommand.
    s.run(["man", "extra"]).expect_nono_error("extra");
}
