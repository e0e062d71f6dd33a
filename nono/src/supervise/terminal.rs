//! The command's terminal (DESIGN.md section 7.2). The command always runs
//! in a session of its own, so it has no controlling terminal from the
//! user: `/dev/tty` does not open, and it cannot take the terminal's
//! foreground. When one of nono's standard descriptors is a terminal, the
//! command gets a pty instead: the pty's slave is its controlling terminal
//! and stands for each standard descriptor that was the terminal (pipes
//! and files stay as they are), and the supervisor relays the bytes
//! between the user's terminal and the pty's master. Nothing inside ever
//! holds a descriptor of the user's terminal, so a process the command
//! leaves behind cannot read what is typed there, push input into it or
//! change its modes; when the command ends, nono closes the master (the
//! kernel hangs up the slave for everyone still holding it), restores the
//! terminal and exits.
//!
//! While the command runs and nono is in the terminal's foreground, the
//! user's terminal is in raw mode when nono reads keys from it (keys,
//! Ctrl-C and Ctrl-D included, reach the pty, whose line discipline turns
//! them into signals and end-of-file for the command as a terminal would),
//! and without output processing otherwise (the pty already did it). The
//! window size is copied at the start, on `SIGWINCH` and when nono
//! continues.
//!
//! Job control works inside the pty as on any terminal: the session's
//! leader is a small waiter (nono's child, outside the command's sandbox,
//! see [`fork_command`]) and the command runs in a process group of its own
//! in the pty's foreground, so that group has a parent in its session and
//! the kernel does not discard its stops (it would in the session leader's
//! own group, whose parent, nono, is in another session). When the command
//! stops (Ctrl-Z, or an editor suspending itself), the waiter stops, and the
//! supervisor, seeing it, restores the terminal and stops too; `fg`
//! continues nono, which continues the waiter, which continues the
//! command's foreground group.
//!
//! The functions used by signal handlers make system calls only and read
//! state that is set once before the handlers are installed.

use crate::failure::Failure;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// The pty's master in the supervisor, or -1.
static MASTER: AtomicI32 = AtomicI32::new(-1);
/// Whether nono changed the terminal's modes and has not restored them.
static RAW: AtomicBool = AtomicBool::new(false);
/// The user's terminal's modes when nono started, and the modes it has
/// while nono relays: raw when nono reads keys from it, else only without
/// output processing (the pty does it).
static MODES: OnceLock<(libc::termios, libc::termios)> = OnceLock::new();
/// The user's terminal: the first of nono's standard descriptors that is
/// one (its modes, its window size, its foreground).
static TTY: AtomicI32 = AtomicI32::new(-1);

/// How long the output a command left in the pty is still copied after it
/// ended, at most, and how long a pause ends that copy.
const DRAIN_FOR: Duration = Duration::from_millis(500);
const DRAIN_PAUSE_MS: i32 = 20;

fn last_error(what: &str) -> Failure {
    Failure::new(format!(
        "cannot give the command a terminal: {what}: {}",
        std::io::Error::last_os_error()
    ))
}

/// Why no pty could be opened, as a gap.
fn no_pty(what: &str) -> String {
    format!(
        "terminal: no pty for the command ({what}: {}), so it shares nono's terminal",
        std::io::Error::last_os_error()
    )
}

/// Whether `fd` is a terminal.
fn is_tty(fd: RawFd) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// A pty opened for the command before the fork, with what the supervisor
/// needs to relay it.
#[derive(Debug)]
pub struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
    /// Which of descriptors 0, 1 and 2 are terminals: the command gets the
    /// slave in their place.
    ttys: [bool; 3],
    /// Where the pty's output goes: a terminal among nono's standard
    /// output, standard error, or (when only standard input is one) the
    /// terminal reopened for writing.
    out: RawFd,
    /// The reopened terminal, when `out` is one.
    reopened: Option<OwnedFd>,
}

/// Opens a pty for the command when one of nono's standard descriptors is
/// a terminal (`None` otherwise), with the terminal's modes and window
/// size. Called before the supervisor confines itself. The error says why
/// there is none although nono has a terminal.
pub fn open() -> Result<Option<Pty>, String> {
    let ttys = [0, 1, 2].map(is_tty);
    let Some(first) = (0..3).find(|&fd| ttys[fd as usize]) else {
        return Ok(None);
    };
    // SAFETY: posix_openpt opens /dev/ptmx with the given flags.
    let fd = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(no_pty("/dev/ptmx"));
    }
    // SAFETY: posix_openpt just returned this descriptor, owned by no one.
    let master = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: grantpt and unlockpt take a pty master descriptor.
    if unsafe { libc::grantpt(fd) } != 0 || unsafe { libc::unlockpt(fd) } != 0 {
        return Err(no_pty("unlocking the pty"));
    }
    // The slave through its master, not by a path someone could replace.
    // SAFETY: TIOCGPTPEER takes open flags and returns a new descriptor.
    let peer = unsafe {
        libc::ioctl(
            fd,
            libc::TIOCGPTPEER,
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if peer < 0 {
        return Err(no_pty("opening the pty's slave"));
    }
    // SAFETY: the ioctl just returned this descriptor, owned by no one.
    let slave = unsafe { OwnedFd::from_raw_fd(peer) };
    // SAFETY: an all-zero termios is valid for tcgetattr to fill.
    let mut modes: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `modes` is a writable termios.
    if unsafe { libc::tcgetattr(first, &raw mut modes) } == 0 {
        let mut relayed = modes;
        if ttys[0] {
            // SAFETY: cfmakeraw only changes the termios it is given.
            unsafe { libc::cfmakeraw(&raw mut relayed) };
        } else {
            // Output only: the pty already turned newlines into CR LF.
            relayed.c_oflag &= !libc::OPOST;
        }
        let _ = MODES.set((modes, relayed));
        // SAFETY: `modes` is a valid termios for the slave.
        unsafe { libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &raw const modes) };
    }
    TTY.store(first, Ordering::Relaxed);
    copy_window_size_to(master.as_raw_fd());
    let (out, reopened) = if ttys[1] {
        (1, None)
    } else if ttys[2] {
        (2, None)
    } else {
        // Only standard input is the terminal (`cmd | tee log`): the pty's
        // echo and what the command writes to /dev/tty still belong on it.
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open("/proc/self/fd/0")
        {
            Ok(f) => {
                let fd: OwnedFd = f.into();
                (fd.as_raw_fd(), Some(fd))
            }
            Err(_) => (0, None),
        }
    };
    Ok(Some(Pty {
        master,
        slave,
        ttys,
        out,
        reopened,
    }))
}

/// In the child, without a pty: a session of its own, so that the user's
/// terminal is not its controlling terminal.
pub fn new_session() -> Result<(), Failure> {
    // SAFETY: setsid has no memory effects.
    if unsafe { libc::setsid() } < 0 {
        return Err(Failure::new(format!(
            "cannot start the command's session: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

impl Pty {
    /// In the child: a session of its own with the slave as controlling
    /// terminal, and the slave in place of each standard descriptor that
    /// was the user's terminal. Gives the slave (for [`fork_command`]);
    /// the master is closed.
    pub fn attach(self) -> Result<OwnedFd, Failure> {
        new_session()?;
        let slave = self.slave.as_raw_fd();
        // SAFETY: TIOCSCTTY takes an integer argument.
        if unsafe { libc::ioctl(slave, libc::TIOCSCTTY, 0) } < 0 {
            return Err(last_error("making the pty the controlling terminal"));
        }
        for fd in 0..3 {
            // SAFETY: dup2 onto a standard descriptor; the copy is not
            // close-on-exec.
            if self.ttys[fd as usize] && unsafe { libc::dup2(slave, fd) } < 0 {
                return Err(last_error("standard descriptors"));
            }
        }
        Ok(self.slave)
    }

    /// In the supervisor: closes its copy of the slave (the command's end)
    /// and starts relaying. Raw mode starts here when nono reads keys and
    /// is in the terminal's foreground.
    pub fn relay(self) -> Result<Relay, Failure> {
        let Pty {
            master,
            slave,
            ttys,
            out,
            reopened,
        } = self;
        drop(slave);
        // SAFETY: fcntl on a descriptor this process owns.
        unsafe {
            let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        let (stop_read, stop_write) = super::pipe()?;
        MASTER.store(master.as_raw_fd(), Ordering::Relaxed);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enter_raw();
        let copier = Copier {
            master,
            stop: stop_read,
            keys: ttys[0],
            out,
            _reopened: reopened,
        };
        let thread = std::thread::Builder::new()
            .name("relay".into())
            .stack_size(256 << 10)
            .spawn(move || copier.run())
            .map_err(|e| {
                restore();
                Failure::new(format!("cannot relay the command's terminal: {e}"))
            })?;
        Ok(Relay {
            stop: stop_write,
            thread,
        })
    }
}

/// The running relay: a thread copying between the user's terminal and the
/// pty's master.
#[derive(Debug)]
pub struct Relay {
    stop: std::fs::File,
    thread: std::thread::JoinHandle<()>,
}

impl Relay {
    /// After the command ended: copies what it left in the pty (until the
    /// slave is closed everywhere, or a short pause), closes the master so
    /// that the kernel hangs up every descriptor of the slave still open
    /// in processes left behind, and restores the user's terminal.
    pub fn finish(self) {
        use std::io::Write;
        let mut stop = self.stop;
        let _ = stop.write_all(&[1]);
        let _ = self.thread.join();
        MASTER.store(-1, Ordering::Relaxed);
        restore();
    }
}

struct Copier {
    master: OwnedFd,
    stop: std::fs::File,
    keys: bool,
    out: RawFd,
    _reopened: Option<OwnedFd>,
}

impl Copier {
    fn run(mut self) {
        super::block_signals();
        let master = self.master.as_raw_fd();
        let mut pending: Vec<u8> = Vec::new();
        let mut reading = self.keys;
        let mut master_open = true;
        let mut buf = vec![0u8; 16 << 10];
        loop {
            let foreground = reading && in_foreground(0);
            let mut fds = [
                pollfd(self.stop.as_raw_fd(), libc::POLLIN),
                pollfd(
                    if master_open { master } else { -1 },
                    libc::POLLIN | if pending.is_empty() { 0 } else { libc::POLLOUT },
                ),
                pollfd(
                    if foreground && pending.is_empty() {
                        0
                    } else {
                        -1
                    },
                    libc::POLLIN,
                ),
            ];
            // In the background nono does not read keys; it looks again
            // now and then (and on SIGCONT, which interrupts nothing here:
            // this thread blocks signals).
            let timeout = if reading && !foreground { 200 } else { -1 };
            // SAFETY: `fds` is a valid array of three pollfd.
            if unsafe { libc::poll(fds.as_mut_ptr(), 3, timeout) } < 0 {
                continue;
            }
            if fds[0].revents != 0 {
                let mut byte = [0u8; 1];
                let _ = self.stop.read(&mut byte);
                if master_open {
                    self.drain(&mut buf);
                }
                return;
            }
            if fds[1].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
                match read(master, &mut buf) {
                    Ok(0) => master_open = false,
                    Ok(n) => self.output(&buf[..n]),
                    Err(e) if e == libc::EAGAIN || e == libc::EINTR => {}
                    // EIO: the slave is closed everywhere.
                    Err(_) => master_open = false,
                }
                if !master_open {
                    pending.clear();
                }
            }
            if fds[1].revents & libc::POLLOUT != 0 && !pending.is_empty() {
                match write(master, &pending) {
                    Ok(n) => {
                        pending.drain(..n);
                    }
                    Err(e) if e == libc::EAGAIN || e == libc::EINTR => {}
                    Err(_) => pending.clear(),
                }
            }
            if fds[2].revents != 0 {
                match read(0, &mut buf) {
                    Ok(0) => {
                        reading = false;
                        pending.extend(eof_char(master));
                    }
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                    Err(e) if e == libc::EAGAIN || e == libc::EINTR => {}
                    // EIO in the background is job control, not the end.
                    Err(_) if !in_foreground(0) => {}
                    Err(_) => {
                        reading = false;
                        pending.extend(eof_char(master));
                    }
                }
            }
        }
    }

    /// Writes the pty's output to the user's terminal; when that fails
    /// (the terminal hung up), the output is dropped so the command never
    /// blocks on it.
    fn output(&mut self, bytes: &[u8]) {
        if self.out < 0 {
            return;
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            match write(self.out, rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e == libc::EINTR => {}
                Err(e) if e == libc::EAGAIN => {
                    let mut fd = [pollfd(self.out, libc::POLLOUT)];
                    // SAFETY: `fd` is a valid array of one pollfd.
                    unsafe { libc::poll(fd.as_mut_ptr(), 1, 100) };
                }
                Err(_) => {
                    self.out = -1;
                    return;
                }
            }
        }
    }

    /// Copies what the command left in the pty: until the slave is closed
    /// everywhere (the usual end), a short pause (a process left behind
    /// still holds it) or [`DRAIN_FOR`].
    fn drain(&mut self, buf: &mut [u8]) {
        let master = self.master.as_raw_fd();
        let deadline = Instant::now() + DRAIN_FOR;
        while Instant::now() < deadline {
            let mut fd = [pollfd(master, libc::POLLIN)];
            // SAFETY: `fd` is a valid array of one pollfd.
            let rc = unsafe { libc::poll(fd.as_mut_ptr(), 1, DRAIN_PAUSE_MS) };
            if rc == 0 {
                return;
            }
            match read(master, buf) {
                Ok(0) => return,
                Ok(n) => self.output(&buf[..n]),
                Err(e) if e == libc::EAGAIN || e == libc::EINTR => {}
                Err(_) => return,
            }
        }
    }
}

fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

fn read(fd: RawFd, buf: &mut [u8]) -> Result<usize, i32> {
    // SAFETY: `buf` is writable for its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

fn write(fd: RawFd, buf: &[u8]) -> Result<usize, i32> {
    // SAFETY: `buf` is readable for its length.
    let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// The pty's modes (a master reads its slave's).
fn pty_modes(master: RawFd) -> Option<libc::termios> {
    // SAFETY: an all-zero termios is valid for tcgetattr to fill.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a writable termios.
    (unsafe { libc::tcgetattr(master, &raw mut t) } == 0).then_some(t)
}

/// The end-of-file character to send when the user's standard input ends:
/// the pty's `VEOF` in canonical mode (a reader then sees end-of-file),
/// nothing otherwise.
fn eof_char(master: RawFd) -> Option<u8> {
    let t = pty_modes(master)?;
    let c = t.c_cc[libc::VEOF];
    (t.c_lflag & libc::ICANON != 0 && c != 0).then_some(c)
}

/// Whether there is a pty (nono relays one).
pub fn has_pty() -> bool {
    MASTER.load(Ordering::Relaxed) >= 0
}

/// Whether nono is in the foreground of the terminal `fd`.
fn in_foreground(fd: RawFd) -> bool {
    // SAFETY: tcgetpgrp and getpgrp read process state only.
    unsafe { libc::tcgetpgrp(fd) == libc::getpgrp() }
}

/// The process group the terminal would signal: the pty's foreground, or
/// the command's own group. Async-signal-safe.
pub fn foreground(child: libc::pid_t) -> libc::pid_t {
    let master = MASTER.load(Ordering::Relaxed);
    if master >= 0 {
        // SAFETY: TIOCGPGRP on the pty master; no memory is shared.
        let pgrp = unsafe { libc::tcgetpgrp(master) };
        if pgrp > 0 {
            return pgrp;
        }
    }
    child
}

fn copy_window_size_to(master: RawFd) {
    let from = TTY.load(Ordering::Relaxed);
    if from < 0 || master < 0 {
        return;
    }
    // SAFETY: an all-zero winsize is valid for TIOCGWINSZ to fill, and
    // TIOCSWINSZ only reads it.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        if libc::ioctl(from, libc::TIOCGWINSZ, &raw mut size) == 0 {
            libc::ioctl(master, libc::TIOCSWINSZ, &raw const size);
        }
    }
}

/// Copies the user's window size to the pty (whose line discipline then
/// sends `SIGWINCH` to its foreground when it changed). Async-signal-safe.
pub fn copy_window_size() {
    copy_window_size_to(MASTER.load(Ordering::Relaxed));
}

/// Gives the user's terminal its modes for the relay (raw when nono reads
/// keys from it), when nono relays a pty and is in the terminal's
/// foreground. Async-signal-safe.
pub fn enter_raw() {
    let tty = TTY.load(Ordering::Relaxed);
    if !has_pty() || tty < 0 || !in_foreground(tty) {
        return;
    }
    if let Some((_, relayed)) = MODES.get() {
        // SAFETY: `relayed` is a valid termios.
        if unsafe { libc::tcsetattr(tty, libc::TCSANOW, relayed) } == 0 {
            RAW.store(true, Ordering::Relaxed);
        }
    }
}

/// Gives the user's terminal back the modes it had when nono started, if
/// nono changed them. Async-signal-safe.
pub fn restore() {
    if !RAW.swap(false, Ordering::Relaxed) {
        return;
    }
    let Some((saved, _)) = MODES.get() else {
        return;
    };
    // Even from the background (the shell took the terminal back) the
    // modes are restored, without stopping nono for it.
    // SAFETY: signal masks and a valid termios; no memory is shared.
    unsafe {
        let mut ttou: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut ttou);
        libc::sigaddset(&raw mut ttou, libc::SIGTTOU);
        libc::pthread_sigmask(libc::SIG_BLOCK, &raw const ttou, &raw mut old);
        libc::tcsetattr(TTY.load(Ordering::Relaxed), libc::TCSADRAIN, saved);
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
    }
}

/// The command's process id, in the waiter.
static COMMAND: AtomicI32 = AtomicI32::new(0);
/// The pty's slave, in the waiter.
static SLAVE: AtomicI32 = AtomicI32::new(-1);

/// In the child after [`Pty::attach`]: forks the command's process. In the
/// command's process (which returns `None`) it gets a process group of its
/// own, made the pty's foreground, and closes the slave it was given. The
/// child that called it returns `Some(pid)` and must become the waiter
/// ([`wait_command`]).
pub fn fork_command(slave: OwnedFd) -> Result<Option<(libc::pid_t, OwnedFd)>, Failure> {
    // SAFETY: nono is single-threaded in the child; the new process only
    // continues nono's own code and then executes the command.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(last_error("fork"));
    }
    // Both sides set the group, so neither races the other.
    let group = if pid == 0 { 0 } else { pid };
    // SAFETY: setpgid with integer arguments.
    unsafe { libc::setpgid(group, group) };
    if pid > 0 {
        return Ok(Some((pid, slave)));
    }
    // The command's group takes the pty's foreground (from the background,
    // which would stop it for SIGTTOU unless blocked).
    // SAFETY: signal masks and tcsetpgrp share no memory with nono.
    unsafe {
        let mut ttou: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut ttou);
        libc::sigaddset(&raw mut ttou, libc::SIGTTOU);
        libc::sigprocmask(libc::SIG_BLOCK, &raw const ttou, &raw mut old);
        let rc = libc::tcsetpgrp(slave.as_raw_fd(), libc::getpid());
        libc::sigprocmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
        if rc < 0 {
            return Err(last_error("the pty's foreground"));
        }
    }
    Ok(None)
}

/// The waiter's signal handler: signals the supervisor forwards go to the
/// command; `SIGCONT` (the supervisor continuing the run) continues the
/// pty's foreground group.
extern "C" fn waiter_forward(sig: libc::c_int) {
    let command = COMMAND.load(Ordering::Relaxed);
    if command <= 0 {
        return;
    }
    // SAFETY: kill and tcgetpgrp are async-signal-safe.
    unsafe {
        if sig == libc::SIGCONT {
            let fg = libc::tcgetpgrp(SLAVE.load(Ordering::Relaxed));
            libc::kill(-(if fg > 0 { fg } else { command }), libc::SIGCONT);
        } else {
            libc::kill(command, sig);
        }
    }
}

/// The waiter, the pty session's leader: waits for the command, stops
/// when it stops (so the supervisor sees it), and ends as it ended. It
/// holds the slave (for the pty's foreground) and nothing of the
/// supervisor's.
pub fn wait_command(command: libc::pid_t, slave: OwnedFd) -> ! {
    COMMAND.store(command, Ordering::Relaxed);
    SLAVE.store(slave.as_raw_fd(), Ordering::Relaxed);
    for sig in super::HANDLED {
        // SAFETY: an all-zero sigaction is valid; the handler is an
        // extern "C" fn taking the signal number.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = waiter_forward as *const () as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(sig, &raw const action, std::ptr::null_mut());
        }
    }
    let mut status = 0;
    loop {
        // SAFETY: `status` is a writable int.
        let rc = unsafe { libc::waitpid(command, &raw mut status, libc::WUNTRACED) };
        if rc < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            // SAFETY: _exit ends this process at once.
            unsafe { libc::_exit(i32::from(crate::failure::NONO_ERROR)) };
        }
        if libc::WIFSTOPPED(status) {
            // SAFETY: stopping this process; SIGCONT resumes it.
            unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
            continue;
        }
        break;
    }
    drop(slave);
    if libc::WIFSIGNALED(status) {
        super::die_by(libc::WTERMSIG(status));
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        i32::from(crate::failure::NONO_ERROR)
    };
    // SAFETY: _exit ends this process at once.
    unsafe { libc::_exit(code) }
}
