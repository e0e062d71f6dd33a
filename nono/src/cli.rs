//! The command line, as the design's CLI contract fixes it.

use clap::{ArgAction, Args, Parser, Subcommand};
use std::ffi::OsString;

/// Run a command with only the capabilities you grant it, enforced by the
/// Linux kernel's Landlock LSM.
#[derive(Debug, Parser)]
#[command(name = "nono", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command inside a Landlock sandbox.
    Run(RunArgs),
    /// Report Landlock availability, the kernel's ABI and each feature.
    Check {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List or show presets.
    Presets {
        /// What to do with presets.
        #[command(subcommand)]
        action: PresetsAction,
    },
}

/// `nono presets` actions.
#[derive(Debug, Subcommand)]
pub enum PresetsAction {
    /// List every preset with its source.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one preset's grants.
    Show {
        /// The preset's name, or a path to a .ron file.
        name: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `nono run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Grant Read on PATH (a file or a directory; repeatable).
    #[arg(short = 'r', long = "read", value_name = "PATH")]
    pub read: Vec<String>,
    /// Grant Write on PATH (repeatable).
    #[arg(short = 'w', long = "write", value_name = "PATH")]
    pub write: Vec<String>,
    /// Grant Allow (read and write) on PATH (repeatable).
    #[arg(short = 'a', long = "allow", value_name = "PATH")]
    pub allow: Vec<String>,
    /// Add a preset's grants: NAME, or a path to a .ron file (repeatable).
    #[arg(short = 'p', long = "preset", value_name = "NAME")]
    pub preset: Vec<String>,
    /// Do not add the `base` preset (system libraries and devices).
    #[arg(long)]
    pub no_base: bool,
    /// Deny all network: TCP via Landlock (ABI 4+), every non-Unix socket via seccomp.
    #[arg(long, conflicts_with_all = ["net_connect", "net_bind"])]
    pub net_block: bool,
    /// Allow outbound TCP to PORT only (repeatable, comma lists); other ports denied.
    #[arg(long, value_name = "PORT", value_delimiter = ',', value_parser = clap::value_parser!(u16).range(1..))]
    pub net_connect: Vec<u16>,
    /// Allow binding TCP PORT only (repeatable, comma lists; 0 is any ephemeral port).
    #[arg(long, value_name = "PORT", value_delimiter = ',')]
    pub net_bind: Vec<u16>,
    /// Do not scope signals: allow signalling processes outside the sandbox (ABI 6).
    #[arg(long)]
    pub allow_signals: bool,
    /// Do not scope abstract Unix sockets: allow connecting to ones bound outside (ABI 6).
    #[arg(long)]
    pub allow_abstract_unix: bool,
    /// Ask the kernel to log the command's denials to the audit log (ABI 7).
    #[arg(long)]
    pub log_denials: bool,
    /// Use at most Landlock ABI N (1 to 7).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=7))]
    pub abi: Option<u8>,
    /// Refuse to run unless the sandbox is FullyEnforced.
    #[arg(long)]
    pub strict: bool,
    /// Run even when Landlock is unavailable (unconfined!).
    #[arg(long)]
    pub allow_unsandboxed: bool,
    /// Print the policy, the lowered ruleset and the predicted status; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
    /// -v: status line; -vv: debug; -vvv: trace (RUST_LOG also works).
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
    /// The command to run and its arguments (after `--`).
    #[arg(
        trailing_var_arg = true,
        value_name = "COMMAND",
        required_unless_present = "dry_run"
    )]
    pub command: Vec<OsString>,
}
