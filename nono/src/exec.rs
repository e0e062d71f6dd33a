//! Finding the command, executing it, and explaining why it could not run.

use crate::failure::{CANNOT_EXECUTE, Failure, NOT_FOUND};
use nono_model::{FsRight, Ruleset};
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The command to execute, found and examined before the sandbox is applied
/// (afterwards nono may no longer be allowed to read it).
#[derive(Debug)]
pub struct Program {
    /// The path that will be executed.
    pub path: PathBuf,
    /// The arguments, `argv[0]` as the user typed it.
    pub argv: Vec<OsString>,
    /// Its interpreter as the file names it: the `#!` line's for a script,
    /// the dynamic loader (`PT_INTERP`) for a dynamically linked ELF program.
    pub interpreter: Option<PathBuf>,
}

/// `path` with every symbolic link resolved, or as it is if that fails.
/// Only the explanation of a refused exec needs it, so it is computed then
/// (looking up names is not something Landlock restricts).
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Finds `argv[0]` as `execvp(3)` would (a name with a `/` is a path; else
/// the first executable file of that name in `$PATH`) and reads its `#!`.
pub fn find(argv: &[OsString]) -> Result<Program, Failure> {
    let Some(name) = argv.first() else {
        return Err(Failure::new("no command given"));
    };
    let shown = name.to_string_lossy();
    let path = if name.as_bytes().contains(&b'/') {
        let path = PathBuf::from(name);
        if !path.exists() {
            return Err(Failure::with_code(
                NOT_FOUND,
                format!("{shown}: command not found"),
            ));
        }
        path
    } else {
        let search =
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
        std::env::split_paths(&search)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable_file(candidate))
            .ok_or_else(|| {
                Failure::with_code(NOT_FOUND, format!("{shown}: command not found in PATH"))
            })?
    };
    let interpreter = interpreter(&path);
    Ok(Program {
        path,
        argv: argv.to_vec(),
        interpreter,
    })
}

/// The interpreter `path` names: its `#!` line or its ELF `PT_INTERP`.
/// One open and, for almost every program, one read.
fn interpreter(path: &Path) -> Option<PathBuf> {
    let file = std::fs::File::open(path).ok()?;
    let mut head = Vec::with_capacity(4096);
    (&file).take(4096).read_to_end(&mut head).ok()?;
    shebang(&head).or_else(|| elf_interpreter(&file, &head))
}

/// The interpreter named by a `#!` line, if the file starts with one.
fn shebang(head: &[u8]) -> Option<PathBuf> {
    let line = head.get(..head.len().min(256))?.strip_prefix(b"#!")?;
    let line = line.split(|&b| b == b'\n').next()?;
    let interp = line
        .split(|b| b.is_ascii_whitespace())
        .find(|w| !w.is_empty())?;
    Some(PathBuf::from(OsStr::from_bytes(interp)))
}

/// The dynamic loader a 64-bit little-endian ELF program names in its
/// `PT_INTERP` header, if any. `head` is the start of `file`; what lies
/// beyond it is read from the file.
fn elf_interpreter(file: &std::fs::File, head: &[u8]) -> Option<PathBuf> {
    use std::os::unix::fs::FileExt;
    const PT_INTERP: u32 = 3;
    // The bytes at `offset..offset + len`, from `head` when it holds them.
    let bytes = |offset: u64, len: usize| -> Option<Vec<u8>> {
        let start = usize::try_from(offset).ok()?;
        if let Some(b) = head.get(start..start.checked_add(len)?) {
            return Some(b.to_vec());
        }
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, offset).ok()?;
        Some(buf)
    };
    let header = head.get(..64)?;
    // Magic, 64-bit class, little-endian data.
    if header[..4] != *b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let u16_at =
        |b: &[u8], at: usize| Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?));
    let u32_at =
        |b: &[u8], at: usize| Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?));
    let u64_at =
        |b: &[u8], at: usize| Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?));
    let phoff = u64_at(header, 32)?;
    let phentsize = usize::from(u16_at(header, 54)?);
    let phnum = usize::from(u16_at(header, 56)?);
    if phentsize < 56 || phnum > 256 {
        return None;
    }
    let table = bytes(phoff, phentsize * phnum)?;
    let entry = table
        .chunks(phentsize)
        .find(|e| u32_at(e, 0) == Some(PT_INTERP))?;
    let offset = u64_at(entry, 8)?;
    let size = usize::try_from(u64_at(entry, 32)?)
        .ok()
        .filter(|s| *s <= 4096)?;
    let name = bytes(offset, size)?;
    let name = name.split(|&b| b == 0).next()?;
    Some(PathBuf::from(OsStr::from_bytes(name)))
}

/// The grant to add for a path the sandbox denied: the built-in toolchain
/// preset that covers it (a program under `~/.cargo/bin` needs all of
/// `rust`, not only its directory), else Read on its directory.
fn read_hint(what: &str, path: &Path) -> String {
    let preset = crate::run::resolve_env()
        .ok()
        .and_then(|env| crate::advice::covering_preset(path, &env));
    if let Some((name, grant)) = preset {
        return format!(
            "the sandbox denies {what} {}; it belongs to a toolchain the preset {name} grants ({grant}): add --preset {name}",
            path.display()
        );
    }
    let dir = path.parent().unwrap_or(path);
    format!(
        "the sandbox denies {what} {}; grant it with --read {}",
        path.display(),
        dir.display()
    )
}

/// The grant that is probably missing when the sandbox refused an exec.
fn denial_hint(program: &Program, ruleset: &Ruleset) -> String {
    let allowed = |p: &Path, r| nono_compile::allowed(ruleset, p, r);
    let program_path = canonical(&program.path);
    if !allowed(&program_path, FsRight::Execute) {
        return read_hint("executing", &program_path);
    }
    if let Some(interp) = program.interpreter.as_deref().map(canonical) {
        if !allowed(&interp, FsRight::Execute) {
            return read_hint("its interpreter", &interp);
        }
        if !allowed(&interp, FsRight::ReadFile) {
            return read_hint("reading its interpreter", &interp);
        }
        if !allowed(&program_path, FsRight::ReadFile) {
            return read_hint("the interpreter reading the script", &program_path);
        }
    }
    "the program is granted, so the sandbox probably denies a shared library or the dynamic loader it needs (is the base preset off? run with -vv)".to_owned()
}

/// Replaces this process with the program. Returns only on failure, with the
/// exit code and message that explain it.
///
/// It calls `execve` itself rather than through `std::process::Command`,
/// which changes process-wide state (the `environ` pointer, a lock on the
/// environment) that a supervised run shares with the supervisor until the
/// command starts (see `supervise::spawn`).
pub fn exec(program: &Program, sandbox: Option<&Ruleset>, env: &[(OsString, OsString)]) -> Failure {
    let err = execve(program, env);
    let shown = program.path.display();
    match (err.raw_os_error(), sandbox) {
        (Some(libc::ENOENT), _) => match &program.interpreter {
            Some(interp) => Failure::with_code(
                NOT_FOUND,
                format!(
                    "{shown}: its interpreter {} was not found",
                    interp.display()
                ),
            ),
            None => Failure::with_code(NOT_FOUND, format!("{shown}: command not found")),
        },
        (Some(libc::EACCES), _) if !is_executable_file(&program.path) => Failure::with_code(
            CANNOT_EXECUTE,
            format!("cannot execute {shown}: permission denied: not an executable file"),
        ),
        // Landlock refuses with EACCES; EPERM comes from elsewhere (a
        // file-capability program under no_new_privs, say).
        (Some(libc::EPERM), _) => Failure::with_code(
            CANNOT_EXECUTE,
            format!(
                "cannot execute {shown}: operation not permitted (not by a Landlock rule: a setuid or file-capability program cannot gain privileges in the sandbox)"
            ),
        ),
        (Some(libc::EACCES), Some(ruleset)) => Failure::with_code(
            CANNOT_EXECUTE,
            format!(
                "cannot execute {shown}: permission denied: {}",
                denial_hint(program, ruleset)
            ),
        ),
        _ => Failure::with_code(CANNOT_EXECUTE, format!("cannot execute {shown}: {err}")),
    }
}

/// A string for `execve`: its bytes and a terminating NUL. `None` if it
/// holds a NUL itself (no argument or variable that reached nono can).
fn c_string(bytes: &[u8]) -> Option<std::ffi::CString> {
    std::ffi::CString::new(bytes).ok()
}

/// Executes `program` with exactly `env`, the signal state a program
/// expects (`SIGPIPE` back to its default, which nono ignores; no signal
/// blocked), and returns the error if the kernel refused.
fn execve(program: &Program, env: &[(OsString, OsString)]) -> std::io::Error {
    let invalid = || std::io::Error::from_raw_os_error(libc::EINVAL);
    let Some(path) = c_string(program.path.as_os_str().as_bytes()) else {
        return invalid();
    };
    let Some(argv) = program
        .argv
        .iter()
        .map(|a| c_string(a.as_bytes()))
        .collect::<Option<Vec<_>>>()
    else {
        return invalid();
    };
    let Some(envp) = env
        .iter()
        .map(|(k, v)| c_string(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
        .collect::<Option<Vec<_>>>()
    else {
        return invalid();
    };
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());
    // SAFETY: signal, sigemptyset and pthread_sigmask only change this
    // thread's signal state; execve gets NUL-terminated strings and
    // null-terminated arrays that outlive the call.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut none);
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const none, std::ptr::null_mut());
        libc::execve(path.as_ptr(), argv_ptrs.as_ptr(), envp_ptrs.as_ptr());
    }
    let err = std::io::Error::last_os_error();
    // SAFETY: as above; nono goes on ignoring SIGPIPE if it reports.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    err
}
