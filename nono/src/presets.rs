//! `nono presets list|show`.

use crate::catalog::catalog;
use crate::cli::PresetsAction;
use crate::failure::Failure;
use nono_compile::{CompileError, Resolution, ResolvedGrant};
use nono_model::{FsGrant, GrantSource, Policy};
use nono_plugins::{Listed, LoadedPreset, Origin};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Serialize)]
struct PresetOut<'a> {
    name: String,
    description: &'a str,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    shadows: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    shadowed_by: Option<&'a str>,
    extends: &'a [String],
    grants: &'a [FsGrant],
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved: Option<Vec<ResolvedGrant>>,
}

fn out<'a>(
    p: &'a LoadedPreset,
    shadows: &'a [String],
    shadowed_by: Option<&'a str>,
) -> PresetOut<'a> {
    PresetOut {
        name: p.qualified_name(),
        description: &p.preset.description,
        source: p.origin.to_string(),
        version: match &p.origin {
            Origin::Plugin { version, .. } => Some(version),
            _ => None,
        },
        shadows,
        shadowed_by,
        extends: &p.preset.extends,
        grants: &p.preset.grants,
        resolved: None,
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(Failure::new)?;
    crate::failure::emit(&format!("{text}\n"))?;
    Ok(())
}

/// The source column of `presets list`: where the preset comes from and
/// what it shadows or is shadowed by.
fn source_text(l: &Listed) -> String {
    let mut text = l.preset.origin.to_string();
    if let Origin::Plugin { version, .. } = &l.preset.origin {
        text.push_str(&format!(", version {version}"));
    }
    if !l.shadows.is_empty() {
        text.push_str(&format!(", shadows {}", l.shadows.join(", ")));
    }
    if let Some(by) = &l.shadowed_by {
        text.push_str(&format!(", shadowed by {by}"));
    }
    text
}

/// Each grant of `preset` resolved here, as `nono run` would resolve it,
/// but never failing: a required grant that does not resolve is reported,
/// and so is a grant a run would refuse for a symlink an earlier sandbox may
/// have planted (as skipped, its reason starting `refused: `; the second
/// list says which, with the reason in words).
fn resolve_grants(p: &LoadedPreset) -> Result<(Vec<ResolvedGrant>, Vec<Option<String>>), Failure> {
    let env = crate::run::resolve_env()?;
    let mut policy = Policy::default();
    for g in &p.preset.grants {
        policy.add(
            g.clone().skip_if_missing(),
            GrantSource::Preset(p.qualified_name()),
        );
    }
    let fs = nono_compile::Memo::new(&nono_compile::RealFs);
    let mut resolved =
        nono_compile::resolve_following_links(&policy, &env, &fs).map_err(Failure::new)?;
    let mut refused = vec![None; resolved.len()];
    for (i, e) in nono_compile::refused_redirects(&env, &fs, &resolved) {
        let reason = match e {
            CompileError::Redirected { redirection, .. } => redirection.to_string(),
            other => other.to_string(),
        };
        resolved[i].resolution = Resolution::Skipped {
            reason: format!("refused: {reason}"),
        };
        refused[i] = Some(reason);
    }
    for (r, g) in resolved.iter_mut().zip(&p.preset.grants) {
        r.optional = g.optional;
    }
    Ok((resolved, refused))
}

fn list(json: bool, plugin_files: &[PathBuf]) -> Result<(), Failure> {
    let catalog = catalog(plugin_files, false);
    let listing = catalog.list();
    if json {
        let items: Vec<PresetOut<'_>> = listing
            .presets
            .iter()
            .map(|l| out(&l.preset, &l.shadows, l.shadowed_by.as_deref()))
            .collect();
        print_json(&items)?;
    } else {
        let rows: Vec<(String, String, &str)> = listing
            .presets
            .iter()
            .map(|l| {
                (
                    l.preset.qualified_name(),
                    source_text(l),
                    l.preset.preset.description.as_str(),
                )
            })
            .collect();
        let name_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let source_w = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        let mut buf = String::new();
        for (name, source, description) in &rows {
            outln!(buf, "{name:<name_w$}  {source:<source_w$}  {description}");
        }
        crate::failure::emit(&buf)?;
    }
    // A source that failed is an error, after everything that loaded is
    // listed: one line for each.
    match listing.errors.split_last() {
        None => Ok(()),
        Some((last, rest)) => {
            for e in rest {
                eprintln!("nono: {e}");
            }
            Err(Failure::new(last))
        }
    }
}

fn show(name: &str, json: bool, plugin_files: &[PathBuf]) -> Result<(), Failure> {
    let catalog = catalog(plugin_files, false);
    let p = catalog.load(name).map_err(|e| {
        if e.is_plugin_failure() {
            Failure::new(e)
        } else {
            Failure::new(format!("presets show {name}: {e}"))
        }
    })?;
    let shadows: Vec<String> = match &p.origin {
        Origin::User(_)
            if nono_plugins::BUILTIN
                .iter()
                .any(|(n, _)| *n == p.preset.name) =>
        {
            vec![format!("built-in {}", p.preset.name)]
        }
        _ => Vec::new(),
    };
    let (resolved, refused) = resolve_grants(&p)?;
    if json {
        let mut o = out(&p, &shadows, None);
        o.resolved = Some(resolved);
        return print_json(&o);
    }
    let mut buf = String::new();
    outln!(buf, "{}: {}", p.qualified_name(), p.preset.description);
    let mut source = p.origin.to_string();
    if let Origin::Plugin { version, .. } = &p.origin {
        source.push_str(&format!(", version {version}"));
    }
    if !shadows.is_empty() {
        source.push_str(&format!(", shadows {}", shadows.join(", ")));
    }
    outln!(buf, "source: {source}");
    if !p.preset.extends.is_empty() {
        outln!(buf, "extends: {}", p.preset.extends.join(", "));
    }
    for ((g, r), refused) in p.preset.grants.iter().zip(&resolved).zip(&refused) {
        let optional = if g.optional { " (optional)" } else { "" };
        let resolution = match (&r.resolution, refused) {
            (_, Some(why)) => format!("  [refused here: {why}; a run with this preset fails]"),
            (Resolution::Resolved { path, .. }, None) if path.as_os_str() == g.path.as_str() => {
                String::new()
            }
            (Resolution::Resolved { path, .. }, None) => format!(" -> {}", path.display()),
            (Resolution::Skipped { reason }, None) if g.optional => {
                format!("  [skipped here: {reason}]")
            }
            (Resolution::Skipped { reason }, None) => {
                format!("  [missing here: {reason}; a run with this preset fails]")
            }
        };
        outln!(
            buf,
            "  {:<6} {}{optional}{resolution}",
            g.access.word(),
            g.path
        );
    }
    crate::failure::emit(&buf)
}

/// Runs `nono presets ...`.
pub fn presets(action: PresetsAction) -> Result<(), Failure> {
    match action {
        PresetsAction::List { json, plugins } => list(json, &plugins.plugin),
        PresetsAction::Show {
            name,
            json,
            plugins,
        } => show(&name, json, &plugins.plugin),
    }
}
