//! `nono presets list|show`.

use crate::cli::PresetsAction;
use crate::failure::Failure;
use nono_plugins::{Catalog, LoadedPreset};
use serde::Serialize;

#[derive(Serialize)]
struct PresetOut<'a> {
    name: &'a str,
    description: &'a str,
    source: String,
    extends: &'a [String],
    grants: &'a [nono_model::FsGrant],
}

fn out(p: &LoadedPreset) -> PresetOut<'_> {
    PresetOut {
        name: &p.preset.name,
        description: &p.preset.description,
        source: p.origin.to_string(),
        extends: &p.preset.extends,
        grants: &p.preset.grants,
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(Failure::new)?;
    crate::failure::emit(&format!("{text}\n"))?;
    Ok(())
}

/// Runs `nono presets ...`.
pub fn presets(action: PresetsAction) -> Result<(), Failure> {
    let catalog = Catalog::new();
    let mut buf = String::new();
    match action {
        PresetsAction::List { json } => {
            let all = catalog.builtins().map_err(Failure::new)?;
            if json {
                return print_json(&all.iter().map(out).collect::<Vec<_>>());
            }
            for p in &all {
                outln!(
                    buf,
                    "{:<8} {:<9} {}",
                    p.preset.name,
                    p.origin,
                    p.preset.description
                );
            }
        }
        PresetsAction::Show { name, json } => {
            let p = catalog
                .load(&name)
                .map_err(|e| Failure::new(format!("presets show {name}: {e}")))?;
            if json {
                return print_json(&out(&p));
            }
            outln!(buf, "{}: {}", p.preset.name, p.preset.description);
            outln!(buf, "source: {}", p.origin);
            if !p.preset.extends.is_empty() {
                outln!(buf, "extends: {}", p.preset.extends.join(", "));
            }
            for g in &p.preset.grants {
                let optional = if g.optional { " (optional)" } else { "" };
                outln!(buf, "  {:<6} {}{optional}", g.access.word(), g.path);
            }
        }
    }
    crate::failure::emit(&buf)
}
