//! Paths that are not UTF-8, on the command line and in nono's reports.
//!
//! - `--allow`, `--read`, `--deny` and `--expose` take such a path (written
//!   `${\xHH}` in grant text and in the text report): the real run grants
//!   exactly it (a write inside works, a write beside it is EACCES), and
//!   `--dry-run` (text and JSON) and `why` (text and JSON) describe it;
//! - a carved directory holding an entry whose name is not UTF-8 (the
//!   home, carved around `~/.ssh`): the dry run's JSON names that entry
//!   losslessly (`{"lossy", "bytes_b64"}`, decoded here to the exact
//!   bytes), exit 0, and the real run reads the entry while `~/.ssh` stays
//!   denied;
//! - what cannot be a path is still one clear error: a NUL written
//!   `${\x00}`, or a missing non-UTF-8 path.

use crate::common::{Outcome, Scratch, probe as probe_argv, text};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// `base` joined with the name `name` (bytes).
fn join_bytes(base: &Path, name: &[u8]) -> PathBuf {
    base.join(OsStr::from_bytes(name))
}

/// `nono ARGS...` (arguments as bytes) in the scratch directory with its
/// fake home.
fn nono(s: &Scratch, args: &[&OsStr]) -> Outcome {
    Outcome::of(s.nono_home().args(args))
}

/// `nono ARGS...` twice: as given, and with `--json` after the subcommand
/// (`run --json --dry-run ...`, `why --json PATH ...`). Returns the text
/// answer, unchecked, and the JSON one, which must succeed, parsed.
fn text_and_json(s: &Scratch, args: &[&OsStr]) -> (Outcome, serde_json::Value) {
    let text = nono(s, args);
    let mut with_json = args.to_vec();
    with_json.insert(1.min(args.len()), OsStr::new("--json"));
    let out = nono(s, &with_json);
    out.expect_ok();
    (text, out.json())
}

/// `nono run GRANTS -- PROBE OP PATH`, with a path that need not be
/// UTF-8.
fn probe(s: &Scratch, grants: &[&OsStr], op: &str, path: &Path) -> Outcome {
    let mut args: Vec<OsString> = vec!["run".into()];
    args.extend(grants.iter().map(|g| g.to_os_string()));
    args.push("--".into());
    let argv = probe_argv(op, &[]);
    args.extend(argv.into_iter().map(OsString::from));
    args.push(path.as_os_str().to_owned());
    Outcome::of(s.nono_home().args(&args))
}

/// Decodes standard base64 (with padding).
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut bits = 0u32;
    let mut count = 0;
    for b in text.bytes().filter(|&b| b != b'=') {
        let v = ALPHABET.iter().position(|&a| a == b).expect("base64 digit");
        bits = (bits << 6) | u32::try_from(v).unwrap();
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out
}

/// The bytes of a path as nono's JSON writes it: a string, or
/// `{"lossy": ..., "bytes_b64": ...}`.
fn json_path(value: &serde_json::Value) -> Vec<u8> {
    match value {
        serde_json::Value::String(s) => s.as_bytes().to_vec(),
        serde_json::Value::Object(o) => {
            let bytes = base64_decode(o["bytes_b64"].as_str().unwrap());
            assert_eq!(
                o["lossy"].as_str().unwrap(),
                String::from_utf8_lossy(&bytes),
                "the lossy text is the bytes, lossily"
            );
            assert!(std::str::from_utf8(&bytes).is_err(), "an object for UTF-8");
            bytes
        }
        other => panic!("not a path: {other}"),
    }
}

#[test]
fn a_non_utf8_grant_works_on_the_command_line() {
    let s = Scratch::new();
    let dir = join_bytes(&s.path(), b"in-\xff-dir");
    let beside = s.mkdir("beside");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("data"), "inside\n").unwrap();
    let allow = OsStr::new("--allow");
    let dashes = OsStr::new("--");

    // A write inside the granted directory, relative and absolute.
    for grant in [OsStr::from_bytes(b"in-\xff-dir"), dir.as_os_str()] {
        probe(&s, &[allow, grant], "write", &dir).expect_probe_ok();
        std::fs::remove_file(dir.join(".nono-probe")).unwrap();
        // Twin: beside it, denied.
        probe(&s, &[allow, grant], "write", &beside).expect_errno("EACCES");
    }
    // --read: reading works, writing does not.
    let read = [OsStr::new("--read"), dir.as_os_str()];
    probe(&s, &read, "read", &dir.join("data")).expect_probe_ok();
    probe(&s, &read, "write", &dir.join("data")).expect_errno("EACCES");

    // The dry run, text: the grant as written, with its escape.
    let grant = OsStr::from_bytes(b"in-\xff-dir");
    let (out, json) = text_and_json(
        &s,
        &[
            OsStr::new("run"),
            OsStr::new("--dry-run"),
            allow,
            grant,
            dashes,
            OsStr::new("cat"),
            dir.join("data").as_os_str(),
        ],
    );
    out.expect_ok()
        .expect_stdout("  allow  in-${\\xff}-dir -> ")
        .expect_stdout("-\u{fffd}-dir (dir, allow)");
    // JSON: exact bytes.
    let ours = json["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["source"]["flag"] == "--allow")
        .unwrap();
    assert_eq!(ours["requested"], "in-${\\xff}-dir");
    assert_eq!(json_path(&ours["path"]), dir.as_os_str().as_bytes());
    assert!(
        json["ruleset"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| json_path(&r["path"]) == dir.as_os_str().as_bytes()),
        "{json:#}"
    );
    assert_eq!(
        json_path(&json["command"][1]),
        dir.join("data").as_os_str().as_bytes()
    );

    // why, text and JSON.
    let target = dir.join("data");
    let (text_answer, answer) = text_and_json(
        &s,
        &[
            OsStr::new("why"),
            target.as_os_str(),
            OsStr::new("--op"),
            OsStr::new("write"),
            allow,
            grant,
        ],
    );
    text_answer
        .expect_ok()
        .expect_stdout("allowed: write ")
        .expect_stdout("-\u{fffd}-dir/data");
    assert_eq!(answer["allowed"], true);
    assert_eq!(json_path(&answer["subject"]), target.as_os_str().as_bytes());
    assert_eq!(
        json_path(&answer["granted_by"][0]["rule"]),
        dir.as_os_str().as_bytes()
    );
}

#[test]
fn deny_and_expose_take_non_utf8_paths() {
    let s = Scratch::new();
    s.mkdir("work");
    let secret = join_bytes(&s.join("work"), b"secret-\xfe");
    std::fs::write(&secret, "not for the sandbox\n").unwrap();
    let read = |extra: &[&OsStr]| {
        let mut args = vec![OsStr::new("run"), OsStr::new("--allow"), OsStr::new("work")];
        args.extend(extra);
        args.extend([OsStr::new("--"), OsStr::new("cat"), secret.as_os_str()]);
        nono(&s, &args)
    };
    read(&[OsStr::new("--deny"), secret.as_os_str()])
        .expect_code(1)
        .expect_stderr("Permission denied");
    // Twin: without --deny, it is read.
    read(&[]).expect_ok().expect_stdout("not for the sandbox");
    // A file inside a sensitive directory, not UTF-8: refused as a grant,
    // granted with --expose.
    let key = join_bytes(&s.home().join(".ssh"), b"id-\xfe");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    std::fs::write(&key, "NONO-FAKE-SECRET key\n").unwrap();
    let cat_key = |extra: &[&OsStr]| {
        let mut args = vec![OsStr::new("run")];
        args.extend(extra);
        args.extend([OsStr::new("--"), OsStr::new("cat"), key.as_os_str()]);
        nono(&s, &args)
    };
    cat_key(&[OsStr::new("--read"), key.as_os_str()])
        .expect_nono_error("id-${\\xfe}: inside the sensitive path ~/.ssh");
    cat_key(&[OsStr::new("--expose"), key.as_os_str()])
        .expect_ok()
        .expect_stdout("NONO-FAKE-SECRET key")
        .expect_stderr("id-${\\xfe}: granted on purpose");
}

#[test]
fn a_carved_directory_with_a_non_utf8_entry_is_reported_losslessly() {
    let s = Scratch::new();
    let home = s.home();
    s.write("home/.ssh/id_ed25519", "NONO-FAKE-SECRET key\n");
    let odd = join_bytes(&home, b"caf\xe9 notes");
    std::fs::write(&odd, "latin-1 name\n").unwrap();
    let allow_home = [OsStr::new("--allow"), OsStr::new("~")];
    let mut args = vec![OsStr::new("run"), OsStr::new("--dry-run")];
    args.extend(allow_home);
    args.extend([OsStr::new("--"), OsStr::new("true")]);
    let (out, json) = text_and_json(&s, &args);
    out.expect_ok()
        .expect_stdout("caf\u{fffd} notes (file, allow)")
        .expect_stdout("Carved: ");
    let rules = json["ruleset"]["rules"].as_array().unwrap();
    let rule = rules
        .iter()
        .find(|r| json_path(&r["path"]) == odd.as_os_str().as_bytes())
        .unwrap_or_else(|| panic!("no rule for the entry: {json:#}"));
    assert!(rule["path"].is_object(), "{rule:#}");
    assert!(
        rules
            .iter()
            .any(|r| r["path"] == text(&home) && r["carved"] == true),
        "{json:#}"
    );

    // The real run reads the entry, and the key stays out of reach.
    let cat = |path: &Path| {
        let mut args = vec![OsStr::new("run")];
        args.extend(allow_home);
        args.extend([OsStr::new("--"), OsStr::new("cat"), path.as_os_str()]);
        nono(&s, &args)
    };
    cat(&odd).expect_ok().expect_stdout("latin-1 name");
    let out = cat(&home.join(".ssh/id_ed25519"));
    out.expect_code(1).expect_stderr("Permission denied");
    crate::common::assert_no_secret(&out);
}

#[test]
fn what_cannot_be_a_path_is_one_clear_error() {
    let s = Scratch::new();
    nono(
        &s,
        &[
            OsStr::new("run"),
            OsStr::new("--read"),
            OsStr::new("/x${\\x00}y"),
            OsStr::new("--"),
            OsStr::new("true"),
        ],
    )
    .expect_nono_error("malformed variable reference: ${\\x00}");
    let missing = OsString::from_vec(b"nowhere-\xff".to_vec());
    nono(
        &s,
        &[
            OsStr::new("run"),
            OsStr::new("--read"),
            &missing,
            OsStr::new("--"),
            OsStr::new("true"),
        ],
    )
    .expect_nono_error("--read: nowhere-${\\xff}: no such file or directory");
    // Twin: the same path, once it exists, is granted.
    std::fs::create_dir(s.path().join(&missing)).unwrap();
    nono(
        &s,
        &[
            OsStr::new("run"),
            OsStr::new("--read"),
            &missing,
            OsStr::new("--"),
            OsStr::new("true"),
        ],
    )
    .expect_ok();
}
