//! The takeover of the terminal after nono exits, and what reaches the
//! command through the pty.

use super::*;

#[test]
fn a_process_left_behind_cannot_take_the_terminal_after_nono_exits() {
    let s = Scratch::new();
    s.mkdir("work");
    let thief = format!("{PYTHON} pty_harness.py thief work/out work/go; exit 0");
    // Under nono, with the terminal as standard input, output and error.
    let got = left_behind_thief(
        &s,
        nono_argv(&["--allow", "work"], &["/bin/sh", "-c", &thief]),
    );
    assert!(!got.contains("secret-line"), "{got}");
    assert!(got.contains("tty: ENXIO"), "{got}");
    assert!(!got.contains("tcsetpgrp: ok"), "{got}");
    assert!(got.contains("read: eof"), "{got}");
    assert!(!got.contains("tiocsti: ok"), "{got}");
    assert!(!got.contains("tcsetattr: ok"), "{got}");
    // Under nono, with standard descriptors that are not the terminal
    // (which stays the session's controlling terminal): no /dev/tty.
    let redirected = format!(
        "exec {} </dev/null >/dev/null 2>&1",
        nono_argv(
            &["--allow", "work"],
            &["/bin/sh", "-c", &format!("'{thief}'")]
        )
        .join(" ")
    );
    let got = left_behind_thief(&s, vec!["/bin/sh".into(), "-c".into(), redirected]);
    assert!(!got.contains("secret-line"), "{got}");
    assert!(got.contains("tty: ENXIO"), "{got}");
    assert!(!got.contains("tcsetpgrp: ok"), "{got}");
    // Twins: the same job without nono captures the line, both ways.
    let got = left_behind_thief(&s, vec!["/bin/sh".into(), "-c".into(), thief.clone()]);
    assert!(got.contains("tcsetpgrp: ok"), "{got}");
    assert!(got.contains("read: secret-line"), "{got}");
    assert!(got.contains("tcsetattr: ok"), "{got}");
    let redirected = format!("exec /bin/sh -c '{thief}' </dev/null >/dev/null 2>&1");
    let got = left_behind_thief(&s, vec!["/bin/sh".into(), "-c".into(), redirected]);
    assert!(got.contains("tty: ok"), "{got}");
    assert!(got.contains("read: secret-line"), "{got}");
}

#[test]
fn typed_lines_and_window_sizes_reach_the_command_through_the_pty() {
    let s = Scratch::new();
    // After the line, it waits (as long as the harness lets it) until the
    // new window size reached it.
    let script = "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; stty size; read line; echo got:$line; while [ \"$(stty size)\" = '30 100' ]; do sleep 0.05; done; stty size";
    let spec = serde_json::json!({
        "argv": nono_argv(&[], &["/bin/sh", "-c", script]),
        "rows": 30, "cols": 100,
        "steps": [
            {"expect": "30 100"},
            {"modes": "running"},
            {"send": "hello there\r"},
            {"expect": "got:hello there"},
            {"winsize": [40, 120]},
            {"expect": "40 120"},
        ],
    });
    let result = in_terminal(&s, &spec);
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert!(text(&result["output"]).contains("all-ttys"), "{result:#}");
    // Raw while it ran (the pty's line discipline does the editing), and
    // the modes it had afterwards.
    let running = &result["modes_at"]["running"];
    assert_eq!(lflag(running) & u64::from(libc::ICANON | libc::ECHO), 0);
    assert_eq!(result["modes_after"], result["modes_before"]);
    assert_ne!(*running, result["modes_before"]);
}

#[test]
fn ctrl_c_and_ctrl_d_typed_act_on_the_command_as_on_a_terminal() {
    let s = Scratch::new();
    // Ctrl-C: the command dies by SIGINT, and nono with it (a shell shows
    // 130), as without nono; the terminal's modes come back.
    let job = ["/bin/sh", "-c", "echo ready; sleep 30"];
    let steps = serde_json::json!([{"expect": "ready"}, {"sleep": 0.2}, {"send": "\u{3}"}]);
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": nono_argv(&[], &job), "steps": steps}),
    );
    assert_eq!(text(&result["status"]), "signal 2", "{result:#}");
    assert_eq!(result["modes_after"], result["modes_before"]);
    let twin = in_terminal(&s, &serde_json::json!({"argv": job, "steps": steps}));
    assert_eq!(text(&twin["status"]), "signal 2", "{twin:#}");
    // With its standard descriptors elsewhere, nono gets the terminal's
    // SIGINT and passes it to the command (in a session of its own).
    s.mkdir("work");
    let quiet = format!(
        "exec {} </dev/null >/dev/null 2>&1",
        nono_argv(
            &["--allow", "work"],
            &["/bin/sh", "-c", "'touch work/ready; sleep 30'"]
        )
        .join(" ")
    );
    let ready = s.join("work/ready");
    let steps = serde_json::json!([{"wait_file": [ready, ""]}, {"sleep": 0.2}, {"send": "\u{3}"}]);
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": ["/bin/sh", "-c", quiet], "steps": steps}),
    );
    assert_eq!(text(&result["status"]), "signal 2", "{result:#}");
    // Ctrl-D: end of input for a reader.
    let job = ["/bin/sh", "-c", "cat; echo cat-ended"];
    let steps = serde_json::json!([
        {"sleep": 0.3}, {"send": "abc\r"}, {"expect": "abc"}, {"send": "\u{4}"}, {"expect": "cat-ended"},
    ]);
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": nono_argv(&[], &job), "steps": steps}),
    );
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert_eq!(result["modes_after"], result["modes_before"]);
}

#[test]
fn ctrl_z_suspends_the_run_with_the_terminal_restored_and_fg_continues_it() {
    let s = Scratch::new();
    let job = ["/bin/sh", "-c", "echo ready; read line; echo got:$line"];
    let spec = serde_json::json!({
        "argv": nono_argv(&[], &job),
        "steps": [
            {"expect": "ready"},
            {"sleep": 0.2},
            {"send": "\u{1a}"},
            {"report": "stopped"},
            {"modes": "stopped"},
            {"fg": true},
            {"sleep": 0.3},
            {"send": "after\r"},
            {"expect": "got:after"},
        ],
    });
    let result = in_terminal(&s, &spec);
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    // nono stopped as SIGTSTP stops a program, in the modes it started with.
    assert!(
        text(&result["reports"]).contains(&format!("stopped {}", libc::SIGTSTP)),
        "{result:#}"
    );
    assert_eq!(result["modes_at"]["stopped"], result["modes_before"]);
    assert_eq!(result["modes_after"], result["modes_before"]);
}

#[test]
fn standard_input_from_a_pipe_passes_through_with_the_terminal_on_output() {
    let s = Scratch::new();
    let inner = "[ -t 0 ] || echo stdin-is-a-pipe; [ -t 1 ] && echo stdout-is-a-tty; cat";
    let job = format!(
        "echo piped-line | {}",
        nono_argv(&[], &["/bin/sh", "-c", &format!("'{inner}'")]).join(" ")
    );
    let result = in_terminal(
        &s,
        &serde_json::json!({"argv": ["/bin/sh", "-c", job], "steps": [{"expect": "piped-line"}]}),
    );
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    let output = text(&result["output"]);
    assert!(output.contains("stdin-is-a-pipe\r\n"), "{output}");
    assert!(output.contains("stdout-is-a-tty\r\n"), "{output}");
    // The pty makes the line ends; the terminal does not add its own.
    assert!(!output.contains("\r\r\n"), "{output:?}");
    assert_eq!(result["modes_after"], result["modes_before"]);
}

#[test]
fn in_the_background_nono_leaves_the_terminal_alone() {
    let s = Scratch::new();
    let spec = serde_json::json!({
        "argv": nono_argv(&[], &["/bin/sh", "-c", "sleep 0.3; echo from-the-background"]),
        "background": true,
        "steps": [{"modes": "running"}, {"expect": "from-the-background"}],
    });
    let result = in_terminal(&s, &spec);
    assert_eq!(text(&result["status"]), "exit 0", "{result:#}");
    assert!(!text(&result["reports"]).contains("stopped"), "{result:#}");
    assert_eq!(result["modes_at"]["running"], result["modes_before"]);
    assert_eq!(result["modes_after"], result["modes_before"]);
}
