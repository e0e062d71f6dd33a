//! The `nono` binary: everything is in the library (`src/lib.rs`), which
//! tests and fuzz targets call too.
//!
//! nono starts before every command it runs, so this file gives the C
//! `main` itself instead of going through the standard library's runtime
//! start-up. That start-up reads `/proc/self/maps` to find the main
//! thread's stack and installs an alternate signal stack with SIGSEGV and
//! SIGBUS handlers, only to print a nicer message on stack overflow; nono
//! has no deep recursion, and a process that `exec`s within a millisecond
//! does not need them. The two things that start-up does which matter are
//! done here: standard descriptors 0-2 are made valid (so that no file nono
//! opens can land on them), and SIGPIPE is ignored like in any Rust program
//! (`Command::exec` restores its default for the command). Arguments and
//! the environment work as usual: glibc hands them to the standard library
//! before `main`.

#![no_main]

use rustix::fs::{Mode, OFlags};
use std::io::Write as _;
use std::os::fd::IntoRawFd;

/// The process entry point, called by the C library.
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    open_closed_standard_fds();
    // SAFETY: setting a signal's disposition to SIG_IGN has no memory effects.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let status = nono::main();
    let _ = std::io::stdout().flush();
    libc::c_int::from(status)
}

/// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed, as
/// the standard library's start-up does; if that fails, nono stops at once.
fn open_closed_standard_fds() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three pollfd for the whole call.
    if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } < 0 {
        return;
    }
    for pfd in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        // open returns the lowest free descriptor, which is `pfd.fd` since
        // lower ones are open; it stays open for the life of the process.
        let null = rustix::fs::open(c"/dev/null", OFlags::RDWR, Mode::empty());
        let fd = null.map_or(-1, IntoRawFd::into_raw_fd);
        if fd != pfd.fd {
            // SAFETY: _exit never returns and touches no memory.
            unsafe { libc::_exit(125) };
        }
    }
}
