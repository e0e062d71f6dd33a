//! Running the helper process: started with a clean environment, in a
//! process group of its own, the context written to it, its answer read
//! within a time limit and a size limit; its whole group killed when either
//! is hit, and again once it has answered, so that nothing a plugin starts
//! outlives its evaluation.

use super::failure::PluginFailure;
use super::protocol::{Ending, helper_args, helper_env, last_line};
use crate::trust::TrustedFile;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{
    Pid, PidfdFlags, Signal, WaitId, WaitIdOptions, kill_process_group, pidfd_open, waitid,
};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a plugin may take to answer, from the helper's start (loading,
/// sandboxing and the call together) to its exit. A plugin computes a few
/// paths from its context; anything slower is stuck, and is killed.
pub const TIME_LIMIT: Duration = Duration::from_secs(5);

/// How much of the helper's standard error is kept (the end of it), to
/// explain a failure.
const STDERR_KEPT: usize = 16 * 1024;

/// What the standard output reader got.
enum Chunk {
    Done(Vec<u8>),
    TooMuch,
    Error(std::io::Error),
}

/// The helper to run and its limits.
pub(super) struct Run<'a> {
    /// The helper program (nono itself).
    pub program: &'a Path,
    /// Its arguments before the plugin's.
    pub args: &'a [OsString],
    /// The time limit.
    pub time_limit: Duration,
    /// The output limit.
    pub output_limit: usize,
}

impl Run<'_> {
    /// Runs the helper on `plugin`, sending it `context`, and returns how it
    /// ended. Whatever happens, its process group is killed and the helper
    /// reaped before this returns.
    pub(super) fn ending(
        &self,
        plugin: &TrustedFile,
        context: &str,
    ) -> Result<Ending, PluginFailure> {
        let start = Instant::now();
        let child = Command::new(self.program)
            .args(self.args)
            .args(helper_args(plugin))
            .env_clear()
            .envs(helper_env())
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that the whole group is killed.
            .process_group(0)
            .spawn()
            .map_err(|source| PluginFailure::Spawn {
                program: self.program.to_path_buf(),
                source,
            })?;
        let mut helper = Running(Some(child));
        let child = helper.child();

        // The context goes in from a thread: it may exceed a pipe's buffer.
        if let Some(mut stdin) = child.stdin.take() {
            let context = context.to_owned();
            std::thread::spawn(move || {
                let _ = stdin.write_all(context.as_bytes());
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            let limit = self.output_limit;
            std::thread::spawn(move || {
                let _ = tx.send(read_limited(stdout, limit));
            });
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (err_done_tx, err_done_rx) = mpsc::channel::<()>();
        if let Some(mut pipe) = child.stderr.take() {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut buf) = stderr.lock() {
                        keep_tail(&mut buf, &chunk[..n]);
                    }
                }
                let _ = err_done_tx.send(());
            });
        }

        let deadline = start + self.time_limit;
        let remaining = || deadline.saturating_duration_since(Instant::now());
        // On every early return, `helper` is dropped: the group is killed.
        let stdout = match rx.recv_timeout(remaining()) {
            Ok(Chunk::Done(bytes)) => bytes,
            Ok(Chunk::TooMuch) => return Err(PluginFailure::TooMuchOutput(self.output_limit)),
            Ok(Chunk::Error(e)) => return Err(PluginFailure::Read(e)),
            Err(_) => return Err(PluginFailure::TimedOut(self.time_limit)),
        };
        // Its answer is complete; wait for it to exit, woken by its pidfd
        // the moment it does (a fixed sleep here cost up to its length on
        // every evaluation).
        let exit_fd = helper.exit_fd();
        loop {
            match helper.exited() {
                Ok(true) => break,
                Ok(false) if Instant::now() >= deadline => {
                    return Err(PluginFailure::TimedOut(self.time_limit));
                }
                Ok(false) => wait_for_exit(exit_fd.as_ref(), remaining()),
                Err(e) => return Err(PluginFailure::Read(e)),
            }
        }
        let status = helper.finish().map_err(PluginFailure::Read)?;
        // Let the standard error reader finish (briefly: something the
        // plugin left behind may hold the pipe open).
        let _ = err_done_rx.recv_timeout(Duration::from_millis(200).min(remaining()));
        let stderr = stderr.lock().map(|b| b.clone()).unwrap_or_default();
        if let Some(line) = last_line(&stderr) {
            tracing::debug!(plugin = %plugin.path.display(), "plugin stderr (last line): {line}");
        }
        Ok(Ending::read(status, stdout, &stderr))
    }
}

/// Keeps the last [`STDERR_KEPT`] bytes.
fn keep_tail(buf: &mut Vec<u8>, more: &[u8]) {
    buf.extend_from_slice(more);
    if buf.len() > STDERR_KEPT {
        let cut = buf.len() - STDERR_KEPT;
        buf.drain(..cut);
    }
}

/// Waits until the process `pidfd` refers to exits, or at most `max`; without
/// a pidfd (Linux before 5.3), sleeps 1 ms.
fn wait_for_exit(pidfd: Option<&OwnedFd>, max: Duration) {
    let Some(fd) = pidfd else {
        std::thread::sleep(max.min(Duration::from_millis(1)));
        return;
    };
    // At least 1 ms, as poll(2) with a timeout of 0 would spin; never
    // without a timeout.
    let Ok(timeout) = Timespec::try_from(max.max(Duration::from_millis(1))) else {
        std::thread::sleep(Duration::from_millis(1));
        return;
    };
    // A pidfd becomes readable when its process exits. An error or EINTR
    // just means another look.
    let _ = poll(&mut [PollFd::new(fd, PollFlags::IN)], Some(&timeout));
}

fn read_limited(mut pipe: impl Read, limit: usize) -> Chunk {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut chunk) {
            Ok(0) => return Chunk::Done(out),
            Ok(n) => {
                if out.len() + n > limit {
                    return Chunk::TooMuch;
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Chunk::Error(e),
        }
    }
}

/// The running helper. Dropping it kills its whole process group and reaps
/// it.
struct Running(Option<Child>);

impl Running {
    fn child(&mut self) -> &mut Child {
        match self.0.as_mut() {
            Some(child) => child,
            None => unreachable!("the child is present until finish or drop"),
        }
    }

    /// A pidfd for the helper (readable once it exits), if the kernel has
    /// pidfds. The helper is not reaped yet, so its pid is still its own.
    fn exit_fd(&mut self) -> Option<OwnedFd> {
        pidfd_open(Pid::from_child(self.child()), PidfdFlags::empty()).ok()
    }

    /// Whether the helper has exited, without reaping it: while it is a
    /// zombie its pid, and so its process group id, cannot be reused, so
    /// the group can still be killed safely.
    fn exited(&mut self) -> std::io::Result<bool> {
        let pid = Pid::from_child(self.child());
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        Ok(waitid(WaitId::Pid(pid), options)?.is_some())
    }

    /// Kills the helper's process group: its own (`process_group(0)`), whose
    /// id is the helper's pid, still its while the helper is not reaped.
    fn kill_group(child: &Child) {
        let pgid = Pid::from_child(child);
        // Never "every process": the helper is never init.
        if pgid != Pid::INIT {
            let _ = kill_process_group(pgid, Signal::KILL);
        }
    }

    /// Kills whatever the plugin left running in the helper's process group,
    /// then reaps the helper and returns its status.
    fn finish(mut self) -> std::io::Result<ExitStatus> {
        let mut child = match self.0.take() {
            Some(child) => child,
            None => unreachable!("finish is called once"),
        };
        Self::kill_group(&child);
        child.wait()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            Self::kill_group(&child);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
