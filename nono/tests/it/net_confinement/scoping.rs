//! Scoping (ABI 6): signals and abstract Unix sockets stay inside.

use super::*;
use crate::common::{dry_json, dry_text, gap_features};
use serde_json::json;

#[test]
fn signals_to_processes_outside_the_sandbox_are_refused() {
    let s = Scratch::new();
    let mut outsider = Outsider::new();
    let pid = outsider.pid();

    let kill0 = format!("kill -0 {pid}");
    let term = format!("kill -TERM {pid}");
    if !abi_has(6) {
        // A kernel without scoping: the signal goes through, and nono
        // names the gap.
        s.run(run_args(&[] as &[&str], ["sh", "-c", &term]))
            .expect_ok()
            .expect_stderr("scope");
        let status = outsider.0.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(15)
        );
        return;
    }
    s.run(run_args(&[] as &[&str], ["sh", "-c", &kill0]))
        .expect_code(1)
        .expect_stderr("Operation not permitted");
    s.run(run_args(&[] as &[&str], ["sh", "-c", &term]))
        .expect_code(1)
        .expect_stderr("Operation not permitted");
    assert!(outsider.alive(), "the outside process was signalled");

    // Twin inside: the sandboxed shell signals its own child.
    s.run(run_args(
        &[] as &[&str],
        [
            "sh",
            "-c",
            "sleep 5 & kill -0 $! && kill -TERM $! && wait $!; echo status=$?",
        ],
    ))
    .expect_ok()
    .expect_stdout("status=143");

    // Twin with --allow-signals: the outside process is reachable.
    s.run(run_args(["--allow-signals"], ["sh", "-c", &kill0]))
        .expect_ok();
    assert!(outsider.alive());
    s.run(run_args(["--allow-signals"], ["sh", "-c", &term]))
        .expect_ok();
    let status = outsider.0.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(15)
    );

    // --allow-abstract-unix does not lift the signal scope.
    let other = Outsider::new();
    let kill0 = format!("kill -0 {}", other.pid());
    s.run(run_args(["--allow-abstract-unix"], ["sh", "-c", &kill0]))
        .expect_code(1)
        .expect_stderr("Operation not permitted");
}

#[test]
fn abstract_unix_sockets_bound_outside_are_unreachable() {
    let s = Scratch::new();
    let peer = AbstractPeer::new("scoped");

    let tok = token("abstract-scoped");
    if !abi_has(6) {
        // A kernel without scoping: the connection goes through, and nono
        // names the gap.
        probe_under(&s, &[], "abstract-connect", &[&peer.name, &tok])
            .expect_probe_ok()
            .expect_stderr("scope");
        assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
        return;
    }
    probe_under(&s, &[], "abstract-connect", &[&peer.name, &tok])
        .expect_errno_at("EPERM", "connect");
    assert_eq!(peer.received(), None);
    // --allow-signals does not lift the abstract socket scope.
    probe_under(
        &s,
        &["--allow-signals"],
        "abstract-connect",
        &[&peer.name, &tok],
    )
    .expect_errno_at("EPERM", "connect");
    assert_eq!(peer.received(), None);

    // Twin inside: its own abstract socket works.
    let own = format!("nono-test-{}-own", std::process::id());
    probe_under(&s, &[], "abstract-self", &[&own]).expect_probe_ok();

    // Twin with --allow-abstract-unix: the outside socket is reached.
    probe_under(
        &s,
        &["--allow-abstract-unix"],
        "abstract-connect",
        &[&peer.name, &tok],
    )
    .expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));

    // Scoping is independent of --net-block (AF_UNIX stays allowed).
    probe_under(
        &s,
        &["--net-block"],
        "abstract-connect",
        &[&peer.name, &tok],
    )
    .expect_errno_at("EPERM", "connect");
    probe_under(
        &s,
        &["--net-block", "--allow-abstract-unix"],
        "abstract-connect",
        &[&peer.name, &tok],
    )
    .expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));
}

#[test]
fn at_abi_5_scoping_is_a_gap_and_not_enforced() {
    let s = Scratch::new();
    let outsider = Outsider::new();
    let peer = AbstractPeer::new("abi5");

    let kill0 = format!("kill -0 {}", outsider.pid());
    s.run(run_args(["--abi", "5"], ["sh", "-c", &kill0]))
        .expect_ok()
        .expect_stderr("warning")
        .expect_stderr("scope");
    let tok = token("abstract-abi5");
    probe_under(&s, &["--abi", "5"], "abstract-connect", &[&peer.name, &tok]).expect_probe_ok();
    assert_eq!(peer.received().as_deref(), Some(tok.as_str()));

    let json = dry_json(&s, &["--abi", "5"]);
    assert_eq!(json["predicted_status"], "PartiallyEnforced");
    assert_eq!(
        gap_features(&json),
        gaps_at(5, &["truncate", "ioctl_dev", "scope"])
    );
    let scope = json["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["feature"] == "scope");
    assert_eq!(scope.unwrap()["needs_abi"], 6);
    assert_eq!(json["ruleset"]["scoped"], json!([]));
    let text = dry_text(&s, &["--abi", "5"]);
    assert!(
        text.contains("gap: scope: needs ABI 6 (Linux 6.12)"),
        "{text}"
    );
    // With both opt-outs nothing is missing at ABI 5 (but what a kernel
    // below 5 lacks).
    let json = dry_json(
        &s,
        &["--abi", "5", "--allow-signals", "--allow-abstract-unix"],
    );
    assert_eq!(
        json["predicted_status"],
        status(&gaps_at(5, &["truncate", "ioctl_dev"]))
    );
    // And at ABI 6 both scopes are enforced (where the kernel has them).
    let json = dry_json(&s, &["--abi", "6"]);
    assert_eq!(
        json["predicted_status"],
        status(&gaps_at(6, &["truncate", "ioctl_dev", "scope"]))
    );
    let scoped = if abi_has(6) {
        json!(["abstract_unix_socket", "signal"])
    } else {
        json!([])
    };
    assert_eq!(json["ruleset"]["scoped"], scoped);
}
