//! The compiler's only window on the filesystem.

use nono_model::FileKind;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What the compiler records about a resolved path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMeta {
    /// Directory or not.
    pub kind: FileKind,
    /// Device number.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Whether the path itself is a symbolic link (`kind` is then `File`).
    pub symlink: bool,
    /// The owner's user id.
    pub uid: u32,
    /// The permission bits (`mode & 0o7777`: set-id, sticky, rwx).
    pub mode: u32,
}

/// Filesystem queries the compiler needs. [`RealFs`] asks the kernel;
/// [`MemFs`](crate::MemFs) answers from an in-memory tree for tests.
pub trait FsProbe {
    /// The absolute path with every symlink and `.`/`..` resolved, like
    /// `realpath(3)`. Fails with `NotFound` when any component is missing.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;

    /// Kind and identity of `path`, not following a final symlink.
    fn stat(&self, path: &Path) -> io::Result<FileMeta>;

    /// The target of the symbolic link `path`, as written in the link;
    /// `EINVAL` when `path` is not a link.
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;

    /// The entries of the directory `path`, as full paths, sorted.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;

    /// The first bytes (at most 4 KiB) of the regular file `path`, for
    /// the small pointer files git writes (a worktree's `.git`,
    /// `commondir`). A probe that cannot read files says `Unsupported`.
    fn read_small(&self, path: &Path) -> io::Result<Vec<u8>> {
        let _ = path;
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// The real filesystem.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

impl FsProbe for RealFs {
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }

    fn stat(&self, path: &Path) -> io::Result<FileMeta> {
        let meta = std::fs::symlink_metadata(path)?;
        Ok(FileMeta {
            kind: if meta.is_dir() {
                FileKind::Dir
            } else {
                FileKind::File
            },
            dev: meta.dev(),
            ino: meta.ino(),
            symlink: meta.file_type().is_symlink(),
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
        })
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::read_link(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut entries = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect::<io::Result<Vec<_>>>()?;
        entries.sort();
        Ok(entries)
    }

    fn read_small(&self, path: &Path) -> io::Result<Vec<u8>> {
        use std::io::Read;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)?;
        if !file.metadata()?.is_file() {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let mut bytes = Vec::new();
        file.take(4096).read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}
