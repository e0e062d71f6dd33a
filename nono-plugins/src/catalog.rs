//! Looking presets up, from every source, and expanding their `extends`.

use crate::BUILTIN;
use crate::cache::Provenance;
use crate::discovery::{BadPluginFile, FoundPlugin, PluginSearch};
use crate::isolate::{Evaluator, PluginFailure};
use nono_model::{FsGrant, Preset, PresetError};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a preset was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in nono.
    Builtin,
    /// A file in the user preset directory (`$XDG_CONFIG_HOME/nono/presets`).
    User(PathBuf),
    /// A preset file named by its path (`--preset ./x.ron`).
    File(PathBuf),
    /// A plugin's answer.
    Plugin {
        /// The plugin's name.
        plugin: String,
        /// The plugin file, as found.
        path: PathBuf,
        /// The version the plugin reported.
        version: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => f.write_str("built-in"),
            Origin::User(path) => write!(f, "user file {}", path.display()),
            Origin::File(path) => write!(f, "file {}", path.display()),
            Origin::Plugin { plugin, path, .. } => {
                write!(f, "plugin {plugin} ({})", path.display())
            }
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

impl LoadedPreset {
    /// The name it is requested by: its name, or `PLUGIN/NAME` for a
    /// plugin's preset.
    pub fn qualified_name(&self) -> String {
        match &self.origin {
            Origin::Plugin { plugin, .. } => format!("{plugin}/{}", self.preset.name),
            _ => self.preset.name.clone(),
        }
    }
}

/// A grant contributed by a preset, with the name of the preset that holds it
/// (which may be one it extends, not the one requested).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetGrant {
    /// The grant.
    pub grant: FsGrant,
    /// The preset whose `grants` list holds it, as it is requested
    /// (`acme/jdk` for a plugin's preset).
    pub preset: String,
}

/// A plugin that could not be evaluated: `plugin NAME (PATH): what`.
#[derive(Debug, thiserror::Error)]
#[error("plugin {plugin} ({}): {failure}", path.display())]
pub struct PluginError {
    /// The plugin's name.
    pub plugin: String,
    /// The plugin file, as found.
    pub path: PathBuf,
    /// What went wrong.
    pub failure: PluginFailure,
}

/// Why a preset could not be found or loaded. Every variant names the input.
#[derive(Debug, thiserror::Error)]
pub enum PresetLookupError {
    /// No preset has this name.
    #[error(
        "unknown preset '{name}'{} (known: {known})",
        suggestion(name, known, "")
    )]
    Unknown {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// The spec is neither a name, `PLUGIN/NAME`, nor a `.ron` path.
    #[error(
        "invalid preset name '{0}': use a name such as 'rust', PLUGIN/NAME such as 'acme/jdk', or a path ending in .ron"
    )]
    BadSpec(String),
    /// A plugin preset was asked for where plugins are not enabled.
    #[error("preset '{0}' names a plugin preset, but plugins are not enabled here")]
    PluginsDisabled(String),
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
    /// A user preset file defines a preset of another name.
    #[error(
        "{}: the file defines preset '{found}', but its file name makes it '{expected}'; a user preset file must be named after its preset (NAME.ron)",
        path.display()
    )]
    UserFileName {
        /// The file.
        path: PathBuf,
        /// The name inside.
        found: String,
        /// The name from the file name.
        expected: String,
    },
    /// A file in the user preset directory is not named `NAME.ron`.
    #[error(
        "{}: a user preset file must be named NAME.ron, where NAME is a preset name (lowercase letters, digits, '-', '_', '.')",
        .0.display()
    )]
    BadUserFileName(PathBuf),
    /// No plugin of this name was found.
    #[error("no plugin '{plugin}' ({searched})")]
    NoPlugin {
        /// The plugin's name.
        plugin: String,
        /// Where it was looked for.
        searched: String,
    },
    /// A `--plugin` file is not named `libNAME.so`.
    #[error(transparent)]
    BadPluginFile(#[from] BadPluginFile),
    /// The plugin failed.
    #[error("{0}")]
    Plugin(Arc<PluginError>),
    /// The plugin has no preset of this name.
    #[error(
        "plugin {plugin} ({}) has no preset '{preset}'{} (it has: {known})",
        path.display(),
        suggestion(preset, known, &format!("{plugin}/"))
    )]
    NoPluginPreset {
        /// The plugin's name.
        plugin: String,
        /// The plugin file.
        path: PathBuf,
        /// The preset asked for.
        preset: String,
        /// The presets it has.
        known: String,
    },
    /// `extends` loops back on itself.
    #[error("preset '{0}' extends itself through: {1}")]
    Cycle(String, String),
}

impl PresetLookupError {
    /// Whether this is a plugin's own failure, whose message already starts
    /// with `plugin NAME (PATH):`.
    pub fn is_plugin_failure(&self) -> bool {
        matches!(self, PresetLookupError::Plugin(_))
    }
}

/// A plugin that was evaluated, and its presets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedPlugin {
    /// The plugin's name.
    pub name: String,
    /// The plugin file, as found.
    pub path: PathBuf,
    /// Files of the same name later in the search order.
    pub shadows: Vec<PathBuf>,
    /// The version it reported.
    pub version: String,
    /// Its presets (validated).
    pub presets: Vec<Preset>,
    /// Whether they came from the cache or from evaluating the plugin.
    pub provenance: Provenance,
}

/// Where plugins are found and how they are evaluated.
#[derive(Clone, Debug)]
pub struct PluginHost {
    /// Where plugins are looked for.
    pub search: PluginSearch,
    /// How they are evaluated (in a sandboxed helper).
    pub evaluator: Evaluator,
}

/// One preset of a listing, with what it shadows or is shadowed by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The preset.
    pub preset: LoadedPreset,
    /// What this preset hides: `built-in NAME` for a user file of the same
    /// name, the files of the same plugin name later in the search order.
    pub shadows: Vec<String>,
    /// What hides this preset (a built-in shadowed by a user file).
    pub shadowed_by: Option<String>,
}

/// Every preset from every source, and the sources that failed.
#[derive(Debug, Default)]
pub struct Listing {
    /// Built-ins first, then user files by name, then plugins by name.
    pub presets: Vec<Listed>,
    /// User files and plugins that could not be loaded.
    pub errors: Vec<PresetLookupError>,
}

/// A plugin's evaluation, kept so that it runs once per catalog.
type Evaluated = Result<Arc<LoadedPlugin>, Arc<PluginError>>;

/// Finds presets by spec and expands their `extends`.
///
/// A spec is looked up as follows:
///
/// - a path ending in `.ron` is read directly;
/// - `PLUGIN/NAME` asks that one plugin (and only then is a plugin loaded);
/// - a bare `NAME` is the user file `NAME.ron` in the user preset directory
///   if there is one (so a user file shadows a built-in), else the built-in.
///
/// Each plugin is evaluated at most once per catalog.
#[derive(Debug, Default)]
pub struct Catalog {
    user_dir: Option<PathBuf>,
    plugins: Option<PluginHost>,
    evaluated: RefCell<BTreeMap<String, Evaluated>>,
}

/// `; did you mean 'PREFIXrust'?` when one of the `known` names (as
/// [`known_list`] writes them) is close to the mistyped `name`, else
/// nothing.
fn suggestion(name: &str, known: &str, prefix: &str) -> String {
    // `none` is what known_list writes for no names at all.
    let names = known.split(", ").filter(|_| known != "none");
    did_you_mean(name, names)
        .map(|n| format!("; did you mean '{prefix}{n}'?"))
        .unwrap_or_default()
}

/// The candidate closest to a mistyped `name`, if one is close: at most
/// two edits (an insertion, a deletion, a substitution, or two neighbours
/// swapped) and fewer edits than `name` has characters.
fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= 2 && *d < name.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The optimal string alignment distance between `a` and `b`: the
/// Levenshtein distance, where swapping two neighbouring characters
/// (`rsut` for `rust`) counts as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: the distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

fn known_list(names: impl IntoIterator<Item = String>) -> String {
    let names: Vec<String> = names.into_iter().collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

impl Catalog {
    /// A catalog of the built-in presets and preset files named by path;
    /// no user preset directory, no plugins.
    pub fn new() -> Self {
        Catalog::default()
    }

    /// The same catalog, looking bare names up in `dir` (the user preset
    /// directory) before the built-ins.
    #[must_use]
    pub fn with_user_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.user_dir = dir;
        self
    }

    /// The same catalog, with plugins.
    #[must_use]
    pub fn with_plugins(mut self, host: PluginHost) -> Self {
        self.plugins = Some(host);
        self
    }

    /// The user preset directory, if any.
    pub fn user_dir(&self) -> Option<&Path> {
        self.user_dir.as_deref()
    }

    /// Every built-in preset, in a fixed order.
    pub fn builtins(&self) -> Result<Vec<LoadedPreset>, PresetLookupError> {
        BUILTIN
            .iter()
            .map(|(name, text)| parse(text, &format!("built-in preset {name}"), Origin::Builtin))
            .collect()
    }

    fn builtin(&self, name: &str) -> Option<Result<LoadedPreset, PresetLookupError>> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| parse(text, &format!("built-in preset {n}"), Origin::Builtin))
    }

    /// The user file for `name`, if there is one.
    fn user(&self, name: &str) -> Option<Result<LoadedPreset, PresetLookupError>> {
        let path = self.user_dir.as_ref()?.join(format!("{name}.ron"));
        let text = match read_preset_file(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(source) => return Some(Err(PresetLookupError::Read { path, source })),
        };
        let loaded = parse(
            &text,
            &path.display().to_string(),
            Origin::User(path.clone()),
        )
        .and_then(|loaded| {
            if loaded.preset.name == name {
                Ok(loaded)
            } else {
                Err(PresetLookupError::UserFileName {
                    path,
                    found: loaded.preset.name,
                    expected: name.to_owned(),
                })
            }
        });
        Some(loaded)
    }

    /// The names of the user preset files, sorted, with the files whose
    /// names are not `NAME.ron`.
    fn user_names(&self) -> (Vec<String>, Vec<PathBuf>) {
        let mut names = Vec::new();
        let mut bad = Vec::new();
        let Some(dir) = &self.user_dir else {
            return (names, bad);
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return (names, bad);
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "ron") {
                continue;
            }
            match path.file_stem().and_then(|s| s.to_str()) {
                Some(stem) if Preset::is_valid_name(stem) => names.push(stem.to_owned()),
                _ => bad.push(path),
            }
        }
        names.sort();
        bad.sort();
        (names, bad)
    }

    /// Evaluates the plugin found as `found` (once per catalog).
    fn evaluate(&self, host: &PluginHost, found: &FoundPlugin) -> Evaluated {
        if let Some(done) = self.evaluated.borrow().get(&found.name) {
            return done.clone();
        }
        let result = match host.evaluator.evaluate(&found.name, &found.path) {
            Ok(evaluation) => Ok(Arc::new(LoadedPlugin {
                name: found.name.clone(),
                path: found.path.clone(),
                shadows: found.shadows.clone(),
                version: evaluation.manifest.version,
                presets: evaluation.manifest.presets,
                provenance: evaluation.provenance,
            })),
            Err(failure) => Err(Arc::new(PluginError {
                plugin: found.name.clone(),
                path: found.path.clone(),
                failure,
            })),
        };
        self.evaluated
            .borrow_mut()
            .insert(found.name.clone(), result.clone());
        result
    }

    /// One line for each plugin this catalog has loaded, saying where its
    /// presets came from: `plugin NAME (PATH): presets from the cache
    /// (ENTRY)` or `plugin NAME (PATH): presets evaluated by the plugin
    /// (what the cache said and did)`. For `-v`.
    pub fn plugin_notes(&self) -> Vec<String> {
        self.evaluated
            .borrow()
            .values()
            .filter_map(|evaluated| evaluated.as_ref().ok())
            .map(|p| format!("plugin {} ({}): {}", p.name, p.path.display(), p.provenance))
            .collect()
    }

    /// Finds and evaluates the plugin `name`.
    pub fn plugin(&self, name: &str) -> Result<Arc<LoadedPlugin>, PresetLookupError> {
        let Some(host) = &self.plugins else {
            return Err(PresetLookupError::PluginsDisabled(format!("{name}/...")));
        };
        let found = host
            .search
            .find(name)?
            .ok_or_else(|| PresetLookupError::NoPlugin {
                plugin: name.to_owned(),
                searched: host.search.describe(name),
            })?;
        self.evaluate(host, &found)
            .map_err(PresetLookupError::Plugin)
    }

    fn plugin_preset(
        &self,
        spec: &str,
        plugin: &str,
        name: &str,
    ) -> Result<LoadedPreset, PresetLookupError> {
        if self.plugins.is_none() {
            return Err(PresetLookupError::PluginsDisabled(spec.to_owned()));
        }
        let loaded = self.plugin(plugin)?;
        match loaded.presets.iter().find(|p| p.name == name) {
            Some(preset) => Ok(LoadedPreset {
                preset: preset.clone(),
                origin: plugin_origin(&loaded),
            }),
            None => Err(PresetLookupError::NoPluginPreset {
                plugin: plugin.to_owned(),
                path: loaded.path.clone(),
                preset: name.to_owned(),
                known: known_list(loaded.presets.iter().map(|p| p.name.clone())),
            }),
        }
    }

    /// Loads the preset a spec names.
    pub fn load(&self, spec: &str) -> Result<LoadedPreset, PresetLookupError> {
        if spec.ends_with(".ron") {
            let path = Path::new(spec);
            let text = read_preset_file(path).map_err(|source| PresetLookupError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            return parse(&text, spec, Origin::File(path.to_path_buf()));
        }
        if let Some((plugin, name)) = spec.split_once('/') {
            if !Preset::is_valid_reference(spec) {
                return Err(PresetLookupError::BadSpec(spec.to_owned()));
            }
            return self.plugin_preset(spec, plugin, name);
        }
        if !Preset::is_valid_name(spec) {
            return Err(PresetLookupError::BadSpec(spec.to_owned()));
        }
        if let Some(user) = self.user(spec) {
            return user;
        }
        match self.builtin(spec) {
            Some(builtin) => builtin,
            None => {
                let (user, _) = self.user_names();
                let mut known: Vec<String> = BUILTIN.iter().map(|(n, _)| (*n).to_owned()).collect();
                for u in user {
                    if !known.contains(&u) {
                        known.push(u);
                    }
                }
                Err(PresetLookupError::Unknown {
                    name: spec.to_owned(),
                    known: known_list(known),
                })
            }
        }
    }

    /// Every preset from every source: the built-ins, the user files, and
    /// the presets of every plugin found (each evaluated, in isolation).
    /// A user file or plugin that fails is reported in
    /// [`Listing::errors`]; the rest are still listed.
    pub fn list(&self) -> Listing {
        let mut listing = Listing::default();
        let builtins = match self.builtins() {
            Ok(b) => b,
            Err(e) => {
                listing.errors.push(e);
                Vec::new()
            }
        };
        let (user_names, bad_user_files) = self.user_names();
        listing.errors.extend(
            bad_user_files
                .into_iter()
                .map(PresetLookupError::BadUserFileName),
        );
        let mut user = Vec::new();
        for name in &user_names {
            match self.user(name) {
                Some(Ok(loaded)) => user.push(loaded),
                Some(Err(e)) => listing.errors.push(e),
                None => {}
            }
        }
        for b in builtins {
            let shadowed_by = user
                .iter()
                .find(|u| u.preset.name == b.preset.name)
                .map(|u| u.origin.to_string());
            listing.presets.push(Listed {
                preset: b,
                shadows: Vec::new(),
                shadowed_by,
            });
        }
        for u in user {
            let shadows = BUILTIN
                .iter()
                .filter(|(n, _)| *n == u.preset.name)
                .map(|(n, _)| format!("built-in {n}"))
                .collect();
            listing.presets.push(Listed {
                preset: u,
                shadows,
                shadowed_by: None,
            });
        }
        if let Some(host) = &self.plugins {
            let found = match host.search.all() {
                Ok(found) => found,
                Err(e) => {
                    listing.errors.push(e.into());
                    Vec::new()
                }
            };
            for f in &found {
                match self.evaluate(host, f) {
                    Ok(plugin) => {
                        let shadows: Vec<String> = plugin
                            .shadows
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect();
                        for preset in &plugin.presets {
                            listing.presets.push(Listed {
                                preset: LoadedPreset {
                                    preset: preset.clone(),
                                    origin: plugin_origin(&plugin),
                                },
                                shadows: shadows.clone(),
                                shadowed_by: None,
                            });
                        }
                    }
                    Err(e) => listing.errors.push(PresetLookupError::Plugin(e)),
                }
            }
        }
        listing
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
        let name = loaded.qualified_name();
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

fn plugin_origin(plugin: &LoadedPlugin) -> Origin {
    Origin::Plugin {
        plugin: plugin.name.clone(),
        path: plugin.path.clone(),
        version: plugin.version.clone(),
    }
}

fn parse(text: &str, label: &str, origin: Origin) -> Result<LoadedPreset, PresetLookupError> {
    let preset = Preset::from_ron(text).map_err(|error| PresetLookupError::Invalid {
        path: label.to_owned(),
        error,
    })?;
    Ok(LoadedPreset { preset, origin })
}

/// The largest preset file nono reads.
pub const PRESET_FILE_LIMIT: u64 = 1024 * 1024;

/// Reads a preset file: a regular file (not a FIFO or a device that would
/// never end), at most [`PRESET_FILE_LIMIT`] bytes, in UTF-8.
fn read_preset_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(std::io::Error::other("is a directory"));
    }
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut text = String::new();
    file.take(PRESET_FILE_LIMIT + 1).read_to_string(&mut text)?;
    if text.len() as u64 > PRESET_FILE_LIMIT {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB",
            PRESET_FILE_LIMIT / 1024
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
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
    fn a_near_miss_gets_a_suggestion_and_a_far_one_none() {
        let names = [
            "base", "tmp", "rust", "python", "node", "go", "git", "shell",
        ];
        for (typed, want) in [
            ("rsut", Some("rust")),
            ("rut", Some("rust")),
            ("pyhton", Some("python")),
            ("pythn", Some("python")),
            ("nodes", Some("node")),
            ("gti", Some("git")),
            ("shel", Some("shell")),
            ("java", None),
            ("cobol", None),
            // Two edits in a two-letter name rewrite all of it.
            ("js", None),
        ] {
            assert_eq!(did_you_mean(typed, names), want, "{typed}");
        }
        assert_eq!(edit_distance("", "go"), 2);
        assert_eq!(edit_distance("rust", "rust"), 0);
        assert_eq!(edit_distance("ab", "ba"), 1);
        let e = Catalog::new().load("rsut").unwrap_err().to_string();
        assert!(
            e.starts_with("unknown preset 'rsut'; did you mean 'rust'? (known: "),
            "{e}"
        );
        let e = Catalog::new().load("java").unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
    }

    #[test]
    fn unknown_and_plugin_specs_are_clear_errors() {
        let c = Catalog::new();
        let e = c.load("nosuch").unwrap_err().to_string();
        assert!(e.contains("'nosuch'") && e.contains("rust"), "{e}");
        assert!(matches!(
            c.load("acme/jdk"),
            Err(PresetLookupError::PluginsDisabled(_))
        ));
        for bad in ["Bad Name", "acme/", "/jdk", "a/b/c"] {
            assert!(
                matches!(c.load(bad), Err(PresetLookupError::BadSpec(_))),
                "{bad}"
            );
        }
    }

    fn user_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn a_user_file_shadows_a_builtin_and_extends_resolve_through_user_files() {
        let dir = user_dir(&[
            (
                "tmp.ron",
                r#"(name: "tmp", description: "mine", grants: [(path: "/srv/tmp", access: Allow)])"#,
            ),
            (
                "web.ron",
                r#"(name: "web", description: "web", extends: ["tmp", "git"])"#,
            ),
        ]);
        let c = Catalog::new().with_user_dir(Some(dir.path().to_path_buf()));
        let tmp = c.load("tmp").unwrap();
        assert_eq!(tmp.origin, Origin::User(dir.path().join("tmp.ron")));
        let grants = c.expand("web").unwrap();
        assert!(grants.iter().any(|g| g.grant.path == "/srv/tmp"));
        assert!(!grants.iter().any(|g| g.grant.path == "/tmp"));
        // The built-in git (and base, which it extends) came through.
        assert!(grants.iter().any(|g| g.preset == "git"));
        assert!(grants.iter().any(|g| g.preset == "base"));

        let listing = c.list();
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        let builtin_tmp = listing
            .presets
            .iter()
            .find(|l| l.preset.origin == Origin::Builtin && l.preset.preset.name == "tmp")
            .unwrap();
        assert!(
            builtin_tmp
                .shadowed_by
                .as_ref()
                .unwrap()
                .contains("tmp.ron")
        );
        let user_tmp = listing
            .presets
            .iter()
            .find(|l| matches!(l.preset.origin, Origin::User(_)) && l.preset.preset.name == "tmp")
            .unwrap();
        assert_eq!(user_tmp.shadows, ["built-in tmp"]);
    }

    #[test]
    fn a_user_file_must_define_the_preset_it_is_named_after() {
        let dir = user_dir(&[
            ("ours.ron", r#"(name: "theirs", description: "d")"#),
            ("Bad Name.ron", r#"(name: "x", description: "d")"#),
            ("notes.txt", "not a preset"),
        ]);
        let c = Catalog::new().with_user_dir(Some(dir.path().to_path_buf()));
        let err = c.load("ours").unwrap_err();
        assert!(
            matches!(&err, PresetLookupError::UserFileName { found, expected, .. } if found == "theirs" && expected == "ours"),
            "{err}"
        );
        let listing = c.list();
        assert_eq!(listing.errors.len(), 2, "{:?}", listing.errors);
        // The built-ins are still listed.
        assert_eq!(listing.presets.len(), BUILTIN.len());
    }

    #[test]
    fn a_missing_user_dir_means_built_ins_only() {
        let c = Catalog::new().with_user_dir(Some("/nonexistent/nono/presets".into()));
        assert_eq!(c.load("rust").unwrap().origin, Origin::Builtin);
        assert_eq!(c.list().presets.len(), BUILTIN.len());
    }

    #[test]
    fn cycles_through_user_files_are_reported() {
        let dir = user_dir(&[
            ("a.ron", r#"(name: "a", description: "d", extends: ["b"])"#),
            ("b.ron", r#"(name: "b", description: "d", extends: ["a"])"#),
        ]);
        let c = Catalog::new().with_user_dir(Some(dir.path().to_path_buf()));
        let err = c.expand("a").unwrap_err().to_string();
        assert!(err.contains("a -> b -> a"), "{err}");
    }
}
