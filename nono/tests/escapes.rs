//! The escape suite: real attempts to get out of a `nono run` sandbox, each
//! denied by the kernel with a stated error, each with an allowed twin.
//!
//! Every case is one entry of a table: a name, the sandbox flags, the
//! attempt (a real program, a shell command, or one operation of the Python
//! probe [`PROBE`], which performs real system calls and prints `OK` or the
//! errno's name), the kernel's expected answer, and a twin that shows the same
//! kind of operation succeeding where it is granted (other flags, another
//! path, or no sandbox at all). A case passes only if the attempt fails
//! exactly as stated *and* its twin succeeds, so no case can pass by being
//! unable to work at all.
//!
//! Each run gets a fresh fixture in a scratch directory outside every preset
//! path:
//!
//! ```text
//! secret/  never granted: s.txt (the secret), true (a copy of /usr/bin/true), s.sh, s.py, sub/
//! ro/      --read:  f.txt, true, s.sh, s.py
//! rw/      --allow: f.txt, g.txt, sub/
//! wo/      --write: h.txt, true, d/
//! p/child/ for the cases that grant only a nested directory
//! ```
//!
//! After every attempt the suite checks that the secret never appeared in
//! the output, that `secret/s.txt` and `ro/f.txt` are unchanged, that
//! nothing appeared in `secret/`, and that the mode, owner and times of
//! `secret/`, `secret/s.txt` and `secret/true` are unchanged.
//!
//! Covered: writing, truncating, creating, removing, renaming, hard-linking
//! and exchanging out of a grant or into one with more rights (EACCES, or
//! EXDEV for a reparenting that would gain rights); symlinks made inside a
//! writable grant pointing out of it; `..`; `/proc/self/root`,
//! `/proc/self/cwd`, and `/proc/<pid>/root`, `fd/0`, `fdinfo`, `exe` and
//! `mem` of processes outside, with /proc granted; reopening inherited
//! descriptors through `/dev/fd` and `/proc/self/fd`; `openat` relative to
//! directory descriptors opened before the sandbox and inside it, `O_PATH`
//! descriptors, io_uring's openat, detached mount clones and file handles;
//! executing a denied binary directly, from a shell, through `sh` and
//! `python3` as interpreters, through the dynamic loader, by `execveat` and
//! through `/proc/self/fd`; device nodes, FIFOs and sockets where they are not
//! granted; bind mounts, tmpfs mounts, `move_mount` and `fsmount`, in a new
//! mount namespace and in a new user namespace, and `chroot`; `ptrace`,
//! `process_vm_readv`, `pidfd_getfd`, signals and abstract Unix sockets
//! across the sandbox boundary; every socket family and io_uring under
//! `--net-block`; a nested `nono run` trying to widen its grants; setting
//! the setuid or setgid bit, changing owners, `security.*` and `trusted.*`
//! attributes; typing into the inherited terminal; and root's ways around
//! Landlock (device nodes of the disk, raw sockets, setuid and
//! file-capability programs).
//!
//! The suite runs as root (as CI does): root is confined by Landlock too,
//! and nono drops every capability of root's and locks the secure bits
//! before applying the ruleset (unless `--keep-caps`). So an attempt that
//! needs a capability now fails twice over: the kernel answers with the
//! first check it makes, which the case states (EPERM for a missing
//! capability, EACCES where Landlock's hook runs first). Where the point of
//! a case is that Landlock alone holds even for root, it has a twin attempt
//! under `--keep-caps`, and the allowed twins that need root's capabilities
//! (mknod, mounts, raw sockets, chown) pass `--keep-caps` or run unsandboxed.
//!
//! The seccomp syscall guard, installed on every run, refuses TIOCSTI and
//! TIOCLINUX on the terminal the command inherited and chmod calls that set
//! the setuid or setgid bit: [`terminal_injection_through_the_inherited_tty_is_denied`]
//! and [`metadata_escapes_are_denied`].
//!
//! [`root_cannot_walk_around_the_sandbox`] is root hardening: the root
//! disk's block device node cannot be made (EACCES) nor the disk read
//! through any path; raw and packet sockets are refused without
//! `--net-block` (EPERM); a setuid-root program and a file-capability
//! program run inside give no capability back (NoNewPrivs, the empty
//! bounding set, locked secure bits), also to a non-root user; every
//! capability set of the command is zero.
//!
//! [`known_limits_hold_as_documented`] pins the holes that are not escapes of
//! the rules but that a user must know (README, "Limits"): descriptors
//! opened before the sandbox stay usable, memfd code runs; and what
//! `--keep-caps` gives back (with /proc granted, root reads the environment
//! of processes outside). It also pins two former limits the supervisor
//! closed: pathname Unix sockets and the metadata of files outside the
//! grants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{NONO, Outcome, PYTHON, Scratch};
use std::io::Read;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// The probe.
// ---------------------------------------------------------------------------

/// `OP ARGS...`: one attempt with real system calls. Prints `DATA ...` for
/// what it read, then `OK` (exit 0); or the errno's name (exit 1, and
/// `failed at STEP` on stderr); or `EXIT N` (exit 3) when a program it ran
/// did not exit 0. A `WHO` argument is `ppid` (the test process, outside the
/// sandbox), `child` (a child forked inside the sandbox) or a pid.
const PROBE: &str = r#"
import ctypes, errno, os, socket, stat, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long
op, args = sys.argv[1], sys.argv[2:]
step = op
AT_FDCWD = -100
CLONE_NEWNS, CLONE_NEWUSER = 0x20000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 0x4000, 0x40000
children = []

def check(what, r):
    global step
    step = what
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r

def at(what):
    global step
    step = what

def b(s):
    return s.encode()

def show(data):
    print("DATA " + data.decode(errors="replace").strip())

def read(path, dir_fd=None):
    at("open " + path)
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    at("read " + path)
    try:
        show(os.read(fd, 4096))
    finally:
        os.close(fd)

def append(path):
    at("open " + path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    at("write " + path)
    os.write(fd, b"pwned\n")
    os.close(fd)

def creat(path, dir_fd=None):
    at("creat " + path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=dir_fd))

def who(spec):
    if spec == "ppid":
        return os.getppid()
    if spec == "child":
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children.append(pid)
        return pid
    return int(spec)

def spawn(path):
    at("spawn " + path)
    pid = os.posix_spawn(path, [path], {})
    _, st = os.waitpid(pid, 0)
    if st != 0:
        print("EXIT %d" % os.waitstatus_to_exitcode(st))
        sys.exit(3)

def userns():
    # A new user and mount namespace: its mounts are slaves of ours, so
    # nothing done in it propagates back, sandbox or not.
    check("unshare", libc.unshare(CLONE_NEWUSER | CLONE_NEWNS))

def open_tree(path):
    return check("open_tree", libc.syscall(428, AT_FDCWD, b(path), 1 | 0o2000000))

class FileHandle(ctypes.Structure):
    _fields_ = [("bytes", ctypes.c_uint), ("type", ctypes.c_int), ("h", ctypes.c_ubyte * 128)]

class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

buf = ctypes.create_string_buffer(b"vm-data", 8)

def uring_openat(path):
    # One IORING_OP_OPENAT through a fresh ring: the open is done by the
    # kernel on the ring's behalf, not by open(2).
    import mmap, struct
    params = ctypes.create_string_buffer(120)
    fd = check("io_uring_setup", libc.syscall(425, ctypes.c_uint(4), params))
    p = params.raw
    sq_entries, cq_entries = struct.unpack_from("II", p, 0)
    sq = struct.unpack_from("IIIIIIIIQ", p, 40)
    cq = struct.unpack_from("IIIIIIIIQ", p, 80)
    size = max(sq[6] + sq_entries * 4, cq[5] + cq_entries * 16)
    rw = mmap.PROT_READ | mmap.PROT_WRITE
    ring = mmap.mmap(fd, size, mmap.MAP_SHARED, rw, offset=0)
    sqes = mmap.mmap(fd, sq_entries * 64, mmap.MAP_SHARED, rw, offset=0x10000000)
    name = ctypes.create_string_buffer(path.encode())
    sqe = bytearray(64)
    struct.pack_into("BBHiQQIIQ", sqe, 0, 18, 0, 0, AT_FDCWD, 0, ctypes.addressof(name), 0, os.O_RDONLY, 1)
    sqes[0:64] = bytes(sqe)
    tail = struct.unpack_from("I", ring, sq[1])[0]
    mask = struct.unpack_from("I", ring, sq[2])[0]
    struct.pack_into("I", ring, sq[6] + (tail & mask) * 4, 0)
    struct.pack_into("I", ring, sq[1], tail + 1)
    check("io_uring_enter", libc.syscall(426, fd, 1, 1, 1, None, 0))
    head = struct.unpack_from("I", ring, cq[0])[0]
    cmask = struct.unpack_from("I", ring, cq[2])[0]
    _, res, _ = struct.unpack_from("QiI", ring, cq[5] + (head & cmask) * 16)
    at("io_uring openat")
    if res < 0:
        raise OSError(-res, os.strerror(-res))
    return res

try:
    if op == "read":
        read(args[0])
    elif op == "write":
        append(args[0])
    elif op == "truncate":
        os.truncate(args[0], 0)
    elif op == "otrunc":
        os.close(os.open(args[0], os.O_WRONLY | os.O_TRUNC))
    elif op == "creat":
        os.close(os.open(args[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    elif op == "mkdir":
        os.mkdir(args[0])
    elif op == "unlink":
        os.unlink(args[0])
    elif op == "rmdir":
        os.rmdir(args[0])
    elif op == "rename":
        os.rename(args[0], args[1])
    elif op == "link":
        os.link(args[0], args[1])
    elif op == "exchange":
        check("renameat2", libc.syscall(316, AT_FDCWD, b(args[0]), AT_FDCWD, b(args[1]), 2))
    elif op == "listdir":
        print("DATA " + " ".join(sorted(os.listdir(args[0]))))
    elif op in ("symlink-read", "symlink-write", "symlink-creat", "symlink-listdir"):
        at("symlink")
        os.symlink(args[0], args[1])
        if op == "symlink-read":
            read(args[1])
        elif op == "symlink-write":
            append(args[1])
        elif op == "symlink-creat":
            creat(args[1])
        else:
            at("listdir")
            os.listdir(args[1])
    elif op == "mkfifo":
        os.mkfifo(args[0])
    elif op == "mksock":
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(args[0])
    elif op == "mknod-char":
        os.mknod(args[0], 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    elif op == "mknod-block":
        os.mknod(args[0], 0o600 | stat.S_IFBLK, os.makedev(7, 0))
    elif op == "chdir-read":
        os.chdir(args[0])
        read(args[1])
    elif op == "openat":
        at("open dir")
        read(args[1], dir_fd=os.open(args[0], os.O_RDONLY | os.O_DIRECTORY))
    elif op == "openat-opath":
        at("open O_PATH")
        read(args[1], dir_fd=os.open(args[0], os.O_PATH | os.O_DIRECTORY))
    elif op == "fd-openat":
        read(args[1], dir_fd=int(args[0]))
    elif op == "fd-fchdir":
        at("fchdir")
        os.fchdir(int(args[0]))
        read(args[1])
    elif op == "fd-read":
        at("read fd")
        show(os.read(int(args[0]), 4096))
    elif op == "fd-write":
        at("write fd")
        os.write(int(args[0]), b"pwned\n")
    elif op == "fd-listdir":
        at("listdir fd")
        print("DATA " + " ".join(sorted(os.listdir(int(args[0])))))
    elif op == "proc-read":
        read("/proc/%d/%s" % (who(args[0]), args[1]))
    elif op == "proc-open":
        path = "/proc/%d/%s" % (who(args[0]), args[1])
        at("open " + path)
        os.close(os.open(path, os.O_RDONLY))
    elif op == "proc-readlink":
        path = "/proc/%d/%s" % (who(args[0]), args[1])
        at("readlink " + path)
        print("DATA " + os.readlink(path))
    elif op == "proc-listdir":
        path = "/proc/%d/%s" % (who(args[0]), args[1])
        at("listdir " + path)
        print("DATA " + " ".join(sorted(os.listdir(path))))
    elif op == "open-tree":
        read(args[1], dir_fd=open_tree(args[0]))
    elif op == "open-by-handle":
        fh = FileHandle()
        fh.bytes = 128
        mount_id = ctypes.c_int()
        check("name_to_handle_at", libc.name_to_handle_at(AT_FDCWD, b(args[0]), ctypes.byref(fh), ctypes.byref(mount_id), 0))
        at("open mount dir")
        mfd = os.open(args[1], os.O_RDONLY | os.O_DIRECTORY)
        fd = check("open_by_handle_at", libc.open_by_handle_at(mfd, ctypes.byref(fh), os.O_RDONLY))
        show(os.read(fd, 4096))
    elif op == "execveat":
        at("open O_PATH")
        fd = os.open(args[0], os.O_PATH)
        pid = os.fork()
        if pid == 0:
            libc.syscall(322, fd, b"", None, None, 0x1000)  # AT_EMPTY_PATH
            os._exit(100 + ctypes.get_errno())
        at("execveat")
        st = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if st >= 100:
            raise OSError(st - 100, os.strerror(st - 100))
        if st != 0:
            print("EXIT %d" % st)
            sys.exit(3)
    elif op == "spawn":
        spawn(args[0])
    elif op == "spawn-proc-fd":
        at("open O_PATH")
        fd = os.open(args[0], os.O_PATH)
        spawn("/proc/self/fd/%d" % fd)
    elif op == "memfd-exec":
        fd = os.memfd_create("code", 0)
        with open("/usr/bin/true", "rb") as f:
            os.write(fd, f.read())
        pid = os.fork()
        if pid == 0:
            try:
                os.execve(fd, ["code"], {})
            finally:
                os._exit(127)
        at("fexecve")
        if os.waitpid(pid, 0)[1] != 0:
            sys.exit("the memfd program failed")
    elif op == "bind-mount":
        userns()
        check("mount", libc.mount(b(args[0]), b(args[1]), None, MS_BIND, None))
        read(args[1] + "/" + args[2])
    elif op == "bind-mount-root-ns":
        check("unshare", libc.unshare(CLONE_NEWNS))
        check("make / private", libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None))
        check("mount", libc.mount(b(args[0]), b(args[1]), None, MS_BIND, None))
        read(args[1] + "/" + args[2])
    elif op == "tmpfs-mount":
        userns()
        check("mount", libc.mount(b"none", b(args[0]), b"tmpfs", 0, None))
        at("listdir")
        print("DATA mounted over: [" + " ".join(os.listdir(args[0])) + "]")
    elif op == "move-mount":
        userns()
        fd = open_tree(args[0])
        check("move_mount", libc.syscall(429, fd, b"", AT_FDCWD, b(args[1]), 4))
        read(args[1] + "/" + args[2])
    elif op == "fsmount":
        fs = check("fsopen", libc.syscall(430, b"tmpfs", 0))
        check("fsconfig", libc.syscall(431, fs, 6, None, None, 0))  # FSCONFIG_CMD_CREATE
        creat("x", dir_fd=check("fsmount", libc.syscall(432, fs, 0, 0)))
    elif op == "chroot-read":
        at("chroot")
        os.chroot(args[0])
        read(args[1])
    elif op == "ptrace-attach":
        pid = who(args[0])
        check("PTRACE_ATTACH", libc.ptrace(16, pid, None, None))
        os.waitpid(pid, 0)
        check("PTRACE_DETACH", libc.ptrace(17, pid, None, None))
    elif op == "ptrace-seize":
        check("PTRACE_SEIZE", libc.ptrace(0x4206, who(args[0]), None, None))
    elif op == "vm-read":
        pid = who(args[0])
        mine = ctypes.create_string_buffer(8)
        local = Iovec(ctypes.addressof(mine), 8)
        remote = Iovec(ctypes.addressof(buf), 8)
        check("process_vm_readv", libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
        show(mine.raw)
    elif op == "pidfd-getfd":
        at("pidfd_open")
        pfd = os.pidfd_open(who(args[0]))
        os.close(check("pidfd_getfd", libc.syscall(438, pfd, int(args[1]), 0)))
    elif op == "kill":
        pid = who(args[0])
        at("kill")
        os.kill(pid, 0)
    elif op == "pidfd-signal":
        at("pidfd_open")
        pfd = os.pidfd_open(who(args[0]))
        check("pidfd_send_signal", libc.syscall(424, pfd, 0, None, 0))
    elif op == "abstract-connect":
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        at("connect")
        c.connect("\0" + args[0])
    elif op == "abstract-sendto":
        c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        at("sendto")
        c.sendto(b"x", "\0" + args[0])
    elif op == "unix-connect":
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        at("connect")
        c.connect(args[0])
    elif op == "socket":
        num = lambda x: int(x) if x.isdigit() else getattr(socket, x)
        at("socket")
        socket.socket(num(args[0]), num(args[1]), num(args[2])).close()
    elif op == "tcp-connect":
        at("socket")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        at("connect")
        s.connect(("127.0.0.1", int(args[0])))
    elif op == "io-uring":
        params = (ctypes.c_ubyte * 120)()
        os.close(check("io_uring_setup", libc.syscall(425, ctypes.c_uint(4), ctypes.byref(params))))
    elif op == "uring-read":
        fd = uring_openat(args[0])
        at("read")
        show(os.read(fd, 4096))
    elif op == "chmod":
        os.chmod(args[0], int(args[1], 8))
    elif op == "chown":
        os.chown(args[0], int(args[1]), int(args[2]))
    elif op == "utime":
        os.utime(args[0], (0, 0))
    elif op == "setxattr":
        os.setxattr(args[0], args[1], bytes.fromhex(args[2]))
    elif op == "fchmod":
        at("open " + args[0])
        fd = os.open(args[0], os.O_RDONLY)
        at("fchmod")
        os.fchmod(fd, int(args[1], 8))
    elif op == "fchmodat2":
        check("fchmodat2", libc.syscall(452, AT_FDCWD, b(args[0]), int(args[1], 8), 0))
    elif op == "creat-setuid":
        # A setuid program made the other way: created with the bit, then
        # written. The write keeps the bit only with CAP_FSETID.
        at("creat " + args[0])
        fd = os.open(args[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o4755)
        at("write " + args[0])
        with open("/usr/bin/true", "rb") as f:
            os.write(fd, f.read())
        at("fstat " + args[0])
        if not os.fstat(fd).st_mode & stat.S_ISUID:
            print("NOSUID")
            print("failed at " + step, file=sys.stderr)
            sys.exit(1)
    elif op == "mknod-dev":
        kind = stat.S_IFBLK if args[1] == "b" else stat.S_IFCHR
        os.mknod(args[0], 0o600 | kind, os.makedev(int(args[2]), int(args[3])))
    elif op == "readraw":
        at("open " + args[0])
        fd = os.open(args[0], os.O_RDONLY)
        at("read " + args[0])
        print("DATA %d bytes" % len(os.read(fd, 4096)))
    elif op == "symlink-readraw":
        at("symlink")
        os.symlink(args[0], args[1])
        at("open " + args[1])
        fd = os.open(args[1], os.O_RDONLY)
        at("read " + args[1])
        print("DATA %d bytes" % len(os.read(fd, 4096)))
    elif op == "sethostname-same":
        name = socket.gethostname().encode()
        check("sethostname", libc.sethostname(name, len(name)))
    else:
        sys.exit("unknown probe op " + op)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    print("failed at " + step, file=sys.stderr)
    sys.exit(1)
finally:
    for c in children:
        os.kill(c, 9)
        os.waitpid(c, 0)
"#;

/// The secret: no attempt may ever print it.
const SECRET: &str = "nono-escape-suite-secret";
const RO_DATA: &str = "ro-data\n";

/// The dynamic loader, to run a binary through it.
#[cfg(target_arch = "x86_64")]
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
#[cfg(target_arch = "aarch64")]
const LOADER: &str = "/lib/ld-linux-aarch64.so.1";

// ---------------------------------------------------------------------------
// The table's vocabulary.
// ---------------------------------------------------------------------------

/// What a run must show.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The probe failed with this errno (exit 1, the errno's name last).
    Errno(&'static str),
    /// The same, at this step of the probe (`failed at STEP`).
    ErrnoAt(&'static str, &'static str),
    /// The command exited with this code, and its output (stdout and
    /// stderr) contains this.
    Exit(i32, &'static str),
    /// The command printed its `/proc/self/status` (exit 0): every
    /// capability set (CapInh, CapPrm, CapEff, CapBnd, CapAmb) is zero and
    /// NoNewPrivs is 1.
    CapsZero,
    /// The same, but this capability set (`CapEff`, `CapPrm`) is not zero.
    CapNonZero(&'static str),
    /// The same for a user other than root, whose bounding set nono leaves
    /// alone: no capability in the other four sets, NoNewPrivs 1, and the
    /// same real and effective uid (a setuid bit gave nothing).
    Unprivileged,
}

use Expect::{CapNonZero, CapsZero, Errno, ErrnoAt, Exit, Unprivileged};

/// Success: exit 0 (the probe printed `OK`).
const OK: Expect = Exit(0, "");

/// The command: the probe, a program, or a shell command. `{S}` stands for
/// the fixture's directory, `{NONO}` for the nono binary, `{NONODIR}` for its
/// directory, `{PY}` for python3, `{LOADER}` for the dynamic loader,
/// `{SLEEPER}` for the pid of a `sleep` started outside the sandbox (its
/// stdin is a file the sandbox may not read), `{ABS}` and `{ABSDG}` for
/// abstract Unix sockets bound outside (stream, datagram), `{PORT}` for a TCP
/// listener outside. Root hardening adds `{DISK}` (the root filesystem's
/// block device node, `/dev/vda`), `{DISKMAJ}` and `{DISKMIN}` (its
/// numbers), and `{BLK}` (a block device root can read outside the
/// sandbox: the disk itself where it can, else a loop device).
#[derive(Clone, Copy, Debug)]
enum Cmd {
    Py(&'static str, &'static [&'static str]),
    Argv(&'static [&'static str]),
    Sh(&'static str),
}

use Cmd::{Argv, Py, Sh};

/// File descriptor 3 of the command, opened outside before nono starts.
#[derive(Clone, Copy, Debug)]
enum Fd3 {
    None,
    /// Opened read-only (a file or a directory).
    Read(&'static str),
    /// Opened for appending.
    Append(&'static str),
}

/// The allowed twin of an attempt.
#[derive(Clone, Copy, Debug)]
enum Twin {
    /// Another command under the same flags.
    Cmd(Cmd, Expect),
    /// The same command under other flags.
    Flags(&'static [&'static str], Expect),
    /// Other flags and another command.
    Both(&'static [&'static str], Cmd, Expect),
    /// The same flags, another fd 3 and command.
    Fd3(Fd3, Cmd, Expect),
    /// A command without any sandbox.
    Unsandboxed(Cmd, Expect),
}

struct Case {
    name: &'static str,
    flags: &'static [&'static str],
    fd3: Fd3,
    cmd: Cmd,
    expect: Expect,
    twin: Twin,
    /// The twin needs root's capabilities (mknod, mounts, raw sockets).
    twin_needs_root: bool,
    /// The attempt runs nono as uid 65534 (`setpriv`), not as root.
    as_nobody: bool,
}

fn case(
    name: &'static str,
    flags: &'static [&'static str],
    cmd: Cmd,
    expect: Expect,
    twin: Twin,
) -> Case {
    Case {
        name,
        flags,
        fd3: Fd3::None,
        cmd,
        expect,
        twin,
        twin_needs_root: false,
        as_nobody: false,
    }
}

impl Case {
    fn fd3(mut self, fd3: Fd3) -> Case {
        self.fd3 = fd3;
        self
    }

    fn root_twin(mut self) -> Case {
        self.twin_needs_root = true;
        self
    }

    fn by_nobody(mut self) -> Case {
        self.as_nobody = true;
        self
    }
}

/// The usual grants: rw Allow, ro Read, wo Write, and the base preset.
const STD: &[&str] = &["-a", "{S}/rw", "-r", "{S}/ro", "-w", "{S}/wo"];
const STD_PROC: &[&str] = &[
    "-a", "{S}/rw", "-r", "{S}/ro", "-w", "{S}/wo", "-r", "/proc",
];
const STD_SIGNALS: &[&str] = &["-a", "{S}/rw", "-r", "{S}/ro", "--allow-signals"];
const STD_ABSTRACT: &[&str] = &["-a", "{S}/rw", "-r", "{S}/ro", "--allow-abstract-unix"];
const BLOCK: &[&str] = &["-a", "{S}/rw", "--net-block"];
const NET: &[&str] = &["-a", "{S}/rw"];
/// The same, keeping root's capabilities: what Landlock (and the seccomp
/// filter) hold alone.
const STD_KEEP: &[&str] = &[
    "-a",
    "{S}/rw",
    "-r",
    "{S}/ro",
    "-w",
    "{S}/wo",
    "--keep-caps",
];
const STD_PROC_KEEP: &[&str] = &[
    "-a",
    "{S}/rw",
    "-r",
    "{S}/ro",
    "-w",
    "{S}/wo",
    "-r",
    "/proc",
    "--keep-caps",
];
const BLOCK_KEEP: &[&str] = &["-a", "{S}/rw", "--net-block", "--keep-caps"];
const NET_KEEP: &[&str] = &["-a", "{S}/rw", "--keep-caps"];
/// The usual grants and `/proc`, where the command reads its own
/// `/proc/self/status` (not `/proc/self/status` itself: it resolves to
/// nono's pid, the supervisor's, not the command's).
const STD_STATUS: &[&str] = &[
    "-a", "{S}/rw", "-r", "{S}/ro", "-w", "{S}/wo", "-r", "/proc",
];
const STD_STATUS_KEEP: &[&str] = &[
    "-a",
    "{S}/rw",
    "-r",
    "{S}/ro",
    "-w",
    "{S}/wo",
    "-r",
    "/proc",
    "--keep-caps",
];
/// Runs the rest of the command line as uid and gid 65534, without
/// supplementary groups.
const NOBODY: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

// ---------------------------------------------------------------------------
// The fixture, the peers outside, and running a case.
// ---------------------------------------------------------------------------

/// Copies /usr/bin/true with cp(1), so this multi-threaded process never
/// holds it open for writing while another thread forks (no ETXTBSY later).
fn copy_true(to: &Path) {
    copy_file("/usr/bin/true", to);
}

/// Copies a program with cp(1) (see [`copy_true`]).
fn copy_file(from: &str, to: &Path) {
    let st = Command::new("cp").arg(from).arg(to).status().unwrap();
    assert!(st.success(), "cp {from} {}", to.display());
}

fn fixture() -> Scratch {
    let s = Scratch::new();
    s.write("secret/s.txt", &format!("{SECRET}\n"));
    s.write("secret/s.sh", "#!/bin/sh\necho script-ran\n");
    s.write("secret/s.py", "print('script-ran')\n");
    s.mkdir("secret/sub");
    copy_true(&s.join("secret/true"));
    s.write("ro/f.txt", RO_DATA);
    s.write("ro/s.sh", "#!/bin/sh\necho script-ran\n");
    s.write("ro/s.py", "print('script-ran')\n");
    copy_true(&s.join("ro/true"));
    s.write("rw/f.txt", "rw-data\n");
    s.write("rw/g.txt", "rw-other\n");
    s.mkdir("rw/sub");
    s.write("wo/h.txt", "wo-data\n");
    s.mkdir("wo/d");
    copy_true(&s.join("wo/true"));
    s.write("p/child/f.txt", "child\n");
    for script in ["secret/s.sh", "ro/s.sh"] {
        std::fs::set_permissions(s.join(script), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    s
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Mode, owner, group and modification time of what the attempts aim at in
/// `secret/`.
fn secret_metadata(s: &Scratch) -> Vec<(u32, u32, u32, i64)> {
    ["secret", "secret/s.txt", "secret/true"]
        .iter()
        .map(|p| {
            let m = std::fs::symlink_metadata(s.join(p)).unwrap();
            (m.mode(), m.uid(), m.gid(), m.mtime())
        })
        .collect()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

/// The peers outside the sandbox that the process cases aim at.
struct Outside {
    /// Holds the file the sleeper has as stdin.
    _home: Scratch,
    sleeper: Child,
    abs: String,
    _abs_listener: UnixListener,
    absdg: String,
    _absdg_socket: UnixDatagram,
    tcp: std::net::TcpListener,
}

impl Outside {
    fn new(tag: &str) -> Outside {
        let home = Scratch::new();
        let secret = home.write("secret.txt", &format!("{SECRET}\n"));
        let sleeper = Command::new("sleep")
            .arg("300")
            .env("NONO_SLEEPER_TOKEN", "sleeper-env-token")
            .stdin(std::fs::File::open(secret).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .expect("start sleep");
        let abs = format!("nono-escapes-{}-{tag}", std::process::id());
        let absdg = format!("{abs}-dgram");
        let abs_listener =
            UnixListener::bind_addr(&SocketAddr::from_abstract_name(abs.as_bytes()).unwrap())
                .unwrap();
        let absdg_socket =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(absdg.as_bytes()).unwrap())
                .unwrap();
        Outside {
            _home: home,
            sleeper,
            abs,
            _abs_listener: abs_listener,
            absdg,
            _absdg_socket: absdg_socket,
            tcp: std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = self.sleeper.kill();
        let _ = self.sleeper.wait();
    }
}

fn subst(text: &str, s: &Scratch, out: &Outside) -> String {
    let nono_dir = Path::new(NONO).parent().unwrap();
    let text = text
        .replace("{S}", &s.path().display().to_string())
        .replace("{NONODIR}", &nono_dir.display().to_string())
        .replace("{NONO}", NONO)
        .replace("{PY}", PYTHON)
        .replace("{LOADER}", LOADER)
        .replace("{SLEEPER}", &out.sleeper.id().to_string())
        .replace("{ABSDG}", &out.absdg)
        .replace("{ABS}", &out.abs)
        .replace("{PORT}", &out.tcp.local_addr().unwrap().port().to_string());
    if !(text.contains("{DISK") || text.contains("{BLK}")) {
        return text;
    }
    let d = root_disk()
        .as_ref()
        .expect("a case naming the disk runs only where it was found");
    text.replace("{DISKMAJ}", &d.major.to_string())
        .replace("{DISKMIN}", &d.minor.to_string())
        .replace("{DISK}", &d.node)
        .replace("{BLK}", &d.readable)
}

fn argv_of(cmd: Cmd) -> Vec<String> {
    match cmd {
        Py(op, args) => [PYTHON, "-I", "-c", PROBE, op]
            .into_iter()
            .chain(args.iter().copied())
            .map(str::to_owned)
            .collect(),
        Argv(argv) => argv.iter().map(|a| (*a).to_owned()).collect(),
        Sh(script) => vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()],
    }
}

/// Runs `cmd` in the fixture `s`, under `nono run FLAGS` (or, without flags,
/// unsandboxed), with fd 3 as given.
fn launch(s: &Scratch, out: &Outside, flags: Option<&[&str]>, cmd: Cmd, fd3: Fd3) -> Outcome {
    launch_as(s, out, &[], flags, cmd, fd3)
}

/// [`launch`], with `prefix` (such as [`NOBODY`]) before nono.
fn launch_as(
    s: &Scratch,
    out: &Outside,
    prefix: &[&str],
    flags: Option<&[&str]>,
    cmd: Cmd,
    fd3: Fd3,
) -> Outcome {
    let mut argv: Vec<String> = prefix.iter().map(|p| (*p).to_owned()).collect();
    if let Some(flags) = flags {
        argv.push(NONO.to_owned());
        argv.push("run".to_owned());
        argv.extend(flags.iter().map(|f| subst(f, s, out)));
        argv.push("--".to_owned());
    }
    argv.extend(argv_of(cmd).iter().map(|a| subst(a, s, out)));
    let mut command = match fd3 {
        Fd3::None => {
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
        Fd3::Read(path) | Fd3::Append(path) => {
            let redirect = if matches!(fd3, Fd3::Read(_)) {
                "3<"
            } else {
                "3>>"
            };
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("f=$1; shift; exec \"$@\" {redirect}\"$f\""))
                .arg("sh")
                .arg(subst(path, s, out))
                .args(&argv);
            c
        }
    };
    command
        .current_dir(s.path())
        .env("HOME", s.home())
        .env("XDG_CONFIG_HOME", s.home().join(".config"))
        .env("XDG_CACHE_HOME", s.cache_home())
        .env_remove("RUST_LOG")
        .env_remove("TMPDIR");
    Outcome::of(&mut command)
}

/// The value of `FIELD:` in `/proc/PID/status` text.
fn status_field<'t>(status: &'t str, field: &str) -> Option<&'t str> {
    status.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
    })
}

/// Whether `got` is what `expect` says (its placeholders filled in by
/// `fill`); if not, why.
fn mismatch(expect: Expect, got: &Outcome, fill: &dyn Fn(&str) -> String) -> Option<String> {
    let last = got.stdout.lines().last().unwrap_or("").trim();
    let all = format!("{}{}", got.stdout, got.stderr);
    let ok = match expect {
        Errno(name) => got.code == Some(1) && last == name,
        ErrnoAt(name, step) => {
            got.code == Some(1)
                && last == name
                && got.stderr.contains(&format!("failed at {}", fill(step)))
        }
        Exit(code, needle) => got.code == Some(code) && all.contains(&fill(needle)),
        CapsZero => {
            got.code == Some(0)
                && ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]
                    .iter()
                    .all(|set| {
                        status_field(&got.stdout, set).is_some_and(|v| v.bytes().all(|c| c == b'0'))
                    })
                && status_field(&got.stdout, "NoNewPrivs") == Some("1")
        }
        Unprivileged => {
            let zero =
                |set| status_field(&got.stdout, set).is_some_and(|v| v.bytes().all(|c| c == b'0'));
            let uids: Vec<&str> = status_field(&got.stdout, "Uid")
                .map(|v| v.split_whitespace().collect())
                .unwrap_or_default();
            got.code == Some(0)
                && ["CapInh", "CapPrm", "CapEff", "CapAmb"]
                    .into_iter()
                    .all(zero)
                && status_field(&got.stdout, "NoNewPrivs") == Some("1")
                && uids.len() == 4
                && uids.iter().all(|u| *u == uids[0])
        }
        CapNonZero(set) => {
            got.code == Some(0)
                && status_field(&got.stdout, set).is_some_and(|v| v.bytes().any(|c| c != b'0'))
        }
    };
    (!ok).then(|| format!("expected {expect:?}, got {got:#?}"))
}

/// Runs every case of `table` and its twin; panics with every failure.
fn run_table(table: &[Case], tag: &str) {
    run_table_with(table, tag, &|_| {});
}

/// [`run_table`], with `more` adding to every fixture (attempt and twin).
fn run_table_with(table: &[Case], tag: &str, more: &dyn Fn(&Scratch)) {
    let out = Outside::new(tag);
    let root = is_root();
    let mut failures = Vec::new();
    let fixture = || {
        let s = fixture();
        more(&s);
        s
    };
    for c in table {
        // The attempt.
        let s = fixture();
        let secret_dir = listing(&s.join("secret"));
        let secret_meta = secret_metadata(&s);
        let prefix: &[&str] = if c.as_nobody { &NOBODY } else { &[] };
        let got = launch_as(&s, &out, prefix, Some(c.flags), c.cmd, c.fd3);
        let shown = format!("{prefix:?} {:?} {:?}", c.flags, c.cmd);
        if let Some(why) = mismatch(c.expect, &got, &|t| subst(t, &s, &out)) {
            failures.push(format!("{}: attempt {shown}: {why}", c.name));
        }
        if got.stdout.contains(SECRET) || got.stderr.contains(SECRET) {
            failures.push(format!(
                "{}: attempt {shown}: LEAKED the secret: {got:#?}",
                c.name
            ));
        }
        let intact = std::fs::read_to_string(s.join("secret/s.txt")).ok()
            == Some(format!("{SECRET}\n"))
            && std::fs::read_to_string(s.join("ro/f.txt")).ok().as_deref() == Some(RO_DATA)
            && listing(&s.join("secret")) == secret_dir
            && secret_metadata(&s) == secret_meta;
        if !intact {
            failures.push(format!(
                "{}: attempt {shown}: CHANGED secret/ or ro/f.txt: {got:#?}",
                c.name
            ));
        }

        // The twin, in a fresh fixture.
        if c.twin_needs_root && !root {
            eprintln!("{}: twin skipped: it needs root", c.name);
            continue;
        }
        let s = fixture();
        let (flags, cmd, fd3, expect) = match c.twin {
            Twin::Cmd(cmd, e) => (Some(c.flags), cmd, c.fd3, e),
            Twin::Flags(flags, e) => (Some(flags), c.cmd, c.fd3, e),
            Twin::Both(flags, cmd, e) => (Some(flags), cmd, c.fd3, e),
            Twin::Fd3(fd3, cmd, e) => (Some(c.flags), cmd, fd3, e),
            Twin::Unsandboxed(cmd, e) => (None, cmd, c.fd3, e),
        };
        let got = launch(&s, &out, flags, cmd, fd3);
        if let Some(why) = mismatch(expect, &got, &|t| subst(t, &s, &out)) {
            failures.push(format!("{}: twin {flags:?} {cmd:?} {fd3:?}: {why}", c.name));
        }
    }
    eprintln!(
        "{tag}: {} escape attempts, {} failures",
        table.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------
// Files: writing, truncating, creating, removing, moving, linking.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn file_cases() -> Vec<Case> {
    vec![
        // Writing and truncating what is not writable: EACCES.
        case("write an ungranted file", STD, Py("write", &["{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("write", &["{S}/rw/f.txt"]), OK)),
        case("write a read-only file", STD, Py("write", &["{S}/ro/f.txt"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}/ro"], OK)),
        case("truncate(2) an ungranted file", STD, Py("truncate", &["{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("truncate", &["{S}/rw/f.txt"]), OK)),
        case("truncate(2) a read-only file", STD, Py("truncate", &["{S}/ro/f.txt"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}/ro"], OK)),
        case("open O_TRUNC a read-only file", STD, Py("otrunc", &["{S}/ro/f.txt"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}/ro"], OK)),
        case("shell truncation of an ungranted file", STD, Sh(": > {S}/secret/s.txt"), Exit(2, "Permission denied"), Twin::Cmd(Sh(": > {S}/rw/f.txt"), OK)),
        // Creating and removing outside the writable grants: EACCES.
        case("create in an ungranted dir", STD, Py("creat", &["{S}/secret/new"]), Errno("EACCES"), Twin::Cmd(Py("creat", &["{S}/rw/new"]), OK)),
        case("create in a read-only dir", STD, Py("creat", &["{S}/ro/new"]), Errno("EACCES"), Twin::Cmd(Py("creat", &["{S}/rw/new"]), OK)),
        case("mkdir in a read-only dir", STD, Py("mkdir", &["{S}/ro/d"]), Errno("EACCES"), Twin::Cmd(Py("mkdir", &["{S}/rw/d"]), OK)),
        case("unlink a read-only file", STD, Py("unlink", &["{S}/ro/f.txt"]), Errno("EACCES"), Twin::Cmd(Py("unlink", &["{S}/rw/f.txt"]), OK)),
        case("unlink an ungranted file", STD, Py("unlink", &["{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("unlink", &["{S}/rw/g.txt"]), OK)),
        case("rmdir an ungranted dir", STD, Py("rmdir", &["{S}/secret/sub"]), Errno("EACCES"), Twin::Cmd(Py("rmdir", &["{S}/rw/sub"]), OK)),
        // Moving out of a grant, or into one: EACCES (the source lacks
        // RemoveFile or the target MakeReg).
        case("rename out of a read-only dir", STD, Py("rename", &["{S}/ro/f.txt", "{S}/rw/f2"]), Errno("EACCES"), Twin::Cmd(Py("rename", &["{S}/rw/f.txt", "{S}/rw/sub/f"]), OK)),
        case("rename an ungranted file into a grant", STD, Py("rename", &["{S}/secret/s.txt", "{S}/rw/s"]), Errno("EACCES"), Twin::Cmd(Py("rename", &["{S}/rw/f.txt", "{S}/rw/sub/f"]), OK)),
        case("rename a granted file to an ungranted dir", STD, Py("rename", &["{S}/rw/f.txt", "{S}/secret/f"]), Errno("EACCES"), Twin::Cmd(Py("rename", &["{S}/rw/f.txt", "{S}/rw/sub/f"]), OK)),
        case("mv a granted dir into an ungranted dir", STD, Sh("mv {S}/rw/sub {S}/secret/"), Exit(1, "Permission denied"), Twin::Cmd(Sh("mv {S}/rw/sub {S}/wo/"), OK)),
        case("exchange a granted file with an ungranted one", STD, Py("exchange", &["{S}/rw/f.txt", "{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("exchange", &["{S}/rw/f.txt", "{S}/rw/g.txt"]), OK)),
        case("rename a granted dir's parent", &["-a", "{S}/p/child"], Py("rename", &["{S}/p", "{S}/q"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}"], OK)),
        case("rename the granted dir itself", &["-a", "{S}/p/child"], Py("rename", &["{S}/p/child", "{S}/p/moved"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}/p"], OK)),
        // Reparenting that would gain rights: EXDEV (Refer, the no-gain rule).
        case("rename write-only into allow (gain read)", STD, Py("rename", &["{S}/wo/h.txt", "{S}/rw/h"]), Errno("EXDEV"), Twin::Cmd(Py("rename", &["{S}/rw/f.txt", "{S}/wo/f"]), OK)),
        case("rename a write-only dir into allow (gain read)", STD, Py("rename", &["{S}/wo/d", "{S}/rw/d"]), Errno("EXDEV"), Twin::Cmd(Py("rename", &["{S}/rw/sub", "{S}/wo/sub"]), OK)),
        case("link write-only into allow (gain read)", STD, Py("link", &["{S}/wo/h.txt", "{S}/rw/h"]), Errno("EXDEV"), Twin::Cmd(Py("link", &["{S}/rw/f.txt", "{S}/wo/f"]), OK)),
        case("link read-only into allow (gain write)", STD, Py("link", &["{S}/ro/f.txt", "{S}/rw/r"]), Errno("EXDEV"), Twin::Cmd(Py("link", &["{S}/rw/f.txt", "{S}/rw/sub/f"]), OK)),
        case("link an ungranted file into allow", STD, Py("link", &["{S}/secret/s.txt", "{S}/rw/s"]), Errno("EXDEV"), Twin::Cmd(Py("link", &["{S}/rw/f.txt", "{S}/rw/sub/f"]), OK)),
        case("ln an ungranted file, then cat it", STD, Sh("ln {S}/secret/s.txt {S}/rw/s && cat {S}/rw/s"), Exit(1, "Invalid cross-device link"), Twin::Cmd(Sh("ln {S}/rw/f.txt {S}/rw/sub/f && cat {S}/rw/sub/f"), Exit(0, "rw-data"))),
        // Symlinks made inside a writable grant give nothing outside it: the
        // kernel checks the target.
        case("symlink out, then read", STD, Py("symlink-read", &["{S}/secret/s.txt", "{S}/rw/l"]), ErrnoAt("EACCES", "open {S}/rw/l"), Twin::Cmd(Py("symlink-read", &["{S}/ro/f.txt", "{S}/rw/l"]), OK)),
        case("relative symlink out, then read", STD, Py("symlink-read", &["../secret/s.txt", "{S}/rw/l"]), Errno("EACCES"), Twin::Cmd(Py("symlink-read", &["../ro/f.txt", "{S}/rw/l"]), OK)),
        case("symlink out, then write", STD, Py("symlink-write", &["{S}/secret/s.txt", "{S}/rw/l"]), ErrnoAt("EACCES", "open {S}/rw/l"), Twin::Cmd(Py("symlink-write", &["{S}/rw/g.txt", "{S}/rw/l"]), OK)),
        case("symlink out (read-only target), then write", STD, Py("symlink-write", &["{S}/ro/f.txt", "{S}/rw/l"]), ErrnoAt("EACCES", "open {S}/rw/l"), Twin::Cmd(Py("symlink-write", &["{S}/rw/g.txt", "{S}/rw/l"]), OK)),
        case("dangling symlink out, then create through it", STD, Py("symlink-creat", &["{S}/secret/new", "{S}/rw/l"]), ErrnoAt("EACCES", "creat {S}/rw/l"), Twin::Cmd(Py("symlink-creat", &["{S}/rw/new", "{S}/rw/l"]), OK)),
        case("symlink to an ungranted dir, then list", STD, Py("symlink-listdir", &["{S}/secret", "{S}/rw/l"]), ErrnoAt("EACCES", "listdir"), Twin::Cmd(Py("symlink-listdir", &["{S}/ro", "{S}/rw/l"]), OK)),
        case("ln -s out, then cat", STD, Sh("ln -s {S}/secret/s.txt {S}/rw/l && cat {S}/rw/l"), Exit(1, "Permission denied"), Twin::Cmd(Sh("ln -s {S}/ro/f.txt {S}/rw/l && cat {S}/rw/l"), Exit(0, "ro-data"))),
        // `..` does not climb out of a grant.
        case("read through ..", STD, Py("read", &["{S}/rw/../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("read", &["{S}/rw/../ro/f.txt"]), OK)),
        case("read through .. from a granted cwd", STD, Py("chdir-read", &["{S}/rw", "../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("chdir-read", &["{S}/rw", "../ro/f.txt"]), OK)),
        case("list an ungranted dir", STD, Py("listdir", &["{S}/secret"]), Errno("EACCES"), Twin::Cmd(Py("listdir", &["{S}/ro"]), OK)),
        case("read a write-only file", STD, Py("read", &["{S}/wo/h.txt"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}/wo"], OK)),
        case("cat an ungranted file", STD, Argv(&["cat", "{S}/secret/s.txt"]), Exit(1, "Permission denied"), Twin::Cmd(Argv(&["cat", "{S}/ro/f.txt"]), Exit(0, "ro-data"))),
        case("cp an ungranted file into a grant", STD, Sh("cp {S}/secret/s.txt {S}/rw/copy"), Exit(1, "Permission denied"), Twin::Cmd(Sh("cp {S}/ro/f.txt {S}/rw/copy && cat {S}/rw/copy"), Exit(0, "ro-data"))),
    ]
}

#[test]
fn file_escapes_are_denied() {
    run_table(&file_cases(), "files");
}

// ---------------------------------------------------------------------------
// Devices, FIFOs and sockets.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn node_cases() -> Vec<Case> {
    vec![
        // No level grants MakeChar or MakeBlock: EACCES, even as root in an
        // --allow dir. Twins: root makes them without the sandbox.
        case("mknod a char device in an allow dir", STD, Py("mknod-char", &["{S}/rw/null"]), Errno("EACCES"), Twin::Unsandboxed(Py("mknod-char", &["{S}/rw/null"]), OK)).root_twin(),
        case("mknod a block device in an allow dir", STD, Py("mknod-block", &["{S}/rw/loop"]), Errno("EACCES"), Twin::Unsandboxed(Py("mknod-block", &["{S}/rw/loop"]), OK)).root_twin(),
        // /dev/mem's numbers: a node the sandbox could read memory through.
        case("mknod(1) /dev/mem's twin", STD, Sh("mknod {S}/rw/mem c 1 1"), Exit(1, "Permission denied"), Twin::Unsandboxed(Sh("mknod {S}/rw/mem c 1 1"), OK)).root_twin(),
        case("mkfifo in a read-only dir", STD, Py("mkfifo", &["{S}/ro/p"]), Errno("EACCES"), Twin::Cmd(Py("mkfifo", &["{S}/rw/p"]), OK)),
        case("bind a Unix socket in a read-only dir", STD, Py("mksock", &["{S}/ro/s"]), Errno("EACCES"), Twin::Cmd(Py("mksock", &["{S}/rw/s"]), OK)),
        case("mkfifo in an ungranted dir", STD, Py("mkfifo", &["{S}/secret/p"]), Errno("EACCES"), Twin::Cmd(Py("mkfifo", &["{S}/wo/p"]), OK)),
        case("read a device not granted", &["--no-base", "-r", "/usr"], Py("read", &["/dev/zero"]), Errno("EACCES"), Twin::Flags(&["--no-base", "-r", "/usr", "-r", "/dev/zero"], OK)),
    ]
}

#[test]
fn device_fifo_and_socket_escapes_are_denied() {
    run_table(&node_cases(), "nodes");
}

// ---------------------------------------------------------------------------
// /proc, inherited and pre-opened descriptors, other ways to name a file.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn path_cases() -> Vec<Case> {
    vec![
        // /proc is not granted, but a path through it lands on the real
        // file, whose own rule decides.
        case("read via /proc/self/root", STD, Py("read", &["/proc/self/root{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("read", &["/proc/self/root{S}/ro/f.txt"]), OK)),
        case("read via /proc/self/cwd/..", STD, Py("chdir-read", &["{S}/rw", "/proc/self/cwd/../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("chdir-read", &["{S}/rw", "/proc/self/cwd/f.txt"]), OK)),
        case("read /proc itself, not granted", STD, Py("read", &["/proc/self/status"]), Errno("EACCES"), Twin::Flags(STD_PROC, OK)),
        case("write /proc/self/comm, not granted", STD, Py("write", &["/proc/self/comm"]), Errno("EACCES"), Twin::Flags(&["-a", "/proc"], OK)),
        // Even with /proc granted, processes outside the sandbox are out of
        // reach (Landlock's ptrace restriction): EACCES; a child inside is
        // not.
        case("/proc/<parent>/root of a granted file", STD_PROC, Py("proc-read", &["ppid", "root{S}/ro/f.txt"]), Errno("EACCES"), Twin::Cmd(Py("proc-read", &["child", "root{S}/ro/f.txt"]), OK)),
        case("/proc/<outside>/root", STD_PROC, Py("proc-read", &["{SLEEPER}", "root{S}/ro/f.txt"]), Errno("EACCES"), Twin::Cmd(Py("proc-read", &["child", "root{S}/ro/f.txt"]), OK)),
        // The sleeper's stdin is a file the sandbox may not read; its fd
        // link would reopen it.
        case("/proc/<outside>/fd/0, the secret behind it", STD_PROC, Py("proc-read", &["{SLEEPER}", "fd/0"]), Errno("EACCES"), Twin::Cmd(Py("proc-read", &["child", "fd/0"]), OK)),
        case("readlink /proc/<outside>/fd/0", STD_PROC, Py("proc-readlink", &["{SLEEPER}", "fd/0"]), Errno("EACCES"), Twin::Cmd(Py("proc-readlink", &["child", "fd/0"]), OK)),
        case("/proc/<outside>/fdinfo/0", STD_PROC, Py("proc-read", &["{SLEEPER}", "fdinfo/0"]), Errno("EACCES"), Twin::Cmd(Py("proc-read", &["child", "fdinfo/0"]), OK)),
        case("/proc/<outside>/exe", STD_PROC, Py("proc-read", &["{SLEEPER}", "exe"]), Errno("EACCES"), Twin::Cmd(Py("proc-read", &["child", "exe"]), OK)),
        case("/proc/<outside>/mem", STD_PROC, Py("proc-open", &["{SLEEPER}", "mem"]), Errno("EACCES"), Twin::Cmd(Py("proc-open", &["child", "mem"]), OK)),
        case("/proc/<parent>/mem", STD_PROC, Py("proc-open", &["ppid", "mem"]), Errno("EACCES"), Twin::Cmd(Py("proc-open", &["child", "mem"]), OK)),
        case("/proc/<outside>/mem, keeping root's capabilities", STD_PROC_KEEP, Py("proc-open", &["{SLEEPER}", "mem"]), Errno("EACCES"), Twin::Cmd(Py("proc-open", &["child", "mem"]), OK)),
        // The environment and memory map of a process outside: root with
        // CAP_SYS_ADMIN could read them (see known_limits_hold_as_documented
        // for --keep-caps); with root's capabilities dropped, the ptrace
        // check runs and Landlock refuses it.
        case("/proc/<outside>/environ", STD_PROC, Py("proc-read", &["{SLEEPER}", "environ"]), ErrnoAt("EACCES", "open /proc/{SLEEPER}/environ"), Twin::Cmd(Py("proc-read", &["child", "environ"]), OK)),
        case("/proc/<outside>/maps", STD_PROC, Py("proc-read", &["{SLEEPER}", "maps"]), ErrnoAt("EACCES", "open /proc/{SLEEPER}/maps"), Twin::Cmd(Py("proc-read", &["child", "maps"]), OK)),
        case("/proc/<parent>/environ", STD_PROC, Py("proc-read", &["ppid", "environ"]), Errno("EACCES"), Twin::Cmd(Py("proc-read", &["child", "environ"]), OK)),
        // Reopening an inherited descriptor is a new open, checked on the
        // file: EACCES. (Using the inherited descriptor itself is a known
        // limit: see known_limits_hold_as_documented.)
        case("reopen an inherited fd via /dev/fd", STD, Py("read", &["/dev/fd/3"]), Errno("EACCES"), Twin::Fd3(Fd3::Read("{S}/ro/f.txt"), Py("read", &["/dev/fd/3"]), OK)).fd3(Fd3::Read("{S}/secret/s.txt")),
        case("reopen an inherited fd for writing via /proc/self/fd", STD, Py("write", &["/proc/self/fd/3"]), Errno("EACCES"), Twin::Fd3(Fd3::Read("{S}/rw/f.txt"), Py("write", &["/proc/self/fd/3"]), OK)).fd3(Fd3::Read("{S}/secret/s.txt")),
        case("reopen an inherited read-only fd for writing", STD, Py("write", &["/dev/fd/3"]), Errno("EACCES"), Twin::Fd3(Fd3::Read("{S}/rw/g.txt"), Py("write", &["/dev/fd/3"]), OK)).fd3(Fd3::Read("{S}/ro/f.txt")),
        case("shell: cat /dev/fd/3 of an ungranted file", STD, Sh("cat /dev/fd/3"), Exit(1, "Permission denied"), Twin::Fd3(Fd3::Read("{S}/ro/f.txt"), Sh("cat /dev/fd/3"), Exit(0, "ro-data"))).fd3(Fd3::Read("{S}/secret/s.txt")),
        // Directory descriptors opened BEFORE the sandbox: openat(2)
        // relative to them is still checked on the file reached: EACCES.
        case("openat on a pre-opened ungranted dir", STD, Py("fd-openat", &["3", "s.txt"]), Errno("EACCES"), Twin::Fd3(Fd3::Read("{S}/ro"), Py("fd-openat", &["3", "f.txt"]), OK)).fd3(Fd3::Read("{S}/secret")),
        case("fchdir to a pre-opened ungranted dir", STD, Py("fd-fchdir", &["3", "s.txt"]), ErrnoAt("EACCES", "open s.txt"), Twin::Fd3(Fd3::Read("{S}/ro"), Py("fd-fchdir", &["3", "f.txt"]), OK)).fd3(Fd3::Read("{S}/secret")),
        case("openat .. from a pre-opened granted dir", STD, Py("fd-openat", &["3", "../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("fd-openat", &["3", "../ro/f.txt"]), OK)).fd3(Fd3::Read("{S}/rw")),
        // Directory descriptors opened AFTER, inside the sandbox.
        case("openat .. from a granted dir fd", STD, Py("openat", &["{S}/rw", "../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("openat", &["{S}/rw", "f.txt"]), OK)),
        case("openat an absolute path from a granted dir fd", STD, Py("openat", &["{S}/rw", "{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("openat", &["{S}/rw", "{S}/ro/f.txt"]), OK)),
        case("openat from an O_PATH fd of an ungranted dir", STD, Py("openat-opath", &["{S}/secret", "s.txt"]), ErrnoAt("EACCES", "open s.txt"), Twin::Cmd(Py("openat-opath", &["{S}/ro", "f.txt"]), OK)),
        // A detached clone of the mount (open_tree(2), which needs
        // CAP_SYS_ADMIN: EPERM once nono drops it) is still the same files,
        // under the same rules: EACCES when root keeps its capabilities.
        // A detached clone is under no path the supervisor's domain (which
        // the command's is nested in) grants, so even a granted directory's
        // clone is unreadable: the twins run unsandboxed.
        case("read via an open_tree clone", STD, Py("open-tree", &["{S}/secret", "s.txt"]), ErrnoAt("EPERM", "open_tree"), Twin::Unsandboxed(Py("open-tree", &["{S}/ro", "f.txt"]), OK)).root_twin(),
        case("read via an open_tree clone, keeping root's capabilities", STD_KEEP, Py("open-tree", &["{S}/secret", "s.txt"]), ErrnoAt("EACCES", "open s.txt"), Twin::Unsandboxed(Py("open-tree", &["{S}/ro", "f.txt"]), OK)).root_twin(),
        // io_uring opens on the process's behalf, with its credentials and
        // so its Landlock domain (no --net-block here: the ring is allowed).
        case("io_uring openat of an ungranted file", STD, Py("uring-read", &["{S}/secret/s.txt"]), ErrnoAt("EACCES", "io_uring openat"), Twin::Cmd(Py("uring-read", &["{S}/ro/f.txt"]), OK)),
        // open_by_handle_at(2) skips the path walk. It needs
        // CAP_DAC_READ_SEARCH (EPERM once dropped); with it kept, Landlock
        // denies it even for granted files (the dentry it opens is not
        // reached from a rule), so the twins are unsandboxed.
        case("open_by_handle_at an ungranted file", STD, Py("open-by-handle", &["{S}/secret/s.txt", "{S}/rw"]), ErrnoAt("EPERM", "open_by_handle_at"), Twin::Unsandboxed(Py("open-by-handle", &["{S}/ro/f.txt", "{S}/rw"]), OK)).root_twin(),
        case("open_by_handle_at, keeping root's capabilities", STD_KEEP, Py("open-by-handle", &["{S}/secret/s.txt", "{S}/rw"]), ErrnoAt("EACCES", "open_by_handle_at"), Twin::Unsandboxed(Py("open-by-handle", &["{S}/ro/f.txt", "{S}/rw"]), OK)).root_twin(),
    ]
}

#[test]
fn proc_and_descriptor_escapes_are_denied() {
    run_table(&path_cases(), "paths");
}

// ---------------------------------------------------------------------------
// Executing what is not granted.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn exec_cases() -> Vec<Case> {
    vec![
        case("exec a denied binary as the command", STD, Argv(&["{S}/secret/true"]), Exit(126, "the sandbox denies executing"), Twin::Cmd(Argv(&["{S}/ro/true"]), OK)),
        case("exec a denied binary from a shell", STD, Sh("{S}/secret/true"), Exit(126, "Permission denied"), Twin::Cmd(Sh("{S}/ro/true"), OK)),
        case("exec a write-only binary", STD, Argv(&["{S}/wo/true"]), Exit(126, "the sandbox denies executing"), Twin::Flags(&["-a", "{S}/wo"], OK)),
        case("posix_spawn a denied binary", STD, Py("spawn", &["{S}/secret/true"]), Errno("EACCES"), Twin::Cmd(Py("spawn", &["{S}/ro/true"]), OK)),
        case("execveat an O_PATH fd of a denied binary", STD, Py("execveat", &["{S}/secret/true"]), ErrnoAt("EACCES", "execveat"), Twin::Cmd(Py("execveat", &["{S}/ro/true"]), OK)),
        case("exec a denied binary via /proc/self/fd", STD, Py("spawn-proc-fd", &["{S}/secret/true"]), Errno("EACCES"), Twin::Cmd(Py("spawn-proc-fd", &["{S}/ro/true"]), OK)),
        // Through an interpreter: it must read the script, which is denied.
        case("sh SCRIPT in an ungranted dir", STD, Argv(&["sh", "{S}/secret/s.sh"]), Exit(2, "Permission denied"), Twin::Cmd(Argv(&["sh", "{S}/ro/s.sh"]), Exit(0, "script-ran"))),
        case("python3 SCRIPT in an ungranted dir", STD, Argv(&["{PY}", "{S}/secret/s.py"]), Exit(2, "Permission denied"), Twin::Cmd(Argv(&["{PY}", "{S}/ro/s.py"]), Exit(0, "script-ran"))),
        // Through the dynamic loader, which opens and maps the program
        // itself: it cannot read it.
        case("ld.so BINARY in an ungranted dir", STD, Argv(&["{LOADER}", "{S}/secret/true"]), Exit(127, "Permission denied"), Twin::Cmd(Argv(&["{LOADER}", "{S}/ro/true"]), OK)),
    ]
}

#[test]
fn exec_escapes_are_denied() {
    run_table(&exec_cases(), "exec");
}

// ---------------------------------------------------------------------------
// Mounts, namespaces, chroot.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn mount_cases() -> Vec<Case> {
    vec![
        // Landlock refuses every mount change to a sandboxed process
        // (EPERM), whatever its capabilities, in any namespace. Each twin
        // does the same without the sandbox, and the bind mount does reveal
        // the secret through the granted path there: these attempts would
        // work if the sandbox let them. (Mounts in a new user namespace
        // cannot propagate back to this one.)
        case("bind-mount a denied dir over a granted one (new user+mount ns)", STD, Py("bind-mount", &["{S}/secret", "{S}/rw", "s.txt"]), ErrnoAt("EPERM", "mount"), Twin::Unsandboxed(Py("bind-mount", &["{S}/secret", "{S}/rw", "s.txt"]), Exit(0, SECRET))).root_twin(),
        // In a new mount namespace of the root user namespace, which needs
        // CAP_SYS_ADMIN: unshare is refused once nono drops it (EPERM).
        // Keeping it, Landlock refuses the first mount change, making /
        // private (EPERM too, one step later).
        case("bind-mount in a new mount ns", STD, Py("bind-mount-root-ns", &["{S}/secret", "{S}/rw", "s.txt"]), ErrnoAt("EPERM", "unshare"), Twin::Unsandboxed(Py("bind-mount-root-ns", &["{S}/secret", "{S}/rw", "s.txt"]), Exit(0, SECRET))).root_twin(),
        case("bind-mount in a new mount ns, keeping root's capabilities", STD_KEEP, Py("bind-mount-root-ns", &["{S}/secret", "{S}/rw", "s.txt"]), ErrnoAt("EPERM", "make / private"), Twin::Unsandboxed(Py("bind-mount-root-ns", &["{S}/secret", "{S}/rw", "s.txt"]), Exit(0, SECRET))).root_twin(),
        case("unshare -m mount --bind", STD, Sh("unshare -m sh -c 'mount --bind {S}/secret {S}/rw && cat {S}/rw/s.txt'"), Exit(1, "unshare failed: Operation not permitted"), Twin::Unsandboxed(Sh("unshare -m sh -c 'mount --bind {S}/secret {S}/rw && cat {S}/rw/s.txt'"), Exit(0, SECRET))).root_twin(),
        case("unshare -m mount --bind, keeping root's capabilities", STD_KEEP, Sh("unshare -m sh -c 'mount --bind {S}/secret {S}/rw && cat {S}/rw/s.txt'"), Exit(1, "cannot change root filesystem propagation: Operation not permitted"), Twin::Unsandboxed(Sh("unshare -m sh -c 'mount --bind {S}/secret {S}/rw && cat {S}/rw/s.txt'"), Exit(0, SECRET))).root_twin(),
        case("mount a tmpfs over a granted dir", STD, Py("tmpfs-mount", &["{S}/rw"]), ErrnoAt("EPERM", "mount"), Twin::Unsandboxed(Py("tmpfs-mount", &["{S}/rw"]), OK)).root_twin(),
        case("move_mount a clone of a denied dir over a granted one", STD, Py("move-mount", &["{S}/secret", "{S}/rw", "s.txt"]), ErrnoAt("EPERM", "move_mount"), Twin::Unsandboxed(Py("move-mount", &["{S}/secret", "{S}/rw", "s.txt"]), Exit(0, SECRET))).root_twin(),
        // fsopen(2) needs CAP_SYS_ADMIN: EPERM. Keeping it, a new tmpfs can
        // be made, but the detached mount is reached from no rule: nothing
        // can be made in it (EACCES).
        case("fsopen a tmpfs", STD, Py("fsmount", &[]), ErrnoAt("EPERM", "fsopen"), Twin::Unsandboxed(Py("fsmount", &[]), OK)).root_twin(),
        case("create in a detached fsmount tmpfs, keeping root's capabilities", STD_KEEP, Py("fsmount", &[]), ErrnoAt("EACCES", "creat x"), Twin::Unsandboxed(Py("fsmount", &[]), OK)).root_twin(),
        // chroot(2) needs CAP_SYS_CHROOT: EPERM. Keeping it, chroot works,
        // but Landlock checks real paths, not paths relative to the root: a
        // file outside the new root, reached through the old cwd, stays
        // denied. The twin reads a granted file the same way.
        case("chroot", STD, Py("chroot-read", &["{S}/rw", "ro/f.txt"]), ErrnoAt("EPERM", "chroot"), Twin::Flags(STD_KEEP, OK)).root_twin(),
        case("chroot, then read outside through the old cwd, keeping root's capabilities", STD_KEEP, Py("chroot-read", &["{S}/rw", "secret/s.txt"]), ErrnoAt("EACCES", "open secret/s.txt"), Twin::Cmd(Py("chroot-read", &["{S}/rw", "ro/f.txt"]), OK)).root_twin(),
    ]
}

#[test]
fn mount_and_namespace_escapes_are_denied() {
    run_table(&mount_cases(), "mounts");
}

// ---------------------------------------------------------------------------
// Other processes: ptrace, memory, descriptors, signals, abstract sockets.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn process_cases() -> Vec<Case> {
    vec![
        // Landlock forbids ptrace-like access to a process outside the
        // sandbox's domain (EPERM), even for root keeping CAP_SYS_PTRACE;
        // its own children are fine.
        case("ptrace(ATTACH) a process outside", STD, Py("ptrace-attach", &["{SLEEPER}"]), ErrnoAt("EPERM", "PTRACE_ATTACH"), Twin::Cmd(Py("ptrace-attach", &["child"]), OK)),
        case("ptrace(ATTACH) a process outside, keeping root's capabilities", STD_KEEP, Py("ptrace-attach", &["{SLEEPER}"]), ErrnoAt("EPERM", "PTRACE_ATTACH"), Twin::Cmd(Py("ptrace-attach", &["child"]), OK)),
        case("process_vm_readv a process outside, keeping root's capabilities", STD_KEEP, Py("vm-read", &["{SLEEPER}"]), ErrnoAt("EPERM", "process_vm_readv"), Twin::Cmd(Py("vm-read", &["child"]), Exit(0, "DATA vm-data"))),
        case("pidfd_getfd a process outside, keeping root's capabilities", STD_KEEP, Py("pidfd-getfd", &["{SLEEPER}", "0"]), ErrnoAt("EPERM", "pidfd_getfd"), Twin::Cmd(Py("pidfd-getfd", &["child", "0"]), OK)),
        case("kill(2) a process outside, keeping root's capabilities", STD_KEEP, Py("kill", &["{SLEEPER}"]), ErrnoAt("EPERM", "kill"), Twin::Cmd(Py("kill", &["child"]), OK)),
        case("ptrace(SEIZE) the parent", STD, Py("ptrace-seize", &["ppid"]), ErrnoAt("EPERM", "PTRACE_SEIZE"), Twin::Cmd(Py("ptrace-seize", &["child"]), OK)),
        case("process_vm_readv a process outside", STD, Py("vm-read", &["{SLEEPER}"]), ErrnoAt("EPERM", "process_vm_readv"), Twin::Cmd(Py("vm-read", &["child"]), Exit(0, "DATA vm-data"))),
        case("pidfd_getfd the secret fd of a process outside", STD, Py("pidfd-getfd", &["{SLEEPER}", "0"]), ErrnoAt("EPERM", "pidfd_getfd"), Twin::Cmd(Py("pidfd-getfd", &["child", "0"]), OK)),
        // Scoped signals (ABI 6, on by default): EPERM outside.
        case("kill(2) a process outside", STD, Py("kill", &["{SLEEPER}"]), ErrnoAt("EPERM", "kill"), Twin::Flags(STD_SIGNALS, OK)),
        case("kill(2) the parent", STD, Py("kill", &["ppid"]), ErrnoAt("EPERM", "kill"), Twin::Cmd(Py("kill", &["child"]), OK)),
        case("pidfd_send_signal to a process outside", STD, Py("pidfd-signal", &["{SLEEPER}"]), ErrnoAt("EPERM", "pidfd_send_signal"), Twin::Flags(STD_SIGNALS, OK)),
        case("shell kill -0 a process outside", STD, Sh("kill -0 {SLEEPER}"), Exit(1, "Operation not permitted"), Twin::Flags(STD_SIGNALS, OK)),
        // Scoped abstract Unix sockets (ABI 6): EPERM for sockets bound
        // outside.
        case("connect to an abstract socket outside", STD, Py("abstract-connect", &["{ABS}"]), ErrnoAt("EPERM", "connect"), Twin::Flags(STD_ABSTRACT, OK)),
        case("sendto an abstract datagram socket outside", STD, Py("abstract-sendto", &["{ABSDG}"]), ErrnoAt("EPERM", "sendto"), Twin::Flags(STD_ABSTRACT, OK)),
    ]
}

#[test]
fn process_escapes_are_denied() {
    run_table(&process_cases(), "processes");
}

// ---------------------------------------------------------------------------
// The network under --net-block.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn network_cases() -> Vec<Case> {
    // The seccomp filter refuses every socket but AF_UNIX, and io_uring:
    // EACCES. Each twin is the same without --net-block (keeping root's
    // capabilities where the socket needs CAP_NET_RAW).
    vec![
        case("TCP socket", BLOCK, Py("socket", &["AF_INET", "SOCK_STREAM", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("TCP connect to a listener outside", BLOCK, Py("tcp-connect", &["{PORT}"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("TCP over IPv6", BLOCK, Py("socket", &["AF_INET6", "SOCK_STREAM", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("UDP socket", BLOCK, Py("socket", &["AF_INET", "SOCK_DGRAM", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        // Raw and packet sockets need CAP_NET_RAW, which nono drops, but the
        // filter refuses them first (EACCES), and also when root keeps its
        // capabilities. The twins keep them: without --net-block they work.
        case("raw ICMP socket", BLOCK, Py("socket", &["AF_INET", "SOCK_RAW", "1"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("raw ICMP socket, keeping root's capabilities", BLOCK_KEEP, Py("socket", &["AF_INET", "SOCK_RAW", "1"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("packet socket", BLOCK, Py("socket", &["AF_PACKET", "SOCK_RAW", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("packet socket, keeping root's capabilities", BLOCK_KEEP, Py("socket", &["AF_PACKET", "SOCK_RAW", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("MPTCP socket", BLOCK, Py("socket", &["AF_INET", "SOCK_STREAM", "262"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("netlink route socket", BLOCK, Py("socket", &["AF_NETLINK", "SOCK_RAW", "0"]), ErrnoAt("EACCES", "socket"), Twin::Flags(NET, OK)),
        case("io_uring_setup", BLOCK, Py("io-uring", &[]), ErrnoAt("EACCES", "io_uring_setup"), Twin::Flags(NET, OK)),
    ]
}

#[test]
fn network_escapes_are_denied_under_net_block() {
    run_table(&network_cases(), "network");
}

// ---------------------------------------------------------------------------
// A nested nono trying to widen its grants.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn nested_cases() -> Vec<Case> {
    // The inner nono may run (its directory is granted Read), and applies
    // its own ruleset on top of the outer one: Landlock only ever narrows.
    // The `--allow /` cases run the inner nono without HOME and the
    // variables the built-in denied paths are written with, so that none of the built-in
    // denied paths (the home's secrets, nono's cache and configuration)
    // names a path: carving any of them out of `/` (the outer cache, or,
    // for one that does not exist, its nearest existing directory) would
    // need listing `/`, which the outer sandbox denies, so the inner nono
    // would refuse to run at all (125), and the case is about what it can
    // reach when it does run.
    vec![
        case("nested nono --allow of an ungranted dir", &["-r", "{NONODIR}"], Argv(&["{NONO}", "run", "--allow", "{S}/secret", "--", "cat", "{S}/secret/s.txt"]), Exit(1, "Permission denied"), Twin::Both(&["-r", "{NONODIR}", "-r", "{S}/ro"], Argv(&["{NONO}", "run", "--read", "{S}/ro", "--", "cat", "{S}/ro/f.txt"]), Exit(0, "ro-data"))),
        case("nested nono --no-base --allow /", &["-r", "{NONODIR}"], Argv(&["/usr/bin/env", "-u", "HOME", "-u", "XDG_CONFIG_HOME", "-u", "XDG_CACHE_HOME", "-u", "XDG_DATA_HOME", "-u", "CARGO_HOME", "{NONO}", "run", "--no-base", "--allow", "/", "--", "cat", "{S}/secret/s.txt"]), Exit(1, "Permission denied"), Twin::Both(&["-r", "{NONODIR}", "-r", "{S}/ro"], Argv(&["/usr/bin/env", "-u", "HOME", "-u", "XDG_CONFIG_HOME", "-u", "XDG_CACHE_HOME", "-u", "XDG_DATA_HOME", "-u", "CARGO_HOME", "{NONO}", "run", "--no-base", "--allow", "/", "--", "cat", "{S}/ro/f.txt"]), Exit(0, "ro-data"))),
        case("nested nono --allow of a read-only dir, then write", &["-r", "{NONODIR}", "-r", "{S}/ro"], Argv(&["{NONO}", "run", "--allow", "{S}/ro", "--", "sh", "-c", "echo x >> {S}/ro/f.txt"]), Exit(2, "Permission denied"), Twin::Both(&["-r", "{NONODIR}", "-a", "{S}/rw"], Argv(&["{NONO}", "run", "--allow", "{S}/rw", "--", "sh", "-c", "echo x >> {S}/rw/f.txt"]), OK)),
        case("nested nono --allow-signals", &["-r", "{NONODIR}"], Argv(&["{NONO}", "run", "--allow-signals", "--", "sh", "-c", "kill -0 {SLEEPER}"]), Exit(1, "Operation not permitted"), Twin::Flags(&["-r", "{NONODIR}", "--allow-signals"], OK)),
        case("nested nono without --net-block", &["-r", "{NONODIR}", "--net-block"], Argv(&["{NONO}", "run", "--", "{PY}", "-c", "import socket; socket.socket()"]), Exit(1, "PermissionError"), Twin::Flags(&["-r", "{NONODIR}"], OK)),
    ]
}

#[test]
fn nested_nono_cannot_widen_its_grants() {
    run_table(&nested_cases(), "nested");
}

// ---------------------------------------------------------------------------
// File metadata: the setuid and setgid bits, owners, security attributes.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
fn metadata_cases() -> Vec<Case> {
    // Landlock (up to ABI 7) has no right for chmod(2), chown(2) or
    // setxattr(2). Two things close the ways out this leaves root (make any
    // root-owned program setuid, give a binary file capabilities, give a
    // file away): the syscall guard refuses every chmod that sets the
    // setuid or setgid bit (EACCES, granted file or not, and also when root
    // keeps its capabilities), and dropping root's capabilities refuses
    // owner changes (CAP_CHOWN) and `security.*` / `trusted.*` attributes
    // (CAP_SETFCAP, CAP_SYS_ADMIN) with EPERM. The twins do the same
    // unsandboxed, or keeping root's capabilities on a granted file. What
    // stays possible (other modes, times and `user.*` attributes of the
    // user's own files) is in known_limits_hold_as_documented.
    vec![
        case("chmod u+s,a+rwx an ungranted binary", STD, Py("chmod", &["{S}/secret/true", "4777"]), Errno("EACCES"), Twin::Unsandboxed(Py("chmod", &["{S}/secret/true", "4777"]), OK)),
        case("chmod u+s a granted file", STD, Py("chmod", &["{S}/rw/f.txt", "4755"]), Errno("EACCES"), Twin::Unsandboxed(Py("chmod", &["{S}/rw/f.txt", "4755"]), OK)),
        case("chmod g+s an ungranted binary", STD, Py("chmod", &["{S}/secret/true", "2755"]), Errno("EACCES"), Twin::Unsandboxed(Py("chmod", &["{S}/secret/true", "2755"]), OK)),
        case("chmod g+s an ungranted dir", STD, Py("chmod", &["{S}/secret/sub", "2775"]), Errno("EACCES"), Twin::Unsandboxed(Py("chmod", &["{S}/secret/sub", "2775"]), OK)),
        case("fchmod u+s a granted file", STD, Py("fchmod", &["{S}/rw/f.txt", "4755"]), ErrnoAt("EACCES", "fchmod"), Twin::Unsandboxed(Py("fchmod", &["{S}/rw/f.txt", "4755"]), OK)),
        case("fchmodat2 u+s,g+s an ungranted binary", STD, Py("fchmodat2", &["{S}/secret/true", "6755"]), ErrnoAt("EACCES", "fchmodat2"), Twin::Unsandboxed(Py("fchmodat2", &["{S}/secret/true", "6755"]), OK)),
        case("chmod u+s an ungranted binary, keeping root's capabilities", STD_KEEP, Py("chmod", &["{S}/secret/true", "4755"]), Errno("EACCES"), Twin::Unsandboxed(Py("chmod", &["{S}/secret/true", "4755"]), OK)),
        // The other way to a setuid program: create the file with the bit
        // (open's mode is not filtered), then write the program into it.
        // Without CAP_FSETID the kernel clears the bit on the write.
        case("create a setuid-root program (O_CREAT 04755, then write)", STD, Py("creat-setuid", &["{S}/rw/prog"]), ErrnoAt("NOSUID", "fstat {S}/rw/prog"), Twin::Flags(STD_KEEP, OK)).root_twin(),
        case("chown an ungranted file", STD, Py("chown", &["{S}/secret/s.txt", "1234", "1234"]), Errno("EPERM"), Twin::Both(STD_KEEP, Py("chown", &["{S}/rw/f.txt", "1234", "1234"]), OK)).root_twin(),
        case("chown a granted file", STD, Py("chown", &["{S}/rw/f.txt", "1234", "1234"]), Errno("EPERM"), Twin::Flags(STD_KEEP, OK)).root_twin(),
        // VFS_CAP_REVISION_2 with CAP_SETUID permitted and effective.
        case("setxattr security.capability on an ungranted binary", STD, Py("setxattr", &["{S}/secret/true", "security.capability", "0100000280000000000000000000000000000000"]), Errno("EPERM"), Twin::Both(STD_KEEP, Py("setxattr", &["{S}/rw/f.txt", "security.capability", "0100000280000000000000000000000000000000"]), OK)).root_twin(),
        case("setxattr security.* on an ungranted file", STD, Py("setxattr", &["{S}/secret/s.txt", "security.nono", "01"]), Errno("EPERM"), Twin::Both(STD_KEEP, Py("setxattr", &["{S}/rw/f.txt", "security.nono", "01"]), OK)).root_twin(),
        case("setxattr trusted.* on an ungranted file", STD, Py("setxattr", &["{S}/secret/s.txt", "trusted.nono", "01"]), Errno("EPERM"), Twin::Both(STD_KEEP, Py("setxattr", &["{S}/rw/f.txt", "trusted.nono", "01"]), OK)).root_twin(),
    ]
}

#[test]
fn metadata_escapes_are_denied() {
    run_table(&metadata_cases(), "metadata");
}

/// Runs `ARGV...` with a new pseudo-terminal as its controlling terminal and
/// as stdin, stdout and stderr, like a command typed in an interactive
/// shell; then prints `QUEUED <bytes>`: what is waiting in the terminal's
/// input queue, which the user's shell would read and run next.
const TTY_HELPER: &str = r#"
import fcntl, os, pty, select, sys, termios
m, s = pty.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(s, fd)
    os.execvp(sys.argv[1], sys.argv[1:])
_, st = os.waitpid(pid, 0)
for fd in (m, s):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
def drain(fd):
    # Until nothing more arrives for 0.2 s: the terminal's echo and output
    # reach the master asynchronously.
    out = b""
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 4096)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        out += chunk
    return out
print("TERMINAL %r" % drain(m))
print("QUEUED %r" % drain(s))
print("STATUS %d" % os.waitstatus_to_exitcode(st))
"#;

/// Pushes `echo pwned` into the input of a terminal (TIOCSTI): the one on
/// stdin, or the one named by the first argument (opened here). Prints
/// `injected`, or the errno's name.
const INJECT: &str = "import errno, fcntl, os, sys, termios
try:
    fd = os.open(sys.argv[1], os.O_RDWR) if len(sys.argv) > 1 else 0
    for c in b'echo pwned\\n':
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
    print('injected')
except OSError as e:
    print(errno.errorcode[e.errno])";

/// A sandboxed command cannot type into the user's shell.
///
/// Landlock checks ioctl only on devices opened inside the sandbox (ABI 5),
/// but the terminal a command inherits as stdin, stdout and stderr was
/// opened before: TIOCSTI on it would push `echo pwned` into the terminal's
/// input queue, and the user's shell would run it, unconfined, when the
/// command exits. This works for root (CAP_SYS_ADMIN), and for any user
/// where `dev.tty.legacy_tiocsti` is 1 (the kernel default), since the
/// terminal is the command's controlling terminal too. nono's syscall guard
/// refuses `ioctl(TIOCSTI)` on every descriptor (EACCES): the inherited
/// terminal, `/dev/tty` reopened inside even with Allow (which grants device
/// ioctls), under `--keep-caps`, and for a user other than root. Each twin is
/// the same injection without nono, which lands in the queue.
#[test]
fn terminal_injection_through_the_inherited_tty_is_denied() {
    let s = Scratch::new();
    // uid 65534 must reach the scratch directory.
    std::fs::set_permissions(s.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let helper = |argv: &[&str]| {
        let mut cmd = Command::new(PYTHON);
        cmd.args(["-I", "-c", TTY_HELPER])
            .args(argv)
            .current_dir(s.path())
            .env("HOME", s.home())
            .env("XDG_CONFIG_HOME", s.home().join(".config"))
            .env("XDG_CACHE_HOME", s.cache_home())
            .env_remove("RUST_LOG");
        Outcome::of(&mut cmd)
    };
    let injected = |out: &Outcome, what: &str| {
        out.expect_ok();
        assert!(
            out.stdout.contains("injected\\r\\n'")
                && out.stdout.contains("QUEUED b'echo pwned\\n'"),
            "{what}: the injection should land in the queue: {out:#?}"
        );
    };
    let refused = |out: &Outcome, what: &str| {
        out.expect_ok();
        assert!(
            out.stdout.contains("EACCES\\r\\n'\nQUEUED b''\n"),
            "ESCAPE: {what}: the sandboxed command typed into the terminal: {out:#?}"
        );
    };
    let py = [PYTHON, "-c", INJECT];
    let py_tty = [PYTHON, "-c", INJECT, "/dev/tty"];
    let sandboxed = |flags: &[&'static str], cmd: &[&'static str]| -> Vec<&'static str> {
        [NONO, "run"]
            .into_iter()
            .chain(flags.iter().copied())
            .chain(["--"])
            .chain(cmd.iter().copied())
            .collect()
    };

    // Twin: without the sandbox, the injection lands in the input queue
    // (so this test can see one).
    injected(&helper(&py), "unsandboxed, inherited terminal");
    // The attempts: under the strictest sandbox nono has, and keeping
    // root's capabilities.
    refused(
        &helper(&sandboxed(&["--net-block"], &py)),
        "the inherited terminal under --net-block",
    );
    refused(
        &helper(&sandboxed(&["--keep-caps"], &py)),
        "the inherited terminal under --keep-caps",
    );

    // Through /dev/tty reopened inside, granted Allow (device ioctls): the
    // guard refuses what Landlock would allow. Twin: unsandboxed.
    injected(&helper(&py_tty), "unsandboxed, /dev/tty");
    refused(
        &helper(&sandboxed(&["-a", "/dev/tty"], &py_tty)),
        "/dev/tty granted Allow",
    );

    // As a user other than root, where the kernel still allows TIOCSTI on
    // the controlling terminal.
    let legacy = std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti");
    if is_root() && legacy.as_deref().is_ok_and(|v| v.trim() == "1") {
        let nobody = |argv: &[&'static str]| -> Vec<&'static str> {
            NOBODY.iter().chain(argv).copied().collect()
        };
        injected(&helper(&nobody(&py)), "unsandboxed, as uid 65534");
        refused(
            &helper(&nobody(&sandboxed(&[], &py))),
            "the inherited terminal, as uid 65534",
        );
    } else {
        eprintln!(
            "TIOCSTI as another user: skipped (needs root and dev.tty.legacy_tiocsti = 1; got {legacy:?})"
        );
    }
}

#[test]
fn the_suite_has_at_least_fifty_escape_attempts() {
    let n = [
        file_cases(),
        node_cases(),
        path_cases(),
        exec_cases(),
        mount_cases(),
        process_cases(),
        network_cases(),
        nested_cases(),
        metadata_cases(),
        root_cases(false, false),
    ]
    .iter()
    .map(Vec::len)
    .sum::<usize>();
    assert!(n >= 50, "only {n} escape attempts");
}

// ---------------------------------------------------------------------------
// Root hardening: what root's capabilities would walk around.
// ---------------------------------------------------------------------------

/// The block device the root filesystem is on, and one root can read.
struct Disk {
    /// Its node in /dev (`/dev/vda`).
    node: String,
    major: u32,
    minor: u32,
    /// A block device root can read outside the sandbox, for the twins:
    /// the disk itself, or else a loop device.
    readable: String,
    readable_dev: (u32, u32),
}

/// The root disk, found once.
fn root_disk() -> &'static Result<Disk, String> {
    static DISK: OnceLock<Result<Disk, String>> = OnceLock::new();
    DISK.get_or_init(find_root_disk)
}

/// Finds the root filesystem's device from `stat("/")`, checks it against
/// /proc/self/mountinfo, and finds its node through /sys/dev/block.
fn find_root_disk() -> Result<Disk, String> {
    let dev = std::fs::metadata("/").map_err(|e| e.to_string())?.dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
    // The last mount on `/` is the one this process sees; field 3 is
    // MAJOR:MINOR, field 5 the mount point.
    let listed = mountinfo
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .filter(|f| f.get(4) == Some(&"/"))
        .filter_map(|f| f.get(2).map(|d| (*d).to_owned()))
        .next_back();
    if listed.as_deref() != Some(format!("{major}:{minor}").as_str()) {
        return Err(format!(
            "stat(\"/\") says {major}:{minor}, /proc/self/mountinfo says {listed:?}"
        ));
    }
    let uevent = std::fs::read_to_string(format!("/sys/dev/block/{major}:{minor}/uevent"))
        .map_err(|_| {
            format!("the root filesystem's device {major}:{minor} is not a block device (an overlay or tmpfs root?)")
        })?;
    let name = uevent
        .lines()
        .find_map(|l| l.strip_prefix("DEVNAME="))
        .ok_or_else(|| format!("no DEVNAME for block device {major}:{minor}"))?;
    let node = format!("/dev/{name}");
    let meta = std::fs::metadata(&node).map_err(|e| format!("{node}: {e}"))?;
    if !meta.file_type().is_block_device() || meta.rdev() != dev {
        return Err(format!("{node} is not block device {major}:{minor}"));
    }
    let can_read = |path: &str| std::fs::File::open(path).and_then(|mut f| f.read(&mut [0u8; 512]));
    let readable = match can_read(&node) {
        Ok(_) => node.clone(),
        Err(why) => {
            let other = (0..8)
                .map(|i| format!("/dev/loop{i}"))
                .find(|p| can_read(p).is_ok())
                .ok_or_else(|| {
                    format!("root cannot read {node} here ({why}), nor a loop device")
                })?;
            eprintln!(
                "root cannot read {node} outside the sandbox here ({why}); the twins read {other} instead"
            );
            other
        }
    };
    let rdev = std::fs::metadata(&readable)
        .map_err(|e| e.to_string())?
        .rdev();
    Ok(Disk {
        node,
        major,
        minor,
        readable,
        readable_dev: (libc::major(rdev), libc::minor(rdev)),
    })
}

/// Whether a file capability (`security.capability`) can be set here.
fn file_caps_settable() -> Result<(), String> {
    let s = Scratch::new();
    copy_file("/usr/bin/cat", &s.join("probe"));
    set_file_cap(&s.join("probe"), true)
}

/// Gives `path` the file capability cap_net_raw, permitted, and effective
/// if `effective`, with Python's os.setxattr (VFS_CAP_REVISION_2).
fn set_file_cap(path: &Path, effective: bool) -> Result<(), String> {
    let out = Command::new(PYTHON)
        .args([
            "-I",
            "-c",
            "import os, struct, sys\n\
             os.setxattr(sys.argv[1], 'security.capability', struct.pack('<IIIII', 0x02000000 | int(sys.argv[2]), 1 << 13, 0, 0, 0))",
        ])
        .arg(path)
        .arg(if effective { "1" } else { "0" })
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// What the root cases add to the fixture: uid 65534 may reach it;
/// `ro/suid-cat` is a setuid-root copy of cat; `ro/cap-cat` and
/// `ro/capp-cat` copies with cap_net_raw as a file capability, effective
/// and permitted only; `secret/disk` is a node of the root disk made
/// outside (ungranted), `ro/blk` one of the readable block device.
fn root_fixture(s: &Scratch, disk: bool, file_caps: bool) {
    std::fs::set_permissions(s.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let suid = s.join("ro/suid-cat");
    copy_file("/usr/bin/cat", &suid);
    std::fs::set_permissions(&suid, std::fs::Permissions::from_mode(0o4755)).unwrap();
    if file_caps {
        for (name, effective) in [("cap-cat", true), ("capp-cat", false)] {
            let path = s.join("ro").join(name);
            copy_file("/usr/bin/cat", &path);
            set_file_cap(&path, effective).unwrap();
        }
    }
    if let (true, Ok(d)) = (disk, root_disk()) {
        let (bmaj, bmin) = d.readable_dev;
        for (path, maj, min) in [
            (s.join("secret/disk"), d.major, d.minor),
            (s.join("ro/blk"), bmaj, bmin),
        ] {
            let st = Command::new("mknod")
                .arg(&path)
                .args(["b", &maj.to_string(), &min.to_string()])
                .status()
                .unwrap();
            assert!(st.success(), "mknod {}", path.display());
        }
    }
}

/// `ARGV...` as uid 65534, unsandboxed.
macro_rules! nobody {
    ($($arg:expr),* $(,)?) => {
        Argv(&["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", $($arg),*])
    };
}

#[rustfmt::skip]
fn root_cases(disk: bool, file_caps: bool) -> Vec<Case> {
    let mut cases = vec![
        // The command itself (cat, executed by nono: the pid whose status
        // is granted) holds no capability, in any set, and cannot gain any
        // (NoNewPrivs). Twin: --keep-caps keeps them.
        case("the command holds no capability", STD_STATUS, Argv(&["cat", "/proc/self/status"]), CapsZero, Twin::Flags(STD_STATUS_KEEP, CapNonZero("CapEff"))),
        // Raw and packet sockets need CAP_NET_RAW: refused without any
        // --net-* flag (EPERM); with --keep-caps they work.
        case("raw ICMP socket without --net-block", NET, Py("socket", &["AF_INET", "SOCK_RAW", "1"]), ErrnoAt("EPERM", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("raw IP socket (IPPROTO_RAW) without --net-block", NET, Py("socket", &["AF_INET", "SOCK_RAW", "255"]), ErrnoAt("EPERM", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        case("packet socket without --net-block", NET, Py("socket", &["AF_PACKET", "SOCK_RAW", "0"]), ErrnoAt("EPERM", "socket"), Twin::Flags(NET_KEEP, OK)).root_twin(),
        // sethostname needs CAP_SYS_ADMIN (the twin sets the same name).
        case("sethostname", STD, Py("sethostname-same", &[]), ErrnoAt("EPERM", "sethostname"), Twin::Flags(STD_KEEP, OK)).root_twin(),
        // A setuid-root program (chmod 4755 outside) gives nothing back:
        // NoNewPrivs ignores the bit, and root executing a program gets no
        // capability with SECBIT_NOROOT locked and an empty bounding set.
        // Twin: the same program, unsandboxed, run by uid 65534, gets every
        // capability.
        case("exec a setuid-root program", STD_STATUS, Argv(&["{S}/ro/suid-cat", "/proc/self/status"]), CapsZero, Twin::Unsandboxed(nobody!("{S}/ro/suid-cat", "/proc/self/status"), CapNonZero("CapEff"))),
        case("exec a setuid-root program, as uid 65534", STD_STATUS, Argv(&["{S}/ro/suid-cat", "/proc/self/status"]), Unprivileged, Twin::Unsandboxed(nobody!("{S}/ro/suid-cat", "/proc/self/status"), CapNonZero("CapEff"))).by_nobody(),
    ];
    if file_caps {
        cases.extend([
            // A file capability that must be effective (+ep) and cannot be
            // granted (empty bounding set): the kernel refuses the exec
            // (EPERM), so nono exits 126. Twin: uid 65534 gets it outside.
            case("exec a file-capability program (cap_net_raw+ep)", STD_STATUS, Argv(&["{S}/ro/cap-cat", "/proc/self/status"]), Exit(126, "cannot execute {S}/ro/cap-cat"), Twin::Unsandboxed(nobody!("{S}/ro/cap-cat", "/proc/self/status"), CapNonZero("CapEff"))),
            // Permitted only: the exec works, and permits nothing.
            case("exec a file-capability program (cap_net_raw+p)", STD_STATUS, Argv(&["{S}/ro/capp-cat", "/proc/self/status"]), CapsZero, Twin::Unsandboxed(nobody!("{S}/ro/capp-cat", "/proc/self/status"), CapNonZero("CapPrm"))),
            // A user other than root: NoNewPrivs gives it nothing either.
            case("exec a file-capability program (cap_net_raw+ep), as uid 65534", STD_STATUS, Argv(&["{S}/ro/cap-cat", "/proc/self/status"]), Unprivileged, Twin::Unsandboxed(nobody!("{S}/ro/cap-cat", "/proc/self/status"), CapNonZero("CapEff"))).by_nobody(),
        ]);
    }
    if disk {
        cases.extend([
            // The disk's device node in a writable grant: no level grants
            // MakeBlock, and Landlock's check comes before the kernel's
            // CAP_MKNOD check, so EACCES, also keeping root's capabilities.
            // Twin: root makes it unsandboxed.
            case("mknod the root disk's block device in an allow dir", STD, Py("mknod-dev", &["{S}/rw/disk", "b", "{DISKMAJ}", "{DISKMIN}"]), Errno("EACCES"), Twin::Unsandboxed(Py("mknod-dev", &["{S}/rw/disk", "b", "{DISKMAJ}", "{DISKMIN}"]), OK)).root_twin(),
            case("mknod the root disk's block device, keeping root's capabilities", STD_KEEP, Py("mknod-dev", &["{S}/rw/disk", "b", "{DISKMAJ}", "{DISKMIN}"]), Errno("EACCES"), Twin::Unsandboxed(Py("mknod-dev", &["{S}/rw/disk", "b", "{DISKMAJ}", "{DISKMIN}"]), OK)).root_twin(),
            case("mknod(1) the root disk in a write-only dir", STD, Sh("mknod {S}/wo/disk b {DISKMAJ} {DISKMIN}"), Exit(1, "Permission denied"), Twin::Unsandboxed(Sh("mknod {S}/wo/disk b {DISKMAJ} {DISKMIN}"), OK)).root_twin(),
            // Reading the raw disk: its /dev node and every other path to it
            // are ungranted (EACCES). Twin: a block device root can read,
            // granted, is read the same way.
            case("read the root disk's /dev node", STD, Py("readraw", &["{DISK}"]), Errno("EACCES"), Twin::Both(&["-a", "{S}/rw", "-r", "{S}/ro", "-w", "{S}/wo", "-r", "{BLK}"], Py("readraw", &["{BLK}"]), OK)).root_twin(),
            case("read the root disk's /dev node, keeping root's capabilities", STD_KEEP, Py("readraw", &["{DISK}"]), Errno("EACCES"), Twin::Both(&["-a", "{S}/rw", "-r", "{S}/ro", "-w", "{S}/wo", "-r", "{BLK}", "--keep-caps"], Py("readraw", &["{BLK}"]), OK)).root_twin(),
            case("read the root disk via /proc/self/root", STD, Py("readraw", &["/proc/self/root{DISK}"]), Errno("EACCES"), Twin::Both(&["-a", "{S}/rw", "-r", "{S}/ro", "-w", "{S}/wo", "-r", "{BLK}"], Py("readraw", &["/proc/self/root{BLK}"]), OK)).root_twin(),
            case("read the root disk via a symlink made in an allow dir", STD, Py("symlink-readraw", &["{DISK}", "{S}/rw/d"]), ErrnoAt("EACCES", "open {S}/rw/d"), Twin::Both(&["-a", "{S}/rw", "-r", "{S}/ro", "-w", "{S}/wo", "-r", "{BLK}"], Py("symlink-readraw", &["{BLK}", "{S}/rw/d"]), OK)).root_twin(),
            // A node made outside the sandbox is a file like any other: its
            // rule decides (the twin reads one in a granted dir).
            case("read the root disk via a node made outside, ungranted", STD, Py("readraw", &["{S}/secret/disk"]), Errno("EACCES"), Twin::Cmd(Py("readraw", &["{S}/ro/blk"]), OK)).root_twin(),
        ]);
    }
    cases
}

/// Root hardening (DESIGN.md section 2, issue 6 item 5): with root's
/// capabilities dropped, root cannot walk around Landlock; see
/// [`root_cases`]. The disk cases need the root filesystem on a block
/// device, the file-capability cases a filesystem with
/// `security.capability`: each is skipped, saying why, where it cannot run.
#[test]
fn root_cannot_walk_around_the_sandbox() {
    if !is_root() {
        eprintln!("root hardening: skipped (the tests run as root in CI)");
        return;
    }
    let disk = match root_disk() {
        Ok(d) => {
            eprintln!(
                "root disk: {} ({}:{}), twins read {}",
                d.node, d.major, d.minor, d.readable
            );
            true
        }
        Err(why) => {
            eprintln!("root disk cases skipped: {why}");
            false
        }
    };
    let file_caps = match file_caps_settable() {
        Ok(()) => true,
        Err(why) => {
            eprintln!("file-capability cases skipped: cannot set security.capability here: {why}");
            false
        }
    };
    run_table_with(&root_cases(disk, file_caps), "root", &|s| {
        root_fixture(s, disk, file_caps);
    });

    // Both Landlock and the missing CAP_MKNOD refuse the disk's node inside;
    // Landlock's hook runs first, so the sandbox sees EACCES (above).
    // Without the sandbox, the kernel's own answer to a root without
    // CAP_MKNOD is EPERM.
    if let (true, Ok(d)) = (disk, root_disk()) {
        let s = fixture();
        let node = s.join("rw/disk");
        let out = Outcome::of(
            Command::new("setpriv")
                .arg("--bounding-set=-mknod")
                .args([PYTHON, "-I", "-c", PROBE, "mknod-dev"])
                .arg(&node)
                .args(["b", &d.major.to_string(), &d.minor.to_string()]),
        );
        out.expect_errno("EPERM");
        assert!(
            std::fs::symlink_metadata(&node).is_err(),
            "{node:?} was made"
        );
    }
}

// ---------------------------------------------------------------------------
// Known limits: not denied, and documented.
// ---------------------------------------------------------------------------

/// What the kernel does today for the holes a user must know about. Each is
/// asserted as it is, so a change (a fix, or a regression) is noticed.
#[test]
fn known_limits_hold_as_documented() {
    let out = Outside::new("limits");
    let root = is_root();
    let mut failures = Vec::new();
    let mut check = |name: &str, got: Outcome, expect: Expect| {
        if let Some(why) = mismatch(expect, &got, &|t| t.to_owned()) {
            failures.push(format!("{name}: {why}"));
        }
    };

    // Descriptors opened before the sandbox are not rechecked (README,
    // "Limits"): an inherited read fd of an ungranted file reads it,
    // an inherited append fd writes it, an inherited directory fd lists it.
    // Reopening any of them is denied (see path_cases).
    let s = fixture();
    check(
        "inherited fd read",
        launch(
            &s,
            &out,
            Some(STD),
            Py("fd-read", &["3"]),
            Fd3::Read("{S}/secret/s.txt"),
        ),
        Exit(0, SECRET),
    );
    check(
        "inherited fd write",
        launch(
            &s,
            &out,
            Some(STD),
            Py("fd-write", &["3"]),
            Fd3::Append("{S}/secret/s.txt"),
        ),
        OK,
    );
    assert_eq!(
        std::fs::read_to_string(s.join("secret/s.txt")).unwrap(),
        format!("{SECRET}\npwned\n")
    );
    check(
        "inherited dir fd listing",
        launch(
            &s,
            &out,
            Some(STD),
            Py("fd-listdir", &["3"]),
            Fd3::Read("{S}/secret"),
        ),
        Exit(0, "DATA s.py s.sh s.txt sub true"),
    );

    // Connecting to a pathname Unix socket needs no Landlock right before
    // ABI 9 (LANDLOCK_ACCESS_FS_RESOLVE_UNIX): a sandboxed process reaches
    // any Unix-socket service whose path it knows, in ungranted directories
    // too (a Docker or D-Bus socket would be a way out). Only its creation
    // (bind, MakeSock) is checked.
    let s = fixture();
    let sock = s.join("secret/service.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    check(
        "connect to a pathname Unix socket in an ungranted dir",
        launch(
            &s,
            &out,
            Some(STD),
            Py("unix-connect", &["{S}/secret/service.sock"]),
            Fd3::None,
        ),
        // Closed by the supervisor (it was a known limit before it).
        Errno("EACCES"),
    );
    drop(listener);

    // Code the sandbox writes into memory can be executed (memfd is on an
    // internal filesystem Landlock does not restrict); it runs confined.
    check(
        "exec from a memfd",
        launch(&s, &out, Some(STD), Py("memfd-exec", &[]), Fd3::None),
        OK,
    );

    // With /proc granted (no preset grants it), the descriptor numbers of
    // a process outside are listable (/proc/<pid>/fd needs only DAC); their
    // targets are not (path_cases).
    check(
        "list /proc/<outside>/fd with /proc granted",
        launch(
            &s,
            &out,
            Some(STD_PROC),
            Py("proc-listdir", &["{SLEEPER}", "fd"]),
            Fd3::None,
        ),
        Exit(0, "DATA 0 1"),
    );

    // File metadata outside the grants: Landlock has no right for modes,
    // times or extended attributes; the supervisor refuses them where Write
    // is not granted (they were a known limit before it). Their twins, in a
    // writable directory, are in supervisor.rs and metadata_escapes_are_denied.
    let s = fixture();
    check(
        "chmod a+rwx an ungranted dir",
        launch(
            &s,
            &out,
            Some(STD),
            Py("chmod", &["{S}/secret", "777"]),
            Fd3::None,
        ),
        Errno("EPERM"),
    );
    check(
        "utime an ungranted file",
        launch(
            &s,
            &out,
            Some(STD),
            Py("utime", &["{S}/secret/s.txt"]),
            Fd3::None,
        ),
        Errno("EPERM"),
    );
    check(
        "setxattr user.* on an ungranted file",
        launch(
            &s,
            &out,
            Some(STD),
            Py("setxattr", &["{S}/secret/s.txt", "user.nono", "01"]),
            Fd3::None,
        ),
        Errno("EPERM"),
    );
    check(
        "chmod 0 an ungranted file",
        launch(
            &s,
            &out,
            Some(STD),
            Py("chmod", &["{S}/secret/s.txt", "0"]),
            Fd3::None,
        ),
        Errno("EPERM"),
    );
    let meta = std::fs::metadata(s.join("secret/s.txt")).unwrap();
    assert_ne!(meta.mode() & 0o7777, 0, "chmod 0 took effect");
    assert_ne!(meta.mtime(), 0, "utime took effect");

    // What --keep-caps gives back (it warns): root's capabilities walk
    // around Landlock where no Landlock right applies. With /proc granted,
    // the kernel lets a caller with CAP_SYS_ADMIN open /proc/<pid>/environ
    // and maps of a process outside; owners of ungranted files change.
    if root {
        check(
            "--keep-caps: /proc/<outside>/environ with /proc granted",
            launch(
                &s,
                &out,
                Some(STD_PROC_KEEP),
                Py("proc-read", &["{SLEEPER}", "environ"]),
                Fd3::None,
            ),
            Exit(0, "NONO_SLEEPER_TOKEN=sleeper-env-token"),
        );
        check(
            "--keep-caps: /proc/<outside>/maps with /proc granted",
            launch(
                &s,
                &out,
                Some(STD_PROC_KEEP),
                Py("proc-read", &["{SLEEPER}", "maps"]),
                Fd3::None,
            ),
            Exit(0, "/usr/bin/sleep"),
        );
        check(
            "--keep-caps: chown an ungranted file",
            launch(
                &s,
                &out,
                Some(STD_KEEP),
                Py("chown", &["{S}/secret/s.txt", "1234", "1234"]),
                Fd3::None,
            ),
            // The supervisor judges owners by the grants, capabilities or
            // not.
            Errno("EPERM"),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
