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

/// The command's process shares nono's descriptor table until it executes
/// the command: what the command gets is its own copy without nono's
/// descriptors, the supervisor's listener above all (holding it, the
/// command could answer its own calls). Twin: in the same run a supervised
/// call (a chmod in the granted directory) is answered, so the listener is
/// with the supervisor.
#[test]
fn the_command_holds_none_of_nonos_descriptors() {
    let s = Scratch::new();
    s.write("x", "");
    let out = s.run([
        "run",
        "--allow",
        ".",
        "--read",
        "/proc",
        "--",
        "/bin/sh",
        "-c",
        "ls -l /proc/self/fd/ && chmod 600 x && echo chmodded",
    ]);
    out.expect_code(0);
    // The descriptors ls has (those it inherits, and the directory it
    // reads): the same with and without nono.
    let numbers = |listing: &str| -> Vec<String> {
        let mut fds: Vec<String> = listing
            .lines()
            .filter_map(|l| {
                l.split(" -> ")
                    .next()?
                    .rsplit(' ')
                    .next()
                    .map(str::to_owned)
            })
            .filter(|n| n.parse::<u32>().is_ok())
            .collect();
        fds.sort();
        fds
    };
    let bare = Command::new("/bin/sh")
        .args(["-c", "ls -l /proc/self/fd/"])
        .current_dir(s.path())
        .output()
        .unwrap();
    let bare = String::from_utf8_lossy(&bare.stdout).into_owned();
    assert_eq!(
        numbers(&out.stdout),
        numbers(&bare),
        "{out:#?}\nunconfined:\n{bare}"
    );
    assert!(!out.stdout.contains("anon_inode"), "{out:#?}");
    assert!(out.stdout.contains("chmodded"), "{out:#?}");
    assert_eq!(mode(&s.path().join("x")) & 0o777, 0o600);
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
    open_to_nobody(&dir);
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

/// Runs `cmd` with its CPUs set to `cpus` (none: as the test has them).
fn on_cpus(cmd: &mut std::process::Command, cpus: Option<usize>) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    if let Some(cpu) = cpus {
        // SAFETY: sched_setaffinity is async-signal-safe and changes only
        // the child about to execute.
        unsafe {
            cmd.pre_exec(move || {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(cpu, &mut set);
                if libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd
}

/// nono starts the command's process on its own CPU (where the memory the
/// two share is in the cache), then gives both back the CPUs nono was
/// allowed: the command, and nono while it supervises, run where the user
/// let nono run, every CPU or the one `taskset` chose. Twin: the same
/// script unsandboxed under the same choice reports the same list.
#[test]
fn the_command_and_the_supervisor_keep_the_cpus_nono_was_allowed() {
    let s = Scratch::new();
    let last = std::thread::available_parallelism().map_or(1, |n| n.get()) - 1;
    let list = r#"taskset -cp "$1" | sed 's/.*: //'"#;
    for cpus in [None, Some(last), Some(0)] {
        let bare = Outcome::of(
            on_cpus(&mut std::process::Command::new("/bin/sh"), cpus)
                .args(["-c", &format!("set -- $$; {list}")]),
        );
        bare.expect_ok();
        let expected = bare.stdout.trim().to_owned();
        assert!(!expected.is_empty(), "{bare:?}");
        let script = format!("set -- $$; {list}; set -- $PPID; {list}");
        let out = Outcome::of(
            on_cpus(&mut s.nono(), cpus)
                .args(["run", "--allow", ".", "--", "/bin/sh", "-c", &script]),
        );
        out.expect_ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            lines,
            [expected.as_str(), expected.as_str()],
            "{cpus:?}: {out:?}"
        );
    }
}
