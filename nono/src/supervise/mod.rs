//! The supervised run (DESIGN.md section 7.2): nono starts the command's
//! process (a `vfork`-like child sharing its memory and descriptors until
//! it executes the command, or on a pty a forked one), which applies the
//! sandbox (its seccomp filter hands the judged calls on with user
//! notification, in the same program as the syscall guard), hands the
//! filter's listener to nono
//! and executes the command; nono stays outside the sandbox as the
//! supervisor, answers each notified call on
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
//! with the listener gone, every notified call fails (`ENOSYS`). The
//! command runs in a session of its own, on a pty the supervisor relays
//! when nono has a terminal ([`terminal`]), so nothing it leaves behind
//! can reach the user's terminal either. On a pty the child is the pty
//! session's waiter and the command its child (nono's grandchild), which
//! hands over its listener with its own pid.

mod calls;
mod terminal;

use crate::failure::Failure;
use calls::Judge;
use nono_enforce::{Judged, JudgedBy, Listener, NotifiedCalls};
use nono_model::Ruleset;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

/// The most calls answered at once in worker threads (sockets, which may
/// block); beyond it a call is refused with `EAGAIN`.
const MAX_WORKERS: usize = 64;

/// The calls `ruleset` asks the supervisor to judge.
pub fn notified_calls(ruleset: &Ruleset) -> NotifiedCalls {
    let s = ruleset.supervision;
    NotifiedCalls {
        // The destination check of --net-allow judges the same socket
        // calls (by their IP address) as the Unix socket check.
        sockets: s.unix_sockets || s.inet_destinations,
        metadata: s.metadata,
        inotify: s.inotify,
    }
}

/// The child's end of the hand-over: what it needs to give its listener to
/// the supervisor once the sandbox is applied.
#[derive(Debug)]
pub struct Handoff {
    channel: Channel,
    calls: NotifiedCalls,
    shared_terminal: Option<String>,
}

/// How the listener reaches the supervisor.
#[derive(Debug)]
enum Channel {
    /// The child shares nono's memory and descriptor table until it
    /// executes the command ([`spawn_shared`]): the listener's number is
    /// left in [`SHARED_LISTENER`].
    Shared,
    /// A forked child (on a pty): its number and holder's pid go through a
    /// pipe, and the child waits until the supervisor took a copy.
    Pipe {
        to_parent: std::fs::File,
        from_parent: std::fs::File,
    },
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
    /// Why the command shares nono's terminal instead of getting a pty of
    /// its own (a gap), if it does.
    pub fn shared_terminal(&self) -> Option<&str> {
        self.shared_terminal.as_deref()
    }

    /// What the filter should hand to the supervisor.
    pub fn judged_by(&self) -> JudgedBy {
        JudgedBy::Supervisor(self.calls)
    }

    /// In the child, once the sandbox and its filter are applied
    /// ([`nono_enforce::apply_judged`] with [`Handoff::judged_by`]): hands the
    /// filter's listener to the supervisor.
    pub fn hand_over(self, judged: Judged) -> Result<Supervised, Failure> {
        let (listener, outcome) = match judged {
            Judged::Listener(fd) => (Some(fd), Supervised::Yes),
            Judged::Nested => (None, Supervised::Nested),
            Judged::Refused => {
                return Err(Failure::new(
                    "cannot apply the sandbox: the supervisor's calls were not handed over"
                        .to_owned(),
                ));
            }
        };
        match self.channel {
            Channel::Shared => {
                // The supervisor owns it from here; the command will not
                // have it (close-on-exec, in the command's own table).
                let fd = listener.map_or(NESTED, IntoRawFd::into_raw_fd);
                SHARED_LISTENER.store(fd, Ordering::Relaxed);
            }
            Channel::Pipe {
                mut to_parent,
                mut from_parent,
            } => {
                // The descriptor's number and the process holding it (on a
                // pty the command is nono's grandchild).
                let message = listener.as_ref().map_or(-1, AsRawFd::as_raw_fd);
                // SAFETY: getpid has no memory effects.
                let pid = unsafe { libc::getpid() };
                let mut bytes = [0u8; 8];
                bytes[..4].copy_from_slice(&message.to_ne_bytes());
                bytes[4..].copy_from_slice(&pid.to_ne_bytes());
                to_parent.write_all(&bytes).map_err(|e| {
                    Failure::new(format!("cannot hand over to the supervisor: {e}"))
                })?;
                let mut ack = [0u8; 1];
                from_parent
                    .read_exact(&mut ack)
                    .map_err(|e| Failure::new(format!("the supervisor did not answer: {e}")))?;
                // The supervisor holds its own copy now; the command keeps
                // none.
                drop(listener);
            }
        }
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

/// nono's proxy for this run (`--net-allow`): its bound socket, started in
/// the supervisor once the command's process is started.
#[derive(Debug)]
pub struct ProxyStart {
    /// The listening socket (127.0.0.1, the port in the ruleset's proxy),
    /// close-on-exec: the command never holds it.
    pub listener: std::net::TcpListener,
    /// Whether to log each refused host once (`-v`).
    pub log: bool,
}

/// In the supervisor, once the command's process `pid` is started (nono
/// may have threads from now on): starts the proxy's thread, which takes
/// no signal (they go to the main thread's handlers, which forward them).
/// If it cannot start, the command is ended and the run fails.
fn start_proxy(
    pid: libc::pid_t,
    ruleset: &Ruleset,
    proxy: Option<ProxyStart>,
) -> Result<(), Failure> {
    let (Some(start), Some(rules)) = (proxy, ruleset.proxy.clone()) else {
        return Ok(());
    };
    // SAFETY: an all-zero sigset is valid for pthread_sigmask to fill.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: reads this thread's mask into `old`.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, std::ptr::null(), &raw mut old) };
    block_signals();
    let started = nono_proxy::serve(
        start.listener,
        rules,
        nono_proxy::Limits::default(),
        start.log,
    );
    restore_mask(&old);
    if let Err(e) = started {
        // SAFETY: plain kill of our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let _ = wait_child(pid);
        return Err(Failure::new(format!("cannot start nono's proxy: {e}")));
    }
    Ok(())
}

/// Starts the command's process and supervises it.
///
/// In the command's process, `child` applies the sandbox, installs the
/// filter through its [`Handoff`] and executes the command; what it returns
/// (why it could not) is reported there and ends that process. In nono's
/// process, the supervisor, it confines itself first, supervises until the
/// command ends and exits as the command did: it returns only if the
/// command's process could not be started.
pub fn spawn(
    ruleset: &Ruleset,
    proxy: Option<ProxyStart>,
    child: impl FnOnce(Handoff) -> Failure,
) -> Result<(), Failure> {
    // The pty is opened before the supervisor confines itself. Without one
    // (no /dev/ptmx here, or inside another sandbox, whose own pty is then
    // the terminal) the command shares the terminal: a gap.
    let (pty, shared_terminal) = match terminal::open() {
        Ok(pty) => (pty, None),
        Err(reason) => (None, Some(reason)),
    };
    // The supervisor's own domain, inherited by the child (whose domain is
    // then nested in it): network rules and scopes only.
    nono_enforce::confine_supervisor(ruleset)
        .map_err(|e| Failure::new(format!("cannot confine the supervisor: {e}")))?;
    let calls = notified_calls(ruleset);
    adopt_orphans();
    let ended = match pty {
        Some(pty) => spawn_on_pty(ruleset, pty, calls, proxy, child)?,
        None => spawn_shared(ruleset, calls, shared_terminal, proxy, child)?,
    };
    match ended {
        Ended::Exited(code) => std::process::exit(code),
        Ended::Signaled(sig) => {
            die_by(sig);
            std::process::exit(128 + sig)
        }
    }
}

/// Ends the command's process with `failure`'s message and exit code.
fn fail_child(failure: Failure) -> ! {
    let code = failure.report();
    let _ = std::io::stdout().flush();
    // SAFETY: _exit ends this process at once; the supervisor's process
    // and its memory are left alone.
    unsafe { libc::_exit(libc::c_int::from(code)) }
}

/// The listener's descriptor as the command's process left it in the
/// descriptor table it shares with the supervisor ([`spawn_shared`]): set
/// once, before the command is executed, read once after.
static SHARED_LISTENER: AtomicI32 = AtomicI32::new(NO_LISTENER);
/// [`SHARED_LISTENER`] before the filter was installed.
const NO_LISTENER: i32 = -1;
/// [`SHARED_LISTENER`] when nono already runs under a supervisor.
const NESTED: i32 = -2;

/// The size of the stack the command's process starts on in
/// [`spawn_shared`] (only touched pages cost memory).
const CHILD_STACK: usize = 1 << 20;

/// Without a pty: the command's process is a `vfork`-like child that
/// shares nono's memory and descriptor table until it executes the
/// command, while nono waits (`CLONE_VM | CLONE_VFORK | CLONE_FILES`).
/// Nothing is copied, and the listener it installs is already in nono's
/// descriptor table, so the command starts without a round trip to the
/// supervisor. The kernel gives the command a private copy of the table
/// when it executes it and closes there every close-on-exec descriptor:
/// the listener stays with the supervisor alone.
fn spawn_shared(
    ruleset: &Ruleset,
    calls: NotifiedCalls,
    shared_terminal: Option<String>,
    proxy: Option<ProxyStart>,
    child: impl FnOnce(Handoff) -> Failure,
) -> Result<Ended, Failure> {
    let stack = ChildStack::new()?;
    let pinned = OnThisCpu::pin();
    // SAFETY: getpid has no memory effects.
    let nono = unsafe { libc::getpid() };
    let mut body = Some(move || {
        // Both sides are released here, before the command's process
        // applies the guard (which refuses to change another process's
        // CPUs): nono then wakes on whichever CPU is idle when the
        // command is executed, instead of on the command's.
        pinned.release(0);
        pinned.release(nono);
        if let Err(failure) = terminal::new_session() {
            return failure;
        }
        child(Handoff {
            channel: Channel::Shared,
            calls,
            shared_terminal,
        })
    });
    let mut start: &mut dyn FnMut() -> Option<Failure> = &mut || body.take().map(|f| f());
    extern "C" fn entry(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is the `start` closure of spawn_shared, whose frame
        // lives (its thread waits, CLONE_VFORK) until this process
        // executes the command or ends.
        let start = unsafe { &mut *arg.cast::<&mut dyn FnMut() -> Option<Failure>>() };
        let failure =
            start().unwrap_or_else(|| Failure::new("cannot start the command: started twice"));
        fail_child(failure)
    }
    SHARED_LISTENER.store(NO_LISTENER, Ordering::Relaxed);
    // Signals for nono wait until the handlers can forward them to the
    // command; the command's process unblocks them before it executes the
    // command.
    let blocked = block_forwarded();
    // SAFETY: nono is single-threaded here, so nothing else uses the
    // shared memory while the child runs (this thread waits, CLONE_VFORK);
    // the child runs `entry` on its own stack and never returns into
    // nono's frames: it executes the command or calls _exit.
    let pid = unsafe {
        libc::clone(
            entry,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_FILES | libc::SIGCHLD,
            (&raw mut start).cast(),
        )
    };
    let clone_error = std::io::Error::last_os_error();
    pinned.release(0);
    if pid < 0 {
        restore_mask(&blocked);
        return Err(Failure::new(format!(
            "cannot start the supervisor: clone: {clone_error}"
        )));
    }
    CHILD.store(pid, Ordering::Relaxed);
    forward_signals();
    restore_mask(&blocked);
    start_proxy(pid, ruleset, proxy)?;
    let listener = match SHARED_LISTENER.swap(NO_LISTENER, Ordering::Relaxed) {
        // SAFETY: the child installed the filter and left its listener at
        // this number in the table it shared with us; nothing else owns it.
        fd if fd >= 0 => Some(Listener::new(unsafe { OwnedFd::from_raw_fd(fd) })),
        _ => None,
    };
    Ok(supervise(pid, ruleset.clone(), listener))
}

/// nono's thread held on the CPU it runs on while the command's process
/// starts: a new process would otherwise be started on an idle CPU, where
/// nono's memory (which it shares until it executes the command) is not
/// in the cache, while nono only waits. The child releases both at its
/// start, back to the CPUs nono was allowed before (nono releases itself
/// again once the child executed the command, in case it could not).
#[derive(Clone, Copy)]
struct OnThisCpu {
    allowed: Option<libc::cpu_set_t>,
}

impl OnThisCpu {
    fn pin() -> OnThisCpu {
        // SAFETY: an all-zero cpu_set_t is the empty set; the calls write
        // only into the sets given with their sizes.
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            let cpu = libc::sched_getcpu();
            if cpu < 0 || libc::sched_getaffinity(0, size, &raw mut allowed) != 0 {
                return OnThisCpu { allowed: None };
            }
            let mut here: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu as usize, &mut here);
            if libc::sched_setaffinity(0, size, &raw const here) != 0 {
                return OnThisCpu { allowed: None };
            }
            OnThisCpu {
                allowed: Some(allowed),
            }
        }
    }

    /// Gives the thread `tid` (0: the calling one) back the CPUs nono was
    /// allowed.
    fn release(self, tid: libc::pid_t) {
        if let Some(allowed) = self.allowed {
            // SAFETY: `allowed` is a live cpu_set_t of that size.
            unsafe {
                libc::sched_setaffinity(
                    tid,
                    std::mem::size_of::<libc::cpu_set_t>(),
                    &raw const allowed,
                );
            }
        }
    }
}

/// The stack of [`spawn_shared`]'s child: an anonymous mapping with a
/// guard page below it. It is never unmapped: unmapping pages that two
/// processes touched costs a TLB flush on each CPU they ran on, in the
/// command's start-up, and the mapping ends with nono's process anyway.
struct ChildStack {
    base: *mut libc::c_void,
}

impl ChildStack {
    fn new() -> Result<ChildStack, Failure> {
        let page = 4096;
        // SAFETY: a fresh private anonymous mapping; the lowest page is
        // made inaccessible so an overflow faults instead of writing below.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                CHILD_STACK,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK | libc::MAP_NORESERVE,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return Err(Failure::new(format!(
                    "cannot start the supervisor: mmap: {}",
                    std::io::Error::last_os_error()
                )));
            }
            libc::mprotect(base, page, libc::PROT_NONE);
            Ok(ChildStack { base })
        }
    }

    /// The top of the stack (it grows down), 16-byte aligned.
    fn top(&self) -> *mut libc::c_void {
        // SAFETY: one past the end of the mapping, which is page-aligned.
        unsafe { self.base.cast::<u8>().add(CHILD_STACK).cast() }
    }
}

/// On a pty: a real fork, since the child stays as the pty session's
/// waiter and the command is its child; the listener is handed over with
/// a pipe round trip ([`Handoff::install`]).
fn spawn_on_pty(
    ruleset: &Ruleset,
    pty: terminal::Pty,
    calls: NotifiedCalls,
    proxy: Option<ProxyStart>,
    child: impl FnOnce(Handoff) -> Failure,
) -> Result<Ended, Failure> {
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
        // Neither the pty's waiter nor the command holds the proxy's socket.
        drop(proxy);
        drop((parent_read, parent_write));
        let attached = pty.attach().and_then(terminal::fork_command);
        match attached {
            Err(failure) => fail_child(failure),
            Ok(Some((command, slave))) => {
                // This process stays as the pty session's leader.
                drop((child_read, child_write));
                terminal::wait_command(command, slave);
            }
            Ok(None) => fail_child(child(Handoff {
                channel: Channel::Pipe {
                    to_parent: child_write,
                    from_parent: child_read,
                },
                calls,
                shared_terminal: None,
            })),
        }
    }
    drop((child_read, child_write));
    CHILD.store(pid, Ordering::Relaxed);
    let relay = match pty.relay() {
        Ok(relay) => relay,
        Err(failure) => {
            // SAFETY: plain kill of our own child, which has not executed
            // the command yet (it waits for the supervisor's answer).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = wait_child(pid);
            return Err(failure);
        }
    };
    forward_signals();
    if let Err(failure) = start_proxy(pid, ruleset, proxy) {
        relay.finish();
        return Err(failure);
    }
    let listener = receive_listener(pid, parent_read, parent_write);
    let ended = supervise(pid, ruleset.clone(), listener);
    relay.finish();
    Ok(ended)
}

static CHILD: AtomicI32 = AtomicI32::new(0);

/// The signals nono forwards while the command runs (with `SIGCHLD`,
/// which tells it the command stopped).
const HANDLED: [libc::c_int; 10] = [
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGWINCH,
    libc::SIGTSTP,
    libc::SIGCONT,
];

/// What nono does with a signal while the command runs (the command is in
/// a session of its own: no terminal signal reaches it but through nono or
/// its pty).
///
/// - One a process sent (`kill`) goes to the command.
/// - One the user's terminal sent (`SI_KERNEL`: Ctrl-C when nono does not
///   read the keys, a hang-up) goes to the process group the terminal
///   would signal: the pty's foreground, or the command's group.
/// - `SIGWINCH`: the window size is copied to the pty, whose line
///   discipline signals its foreground when the size changed.
/// - `SIGTSTP` suspends the run. On a pty it goes to the pty's foreground
///   group, and when the command stops, so does the pty session's waiter,
///   which the supervisor sees (`SIGCHLD`): it restores the terminal and
///   stops as `SIGTSTP` would stop it. Without a pty the command's group is
///   stopped at once (the kernel discards a default `SIGTSTP` in that
///   orphaned group) and nono stops with it.
/// - `SIGCONT` resumes it: raw mode again (in the foreground), the window
///   size, and `SIGCONT` to the waiter and the command's foreground group.
extern "C" fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let code = unsafe { (*info).si_code };
    let child = CHILD.load(Ordering::Relaxed);
    if child <= 0 {
        return;
    }
    // SAFETY: kill, tcgetpgrp, ioctl and tcsetattr are async-signal-safe.
    unsafe {
        match sig {
            libc::SIGTSTP if terminal::has_pty() => {
                libc::kill(-terminal::foreground(child), sig);
            }
            libc::SIGTSTP => suspend(child),
            libc::SIGCONT => resume(child),
            libc::SIGCHLD => {
                if terminal::has_pty() && stopped(child) {
                    stop_self();
                    resume(child);
                }
            }
            libc::SIGWINCH if terminal::has_pty() => {
                terminal::copy_window_size();
                if code != libc::SI_KERNEL {
                    libc::kill(child, sig);
                }
            }
            _ if code == libc::SI_KERNEL => {
                libc::kill(-terminal::foreground(child), sig);
            }
            _ => {
                libc::kill(child, sig);
            }
        }
    }
}

/// The process group a suspension stopped, for the next `SIGCONT`.
static STOPPED: AtomicI32 = AtomicI32::new(0);

/// Whether `child` (the pty session's waiter) is stopped now; takes that
/// report. Async-signal-safe.
fn stopped(child: libc::pid_t) -> bool {
    // SAFETY: an all-zero siginfo is valid for waitid to fill.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::waitid(
            libc::P_PID,
            child as libc::id_t,
            &raw mut info,
            libc::WSTOPPED | libc::WNOHANG,
        ) == 0
            && info.si_pid() == child
    }
}

/// Without a pty, suspends the run (in the `SIGTSTP` handler): stops the
/// command's group, then nono ([`stop_self`]), and resumes when continued.
fn suspend(child: libc::pid_t) {
    STOPPED.store(child, Ordering::Relaxed);
    // SAFETY: kill is async-signal-safe.
    unsafe {
        libc::kill(-child, libc::SIGTSTP);
        // The command's group is orphaned (its parent, nono, is in another
        // session): the kernel discards a default SIGTSTP there.
        libc::kill(-child, libc::SIGSTOP);
    }
    stop_self();
    resume(child);
}

/// Restores the terminal and stops nono by `SIGTSTP` with its default
/// action (which the kernel discards in an orphaned process group, like
/// for any program), until `SIGCONT`.
fn stop_self() {
    terminal::restore();
    // SAFETY: sigaction, sigprocmask and raise are async-signal-safe and
    // share no memory with the rest of nono.
    unsafe {
        libc::signal(libc::SIGTSTP, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigaddset(&raw mut set, libc::SIGTSTP);
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, &raw mut old);
        libc::raise(libc::SIGTSTP);
        // nono stops here, until SIGCONT.
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const set, std::ptr::null_mut());
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
        install(libc::SIGTSTP);
    }
}

/// Resumes the run after nono continued.
fn resume(child: libc::pid_t) {
    terminal::enter_raw();
    terminal::copy_window_size();
    let stopped = STOPPED.swap(0, Ordering::Relaxed);
    // SAFETY: kill is async-signal-safe.
    unsafe {
        if stopped > 0 {
            libc::kill(-stopped, libc::SIGCONT);
        }
        if terminal::has_pty() {
            // The waiter continues the pty's foreground group.
            libc::kill(child, libc::SIGCONT);
        } else {
            libc::kill(-child, libc::SIGCONT);
        }
    }
}

/// Installs [`forward`] for `sig`.
fn install(sig: libc::c_int) {
    // SAFETY: an all-zero sigaction is valid; the handler is an extern "C"
    // fn with the SA_SIGINFO signature.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = forward as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigemptyset(&raw mut action.sa_mask);
        libc::sigaction(sig, &raw const action, std::ptr::null_mut());
    }
}

/// Installs [`forward`] for the signals nono forwards, and for `SIGCHLD`
/// on a pty, where it notices the command stopped. Without a pty nothing
/// is done on `SIGCHLD` (the supervisor's loop notices the end by the
/// pidfd), and the default disposition discards it instead of interrupting
/// that loop.
fn forward_signals() {
    for sig in HANDLED {
        install(sig);
    }
    if terminal::has_pty() {
        install(libc::SIGCHLD);
    }
}

/// Makes nono the subreaper of the command's orphans, so they stay its
/// descendants and their calls can still be answered (Yama's
/// `ptrace_scope=1` allows it). Set before the command's process starts:
/// an orphan may appear at once.
fn adopt_orphans() {
    // SAFETY: plain prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// Blocks the signals nono forwards (and `SIGCHLD`) in this thread, and
/// gives the mask before.
fn block_forwarded() -> libc::sigset_t {
    // SAFETY: all-zero sigsets are valid to fill; pthread_sigmask only
    // changes this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        for sig in HANDLED {
            libc::sigaddset(&raw mut set, sig);
        }
        libc::sigaddset(&raw mut set, libc::SIGCHLD);
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, &raw mut old);
        old
    }
}

/// Restores the mask [`block_forwarded`] gave.
fn restore_mask(old: &libc::sigset_t) {
    // SAFETY: `old` is a valid sigset.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut()) };
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

/// The supervisor's loop, until the command ended.
fn supervise(child: libc::pid_t, ruleset: Ruleset, listener: Option<Listener>) -> Ended {
    let Some(listener) = listener else {
        return wait_child(child);
    };
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
    mut from_child: std::fs::File,
    mut to_child: std::fs::File,
) -> Option<Listener> {
    let mut message = [0u8; 8];
    from_child.read_exact(&mut message).ok()?;
    let [a, b, c, d, e, f, g, h] = message;
    let fd = i32::from_ne_bytes([a, b, c, d]);
    let holder = i32::from_ne_bytes([e, f, g, h]);
    let taken = if fd >= 0 && holder > 0 {
        let pidfd = nono_enforce::pidfd_open(holder.unsigned_abs()).ok()?;
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

/// How the command ended, and so how nono ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// With this exit status.
    Exited(i32),
    /// Killed by this signal: nono dies by it too.
    Signaled(i32),
}

/// Waits for the command and says how it ended.
fn wait_child(child: libc::pid_t) -> Ended {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a writable int.
        let rc = unsafe { libc::waitpid(child, &raw mut status, 0) };
        if rc == child {
            break;
        }
        if rc < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return Ended::Exited(i32::from(crate::failure::NONO_ERROR));
        }
    }
    if libc::WIFEXITED(status) {
        return Ended::Exited(libc::WEXITSTATUS(status));
    }
    if libc::WIFSIGNALED(status) {
        return Ended::Signaled(libc::WTERMSIG(status));
    }
    Ended::Exited(i32::from(crate::failure::NONO_ERROR))
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
