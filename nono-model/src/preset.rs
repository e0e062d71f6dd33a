//! Presets: named, documented bundles of grants, written in RON.

use crate::{FsGrant, GrantError, RonError, ron_text};
use serde::{Deserialize, Serialize};

/// A named bundle of grants.
///
/// Unknown fields are an error, so a typo in a preset file is reported rather
/// than silently ignored.
///
/// ```
/// use nono_model::Preset;
///
/// let err = Preset::from_ron("(name: \"x\", description: \"y\", grantz: [])").unwrap_err();
/// assert!(err.to_string().starts_with("1:"), "{err}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// The name it is requested by (`rust`, `base`).
    pub name: String,
    /// One line saying what it is for.
    pub description: String,
    /// Presets whose grants this one includes: bare names (a user preset
    /// file or a built-in) or `PLUGIN/NAME` (a plugin's preset).
    #[serde(default)]
    pub extends: Vec<String>,
    /// The grants it adds.
    #[serde(default)]
    pub grants: Vec<FsGrant>,
    /// Paths it keeps out of reach even inside granted trees (added to the
    /// built-in sensitive paths).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
    /// Where the command may connect or send to pathname Unix sockets (a
    /// socket, or a directory covering everything below it), as
    /// `--allow-unix` grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unix: Vec<String>,
    /// Hosts the command may reach through nono's proxy, as `--net-allow`
    /// values (`crates.io`, `*.crates.io`, `github.com:443`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub net_allow: Vec<String>,
}

/// Why a preset is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    /// The text is not a valid preset in RON.
    #[error("{0}")]
    Ron(#[from] RonError),
    /// The name is not made of lowercase letters, digits, `-`, `_` and `.`.
    #[error(
        "preset name {0:?} must be 1 to 64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit"
    )]
    BadName(String),
    /// A deny path has a bad value.
    #[error("deny {index} ({path:?}): {source}")]
    Deny {
        /// 0-based position in the list.
        index: usize,
        /// The path as written.
        path: String,
        /// What is wrong with it.
        source: GrantError,
    },
    /// A `unix` path has a bad value.
    #[error("unix {index} ({path:?}): {source}")]
    Unix {
        /// 0-based position in the list.
        index: usize,
        /// The path as written.
        path: String,
        /// What is wrong with it.
        source: GrantError,
    },
    /// A `net_allow` entry is not `HOST[:PORT]`.
    #[error("net_allow {index}: {source}")]
    NetAllow {
        /// 0-based position in the list.
        index: usize,
        /// What is wrong with it.
        source: crate::HostError,
    },
    /// An `extends` entry is neither a preset name nor `PLUGIN/NAME`.
    #[error(
        "extends {0:?}: must be a preset name such as 'base', or PLUGIN/NAME such as 'acme/jdk'"
    )]
    BadExtends(String),
    /// A grant has a bad value.
    #[error("grant {index} ({path:?}): {source}")]
    Grant {
        /// 0-based position of the grant in the list.
        index: usize,
        /// The grant's path as written.
        path: String,
        /// What is wrong with it.
        source: GrantError,
    },
}

impl Preset {
    /// A preset named `name` with no grants, to build on with
    /// [`with_grant`](Preset::with_grant) and [`extending`](Preset::extending).
    ///
    /// ```
    /// use nono_model::{Access, FsGrant, Preset};
    ///
    /// let jdk = Preset::new("jdk", "Acme JDK 21")
    ///     .extending("base")
    ///     .with_grant(FsGrant::new("/opt/acme/jdk-21", Access::Read));
    /// assert!(jdk.validate().is_ok());
    /// assert_eq!(jdk.extends, ["base"]);
    /// ```
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Preset {
        Preset {
            name: name.into(),
            description: description.into(),
            extends: Vec::new(),
            grants: Vec::new(),
            deny: Vec::new(),
            unix: Vec::new(),
            net_allow: Vec::new(),
        }
    }

    /// The same preset with one more grant.
    #[must_use]
    pub fn with_grant(mut self, grant: FsGrant) -> Preset {
        self.grants.push(grant);
        self
    }

    /// The same preset, also including the grants of `preset` (a name, or
    /// `PLUGIN/NAME`).
    #[must_use]
    pub fn extending(mut self, preset: impl Into<String>) -> Preset {
        self.extends.push(preset.into());
        self
    }

    /// Parses and validates a preset written in RON.
    pub fn from_ron(text: &str) -> Result<Preset, PresetError> {
        let preset: Preset = ron_text::parse(text)?;
        preset.validate()?;
        Ok(preset)
    }

    /// Whether `name` is an acceptable preset name.
    pub fn is_valid_name(name: &str) -> bool {
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        first_ok
            && name.len() <= 64
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
    }

    /// Whether `reference` names a preset: a valid name, or `PLUGIN/NAME`
    /// where both parts are valid names.
    ///
    /// ```
    /// use nono_model::Preset;
    ///
    /// assert!(Preset::is_valid_reference("base"));
    /// assert!(Preset::is_valid_reference("acme/jdk"));
    /// assert!(!Preset::is_valid_reference("acme/jdk/21"));
    /// assert!(!Preset::is_valid_reference("/jdk"));
    /// ```
    pub fn is_valid_reference(reference: &str) -> bool {
        match reference.split_once('/') {
            Some((plugin, name)) => Self::is_valid_name(plugin) && Self::is_valid_name(name),
            None => Self::is_valid_name(reference),
        }
    }

    /// Checks the name, the names it extends and every grant.
    pub fn validate(&self) -> Result<(), PresetError> {
        if !Self::is_valid_name(&self.name) {
            return Err(PresetError::BadName(self.name.clone()));
        }
        if let Some(bad) = self.extends.iter().find(|e| !Self::is_valid_reference(e)) {
            return Err(PresetError::BadExtends(bad.clone()));
        }
        for (index, path) in self.deny.iter().enumerate() {
            let as_grant = FsGrant::new(path.clone(), crate::Access::Read);
            as_grant.validate().map_err(|source| PresetError::Deny {
                index,
                path: path.clone(),
                source,
            })?;
        }
        for (index, path) in self.unix.iter().enumerate() {
            let as_grant = FsGrant::new(path.clone(), crate::Access::Read);
            as_grant.validate().map_err(|source| PresetError::Unix {
                index,
                path: path.clone(),
                source,
            })?;
        }
        for (index, host) in self.net_allow.iter().enumerate() {
            host.parse::<crate::HostPattern>()
                .map_err(|source| PresetError::NetAllow { index, source })?;
        }
        for (index, grant) in self.grants.iter().enumerate() {
            grant.validate().map_err(|source| PresetError::Grant {
                index,
                path: grant.path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Access;

    #[test]
    fn parses_defaults_for_missing_fields() {
        let p = Preset::from_ron("(name: \"a\", description: \"d\")").unwrap();
        assert!(p.grants.is_empty() && p.extends.is_empty());
        let p = Preset::from_ron(
            "(name: \"a\", description: \"d\", grants: [(path: \"/x\", access: Allow, optional: true)])",
        )
        .unwrap();
        assert_eq!(p.grants[0].access, Access::Allow);
        assert!(p.grants[0].optional);
    }

    #[test]
    fn unknown_field_is_reported_with_its_position() {
        let text = "(\n  name: \"a\",\n  description: \"d\",\n  grants: [(path: \"/x\", access: Read, mode: 1)],\n)";
        let err = Preset::from_ron(text).unwrap_err();
        let PresetError::Ron(ron) = &err else {
            panic!("expected a RON error, got {err}");
        };
        assert_eq!(ron.line, 4, "{err}");
        assert!(ron.message.contains("mode"), "{err}");
    }

    #[test]
    fn unknown_access_level_is_rejected() {
        let err = Preset::from_ron(
            "(name: \"a\", description: \"d\", grants: [(path: \"/x\", access: Execute)])",
        )
        .unwrap_err();
        assert!(err.to_string().contains("Execute"), "{err}");
    }

    #[test]
    fn bad_names_and_paths_are_rejected() {
        for name in ["", "Rust", "a b", "../x", "-x"] {
            assert!(!Preset::is_valid_name(name), "{name}");
        }
        let text = "(name: \"a\", description: \"d\", extends: [\"acme/jdk\", \"base\"])";
        assert!(Preset::from_ron(text).is_ok());
        let text = "(name: \"a\", description: \"d\", extends: [\"acme/\"])";
        assert!(matches!(
            Preset::from_ron(text),
            Err(PresetError::BadExtends(e)) if e == "acme/"
        ));
        let text = "(name: \"a\", description: \"d\", grants: [(path: \"\", access: Read)])";
        assert!(matches!(
            Preset::from_ron(text),
            Err(PresetError::Grant { index: 0, .. })
        ));
    }
}
