//! `nono check`: what this kernel can enforce.

use crate::failure::Failure;
use nono_compile::passes::PIPELINE;
use nono_enforce::{LandlockState, kernel_release, landlock_state};
use nono_model::Abi;
use serde::Serialize;

#[derive(Serialize)]
struct Feature {
    name: &'static str,
    abi: u8,
    linux: &'static str,
    enforceable: bool,
}

#[derive(Serialize)]
struct Check {
    kernel: Option<String>,
    landlock: &'static str,
    kernel_abi: Option<u8>,
    effective_abi: Option<u8>,
    features: Vec<Feature>,
    hints: Vec<&'static str>,
}

const ENABLE_HINTS: [&str; 3] = [
    "the kernel must be built with CONFIG_SECURITY_LANDLOCK=y (Linux 5.13 or later)",
    "Landlock must be in the active LSM list: add landlock to the kernel's lsm= boot parameter, e.g. lsm=landlock,lockdown,yama,integrity,apparmor,bpf, then reboot",
    "check with: grep -w landlock /sys/kernel/security/lsm",
];

/// Runs `nono check`.
pub fn check(json: bool) -> Result<(), Failure> {
    let state = landlock_state();
    let kernel_abi = state.abi();
    let effective = kernel_abi.map(|a| a.min(Abi::LATEST));
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
            .map(|p| Feature {
                name: p.name,
                abi: p.since.0,
                linux: p.since.linux(),
                enforceable: effective.is_some_and(|e| e >= p.since),
            })
            .collect(),
        hints: if kernel_abi.is_some() {
            Vec::new()
        } else {
            ENABLE_HINTS.to_vec()
        },
    };
    if json {
        let text = serde_json::to_string_pretty(&out).map_err(Failure::new)?;
        crate::failure::emit(&format!("{text}\n"))?;
        return Ok(());
    }
    let mut buf = String::new();
    outln!(
        buf,
        "Kernel: Linux {}",
        out.kernel.as_deref().unwrap_or("(unknown)")
    );
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
        outln!(
            buf,
            "  {:<10} ABI {}  Linux {:<5}  {}",
            f.name,
            f.abi,
            f.linux,
            if f.enforceable { "yes" } else { "no" }
        );
    }
    for hint in &out.hints {
        outln!(buf, "Hint: {hint}");
    }
    crate::failure::emit(&buf)
}
