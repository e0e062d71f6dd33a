//! The escape suite: real attempts to get out of a `nono run` sandbox, each
//! denied by the kernel with a stated error, each with an allowed twin.
//!
//! Every case is one entry of a table: a name, the sandbox flags, the
//! attempt (a real program, a shell command, or one operation of the Python
//! probe [`PROBE`], which performs real system calls and prints `OK` or the
//! errno's name), the kernel's expected answer, and a twin that shows the same
//! kind of operation succeeding where it is granted (other flags, another
//! path, or no sandbox at all). A case passes only if the attempt fails
//! exactly as stated *and* its twin succeeds, so no case can pass by being
//! unable to work at all.
//!
//! Each run gets a fresh fixture in a scratch directory outside every preset
//! path:
//!
//! ```text
//! secret/  never granted: s.txt (the secret), true (a copy of /usr/bin/true), s.sh, s.py, sub/
//! ro/      --read:  f.txt, true, s.sh, s.py
//! rw/      --allow: f.txt, g.txt, sub/
//! wo/      --write: h.txt, true, d/
//! p/child/ for the cases that grant only a nested directory
//! ```
//!
//! After every attempt the suite checks that the secret never appeared in
//! the output, that `secret/s.txt` and `ro/f.txt` are unchanged, that
//! nothing appeared in `secret/`, and that the mode, owner and times of
//! `secret/`, `secret/s.txt` and `secret/true` are unchanged.
//!
//! Covered: writing, truncating, creating, removing, renaming, hard-linking
//! and exchanging out of a grant or into one with more rights (EACCES, or
//! EXDEV for a reparenting that would gain rights); symlinks made inside a
//! writable grant pointing out of it; `..`; `/proc/self/root`,
//! `/proc/self/cwd`, and `/proc/<pid>/root`, `fd/0`, `fdinfo`, `exe` and
//! `mem` of processes outside, with /proc granted; reopening inherited
//! descriptors through `/dev/fd` and `/proc/self/fd`; `openat` relative to
//! directory descriptors opened before the sandbox and inside it, `O_PATH`
//! descriptors, io_uring (refused outright), detached mount clones and file handles;
//! executing a denied binary directly, from a shell, through `sh` and
//! `python3` as interpreters, through the dynamic loader, by `execveat` and
//! through `/proc/self/fd`; device nodes, FIFOs and sockets where they are not
//! granted; bind mounts, tmpfs mounts, `move_mount` and `fsmount`, in a new
//! mount namespace and in a new user namespace, and `chroot`; `ptrace`,
//! `process_vm_readv`, `pidfd_getfd`, signals and abstract Unix sockets
//! across the sandbox boundary; every socket family and io_uring under
//! `--net-block`; a nested `nono run` trying to widen its grants; setting
//! the setuid or setgid bit, changing owners, `security.*` and `trusted.*`
//! attributes; typing into the inherited terminal; and root's ways around
//! Landlock (device nodes of the disk, raw sockets, setuid and
//! file-capability programs).
//!
//! The suite runs as root (as CI does): root is confined by Landlock too,
//! and nono drops every capability of root's and locks the secure bits
//! before applying the ruleset (unless `--keep-caps`). So an attempt that
//! needs a capability now fails twice over: the kernel answers with the
//! first check it makes, which the case states (EPERM for a missing
//! capability, EACCES where Landlock's hook runs first). Where the point of
//! a case is that Landlock alone holds even for root, it has a twin attempt
//! under `--keep-caps`, and the allowed twins that need root's capabilities
//! (mknod, mounts, raw sockets, chown) pass `--keep-caps` or run unsandboxed.
//!
//! The seccomp syscall guard, installed on every run, refuses TIOCSTI and
//! TIOCLINUX on the terminal the command inherited and the calls that set
//! the setuid or setgid bit: [`terminal`] and [`metadata`]; the rest of what
//! it refuses is tried in the `guard` module.
//!
//! [`root`] is root hardening: the root
//! disk's block device node cannot be made (EACCES) nor the disk read
//! through any path; raw and packet sockets are refused without
//! `--net-block` (EPERM); a setuid-root program and a file-capability
//! program run inside give no capability back (NoNewPrivs, the empty
//! bounding set, locked secure bits), also to a non-root user; every
//! capability set of the command is zero.
//!
//! [`limits`] pins the holes that are not escapes of the rules but that a
//! user must know (README, "Limits"): descriptors opened before the sandbox
//! stay usable, memfd code runs; and what `--keep-caps` gives back (with
//! /proc granted, root reads the environment of processes outside). It also
//! pins two former limits the supervisor closed: pathname Unix sockets and
//! the metadata of files outside the grants.
//!
//! The modules: [`harness`] (the fixture, the peers outside, running a
//! table), then one table each: [`files`] (and device nodes, FIFOs,
//! sockets), [`paths`] (/proc, descriptors, other ways to name a file),
//! [`exec`], [`mounts`] (and a nested nono), [`processes`] (and the network
//! under `--net-block`), [`metadata`], [`terminal`], [`root`], [`limits`].

mod exec;
mod files;
mod harness;
mod limits;
mod metadata;
mod mounts;
mod paths;
mod processes;
mod root;
mod terminal;

use crate::common::{NONO, Outcome, PYTHON, Scratch, abi_has, gap_feature, is_root, probe};
use harness::{Outside, fixture, launch, mismatch, run_table, run_table_with};

/// The secret: no attempt may ever print it.
const SECRET: &str = "nono-escape-suite-secret";
const RO_DATA: &str = "ro-data\n";

/// The dynamic loader, to run a binary through it.
#[cfg(target_arch = "x86_64")]
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
#[cfg(target_arch = "aarch64")]
const LOADER: &str = "/lib/ld-linux-aarch64.so.1";

// ---------------------------------------------------------------------------
// The table's vocabulary.
// ---------------------------------------------------------------------------

/// What a run must show.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The probe failed with this errno (exit 1, the errno's name last).
    Errno(&'static str),
    /// The same, at this step of the probe (`failed at STEP`).
    ErrnoAt(&'static str, &'static str),
    /// The command exited with this code, and its output (stdout and
    /// stderr) contains this.
    Exit(i32, &'static str),
    /// The command printed its `/proc/self/status` (exit 0): every
    /// capability set (CapInh, CapPrm, CapEff, CapBnd, CapAmb) is zero and
    /// NoNewPrivs is 1.
    CapsZero,
    /// The same, but this capability set (`CapEff`, `CapPrm`) is not zero.
    CapNonZero(&'static str),
    /// The same for a user other than root, whose bounding set nono leaves
    /// alone: no capability in the other four sets, NoNewPrivs 1, and the
    /// same real and effective uid (a setuid bit gave nothing).
    Unprivileged,
}

use Expect::{CapNonZero, CapsZero, Errno, ErrnoAt, Exit, Unprivileged};

/// Success: exit 0 (the probe printed `OK`).
const OK: Expect = Exit(0, "");

/// The command: the probe, a program, or a shell command. `{S}` stands for
/// the fixture's directory, `{NONO}` for the nono binary, `{NONODIR}` for its
/// directory, `{PY}` for python3, `{LOADER}` for the dynamic loader,
/// `{SLEEPER}` for the pid of a `sleep` started outside the sandbox (its
/// stdin is a file the sandbox may not read), `{ABS}` and `{ABSDG}` for
/// abstract Unix sockets bound outside (stream, datagram), `{PORT}` for a TCP
/// listener outside. Root hardening adds `{DISK}` (the root filesystem's
/// block device node, `/dev/vda`), `{DISKMAJ}` and `{DISKMIN}` (its
/// numbers), and `{BLK}` (a block device root can read outside the
/// sandbox: the disk itself where it can, else a loop device).
#[derive(Clone, Copy, Debug)]
enum Cmd {
    Py(&'static str, &'static [&'static str]),
    Argv(&'static [&'static str]),
    Sh(&'static str),
}

use Cmd::{Argv, Py, Sh};

/// File descriptor 3 of the command, opened outside before nono starts.
#[derive(Clone, Copy, Debug)]
enum Fd3 {
    None,
    /// Opened read-only (a file or a directory).
    Read(&'static str),
    /// Opened for appending.
    Append(&'static str),
}

/// The allowed twin of an attempt.
#[derive(Clone, Copy, Debug)]
enum Twin {
    /// Another command under the same flags.
    Cmd(Cmd, Expect),
    /// The same command under other flags.
    Flags(&'static [&'static str], Expect),
    /// Other flags and another command.
    Both(&'static [&'static str], Cmd, Expect),
    /// The same flags, another fd 3 and command.
    Fd3(Fd3, Cmd, Expect),
    /// A command without any sandbox.
    Unsandboxed(Cmd, Expect),
}

/// One case: its name, the sandbox flags, fd 3, the attempt, the expected
/// answer and the allowed twin.
struct Case {
    name: &'static str,
    flags: &'static [&'static str],
    fd3: Fd3,
    cmd: Cmd,
    expect: Expect,
    twin: Twin,
    /// The twin needs root's capabilities (mknod, mounts, raw sockets).
    twin_needs_root: bool,
    /// The attempt runs nono as uid 65534 (`setpriv`), not as root.
    as_nobody: bool,
    /// The Landlock ABI whose feature refuses the attempt. On a kernel
    /// below it (the kernel matrix, tests/kernel-matrix, boots ABI 2 and 6)
    /// the attempt goes through, and nono names the gap: that is what the
    /// case then expects.
    needs_abi: u8,
}

fn case(
    name: &'static str,
    flags: &'static [&'static str],
    cmd: Cmd,
    expect: Expect,
    twin: Twin,
) -> Case {
    Case {
        name,
        flags,
        fd3: Fd3::None,
        cmd,
        expect,
        twin,
        twin_needs_root: false,
        as_nobody: false,
        needs_abi: 1,
    }
}

impl Case {
    fn fd3(mut self, fd3: Fd3) -> Case {
        self.fd3 = fd3;
        self
    }

    fn root_twin(mut self) -> Case {
        self.twin_needs_root = true;
        self
    }

    fn by_nobody(mut self) -> Case {
        self.as_nobody = true;
        self
    }

    /// Refused by the feature of Landlock ABI `abi` (see `needs_abi`).
    fn needs(mut self, abi: u8) -> Case {
        self.needs_abi = abi;
        self
    }
}

/// The usual grants (rw Allow, ro Read, wo Write), then `MORE` flags.
macro_rules! std_and {
    ($($more:literal),* $(,)?) => {
        &["-a", "{S}/rw", "-r", "{S}/ro", "-w", "{S}/wo", $($more),*]
    };
}

/// rw Allow, then `MORE` flags.
macro_rules! rw_and {
    ($($more:literal),* $(,)?) => {
        &["-a", "{S}/rw", $($more),*]
    };
}

/// The usual grants: rw Allow, ro Read, wo Write, and the base preset.
const STD: &[&str] = std_and!();
const STD_PROC: &[&str] = std_and!("-r", "/proc");
const STD_SIGNALS: &[&str] = &["-a", "{S}/rw", "-r", "{S}/ro", "--allow-signals"];
const STD_ABSTRACT: &[&str] = &["-a", "{S}/rw", "-r", "{S}/ro", "--allow-abstract-unix"];
const BLOCK: &[&str] = rw_and!("--net-block");
const NET: &[&str] = rw_and!();
/// The same, keeping root's capabilities: what Landlock (and the seccomp
/// filter) hold alone.
const STD_KEEP: &[&str] = std_and!("--keep-caps");
const STD_PROC_KEEP: &[&str] = std_and!("-r", "/proc", "--keep-caps");
const BLOCK_KEEP: &[&str] = rw_and!("--net-block", "--keep-caps");
const NET_KEEP: &[&str] = rw_and!("--keep-caps");
/// The usual grants and `/proc`, where the command reads its own
/// `/proc/self/status` (not `/proc/self/status` itself: it resolves to
/// nono's pid, the supervisor's, not the command's).
const STD_STATUS: &[&str] = std_and!("-r", "/proc");
const STD_STATUS_KEEP: &[&str] = std_and!("-r", "/proc", "--keep-caps");
/// Runs the rest of the command line as uid and gid 65534, without
/// supplementary groups.
const NOBODY: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

#[test]
fn the_suite_has_at_least_fifty_escape_attempts() {
    let n = [
        files::file_cases(),
        files::node_cases(),
        paths::path_cases(),
        exec::exec_cases(),
        mounts::mount_cases(),
        processes::process_cases(),
        processes::network_cases(),
        mounts::nested_cases(),
        metadata::metadata_cases(),
        root::root_cases(false, false),
    ]
    .iter()
    .map(Vec::len)
    .sum::<usize>();
    assert!(n >= 50, "only {n} escape attempts");
}
