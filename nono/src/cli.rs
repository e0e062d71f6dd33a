//! The command line, as the design's CLI contract fixes it.

use clap::{ArgAction, Args, Parser, Subcommand};
use nono_model::Abi;
use std::ffi::OsString;
use std::path::PathBuf;

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
    /// Explain whether a sandbox allows an operation on a path or port, and why.
    Why(WhyArgs),
    /// Print shell completions for SHELL.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout.
    Man,
    /// List or show presets.
    Presets {
        /// What to do with presets.
        #[command(subcommand)]
        action: PresetsAction,
    },
    /// Internal: evaluate a plugin in a sandboxed helper process (nono runs
    /// this itself; see plugin_helper.rs and nono_plugins::isolate).
    #[command(name = "__plugin-eval", hide = true)]
    PluginEval {
        /// The plugin file (canonical).
        path: PathBuf,
        /// Its device number when the parent checked it.
        dev: u64,
        /// Its inode number when the parent checked it.
        ino: u64,
    },
}

/// `--plugin PATH`, shared by `run` and `presets`.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// Load plugin presets from this plugin file, libNAME.so, before the
    /// plugin directories (repeatable).
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugin: Vec<PathBuf>,
}

/// `nono presets` actions.
#[derive(Debug, Subcommand)]
pub enum PresetsAction {
    /// List every preset with its source.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Plugin files.
        #[command(flatten)]
        plugins: PluginArgs,
    },
    /// Show one preset's grants, with their paths resolved here.
    Show {
        /// The preset: NAME, PLUGIN/NAME, or a path to a .ron file.
        name: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Plugin files.
        #[command(flatten)]
        plugins: PluginArgs,
    },
}

/// The options that describe a sandbox, shared by `run` and `why`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Grant Read on PATH (a file or a directory; repeatable).
    #[arg(short = 'r', long = "read", value_name = "PATH")]
    pub read: Vec<String>,
    /// Grant Write on PATH (repeatable).
    #[arg(short = 'w', long = "write", value_name = "PATH")]
    pub write: Vec<String>,
    /// Grant Allow (read and write) on PATH (repeatable).
    #[arg(short = 'a', long = "allow", value_name = "PATH")]
    pub allow: Vec<String>,
    /// Add a preset's grants: NAME, PLUGIN/NAME, or a path to a .ron file (repeatable).
    #[arg(short = 'p', long = "preset", value_name = "NAME")]
    pub preset: Vec<String>,
    /// Plugin files.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Do not add the `base` preset (system libraries and devices).
    #[arg(long)]
    pub no_base: bool,
    /// Keep PATH out of reach even inside granted directories (repeatable).
    #[arg(long, value_name = "PATH")]
    pub deny: Vec<String>,
    /// Grant a sensitive PATH on purpose: readable, and not carved out of other grants (repeatable).
    #[arg(long, value_name = "PATH")]
    pub expose: Vec<String>,
    /// Let the command connect or send to pathname Unix sockets at or below PATH (repeatable).
    #[arg(long, value_name = "PATH")]
    pub allow_unix: Vec<String>,
    /// Deny all network: TCP via Landlock (ABI 4+), every non-Unix socket via seccomp.
    #[arg(long, conflicts_with_all = ["net_connect", "net_bind"])]
    pub net_block: bool,
    /// Allow outbound TCP to PORT only (repeatable, comma lists); other ports denied. udp:PORT allows UDP to PORT (Landlock ABI 10).
    #[arg(long, value_name = "PORT", value_delimiter = ',', value_parser = connect_port)]
    pub net_connect: Vec<NetPort>,
    /// Allow binding TCP PORT only (repeatable, comma lists; 0 is any ephemeral port). udp:PORT allows binding UDP PORT (Landlock ABI 10).
    #[arg(long, value_name = "PORT", value_delimiter = ',', value_parser = bind_port)]
    pub net_bind: Vec<NetPort>,
    /// Do not scope signals: allow signalling processes outside the sandbox (ABI 6).
    #[arg(long)]
    pub allow_signals: bool,
    /// Do not scope abstract Unix sockets: allow connecting to ones bound outside (ABI 6).
    #[arg(long)]
    pub allow_abstract_unix: bool,
    /// Ask the kernel to log the command's denials to the audit log (ABI 7).
    #[arg(long)]
    pub log_denials: bool,
    /// Use at most Landlock ABI N (1 to the newest nono knows,
    /// `Abi::LATEST`).
    #[arg(
        long,
        value_name = "N",
        help = abi_help(),
        value_parser = clap::value_parser!(u8).range(1..=i64::from(Abi::LATEST.0)),
    )]
    pub abi: Option<u8>,
}

/// A port as `--net-connect` and `--net-bind` take it: `PORT` or
/// `tcp:PORT` for TCP, `udp:PORT` for UDP.
///
/// A plain number stays TCP, as the CLI contract has always said; UDP is
/// named, never implied, so that `--net-connect 443` does not also open
/// UDP 443, and DNS is asked for as `udp:53`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetPort {
    /// The protocol.
    pub proto: Proto,
    /// The port number.
    pub port: u16,
}

/// The transport protocol of a [`NetPort`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// TCP (a plain number, or `tcp:`).
    Tcp,
    /// UDP (`udp:`).
    Udp,
}

/// Parses `PORT`, `tcp:PORT` or `udp:PORT`, with PORT from `min` to 65535.
fn net_port(text: &str, min: u16) -> Result<NetPort, String> {
    let (proto, number) = match text.split_once(':') {
        None => (Proto::Tcp, text),
        Some(("tcp", n)) => (Proto::Tcp, n),
        Some(("udp", n)) => (Proto::Udp, n),
        Some((other, _)) => {
            return Err(format!(
                "unknown protocol '{other}' (PORT, tcp:PORT or udp:PORT)"
            ));
        }
    };
    let valid = || format!("a port is {min} to 65535 (PORT, tcp:PORT or udp:PORT)");
    match number.parse::<u16>() {
        Ok(port) if port >= min && number.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(NetPort { proto, port })
        }
        _ => Err(valid()),
    }
}

/// A `--net-connect` port: 1 to 65535.
fn connect_port(text: &str) -> Result<NetPort, String> {
    net_port(text, 1)
}

/// A `--net-bind` port: 0 (any ephemeral port) to 65535.
fn bind_port(text: &str) -> Result<NetPort, String> {
    net_port(text, 0)
}

/// The help line of `--abi`, with the ABIs nono knows.
fn abi_help() -> String {
    format!("Use at most Landlock ABI N (1 to {})", Abi::LATEST)
}

/// `nono run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The sandbox.
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// Pass the environment variable NAME even though it looks sensitive (repeatable).
    #[arg(long, value_name = "NAME")]
    pub env_keep: Vec<String>,
    /// Start the command with an empty environment (add variables with --env).
    #[arg(long)]
    pub env_clear: bool,
    /// Set NAME=VALUE, or pass NAME from nono's environment (repeatable).
    #[arg(long, value_name = "NAME[=VALUE]")]
    pub env: Vec<String>,
    /// Refuse to run unless the sandbox is FullyEnforced.
    #[arg(long)]
    pub strict: bool,
    /// Run even when Landlock is unavailable (unconfined!).
    #[arg(long)]
    pub allow_unsandboxed: bool,
    /// When run as root, keep capabilities (default: all dropped, so root cannot walk around the sandbox).
    #[arg(long)]
    pub keep_caps: bool,
    /// Print the policy, the lowered ruleset and the predicted status; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
    /// -v: status line, carves and removed variables; -vv: debug; -vvv: trace (RUST_LOG also works).
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

/// What `nono why` asks about a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PathOp {
    /// Read a file, or list a directory.
    Read,
    /// Write a file, or create an entry in a directory.
    Write,
    /// Execute a file.
    Execute,
}

/// What `nono why --port` asks about a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PortOp {
    /// Connect to the port over TCP.
    Connect,
    /// Bind the port over TCP.
    Bind,
}

/// `nono why` options.
#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The path to ask about.
    #[arg(
        value_name = "PATH",
        required_unless_present = "port",
        conflicts_with = "port"
    )]
    pub path: Option<String>,
    /// The operation on PATH.
    #[arg(long, value_enum, default_value = "read", conflicts_with = "port")]
    pub op: PathOp,
    /// Ask about a TCP port instead of a path.
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// The operation on the port.
    #[arg(
        long = "port-op",
        value_enum,
        default_value = "connect",
        requires = "port"
    )]
    pub port_op: PortOp,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// The sandbox, as for `run`.
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}
