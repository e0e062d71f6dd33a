//! The syscall guard (DESIGN.md section 7.1, issue 12): channels out of the
//! sandbox that Landlock does not govern and that need no path decision,
//! each tried for real as a hostile command would, each with a twin that
//! shows the same probe working (unconfined, with the opt-in flag, on the
//! allowed port, or on the caller itself), so no case can pass by the probe
//! failing for another reason.
//!
//! - TCP Fast Open: under `--net-connect P`, `sendto`/`sendmsg`/`sendmmsg`
//!   with `MSG_FASTOPEN` connects to any port without the `connect()`
//!   Landlock checks (IPv4 and IPv6): EACCES. `TCP_FASTOPEN_CONNECT` then
//!   `connect()` is checked by Landlock already (EACCES on another port, a
//!   reply on the granted one).
//! - Other processes' limits and priorities: `prlimit64`, `setpriority`
//!   (process and process group), `ioprio_set`, `sched_setaffinity`,
//!   `sched_setscheduler`, `sched_setparam`, `sched_setattr` aimed at a
//!   process outside (root's and another user's): EPERM, and the victim
//!   is unchanged; a pid with junk in its high half too. The command's own
//!   `nice`, `ionice`, `taskset`, `chrt`, `prlimit` and `setrlimit` (pid 0)
//!   still work; naming its own pid by number is refused, as documented.
//! - System V IPC: the host's message queue and shared memory segment
//!   cannot be seen, read, listed or written, as root (a private IPC
//!   namespace: ENOENT, and the command has System V IPC of its own, gone
//!   after the run) and as another user (refused, EPERM); with
//!   `--allow-sysv-ipc` the other user gets a private namespace too; where
//!   no user namespace can be made, `--allow-sysv-ipc` warns and shares
//!   the host's.
//! - Kernel keyrings: reading a key added outside, searching, adding and
//!   `request_key`: EPERM.
//! - setuid/setgid files by `open`, `openat`, `creat`, `mknod`, `mknodat`
//!   and `O_TMPFILE` (EACCES) and `openat2` (ENOSYS): nothing appears;
//!   mode 0755 works; unconfined, the same calls make set-id files.
//! - The terminal: `TIOCSETD` (a line discipline outlives the command) and
//!   `TIOCEXCL` (exclusive mode outlives it) on the inherited terminal:
//!   EACCES, and the terminal is unchanged; the Linux console's setters on
//!   a virtual terminal: EACCES even with root's capabilities kept.
//! - Host-wide facilities some hosts open to every user: `bpf`,
//!   `perf_event_open` of a whole CPU, `syslog`, io_uring, `fanotify`
//!   watching a directory outside the grants.
//! - What Landlock already closes, pinned so the README's list stays true:
//!   `kcmp`, `setns` into an outside process's namespace through a pidfd,
//!   a pidfd's namespace ioctls, POSIX message queues.
//!
//! The suite runs as root (as CI does). Where nono's capability drop would
//! refuse a call before the guard does, the case runs with `--keep-caps`,
//! so that the guard is what refuses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{NONO, Outcome, PYTHON, Scratch};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------
// The probe.
// ---------------------------------------------------------------------------

/// `OP ARGS...`: one attempt with real system calls. Prints `DATA ...` for
/// what it learned, then `OK` (exit 0); or the errno's name (exit 1, and
/// `failed at STEP` on stderr).
const PROBE: &str = r#"
import ctypes, errno, fcntl, os, select, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.shmat.restype = ctypes.c_void_p
op, args = sys.argv[1], sys.argv[2:]
step = op

def at(what):
    global step
    step = what

def check(what, r):
    at(what)
    if r == -1 or (isinstance(r, int) and r < 0):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r

def sc(what, *a):
    return check(what, libc.syscall(*[ctypes.c_long(x) if isinstance(x, int) else x for x in a]))

def peer(port):
    return ("127.0.0.1", int(port))

def reply(s):
    at("recv")
    s.settimeout(10)
    print("DATA " + s.recv(64).decode())

class Msg(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 64)]

IPC_CREAT, IPC_NOWAIT, IPC_RMID, MSG_COPY = 0o1000, 0o4000, 0, 0o40000
SHM_RDONLY = 0o10000
BAD = ctypes.c_void_p(-1).value

def shm_attach(what, shm, flags):
    at(what)
    p = libc.shmat(shm, None, flags)
    if p is None or p == BAD:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return p

def listed(ctl, info_cmd, stat_cmd):
    buf = ctypes.create_string_buffer(256)
    top = check("info", ctl(0, info_cmd, buf))
    keys = []
    for i in range(top + 1):
        if ctl(i, stat_cmd, buf) >= 0:
            keys.append("%#x" % struct.unpack_from("I", buf.raw, 0)[0])
    return keys

try:
    at("socket")
    if op == "connect":
        at("connect")
        s = socket.create_connection(peer(args[0]), timeout=10)
        s.sendall(b"connect")
        reply(s)
    elif op == "fastopen":
        s = socket.socket()
        at("sendto MSG_FASTOPEN")
        s.sendto(b"fastopen", socket.MSG_FASTOPEN, peer(args[0]))
        reply(s)
    elif op == "fastopen6":
        s = socket.socket(socket.AF_INET6)
        at("sendto MSG_FASTOPEN")
        s.sendto(b"fastopen6", socket.MSG_FASTOPEN, ("::ffff:127.0.0.1", int(args[0])))
        reply(s)
    elif op == "fastopen-sendmsg":
        s = socket.socket()
        at("sendmsg MSG_FASTOPEN")
        s.sendmsg([b"fastopen-sendmsg"], [], socket.MSG_FASTOPEN, peer(args[0]))
        reply(s)
    elif op == "fastopen-sendmmsg":
        s = socket.socket()
        sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H", int(args[0])) + socket.inet_aton("127.0.0.1") + bytes(8)
        name = ctypes.create_string_buffer(sin, 16)
        data = ctypes.create_string_buffer(b"fastopen-sendmmsg", 17)
        iov = (ctypes.c_uint64 * 2)(ctypes.addressof(data), 17)
        # struct mmsghdr: struct msghdr (name, namelen, iov, iovlen,
        # control, controllen, flags), then msg_len.
        hdr = struct.pack("=QI4xQQQQi4xI4x", ctypes.addressof(name), 16, ctypes.addressof(iov), 1, 0, 0, 0, 0)
        mmsg = ctypes.create_string_buffer(hdr, len(hdr))
        sc("sendmmsg MSG_FASTOPEN", 307, s.fileno(), mmsg, 1, socket.MSG_FASTOPEN)
        reply(s)
    elif op == "tfo-connect":
        s = socket.socket()
        at("setsockopt TCP_FASTOPEN_CONNECT")
        s.setsockopt(socket.IPPROTO_TCP, 30, 1)
        s.settimeout(10)
        at("connect")
        s.connect(peer(args[0]))
        at("send")
        s.sendall(b"tfo-connect")
        reply(s)
    elif op == "prlimit":
        # RLIMIT_CORE of PID (decimal or 0x...) to 0.
        limit = (ctypes.c_ulong * 2)(0, 0)
        sc("prlimit64", 302, int(args[0], 0), 4, limit, None)
    elif op == "setpriority":
        sc("setpriority", 141, int(args[0]), int(args[1]), int(args[2]))
    elif op == "setpriority-self":
        sc("setpriority", 141, 0, os.getpid(), 1)
    elif op == "ioprio":
        # WHICH WHO: the idle class.
        sc("ioprio_set", 251, int(args[0]), int(args[1]), 3 << 13)
    elif op == "affinity":
        mask = ctypes.c_ulong(1)
        sc("sched_setaffinity", 203, int(args[0]), 8, ctypes.byref(mask))
    elif op == "scheduler":
        param = ctypes.c_int(0)
        sc("sched_setscheduler", 144, int(args[0]), 5, ctypes.byref(param))
    elif op == "setparam":
        param = ctypes.c_int(0)
        sc("sched_setparam", 142, int(args[0]), ctypes.byref(param))
    elif op == "setattr":
        # struct sched_attr (version 0, 48 bytes): SCHED_IDLE.
        attr = ctypes.create_string_buffer(struct.pack("=IIQiIQQQ", 48, 5, 0, 0, 0, 0, 0, 0), 48)
        sc("sched_setattr", 314, int(args[0]), attr, 0)
    elif op == "setrlimit":
        import resource
        at("setrlimit")
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    elif op == "sysv-host":
        # A queue holding "host-secret" and a segment holding it, both
        # readable and writable by everyone, under KEY.
        k = int(args[0], 0)
        q = check("msgget", libc.msgget(k, IPC_CREAT | 0o666))
        m = Msg(1, b"host-secret")
        check("msgsnd", libc.msgsnd(q, ctypes.byref(m), 64, IPC_NOWAIT))
        shm = check("shmget", libc.shmget(k, 4096, IPC_CREAT | 0o666))
        p = shm_attach("shmat", shm, 0)
        ctypes.memmove(p, b"host-secret\0", 12)
        libc.shmdt(ctypes.c_void_p(p))
    elif op == "sysv-read":
        k = int(args[0], 0)
        q = check("msgget", libc.msgget(k, 0))
        m = Msg()
        check("msgrcv", libc.msgrcv(q, ctypes.byref(m), 64, 0, IPC_NOWAIT | MSG_COPY))
        print("DATA queue " + m.mtext.decode())
        shm = check("shmget", libc.shmget(k, 0, 0))
        p = shm_attach("shmat", shm, SHM_RDONLY)
        print("DATA segment " + ctypes.string_at(p).decode())
    elif op == "sysv-write":
        q = check("msgget", libc.msgget(int(args[0], 0), 0))
        m = Msg(1, b"from-the-sandbox")
        check("msgsnd", libc.msgsnd(q, ctypes.byref(m), 64, IPC_NOWAIT))
    elif op == "sysv-count":
        # How many messages the queue KEY holds.
        buf = ctypes.create_string_buffer(256)
        q = check("msgget", libc.msgget(int(args[0], 0), 0))
        check("msgctl", libc.msgctl(q, 2, buf))  # IPC_STAT
        # struct msqid_ds: ipc_perm (48), 3 times (24), __msg_cbytes, msg_qnum
        print("DATA %d" % struct.unpack_from("Q", buf.raw, 48 + 24 + 8)[0])
    elif op == "sysv-list":
        # Every queue and segment key in the namespace, as ipcs lists them.
        keys = listed(libc.msgctl, 12, 11) + listed(libc.shmctl, 14, 13)
        print("DATA keys " + " ".join(keys))
    elif op == "sysv-own":
        # A queue, a segment and a semaphore set of its own.
        q = check("msgget own", libc.msgget(0, IPC_CREAT | 0o600))
        m = Msg(1, b"own-message")
        check("msgsnd own", libc.msgsnd(q, ctypes.byref(m), 64, 0))
        r = Msg()
        check("msgrcv own", libc.msgrcv(q, ctypes.byref(r), 64, 0, 0))
        shm = check("shmget own", libc.shmget(0, 4096, IPC_CREAT | 0o600))
        p = shm_attach("shmat own", shm, 0)
        ctypes.memmove(p, b"own-segment\0", 12)
        seg = ctypes.string_at(p).decode()
        sem = check("semget own", libc.semget(0, 1, IPC_CREAT | 0o600))
        ops = struct.pack("=Hhh", 0, 1, 0)
        check("semop own", libc.semop(sem, ctypes.create_string_buffer(ops, 6), 1))
        print("DATA " + r.mtext.decode() + " " + seg)
        libc.shmdt(ctypes.c_void_p(p))
        for ctl, ident in ((libc.msgctl, q), (libc.shmctl, shm)):
            check("remove", ctl(ident, IPC_RMID, None))
        check("remove", libc.semctl(sem, 0, IPC_RMID))
    elif op == "caps":
        # The effective, permitted and inheritable capability sets.
        header = ctypes.create_string_buffer(struct.pack("=Ii", 0x20080522, 0), 8)
        data = ctypes.create_string_buffer(24)
        sc("capget", 125, header, data)
        words = struct.unpack("=6I", data.raw)
        print("DATA %x %x %x" % (words[0] | words[3] << 32, words[1] | words[4] << 32, words[2] | words[5] << 32))
    elif op == "sysv-leave":
        # A queue under KEY, left behind for whoever comes next.
        check("msgget", libc.msgget(int(args[0], 0), IPC_CREAT | 0o600))
    elif op == "sysv-clean":
        k = int(args[0], 0)
        for get, ctl in ((libc.msgget, libc.msgctl), (lambda k, f: libc.shmget(k, 0, f), libc.shmctl)):
            ident = get(k, 0)
            if ident >= 0:
                check("remove", ctl(ident, IPC_RMID, None))
    elif op == "key-add":
        # A user key DESC in the user keyring (-4), holding "keyring-secret".
        ident = sc("add_key", 248, b"user", args[0].encode(), b"keyring-secret", 14, -4)
        print("DATA %d" % ident)
    elif op == "key-read":
        buf = ctypes.create_string_buffer(64)
        n = sc("keyctl read", 250, 11, int(args[0]), buf, 64)
        print("DATA " + buf.raw[:n].decode())
    elif op == "key-search":
        ident = sc("keyctl search", 250, 10, -4, b"user", args[0].encode(), 0)
        print("DATA %d" % ident)
    elif op == "key-add-own":
        # Into the process keyring (-2), which dies with the process.
        sc("add_key", 248, b"user", b"nono-probe", b"x", 1, -2)
    elif op == "key-request":
        sc("request_key", 249, b"user", args[0].encode(), None, 0)
    elif op == "key-unlink":
        sc("keyctl unlink", 250, 9, int(args[0]), -4)
    elif op == "mkfile":
        # HOW PATH MODE: create PATH with MODE (octal) by HOW; print its mode.
        how, path, mode = args[0], args[1], int(args[2], 8)
        flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
        if how == "open":
            sc(how, 2, path.encode(), flags, mode)
        elif how == "openat":
            sc(how, 257, -100, path.encode(), flags, mode)
        elif how == "creat":
            sc(how, 85, path.encode(), mode)
        elif how == "mknod":
            sc(how, 133, path.encode(), 0o100000 | mode, 0)
        elif how == "mknodat":
            sc(how, 259, -100, path.encode(), 0o100000 | mode, 0)
        elif how == "openat2":
            how_ = ctypes.create_string_buffer(struct.pack("=QQQ", flags, mode, 0), 24)
            sc(how, 437, -100, path.encode(), how_, 24)
        elif how == "tmpfile":
            # O_TMPFILE in PATH's directory, then linked in by name.
            fd = sc(how, 257, -100, os.path.dirname(path).encode(), 0o20200000 | os.O_WRONLY, mode)
            sc("linkat", 265, fd, b"", -100, path.encode(), 0x1000)  # AT_EMPTY_PATH
        at("stat")
        print("DATA %o" % (os.stat(path).st_mode & 0o7777))
    elif op == "ioctl":
        # REQ, on the terminal on stdin, with no argument.
        at("ioctl %s" % args[0])
        fcntl.ioctl(0, int(args[0], 0))
    elif op == "ioctl-int":
        # REQ INT, with a pointer to INT.
        at("ioctl %s" % args[0])
        fcntl.ioctl(0, int(args[0], 0), struct.pack("i", int(args[1])))
    elif op == "vt-noop":
        # On the virtual terminal on stdin: read its state, then write the
        # same state back (switch to the active console, set the LEDs as
        # they are), which changes nothing when allowed.
        st = bytearray(6)
        at("VT_GETSTATE")
        fcntl.ioctl(0, 0x5603, st)
        active = struct.unpack("HHH", bytes(st))[0]
        at("KDGETLED")
        leds = fcntl.ioctl(0, 0x4B31, b"\0")[0]
        at("KDGETMODE")
        fcntl.ioctl(0, 0x4B3B, b"\0\0\0\0")
        print("DATA reads")
        at("VT_ACTIVATE")
        fcntl.ioctl(0, 0x5606, active)
        at("KDSETLED")
        fcntl.ioctl(0, 0x4B32, leds)
    elif op == "perf":
        # PID CPU [CGROUP_DIR]: a software clock counter, user space only.
        attr = ctypes.create_string_buffer(128)
        struct.pack_into("=IIQ", attr, 0, 1, 128, 0)
        struct.pack_into("=Q", attr, 40, (1 << 5) | (1 << 6))
        pid, cpu, flags = int(args[0]), int(args[1]), 0
        if len(args) > 2:
            at("open the cgroup")
            pid, flags = os.open(args[2], os.O_RDONLY | os.O_DIRECTORY), 1 << 2
        sc("perf_event_open", 298, attr, pid, cpu, -1, flags)
    elif op == "bpf":
        # BPF_MAP_CREATE: an array of one 4-byte value.
        attr = ctypes.create_string_buffer(struct.pack("=IIII", 2, 4, 4, 1), 120)
        sc("bpf", 321, 0, attr, 120)
    elif op == "syslog":
        print("DATA %d" % sc("syslog", 103, 10, None, 0))
    elif op == "io-uring":
        sc("io_uring_setup", 425, 4, ctypes.create_string_buffer(120))
    elif op == "fanotify":
        # DIR NAME: watch DIR for creations, create DIR/NAME, print the
        # event's name.
        fd = sc("fanotify_init", 300, 0x200 | 0x400 | 0x800, os.O_RDONLY)
        sc("fanotify_mark", 301, fd, 1, 0x100 | 0x08000000, -100, args[0].encode())
        at("create")
        os.close(os.open(os.path.join(args[0], args[1]), os.O_CREAT | os.O_WRONLY, 0o600))
        at("read the event")
        ready = select.select([fd], [], [], 10)[0]
        data = os.read(fd, 4096) if ready else b""
        print("DATA " + ("saw " + args[1] if args[1].encode() in data else "nothing"))
    elif op == "kcmp":
        sc("kcmp", 312, os.getpid(), int(args[0]), 0, 0, 0)
    elif op == "setns":
        pidfd = sc("pidfd_open", 434, int(args[0]), 0)
        sc("setns", 308, pidfd, 0x08000000)
    elif op == "pidfd-ns":
        pidfd = sc("pidfd_open", 434, int(args[0]), 0)
        sc("PIDFD_GET_IPC_NAMESPACE", 16, pidfd, 0xFF03, 0)
    elif op == "pidfd-signal":
        # Signal 0: permission is checked, nothing is delivered.
        pidfd = sc("pidfd_open", 434, int(args[0]), 0)
        sc("pidfd_send_signal", 424, pidfd, 0, None, 0)
    elif op == "mq-open":
        sc("mq_open", 240, args[0].encode(), os.O_CREAT | os.O_RDWR, 0o600, None)
    elif op == "mq-unlink":
        sc("mq_unlink", 241, args[0].encode())
    else:
        sys.exit("unknown probe op " + op)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    print("failed at " + step, file=sys.stderr)
    sys.exit(1)
"#;

/// `setpriv` arguments that run the rest of a command line as uid and gid
/// 65534 (`nobody`) with no supplementary groups.
const NOBODY: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

/// Who runs the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Root,
    Nobody,
}

/// A command line in the scratch directory with the environment nono's
/// tests give it (fake home, own cache), as `who`.
fn command(s: &Scratch, who: Who, argv: &[String]) -> Command {
    let mut full: Vec<String> = match who {
        Who::Root => Vec::new(),
        Who::Nobody => NOBODY.iter().map(|a| (*a).to_owned()).collect(),
    };
    full.extend(argv.iter().cloned());
    let mut cmd = Command::new(&full[0]);
    cmd.args(&full[1..])
        .current_dir(s.path())
        .env("HOME", s.home())
        .env("XDG_CONFIG_HOME", s.home().join(".config"))
        .env("XDG_CACHE_HOME", s.cache_home())
        .env_remove("NONO_PLUGIN_CACHE")
        .env_remove("NONO_PLUGIN_PATH")
        .env_remove("RUST_LOG")
        .env_remove("TMPDIR");
    cmd
}

/// The probe's argv: `python3 -I -c PROBE OP ARGS...`.
fn probe(op: &str, args: &[&str]) -> Vec<String> {
    let mut argv = vec![
        PYTHON.to_owned(),
        "-I".to_owned(),
        "-c".to_owned(),
        PROBE.to_owned(),
        op.to_owned(),
    ];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    argv
}

/// `nono run FLAGS... -- ARGV...`.
fn sandboxed(flags: &[&str], argv: Vec<String>) -> Vec<String> {
    let mut full = vec![NONO.to_owned(), "run".to_owned()];
    full.extend(flags.iter().map(|f| (*f).to_owned()));
    full.push("--".to_owned());
    full.extend(argv);
    full
}

/// The probe `op ARGS` under `nono run FLAGS`, as `who`.
fn inside(s: &Scratch, who: Who, flags: &[&str], op: &str, args: &[&str]) -> Outcome {
    Outcome::of(&mut command(s, who, &sandboxed(flags, probe(op, args))))
}

/// The probe `op ARGS` with no sandbox, as `who`.
fn outside(s: &Scratch, who: Who, op: &str, args: &[&str]) -> Outcome {
    Outcome::of(&mut command(s, who, &probe(op, args)))
}

/// A scratch directory that uid 65534 can reach (the fake home stays
/// closed to it, as a real one would be).
fn scratch() -> Scratch {
    let s = Scratch::new();
    std::fs::set_permissions(s.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    s
}

impl Checks for Outcome {}

/// Assertions on a probe's outcome.
trait Checks: std::borrow::Borrow<Outcome> {
    /// The probe failed with `errno` at `step`.
    #[track_caller]
    fn refused(&self, errno: &str, step: &str) {
        let out = self.borrow();
        assert_eq!(out.code, Some(1), "{out:#?}");
        assert_eq!(out.stdout.trim().lines().last(), Some(errno), "{out:#?}");
        assert!(
            out.stderr.contains(&format!("failed at {step}\n")),
            "expected a failure at {step}: {out:#?}"
        );
    }

    /// The probe succeeded; returns its `DATA` lines.
    #[track_caller]
    fn works(&self) -> Vec<String> {
        let out = self.borrow();
        assert_eq!(out.code, Some(0), "{out:#?}");
        assert_eq!(out.stdout.trim().lines().last(), Some("OK"), "{out:#?}");
        out.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("DATA "))
            .map(str::to_owned)
            .collect()
    }
}

// ---------------------------------------------------------------------------
// 1. TCP Fast Open.
// ---------------------------------------------------------------------------

/// A TCP server on 127.0.0.1 that answers each connection's first message
/// with `pong:MESSAGE`, and remembers the messages.
struct Server {
    port: u16,
    heard: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&heard);
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let mut buf = [0u8; 64];
                let n = conn.read(&mut buf).unwrap_or(0);
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                let _ = conn.write_all(format!("pong:{msg}").as_bytes());
                log.lock().unwrap().push(msg);
            }
        });
        Server { port, heard }
    }

    fn port(&self) -> String {
        self.port.to_string()
    }

    fn heard(&self) -> Vec<String> {
        self.heard.lock().unwrap().clone()
    }
}

/// Under `--net-connect` to another port, Fast Open data connects to the
/// server without the `connect()` Landlock checks: the guard refuses
/// `MSG_FASTOPEN` on all three calls, on IPv4 and IPv6, and the server
/// hears nothing. Twins: the same probes reach the server unconfined and
/// under nono without port rules.
#[test]
fn fast_open_cannot_reach_a_port_the_rules_do_not_grant() {
    let s = scratch();
    let server = Server::start();
    let port = server.port();
    let ops = [
        ("fastopen", "sendto MSG_FASTOPEN"),
        ("fastopen6", "sendto MSG_FASTOPEN"),
        ("fastopen-sendmsg", "sendmsg MSG_FASTOPEN"),
        ("fastopen-sendmmsg", "sendmmsg MSG_FASTOPEN"),
    ];
    for (op, step) in ops {
        inside(&s, Who::Root, &["--net-connect", "443"], op, &[&port]).refused("EACCES", step);
        inside(&s, Who::Nobody, &["--net-connect", "443"], op, &[&port]).refused("EACCES", step);
        // The granted port is refused too: seccomp cannot see the address.
        inside(&s, Who::Root, &["--net-connect", &port], op, &[&port]).refused("EACCES", step);
        inside(&s, Who::Root, &["--net-bind", "8080"], op, &[&port]).refused("EACCES", step);
    }
    assert_eq!(server.heard(), Vec::<String>::new());
    for (op, _) in ops {
        let reply = format!("pong:{op}");
        assert_eq!(
            outside(&s, Who::Root, op, &[&port]).works(),
            [reply.as_str()]
        );
        assert_eq!(inside(&s, Who::Root, &[], op, &[&port]).works(), [reply]);
    }
    // Without port rules there is nothing to bypass; --net-block has no TCP
    // socket at all.
    inside(&s, Who::Root, &["--net-block"], "fastopen", &[&port]).refused("EACCES", "socket");
}

/// `TCP_FASTOPEN_CONNECT` defers the handshake to the first write, but the
/// destination comes from `connect()`, which Landlock checks: refused on
/// another port, a reply on the granted one. No guard entry is needed.
#[test]
fn fast_open_connect_goes_through_the_checked_connect() {
    let s = scratch();
    let server = Server::start();
    let port = server.port();
    inside(
        &s,
        Who::Root,
        &["--net-connect", "443"],
        "tfo-connect",
        &[&port],
    )
    .refused("EACCES", "connect");
    inside(
        &s,
        Who::Root,
        &["--net-connect", "443"],
        "connect",
        &[&port],
    )
    .refused("EACCES", "connect");
    assert_eq!(server.heard(), Vec::<String>::new());
    assert_eq!(
        inside(
            &s,
            Who::Root,
            &["--net-connect", &port],
            "tfo-connect",
            &[&port]
        )
        .works(),
        ["pong:tfo-connect"]
    );
    assert_eq!(
        inside(
            &s,
            Who::Root,
            &["--net-connect", &port],
            "connect",
            &[&port]
        )
        .works(),
        ["pong:connect"]
    );
}

// ---------------------------------------------------------------------------
// 2. Other processes' limits and priorities.
// ---------------------------------------------------------------------------

/// A `sleep` outside the sandbox, in a process group of its own, killed on
/// drop.
struct Victim(Child);

impl Victim {
    fn start(who: Who) -> Victim {
        let mut argv: Vec<&str> = match who {
            Who::Root => Vec::new(),
            Who::Nobody => NOBODY.to_vec(),
        };
        argv.extend(["sleep", "600"]);
        let child = Command::new(argv[0])
            .args(&argv[1..])
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Victim(child)
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }

    /// Its soft RLIMIT_CORE, nice value, scheduling policy, CPUs and I/O
    /// priority, as the kernel shows them.
    fn state(&self) -> (String, String, String, String, String) {
        let pid = self.0.id();
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap()
            .split_whitespace()
            .nth(4)
            .unwrap()
            .to_owned();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
        // Fields 19 (nice) and 41 (policy), counted from 1 with pid and
        // comm before the ones split here.
        let (nice, policy) = (fields[16].to_owned(), fields[38].to_owned());
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let cpus = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap()
            .trim()
            .to_owned();
        let ionice = Command::new("ionice")
            .args(["-p", &pid.to_string()])
            .output()
            .unwrap();
        let io = String::from_utf8_lossy(&ionice.stdout).trim().to_owned();
        (core, nice, policy, cpus, io)
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every way to change another process's limits, priority or CPUs, aimed
/// at `victim` (and its process group), with the probe's step name.
fn aimed_at(victim: &Victim) -> Vec<(&'static str, Vec<String>, &'static str)> {
    let pid = victim.pid();
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    vec![
        ("prlimit", s(&[&pid]), "prlimit64"),
        ("setpriority", s(&["0", &pid, "5"]), "setpriority"),
        // PRIO_PGRP: the victim leads its own group.
        ("setpriority", s(&["1", &pid, "6"]), "setpriority"),
        ("ioprio", s(&["1", &pid]), "ioprio_set"),
        // IOPRIO_WHO_PGRP.
        ("ioprio", s(&["2", &pid]), "ioprio_set"),
        ("affinity", s(&[&pid]), "sched_setaffinity"),
        ("scheduler", s(&[&pid]), "sched_setscheduler"),
        ("setparam", s(&[&pid]), "sched_setparam"),
        ("setattr", s(&[&pid]), "sched_setattr"),
    ]
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// As another user (where the kernel itself allows it all on the user's
/// own processes): each call aimed at a process outside is refused (EPERM)
/// and the victim keeps its state. Twin: the same calls, unconfined, change
/// another victim.
#[test]
fn other_processes_limits_and_priorities_are_out_of_reach() {
    let s = scratch();
    let victim = Victim::start(Who::Nobody);
    let before = victim.state();
    for (op, args, step) in aimed_at(&victim) {
        inside(&s, Who::Nobody, &[], op, &refs(&args)).refused("EPERM", step);
    }
    // The pid with junk in the high half, which the kernel ignores.
    let high = format!("{:#x}", (1u64 << 32) | u64::from(victim.0.id()));
    inside(&s, Who::Nobody, &[], "prlimit", &[&high]).refused("EPERM", "prlimit64");
    // Every process of the user (PRIO_USER, IOPRIO_WHO_USER), and the
    // caller's own process group, which may hold processes outside.
    inside(&s, Who::Nobody, &[], "setpriority", &["2", "0", "7"]).refused("EPERM", "setpriority");
    inside(&s, Who::Nobody, &[], "setpriority", &["1", "0", "7"]).refused("EPERM", "setpriority");
    inside(&s, Who::Nobody, &[], "ioprio", &["3", "0"]).refused("EPERM", "ioprio_set");
    assert_eq!(victim.state(), before, "the victim changed");

    let twin = Victim::start(Who::Nobody);
    let twin_before = twin.state();
    for (op, args, _) in aimed_at(&twin) {
        outside(&s, Who::Nobody, op, &refs(&args)).works();
    }
    let after = twin.state();
    assert_eq!(after.0, "0", "RLIMIT_CORE: {after:?}");
    assert_eq!(after.1, "6", "nice: {after:?}");
    assert_eq!(after.2, "5", "SCHED_IDLE: {after:?}");
    assert_eq!(after.3, "0", "CPUs: {after:?}");
    assert!(after.4.starts_with("idle"), "I/O class: {after:?}");
    assert_ne!(after, twin_before);
}

/// As root, capability dropping already keeps priorities and CPUs of
/// processes with more capabilities out of reach, but not their limits:
/// `prlimit64` on a root process outside is the guard's (EPERM). Twin:
/// unconfined it works.
#[test]
fn root_cannot_set_the_limits_of_a_process_outside() {
    let s = scratch();
    let victim = Victim::start(Who::Root);
    let before = victim.state();
    for (op, args, step) in aimed_at(&victim) {
        inside(&s, Who::Root, &[], op, &refs(&args)).refused("EPERM", step);
        inside(&s, Who::Root, &["--keep-caps"], op, &refs(&args)).refused("EPERM", step);
    }
    assert_eq!(victim.state(), before);
    outside(&s, Who::Root, "prlimit", &[&victim.pid()]).works();
    assert_eq!(victim.state().0, "0");
}

/// The command sets its own limits, nice value, I/O class, CPUs and
/// scheduling policy as the usual tools do (pid 0): all work inside, as
/// root and as another user. Naming its own pid by number is refused (the
/// documented price: seccomp cannot tell which pids are in the sandbox).
#[test]
fn the_command_still_sets_its_own_limits_and_priorities() {
    let s = scratch();
    let tools: [&[&str]; 6] = [
        &["nice", "-n", "5", "/bin/true"],
        &["ionice", "-c", "3", "/bin/true"],
        &["taskset", "-c", "0", "/bin/true"],
        &["chrt", "-i", "0", "/bin/true"],
        &["prlimit", "--core=0", "/bin/true"],
        &["/bin/sh", "-c", "ulimit -c 0 && ulimit -n 64"],
    ];
    for who in [Who::Root, Who::Nobody] {
        for tool in tools {
            let argv: Vec<String> = tool.iter().map(|a| (*a).to_owned()).collect();
            Outcome::of(&mut command(&s, who, &sandboxed(&[], argv))).expect_ok();
        }
        for (op, args) in [
            ("setrlimit", vec![]),
            ("prlimit", vec!["0"]),
            ("setpriority", vec!["0", "0", "3"]),
            ("ioprio", vec!["1", "0"]),
            ("affinity", vec!["0"]),
            ("scheduler", vec!["0"]),
            ("setparam", vec!["0"]),
            ("setattr", vec!["0"]),
        ] {
            inside(&s, who, &[], op, &args).works();
        }
        inside(&s, who, &[], "setpriority-self", &[]).refused("EPERM", "setpriority");
        outside(&s, who, "setpriority-self", &[]).works();
    }
}

// ---------------------------------------------------------------------------
// 3. System V IPC and keyrings.
// ---------------------------------------------------------------------------

/// A key for this test's System V objects, unique to the test process and
/// `n`.
fn sysv_key(n: u32) -> String {
    format!(
        "{:#x}",
        0x6e6f_0000 | ((std::process::id() & 0xfff) << 4) | n
    )
}

/// The host's queue and segment under a key, removed on drop.
struct HostObjects<'a> {
    s: &'a Scratch,
    key: String,
}

impl<'a> HostObjects<'a> {
    fn create(s: &'a Scratch, n: u32) -> HostObjects<'a> {
        let key = sysv_key(n);
        outside(s, Who::Root, "sysv-clean", &[&key]).works();
        outside(s, Who::Root, "sysv-host", &[&key]).works();
        HostObjects { s, key }
    }

    fn messages(&self) -> Vec<String> {
        outside(self.s, Who::Root, "sysv-count", &[&self.key]).works()
    }
}

impl Drop for HostObjects<'_> {
    fn drop(&mut self) {
        let _ = outside(self.s, Who::Root, "sysv-clean", &[&self.key]);
    }
}

/// As root the command gets a private IPC namespace: the host's queue and
/// segment do not exist there (ENOENT), are not listed, and cannot be
/// written; the command has System V IPC of its own, and what it leaves
/// behind is gone after the run. The same with `--allow-sysv-ipc`. Twin:
/// unconfined, the probe reads both and lists the key.
#[test]
fn the_hosts_system_v_objects_are_out_of_reach_as_root() {
    let s = scratch();
    let host = HostObjects::create(&s, 1);
    let key = host.key.clone();
    let count = host.messages();
    for flags in [&[][..], &["--allow-sysv-ipc"][..]] {
        inside(&s, Who::Root, flags, "sysv-read", &[&key]).refused("ENOENT", "msgget");
        inside(&s, Who::Root, flags, "sysv-write", &[&key]).refused("ENOENT", "msgget");
        let listed = inside(&s, Who::Root, flags, "sysv-list", &[]).works();
        assert!(!listed[0].contains(&key), "{listed:?}");
        assert_eq!(
            inside(&s, Who::Root, flags, "sysv-own", &[]).works(),
            ["own-message own-segment"]
        );
        let left = sysv_key(2);
        inside(&s, Who::Root, flags, "sysv-leave", &[&left]).works();
        outside(&s, Who::Root, "sysv-count", &[&left]).refused("ENOENT", "msgget");
    }
    inside(&s, Who::Root, &["-v"], "sysv-own", &[])
        .expect_stderr("nono: System V IPC: a private IPC namespace: the command's own objects, none of the host's");
    assert_eq!(host.messages(), count, "the host's queue changed");
    assert_eq!(
        outside(&s, Who::Root, "sysv-read", &[&key]).works(),
        ["queue host-secret", "segment host-secret"]
    );
    assert!(outside(&s, Who::Root, "sysv-list", &[]).works()[0].contains(&key));
}

/// As another user, by default, System V IPC is refused (EPERM: no IPC
/// namespace without a user namespace, which nono makes only when asked).
/// With `--allow-sysv-ipc` it gets a private one in a new user namespace:
/// its own objects work, the host's do not exist there. Twin: unconfined,
/// the same user reads the host's (they are open to everyone).
#[test]
fn the_hosts_system_v_objects_are_out_of_reach_as_another_user() {
    let s = scratch();
    let host = HostObjects::create(&s, 3);
    let key = host.key.clone();
    let count = host.messages();
    inside(&s, Who::Nobody, &[], "sysv-read", &[&key]).refused("EPERM", "msgget");
    inside(&s, Who::Nobody, &[], "sysv-write", &[&key]).refused("EPERM", "msgget");
    inside(&s, Who::Nobody, &[], "sysv-list", &[]).refused("EPERM", "info");
    inside(&s, Who::Nobody, &[], "sysv-own", &[]).refused("EPERM", "msgget own");
    let flag = ["--allow-sysv-ipc"];
    inside(&s, Who::Nobody, &flag, "sysv-read", &[&key]).refused("ENOENT", "msgget");
    inside(&s, Who::Nobody, &flag, "sysv-write", &[&key]).refused("ENOENT", "msgget");
    assert_eq!(
        inside(&s, Who::Nobody, &flag, "sysv-own", &[]).works(),
        ["own-message own-segment"]
    );
    let verbose = inside(
        &s,
        Who::Nobody,
        &["-v", "--allow-sysv-ipc"],
        "sysv-own",
        &[],
    );
    verbose.expect_stderr("in a new user namespace");
    verbose.expect_no_stderr("WARNING");
    // The user namespace gave nono every capability inside it; the command,
    // executed as the same non-root user, has none left.
    assert_eq!(
        inside(&s, Who::Nobody, &flag, "caps", &[]).works(),
        ["0 0 0"]
    );
    assert_eq!(host.messages(), count, "the host's queue changed");
    assert_eq!(
        outside(&s, Who::Nobody, "sysv-read", &[&key]).works(),
        ["queue host-secret", "segment host-secret"]
    );
}

/// A wrapper that makes user namespaces unavailable to the command it runs
/// (as some hosts do): a seccomp filter refusing `unshare` and `clone`
/// with `CLONE_NEWUSER` (EPERM) and `clone3` (ENOSYS, so callers use
/// `clone`), then exec.
const NO_USERNS: &str = r#"
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def stmt(code, k): return struct.pack("=HBBI", code, 0, 0, k)
def jump(code, k, jt, jf): return struct.pack("=HBBI", code, jt, jf, k)
prog = b"".join([
    stmt(0x20, 4),                       # ld arch
    jump(0x15, 0xC000003E, 1, 0),        # x86_64?
    stmt(0x06, 0x7FFF0000),              # other: allow
    stmt(0x20, 0),                       # ld nr
    jump(0x15, 435, 0, 1),               # clone3
    stmt(0x06, 0x00050000 | 38),         #   ENOSYS
    jump(0x15, 272, 1, 0),               # unshare
    jump(0x15, 56, 0, 3),                # clone
    stmt(0x20, 16),                      # ld args[0]
    jump(0x45, 0x10000000, 0, 1),        # CLONE_NEWUSER?
    stmt(0x06, 0x00050000 | 1),          #   EPERM
    stmt(0x06, 0x7FFF0000),              # allow
])
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]
p = Prog(len(prog) // 8, prog)
assert libc.prctl(38, 1, 0, 0, 0) == 0
assert libc.prctl(22, 2, ctypes.byref(p), 0, 0) == 0
os.execvp(sys.argv[1], sys.argv[1:])
"#;

/// Where no user namespace can be made, `--allow-sysv-ipc` as another
/// user shares the host's IPC namespace, as the kernel allows it, and says
/// so with a WARNING line; without the flag it stays refused. The twin in
/// the same place: `unshare -U` fails there, so the wrapper is what takes
/// the user namespace away.
#[test]
fn allow_sysv_ipc_without_a_user_namespace_shares_the_hosts_with_a_warning() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: the wrapper's filter is written for x86_64");
        return;
    }
    let s = scratch();
    let host = HostObjects::create(&s, 4);
    let key = host.key.clone();
    let wrapped = |argv: Vec<String>| {
        let mut full = vec![
            PYTHON.to_owned(),
            "-I".to_owned(),
            "-c".to_owned(),
            NO_USERNS.to_owned(),
        ];
        full.extend(NOBODY.iter().map(|a| (*a).to_owned()));
        full.extend(argv);
        Outcome::of(&mut command(&s, Who::Root, &full))
    };
    let shared = wrapped(sandboxed(
        &["--allow-sysv-ipc"],
        probe("sysv-read", &[&key]),
    ));
    assert_eq!(shared.works(), ["queue host-secret", "segment host-secret"]);
    let warnings: Vec<&str> = shared
        .stderr
        .lines()
        .filter(|l| l.starts_with("nono: WARNING: --allow-sysv-ipc: no private IPC namespace here"))
        .collect();
    assert_eq!(warnings.len(), 1, "{shared:#?}");
    assert!(warnings[0].contains("the command can reach the host's System V IPC objects"));
    wrapped(sandboxed(&[], probe("sysv-read", &[&key]))).refused("EPERM", "msgget");
    let unshare = wrapped(vec![
        "unshare".to_owned(),
        "-U".to_owned(),
        "true".to_owned(),
    ]);
    assert_ne!(unshare.code, Some(0), "{unshare:#?}");
    let check = wrapped(vec![NONO.to_owned(), "check".to_owned()]);
    check
        .expect_ok()
        .expect_stdout("the host's with --allow-sysv-ipc (no namespace can be made here)");
    // Unwrapped, the same user gets its user namespace.
    let plain = Outcome::of(&mut command(
        &s,
        Who::Nobody,
        &["unshare".to_owned(), "-U".to_owned(), "true".to_owned()],
    ));
    plain.expect_ok();
}

/// A user key added outside, removed on drop.
struct HostKey<'a> {
    s: &'a Scratch,
    id: String,
    desc: String,
}

impl<'a> HostKey<'a> {
    fn add(s: &'a Scratch) -> HostKey<'a> {
        let desc = format!("nono-guard-test-{}", std::process::id());
        let id = outside(s, Who::Root, "key-add", &[&desc]).works().remove(0);
        HostKey { s, id, desc }
    }
}

impl Drop for HostKey<'_> {
    fn drop(&mut self) {
        let _ = outside(self.s, Who::Root, "key-unlink", &[&self.id]);
    }
}

/// A key added outside to the user keyring cannot be read or found, no key
/// can be added, and `request_key` (which can make the kernel run a helper
/// outside) is refused: EPERM, whatever the capabilities. Twins:
/// unconfined, the key is read and found, a key is added, and
/// `request_key` reaches the kernel (ENOKEY for a key nobody has).
#[test]
fn kernel_keyrings_are_refused() {
    let s = scratch();
    let key = HostKey::add(&s);
    let missing = format!("{}-missing", key.desc);
    for flags in [&[][..], &["--keep-caps"][..]] {
        inside(&s, Who::Root, flags, "key-read", &[&key.id]).refused("EPERM", "keyctl read");
        inside(&s, Who::Root, flags, "key-search", &[&key.desc]).refused("EPERM", "keyctl search");
        inside(&s, Who::Root, flags, "key-add-own", &[]).refused("EPERM", "add_key");
        inside(&s, Who::Root, flags, "key-request", &[&missing]).refused("EPERM", "request_key");
    }
    inside(&s, Who::Nobody, &[], "key-add-own", &[]).refused("EPERM", "add_key");
    assert_eq!(
        outside(&s, Who::Root, "key-read", &[&key.id]).works(),
        ["keyring-secret"]
    );
    assert_eq!(
        outside(&s, Who::Root, "key-search", &[&key.desc]).works(),
        [key.id.as_str()]
    );
    outside(&s, Who::Root, "key-add-own", &[]).works();
    outside(&s, Who::Nobody, "key-add-own", &[]).works();
    outside(&s, Who::Root, "key-request", &[&missing]).refused("ENOKEY", "request_key");
}

// ---------------------------------------------------------------------------
// 4. setuid and setgid files.
// ---------------------------------------------------------------------------

/// As root, in a writable grant: `open`, `openat`, `creat`, `mknod`,
/// `mknodat` and `O_TMPFILE` with mode 04755 or 02755 are refused (EACCES)
/// and `openat2` is missing (ENOSYS, so callers fall back to `openat`);
/// nothing is created. Twins: the same calls with mode 0755 work inside,
/// and unconfined they make set-id files.
#[test]
fn no_call_creates_a_setuid_or_setgid_file() {
    let s = scratch();
    let rw = s.mkdir("rw");
    let allow = ["--allow", "rw"];
    let ways = [
        "open", "openat", "creat", "mknod", "mknodat", "tmpfile", "openat2",
    ];
    for how in ways {
        for mode in ["4755", "2755", "6755"] {
            let path = rw.join(format!("{how}-{mode}"));
            let p = path.to_str().unwrap();
            let errno = if how == "openat2" { "ENOSYS" } else { "EACCES" };
            let step = if how == "tmpfile" { "tmpfile" } else { how };
            inside(&s, Who::Root, &allow, "mkfile", &[how, p, mode]).refused(errno, step);
            assert!(!path.exists(), "{} was created", path.display());
        }
        let plain = rw.join(format!("{how}-plain"));
        let p = plain.to_str().unwrap();
        match how {
            // Linking an O_TMPFILE file by name needs /proc; the open
            // itself is what the guard judges.
            "tmpfile" => {}
            // Missing whatever the mode: callers fall back to openat.
            "openat2" => inside(&s, Who::Root, &allow, "mkfile", &[how, p, "755"])
                .refused("ENOSYS", "openat2"),
            _ => assert_eq!(
                inside(&s, Who::Root, &allow, "mkfile", &[how, p, "755"]).works(),
                ["755"]
            ),
        }
        let setid = rw.join(format!("{how}-outside"));
        let p = setid.to_str().unwrap();
        assert_eq!(
            outside(&s, Who::Root, "mkfile", &[how, p, "6755"]).works(),
            ["6755"]
        );
        assert_eq!(std::fs::metadata(&setid).unwrap().mode() & 0o6000, 0o6000);
    }
    // Only the twins' files are there.
    let mut names: Vec<String> = std::fs::read_dir(&rw)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names
            .iter()
            .all(|n| n.ends_with("-plain") || n.ends_with("-outside")),
        "{names:?}"
    );
}

// ---------------------------------------------------------------------------
// 5. The terminal.
// ---------------------------------------------------------------------------

/// Runs ARGV with a new pty's slave as stdin and prints the terminal's line
/// discipline and exclusive mode afterwards, as the next program on it
/// would find them.
const PTY_HELPER: &str = r#"
import fcntl, os, pty, struct, subprocess, sys
m, s = pty.openpty()
r = subprocess.run(sys.argv[1:], stdin=s, capture_output=True, text=True)
sys.stdout.write(r.stdout)
sys.stderr.write(r.stderr)
try:
    ldisc = struct.unpack("i", fcntl.ioctl(s, 0x5424, b"\0" * 4))[0]  # TIOCGETD
    excl = struct.unpack("i", fcntl.ioctl(s, 0x80045440, b"\0" * 4))[0]  # TIOCGEXCL
    print("AFTER ldisc=%d excl=%d" % (ldisc, excl))
except OSError as e:
    print("AFTER %s" % os.strerror(e.errno))
sys.exit(r.returncode)
"#;

/// `ARGV` with a fresh terminal on stdin; returns its outcome and the
/// terminal's state after.
fn on_a_pty(s: &Scratch, who: Who, argv: Vec<String>) -> (Outcome, String) {
    let mut full = vec![
        PYTHON.to_owned(),
        "-I".to_owned(),
        "-c".to_owned(),
        PTY_HELPER.to_owned(),
    ];
    full.extend(match who {
        Who::Root => Vec::new(),
        Who::Nobody => NOBODY.iter().map(|a| (*a).to_owned()).collect(),
    });
    full.extend(argv);
    let mut out = Outcome::of(&mut command(s, Who::Root, &full));
    let after = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("AFTER "))
        .unwrap_or_else(|| panic!("no terminal state: {out:#?}"))
        .to_owned();
    out.stdout = out
        .stdout
        .lines()
        .filter(|l| !l.starts_with("AFTER "))
        .map(|l| format!("{l}\n"))
        .collect();
    (out, after)
}

/// `TIOCSETD` to `N_NULL` on the inherited terminal would leave it deaf
/// after the command (the shell reads nothing, and `stty sane` cannot put
/// the line discipline back); `TIOCEXCL` would keep everyone else's
/// programs from opening it (EBUSY). Both are refused (EACCES) and the
/// terminal is unchanged, as root and as another user. Twins: unconfined,
/// the same calls change the terminal; inside, reading the line discipline
/// works. `TIOCVHANGUP` is left to the capability drop, and pinned here.
#[test]
fn the_terminal_outlives_the_command_unchanged() {
    let s = scratch();
    let setd = ["ioctl-int", "0x5423", "27"];
    let excl = ["ioctl", "0x540C"];
    for who in [Who::Root, Who::Nobody] {
        for (op, step) in [(&setd[..], "ioctl 0x5423"), (&excl[..], "ioctl 0x540C")] {
            let (out, after) = on_a_pty(&s, who, sandboxed(&[], probe(op[0], &op[1..])));
            out.refused("EACCES", step);
            assert_eq!(after, "ldisc=0 excl=0", "{out:#?}");
        }
        let (out, after) = on_a_pty(
            &s,
            who,
            sandboxed(&[], probe("ioctl-int", &["0x5424", "0"])),
        );
        out.works();
        assert_eq!(after, "ldisc=0 excl=0");
        let (out, after) = on_a_pty(&s, who, probe(setd[0], &setd[1..]));
        out.works();
        assert_eq!(after, "ldisc=27 excl=0");
        let (out, after) = on_a_pty(&s, who, probe(excl[0], &excl[1..]));
        out.works();
        assert_eq!(after, "ldisc=0 excl=1");
    }
    // Hanging the terminal up (every descriptor on it dies) needs
    // CAP_SYS_ADMIN, which nono drops: EPERM. Twin: root, unconfined.
    let hangup = ["ioctl", "0x5437"];
    let (out, after) = on_a_pty(
        &s,
        Who::Root,
        sandboxed(&[], probe(hangup[0], &hangup[1..])),
    );
    out.refused("EPERM", "ioctl 0x5437");
    assert_eq!(after, "ldisc=0 excl=0");
    let (out, after) = on_a_pty(&s, Who::Root, probe(hangup[0], &hangup[1..]));
    out.works();
    assert_eq!(after, "Input/output error");
}

/// On a Linux virtual terminal (a console, where the keymap, font and
/// function-key strings are shared by every console), switching consoles
/// and setting the LEDs to what they are are refused (EACCES) even when
/// root keeps its capabilities; reading the console's state works. Twin:
/// unconfined, the same no-op writes succeed. Skipped without a VT.
#[test]
fn console_settings_are_refused_on_a_virtual_terminal() {
    let s = scratch();
    let Ok(vt) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty1")
    else {
        eprintln!("skipped: no /dev/tty1");
        return;
    };
    let run = |argv: Vec<String>| {
        let mut cmd = command(&s, Who::Root, &argv);
        cmd.stdin(vt.try_clone().unwrap());
        Outcome::of(&mut cmd)
    };
    let unconfined = run(probe("vt-noop", &[]));
    if unconfined.stdout.contains("ENOTTY") {
        eprintln!("skipped: /dev/tty1 is not a virtual terminal: {unconfined:#?}");
        return;
    }
    assert_eq!(unconfined.works(), ["reads"]);
    // With root's capabilities kept, only the guard refuses; without them
    // the guard still answers first (the kernel would refuse too, unless
    // the console were the command's controlling terminal).
    for flags in [&["--keep-caps"][..], &[][..]] {
        let out = run(sandboxed(flags, probe("vt-noop", &[])));
        out.refused("EACCES", "VT_ACTIVATE");
        assert!(out.stdout.contains("DATA reads"), "{out:#?}");
    }
}

// ---------------------------------------------------------------------------
// 6. Host-wide facilities, and what Landlock already closes.
// ---------------------------------------------------------------------------

/// Where a cgroup hierarchy with perf events is mounted, if anywhere.
fn perf_cgroup() -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        let (dir, fstype, options) = (fields.get(1)?, fields.get(2)?, fields.get(3)?);
        let perf = *fstype == "cgroup2"
            || (*fstype == "cgroup" && options.split(',').any(|o| o == "perf_event"));
        perf.then(|| (*dir).to_owned())
    })
}

/// `bpf`, `perf_event_open` of a whole CPU or a cgroup, and `syslog` need
/// a capability on this host's settings (so dropping root's capabilities
/// refuses them too), but some hosts open them to every user: the guard
/// refuses them whatever the capabilities, EPERM (EACCES for perf, as the
/// kernel's own refusal). io_uring is refused (EACCES): its requests would
/// bypass the guard's checks. Twins: unconfined root does each; the
/// command still counts its own events.
#[test]
fn host_wide_kernel_facilities_are_refused() {
    let s = scratch();
    let mut cases: Vec<(&str, Vec<&str>, &str, &str)> = vec![
        ("bpf", vec![], "EPERM", "bpf"),
        ("perf", vec!["-1", "0"], "EACCES", "perf_event_open"),
        ("syslog", vec![], "EPERM", "syslog"),
        ("io-uring", vec![], "EACCES", "io_uring_setup"),
    ];
    // The cgroup variant needs a cgroup hierarchy with perf events (v2, or
    // v1's perf_event), which it reads with a grant.
    let cgroup = perf_cgroup();
    let (keep, plain): (Vec<&str>, Vec<&str>) = match &cgroup {
        Some(dir) => {
            cases.push(("perf", vec!["0", "0", dir], "EACCES", "perf_event_open"));
            (vec!["--keep-caps", "--read", dir], vec!["--read", dir])
        }
        None => {
            eprintln!("no cgroup hierarchy with perf events: the cgroup case is skipped");
            (vec!["--keep-caps"], vec![])
        }
    };
    for (op, args, errno, step) in &cases {
        inside(&s, Who::Root, &keep, op, args).refused(errno, step);
        inside(&s, Who::Nobody, &plain, op, args).refused(errno, step);
        outside(&s, Who::Root, op, args).works();
    }
    inside(&s, Who::Root, &[], "perf", &["0", "-1"]).works();
    inside(&s, Who::Nobody, &[], "perf", &["0", "-1"]).works();
}

/// fanotify (which an unprivileged user may use since Linux 5.13) watches
/// a directory by path without a Landlock check, and reports the names
/// created there: refused (EPERM). Twin: unconfined, the same user sees
/// the name.
#[test]
fn fanotify_cannot_watch_a_directory_outside_the_grants() {
    let s = scratch();
    let dir = s.mkdir("watched");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let d = dir.to_str().unwrap();
    inside(&s, Who::Nobody, &[], "fanotify", &[d, "inside"]).refused("EPERM", "fanotify_init");
    inside(&s, Who::Root, &["--keep-caps"], "fanotify", &[d, "inside"])
        .refused("EPERM", "fanotify_init");
    assert_eq!(
        outside(&s, Who::Nobody, "fanotify", &[d, "outside"]).works(),
        ["saw outside"]
    );
}

/// What Landlock's own scoping already closes, pinned for the README's
/// list. As root under `--keep-caps` (so no capability check is what
/// refuses): `kcmp` with a process outside (EPERM), `setns` into its IPC
/// namespace through a pidfd (EPERM), a pidfd's namespace ioctl (EACCES),
/// `pidfd_send_signal` (EPERM), and POSIX message queues (EACCES: their
/// filesystem is under no grant). As another user, on that user's own
/// process outside, where the kernel's other checks all pass: the same
/// calls but `setns` (which that user may not do on the host's
/// namespaces anyway), and `perf_event_open` on it (EACCES; a holder of
/// `CAP_PERFMON` skips this check, which is why root's is dropped).
/// Twins: unconfined, each works.
#[test]
fn channels_that_landlock_already_closes() {
    let s = scratch();
    // mq_open(2) itself takes the name without glibc's leading slash.
    let queue = format!("nono-guard-{}", std::process::id());
    for (who, flags) in [(Who::Root, &["--keep-caps"][..]), (Who::Nobody, &[][..])] {
        let victim = Victim::start(who);
        let pid = victim.pid();
        let mut cases: Vec<(&str, Vec<&str>, &str, &str)> = vec![
            ("kcmp", vec![&pid], "EPERM", "kcmp"),
            ("setns", vec![&pid], "EPERM", "setns"),
            ("pidfd-ns", vec![&pid], "EACCES", "PIDFD_GET_IPC_NAMESPACE"),
            ("pidfd-signal", vec![&pid], "EPERM", "pidfd_send_signal"),
            ("mq-open", vec![&queue], "EACCES", "mq_open"),
        ];
        if who == Who::Nobody {
            cases.push(("perf", vec![&pid, "-1"], "EACCES", "perf_event_open"));
        }
        for (op, args, errno, step) in cases {
            // Another user may not enter a namespace of the host's user
            // namespace anyway: root's case shows this one.
            if who == Who::Nobody && op == "setns" {
                continue;
            }
            outside(&s, who, op, &args).works();
            inside(&s, who, flags, op, &args).refused(errno, step);
            if op == "mq-open" {
                outside(&s, who, "mq-unlink", &[&queue]).works();
            }
        }
    }
}

// ---------------------------------------------------------------------------
// What nono says.
// ---------------------------------------------------------------------------

/// The dry run lists what the guard refuses, the Fast Open line only under
/// port rules, and what System V IPC will be here; the JSON carries the
/// same; `nono check` says whether a private IPC namespace can be made.
#[test]
fn the_dry_run_and_check_show_the_guard() {
    let s = scratch();
    let text = s.run(["run", "--dry-run", "--", "/bin/true"]);
    text.expect_ok()
        .expect_stdout("  syscall guard (seccomp) refuses:\n")
        .expect_stdout("    kernel keyrings: add_key, keyctl, request_key\n")
        .expect_stdout("  System V IPC: a private IPC namespace where nono can make one without a user namespace (as root); elsewhere the System V calls are refused; here: a private IPC namespace\n");
    assert!(!text.stdout.contains("MSG_FASTOPEN"), "{text:#?}");
    s.run([
        "run",
        "--dry-run",
        "--net-connect",
        "443",
        "--",
        "/bin/true",
    ])
    .expect_ok()
    .expect_stdout(
        "    TCP Fast Open: MSG_FASTOPEN on sendto, sendmsg, sendmmsg (port rules are in force)\n",
    );
    let json = s
        .run([
            "run",
            "--dry-run",
            "--json",
            "--allow-sysv-ipc",
            "--net-bind",
            "8080",
        ])
        .json();
    assert_eq!(
        json["ruleset"]["syscall_guard"],
        serde_json::json!({"refuse_fast_open": true, "sysv_ipc": "private_or_shared"})
    );
    assert_eq!(json["sysv_ipc"], "a private IPC namespace");
    let nobody = Outcome::of(&mut command(
        &s,
        Who::Nobody,
        &sandboxed(&["--dry-run", "--json"], vec![]),
    ));
    let nobody: serde_json::Value = serde_json::from_str(&nobody.stdout).unwrap();
    assert_eq!(
        nobody["sysv_ipc"],
        "no private IPC namespace without CAP_SYS_ADMIN: the System V calls are refused"
    );
    s.run(["check"])
        .expect_ok()
        .expect_stdout("System V IPC: a private IPC namespace for every run\n");
    let check = Outcome::of(&mut command(
        &s,
        Who::Nobody,
        &[NONO.to_owned(), "check".to_owned()],
    ));
    check
        .expect_ok()
        .expect_stdout("System V IPC: refused by default; a private IPC namespace in a user namespace with --allow-sysv-ipc\n");
    let json = s.run(["check", "--json"]).json();
    assert_eq!(
        json["ipc_namespace"],
        serde_json::json!({"direct": true, "user_namespace": true})
    );
}
