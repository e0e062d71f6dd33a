//! An in-memory filesystem for testing the compiler without a kernel.

use crate::{FileMeta, FsProbe};
use nono_model::FileKind;
use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Dir,
    File,
    Symlink(PathBuf),
}

/// An in-memory tree of directories, files and symlinks implementing
/// [`FsProbe`], with `realpath(3)` semantics for
/// [`canonicalize`](FsProbe::canonicalize).
///
/// ```
/// use nono_compile::{FsProbe, MemFs};
/// use std::path::Path;
///
/// let mut fs = MemFs::new();
/// fs.file("/usr/bin/python3.11");
/// fs.symlink("/usr/bin/python3", "python3.11");
/// assert_eq!(fs.canonicalize(Path::new("/usr/bin/python3")).unwrap(), Path::new("/usr/bin/python3.11"));
/// ```
///
/// Every entry belongs to root (uid 0) with mode `0o755` (a directory),
/// `0o644` (a file) or `0o777` (a link) unless [`MemFs::own`] says
/// otherwise.
#[derive(Clone, Debug)]
pub struct MemFs {
    nodes: BTreeMap<PathBuf, (Node, u64)>,
    /// Owner and permission bits of the entries that are not root's with
    /// the default mode.
    owners: BTreeMap<PathBuf, (u32, u32)>,
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    /// A tree holding only `/`.
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(PathBuf::from("/"), (Node::Dir, 1));
        MemFs {
            nodes,
            owners: BTreeMap::new(),
        }
    }

    /// Gives the entry `path` (added already or later) the owner `uid` and
    /// the permission bits `mode`.
    pub fn own(&mut self, path: impl AsRef<Path>, uid: u32, mode: u32) -> &mut Self {
        self.owners
            .insert(path.as_ref().to_path_buf(), (uid, mode & 0o7777));
        self
    }

    fn insert(&mut self, path: &Path, node: Node) {
        if let Some(parent) = path.parent().filter(|p| !self.nodes.contains_key(*p)) {
            self.dir(parent);
        }
        // A path added again keeps its inode number; a new one gets the next
        // unused number (numbers in use are always 1..=len).
        let ino = self
            .nodes
            .get(path)
            .map_or(self.nodes.len() as u64 + 1, |(_, ino)| *ino);
        self.nodes.insert(path.to_path_buf(), (node, ino));
    }

    /// Adds a directory and its missing ancestors.
    pub fn dir(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.insert(path.as_ref(), Node::Dir);
        self
    }

    /// Adds a file and its missing ancestors.
    pub fn file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.insert(path.as_ref(), Node::File);
        self
    }

    /// Adds a symlink at `path` pointing to `target` (relative to the link's
    /// directory unless absolute).
    pub fn symlink(&mut self, path: impl AsRef<Path>, target: impl AsRef<Path>) -> &mut Self {
        self.insert(path.as_ref(), Node::Symlink(target.as_ref().to_path_buf()));
        self
    }

    /// Every path in the tree that is not a symlink, sorted.
    pub fn paths(&self) -> impl Iterator<Item = (&Path, FileKind)> {
        self.nodes.iter().filter_map(|(p, (node, _))| match node {
            Node::Dir => Some((p.as_path(), FileKind::Dir)),
            Node::File => Some((p.as_path(), FileKind::File)),
            Node::Symlink(_) => None,
        })
    }
}

const MAX_SYMLINKS: usize = 40;

impl FsProbe for MemFs {
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        if !path.is_absolute() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "relative path"));
        }
        let mut resolved = PathBuf::from("/");
        let mut pending: VecDeque<OsString> = VecDeque::new();
        let push_all = |pending: &mut VecDeque<OsString>, p: &Path| {
            for c in p.components().rev() {
                match c {
                    Component::Normal(name) => pending.push_front(name.to_owned()),
                    Component::ParentDir => pending.push_front("..".into()),
                    Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
                }
            }
        };
        push_all(&mut pending, path);
        let mut links = 0;
        while let Some(name) = pending.pop_front() {
            if name == ".." {
                // As realpath(3): `..` after a file is ENOTDIR.
                if matches!(self.nodes.get(&resolved), Some((Node::File, _))) {
                    return Err(io::ErrorKind::NotADirectory.into());
                }
                resolved.pop();
                continue;
            }
            let candidate = resolved.join(&name);
            match self.nodes.get(&candidate) {
                None => return Err(io::ErrorKind::NotFound.into()),
                Some((Node::Symlink(target), _)) => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(io::Error::other("too many levels of symbolic links"));
                    }
                    if target.is_absolute() {
                        resolved = PathBuf::from("/");
                    }
                    push_all(&mut pending, target);
                }
                Some((Node::File, _)) if !pending.is_empty() => {
                    return Err(io::ErrorKind::NotADirectory.into());
                }
                Some(_) => resolved = candidate,
            }
        }
        Ok(resolved)
    }

    fn stat(&self, path: &Path) -> io::Result<FileMeta> {
        match self.nodes.get(path) {
            None => Err(io::ErrorKind::NotFound.into()),
            Some((node, ino)) => {
                let (uid, mode) = self.owners.get(path).copied().unwrap_or(match node {
                    Node::Dir => (0, 0o755),
                    Node::File => (0, 0o644),
                    Node::Symlink(_) => (0, 0o777),
                });
                Ok(FileMeta {
                    kind: if *node == Node::Dir {
                        FileKind::Dir
                    } else {
                        FileKind::File
                    },
                    dev: 1,
                    ino: *ino,
                    symlink: matches!(node, Node::Symlink(_)),
                    uid,
                    mode,
                })
            }
        }
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        match self.nodes.get(path) {
            None => Err(io::ErrorKind::NotFound.into()),
            Some((Node::Symlink(target), _)) => Ok(target.clone()),
            Some(_) => Err(io::ErrorKind::InvalidInput.into()),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        match self.nodes.get(path) {
            None => Err(io::ErrorKind::NotFound.into()),
            Some((Node::Dir, _)) => Ok(self
                .nodes
                .range(path.to_path_buf()..)
                .map(|(p, _)| p)
                .take_while(|p| p.starts_with(path))
                .filter(|p| p.parent() == Some(path))
                .cloned()
                .collect()),
            Some(_) => Err(io::ErrorKind::NotADirectory.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_absolute_and_dotdot_links() {
        let mut fs = MemFs::new();
        fs.dir("/a/b").file("/a/b/f");
        fs.symlink("/l1", "a/b");
        fs.symlink("/a/up", "../a/b/f");
        fs.symlink("/loop", "/loop");
        let c = |p: &str| fs.canonicalize(Path::new(p));
        assert_eq!(c("/l1/f").unwrap(), Path::new("/a/b/f"));
        assert_eq!(c("/a/up").unwrap(), Path::new("/a/b/f"));
        assert_eq!(c("/a/b/../b/./f").unwrap(), Path::new("/a/b/f"));
        assert_eq!(c("/nope").unwrap_err().kind(), io::ErrorKind::NotFound);
        assert_eq!(
            c("/a/b/f/x").unwrap_err().kind(),
            io::ErrorKind::NotADirectory
        );
        assert!(c("/loop").is_err());
    }
}
