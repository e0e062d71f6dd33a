//! The CLI fuzz target's input format and checks (feature `fuzzing`; not
//! part of nono's API).
//!
//! Fuzz input becomes an argv of plausible words (real subcommands, flag
//! names and values, `--flag=value`, and junk), which is parsed as the
//! binary parses it. For `run` and `why`, the policy is built with the
//! built-in presets only (no user files, no plugins, no `.ron` files) and
//! compiled over an in-memory machine ([`machine`]): no real filesystem
//! access and no kernel calls. The checks: no panic; every error nono
//! would print is one non-empty line without control characters; a
//! compiled ruleset only names paths that exist, grants something on each,
//! and never reaches a secret without `--expose`.

use crate::cli::{Cli, Command, PresetsAction, SandboxArgs};
use crate::failure::{Failure, NONO_ERROR};
use arbitrary::{Result, Unstructured};
use clap::Parser;
use clap::error::ErrorKind;
use nono_compile::{FsProbe, MemFs, ResolveEnv, Target, allowed, compile};
use nono_model::{Abi, FsRight};
use nono_plugins::Catalog;
use std::path::Path;

/// Subcommands, among them the hidden one and clap's `help`.
const SUBCOMMANDS: &[&str] = &[
    "run",
    "why",
    "check",
    "presets",
    "list",
    "show",
    "completions",
    "man",
    "help",
    "__plugin-eval",
];

/// Every flag of every subcommand, long and short, and a few near misses.
const FLAGS: &[&str] = &[
    "--read",
    "-r",
    "--write",
    "-w",
    "--allow",
    "-a",
    "--preset",
    "-p",
    "--plugin",
    "--no-base",
    "--deny",
    "--expose",
    "--net-block",
    "--net-connect",
    "--net-bind",
    "--allow-signals",
    "--allow-sysv-ipc",
    "--allow-abstract-unix",
    "--log-denials",
    "--abi",
    "--env-keep",
    "--env-clear",
    "--env",
    "--strict",
    "--allow-unsandboxed",
    "--keep-caps",
    "--dry-run",
    "--json",
    "--verbose",
    "-v",
    "-vv",
    "-vvv",
    "--op",
    "--port",
    "--port-op",
    "--help",
    "-h",
    "--version",
    "-V",
    "--",
    "-",
    "--reed",
    "-rw",
    "-ra",
];

/// Values: paths of [`machine`] written many ways, presets, ports, ABIs,
/// operations, shells, environment specs, and malformed ones.
const VALUES: &[&str] = &[
    "/",
    ".",
    "..",
    "~",
    "~/",
    "~/.ssh",
    "~/.ssh/id_ed25519",
    "~/.cargo",
    "~/.config",
    "/h",
    "/h/.ssh",
    "/h/.cargo/credentials.toml",
    "/w",
    "/w/src",
    "/w/f.txt",
    "/w/link",
    "/w/link/.ssh",
    "/w/link/.ssh/id_ed25519",
    "/w/dangling",
    "/nope",
    "src",
    "../h",
    "./src/../f.txt",
    "$HOME",
    "$TREE/src",
    "${TREE:-/}",
    "${NOPE:-/w}",
    "${NOPE:-~/.ssh}",
    "$NOPE",
    "${",
    "${}",
    "$",
    "",
    " ",
    "\0",
    "a\nb",
    "/w/\r",
    "rust",
    "base",
    "tmp",
    "python",
    "node",
    "go",
    "git",
    "nope",
    "acme/jdk",
    "acme/",
    "/acme",
    "Bad Name",
    "x.ron",
    "443",
    "0",
    "1",
    "80,443",
    "1,,2",
    "65535",
    "65536",
    "-1",
    "3",
    "7",
    "8",
    "read",
    "write",
    "execute",
    "connect",
    "bind",
    "bash",
    "zsh",
    "NAME",
    "NAME=value",
    "=x",
    "1A=b",
    "true",
    "sh",
];

/// One argument: a subcommand, a flag, a value, `--flag=value`, or junk.
fn word(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => (*u.choose(SUBCOMMANDS)?).to_owned(),
        1..=3 => (*u.choose(FLAGS)?).to_owned(),
        4..=7 => (*u.choose(VALUES)?).to_owned(),
        8 => format!("{}={}", u.choose(FLAGS)?, u.choose(VALUES)?),
        _ => u.arbitrary::<String>()?,
    })
}

/// An argv from fuzz input: `nono`, then usually a subcommand, then up to
/// 16 arguments.
pub fn argv_input(u: &mut Unstructured<'_>) -> Result<Vec<String>> {
    let mut argv = vec!["nono".to_owned()];
    if u.ratio(7u8, 8)? {
        argv.push((*u.choose(&SUBCOMMANDS[..6])?).to_owned());
    }
    let n = u.int_in_range(0..=16u8)?;
    for _ in 0..n {
        argv.push(word(u)?);
    }
    Ok(argv)
}

/// The machine the CLI target compiles on: a small system (what the `base`
/// and `tmp` presets require), a project `/w` (the working directory, with
/// a symlink to the home and a dangling one), and a home `/h` with secrets.
pub fn machine() -> (MemFs, ResolveEnv) {
    let mut fs = MemFs::new();
    fs.file("/usr/bin/env")
        .file("/usr/lib/libc.so.6")
        .symlink("/bin", "usr/bin")
        .symlink("/lib", "usr/lib")
        .file("/etc/passwd")
        .file("/etc/ssl/certs/ca.pem")
        .file("/dev/null")
        .file("/dev/zero")
        .file("/dev/random")
        .file("/dev/urandom")
        .file("/dev/tty")
        .dir("/tmp")
        .dir("/var/tmp")
        .file("/w/src/main.rs")
        .file("/w/f.txt")
        .symlink("/w/link", "/h")
        .symlink("/w/dangling", "/nope")
        .file("/h/.ssh/id_ed25519")
        .file("/h/.cargo/credentials.toml")
        .dir("/h/.cargo/registry")
        .file("/h/.config/gh/hosts.yml")
        .file("/h/.config/git/config")
        .file("/h/proj/a.txt")
        .dir("/h/.cache");
    let mut env = ResolveEnv::new("/w");
    env.home = Some("/h".into());
    for (k, v) in [("HOME", "/h"), ("TREE", "/w"), ("TMPDIR", "/tmp")] {
        env.vars.insert(k.into(), v.into());
    }
    (fs, env)
}

/// Secrets in [`machine`] that the built-in sensitive paths cover.
const SECRETS: [&str; 3] = [
    "/h/.ssh/id_ed25519",
    "/h/.cargo/credentials.toml",
    "/h/.config/gh/hosts.yml",
];

/// An error nono would print: one non-empty line without control
/// characters (no line break, no terminal escape sequence), exit 125.
fn assert_one_line(what: &str, failure: &Failure) {
    let message = failure.message().unwrap_or_default();
    assert!(!message.trim().is_empty(), "{what}: empty error message");
    assert!(
        !message.contains(char::is_control),
        "{what}: error is not one plain line: {message:?}"
    );
    assert_eq!(failure.code(), NONO_ERROR, "{what}: {message}");
}

/// The CLI check for one argv (see the module documentation). Panics when
/// a check fails.
pub fn check_argv(argv: &[String]) {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(err) => {
            if !matches!(
                err.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let argv: Vec<std::ffi::OsString> = argv.iter().map(Into::into).collect();
                let failure = crate::clap_failure(&err, &argv);
                assert_one_line("usage", &failure);
                let message = failure.message().unwrap_or_default();
                assert!(
                    message.ends_with(" --help')")
                        && message.contains("(see 'nono")
                        && !message.starts_with("error:"),
                    "usage error: {message:?}"
                );
            }
            return;
        }
    };
    match cli.command {
        Command::Run(mut args) => {
            if let Err(failure) = crate::policy::env_policy(&args) {
                assert_one_line("--env", &failure);
            }
            check_sandbox(&mut args.sandbox);
        }
        Command::Why(mut args) => check_sandbox(&mut args.sandbox),
        Command::Presets {
            action: PresetsAction::Show { name, .. },
        } if !name.ends_with(".ron") => {
            if let Err(e) = Catalog::new().load(&name) {
                assert_one_line("presets show", &Failure::new(e));
            }
        }
        _ => {}
    }
}

/// Builds and compiles the sandbox `args` describe over [`machine`].
fn check_sandbox(args: &mut SandboxArgs) {
    // A `.ron` spec is read from the real filesystem.
    args.preset.retain(|p| !p.ends_with(".ron"));
    let policy = match crate::policy::build(args, &Catalog::new()) {
        Ok(policy) => policy,
        Err(failure) => return assert_one_line("policy", &failure),
    };
    let (fs, env) = machine();
    let target = Target {
        kernel_abi: Some(Abi::LATEST),
        abi_limit: args.abi.map(Abi),
        user_namespaces: false,
    };
    let out = match compile(&policy, &target, &env, &fs) {
        Ok(out) => out,
        // The compiler quotes paths as written, line breaks and all; what
        // nono prints of it is checked.
        Err(e) => return assert_one_line("compile", &Failure::new(e)),
    };
    let rs = &out.ruleset;
    assert_eq!(rs.abi, args.abi.map_or(Abi::LATEST, Abi));
    for rule in &rs.rules {
        assert!(
            fs.stat(&rule.path).is_ok(),
            "a rule on {}",
            rule.path.display()
        );
        assert!(
            !rule.rights.is_empty(),
            "an empty rule on {}",
            rule.path.display()
        );
    }
    if args.expose.is_empty() {
        for secret in SECRETS {
            for r in rs.handled_fs.iter().filter(|r| *r != FsRight::ReadDir) {
                assert!(
                    !allowed(rs, Path::new(secret), r),
                    "{r} allowed on {secret} without --expose: {argv:?}",
                    argv = args
                );
            }
        }
    }
}

/// The CLI fuzz target: decodes an argv from `data` and checks it.
pub fn check_argv_input(data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Ok(argv) = argv_input(&mut u) {
        check_argv(&argv);
    }
}
