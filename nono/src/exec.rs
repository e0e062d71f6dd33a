//! Finding the command, executing it, and explaining why it could not run.

use crate::failure::{CANNOT_EXECUTE, Failure, NOT_FOUND};
use nono_model::{FsRight, Ruleset};
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

/// The command to execute, found and examined before the sandbox is applied
/// (afterwards nono may no longer be allowed to look).
#[derive(Debug)]
pub struct Program {
    /// The path that will be executed.
    pub path: PathBuf,
    /// The arguments, `argv[0]` as the user typed it.
    pub argv: Vec<OsString>,
    /// The program's canonical path.
    pub canonical: PathBuf,
    /// The canonical path of its `#!` interpreter, for a script.
    pub interpreter: Option<PathBuf>,
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
    let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    let interpreter = shebang(&canonical).map(|i| std::fs::canonicalize(&i).unwrap_or(i));
    Ok(Program {
        path,
        argv: argv.to_vec(),
        canonical,
        interpreter,
    })
}

/// The interpreter named by a `#!` line, if the file starts with one.
fn shebang(path: &Path) -> Option<PathBuf> {
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = line.split(|&b| b == b'\n').next()?;
    let interp = line
        .split(|b| b.is_ascii_whitespace())
        .find(|w| !w.is_empty())?;
    Some(PathBuf::from(OsStr::from_bytes(interp)))
}

fn read_hint(what: &str, path: &Path) -> String {
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
    if !allowed(&program.canonical, FsRight::Execute) {
        return read_hint("executing", &program.canonical);
    }
    if let Some(interp) = &program.interpreter {
        if !allowed(interp, FsRight::Execute) {
            return read_hint("its interpreter", interp);
        }
        if !allowed(&program.canonical, FsRight::ReadFile) {
            return read_hint("the interpreter reading the script", &program.canonical);
        }
    }
    "the program is granted, so the sandbox probably denies a shared library or the dynamic loader it needs (is the base preset off? run with -vv)".to_owned()
}

/// Replaces this process with the program. Returns only on failure, with the
/// exit code and message that explain it.
pub fn exec(program: &Program, sandbox: Option<&Ruleset>) -> Failure {
    let mut command = std::process::Command::new(&program.path);
    if let Some((first, rest)) = program.argv.split_first() {
        command.arg0(first).args(rest);
    }
    let err = command.exec();
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
        (Some(libc::EACCES | libc::EPERM), Some(ruleset)) => Failure::with_code(
            CANNOT_EXECUTE,
            format!(
                "cannot execute {shown}: permission denied: {}",
                denial_hint(program, ruleset)
            ),
        ),
        _ => Failure::with_code(CANNOT_EXECUTE, format!("cannot execute {shown}: {err}")),
    }
}
