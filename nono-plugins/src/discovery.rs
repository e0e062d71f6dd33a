//! Where user preset files and plugins are found.
//!
//! A plugin named `acme` is the file `libacme.so` in the first of:
//!
//! 1. the `--plugin PATH` files, in the order given;
//! 2. the directories of `$NONO_PLUGIN_PATH` (colon-separated), in order;
//! 3. `$XDG_CONFIG_HOME/nono/plugins` (default `~/.config/nono/plugins`);
//! 4. `/etc/nono/plugins`.
//!
//! User preset files are `$XDG_CONFIG_HOME/nono/presets/NAME.ron`.

use crate::manifest::plugin_name_from_file;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The system-wide plugin directory.
pub const SYSTEM_PLUGIN_DIR: &str = "/etc/nono/plugins";

/// The environment variable listing plugin directories.
pub const PLUGIN_PATH_VAR: &str = "NONO_PLUGIN_PATH";

/// nono's configuration directory: `$XDG_CONFIG_HOME/nono` when that is set
/// to an absolute path (as the XDG specification requires), else
/// `$HOME/.config/nono`; `None` without either.
pub fn config_dir(xdg_config_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let xdg = xdg_config_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        home.filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".config"))
    })?;
    Some(base.join("nono"))
}

/// The user preset directory for this process's environment.
pub fn user_preset_dir() -> Option<PathBuf> {
    config_dir(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
    .map(|d| d.join("presets"))
}

/// The directories a value of `$NONO_PLUGIN_PATH` names, in order: its
/// absolute entries. A relative entry would be searched in the working
/// directory, where a project could plant a plugin, so it is ignored (and
/// so is an empty one).
pub fn plugin_path_dirs(plugin_path: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    plugin_path
        .map(|p| {
            std::env::split_paths(p)
                .filter(|d| d.is_absolute())
                .collect()
        })
        .unwrap_or_default()
}

/// One directory searched for plugins, and why it is searched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchDir {
    /// The directory.
    pub path: PathBuf,
    /// Where it comes from: `$NONO_PLUGIN_PATH`, the user configuration
    /// directory, or the system directory.
    pub from: &'static str,
}

/// Where plugins are looked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginSearch {
    /// Plugin files named with `--plugin`, searched first.
    pub explicit: Vec<PathBuf>,
    /// Directories, searched in order after them.
    pub dirs: Vec<SearchDir>,
}

/// A plugin file found by the search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundPlugin {
    /// The plugin's name (`acme` for `libacme.so`).
    pub name: String,
    /// The file, as found (before symlinks are resolved).
    pub path: PathBuf,
    /// Files of the same name later in the search order, which this one
    /// shadows.
    pub shadows: Vec<PathBuf>,
}

/// A `--plugin PATH` whose file name is not `libNAME.so`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "--plugin {0}: a plugin file must be named libNAME.so, where NAME is its plugin name (lowercase letters, digits, '-', '_', '.')"
)]
pub struct BadPluginFile(pub PathBuf);

impl PluginSearch {
    /// The search for this process's environment, with the `--plugin`
    /// files `explicit`.
    pub fn from_env(explicit: Vec<PathBuf>) -> PluginSearch {
        PluginSearch::new(
            explicit,
            std::env::var_os(PLUGIN_PATH_VAR),
            config_dir(
                std::env::var_os("XDG_CONFIG_HOME"),
                std::env::var_os("HOME"),
            ),
        )
    }

    /// The search given `--plugin` files, the value of `$NONO_PLUGIN_PATH`
    /// and nono's configuration directory.
    pub fn new(
        explicit: Vec<PathBuf>,
        plugin_path: Option<OsString>,
        config_dir: Option<PathBuf>,
    ) -> PluginSearch {
        let mut dirs: Vec<SearchDir> = plugin_path_dirs(plugin_path.as_deref())
            .into_iter()
            .map(|path| SearchDir {
                path,
                from: "$NONO_PLUGIN_PATH",
            })
            .collect();
        if let Some(config) = config_dir {
            dirs.push(SearchDir {
                path: config.join("plugins"),
                from: "the user plugin directory",
            });
        }
        dirs.push(SearchDir {
            path: PathBuf::from(SYSTEM_PLUGIN_DIR),
            from: "the system plugin directory",
        });
        PluginSearch { explicit, dirs }
    }

    /// Every candidate file in search order: `(name, path)`.
    fn candidates(&self) -> Result<Vec<(String, PathBuf)>, BadPluginFile> {
        let mut out = Vec::new();
        for path in &self.explicit {
            let name = plugin_name_from_file(path).ok_or_else(|| BadPluginFile(path.clone()))?;
            out.push((name, path.clone()));
        }
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(&dir.path) else {
                // A directory that does not exist (or cannot be read) holds
                // no plugins.
                continue;
            };
            let mut found: Vec<(String, PathBuf)> = entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let path = e.path();
                    plugin_name_from_file(&path).map(|n| (n, path))
                })
                .collect();
            found.sort();
            out.extend(found);
        }
        Ok(out)
    }

    /// The plugin named `name`: the first `libNAME.so` in search order.
    pub fn find(&self, name: &str) -> Result<Option<FoundPlugin>, BadPluginFile> {
        Ok(self.all()?.into_iter().find(|p| p.name == name))
    }

    /// Every plugin found, by name, each with the files it shadows.
    pub fn all(&self) -> Result<Vec<FoundPlugin>, BadPluginFile> {
        let mut by_name: BTreeMap<String, FoundPlugin> = BTreeMap::new();
        for (name, path) in self.candidates()? {
            match by_name.get_mut(&name) {
                Some(first) => {
                    if !same_file(&first.path, &path) {
                        first.shadows.push(path);
                    }
                }
                None => {
                    by_name.insert(
                        name.clone(),
                        FoundPlugin {
                            name,
                            path,
                            shadows: Vec::new(),
                        },
                    );
                }
            }
        }
        Ok(by_name.into_values().collect())
    }

    /// Where a plugin named `name` was looked for, for an error message.
    pub fn describe(&self, name: &str) -> String {
        let mut places: Vec<String> = Vec::new();
        if !self.explicit.is_empty() {
            places.push("the --plugin files".to_owned());
        }
        places.extend(
            self.dirs
                .iter()
                .map(|d| format!("{} ({})", d.path.display(), d.from)),
        );
        format!("looked for lib{name}.so in {}", places.join(", "))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_config_dir_follows_xdg_then_home() {
        assert_eq!(
            config_dir(Some("/x".into()), Some("/h".into())),
            Some(PathBuf::from("/x/nono"))
        );
        // A relative XDG_CONFIG_HOME is ignored, as the specification says.
        assert_eq!(
            config_dir(Some("rel".into()), Some("/h".into())),
            Some(PathBuf::from("/h/.config/nono"))
        );
        assert_eq!(
            config_dir(None, Some("/h".into())),
            Some(PathBuf::from("/h/.config/nono"))
        );
        assert_eq!(config_dir(None, Some("".into())), None);
    }

    #[test]
    fn search_order_is_explicit_then_path_then_user_then_system() {
        let s = PluginSearch::new(
            vec!["/p/libx.so".into()],
            Some("/a::/b".into()),
            Some("/cfg/nono".into()),
        );
        let dirs: Vec<&Path> = s.dirs.iter().map(|d| d.path.as_path()).collect();
        assert_eq!(
            dirs,
            [
                Path::new("/a"),
                Path::new("/b"),
                Path::new("/cfg/nono/plugins"),
                Path::new(SYSTEM_PLUGIN_DIR)
            ]
        );
        assert!(s.describe("acme").contains("libacme.so"));
    }

    #[test]
    fn the_first_file_of_a_name_wins_and_shadows_the_rest() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            std::fs::write(dir.join("libacme.so"), b"").unwrap();
        }
        std::fs::write(b.path().join("libtools.so"), b"").unwrap();
        std::fs::write(b.path().join("not-a-plugin.so"), b"").unwrap();
        std::fs::write(b.path().join("libBad.so"), b"").unwrap();
        let path = std::env::join_paths([a.path(), b.path()]).unwrap();
        let s = PluginSearch::new(Vec::new(), Some(path.clone()), None);
        let all = s.all().unwrap();
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["acme", "tools"]);
        assert_eq!(all[0].path, a.path().join("libacme.so"));
        assert_eq!(all[0].shadows, [b.path().join("libacme.so")]);

        // An explicit --plugin file comes first.
        let explicit = b.path().join("libacme.so");
        let s = PluginSearch::new(vec![explicit.clone()], Some(path), None);
        assert_eq!(s.find("acme").unwrap().unwrap().path, explicit);
        assert_eq!(s.find("nosuch").unwrap(), None);
    }

    #[test]
    fn an_explicit_file_must_be_named_lib_name_so() {
        let s = PluginSearch::new(vec!["/x/acme.so".into()], None, None);
        let err = s.find("acme").unwrap_err();
        assert!(err.to_string().contains("--plugin /x/acme.so"), "{err}");
    }
}
