//! The plugin helper, `nono __plugin-eval PATH DEV INO`: nono re-executed to
//! evaluate one plugin, and the sandbox it runs the plugin in.
//!
//! `nono_plugins` runs both sides of the evaluation (see
//! `nono_plugins::isolate`) but sandboxes nothing itself: this module hands
//! the helper its confinement ([`HelperSandbox`]), which the helper applies
//! after opening the plugin and before loading it.

use nono_compile::{RealFs, ResolveEnv, Target, compile};
use nono_model::{
    Access, EnforcementStatus, FsGrant, GrantSource, NetPolicy, Policy, SocketFilter,
};
use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};
use std::path::Path;

/// The hidden subcommand nono re-executes itself with to evaluate a plugin.
pub const PLUGIN_EVAL_SUBCOMMAND: &str = "__plugin-eval";

/// Runs the helper on the plugin at `path`, which must still be the file
/// `(dev, ino)` the parent checked. Never returns.
pub fn main(path: &Path, dev: u64, ino: u64) -> ! {
    nono_plugins::helper_main(path, dev, ino, HelperSandbox)
}

/// The plugin helper's sandbox: no core dumps, no capabilities, and a
/// Landlock ruleset of read-only `/` with the sensitive paths carved out, no
/// network, no sockets at all, scoped signals and abstract Unix sockets.
/// Without Landlock it refuses: nono does not run plugins unconfined.
struct HelperSandbox;

/// Why the helper could not be confined. Each is one line, said after
/// `plugin NAME (PATH): `, as before this moved here.
#[derive(Debug, thiserror::Error)]
enum ConfineError {
    /// The capabilities could not be dropped.
    #[error(transparent)]
    Capabilities(#[from] nono_enforce::CapsError),
    /// The helper's policy did not compile.
    #[error(transparent)]
    Compile(#[from] nono_compile::CompileError),
    /// The kernel refused the ruleset.
    #[error("cannot sandbox the plugin helper: {0}")]
    Apply(#[from] nono_enforce::EnforceError),
    /// The kernel has no Landlock.
    #[error(
        "cannot sandbox the plugin helper: Landlock is not available on this kernel (see 'nono check'), and nono does not run plugins unconfined"
    )]
    NotEnforced,
}

impl nono_plugins::Confine for HelperSandbox {
    type Error = ConfineError;

    fn confine(self) -> Result<(), ConfineError> {
        // A crash is expected now and then; it should not leave (or pipe
        // out) a core dump of a process that held the user's environment.
        // Neither call can fail on a process of its own; were one to, the
        // Landlock ruleset below still holds the plugin.
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        );
        nono_enforce::drop_capabilities()?;

        let mut policy = Policy::default();
        policy.add(
            FsGrant::new("/", Access::Read),
            GrantSource::Flag("plugin helper".into()),
        );
        policy.net = NetPolicy::Block;
        // The credentials, not nono's cache: the helper cannot write
        // anything anyway, and carving the cache out of `/` would give a
        // rule to every entry of `~/.cache`, a busy directory, where one
        // removed before the rules are applied would fail the evaluation.
        for path in nono_model::SENSITIVE_PATHS {
            policy.deny(path, GrantSource::Builtin("sensitive paths".into()));
        }
        crate::policy::deny_host_credentials(&mut policy);
        let target = Target {
            kernel_abi: nono_enforce::landlock_state().abi(),
            abi_limit: None,
            user_namespaces: false,
        };
        // The parent gave the helper no other variable than these (see
        // `nono_plugins::isolate`); taking only them here too keeps the
        // carve independent of whatever else might be set.
        let env = ResolveEnv::new("/").with_vars(
            nono_model::sensitive_path_vars()
                .into_iter()
                .filter_map(|name| Some((name.to_owned(), std::env::var(name).ok()?)))
                .collect(),
        );
        let mut ruleset = compile(&policy, &target, &env, &RealFs)?.ruleset;
        // Not even Unix sockets: below Landlock ABI 9 nothing else would
        // keep the plugin from connecting to, say, a container runtime's
        // socket.
        ruleset.socket_filter = Some(SocketFilter::NoSockets);
        // No supervisor judges the helper's calls: the ones a supervisor
        // would judge per path (metadata changes, inotify) are refused, in
        // the same filter as the guard.
        let (report, _) = nono_enforce::apply_judged(
            &ruleset,
            nono_enforce::JudgedBy::Nobody(nono_enforce::NotifiedCalls {
                sockets: true,
                metadata: true,
                inotify: true,
            }),
        )?;
        if report.status == EnforcementStatus::NotEnforced {
            return Err(ConfineError::NotEnforced);
        }
        Ok(())
    }
}
