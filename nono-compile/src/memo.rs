//! A memo over an [`FsProbe`] for one compilation: each path is looked up
//! once, and canonicalisation reuses what earlier paths taught it.
//!
//! `realpath(3)`, behind `std::fs::canonicalize`, asks the kernel about every
//! component of every path (a `readlink` each), and resolution then asks for
//! the result's `stat`: about 200 system calls for the `base` preset alone.
//! The grants of a policy share most of their directories (`/etc`, `/usr`,
//! `/dev`, the home directory), so [`Memo`] walks each path itself, with
//! [`FsProbe::stat`] (`lstat`) and [`FsProbe::read_link`], and remembers
//! every answer for the rest of the compilation: a path in a directory seen
//! before costs one `lstat` of its last component, and its `stat` afterwards
//! costs nothing.
//!
//! The walk gives `realpath(3)`'s answers, errors included: symbolic links
//! (relative, absolute, chained; more than 40 is `ELOOP`), `.` and `..`
//! (physical: `..` leaves the directory a link led to), and `ENOTDIR` when a
//! file is followed by a name, `.`, `..` or a trailing `/`. Like `realpath`'s,
//! its answers are a snapshot; `nono-enforce` checks every rule's
//! `(dev, ino)` again when it opens the path.

use crate::{FileMeta, FsProbe};
use nono_model::FileKind;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The most symbolic links one path may go through, as in glibc.
const MAX_SYMLINKS: usize = 40;

/// What one `lstat` (and, for a link, `readlink`) said about a path.
#[derive(Clone, Debug)]
struct Known {
    meta: FileMeta,
    /// The link's target, when the path is a symbolic link.
    target: Option<PathBuf>,
}

/// A failed lookup, kept when it can be given back exactly as it came: an
/// OS error number (what [`RealFs`](crate::RealFs) returns) or a bare
/// error kind. Errors carrying a message of their own are not kept.
#[derive(Clone, Copy, Debug)]
enum Failed {
    Os(i32),
    Kind(io::ErrorKind),
}

impl Failed {
    fn of(e: &io::Error) -> Option<Failed> {
        match (e.raw_os_error(), e.get_ref()) {
            (Some(errno), _) => Some(Failed::Os(errno)),
            (None, None) => Some(Failed::Kind(e.kind())),
            (None, Some(_)) => None,
        }
    }

    fn error(self) -> io::Error {
        match self {
            Failed::Os(errno) => io::Error::from_raw_os_error(errno),
            Failed::Kind(kind) => kind.into(),
        }
    }
}

/// An [`FsProbe`] that remembers every `stat` and `read_link` of the probe it
/// wraps, and canonicalises with them. Meant to live for one compilation
/// (or one batch of lookups, such as the directories of `PATH`).
pub struct Memo<'a> {
    fs: &'a dyn FsProbe,
    /// Keyed by the path's bytes (`Path`'s own order and hash walk its
    /// components, several times slower; every path asked for here is
    /// already in normal form, joined from canonical parts). A B-tree, not a
    /// hash map: a few byte comparisons per lookup, and no hashing to tune.
    /// A path that does not exist is remembered too: the denied paths are
    /// mostly missing, and each is asked about by canonicalisation and again
    /// by the search for its nearest existing directory.
    known: RefCell<BTreeMap<OsString, Result<Known, Failed>>>,
}

impl<'a> Memo<'a> {
    /// A memo over `fs`, knowing nothing yet.
    pub fn new(fs: &'a dyn FsProbe) -> Self {
        Memo {
            fs,
            known: RefCell::new(BTreeMap::new()),
        }
    }

    fn lookup(&self, path: &Path) -> io::Result<Known> {
        if let Some(answer) = self.known.borrow().get(path.as_os_str()) {
            return answer.clone().map_err(Failed::error);
        }
        let answer = self.fs.stat(path).and_then(|meta| {
            let target = if meta.symlink {
                Some(self.fs.read_link(path)?)
            } else {
                None
            };
            Ok(Known { meta, target })
        });
        let kept = match &answer {
            Ok(known) => Some(Ok(known.clone())),
            Err(e) => Failed::of(e).map(Err),
        };
        if let Some(kept) = kept {
            self.known
                .borrow_mut()
                .insert(path.as_os_str().to_owned(), kept);
        }
        answer
    }
}

fn not_a_directory() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOTDIR)
}

impl FsProbe for Memo<'_> {
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        if !path.is_absolute() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "relative path"));
        }
        // What is left to walk; a link's target replaces the link in it, as
        // in glibc's realpath.
        let mut rest = path.as_os_str().as_bytes().to_vec();
        let mut at = 0;
        // The canonical path so far, as bytes: names are appended and `..`
        // truncates, without a new allocation per component.
        let mut resolved = b"/".to_vec();
        let mut is_dir = true;
        let mut links = 0;
        loop {
            let slashes = rest[at..].iter().take_while(|&&b| b == b'/').count();
            at += slashes;
            if at == rest.len() {
                // A trailing `/` asks for a directory.
                if slashes > 0 && !is_dir {
                    return Err(not_a_directory());
                }
                break;
            }
            let end = rest[at..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(rest.len(), |i| at + i);
            if !is_dir {
                // A name, `.` or `..` after a file.
                return Err(not_a_directory());
            }
            match &rest[at..end] {
                b"." => {}
                b".." => {
                    let parent = resolved.iter().rposition(|&b| b == b'/').unwrap_or(0);
                    resolved.truncate(parent.max(1));
                }
                name => {
                    let parent_len = resolved.len();
                    if parent_len > 1 {
                        resolved.push(b'/');
                    }
                    resolved.extend_from_slice(name);
                    let known = self.lookup(Path::new(OsStr::from_bytes(&resolved)))?;
                    if let Some(target) = known.target {
                        links += 1;
                        if links > MAX_SYMLINKS {
                            return Err(io::Error::from_raw_os_error(libc::ELOOP));
                        }
                        // The link resolves from its own directory, or from
                        // the root when it is absolute.
                        resolved.truncate(if target.is_absolute() { 1 } else { parent_len });
                        let mut next = target.into_os_string().into_vec();
                        next.extend_from_slice(&rest[end..]);
                        rest = next;
                        at = 0;
                        continue;
                    }
                    is_dir = known.meta.kind == FileKind::Dir;
                }
            }
            at = end;
        }
        Ok(PathBuf::from(OsString::from_vec(resolved)))
    }

    fn stat(&self, path: &Path) -> io::Result<FileMeta> {
        self.lookup(path).map(|known| known.meta)
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        match self.lookup(path)?.target {
            Some(target) => Ok(target),
            None => Err(io::Error::from_raw_os_error(libc::EINVAL)),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        self.fs.read_dir(path)
    }

    fn read_small(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.fs.read_small(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemFs, RealFs};
    use proptest::prelude::*;
    use std::cell::Cell;

    /// Counts the calls that reach the probe it wraps.
    struct Counting<'a> {
        fs: &'a dyn FsProbe,
        calls: Cell<usize>,
    }

    impl FsProbe for Counting<'_> {
        fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
            self.fs.canonicalize(path)
        }
        fn stat(&self, path: &Path) -> io::Result<FileMeta> {
            self.calls.set(self.calls.get() + 1);
            self.fs.stat(path)
        }
        fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
            self.calls.set(self.calls.get() + 1);
            self.fs.read_link(path)
        }
        fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
            self.fs.read_dir(path)
        }
    }

    /// A scratch directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn gives_realpaths_answers_on_a_real_tree() {
        use std::os::unix::fs::symlink;
        let dir = std::env::temp_dir().join(format!("nono-memo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let scratch = Scratch(
            std::fs::canonicalize(std::env::temp_dir())
                .unwrap()
                .join(dir.file_name().unwrap()),
        );
        let root = &scratch.0;
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f"), b"x").unwrap();
        symlink("a/b", root.join("rel")).unwrap();
        symlink(root.join("a"), root.join("abs")).unwrap();
        symlink("rel/f", root.join("chain")).unwrap();
        symlink("../b/f", root.join("a/b/up")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        symlink("b/f/", root.join("a/fileslash")).unwrap();
        symlink("/", root.join("toroot")).unwrap();
        let paths = [
            "",
            "/",
            "a",
            "a/",
            "a/.",
            "a/./b/",
            "a/b/f",
            "a/b/f/",
            "a/b/f/.",
            "a/b/f/..",
            "a/b/f/x",
            "a/b/..",
            "a/b/../..",
            "a//b///f",
            "rel",
            "rel/",
            "rel/f",
            "rel/..",
            "abs/b/f",
            "abs/../a",
            "chain",
            "chain/",
            "a/b/up",
            "dangling",
            "dangling/x",
            "loop",
            "loop/x",
            "a/fileslash",
            "nope",
            "nope/..",
            "toroot",
            "toroot/..",
            "a/b/f/../f",
        ];
        let real = RealFs;
        let counting = Counting {
            fs: &real,
            calls: Cell::new(0),
        };
        let memo = Memo::new(&counting);
        for p in paths {
            let path = root.join(p);
            // Keep the trailing slash Path::join would keep.
            let expected = std::fs::canonicalize(&path);
            let got = memo.canonicalize(&path);
            match (&expected, &got) {
                (Ok(e), Ok(g)) => assert_eq!(e, g, "{p}"),
                (Err(e), Err(g)) => {
                    assert_eq!(e.raw_os_error(), g.raw_os_error(), "{p}: {e} / {g}")
                }
                _ => panic!("{p}: realpath {expected:?}, memo {got:?}"),
            }
            if let Ok(canonical) = got {
                let meta = memo.stat(&canonical).unwrap();
                assert_eq!(meta, real.stat(&canonical).unwrap(), "{p}");
            }
        }
        // Asked again, nothing reaches the filesystem.
        let before = counting.calls.get();
        for p in paths {
            let _ = memo.canonicalize(&root.join(p)).map(|c| memo.stat(&c));
        }
        // Failures included: a missing path is remembered as missing.
        assert_eq!(counting.calls.get(), before);
    }

    #[test]
    fn a_path_in_a_known_directory_costs_one_lookup() {
        let mut fs = MemFs::new();
        fs.file("/etc/hosts").file("/etc/passwd").dir("/usr/lib");
        fs.symlink("/lib", "usr/lib");
        let counting = Counting {
            fs: &fs,
            calls: Cell::new(0),
        };
        let memo = Memo::new(&counting);
        let c = |p: &str| memo.canonicalize(Path::new(p)).unwrap();
        assert_eq!(c("/etc/hosts"), Path::new("/etc/hosts"));
        assert_eq!(counting.calls.get(), 2);
        assert_eq!(c("/etc/passwd"), Path::new("/etc/passwd"));
        memo.stat(Path::new("/etc/passwd")).unwrap();
        assert_eq!(counting.calls.get(), 3);
        assert_eq!(c("/lib"), Path::new("/usr/lib"));
        // /lib (stat and read_link), /usr, /usr/lib.
        assert_eq!(counting.calls.get(), 7);
    }

    #[test]
    fn a_missing_path_costs_one_lookup_and_fails_the_same_way_again() {
        let mut fs = MemFs::new();
        fs.dir("/home/u").file("/home/u/notes");
        let counting = Counting {
            fs: &fs,
            calls: Cell::new(0),
        };
        let memo = Memo::new(&counting);
        let missing = Path::new("/home/u/.ssh");
        let first = memo.canonicalize(missing).unwrap_err();
        let calls = counting.calls.get();
        let again = memo.canonicalize(missing).unwrap_err();
        let stat = memo.stat(missing).unwrap_err();
        assert_eq!(counting.calls.get(), calls, "asked the filesystem again");
        assert_eq!(first.kind(), io::ErrorKind::NotFound);
        assert_eq!((again.kind(), stat.kind()), (first.kind(), first.kind()));
        // Below a file: ENOTDIR, from the walk, every time.
        let below = Path::new("/home/u/notes/x");
        assert_eq!(
            memo.canonicalize(below).unwrap_err().raw_os_error(),
            Some(libc::ENOTDIR)
        );
        assert_eq!(
            memo.canonicalize(below).unwrap_err().raw_os_error(),
            Some(libc::ENOTDIR)
        );
    }

    fn tree_strategy() -> impl Strategy<Value = MemFs> {
        let name = prop::sample::select(vec!["a", "b", "c"]);
        let path = prop::collection::vec(name, 1..4).prop_map(|v| format!("/{}", v.join("/")));
        let target = prop::sample::select(vec![
            "a", "b", "../a", "..", "/a", "/a/b", "c/..", "/b/c", "a/b/c", ".",
        ]);
        let node = prop_oneof![
            Just(None),
            Just(Some(None)),
            target.prop_map(|t| Some(Some(t.to_owned()))),
        ];
        prop::collection::vec((path, node), 0..12).prop_map(|nodes| {
            let mut fs = MemFs::new();
            for (path, node) in nodes {
                match node {
                    None => fs.dir(&path),
                    Some(None) => fs.file(&path),
                    Some(Some(target)) => fs.symlink(&path, target),
                };
            }
            fs
        })
    }

    proptest! {
        /// On an in-memory tree the memo canonicalises as MemFs does (MemFs
        /// has no trailing `/` or `.`, which Path drops, so neither do
        /// these paths).
        #[test]
        fn agrees_with_memfs(fs in tree_strategy(), queries in prop::collection::vec(
            prop::collection::vec(prop::sample::select(vec!["a", "b", "c", ".."]), 0..5), 1..8)) {
            let memo = Memo::new(&fs);
            for query in queries {
                let path = PathBuf::from(format!("/{}", query.join("/")));
                let expected = fs.canonicalize(&path);
                let got = memo.canonicalize(&path);
                match (&expected, &got) {
                    (Ok(e), Ok(g)) => prop_assert_eq!(e, g),
                    (Err(e), Err(g)) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                        prop_assert_eq!(e.kind(), g.kind(), "{}", path.display());
                    }
                    (Err(_), Err(_)) => {}
                    _ => prop_assert!(false, "{}: memfs {:?}, memo {:?}", path.display(), expected, got),
                }
            }
        }
    }
}
