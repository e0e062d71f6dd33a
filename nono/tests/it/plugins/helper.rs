//! The helper's sandbox: what a plugin's code may not do.

use super::*;
use crate::common::mode;
use std::net::TcpListener;
use std::os::unix::net::UnixListener;

/// A plugin (`escape.c`) that tries to create a file, to connect to a TCP
/// listener and to a Unix socket (as a container runtime's or a bus's would
/// be), to make an existing file world-writable, and reads its own
/// effective capabilities, reports what it got in its preset's description.
/// The same code, unconfined, does all of it.
#[test]
fn the_helper_cannot_write_files_or_connect_and_holds_no_capabilities() {
    let lab = Lab::new();
    let target = lab.s.join("escaped.txt");
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    tcp.set_nonblocking(true).unwrap();
    let port = tcp.local_addr().unwrap().port();
    let socket_path = lab.s.join("daemon.sock");
    let unix = UnixListener::bind(&socket_path).unwrap();
    unix.set_nonblocking(true).unwrap();
    let mode_file = lab.s.write("mode.txt", "a user's file\n");
    chmod(&mode_file, 0o644);
    let defines = [
        c_define("MODE_FILE", mode_file.to_str().unwrap().as_bytes()),
        c_define("TARGET_FILE", target.to_str().unwrap().as_bytes()),
        format!("-DPORT={port}"),
        c_define("UNIX_SOCKET", socket_path.to_str().unwrap().as_bytes()),
    ];
    lab.c_plugin("escape", "escape", &defines);

    let out = lab.run(["presets", "show", "escape/files"]);
    out.expect_ok();
    let description = out.stdout.lines().next().unwrap();
    for expected in [
        "file=Permission denied",
        "tcp=Permission denied",
        "unix=Permission denied",
        "chmod=Operation not permitted",
        "capeff=0000000000000000",
    ] {
        assert!(description.contains(expected), "{expected}: {description}");
    }
    assert_absent(&target);
    assert_eq!(mode(&mode_file), 0o644, "the plugin changed a file's mode");
    let accepted = tcp.accept().map(|_| ());
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the plugin connected over TCP: {accepted:?}"
    );
    let accepted = unix.accept().map(|_| ());
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the plugin connected to the Unix socket: {accepted:?}"
    );

    // Twin: the same code, unconfined, does all of it.
    let exe = lab.s.join("build/escape");
    let mut flags = vec!["-DUNCONFINED"];
    flags.extend(defines.iter().map(String::as_str));
    compile_c("escape", &exe, &flags);
    let out = Outcome::of(&mut Command::new(&exe));
    out.expect_ok();
    assert!(
        out.stdout
            .starts_with("file=created tcp=connected unix=connected chmod=changed"),
        "{out:#?}"
    );
    assert_file(&target, "");
    assert_eq!(mode(&mode_file), 0o666);
    tcp.set_nonblocking(false).unwrap();
    unix.set_nonblocking(false).unwrap();
    tcp.accept()
        .expect("the unconfined twin connected over TCP");
    unix.accept()
        .expect("the unconfined twin connected to the Unix socket");
}

#[test]
fn what_a_plugin_prints_does_not_corrupt_its_answer() {
    let lab = Lab::new();
    let manifest = good_manifest("chatty", &lab.granted());
    // 100 MB on its standard output and some on standard error, then a good
    // answer.
    lab.c_plugin(
        "chatty",
        "chatty",
        &[c_define("ANSWER", manifest.as_bytes())],
    );
    lab.run_marker("chatty/files").expect_ok();
    assert_file(&lab.s.join("MARKER"), "");
}

/// A plugin (`prying.c`) that tries to read a fake SSH key and an ordinary
/// file in the home directory, and looks for a token in the context it was
/// given, reports what it found.
#[test]
fn the_helper_cannot_read_sensitive_paths_and_the_context_has_no_credentials() {
    let lab = Lab::new();
    let home = lab.s.home();
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(home.join(".ssh/id_ed25519"), "PRIVATE-KEY-MATERIAL\n").unwrap();
    std::fs::write(home.join("notes.txt"), "ordinary-notes\n").unwrap();
    lab.c_plugin("prying", "prying", &[]);

    let out = Outcome::of(
        lab.nono()
            .env("FOO_TOKEN", "token-value-123")
            .env("PLAIN_SETTING", "1")
            .args(["presets", "show", "prying/files"]),
    );
    out.expect_ok();
    let description = out.stdout.lines().next().unwrap();
    // Denied: the key (a built-in sensitive path) and the token.
    assert!(
        description.contains("key=Permission denied"),
        "{description}"
    );
    assert!(!out.stdout.contains("PRIVATE-KEY-MATERIAL"), "{out:#?}");
    assert!(description.contains("token=absent"), "{description}");
    assert!(!out.stdout.contains("token-value-123"), "{out:#?}");
    // Twins: an ordinary file in the same home is readable, and an ordinary
    // variable reaches the plugin.
    assert!(
        description.contains("notes=ordinary-notes"),
        "{description}"
    );
    assert!(description.contains("plain=present"), "{description}");
}

/// `cmd` started with `leak` open as descriptor 47 (not close-on-exec),
/// cores of up to 1 MiB allowed and `NONO_TEST_MARKER` set: what a careless
/// caller of nono could hand it.
fn with_leaks(cmd: &mut Command, leak: &std::fs::File) -> Outcome {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let fd = leak.as_raw_fd();
    cmd.env("NONO_TEST_MARKER", "1");
    // SAFETY: between fork and exec the closure only makes two system
    // calls with plain integer arguments and a pointer to a local.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd, 47) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let core = libc::rlimit {
                rlim_cur: 1 << 20,
                rlim_max: 1 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_CORE, &raw const core) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Outcome::of(cmd)
}

/// A plugin (`holdings.c`) reports what the helper process it runs in
/// holds: a descriptor nono's caller leaked, its dumpability and core-size
/// limit, its process group, a variable nono was given, every variable name
/// it sees, no_new_privs and the seccomp mode, and whether it may signal
/// nono. Twin: the same code, run as an ordinary child of the test, holds
/// each.
#[test]
fn the_helper_inherits_no_descriptor_or_variable_and_cannot_dump_core_or_signal_out() {
    let lab = Lab::new();
    let leaked = lab.s.join("leaked.txt");
    let leak = std::fs::File::create(&leaked).unwrap();
    lab.c_plugin("holdings", "holdings", &[]);

    let out = with_leaks(
        lab.nono().args(["presets", "show", "holdings/files"]),
        &leak,
    );
    out.expect_ok();
    let description = out.stdout.lines().next().unwrap();
    for expected in [
        "fd=Bad file descriptor",
        "dumpable=0",
        "core=0",
        "group=own",
        "marker=absent",
        "nnp=1",
        "seccomp=2",
        "signal=Operation not permitted",
    ] {
        assert!(description.contains(expected), "{expected}: {description}");
    }
    // Only the variables the sensitive paths are written with.
    let names = description.rsplit("env=").next().unwrap();
    for name in names.split('+').filter(|n| !n.is_empty()) {
        assert!(
            ["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "CARGO_HOME"].contains(&name),
            "{name}: {description}"
        );
    }
    assert_file(&leaked, "");

    // Twin: the same code, started the same way as an ordinary child, has
    // all of it.
    let exe = lab.s.mkdir("build").join("holdings");
    compile_c("holdings", &exe, &["-DUNCONFINED"]);
    let out = with_leaks(&mut Command::new(&exe), &leak);
    out.expect_ok();
    for expected in [
        "fd=written",
        "dumpable=1",
        "core=1048576",
        "group=inherited",
        "marker=present",
        "nnp=0",
        "seccomp=0",
        "signal=allowed",
    ] {
        assert!(out.stdout.contains(expected), "{expected}: {out:#?}");
    }
    assert!(out.stdout.contains("NONO_TEST_MARKER"), "{out:#?}");
    assert_file(&leaked, "x");
}
