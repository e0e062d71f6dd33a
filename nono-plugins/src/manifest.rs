//! The plugin wire format, shared by the host and the SDK: what nono tells a
//! plugin ([`HostContext`]) and what the plugin answers ([`PluginManifest`]),
//! both RON text across the C ABI.

use nono_model::{Preset, PresetError, RonError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The plugin ABI version this nono speaks: what `nono_plugin_abi_version`
/// must return.
pub const PLUGIN_ABI_VERSION: u32 = 1;

/// The most a plugin may answer, in bytes (4 MiB). A real manifest is a few
/// kilobytes; a plugin that answers more is broken, and nono refuses the
/// answer (and stops the plugin).
pub const OUTPUT_LIMIT: usize = 4 * 1024 * 1024;

/// What nono tells a plugin about where it runs, passed (as RON) to
/// `nono_plugin_presets`.
///
/// A plugin reads it to compute its presets: a tool's location from an
/// environment variable, a cache under the home directory. Fields may be
/// added in later versions of nono; the SDK ignores fields it does not know,
/// and a plugin in another language should too.
///
/// ```
/// use nono_plugins::HostContext;
///
/// let mut ctx = HostContext::default();
/// ctx.env.insert("ACME_JDK_HOME".into(), "/opt/acme/jdk-21".into());
/// let back = HostContext::from_ron(&ctx.to_ron()).unwrap();
/// assert_eq!(back.var("ACME_JDK_HOME"), Some("/opt/acme/jdk-21"));
/// assert_eq!(back.var("UNSET"), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostContext {
    /// The plugin ABI version of the host ([`PLUGIN_ABI_VERSION`]).
    pub abi_version: u32,
    /// nono's version, e.g. `0.1.0`.
    pub nono_version: String,
    /// The operating system, as Rust's `std::env::consts::OS` (`linux`).
    pub os: String,
    /// The CPU architecture, as `std::env::consts::ARCH` (`x86_64`).
    pub arch: String,
    /// The user's home directory (`$HOME`), if set.
    pub home: Option<String>,
    /// The working directory nono runs in (relative grant paths are taken
    /// from it).
    pub cwd: String,
    /// nono's environment (variables whose name and value are UTF-8).
    pub env: BTreeMap<String, String>,
}

impl HostContext {
    /// The value of environment variable `name`, if it is set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The home directory as a path, if known.
    pub fn home_dir(&self) -> Option<&Path> {
        self.home
            .as_deref()
            .filter(|h| !h.is_empty())
            .map(Path::new)
    }

    /// The context as RON, as the host sends it.
    pub fn to_ron(&self) -> String {
        // Serializing plain strings, numbers and maps cannot fail.
        ron::to_string(self).unwrap_or_default()
    }

    /// Parses a context sent by the host. Unknown fields are ignored, so a
    /// plugin keeps working with a newer nono.
    pub fn from_ron(text: &str) -> Result<HostContext, RonError> {
        nono_model::parse_ron(text)
    }
}

/// What a plugin returns: its name, its version and its presets.
///
/// In RON (fields of a preset that are not given take their defaults;
/// unknown fields are an error):
///
/// ```ron
/// (
///     name: "acme",
///     version: "1.4.0",
///     presets: [
///         (name: "jdk", description: "Acme JDK 21", grants: [(path: "/opt/acme/jdk-21", access: Read)]),
///     ],
/// )
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginManifest {
    /// The plugin's name: its file name without `lib` and `.so`.
    pub name: String,
    /// The plugin's own version, shown by `nono presets list`.
    pub version: String,
    /// The presets, requested as `NAME/PRESET`.
    #[serde(default)]
    pub presets: Vec<Preset>,
}

/// Why a plugin's answer is not an acceptable manifest.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The bytes are not UTF-8.
    #[error("returned invalid UTF-8 (at byte {valid_up_to} of {len})")]
    NotUtf8 {
        /// How many bytes are valid.
        valid_up_to: usize,
        /// How many bytes there are.
        len: usize,
    },
    /// Nothing was returned.
    #[error("returned an empty manifest")]
    Empty,
    /// The text is not a manifest in RON.
    #[error("returned a malformed manifest: {0}")]
    Ron(RonError),
    /// The manifest's name is not the plugin's.
    #[error(
        "the manifest names the plugin '{found}', but its file name makes it '{expected}' (lib{expected}.so)"
    )]
    NameMismatch {
        /// The name in the manifest.
        found: String,
        /// The name from the file.
        expected: String,
    },
    /// The version is empty, too long or spans lines.
    #[error("the manifest's version {0:?} must be one line of 1 to 64 printable characters")]
    BadVersion(String),
    /// A preset is not valid.
    #[error("preset '{name}': {error}")]
    Preset {
        /// The preset's name as given.
        name: String,
        /// What is wrong.
        error: PresetError,
    },
    /// Two presets share a name.
    #[error("preset '{0}' is defined twice")]
    Duplicate(String),
}

impl PluginManifest {
    /// Parses and validates a plugin's answer: UTF-8, RON, the name (it must
    /// be `expected_name`), the version, and every preset as any preset is
    /// validated.
    ///
    /// ```
    /// use nono_plugins::{ManifestError, PluginManifest};
    ///
    /// let text = br#"(name: "acme", version: "1.4.0", presets: [(name: "jdk", description: "JDK")])"#;
    /// assert_eq!(PluginManifest::parse(text, "acme").unwrap().presets[0].name, "jdk");
    /// assert!(matches!(
    ///     PluginManifest::parse(text, "other"),
    ///     Err(ManifestError::NameMismatch { .. })
    /// ));
    /// ```
    pub fn parse(bytes: &[u8], expected_name: &str) -> Result<PluginManifest, ManifestError> {
        let text = std::str::from_utf8(bytes).map_err(|e| ManifestError::NotUtf8 {
            valid_up_to: e.valid_up_to(),
            len: bytes.len(),
        })?;
        if text.trim().is_empty() {
            return Err(ManifestError::Empty);
        }
        let manifest: PluginManifest = nono_model::parse_ron(text).map_err(ManifestError::Ron)?;
        manifest.validate(expected_name)?;
        Ok(manifest)
    }

    /// Checks the name, the version and every preset.
    pub fn validate(&self, expected_name: &str) -> Result<(), ManifestError> {
        if self.name != expected_name {
            return Err(ManifestError::NameMismatch {
                found: self.name.clone(),
                expected: expected_name.to_owned(),
            });
        }
        let version_ok = !self.version.is_empty()
            && self.version.chars().count() <= 64
            && !self.version.chars().any(char::is_control);
        if !version_ok {
            return Err(ManifestError::BadVersion(self.version.clone()));
        }
        let mut seen = BTreeSet::new();
        for preset in &self.presets {
            preset.validate().map_err(|error| ManifestError::Preset {
                name: preset.name.clone(),
                error,
            })?;
            if !seen.insert(preset.name.as_str()) {
                return Err(ManifestError::Duplicate(preset.name.clone()));
            }
        }
        Ok(())
    }

    /// The manifest as RON, as a plugin returns it.
    pub fn to_ron(&self) -> Result<String, ron::Error> {
        ron::to_string(self)
    }
}

/// The name of the plugin in file `path`: the file name without `lib` and
/// `.so`, if that is a valid preset name (`libacme.so` is `acme`).
///
/// ```
/// use nono_plugins::plugin_name_from_file;
/// use std::path::Path;
///
/// assert_eq!(plugin_name_from_file(Path::new("/x/libacme.so")).as_deref(), Some("acme"));
/// assert_eq!(plugin_name_from_file(Path::new("/x/acme.so")), None);
/// assert_eq!(plugin_name_from_file(Path::new("/x/libAcme.so")), None);
/// ```
pub fn plugin_name_from_file(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    let name = file.strip_prefix("lib")?.strip_suffix(".so")?;
    Preset::is_valid_name(name).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> Result<PluginManifest, ManifestError> {
        PluginManifest::parse(text.as_bytes(), "acme")
    }

    #[test]
    fn a_good_manifest_parses_with_preset_defaults() {
        let m = parse(
            r#"(name: "acme", version: "1.4.0", presets: [
                (name: "jdk", description: "JDK", grants: [(path: "/opt/jdk", access: Read)]),
                (name: "cache", description: "cache", extends: ["base", "acme/jdk"]),
            ])"#,
        )
        .unwrap();
        assert_eq!(m.presets.len(), 2);
        assert!(m.presets[1].grants.is_empty());
        assert_eq!(m.presets[1].extends, ["base", "acme/jdk"]);
        // No presets at all is acceptable: none apply on this machine.
        assert!(
            parse(r#"(name: "acme", version: "1")"#)
                .unwrap()
                .presets
                .is_empty()
        );
    }

    #[test]
    fn malformed_ron_reports_line_and_column() {
        let err = parse("(\n  name: \"acme\",\n  version: \"1\"\n  presets: [],\n)").unwrap_err();
        let ManifestError::Ron(ron) = &err else {
            panic!("{err}");
        };
        assert_eq!(ron.line, 4, "{err}");
        assert!(
            err.to_string()
                .starts_with("returned a malformed manifest: 4:")
        );
    }

    #[test]
    fn unknown_fields_are_errors_in_the_manifest_and_in_presets() {
        let err = parse(r#"(name: "acme", version: "1", colour: "red")"#).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
        let err = parse(
            r#"(name: "acme", version: "1", presets: [(name: "jdk", description: "d", mode: 7)])"#,
        )
        .unwrap_err();
        assert!(
            matches!(&err, ManifestError::Ron(r) if r.message.contains("mode")),
            "{err}"
        );
    }

    #[test]
    fn name_version_presets_and_utf8_are_checked() {
        assert!(matches!(
            parse(r#"(name: "other", version: "1")"#),
            Err(ManifestError::NameMismatch { .. })
        ));
        for version in ["", "1\n2", &"9".repeat(65)] {
            let text = format!(r#"(name: "acme", version: {version:?})"#);
            assert!(
                matches!(parse(&text), Err(ManifestError::BadVersion(_))),
                "{version:?}"
            );
        }
        let err = parse(
            r#"(name: "acme", version: "1", presets: [(name: "Bad Name", description: "d")])"#,
        )
        .unwrap_err();
        assert!(matches!(err, ManifestError::Preset { .. }), "{err}");
        let err = parse(
            r#"(name: "acme", version: "1", presets: [(name: "x", description: "d", grants: [(path: "", access: Read)])])"#,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("preset 'x': grant 0"), "{err}");
        let err = parse(
            r#"(name: "acme", version: "1", presets: [(name: "x", description: "d"), (name: "x", description: "e")])"#,
        )
        .unwrap_err();
        assert_eq!(err, ManifestError::Duplicate("x".into()));
        let err = PluginManifest::parse(b"(name: \"acme\xff\")", "acme").unwrap_err();
        assert_eq!(
            err,
            ManifestError::NotUtf8 {
                valid_up_to: 12,
                len: 15
            }
        );
        assert_eq!(parse(" \n").unwrap_err(), ManifestError::Empty);
    }

    #[test]
    fn a_manifest_round_trips_through_ron() {
        let m = PluginManifest {
            name: "acme".into(),
            version: "1.4.0".into(),
            presets: vec![
                Preset::new("jdk", "JDK").with_grant(nono_model::FsGrant::new(
                    "/opt/jdk",
                    nono_model::Access::Read,
                )),
            ],
        };
        assert_eq!(parse(&m.to_ron().unwrap()).unwrap(), m);
    }

    #[test]
    fn the_context_ignores_fields_it_does_not_know() {
        let ctx = HostContext::from_ron(r#"(abi_version: 1, cwd: "/w", future_field: 3)"#).unwrap();
        assert_eq!((ctx.abi_version, ctx.cwd.as_str()), (1, "/w"));
        assert_eq!(ctx.home_dir(), None);
    }

    #[test]
    fn plugin_names_come_from_file_names() {
        for (file, name) in [
            ("libacme.so", Some("acme")),
            ("libacme_tools.so", Some("acme_tools")),
            ("libacme.so.1", None),
            ("acme.so", None),
            ("lib.so", None),
            ("libAcme.so", None),
            ("lib-acme.so", None),
        ] {
            assert_eq!(
                plugin_name_from_file(Path::new(file)).as_deref(),
                name,
                "{file}"
            );
        }
    }
}
