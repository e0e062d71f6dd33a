//! Evaluating a plugin in a sandboxed helper process.
//!
//! A plugin is native code. nono never loads one into its own process:
//! it starts a helper (nono itself, re-executed with a hidden subcommand),
//! which confines itself and only then loads the plugin and calls it.
//!
//! **Parent** ([`Evaluator::evaluate`]): checks that the file may be trusted
//! (see [`crate::trust`]), starts the helper with a clean environment, the
//! [`HostContext`] on its standard input and the plugin's path and
//! `(dev, ino)` as arguments, and reads its standard output with a time limit
//! ([`TIME_LIMIT`]) and a size limit ([`OUTPUT_LIMIT`]), killing the helper's
//! whole process group when either is hit. Then it checks the answer: UTF-8,
//! RON, the plugin's name, every preset. Any failure is a [`PluginFailure`];
//! nothing partial is ever returned. With a cache ([`crate::cache`]), an
//! answer for exactly this file and context is taken from it instead of
//! starting the helper, and a fresh, valid answer is stored in it.
//!
//! **Helper** ([`helper_main`]): closes any descriptor it inherited beyond
//! the standard three, reads the context, keeps its standard output
//! for the answer and points file descriptor 1 at standard error (so a
//! plugin's `printf` cannot corrupt the answer), opens the plugin and checks
//! it is still the file the parent checked, makes itself non-dumpable, drops
//! every capability, and applies a Landlock ruleset through `nono-enforce`:
//! read-only access to the whole filesystem, no network (Landlock TCP rules,
//! and a seccomp filter that refuses every socket, Unix ones included),
//! signals and abstract Unix sockets scoped.
//! Only then does it `dlopen` the plugin (whose constructors run here),
//! check `nono_plugin_abi_version`, call `nono_plugin_presets`, copy the
//! bytes, call `nono_plugin_free`, and write the bytes out.
//!
//! The helper's exit status says how it ended: [`EXIT_OK`] (the answer
//! follows), [`EXIT_FAILED`] (a one-line reason follows instead),
//! [`EXIT_NO_MANIFEST`] (the plugin returned a null pointer; its last line on
//! standard error says why). Any other status, or a signal, means the plugin
//! took the helper down.

use crate::cache::{CacheKey, CacheSetting, Lookup, Provenance};
use crate::manifest::{HostContext, ManifestError, PLUGIN_ABI_VERSION, PluginManifest};
use crate::trust::{TrustError, TrustedFile};
use std::ffi::OsString;
use std::fmt;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a plugin may take to answer, from the helper's start (loading,
/// sandboxing and the call together) to its exit. A plugin computes a few
/// paths from its context; anything slower is stuck, and is killed.
pub const TIME_LIMIT: Duration = Duration::from_secs(5);

/// The most a plugin may answer, in bytes (4 MiB). A real manifest is a few
/// kilobytes; a plugin that writes more is broken, and is killed.
pub const OUTPUT_LIMIT: usize = 4 * 1024 * 1024;

/// How much of the helper's standard error is kept (the end of it), to
/// explain a failure.
const STDERR_KEPT: usize = 16 * 1024;

/// The most context the helper reads from its standard input.
const CONTEXT_LIMIT: u64 = 16 * 1024 * 1024;

/// Helper exit status: the manifest follows on standard output.
pub const EXIT_OK: i32 = 0;
/// Helper exit status: a one-line reason follows on standard output.
pub const EXIT_FAILED: i32 = 3;
/// Helper exit status: the plugin returned no manifest (a null pointer).
pub const EXIT_NO_MANIFEST: i32 = 4;

/// Why a plugin could not be evaluated. The display is the part after
/// `plugin NAME (PATH): `.
#[derive(Debug, thiserror::Error)]
pub enum PluginFailure {
    /// The file may not be loaded.
    #[error(transparent)]
    Untrusted(#[from] TrustError),
    /// The helper could not be started.
    #[error("cannot start the plugin helper {program}: {source}")]
    Spawn {
        /// The helper program.
        program: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The helper's output could not be read.
    #[error("cannot read the plugin helper's answer: {0}")]
    Read(std::io::Error),
    /// The time limit was hit.
    #[error("did not answer within {} s (the time limit), so it was stopped", .0.as_secs_f32())]
    TimedOut(Duration),
    /// The output limit was hit.
    #[error("wrote more than {} (the output limit), so it was stopped", show_size(*.0))]
    TooMuchOutput(usize),
    /// The helper died of a signal.
    #[error("crashed (signal {0})")]
    Crashed(String),
    /// The helper exited with an unexpected status.
    #[error("exited with status {code} while being evaluated{}", detail_suffix(.detail))]
    Exited {
        /// The exit status.
        code: i32,
        /// The last line of its standard error, if any.
        detail: Option<String>,
    },
    /// The helper reports why it could not get an answer.
    #[error("{0}")]
    Failed(String),
    /// The plugin returned no manifest.
    #[error("{}", no_manifest(.0))]
    NoManifest(Option<String>),
    /// The answer is not an acceptable manifest.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

fn no_manifest(detail: &Option<String>) -> String {
    match detail {
        Some(d) => format!("failed: {d}"),
        None => "returned no manifest (a null pointer) and said nothing on stderr".to_owned(),
    }
}

fn show_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// Makes text from a plugin safe for one line of a terminal: control
/// characters become `?`, and it is cut at 300 characters.
fn one_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(300)
        .collect();
    if text.trim().chars().count() > 300 {
        out.push_str("...");
    }
    out
}

/// The last non-empty line of `bytes`, made safe for display.
fn last_line(bytes: &[u8]) -> Option<String> {
    bytes
        .split(|&b| b == b'\n')
        .rev()
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(one_line)
}

fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGABRT => "SIGABRT",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSYS => "SIGSYS",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        other => return format!("{other}"),
    };
    name.to_owned()
}

/// Starts helpers and checks what they answer.
#[derive(Clone, Debug)]
pub struct Evaluator {
    /// The helper program (nono itself).
    pub program: PathBuf,
    /// Its arguments before the plugin's path, `dev` and `ino` (nono's
    /// hidden subcommand).
    pub args: Vec<OsString>,
    /// What the plugin is told.
    pub context: ContextSource,
    /// The time limit ([`TIME_LIMIT`]).
    pub time_limit: Duration,
    /// The output limit ([`OUTPUT_LIMIT`]).
    pub output_limit: usize,
    /// Whether answers are cached, and where (off unless set).
    pub cache: CacheSetting,
}

/// Where the [`HostContext`] a plugin is told comes from.
#[derive(Clone, Debug)]
pub enum ContextSource {
    /// This process's ([`HostContext::current`] with this nono version),
    /// taken when a plugin is evaluated: most runs load no plugin, and
    /// reading and filtering the environment is not free.
    Current {
        /// nono's version, as the context gives it.
        nono_version: String,
    },
    /// This one.
    Given(HostContext),
}

impl ContextSource {
    /// The context, computed now for [`ContextSource::Current`].
    pub fn get(&self) -> std::borrow::Cow<'_, HostContext> {
        match self {
            ContextSource::Current { nono_version } => {
                std::borrow::Cow::Owned(HostContext::current(nono_version))
            }
            ContextSource::Given(context) => std::borrow::Cow::Borrowed(context),
        }
    }
}

/// A plugin's validated answer, and how it was obtained.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The validated manifest.
    pub manifest: PluginManifest,
    /// From the cache, or from the plugin (and what the cache did).
    pub provenance: Provenance,
}

/// How the helper ended, before its answer is interpreted.
struct Finished {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

enum Chunk {
    Done(Vec<u8>),
    TooMuch,
    Error(std::io::Error),
}

/// Keeps the last [`STDERR_KEPT`] bytes.
fn keep_tail(buf: &mut Vec<u8>, more: &[u8]) {
    buf.extend_from_slice(more);
    if buf.len() > STDERR_KEPT {
        let cut = buf.len() - STDERR_KEPT;
        buf.drain(..cut);
    }
}

impl Evaluator {
    /// An evaluator that runs `program args... PATH DEV INO` as the helper,
    /// with the default limits and no cache.
    pub fn new(program: PathBuf, args: Vec<OsString>, context: ContextSource) -> Evaluator {
        Evaluator {
            program,
            args,
            context,
            time_limit: TIME_LIMIT,
            output_limit: OUTPUT_LIMIT,
            cache: CacheSetting::Off("no cache was configured".to_owned()),
        }
    }

    /// The same evaluator, caching answers as `cache` says.
    #[must_use]
    pub fn with_cache(mut self, cache: CacheSetting) -> Evaluator {
        self.cache = cache;
        self
    }

    /// Checks the plugin file at `path` may be trusted, and returns its
    /// validated manifest, whose name must be `name`: from the cache when it
    /// holds an answer for exactly this file and context, else from the
    /// plugin, evaluated in the helper (and then stored in the cache).
    pub fn evaluate(&self, name: &str, path: &Path) -> Result<Evaluation, PluginFailure> {
        // The identity the cache key holds comes from the descriptor the
        // trust check examined; the helper checks it opened the same inode.
        let (trusted, checked) = crate::trust::open_checked(path)?;
        let host = self.context.get();
        let context = host.to_ron();
        let cached = match &self.cache {
            CacheSetting::On(cache) => {
                let key = CacheKey::new(name, &trusted, &context, &host.nono_version);
                match cache.lookup(&key, name) {
                    Lookup::Hit { manifest, entry } => {
                        return Ok(Evaluation {
                            manifest,
                            provenance: Provenance::Cached(entry),
                        });
                    }
                    Lookup::Miss(why) => Ok((cache, key, why)),
                }
            }
            CacheSetting::Off(why) => Err(format!("cache off: {why}")),
        };
        let bytes = self.answer_to(&trusted, &context)?;
        let manifest = PluginManifest::parse(&bytes, name)?;
        let note = match cached {
            Err(off) => off,
            Ok((cache, key, why)) => {
                // Stored only if the file is still exactly the one keyed:
                // changed in place while the helper ran, the answer may be
                // the new file's, under the old file's key.
                let unchanged = checked
                    .metadata()
                    .is_ok_and(|meta| trusted.unchanged(&meta));
                let stored = if !unchanged {
                    "not stored: the plugin file changed while it was evaluated".to_owned()
                } else {
                    match cache.store(&key, &bytes) {
                        Ok(entry) => format!("stored in {}", entry.display()),
                        Err(e) => format!("not stored: {e}"),
                    }
                };
                format!("cache miss: {why}; {stored}")
            }
        };
        Ok(Evaluation {
            manifest,
            provenance: Provenance::Evaluated(note),
        })
    }

    /// Runs the helper on a trusted file and returns the plugin's raw answer.
    pub fn answer(&self, plugin: &TrustedFile) -> Result<Vec<u8>, PluginFailure> {
        self.answer_to(plugin, &self.context.get().to_ron())
    }

    /// [`Evaluator::answer`], sending the context text `context`.
    fn answer_to(&self, plugin: &TrustedFile, context: &str) -> Result<Vec<u8>, PluginFailure> {
        let finished = self.run_helper(plugin, context)?;
        let stderr_line = || last_line(&finished.stderr);
        if let Some(signal) = finished.status.signal() {
            return Err(PluginFailure::Crashed(signal_name(signal)));
        }
        match finished.status.code() {
            Some(EXIT_OK) => Ok(finished.stdout),
            Some(EXIT_FAILED) if finished.stdout.is_empty() => {
                Err(PluginFailure::Failed("failed, without a reason".into()))
            }
            Some(EXIT_FAILED) => Err(PluginFailure::Failed(one_line(&finished.stdout))),
            Some(EXIT_NO_MANIFEST) => Err(PluginFailure::NoManifest(stderr_line())),
            Some(code) => Err(PluginFailure::Exited {
                code,
                detail: stderr_line(),
            }),
            None => Err(PluginFailure::Crashed("unknown".to_owned())),
        }
    }

    fn run_helper(&self, plugin: &TrustedFile, context: &str) -> Result<Finished, PluginFailure> {
        let start = Instant::now();
        let child = Command::new(&self.program)
            .args(&self.args)
            .arg(&plugin.path)
            .arg(plugin.dev.to_string())
            .arg(plugin.ino.to_string())
            .env_clear()
            // Only what the helper needs to find the sensitive paths it
            // carves out of its own read-only view.
            .envs(
                SENSITIVE_PATH_VARS
                    .iter()
                    .filter_map(|name| Some((name, std::env::var_os(name)?))),
            )
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that the whole group is killed.
            .process_group(0)
            .spawn()
            .map_err(|source| PluginFailure::Spawn {
                program: self.program.clone(),
                source,
            })?;
        let mut helper = Helper(Some(child));
        let child = helper.child();

        // The context goes in from a thread: it may exceed a pipe's buffer.
        if let Some(mut stdin) = child.stdin.take() {
            let context = context.to_owned();
            std::thread::spawn(move || {
                let _ = stdin.write_all(context.as_bytes());
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            let limit = self.output_limit;
            std::thread::spawn(move || {
                let _ = tx.send(read_limited(stdout, limit));
            });
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (err_done_tx, err_done_rx) = mpsc::channel::<()>();
        if let Some(mut pipe) = child.stderr.take() {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut buf) = stderr.lock() {
                        keep_tail(&mut buf, &chunk[..n]);
                    }
                }
                let _ = err_done_tx.send(());
            });
        }

        let deadline = start + self.time_limit;
        let remaining = || deadline.saturating_duration_since(Instant::now());
        // On every early return, `helper` is dropped: the group is killed.
        let stdout = match rx.recv_timeout(remaining()) {
            Ok(Chunk::Done(bytes)) => bytes,
            Ok(Chunk::TooMuch) => return Err(PluginFailure::TooMuchOutput(self.output_limit)),
            Ok(Chunk::Error(e)) => return Err(PluginFailure::Read(e)),
            Err(_) => return Err(PluginFailure::TimedOut(self.time_limit)),
        };
        // Its answer is complete; wait for it to exit, woken by its pidfd
        // the moment it does (a fixed sleep here cost up to its length on
        // every evaluation).
        let exit_fd = helper.exit_fd();
        loop {
            match helper.exited() {
                Ok(true) => break,
                Ok(false) if Instant::now() >= deadline => {
                    return Err(PluginFailure::TimedOut(self.time_limit));
                }
                Ok(false) => wait_for_exit(exit_fd.as_ref(), remaining()),
                Err(e) => return Err(PluginFailure::Read(e)),
            }
        }
        let status = helper.finish().map_err(PluginFailure::Read)?;
        // Let the standard error reader finish (briefly: something the
        // plugin left behind may hold the pipe open).
        let _ = err_done_rx.recv_timeout(Duration::from_millis(200).min(remaining()));
        let stderr = stderr.lock().map(|b| b.clone()).unwrap_or_default();
        if let Some(line) = last_line(&stderr) {
            tracing::debug!(plugin = %plugin.path.display(), "plugin stderr (last line): {line}");
        }
        Ok(Finished {
            status,
            stdout,
            stderr,
        })
    }
}

/// Waits until the process `pidfd` refers to exits, or at most `max`; without
/// a pidfd (Linux before 5.3), sleeps 1 ms.
fn wait_for_exit(pidfd: Option<&OwnedFd>, max: Duration) {
    let Some(fd) = pidfd else {
        std::thread::sleep(max.min(Duration::from_millis(1)));
        return;
    };
    let mut poll = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = i32::try_from(max.as_millis()).unwrap_or(i32::MAX).max(1);
    // SAFETY: poll on one valid pollfd; a pidfd becomes readable when its
    // process exits. An error or EINTR just means another look.
    unsafe { libc::poll(&raw mut poll, 1, ms) };
}

fn read_limited(mut pipe: impl Read, limit: usize) -> Chunk {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut chunk) {
            Ok(0) => return Chunk::Done(out),
            Ok(n) => {
                if out.len() + n > limit {
                    return Chunk::TooMuch;
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Chunk::Error(e),
        }
    }
}

/// The running helper. Dropping it kills its whole process group and reaps
/// it.
struct Helper(Option<Child>);

impl Helper {
    fn child(&mut self) -> &mut Child {
        match self.0.as_mut() {
            Some(child) => child,
            None => unreachable!("the child is present until finish or drop"),
        }
    }

    /// A pidfd for the helper (readable once it exits), if the kernel has
    /// pidfds.
    fn exit_fd(&mut self) -> Option<OwnedFd> {
        let pid = libc::pid_t::try_from(self.child().id()).ok()?;
        // SAFETY: pidfd_open on our own child, which is not reaped yet (so
        // the pid is still its); the descriptor returned is new and ours.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0)?;
        // SAFETY: as above.
        Some(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Whether the helper has exited, without reaping it: while it is a
    /// zombie its pid, and so its process group id, cannot be reused, so
    /// the group can still be killed safely.
    fn exited(&mut self) -> std::io::Result<bool> {
        let pid: libc::id_t = self.child().id();
        // SAFETY: an all-zero siginfo_t is valid; waitid fills it in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own child, with a valid siginfo_t.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid,
                &raw mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: si_pid is set by waitid (0 when nothing has exited).
        Ok(unsafe { info.si_pid() } != 0)
    }

    fn kill_group(child: &mut Child) {
        if let Ok(pgid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals a process group;
            // this one is the helper's own (process_group(0)), and the
            // helper is not reaped yet, so the id is still its.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
    }

    /// Kills whatever the plugin left running in the helper's process group,
    /// then reaps the helper and returns its status.
    fn finish(mut self) -> std::io::Result<std::process::ExitStatus> {
        let mut child = match self.0.take() {
            Some(child) => child,
            None => unreachable!("finish is called once"),
        };
        Self::kill_group(&mut child);
        child.wait()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            Self::kill_group(&mut child);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// The helper side.
// ---------------------------------------------------------------------------

/// Why the helper could not get an answer from the plugin; sent to the
/// parent as one line.
struct HelperError(String);

impl<E: fmt::Display> From<E> for HelperError {
    fn from(e: E) -> Self {
        HelperError(e.to_string())
    }
}

fn fail(message: impl Into<String>) -> HelperError {
    HelperError(message.into())
}

/// Closes every descriptor above standard error: whatever nono's own
/// caller left open without close-on-exec (a socket, say) must not reach
/// the plugin.
fn close_inherited() {
    // SAFETY: close_range(2) on descriptors this process does not use; the
    // helper has opened none of its own yet.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    if rc != 0 {
        // Linux before 5.9: one by one, up to the descriptor limit.
        // SAFETY: as above.
        let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) };
        for fd in 3..i32::try_from(max).unwrap_or(1024).min(65_536) {
            // SAFETY: as above.
            unsafe { libc::close(fd) };
        }
    }
}

/// The helper's standard output, kept for the answer; file descriptor 1 then
/// points at standard error for the plugin's sake.
fn take_stdout() -> Result<std::fs::File, HelperError> {
    // SAFETY: fcntl and dup2 on the process's own standard descriptors.
    let kept = unsafe { libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3) };
    if kept < 0 {
        return Err(fail(format!(
            "cannot keep standard output: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: `kept` is a new descriptor this process owns from now on.
    let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(kept) });
    // SAFETY: as above.
    if unsafe { libc::dup2(2, 1) } < 0 {
        return Err(fail(format!(
            "cannot redirect standard output: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(file)
}

/// The variables the built-in sensitive paths are written with.
const SENSITIVE_PATH_VARS: [&str; 4] = ["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "CARGO_HOME"];

/// Confines the helper: no core dumps, no capabilities, and a Landlock
/// ruleset of read-only `/` with the sensitive paths carved out, no network,
/// no sockets, scoped IPC.
fn confine() -> Result<(), HelperError> {
    use nono_compile::{RealFs, ResolveEnv, Target, compile};
    use nono_model::{
        Access, EnforcementStatus, FsGrant, GrantSource, NetPolicy, Policy, SocketFilter,
    };

    // A crash is expected now and then; it should not leave (or pipe out) a
    // core dump of a process that held the user's environment.
    // SAFETY: prctl and setrlimit with plain integer arguments.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &raw const none);
    }
    nono_enforce::drop_capabilities()?;

    let mut policy = Policy::default();
    policy.add(
        FsGrant::new("/", Access::Read),
        GrantSource::Flag("plugin helper".into()),
    );
    policy.net = NetPolicy::Block;
    // The credentials, not nono's cache: the helper cannot write anything
    // anyway, and carving the cache out of `/` would give a rule to every
    // entry of `~/.cache`, a busy directory, where one removed before the
    // rules are applied would fail the evaluation.
    for path in nono_model::SENSITIVE_PATHS {
        policy.deny(path, GrantSource::Builtin("sensitive paths".into()));
    }
    let target = Target {
        kernel_abi: nono_enforce::landlock_state().abi(),
        abi_limit: None,
    };
    let env = ResolveEnv::new("/").with_vars(
        SENSITIVE_PATH_VARS
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), std::env::var(name).ok()?)))
            .collect(),
    );
    let mut ruleset = compile(&policy, &target, &env, &RealFs)?.ruleset;
    // Not even Unix sockets: below Landlock ABI 9 nothing else would keep
    // the plugin from connecting to, say, a container runtime's socket.
    ruleset.socket_filter = Some(SocketFilter::NoSockets);
    let report = nono_enforce::apply(&ruleset)
        .map_err(|e| fail(format!("cannot sandbox the plugin helper: {e}")))?;
    if report.status == EnforcementStatus::NotEnforced {
        return Err(fail(
            "cannot sandbox the plugin helper: Landlock is not available on this kernel (see 'nono check'), and nono does not run plugins unconfined",
        ));
    }
    Ok(())
}

type AbiVersionFn = unsafe extern "C" fn() -> u32;
type PresetsFn = unsafe extern "C" fn(*const u8, usize, *mut usize) -> *mut u8;
type FreeFn = unsafe extern "C" fn(*mut u8, usize);

fn symbol<'l, T>(
    lib: &'l libloading::Library,
    name: &str,
) -> Result<libloading::Symbol<'l, T>, HelperError> {
    // SAFETY: the symbol's type is the plugin ABI's; a plugin that defines
    // it otherwise breaks the ABI, which the sandbox contains.
    unsafe { lib.get::<T>(name) }.map_err(|_| {
        fail(format!(
            "missing symbol {name}: is this a nono plugin (plugin ABI version {PLUGIN_ABI_VERSION})?"
        ))
    })
}

/// Loads and calls the plugin. Returns `Ok(None)` when it returned a null
/// pointer.
fn call_plugin(plugin: &std::fs::File, context: &[u8]) -> Result<Option<Vec<u8>>, HelperError> {
    let path = format!("/proc/self/fd/{}", plugin.as_raw_fd());
    // SAFETY: loading runs the plugin's initialisers: arbitrary code, which
    // is why the process is confined before this point.
    let lib = unsafe { libloading::Library::new(&path) }
        .map_err(|e| fail(format!("cannot load it: {e}")))?;
    // The plugin stays loaded until the helper exits: unloading would run its
    // finalisers for nothing.
    let lib = &*Box::leak(Box::new(lib));
    let abi_version = symbol::<AbiVersionFn>(lib, "nono_plugin_abi_version")?;
    let presets = symbol::<PresetsFn>(lib, "nono_plugin_presets")?;
    let free = symbol::<FreeFn>(lib, "nono_plugin_free")?;
    // SAFETY: a plugin ABI function with no arguments.
    let version = unsafe { abi_version() };
    if version != PLUGIN_ABI_VERSION {
        return Err(fail(format!(
            "it speaks plugin ABI version {version}, but this nono speaks version {PLUGIN_ABI_VERSION}"
        )));
    }
    let mut len = 0usize;
    // SAFETY: the context pointer and length describe a live buffer, and
    // `len` is a writable usize, as the ABI requires.
    let ptr = unsafe { presets(context.as_ptr(), context.len(), &raw mut len) };
    if ptr.is_null() {
        return Ok(None);
    }
    if len > OUTPUT_LIMIT {
        // SAFETY: handing back what the plugin returned, once.
        unsafe { free(ptr, len) };
        return Err(fail(format!(
            "returned a manifest of {len} bytes, more than {} (the output limit)",
            show_size(OUTPUT_LIMIT)
        )));
    }
    // SAFETY: the plugin returned `len` bytes at `ptr`, valid until freed.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    // SAFETY: handing back what the plugin returned, once.
    unsafe { free(ptr, len) };
    Ok(Some(bytes))
}

fn helper(plugin_path: &Path, dev: u64, ino: u64) -> Result<Option<Vec<u8>>, HelperError> {
    let mut context = Vec::new();
    std::io::stdin()
        .take(CONTEXT_LIMIT)
        .read_to_end(&mut context)
        .map_err(|e| fail(format!("cannot read the host context: {e}")))?;
    let plugin =
        std::fs::File::open(plugin_path).map_err(|e| fail(format!("cannot open it: {e}")))?;
    let meta = plugin
        .metadata()
        .map_err(|e| fail(format!("cannot examine it: {e}")))?;
    if (meta.dev(), meta.ino()) != (dev, ino) {
        return Err(fail(
            "the file changed after it was checked; refusing to load it",
        ));
    }
    confine()?;
    call_plugin(&plugin, &context)
}

/// The helper process: evaluates the plugin at `plugin_path`, which must
/// still be the file with identity `(dev, ino)` that the parent checked,
/// writes the answer to standard output and exits with [`EXIT_OK`],
/// [`EXIT_FAILED`] or [`EXIT_NO_MANIFEST`]. Never returns.
///
/// Call it first thing in the helper process, before any thread is started:
/// the sandbox applies to the calling thread and the threads it starts later.
pub fn helper_main(plugin_path: &Path, dev: u64, ino: u64) -> ! {
    close_inherited();
    let mut out = match take_stdout() {
        Ok(out) => out,
        Err(HelperError(message)) => {
            let _ = writeln!(std::io::stdout(), "{message}");
            exit_now(EXIT_FAILED)
        }
    };
    let (bytes, code) = match helper(plugin_path, dev, ino) {
        Ok(Some(bytes)) => (bytes, EXIT_OK),
        Ok(None) => (Vec::new(), EXIT_NO_MANIFEST),
        Err(HelperError(message)) => (message.into_bytes(), EXIT_FAILED),
    };
    if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
        exit_now(EXIT_FAILED);
    }
    exit_now(code)
}

/// Exits without running destructors or `atexit` handlers: the plugin's
/// finalisers have nothing to do and must not get a chance to change the
/// outcome.
fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the process; nothing is left to flush (the answer
    // was written unbuffered).
    unsafe { libc::_exit(code) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// An evaluator whose "helper" is a shell script; `$1` is the plugin
    /// path, `$2` and `$3` its dev and ino.
    fn shell(script: &str) -> Evaluator {
        let mut e = Evaluator::new(
            PathBuf::from("/bin/sh"),
            vec!["-c".into(), script.into(), "sh".into()],
            ContextSource::Given(HostContext::default()),
        );
        e.time_limit = Duration::from_secs(2);
        e.output_limit = 1024;
        e
    }

    fn some_file() -> (tempfile::NamedTempFile, TrustedFile) {
        let f = tempfile::NamedTempFile::new().unwrap();
        let meta = f.as_file().metadata().unwrap();
        let t = TrustedFile::from_metadata(f.path().to_path_buf(), &meta);
        (f, t)
    }

    #[test]
    fn the_answer_and_the_arguments_come_through() {
        let (_f, t) = some_file();
        let out = shell(r#"cat >/dev/null; printf '%s %s %s' "$1" "$2" "$3""#)
            .answer(&t)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{} {} {}", t.path.display(), t.dev, t.ino)
        );
    }

    #[test]
    fn the_context_arrives_on_stdin_and_the_environment_is_clean() {
        let (_f, t) = some_file();
        let mut e = shell("cat; echo; env | grep -c . || true");
        e.context = ContextSource::Given(HostContext {
            cwd: "/somewhere".into(),
            ..HostContext::default()
        });
        let out = String::from_utf8(e.answer(&t).unwrap()).unwrap();
        assert!(out.starts_with('(') && out.contains("/somewhere"), "{out}");
        // `sh` sets a few variables of its own (PWD, SHLVL, _), no more.
        let count: usize = out.lines().last().unwrap().parse().unwrap();
        assert!(count <= 3, "{out}");
    }

    /// Waits up to 2 s for the process whose pid is in `pid_file` to be
    /// gone; false if it is still there.
    fn gone(pid_file: &Path) -> bool {
        let pid: i32 = std::fs::read_to_string(pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        for _ in 0..200 {
            // A zombie still has its /proc entry, with state Z.
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = state.rsplit(") ").next().unwrap_or("").chars().next();
            if matches!(state, None | Some('Z')) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    #[test]
    fn a_hang_hits_the_time_limit_and_the_group_is_killed() {
        let (_f, t) = some_file();
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let mut e = shell(&format!(
            "sleep 30 & echo $! > {}; sleep 30",
            pid_file.display()
        ));
        e.time_limit = Duration::from_millis(300);
        let start = Instant::now();
        let err = e.answer(&t).unwrap_err();
        assert!(matches!(err, PluginFailure::TimedOut(_)), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(err.to_string().contains("0.3 s"), "{err}");
        assert!(gone(&pid_file), "the helper's background process survived");
    }

    #[test]
    fn what_a_plugin_leaves_running_is_killed_after_it_answers() {
        let (_f, t) = some_file();
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let e = shell(&format!(
            "sleep 30 >/dev/null 2>&1 & echo $! > {}; printf done",
            pid_file.display()
        ));
        assert_eq!(e.answer(&t).unwrap(), b"done");
        assert!(gone(&pid_file), "the helper's background process survived");
    }

    #[test]
    fn too_much_output_hits_the_output_limit() {
        let (_f, t) = some_file();
        let err = shell("yes").answer(&t).unwrap_err();
        assert!(matches!(err, PluginFailure::TooMuchOutput(1024)), "{err}");
        // Exactly the limit is fine.
        let out = shell("head -c 1024 /dev/zero").answer(&t).unwrap();
        assert_eq!(out.len(), 1024);
    }

    #[test]
    fn signals_and_statuses_are_told_apart() {
        let (_f, t) = some_file();
        let err = shell("kill -SEGV $$").answer(&t).unwrap_err();
        assert_eq!(err.to_string(), "crashed (signal SIGSEGV)");
        let err = shell("echo 'missing symbol x'; exit 3")
            .answer(&t)
            .unwrap_err();
        assert_eq!(err.to_string(), "missing symbol x");
        let err = shell("echo 'panicked at a.rs:1:2: boom' >&2; exit 4")
            .answer(&t)
            .unwrap_err();
        assert_eq!(err.to_string(), "failed: panicked at a.rs:1:2: boom");
        let err = shell("exit 4").answer(&t).unwrap_err();
        assert!(err.to_string().contains("null pointer"), "{err}");
        let err = shell("echo 'oh no' >&2; echo >&2; exit 7")
            .answer(&t)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "exited with status 7 while being evaluated: oh no"
        );
    }

    #[test]
    fn text_from_a_plugin_is_made_one_safe_line() {
        assert_eq!(one_line(b"a\x1b[31mb\tc"), "a?[31mb?c");
        assert_eq!(last_line(b"first\nsecond\n\n  \n"), Some("second".into()));
        assert_eq!(last_line(b"\n"), None);
        assert!(one_line(&[b'x'; 1000]).ends_with("..."));
    }

    #[test]
    fn a_helper_that_cannot_start_is_a_clear_error() {
        let (_f, t) = some_file();
        let mut e = shell("");
        e.program = PathBuf::from("/nonexistent/nono");
        let err = e.answer(&t).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot start the plugin helper /nonexistent/nono"),
            "{err}"
        );
    }
}
