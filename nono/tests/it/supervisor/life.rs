//! The run's life: exit status, standard input, signals, a nested nono, a
//! user other than root.

use super::*;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

#[test]
fn the_exit_status_and_standard_input_pass_through() {
    let s = Scratch::new();
    s.run(["run", "--", "/bin/sh", "-c", "exit 7"])
        .expect_code(7);
    let status = s
        .nono()
        .args(["run", "--", "/bin/sh", "-c", "kill -TERM $$"])
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    let mut child = s
        .nono()
        .args(["run", "--", "/bin/cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"through the supervisor\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"through the supervisor\n");
}

#[test]
fn a_signal_sent_to_nono_reaches_the_command() {
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
            "trap 'echo got-term > work/term; exit 42' TERM; touch work/ready; while :; do sleep 0.05; done",
        ])
        .spawn()
        .unwrap();
    wait_until(10, "the command never started", || {
        s.join("work/ready").exists()
    });
    // SAFETY: kill of our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(42), "{status:?}");
    assert_eq!(
        std::fs::read_to_string(s.join("work/term")).unwrap(),
        "got-term\n"
    );
}

#[test]
fn a_nested_nono_says_its_own_supervision_is_a_gap() {
    let s = Scratch::new();
    let nono = NONO;
    let dir = Path::new(nono)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let out = s.run([
        "run",
        "--read",
        &dir,
        "--",
        nono,
        "run",
        "-v",
        "--",
        "/bin/true",
    ]);
    out.expect_ok()
        .expect_stderr("Sandbox status: PartiallyEnforced");
    out.expect_stderr("supervise: nono already runs under a supervisor");
    let out = s.run([
        "run",
        "--read",
        &dir,
        "--",
        nono,
        "run",
        "--strict",
        "--",
        "/bin/true",
    ]);
    out.expect_code(125).expect_stderr("--strict: supervise");
    // Twin: not nested, the same run is fully enforced.
    s.run(["run", "-v", "--", "/bin/true"])
        .expect_ok()
        .expect_stderr("Sandbox status: FullyEnforced");
}

#[test]
fn an_unprivileged_user_is_supervised_too() {
    let s = Scratch::new();
    if Command::new("runuser").arg("--help").output().is_err() {
        eprintln!("skipped: runuser is not installed");
        return;
    }
    let dir = s.mkdir("nobody");
    s.write("nobody/probe.py", PROBE);
    let ro = s.write("nobody/ro", "x\n");
    let rw = s.write("nobody/rw/f", "x\n");
    for p in [&dir, &ro, &rw, &rw.parent().unwrap().to_path_buf()] {
        std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
    }
    // The scratch directories above must be traversable by nobody.
    let mut p = dir.clone();
    while let Some(parent) = p.parent() {
        let mode = mode(parent);
        if mode & 0o001 == 0 {
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(mode | 0o001))
                .unwrap();
        }
        p = parent.to_path_buf();
    }
    let run = |file: &Path| {
        Outcome::of(
            Command::new("runuser")
                .current_dir(&dir)
                .args(["-u", "nobody", "--", NONO, "run", "--read", "probe.py"])
                .args([
                    "--read", "ro", "--allow", "rw", "--", PYTHON, "probe.py", "chmod",
                ])
                .arg(file)
                .arg("600")
                .env("HOME", &dir),
        )
    };
    expect_printed(&run(&ro), "EPERM");
    expect_printed(&run(&rw), "OK");
    assert_eq!(mode(&rw), 0o600);
    assert_ne!(mode(&ro), 0o600);
}
