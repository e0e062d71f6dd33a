//! `nono check`: what this kernel can enforce.

use crate::failure::Failure;
use nono_compile::passes::{Host, PIPELINE};
use nono_enforce::{
    AuditState, LandlockState, audit_state, kernel_release, landlock_state, seccomp_available,
};
use nono_model::{Abi, Requirement};
use serde::Serialize;

#[derive(Serialize)]
struct Feature {
    name: &'static str,
    /// The Landlock ABI it needs; `None` for a pass that needs another
    /// layer (seccomp).
    abi: Option<u8>,
    linux: &'static str,
    enforceable: bool,
}

/// Whether Landlock's denial records reach an audit log here.
#[derive(Serialize)]
pub struct Audit {
    /// `unsupported`, `unknown`, `disabled` or `enabled`.
    pub state: &'static str,
    /// Whether `--log-denials` records anything here.
    pub reachable: bool,
    /// One sentence for the user.
    pub detail: String,
}

/// Reads the audit state and says what it means for `--log-denials` at
/// ABI `effective`.
pub fn audit(effective: Option<Abi>) -> Audit {
    let (state, reachable, detail) = match audit_state() {
        AuditState::Unsupported => (
            "unsupported",
            false,
            "the kernel has no audit support (CONFIG_AUDIT): denials cannot be logged".to_owned(),
        ),
        AuditState::Unknown(why) => (
            "unknown",
            false,
            format!("cannot read the audit status ({why}); the query needs CAP_AUDIT_CONTROL"),
        ),
        AuditState::Disabled => (
            "disabled",
            false,
            "audit is built in but disabled, so --log-denials records nothing; enable it with `auditctl -e 1`".to_owned(),
        ),
        AuditState::Enabled { daemon_pid: Some(pid) } => (
            "enabled",
            true,
            format!("enabled; the audit daemon (pid {pid}) receives the records"),
        ),
        AuditState::Enabled { daemon_pid: None } => (
            "enabled",
            true,
            "enabled, no audit daemon: records go to the kernel log (dmesg)".to_owned(),
        ),
    };
    let landlock_logs = effective.is_some_and(|abi| abi >= Abi::V7);
    let detail = if landlock_logs {
        detail
    } else {
        format!(
            "{detail}; Landlock logs denials only from ABI 7 (Linux {})",
            Abi::V7.linux()
        )
    };
    Audit {
        state,
        reachable: reachable && landlock_logs,
        detail,
    }
}

/// Whether the command can get a private IPC namespace here.
#[derive(Serialize)]
struct IpcNamespace {
    /// Directly, with CAP_SYS_ADMIN (as root): by default.
    direct: bool,
    /// In a new user namespace: with `--allow-sysv-ipc`.
    user_namespace: bool,
}

#[derive(Serialize)]
struct Check {
    kernel: String,
    landlock: &'static str,
    kernel_abi: Option<u8>,
    effective_abi: Option<u8>,
    features: Vec<Feature>,
    ipc_namespace: IpcNamespace,
    /// Whether the mount layer (protected paths) can be had here.
    mount_layer: bool,
    audit: Audit,
    hints: Vec<&'static str>,
}

const ENABLE_HINTS: [&str; 3] = [
    "the kernel must be built with CONFIG_SECURITY_LANDLOCK=y (Linux 5.13 or later)",
    "Landlock must be in the active LSM list: add landlock to the kernel's lsm= boot parameter, e.g. lsm=landlock,lockdown,yama,integrity,apparmor,bpf, then reboot",
    "check with: grep -w landlock /sys/kernel/security/lsm",
];

/// How to let nono make the user namespace its mount layer lives in.
const USERNS_HINTS: [&str; 3] = [
    "protected paths need a private mount namespace, which an ordinary user makes in a user namespace: allow them with sysctl -w kernel.unprivileged_userns_clone=1 (Debian and older Ubuntu kernels) and a user.max_user_namespaces above 0 (sysctl -w user.max_user_namespaces=15000)",
    "Ubuntu 23.10 and later restrict user namespaces with AppArmor (kernel.apparmor_restrict_unprivileged_userns=1): install nono's profile, packaging/apparmor/nono, as /etc/apparmor.d/nono and load it with apparmor_parser -r /etc/apparmor.d/nono",
    "until then, each run with a writable grant over a protected path is PartiallyEnforced (gap protect), and --strict refuses it",
];

/// Runs `nono check`.
pub fn check(json: bool) -> Result<(), Failure> {
    let state = landlock_state();
    let kernel_abi = state.abi();
    let effective = kernel_abi.map(|a| a.min(Abi::LATEST));
    let mount_layer = nono_enforce::mount_namespace_support();
    let mut hints = if kernel_abi.is_some() {
        Vec::new()
    } else {
        ENABLE_HINTS.to_vec()
    };
    if !mount_layer {
        hints.extend(USERNS_HINTS);
    }
    let out = Check {
        kernel: kernel_release(),
        landlock: match state {
            LandlockState::Available(_) => "available",
            LandlockState::NotEnabled => "not enabled at boot",
            LandlockState::NotImplemented => "not built into this kernel",
        },
        kernel_abi: kernel_abi.map(|a| a.0),
        effective_abi: effective.map(|a| a.0),
        features: PIPELINE
            .iter()
            .map(|p| match p.requires {
                Requirement::Landlock(abi) => Feature {
                    name: p.name,
                    abi: Some(abi.0),
                    linux: abi.linux(),
                    enforceable: effective.is_some_and(|e| e >= abi),
                },
                Requirement::Seccomp | Requirement::Supervisor => Feature {
                    name: p.name,
                    abi: None,
                    linux: "any",
                    enforceable: seccomp_available(),
                },
                Requirement::UserNamespaces => Feature {
                    name: p.name,
                    abi: None,
                    linux: "any",
                    enforceable: Host {
                        user_namespaces: mount_layer,
                        ..Host::landlock(effective.unwrap_or(Abi(0)))
                    }
                    .provides(p.requires),
                },
            })
            .collect(),
        ipc_namespace: {
            let support = nono_enforce::ipc_support();
            IpcNamespace {
                direct: support.direct,
                user_namespace: support.user_namespace,
            }
        },
        mount_layer,
        audit: audit(effective),
        hints,
    };
    if json {
        let text = serde_json::to_string_pretty(&out).map_err(Failure::new)?;
        crate::failure::emit(&format!("{text}\n"))?;
        return Ok(());
    }
    let mut buf = String::new();
    outln!(buf, "Kernel: Linux {}", out.kernel);
    match (kernel_abi, effective) {
        (Some(k), Some(e)) => {
            outln!(buf, "Landlock: available, ABI {k}");
            outln!(
                buf,
                "Effective ABI: {e} (nono lowers up to ABI {})",
                Abi::LATEST
            );
        }
        _ => outln!(buf, "Landlock: unavailable ({})", out.landlock),
    }
    outln!(buf, "Features:");
    for f in &out.features {
        let abi = f.abi.map_or("any".to_owned(), |a| a.to_string());
        outln!(
            buf,
            "  {:<16} ABI {:<3}  Linux {:<5}  {}",
            f.name,
            abi,
            f.linux,
            if f.enforceable { "yes" } else { "no" }
        );
    }
    let ipc = &out.ipc_namespace;
    outln!(
        buf,
        "System V IPC: {}",
        match (ipc.direct, ipc.user_namespace) {
            (true, _) => "a private IPC namespace for every run",
            (false, true) => {
                "refused by default; a private IPC namespace in a user namespace with --allow-sysv-ipc"
            }
            (false, false) => {
                "refused by default; the host's with --allow-sysv-ipc (no namespace can be made here)"
            }
        }
    );
    outln!(
        buf,
        "Mount layer (protected paths): {}",
        match (out.mount_layer, nono_enforce::has_capabilities()) {
            (true, true) => "a private mount namespace for every run",
            (true, false) => "a private mount namespace in a new user namespace",
            (false, _) => "unavailable: no user namespace can be made here (see the hints)",
        }
    );
    outln!(buf, "Audit log: {}", out.audit.detail);
    for hint in &out.hints {
        outln!(buf, "Hint: {hint}");
    }
    crate::failure::emit(&buf)
}
