//! Whether a plugin file may be loaded at all.
//!
//! A plugin is code that nono runs. If someone other than root or the user
//! could change the file, or swap it through its directory, they could run
//! code as the user the next time nono starts. So the file and the directory
//! holding it must be owned by root or by the user running nono, and neither
//! may be group- or world-writable. Symlinks are resolved first, so it is the
//! real file and its real directory that are checked.
//!
//! The file is opened once (`O_PATH | O_NOFOLLOW`), and everything about it,
//! its type, owner, mode and identity ([`TrustedFile`]), comes from that one
//! descriptor: the file checked is the file whose identity the helper then
//! verifies and the plugin cache keys its entries by.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A plugin file that passed the trust check, and the identity it had then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedFile {
    /// The canonical path (symlinks resolved).
    pub path: PathBuf,
    /// Device number at the time of the check.
    pub dev: u64,
    /// Inode number at the time of the check.
    pub ino: u64,
    /// Size in bytes at the time of the check.
    pub size: u64,
    /// Modification time at the time of the check, in nanoseconds since the
    /// epoch.
    pub mtime_ns: i128,
    /// Status-change time at the time of the check, in nanoseconds since
    /// the epoch. Unlike the modification time, no user can set it back:
    /// any change to the file, or to its times, moves it forward.
    pub ctime_ns: i128,
}

impl TrustedFile {
    /// The file at `path` with the identity `meta` gives (from `fstat`).
    pub fn from_metadata(path: PathBuf, meta: &std::fs::Metadata) -> TrustedFile {
        TrustedFile {
            path,
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        }
    }

    /// Whether `meta` (of an open descriptor) still describes this file
    /// exactly as it was checked: the same inode, size and times.
    pub fn unchanged(&self, meta: &std::fs::Metadata) -> bool {
        TrustedFile::from_metadata(self.path.clone(), meta) == *self
    }
}

/// Whether the file or its directory is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// The plugin file itself.
    File,
    /// The directory holding it.
    Directory,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Subject::File => "file",
            Subject::Directory => "directory",
        })
    }
}

/// Why a plugin file is refused. The message says which path and why, and
/// how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The path could not be resolved or examined.
    #[error("cannot examine {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The path is not a regular file.
    #[error("{0} is not a regular file")]
    NotAFile(PathBuf),
    /// Owned by someone other than root or the user.
    #[error(
        "refused: its {subject} {path} is owned by uid {owner}, not by root or by you (uid {euid}); a plugin and its directory must belong to root or to the user running nono"
    )]
    Owner {
        /// File or directory.
        subject: Subject,
        /// The path at fault.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The effective uid of nono.
        euid: u32,
    },
    /// Group- or world-writable.
    #[error(
        "refused: its {subject} {path} is {who}-writable (mode {mode:04o}), so others could change the code nono would run; fix with: chmod go-w {path}"
    )]
    Writable {
        /// File or directory.
        subject: Subject,
        /// The path at fault.
        path: PathBuf,
        /// `group`, `world`, or `group- and world`.
        who: &'static str,
        /// The permission bits.
        mode: u32,
    },
}

fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn check_one(subject: Subject, path: &Path, euid: u32) -> Result<(), TrustError> {
    let meta = std::fs::metadata(path).map_err(|source| TrustError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check_meta(subject, path, &meta, euid)
}

fn check_meta(
    subject: Subject,
    path: &Path,
    meta: &std::fs::Metadata,
    euid: u32,
) -> Result<(), TrustError> {
    let owner = meta.uid();
    if owner != 0 && owner != euid {
        return Err(TrustError::Owner {
            subject,
            path: path.to_path_buf(),
            owner,
            euid,
        });
    }
    let mode = meta.mode() & 0o7777;
    let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (false, false) => None,
        (true, false) => Some("group"),
        (false, true) => Some("world"),
        (true, true) => Some("group- and world"),
    };
    if let Some(who) = who {
        return Err(TrustError::Writable {
            subject,
            path: path.to_path_buf(),
            who,
            mode,
        });
    }
    Ok(())
}

/// Checks that the plugin file at `path` may be loaded: after resolving
/// symlinks, it is a regular file, and it and its directory are owned by
/// root or the effective user and writable by neither group nor others.
pub fn check(path: &Path) -> Result<TrustedFile, TrustError> {
    check_as(path, effective_uid())
}

/// [`check`] as if nono ran with effective uid `euid`.
pub fn check_as(path: &Path, euid: u32) -> Result<TrustedFile, TrustError> {
    open_checked_as(path, euid).map(|(trusted, _)| trusted)
}

/// [`check`], also returning the descriptor (`O_PATH`) the file was checked
/// through, so that the caller can tell later whether it is still the same
/// file, unchanged ([`TrustedFile::unchanged`]).
pub fn open_checked(path: &Path) -> Result<(TrustedFile, std::fs::File), TrustError> {
    open_checked_as(path, effective_uid())
}

fn open_checked_as(path: &Path, euid: u32) -> Result<(TrustedFile, std::fs::File), TrustError> {
    use std::os::unix::fs::OpenOptionsExt;
    let canonical = std::fs::canonicalize(path).map_err(|source| TrustError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let io = |source| TrustError::Io {
        path: canonical.clone(),
        source,
    };
    // O_PATH: no read permission is needed and nothing of the file runs or
    // is read; O_NOFOLLOW: a symlink swapped in since canonicalisation is
    // opened as itself, and refused below as not a regular file.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW)
        .open(&canonical)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    // A symlink (swapped in after canonicalisation) has mode 0777: say what
    // it is rather than that it is writable.
    if meta.file_type().is_symlink() {
        return Err(TrustError::NotAFile(canonical));
    }
    check_meta(Subject::File, &canonical, &meta, euid)?;
    if !meta.is_file() {
        return Err(TrustError::NotAFile(canonical));
    }
    if let Some(dir) = canonical.parent() {
        check_one(Subject::Directory, dir, euid)?;
    }
    Ok((TrustedFile::from_metadata(canonical, &meta), file))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn setup() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        let file = dir.path().join("libacme.so");
        std::fs::write(&file, b"not really a library").unwrap();
        chmod(&file, 0o644);
        (dir, file)
    }

    #[test]
    fn an_owned_unwritable_file_in_an_owned_directory_is_trusted() {
        let (_dir, file) = setup();
        let trusted = check(&file).unwrap();
        assert_eq!(trusted.path, file.canonicalize().unwrap());
        // Read-only and owner-writable modes are both fine.
        chmod(&file, 0o400);
        check(&file).unwrap();
    }

    #[test]
    fn group_or_world_writable_files_and_directories_are_refused() {
        let (dir, file) = setup();
        for (mode, who) in [
            (0o664, "group"),
            (0o646, "world"),
            (0o666, "group- and world"),
        ] {
            chmod(&file, mode);
            let err = check(&file).unwrap_err();
            assert!(
                matches!(&err, TrustError::Writable { subject: Subject::File, who: w, .. } if *w == who),
                "{err}"
            );
            let text = err.to_string();
            assert!(
                text.contains(&format!(
                    "its file {}",
                    file.canonicalize().unwrap().display()
                )),
                "{text}"
            );
            assert!(
                text.contains(&format!("{who}-writable (mode 0{mode:o})")),
                "{text}"
            );
        }
        chmod(&file, 0o644);
        // A sticky, world-writable directory such as /tmp is refused too:
        // anyone could put a plugin there first.
        chmod(dir.path(), 0o1777);
        let err = check(&file).unwrap_err();
        assert!(
            matches!(
                &err,
                TrustError::Writable {
                    subject: Subject::Directory,
                    who: "group- and world",
                    mode: 0o1777,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_file_owned_by_someone_else_is_refused() {
        let (dir, file) = setup();
        let owner = std::fs::metadata(&file).unwrap().uid();
        let someone_else = owner + 4242;
        if owner == 0 {
            // As root: really hand the file to another uid.
            std::os::unix::fs::chown(&file, Some(someone_else), None).unwrap();
            let err = check(&file).unwrap_err();
            assert!(
                matches!(err, TrustError::Owner { subject: Subject::File, owner, .. } if owner == someone_else),
                "{err}"
            );
            std::os::unix::fs::chown(&file, Some(0), None).unwrap();
            std::os::unix::fs::chown(dir.path(), Some(someone_else), None).unwrap();
            let err = check(&file).unwrap_err();
            assert!(
                matches!(
                    err,
                    TrustError::Owner {
                        subject: Subject::Directory,
                        ..
                    }
                ),
                "{err}"
            );
        } else {
            // As a user: a file of ours is not ours to another uid (unless
            // we are root, and we are not).
            let err = check_as(&file, someone_else).unwrap_err();
            assert!(matches!(err, TrustError::Owner { .. }), "{err}");
        }
    }

    #[test]
    fn symlinks_are_resolved_and_the_target_is_checked() {
        let (dir, file) = setup();
        let other = tempfile::tempdir().unwrap();
        chmod(other.path(), 0o777);
        let link = other.path().join("libacme.so");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        // The link lives in a world-writable directory, but the file it
        // names does not: the file is what is loaded.
        assert_eq!(check(&link).unwrap().path, file.canonicalize().unwrap());
        chmod(&file, 0o666);
        assert!(check(&link).is_err());
        drop(dir);
    }

    #[test]
    fn a_directory_or_missing_path_is_refused() {
        let (dir, file) = setup();
        assert!(matches!(check(dir.path()), Err(TrustError::NotAFile(_))));
        std::fs::remove_file(&file).unwrap();
        assert!(matches!(check(&file), Err(TrustError::Io { .. })));
    }
}
