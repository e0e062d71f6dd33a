//! The plugin cache against tampering: forged entries, sandboxed writers,
//! failures, an unwritable cache.

use super::cache::{acme_cat, cache_entries, evaluated, forge, from_cache, put, the_entry};
use super::*;
use crate::common::{mode, probe, text};

/// A cache entry that was tampered with is not used: group- or
/// world-writable, owned by someone else, edited without its lengths,
/// garbage, or holding an answer that fails validation. The plugin is
/// evaluated instead, the run grants exactly what the plugin computes (the
/// widened grant of the forged entry is not there), and the entry is
/// replaced by a good one. Twin: the same forged entry, written as nono
/// writes entries (mode 0600, the user's), is used; that is why no sandbox
/// may write the cache (see the next test).
#[test]
fn a_tampered_cache_entry_is_not_used_and_the_run_stays_correct() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let jdk = lab.granted();
    acme_cat(&lab, &jdk, "granted/data.txt").expect_ok();
    let entry = the_entry(&lab.s);
    let good = std::fs::read(&entry).unwrap();
    let granted = lab.granted().display().to_string();
    let scratch = lab.s.path().display().to_string();
    // The JDK grant widened to the whole scratch directory, outside/
    // included.
    let widened = forge(&good, |answer| answer.replace(&granted, &scratch));
    assert_ne!(widened, good);

    let edited = {
        let text = String::from_utf8(good.clone()).unwrap();
        let at = text.find("\nanswer ").unwrap();
        let (head, answer) = text.split_at(at);
        format!("{head}{}", answer.replace(&granted, &scratch)).into_bytes()
    };
    let other_plugin = forge(&good, |answer| {
        answer.replacen("name:\"acme\"", "name:\"acmx\"", 1)
    });
    assert_ne!(other_plugin, good);
    let unknown_field = forge(&good, |answer| {
        answer.replacen("(name:\"acme\"", "(colour:\"red\",name:\"acme\"", 1)
    });
    // What was done, the entry's bytes, mode and owner, and what -v says.
    type Tampered<'a> = (&'a str, Vec<u8>, u32, Option<u32>, &'a str);
    let mut cases: Vec<Tampered> = vec![
        (
            "group-writable",
            widened.clone(),
            0o620,
            None,
            "it is group- or world-writable (mode 0620)",
        ),
        (
            "world-writable",
            widened.clone(),
            0o606,
            None,
            "it is group- or world-writable (mode 0606)",
        ),
        (
            "edited without its lengths",
            edited,
            0o600,
            None,
            "its answer is truncated or has trailing bytes",
        ),
        (
            "garbage",
            b"garbage\n".to_vec(),
            0o600,
            None,
            "it is not a cache entry of this nono",
        ),
        (
            "empty",
            Vec::new(),
            0o600,
            None,
            "it is not a cache entry of this nono",
        ),
        (
            "another plugin's answer",
            other_plugin,
            0o600,
            None,
            "the plugin answer in it is not valid: the manifest names the plugin 'acmx'",
        ),
        (
            "an unknown field",
            unknown_field,
            0o600,
            None,
            "the plugin answer in it is not valid: returned a malformed manifest",
        ),
    ];
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cases.push((
            "owned by someone else",
            widened.clone(),
            0o600,
            Some(4242),
            "it is owned by uid 4242",
        ));
    }
    for (what, bytes, perm, owner, why) in cases {
        put(&entry, &bytes, perm);
        if let Some(uid) = owner {
            std::os::unix::fs::chown(&entry, Some(uid), None).unwrap();
        }
        let out = acme_cat(&lab, &jdk, "outside/secret.txt");
        out.expect_code(1).expect_stderr("Permission denied");
        assert!(!out.stdout.contains("not granted"), "{what}: {out:#?}");
        out.expect_stderr(&format!(
            "{}cache miss: entry {} not used: {why}",
            evaluated("acme", &path),
            entry.display()
        ));
        // Replaced by a good entry, mode 0600, which the next run uses.
        assert_eq!(std::fs::read(&entry).unwrap(), good, "{what}");
        assert_eq!(mode(&entry), 0o600, "{what}");
        acme_cat(&lab, &jdk, "granted/data.txt")
            .expect_ok()
            .expect_stdout("granted by the plugin")
            .expect_stderr(&from_cache("acme", &path, &entry));
    }

    // Twin: the forged entry, as nono itself would have written it.
    put(&entry, &widened, 0o600);
    acme_cat(&lab, &jdk, "outside/secret.txt")
        .expect_ok()
        .expect_stdout("not granted")
        .expect_stderr(&from_cache("acme", &path, &entry));
}

/// Every sandbox is denied nono's cache directory, even under `--allow ~`
/// or `--allow ~/.cache`: it cannot create the directory in a fresh home
/// (nono does not create it for a run that stores nothing; the carve of a
/// missing denied path keeps the sandbox from creating it), nor create,
/// modify, rename or read entries; with `XDG_CACHE_HOME` set, both that directory and the default
/// one are denied. Twins: another directory under `~/.cache` is writable
/// in the same runs, and the plugin's entry is still good afterwards.
#[test]
fn sandboxed_commands_cannot_write_the_plugin_cache() {
    let lab = Lab::new();
    let path = lab.install(&rust_plugins().acme, "acme");
    let home = lab.s.home();
    let cache = home.join(".cache/nono");
    let twin = lab.s.mkdir("home/.cache/other");
    // The default place, as for a user without XDG_CACHE_HOME.
    let nono = || {
        let mut cmd = lab.nono();
        cmd.env_remove("XDG_CACHE_HOME")
            .env("ACME_JDK_HOME", lab.granted());
        cmd
    };
    let run = |grants: &[&str], argv: Vec<String>| Outcome::of(nono().args(run_args(grants, argv)));
    let sh = |script: &str| vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()];

    // A fresh home: no cache yet. The command tries to plant an entry.
    assert_absent(&cache);
    let plant = "mkdir -p \"$HOME/.cache/nono/plugins\" && echo forged > \"$HOME/.cache/nono/plugins/acme-0\"";
    let out = run(&["--allow", "~"], sh(plant));
    assert_ne!(out.code, Some(0), "{out:#?}");
    out.expect_stderr("Permission denied");
    assert_absent(&cache);
    // Twin: the same under another directory of ~/.cache works.
    run(
        &["--allow", "~"],
        sh(&plant.replace(".cache/nono", ".cache/other")),
    )
    .expect_ok();
    assert_file(&twin.join("plugins/acme-0"), "forged\n");

    // A real entry now.
    let out = Outcome::of(nono().args(run_args(
        ["-v", "--preset", "acme/jdk"],
        ["cat", "granted/data.txt"],
    )));
    out.expect_ok();
    let entries: Vec<PathBuf> = std::fs::read_dir(cache.join("plugins"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    let good = std::fs::read(entry).unwrap();

    for grant in ["~", "~/.cache"] {
        let grants = ["--allow", grant];
        for target in [
            entry.clone(),
            cache.join("plugins"),
            cache.clone(),
            cache.join("plugins/new"),
        ] {
            run(&grants, probe("write", &[text(&target)])).expect_errno("EACCES");
        }
        run(&grants, probe("read", &[text(entry)])).expect_errno("EACCES");
        let out = run(
            &grants,
            sh(&format!(
                "mv {} {}",
                cache.display(),
                home.join(".cache/moved").display()
            )),
        );
        assert_ne!(out.code, Some(0), "{grant}: {out:#?}");
        run(&grants, sh(&format!("rm -rf {}", cache.display()))).expect_code(1);
        // Twins: another directory under ~/.cache.
        run(&grants, probe("write", &[text(&twin)])).expect_probe_ok();
        std::fs::remove_file(twin.join(".nono-probe")).unwrap();
        run(
            &grants,
            probe("write", &[text(&twin.join("plugins/acme-0"))]),
        )
        .expect_probe_ok();
        run(
            &grants,
            probe("read", &[text(&twin.join("plugins/acme-0"))]),
        )
        .expect_probe_ok();
    }
    assert_eq!(std::fs::read(entry).unwrap(), good);
    assert_absent(&cache.join("plugins/new"));
    assert_absent(&home.join(".cache/moved"));

    // With XDG_CACHE_HOME inside a granted tree: that cache directory is
    // denied, and so is the default one.
    let xdg = lab.s.mkdir("xdg");
    let xdg_twin = lab.s.mkdir("xdg/other");
    let with_xdg = |argv: Vec<String>| {
        Outcome::of(
            nono()
                .env("XDG_CACHE_HOME", &xdg)
                .args(run_args(["--allow", ".", "--allow", "~"], argv)),
        )
    };
    with_xdg(probe("write", &[text(&xdg.join("nono"))])).expect_errno("EACCES");
    with_xdg(probe("write", &[text(&cache.join("plugins"))])).expect_errno("EACCES");
    with_xdg(probe("write", &[text(&xdg_twin)])).expect_probe_ok();
    assert_absent(&xdg.join("nono"));

    // The entry is still the plugin's, and still used.
    assert_eq!(std::fs::read(entry).unwrap(), good);
    Outcome::of(nono().args(run_args(
        ["-v", "--preset", "acme/jdk"],
        ["cat", "granted/data.txt"],
    )))
    .expect_ok()
    .expect_stderr(&from_cache("acme", &path, entry));
}

/// A plugin that fails is never cached: the failure is reported every time
/// and no entry is written. Twin: the same plugin without the defect, at
/// the same path, is cached.
#[test]
fn a_plugin_failure_is_never_cached() {
    let lab = Lab::new();
    let path = lab.answering("broken", b"(oops");
    for _ in 0..2 {
        lab.expect_failure("broken", &path, "returned a malformed manifest");
    }
    let path = lab.c_plugin("broken", "segfault", &[]);
    lab.expect_failure("broken", &path, "crashed (signal SIGSEGV)");
    assert_eq!(cache_entries(&lab.s), Vec::<PathBuf>::new());
    lab.expect_twin_works("broken");
    let entry = the_entry(&lab.s);
    lab.run(run_args(["-v", "--preset", "broken/files"], ["true"]))
        .expect_ok()
        .expect_stderr(&from_cache("broken", &path, &entry));
}

/// A cache that cannot be read or written is a miss, never an error: the
/// plugin is evaluated on every run, `-v` says why nothing was stored, and
/// the sandbox is the same.
#[test]
fn a_cache_that_cannot_be_written_is_not_an_error() {
    let lab = Lab::new();
    let path = lab.good_c_plugin("tools");
    // A cache directory under a regular file cannot exist.
    let file = lab.s.write("a-file", "not a directory\n");
    for _ in 0..2 {
        let out = Outcome::of(lab.nono().env("XDG_CACHE_HOME", &file).args(run_args(
            ["-v", "--preset", "tools/files"],
            ["cat", "granted/data.txt"],
        )));
        out.expect_ok()
            .expect_stdout("granted by the plugin")
            .expect_stderr(&evaluated("tools", &path))
            .expect_stderr("; not stored: cannot create ");
    }
    // Twin: the same runs with a usable cache directory.
    lab.run(run_args(
        ["--preset", "tools/files"],
        ["cat", "granted/data.txt"],
    ))
    .expect_ok();
    let entry = the_entry(&lab.s);
    lab.run(run_args(
        ["-v", "--preset", "tools/files"],
        ["cat", "granted/data.txt"],
    ))
    .expect_ok()
    .expect_stdout("granted by the plugin")
    .expect_stderr(&from_cache("tools", &path, &entry));
}
