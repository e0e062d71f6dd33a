//! Bad input: every malformed flag, path, preset file, plugin and
//! environment nono can be given gets a clear answer (DESIGN.md section 3:
//! "Every error is one clear line on stderr naming the input at fault ...
//! never a panic or a backtrace"; section 6: "Bad input gets a clear error
//! and exit 125, and leaves nothing behind").
//!
//! Each case is one line of a table: a name, what the scratch directory
//! holds first, the environment, the arguments, and the expected answer.
//! The arguments go into `nono run --allow {S}/out ARGS... -- touch
//! {S}/out/MARKER` (or are nono's whole command line, for the other
//! subcommands), so that the marker appears exactly when the command ran.
//! An error case passes only if nono:
//!
//! - exits with the expected code (125, or 127 for a command not found);
//! - prints exactly one line on stderr, starting with `nono:`, that names
//!   the input (contains the case's needle);
//! - does not panic ("panicked", "RUST_BACKTRACE", "internal error": nono's
//!   panic hook turns a panic into one line and 125, so the text is checked
//!   too);
//! - finishes within its deadline (a hang is killed and reported);
//! - never runs the command (no marker) and leaves the scratch directory
//!   exactly as it found it.
//!
//! A few inputs are not errors, by decision, and are asserted as accepted:
//! a FIFO given to `--read` is a file grant like any other (nono opens it
//! `O_PATH`, so nothing blocks), and a relative `XDG_CONFIG_HOME` is
//! ignored, as the XDG specification says. Each category also has allowed
//! twins: the same kinds of input, well formed, run the marker.
//!
//! `{S}` in a case stands for the scratch directory, `{FF}` for the byte
//! 0xFF (not UTF-8), `{LONGNAME}` for a 300-byte file name (over NAME_MAX),
//! `{LONGPATH}` for a 5,000-byte path that does not exist (over PATH_MAX),
//! and `{DEEP}` for an existing directory whose path is over PATH_MAX.
//!
//! Cases that fail today expose bugs in nono; they are kept failing on
//! purpose, and each says what is wrong where it is listed:
//!
//! - `${VAR:-}` with VAR unset (in a flag or a preset grant) expands to the
//!   empty path, which silently grants the working directory;
//! - `--env-keep` accepts any text (exit 0, where `--env` refuses);
//! - a preset file that is a FIFO hangs nono, one that never ends
//!   (/dev/zero) makes it allocate until memory runs out: preset files are
//!   read whole, unchecked;
//! - a relative `NONO_PLUGIN_PATH` entry is searched in the working
//!   directory, so the project nono runs in can plant a plugin.
//!
//! [`run`] prepares and checks a case, [`cases`] holds the tables.

mod cases;
mod run;

use std::time::Duration;

// ---------------------------------------------------------------------------
// The table's vocabulary.
// ---------------------------------------------------------------------------

/// What the scratch directory holds before nono runs (paths relative to
/// it; `{S}` in a symlink target is the scratch directory).
#[derive(Clone, Copy, Debug)]
enum Setup {
    /// A regular file with this text (parents created).
    File(&'static str, &'static str),
    /// A regular file with these bytes.
    Bytes(&'static str, &'static [u8]),
    /// A directory (and parents).
    Dir(&'static str),
    /// A FIFO.
    Fifo(&'static str),
    /// A symlink to a target.
    Symlink(&'static str, &'static str),
    /// A file of this many MiB of spaces, then this text.
    Huge(&'static str, usize, &'static str),
    /// The good test plugin, copied here (mode 0644).
    Plugin(&'static str),
    /// Sets the mode of a path made by an earlier step.
    Mode(&'static str, u32),
    /// `{DEEP}`: directories under `deep/` whose path is over PATH_MAX.
    Deep,
}

use Setup::{Bytes, Deep, Dir, Fifo, File, Huge, Mode, Plugin, Symlink};

/// nono's command line.
#[derive(Clone, Copy, Debug)]
enum Args {
    /// `run --allow {S}/out ARGS... -- touch {S}/out/MARKER`.
    Run(&'static [&'static str]),
    /// `ARGS...`, as they are (no marker command).
    Raw(&'static [&'static str]),
}

use Args::{Raw, Run};

/// What nono must answer.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// nono's own error: this exit code, one `nono:` line containing this.
    Error(i32, &'static str),
    /// Accepted: the marker command runs (exit 0).
    Runs,
}

use Want::{Error, Runs};

struct Bad {
    name: &'static str,
    setup: &'static [Setup],
    /// Variables set (`Some`, `{S}` filled in) or removed (`None`).
    env: &'static [(&'static str, Option<&'static str>)],
    args: Args,
    want: Want,
    /// Run under a 512 MiB address-space limit (for inputs that could make
    /// nono allocate without bound).
    limit_memory: bool,
    deadline: Duration,
    /// Text the error line must not contain.
    unlike: Option<&'static str>,
}

fn bad(name: &'static str, args: Args, want: Want) -> Bad {
    Bad {
        name,
        setup: &[],
        env: &[],
        args,
        want,
        limit_memory: false,
        deadline: Duration::from_secs(30),
        unlike: None,
    }
}

impl Bad {
    fn with(mut self, setup: &'static [Setup]) -> Bad {
        self.setup = setup;
        self
    }

    fn env(mut self, env: &'static [(&'static str, Option<&'static str>)]) -> Bad {
        self.env = env;
        self
    }

    fn limit_memory(mut self) -> Bad {
        self.limit_memory = true;
        self
    }

    fn deadline(mut self, secs: u64) -> Bad {
        self.deadline = Duration::from_secs(secs);
        self
    }

    fn unlike(mut self, text: &'static str) -> Bad {
        self.unlike = Some(text);
        self
    }
}

#[test]
fn the_tables_have_at_least_forty_malformed_inputs() {
    let errors = [
        cases::flag_cases(),
        cases::path_cases(),
        cases::preset_cases(),
        cases::plugin_cases(),
        cases::environment_cases(),
    ]
    .iter()
    .flatten()
    .filter(|c| matches!(c.want, Error(..)))
    .count();
    assert!(errors >= 40, "only {errors} malformed inputs");
}
