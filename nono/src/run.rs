//! `nono run`: policy, compile, gate on the status, enforce, exec.

use crate::cli::{RunArgs, SandboxArgs};
use crate::exec;
use crate::failure::Failure;
use crate::output;
use nono_compile::{Compiled, FsProbe, Memo, RealFs, ResolveEnv, Target, compile};
use nono_enforce::IpcIsolation;
use nono_model::{Abi, EnforcementStatus, SysvIpc};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// The variable set to `1` in every sandboxed command's environment.
pub const SANDBOX_MARKER: &str = "NONO_SANDBOX";

/// The environment paths are resolved in: this process's. `~` is `$HOME`
/// (UTF-8 or not); without it, a grant with `~` is an error, and the
/// secrets of the account's home are denied by name instead (see
/// [`crate::policy::deny_host_credentials`]).
pub fn resolve_env() -> Result<ResolveEnv, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::new(format!("cannot read the working directory: {e}")))?;
    let mut env = ResolveEnv::new(cwd).with_vars(
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
    );
    // $HOME as bytes: a home that is not UTF-8 is still a home.
    env.home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    env.account_home = crate::policy::account_home().map(Path::to_path_buf);
    env.root = rustix::process::geteuid().is_root();
    Ok(env)
}

/// Compiles the policy `args` describe for this kernel, looking paths up
/// through `fs`. Also returns one line per plugin loaded, saying whether
/// its presets came from the cache. Plugins' answers are stored in the
/// cache only when `stores` (see [`crate::catalog::catalog`]).
pub fn compile_for_here(
    args: &SandboxArgs,
    fs: &dyn FsProbe,
    stores: bool,
) -> Result<(Target, Compiled, Vec<String>), Failure> {
    let catalog = crate::catalog::catalog(&args.plugins.plugin, stores);
    let policy = crate::policy::build(args, &catalog)?;
    let env = resolve_env()?;
    if stores {
        create_declared_caches(&policy, &env);
    }
    // Whether the mount layer can be had is asked (a child process tries
    // it) only when the policy has something for it: compiled first as if
    // it could, and again without it if the answer is no.
    let mut target = Target {
        kernel_abi: nono_enforce::landlock_state().abi(),
        abi_limit: args.abi.map(Abi),
        user_namespaces: true,
    };
    let mut compiled = compile(&policy, &target, &env, fs).map_err(Failure::new)?;
    let wants_mounts =
        !compiled.ruleset.protected.is_empty() || !compiled.ruleset.layers.is_empty();
    if wants_mounts && !nono_enforce::mount_namespace_support() {
        target.user_namespaces = false;
        compiled = compile(&policy, &target, &env, fs).map_err(Failure::new)?;
    }
    Ok((target, compiled, catalog.plugin_notes()))
}

/// Makes each missing directory that a `layer: Private` grant declares (a
/// toolchain's cache on first use: `~/.cargo`, `~/.cache/go-build`,
/// `~/.npm`), owned by the user, before the run, as the tool itself would:
/// inside the sandbox its parent is not writable. Only below the home, or
/// below a directory that a variable of the grant (set by the user) names.
fn create_declared_caches(policy: &nono_model::Policy, env: &ResolveEnv) {
    let home = env.home.as_ref().and_then(|h| h.canonicalize().ok());
    for pg in &policy.grants {
        if pg.grant.layer != nono_model::Layer::Private {
            continue;
        }
        let Ok(expanded) = nono_compile::expand(&pg.grant.path, env) else {
            continue;
        };
        let path = env.cwd.join(expanded);
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        // The directories the variables in the path name, where the user
        // set them (`${GOCACHE:-${XDG_CACHE_HOME:-~/.cache}/go-build}`:
        // GOCACHE, XDG_CACHE_HOME).
        let declared: Vec<PathBuf> = pg
            .grant
            .path
            .split('$')
            .skip(1)
            .filter_map(|rest| {
                let name = rest
                    .trim_start_matches('{')
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()?;
                env.vars.get(name).filter(|v| !v.is_empty())
            })
            .map(|v| env.cwd.join(v))
            .collect();
        let Some(existing) = path.ancestors().find(|a| a.exists()) else {
            continue;
        };
        let Ok(real) = existing.canonicalize() else {
            continue;
        };
        // Below the home once links are resolved (a link planted there by
        // an earlier run cannot send it elsewhere), or below what the user
        // declared, as written.
        let inside = home.as_ref().is_some_and(|h| real.starts_with(h))
            || declared.iter().any(|d| path.starts_with(d));
        if !inside {
            tracing::debug!(
                "not making {} (outside the home and the declared variable, or reached through a link)",
                path.display()
            );
            continue;
        }
        // A cache that cannot be made stays skipped, as an optional grant
        // on a missing path is (and `-v` names it with its fix).
        if let Err(e) = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&path)
        {
            tracing::debug!(
                "cannot make the {} cache {}: {e}",
                pg.source,
                path.display()
            );
            continue;
        }
        tracing::debug!("made the declared cache {}", path.display());
    }
}

/// What the command's System V IPC is, for `-v`.
fn ipc_line(policy: SysvIpc, ipc: &IpcIsolation) -> String {
    match (ipc, policy) {
        (IpcIsolation::Shared { .. }, SysvIpc::PrivateOrRefused) => {
            format!("refused: {ipc}")
        }
        (IpcIsolation::Shared { .. }, SysvIpc::PrivateOrShared) => {
            format!("the host's objects, allowed by --allow-sysv-ipc: {ipc}")
        }
        _ => format!("{ipc}: the command's own objects, none of the host's"),
    }
}

fn gaps_line(compiled: &Compiled) -> String {
    compiled
        .gaps
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs `nono run`. On success this never returns: the process becomes the
/// command.
pub fn run(args: RunArgs) -> Result<(), Failure> {
    if args.json && !args.dry_run {
        return Err(Failure::new(
            "--json works only with --dry-run (nono run --dry-run --json ... prints the policy as JSON); a run prints no JSON",
        ));
    }
    // One memo of lookups for the compiler and the warnings after it, which
    // look at the home and PATH's directories the compiler mostly saw.
    let fs = Memo::new(&RealFs);
    // A dry run changes nothing on disk: not even the plugin cache.
    let (target, compiled, plugin_notes) = compile_for_here(&args.sandbox, &fs, !args.dry_run)?;
    let mut env = nono_compile::scrub_env(std::env::vars_os(), &crate::policy::env_policy(&args)?);
    // The marker a program (or an agent's prompt) checks to know it runs
    // inside nono; a hint, not a proof, since anyone can set it.
    env.vars.retain(|(name, _)| name != SANDBOX_MARKER);
    env.vars.push((SANDBOX_MARKER.into(), "1".into()));
    // Printed once nothing but the run (or the dry run) itself can fail
    // any more, so that an error stays one line.
    let warn = || {
        let around = crate::advice::Surroundings::from_env(&fs);
        for warning in crate::advice::dangerous_grants(&compiled.resolved, &around) {
            eprintln!("nono: WARNING: {}", crate::failure::one_line(&warning));
        }
    };
    let program = if args.command.is_empty() {
        None
    } else {
        Some(exec::find(&args.command)?)
    };
    if args.dry_run {
        warn();
        return output::dry_run(&args, &target, &compiled, program.as_ref(), &env.removed);
    }
    let Some(program) = program else {
        return Err(Failure::new("no command given"));
    };

    match compiled.predicted {
        EnforcementStatus::NotEnforced if !args.allow_unsandboxed => {
            return Err(Failure::new(
                "Landlock is not available on this kernel, so nothing can be enforced; see 'nono check', or pass --allow-unsandboxed to run the command unconfined",
            ));
        }
        EnforcementStatus::PartiallyEnforced if args.strict => {
            return Err(Failure::new(format!(
                "--strict: the sandbox would only be PartiallyEnforced at Landlock ABI {}: {}",
                compiled.ruleset.abi,
                gaps_line(&compiled)
            )));
        }
        EnforcementStatus::NotEnforced if args.strict => {
            return Err(Failure::new(
                "--strict: Landlock is not available, nothing would be enforced",
            ));
        }
        _ => {}
    }
    warn();

    if compiled.ruleset.log_new_exec {
        let audit = crate::check::audit(Some(compiled.ruleset.abi));
        if !audit.reachable {
            eprintln!("nono: warning: --log-denials: {}", audit.detail);
        }
    }
    // Whether nono runs with capabilities (as root), asked before the IPC
    // namespace is made: a new user namespace gives a process every
    // capability inside it, which is not root's.
    let privileged = nono_enforce::has_capabilities();
    // As root, the private IPC namespace is made now, while nono still has
    // CAP_SYS_ADMIN (the supervisor forked below shares it; it uses no
    // System V IPC). Otherwise `apply` makes it in the command's process
    // alone, so that where it takes a new user namespace the supervisor
    // stays in the user's. `apply` builds the seccomp filter from what was
    // done.
    if let (true, Some(guard)) = (privileged, &compiled.ruleset.syscall_guard) {
        nono_enforce::isolate_ipc(guard.sysv_ipc)
            .map_err(|e| Failure::new(format!("cannot apply the sandbox: {e}")))?;
    }
    // The mount layer now, before anything is confined: as root while nono
    // has CAP_SYS_ADMIN, otherwise in a new user namespace; and before the
    // supervisor is forked, since the supervisor's Landlock domain (which
    // the command's process inherits) forbids every mount. The supervisor
    // shares the namespace, so what it does on the command's behalf meets
    // the same read-only binds.
    for layer in &compiled.ruleset.layers {
        for dir in [&layer.upper, &layer.work] {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| {
                    Failure::new(format!(
                        "cannot make the private layer's directory {}: {e}",
                        dir.display()
                    ))
                })?;
        }
    }
    nono_enforce::protect_paths(&compiled.ruleset)
        .map_err(|e| Failure::new(format!("cannot apply the sandbox: {e}")))?;
    // Root keeps capabilities that walk around Landlock (a kernel module, raw
    // sockets, mknod): drop them all, and lock the secure bits so that
    // executing a program as uid 0 gives none back.
    let dropped_caps = if args.keep_caps {
        if privileged {
            eprintln!(
                "nono: WARNING: --keep-caps: the command keeps its capabilities and may walk around the sandbox"
            );
        }
        false
    } else if privileged {
        nono_enforce::drop_capabilities()
            .map_err(|e| Failure::new(format!("cannot apply the sandbox: {e}")))?;
        true
    } else {
        false
    };
    // The supervisor stays outside: fork before anything is applied here.
    // Without Landlock there is nothing for it to uphold.
    let supervised = compiled.predicted != EnforcementStatus::NotEnforced
        && !compiled.ruleset.supervision.is_empty();
    // --net-allow: the proxy's socket is bound now, so that its port is in
    // the command's Landlock rule, the supervisor's destination check and
    // the command's environment.
    let mut compiled = compiled;
    let proxy = match (&compiled.ruleset.proxy, supervised) {
        (Some(_), true) => {
            let listener = nono_proxy::bind()
                .map_err(|e| Failure::new(format!("cannot start nono's proxy: {e}")))?;
            let port = listener
                .local_addr()
                .map_err(|e| Failure::new(format!("cannot start nono's proxy: {e}")))?
                .port();
            nono_compile::with_proxy_port(&mut compiled.ruleset, port);
            nono_compile::point_at_proxy(&mut env.vars, port);
            Some(crate::supervise::ProxyStart {
                listener,
                log: args.verbose > 0,
            })
        }
        _ => None,
    };
    let start = Start {
        args: &args,
        compiled: &compiled,
        program: &program,
        env: &env,
        plugin_notes: &plugin_notes,
        dropped_caps,
    };
    if supervised {
        return crate::supervise::spawn(&compiled.ruleset, proxy, |handoff| {
            start.confine_and_exec(Some(handoff))
        });
    }
    Err(start.confine_and_exec(None))
}

/// What the command's process needs once the supervisor is forked: the
/// run as compiled, and what `-v` reports.
struct Start<'a> {
    args: &'a RunArgs,
    compiled: &'a Compiled,
    program: &'a exec::Program,
    env: &'a nono_compile::EnvOutcome,
    plugin_notes: &'a [String],
    dropped_caps: bool,
}

impl Start<'_> {
    /// Applies the sandbox (and, when supervised, hands the listener to the
    /// supervisor), reports, and executes the command; returns only why it
    /// could not.
    fn confine_and_exec(&self, handoff: Option<crate::supervise::Handoff>) -> Failure {
        match self.try_confine_and_exec(handoff) {
            Err(failure) => failure,
            Ok(never) => match never {},
        }
    }

    fn try_confine_and_exec(
        &self,
        handoff: Option<crate::supervise::Handoff>,
    ) -> Result<std::convert::Infallible, Failure> {
        let Start {
            args,
            compiled,
            program,
            env,
            plugin_notes,
            dropped_caps,
        } = *self;
        let cannot_apply = |e| Failure::new(format!("cannot apply the sandbox: {e}"));
        let (report, handed) = match handoff {
            // The guard and the supervisor's calls in one filter.
            Some(handoff) => {
                let (report, judged) =
                    nono_enforce::apply_judged(&compiled.ruleset, handoff.judged_by())
                        .map_err(cannot_apply)?;
                (report, Some((handoff, judged)))
            }
            None => (
                nono_enforce::apply(&compiled.ruleset).map_err(cannot_apply)?,
                None,
            ),
        };
        let mut status = report.status.min(compiled.predicted);
        let mut gaps = gaps_line(compiled);
        let mut supervisor_gaps = Vec::new();
        if let Some((handoff, judged)) = handed {
            let shared_terminal = handoff.shared_terminal().map(str::to_owned);
            if handoff.hand_over(judged)? == crate::supervise::Supervised::Nested {
                supervisor_gaps.push("supervise: nono already runs under a supervisor, which judges Unix sockets, metadata and inotify by its own policy, not this one".to_owned());
            }
            supervisor_gaps.extend(shared_terminal);
        }
        for gap in supervisor_gaps {
            if args.strict {
                return Err(Failure::new(format!("--strict: {gap}")));
            }
            status = status.min(EnforcementStatus::PartiallyEnforced);
            gaps = if gaps.is_empty() {
                gap
            } else {
                format!("{gaps}; {gap}")
            };
        }
        tracing::debug!(?report, "sandbox applied");
        if args.verbose > 0 {
            eprintln!("Sandbox status: {status}");
            if dropped_caps {
                eprintln!(
                    "nono: dropped every capability and locked the secure bits (running as root; --keep-caps keeps them)"
                );
            }
            for note in plugin_notes {
                eprintln!("nono: {note}");
            }
            for note in &compiled.notes {
                eprintln!("nono: note: {note}");
            }
            for gone in &report.vanished {
                eprintln!(
                    "nono: note: {} was listed in a carved directory but was gone or replaced when the sandbox started; it gets no rule",
                    gone.display()
                );
            }
            for carve in &compiled.carves {
                eprintln!("nono: carved {carve}");
            }
            let here = resolve_env()?;
            let missing =
                crate::advice::missing_optional(&compiled.resolved, &here, &compiled.ruleset);
            for m in missing.iter().filter(|m| m.fix.is_some()) {
                eprintln!(
                    "nono: note: skipped {}",
                    crate::failure::one_line(&m.to_string())
                );
            }
            let absent: Vec<String> = missing
                .iter()
                .filter(|m| m.fix.is_none())
                .map(|m| m.path.display().to_string())
                .collect();
            if !absent.is_empty() {
                eprintln!(
                    "nono: note: skipped, not on this machine: {}",
                    crate::failure::one_line(&absent.join(" "))
                );
            }
            if let Some(mounts) = &report.mounts {
                eprintln!(
                    "nono: protected {} paths with read-only binds and {} private layers in a private mount namespace{}",
                    mounts.bound,
                    mounts.layers,
                    if mounts.in_user_namespace {
                        " (in a new user namespace)"
                    } else {
                        ""
                    }
                );
                for made in &mounts.created {
                    eprintln!(
                        "nono: note: made {} (missing) to protect it",
                        made.display()
                    );
                }
            }
            if let (Some(guard), Some(ipc)) = (&compiled.ruleset.syscall_guard, &report.ipc) {
                eprintln!("nono: System V IPC: {}", ipc_line(guard.sysv_ipc, ipc));
            }
            if let Some(proxy) = &compiled.ruleset.proxy {
                let hosts: Vec<String> = proxy.hosts.iter().map(ToString::to_string).collect();
                eprintln!(
                    "nono: proxy on 127.0.0.1:{} admits: {}",
                    proxy.port,
                    hosts.join(" ")
                );
            }
            if !env.removed.is_empty() {
                eprintln!(
                    "nono: removed from the environment: {}",
                    env.removed.join(" ")
                );
            }
        }
        if let (Some(guard), Some(IpcIsolation::Shared { reason })) =
            (&compiled.ruleset.syscall_guard, &report.ipc)
            && guard.sysv_ipc == SysvIpc::PrivateOrShared
        {
            eprintln!(
                "nono: WARNING: --allow-sysv-ipc: no private IPC namespace here ({reason}); the command can reach the host's System V IPC objects"
            );
        }
        for unprotected in &args.sandbox.unprotect {
            eprintln!(
                "nono: WARNING: --unprotect {}: writable on purpose; what the command writes there may run later outside the sandbox",
                nono_model::grant_text(unprotected.as_encoded_bytes())
            );
        }
        for exposed in &args.sandbox.expose {
            eprintln!(
                "nono: WARNING: --expose {}: granted on purpose, not carved out even if sensitive",
                nono_model::grant_text(exposed.as_encoded_bytes())
            );
        }
        match status {
            EnforcementStatus::FullyEnforced => {}
            EnforcementStatus::PartiallyEnforced => {
                if args.strict {
                    return Err(Failure::new(format!(
                        "--strict: the kernel reports the sandbox only PartiallyEnforced: {gaps}"
                    )));
                }
                eprintln!(
                    "nono: warning: sandbox PartiallyEnforced at Landlock ABI {}: {gaps}",
                    compiled.ruleset.abi
                );
            }
            EnforcementStatus::NotEnforced => {
                if args.strict || !args.allow_unsandboxed {
                    return Err(Failure::new(
                        "the kernel enforced nothing; refusing to run the command (see 'nono check')",
                    ));
                }
                eprintln!(
                    "nono: WARNING: Landlock is unavailable: running {} with NO sandbox (--allow-unsandboxed)",
                    program.path.display()
                );
            }
        }
        let sandbox = (status != EnforcementStatus::NotEnforced).then_some(&compiled.ruleset);
        Err(exec::exec(program, sandbox, &env.vars))
    }
}
