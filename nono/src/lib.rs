//! nono as a library: everything the `nono` binary does, so that tests and
//! fuzz targets can call the same code (`src/main.rs` only calls [`main`]).
//!
//! - [`cli`]: the command line ([`cli::Cli`], parsed with clap);
//! - [`policy`]: flags and presets to a [`nono_model::Policy`]
//!   ([`policy::build`]);
//! - [`failure`]: nono's own errors, one line each, and their exit codes.
//!
//! The subcommands (`run`, `check`, `why`, `presets`), the `--dry-run`
//! output and the final `exec` stay private: they act on this process and
//! this machine, and only [`main`] calls them.
//!
//! Exit codes follow `env(1)`: the command's own status once it runs (nono
//! `exec`s it), 125 for nono's own errors, 126 when the command was found but
//! could not be executed, 127 when it was not found.

#[macro_use]
pub mod failure;
mod catalog;
mod check;
pub mod cli;
mod exec;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod output;
mod plugin_helper;
pub mod policy;
mod presets;
mod run;
mod supervise;
mod why;

use clap::Parser;
use cli::{Cli, Command};
use failure::Failure;

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    // nono's own messages at -v and below are not tracing events; setting up
    // a subscriber nobody reads is measurable in front of every command.
    if verbose < 2 && std::env::var_os("RUST_LOG").is_none() {
        return;
    }
    let default = match verbose {
        0 | 1 => "warn",
        2 => "nono=debug,nono_compile=debug,nono_enforce=debug,nono_plugins=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only for a terminal: `-vv 2>log` gives plain lines.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
}

/// How a command line clap refused ends nono: `--help` and `--version` are
/// printed (exit 0; help shown for a missing subcommand exits 125), anything
/// else is a one-line usage error.
pub fn clap_failure(err: &clap::Error) -> Failure {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            Failure::quiet(0)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            Failure::quiet(125)
        }
        ErrorKind::InvalidUtf8 => invalid_utf8(),
        _ => Failure::usage(&err.render().to_string()),
    }
}

/// Names the first argument that is not UTF-8, and the flag before it.
fn invalid_utf8() -> Failure {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let Some(at) = args.iter().position(|a| a.to_str().is_none()) else {
        return Failure::new("an argument is not valid UTF-8");
    };
    let shown = args[at].to_string_lossy();
    let after = args
        .get(at.wrapping_sub(1))
        .and_then(|a| a.to_str())
        .filter(|a| a.starts_with('-'))
        .map(|flag| format!(" (the value of {flag})"))
        .unwrap_or_default();
    Failure::new(format!(
        "argument {at} {shown:?}{after} is not valid UTF-8; nono takes paths and names in UTF-8"
    ))
}

/// A panic is a bug in nono: say so in one line and exit 125, without a
/// backtrace and without running anything.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("nono: internal error{location}: {payload} (please report this bug)");
        std::process::exit(i32::from(failure::NONO_ERROR));
    }));
}

/// The `nono` binary: parses this process's arguments, runs the subcommand
/// and gives the exit status. On `nono run` success it does not return (the
/// process becomes the command).
pub fn main() -> u8 {
    install_panic_hook();
    let result = Cli::try_parse()
        .map_err(|err| clap_failure(&err))
        .and_then(|cli| match cli.command {
            Command::Run(args) => {
                init_tracing(args.verbose);
                run::run(args)
            }
            Command::Check { json } => check::check(json),
            Command::Why(args) => why::why(args),
            Command::Completions { shell } => {
                let mut cmd = <Cli as clap::CommandFactory>::command();
                let mut out = Vec::new();
                clap_complete::generate(shell, &mut cmd, "nono", &mut out);
                failure::emit(&String::from_utf8_lossy(&out))
            }
            Command::Man => {
                let cmd = <Cli as clap::CommandFactory>::command();
                let mut out = Vec::new();
                clap_mangen::Man::new(cmd)
                    .render(&mut out)
                    .map_err(failure::Failure::new)?;
                failure::emit(&String::from_utf8_lossy(&out))
            }
            Command::Presets { action } => presets::presets(action),
            Command::PluginEval { path, dev, ino } => plugin_helper::main(&path, dev, ino),
        });
    match result {
        Ok(()) => 0,
        Err(failure) => failure.report(),
    }
}
