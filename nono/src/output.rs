//! What `--dry-run` prints, as text or JSON.

use crate::cli::{Proto, RunArgs};
use crate::exec::Program;
use crate::failure::{Failure, emit};
use nono_compile::{Compiled, Resolution, Target};
use nono_model::{EnforcementStatus, FileKind, NetRights, SocketFilter};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(Serialize)]
struct GapOut {
    feature: &'static str,
    /// The Landlock ABI that would close the gap (`null` for another
    /// requirement, which `message` names).
    needs_abi: Option<u8>,
    unenforced: &'static str,
    message: String,
}

#[derive(Serialize)]
struct TargetOut {
    kernel_abi: Option<u8>,
    abi_limit: Option<u8>,
    effective_abi: Option<u8>,
}

/// A command-line argument, in JSON as a path is.
struct Arg<'a>(&'a std::ffi::OsStr);

impl Serialize for Arg<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        nono_model::serialize_path(std::path::Path::new(self.0), serializer)
    }
}

/// The ports the flags list, by protocol, sorted: what was asked for, which
/// the ruleset's port rules show only where Landlock governs the protocol
/// (TCP from ABI 4, UDP from ABI 10).
#[derive(Serialize, Default)]
struct PortsOut {
    tcp_connect: BTreeSet<u16>,
    tcp_bind: BTreeSet<u16>,
    udp_connect: BTreeSet<u16>,
    udp_bind: BTreeSet<u16>,
}

impl PortsOut {
    fn of(args: &RunArgs) -> PortsOut {
        let mut out = PortsOut::default();
        for p in &args.sandbox.net_connect {
            match p.proto {
                Proto::Tcp => out.tcp_connect.insert(p.port),
                Proto::Udp => out.udp_connect.insert(p.port),
            };
        }
        for p in &args.sandbox.net_bind {
            match p.proto {
                Proto::Tcp => out.tcp_bind.insert(p.port),
                Proto::Udp => out.udp_bind.insert(p.port),
            };
        }
        out
    }

    /// One line for the text report, or `None` when no port is listed.
    fn line(&self) -> Option<String> {
        let list =
            |set: &BTreeSet<u16>| set.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
        let parts: Vec<String> = [
            ("connect tcp", &self.tcp_connect),
            ("connect udp", &self.udp_connect),
            ("bind tcp", &self.tcp_bind),
            ("bind udp", &self.udp_bind),
        ]
        .into_iter()
        .filter(|(_, set)| !set.is_empty())
        .map(|(what, set)| format!("{what} {}", list(set)))
        .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[derive(Serialize)]
struct DryRun<'a> {
    /// Each argument as a path is written: a string, or for one that is
    /// not UTF-8 the object `nono_model::serialize_path` writes.
    command: Vec<Arg<'a>>,
    #[serde(serialize_with = "nono_model::serialize_opt_path")]
    program: Option<PathBuf>,
    target: TargetOut,
    grants: &'a [nono_compile::ResolvedGrant],
    denied: &'a [nono_compile::DeniedPath],
    missing_denied: &'a [nono_compile::DeniedPath],
    carves: &'a [nono_compile::Carve],
    env_removed: &'a [String],
    covered: &'a [nono_compile::CoveredRule],
    ruleset: &'a nono_model::Ruleset,
    ports: PortsOut,
    network: String,
    /// What System V IPC would be here (a private namespace, refused, the
    /// host's), when the ruleset has a syscall guard.
    sysv_ipc: Option<&'static str>,
    predicted_status: EnforcementStatus,
    gaps: Vec<GapOut>,
    notes: &'a [String],
}

/// Prints the dry-run report to stdout.
pub fn dry_run(
    args: &RunArgs,
    target: &Target,
    compiled: &Compiled,
    program: Option<&Program>,
    env_removed: &[String],
) -> Result<(), Failure> {
    let command: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.json {
        let out = DryRun {
            command: args.command.iter().map(|a| Arg(a)).collect(),
            program: program.map(|p| p.path.clone()),
            target: TargetOut {
                kernel_abi: target.kernel_abi.map(|a| a.0),
                abi_limit: target.abi_limit.map(|a| a.0),
                effective_abi: target.effective_abi().map(|a| a.0),
            },
            grants: &compiled.resolved,
            denied: &compiled.denied,
            missing_denied: &compiled.missing,
            carves: &compiled.carves,
            env_removed,
            covered: &compiled.covered,
            ruleset: &compiled.ruleset,
            ports: PortsOut::of(args),
            network: network_summary(compiled),
            sysv_ipc: compiled
                .ruleset
                .syscall_guard
                .map(|g| nono_enforce::ipc_support().predict(g.sysv_ipc)),
            predicted_status: compiled.predicted,
            gaps: compiled
                .gaps
                .iter()
                .map(|g| GapOut {
                    feature: g.feature,
                    needs_abi: g.needs.landlock_abi().map(|a| a.0),
                    unenforced: g.unenforced,
                    message: g.to_string(),
                })
                .collect(),
            notes: &compiled.notes,
        };
        let text = serde_json::to_string_pretty(&out).map_err(Failure::new)?;
        return emit(&format!("{text}\n"));
    }
    let here = crate::run::resolve_env()?;
    let missing = crate::advice::missing_optional(&compiled.resolved, &here, &compiled.ruleset);
    emit(&text_report(
        &command,
        target,
        compiled,
        program,
        env_removed,
        &missing,
        PortsOut::of(args).line(),
    ))
}

fn text_report(
    command: &[String],
    target: &Target,
    compiled: &Compiled,
    program: Option<&Program>,
    env_removed: &[String],
    missing: &[crate::advice::Missing<'_>],
    ports: Option<String>,
) -> String {
    let mut buf = String::new();
    outln!(buf, "nono dry run: nothing is executed");
    if let Some(p) = program {
        outln!(
            buf,
            "Command: {} (runs {})",
            command.join(" "),
            p.path.display()
        );
    }
    outln!(buf, "Grants:");
    for g in &compiled.resolved {
        let resolved = match &g.resolution {
            Resolution::Resolved { path, .. } if path.as_os_str() == g.requested.as_str() => {
                String::new()
            }
            Resolution::Resolved { path, .. } => format!(" -> {}", path.display()),
            Resolution::Skipped { reason } => {
                match missing.iter().find(|m| std::ptr::eq(m.grant, g)) {
                    Some(m) => {
                        let fix = m
                            .fix
                            .as_deref()
                            .map(|f| format!("; {f}"))
                            .unwrap_or_default();
                        format!(
                            " (skipped, optional: {} does not exist{fix})",
                            m.path.display()
                        )
                    }
                    None => format!(" (skipped, optional: {reason})"),
                }
            }
        };
        outln!(
            buf,
            "  {:<6} {}{resolved}  [{}]",
            g.access.word(),
            g.requested,
            g.source
        );
    }
    let rs = &compiled.ruleset;
    let kernel = target
        .kernel_abi
        .map_or("no Landlock".to_owned(), |a| format!("kernel ABI {a}"));
    let limit = target
        .abi_limit
        .map(|a| format!(", --abi {a}"))
        .unwrap_or_default();
    outln!(
        buf,
        "Ruleset for Landlock ABI {} ({kernel}{limit}):",
        rs.abi
    );
    outln!(buf, "  handled: {}", rs.handled_fs);
    for rule in &rs.rules {
        let kind = match (rule.kind, rule.carved) {
            (FileKind::Dir, true) => "dir, carved",
            (FileKind::Dir, false) => "dir",
            (FileKind::File, _) => "file",
        };
        let sources: Vec<String> = rule.sources.iter().map(ToString::to_string).collect();
        outln!(
            buf,
            "  {} ({kind}, {}): {}  [{}]",
            rule.path.display(),
            rule.levels,
            rule.rights,
            sources.join(", ")
        );
    }
    for c in &compiled.covered {
        outln!(
            buf,
            "  {} ({}): covered by {}",
            c.path.display(),
            c.levels,
            c.by.display()
        );
    }
    outln!(buf, "  handled net: {}", rs.handled_net);
    let tcp = NetRights::BIND_TCP | NetRights::CONNECT_TCP;
    let udp = NetRights::BIND_UDP | NetRights::CONNECT_SEND_UDP;
    for port in &rs.port_rules {
        for (proto, mask) in [("tcp", tcp), ("udp", udp)] {
            let rights = port
                .rights
                .iter()
                .filter(|r| mask.contains((*r).into()))
                .fold(NetRights::EMPTY, |acc, r| acc | r.into());
            if !rights.is_empty() {
                outln!(buf, "  {proto} port {}: {rights}", port.port);
            }
        }
    }
    for unix in &rs.unix_rules {
        outln!(
            buf,
            "  unix sockets at {}: resolve_unix",
            unix.path.display()
        );
    }
    outln!(buf, "  scoped: {}", rs.scoped);
    outln!(
        buf,
        "  log denials after exec: {}",
        if rs.log_new_exec { "yes" } else { "no" }
    );
    outln!(
        buf,
        "  every thread at once: {}",
        if rs.all_threads { "yes" } else { "no" }
    );
    let filter = match rs.socket_filter {
        None => "none",
        Some(SocketFilter::NoSockets) => "seccomp: no sockets at all; io_uring refused",
        Some(SocketFilter::UnixOnly) => "seccomp: only AF_UNIX sockets; io_uring refused",
        Some(SocketFilter::TcpUdpOnly) => {
            "seccomp: only AF_UNIX, TCP and UDP sockets (no raw, packet, MPTCP, SCTP); io_uring refused"
        }
        Some(SocketFilter::TcpOnly) => {
            "seccomp: only AF_UNIX and TCP sockets (no UDP, raw, packet, MPTCP, SCTP); io_uring refused"
        }
    };
    outln!(buf, "  socket filter: {filter}");
    if let Some(guard) = &rs.syscall_guard {
        outln!(buf, "  syscall guard (seccomp) refuses:");
        for line in guard.refused() {
            outln!(buf, "    {line}");
        }
        outln!(
            buf,
            "  System V IPC: {}; here: {}",
            guard.sysv_ipc.describe(),
            nono_enforce::ipc_support().predict(guard.sysv_ipc)
        );
    }
    for layer in &rs.layers {
        outln!(
            buf,
            "  private layer over {} (writes land in {})",
            layer.path.display(),
            layer.upper.display()
        );
    }
    for p in &rs.protected {
        let how = match (p.how, p.absent) {
            (nono_model::Protection::Pinned, _) => "pinned (cannot be renamed)",
            (nono_model::Protection::ReadOnly, false) => "read-only",
            (nono_model::Protection::ReadOnly, true) => "made, then read-only",
        };
        outln!(buf, "  protected, {how}: {} ({})", p.path.display(), p.why);
    }
    if let Some(ports) = ports {
        outln!(buf, "Ports asked for: {ports}");
    }
    outln!(buf, "Network: {}", network_summary(compiled));
    if let Some(proxy) = &rs.proxy {
        let hosts: Vec<String> = proxy.hosts.iter().map(ToString::to_string).collect();
        outln!(
            buf,
            "Hosts (--net-allow, through nono's proxy on 127.0.0.1, its port chosen at run time): {}",
            hosts.join(" ")
        );
        outln!(
            buf,
            "  without a port: {}; the command connects to the proxy and its --net-connect ports only (the supervisor checks each connect); names resolving to internal addresses are refused unless named",
            nono_model::DEFAULT_HOST_PORTS
                .map(|p| p.to_string())
                .join(" and ")
        );
        outln!(
            buf,
            "Environment: set {} to the proxy; removed {}",
            nono_compile::PROXY_VARS.join(" "),
            nono_compile::NO_PROXY_VARS.join(" ")
        );
    }
    for carve in &compiled.carves {
        outln!(
            buf,
            "Carved: {carve}; directories on the way may only be listed"
        );
    }
    if !env_removed.is_empty() {
        outln!(buf, "Environment: removed {}", env_removed.join(" "));
    }
    outln!(buf, "Environment: set {}=1", crate::run::SANDBOX_MARKER);
    outln!(buf, "Predicted status: {}", compiled.predicted);
    for gap in &compiled.gaps {
        outln!(buf, "  gap: {gap}");
    }
    for note in &compiled.notes {
        outln!(buf, "  note: {note}");
    }
    buf
}

/// One sentence on how the network policy is enforced.
fn network_summary(compiled: &Compiled) -> String {
    let rs = &compiled.ruleset;
    let landlock_tcp = !rs.handled_net.is_empty();
    match (rs.socket_filter, landlock_tcp) {
        (None, _) => "unrestricted".to_owned(),
        (Some(SocketFilter::NoSockets), _) => {
            "blocked: no sockets at all, not even Unix ones (seccomp)".to_owned()
        }
        (Some(SocketFilter::UnixOnly), true) => {
            "blocked: TCP by Landlock (ABI 4+), every non-Unix socket by seccomp".to_owned()
        }
        (Some(SocketFilter::UnixOnly), false) => format!(
            "blocked: entirely by seccomp (Landlock ABI {} has no network rules)",
            rs.abi
        ),
        (Some(SocketFilter::TcpUdpOnly), true) => {
            let ports: Vec<String> = rs
                .port_rules
                .iter()
                .map(|p| format!("{} ({})", p.port, p.rights))
                .collect();
            if rs.handled_net.contains(NetRights::CONNECT_SEND_UDP) {
                format!(
                    "TCP and UDP only on ports [{}] by Landlock (ABI 10); other sockets refused by seccomp",
                    ports.join(", ")
                )
            } else {
                format!(
                    "TCP only on ports [{}] by Landlock; UDP unfiltered; other sockets refused by seccomp",
                    ports.join(", ")
                )
            }
        }
        (Some(SocketFilter::TcpOnly), true) => {
            let ports: Vec<String> = rs
                .port_rules
                .iter()
                .map(|p| format!("{} ({})", p.port, p.rights))
                .collect();
            format!(
                "TCP only to nono's proxy{} by Landlock and the supervisor; UDP and other sockets refused by seccomp",
                if ports.is_empty() {
                    String::new()
                } else {
                    format!(" and ports [{}]", ports.join(", "))
                }
            )
        }
        (Some(SocketFilter::TcpOnly), false) => format!(
            "TCP only to nono's proxy by the supervisor's connect check (Landlock ABI {} has no network rules); UDP and other sockets refused by seccomp",
            rs.abi
        ),
        (Some(SocketFilter::TcpUdpOnly), false) => format!(
            "port rules NOT enforced (Landlock ABI {} has no network rules); raw and other sockets refused by seccomp",
            rs.abi
        ),
    }
}
