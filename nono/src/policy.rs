//! Turning flags and presets into a [`Policy`].

use crate::cli::{NetPort, Proto, SandboxArgs};
use crate::failure::Failure;
use nono_model::{Access, EnvPolicy, FsGrant, GrantSource, NetPolicy, Policy, Scopes, UnixGrant};
use nono_plugins::Catalog;
use std::collections::BTreeSet;

/// The preset added to every run unless `--no-base`.
pub const BASE_PRESET: &str = "base";

/// Builds the policy a `nono run` asks for: `base` (unless `--no-base`), the
/// presets in order, then the flags' grants; then the network, scope and
/// logging flags.
pub fn build(args: &SandboxArgs, catalog: &Catalog) -> Result<Policy, Failure> {
    let mut policy = Policy::default();
    let specs: Vec<&str> = (!args.no_base)
        .then_some(BASE_PRESET)
        .into_iter()
        .chain(args.preset.iter().map(String::as_str))
        .collect();
    let presets = catalog.presets_of(&specs).map_err(|(spec, e)| {
        if e.is_plugin_failure() {
            // `plugin NAME (PATH): what` names its input already.
            Failure::new(e)
        } else {
            Failure::new(format!("--preset {spec}: {e}"))
        }
    })?;
    policy.deny_sensitive();
    deny_plugin_path(&mut policy)?;
    for loaded in presets {
        let source = GrantSource::Preset(loaded.qualified_name());
        for grant in loaded.preset.grants {
            policy.add(grant, source.clone());
        }
        for path in loaded.preset.deny {
            policy.deny(path, source.clone());
        }
        for path in loaded.preset.unix {
            policy.unix.push(UnixGrant {
                path,
                source: source.clone(),
            });
        }
    }
    let flags = [
        ("--read", Access::Read, &args.read),
        ("--write", Access::Write, &args.write),
        ("--allow", Access::Allow, &args.allow),
    ];
    for (flag, access, paths) in flags {
        for path in paths {
            check_path(flag, path)?;
            let grant = FsGrant::new(path.clone(), access);
            policy.add(grant, GrantSource::Flag(flag.to_owned()));
        }
    }
    for path in &args.deny {
        check_path("--deny", path)?;
        policy.deny(path.clone(), GrantSource::Flag("--deny".to_owned()));
    }
    for path in &args.allow_unix {
        check_path("--allow-unix", path)?;
        policy.unix.push(UnixGrant {
            path: path.clone(),
            source: GrantSource::Flag("--allow-unix".to_owned()),
        });
    }
    for path in &args.expose {
        check_path("--expose", path)?;
        policy.exposes.push(path.clone());
        policy.add(
            FsGrant::new(path.clone(), Access::Read),
            GrantSource::Flag("--expose".to_owned()),
        );
    }
    policy.net = if args.net_block {
        NetPolicy::Block
    } else if args.net_connect.is_empty() && args.net_bind.is_empty() {
        NetPolicy::Unrestricted
    } else {
        let of = |ports: &[NetPort], proto: Proto| -> BTreeSet<u16> {
            ports
                .iter()
                .filter(|p| p.proto == proto)
                .map(|p| p.port)
                .collect()
        };
        NetPolicy::Ports {
            connect: of(&args.net_connect, Proto::Tcp),
            bind: of(&args.net_bind, Proto::Tcp),
            udp_connect: of(&args.net_connect, Proto::Udp),
            udp_bind: of(&args.net_bind, Proto::Udp),
        }
    };
    policy.scopes = Scopes {
        signals: !args.allow_signals,
        abstract_unix: !args.allow_abstract_unix,
    };
    policy.log_denials = args.log_denials;
    Ok(policy)
}

/// Denies every directory of `$NONO_PLUGIN_PATH` that nono searches (its
/// absolute entries): a sandboxed command that could put a plugin there
/// would run its code in the next nono that loads it, and widen that run's
/// sandbox with its presets.
///
/// A denial is written as text that the compiler expands (`$VAR`, a
/// leading `~`), so a directory whose name holds a `$`, or is not UTF-8,
/// cannot be named literally: rather than leave it writable, that is an
/// error.
fn deny_plugin_path(policy: &mut Policy) -> Result<(), Failure> {
    let value = std::env::var_os(nono_plugins::PLUGIN_PATH_VAR);
    let source = GrantSource::Builtin("plugin directory in $NONO_PLUGIN_PATH".to_owned());
    for dir in nono_plugins::plugin_path_dirs(value.as_deref()) {
        match dir.to_str() {
            Some(text) if !text.contains('$') => policy.deny(text, source.clone()),
            _ => {
                return Err(Failure::new(format!(
                    "$NONO_PLUGIN_PATH: {}: nono cannot keep this plugin directory from the sandbox (its name holds a '$' or is not UTF-8); rename it or remove it from NONO_PLUGIN_PATH",
                    dir.display()
                )));
            }
        }
    }
    Ok(())
}

/// Refuses a path flag's value that no path can be (empty, or with a NUL).
fn check_path(flag: &str, path: &str) -> Result<(), Failure> {
    FsGrant::new(path, Access::Read)
        .validate()
        .map_err(|e| Failure::new(format!("{flag} {path:?}: {e}")))
}

/// The environment policy `run`'s flags describe.
pub fn env_policy(args: &crate::cli::RunArgs) -> Result<EnvPolicy, Failure> {
    let set = args
        .env
        .iter()
        .map(|spec| {
            let (name, value) = match spec.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (spec.as_str(), None),
            };
            if is_var_name(name) {
                Ok((name.to_owned(), value))
            } else {
                Err(Failure::new(format!(
                    "--env {spec:?}: not NAME or NAME=VALUE with a variable name of letters, digits and '_'"
                )))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(bad) = args.env_keep.iter().find(|name| !is_var_name(name)) {
        return Err(Failure::new(format!(
            "--env-keep {bad:?}: not a variable name (letters, digits and '_')"
        )));
    }
    Ok(EnvPolicy {
        keep: args.env_keep.clone(),
        clear: args.env_clear,
        set,
    })
}

/// Whether `name` is an environment variable name nono accepts: letters,
/// digits and `_`, not starting with a digit.
fn is_var_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}
