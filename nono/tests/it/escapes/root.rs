//! Root hardening: what root's capabilities would walk around.

use super::*;
use crate::common::{chmod, copy_program, text};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The block device the root filesystem is on, and one root can read.
pub(super) struct Disk {
    /// Its node in /dev (`/dev/vda`).
    pub(super) node: String,
    pub(super) major: u32,
    pub(super) minor: u32,
    /// A block device root can read outside the sandbox, for the twins:
    /// the disk itself, or else a loop device.
    pub(super) readable: String,
    readable_dev: (u32, u32),
}

/// The root disk, found once.
pub(super) fn root_disk() -> &'static Result<Disk, String> {
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
    copy_program("/usr/bin/cat", &s.join("probe"));
    set_file_cap(&s.join("probe"), true)
}

/// Gives `path` the file capability cap_net_raw, permitted, and effective
/// if `effective`, with the probe's setxattr (VFS_CAP_REVISION_2: the
/// magic and flags, then the permitted and inheritable sets' two words,
/// little-endian).
fn set_file_cap(path: &Path, effective: bool) -> Result<(), String> {
    let value = format!(
        "{:02x}000002{}{}",
        u8::from(effective),
        "00200000",
        "00".repeat(12)
    );
    let argv = probe("setxattr", &[text(path), "security.capability", &value]);
    let out = Outcome::of(Command::new(&argv[0]).args(&argv[1..]));
    if out.code == Some(0) {
        Ok(())
    } else {
        Err(format!("{} {}", out.stdout.trim(), out.stderr.trim()))
    }
}

/// What the root cases add to the fixture: uid 65534 may reach it;
/// `ro/suid-cat` is a setuid-root copy of cat; `ro/cap-cat` and
/// `ro/capp-cat` copies with cap_net_raw as a file capability, effective
/// and permitted only; `secret/disk` is a node of the root disk made
/// outside (ungranted), `ro/blk` one of the readable block device.
fn root_fixture(s: &Scratch, disk: bool, file_caps: bool) {
    chmod(&s.path(), 0o755);
    let suid = s.join("ro/suid-cat");
    copy_program("/usr/bin/cat", &suid);
    chmod(&suid, 0o4755);
    if file_caps {
        for (name, effective) in [("cap-cat", true), ("capp-cat", false)] {
            let path = s.join("ro").join(name);
            copy_program("/usr/bin/cat", &path);
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
pub(super) fn root_cases(disk: bool, file_caps: bool) -> Vec<Case> {
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
                .args(probe(
                    "mknod-dev",
                    &[text(&node), "b", &d.major.to_string(), &d.minor.to_string()],
                )),
        );
        out.expect_errno("EPERM");
        assert!(
            std::fs::symlink_metadata(&node).is_err(),
            "{node:?} was made"
        );
    }
}
