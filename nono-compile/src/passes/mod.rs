//! The lowering pipeline: one pass per feature.
//!
//! Each pass lives in its own file and names what it [requires](Pass::requires)
//! of the machine: a Landlock ABI, seccomp, the supervisor or user
//! namespaces. When the [`Host`] provides it, `lower` adds what its feature
//! handles and grants; otherwise `without` records what is lost: a [`Gap`]
//! (a restriction the policy implies that cannot be enforced, which makes the
//! status `PartiallyEnforced`, named after the pass and its requirement) or a
//! note (a consequence that is not a loss of confinement).
//!
//! | pass               | requires | handles                        | granted with        |
//! |--------------------|----------|--------------------------------|---------------------|
//! | `fs_base`          | ABI 1    | the v1 fs rights               | Read, Write         |
//! | `refer`            | ABI 2    | Refer                          | Write               |
//! | `truncate`         | ABI 3    | Truncate                       | Write               |
//! | `net_tcp`          | ABI 4    | TCP bind and connect           | `--net-*` ports     |
//! | `ioctl_dev`        | ABI 5    | IoctlDev                       | Allow               |
//! | `scope`            | ABI 6    | signal, abstract Unix sockets  | (scopes deny)       |
//! | `audit_log`        | ABI 7    | restrict-self logging flags    | `--log-denials`     |
//! | `tsync`            | ABI 8    | restrict every thread at once  | always              |
//! | `resolve_unix`     | ABI 9    | ResolveUnix                    | `--allow-unix`      |
//! | `net_udp`          | ABI 10   | UDP bind and connect/send      | `--net-* udp:PORT`  |
//! | `seccomp_fallback` | seccomp  | a socket filter                | `--net-*`           |
//! | `syscall_guard`    | seccomp  | no-path channels               | always              |
//! | `supervise`        | supervisor | Unix sockets, metadata, inotify | `--allow-unix`, Write, Read |
//! | `net_proxy`        | supervisor | inet destinations (the proxy)  | `--net-allow`       |
//! | `private_layer`    | user namespaces | overlays over shared caches | `layer: Private` |
//! | `protect`          | user namespaces | read-only binds over protected paths | Write |
//!
//! A pass that requires a Landlock ABI missing from nono-model's ABI table
//! does not compile (a check below), so adding an ABI's feature is a pass
//! file, a line in [`PIPELINE`] and, if the ABI is new, a line in that table.
//!
//! With `-vv` (a `tracing` subscriber at debug level for this crate), each
//! pass logs what it added to the ruleset; in debug builds the lowered
//! ruleset is checked against [`verify`] before it is returned.

mod audit_log;
mod fs_base;
mod ioctl_dev;
mod net_proxy;
mod net_tcp;
mod net_udp;
mod private_layer;
mod protect;
mod refer;
mod resolve_unix;
mod scope;
mod seccomp_fallback;
mod supervise;
mod syscall_guard;
mod truncate;
mod tsync;
mod verify;

pub use net_proxy::with_proxy_port;
pub use verify::{Broken, verify};

use crate::NormRule;
use nono_model::{
    Abi, Access, FileKind, FsRight, FsRights, Gap, HostPattern, NetPolicy, PathRule, Policy,
    Requirement, Ruleset, Scopes, UnixRule,
};

/// One lowering pass.
#[derive(Clone, Copy, Debug)]
pub struct Pass {
    /// The feature's name, used in gaps and output.
    pub name: &'static str,
    /// What the machine must provide for the feature.
    pub requires: Requirement,
    /// Adds the feature to the ruleset being built (when the [`Host`]
    /// provides `requires`).
    pub lower: fn(&mut Lowering<'_>),
    /// Records what is lost without the feature (when it does not).
    pub without: fn(&mut Lowering<'_>),
}

/// Every pass, in the order they run.
pub const PIPELINE: [Pass; 16] = [
    fs_base::PASS,
    refer::PASS,
    truncate::PASS,
    net_tcp::PASS,
    ioctl_dev::PASS,
    scope::PASS,
    audit_log::PASS,
    tsync::PASS,
    resolve_unix::PASS,
    net_udp::PASS,
    seccomp_fallback::PASS,
    syscall_guard::PASS,
    supervise::PASS,
    net_proxy::PASS,
    private_layer::PASS,
    protect::PASS,
];

// A pass may only require a Landlock ABI that nono lowers to: one that needs
// a newer ABI would never run. Add the ABI to the table in
// nono-model/src/abi.rs (and see what else the compiler then asks for).
const _: () = {
    let mut i = 0;
    while i < PIPELINE.len() {
        if let Requirement::Landlock(abi) = PIPELINE[i].requires {
            assert!(
                abi.0 >= 1 && abi.0 <= Abi::LATEST.0,
                "a pass requires a Landlock ABI that is not in nono-model's ABI table"
            );
        }
        i += 1;
    }
};

/// What the machine provides to the passes.
///
/// ```
/// use nono_compile::passes::Host;
/// use nono_model::{Abi, Requirement};
///
/// let host = Host::landlock(Abi::V5);
/// assert!(host.provides(Requirement::Landlock(Abi::V4)));
/// assert!(!host.provides(Requirement::Landlock(Abi::V6)));
/// assert!(host.provides(Requirement::Seccomp));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Host {
    /// The Landlock ABI lowered for.
    pub abi: Abi,
    /// Whether seccomp filters can be installed.
    pub seccomp: bool,
    /// Whether the supervisor runs (seccomp user notification answered by
    /// nono outside the sandbox).
    pub supervisor: bool,
    /// Whether unprivileged user namespaces are available (for the mount
    /// layer).
    pub user_namespaces: bool,
}

impl Host {
    /// What `nono run` has at Landlock ABI `abi`: seccomp (every kernel
    /// with Landlock has seccomp filters unless built without them, and
    /// then installing the filter fails and the command does not run), the
    /// supervisor wherever Landlock is available (without it there is
    /// nothing for the supervisor to uphold), and no user namespaces (the
    /// [`Target`](crate::Target) says whether this machine has them).
    pub fn landlock(abi: Abi) -> Host {
        Host {
            abi,
            seccomp: true,
            supervisor: abi >= Abi::V1,
            user_namespaces: false,
        }
    }

    /// Whether the machine provides `requirement`.
    pub fn provides(&self, requirement: Requirement) -> bool {
        match requirement {
            Requirement::Landlock(abi) => self.abi >= abi,
            Requirement::Seccomp => self.seccomp,
            Requirement::Supervisor => self.supervisor,
            Requirement::UserNamespaces => self.user_namespaces,
        }
    }
}

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
    /// Where pathname Unix sockets may be reached (`--allow-unix`),
    /// resolved, sorted by path, one per path.
    pub unix: Vec<UnixRule>,
    /// The hosts reached through nono's proxy (`--net-allow`).
    pub hosts: Vec<HostPattern>,
    /// The protected-path candidates (see [`crate::protect`]), sorted by
    /// path; the `protect` pass keeps those a writable rule covers.
    pub protect: Vec<nono_model::ProtectedPath>,
    /// The `layer: Private` grants' directories, with their upper and work
    /// directories, sorted by path.
    pub layers: Vec<nono_model::PrivateLayer>,
}

impl From<&Policy> for Intent {
    /// The policy's intent, with no `--allow-unix` path resolved yet
    /// ([`compile`](crate::compile) resolves them).
    fn from(policy: &Policy) -> Self {
        Intent {
            net: policy.net.clone(),
            scopes: policy.scopes,
            log_denials: policy.log_denials,
            allow_sysv_ipc: policy.allow_sysv_ipc,
            unix: Vec::new(),
            hosts: policy.hosts.iter().map(|h| h.pattern.clone()).collect(),
            protect: Vec::new(),
            layers: Vec::new(),
        }
    }
}

/// The ruleset under construction, shared by the passes.
#[derive(Debug)]
pub struct Lowering<'a> {
    /// What the machine provides (the ABI being lowered for, and the
    /// rest).
    pub host: Host,
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

    /// Records a gap in `feature`: `unenforced` stays unrestricted until
    /// Landlock ABI `needs`.
    pub fn gap(&mut self, feature: &'static str, needs: Abi, unenforced: &'static str) {
        self.gaps.push(Gap {
            feature,
            needs: Requirement::Landlock(needs),
            unenforced,
        });
    }

    /// Records a gap of the running pass, which needs its own requirement.
    pub fn gap_below(&mut self, unenforced: &'static str) {
        let (feature, needs) = self
            .current
            .map_or(("lowering", Requirement::Landlock(self.host.abi)), |p| {
                (p.name, p.requires)
            });
        self.gaps.push(Gap {
            feature,
            needs,
            unenforced,
        });
    }

    /// Records a note of the running pass.
    pub fn note(&mut self, text: &str) {
        match self.current {
            Some(p) if !self.host.provides(p.requires) => self
                .notes
                .push(format!("{}: needs {}: {text}", p.name, p.requires)),
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

/// Runs every pass of [`PIPELINE`] for `host` over normalised `rules` and
/// the policy's `intent`.
pub fn lower(host: Host, rules: &[NormRule], intent: &Intent) -> Lowered {
    let mut ruleset = Ruleset::empty(host.abi);
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
        host,
        rules,
        intent,
        ruleset,
        gaps: Vec::new(),
        notes: Vec::new(),
        current: None,
    };
    for pass in PIPELINE {
        lowering.current = Some(pass);
        let provided = host.provides(pass.requires);
        // What the pass adds is only worked out for a reader (`-vv`).
        let before = tracing::enabled!(tracing::Level::DEBUG).then(|| Summary::of(&lowering));
        if provided {
            (pass.lower)(&mut lowering);
        } else {
            (pass.without)(&mut lowering);
        }
        if let Some(before) = before {
            let added = before.added(&lowering);
            if provided {
                tracing::debug!("pass {} [{}]: {added}", pass.name, pass.requires);
            } else {
                tracing::debug!(
                    "pass {} [needs {}, not here]: {added}",
                    pass.name,
                    pass.requires
                );
            }
        }
    }
    // A rule that grants nothing changes nothing, and the kernel refuses it
    // (a carved directory under a Write-only grant has no right left).
    let mut ruleset = lowering.ruleset;
    ruleset.rules.retain(|rule| !rule.rights.is_empty());
    // As a compiler verifies its IR after its passes: a broken invariant is
    // a bug in a pass, caught in every debug build and test run.
    if cfg!(debug_assertions)
        && let Err(broken) = verify(&ruleset)
    {
        panic!("the lowered ruleset breaks an invariant: {broken}");
    }
    Lowered {
        ruleset,
        gaps: lowering.gaps,
        notes: lowering.notes,
    }
}

/// The parts of a [`Lowering`] a pass may add to, to say what it added.
struct Summary {
    handled_fs: FsRights,
    rights: Vec<FsRights>,
    handled_net: nono_model::NetRights,
    port_rules: usize,
    scoped: nono_model::ScopeSet,
    log_new_exec: bool,
    all_threads: bool,
    unix_rules: usize,
    socket_filter: Option<nono_model::SocketFilter>,
    syscall_guard: Option<nono_model::SyscallGuard>,
    gaps: usize,
    notes: usize,
}

impl Summary {
    fn of(lowering: &Lowering<'_>) -> Summary {
        let rs = &lowering.ruleset;
        Summary {
            handled_fs: rs.handled_fs,
            rights: rs.rules.iter().map(|r| r.rights).collect(),
            handled_net: rs.handled_net,
            port_rules: rs.port_rules.len(),
            scoped: rs.scoped,
            log_new_exec: rs.log_new_exec,
            all_threads: rs.all_threads,
            unix_rules: rs.unix_rules.len(),
            socket_filter: rs.socket_filter,
            syscall_guard: rs.syscall_guard,
            gaps: lowering.gaps.len(),
            notes: lowering.notes.len(),
        }
    }

    /// What `now` has that `self` did not, in words.
    fn added(&self, now: &Lowering<'_>) -> String {
        let rs = &now.ruleset;
        let mut parts = Vec::new();
        let handled = rs.handled_fs.without(self.handled_fs);
        if !handled.is_empty() {
            parts.push(format!("handled fs {handled}"));
        }
        let mut granted = FsRights::EMPTY;
        let mut changed = 0;
        for (rule, before) in rs.rules.iter().zip(&self.rights) {
            let new = rule.rights.without(*before);
            if !new.is_empty() {
                granted |= new;
                changed += 1;
            }
        }
        if changed > 0 {
            parts.push(format!(
                "granted {granted} on {changed} of {} rules",
                rs.rules.len()
            ));
        }
        if rs.handled_net != self.handled_net {
            parts.push(format!("handled net {}", rs.handled_net));
        }
        if rs.port_rules.len() != self.port_rules {
            parts.push(format!("{} port rules", rs.port_rules.len()));
        }
        if rs.scoped != self.scoped {
            parts.push(format!("scoped {}", rs.scoped));
        }
        if rs.all_threads != self.all_threads {
            parts.push("every thread restricted at once".to_owned());
        }
        if rs.unix_rules.len() != self.unix_rules {
            parts.push(format!("{} unix socket rules", rs.unix_rules.len()));
        }
        if rs.log_new_exec != self.log_new_exec {
            parts.push("denials logged after exec".to_owned());
        }
        if rs.socket_filter != self.socket_filter
            && let Some(filter) = rs.socket_filter
        {
            parts.push(format!("socket filter {filter:?}"));
        }
        if rs.syscall_guard != self.syscall_guard
            && let Some(guard) = &rs.syscall_guard
        {
            parts.push(format!(
                "syscall guard (Fast Open {}, System V IPC {:?})",
                if guard.refuse_fast_open {
                    "refused"
                } else {
                    "allowed"
                },
                guard.sysv_ipc
            ));
        }
        for gap in &now.gaps[self.gaps..] {
            parts.push(format!("gap {gap}"));
        }
        for note in &now.notes[self.notes..] {
            parts.push(format!("note {note}"));
        }
        if parts.is_empty() {
            "nothing".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap_features(lowered: &Lowered) -> Vec<(&'static str, Requirement)> {
        lowered.gaps.iter().map(|g| (g.feature, g.needs)).collect()
    }

    #[test]
    fn a_missing_requirement_is_a_gap_named_after_the_pass() {
        let block = Intent {
            net: NetPolicy::Block,
            ..Intent::default()
        };
        let with = lower(Host::landlock(Abi::LATEST), &[], &block);
        assert!(with.gaps.is_empty(), "{:?}", with.gaps);
        assert!(with.ruleset.syscall_guard.is_some());
        assert!(with.ruleset.socket_filter.is_some());

        let host = Host {
            seccomp: false,
            ..Host::landlock(Abi::LATEST)
        };
        let without = lower(host, &[], &block);
        assert_eq!(
            gap_features(&without),
            [
                ("seccomp_fallback", Requirement::Seccomp),
                ("syscall_guard", Requirement::Seccomp),
            ]
        );
        assert!(without.ruleset.syscall_guard.is_none());
        assert_eq!(without.ruleset.socket_filter, None);
        assert!(
            without.gaps[1]
                .to_string()
                .starts_with("syscall_guard: needs seccomp: "),
            "{}",
            without.gaps[1]
        );
    }

    #[test]
    fn every_requirement_is_provided_or_not_by_the_host() {
        let none = Host {
            abi: Abi(0),
            seccomp: false,
            supervisor: false,
            user_namespaces: false,
        };
        let all = Host {
            abi: Abi::LATEST,
            seccomp: true,
            supervisor: true,
            user_namespaces: true,
        };
        for requirement in [
            Requirement::Landlock(Abi::V1),
            Requirement::Landlock(Abi::LATEST),
            Requirement::Seccomp,
            Requirement::Supervisor,
            Requirement::UserNamespaces,
        ] {
            assert!(!none.provides(requirement), "{requirement}");
            assert!(all.provides(requirement), "{requirement}");
        }
        // What `nono run` has today: the supervisor (with Landlock), no user
        // namespaces.
        let today = Host::landlock(Abi::LATEST);
        assert!(today.provides(Requirement::Supervisor));
        assert!(!Host::landlock(Abi(0)).provides(Requirement::Supervisor));
        assert!(!today.provides(Requirement::UserNamespaces));
        assert!(!today.provides(Requirement::Landlock(Abi(Abi::LATEST.0 + 1))));
    }

    #[test]
    fn every_landlock_pass_requires_a_known_abi_and_names_are_unique() {
        let mut names: Vec<&str> = PIPELINE.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PIPELINE.len());
        for pass in PIPELINE {
            if let Some(abi) = pass.requires.landlock_abi() {
                assert!(abi.is_known(), "{} requires ABI {abi}", pass.name);
            }
        }
    }
}
