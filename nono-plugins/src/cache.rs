//! A cache of plugins' answers, so that a plugin is not started on every
//! run.
//!
//! Evaluating a plugin means starting the sandboxed helper (see
//! [`crate::isolate`]): a few milliseconds on every `nono run` that names a
//! plugin preset. The answer depends only on the plugin file and on the
//! [`HostContext`](crate::HostContext) it is given, so nono keeps it, keyed
//! by exactly those, in `$XDG_CACHE_HOME/nono/plugins/` (by default
//! `~/.cache/nono/plugins/`).
//!
//! A poisoned cache would widen a sandbox, so:
//!
//! - **The key is everything the answer depends on** ([`CacheKey`]): the
//!   plugin's name and canonical path; the identity of the file the trust
//!   check opened (device, inode, size, modification time and status-change
//!   time, in nanoseconds: rebuilding, copying over or touching the plugin
//!   changes it, and the status-change time cannot be set back by a user);
//!   the exact context text the plugin is given (nono's version, the
//!   environment, the working and home directories); nono's version and the
//!   plugin ABI version. An entry holds its whole key, and is used only when
//!   that key is byte for byte the one computed now; the file name (a hash
//!   of the key) only finds it.
//! - **An entry is checked before it is believed**: the directories (opened
//!   without following symlinks) and the entry must be owned by the user
//!   running nono and writable by neither group nor others, the entry a
//!   regular file of at most [`ENTRY_LIMIT`] bytes, in the exact format
//!   written. The plugin's answer inside it is then validated exactly as a
//!   fresh answer is ([`PluginManifest::parse`]). Anything wrong is a
//!   miss, never an error and never a partial answer: the plugin is
//!   evaluated afresh, and the entry replaced.
//! - **Writes are atomic**: a temporary file (mode 0600, created
//!   exclusively) in the same directory, renamed over the entry. The
//!   directories are created mode 0700. A failure to write is never fatal.
//! - **Only answers that passed validation are stored**; failures never
//!   are. Nor is an answer when the plugin file changed while it was being
//!   evaluated.
//! - **No sandbox can write the cache**: `${XDG_CACHE_HOME:-~/.cache}/nono`
//!   is denied to every sandbox like the sensitive paths
//!   (`nono_model::NONO_CACHE_PATHS`): carved out of every grant, so
//!   `--allow ~` or `--allow ~/.cache` cannot reach it. nono creates the
//!   directory only when it stores an entry (before it builds the sandbox
//!   of that run, which then carves it as an existing path). While it is
//!   missing, no sandbox can create it either: for a denied path that does
//!   not exist, nothing new can be created in its nearest existing
//!   directory (see `nono_compile::carve`). So no nono command creates a
//!   directory it does not need.
//!
//! `NONO_PLUGIN_CACHE=off` turns the cache off (every plugin is evaluated,
//! nothing is read or written).

use crate::manifest::{ManifestError, OUTPUT_LIMIT, PLUGIN_ABI_VERSION, PluginManifest};
use crate::trust::TrustedFile;
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The environment variable that turns the cache off: `off` (or `0`,
/// `no`, `false`).
pub const CACHE_VAR: &str = "NONO_PLUGIN_CACHE";

/// The largest cache entry nono reads or writes, in bytes: the plugin
/// output limit ([`OUTPUT_LIMIT`], 4 MiB), key included.
pub const ENTRY_LIMIT: u64 = OUTPUT_LIMIT as u64;

/// How many entries the cache keeps; when a new one is written beyond this,
/// the oldest go. (The context includes the working directory, so each
/// project directory has an entry of its own.)
pub const MAX_ENTRIES: usize = 128;

/// The first line of every entry.
const ENTRY_MAGIC: &[u8] = b"nono plugin cache entry 1\n";

/// The first line of every key.
const KEY_MAGIC: &str = "nono plugin cache key 1\n";

/// The subdirectory of nono's cache directory that holds the entries.
const PLUGINS_SUBDIR: &str = "plugins";

/// Why this environment gives nono no cache directory.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoCacheRoot {
    /// The variable is set to a relative path, which would move with the
    /// working directory.
    #[error("{var} ({}) is not an absolute path", .path.display())]
    Relative {
        /// `XDG_CACHE_HOME` or `HOME`.
        var: &'static str,
        /// Its value.
        path: PathBuf,
    },
    /// The variable is set but not UTF-8, which nono's path expansion
    /// (and so the sandboxes' carve) does not read.
    #[error("{0} is not UTF-8")]
    NotUtf8(&'static str),
    /// Neither variable is set (or both are empty).
    #[error("neither XDG_CACHE_HOME nor HOME is set")]
    Unset,
}

/// nono's cache directory, as the path every sandbox denies,
/// `${XDG_CACHE_HOME:-~/.cache}/nono`, expands: `$XDG_CACHE_HOME/nono` when
/// that is set and not empty, else `$HOME/.cache/nono`. Either must be an
/// absolute path: a relative one would move with the working directory,
/// and would not be the path every sandbox carves out. The error says why
/// there is none.
pub fn cache_root(
    xdg_cache_home: Option<&str>,
    home: Option<&str>,
) -> Result<PathBuf, NoCacheRoot> {
    if let Some(xdg) = xdg_cache_home.filter(|x| !x.is_empty()) {
        let xdg = Path::new(xdg);
        return if xdg.is_absolute() {
            Ok(xdg.join("nono"))
        } else {
            Err(NoCacheRoot::Relative {
                var: "XDG_CACHE_HOME",
                path: xdg.to_path_buf(),
            })
        };
    }
    match home.filter(|h| !h.is_empty()).map(Path::new) {
        Some(home) if home.is_absolute() => Ok(home.join(".cache/nono")),
        Some(home) => Err(NoCacheRoot::Relative {
            var: "HOME",
            path: home.to_path_buf(),
        }),
        None => Err(NoCacheRoot::Unset),
    }
}

/// A variable of this process's environment, as nono's path expansion sees
/// it (only UTF-8 values); an error when it is set but not UTF-8, so that
/// the cache is never somewhere the sandboxes' carve is not.
fn utf8_var(name: &'static str) -> Result<Option<String>, NoCacheRoot> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(NoCacheRoot::NotUtf8(name)),
    }
}

/// nono's cache directory for this process's environment (see
/// [`cache_root`]).
pub fn cache_root_from_env() -> Result<PathBuf, NoCacheRoot> {
    cache_root(
        utf8_var("XDG_CACHE_HOME")?.as_deref(),
        utf8_var("HOME")?.as_deref(),
    )
}

/// Whether the cache is used, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheSetting {
    /// Entries are looked up and written in this cache.
    On(PluginCache),
    /// No cache; why.
    Off(CacheOff),
}

/// Why the cache is off.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CacheOff {
    /// [`CACHE_VAR`] turns it off (its value, lower-cased).
    #[error("{CACHE_VAR}={0}")]
    TurnedOff(String),
    /// There is no usable cache directory.
    #[error(transparent)]
    NoRoot(#[from] NoCacheRoot),
    /// The evaluator was given no cache.
    #[error("no cache was configured")]
    NotConfigured,
    /// The command changes nothing on disk (`--dry-run`, `why`, `presets`).
    #[error("this command changes nothing on disk")]
    ChangesNothing,
}

impl CacheSetting {
    /// The setting this process's environment asks for: off when
    /// [`CACHE_VAR`] says so or when there is no usable cache directory
    /// ([`cache_root_from_env`]), else on.
    pub fn from_env() -> CacheSetting {
        if let Some(value) = std::env::var_os(CACHE_VAR) {
            let value = value.to_string_lossy().to_ascii_lowercase();
            if ["off", "0", "no", "false"].contains(&value.as_str()) {
                return CacheSetting::Off(CacheOff::TurnedOff(value));
            }
        }
        match cache_root_from_env() {
            Ok(root) => CacheSetting::On(PluginCache::new(root)),
            Err(why) => CacheSetting::Off(why.into()),
        }
    }
}

/// Everything a plugin's answer depends on, as text: what an entry must
/// hold, byte for byte, to be used. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKey {
    text: Vec<u8>,
    file_name: String,
}

/// Appends `NAME LEN:VALUE\n`: with the length first, no value can pass for
/// another field.
fn field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(format!("{name} {}:", value.len()).as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// FNV-1a, 64 bits: a stable hash for entry file names (never trusted: the
/// whole key is compared).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl CacheKey {
    /// The key of plugin `plugin` in the file `file` (as the trust check
    /// found it), given the context text `context` (exactly what the plugin
    /// is sent) by nono version `nono_version`.
    pub fn new(plugin: &str, file: &TrustedFile, context: &str, nono_version: &str) -> CacheKey {
        let mut text = KEY_MAGIC.as_bytes().to_vec();
        field(&mut text, "nono-version", nono_version.as_bytes());
        field(
            &mut text,
            "plugin-abi",
            PLUGIN_ABI_VERSION.to_string().as_bytes(),
        );
        field(&mut text, "plugin", plugin.as_bytes());
        field(&mut text, "path", file.path.as_os_str().as_bytes());
        field(
            &mut text,
            "file",
            format!(
                "dev={} ino={} size={} mtime_ns={} ctime_ns={}",
                file.dev, file.ino, file.size, file.mtime_ns, file.ctime_ns
            )
            .as_bytes(),
        );
        field(&mut text, "context", context.as_bytes());
        let file_name = format!("{plugin}-{:016x}", fnv1a(&text));
        CacheKey { text, file_name }
    }

    /// The key's text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.text
    }

    /// The name of the entry file: the plugin's name and a hash of the key.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    /// A valid entry for exactly this key.
    Hit {
        /// The plugin's answer, validated as a fresh one is.
        manifest: PluginManifest,
        /// The entry file.
        entry: PathBuf,
    },
    /// Nothing usable; why.
    Miss(Miss),
}

/// Why a lookup found nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum Miss {
    /// There is no entry for this key (nor, perhaps, a cache directory).
    #[error("no entry")]
    NoEntry,
    /// A directory of the cache cannot be used.
    #[error(transparent)]
    Dir(DirError),
    /// The entry could not be opened.
    #[error("cannot open {}: {source}", .entry.display())]
    Open {
        /// The entry file.
        entry: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The entry is there, but is not used.
    #[error("entry {} not used: {why}", .entry.display())]
    NotUsed {
        /// The entry file.
        entry: PathBuf,
        /// Why.
        why: Unusable,
    },
}

/// Why an entry that is there is not used.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    /// It could not be examined.
    #[error("cannot examine it: {0}")]
    Examine(std::io::Error),
    /// It is not a regular file of the user's that only they can write.
    #[error(transparent)]
    Unsafe(Unsafe),
    /// It is over [`ENTRY_LIMIT`].
    #[error("it is larger than {ENTRY_LIMIT} bytes")]
    TooLarge,
    /// It could not be read.
    #[error("cannot read it: {0}")]
    Read(std::io::Error),
    /// It is not exactly an entry, for exactly this key.
    #[error(transparent)]
    Malformed(Malformed),
    /// The plugin's answer in it does not pass validation.
    #[error("the plugin answer in it is not valid: {0}")]
    Invalid(ManifestError),
}

/// Why a file or directory of the cache may not be believed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsafe {
    /// A directory was expected.
    #[error("it is not a directory")]
    NotADirectory,
    /// A regular file was expected.
    #[error("it is not a regular file")]
    NotARegularFile,
    /// It belongs to someone other than the user running nono.
    #[error("it is owned by uid {owner}, not by you (uid {euid})")]
    Owner {
        /// Its owner.
        owner: u32,
        /// nono's effective uid.
        euid: u32,
    },
    /// Others could write it.
    #[error("it is group- or world-writable (mode {mode:04o})")]
    Writable {
        /// Its permission bits.
        mode: u32,
    },
}

/// How an entry's bytes are not exactly what nono writes for the key
/// looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// It does not start as an entry does.
    #[error("it is not a cache entry of this nono")]
    NotAnEntry,
    /// The key's length line is wrong.
    #[error("its key line is malformed")]
    KeyLine,
    /// It holds another key.
    #[error("it was written for another key")]
    OtherKey,
    /// What follows the key is wrong.
    #[error("it is malformed after its key")]
    AfterKey,
    /// The answer's length line is wrong.
    #[error("its answer line is malformed")]
    AnswerLine,
    /// The answer is not exactly its stated length.
    #[error("its answer is truncated or has trailing bytes")]
    AnswerLength,
}

/// Why a directory of the cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// It does not exist (yet).
    #[error("{} does not exist", .0.display())]
    Missing(PathBuf),
    /// It could not be opened (a symlink is not followed).
    #[error("cannot open {}: {source}", .path.display())]
    Open {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// It could not be examined.
    #[error("cannot examine {}: {source}", .path.display())]
    Examine {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// It is not a directory of the user's that only they can write.
    #[error("{} is not safe: {why}", .path.display())]
    Unsafe {
        /// The directory.
        path: PathBuf,
        /// Why.
        why: Unsafe,
    },
}

/// Why an answer could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The entry would be over [`ENTRY_LIMIT`].
    #[error("the entry would be larger than {ENTRY_LIMIT} bytes")]
    TooLarge,
    /// A directory of the cache could not be created.
    #[error("cannot create {}: {source}", .path.display())]
    Create {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A directory of the cache cannot be used.
    #[error(transparent)]
    Dir(DirError),
    /// The entry could not be written.
    #[error("cannot write {}: {source}", .dir.display())]
    Write {
        /// The entries' directory.
        dir: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// How a plugin's presets were obtained, for `-v`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// Read from this cache entry.
    Cached(PathBuf),
    /// The plugin was evaluated in the sandboxed helper; what the cache
    /// said and did.
    Evaluated(String),
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::Cached(entry) => {
                write!(f, "presets from the cache ({})", entry.display())
            }
            Provenance::Evaluated(note) => {
                write!(f, "presets evaluated by the plugin ({note})")
            }
        }
    }
}

/// nono's plugin cache, under a cache directory (see the [module
/// documentation](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginCache {
    root: PathBuf,
}

fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Why `meta` may not be believed: not the kind expected, not the user's,
/// or writable by others.
fn unsafe_because(meta: &std::fs::Metadata, want_dir: bool) -> Option<Unsafe> {
    match (want_dir, meta.is_dir(), meta.is_file()) {
        (true, false, _) => return Some(Unsafe::NotADirectory),
        (false, _, false) => return Some(Unsafe::NotARegularFile),
        _ => {}
    }
    let euid = effective_uid();
    if meta.uid() != euid {
        return Some(Unsafe::Owner {
            owner: meta.uid(),
            euid,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Some(Unsafe::Writable { mode });
    }
    None
}

/// `openat(dir, name, flags, mode)`, close-on-exec, never following a
/// symlink in `name`.
fn open_at(dir: &File, name: &str, flags: OFlags, mode: Mode) -> std::io::Result<File> {
    let fd = rustix::fs::openat(dir, name, flags | OFlags::CLOEXEC | OFlags::NOFOLLOW, mode)?;
    Ok(File::from(fd))
}

impl DirError {
    fn opening(path: &Path, source: std::io::Error) -> DirError {
        if source.kind() == std::io::ErrorKind::NotFound {
            DirError::Missing(path.to_path_buf())
        } else {
            DirError::Open {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Opens a directory of the cache without following a symlink, and checks
/// it is the user's and writable by no one else.
fn open_dir(path: &Path) -> Result<File, DirError> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let dir = rustix::fs::open(path, flags, Mode::empty())
        .map(File::from)
        .map_err(|e| DirError::opening(path, e.into()))?;
    check_dir(&dir, path)?;
    Ok(dir)
}

fn check_dir(dir: &File, path: &Path) -> Result<(), DirError> {
    let meta = dir.metadata().map_err(|source| DirError::Examine {
        path: path.to_path_buf(),
        source,
    })?;
    match unsafe_because(&meta, true) {
        Some(why) => Err(DirError::Unsafe {
            path: path.to_path_buf(),
            why,
        }),
        None => Ok(()),
    }
}

/// Splits `LABEL LEN\n` off the front of `bytes`, returning `LEN` and the
/// rest.
fn length_line<'b>(bytes: &'b [u8], label: &str) -> Option<(usize, &'b [u8])> {
    let rest = bytes.strip_prefix(label.as_bytes())?.strip_prefix(b" ")?;
    let end = rest.iter().take(24).position(|&b| b == b'\n')?;
    let digits = std::str::from_utf8(&rest[..end]).ok()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, &rest[end + 1..]))
}

/// The plugin's answer in an entry, if the entry is exactly the format
/// [`encode`] writes, for exactly `key`.
fn decode<'b>(bytes: &'b [u8], key: &[u8]) -> Result<&'b [u8], Malformed> {
    let rest = bytes
        .strip_prefix(ENTRY_MAGIC)
        .ok_or(Malformed::NotAnEntry)?;
    let (key_len, rest) = length_line(rest, "key").ok_or(Malformed::KeyLine)?;
    if key_len != key.len() || rest.len() < key_len || &rest[..key_len] != key {
        return Err(Malformed::OtherKey);
    }
    let rest = rest[key_len..]
        .strip_prefix(b"\n")
        .ok_or(Malformed::AfterKey)?;
    let (answer_len, answer) = length_line(rest, "answer").ok_or(Malformed::AnswerLine)?;
    if answer.len() != answer_len {
        return Err(Malformed::AnswerLength);
    }
    Ok(answer)
}

fn encode(key: &[u8], answer: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENTRY_MAGIC.len() + key.len() + answer.len() + 48);
    out.extend_from_slice(ENTRY_MAGIC);
    out.extend_from_slice(format!("key {}\n", key.len()).as_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(format!("\nanswer {}\n", answer.len()).as_bytes());
    out.extend_from_slice(answer);
    out
}

impl PluginCache {
    /// The cache under nono's cache directory `root`
    /// (`~/.cache/nono`); entries go in `root/plugins`.
    pub fn new(root: PathBuf) -> PluginCache {
        PluginCache { root }
    }

    /// nono's cache directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory holding the entries.
    pub fn dir(&self) -> PathBuf {
        self.root.join(PLUGINS_SUBDIR)
    }

    /// Creates nono's cache directory, and any missing parent, mode 0700.
    pub fn ensure_root(&self) -> std::io::Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.root)
    }

    /// The entries' directory, opened and checked through nono's cache
    /// directory (neither followed through a symlink).
    fn open_entries_dir(&self) -> Result<File, DirError> {
        let root = open_dir(&self.root)?;
        let dir = open_at(
            &root,
            PLUGINS_SUBDIR,
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .map_err(|e| DirError::opening(&self.dir(), e))?;
        check_dir(&dir, &self.dir())?;
        Ok(dir)
    }

    /// Looks `key` up. The answer in a usable entry is validated as plugin
    /// `plugin`'s fresh answer would be. Every problem is a
    /// [`Lookup::Miss`] saying what it was.
    pub fn lookup(&self, key: &CacheKey, plugin: &str) -> Lookup {
        match self.find(key, plugin) {
            Ok((manifest, entry)) => Lookup::Hit { manifest, entry },
            Err(why) => Lookup::Miss(why),
        }
    }

    /// [`PluginCache::lookup`], a miss as an error.
    fn find(&self, key: &CacheKey, plugin: &str) -> Result<(PluginManifest, PathBuf), Miss> {
        let entry = self.dir().join(key.file_name());
        let dir = match self.open_entries_dir() {
            Ok(dir) => dir,
            Err(DirError::Missing(_)) => return Err(Miss::NoEntry),
            Err(e) => return Err(Miss::Dir(e)),
        };
        // O_NONBLOCK: a FIFO planted there must not hang nono.
        let file = match open_at(
            &dir,
            key.file_name(),
            OFlags::RDONLY | OFlags::NONBLOCK,
            Mode::empty(),
        ) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Miss::NoEntry),
            Err(source) => return Err(Miss::Open { entry, source }),
        };
        let not_used = |why: Unusable| Miss::NotUsed {
            entry: entry.clone(),
            why,
        };
        let meta = file
            .metadata()
            .map_err(|e| not_used(Unusable::Examine(e)))?;
        if let Some(why) = unsafe_because(&meta, false) {
            return Err(not_used(Unusable::Unsafe(why)));
        }
        if meta.size() > ENTRY_LIMIT {
            return Err(not_used(Unusable::TooLarge));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.size()).unwrap_or(0));
        (&file)
            .take(ENTRY_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| not_used(Unusable::Read(e)))?;
        if bytes.len() as u64 > ENTRY_LIMIT {
            return Err(not_used(Unusable::TooLarge));
        }
        let answer =
            decode(&bytes, key.as_bytes()).map_err(|e| not_used(Unusable::Malformed(e)))?;
        let manifest =
            PluginManifest::parse(answer, plugin).map_err(|e| not_used(Unusable::Invalid(e)))?;
        Ok((manifest, entry))
    }

    /// Stores plugin's raw `answer` (already validated) under `key`,
    /// atomically, and returns the entry's path. Keeps at most
    /// [`MAX_ENTRIES`] entries.
    pub fn store(&self, key: &CacheKey, answer: &[u8]) -> Result<PathBuf, StoreError> {
        let bytes = encode(key.as_bytes(), answer);
        if bytes.len() as u64 > ENTRY_LIMIT {
            return Err(StoreError::TooLarge);
        }
        self.ensure_root().map_err(|source| StoreError::Create {
            path: self.root.clone(),
            source,
        })?;
        let root = open_dir(&self.root).map_err(StoreError::Dir)?;
        match rustix::fs::mkdirat(&root, PLUGINS_SUBDIR, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => {
                return Err(StoreError::Create {
                    path: self.dir(),
                    source: e.into(),
                });
            }
        }
        let dir = self.open_entries_dir().map_err(StoreError::Dir)?;
        let temp = format!(
            ".tmp-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let written = open_at(
            &dir,
            &temp,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
            Mode::from_raw_mode(0o600),
        )
        .and_then(|mut file| {
            // The mode asked for at creation is masked by the umask; make
            // sure it is exactly 0600 (a umask can only have removed bits).
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(&bytes)
        })
        .and_then(|()| {
            rustix::fs::renameat(&dir, &temp, &dir, key.file_name()).map_err(Into::into)
        });
        if let Err(source) = written {
            let _ = rustix::fs::unlinkat(&dir, &temp, AtFlags::empty());
            return Err(StoreError::Write {
                dir: self.dir(),
                source,
            });
        }
        self.prune(&dir, key.file_name());
        Ok(self.dir().join(key.file_name()))
    }

    /// Removes the oldest entries (and leftover temporary files) beyond
    /// [`MAX_ENTRIES`], never `keep`.
    fn prune(&self, dir: &File, keep: &str) {
        let Ok(entries) = std::fs::read_dir(format!("/proc/self/fd/{}", dir.as_raw_fd())) else {
            return;
        };
        let mut files: Vec<(std::time::SystemTime, String)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let meta = e.metadata().ok()?;
                let modified = meta.modified().ok()?;
                (meta.is_file() && name != keep).then_some((modified, name))
            })
            .collect();
        if files.len() < MAX_ENTRIES {
            return;
        }
        files.sort();
        let excess = files.len() + 1 - MAX_ENTRIES;
        for (_, name) in files.into_iter().take(excess) {
            let _ = rustix::fs::unlinkat(dir, name.as_str(), AtFlags::empty());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const ANSWER: &[u8] = br#"(name: "acme", version: "1", presets: [(name: "jdk", description: "JDK", grants: [(path: "/opt/jdk", access: Read)])])"#;

    fn trusted(path: &str) -> TrustedFile {
        TrustedFile {
            path: path.into(),
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns: 4,
            ctime_ns: 5,
        }
    }

    fn key() -> CacheKey {
        CacheKey::new("acme", &trusted("/p/libacme.so"), "(cwd: \"/w\")", "0.1.0")
    }

    fn cache() -> (tempfile::TempDir, PluginCache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = PluginCache::new(dir.path().join("cache/nono"));
        (dir, cache)
    }

    fn hit(lookup: Lookup) -> PluginManifest {
        match lookup {
            Lookup::Hit { manifest, .. } => manifest,
            Lookup::Miss(why) => panic!("a miss: {why}"),
        }
    }

    fn miss(lookup: Lookup) -> String {
        match lookup {
            Lookup::Hit { entry, .. } => panic!("a hit: {}", entry.display()),
            Lookup::Miss(why) => why.to_string(),
        }
    }

    #[test]
    fn the_root_follows_the_xdg_rules_of_the_sensitive_path() {
        assert_eq!(
            cache_root(Some("/c"), Some("/h")).unwrap(),
            Path::new("/c/nono")
        );
        assert_eq!(
            cache_root(Some(""), Some("/h")).unwrap(),
            Path::new("/h/.cache/nono")
        );
        assert_eq!(
            cache_root(None, Some("/h")).unwrap(),
            Path::new("/h/.cache/nono")
        );
        let why = |xdg, home| cache_root(xdg, home).unwrap_err().to_string();
        assert_eq!(
            why(Some("rel"), Some("/h")),
            "XDG_CACHE_HOME (rel) is not an absolute path"
        );
        assert_eq!(why(None, Some("rel")), "HOME (rel) is not an absolute path");
        assert_eq!(
            why(None, Some("")),
            "neither XDG_CACHE_HOME nor HOME is set"
        );
        assert_eq!(why(None, None), "neither XDG_CACHE_HOME nor HOME is set");
    }

    #[test]
    fn every_part_of_the_key_matters() {
        let base = key();
        let mut others = vec![
            CacheKey::new("acme2", &trusted("/p/libacme.so"), "(cwd: \"/w\")", "0.1.0"),
            CacheKey::new("acme", &trusted("/q/libacme.so"), "(cwd: \"/w\")", "0.1.0"),
            CacheKey::new("acme", &trusted("/p/libacme.so"), "(cwd: \"/x\")", "0.1.0"),
            CacheKey::new("acme", &trusted("/p/libacme.so"), "(cwd: \"/w\")", "0.1.1"),
        ];
        for change in 0..5 {
            let mut t = trusted("/p/libacme.so");
            match change {
                0 => t.dev += 1,
                1 => t.ino += 1,
                2 => t.size += 1,
                3 => t.mtime_ns += 1,
                _ => t.ctime_ns += 1,
            }
            others.push(CacheKey::new("acme", &t, "(cwd: \"/w\")", "0.1.0"));
        }
        for other in &others {
            assert_ne!(other.as_bytes(), base.as_bytes());
            assert_ne!(other.file_name(), base.file_name());
        }
        assert_eq!(key(), base);
        assert!(base.file_name().starts_with("acme-"));
    }

    #[test]
    fn a_stored_answer_is_found_under_its_key_only() {
        let (_t, cache) = cache();
        assert_eq!(miss(cache.lookup(&key(), "acme")), "no entry");
        let entry = cache.store(&key(), ANSWER).unwrap();
        assert_eq!(entry, cache.dir().join(key().file_name()));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o777;
        assert_eq!(mode(&entry), 0o600);
        assert_eq!(mode(&cache.dir()), 0o700);
        assert_eq!(mode(cache.root()), 0o700);
        assert_eq!(hit(cache.lookup(&key(), "acme")).presets[0].name, "jdk");
        // Another key: a miss, even for an entry under the same file name.
        let other = CacheKey::new("acme", &trusted("/p/libacme.so"), "(cwd: \"/x\")", "0.1.0");
        assert_eq!(miss(cache.lookup(&other, "acme")), "no entry");
        std::fs::copy(&entry, cache.dir().join(other.file_name())).unwrap();
        let why = miss(cache.lookup(&other, "acme"));
        assert!(why.ends_with("it was written for another key"), "{why}");
        // Nothing but the entries is left behind.
        let names: Vec<_> = std::fs::read_dir(cache.dir()).unwrap().collect();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn the_answer_is_validated_as_a_fresh_one() {
        let (_t, cache) = cache();
        // Stored for plugin acme, but asked for as plugin other.
        cache.store(&key(), ANSWER).unwrap();
        let why = miss(cache.lookup(&key(), "other"));
        assert!(
            why.contains("not valid") && why.contains("names the plugin"),
            "{why}"
        );
        // An unknown field, as a fresh answer would be refused for.
        let bad = br#"(name: "acme", version: "1", colour: "red")"#;
        cache.store(&key(), bad).unwrap();
        let why = miss(cache.lookup(&key(), "acme"));
        assert!(why.contains("colour"), "{why}");
    }

    #[test]
    fn a_tampered_or_damaged_entry_is_a_miss() {
        let (_t, cache) = cache();
        let entry = cache.store(&key(), ANSWER).unwrap();
        let good = std::fs::read(&entry).unwrap();
        let put = |bytes: &[u8]| {
            std::fs::write(&entry, bytes).unwrap();
            std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o600)).unwrap();
        };
        // Truncated, extended, garbage, an edited length.
        for (bytes, want) in [
            (good[..good.len() - 1].to_vec(), "truncated"),
            ([good.as_slice(), b" "].concat(), "trailing"),
            (b"garbage".to_vec(), "not a cache entry"),
            (
                String::from_utf8(good.clone())
                    .unwrap()
                    .replacen("answer ", "answer 9", 1)
                    .into_bytes(),
                "truncated",
            ),
        ] {
            put(&bytes);
            let why = miss(cache.lookup(&key(), "acme"));
            assert!(why.contains(want), "{want}: {why}");
        }
        put(&good);
        hit(cache.lookup(&key(), "acme"));
        // Group- or world-writable entry, and directories.
        for (path, mode, back) in [
            (entry.clone(), 0o620, 0o600),
            (entry.clone(), 0o602, 0o600),
            (cache.dir(), 0o770, 0o700),
            (cache.root().to_path_buf(), 0o707, 0o700),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let why = miss(cache.lookup(&key(), "acme"));
            assert!(why.contains("writable"), "{why}");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(back)).unwrap();
        }
        hit(cache.lookup(&key(), "acme"));
        // A symlink to a good entry is not followed.
        let elsewhere = cache.root().join("elsewhere");
        std::fs::rename(&entry, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
        let why = miss(cache.lookup(&key(), "acme"));
        assert!(why.contains("cannot open"), "{why}");
        std::fs::remove_file(&entry).unwrap();
        // A directory, or a FIFO, in its place.
        std::fs::create_dir(&entry).unwrap();
        let why = miss(cache.lookup(&key(), "acme"));
        assert!(why.contains("not a regular file"), "{why}");
        std::fs::remove_dir(&entry).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &entry,
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let why = miss(cache.lookup(&key(), "acme"));
        assert!(why.contains("not a regular file"), "{why}");
        std::fs::remove_file(&entry).unwrap();
        // Storing again replaces whatever was there.
        cache.store(&key(), ANSWER).unwrap();
        hit(cache.lookup(&key(), "acme"));
    }

    #[test]
    fn an_entry_owned_by_someone_else_is_a_miss() {
        let (_t, cache) = cache();
        let entry = cache.store(&key(), ANSWER).unwrap();
        if effective_uid() != 0 {
            return; // only root can hand a file to someone else
        }
        std::os::unix::fs::chown(&entry, Some(4242), None).unwrap();
        let why = miss(cache.lookup(&key(), "acme"));
        assert!(why.contains("owned by uid 4242"), "{why}");
        std::os::unix::fs::chown(&entry, Some(0), None).unwrap();
        hit(cache.lookup(&key(), "acme"));
        std::os::unix::fs::chown(cache.dir(), Some(4242), None).unwrap();
        let why = miss(cache.lookup(&key(), "acme"));
        assert!(why.contains("owned by uid 4242"), "{why}");
    }

    #[test]
    fn an_oversized_entry_is_neither_read_nor_written() {
        let (_t, cache) = cache();
        let huge = vec![b' '; OUTPUT_LIMIT];
        let why = cache.store(&key(), &huge).unwrap_err();
        assert!(matches!(why, StoreError::TooLarge), "{why}");
        assert!(why.to_string().contains("larger than"), "{why}");
        let entry = cache.store(&key(), ANSWER).unwrap();
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&entry)
            .unwrap();
        file.set_len(ENTRY_LIMIT + 1).unwrap();
        let why = miss(cache.lookup(&key(), "acme"));
        assert!(why.contains("larger than"), "{why}");
    }

    #[test]
    fn old_entries_are_pruned() {
        let (_t, cache) = cache();
        let context = |n: usize| format!("(cwd: \"/w{n}\")");
        let keys: Vec<CacheKey> = (0..MAX_ENTRIES + 5)
            .map(|n| CacheKey::new("acme", &trusted("/p/libacme.so"), &context(n), "0.1.0"))
            .collect();
        for (n, k) in keys.iter().enumerate() {
            let entry = cache.store(k, ANSWER).unwrap();
            // Distinct, increasing modification times.
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000 + n as u64);
            File::options()
                .write(true)
                .open(&entry)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        assert_eq!(std::fs::read_dir(cache.dir()).unwrap().count(), MAX_ENTRIES);
        // The newest are kept, the oldest gone.
        hit(cache.lookup(keys.last().unwrap(), "acme"));
        assert_eq!(miss(cache.lookup(&keys[0], "acme")), "no entry");
    }
}
