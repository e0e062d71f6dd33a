//! File metadata: the setuid and setgid bits, owners, security attributes.

use super::*;

#[rustfmt::skip]
pub(super) fn metadata_cases() -> Vec<Case> {
    // Landlock (up to ABI 7) has no right for chmod(2), chown(2) or
    // setxattr(2). Two things close the ways out this leaves root (make any
    // root-owned program setuid, give a binary file capabilities, give a
    // file away): the syscall guard refuses every chmod (and every file
    // creation) that sets the setuid or setgid bit (EACCES, granted file or
    // not, and also when root keeps its capabilities), and dropping root's capabilities refuses
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
        // The other way to a setuid program: create the file with the bit,
        // then write the program into it. The syscall guard refuses the
        // mode whatever the capabilities (the guard module has every call
        // that creates a file); unsandboxed it works.
        case("create a setuid-root program (O_CREAT 04755, then write)", STD_KEEP, Py("creat-setuid", &["{S}/rw/prog"]), ErrnoAt("EACCES", "creat {S}/rw/prog"), Twin::Unsandboxed(Py("creat-setuid", &["{S}/rw/prog"]), OK)).root_twin(),
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
