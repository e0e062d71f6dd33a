//! The plugin cache: an answer reused, and what invalidates it.

use super::*;
use crate::common::mode;
use std::time::Duration;

/// The entries in the scratch plugin cache (`XDG_CACHE_HOME/nono/plugins`),
/// sorted.
pub(super) fn cache_entries(s: &Scratch) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(s.plugin_cache())
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

/// The only entry in the scratch plugin cache.
#[track_caller]
pub(super) fn the_entry(s: &Scratch) -> PathBuf {
    let entries = cache_entries(s);
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

/// The `-v` line of plugin `name` at `path` whose presets came from the
/// cache entry `entry`.
pub(super) fn from_cache(name: &str, path: &Path, entry: &Path) -> String {
    format!(
        "nono: plugin {name} ({}): presets from the cache ({})\n",
        path.display(),
        entry.display()
    )
}

/// The start of the `-v` line of plugin `name` at `path` when it was
/// evaluated.
pub(super) fn evaluated(name: &str, path: &Path) -> String {
    format!(
        "nono: plugin {name} ({}): presets evaluated by the plugin (",
        path.display()
    )
}

/// An entry with its answer replaced by `edit(answer)`, and the answer's
/// length line made to match, as someone who knows the format would forge
/// it. (The key, with its own length, is kept as it is.)
pub(super) fn forge(entry: &[u8], edit: impl Fn(&str) -> String) -> Vec<u8> {
    let text = std::str::from_utf8(entry).unwrap();
    let (head, rest) = text.split_once("\nanswer ").unwrap();
    let (_, answer) = rest.split_once('\n').unwrap();
    let new = edit(answer);
    format!("{head}\nanswer {}\n{new}", new.len()).into_bytes()
}

/// Writes `bytes` to `path` with exactly `mode`.
pub(super) fn put(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::write(path, bytes).unwrap();
    chmod(path, mode);
}

/// The acme plugin, run `-v` with `--preset acme/jdk` and the JDK at
/// `jdk`: `cat FILE` (relative to the scratch directory).
pub(super) fn acme_cat(lab: &Lab, jdk: &Path, file: &str) -> Outcome {
    Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", jdk)
            .args(run_args(["-v", "--preset", "acme/jdk"], ["cat", file])),
    )
}

/// The second run of a plugin preset is served from the cache, without
/// starting the plugin, and grants exactly what the first run granted,
/// checked by real access; the entry and its directories have modes 0600
/// and 0700. Twin: with `NONO_PLUGIN_CACHE=off` the plugin is evaluated
/// again, and the cache is left as it was.
#[test]
fn a_plugin_answer_is_reused_from_the_cache_with_the_same_real_access() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let jdk = lab.granted();

    let first = acme_cat(&lab, &jdk, "granted/data.txt");
    first
        .expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr(&evaluated("acme", &path))
        .expect_stderr("(cache miss: no entry; stored in ");
    let entry = the_entry(&lab.s);
    first.expect_stderr(&format!("stored in {})\n", entry.display()));
    assert!(
        entry
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("acme-")
    );
    assert_eq!(mode(&entry), 0o600);
    assert_eq!(mode(&lab.s.plugin_cache()), 0o700);
    assert_eq!(mode(&lab.s.cache_home().join("nono")), 0o700);
    let stored = std::fs::read(&entry).unwrap();

    // Reused: the same access, from the cache.
    acme_cat(&lab, &jdk, "granted/data.txt")
        .expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr(&from_cache("acme", &path, &entry))
        .expect_no_stderr("evaluated by the plugin");
    let out = Outcome::of(lab.nono().env("ACME_JDK_HOME", &jdk).args(run_args(
        ["-v", "--preset", "acme/jdk"],
        ["touch", "granted/new.txt"],
    )));
    out.expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("acme", &path, &entry));
    assert_absent(&lab.s.join("granted/new.txt"));
    let out = acme_cat(&lab, &jdk, "outside/secret.txt");
    out.expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("acme", &path, &entry));
    assert!(!out.stdout.contains("not granted"), "{out:#?}");
    assert_eq!(std::fs::read(&entry).unwrap(), stored);

    // Twin: the cache off, the plugin is evaluated, and the cache untouched.
    let modified = std::fs::metadata(&entry).unwrap().modified().unwrap();
    Outcome::of(
        lab.nono()
            .env("ACME_JDK_HOME", &jdk)
            .env("NONO_PLUGIN_CACHE", "off")
            .args(run_args(
                ["-v", "--preset", "acme/jdk"],
                ["cat", "granted/data.txt"],
            )),
    )
    .expect_ok()
    .expect_stdout("granted by the plugin")
    .expect_stderr(&format!(
        "{}cache off: NONO_PLUGIN_CACHE=off)\n",
        evaluated("acme", &path)
    ));
    assert_eq!(cache_entries(&lab.s), std::slice::from_ref(&entry));
    assert_eq!(std::fs::read(&entry).unwrap(), stored);
    assert_eq!(
        std::fs::metadata(&entry).unwrap().modified().unwrap(),
        modified
    );
}

/// A plugin rebuilt at the same path, touched (even with its modification
/// time set back), or overwritten in place is evaluated again, and what the
/// new file grants is what the sandbox enforces; the old grant is gone.
/// Twin: the unchanged file is served from the cache.
#[test]
fn changing_the_plugin_file_invalidates_its_cache_entry() {
    let lab = Lab::new();
    lab.s.write("other/data.txt", "granted by the new plugin\n");
    let path = lab.good_c_plugin("tools");
    let first_build = std::fs::read(&path).unwrap();
    let cat = |file: &str| lab.run(run_args(["-v", "--preset", "tools/files"], ["cat", file]));

    cat("granted/data.txt")
        .expect_ok()
        .expect_stderr(&evaluated("tools", &path));
    let entry = the_entry(&lab.s);
    cat("granted/data.txt")
        .expect_ok()
        .expect_stderr(&from_cache("tools", &path, &entry));

    // Rebuilt to grant other/ instead: a new file at the same path.
    let manifest = good_manifest("tools", &lab.s.join("other"));
    let rebuilt = lab.answering("tools", manifest.as_bytes());
    assert_eq!(rebuilt, path);
    cat("other/data.txt")
        .expect_ok()
        .expect_stdout("granted by the new plugin")
        .expect_stderr(&evaluated("tools", &path))
        .expect_stderr("(cache miss: no entry; stored in ");
    let entries = cache_entries(&lab.s);
    assert_eq!(entries.len(), 2, "{entries:?}");
    let new_entry = entries.into_iter().find(|e| *e != entry).unwrap();
    let out = cat("granted/data.txt");
    out.expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("tools", &path, &new_entry));

    // Touched, with the modification time set back to what it was: the
    // status-change time still moves, so it is evaluated again.
    let meta = std::fs::metadata(&path).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(meta.modified().unwrap())
        .unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        meta.modified().unwrap()
    );
    cat("other/data.txt")
        .expect_ok()
        .expect_stderr(&evaluated("tools", &path))
        .expect_stderr("(cache miss: no entry; stored in ");
    cat("other/data.txt")
        .expect_ok()
        .expect_stderr("presets from the cache");

    // Overwritten in place (the same inode) with the first build: evaluated
    // again, and the first build's grant is back.
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(&path).unwrap().ino();
    std::fs::write(&path, &first_build).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), ino);
    cat("granted/data.txt")
        .expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr(&evaluated("tools", &path));
    cat("other/data.txt")
        .expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr("presets from the cache");
}

/// A change in the context the plugin saw (here `ACME_JDK_HOME`, which the
/// example plugin reads, and the working directory) is a miss: the plugin
/// is evaluated, and the new grant is what is enforced, the old one gone.
/// Going back to the first context is served from its own entry again.
#[test]
fn changing_the_context_invalidates_and_the_new_grant_is_enforced() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let first = lab.granted();
    lab.s.write("jdk2/release", "JAVA_VERSION=\"22\"\n");
    let second = lab.s.join("jdk2");

    acme_cat(&lab, &first, "granted/data.txt")
        .expect_ok()
        .expect_stderr(&evaluated("acme", &path));
    let first_entry = the_entry(&lab.s);
    acme_cat(&lab, &first, "granted/data.txt")
        .expect_ok()
        .expect_stderr(&from_cache("acme", &path, &first_entry));

    // Another JDK: evaluated, and only the new JDK is granted.
    acme_cat(&lab, &second, "jdk2/release")
        .expect_ok()
        .expect_stdout("JAVA_VERSION=\"22\"")
        .expect_stderr(&evaluated("acme", &path))
        .expect_stderr("(cache miss: no entry; stored in ");
    let second_entry = cache_entries(&lab.s)
        .into_iter()
        .find(|e| *e != first_entry)
        .unwrap();
    let out = acme_cat(&lab, &second, "granted/data.txt");
    out.expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("acme", &path, &second_entry));
    assert!(!out.stdout.contains("granted by the plugin"), "{out:#?}");

    // Back to the first JDK: its own entry, its own grant.
    acme_cat(&lab, &first, "jdk2/release")
        .expect_code(1)
        .expect_stderr("Permission denied")
        .expect_stderr(&from_cache("acme", &path, &first_entry));
    acme_cat(&lab, &first, "granted/data.txt")
        .expect_ok()
        .expect_stdout("granted by the plugin")
        .expect_stderr(&from_cache("acme", &path, &first_entry));

    // Another working directory is another context too.
    Outcome::of(
        lab.nono()
            .current_dir(lab.s.join("outside"))
            .env("ACME_JDK_HOME", &first)
            .args(run_args(
                ["-v", "--preset", "acme/jdk"],
                ["cat", "../granted/data.txt"],
            )),
    )
    .expect_ok()
    .expect_stderr(&evaluated("acme", &path));
    assert_eq!(cache_entries(&lab.s).len(), 3);
}
