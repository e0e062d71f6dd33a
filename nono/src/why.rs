//! `nono why`: would this sandbox allow an operation, and because of what.
//!
//! The answer comes from the same compiler and reference evaluator the
//! sandbox is built with, so it agrees with what the kernel will decide.

use crate::cli::{PathOp, PortOp, WhyArgs};
use crate::failure::{Failure, emit};
use nono_compile::Compiled;
use nono_model::{FileKind, FsRight, NetRights, PathRule};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Serialize)]
struct Grant {
    #[serde(serialize_with = "nono_model::serialize_path")]
    rule: PathBuf,
    sources: Vec<String>,
}

/// What an answer is about: a path (in JSON a string, or the object
/// `nono_model::serialize_path` writes for a path that is not UTF-8), or a
/// port (`tcp port N`).
enum Subject {
    Path(PathBuf),
    Port(u16),
    /// A host and port, as `host:port`.
    Host(String),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Path(path) => write!(f, "{}", path.display()),
            Subject::Port(port) => write!(f, "tcp port {port}"),
            Subject::Host(host) => write!(f, "host {host}"),
        }
    }
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Subject::Path(path) => nono_model::serialize_path(path, serializer),
            Subject::Port(_) | Subject::Host(_) => serializer.collect_str(self),
        }
    }
}

#[derive(Serialize)]
struct Answer {
    subject: Subject,
    operation: &'static str,
    right: &'static str,
    allowed: bool,
    reason: String,
    granted_by: Vec<Grant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    carved_by: Option<String>,
}

fn path_right(op: PathOp, kind: FileKind) -> (&'static str, FsRight) {
    match (op, kind) {
        (PathOp::Read, FileKind::Dir) => ("read", FsRight::ReadDir),
        (PathOp::Read, FileKind::File) => ("read", FsRight::ReadFile),
        (PathOp::Write, FileKind::Dir) => ("write", FsRight::MakeReg),
        (PathOp::Write, FileKind::File) => ("write", FsRight::WriteFile),
        (PathOp::Execute, _) => ("execute", FsRight::Execute),
    }
}

fn sources(rule: &PathRule) -> Vec<String> {
    rule.sources.iter().map(ToString::to_string).collect()
}

/// The answer for a path. A path that does not exist yet is judged as a
/// file inside its nearest existing directory.
fn explain_path(compiled: &Compiled, text: &str, op: PathOp) -> Result<Answer, Failure> {
    let env = crate::run::resolve_env()?;
    let expanded =
        nono_compile::expand(text, &env).map_err(|e| Failure::new(format!("why: {text}: {e}")))?;
    let absolute = env.cwd.join(expanded);
    let (path, kind, exists) = match std::fs::canonicalize(&absolute) {
        Ok(p) => {
            let kind = if p.is_dir() {
                FileKind::Dir
            } else {
                FileKind::File
            };
            (p, kind, true)
        }
        Err(_) => {
            let parent = absolute.parent().unwrap_or(Path::new("/"));
            let parent = std::fs::canonicalize(parent).map_err(|e| {
                let e = e.to_string();
                let e = e.split(" (os error").next().unwrap_or(&e).to_owned();
                Failure::new(format!("why: {text}: {e}"))
            })?;
            let name = absolute.file_name().unwrap_or_default();
            (parent.join(name), FileKind::File, false)
        }
    };
    let (operation, right) = path_right(op, kind);
    let rs = &compiled.ruleset;
    let granted: Vec<&PathRule> = nono_compile::granting_rules(rs, &path, right).collect();
    let mut allowed = nono_compile::allowed(rs, &path, right);
    // The mount layer: a read-only bind refuses every write below it
    // whatever Landlock grants.
    let protected = rs
        .protected
        .iter()
        .find(|p| p.how == nono_model::Protection::ReadOnly && path.starts_with(&p.path));
    let protected = protected.filter(|_| matches!(op, PathOp::Write) && allowed);
    if protected.is_some() {
        allowed = false;
    }
    let layer = rs.layers.iter().find(|l| path.starts_with(&l.path));
    // The carve that explains a denial here: one of a denied path this is
    // in; one of a missing denied path whose nearest existing directory
    // this is (or, for a path that does not exist, is in); one out of a
    // grant on this very path.
    let carve = compiled
        .carves
        .iter()
        .find(|c| path.starts_with(&c.denied))
        .or_else(|| {
            compiled.carves.iter().find(|c| {
                c.nearest_existing
                    .as_deref()
                    .is_some_and(|n| n == path || (!exists && path.parent() == Some(n)))
            })
        })
        .or_else(|| compiled.carves.iter().find(|c| c.under == path));
    let carved_by = carve.map(|c| match c.missing_reason() {
        Some(why) => format!("{why} (carved out of {}, {})", c.under.display(), c.source),
        None => format!(
            "{} is carved out of {} ({})",
            c.denied.display(),
            c.under.display(),
            c.source
        ),
    });
    let reason = if let Some(p) = protected {
        format!(
            "{} is a protected path ({}), read-only in the run's mount namespace; --unprotect {} makes it writable",
            p.path.display(),
            p.why,
            p.path.display()
        )
    } else if let (Some(l), Some(rule), PathOp::Write) = (layer, granted.first(), op) {
        format!(
            "{} grants {} on {}, in a private layer: the writes land in {}, the host's files never change",
            rule.path.display(),
            right.name(),
            path.display(),
            l.upper.display()
        )
    } else if !rs.handled_fs.contains(right) {
        format!(
            "{} is not restricted at Landlock ABI {}",
            right.name(),
            rs.abi
        )
    } else if let Some(rule) = granted.first() {
        format!(
            "{} grants {} on {}",
            rule.path.display(),
            right.name(),
            path.display()
        )
    } else if let Some(c) = &carved_by {
        format!("{c}; no grant gives {} there", right.name())
    } else {
        format!("no grant gives {} on {}", right.name(), path.display())
    };
    Ok(Answer {
        subject: Subject::Path(path.clone()),
        operation,
        right: right.name(),
        allowed,
        reason,
        granted_by: granted
            .iter()
            .map(|r| Grant {
                rule: r.path.clone(),
                sources: sources(r),
            })
            .collect(),
        carved_by,
    })
}

fn explain_port(compiled: &Compiled, port: u16, op: PortOp) -> Answer {
    let rs = &compiled.ruleset;
    let (operation, right, name) = match op {
        PortOp::Connect => ("connect", NetRights::CONNECT_TCP, "connect_tcp"),
        PortOp::Bind => ("bind", NetRights::BIND_TCP, "bind_tcp"),
    };
    let rule = rs
        .port_rules
        .iter()
        .find(|r| r.port == port && r.rights.contains(right));
    let filter_blocks = rs.socket_filter == Some(nono_model::SocketFilter::UnixOnly);
    let (allowed, reason) = if filter_blocks {
        (
            false,
            "--net-block: no TCP socket can be created".to_owned(),
        )
    } else if !rs.handled_net.contains(right) {
        (
            true,
            if rs.socket_filter.is_some() {
                format!("TCP ports are not restricted at Landlock ABI {}", rs.abi)
            } else {
                "the network is not restricted (no --net-* flag)".to_owned()
            },
        )
    } else if rule.is_some() {
        (true, format!("--net-{operation} {port} grants it"))
    } else {
        (false, format!("no --net-{operation} rule for port {port}"))
    };
    Answer {
        subject: Subject::Port(port),
        operation,
        right: name,
        allowed,
        reason,
        granted_by: Vec::new(),
        carved_by: None,
    }
}

/// Whether the command may reach `host` (a pattern without a wildcard:
/// a name or an address, 443 without a port), from the same rules the
/// proxy and the supervisor use.
fn explain_host(compiled: &Compiled, host: &nono_model::HostPattern) -> Result<Answer, Failure> {
    let rs = &compiled.ruleset;
    if matches!(host.host, nono_model::HostName::Below(_)) {
        return Err(Failure::new(format!(
            "why --host {host}: ask about one host, not a wildcard"
        )));
    }
    let port = host.port.unwrap_or(443);
    let shown = format!("{}:{port}", host.host);
    let tcp_port = rs
        .port_rules
        .iter()
        .any(|r| r.port == port && r.rights.contains(NetRights::CONNECT_TCP));
    let (allowed, reason) = if let Some(proxy) = &rs.proxy {
        match proxy.admits(&host.host, port) {
            Some(pattern) => {
                let rebinding = match host.host {
                    nono_model::HostName::Ip(ip) => {
                        if proxy.admits_address(ip, port) {
                            ""
                        } else {
                            " (an internal address that no pattern names: refused)"
                        }
                    }
                    _ if pattern.permits_address(std::net::Ipv4Addr::LOCALHOST.into()) => "",
                    _ => {
                        ", if the name resolves to a public address (internal addresses are refused unless --net-allow names them)"
                    }
                };
                (
                    !rebinding.starts_with(" ("),
                    format!("--net-allow {pattern} admits it through nono's proxy{rebinding}"),
                )
            }
            None if proxy.direct_ports.contains(&port) => (
                true,
                format!(
                    "--net-connect {port} lets the command connect to any host on that port directly"
                ),
            ),
            None => (
                false,
                format!(
                    "no --net-allow pattern admits {shown}; --net-allow {shown} would allow it"
                ),
            ),
        }
    } else if rs.socket_filter == Some(nono_model::SocketFilter::UnixOnly) {
        (false, "--net-block: no network at all".to_owned())
    } else if !rs.handled_net.contains(NetRights::CONNECT_TCP) {
        (
            true,
            "hosts are not restricted (no --net-allow flag), nor TCP ports here".to_owned(),
        )
    } else if tcp_port {
        (
            true,
            format!("--net-connect {port} grants any host on that port"),
        )
    } else {
        (
            false,
            format!("no --net-connect rule for port {port} and no --net-allow host"),
        )
    };
    Ok(Answer {
        subject: Subject::Host(shown),
        operation: "connect",
        right: "net_allow",
        allowed,
        reason,
        granted_by: Vec::new(),
        carved_by: None,
    })
}

/// `nono why`'s exit status when the answer is "denied" (0 when allowed,
/// 125 for bad input), so that scripts can branch on it.
pub const DENIED: u8 = 1;

/// The exit of `nono why` once the answer is printed.
fn exit_for(answer: &Answer) -> Result<(), Failure> {
    if answer.allowed {
        Ok(())
    } else {
        Err(Failure::quiet(DENIED))
    }
}

/// Runs `nono why`: prints the answer, and exits 0 when the operation would
/// be allowed, [`DENIED`] when not.
pub fn why(args: WhyArgs) -> Result<(), Failure> {
    let (_, compiled, _) =
        crate::run::compile_for_here(&args.sandbox, &nono_compile::RealFs, false)?;
    let answer = match (&args.path, args.port) {
        _ if args.host.is_some() => match &args.host {
            Some(host) => explain_host(&compiled, host)?,
            None => return Err(Failure::new("why: give a PATH, --port N or --host HOST")),
        },
        (_, Some(port)) => explain_port(&compiled, port, args.port_op),
        (Some(path), None) => explain_path(
            &compiled,
            &nono_model::grant_text(path.as_encoded_bytes()),
            args.op,
        )?,
        (None, None) => return Err(Failure::new("why: give a PATH or --port N")),
    };
    if args.json {
        let text = serde_json::to_string_pretty(&answer).map_err(Failure::new)?;
        emit(&format!("{text}\n"))?;
        return exit_for(&answer);
    }
    let mut buf = String::new();
    let verdict = if answer.allowed { "allowed" } else { "denied" };
    outln!(
        buf,
        "{verdict}: {} {} ({})",
        answer.operation,
        answer.subject,
        answer.right
    );
    outln!(buf, "  because {}", answer.reason);
    for g in &answer.granted_by {
        outln!(
            buf,
            "  granted by {} [{}]",
            g.rule.display(),
            g.sources.join(", ")
        );
    }
    emit(&buf)?;
    exit_for(&answer)
}
