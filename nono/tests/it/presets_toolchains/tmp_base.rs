//! The tmp and base presets, and every preset's dry run.

use super::*;

#[test]
fn tmp_preset_grants_tmpdir_and_nothing_else() {
    let s = Scratch::new();
    let tmpdir = s.mkdir("tmpdir");
    let not_granted = s.mkdir("not-granted");
    let nono = || {
        let mut cmd = nono_in(&s, &s.path(), &[]);
        cmd.env("TMPDIR", &tmpdir);
        cmd
    };
    const WRITE: &str = "echo written > \"$1\"";

    let in_tmp = tmpdir.join("t.txt");
    run(
        &mut nono(),
        &[
            "--preset",
            "tmp",
            "--",
            "sh",
            "-c",
            WRITE,
            "sh",
            text(&in_tmp),
        ],
    )
    .expect_ok();
    assert_eq!(std::fs::read_to_string(&in_tmp).unwrap(), "written\n");

    // Under the tmp preset, the scratch dir (not granted) stays read-only.
    let elsewhere = not_granted.join("t.txt");
    let out = run(
        &mut nono(),
        &[
            "--preset",
            "tmp",
            "--",
            "sh",
            "-c",
            WRITE,
            "sh",
            text(&elsewhere),
        ],
    );
    expect_denied(&out);
    assert!(!elsewhere.exists());

    // Without the preset, $TMPDIR is not writable either.
    let again = tmpdir.join("again.txt");
    let out = run(&mut nono(), &["--", "sh", "-c", WRITE, "sh", text(&again)]);
    expect_denied(&out);
    assert!(!again.exists());
}

#[test]
fn tmp_preset_grants_slash_tmp() {
    let s = Scratch::new();
    // mktemp makes a fresh file, and the script removes it again.
    const SCRIPT: &str =
        "f=$(mktemp /tmp/nono-preset-test.XXXXXX) && echo ok > \"$f\" && cat \"$f\" && rm \"$f\"";
    run(
        &mut nono_in(&s, &s.path(), &[]),
        &["--preset", "tmp", "--", "sh", "-c", SCRIPT],
    )
    .expect_ok()
    .expect_stdout("ok");
    let out = run(
        &mut nono_in(&s, &s.path(), &[]),
        &["--", "sh", "-c", SCRIPT],
    );
    expect_denied(&out);
}

#[test]
fn base_alone_runs_system_tools() {
    let s = Scratch::new();
    let nono = || nono_in(&s, &s.path(), &[]);
    run(&mut nono(), &["--", "ls", "/usr/bin"])
        .expect_ok()
        .expect_stdout("\nls\n");
    run(&mut nono(), &["--", "cat", "/etc/passwd"])
        .expect_ok()
        .expect_stdout("root:");
    run(
        &mut nono(),
        &["--", "sh", "-c", "echo discarded > /dev/null"],
    )
    .expect_ok();

    // --no-base is the denial twin: then not even ls can be executed.
    let out = run(&mut nono(), &["--no-base", "--", "ls", "/usr/bin"]);
    expect_denied(&out);
    out.expect_code(126);
}

#[test]
fn base_grants_no_secrets_and_no_proc_or_sys() {
    let s = Scratch::new();
    let nono = || nono_in(&s, &s.path(), &[]);

    if Path::new("/etc/shadow").exists() {
        let out = run(&mut nono(), &["--", "cat", "/etc/shadow"]);
        out.expect_code(1).expect_stderr("Permission denied");
        assert!(!out.stdout.contains("root:"), "{out:#?}");
    } else {
        eprintln!("note: /etc/shadow does not exist here; not checked");
    }

    // /proc/1 is listable outside the sandbox, not inside.
    assert!(std::fs::read_dir("/proc/1").is_ok());
    let out = run(&mut nono(), &["--", "ls", "/proc/1"]);
    expect_denied(&out);
    out.expect_stderr("Permission denied");

    // A /sys/kernel file readable outside the sandbox is not readable inside.
    let sys = [
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "/sys/kernel/uevent_seqnum",
        "/sys/kernel/address_bits",
        "/sys/kernel/profiling",
    ]
    .into_iter()
    .find(|p| std::fs::read(p).is_ok())
    .expect("some /sys/kernel file is readable outside the sandbox");
    run(&mut nono(), &["--", "cat", sys])
        .expect_code(1)
        .expect_stderr("Permission denied");
}

#[test]
fn every_builtin_preset_dry_runs_with_its_own_grants() {
    let s = Scratch::new();
    let catalog = nono_plugins::Catalog::new();
    for name in [
        "base", "tmp", "rust", "python", "node", "go", "git", "shell",
    ] {
        let out = run(
            &mut nono_in(&s, &s.path(), &[]),
            &["--preset", name, "--dry-run", "--json", "--", "true"],
        );
        out.expect_ok();
        let json: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("--preset {name}: bad JSON ({e}): {out:#?}"));
        let grants = json["grants"].as_array().expect("a grants array");
        let from = |preset: &str| -> Vec<(String, String)> {
            grants
                .iter()
                .filter(|g| g["source"]["preset"] == preset)
                .map(|g| {
                    (
                        g["requested"].as_str().unwrap().to_owned(),
                        g["access"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let listed = from(name);
        let loaded = catalog.load(name).unwrap().preset;
        assert!(
            !listed.is_empty(),
            "--preset {name}: no grant from it: {out:#?}"
        );
        for g in &loaded.grants {
            let want = (g.path.clone(), format!("{:?}", g.access));
            assert!(
                listed.contains(&want),
                "--preset {name}: {want:?} missing from the dry run: {listed:?}"
            );
        }
        // `base` is in every run; the presets this one extends are expanded.
        for parent in loaded.extends.iter().map(String::as_str).chain(["base"]) {
            assert!(
                !from(parent).is_empty(),
                "--preset {name}: nothing from {parent}"
            );
        }
        assert!(
            grants.iter().all(|g| g["source"]["preset"].is_string()),
            "--preset {name}: a grant not from a preset: {out:#?}"
        );
    }
}
