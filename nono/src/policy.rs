//! Turning flags and presets into a [`Policy`].

use crate::cli::RunArgs;
use crate::failure::Failure;
use nono_model::{Access, FsGrant, GrantSource, NetPolicy, Policy, Scopes};
use nono_plugins::Catalog;

/// The preset added to every run unless `--no-base`.
pub const BASE_PRESET: &str = "base";

/// Builds the policy a `nono run` asks for: `base` (unless `--no-base`), the
/// presets in order, then the flags' grants; then the network, scope and
/// logging flags.
pub fn build(args: &RunArgs, catalog: &Catalog) -> Result<Policy, Failure> {
    let mut policy = Policy::default();
    let specs: Vec<&str> = (!args.no_base)
        .then_some(BASE_PRESET)
        .into_iter()
        .chain(args.preset.iter().map(String::as_str))
        .collect();
    let grants = catalog
        .expand_all(&specs)
        .map_err(|(spec, e)| Failure::new(format!("--preset {spec}: {e}")))?;
    for g in grants {
        policy.add(g.grant, GrantSource::Preset(g.preset));
    }
    let flags = [
        ("--read", Access::Read, &args.read),
        ("--write", Access::Write, &args.write),
        ("--allow", Access::Allow, &args.allow),
    ];
    for (flag, access, paths) in flags {
        for path in paths {
            let grant = FsGrant::new(path.clone(), access);
            grant
                .validate()
                .map_err(|e| Failure::new(format!("{flag} {path:?}: {e}")))?;
            policy.add(grant, GrantSource::Flag(flag.to_owned()));
        }
    }
    policy.net = if args.net_block {
        NetPolicy::Block
    } else if args.net_connect.is_empty() && args.net_bind.is_empty() {
        NetPolicy::Unrestricted
    } else {
        NetPolicy::Ports {
            connect: args.net_connect.iter().copied().collect(),
            bind: args.net_bind.iter().copied().collect(),
        }
    };
    policy.scopes = Scopes {
        signals: !args.allow_signals,
        abstract_unix: !args.allow_abstract_unix,
    };
    policy.log_denials = args.log_denials;
    Ok(policy)
}
