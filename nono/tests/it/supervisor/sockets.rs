//! Pathname Unix sockets: connections and datagrams to a server outside
//! the grants, a symlink, an O_PATH descriptor, a racing thread, a process
//! left behind.

use super::*;
use crate::common::FIXTURES;

#[test]
fn connecting_to_an_outside_stream_socket_is_refused_unless_granted() {
    let (s, outside) = setup();
    let server = Server::stream(&outside.join("agent.sock"));
    let out = probe_in(&s, &[], "unix-connect", &[server.path(), "denied-token"]);
    expect_printed(&out, "EACCES");
    assert!(!server.got("denied-token"));
    // Twins: with --allow-unix on its directory, and unconfined.
    let dir = outside.to_str().unwrap();
    let out = probe_in(
        &s,
        &["--allow-unix", dir],
        "unix-connect",
        &[server.path(), "granted"],
    );
    expect_printed(&out, "OK");
    assert!(server.got("granted"));
    let out = probe_unconfined(&s, "unix-connect", &[server.path(), "free"]);
    expect_printed(&out, "OK");
    assert!(server.got("free"));
}

#[test]
fn datagrams_to_an_outside_socket_are_refused_by_every_call() {
    let (s, outside) = setup();
    let server = Server::datagram(&outside.join("log.sock"));
    for op in ["unix-sendto", "unix-dgram-connect", "unix-sendmsg"] {
        let token = format!("denied-{op}");
        let out = probe_in(&s, &[], op, &[server.path(), &token]);
        expect_printed(&out, "EACCES");
        assert!(!server.got(&token), "{op} got through");
        let token = format!("granted-{op}");
        let out = probe_in(
            &s,
            &["--allow-unix", server.path()],
            op,
            &[server.path(), &token],
        );
        expect_printed(&out, "OK");
        assert!(server.got(&token), "{op} with --allow-unix");
    }
}

#[test]
fn a_symlink_or_an_o_path_descriptor_does_not_lead_around_the_judgement() {
    let (s, outside) = setup();
    let server = Server::stream(&outside.join("agent.sock"));
    s.mkdir("work");
    std::os::unix::fs::symlink(&server.path, s.join("work/link.sock")).unwrap();
    let link = s.join("work/link.sock");
    let link = link.to_str().unwrap();
    let out = probe_in(
        &s,
        &["--allow", "work"],
        "unix-connect",
        &[link, "via-link"],
    );
    expect_printed(&out, "EACCES");
    let out = probe_in(&s, &[], "unix-connect-opath", &[server.path(), "via-opath"]);
    expect_printed(&out, "EACCES");
    assert!(!server.got("via-link") && !server.got("via-opath"));
    // Twins: the socket's directory granted, the same two ways work.
    let dir = outside.to_str().unwrap();
    let out = probe_in(
        &s,
        &["--allow", "work", "--allow-unix", dir],
        "unix-connect",
        &[link, "link-ok"],
    );
    expect_printed(&out, "OK");
    let out = probe_in(
        &s,
        &["--allow-unix", dir],
        "unix-connect-opath",
        &[server.path(), "opath-ok"],
    );
    expect_printed(&out, "OK");
    assert!(server.got("link-ok") && server.got("opath-ok"));
}

#[test]
fn a_socket_in_tmp_stays_out_of_reach_under_the_tmp_preset() {
    let (s, _) = setup();
    // Like an ssh-agent or tmux socket: in /tmp, which the tmp preset grants.
    let dir = tempfile::Builder::new()
        .prefix("nono-agent-")
        .tempdir_in("/tmp")
        .unwrap();
    let server = Server::stream(&dir.path().join("agent.1"));
    let out = probe_in(
        &s,
        &["--preset", "tmp"],
        "unix-connect",
        &[server.path(), "tmp-denied"],
    );
    expect_printed(&out, "EACCES");
    assert!(!server.got("tmp-denied"));
    let granted = dir.path().to_str().unwrap();
    let out = probe_in(
        &s,
        &["--preset", "tmp", "--allow-unix", granted],
        "unix-connect",
        &[server.path(), "tmp-granted"],
    );
    expect_printed(&out, "OK");
    assert!(server.got("tmp-granted"));
}

#[test]
fn a_server_the_sandbox_bound_itself_is_reachable_without_a_grant() {
    let (s, _) = setup();
    s.mkdir("work");
    let out = probe_in(&s, &["--allow", "work"], "unix-path", &["work/own.sock"]);
    expect_printed(&out, "OK");
    // Its twin is the refusal of an outside server above; binding needs
    // Write where the socket is made.
    s.mkdir("ro");
    let out = probe_in(&s, &["--read", "ro"], "unix-path", &["ro/own.sock"]);
    expect_printed(&out, "EACCES");
}

#[test]
fn a_thread_flipping_the_address_never_reaches_the_denied_socket() {
    let (s, outside) = setup();
    let granted_dir = s.beside("granted");
    let granted = Server::stream(&granted_dir.join("g.sock"));
    let denied = Server::stream(&outside.join("d.sock"));
    let status = Command::new("cc")
        .current_dir(s.path())
        .args(["-O2", "-pthread", "-Wall", "-Werror", "-o", "race"])
        .arg(Path::new(FIXTURES).join("unix_race.c"))
        .status()
        .unwrap();
    assert!(status.success(), "cc failed");
    let out = s.run([
        "run",
        "--read",
        "race",
        "--allow-unix",
        granted_dir.to_str().unwrap(),
        "--",
        "./race",
        granted.path(),
        denied.path(),
        "raced",
        "3000",
    ]);
    out.expect_ok();
    let connected: usize = out.stdout.trim().parse().unwrap();
    assert!(
        connected > 0,
        "the granted socket was never reached: {out:#?}"
    );
    assert!(granted.got("raced"));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        denied.received.lock().unwrap().is_empty(),
        "the denied server saw a connection"
    );
}

#[test]
fn a_process_left_behind_cannot_connect_after_nono_exits() {
    let (s, outside) = setup();
    let server = Server::stream(&outside.join("late.sock"));
    s.mkdir("work");
    // The command starts a process in the background that waits until
    // nono has exited, then tries: it must fail (the supervisor is gone
    // and its calls fail closed), and says so in a file it may write.
    let script = format!(
        "( sleep 1; {PYTHON} probe.py unix-connect {} late > work/late.txt 2>&1 ) & exit 0",
        server.path()
    );
    let out = s.run([
        "run", "--read", "probe.py", "--allow", "work", "--", "/bin/sh", "-c", &script,
    ]);
    out.expect_ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    let result = loop {
        if let Ok(text) = std::fs::read_to_string(s.join("work/late.txt"))
            && !text.is_empty()
        {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the left-behind process wrote nothing"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // It ran (it wrote its answer) and was refused.
    assert_ne!(result.trim(), "OK", "{result}");
    assert!(!server.got("late"));
}
