//! Files: writing, truncating, creating, removing, moving, linking; and
//! device nodes, FIFOs and sockets.

use super::*;

#[rustfmt::skip]
pub(super) fn file_cases() -> Vec<Case> {
    vec![
        // Writing and truncating what is not writable: EACCES.
        case("write an ungranted file", STD, Py("append", &["{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("append", &["{S}/rw/f.txt"]), OK)),
        case("write a read-only file", STD, Py("append", &["{S}/ro/f.txt"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}/ro"], OK)),
        case("truncate(2) an ungranted file", STD, Py("truncate", &["{S}/secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("truncate", &["{S}/rw/f.txt"]), OK)).needs(3),
        case("truncate(2) a read-only file", STD, Py("truncate", &["{S}/ro/f.txt"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}/ro"], OK)).needs(3),
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
        case("symlink out, then read", STD, Py("symlink-cat", &["{S}/secret/s.txt", "{S}/rw/l"]), ErrnoAt("EACCES", "open {S}/rw/l"), Twin::Cmd(Py("symlink-cat", &["{S}/ro/f.txt", "{S}/rw/l"]), OK)),
        case("relative symlink out, then read", STD, Py("symlink-cat", &["../secret/s.txt", "{S}/rw/l"]), Errno("EACCES"), Twin::Cmd(Py("symlink-cat", &["../ro/f.txt", "{S}/rw/l"]), OK)),
        case("symlink out, then write", STD, Py("symlink-append", &["{S}/secret/s.txt", "{S}/rw/l"]), ErrnoAt("EACCES", "open {S}/rw/l"), Twin::Cmd(Py("symlink-append", &["{S}/rw/g.txt", "{S}/rw/l"]), OK)),
        case("symlink out (read-only target), then write", STD, Py("symlink-append", &["{S}/ro/f.txt", "{S}/rw/l"]), ErrnoAt("EACCES", "open {S}/rw/l"), Twin::Cmd(Py("symlink-append", &["{S}/rw/g.txt", "{S}/rw/l"]), OK)),
        case("dangling symlink out, then create through it", STD, Py("symlink-creat", &["{S}/secret/new", "{S}/rw/l"]), ErrnoAt("EACCES", "creat {S}/rw/l"), Twin::Cmd(Py("symlink-creat", &["{S}/rw/new", "{S}/rw/l"]), OK)),
        case("symlink to an ungranted dir, then list", STD, Py("symlink-listdir", &["{S}/secret", "{S}/rw/l"]), ErrnoAt("EACCES", "listdir"), Twin::Cmd(Py("symlink-listdir", &["{S}/ro", "{S}/rw/l"]), OK)),
        case("ln -s out, then cat", STD, Sh("ln -s {S}/secret/s.txt {S}/rw/l && cat {S}/rw/l"), Exit(1, "Permission denied"), Twin::Cmd(Sh("ln -s {S}/ro/f.txt {S}/rw/l && cat {S}/rw/l"), Exit(0, "ro-data"))),
        // `..` does not climb out of a grant.
        case("read through ..", STD, Py("cat", &["{S}/rw/../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("cat", &["{S}/rw/../ro/f.txt"]), OK)),
        case("read through .. from a granted cwd", STD, Py("chdir-cat", &["{S}/rw", "../secret/s.txt"]), Errno("EACCES"), Twin::Cmd(Py("chdir-cat", &["{S}/rw", "../ro/f.txt"]), OK)),
        case("list an ungranted dir", STD, Py("listdir", &["{S}/secret"]), Errno("EACCES"), Twin::Cmd(Py("listdir", &["{S}/ro"]), OK)),
        case("read a write-only file", STD, Py("cat", &["{S}/wo/h.txt"]), Errno("EACCES"), Twin::Flags(&["-a", "{S}/wo"], OK)),
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
pub(super) fn node_cases() -> Vec<Case> {
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
        case("read a device not granted", &["--no-base", "-r", "/usr"], Py("cat", &["/dev/zero"]), Errno("EACCES"), Twin::Flags(&["--no-base", "-r", "/usr", "-r", "/dev/zero"], OK)),
    ]
}

#[test]
fn device_fifo_and_socket_escapes_are_denied() {
    run_table(&node_cases(), "nodes");
}
