//! Advice for the user, computed from the compiled policy: warnings before
//! a dangerous grant, the optional grants skipped because their path is
//! missing (with the fix), and the built-in preset that covers a program
//! the sandbox refused to execute.

use nono_compile::{Resolution, ResolveEnv, ResolvedGrant};
use nono_model::{Access, FsRight, GrantSource, Preset, Ruleset};
use std::path::{Path, PathBuf};

/// Shell startup files, relative to the home (or to `$ZDOTDIR` for zsh's):
/// a shell runs them, outside any sandbox, when it starts.
const STARTUP_FILES: [&str; 11] = [
    ".profile",
    ".bash_profile",
    ".bash_login",
    ".bashrc",
    ".bash_logout",
    ".bash_aliases",
    ".zshenv",
    ".zprofile",
    ".zshrc",
    ".zlogin",
    ".config/fish/config.fish",
];

/// The places outside the sandbox that a grant may reach into: the home and
/// the directories of `PATH`, canonical.
#[derive(Debug, Default)]
pub struct Surroundings {
    /// The home directory (`$HOME`), canonical.
    pub home: Option<PathBuf>,
    /// `$ZDOTDIR`, canonical, when it is set.
    pub zdotdir: Option<PathBuf>,
    /// Every absolute directory of `$PATH` that exists, canonical.
    pub path_dirs: Vec<PathBuf>,
}

impl Surroundings {
    /// This process's home and `PATH`.
    pub fn from_env() -> Self {
        let canonical = |var: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .and_then(|v| std::fs::canonicalize(v).ok())
        };
        let path_dirs = std::env::var_os("PATH")
            .map(|p| {
                std::env::split_paths(&p)
                    .filter(|d| d.is_absolute())
                    .filter_map(|d| std::fs::canonicalize(d).ok())
                    .collect()
            })
            .unwrap_or_default();
        Surroundings {
            home: canonical("HOME"),
            zdotdir: canonical("ZDOTDIR"),
            path_dirs,
        }
    }

    /// `path` written with `~` for the home.
    fn show(&self, path: &Path) -> String {
        match self.home.as_deref().map(|h| path.strip_prefix(h)) {
            Some(Ok(rest)) if rest.as_os_str().is_empty() => "~".to_owned(),
            Some(Ok(rest)) => format!("~/{}", rest.display()),
            _ => path.display().to_string(),
        }
    }

    /// The shell startup files that exist, canonical. zsh reads its own
    /// from `$ZDOTDIR` when that is set.
    fn startup_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = Vec::new();
        for rel in STARTUP_FILES {
            let base = if rel.starts_with(".z") {
                self.zdotdir.as_ref().or(self.home.as_ref())
            } else {
                self.home.as_ref()
            };
            if let Some(file) = base.and_then(|b| std::fs::canonicalize(b.join(rel)).ok())
                && !files.contains(&file)
            {
                files.push(file);
            }
        }
        files
    }
}

/// The warnings for the grants the user typed (`--read`, `--write`,
/// `--allow`) that can write somewhere dangerous: the whole filesystem,
/// `/etc`, the home, a shell startup file, a directory on `PATH`. Each is
/// one line without the `nono: WARNING: ` prefix, saying what the grant
/// exposes and the narrower grant to use; an ordinary grant gets none.
/// Presets are left alone: a toolchain preset is the narrow grant (the
/// `rust` preset's `~/.cargo` holds `~/.cargo/bin`, on `PATH`, and that is
/// the toolchain it is for).
pub fn dangerous_grants(resolved: &[ResolvedGrant], around: &Surroundings) -> Vec<String> {
    let startup = around.startup_files();
    resolved
        .iter()
        .filter_map(|g| {
            let GrantSource::Flag(flag) = &g.source else {
                return None;
            };
            let Resolution::Resolved { path, .. } = &g.resolution else {
                return None;
            };
            if g.access == Access::Read {
                return None;
            }
            let what = exposure(path, &g.requested, around, &startup)?;
            Some(format!("{flag} {}: {what}", g.requested))
        })
        .collect()
}

/// What a writable grant on `path` (written `requested`) exposes, and the
/// narrower grant; `None` for an ordinary grant.
fn exposure(
    path: &Path,
    requested: &str,
    around: &Surroundings,
    startup: &[PathBuf],
) -> Option<String> {
    let covers = |p: &Path| p.starts_with(path);
    if path == Path::new("/") {
        return Some(
            "the command can change every file you can write on this machine (all of them as root), your shell's startup files and the programs on your PATH among them; grant the project directory instead (--allow .) and toolchains by their preset (--preset rust)".to_owned(),
        );
    }
    if path.starts_with("/etc") || covers(Path::new("/etc")) {
        return Some(format!(
            "the command can change the system's configuration in {}, which programs outside the sandbox trust (as root: /etc/ld.so.preload, sudoers, cron); grant the files it needs read-only instead (--read /etc/FILE)",
            path.display()
        ));
    }
    if around.home.as_deref().is_some_and(covers) {
        return Some(
            "the command can change the files in your home that nono does not carve out, among them your shell's startup files (~/.bashrc, ~/.profile), which run at your next login, and the programs in ~/.local/bin; grant the project directory instead (--allow ~/PROJECT) and toolchains by their preset (--preset rust)".to_owned(),
        );
    }
    let files: Vec<String> = startup
        .iter()
        .filter(|f| covers(f))
        .map(|f| around.show(f))
        .collect();
    if !files.is_empty() {
        return Some(format!(
            "the command can change the shell startup file{} {}, which your shell runs outside the sandbox when it starts; grant only the directories the command works in (a shell in the sandbox reads its startup files with --preset shell)",
            if files.len() == 1 { "" } else { "s" },
            files.join(", ")
        ));
    }
    let dir = around.path_dirs.iter().find(|d| covers(d))?;
    Some(format!(
        "{} is on your PATH: a program the command puts there runs outside the sandbox the next time you call it by name; grant it read-only instead (--read {requested})",
        around.show(dir)
    ))
}

/// An optional grant that was skipped because its path does not exist.
#[derive(Debug)]
pub struct Missing<'a> {
    /// The grant.
    pub grant: &'a ResolvedGrant,
    /// Where it would be, expanded and absolute.
    pub path: PathBuf,
    /// How to make the command able to use it, when a sandboxed command
    /// would want to create it (a writable path) and nothing inside the
    /// sandbox can: no rule exists for a missing path.
    pub fix: Option<String>,
}

impl std::fmt::Display for Missing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({}): {} does not exist",
            self.grant.access.word(),
            self.grant.requested,
            self.grant.source,
            self.path.display()
        )?;
        if let Some(fix) = &self.fix {
            write!(f, ", and the command cannot create it; {fix}")?;
        }
        Ok(())
    }
}

/// The optional grants skipped because their path does not exist (not
/// those skipped for an unset variable: that is the usual way to say "not
/// here"), in policy order. A writable one (not a device) gets a fix when
/// the sandbox (`ruleset`) could not create it either: its nearest existing
/// directory does not allow making a directory.
pub fn missing_optional<'a>(
    resolved: &'a [ResolvedGrant],
    env: &ResolveEnv,
    ruleset: &Ruleset,
) -> Vec<Missing<'a>> {
    resolved
        .iter()
        .filter_map(|g| {
            let Resolution::Skipped { reason } = &g.resolution else {
                return None;
            };
            if reason != "no such file or directory" {
                return None;
            }
            let path = env.cwd.join(nono_compile::expand(&g.requested, env).ok()?);
            // A writable directory a tool fills (a cache, a build
            // directory); devices are not made with mkdir.
            let wanted = g.access != Access::Read && !path.starts_with("/dev");
            let fix = (wanted && !sandbox_can_create(&path, ruleset)).then(|| {
                format!(
                    "create it first (mkdir -p {}) to let the command use it",
                    path.display()
                )
            });
            Some(Missing {
                grant: g,
                path,
                fix,
            })
        })
        .collect()
}

/// Whether a sandboxed command could create the missing `path`: its
/// nearest existing directory allows making a directory there.
fn sandbox_can_create(path: &Path, ruleset: &Ruleset) -> bool {
    let Some(nearest) = path.ancestors().skip(1).find(|a| a.exists()) else {
        return false;
    };
    let nearest = std::fs::canonicalize(nearest).unwrap_or_else(|_| nearest.to_path_buf());
    nono_compile::allowed(ruleset, &nearest, FsRight::MakeDir)
}

/// The built-in toolchain preset that grants Read on `path` here, and the
/// grant (as written) that covers it: for a program under `~/.cargo/bin`,
/// `rust` and `${CARGO_HOME:-~/.cargo}`. `base` and `tmp` are left out:
/// they come with every run unless `--no-base`, where naming the program's
/// directory is the better advice.
pub fn covering_preset(path: &Path, env: &ResolveEnv) -> Option<(String, String)> {
    nono_plugins::BUILTIN
        .iter()
        .filter(|(name, _)| !matches!(*name, "base" | "tmp"))
        .filter_map(|(_, text)| Preset::from_ron(text).ok())
        .find_map(|preset| {
            let grant = preset.grants.iter().find(|g| {
                g.access != Access::Write
                    && nono_compile::expand(&g.path, env)
                        .ok()
                        .and_then(|p| std::fs::canonicalize(env.cwd.join(p)).ok())
                        .is_some_and(|granted| path.starts_with(granted))
            })?;
            Some((preset.name.clone(), grant.path.clone()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nono_model::FileKind;

    fn grant(flag: &str, access: Access, path: &str) -> ResolvedGrant {
        ResolvedGrant {
            requested: path.to_owned(),
            access,
            optional: false,
            source: GrantSource::Flag(flag.to_owned()),
            resolution: Resolution::Resolved {
                expanded: path.into(),
                path: path.into(),
                kind: FileKind::Dir,
                dev: 1,
                ino: 1,
            },
        }
    }

    fn around() -> Surroundings {
        Surroundings {
            home: Some("/nonexistent-home/ada".into()),
            zdotdir: None,
            path_dirs: vec!["/usr/bin".into(), "/opt/tools/bin".into()],
        }
    }

    #[test]
    fn each_dangerous_writable_grant_gets_one_warning_and_ordinary_ones_none() {
        let a = around();
        let cases = [
            ("/", Some("every file you can write")),
            ("/etc", Some("configuration in /etc")),
            ("/etc/nginx", Some("configuration in /etc/nginx")),
            ("/nonexistent-home/ada", Some("files in your home")),
            ("/nonexistent-home", Some("files in your home")),
            ("/usr", Some("/usr/bin is on your PATH")),
            ("/opt/tools", Some("/opt/tools/bin is on your PATH")),
            ("/opt/tools/bin", Some("/opt/tools/bin is on your PATH")),
            ("/nonexistent-home/ada/proj", None),
            ("/opt/other", None),
            ("/srv", None),
        ];
        for (path, want) in cases {
            for access in [Access::Write, Access::Allow] {
                let got = dangerous_grants(&[grant("--allow", access, path)], &a);
                match want {
                    Some(needle) => {
                        assert_eq!(got.len(), 1, "{path}: {got:?}");
                        assert!(got[0].contains(needle), "{path}: {got:?}");
                        assert!(got[0].starts_with(&format!("--allow {path}: ")));
                    }
                    None => assert!(got.is_empty(), "{path}: {got:?}"),
                }
            }
            // Read grants, and grants from presets, never warn.
            assert!(dangerous_grants(&[grant("--read", Access::Read, path)], &a).is_empty());
            let mut preset = grant("--allow", Access::Allow, path);
            preset.source = GrantSource::Preset("rust".into());
            assert!(dangerous_grants(&[preset], &a).is_empty());
        }
    }
}
