//! The mount layer (DESIGN.md section 7.3): a private mount namespace in
//! which the protected paths are bound onto themselves, read-only or just
//! pinned, before Landlock is applied.
//!
//! A process with `CAP_SYS_ADMIN` (root, before it drops its capabilities)
//! makes the namespace with `unshare(CLONE_NEWNS)`; another makes it in a
//! new user namespace where its own user and group are mapped to
//! themselves (and `setgroups` is denied). Mount propagation is made
//! private first, so nothing done here reaches the host's namespace.
//!
//! A bind of a path onto itself keeps its inode, so Landlock rules opened
//! afterwards (and the `(dev, ino)` checks) mean the same; a bind mount is
//! a mount point, which `rename` and `unlink` refuse (`EBUSY`) whatever the
//! directory's rights; a read-only one refuses every change inside
//! (`EROFS`). Once the Landlock domain is in place, the command cannot
//! unmount, remount or move anything (Landlock denies every change to the
//! mount topology of a sandboxed process), in this namespace or in any it
//! makes.
//!
//! Every path is opened `O_PATH | O_NOFOLLOW` and checked against the
//! `(dev, ino)` the compiler recorded, and the mount calls name it through
//! `/proc/self/fd`, so a symbolic link swapped in since cannot redirect a
//! bind.

use nono_model::{PrivateLayer, ProtectedPath, Protection, Ruleset};
use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What the mount layer did for this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountLayer {
    /// Whether the namespace needed a new user namespace (not root).
    pub in_user_namespace: bool,
    /// How many private layers were mounted.
    pub layers: usize,
    /// How many paths were bound.
    pub bound: usize,
    /// What was made where a protected path was missing (an empty
    /// directory, or a file holding its seed).
    pub created: Vec<PathBuf>,
}

/// Why the mount layer could not be set up. The process may already be in
/// a new namespace with part of the binds: the command must not run.
#[derive(Debug, thiserror::Error)]
#[error("mount layer: {what} {}: {source}", path.display())]
pub struct MountError {
    /// The step that failed.
    what: &'static str,
    /// The path it was about.
    path: PathBuf,
    /// The kernel's answer.
    source: std::io::Error,
}

fn err(what: &'static str, path: &Path, source: std::io::Error) -> MountError {
    MountError {
        what,
        path: path.to_path_buf(),
        source,
    }
}

static DONE: OnceLock<Option<MountLayer>> = OnceLock::new();

/// Sets up the mount layer for `ruleset` (its private layers, then its
/// protected paths), once per process (a later call returns what the
/// first did); nothing at all when it has neither.
/// Call it before opening the Landlock rules and before restricting; as
/// root, before dropping capabilities ([`crate::apply`] calls it itself if
/// nobody did).
pub fn protect_paths(ruleset: &Ruleset) -> Result<Option<MountLayer>, MountError> {
    if let Some(done) = DONE.get() {
        return Ok(done.clone());
    }
    let outcome = if ruleset.protected.is_empty() && ruleset.layers.is_empty() {
        None
    } else {
        Some(set_up(&ruleset.layers, &ruleset.protected)?)
    };
    Ok(DONE.get_or_init(|| outcome).clone())
}

/// `path` as an overlayfs mount option value: `\`, `,` and `:` escaped.
fn option_path(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if matches!(b, b'\\' | b',' | b':') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// Mounts an overlay over `layer.path`: the directory itself is the lower
/// layer, the command's writes go to `layer.upper`.
fn overlay(layer: &PrivateLayer, in_user_namespace: bool) -> Result<(), MountError> {
    let lower = open_path(&layer.path)?;
    let meta = lower.metadata().map_err(|e| err("stat", &layer.path, e))?;
    if !meta.is_dir() || (meta.dev(), meta.ino()) != (layer.dev, layer.ino) {
        return Err(err(
            "refusing to layer",
            &layer.path,
            std::io::Error::other(format!(
                "it changed since it was resolved (device/inode {:?} became {:?})",
                (layer.dev, layer.ino),
                (meta.dev(), meta.ino())
            )),
        ));
    }
    let fd_path = proc_fd(&lower);
    let mut options = b"lowerdir=".to_vec();
    options.extend(option_path(&fd_path));
    options.extend(b",upperdir=");
    options.extend(option_path(&layer.upper));
    options.extend(b",workdir=");
    options.extend(option_path(&layer.work));
    if in_user_namespace {
        // Overlayfs keeps its metadata in user.overlay.* extended
        // attributes where the mounter is not root of the initial user
        // namespace.
        options.extend(b",userxattr");
    }
    let options =
        CString::new(options).map_err(|e| err("overlay", &layer.path, std::io::Error::other(e)))?;
    let target = CString::new(fd_path.as_os_str().as_encoded_bytes())
        .map_err(|e| err("overlay", &layer.path, std::io::Error::other(e)))?;
    // SAFETY: every pointer is a valid C string, as mount(2) takes.
    let rc = unsafe {
        libc::mount(
            c"overlay".as_ptr(),
            target.as_ptr(),
            c"overlay".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            options.as_ptr().cast(),
        )
    };
    if rc != 0 {
        return Err(err("mount a private layer over", &layer.path, last_error()));
    }
    Ok(())
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

fn set_up(layers: &[PrivateLayer], protected: &[ProtectedPath]) -> Result<MountLayer, MountError> {
    let in_user_namespace = new_namespace()?;
    let root = Path::new("/");
    sys_mount(
        None,
        root,
        libc::MS_REC | libc::MS_PRIVATE,
        "make the mounts private",
    )?;
    // The overlays first: a protected path is never below one (the
    // compiler leaves those out), and a bind made first would be hidden
    // from an overlay over its parent.
    for layer in layers {
        overlay(layer, in_user_namespace)?;
        tracing::debug!("mount layer: private layer over {}", layer.path.display());
    }
    let mut created = Vec::new();
    for p in protected {
        if p.absent {
            let made = if p.kind == nono_model::FileKind::Dir {
                std::fs::DirBuilder::new().mode(0o755).create(&p.path)
            } else {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o644)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                    .open(&p.path)
                    .and_then(|mut f| f.write_all(p.seed.as_bytes()))
            };
            match made {
                Ok(()) => created.push(p.path.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(err("create", &p.path, e)),
            }
        }
        let file = open_path(&p.path)?;
        let meta = file.metadata().map_err(|e| err("stat", &p.path, e))?;
        let expected_kind = meta.is_dir() == (p.kind == nono_model::FileKind::Dir);
        if !expected_kind || (!p.absent && (meta.dev(), meta.ino()) != (p.dev, p.ino)) {
            return Err(err(
                "refusing to bind",
                &p.path,
                std::io::Error::other(format!(
                    "it changed since it was resolved (device/inode {:?} became {:?})",
                    (p.dev, p.ino),
                    (meta.dev(), meta.ino())
                )),
            ));
        }
        let fd_path = proc_fd(&file);
        sys_mount(Some(&fd_path), &fd_path, libc::MS_BIND, "bind")
            .map_err(|e| err("bind", &p.path, e.source))?;
        drop(file);
        if p.how == Protection::ReadOnly {
            // The path now names the new mount; remount it read-only,
            // keeping the flags the mount it was bound from has (a user
            // namespace may not clear them).
            let top = open_path(&p.path)?;
            let top_path = proc_fd(&top);
            let flags = locked_flags(&top_path).map_err(|e| err("statvfs", &p.path, e))?;
            sys_mount(
                None,
                &top_path,
                libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | flags,
                "remount read-only",
            )
            .map_err(|e| err("remount read-only", &p.path, e.source))?;
        }
        tracing::debug!("mount layer: {:?} {} ({})", p.how, p.path.display(), p.why);
    }
    Ok(MountLayer {
        in_user_namespace,
        layers: layers.len(),
        bound: protected.len(),
        created,
    })
}

/// A private mount namespace: directly, or in a new user namespace.
/// Returns whether a user namespace was needed.
fn new_namespace() -> Result<bool, MountError> {
    // SAFETY: unshare takes flags only.
    if unsafe { libc::unshare(libc::CLONE_NEWNS) } == 0 {
        return Ok(false);
    }
    // SAFETY: these calls take no arguments and cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    // SAFETY: unshare takes flags only.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) } != 0 {
        return Err(err(
            "make a user and mount namespace",
            Path::new("/"),
            last_error(),
        ));
    }
    let write = |what: &'static str, text: String| -> Result<(), MountError> {
        std::fs::OpenOptions::new()
            .write(true)
            .open(what)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|e| err("write", Path::new(what), e))
    };
    write("/proc/self/setgroups", "deny".to_owned())?;
    write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))?;
    Ok(true)
}

fn open_path(path: &Path) -> Result<File, MountError> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| err("open", path, e))
}

fn proc_fd(file: &File) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

/// The flags of the mount at `path` that a remount must keep.
fn locked_flags(path: &Path) -> std::io::Result<libc::c_ulong> {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: an all-zero statvfs is valid, and `c` is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statvfs(c.as_ptr(), &raw mut st) } != 0 {
        return Err(last_error());
    }
    let keep = libc::ST_NOSUID
        | libc::ST_NODEV
        | libc::ST_NOEXEC
        | libc::ST_NOATIME
        | libc::ST_NODIRATIME
        | libc::ST_RELATIME;
    // The ST_ flags have the values of the MS_ flags.
    Ok(st.f_flag & keep)
}

fn sys_mount(
    source: Option<&Path>,
    target: &Path,
    flags: libc::c_ulong,
    what: &'static str,
) -> Result<(), MountError> {
    let cstr = |p: &Path| {
        CString::new(p.as_os_str().as_encoded_bytes())
            .map_err(|e| err(what, p, std::io::Error::other(e)))
    };
    let target_c = cstr(target)?;
    let source_c = source.map(cstr).transpose()?;
    // SAFETY: every pointer is a valid C string or null, as mount(2) takes.
    let rc = unsafe {
        libc::mount(
            source_c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            target_c.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(err(what, target, last_error()));
    }
    Ok(())
}

/// Whether the mount layer can be had here: a private mount namespace
/// (directly, as root, or in a new user namespace) in which a mount call
/// succeeds (inside another Landlock sandbox, none does). Tried in a child
/// process, so that this one changes nothing.
pub fn mount_namespace_support() -> bool {
    // SAFETY: these calls take no arguments and cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    // Everything the child needs is made before it starts: it makes only
    // async-signal-safe calls.
    let files = [
        (c"/proc/self/setgroups", b"deny".to_vec()),
        (
            c"/proc/self/uid_map",
            format!("{uid} {uid} 1\n").into_bytes(),
        ),
        (
            c"/proc/self/gid_map",
            format!("{gid} {gid} 1\n").into_bytes(),
        ),
    ];
    extern "C" fn try_mount_namespace(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is `files` below, alive while this child runs (its
        // parent waits, CLONE_VFORK); the calls are async-signal-safe and
        // change only this child's namespaces and descriptors.
        unsafe {
            let files = &*arg.cast::<[(&std::ffi::CStr, Vec<u8>); 3]>();
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) != 0 {
                    libc::_exit(1);
                }
                for (name, text) in files {
                    let fd = libc::open(name.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                    if fd < 0 || libc::write(fd, text.as_ptr().cast(), text.len()) < 0 {
                        libc::_exit(1);
                    }
                    libc::close(fd);
                }
            }
            let private = libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            );
            libc::_exit(if private == 0 { 0 } else { 1 })
        }
    }
    // A vfork-like child (sharing this process's memory, which it does not
    // change, while this thread waits) on a small stack of its own: nothing
    // is copied, so the question costs little more than its namespace.
    let mut stack = vec![0u8; 64 << 10];
    // SAFETY: the stack is ours for the child's whole life (we wait,
    // CLONE_VFORK) and 16-byte aligned at its top; the child only reads
    // `files` and ends with _exit.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(stack.len());
        let top = top.sub(top as usize % 16);
        libc::clone(
            try_mount_namespace,
            top.cast(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&raw const files).cast_mut().cast(),
        )
    };
    if pid < 0 {
        return false;
    }
    let mut status = 0;
    // SAFETY: `status` is a valid place for the child's status.
    let waited = unsafe { libc::waitpid(pid, &raw mut status, 0) };
    drop(stack);
    waited == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}
