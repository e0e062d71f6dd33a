//! Looking presets up and expanding their `extends`.

use crate::BUILTIN;
use nono_model::{FsGrant, Preset, PresetError};
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a preset was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in nono.
    Builtin,
    /// Read from this file.
    File(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A preset and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedPreset {
    /// The preset.
    pub preset: Preset,
    /// Its origin.
    pub origin: Origin,
}

/// A grant contributed by a preset, with the name of the preset that holds it
/// (which may be one it extends, not the one requested).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetGrant {
    /// The grant.
    pub grant: FsGrant,
    /// The preset whose `grants` list holds it.
    pub preset: String,
}

/// Why a preset could not be found or loaded. Every variant names the input.
#[derive(Debug, thiserror::Error)]
pub enum PresetLookupError {
    /// No preset has this name.
    #[error("unknown preset '{name}' (known: {known})")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// The spec is neither a name nor a `.ron` path.
    #[error("invalid preset name '{0}': use a name such as 'rust', or a path ending in .ron")]
    BadSpec(String),
    /// A plugin preset was asked for.
    #[error(
        "preset '{0}' names a plugin preset; plugins are not supported by this version of nono"
    )]
    Plugin(String),
    /// The preset file could not be read.
    #[error("cannot read preset file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The preset file is not a valid preset.
    #[error("{path}:{error}")]
    Invalid {
        /// The file (or `built-in NAME`).
        path: String,
        /// What is wrong, starting with `line:col:` when it is a syntax fault.
        error: PresetError,
    },
    /// `extends` loops back on itself.
    #[error("preset '{0}' extends itself through: {1}")]
    Cycle(String, String),
}

/// Finds presets by spec and expands their `extends`.
#[derive(Clone, Debug, Default)]
pub struct Catalog {}

impl Catalog {
    /// A catalog of the built-in presets and preset files.
    pub fn new() -> Self {
        Catalog {}
    }

    /// Every built-in preset, in a fixed order.
    pub fn builtins(&self) -> Result<Vec<LoadedPreset>, PresetLookupError> {
        BUILTIN
            .iter()
            .map(|(name, text)| parse(text, &format!("built-in preset {name}"), Origin::Builtin))
            .collect()
    }

    /// Loads the preset a spec names.
    pub fn load(&self, spec: &str) -> Result<LoadedPreset, PresetLookupError> {
        if spec.ends_with(".ron") {
            let path = Path::new(spec);
            let text = std::fs::read_to_string(path).map_err(|source| PresetLookupError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            return parse(&text, spec, Origin::File(path.to_path_buf()));
        }
        if spec.contains('/') {
            return Err(PresetLookupError::Plugin(spec.to_owned()));
        }
        if !Preset::is_valid_name(spec) {
            return Err(PresetLookupError::BadSpec(spec.to_owned()));
        }
        match BUILTIN.iter().find(|(name, _)| *name == spec) {
            Some((name, text)) => parse(text, &format!("built-in preset {name}"), Origin::Builtin),
            None => Err(PresetLookupError::Unknown {
                name: spec.to_owned(),
                known: BUILTIN.map(|(n, _)| n).join(", "),
            }),
        }
    }

    /// Every grant of the preset `spec` names and of the presets it extends,
    /// depth first, each extended preset included once.
    pub fn expand(&self, spec: &str) -> Result<Vec<PresetGrant>, PresetLookupError> {
        self.expand_all(&[spec]).map_err(|(_, e)| e)
    }

    /// Every grant of several presets and of the presets they extend, each
    /// preset included once however many times it is named or extended. An
    /// error comes with the spec it arose under.
    pub fn expand_all<'s>(
        &self,
        specs: &[&'s str],
    ) -> Result<Vec<PresetGrant>, (&'s str, PresetLookupError)> {
        Ok(self
            .presets_of(specs)?
            .into_iter()
            .flat_map(|loaded| {
                let name = loaded.preset.name;
                loaded
                    .preset
                    .grants
                    .into_iter()
                    .map(move |grant| PresetGrant {
                        grant,
                        preset: name.clone(),
                    })
            })
            .collect())
    }

    /// The presets `specs` name and every preset they extend, each once,
    /// parents before the presets that extend them. An error comes with the
    /// spec it arose under.
    pub fn presets_of<'s>(
        &self,
        specs: &[&'s str],
    ) -> Result<Vec<LoadedPreset>, (&'s str, PresetLookupError)> {
        let mut out = Vec::new();
        let mut done = BTreeSet::new();
        for spec in specs {
            self.expand_into(spec, &mut Vec::new(), &mut done, &mut out)
                .map_err(|e| (*spec, e))?;
        }
        Ok(out)
    }

    fn expand_into(
        &self,
        spec: &str,
        chain: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        out: &mut Vec<LoadedPreset>,
    ) -> Result<(), PresetLookupError> {
        let loaded = self.load(spec)?;
        let name = loaded.preset.name.clone();
        if chain.contains(&name) {
            chain.push(name.clone());
            return Err(PresetLookupError::Cycle(name, chain.join(" -> ")));
        }
        if !done.insert(name.clone()) {
            return Ok(());
        }
        chain.push(name.clone());
        for parent in &loaded.preset.extends {
            self.expand_into(parent, chain, done, out)?;
        }
        chain.pop();
        out.push(loaded);
        Ok(())
    }
}

fn parse(text: &str, label: &str, origin: Origin) -> Result<LoadedPreset, PresetLookupError> {
    let preset = Preset::from_ron(text).map_err(|error| PresetLookupError::Invalid {
        path: label.to_owned(),
        error,
    })?;
    Ok(LoadedPreset { preset, origin })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_extends_once_each_and_parents_first() {
        let grants = Catalog::new().expand("rust").unwrap();
        let first_rust = grants.iter().position(|g| g.preset == "rust").unwrap();
        let last_base = grants.iter().rposition(|g| g.preset == "base").unwrap();
        assert!(last_base < first_rust);
        let usr = grants.iter().filter(|g| g.grant.path == "/usr").count();
        assert_eq!(usr, 1);
    }

    #[test]
    fn presets_named_together_are_expanded_once_each() {
        let grants = Catalog::new()
            .expand_all(&["base", "rust", "python", "base"])
            .unwrap();
        let usr = grants.iter().filter(|g| g.grant.path == "/usr").count();
        let tmp = grants.iter().filter(|g| g.grant.path == "/tmp").count();
        assert_eq!((usr, tmp), (1, 1));
        let (spec, _) = Catalog::new().expand_all(&["rust", "nosuch"]).unwrap_err();
        assert_eq!(spec, "nosuch");
    }

    #[test]
    fn unknown_and_plugin_specs_are_clear_errors() {
        let c = Catalog::new();
        let e = c.load("nosuch").unwrap_err().to_string();
        assert!(e.contains("'nosuch'") && e.contains("rust"), "{e}");
        assert!(matches!(
            c.load("acme/jdk"),
            Err(PresetLookupError::Plugin(_))
        ));
        assert!(matches!(
            c.load("Bad Name"),
            Err(PresetLookupError::BadSpec(_))
        ));
    }
}
