//! setuid/setgid files by every call that creates one; the terminal and the console.

use super::*;

/// As root, in a writable grant: `open`, `openat`, `creat`, `mknod`,
/// `mknodat` and `O_TMPFILE` with mode 04755 or 02755 are refused (EACCES)
/// and `openat2` is missing (ENOSYS, so callers fall back to `openat`);
/// nothing is created. Twins: the same calls with mode 0755 work inside,
/// and unconfined they make set-id files.
#[test]
fn no_call_creates_a_setuid_or_setgid_file() {
    let s = scratch();
    let rw = s.mkdir("rw");
    let allow = ["--allow", "rw"];
    let ways = [
        "open", "openat", "creat", "mknod", "mknodat", "tmpfile", "openat2",
    ];
    for how in ways {
        for mode in ["4755", "2755", "6755"] {
            let path = rw.join(format!("{how}-{mode}"));
            let p = path.to_str().unwrap();
            let errno = if how == "openat2" { "ENOSYS" } else { "EACCES" };
            let step = if how == "tmpfile" { "tmpfile" } else { how };
            inside(&s, Who::Root, &allow, "mkfile", &[how, p, mode]).refused(errno, step);
            assert!(!path.exists(), "{} was created", path.display());
        }
        let plain = rw.join(format!("{how}-plain"));
        let p = plain.to_str().unwrap();
        match how {
            // Linking an O_TMPFILE file by name needs /proc; the open
            // itself is what the guard judges.
            "tmpfile" => {}
            // Missing whatever the mode: callers fall back to openat.
            "openat2" => inside(&s, Who::Root, &allow, "mkfile", &[how, p, "755"])
                .refused("ENOSYS", "openat2"),
            _ => assert_eq!(
                inside(&s, Who::Root, &allow, "mkfile", &[how, p, "755"]).works(),
                ["755"]
            ),
        }
        let setid = rw.join(format!("{how}-outside"));
        let p = setid.to_str().unwrap();
        assert_eq!(
            outside(&s, Who::Root, "mkfile", &[how, p, "6755"]).works(),
            ["6755"]
        );
        assert_eq!(std::fs::metadata(&setid).unwrap().mode() & 0o6000, 0o6000);
    }
    // Only the twins' files are there.
    let mut names: Vec<String> = std::fs::read_dir(&rw)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names
            .iter()
            .all(|n| n.ends_with("-plain") || n.ends_with("-outside")),
        "{names:?}"
    );
}

// ---------------------------------------------------------------------------
// 5. The terminal.
// ---------------------------------------------------------------------------

/// Runs ARGV with a new pty's slave as stdin and prints the terminal's line
/// discipline and exclusive mode afterwards, as the next program on it
/// would find them.
const PTY_HELPER: &str = include_str!("../../fixtures/pty_state.py");

/// `ARGV` with a fresh terminal on stdin; returns its outcome and the
/// terminal's state after.
fn on_a_pty(s: &Scratch, who: Who, argv: Vec<String>) -> (Outcome, String) {
    let mut full = vec![
        PYTHON.to_owned(),
        "-I".to_owned(),
        "-c".to_owned(),
        PTY_HELPER.to_owned(),
    ];
    full.extend(match who {
        Who::Root => Vec::new(),
        Who::Nobody => NOBODY.iter().map(|a| (*a).to_owned()).collect(),
    });
    full.extend(argv);
    let mut out = Outcome::of(&mut command(s, Who::Root, &full));
    let after = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("AFTER "))
        .unwrap_or_else(|| panic!("no terminal state: {out:#?}"))
        .to_owned();
    out.stdout = out
        .stdout
        .lines()
        .filter(|l| !l.starts_with("AFTER "))
        .map(|l| format!("{l}\n"))
        .collect();
    (out, after)
}

/// `TIOCSETD` to `N_NULL` on the inherited terminal would leave it deaf
/// after the command (the shell reads nothing, and `stty sane` cannot put
/// the line discipline back); `TIOCEXCL` would keep everyone else's
/// programs from opening it (EBUSY). Both are refused (EACCES) and the
/// terminal is unchanged, as root and as another user. Twins: unconfined,
/// the same calls change the terminal; inside, reading the line discipline
/// works. `TIOCVHANGUP` is left to the capability drop, and pinned here.
#[test]
fn the_terminal_outlives_the_command_unchanged() {
    let s = scratch();
    let setd = ["ioctl-int", "0x5423", "27"];
    let excl = ["ioctl", "0x540C"];
    for who in [Who::Root, Who::Nobody] {
        for (op, step) in [(&setd[..], "ioctl 0x5423"), (&excl[..], "ioctl 0x540C")] {
            let (out, after) = on_a_pty(&s, who, sandboxed(&[], probe(op[0], &op[1..])));
            out.refused("EACCES", step);
            assert_eq!(after, "ldisc=0 excl=0", "{out:#?}");
        }
        let (out, after) = on_a_pty(
            &s,
            who,
            sandboxed(&[], probe("ioctl-int", &["0x5424", "0"])),
        );
        out.works();
        assert_eq!(after, "ldisc=0 excl=0");
        let (out, after) = on_a_pty(&s, who, probe(setd[0], &setd[1..]));
        out.works();
        assert_eq!(after, "ldisc=27 excl=0");
        let (out, after) = on_a_pty(&s, who, probe(excl[0], &excl[1..]));
        out.works();
        assert_eq!(after, "ldisc=0 excl=1");
    }
    // Hanging the terminal up (every descriptor on it dies) needs
    // CAP_SYS_ADMIN, which nono drops: EPERM. Twin: root, unconfined.
    let hangup = ["ioctl", "0x5437"];
    let (out, after) = on_a_pty(
        &s,
        Who::Root,
        sandboxed(&[], probe(hangup[0], &hangup[1..])),
    );
    out.refused("EPERM", "ioctl 0x5437");
    assert_eq!(after, "ldisc=0 excl=0");
    let (out, after) = on_a_pty(&s, Who::Root, probe(hangup[0], &hangup[1..]));
    out.works();
    assert_eq!(after, "Input/output error");
}

/// On a Linux virtual terminal (a console, where the keymap, font and
/// function-key strings are shared by every console), switching consoles
/// and setting the LEDs to what they are are refused (EACCES) even when
/// root keeps its capabilities; reading the console's state works. Twin:
/// unconfined, the same no-op writes succeed. Skipped without a VT.
#[test]
fn console_settings_are_refused_on_a_virtual_terminal() {
    let s = scratch();
    let Ok(vt) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty1")
    else {
        eprintln!("skipped: no /dev/tty1");
        return;
    };
    // The console goes in as descriptor 3: a terminal on a standard
    // descriptor would be replaced by the pty nono relays, which is no
    // console (a descriptor above 2 passes through as it is).
    use std::os::fd::AsRawFd;
    let vt_fd = vt.as_raw_fd();
    let run = |argv: Vec<String>| {
        let mut cmd = command(&s, Who::Root, &argv);
        // SAFETY: dup2 and fcntl are async-signal-safe; the descriptor
        // stays open in the parent for the child's whole life. dup2 onto
        // itself keeps close-on-exec, so it is cleared explicitly.
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(vt_fd, 3) < 0 || libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Outcome::of(&mut cmd)
    };
    let unconfined = run(probe("vt-noop", &["3"]));
    if unconfined.stdout.contains("ENOTTY") {
        eprintln!("skipped: /dev/tty1 is not a virtual terminal: {unconfined:#?}");
        return;
    }
    assert_eq!(unconfined.works(), ["reads"]);
    // With root's capabilities kept, only the guard refuses; without them
    // the guard still answers first (the kernel would refuse too, unless
    // the console were the command's controlling terminal).
    for flags in [&["--keep-caps"][..], &[][..]] {
        let out = run(sandboxed(flags, probe("vt-noop", &["3"])));
        out.refused("EACCES", "VT_ACTIVATE");
        assert!(out.stdout.contains("DATA reads"), "{out:#?}");
    }
}

// ---------------------------------------------------------------------------
// 6. Host-wide facilities, and what Landlock already closes.
// ---------------------------------------------------------------------------
