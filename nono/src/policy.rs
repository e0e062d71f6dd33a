//! Turning flags and presets into a [`Policy`].

use crate::cli::{NetPort, Proto, SandboxArgs};
use crate::failure::Failure;
use nono_model::{
    Access, EnvPolicy, FsGrant, GrantSource, HostGrant, NONO_CACHE_PATHS, NONO_CONFIG_PATHS,
    NetPolicy, Policy, SENSITIVE_PATHS, Scopes, UnixGrant,
};
use nono_plugins::Catalog;
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

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
    deny_host_credentials(&mut policy);
    if let Some(account) = other_account_home() {
        // nono's own directories there too: a nono run without HOME (or
        // with HOME set back) loads presets and plugins from them.
        let own: Vec<&str> = NONO_CACHE_PATHS
            .iter()
            .chain(&NONO_CONFIG_PATHS)
            .copied()
            .collect();
        policy.deny_in_home(account.as_os_str().as_bytes(), &own);
    }
    deny_plugin_path(&mut policy)?;
    for loaded in presets {
        let source = GrantSource::Preset(loaded.qualified_name());
        for grant in loaded.preset.grants {
            policy.add(grant, source.clone());
        }
        for (index, host) in loaded.preset.net_allow.iter().enumerate() {
            let pattern = host.parse().map_err(|e: nono_model::HostError| {
                Failure::new(format!("{source}: net_allow {index}: {e}"))
            })?;
            policy.hosts.push(HostGrant {
                pattern,
                source: source.clone(),
            });
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
            let path = check_path(flag, path)?;
            let grant = FsGrant::new(path, access);
            policy.add(grant, GrantSource::Flag(flag.to_owned()));
        }
    }
    for path in &args.deny {
        let path = check_path("--deny", path)?;
        policy.deny(path, GrantSource::Flag("--deny".to_owned()));
    }
    for path in &args.allow_unix {
        let path = check_path("--allow-unix", path)?;
        policy.unix.push(UnixGrant {
            path,
            source: GrantSource::Flag("--allow-unix".to_owned()),
        });
    }
    for path in &args.unprotect {
        let text = check_path("--unprotect", path)?;
        let env = crate::run::resolve_env()?;
        let expanded = nono_compile::expand(&text, &env)
            .map_err(|e| Failure::new(format!("--unprotect {text:?}: {e}")))?;
        if std::fs::symlink_metadata(env.cwd.join(expanded)).is_err() {
            return Err(Failure::new(format!(
                "--unprotect {text:?}: no such file or directory"
            )));
        }
        policy.unprotect.push(text);
    }
    // The files this run was configured from: a run must not rewrite them
    // to widen the next one.
    for spec in &args.preset {
        if spec.ends_with(".ron") {
            policy.protect.push(spec.clone());
        }
    }
    for plugin in &args.plugins.plugin {
        policy
            .protect
            .push(nono_model::grant_text(plugin.as_os_str().as_bytes()));
    }
    for path in &args.expose {
        let path = check_path("--expose", path)?;
        policy.exposes.push(path.clone());
        policy.add(
            FsGrant::new(path, Access::Read),
            GrantSource::Flag("--expose".to_owned()),
        );
    }
    for pattern in &args.net_allow {
        policy.hosts.push(HostGrant {
            pattern: pattern.clone(),
            source: GrantSource::Flag("--net-allow".to_owned()),
        });
    }
    if args.net_block
        && let Some(host) = policy.hosts.first()
    {
        return Err(Failure::new(format!(
            "--net-block conflicts with net_allow {} of {}: the proxy's hosts need the network",
            host.pattern, host.source
        )));
    }
    policy.net = if args.net_block {
        NetPolicy::Block
    } else if args.net_connect.is_empty() && args.net_bind.is_empty() && policy.hosts.is_empty() {
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
    policy.allow_sysv_ipc = args.allow_sysv_ipc;
    Ok(policy)
}

/// Denies the credentials the built-in list cannot name by itself: every
/// file of `$KUBECONFIG`, and the home's sensitive paths in the account's
/// home ([`account_home`]) when `$HOME` is unset, empty or another
/// directory: ssh reads `~/.ssh` there whatever `$HOME` says, tools fall
/// back to it without `$HOME` (where `~` names nothing for nono), and a
/// sandboxed command can run any tool with `HOME` set back to it. The
/// plugin helper denies the same.
pub fn deny_host_credentials(policy: &mut Policy) {
    policy.deny_sensitive_lists(|name| std::env::var_os(name).map(OsString::into_vec));
    if let Some(account) = other_account_home() {
        policy.deny_in_home(account.as_os_str().as_bytes(), &SENSITIVE_PATHS);
    }
}

/// The account's home ([`account_home`]) unless `$HOME` names it.
fn other_account_home() -> Option<&'static Path> {
    let account = account_home()?;
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
    (home.as_deref().map(Path::new) != Some(account)).then_some(account)
}

/// The home directory of the account nono runs as (its real user id), from
/// the password database (`getpwuid_r`, so NSS sources count): where ssh
/// finds `~/.ssh` whatever `$HOME` says, and where tools look when `$HOME`
/// is unset. `None` when there is no entry or its home is not an absolute
/// path. Looked up once per process.
pub fn account_home() -> Option<&'static Path> {
    static HOME: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    HOME.get_or_init(lookup_account_home).as_deref()
}

fn lookup_account_home() -> Option<PathBuf> {
    // getpwuid_r, not a file read: the password database may come from
    // NSS sources other than /etc/passwd (rustix has no such call).
    let uid = rustix::process::getuid().as_raw();
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: an all-zero passwd is a valid value for getpwuid_r to
        // fill in.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `entry`, `buf` (of the length given) and `found` are
        // valid for writes for the whole call; the strings getpwuid_r
        // stores in `entry` point into `buf`, which outlives their use
        // below.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &raw mut entry,
                buf.as_mut_ptr(),
                buf.len(),
                &raw mut found,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if rc != 0 || found.is_null() || entry.pw_dir.is_null() {
            return None;
        }
        // SAFETY: pw_dir is a NUL-terminated string inside `buf`.
        let dir = unsafe { std::ffi::CStr::from_ptr(entry.pw_dir) };
        let dir = PathBuf::from(OsStr::from_bytes(dir.to_bytes()));
        return dir.is_absolute().then_some(dir);
    }
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

/// A path flag's value as grant text (bytes that are not UTF-8 written
/// `${\xHH}`, see [`nono_model::grant_text`]); refuses one that no path
/// can be (empty, or with a NUL).
fn check_path(flag: &str, path: &OsStr) -> Result<String, Failure> {
    let text = nono_model::grant_text(path.as_bytes());
    FsGrant::new(text.as_str(), Access::Read)
        .validate()
        .map_err(|e| Failure::new(format!("{flag} {text:?}: {e}")))?;
    Ok(text)
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
