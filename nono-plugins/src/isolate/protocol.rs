//! What nono and its plugin helper tell each other.
//!
//! - **Arguments**: `PROGRAM ARGS... PATH DEV INO`: the plugin file and the
//!   device and inode numbers the parent's trust check saw
//!   ([`helper_args`]).
//! - **Environment**: only the variables the sensitive paths are written
//!   with ([`helper_env`]), so that the helper's sandbox can carve them out
//!   of its read-only view; nothing else.
//! - **Standard input**: the [`HostContext`](crate::HostContext) as RON (the
//!   helper reads at most [`CONTEXT_LIMIT`] bytes).
//! - **Standard output**: the plugin's answer, at most
//!   [`OUTPUT_LIMIT`](crate::OUTPUT_LIMIT) bytes, or a one-line reason why
//!   there is none.
//! - **Exit status**: [`EXIT_OK`] (the answer follows), [`EXIT_FAILED`] (a
//!   one-line reason follows instead), [`EXIT_NO_MANIFEST`] (the plugin
//!   returned a null pointer; its last line on standard error says why).
//!   Any other status, or a signal, means the plugin took the helper down.
//!   [`Ending::read`] tells them apart.

use crate::trust::TrustedFile;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// Helper exit status: the manifest follows on standard output.
pub const EXIT_OK: i32 = 0;
/// Helper exit status: a one-line reason follows on standard output.
pub const EXIT_FAILED: i32 = 3;
/// Helper exit status: the plugin returned no manifest (a null pointer).
pub const EXIT_NO_MANIFEST: i32 = 4;

/// The most context the helper reads from its standard input.
pub(super) const CONTEXT_LIMIT: u64 = 16 * 1024 * 1024;

/// The helper's arguments after nono's own: the plugin's path, device and
/// inode.
pub(super) fn helper_args(plugin: &TrustedFile) -> [OsString; 3] {
    [
        plugin.path.clone().into_os_string(),
        plugin.dev.to_string().into(),
        plugin.ino.to_string().into(),
    ]
}

/// The helper's whole environment: those of this process's variables that
/// the built-in sensitive paths are written with
/// ([`nono_model::sensitive_path_vars`]), which the helper needs to find
/// them and carve them out of its view.
pub(super) fn helper_env() -> Vec<(&'static str, OsString)> {
    helper_env_from(|name| std::env::var_os(name))
}

/// [`helper_env`], with the variables `var` gives.
fn helper_env_from(var: impl Fn(&str) -> Option<OsString>) -> Vec<(&'static str, OsString)> {
    nono_model::sensitive_path_vars()
        .into_iter()
        .filter_map(|name| Some((name, var(name)?)))
        .collect()
}

/// How the helper ended, as its exit status and output say.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ending {
    /// [`EXIT_OK`]: the plugin's answer.
    Answer(Vec<u8>),
    /// [`EXIT_FAILED`]: why, made one safe line (`None`: it wrote nothing).
    Failed(Option<String>),
    /// [`EXIT_NO_MANIFEST`]: the last line of standard error, if any.
    NoManifest(Option<String>),
    /// Another exit status, and the last line of standard error.
    Exited {
        /// The exit status.
        code: i32,
        /// The last line of standard error, if any.
        detail: Option<String>,
    },
    /// Killed by this signal (`None`: neither a status nor a signal).
    Killed(Option<i32>),
}

impl Ending {
    /// Reads the helper's ending from its status, its standard output and
    /// (the end of) its standard error.
    pub(super) fn read(status: ExitStatus, stdout: Vec<u8>, stderr: &[u8]) -> Ending {
        if let Some(signal) = status.signal() {
            return Ending::Killed(Some(signal));
        }
        match status.code() {
            Some(EXIT_OK) => Ending::Answer(stdout),
            Some(EXIT_FAILED) if stdout.is_empty() => Ending::Failed(None),
            Some(EXIT_FAILED) => Ending::Failed(Some(one_line(&stdout))),
            Some(EXIT_NO_MANIFEST) => Ending::NoManifest(last_line(stderr)),
            Some(code) => Ending::Exited {
                code,
                detail: last_line(stderr),
            },
            None => Ending::Killed(None),
        }
    }
}

/// Makes text from a plugin safe for one line of a terminal: control
/// characters become `?`, and it is cut at 300 characters.
pub(super) fn one_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(300)
        .collect();
    if text.trim().chars().count() > 300 {
        out.push_str("...");
    }
    out
}

/// The last non-empty line of `bytes`, made safe for display.
pub(super) fn last_line(bytes: &[u8]) -> Option<String> {
    bytes
        .split(|&b| b == b'\n')
        .rev()
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(one_line)
}

/// A size limit as the messages say it: `4 MiB`, `1024 bytes`.
pub(super) fn show_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::manifest::OUTPUT_LIMIT;

    #[test]
    fn text_from_a_plugin_is_made_one_safe_line() {
        assert_eq!(one_line(b"a\x1b[31mb\tc"), "a?[31mb?c");
        assert_eq!(last_line(b"first\nsecond\n\n  \n"), Some("second".into()));
        assert_eq!(last_line(b"\n"), None);
        assert!(one_line(&[b'x'; 1000]).ends_with("..."));
    }

    #[test]
    fn sizes_are_said_in_mib_when_whole() {
        assert_eq!(show_size(OUTPUT_LIMIT), "4 MiB");
        assert_eq!(show_size(1024), "1024 bytes");
        assert_eq!(show_size(3 * 1024 * 1024 + 1), "3145729 bytes");
    }

    #[test]
    fn each_status_is_its_own_ending() {
        let exit = |code: i32| ExitStatus::from_raw(code << 8);
        let killed = |signal: i32| ExitStatus::from_raw(signal);
        assert_eq!(
            Ending::read(exit(EXIT_OK), b"(x)".to_vec(), b"noise\n"),
            Ending::Answer(b"(x)".to_vec())
        );
        assert_eq!(
            Ending::read(exit(EXIT_FAILED), Vec::new(), b""),
            Ending::Failed(None)
        );
        assert_eq!(
            Ending::read(exit(EXIT_FAILED), b"missing symbol x\n".to_vec(), b""),
            Ending::Failed(Some("missing symbol x".into()))
        );
        assert_eq!(
            Ending::read(exit(EXIT_NO_MANIFEST), Vec::new(), b"boom\n\n"),
            Ending::NoManifest(Some("boom".into()))
        );
        assert_eq!(
            Ending::read(exit(7), Vec::new(), b""),
            Ending::Exited {
                code: 7,
                detail: None
            }
        );
        assert_eq!(
            Ending::read(killed(libc::SIGSEGV), Vec::new(), b""),
            Ending::Killed(Some(libc::SIGSEGV))
        );
    }

    #[test]
    fn the_helper_is_told_where_the_sensitive_paths_are_and_nothing_else() {
        // Every variable set: the helper gets those the paths are written
        // with, and no other (no PATH, no token).
        let everything = |name: &str| Some(OsString::from(format!("/v/{name}")));
        let env = helper_env_from(everything);
        let names: Vec<&str> = env.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, nono_model::sensitive_path_vars());
        assert!(env.contains(&("HOME", "/v/HOME".into())), "{env:?}");
        // Unset ones are left out, not passed empty.
        let only_home = |name: &str| (name == "HOME").then(|| OsString::from("/h"));
        assert_eq!(helper_env_from(only_home), [("HOME", OsString::from("/h"))]);
    }
}
