//! The supervised run (DESIGN.md section 7.2): nono forks; the child
//! applies the sandbox, installs the notification filter, hands its
//! listener to the parent and executes the command; the parent stays
//! outside the sandbox as the supervisor, answers each notified call on
//! the command's behalf ([`calls`]), forwards signals, and ends as the
//! command ended (its exit status, or death by the same signal).
//!
//! The supervisor confines itself before the fork with a Landlock domain
//! that mirrors the command's network rules and scopes, so what it does
//! for the command (a TCP connect, an abstract socket) is checked by the
//! kernel as if the command did it; the command's own domain is nested in
//! it, which lets the supervisor read its memory and take its descriptors.
//! It drops capabilities like the command (so it acts with the command's
//! credentials), and holds no descriptor the command can reach.
//!
//! A process the command leaves behind stays confined after nono exits:
//! with the listener gone, every notified call fails (`ENOSYS`).

mod calls;

use crate::failure::Failure;
use calls::Judge;
use nono_enforce::{Listener, NotifiedCalls, NotifyFilter};
use nono_model::Ruleset;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

/// The most calls answered at once in worker threads (sockets, which may
/// block); beyond it a call is refused with `EAGAIN`.
const MAX_WORKERS: usize = 64;

/// The calls `ruleset` asks the supervisor to judge.
pub fn notified_calls(ruleset: &Ruleset) -> NotifiedCalls {
    let s = ruleset.supervision;
    NotifiedCalls {
        sockets: s.unix_sockets,
        metadata: s.metadata,
        inotify: s.inotify,
    }
}

/// The child's end of the hand-over: what it needs to give its listener to
/// the supervisor once the sandbox is applied.
#[derive(Debug)]
pub struct Handoff {
    to_parent: std::fs::File,
    from_parent: std::fs::File,
    calls: NotifiedCalls,
}

/// What the child learned when it installed the filter.
#[derive(Debug, PartialEq, Eq)]
pub enum Supervised {
    /// The supervisor judges the calls.
    Yes,
    /// nono already runs under a supervisor (a nested nono): the kernel
    /// allows one listener per process, so this run's own decisions cannot
    /// be made; the outer sandbox's still are.
    Nested,
}

impl Handoff {
    /// In the child, after the sandbox was applied (`no_new_privs` is set):
    /// installs the notification filter, hands the listener to the
    /// supervisor and waits until it holds it.
    pub fn install(mut self) -> Result<Supervised, Failure> {
        let filter = NotifyFilter::new(self.calls);
        let (message, listener, outcome) = match filter.install() {
            Ok(fd) => (fd.as_raw_fd(), Some(fd), Supervised::Yes),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => (-1, None, Supervised::Nested),
            Err(e) => {
                return Err(Failure::new(format!(
                    "cannot apply the sandbox: the supervisor's seccomp filter: {e}"
                )));
            }
        };
        self.to_parent
            .write_all(&message.to_ne_bytes())
            .map_err(|e| Failure::new(format!("cannot hand over to the supervisor: {e}")))?;
        let mut ack = [0u8; 1];
        self.from_parent
            .read_exact(&mut ack)
            .map_err(|e| Failure::new(format!("the supervisor did not answer: {e}")))?;
        // The supervisor holds its own copy now; the command keeps none.
        drop(listener);
        Ok(outcome)
    }
}

fn pipe() -> Result<(std::fs::File, std::fs::File), Failure> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a writable array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(Failure::new(format!(
            "cannot start the supervisor: pipe: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: pipe2 just returned these two descriptors, owned by no one.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((r.into(), w.into()))
}

/// Forks. In the child, returns the [`Handoff`] to complete once the
/// sandbox is applied. In the parent, confines itself, supervises until
/// the command ends, and exits the process as the command did: it never
/// returns there.
pub fn fork(ruleset: &Ruleset) -> Result<Handoff, Failure> {
    // The supervisor's own domain, inherited by the child (whose domain is
    // then nested in it): network rules and scopes only.
    nono_enforce::confine_supervisor(ruleset)
        .map_err(|e| Failure::new(format!("cannot confine the supervisor: {e}")))?;
    let (child_read, parent_write) = pipe()?;
    let (parent_read, child_write) = pipe()?;
    // SAFETY: nono is single-threaded here; the child only continues
    // nono's own code and then executes the command.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Failure::new(format!(
            "cannot start the supervisor: fork: {}",
            std::io::Error::last_os_error()
        )));
    }
    if pid == 0 {
        drop((parent_read, parent_write));
        return Ok(Handoff {
            to_parent: child_write,
            from_parent: child_read,
            calls: notified_calls(ruleset),
        });
    }
    drop((child_read, child_write));
    let code = supervise(pid, ruleset.clone(), parent_read, parent_write);
    std::process::exit(code)
}

static CHILD: AtomicI32 = AtomicI32::new(0);

/// Forwards a signal sent to nono by a process (`kill`) to the command.
/// One the terminal sent (`SI_KERNEL`: Ctrl-C, a window change) reached
/// the command's process group already.
extern "C" fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let code = unsafe { (*info).si_code };
    let child = CHILD.load(Ordering::Relaxed);
    if code != libc::SI_KERNEL && child > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(child, sig) };
    }
}

fn forward_signals(child: libc::pid_t) {
    CHILD.store(child, Ordering::Relaxed);
    for sig in [
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGALRM,
        libc::SIGWINCH,
    ] {
        // SAFETY: an all-zero sigaction is valid; the handler is an
        // extern "C" fn with the SA_SIGINFO signature.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(sig, &raw const action, std::ptr::null_mut());
        }
    }
}

/// Blocks every signal in the calling thread (workers), so that signals
/// reach the main thread's handlers and never interrupt a call performed
/// on the command's behalf.
fn block_signals() {
    // SAFETY: an all-zero sigset is valid to fill; pthread_sigmask only
    // reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&raw mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut());
    }
}

/// The supervisor's loop; returns nono's exit code (or dies by the
/// command's signal).
fn supervise(
    child: libc::pid_t,
    ruleset: Ruleset,
    mut from_child: std::fs::File,
    mut to_child: std::fs::File,
) -> i32 {
    forward_signals(child);
    // Orphans of the command stay our descendants, so their calls can still
    // be answered (and Yama's ptrace_scope=1 allows it).
    // SAFETY: plain prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let listener = match receive_listener(child, &mut from_child, &mut to_child) {
        Some(l) => l,
        None => return wait_child(child),
    };
    drop((from_child, to_child));
    let Ok(pidfd) = nono_enforce::pidfd_open(child as u32) else {
        return wait_child(child);
    };
    let judge = Arc::new(Judge::new(ruleset));
    let listener = Arc::new(listener);
    let workers = Arc::new(AtomicUsize::new(0));
    let mut listening = true;
    loop {
        let mut fds = [
            libc::pollfd {
                fd: pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if listening { listener.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if rc < 0 {
            continue;
        }
        if fds[0].revents != 0 {
            return wait_child(child);
        }
        if fds[1].revents & (libc::POLLHUP | libc::POLLERR) != 0 {
            // No process holds the filter any more.
            listening = false;
            continue;
        }
        if fds[1].revents & libc::POLLIN == 0 {
            continue;
        }
        let Ok(n) = listener.recv() else {
            continue;
        };
        let blocking = matches!(
            n.nr,
            libc::SYS_connect | libc::SYS_sendto | libc::SYS_sendmsg | libc::SYS_sendmmsg
        );
        if blocking && workers.load(Ordering::Acquire) >= MAX_WORKERS {
            // Every worker is busy (a flood, or calls that block): refuse
            // rather than block the loop that notices the command's end.
            let _ = listener.respond(n.id, Err(libc::EAGAIN));
        } else if blocking {
            let (j, l, w) = (judge.clone(), listener.clone(), workers.clone());
            workers.fetch_add(1, Ordering::AcqRel);
            let spawned = std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || {
                    block_signals();
                    answer(&j, &l, &n);
                    w.fetch_sub(1, Ordering::AcqRel);
                });
            if spawned.is_err() {
                workers.fetch_sub(1, Ordering::AcqRel);
                answer(&judge, &listener, &n);
            }
        } else {
            answer(&judge, &listener, &n);
        }
    }
}

fn answer(judge: &Judge, listener: &Listener, n: &nono_enforce::Notification) {
    let pending = |id| listener.is_pending(id);
    if let Some(result) = judge.answer(n, &pending) {
        let _ = listener.respond(n.id, result);
    }
}

/// Takes the listener the child installed; `None` when the child could
/// not install one (it says why itself) or ended first.
fn receive_listener(
    child: libc::pid_t,
    from_child: &mut std::fs::File,
    to_child: &mut std::fs::File,
) -> Option<Listener> {
    let mut message = [0u8; 4];
    from_child.read_exact(&mut message).ok()?;
    let fd = i32::from_ne_bytes(message);
    let taken = if fd >= 0 {
        let pidfd = nono_enforce::pidfd_open(child as u32).ok()?;
        nono_enforce::take_fd(&pidfd, fd).ok()
    } else {
        None
    };
    if fd >= 0 && taken.is_none() {
        // Without the listener the command's supervised calls would wait
        // forever: end it (it has not executed anything yet).
        // SAFETY: plain kill of our own child.
        unsafe { libc::kill(child, libc::SIGKILL) };
        eprintln!("nono: cannot take the supervisor's listener from the sandbox");
        return None;
    }
    to_child.write_all(&[1]).ok()?;
    taken.map(Listener::new)
}

/// Waits for the command and gives nono's exit status: the command's, or
/// death by its signal.
fn wait_child(child: libc::pid_t) -> i32 {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a writable int.
        let rc = unsafe { libc::waitpid(child, &raw mut status, 0) };
        if rc == child {
            break;
        }
        if rc < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return i32::from(crate::failure::NONO_ERROR);
        }
    }
    if libc::WIFEXITED(status) {
        return libc::WEXITSTATUS(status);
    }
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        die_by(sig);
        return 128 + sig;
    }
    i32::from(crate::failure::NONO_ERROR)
}

/// Ends nono by `sig`, as the command ended, without a core dump of its
/// own.
fn die_by(sig: libc::c_int) {
    let _ = std::io::stdout().flush();
    // SAFETY: setting a resource limit, a signal disposition and mask, and
    // raising a signal in this process have no memory effects.
    unsafe {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &raw const none);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigaddset(&raw mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &raw const set, std::ptr::null_mut());
        libc::raise(sig);
    }
}
