//! `-vv` shows the pipeline: each stage, and each pass by name with what it
//! added.

use crate::common::{Scratch, run_args};

/// `-vv` shows each stage of the pipeline and each pass by name with what it
/// added (or, for a pass the ABI lacks, the gap it recorded); `-v` (the
/// twin) shows the status line and none of it.
#[test]
fn verbose_twice_shows_each_stage_and_pass() {
    use nono_compile::passes::PIPELINE;
    let s = Scratch::new();
    let out = s.run(run_args(["-vv", "--allow", "."], ["true"]));
    out.expect_ok()
        .expect_stderr("Sandbox status: FullyEnforced");
    for stage in [
        "compile{abi=",
        "resolve: ",
        "normalise: ",
        "carve: ",
        "predict: FullyEnforced",
        "apply{abi=",
        "ruleset created: handled fs ",
        "restricted: FullyEnforced",
        "seccomp filter installed",
    ] {
        out.expect_stderr(stage);
    }
    for pass in PIPELINE {
        out.expect_stderr(&format!("pass {} [", pass.name));
    }
    out.expect_stderr("pass fs_base [ABI 1 (Linux 5.13)]: handled fs execute, ")
        .expect_stderr("pass syscall_guard [seccomp]: syscall guard");

    // Below ABI 5, the ioctl_dev pass says what is lost instead.
    let out = s.run(run_args(["-vv", "--abi", "3", "--allow", "."], ["true"]));
    out.expect_ok()
        .expect_stderr(
            "pass truncate [ABI 3 (Linux 6.2)]: handled fs truncate; granted truncate on ",
        )
        .expect_stderr(
            "pass ioctl_dev [needs ABI 5 (Linux 6.10), not here]: gap ioctl_dev: needs ABI 5",
        );

    let out = s.run(run_args(["-v", "--allow", "."], ["true"]));
    out.expect_ok()
        .expect_stderr("Sandbox status: FullyEnforced");
    for pass in PIPELINE {
        out.expect_no_stderr(&format!("pass {} [", pass.name));
    }
    out.expect_no_stderr("resolve: ").expect_no_stderr("DEBUG");
}
