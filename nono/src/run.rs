//! `nono run`: policy, compile, gate on the status, enforce, exec.

use crate::cli::{RunArgs, SandboxArgs};
use crate::exec;
use crate::failure::Failure;
use crate::output;
use nono_compile::{Compiled, RealFs, ResolveEnv, Target, compile};
use nono_model::{Abi, EnforcementStatus};

/// The environment paths are resolved in: this process's.
pub fn resolve_env() -> Result<ResolveEnv, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::new(format!("cannot read the working directory: {e}")))?;
    Ok(ResolveEnv::new(cwd).with_vars(
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
    ))
}

/// Compiles the policy `args` describe for this kernel. Also returns one
/// line per plugin loaded, saying whether its presets came from the cache.
pub fn compile_for_here(args: &SandboxArgs) -> Result<(Target, Compiled, Vec<String>), Failure> {
    let catalog = crate::catalog::catalog(&args.plugins.plugin);
    let policy = crate::policy::build(args, &catalog)?;
    let env = resolve_env()?;
    let target = Target {
        kernel_abi: nono_enforce::landlock_state().abi(),
        abi_limit: args.abi.map(Abi),
    };
    let compiled = compile(&policy, &target, &env, &RealFs).map_err(Failure::new)?;
    Ok((target, compiled, catalog.plugin_notes()))
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
    let (target, compiled, plugin_notes) = compile_for_here(&args.sandbox)?;
    let env = nono_compile::scrub_env(std::env::vars_os(), &crate::policy::env_policy(&args)?);
    let program = if args.command.is_empty() {
        None
    } else {
        Some(exec::find(&args.command)?)
    };
    if args.dry_run {
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

    if compiled.ruleset.log_new_exec {
        let audit = crate::check::audit(Some(compiled.ruleset.abi));
        if !audit.reachable {
            eprintln!("nono: warning: --log-denials: {}", audit.detail);
        }
    }
    // Root keeps capabilities that walk around Landlock (a kernel module, raw
    // sockets, mknod): drop them all, and lock the secure bits so that
    // executing a program as uid 0 gives none back.
    let dropped_caps = if args.keep_caps {
        if nono_enforce::has_capabilities() {
            eprintln!(
                "nono: WARNING: --keep-caps: the command keeps its capabilities and may walk around the sandbox"
            );
        }
        false
    } else if nono_enforce::has_capabilities() {
        nono_enforce::drop_capabilities()
            .map_err(|e| Failure::new(format!("cannot apply the sandbox: {e}")))?;
        true
    } else {
        false
    };
    // The supervisor stays outside: fork before anything is applied here.
    // Without Landlock there is nothing for it to uphold.
    let handoff = if compiled.predicted != EnforcementStatus::NotEnforced
        && !compiled.ruleset.supervision.is_empty()
    {
        Some(crate::supervise::fork(&compiled.ruleset)?)
    } else {
        None
    };
    let report = nono_enforce::apply(&compiled.ruleset)
        .map_err(|e| Failure::new(format!("cannot apply the sandbox: {e}")))?;
    let mut status = report.status.min(compiled.predicted);
    let mut gaps = gaps_line(&compiled);
    if let Some(handoff) = handoff
        && handoff.install()? == crate::supervise::Supervised::Nested
    {
        let gap = "supervise: nono already runs under a supervisor, which judges Unix sockets, metadata and inotify by its own policy, not this one";
        if args.strict {
            return Err(Failure::new(format!("--strict: {gap}")));
        }
        status = status.min(EnforcementStatus::PartiallyEnforced);
        gaps = if gaps.is_empty() {
            gap.to_owned()
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
        for note in &plugin_notes {
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
        if !env.removed.is_empty() {
            eprintln!(
                "nono: removed from the environment: {}",
                env.removed.join(" ")
            );
        }
    }
    for exposed in &args.sandbox.expose {
        eprintln!(
            "nono: WARNING: --expose {exposed}: granted on purpose, not carved out even if sensitive"
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
    Err(exec::exec(&program, sandbox, &env.vars))
}
