//! What `--dry-run` prints, as text or JSON.

use crate::cli::RunArgs;
use crate::exec::Program;
use crate::failure::{Failure, emit};
use nono_compile::{Compiled, Resolution, Target};
use nono_model::{EnforcementStatus, FileKind};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Serialize)]
struct GapOut {
    feature: &'static str,
    needs_abi: u8,
    unenforced: &'static str,
    message: String,
}

#[derive(Serialize)]
struct TargetOut {
    kernel_abi: Option<u8>,
    abi_limit: Option<u8>,
    effective_abi: Option<u8>,
}

#[derive(Serialize)]
struct DryRun<'a> {
    command: Vec<String>,
    program: Option<PathBuf>,
    target: TargetOut,
    grants: &'a [nono_compile::ResolvedGrant],
    covered: &'a [nono_compile::CoveredRule],
    ruleset: &'a nono_model::Ruleset,
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
    json: bool,
) -> Result<(), Failure> {
    let command: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if json {
        let out = DryRun {
            command,
            program: program.map(|p| p.path.clone()),
            target: TargetOut {
                kernel_abi: target.kernel_abi.map(|a| a.0),
                abi_limit: target.abi_limit.map(|a| a.0),
                effective_abi: target.effective_abi().map(|a| a.0),
            },
            grants: &compiled.resolved,
            covered: &compiled.covered,
            ruleset: &compiled.ruleset,
            predicted_status: compiled.predicted,
            gaps: compiled
                .gaps
                .iter()
                .map(|g| GapOut {
                    feature: g.feature,
                    needs_abi: g.needs.0,
                    unenforced: g.unenforced,
                    message: g.to_string(),
                })
                .collect(),
            notes: &compiled.notes,
        };
        let text = serde_json::to_string_pretty(&out).map_err(Failure::new)?;
        return emit(&format!("{text}\n"));
    }
    emit(&text_report(&command, target, compiled, program))
}

fn text_report(
    command: &[String],
    target: &Target,
    compiled: &Compiled,
    program: Option<&Program>,
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
            Resolution::Skipped { reason } => format!(" (skipped, optional: {reason})"),
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
        let kind = match rule.kind {
            FileKind::Dir => "dir",
            FileKind::File => "file",
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
    outln!(buf, "Predicted status: {}", compiled.predicted);
    for gap in &compiled.gaps {
        outln!(buf, "  gap: {gap}");
    }
    for note in &compiled.notes {
        outln!(buf, "  note: {note}");
    }
    buf
}
