//! Other processes' limits, priorities and CPUs.

use super::*;

/// Every way to change another process's limits, priority or CPUs, aimed
/// at `victim` (and its process group), with the probe's step name.
fn aimed_at(victim: &Victim) -> Vec<(&'static str, Vec<String>, &'static str)> {
    let pid = victim.pid();
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    vec![
        ("prlimit", s(&[&pid]), "prlimit64"),
        ("setpriority", s(&["0", &pid, "5"]), "setpriority"),
        // PRIO_PGRP: the victim leads its own group.
        ("setpriority", s(&["1", &pid, "6"]), "setpriority"),
        ("ioprio", s(&["1", &pid]), "ioprio_set"),
        // IOPRIO_WHO_PGRP.
        ("ioprio", s(&["2", &pid]), "ioprio_set"),
        ("affinity", s(&[&pid]), "sched_setaffinity"),
        ("scheduler", s(&[&pid]), "sched_setscheduler"),
        ("setparam", s(&[&pid]), "sched_setparam"),
        ("setattr", s(&[&pid]), "sched_setattr"),
    ]
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// As another user (where the kernel itself allows it all on the user's
/// own processes): each call aimed at a process outside is refused (EPERM)
/// and the victim keeps its state. Twin: the same calls, unconfined, change
/// another victim.
#[test]
fn other_processes_limits_and_priorities_are_out_of_reach() {
    let s = scratch();
    let victim = Victim::start(Who::Nobody);
    let before = victim.state();
    for (op, args, step) in aimed_at(&victim) {
        inside(&s, Who::Nobody, &[], op, &refs(&args)).refused("EPERM", step);
    }
    // The pid with junk in the high half, which the kernel ignores.
    let high = format!("{:#x}", (1u64 << 32) | u64::from(victim.0.id()));
    inside(&s, Who::Nobody, &[], "prlimit", &[&high]).refused("EPERM", "prlimit64");
    // Every process of the user (PRIO_USER, IOPRIO_WHO_USER), and the
    // caller's own process group, which may hold processes outside.
    inside(&s, Who::Nobody, &[], "setpriority", &["2", "0", "7"]).refused("EPERM", "setpriority");
    inside(&s, Who::Nobody, &[], "setpriority", &["1", "0", "7"]).refused("EPERM", "setpriority");
    inside(&s, Who::Nobody, &[], "ioprio", &["3", "0"]).refused("EPERM", "ioprio_set");
    assert_eq!(victim.state(), before, "the victim changed");

    let twin = Victim::start(Who::Nobody);
    let twin_before = twin.state();
    for (op, args, _) in aimed_at(&twin) {
        outside(&s, Who::Nobody, op, &refs(&args)).works();
    }
    let after = twin.state();
    assert_eq!(after.0, "0", "RLIMIT_CORE: {after:?}");
    assert_eq!(after.1, "6", "nice: {after:?}");
    assert_eq!(after.2, "5", "SCHED_IDLE: {after:?}");
    assert_eq!(after.3, "0", "CPUs: {after:?}");
    assert!(after.4.starts_with("idle"), "I/O class: {after:?}");
    assert_ne!(after, twin_before);
}

/// As root, capability dropping already keeps priorities and CPUs of
/// processes with more capabilities out of reach, but not their limits:
/// `prlimit64` on a root process outside is the guard's (EPERM). Twin:
/// unconfined it works.
#[test]
fn root_cannot_set_the_limits_of_a_process_outside() {
    let s = scratch();
    let victim = Victim::start(Who::Root);
    let before = victim.state();
    for (op, args, step) in aimed_at(&victim) {
        inside(&s, Who::Root, &[], op, &refs(&args)).refused("EPERM", step);
        inside(&s, Who::Root, &["--keep-caps"], op, &refs(&args)).refused("EPERM", step);
    }
    assert_eq!(victim.state(), before);
    outside(&s, Who::Root, "prlimit", &[&victim.pid()]).works();
    assert_eq!(victim.state().0, "0");
}

/// The command sets its own limits, nice value, I/O class, CPUs and
/// scheduling policy as the usual tools do (pid 0): all work inside, as
/// root and as another user. Naming its own pid by number is refused (the
/// documented price: seccomp cannot tell which pids are in the sandbox).
#[test]
fn the_command_still_sets_its_own_limits_and_priorities() {
    let s = scratch();
    let tools: [&[&str]; 6] = [
        &["nice", "-n", "5", "/bin/true"],
        &["ionice", "-c", "3", "/bin/true"],
        &["taskset", "-c", "0", "/bin/true"],
        &["chrt", "-i", "0", "/bin/true"],
        &["prlimit", "--core=0", "/bin/true"],
        &["/bin/sh", "-c", "ulimit -c 0 && ulimit -n 64"],
    ];
    for who in [Who::Root, Who::Nobody] {
        for tool in tools {
            let argv: Vec<String> = tool.iter().map(|a| (*a).to_owned()).collect();
            Outcome::of(&mut command(&s, who, &sandboxed(&[], argv))).expect_ok();
        }
        for (op, args) in [
            ("setrlimit", vec![]),
            ("prlimit", vec!["0"]),
            ("setpriority", vec!["0", "0", "3"]),
            ("ioprio", vec!["1", "0"]),
            ("affinity", vec!["0"]),
            ("scheduler", vec!["0"]),
            ("setparam", vec!["0"]),
            ("setattr", vec!["0"]),
        ] {
            inside(&s, who, &[], op, &args).works();
        }
        inside(&s, who, &[], "setpriority-self", &[]).refused("EPERM", "setpriority");
        outside(&s, who, "setpriority-self", &[]).works();
    }
}

// ---------------------------------------------------------------------------
// 3. System V IPC and keyrings.
// ---------------------------------------------------------------------------
