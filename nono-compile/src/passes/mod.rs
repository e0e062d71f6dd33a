//! The lowering pipeline: one pass per Landlock ABI feature.
//!
//! Each pass lives in its own file and declares the ABI it needs. At or above
//! that ABI, `lower` adds what its feature handles and grants; below it,
//! `below` records what is lost: a [`Gap`] (a restriction the policy implies
//! that cannot be enforced, which makes the status `PartiallyEnforced`) or a
//! note (a consequence that is not a loss of confinement).
//!
//! | pass               | ABI | handles                        | granted with        |
//! |--------------------|-----|--------------------------------|---------------------|
//! | `fs_base`          | 1   | the v1 fs rights               | Read, Write         |
//! | `refer`            | 2   | Refer                          | Write               |
//! | `truncate`         | 3   | Truncate                       | Write               |
//! | `net_tcp`          | 4   | TCP bind and connect           | `--net-*` ports     |
//! | `ioctl_dev`        | 5   | IoctlDev                       | Allow               |
//! | `scope`            | 6   | signal, abstract Unix sockets  | (scopes deny)       |
//! | `audit_log`        | 7   | restrict-self logging flags    | `--log-denials`     |
//! | `seccomp_fallback` | any | a socket filter (seccomp)      | `--net-*`           |
//! | `syscall_guard`    | any | no-path channels (seccomp)     | always              |
//! | `supervise`        | any | Unix sockets, metadata, inotify (supervisor) | `--allow-unix`, Write, Read |

mod audit_log;
mod fs_base;
mod ioctl_dev;
mod net_tcp;
mod refer;
mod scope;
mod seccomp_fallback;
mod supervise;
mod syscall_guard;
mod truncate;

use crate::NormRule;
use nono_model::{
    Abi, Access, FileKind, FsRight, FsRights, Gap, NetPolicy, PathRule, Policy, Ruleset, Scopes,
};

/// One lowering pass.
#[derive(Clone, Copy, Debug)]
pub struct Pass {
    /// The feature's name, used in gaps and output.
    pub name: &'static str,
    /// The first ABI that has the feature.
    pub since: Abi,
    /// Adds the feature to the ruleset being built (at or above `since`).
    pub lower: fn(&mut Lowering<'_>),
    /// Records what is lost without the feature (below `since`).
    pub below: fn(&mut Lowering<'_>),
}

/// Every pass, in the order they run.
pub const PIPELINE: [Pass; 10] = [
    fs_base::PASS,
    refer::PASS,
    truncate::PASS,
    net_tcp::PASS,
    ioctl_dev::PASS,
    scope::PASS,
    audit_log::PASS,
    seccomp_fallback::PASS,
    syscall_guard::PASS,
    supervise::PASS,
];

/// What the policy asks for beyond its filesystem rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Intent {
    /// The network policy.
    pub net: NetPolicy,
    /// The IPC scopes.
    pub scopes: Scopes,
    /// Whether denials should be logged.
    pub log_denials: bool,
    /// `--allow-sysv-ipc`.
    pub allow_sysv_ipc: bool,
}

impl From<&Policy> for Intent {
    fn from(policy: &Policy) -> Self {
        Intent {
            net: policy.net.clone(),
            scopes: policy.scopes,
            log_denials: policy.log_denials,
            allow_sysv_ipc: policy.allow_sysv_ipc,
        }
    }
}

/// The ruleset under construction, shared by the passes.
#[derive(Debug)]
pub struct Lowering<'a> {
    /// The ABI being lowered for.
    pub abi: Abi,
    /// The normalised rules, one per path rule of `ruleset`, same order.
    pub rules: &'a [NormRule],
    /// The policy's network, scope and logging intent.
    pub intent: &'a Intent,
    /// The ruleset so far.
    pub ruleset: Ruleset,
    /// Restrictions lost so far.
    pub gaps: Vec<Gap>,
    /// Behaviour changes so far.
    pub notes: Vec<String>,
    /// The pass running now.
    current: Option<Pass>,
}

impl Lowering<'_> {
    /// Adds `rights` to the handled set.
    pub fn handle(&mut self, rights: FsRights) {
        self.ruleset.handled_fs |= rights;
    }

    /// Grants `rights` on every rule that holds `level`; on a file, only the
    /// rights that apply to files; on a carved directory, only listing.
    pub fn grant(&mut self, level: Access, rights: FsRights) {
        for (norm, rule) in self.rules.iter().zip(&mut self.ruleset.rules) {
            if norm.levels.contains(level) {
                rule.rights |= match (rule.kind, norm.carved) {
                    (FileKind::Dir, true) => rights.intersection(FsRight::ReadDir.into()),
                    (FileKind::Dir, false) => rights,
                    (FileKind::File, _) => rights.without(FsRights::DIRECTORY_ONLY),
                };
            }
        }
    }

    /// Records a gap in `feature`: `unenforced` stays unrestricted until ABI
    /// `needs`.
    pub fn gap(&mut self, feature: &'static str, needs: Abi, unenforced: &'static str) {
        self.gaps.push(Gap {
            feature,
            needs,
            unenforced,
        });
    }

    /// Records a gap of the running pass, which needs its own ABI.
    pub fn gap_below(&mut self, unenforced: &'static str) {
        let (feature, needs) = self
            .current
            .map_or(("lowering", self.abi), |p| (p.name, p.since));
        self.gap(feature, needs, unenforced);
    }

    /// Records a note of the running pass.
    pub fn note(&mut self, text: &str) {
        match self.current {
            Some(p) if self.abi < p.since => self.notes.push(format!(
                "{}: needs ABI {} (Linux {}): {text}",
                p.name,
                p.since,
                p.since.linux()
            )),
            Some(p) => self.notes.push(format!("{}: {text}", p.name)),
            None => self.notes.push(text.to_owned()),
        }
    }
}

/// The output of the pipeline.
#[derive(Debug)]
pub struct Lowered {
    /// The concrete ruleset.
    pub ruleset: Ruleset,
    /// Restrictions lost at this ABI.
    pub gaps: Vec<Gap>,
    /// Behaviour changes at this ABI.
    pub notes: Vec<String>,
}

/// Runs every pass of [`PIPELINE`] for `abi` over normalised `rules` and
/// the policy's `intent`.
pub fn lower(abi: Abi, rules: &[NormRule], intent: &Intent) -> Lowered {
    let mut ruleset = Ruleset::empty(abi);
    ruleset.rules = rules
        .iter()
        .map(|r| PathRule {
            path: r.path.clone(),
            kind: r.kind,
            dev: r.dev,
            ino: r.ino,
            levels: r.levels,
            rights: FsRights::EMPTY,
            sources: r.sources.clone(),
            carved: r.carved,
            listed: r.listed,
        })
        .collect();
    let mut lowering = Lowering {
        abi,
        rules,
        intent,
        ruleset,
        gaps: Vec::new(),
        notes: Vec::new(),
        current: None,
    };
    for pass in PIPELINE {
        lowering.current = Some(pass);
        if abi >= pass.since {
            (pass.lower)(&mut lowering);
        } else {
            (pass.below)(&mut lowering);
        }
    }
    // A rule that grants nothing changes nothing, and the kernel refuses it
    // (a carved directory under a Write-only grant has no right left).
    let mut ruleset = lowering.ruleset;
    ruleset.rules.retain(|rule| !rule.rights.is_empty());
    Lowered {
        ruleset,
        gaps: lowering.gaps,
        notes: lowering.notes,
    }
}
