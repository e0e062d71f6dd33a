//! Host-wide kernel facilities, what Landlock already closes, and what nono says about the guard.

use super::*;

/// Where a cgroup hierarchy with perf events is mounted, if anywhere.
fn perf_cgroup() -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        let (dir, fstype, options) = (fields.get(1)?, fields.get(2)?, fields.get(3)?);
        let perf = *fstype == "cgroup2"
            || (*fstype == "cgroup" && options.split(',').any(|o| o == "perf_event"));
        perf.then(|| (*dir).to_owned())
    })
}

/// `kernel.perf_event_paranoid`: above 2 (Debian's kernels default to 3),
/// the kernel refuses every `perf_event_open` without `CAP_PERFMON`, a
/// process's own events included.
fn perf_paranoid() -> i32 {
    std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(2)
}

/// `bpf`, `perf_event_open` of a whole CPU or a cgroup, and `syslog` need
/// a capability on this host's settings (so dropping root's capabilities
/// refuses them too), but some hosts open them to every user: the guard
/// refuses them whatever the capabilities, EPERM (EACCES for perf, as the
/// kernel's own refusal). io_uring is refused (EACCES): its requests would
/// bypass the guard's checks. Twins: unconfined root does each; the
/// command still counts its own events (on a kernel whose
/// `perf_event_paranoid` is above 2, as Debian's, only with root's
/// capabilities kept: the kernel refuses it to anyone else, unconfined
/// too).
#[test]
fn host_wide_kernel_facilities_are_refused() {
    let s = scratch();
    let mut cases: Vec<(&str, Vec<&str>, &str, &str)> = vec![
        ("bpf", vec![], "EPERM", "bpf"),
        ("perf", vec!["-1", "0"], "EACCES", "perf_event_open"),
        ("syslog", vec![], "EPERM", "syslog"),
        ("io-uring", vec![], "EACCES", "io_uring_setup"),
    ];
    // The cgroup variant needs a cgroup hierarchy with perf events (v2, or
    // v1's perf_event), which it reads with a grant.
    let cgroup = perf_cgroup();
    let (keep, plain): (Vec<&str>, Vec<&str>) = match &cgroup {
        Some(dir) => {
            cases.push(("perf", vec!["0", "0", dir], "EACCES", "perf_event_open"));
            (vec!["--keep-caps", "--read", dir], vec!["--read", dir])
        }
        None => {
            eprintln!("no cgroup hierarchy with perf events: the cgroup case is skipped");
            (vec!["--keep-caps"], vec![])
        }
    };
    for (op, args, errno, step) in &cases {
        inside(&s, Who::Root, &keep, op, args).refused(errno, step);
        inside(&s, Who::Nobody, &plain, op, args).refused(errno, step);
        outside(&s, Who::Root, op, args).works();
    }
    if perf_paranoid() > 2 {
        inside(&s, Who::Root, &["--keep-caps"], "perf", &["0", "-1"]).works();
        outside(&s, Who::Nobody, "perf", &["0", "-1"]).refused("EACCES", "perf_event_open");
        inside(&s, Who::Nobody, &[], "perf", &["0", "-1"]).refused("EACCES", "perf_event_open");
    } else {
        inside(&s, Who::Root, &[], "perf", &["0", "-1"]).works();
        inside(&s, Who::Nobody, &[], "perf", &["0", "-1"]).works();
    }
}

/// fanotify (which an unprivileged user may use since Linux 5.13) watches
/// a directory by path without a Landlock check, and reports the names
/// created there: refused (EPERM). Twin: unconfined, the same user sees
/// the name.
#[test]
fn fanotify_cannot_watch_a_directory_outside_the_grants() {
    let s = scratch();
    let dir = s.mkdir("watched");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let d = dir.to_str().unwrap();
    inside(&s, Who::Nobody, &[], "fanotify", &[d, "inside"]).refused("EPERM", "fanotify_init");
    inside(&s, Who::Root, &["--keep-caps"], "fanotify", &[d, "inside"])
        .refused("EPERM", "fanotify_init");
    assert_eq!(
        outside(&s, Who::Nobody, "fanotify", &[d, "outside"]).works(),
        ["saw outside"]
    );
}

/// What Landlock's own scoping already closes, pinned for the README's
/// list. As root under `--keep-caps` (so no capability check is what
/// refuses): `kcmp` with a process outside (EPERM), `setns` into its IPC
/// namespace through a pidfd (EPERM), a pidfd's namespace ioctl (EACCES),
/// `pidfd_send_signal` (EPERM), and POSIX message queues (EACCES: their
/// filesystem is under no grant). As another user, on that user's own
/// process outside, where the kernel's other checks all pass: the same
/// calls but `setns` (which that user may not do on the host's
/// namespaces anyway), and `perf_event_open` on it (EACCES; a holder of
/// `CAP_PERFMON` skips this check, which is why root's is dropped; on a
/// kernel whose `perf_event_paranoid` is above 2 the user has no perf at
/// all, and the case is left out). A kernel without the pidfd namespace
/// ioctls (before Linux 6.11: ENOTTY unconfined too) has no such channel.
/// Twins: unconfined, each works.
#[test]
fn channels_that_landlock_already_closes() {
    let s = scratch();
    // mq_open(2) itself takes the name without glibc's leading slash.
    let queue = format!("nono-guard-{}", std::process::id());
    for (who, flags) in [(Who::Root, &["--keep-caps"][..]), (Who::Nobody, &[][..])] {
        let victim = Victim::start(who);
        let pid = victim.pid();
        let mut cases: Vec<(&str, Vec<&str>, &str, &str)> = vec![
            ("kcmp", vec![&pid], "EPERM", "kcmp"),
            ("setns", vec![&pid], "EPERM", "setns"),
            ("pidfd-ns", vec![&pid], "EACCES", "PIDFD_GET_IPC_NAMESPACE"),
            ("pidfd-signal", vec![&pid], "EPERM", "pidfd_send_signal"),
            ("mq-open", vec![&queue], "EACCES", "mq_open"),
        ];
        if who == Who::Nobody && perf_paranoid() <= 2 {
            cases.push(("perf", vec![&pid, "-1"], "EACCES", "perf_event_open"));
        }
        for (op, args, errno, step) in cases {
            // Another user may not enter a namespace of the host's user
            // namespace anyway: root's case shows this one.
            if who == Who::Nobody && op == "setns" {
                continue;
            }
            let unconfined = outside(&s, who, op, &args);
            if op == "pidfd-ns" && unconfined.stdout.trim() == "ENOTTY" {
                eprintln!("no pidfd namespace ioctls on this kernel: {unconfined:#?}");
                inside(&s, who, flags, op, &args).refused("ENOTTY", step);
                continue;
            }
            unconfined.works();
            inside(&s, who, flags, op, &args).refused(errno, step);
            if op == "mq-open" {
                outside(&s, who, "mq-unlink", &[&queue]).works();
            }
        }
    }
}

// ---------------------------------------------------------------------------
// What nono says.
// ---------------------------------------------------------------------------

/// The dry run lists what the guard refuses, the Fast Open line only under
/// port rules, and what System V IPC will be here; the JSON carries the
/// same; `nono check` says whether a private IPC namespace can be made.
#[test]
fn the_dry_run_and_check_show_the_guard() {
    let s = scratch();
    let text = s.run(["run", "--dry-run", "--", "/bin/true"]);
    text.expect_ok()
        .expect_stdout("  syscall guard (seccomp) refuses:\n")
        .expect_stdout("    kernel keyrings: add_key, keyctl, request_key\n")
        .expect_stdout("  System V IPC: a private IPC namespace where nono can make one without a user namespace (as root); elsewhere the System V calls are refused; here: a private IPC namespace\n");
    assert!(!text.stdout.contains("MSG_FASTOPEN"), "{text:#?}");
    s.run([
        "run",
        "--dry-run",
        "--net-connect",
        "443",
        "--",
        "/bin/true",
    ])
    .expect_ok()
    .expect_stdout(
        "    TCP Fast Open: MSG_FASTOPEN on sendto, sendmsg, sendmmsg (port rules are in force)\n",
    );
    let json = s
        .run([
            "run",
            "--dry-run",
            "--json",
            "--allow-sysv-ipc",
            "--net-bind",
            "8080",
        ])
        .json();
    assert_eq!(
        json["ruleset"]["syscall_guard"],
        serde_json::json!({"refuse_fast_open": true, "sysv_ipc": "private_or_shared"})
    );
    assert_eq!(json["sysv_ipc"], "a private IPC namespace");
    let nobody = Outcome::of(&mut command(
        &s,
        Who::Nobody,
        &sandboxed(&["--dry-run", "--json"], vec![]),
    ));
    let nobody: serde_json::Value = serde_json::from_str(&nobody.stdout).unwrap();
    assert_eq!(
        nobody["sysv_ipc"],
        "no private IPC namespace without CAP_SYS_ADMIN: the System V calls are refused"
    );
    s.run(["check"])
        .expect_ok()
        .expect_stdout("System V IPC: a private IPC namespace for every run\n");
    let check = Outcome::of(&mut command(
        &s,
        Who::Nobody,
        &[NONO.to_owned(), "check".to_owned()],
    ));
    check
        .expect_ok()
        .expect_stdout("System V IPC: refused by default; a private IPC namespace in a user namespace with --allow-sysv-ipc\n");
    let json = s.run(["check", "--json"]).json();
    assert_eq!(
        json["ipc_namespace"],
        serde_json::json!({"direct": true, "user_namespace": true})
    );
}
