//! Finding the protected paths (DESIGN.md section 7.3): what programs run
//! later outside the sandbox trust, so that a run must not change it even
//! where it may write.
//!
//! - a git repository's `hooks` and `config` (and those of its submodules
//!   under `modules/`), and the `.git` directory itself (pinned: a mount
//!   point cannot be renamed away and replaced by another repository); for
//!   a worktree, its `.git` file and the real git directory it points to;
//!   the repositories looked at are those at the root of each writable
//!   directory rule and the one the working directory is in;
//! - shell startup files, the user's git configuration, and the toolchains'
//!   `bin` directories, environment scripts and configuration in the home
//!   (and where `$CARGO_HOME`, `$GOPATH` and `$GOBIN` say);
//! - the directories on `PATH` in the home, outside the working directory
//!   and the active virtual environment (whose `bin` a `pip install` fills);
//! - the files this run was configured from ([`Policy::protect`]: preset
//!   files and plugins named on the command line).
//!
//! This module only finds candidates that exist (or, for a repository's
//! `hooks`, whose repository exists); the `protect` pass keeps those a
//! writable rule covers, and only where the mount layer can be had.

use crate::probe::FsProbe;
use crate::resolve::ResolveEnv;
use nono_model::{FileKind, Policy, ProtectedPath, Protection};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Files in the home that a shell, git or a toolchain reads and runs from,
/// with why each is protected.
const HOME_FILES: [(&str, &str); 17] = [
    (".bashrc", "shell startup file"),
    (".bash_profile", "shell startup file"),
    (".bash_login", "shell startup file"),
    (".bash_logout", "shell startup file"),
    (".profile", "shell startup file"),
    (".zshrc", "shell startup file"),
    (".zshenv", "shell startup file"),
    (".zprofile", "shell startup file"),
    (".zlogin", "shell startup file"),
    (".config/fish/config.fish", "shell startup file"),
    (".config/fish/conf.d", "shell startup file"),
    (".gitconfig", "git configuration"),
    (".config/git", "git configuration"),
    (".local/bin", "toolchain bin directory"),
    ("go/bin", "toolchain bin directory"),
    (".npmrc", "toolchain configuration"),
    (".config/pip", "toolchain configuration"),
];

/// Below `$CARGO_HOME` (or `~/.cargo`).
const CARGO_FILES: [(&str, &str); 4] = [
    ("bin", "toolchain bin directory"),
    ("env", "toolchain environment script"),
    ("config.toml", "toolchain configuration"),
    ("config", "toolchain configuration"),
];

/// Every protected-path candidate for `policy` in `env`, sorted by path,
/// one per path, without those at or below an `unprotect` path.
pub fn candidates(
    policy: &Policy,
    env: &ResolveEnv,
    write_roots: &[(PathBuf, bool)],
    unprotect: &[PathBuf],
    fs: &dyn FsProbe,
) -> Vec<ProtectedPath> {
    let mut found = Finder {
        fs,
        out: Vec::new(),
        create: false,
    };
    // Repositories: at the root of each writable directory, and the one
    // the working directory is in. What is missing (a `hooks` directory,
    // the `commondir` link) is made only in the working directory's
    // repository and at the roots the user named (`create`), not in every
    // repository a preset's or a carved directory's rule happens to cover.
    let mut repos: Vec<(PathBuf, bool)> = write_roots
        .iter()
        .map(|(r, create)| (r.join(".git"), *create))
        .collect();
    if let Some(dot_git) = env
        .cwd
        .ancestors()
        .map(|dir| dir.join(".git"))
        .find(|g| fs.stat(g).is_ok())
    {
        repos.push((dot_git, true));
    }
    for (dot_git, create) in repos {
        found.create = create;
        found.repository(&dot_git);
    }
    if let Some(home) = &env.home {
        for (rel, why) in HOME_FILES {
            found.existing(&home.join(rel), why);
        }
    }
    let var = |name: &str| {
        env.vars
            .get(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    // Both: a shell without $CARGO_HOME finds the home's.
    let cargo_homes = var("CARGO_HOME")
        .into_iter()
        .chain(env.home.as_ref().map(|h| h.join(".cargo")));
    for cargo_home in cargo_homes {
        for (rel, why) in CARGO_FILES {
            found.existing(&cargo_home.join(rel), why);
        }
    }
    if let Some(gopath) = var("GOPATH") {
        for dir in std::env::split_paths(&gopath) {
            found.existing(&dir.join("bin"), "toolchain bin directory");
        }
    }
    if let Some(gobin) = var("GOBIN") {
        found.existing(&gobin, "toolchain bin directory");
    }
    if let (Some(path), Some(home)) = (var("PATH"), &env.home) {
        let venv = var("VIRTUAL_ENV");
        for dir in std::env::split_paths(&path) {
            let inside_work = env.cwd.starts_with(&dir) || dir.starts_with(&env.cwd);
            let in_venv = venv.as_ref().is_some_and(|v| dir.starts_with(v));
            if dir.is_absolute() && dir.starts_with(home) && !inside_work && !in_venv {
                found.existing(&dir, "directory on PATH");
            }
        }
    }
    for file in &policy.protect {
        if let Ok(path) = crate::expand(file, env) {
            found.existing(&env.cwd.join(path), "file this run was configured from");
        }
    }
    let mut out = found.out;
    out.retain(|p| !unprotect.iter().any(|u| p.path.starts_with(u)));
    out.sort_by(|a, b| a.path.cmp(&b.path).then(a.how.cmp(&b.how)));
    out.dedup_by(|later, earlier| later.path == earlier.path);
    out
}

struct Finder<'a> {
    fs: &'a dyn FsProbe,
    out: Vec<ProtectedPath>,
    /// Whether what is missing in the repository being visited is made.
    create: bool,
}

impl Finder<'_> {
    /// Adds `path` (canonicalised) if it exists, read-only.
    fn existing(&mut self, path: &Path, why: &'static str) -> Option<PathBuf> {
        self.add(path, Protection::ReadOnly, why)
    }

    fn add(&mut self, path: &Path, how: Protection, why: &'static str) -> Option<PathBuf> {
        let canonical = self.fs.canonicalize(path).ok()?;
        let meta = self.fs.stat(&canonical).ok()?;
        self.out.push(ProtectedPath {
            path: canonical.clone(),
            kind: meta.kind,
            dev: meta.dev,
            ino: meta.ino,
            how,
            absent: false,
            seed: "",
            why,
        });
        Some(canonical)
    }

    /// A repository's `.git`, a directory or a worktree's pointer file.
    fn repository(&mut self, dot_git: &Path) {
        let Ok(meta) = self.fs.stat(dot_git) else {
            return;
        };
        if meta.symlink {
            // git follows it: protect what it points to, as a git dir.
            if let Ok(real) = self.fs.canonicalize(dot_git) {
                self.git_dir(&real, false);
            }
            return;
        }
        match meta.kind {
            FileKind::Dir => self.git_dir(dot_git, true),
            FileKind::File => {
                // A worktree (or a submodule's checkout): `gitdir: PATH`.
                let Some(pointer) = self.add(dot_git, Protection::ReadOnly, "git worktree link")
                else {
                    return;
                };
                let Some(target) = self.pointer(&pointer, b"gitdir:") else {
                    return;
                };
                let base = pointer.parent().unwrap_or(Path::new("/"));
                let Ok(git_dir) = self.fs.canonicalize(&base.join(target)) else {
                    return;
                };
                self.worktree_git_dir(&git_dir);
            }
        }
    }

    /// A worktree's own git directory, and the common one it names.
    fn worktree_git_dir(&mut self, git_dir: &Path) {
        self.existing(&git_dir.join("config.worktree"), "git configuration");
        let commondir = git_dir.join("commondir");
        match self.pointer(&commondir, b"") {
            Some(common) => {
                self.existing(&commondir, "git worktree link");
                if let Ok(common) = self.fs.canonicalize(&git_dir.join(common)) {
                    self.git_dir(&common, true);
                }
            }
            None => self.git_dir(git_dir, false),
        }
    }

    /// The first line of the small file `path` after `prefix`, trimmed.
    fn pointer(&self, path: &Path, prefix: &[u8]) -> Option<PathBuf> {
        let bytes = self.fs.read_small(path).ok()?;
        let line = bytes.split(|&b| b == b'\n').next()?;
        let rest = line.strip_prefix(prefix)?.trim_ascii();
        (!rest.is_empty()).then(|| PathBuf::from(OsStr::from_bytes(rest)))
    }

    /// A git directory: pinned when `pin`, its `hooks` (made, empty, when
    /// missing) and `config` read-only, and its submodules' too.
    fn git_dir(&mut self, dir: &Path, pin: bool) {
        let Some(dir) = (if pin {
            self.add(dir, Protection::Pinned, "git directory")
        } else {
            self.fs.canonicalize(dir).ok()
        }) else {
            return;
        };
        self.hooks_and_config(&dir);
        if let Ok(modules) = self.fs.read_dir(&dir.join("modules")) {
            for module in modules {
                if self.fs.stat(&module).is_ok_and(|m| m.kind == FileKind::Dir) {
                    self.hooks_and_config(&module);
                }
            }
        }
    }

    fn hooks_and_config(&mut self, dir: &Path) {
        if self.fs.stat(&dir.join("HEAD")).is_err() {
            // Not a git directory (or not one git would use).
            return;
        }
        let hooks = dir.join("hooks");
        if self.existing(&hooks, "git hooks").is_none()
            && self.create
            && self.fs.stat(&hooks).is_err()
        {
            self.out.push(ProtectedPath {
                path: hooks,
                kind: FileKind::Dir,
                dev: 0,
                ino: 0,
                how: Protection::ReadOnly,
                absent: true,
                seed: "",
                why: "git hooks",
            });
        }
        self.existing(&dir.join("config"), "git configuration");
        // `commondir` names the directory git takes config and hooks from:
        // written by a run, it would point the repository at a config of
        // the run's making. Where there is none, nono makes the one that
        // changes nothing ("this directory") and keeps it read-only.
        let commondir = dir.join("commondir");
        if self
            .existing(&commondir, "git common directory link")
            .is_none()
            && self.create
            && self.fs.stat(&commondir).is_err()
        {
            self.out.push(ProtectedPath {
                path: commondir,
                kind: FileKind::File,
                dev: 0,
                ino: 0,
                how: Protection::ReadOnly,
                absent: true,
                seed: ".\n",
                why: "git common directory link",
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemFs;

    fn paths(found: &[ProtectedPath]) -> Vec<(String, Protection, bool)> {
        found
            .iter()
            .map(|p| (p.path.display().to_string(), p.how, p.absent))
            .collect()
    }

    #[test]
    fn a_repository_in_a_writable_root_has_its_hooks_config_and_dir_protected() {
        let mut fs = MemFs::new();
        fs.dir("/p/.git/hooks");
        fs.file("/p/.git/HEAD");
        fs.file("/p/.git/config");
        fs.file("/p/.git/modules/sub/HEAD");
        fs.dir("/home/u/.cargo/bin");
        fs.file("/home/u/.bashrc");
        let mut env = ResolveEnv::new("/p/src");
        env.home = Some("/home/u".into());
        let found = candidates(
            &Policy::default(),
            &env,
            &[(PathBuf::from("/p"), true)],
            &[],
            &fs,
        );
        assert_eq!(
            paths(&found),
            [
                ("/home/u/.bashrc".into(), Protection::ReadOnly, false),
                ("/home/u/.cargo/bin".into(), Protection::ReadOnly, false),
                ("/p/.git".into(), Protection::Pinned, false),
                ("/p/.git/commondir".into(), Protection::ReadOnly, true),
                ("/p/.git/config".into(), Protection::ReadOnly, false),
                ("/p/.git/hooks".into(), Protection::ReadOnly, false),
                (
                    "/p/.git/modules/sub/commondir".into(),
                    Protection::ReadOnly,
                    true
                ),
                (
                    "/p/.git/modules/sub/hooks".into(),
                    Protection::ReadOnly,
                    true
                ),
            ]
        );
        // --unprotect takes a path and everything below it away.
        let found = candidates(
            &Policy::default(),
            &env,
            &[(PathBuf::from("/p"), true)],
            &[PathBuf::from("/p/.git/hooks")],
            &fs,
        );
        assert!(found.iter().all(|p| p.path != Path::new("/p/.git/hooks")));
        assert!(found.iter().any(|p| p.path == Path::new("/p/.git/config")));
    }
}
