//! Applying a ruleset with the `landlock` crate.

use crate::ipc::{IpcError, IpcIsolation, isolate_ipc};
use crate::mounts::{MountError, MountLayer, protect_paths};
use crate::notify::{Judged, JudgedBy};
use crate::rights::{fs_flags, net_flags, scope_flags};
use crate::seccomp::{self, FilterError, GuardCode, Handing};
use crate::{LandlockState, landlock_state};
use landlock::{
    CompatLevel, Compatible, NetPort, PathBeneath, RestrictSelfAttr, Ruleset as LlRuleset,
    RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus,
};
use nono_model::{Abi, EnforcementStatus, FsRight, NetRights, PortRule, Ruleset};
use std::fs::File;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What the kernel enforced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The kernel's own answer, in nono's words.
    pub status: EnforcementStatus,
    /// The kernel's Landlock ABI, if any.
    pub kernel_abi: Option<Abi>,
    /// Whether `no_new_privs` is set (setuid binaries cannot gain rights).
    pub no_new_privs: bool,
    /// How many path rules were added.
    pub rules: usize,
    /// Entries of carved directories that were gone, or were another file,
    /// when the sandbox was applied: their rules were skipped (see
    /// `PathRule::listed`).
    pub vanished: Vec<PathBuf>,
    /// Whether a seccomp filter (socket filter, syscall guard) is installed.
    pub seccomp: bool,
    /// What was done with the IPC namespace, when the ruleset has a
    /// syscall guard (which decides System V IPC).
    pub ipc: Option<IpcIsolation>,
    /// Whether every thread of the process was restricted at once
    /// (`LANDLOCK_RESTRICT_SELF_TSYNC`, ABI 8).
    pub all_threads: bool,
    /// What the mount layer did (binds over the protected paths), if the
    /// ruleset has any.
    pub mounts: Option<MountLayer>,
}

/// Why a ruleset could not be applied. Nothing is enforced when this is
/// returned, and the caller must not run the command.
#[derive(Debug, thiserror::Error)]
pub enum EnforceError {
    /// A rule's path could not be opened.
    #[error("cannot open {path} for its rule: {source}")]
    Open {
        /// The rule's path.
        path: PathBuf,
        /// The kernel's answer.
        source: std::io::Error,
    },
    /// A rule's path is no longer the file that was resolved.
    #[error(
        "{path} changed since it was resolved (device/inode {expected:?} became {found:?}); refusing to grant it"
    )]
    Changed {
        /// The rule's path.
        path: PathBuf,
        /// The recorded `(dev, ino)`.
        expected: (u64, u64),
        /// What is there now.
        found: (u64, u64),
    },
    /// The ruleset needs a newer ABI than the kernel has.
    #[error("the ruleset needs Landlock ABI {wanted} but the kernel has {kernel}")]
    AbiTooNew {
        /// The ruleset's ABI.
        wanted: Abi,
        /// The kernel's ABI.
        kernel: Abi,
    },
    /// The kernel refused the ruleset.
    #[error("Landlock refused the ruleset: {0}")]
    Landlock(#[from] landlock::RulesetError),
    /// `no_new_privs` could not be set.
    #[error("cannot set no_new_privs: {0}")]
    NoNewPrivs(#[source] std::io::Error),
    /// The seccomp filter could not be built or installed. Landlock may
    /// already be applied; the command must not run.
    #[error(transparent)]
    Seccomp(#[from] FilterError),
    /// The new user namespace for a private IPC namespace could not be set
    /// up; the command must not run.
    #[error(transparent)]
    Ipc(#[from] IpcError),
    /// The mount layer could not be set up; the command must not run.
    #[error(transparent)]
    Mount(#[from] MountError),
}

impl EnforceError {
    /// Whether the error says a rule's path is gone or is now another file
    /// (rather than that it could not be opened for another reason).
    pub fn is_vanished(&self) -> bool {
        match self {
            EnforceError::Open { source, .. } => matches!(
                source.raw_os_error(),
                Some(libc::ENOENT | libc::ENOTDIR | libc::ELOOP)
            ),
            EnforceError::Changed { .. } => true,
            _ => false,
        }
    }
}

/// Sets `no_new_privs`, which an unprivileged process needs before it may
/// install a seccomp filter.
fn set_no_new_privs() -> Result<(), EnforceError> {
    rustix::thread::set_no_new_privs(true).map_err(|e| EnforceError::NoNewPrivs(e.into()))
}

/// Opens a rule's path `O_PATH | O_NOFOLLOW | O_CLOEXEC`: the file itself,
/// never what a link there points to.
fn open_rule_path(path: &Path) -> Result<File, EnforceError> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|source| EnforceError::Open {
            path: path.to_path_buf(),
            source,
        })
}

/// Opens a rule's path (see [`open_rule_path`]) and checks it is still the
/// `(dev, ino)` that was resolved.
fn open_checked(path: &Path, dev: u64, ino: u64) -> Result<File, EnforceError> {
    let file = open_rule_path(path)?;
    let meta = file.metadata().map_err(|source| EnforceError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let found = (meta.dev(), meta.ino());
    if found != (dev, ino) {
        return Err(EnforceError::Changed {
            path: path.to_path_buf(),
            expected: (dev, ino),
            found,
        });
    }
    Ok(file)
}

/// Opens a rule's path at or below a private layer, which is now in the
/// overlay mounted over it (another device, so the recorded `(dev, ino)`
/// cannot match): checks that what is there is in an overlay, mounted by
/// nono in this process's own mount namespace before anything else could
/// run.
fn open_layered(path: &Path) -> Result<File, EnforceError> {
    const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c_7630;
    let file = open_rule_path(path)?;
    let fs = rustix::fs::fstatfs(&file).map_err(|e| EnforceError::Open {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    let magic = fs.f_type as i64;
    if magic != OVERLAYFS_SUPER_MAGIC {
        return Err(EnforceError::Open {
            path: path.to_path_buf(),
            source: std::io::Error::other("the private layer is not mounted there"),
        });
    }
    Ok(file)
}

/// Applies `ruleset` to the calling thread, permanently, and sets
/// `no_new_privs`; with a syscall guard, first gives the process a private
/// IPC namespace where the guard's System V policy allows one here (see
/// [`isolate_ipc`]).
///
/// Every path is opened and checked before anything irreversible happens:
/// each rule's path is opened, checked and added to the new ruleset, then
/// closed, one at a time (so a ruleset of any size needs two descriptors,
/// not one per rule, and stays within `RLIMIT_NOFILE`); only then does the
/// thread restrict itself. An error leaves the process unrestricted (if
/// perhaps in its private IPC namespace) and the caller must not run the
/// command. Without Landlock only the seccomp filter is applied and the
/// report says `NotEnforced`. Every handled right is a hard requirement: the kernel
/// enforces all of the ruleset or the call fails.
pub fn apply(ruleset: &Ruleset) -> Result<Report, EnforceError> {
    apply_with(ruleset, None).map(|(report, _)| report)
}

/// Applies `ruleset` as [`apply`] does, and hands the calls `judge` answers
/// to it in the same seccomp filter as the syscall guard: one filter for
/// the kernel to check, compile and run instead of two. With
/// [`JudgedBy::Supervisor`], the filter's listener is returned for the
/// supervisor ([`Judged::Listener`]), or [`Judged::Nested`] when the process
/// already has a listening filter (the kernel allows one; the guard is then
/// installed without the hand-over). Both programs are built before
/// anything irreversible happens.
pub fn apply_judged(ruleset: &Ruleset, judge: JudgedBy) -> Result<(Report, Judged), EnforceError> {
    apply_with(ruleset, Some(judge))
}

/// The seccomp programs of one application, built before anything
/// irreversible happens.
struct Filters {
    /// The guard, with the judged calls handed on.
    program: Option<seccompiler::BpfProgram>,
    /// Whether `program` hands calls to a supervisor's listener.
    listening: bool,
    /// The guard alone, for a process that already has a listener.
    guard_alone: Option<seccompiler::BpfProgram>,
}

impl Filters {
    fn build(
        ruleset: &Ruleset,
        ipc: Option<&IpcIsolation>,
        judge: Option<JudgedBy>,
    ) -> Result<Filters, EnforceError> {
        let judge = judge.filter(|j| !j.calls().is_empty());
        let handing = judge.map_or_else(Handing::nothing, JudgedBy::handing);
        let listening = matches!(judge, Some(JudgedBy::Supervisor(_)));
        // seccompiler's work is done once for both programs.
        let guard = GuardCode::compile(ruleset, ipc)?;
        Ok(Filters {
            program: guard.program(&handing)?,
            listening,
            guard_alone: if listening {
                guard.program(&Handing::nothing())?
            } else {
                None
            },
        })
    }

    /// Installs the filter; says whether one was installed, and what became
    /// of the judged calls.
    fn install(self) -> Result<(bool, Judged), EnforceError> {
        let Some(program) = self.program else {
            return Ok((false, Judged::Refused));
        };
        if !self.listening {
            seccomp::install_compiled(&program)?;
            return Ok((true, Judged::Refused));
        }
        if let Some(listener) = seccomp::install_listening(&program)? {
            return Ok((true, Judged::Listener(listener)));
        }
        let installed = match &self.guard_alone {
            Some(guard) => {
                seccomp::install_compiled(guard)?;
                true
            }
            None => false,
        };
        Ok((installed, Judged::Nested))
    }
}

fn apply_with(
    ruleset: &Ruleset,
    judge: Option<JudgedBy>,
) -> Result<(Report, Judged), EnforceError> {
    let _span = tracing::debug_span!("apply", abi = %ruleset.abi).entered();
    // The IPC namespace first: it decides whether the filter refuses
    // System V IPC. Without an earlier `isolate_ipc` (before capabilities
    // were dropped), this is where it happens.
    let ipc = match &ruleset.syscall_guard {
        Some(guard) => Some(isolate_ipc(guard.sysv_ipc)?),
        None => None,
    };
    // The mount layer next, inside that user namespace if one was made,
    // and before any rule is opened: a rule must name the inode the
    // command will see.
    let mounts = protect_paths(ruleset)?;
    // Build the filter before anything irreversible happens.
    let filters = Filters::build(ruleset, ipc.as_ref(), judge)?;
    let kernel = match landlock_state() {
        LandlockState::Available(abi) => abi,
        state @ (LandlockState::NotEnabled | LandlockState::NotImplemented) => {
            // Without Landlock the seccomp filter still holds what it can.
            if filters.program.is_some() {
                set_no_new_privs()?;
            }
            let (seccomp, judged) = filters.install()?;
            tracing::debug!("no Landlock ({state:?}); seccomp filter installed: {seccomp}");
            let report = Report {
                status: EnforcementStatus::NotEnforced,
                kernel_abi: None,
                no_new_privs: seccomp,
                rules: 0,
                vanished: Vec::new(),
                seccomp,
                ipc,
                all_threads: false,
                mounts,
            };
            return Ok((report, judged));
        }
    };
    if ruleset.abi > kernel {
        return Err(EnforceError::AbiTooNew {
            wanted: ruleset.abi,
            kernel,
        });
    }
    let mut created = landlock_layer(ruleset)?;
    tracing::debug!(
        "ruleset created: handled fs {}; handled net {}; scoped {}",
        ruleset.handled_fs,
        ruleset.handled_net,
        ruleset.scoped
    );
    let mut vanished = Vec::new();
    for rule in &ruleset.rules {
        let layered = ruleset
            .layers
            .iter()
            .any(|l| rule.path.starts_with(&l.path));
        let opened = if layered && mounts.is_some() {
            open_layered(&rule.path)
        } else {
            open_checked(&rule.path, rule.dev, rule.ino)
        };
        let fd = match opened {
            Ok(fd) => fd,
            Err(e) if rule.listed && e.is_vanished() => {
                tracing::debug!("skipped the vanished entry {}: {e}", rule.path.display());
                vanished.push(rule.path.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        // The descriptor is closed as soon as the rule is added.
        created = created.add_rule(PathBeneath::new(fd, fs_flags(rule.rights)))?;
    }
    // ResolveUnix (ABI 9) on the `--allow-unix` paths, as rules of their
    // own (the kernel merges rules on the same file); it applies to a file
    // (the socket itself) as to a directory.
    for unix in &ruleset.unix_rules {
        let fd = open_checked(&unix.path, unix.dev, unix.ino)?;
        created = created.add_rule(PathBeneath::new(fd, fs_flags(FsRight::ResolveUnix.into())))?;
    }
    if ruleset.log_new_exec {
        created = created.log_new_exec(true)?;
    }
    if ruleset.all_threads {
        created = created.all_threads(true)?;
    }
    tracing::debug!(
        "added {} path rules ({} vanished), {} unix socket rules, {} port rules",
        ruleset.rules.len() - vanished.len(),
        vanished.len(),
        ruleset.unix_rules.len(),
        ruleset.port_rules.len()
    );
    let status = created.restrict_self()?;
    tracing::debug!(
        "restricted: {:?}, no_new_privs {}",
        status.ruleset,
        status.no_new_privs
    );
    // Landlock set no_new_privs, which seccomp requires of an unprivileged
    // caller.
    let (seccomp, judged) = filters.install()?;
    tracing::debug!("seccomp filter installed: {seccomp}; handed calls: {judged:?}");
    let report = Report {
        status: match status.ruleset {
            RulesetStatus::FullyEnforced => EnforcementStatus::FullyEnforced,
            RulesetStatus::PartiallyEnforced => EnforcementStatus::PartiallyEnforced,
            RulesetStatus::NotEnforced => EnforcementStatus::NotEnforced,
        },
        kernel_abi: Some(kernel),
        no_new_privs: status.no_new_privs,
        rules: ruleset.rules.len() - vanished.len(),
        vanished,
        seccomp,
        ipc,
        all_threads: status.all_threads,
        mounts,
    };
    Ok((report, judged))
}

/// Confines the calling process as nono's supervisor: a Landlock domain
/// with `ruleset`'s network rules and scopes. Calls made on the command's
/// behalf are then checked by the kernel against the command's own ports
/// and scopes, and the command's domain, created after `fork`, is nested in
/// this one. The filesystem is not restricted (the supervisor resolves and
/// judges paths for the command), but its rights are handled and granted
/// on `/`: a layer that handles no filesystem right still refuses to move
/// files between directories (Landlock treats Refer as always handled),
/// which would break `mv` inside the command's writable trees. Nothing
/// happens without Landlock.
pub fn confine_supervisor(ruleset: &Ruleset) -> Result<(), EnforceError> {
    if !matches!(landlock_state(), LandlockState::Available(_)) || ruleset.handled_fs.is_empty() {
        return Ok(());
    }
    let root = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open("/")
        .map_err(|source| EnforceError::Open {
            path: PathBuf::from("/"),
            source,
        })?;
    let mut created =
        landlock_layer(ruleset)?.add_rule(PathBeneath::new(root, fs_flags(ruleset.handled_fs)))?;
    for rule in proxy_port_rules(ruleset) {
        created = created.add_rule(NetPort::new(rule.port, net_flags(rule.rights)))?;
    }
    if ruleset.all_threads {
        created = created.all_threads(true)?;
    }
    created.restrict_self()?;
    Ok(())
}

/// What nono's proxy (in the supervisor) needs beyond the command's port
/// rules: TCP connect to every allowed host's port, and DNS (TCP and, where
/// Landlock handles UDP, UDP to port 53 and the ephemeral bind a resolver's
/// socket takes). The command's own domain, nested in the supervisor's,
/// has none of them; the supervisor's destination check keeps the calls
/// it makes for the command from using them.
fn proxy_port_rules(ruleset: &Ruleset) -> Vec<PortRule> {
    let Some(proxy) = &ruleset.proxy else {
        return Vec::new();
    };
    let handled = ruleset.handled_net;
    let mut rules = Vec::new();
    let mut ports = proxy.upstream_ports();
    ports.insert(53);
    for port in ports {
        let mut rights = NetRights::EMPTY;
        if handled.contains(NetRights::CONNECT_TCP) {
            rights |= NetRights::CONNECT_TCP;
        }
        if port == 53 && handled.contains(NetRights::CONNECT_SEND_UDP) {
            rights |= NetRights::CONNECT_SEND_UDP;
        }
        if !rights.is_empty() {
            rules.push(PortRule { port, rights });
        }
    }
    if handled.contains(NetRights::BIND_UDP) {
        rules.push(PortRule {
            port: 0,
            rights: NetRights::BIND_UDP,
        });
    }
    rules
}

/// A new Landlock domain-to-be that handles `ruleset`'s filesystem and
/// network rights and scopes (each a hard requirement), with its port
/// rules added; the caller adds the path rules.
fn landlock_layer(ruleset: &Ruleset) -> Result<RulesetCreated, EnforceError> {
    let mut builder = LlRuleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(fs_flags(ruleset.handled_fs))?;
    if !ruleset.handled_net.is_empty() {
        builder = builder.handle_access(net_flags(ruleset.handled_net))?;
    }
    if !ruleset.scoped.is_empty() {
        builder = builder.scope(scope_flags(ruleset.scoped))?;
    }
    let mut created = builder.create()?;
    for port in &ruleset.port_rules {
        created = created.add_rule(NetPort::new(port.port, net_flags(port.rights)))?;
    }
    Ok(created)
}
