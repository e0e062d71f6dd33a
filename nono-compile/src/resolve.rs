//! Resolution: from grants as written to canonical paths with identities.

use crate::{CompileError, DeniedPath, ExpandError, FileMeta, FsProbe, expand, redirect};
use nono_model::{Access, FileKind, GrantSource, Policy, PolicyDeny, UnixRule};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

/// The environment paths are expanded and made absolute in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveEnv {
    /// The home directory for `~`.
    pub home: Option<PathBuf>,
    /// The directory relative paths are taken from.
    pub cwd: PathBuf,
    /// Environment variables for `$VAR`.
    pub vars: BTreeMap<String, String>,
    /// The home directory of the account nono runs as (from the password
    /// database), whatever `$HOME` says: a place where an earlier run may
    /// have written (see [`redirect`](crate::redirect)).
    pub account_home: Option<PathBuf>,
    /// Whether nono runs as root (effective uid 0). Then an earlier run,
    /// as root too, could write root-owned directories, and the places it
    /// usually writes make links there suspect (see
    /// [`redirect`](crate::redirect)).
    pub root: bool,
}

impl ResolveEnv {
    /// An environment with working directory `cwd`, no home and no variables.
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        ResolveEnv {
            home: None,
            cwd: cwd.into(),
            vars: BTreeMap::new(),
            account_home: None,
            root: false,
        }
    }

    /// The same environment with variables `vars`, and `~` taken from their
    /// `HOME` (none when it is unset or empty).
    #[must_use]
    pub fn with_vars(mut self, vars: BTreeMap<String, String>) -> Self {
        self.home = vars.get("HOME").filter(|h| !h.is_empty()).map(Into::into);
        self.vars = vars;
        self
    }
}

/// How one grant resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Resolution {
    /// The grant names this existing path.
    Resolved {
        /// The expanded, absolute path before symlinks were resolved.
        #[serde(serialize_with = "nono_model::serialize_path")]
        expanded: PathBuf,
        /// The canonical path.
        #[serde(serialize_with = "nono_model::serialize_path")]
        path: PathBuf,
        /// Directory or file.
        kind: FileKind,
        /// Device number.
        dev: u64,
        /// Inode number.
        ino: u64,
    },
    /// An optional grant that could not be resolved, so is not applied.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One grant of the policy and its resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedGrant {
    /// The path as written.
    pub requested: String,
    /// The access level.
    pub access: Access,
    /// Whether a failure to resolve is allowed.
    pub optional: bool,
    /// Where the grant came from.
    pub source: GrantSource,
    /// The outcome.
    #[serde(flatten)]
    pub resolution: Resolution,
}

/// Why a path as written could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A variable or `~` in it could not be expanded.
    #[error(transparent)]
    Expand(#[from] ExpandError),
    /// It expands to nothing (`${VAR:-}` with `VAR` unset): an empty path
    /// must not mean "here".
    #[error("expands to an empty path")]
    Empty,
    /// It could not be canonicalised or examined.
    #[error("{}", describe_io(.0))]
    Io(#[source] io::Error),
}

fn describe_io(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = err.to_string();
            // Drop std's " (os error N)" tail: the words say it.
            text.split(" (os error").next().unwrap_or(&text).to_owned()
        }
    }
}

fn resolve_one(
    text: &str,
    env: &crate::ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<(PathBuf, PathBuf, FileMeta), ResolveError> {
    let absolute = expand_absolute(text, env)?;
    let canonical = fs.canonicalize(&absolute).map_err(ResolveError::Io)?;
    let meta = fs.stat(&canonical).map_err(ResolveError::Io)?;
    Ok((absolute, canonical, meta))
}

/// Resolves every grant of `policy`.
///
/// A required grant that cannot be resolved is an error naming its source and
/// path; an optional one is kept as [`Resolution::Skipped`]. A grant that
/// the user did not type (a preset's, a built-in one) and that goes through
/// a symlink an earlier sandbox may have planted is refused, optional or
/// not, unless the user's own grants give its target the same access (see
/// [`redirect`](crate::redirect)).
pub fn resolve(
    policy: &Policy,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Vec<ResolvedGrant>, CompileError> {
    let resolved = resolve_following_links(policy, env, fs)?;
    match refused_redirects(env, fs, &resolved).into_iter().next() {
        Some((_, refusal)) => Err(refusal),
        None => Ok(resolved),
    }
}

/// Resolves every grant of `policy` as [`resolve`] does, but following
/// every symlink, whoever could have planted it: for reports such as
/// `nono presets show`, which name the refusals of
/// [`refused_redirects`] beside each grant instead of failing.
pub fn resolve_following_links(
    policy: &Policy,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Vec<ResolvedGrant>, CompileError> {
    resolve_each(policy, env, fs)
}

/// The grants of `resolved` (from [`resolve_following_links`]) that
/// [`resolve`] refuses for a symlink an earlier sandbox may have planted,
/// by index, each with its refusal ([`CompileError::Redirected`], or
/// [`CompileError::Resolve`] when the walk failed): the ones going through
/// such a link first, then those that only the others' writable places make
/// suspect, each part in policy order.
pub fn refused_redirects(
    env: &ResolveEnv,
    fs: &dyn FsProbe,
    resolved: &[ResolvedGrant],
) -> Vec<(usize, CompileError)> {
    let mut refused: Vec<(usize, CompileError)> = Vec::new();
    let user = redirect::UserGrants::of(resolved);
    // First with the places as written, then with the places as they
    // resolve and the presets' writable grants that passed: a grant that is
    // itself redirected is named first, not a link its wrong target would
    // make suspect.
    for second in [false, true] {
        let passed = |i: usize| !refused.iter().any(|(j, _)| *j == i);
        let places = redirect::places_with(env, fs, resolved, second, |i, g| {
            second && passed(i) && redirect::judged(&g.source)
        });
        let mut found = Vec::new();
        for (i, g) in resolved.iter().enumerate() {
            if !redirect::judged(&g.source) || !passed(i) {
                continue;
            }
            let Resolution::Resolved { expanded, path, .. } = &g.resolution else {
                continue;
            };
            if user.cover(path, g.access) {
                continue;
            }
            let flag = match g.access {
                Access::Read => "--read",
                Access::Write => "--write",
                Access::Allow => "--allow",
            };
            if let Err(e) =
                refuse_redirect(&g.source, &g.requested, expanded, path, flag, &places, fs)
            {
                found.push((i, e));
            }
        }
        refused.extend(found);
    }
    refused
}

/// Refuses a grant from `source`, written `requested`, expanded to
/// `expanded` and resolved to `target`, when its way goes through a link
/// that is not trusted among `places`; `flag` is the flag that would grant
/// the target on purpose.
fn refuse_redirect(
    source: &GrantSource,
    requested: &str,
    expanded: &Path,
    target: &Path,
    flag: &str,
    places: &redirect::Places,
    fs: &dyn FsProbe,
) -> Result<(), CompileError> {
    match redirect::first_untrusted_link(expanded, places, fs) {
        Ok(None) => Ok(()),
        Ok(Some(link)) => Err(CompileError::Redirected {
            source_of: source_label(source),
            path: requested.to_owned(),
            redirection: Box::new(redirect::Redirection {
                link: redirect::show(&link.link),
                points_to: redirect::show(&link.points_to),
                why: link.why,
                fix: format!("{flag} {}", redirect::show(target)),
            }),
        }),
        Err(e) => Err(CompileError::Resolve {
            source_of: source_label(source),
            path: requested.to_owned(),
            reason: ResolveError::Io(e),
        }),
    }
}

/// Refuses a `unix` grant that the user did not type (a preset's) and that
/// goes through a symlink an earlier sandbox may have planted, as
/// [`resolve`] does for grants, unless an `--allow-unix` of the user's
/// covers its target. `resolved` are the policy's resolved grants (their
/// writable paths are places).
pub(crate) fn refuse_redirected_unix(
    policy: &Policy,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
    resolved: &[ResolvedGrant],
) -> Result<(), CompileError> {
    let places = redirect::places_with(env, fs, resolved, true, |_, g| redirect::judged(&g.source));
    let users: Vec<PathBuf> = policy
        .unix
        .iter()
        .filter(|u| !redirect::judged(&u.source))
        .filter_map(|u| Some(resolve_one(&u.path, env, fs).ok()?.1))
        .collect();
    for u in policy.unix.iter().filter(|u| redirect::judged(&u.source)) {
        let Ok((expanded, target, _)) = resolve_one(&u.path, env, fs) else {
            // resolve_unix names the failure.
            continue;
        };
        if users.iter().any(|p| target.starts_with(p)) {
            continue;
        }
        refuse_redirect(
            &u.source,
            &u.path,
            &expanded,
            &target,
            "--allow-unix",
            &places,
            fs,
        )?;
    }
    Ok(())
}

/// The indices of the grants of `policy` that the user did not type and
/// whose way goes through a link that is not trusted, whatever the user's
/// own grants cover, with every writable grant a place. For the testing
/// kit, which turns them into flags so that its random policies compile.
#[cfg(feature = "proptest")]
pub(crate) fn redirected_grants(policy: &Policy, env: &ResolveEnv, fs: &dyn FsProbe) -> Vec<usize> {
    let Ok(resolved) = resolve_each(policy, env, fs) else {
        return Vec::new();
    };
    let places =
        redirect::places_with(env, fs, &resolved, true, |_, g| redirect::judged(&g.source));
    resolved
        .iter()
        .enumerate()
        .filter(|(_, g)| redirect::judged(&g.source))
        .filter(|(_, g)| match &g.resolution {
            Resolution::Resolved { expanded, .. } => !matches!(
                redirect::first_untrusted_link(expanded, &places, fs),
                Ok(None)
            ),
            Resolution::Skipped { .. } => false,
        })
        .map(|(i, _)| i)
        .collect()
}

fn resolve_each(
    policy: &Policy,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Vec<ResolvedGrant>, CompileError> {
    policy
        .grants
        .iter()
        .map(|pg| {
            let grant = &pg.grant;
            let resolution = match resolve_one(&grant.path, env, fs) {
                Ok((expanded, path, meta)) => Resolution::Resolved {
                    expanded,
                    path,
                    kind: meta.kind,
                    dev: meta.dev,
                    ino: meta.ino,
                },
                Err(reason) if grant.optional => Resolution::Skipped {
                    reason: reason.to_string(),
                },
                Err(reason) => {
                    return Err(CompileError::Resolve {
                        source_of: source_label(&pg.source),
                        path: grant.path.clone(),
                        reason,
                    });
                }
            };
            Ok(ResolvedGrant {
                requested: grant.path.clone(),
                access: grant.access,
                optional: grant.optional,
                source: pg.source.clone(),
                resolution,
            })
        })
        .collect()
}

/// Resolves the policy's denied paths.
///
/// A denied path that exists resolves to its canonical path. One that does
/// not is kept too, with its nearest existing directory
/// ([`DeniedPath::nearest_existing`]): something could be created there
/// (see [`carve`](crate::carve)). A denial that cannot be expanded (an
/// unset variable, no home) names no path and is left out, as is one whose
/// walk fails for another reason than a missing component (a symlink loop,
/// a directory that cannot be searched).
pub fn resolve_denies(policy: &Policy, env: &ResolveEnv, fs: &dyn FsProbe) -> Vec<DeniedPath> {
    // Expanded first, and each absolute path walked once: the built-in
    // list names many paths twice (a variable's place and the default,
    // which are one path when the variable is unset), and this runs on
    // every run. The one kept for a path named twice is the first by
    // source and text, as below.
    let mut expanded: Vec<(PathBuf, &PolicyDeny)> = policy
        .denies
        .iter()
        .filter_map(|d| Some((expand_absolute(&d.path, env).ok()?, d)))
        .collect();
    expanded.sort_by(|(pa, a), (pb, b)| (pa, &a.source, &a.path).cmp(&(pb, &b.source, &b.path)));
    expanded.dedup_by(|a, b| a.0 == b.0);
    let mut out: Vec<DeniedPath> = expanded
        .into_iter()
        .filter_map(|(absolute, d)| {
            let (path, nearest_existing) = match fs.canonicalize(&absolute) {
                Ok(path) => (path, None),
                Err(_) => {
                    let (path, nearest) = nearest_existing(&absolute, fs)?;
                    (path, Some(nearest))
                }
            };
            Some(DeniedPath {
                requested: d.path.clone(),
                path,
                source: d.source.clone(),
                nearest_existing,
            })
        })
        .collect();
    // Sorted by path, then by source and text, so that the one kept for a
    // path named twice does not depend on the order of the denials.
    out.sort_by(|a, b| (&a.path, &a.source, &a.requested).cmp(&(&b.path, &b.source, &b.requested)));
    out.dedup_by(|a, b| a.path == b.path);
    out
}

/// The most symbolic links one walk may go through, as in glibc.
const MAX_SYMLINKS: usize = 40;

/// Where a [`walk`] ended.
pub(crate) enum Walked<R> {
    /// Every name exists (the last may be a file).
    Exists,
    /// `name` is missing in the directory `dir`, with `rest` to go after it.
    Missing {
        dir: PathBuf,
        name: OsString,
        rest: VecDeque<OsString>,
    },
    /// `name` in the directory `dir` is a file, with `rest` (not only `.`)
    /// still to go: it would have to be a directory.
    BelowFile {
        dir: PathBuf,
        name: OsString,
        rest: VecDeque<OsString>,
    },
    /// A lookup failed otherwise, or there were too many links.
    Failed(io::Error),
    /// `on_link` stopped the walk with this.
    Stopped(R),
}

/// Walks the absolute `path` as `realpath(3)` does, through
/// [`FsProbe::stat`] and [`FsProbe::read_link`]: symlinks are followed
/// wherever they point, `..` is physical. Each symlink met is shown to
/// `on_link` first, with the (canonical) directory it is in, its own path,
/// what `stat` said of it and what it holds; `Some` stops the walk there.
pub(crate) fn walk<R>(
    path: &Path,
    fs: &dyn FsProbe,
    mut on_link: impl FnMut(&Path, &Path, &FileMeta, &Path) -> io::Result<Option<R>>,
) -> Walked<R> {
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
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Walked::Missing {
                    dir: resolved,
                    name,
                    rest: pending,
                };
            }
            Err(e) => return Walked::Failed(e),
        };
        if meta.symlink {
            links += 1;
            if links > MAX_SYMLINKS {
                return Walked::Failed(io::Error::from_raw_os_error(libc::ELOOP));
            }
            let target = match fs.read_link(&candidate) {
                Ok(target) => target,
                Err(e) => return Walked::Failed(e),
            };
            match on_link(&resolved, &candidate, &meta, &target) {
                Ok(None) => {}
                Ok(Some(stop)) => return Walked::Stopped(stop),
                Err(e) => return Walked::Failed(e),
            }
            if target.is_absolute() {
                resolved = PathBuf::from("/");
            }
            push_front(&mut pending, &target);
        } else if meta.kind == FileKind::Dir {
            resolved = candidate;
        } else if pending.iter().any(|n| n != ".") {
            return Walked::BelowFile {
                dir: resolved,
                name,
                rest: pending,
            };
        } else {
            return Walked::Exists;
        }
    }
    Walked::Exists
}

/// For a path that does not exist: where it would be, and its nearest
/// existing directory, in which its first missing component would be
/// created. `None` when the path exists or the walk fails otherwise.
///
/// The walk is [`walk`]'s: symlinks are followed wherever they point (a
/// dangling one leads to the directory its target would be created in),
/// `..` is physical. When a file is met with components still to go, the
/// path cannot be created until the file is replaced by a directory, which
/// happens in the file's directory: that is the nearest existing directory
/// then. The path where the denied one would be is that directory joined
/// with the rest as written (only the first missing component when the rest
/// climbs out with `..`).
pub(crate) fn nearest_existing(path: &Path, fs: &dyn FsProbe) -> Option<(PathBuf, PathBuf)> {
    match walk::<()>(path, fs, |_, _, _, _| Ok(None)) {
        // A missing name, or a file with more to go ("below a file"): it
        // would have to be replaced by a directory, in its own directory.
        Walked::Missing { dir, name, rest } | Walked::BelowFile { dir, name, rest } => {
            Some((missing_path(&dir, name, &rest), dir))
        }
        Walked::Exists | Walked::Failed(_) | Walked::Stopped(()) => None,
    }
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

/// `dir/first/rest...`, the path a missing denied one would have; only
/// `dir/first` when the rest has a `..` (it would climb out of what is
/// created, and `dir/first` is what must not be).
fn missing_path(dir: &Path, first: OsString, rest: &VecDeque<OsString>) -> PathBuf {
    let mut path = dir.join(first);
    if rest.iter().any(|n| n == "..") {
        return path;
    }
    for name in rest.iter().filter(|n| *n != ".") {
        path.push(name);
    }
    path
}

/// `text` expanded and made absolute against the working directory.
fn expand_absolute(text: &str, env: &ResolveEnv) -> Result<PathBuf, ResolveError> {
    let expanded = PathBuf::from(expand(text, env)?);
    if expanded.as_os_str().is_empty() {
        // `${VAR:-}` with VAR unset: an empty path must not mean "here".
        return Err(ResolveError::Empty);
    }
    Ok(if expanded.is_absolute() {
        expanded
    } else {
        env.cwd.join(expanded)
    })
}

/// Resolves the policy's exposed paths (`--expose`); each must exist.
pub fn resolve_exposes(
    policy: &Policy,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Vec<PathBuf>, CompileError> {
    policy
        .exposes
        .iter()
        .map(|text| {
            resolve_one(text, env, fs)
                .map(|(_, path, _)| path)
                .map_err(|reason| CompileError::Resolve {
                    source_of: "--expose".to_owned(),
                    path: text.clone(),
                    reason,
                })
        })
        .collect()
}

/// Resolves the `--allow-unix` grants (and presets' `unix`) to canonical
/// paths with what they are, sorted by path and one per path. Each must exist, like a grant.
pub fn resolve_unix(
    policy: &Policy,
    env: &ResolveEnv,
    fs: &dyn FsProbe,
) -> Result<Vec<UnixRule>, CompileError> {
    let mut out = policy
        .unix
        .iter()
        .map(|grant| {
            resolve_one(&grant.path, env, fs)
                .map(|(_, path, meta)| UnixRule {
                    path,
                    kind: meta.kind,
                    dev: meta.dev,
                    ino: meta.ino,
                })
                .map_err(|reason| CompileError::Resolve {
                    source_of: source_label(&grant.source),
                    path: grant.path.clone(),
                    reason,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

/// How an error names a grant's source: the flag itself (`--read`), or
/// `preset NAME`.
pub(crate) fn source_label(source: &GrantSource) -> String {
    match source {
        GrantSource::Flag(flag) => flag.clone(),
        other => other.to_string(),
    }
}
