//! The helper process: nono re-executed to evaluate one plugin.
//!
//! In order: it closes any descriptor it inherited beyond the standard
//! three, keeps its standard output for the answer and points descriptor 1
//! at standard error (so a plugin's `printf` cannot corrupt the answer),
//! reads the context, opens the plugin and checks it is still the file the
//! parent checked, has itself confined by the [`Confine`] it was given, and
//! only then loads the plugin, calls it and writes the answer out.

use super::ffi::{CallError, call_plugin};
use super::protocol::{CONTEXT_LIMIT, EXIT_FAILED, EXIT_NO_MANIFEST, EXIT_OK};
use rustix::process::{Resource, getrlimit};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// What confines the plugin helper once it has opened the plugin and before
/// it loads it. This crate sandboxes nothing itself: the `nono` binary hands
/// its sandbox in (no capabilities, no core dumps, a read-only Landlock view
/// of the filesystem without the sensitive paths, no sockets, scoped IPC).
pub trait Confine {
    /// Why the process could not be confined. Its display is one line, said
    /// after `plugin NAME (PATH): `.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Confines the calling process for good, and the threads it starts
    /// later, or says why not. The plugin is loaded only after `Ok`.
    fn confine(self) -> Result<(), Self::Error>;
}

/// Why the helper could not get an answer from the plugin; sent to the
/// parent as one line.
#[derive(Debug, thiserror::Error)]
enum HelperError {
    /// Standard output could not be duplicated.
    #[error("cannot keep standard output: {0}")]
    KeepStdout(std::io::Error),
    /// Descriptor 1 could not be pointed at standard error.
    #[error("cannot redirect standard output: {0}")]
    RedirectStdout(std::io::Error),
    /// Standard input could not be read.
    #[error("cannot read the host context: {0}")]
    Context(std::io::Error),
    /// The plugin file could not be opened.
    #[error("cannot open it: {0}")]
    Open(std::io::Error),
    /// The plugin file could not be examined.
    #[error("cannot examine it: {0}")]
    Examine(std::io::Error),
    /// The file open is not the one the parent checked.
    #[error("the file changed after it was checked; refusing to load it")]
    Replaced,
    /// The confinement failed; the plugin was not loaded.
    #[error(transparent)]
    Confine(Box<dyn std::error::Error + Send + Sync>),
    /// Loading or calling the plugin failed.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// Closes every descriptor above standard error: whatever nono's own
/// caller left open without close-on-exec (a socket, say) must not reach
/// the plugin.
fn close_inherited() {
    // SAFETY: close_range(2) with plain integer arguments, on descriptors
    // nothing in this process uses: the helper has opened none of its own
    // yet, and the standard library keeps none open behind its back.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    if rc != 0 {
        // Linux before 5.9: one by one, up to the descriptor limit.
        let max = getrlimit(Resource::Nofile)
            .current
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(1024)
            .min(65_536);
        for fd in 3..max {
            // SAFETY: close(2) on a descriptor number nothing in this
            // process owns or uses (see above); one that is not open just
            // fails with EBADF.
            unsafe { libc::close(fd) };
        }
    }
}

/// The helper's standard output, kept for the answer; file descriptor 1 then
/// points at standard error for the plugin's sake.
fn take_stdout() -> Result<std::fs::File, HelperError> {
    let kept = rustix::io::fcntl_dupfd_cloexec(std::io::stdout(), 3)
        .map_err(|e| HelperError::KeepStdout(e.into()))?;
    rustix::stdio::dup2_stdout(std::io::stderr())
        .map_err(|e| HelperError::RedirectStdout(e.into()))?;
    Ok(std::fs::File::from(kept))
}

fn helper(
    plugin_path: &Path,
    dev: u64,
    ino: u64,
    confinement: impl Confine,
) -> Result<Option<Vec<u8>>, HelperError> {
    let mut context = Vec::new();
    std::io::stdin()
        .take(CONTEXT_LIMIT)
        .read_to_end(&mut context)
        .map_err(HelperError::Context)?;
    let plugin = std::fs::File::open(plugin_path).map_err(HelperError::Open)?;
    let meta = plugin.metadata().map_err(HelperError::Examine)?;
    if (meta.dev(), meta.ino()) != (dev, ino) {
        return Err(HelperError::Replaced);
    }
    confinement
        .confine()
        .map_err(|e| HelperError::Confine(Box::new(e)))?;
    Ok(call_plugin(&plugin, &context)?)
}

/// The helper process: evaluates the plugin at `plugin_path`, which must
/// still be the file with identity `(dev, ino)` that the parent checked,
/// confined by `confinement` before the plugin is loaded; writes the answer
/// to standard output and exits with [`EXIT_OK`], [`EXIT_FAILED`] or
/// [`EXIT_NO_MANIFEST`]. Never returns.
///
/// Call it first thing in the helper process, before any thread is started:
/// the sandbox applies to the calling thread and the threads it starts later.
pub fn helper_main(plugin_path: &Path, dev: u64, ino: u64, confinement: impl Confine) -> ! {
    close_inherited();
    let mut out = match take_stdout() {
        Ok(out) => out,
        Err(e) => {
            let _ = writeln!(std::io::stdout(), "{e}");
            exit_now(EXIT_FAILED)
        }
    };
    let (bytes, code) = match helper(plugin_path, dev, ino, confinement) {
        Ok(Some(bytes)) => (bytes, EXIT_OK),
        Ok(None) => (Vec::new(), EXIT_NO_MANIFEST),
        Err(e) => (e.to_string().into_bytes(), EXIT_FAILED),
    };
    if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
        exit_now(EXIT_FAILED);
    }
    exit_now(code)
}

/// Exits without running destructors or `atexit` handlers: the plugin's
/// finalisers have nothing to do and must not get a chance to change the
/// outcome.
fn exit_now(code: i32) -> ! {
    // SAFETY: _exit(2) ends the process at once and touches no memory;
    // nothing is left to flush (the answer was written unbuffered).
    unsafe { libc::_exit(code) }
}
