//! Redirection: a grant that does not come from the user does not follow a
//! symbolic link an earlier sandbox may have planted.
//!
//! A preset's grant (or a built-in one) names its path through the
//! environment (`$TMPDIR`, `$CARGO_TARGET_DIR`, `~/.cargo`), and such paths
//! often lie inside what an earlier run could write: the project, the home,
//! the temporary directories. A command confined by that earlier run could
//! replace the directory with a symlink to `/etc` or `/`, and the next run's
//! grant would follow it. So every symlink met while resolving such a grant
//! is judged by where it sits; a user's own `--read`, `--write`, `--allow`
//! (and `--expose`, `--allow-unix`) follows symlinks as it always did: the
//! user typed it.
//!
//! # The rule
//!
//! A link is **trusted** when all of these hold:
//!
//! 1. the directory it sits in, and every directory above that one up to
//!    `/`, is owned by root and not writable by group or others (so no user
//!    but root, and no sandbox of a user, could have put it there, nor
//!    renamed a directory on its way);
//! 2. that directory is not at or below a place where a run of the user
//!    typically writes, even when the user is root: `$HOME`, the account's
//!    home, `$TMPDIR`, `/tmp`, `/var/tmp`, `/dev/shm`, the working
//!    directory, nor any path a grant of this run makes writable (`/` itself
//!    is never such a place: it would distrust `/bin`, and a run that may
//!    write `/` has nothing left to protect);
//! 3. the link itself is owned by root.
//!
//! Rule 1 is the whole answer for a user who is not root: their sandboxes
//! cannot write where only root can. Rule 2 is for root, whose earlier
//! sandbox ran as root: a root-owned directory inside the project or the
//! home is exactly where it could have written. Which places an *earlier*
//! run could write cannot be known; the places of rule 2 are those a run
//! usually writes, and this run's own writable grants (a run repeated with
//! the same grants had the same places).
//!
//! A grant that goes through a link that is not trusted is still accepted
//! when the user's own grants already give its final path the same access
//! (`--allow TARGET`): the user said so. Otherwise it is refused, optional
//! or not: skipping it silently would leave the user wondering why a
//! toolchain fails inside.

use crate::{FileMeta, FsProbe, ResolveEnv, Resolution, ResolvedGrant};
use nono_model::{Access, AccessLevels, FileKind, GrantSource};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// The most symbolic links one walk may go through, as in glibc.
const MAX_SYMLINKS: usize = 40;

/// A symlink met on the way to a grant's path that nono does not follow
/// for a grant the user did not type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UntrustedLink {
    /// The link (its directory canonical).
    pub link: PathBuf,
    /// What the link holds, as written in it.
    pub points_to: PathBuf,
    /// Why it is not trusted, in words (`/srv/p is in the working
    /// directory`).
    pub why: String,
}

/// Places where a run may write, by name: links below them are not trusted.
#[derive(Clone, Debug, Default)]
pub(crate) struct Places {
    list: Vec<(String, PathBuf)>,
}

impl Places {
    /// The places every run has: the homes, the temporary directories, the
    /// working directory.
    pub(crate) fn of(env: &ResolveEnv, fs: &dyn FsProbe) -> Places {
        let mut places = Places::default();
        if let Some(home) = &env.home {
            places.add("$HOME", home, fs);
        }
        if let Some(home) = &env.account_home {
            places.add("the account's home", home, fs);
        }
        if let Some(tmp) = env.vars.get("TMPDIR").filter(|t| !t.is_empty()) {
            places.add("$TMPDIR", Path::new(tmp), fs);
        }
        for tmp in ["/tmp", "/var/tmp", "/dev/shm"] {
            places.add(tmp, Path::new(tmp), fs);
        }
        places.add("the working directory", &env.cwd, fs);
        places
    }

    /// Adds `path`, as given (made absolute against `/`) and canonical when
    /// it resolves; `/` is never added.
    pub(crate) fn add(&mut self, name: &str, path: &Path, fs: &dyn FsProbe) {
        if !path.is_absolute() {
            return;
        }
        let canonical = fs.canonicalize(path).ok();
        for p in std::iter::once(path.to_path_buf()).chain(canonical) {
            if p != Path::new("/") && !self.list.iter().any(|(_, q)| *q == p) {
                self.list.push((name.to_owned(), p));
            }
        }
    }

    /// The first place `dir` is at or below, by name.
    fn containing(&self, dir: &Path) -> Option<&str> {
        self.list
            .iter()
            .find(|(_, place)| dir.starts_with(place))
            .map(|(name, _)| name.as_str())
    }
}

/// Why the link `link` (with metadata `meta`) in the canonical directory
/// `dir` is not trusted, or `None` when it is.
fn distrust(
    dir: &Path,
    meta: &FileMeta,
    places: &Places,
    fs: &dyn FsProbe,
) -> io::Result<Option<String>> {
    for ancestor in dir.ancestors() {
        let m = fs.stat(ancestor)?;
        if m.uid != 0 {
            return Ok(Some(format!(
                "{} is owned by uid {}, not root",
                show(ancestor),
                m.uid
            )));
        }
        if m.mode & 0o022 != 0 {
            return Ok(Some(format!(
                "{} is writable by group or others",
                show(ancestor)
            )));
        }
    }
    if let Some(place) = places.containing(dir) {
        return Ok(Some(format!("{} is in {place}", show(dir))));
    }
    if meta.uid != 0 {
        return Ok(Some(format!("the link is owned by uid {}", meta.uid)));
    }
    Ok(None)
}

/// The first symlink on the way to `path` (absolute) that is not trusted,
/// walking it as `realpath(3)` does, through [`FsProbe::stat`] and
/// [`FsProbe::read_link`]. `None` when every link met is trusted, or when
/// the walk reaches a missing name (nothing is granted there).
pub(crate) fn first_untrusted_link(
    path: &Path,
    places: &Places,
    fs: &dyn FsProbe,
) -> io::Result<Option<UntrustedLink>> {
    let mut pending: VecDeque<OsString> = VecDeque::new();
    push_front(&mut pending, path);
    let mut resolved = PathBuf::from("/");
    let mut links = 0;
    while let Some(name) = pending.pop_front() {
        if name == "." {
            continue;
        }
        if name == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved.join(&name);
        let meta = match fs.stat(&candidate) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if meta.symlink {
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(io::Error::from_raw_os_error(libc::ELOOP));
            }
            let target = fs.read_link(&candidate)?;
            if let Some(why) = distrust(&resolved, &meta, places, fs)? {
                return Ok(Some(UntrustedLink {
                    link: candidate,
                    points_to: target,
                    why,
                }));
            }
            if target.is_absolute() {
                resolved = PathBuf::from("/");
            }
            push_front(&mut pending, &target);
        } else if meta.kind == FileKind::Dir {
            resolved = candidate;
        } else if pending.iter().all(|n| n == ".") {
            return Ok(None);
        } else {
            return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
        }
    }
    Ok(None)
}

/// Pushes the components of `path` in front of `pending`, in order.
fn push_front(pending: &mut VecDeque<OsString>, path: &Path) {
    for c in path.components().rev() {
        match c {
            Component::Normal(name) => pending.push_front(name.to_owned()),
            Component::ParentDir => pending.push_front("..".into()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
}

/// A path as grant text, for messages.
pub(crate) fn show(path: &Path) -> String {
    nono_model::grant_text(path.as_os_str().as_bytes())
}

/// Whether a grant from `source` is judged here: every source but the
/// user's own flags.
pub(crate) fn judged(source: &GrantSource) -> bool {
    !matches!(source, GrantSource::Flag(_))
}

/// Whether the user's own grants (from flags) already give `path` at least
/// `access`: the union of the levels of those at or above it covers it.
pub(crate) fn user_grants(resolved: &[ResolvedGrant], path: &Path, access: Access) -> bool {
    let held = resolved
        .iter()
        .filter(|g| !judged(&g.source))
        .filter_map(|g| match &g.resolution {
            Resolution::Resolved { path: p, .. } if path.starts_with(p) => {
                Some(AccessLevels::from(g.access))
            }
            _ => None,
        })
        .fold(AccessLevels::EMPTY, AccessLevels::union);
    held.covers(access.into())
}

/// The places of a run: [`Places::of`], and the writable grants in
/// `resolved` that `take` admits, by their canonical paths.
pub(crate) fn places_with(
    env: &ResolveEnv,
    fs: &dyn FsProbe,
    resolved: &[ResolvedGrant],
    take: impl Fn(&ResolvedGrant) -> bool,
) -> Places {
    let mut places = Places::of(env, fs);
    for g in resolved.iter().filter(|g| g.access != Access::Read && take(g)) {
        if let Resolution::Resolved { path, .. } = &g.resolution {
            let name = format!("the writable grant {}", g.requested);
            places.add(&name, path, fs);
        }
    }
    places
}
