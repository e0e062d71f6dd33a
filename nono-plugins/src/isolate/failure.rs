//! Why a plugin could not be evaluated, and how the helper's ending reads
//! as an answer or as one of these.

use super::protocol::{Ending, show_size};
use crate::manifest::ManifestError;
use crate::trust::TrustError;
use std::path::PathBuf;
use std::time::Duration;

/// Why a plugin could not be evaluated. The display is the part after
/// `plugin NAME (PATH): `.
#[derive(Debug, thiserror::Error)]
pub enum PluginFailure {
    /// The file may not be loaded.
    #[error(transparent)]
    Untrusted(#[from] TrustError),
    /// The helper could not be started.
    #[error("cannot start the plugin helper {program}: {source}")]
    Spawn {
        /// The helper program.
        program: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The helper's output could not be read.
    #[error("cannot read the plugin helper's answer: {0}")]
    Read(std::io::Error),
    /// The time limit was hit.
    #[error("did not answer within {} s (the time limit), so it was stopped", .0.as_secs_f32())]
    TimedOut(Duration),
    /// The output limit was hit.
    #[error("wrote more than {} (the output limit), so it was stopped", show_size(*.0))]
    TooMuchOutput(usize),
    /// The helper died of a signal.
    #[error("crashed (signal {0})")]
    Crashed(String),
    /// The helper exited with an unexpected status.
    #[error("exited with status {code} while being evaluated{}", detail_suffix(.detail))]
    Exited {
        /// The exit status.
        code: i32,
        /// The last line of its standard error, if any.
        detail: Option<String>,
    },
    /// The helper reports why it could not get an answer.
    #[error("{0}")]
    Failed(String),
    /// The plugin returned no manifest.
    #[error("{}", no_manifest(.0))]
    NoManifest(Option<String>),
    /// The answer is not an acceptable manifest.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

fn no_manifest(detail: &Option<String>) -> String {
    match detail {
        Some(d) => format!("failed: {d}"),
        None => "returned no manifest (a null pointer) and said nothing on stderr".to_owned(),
    }
}

fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGABRT => "SIGABRT",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSYS => "SIGSYS",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        other => return format!("{other}"),
    };
    name.to_owned()
}

impl Ending {
    /// The plugin's raw answer, or why there is none.
    pub(super) fn answer(self) -> Result<Vec<u8>, PluginFailure> {
        match self {
            Ending::Answer(bytes) => Ok(bytes),
            Ending::Failed(None) => Err(PluginFailure::Failed("failed, without a reason".into())),
            Ending::Failed(Some(reason)) => Err(PluginFailure::Failed(reason)),
            Ending::NoManifest(detail) => Err(PluginFailure::NoManifest(detail)),
            Ending::Exited { code, detail } => Err(PluginFailure::Exited { code, detail }),
            Ending::Killed(Some(signal)) => Err(PluginFailure::Crashed(signal_name(signal))),
            Ending::Killed(None) => Err(PluginFailure::Crashed("unknown".to_owned())),
        }
    }
}
