//! The command line, as the design's CLI contract fixes it.

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{ArgAction, Args, Parser, Subcommand, ValueHint};
use nono_model::Abi;
use std::ffi::OsString;
use std::path::PathBuf;

/// Run a command with only the capabilities you grant it, enforced by the
/// Linux kernel's Landlock LSM.
#[derive(Debug, Parser)]
#[command(
    name = "nono",
    version,
    about,
    propagate_version = true,
    after_help = TOP_EXAMPLES
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command inside a Landlock sandbox.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Report Landlock availability, the kernel's ABI and each feature.
    Check {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Explain whether a sandbox allows an operation on a path or port, and why
    /// (exit 0: allowed, 1: denied).
    #[command(after_help = WHY_EXAMPLES)]
    Why(WhyArgs),
    /// Print shell completions for SHELL.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of nono, or of one subcommand, to stdout.
    Man {
        /// The subcommand whose page to print (none: nono's own page, which
        /// lists the others).
        #[arg(value_name = "SUBCOMMAND", value_parser = MAN_PAGES)]
        subcommand: Option<String>,
    },
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
    #[arg(long = "plugin", value_name = "PATH", value_hint = ValueHint::FilePath, help_heading = PRESETS)]
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
        #[arg(value_parser = PresetName, hide_possible_values = true)]
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
///
/// Paths are taken as bytes: a path that is not UTF-8 is written in grant
/// text with `${\xHH}` escapes (see [`nono_model::grant_text`]).
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Grant Read on PATH (a file or a directory; repeatable).
    #[arg(short = 'r', long = "read", value_name = "PATH", value_hint = ValueHint::AnyPath, help_heading = GRANTS)]
    pub read: Vec<OsString>,
    /// Grant Write on PATH (repeatable).
    #[arg(short = 'w', long = "write", value_name = "PATH", value_hint = ValueHint::AnyPath, help_heading = GRANTS)]
    pub write: Vec<OsString>,
    /// Grant Allow (read and write) on PATH (repeatable).
    #[arg(short = 'a', long = "allow", value_name = "PATH", value_hint = ValueHint::AnyPath, help_heading = GRANTS)]
    pub allow: Vec<OsString>,
    /// Add a preset's grants: NAME, PLUGIN/NAME, or a path to a .ron file (repeatable).
    #[arg(
        short = 'p',
        long = "preset",
        value_name = "NAME",
        value_parser = PresetName,
        hide_possible_values = true,
        help_heading = PRESETS
    )]
    pub preset: Vec<String>,
    /// Plugin files.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Do not add the `base` preset (system libraries and devices).
    #[arg(long, help_heading = PRESETS)]
    pub no_base: bool,
    /// Keep PATH out of reach even inside granted directories (repeatable).
    #[arg(long, value_name = "PATH", value_hint = ValueHint::AnyPath, help_heading = SECRETS)]
    pub deny: Vec<OsString>,
    /// Grant a sensitive PATH on purpose: readable, and not carved out of other grants (repeatable).
    #[arg(long, value_name = "PATH", value_hint = ValueHint::AnyPath, help_heading = SECRETS)]
    pub expose: Vec<OsString>,
    /// Let the command write a protected PATH (a repository's .git hooks or config, a shell startup file, a toolchain bin directory) that a writable grant covers (repeatable).
    #[arg(long, value_name = "PATH", value_hint = ValueHint::AnyPath, help_heading = SECRETS)]
    pub unprotect: Vec<OsString>,
    /// Let the command connect or send to pathname Unix sockets at or below PATH (repeatable).
    #[arg(long, value_name = "PATH", value_hint = ValueHint::AnyPath, help_heading = NETWORK)]
    pub allow_unix: Vec<OsString>,
    /// Deny all network: TCP via Landlock (ABI 4+), every non-Unix socket via seccomp.
    #[arg(long, conflicts_with_all = ["net_connect", "net_bind", "net_allow"], help_heading = NETWORK)]
    pub net_block: bool,
    /// Reach HOST (wildcards like *.example.com) only, through nono's proxy (repeatable). Without :PORT, 443 and 80.
    #[arg(long, value_name = "HOST[:PORT]", value_parser = host_pattern, help_heading = NETWORK)]
    pub net_allow: Vec<nono_model::HostPattern>,
    /// Allow outbound TCP to PORT only (repeatable, comma lists); other ports denied. udp:PORT allows UDP to PORT (Landlock ABI 10).
    #[arg(long, value_name = "PORT", value_delimiter = ',', value_parser = connect_port, help_heading = NETWORK)]
    pub net_connect: Vec<NetPort>,
    /// Allow binding TCP PORT only (repeatable, comma lists; 0 is any ephemeral port). udp:PORT allows binding UDP PORT (Landlock ABI 10).
    #[arg(long, value_name = "PORT", value_delimiter = ',', value_parser = bind_port, help_heading = NETWORK)]
    pub net_bind: Vec<NetPort>,
    /// Let the command use System V IPC: its own objects, in a private IPC namespace wherever one can be had (never the host's, unless none can: then with a warning).
    #[arg(long, help_heading = NETWORK)]
    pub allow_sysv_ipc: bool,
    /// Do not scope signals: allow signalling processes outside the sandbox (ABI 6).
    #[arg(long, help_heading = NETWORK)]
    pub allow_signals: bool,
    /// Do not scope abstract Unix sockets: allow connecting to ones bound outside (ABI 6).
    #[arg(long, help_heading = NETWORK)]
    pub allow_abstract_unix: bool,
    /// Ask the kernel to log the command's denials to the audit log (ABI 7).
    #[arg(long, help_heading = ENFORCEMENT)]
    pub log_denials: bool,
    /// Use at most Landlock ABI N (1 to the newest nono knows,
    /// `Abi::LATEST`).
    #[arg(
        long,
        value_name = "N",
        help = abi_help(),
        value_parser = clap::value_parser!(u8).range(1..=i64::from(Abi::LATEST.0)),
        help_heading = ENFORCEMENT,
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

/// A `--net-allow` value: `HOST[:PORT]`, `*.DOMAIN[:PORT]`, or an IP
/// literal (`[v6]:PORT` for an IPv6 address with a port).
fn host_pattern(text: &str) -> Result<nono_model::HostPattern, String> {
    text.parse()
        .map_err(|e: nono_model::HostError| e.reason.to_owned())
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
    #[arg(long, value_name = "NAME", help_heading = ENVIRONMENT)]
    pub env_keep: Vec<String>,
    /// Start the command with an empty environment (add variables with --env).
    #[arg(long, help_heading = ENVIRONMENT)]
    pub env_clear: bool,
    /// Set NAME=VALUE, or pass NAME from nono's environment (repeatable).
    #[arg(long, value_name = "NAME[=VALUE]", help_heading = ENVIRONMENT)]
    pub env: Vec<String>,
    /// Refuse to run unless the sandbox is FullyEnforced.
    #[arg(long, help_heading = ENFORCEMENT)]
    pub strict: bool,
    /// Run even when Landlock is unavailable (unconfined!).
    #[arg(long, help_heading = ENFORCEMENT)]
    pub allow_unsandboxed: bool,
    /// When run as root, keep capabilities (default: all dropped, so root cannot walk around the sandbox).
    #[arg(long, help_heading = ENFORCEMENT)]
    pub keep_caps: bool,
    /// Print the policy, the lowered ruleset and the predicted status; run nothing.
    #[arg(long, help_heading = OUTPUT)]
    pub dry_run: bool,
    /// With --dry-run: print as JSON (a run itself prints no JSON).
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,
    /// -v: status line, carves and removed variables; -vv: debug; -vvv: trace (RUST_LOG also works).
    #[arg(short, long, action = ArgAction::Count, help_heading = OUTPUT)]
    pub verbose: u8,
    /// The command to run and its arguments (after `--`).
    #[arg(
        trailing_var_arg = true,
        value_name = "COMMAND",
        value_hint = ValueHint::CommandWithArguments,
        required_unless_present_any = ["dry_run", "json"]
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
        required_unless_present_any = ["port", "host"],
        conflicts_with_all = ["port", "host"]
    )]
    pub path: Option<OsString>,
    /// The operation on PATH.
    #[arg(long, value_enum, default_value = "read", conflicts_with_all = ["port", "host"])]
    pub op: PathOp,
    /// Ask whether the command may reach HOST[:PORT] (443 without a port) through nono's proxy.
    #[arg(long, value_name = "HOST[:PORT]", value_parser = host_pattern, conflicts_with = "port")]
    pub host: Option<nono_model::HostPattern>,
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

// `--help` groups the options under these headings (the man pages under the
// same ones, as sections).
const GRANTS: &str = "Grants";
const PRESETS: &str = "Presets";
const SECRETS: &str = "Sensitive paths";
const NETWORK: &str = "Network and IPC";
const ENVIRONMENT: &str = "Command environment";
const ENFORCEMENT: &str = "Enforcement";
const OUTPUT: &str = "Output";

/// Examples under `nono --help`.
const TOP_EXAMPLES: &str = "\
Examples:
  nono run --preset rust --allow . -- cargo build
  nono run --dry-run --allow . -- make
  nono why ~/.ssh/id_ed25519 --allow ~
  nono man run | man -l -

See 'nono SUBCOMMAND --help' for each subcommand's options.";

/// Examples under `nono run --help` (and in its man page).
pub const RUN_EXAMPLES: &str = "\
Examples:
  nono run --preset rust --allow . -- cargo build
      build the project in the current directory; only it is writable
  nono run --preset python --allow . -- python3 -m venv .venv
      create a virtual environment in the project
  nono run --preset shell --allow . -- bash
      an interactive shell with your aliases; it can change only the project and /tmp
  nono run --net-block --read . -- ./untrusted-tool
      read-only, and no network at all
  nono run --dry-run --preset node --allow . -- npm test
      show the grants, the ruleset and the predicted status; run nothing";

/// Examples under `nono why --help` (and in its man page).
pub const WHY_EXAMPLES: &str = "\
Examples:
  nono why ~/.ssh/id_ed25519 --allow ~
      denied (exit 1): ~/.ssh is carved out of the home
  nono why target --op write --preset rust --allow .
      allowed (exit 0), and which grant allows it
  nono why --port 443 --net-connect 443";

/// The subcommands `nono man SUBCOMMAND` has a page for.
pub const MAN_PAGES: [&str; 6] = ["run", "check", "why", "completions", "man", "presets"];

/// The value of `--preset` (and `presets show`): any text, checked when the
/// preset is looked up, which is also where a mistyped name gets its
/// suggestion. To completion it offers the built-in presets' names, with
/// their descriptions.
#[derive(Clone, Copy, Debug)]
pub struct PresetName;

impl TypedValueParser for PresetName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(nono_plugins::BUILTIN.iter().map(
            |(name, text)| {
                let about = nono_model::Preset::from_ron(text)
                    .map(|p| p.description)
                    .unwrap_or_default();
                PossibleValue::new(*name).help(about)
            },
        )))
    }
}
