//! Dropping every capability of the calling process.
//!
//! Landlock confines root too, but root keeps capabilities that walk around
//! it (loading a kernel module from memory, for one). A process that must be
//! confined for real, such as the helper that evaluates a plugin, drops them
//! all first.

use std::io;

/// Why the capabilities could not be dropped. The caller must not go on to
/// run the code it meant to confine.
#[derive(Debug, thiserror::Error)]
#[error("cannot drop capabilities: {what}: {source}")]
pub struct CapsError {
    /// The step that failed.
    pub what: &'static str,
    /// The kernel's answer.
    pub source: io::Error,
}

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn prctl(option: libc::c_int, arg: libc::c_ulong) -> io::Result<()> {
    // SAFETY: prctl with integer arguments only; no memory is passed.
    let rc = unsafe { libc::prctl(option, arg, 0 as libc::c_ulong, 0 as libc::c_ulong, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn capget() -> io::Result<[CapData; 2]> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: the header and two data words are the layout capget(2)
    // expects for version 3; both outlive the call.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &raw mut header, data.as_mut_ptr()) };
    if rc == 0 {
        Ok(data)
    } else {
        Err(io::Error::last_os_error())
    }
}

fn capset_empty() -> io::Result<()> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: as for capget; the data is read, not written.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &raw mut header, data.as_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Whether the calling process holds any capability (effective or
/// permitted).
pub fn has_capabilities() -> bool {
    capget().map_or(true, |data| {
        data.iter().any(|d| d.effective != 0 || d.permitted != 0)
    })
}

/// Clears every capability set of the calling process (ambient, bounding,
/// inheritable, permitted, effective) and, when it may, locks the secure
/// bits so that executing a program as uid 0 gives none back.
///
/// Without any capability to begin with (an ordinary user), there is nothing
/// to drop and this only clears the ambient set. Call it before applying the
/// Landlock ruleset of a process that will run untrusted code; it applies to
/// the calling thread, so call it before starting threads.
pub fn drop_capabilities() -> Result<(), CapsError> {
    let fail = |what| move |source| CapsError { what, source };
    match prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
    ) {
        // Kernels before 4.3 have no ambient set.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
        other => other.map_err(fail("clear the ambient set"))?,
    }
    if !has_capabilities() {
        return Ok(());
    }
    // The bounding set and the secure bits need CAP_SETPCAP, so they go
    // before the effective set is emptied.
    for cap in 0..64 {
        match prctl(libc::PR_CAPBSET_DROP, cap) {
            Ok(()) => {}
            // Past the last capability this kernel knows.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => break,
            Err(e) => return Err(fail("drop the bounding set")(e)),
        }
    }
    let bits = libc::SECBIT_NOROOT
        | libc::SECBIT_NOROOT_LOCKED
        | libc::SECBIT_NO_SETUID_FIXUP
        | libc::SECBIT_NO_SETUID_FIXUP_LOCKED
        | libc::SECBIT_KEEP_CAPS_LOCKED
        | libc::SECBIT_NO_CAP_AMBIENT_RAISE
        | libc::SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    prctl(libc::PR_SET_SECUREBITS, bits as libc::c_ulong).map_err(fail("lock the secure bits"))?;
    capset_empty().map_err(fail("clear the capability sets"))?;
    if has_capabilities() {
        return Err(fail("verify")(io::Error::other(
            "capabilities are still held after clearing them",
        )));
    }
    Ok(())
}
