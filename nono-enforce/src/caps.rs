//! Dropping every capability of the calling process.
//!
//! Landlock confines root too, but root keeps capabilities that walk around
//! it (loading a kernel module from memory, for one). A process that must be
//! confined for real, such as the helper that evaluates a plugin, drops them
//! all first.

use rustix::io::Errno;
use rustix::thread::{self, CapabilitiesSecureBits as Secure, CapabilitySet, CapabilitySets};
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

/// Whether the calling process holds any capability (effective or
/// permitted).
pub fn has_capabilities() -> bool {
    thread::capabilities(None).map_or(true, |sets| {
        !sets.effective.is_empty() || !sets.permitted.is_empty()
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
    let fail = |what| {
        move |e: Errno| CapsError {
            what,
            source: e.into(),
        }
    };
    match thread::clear_ambient_capability_set() {
        // Kernels before 4.3 have no ambient set.
        Err(Errno::INVAL) => {}
        other => other.map_err(fail("clear the ambient set"))?,
    }
    if !has_capabilities() {
        return Ok(());
    }
    // The bounding set and the secure bits need CAP_SETPCAP, so they go
    // before the effective set is emptied. Each capability goes by its
    // number, not by the names rustix knows, so one newer than rustix goes
    // too.
    for cap in 0..u64::BITS {
        match thread::remove_capability_from_bounding_set(CapabilitySet::from_bits_retain(1 << cap))
        {
            Ok(()) => {}
            // Past the last capability this kernel knows.
            Err(Errno::INVAL) => break,
            Err(e) => return Err(fail("drop the bounding set")(e)),
        }
    }
    let bits = Secure::NO_ROOT
        | Secure::NO_ROOT_LOCKED
        | Secure::NO_SETUID_FIXUP
        | Secure::NO_SETUID_FIXUP_LOCKED
        | Secure::KEEP_CAPS_LOCKED
        | Secure::NO_CAP_AMBIENT_RAISE
        | Secure::NO_CAP_AMBIENT_RAISE_LOCKED;
    thread::set_capabilities_secure_bits(bits).map_err(fail("lock the secure bits"))?;
    let empty = CapabilitySets {
        effective: CapabilitySet::empty(),
        permitted: CapabilitySet::empty(),
        inheritable: CapabilitySet::empty(),
    };
    thread::set_capabilities(None, empty).map_err(fail("clear the capability sets"))?;
    if has_capabilities() {
        return Err(CapsError {
            what: "verify",
            source: io::Error::other("capabilities are still held after clearing them"),
        });
    }
    Ok(())
}
