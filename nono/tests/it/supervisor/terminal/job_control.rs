//! Job control, the background, nested runs and processes left behind.

use super::*;
use std::os::unix::process::ExitStatusExt;

/// How many ticks the command wrote to `work/ticks` so far.
fn ticks(s: &Scratch) -> usize {
    std::fs::read_to_string(s.join("work/ticks"))
        .map(|t| t.len())
        .unwrap_or(0)
}

#[test]
fn sigtstp_to_nono_stops_the_command_and_sigcont_continues_it() {
    use std::os::unix::process::CommandExt;
    let s = Scratch::new();
    s.mkdir("work");
    let mut child = s
        .nono()
        .args([
            "run",
            "--allow",
            "work",
            "--",
            "/bin/sh",
            "-c",
            "while :; do echo x >> work/ticks; sleep 0.02; done",
        ])
        // A process group whose parent is in the session, so that a stop
        // is not discarded (as for a job a shell started).
        .process_group(0)
        .spawn()
        .unwrap();
    let nono = child.id() as i32;
    wait_until(10, "the command never started", || ticks(&s) > 0);
    // SAFETY: signals to our own child; waitpid on it.
    let stopped = unsafe {
        libc::kill(nono, libc::SIGTSTP);
        let mut status = 0;
        libc::waitpid(nono, &raw mut status, libc::WUNTRACED);
        libc::WIFSTOPPED(status).then(|| libc::WSTOPSIG(status))
    };
    assert_eq!(stopped, Some(libc::SIGTSTP));
    // The command stopped with it (a tick in flight may still land).
    std::thread::sleep(Duration::from_millis(200));
    let at_stop = ticks(&s);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(ticks(&s), at_stop, "the command still runs");
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(nono, libc::SIGCONT) };
    wait_until(5, "the command was not continued", || ticks(&s) != at_stop);
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(nono, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[test]
fn a_nested_nono_on_a_terminal_shares_the_outer_pty_as_a_named_gap() {
    let s = Scratch::new();
    let nono = crate::common::NONO;
    let dir = Path::new(nono).parent().unwrap().to_str().unwrap();
    // The outer sandbox grants no /dev/ptmx: the inner nono cannot open a
    // pty, says so, and its command uses the outer run's pty.
    let job = nono_argv(
        &["--read", dir],
        &[
            nono,
            "run",
            "--",
            "/bin/sh",
            "-c",
            "[ -t 0 ] && echo inner-on-a-tty",
        ],
    );
    let result = in_terminal(&s, &serde_json::json!({"argv": job}));
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    let output = text(&result["output"]);
    assert!(output.contains("inner-on-a-tty"), "{output}");
    assert!(
        output.contains("PartiallyEnforced") && output.contains("terminal: no pty for the command"),
        "{output}"
    );
    // Twin: not nested, no such gap.
    let job = nono_argv(&["-v"], &["/bin/sh", "-c", "[ -t 0 ] && echo on-a-tty"]);
    let result = in_terminal(&s, &serde_json::json!({"argv": job}));
    let output = text(&result["output"]);
    assert!(
        output.contains("FullyEnforced") && output.contains("on-a-tty"),
        "{output}"
    );
}

#[test]
fn a_process_left_behind_writing_without_end_does_not_keep_nono_or_the_terminal() {
    let s = Scratch::new();
    let run = |job: Vec<String>| {
        let spec = serde_json::json!({
            "argv": job,
            "timeout": 20,
            "after": [{"mark": "ended"}, {"sleep": 1.0}, {"mark": "later"}],
        });
        let result = in_terminal(&s, &spec);
        assert_eq!(text(&result["status"]), "exit 3", "{:#}", result["status"]);
        assert!(text(&result["output"]).contains("left-behind"));
        assert_eq!(result["modes_after"], result["modes_before"]);
        let mark = |name: &str| result["marks"][name].as_u64().unwrap();
        (mark("ended"), mark("later"))
    };
    // It ignores SIGHUP and keeps writing to the pty as fast as it can:
    // nono still ends, and once the pty is hung up nothing more reaches
    // the terminal.
    let flood = "(trap '' HUP; exec yes left-behind) & sleep 0.3; exit 3";
    let (ended, later) = run(nono_argv(&[], &["/bin/sh", "-c", flood]));
    assert_eq!(ended, later);
    // The same with a line every 50 ms for 3 s, and its twin: without
    // nono, the lines go on reaching the terminal after the job ended.
    let lines = "(trap '' HUP; i=0; while [ $i -lt 60 ]; do echo left-behind-$i; sleep 0.05; i=$((i+1)); done) & sleep 0.3; exit 3";
    let (ended, later) = run(nono_argv(&[], &["/bin/sh", "-c", lines]));
    assert_eq!(ended, later);
    let (ended, later) = run(vec!["/bin/sh".into(), "-c".into(), lines.into()]);
    assert!(later > ended, "{ended} {later}");
}

#[test]
fn a_command_changing_its_terminal_modes_leaves_the_users_alone() {
    let s = Scratch::new();
    // It turns echo off and the terminal raw, and exits without undoing
    // it: that was the pty; the user's terminal keeps its modes.
    let job = ["/bin/sh", "-c", "stty -echo raw; echo changed"];
    let spec =
        |argv: Vec<String>| serde_json::json!({"argv": argv, "steps": [{"expect": "changed"}]});
    let result = in_terminal(&s, &spec(nono_argv(&[], &job)));
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert_eq!(result["modes_after"], result["modes_before"]);
    // Twin: without nono the same command changes the user's terminal.
    let twin = in_terminal(&s, &spec(job.iter().map(|a| (*a).to_owned()).collect()));
    assert_eq!(text(&twin["status"]), "exit 0", "{twin:#}");
    assert_ne!(twin["modes_after"], twin["modes_before"]);
    assert_eq!(lflag(&twin["modes_after"]) & u64::from(libc::ECHO), 0);
}

#[test]
fn an_editor_suspending_itself_suspends_the_run() {
    let s = Scratch::new();
    // A raw-mode program reads Ctrl-Z as a key and stops itself with
    // SIGTSTP: the kernel stops it (its group has a parent in its session,
    // the pty's waiter), and nono follows; fg continues both.
    let editor = [PYTHON, "pty_harness.py", "editor"];
    let steps = serde_json::json!([
        {"expect": "editor-ready"},
        {"send": "\u{1a}"},
        {"report": "stopped"},
        {"modes": "stopped"},
        {"fg": true},
        {"expect": "editor-resumed"},
        {"send": "q"},
    ]);
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": nono_argv(&[], &editor), "steps": steps}),
    );
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert_eq!(result["modes_at"]["stopped"], result["modes_before"]);
    assert_eq!(result["modes_after"], result["modes_before"]);
    // Twin: the same without nono.
    let twin = in_terminal(&s, &serde_json::json!({"argv": editor, "steps": steps}));
    assert_eq!(text(&twin["status"]), "exit 0", "{twin:#}");
    assert!(text(&twin["reports"]).contains("stopped"), "{twin:#}");
}

#[test]
fn the_command_cannot_signal_the_pty_sessions_waiter() {
    let s = Scratch::new();
    // On a pty the command's parent is nono's waiter, outside the sandbox:
    // signal scoping keeps the command from it (kill -0 asks permission).
    let probe = [
        "/bin/sh",
        "-c",
        "kill -0 $PPID 2>/dev/null && echo signal-sent || echo signal-refused",
    ];
    let result = in_terminal(&s, &serde_json::json!({"argv": nono_argv(&[], &probe)}));
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert!(
        text(&result["output"]).contains("signal-refused"),
        "{result:#}"
    );
    // Twin: with --allow-signals the same probe reaches it.
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": nono_argv(&["--allow-signals"], &probe)}),
    );
    assert!(
        text(&result["output"]).contains("signal-sent"),
        "{result:#}"
    );
}
