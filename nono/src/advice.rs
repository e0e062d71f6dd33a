//! Advice for the user, computed from the compiled policy: warnings before
//! a dangerous grant, the optional grants skipped because their path is
//! missing (with the fix), and the built-in preset that covers a program
//! the sandbox refused to execute.

use nono_compile::{FsProbe, Memo, Resolution, ResolveEnv, ResolvedGrant};
use nono_model::{Access, FsRight, GrantSource, Preset, Ruleset};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// Shell startup files directly in the home (zsh's in `$ZDOTDIR` when that
/// is set): a shell runs them, outside any sandbox, when it starts.
const STARTUP_FILES: [&str; 10] = [
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
];

/// fish's startup file, relative to the home.
const FISH_CONFIG: &str = ".config/fish/config.fish";

/// The places outside the sandbox that a grant may reach into: the home,
/// the shell startup files and the directories of `PATH`, canonical. Each
/// is looked up only when a grant needs it, through one memo of `lstat`s,
/// since nono runs this before every command: `--allow .` costs one listing
/// of the home and a look at each directory of `PATH`, components shared
/// between them looked up once.
pub struct Surroundings<'m> {
    memo: &'m Memo<'static>,
    home_var: Option<PathBuf>,
    zdotdir_var: Option<PathBuf>,
    path_var: Option<std::ffi::OsString>,
    home: OnceCell<Option<PathBuf>>,
    startup: OnceCell<Vec<PathBuf>>,
    path_dirs: OnceCell<Vec<PathBuf>>,
}

impl<'m> Surroundings<'m> {
    /// This process's home, `$ZDOTDIR` and `PATH`, looked up on demand
    /// through `memo` (the one the policy was compiled with, which knows
    /// most of their directories already).
    pub fn from_env(memo: &'m Memo<'static>) -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Surroundings {
            memo,
            home_var: var("HOME").map(PathBuf::from),
            zdotdir_var: var("ZDOTDIR").map(PathBuf::from),
            path_var: var("PATH"),
            home: OnceCell::new(),
            startup: OnceCell::new(),
            path_dirs: OnceCell::new(),
        }
    }

    /// Fixed surroundings, looked up nowhere (for tests).
    #[cfg(test)]
    fn fixed(memo: &'m Memo<'static>, home: &str, startup: &[&str], path_dirs: &[&str]) -> Self {
        let s = Surroundings {
            memo,
            home_var: None,
            zdotdir_var: None,
            path_var: None,
            home: OnceCell::new(),
            startup: OnceCell::new(),
            path_dirs: OnceCell::new(),
        };
        let _ = s.home.set(Some(home.into()));
        let _ = s.startup.set(startup.iter().map(PathBuf::from).collect());
        let _ = s
            .path_dirs
            .set(path_dirs.iter().map(PathBuf::from).collect());
        s
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        self.memo.canonicalize(path).ok()
    }

    /// The home directory, canonical.
    fn home(&self) -> Option<&Path> {
        self.home
            .get_or_init(|| self.canonical(self.home_var.as_deref()?))
            .as_deref()
    }

    /// The shell startup files that exist, canonical (a link to a dotfiles
    /// repository is followed). One listing of the home finds which exist.
    fn startup_files(&self) -> &[PathBuf] {
        self.startup.get_or_init(|| {
            let mut files: Vec<PathBuf> = Vec::new();
            let Some(home) = self.home() else {
                return files;
            };
            let zdotdir = self
                .zdotdir_var
                .as_deref()
                .and_then(|z| self.canonical(z))
                .filter(|z| z != home);
            let mut has_config = false;
            if let Ok(entries) = std::fs::read_dir(home) {
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    has_config |= name == ".config";
                    let zsh = name.as_encoded_bytes().starts_with(b".z");
                    if STARTUP_FILES.iter().any(|f| name == *f) && !(zsh && zdotdir.is_some()) {
                        files.extend(self.canonical(&home.join(&name)));
                    }
                }
            }
            if let Some(z) = &zdotdir {
                let zsh = STARTUP_FILES.iter().filter(|f| f.starts_with(".z"));
                files.extend(zsh.filter_map(|f| self.canonical(&z.join(f))));
            }
            if has_config {
                files.extend(self.canonical(&home.join(FISH_CONFIG)));
            }
            files.sort();
            files.dedup();
            files
        })
    }

    /// Every absolute directory of `PATH` that exists, canonical.
    fn path_dirs(&self) -> &[PathBuf] {
        self.path_dirs.get_or_init(|| {
            let Some(path) = &self.path_var else {
                return Vec::new();
            };
            let mut dirs: Vec<PathBuf> = Vec::new();
            for dir in std::env::split_paths(path).filter(|d| d.is_absolute()) {
                if let Some(c) = self.canonical(&dir)
                    && !dirs.contains(&c)
                {
                    dirs.push(c);
                }
            }
            dirs
        })
    }

    /// `path` written with `~` for the home.
    fn show(&self, path: &Path) -> String {
        match self.home().map(|h| path.strip_prefix(h)) {
            Some(Ok(rest)) if rest.as_os_str().is_empty() => "~".to_owned(),
            Some(Ok(rest)) => format!("~/{}", rest.display()),
            _ => path.display().to_string(),
        }
    }
}

/// The warnings for the grants that can write somewhere dangerous: the
/// whole filesystem, `/etc`, the home, a shell startup file, a directory
/// on `PATH`. Each is one line without the `nono: WARNING: ` prefix, saying
/// what the grant exposes and the narrower grant to use; an ordinary grant
/// gets none. The grants of built-in presets are left alone: a toolchain
/// preset is the narrow grant (the `rust` preset's `~/.cargo` holds
/// `~/.cargo/bin`, on `PATH`, and that is the toolchain it is for).
pub fn dangerous_grants(resolved: &[ResolvedGrant], around: &Surroundings) -> Vec<String> {
    resolved
        .iter()
        .filter_map(|g| {
            let Resolution::Resolved { path, .. } = &g.resolution else {
                return None;
            };
            if g.access == Access::Read {
                return None;
            }
            let shown = match &g.source {
                GrantSource::Flag(flag) => format!("{flag} {}", g.requested),
                GrantSource::Preset(name) if !is_builtin_grant(g) => {
                    format!("preset {name} grants {} {}", g.access.word(), g.requested)
                }
                _ => return None,
            };
            let what = exposure(path, &g.requested, around)?;
            Some(format!("{shown}: {what}"))
        })
        .collect()
}

/// Whether a built-in preset has this very grant (path as written, and
/// level): then it is the narrow grant, whatever preset it came through (a
/// user file may copy it). A user file, a `.ron` path or a plugin that
/// grants more gets the same warnings as a flag: a preset file shipped
/// with a project could grant `~` on its users' behalf.
///
/// The built-in files are searched as text, one grant a line as they are
/// written (a test holds every one of them to that), rather than parsed:
/// this runs before every command.
fn is_builtin_grant(g: &ResolvedGrant) -> bool {
    let needle = format!("(path: {:?}, access: {:?}", g.requested, g.access);
    nono_plugins::BUILTIN
        .iter()
        .any(|(_, text)| text.lines().any(|l| l.trim_start().starts_with(&needle)))
}

/// What a writable grant on `path` (written `requested`) exposes, and the
/// narrower grant; `None` for an ordinary grant.
fn exposure(path: &Path, requested: &str, around: &Surroundings) -> Option<String> {
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
    if around.home().is_some_and(covers) {
        return Some(
            "the command can change the files in your home that nono does not carve out, among them your shell's startup files (~/.bashrc, ~/.profile), which run at your next login, and the programs in ~/.local/bin; grant the project directory instead (--allow ~/PROJECT) and toolchains by their preset (--preset rust)".to_owned(),
        );
    }
    let files: Vec<String> = around
        .startup_files()
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
    let dir = around.path_dirs().iter().find(|d| covers(d))?;
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
            // directory); devices are not made with mkdir, but /dev/shm is
            // an ordinary tmpfs where a cache may well live.
            let device = path.starts_with("/dev") && !path.starts_with("/dev/shm");
            let wanted = g.access != Access::Read && !device;
            let fix = (wanted && !sandbox_can_create(&path, ruleset)).then(|| {
                format!(
                    "create it first (mkdir -p {}) to let the command use it",
                    shell_quoted(&path)
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

/// `path` as a shell word, so that a command nono suggests can be pasted as
/// it is: quoted unless it holds only characters no shell treats
/// specially. A path from a preset file or the environment may hold `;`
/// or `$(...)`, which must not run when the user pastes the fix.
fn shell_quoted(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._+-,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
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

    fn around<'a>(memo: &'a Memo<'static>) -> Surroundings<'a> {
        Surroundings::fixed(
            memo,
            "/nonexistent-home/ada",
            &["/nonexistent-home/ada/.bashrc", "/srv/dotfiles/zshrc"],
            &["/usr/bin", "/opt/tools/bin"],
        )
    }

    #[test]
    fn each_dangerous_writable_grant_gets_one_warning_and_ordinary_ones_none() {
        let memo = Memo::new(&nono_compile::RealFs);
        let a = around(&memo);
        let cases = [
            ("/", Some("every file you can write")),
            ("/etc", Some("configuration in /etc")),
            ("/etc/nginx", Some("configuration in /etc/nginx")),
            ("/nonexistent-home/ada", Some("files in your home")),
            ("/nonexistent-home", Some("files in your home")),
            ("/usr", Some("/usr/bin is on your PATH")),
            ("/opt/tools", Some("/opt/tools/bin is on your PATH")),
            ("/opt/tools/bin", Some("/opt/tools/bin is on your PATH")),
            (
                "/nonexistent-home/ada/.bashrc",
                Some("startup file ~/.bashrc,"),
            ),
            ("/srv/dotfiles", Some("startup file /srv/dotfiles/zshrc,")),
            ("/srv", Some("startup file /srv/dotfiles/zshrc,")),
            ("/nonexistent-home/ada/proj", None),
            ("/opt/other", None),
            ("/srv/www", None),
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
            // Read grants never warn; a preset's grant does, unless a
            // built-in preset has the very same grant.
            assert!(dangerous_grants(&[grant("--read", Access::Read, path)], &a).is_empty());
            let mut preset = grant("--allow", Access::Allow, path);
            preset.source = GrantSource::Preset("docs".into());
            let got = dangerous_grants(&[preset], &a);
            assert_eq!(got.len(), usize::from(want.is_some()), "{path}: {got:?}");
            if want.is_some() {
                assert!(got[0].starts_with(&format!("preset docs grants allow {path}: ")));
            }
        }
        let mut cargo = grant("--allow", Access::Allow, "/nonexistent-home/ada");
        cargo.requested = "${CARGO_HOME:-~/.cargo}".into();
        cargo.source = GrantSource::Preset("rust".into());
        assert!(dangerous_grants(&[cargo], &a).is_empty());
    }

    #[test]
    fn every_builtin_grant_is_found_as_written_and_no_other() {
        for (name, text) in nono_plugins::BUILTIN {
            let preset = Preset::from_ron(text).unwrap();
            for b in &preset.grants {
                let mut g = grant("--allow", b.access, &b.path);
                g.source = GrantSource::Preset(name.to_owned());
                assert!(is_builtin_grant(&g), "{name}: {b:?}");
                // Another level on the same path is another grant.
                if b.access != Access::Allow
                    && !preset
                        .grants
                        .iter()
                        .any(|o| o.path == b.path && o.access == Access::Allow)
                {
                    g.access = Access::Allow;
                    let elsewhere = nono_plugins::BUILTIN.iter().any(|(_, t)| {
                        Preset::from_ron(t)
                            .unwrap()
                            .grants
                            .iter()
                            .any(|o| o.path == b.path && o.access == Access::Allow)
                    });
                    assert_eq!(is_builtin_grant(&g), elsewhere, "{name}: {b:?} as Allow");
                }
            }
        }
        assert!(!is_builtin_grant(&grant("--allow", Access::Allow, "~")));
    }

    #[test]
    fn a_suggested_command_quotes_what_a_shell_would_run() {
        for (path, want) in [
            ("/h/.cache/go-build", "/h/.cache/go-build"),
            ("/h/a b", "'/h/a b'"),
            ("/h/x; rm -rf ~", "'/h/x; rm -rf ~'"),
            ("/h/$(id)", "'/h/$(id)'"),
            ("/h/it's", "'/h/it'\\''s'"),
        ] {
            assert_eq!(shell_quoted(Path::new(path)), want);
        }
    }
}
