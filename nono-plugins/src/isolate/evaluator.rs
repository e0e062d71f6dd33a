//! The parent's side: a plugin file in, its validated manifest out, from
//! the cache or from the helper.

use super::failure::PluginFailure;
use super::supervise::{Run, TIME_LIMIT};
use crate::cache::{CacheKey, CacheOff, CacheSetting, Lookup, Provenance};
use crate::manifest::{HostContext, OUTPUT_LIMIT, PluginManifest};
use crate::trust::TrustedFile;
use std::borrow::Cow;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    pub fn get(&self) -> Cow<'_, HostContext> {
        match self {
            ContextSource::Current { nono_version } => {
                Cow::Owned(HostContext::current(nono_version))
            }
            ContextSource::Given(context) => Cow::Borrowed(context),
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
            cache: CacheSetting::Off(CacheOff::NotConfigured),
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
            CacheSetting::Off(why) => Err(why),
        };
        let bytes = self.answer_to(&trusted, &context)?;
        let manifest = PluginManifest::parse(&bytes, name)?;
        let note = match cached {
            Err(off) => format!("cache off: {off}"),
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
        let run = Run {
            program: &self.program,
            args: &self.args,
            time_limit: self.time_limit,
            output_limit: self.output_limit,
        };
        run.ending(plugin, context)?.answer()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Instant;

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
        let err = shell("exit 3").answer(&t).unwrap_err();
        assert_eq!(err.to_string(), "failed, without a reason");
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
