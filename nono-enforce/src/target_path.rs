//! Resolving a path as the command's process would, from outside it.
//!
//! The supervisor must judge the file a call would reach, not a string the
//! command could change afterwards. [`TargetView`] walks the path one
//! component at a time from the target's own root and working directory
//! (or a directory descriptor taken from it), opening each step `O_PATH`
//! without following links, and resolves symbolic links itself, so the
//! result is a pinned descriptor of exactly the file the kernel would have
//! used. `/proc/self` and `/proc/thread-self` name the target, not the
//! supervisor; `/proc` magic links (`/proc/PID/fd/N`, `cwd`, `root`) are
//! followed by the kernel, which jumps to the very file the target holds.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// The kernel's limit on symbolic links followed in one lookup.
const MAX_LINKS: usize = 40;
/// The longest path the kernel accepts (`PATH_MAX`, with its NUL).
pub const PATH_MAX: usize = 4096;
const PROC_SUPER_MAGIC: i64 = 0x9fa0;
const PROC_ROOT_INO: u64 = 1;

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// The process (thread group) thread `tid` belongs to, from
/// `/proc/TID/status` (`ESRCH` when it is gone or the file is not as
/// expected).
pub fn tgid_of(tid: u32) -> io::Result<u32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))
}

fn owned(fd: RawFd) -> io::Result<OwnedFd> {
    let fd = cvt(fd)?;
    // SAFETY: the kernel just returned this new descriptor, owned by no one.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn open_at(dir: &OwnedFd, name: &CStr, follow: bool) -> io::Result<OwnedFd> {
    let flags = libc::O_PATH | libc::O_CLOEXEC | if follow { 0 } else { libc::O_NOFOLLOW };
    // SAFETY: `name` is NUL-terminated and `dir` a live descriptor.
    owned(unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags) })
}

/// `fstat` of a descriptor.
pub fn stat_fd(fd: &OwnedFd) -> io::Result<libc::stat> {
    // SAFETY: an all-zero stat is a valid value to be overwritten.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is writable and `fd` live.
    cvt(unsafe { libc::fstat(fd.as_raw_fd(), &raw mut st) })?;
    Ok(st)
}

fn on_procfs(fd: &OwnedFd) -> bool {
    // SAFETY: an all-zero statfs is a valid value to be overwritten.
    let mut sfs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `sfs` is writable and `fd` live.
    let rc = unsafe { libc::fstatfs(fd.as_raw_fd(), &raw mut sfs) };
    rc == 0 && sfs.f_type == PROC_SUPER_MAGIC
}

fn read_link(fd: &OwnedFd) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; PATH_MAX];
    // SAFETY: `buf` is writable for its length; the empty name reads the
    // link `fd` itself refers to (an O_PATH|O_NOFOLLOW descriptor).
    let n = unsafe {
        libc::readlinkat(
            fd.as_raw_fd(),
            c"".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// The path a descriptor refers to, as this process sees it, without a
/// trailing " (deleted)" (an unlinked file is judged by where it was: its
/// directory).
pub fn fd_path(fd: &OwnedFd) -> io::Result<PathBuf> {
    let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let mut bytes = std::fs::read_link(link)?.into_os_string().into_vec();
    if let Some(stripped) = bytes.strip_suffix(b" (deleted)") {
        bytes = stripped.to_vec();
    }
    if bytes.first() != Some(&b'/') {
        // A socket, pipe or anonymous inode: no path to judge.
        return Err(io::Error::from_raw_os_error(libc::EPERM));
    }
    Ok(PathBuf::from(OsStr::from_bytes(&bytes)))
}

/// Where a relative path starts.
#[derive(Debug)]
pub enum Start {
    /// The target's working directory.
    Cwd,
    /// A directory descriptor taken from the target.
    Dir(OwnedFd),
}

/// The target's view of the filesystem: its root and working directory,
/// pinned.
#[derive(Debug)]
pub struct TargetView {
    pid: u32,
    /// The thread's process, looked up when a path names `/proc/self` or
    /// `/proc/thread-self` (reading it costs more than the rest of most
    /// calls' resolution).
    tgid: std::cell::OnceCell<Option<u32>>,
    root: OwnedFd,
    cwd: OwnedFd,
}

impl TargetView {
    /// Pins the root and working directory of thread `pid`.
    pub fn of(pid: u32) -> io::Result<TargetView> {
        let proc_dir = CString::new(format!("/proc/{pid}"))
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: a NUL-terminated path.
        let dir = owned(unsafe {
            libc::open(
                proc_dir.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        })?;
        let root = open_at(&dir, c"root", true)?;
        let cwd = open_at(&dir, c"cwd", true)?;
        Ok(TargetView {
            pid,
            tgid: std::cell::OnceCell::new(),
            root,
            cwd,
        })
    }

    /// The thread's process (`ESRCH` when it is gone).
    fn tgid(&self) -> io::Result<u32> {
        self.tgid
            .get_or_init(|| tgid_of(self.pid).ok())
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))
    }

    fn same_file(a: &OwnedFd, b: &OwnedFd) -> bool {
        match (stat_fd(a), stat_fd(b)) {
            (Ok(x), Ok(y)) => x.st_dev == y.st_dev && x.st_ino == y.st_ino,
            _ => false,
        }
    }

    fn dup(fd: &OwnedFd) -> io::Result<OwnedFd> {
        fd.try_clone()
    }

    /// Resolves `path` from `start` as the target would, following a final
    /// symbolic link only when `follow_last`. Returns an `O_PATH`
    /// descriptor of the file, which must exist.
    pub fn resolve(&self, start: Start, path: &[u8], follow_last: bool) -> io::Result<OwnedFd> {
        self.resolve_counted(start, path, follow_last, &mut 0)
    }

    fn resolve_counted(
        &self,
        start: Start,
        path: &[u8],
        follow_last: bool,
        links: &mut usize,
    ) -> io::Result<OwnedFd> {
        let (parent, last) = self.resolve_parent_counted(start, path, links)?;
        match last {
            None => Ok(parent),
            Some(name) => self.step(parent, &name, follow_last, links),
        }
    }

    /// Resolves every component of `path` but the last, and returns the
    /// directory reached and the last name (`None` when the path ends in
    /// `.`, `..` or `/`, and the directory itself is meant).
    pub fn resolve_parent(
        &self,
        start: Start,
        path: &[u8],
    ) -> io::Result<(OwnedFd, Option<Vec<u8>>)> {
        self.resolve_parent_counted(start, path, &mut 0)
    }

    fn resolve_parent_counted(
        &self,
        start: Start,
        path: &[u8],
        links: &mut usize,
    ) -> io::Result<(OwnedFd, Option<Vec<u8>>)> {
        if path.is_empty() {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        if path.len() >= PATH_MAX {
            return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
        }
        let mut cur = if path.first() == Some(&b'/') {
            Self::dup(&self.root)?
        } else {
            match start {
                Start::Cwd => Self::dup(&self.cwd)?,
                Start::Dir(fd) => fd,
            }
        };
        // Components still to walk, last first.
        let mut pending: Vec<Vec<u8>> = split(path);
        let mut trailing_dir = path.ends_with(b"/");
        loop {
            let Some(name) = pending.pop() else {
                return Ok((cur, None));
            };
            if pending.is_empty() && !trailing_dir && name != b"." && name != b".." {
                return Ok((cur, Some(name)));
            }
            match name.as_slice() {
                b"." => continue,
                b".." => {
                    if !Self::same_file(&cur, &self.root) {
                        cur = open_at(&cur, c"..", false)?;
                    }
                    continue;
                }
                _ => {}
            }
            // An inner component: follow links, and it must be a directory.
            let next = self.open_component(&cur, &name)?;
            match next {
                Component::File(fd) => cur = fd,
                Component::Link(text) => {
                    *links += 1;
                    if *links > MAX_LINKS {
                        return Err(io::Error::from_raw_os_error(libc::ELOOP));
                    }
                    if text.first() == Some(&b'/') {
                        cur = Self::dup(&self.root)?;
                    }
                    if pending.is_empty() {
                        trailing_dir = trailing_dir || text.ends_with(b"/");
                    }
                    // Both are stacks, last component first: the link's
                    // first component is popped next.
                    pending.extend(split(&text));
                }
            }
        }
    }

    /// Opens the last component, following a symbolic link there only if
    /// `follow`.
    fn step(
        &self,
        dir: OwnedFd,
        name: &[u8],
        follow: bool,
        links: &mut usize,
    ) -> io::Result<OwnedFd> {
        if !follow {
            let cname =
                CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
            return open_at(&dir, &cname, false);
        }
        match self.open_component(&dir, name)? {
            Component::File(fd) => Ok(fd),
            Component::Link(text) => {
                *links += 1;
                if *links > MAX_LINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let start = if text.first() == Some(&b'/') {
                    Start::Cwd
                } else {
                    Start::Dir(dir)
                };
                self.resolve_counted(start, &text, true, links)
            }
        }
    }

    /// Opens `name` in `dir` without following a link; a link is returned
    /// as its text, except on procfs, where `self`/`thread-self` name the
    /// target and magic links are followed by the kernel.
    fn open_component(&self, dir: &OwnedFd, name: &[u8]) -> io::Result<Component> {
        let cname = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        let fd = open_at(dir, &cname, false)?;
        let st = stat_fd(&fd)?;
        if st.st_mode & libc::S_IFMT != libc::S_IFLNK {
            return Ok(Component::File(fd));
        }
        if on_procfs(dir) {
            let dir_st = stat_fd(dir)?;
            if dir_st.st_ino == PROC_ROOT_INO {
                match name {
                    b"self" => return Ok(Component::Link(self.tgid()?.to_string().into_bytes())),
                    b"thread-self" => {
                        return Ok(Component::Link(
                            format!("{}/task/{}", self.tgid()?, self.pid).into_bytes(),
                        ));
                    }
                    _ => {}
                }
            }
            let text = read_link(&fd)?;
            if is_magic(&text) {
                // The kernel jumps to the file the link stands for, in the
                // process it belongs to.
                return open_at(dir, &cname, true).map(Component::File);
            }
            return Ok(Component::Link(text));
        }
        Ok(Component::Link(read_link(&fd)?))
    }
}

/// A procfs link that stands for an object rather than a path: the
/// kernel follows it to that object (absolute targets, and `type:[ino]`).
fn is_magic(text: &[u8]) -> bool {
    text.first() == Some(&b'/')
        || text.windows(2).any(|w| w == b":[")
        || text.starts_with(b"anon_inode:")
}

enum Component {
    File(OwnedFd),
    Link(Vec<u8>),
}

/// The non-empty components of `path`, last first (a stack).
fn split(path: &[u8]) -> Vec<Vec<u8>> {
    let mut parts: Vec<Vec<u8>> = path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    parts.reverse();
    parts
}

/// The `/proc/self/fd/N` path of one of this process's descriptors: a name
/// that system calls taking a path follow to exactly that file.
pub fn proc_fd_path(fd: &OwnedFd) -> CString {
    // A formatted integer has no NUL byte.
    CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn view() -> TargetView {
        TargetView::of(std::process::id()).unwrap()
    }

    fn path_of(fd: &OwnedFd) -> PathBuf {
        fd_path(fd).unwrap()
    }

    #[test]
    fn links_are_followed_as_the_kernel_would() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("a/b")).unwrap();
        std::fs::write(base.join("a/b/f"), b"x").unwrap();
        symlink("a/b", base.join("l")).unwrap();
        symlink("../b/f", base.join("a/b/rel")).unwrap();
        symlink("/nonexistent-nono", base.join("dangling")).unwrap();
        let v = view();
        let abs = |p: &str| base.join(p).into_os_string().into_vec();
        let fd = v.resolve(Start::Cwd, &abs("l/f"), true).unwrap();
        assert_eq!(path_of(&fd), base.join("a/b/f"));
        let fd = v.resolve(Start::Cwd, &abs("a/b/rel"), true).unwrap();
        assert_eq!(path_of(&fd), base.join("a/b/f"));
        let fd = v.resolve(Start::Cwd, &abs("a/b/rel"), false).unwrap();
        assert_eq!(path_of(&fd), base.join("a/b/rel"));
        let fd = v.resolve(Start::Cwd, &abs("l/../b/f"), true).unwrap();
        // `..` is physical: from a/b, not from the link's directory.
        assert_eq!(path_of(&fd), base.join("a/b/f"));
        let err = v.resolve(Start::Cwd, &abs("dangling"), true).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        let (parent, name) = v.resolve_parent(Start::Cwd, &abs("l/new")).unwrap();
        assert_eq!(path_of(&parent), base.join("a/b"));
        assert_eq!(name.as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn proc_self_names_the_target_and_magic_links_reach_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::write(base.join("held"), b"x").unwrap();
        let held = std::fs::File::open(base.join("held")).unwrap();
        let v = view();
        let p = format!("/proc/self/fd/{}", held.as_raw_fd());
        let fd = v.resolve(Start::Cwd, p.as_bytes(), true).unwrap();
        assert_eq!(path_of(&fd), base.join("held"));
        // A link to /proc/self is resolved for the target too.
        symlink("/proc/self", base.join("me")).unwrap();
        let p = base.join(format!("me/fd/{}", held.as_raw_fd()));
        let fd = v
            .resolve(Start::Cwd, p.as_os_str().as_bytes(), true)
            .unwrap();
        assert_eq!(path_of(&fd), base.join("held"));
    }

    #[test]
    fn loops_end_in_eloop() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        symlink("b", base.join("a")).unwrap();
        symlink("a", base.join("b")).unwrap();
        for p in [base.join("a/x"), base.join("a")] {
            let err = view()
                .resolve(Start::Cwd, p.as_os_str().as_bytes(), true)
                .unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ELOOP), "{}", p.display());
        }
    }
}
