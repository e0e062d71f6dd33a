//! `--abi N` lowers the same policy differently, and the kernel behaves as
//! the lowering says.
//!
//! The machine's kernel has Landlock ABI 7 (asked of the kernel directly,
//! not of nono); `--abi N` caps the effective ABI,
//! so one kernel exercises every level's lowering for real. Shown two ways:
//!
//! - by `--dry-run --json`: `ruleset.abi`, the handled set (refer only from 2,
//!   truncate from 3, ioctl_dev from 5), the rights of an `--allow` rule, the
//!   network part (TCP handled and port rules only from 4, the socket filter
//!   at every ABI), the scopes (on by default, enforced from 6), the
//!   predicted status and its gaps (truncate, ioctl_dev and scope at 1 and
//!   2, ioctl_dev and scope at 3 and 4, scope at 5, none at 6 and 7; plus
//!   net_tcp below 4 and net_udp always for port rules), and the same in the
//!   text report;
//! - by behaviour: at ABI 2 a read-only file can be truncated (Truncate is not
//!   handled) while at ABI 3 it cannot; at ABI 1 a rename between two
//!   directories of one `--allow` tree is EXDEV while at ABI 2 it works; `-v`
//!   reports `PartiallyEnforced` with the gap named; `--strict` refuses a
//!   partial sandbox without running the command (at ABI 5 because of the
//!   default scopes), and runs a full one (ABI 5 without scopes, ABI 6).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Scratch, assert_absent, assert_file, kernel_landlock_abi, probe, run_args};
use serde_json::Value;

/// `nono run --dry-run --json --abi ABI --read ro --allow rw EXTRA... -- true`,
/// parsed.
fn lowered(s: &Scratch, abi: u8, extra: &[&str]) -> Value {
    let abi = abi.to_string();
    let mut args = vec![
        "run",
        "--dry-run",
        "--json",
        "--abi",
        abi.as_str(),
        "--read",
        "ro",
        "--allow",
        "rw",
    ];
    args.extend_from_slice(extra);
    args.extend(["--", "true"]);
    s.run(args).expect_ok().json()
}

/// The `feature` of every gap, in order.
fn gap_features(json: &Value) -> Vec<String> {
    json["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["feature"].as_str().unwrap().to_owned())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

/// The rights of the rule for `path`.
fn rule_rights(json: &Value, path: &std::path::Path) -> Vec<String> {
    let rule = json["ruleset"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path.to_str().unwrap())
        .unwrap_or_else(|| panic!("no rule for {}: {json:#}", path.display()));
    strings(&rule["rights"])
}

const BASE_V1: [&str; 13] = [
    "execute",
    "write_file",
    "read_file",
    "read_dir",
    "remove_dir",
    "remove_file",
    "make_char",
    "make_dir",
    "make_reg",
    "make_sock",
    "make_fifo",
    "make_block",
    "make_sym",
];

/// What one `--abi` level should lower to.
struct Expected {
    abi: u8,
    /// Whether refer, truncate and ioctl_dev are handled (and granted with
    /// `--allow`).
    refer: bool,
    truncate: bool,
    ioctl: bool,
    status: &'static str,
    gaps: &'static [&'static str],
}

impl Expected {
    fn at<const N: usize>(
        abi: u8,
        new_rights: [&str; N],
        status: &'static str,
        gaps: &'static [&'static str],
    ) -> Self {
        Expected {
            abi,
            refer: new_rights.contains(&"refer"),
            truncate: new_rights.contains(&"truncate"),
            ioctl: new_rights.contains(&"ioctl_dev"),
            status,
            gaps,
        }
    }
}

#[test]
fn dry_run_json_lowers_each_abi_differently() {
    let s = Scratch::new();
    s.mkdir("ro");
    s.mkdir("rw");
    // Scoping is on by default and needs ABI 6: below, it is a gap.
    let table = [
        Expected::at(
            1,
            [],
            "PartiallyEnforced",
            &["truncate", "ioctl_dev", "scope"],
        ),
        Expected::at(
            2,
            ["refer"],
            "PartiallyEnforced",
            &["truncate", "ioctl_dev", "scope"],
        ),
        Expected::at(
            3,
            ["refer", "truncate"],
            "PartiallyEnforced",
            &["ioctl_dev", "scope"],
        ),
        Expected::at(
            4,
            ["refer", "truncate"],
            "PartiallyEnforced",
            &["ioctl_dev", "scope"],
        ),
        Expected::at(
            5,
            ["refer", "truncate", "ioctl_dev"],
            "PartiallyEnforced",
            &["scope"],
        ),
        Expected::at(6, ["refer", "truncate", "ioctl_dev"], "FullyEnforced", &[]),
        Expected::at(7, ["refer", "truncate", "ioctl_dev"], "FullyEnforced", &[]),
    ];
    let kernel = kernel_landlock_abi();
    assert!(
        kernel >= 5,
        "these tests need Landlock ABI 5 or later, have {kernel}"
    );
    let mut previous: Option<Vec<String>> = None;
    for Expected {
        abi,
        refer,
        truncate,
        ioctl,
        status,
        gaps,
    } in table
    {
        let json = lowered(&s, abi, &[]);
        let ctx = format!("--abi {abi}");
        let effective = u64::from(abi).min(kernel);
        assert_eq!(json["ruleset"]["abi"], effective, "{ctx}");
        assert_eq!(json["target"]["kernel_abi"], kernel, "{ctx}");
        assert_eq!(json["target"]["abi_limit"], abi, "{ctx}");
        assert_eq!(json["target"]["effective_abi"], effective, "{ctx}");

        let handled = strings(&json["ruleset"]["handled_fs"]);
        for right in BASE_V1 {
            assert!(
                handled.iter().any(|h| h == right),
                "{ctx}: {right} not handled"
            );
        }
        let has = |r: &str| handled.iter().any(|h| h == r);
        assert_eq!(has("refer"), refer, "{ctx}: refer handled? {handled:?}");
        assert_eq!(has("truncate"), truncate, "{ctx}: truncate? {handled:?}");
        assert_eq!(has("ioctl_dev"), ioctl, "{ctx}: ioctl_dev? {handled:?}");
        let expected_len = 13 + usize::from(refer) + usize::from(truncate) + usize::from(ioctl);
        assert_eq!(handled.len(), expected_len, "{ctx}: {handled:?}");

        // The --allow rule carries each new right exactly when it is handled;
        // the --read rule never carries a write right.
        let allow = rule_rights(&json, &s.join("rw"));
        let grants = |r: &str| allow.iter().any(|h| h == r);
        assert_eq!(grants("refer"), refer, "{ctx}: {allow:?}");
        assert_eq!(grants("truncate"), truncate, "{ctx}: {allow:?}");
        assert_eq!(grants("ioctl_dev"), ioctl, "{ctx}: {allow:?}");
        assert!(
            !grants("make_char") && !grants("make_block"),
            "{ctx}: {allow:?}"
        );
        // ResolveUnix comes from --allow-unix alone, never from --allow.
        assert!(!grants("resolve_unix"), "{ctx}: {allow:?}");
        assert_eq!(
            rule_rights(&json, &s.join("ro")),
            ["execute", "read_file", "read_dir"],
            "{ctx}"
        );

        // No --net-* flag: the network is left alone at every ABI; the
        // default scopes are enforced from ABI 6; nothing logged.
        let rs = &json["ruleset"];
        assert_eq!(rs["handled_net"], serde_json::json!([]), "{ctx}");
        assert_eq!(rs["port_rules"], serde_json::json!([]), "{ctx}");
        assert_eq!(rs["socket_filter"], Value::Null, "{ctx}");
        assert_eq!(json["network"], "unrestricted", "{ctx}");
        let scoped = if abi >= 6 {
            serde_json::json!(["abstract_unix_socket", "signal"])
        } else {
            serde_json::json!([])
        };
        assert_eq!(rs["scoped"], scoped, "{ctx}");
        assert_eq!(rs["log_new_exec"], false, "{ctx}");

        assert_eq!(json["predicted_status"], status, "{ctx}");
        assert_eq!(gap_features(&json), gaps, "{ctx}");
        for g in json["gaps"].as_array().unwrap() {
            let needs = g["needs_abi"].as_u64().unwrap();
            assert!(needs > u64::from(abi), "{ctx}: {g}");
            assert!(
                g["message"]
                    .as_str()
                    .unwrap()
                    .contains(g["feature"].as_str().unwrap())
            );
        }
        // Below ABI 2, refer is a note (moves refused), not a gap.
        let notes = strings(&json["notes"]);
        assert_eq!(
            notes.iter().any(|n| n.starts_with("refer")),
            abi < 2,
            "{ctx}: {notes:?}"
        );

        // Monotone: each ABI handles a superset of the one below.
        if let Some(prev) = &previous {
            assert!(
                prev.iter().all(|r| handled.contains(r)),
                "{ctx}: {prev:?} ⊄ {handled:?}"
            );
        }
        previous = Some(handled);
    }

    // Without --abi: the kernel's ABI, and no limit.
    let json = s
        .run(["run", "--dry-run", "--json", "--allow", "rw", "--", "true"])
        .expect_ok()
        .json();
    assert_eq!(json["ruleset"]["abi"], kernel);
    assert_eq!(json["target"]["abi_limit"], Value::Null);
    assert_eq!(json["predicted_status"], "FullyEnforced");
    assert_eq!(
        json["ruleset"]["scoped"],
        serde_json::json!(["abstract_unix_socket", "signal"])
    );

    // ABI 5 is FullyEnforced when no scope is asked for.
    let json = lowered(&s, 5, &["--allow-signals", "--allow-abstract-unix"]);
    assert_eq!(json["predicted_status"], "FullyEnforced");
    assert_eq!(json["ruleset"]["scoped"], serde_json::json!([]));
    assert_eq!(gap_features(&json), Vec::<String>::new());
    // One scope is still a gap below 6, and only that one is enforced at 6.
    let json = lowered(&s, 5, &["--allow-signals"]);
    assert_eq!(json["predicted_status"], "PartiallyEnforced");
    assert_eq!(gap_features(&json), ["scope"]);
    assert!(
        json["gaps"][0]["unenforced"]
            .as_str()
            .unwrap()
            .contains("abstract Unix"),
        "{json:#}"
    );
    let json = lowered(&s, 6, &["--allow-signals"]);
    assert_eq!(
        json["ruleset"]["scoped"],
        serde_json::json!(["abstract_unix_socket"])
    );
    let json = lowered(&s, 6, &["--allow-abstract-unix"]);
    assert_eq!(json["ruleset"]["scoped"], serde_json::json!(["signal"]));
}

#[test]
fn dry_run_json_lowers_the_network_per_abi() {
    let s = Scratch::new();
    s.mkdir("ro");
    s.mkdir("rw");
    let kernel = kernel_landlock_abi();
    assert!(kernel >= 6, "needs Landlock ABI 6 or later, have {kernel}");
    let tcp = serde_json::json!(["bind_tcp", "connect_tcp"]);
    let none = serde_json::json!([]);

    let tcp_udp = serde_json::json!(["bind_tcp", "connect_tcp", "bind_udp", "connect_send_udp"]);
    for requested in nono_model::Abi::known().map(|a| a.0) {
        // `--abi N` above the kernel's ABI lowers for the kernel's.
        let abi = requested.min(u8::try_from(kernel).unwrap_or(u8::MAX));
        let ctx = format!("--abi {requested} (effective {abi})");
        let net = |abi: u8| match abi {
            10.. => &tcp_udp,
            4.. => &tcp,
            _ => &none,
        };
        let scope_gap = if abi < 6 { vec!["scope"] } else { vec![] };
        let fs_gaps: Vec<&str> = [
            (abi < 3).then_some("truncate"),
            (abi < 5).then_some("ioctl_dev"),
        ]
        .into_iter()
        .flatten()
        .collect();

        // --net-block: TCP handled from ABI 4 with no port rule; only Unix
        // sockets at every ABI; below 4 a note, never a gap.
        let json = lowered(&s, requested, &["--net-block"]);
        let rs = &json["ruleset"];
        assert_eq!(rs["handled_net"], *net(abi), "{ctx}");
        assert_eq!(rs["port_rules"], none, "{ctx}");
        assert_eq!(rs["socket_filter"], "unix_only", "{ctx}");
        let want: Vec<&str> = fs_gaps.iter().copied().chain(scope_gap.clone()).collect();
        assert_eq!(gap_features(&json), want, "{ctx} --net-block");
        let notes = strings(&json["notes"]);
        assert_eq!(
            notes.iter().any(|n| n.starts_with("net_tcp")),
            abi < 4,
            "{ctx}: {notes:?}"
        );
        let network = json["network"].as_str().unwrap();
        assert!(network.starts_with("blocked"), "{ctx}: {network}");
        assert_eq!(network.contains("entirely by seccomp"), abi < 4, "{ctx}");

        // Port rules (comma list and repeats, out of order): sorted, merged
        // per port; TCP and UDP sockets only; net_tcp a gap below 4 and
        // net_udp a gap at every ABI.
        let json = lowered(
            &s,
            abi,
            &[
                "--net-connect",
                "443,80",
                "--net-bind",
                "8080",
                "--net-connect",
                "8080",
            ],
        );
        let rs = &json["ruleset"];
        let ports = if abi >= 4 {
            serde_json::json!([
                {"port": 80, "rights": ["connect_tcp"]},
                {"port": 443, "rights": ["connect_tcp"]},
                {"port": 8080, "rights": ["bind_tcp", "connect_tcp"]},
            ])
        } else {
            none.clone()
        };
        assert_eq!(rs["handled_net"], *net(abi), "{ctx}");
        assert_eq!(rs["port_rules"], ports, "{ctx}");
        assert_eq!(rs["socket_filter"], "tcp_udp_only", "{ctx}");
        let want: Vec<&str> = [
            (abi < 3).then_some("truncate"),
            (abi < 4).then_some("net_tcp"),
            (abi < 5).then_some("ioctl_dev"),
            (abi < 6).then_some("scope"),
            (abi < 10).then_some("net_udp"),
        ]
        .into_iter()
        .flatten()
        .collect();
        assert_eq!(gap_features(&json), want, "{ctx} --net-connect");
        if abi < 10 {
            assert_eq!(json["predicted_status"], "PartiallyEnforced", "{ctx}");
            let udp = json["gaps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["feature"] == "net_udp")
                .unwrap();
            assert_eq!(udp["needs_abi"], 10, "{ctx}");
        } else {
            // Landlock governs UDP too: no gap is left.
            assert_eq!(json["predicted_status"], "FullyEnforced", "{ctx}");
        }
        let network = json["network"].as_str().unwrap();
        assert_eq!(
            network.contains("NOT enforced"),
            abi < 4,
            "{ctx}: {network}"
        );

        // Scopes and logging follow their own ABIs, whatever the network.
        let scoped = if abi >= 6 {
            serde_json::json!(["abstract_unix_socket", "signal"])
        } else {
            none.clone()
        };
        assert_eq!(rs["scoped"], scoped, "{ctx}");
        let json = lowered(&s, requested, &["--log-denials"]);
        assert_eq!(json["ruleset"]["log_new_exec"], abi >= 7, "{ctx}");
        assert_eq!(json["ruleset"]["socket_filter"], Value::Null, "{ctx}");
    }
}

#[test]
fn dry_run_text_shows_the_abi_the_handled_set_and_the_gaps() {
    let s = Scratch::new();
    s.mkdir("rw");
    let text = |abi: &str| {
        s.run([
            "run",
            "--dry-run",
            "--abi",
            abi,
            "--allow",
            "rw",
            "--",
            "true",
        ])
        .expect_ok()
        .stdout
        .clone()
    };
    let handled = |out: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix("handled: "))
            .unwrap_or_else(|| panic!("no handled line: {out}"))
            .to_owned()
    };

    let kernel = kernel_landlock_abi();
    let one = text("1");
    let head = format!("Ruleset for Landlock ABI 1 (kernel ABI {kernel}, --abi 1):");
    assert!(one.contains(&head), "{one}");
    assert!(!handled(&one).contains("refer"), "{one}");
    assert!(one.contains("Predicted status: PartiallyEnforced"), "{one}");
    assert!(one.contains("gap: truncate: needs ABI 3"), "{one}");
    assert!(one.contains("gap: ioctl_dev: needs ABI 5"), "{one}");
    assert!(one.contains("note: refer: needs ABI 2"), "{one}");

    let three = text("3");
    let head = format!("Ruleset for Landlock ABI 3 (kernel ABI {kernel}, --abi 3):");
    assert!(three.contains(&head), "{three}");
    assert!(handled(&three).contains("refer, truncate"), "{three}");
    assert!(!handled(&three).contains("ioctl_dev"), "{three}");
    assert!(
        three.contains("Predicted status: PartiallyEnforced"),
        "{three}"
    );
    assert!(!three.contains("gap: truncate"), "{three}");
    assert!(three.contains("gap: ioctl_dev: needs ABI 5"), "{three}");

    assert!(three.contains("gap: scope: needs ABI 6"), "{three}");
    assert!(three.contains("  scoped: (none)"), "{three}");
    assert!(three.contains("  handled net: (none)"), "{three}");
    assert!(three.contains("  socket filter: none"), "{three}");
    assert!(three.contains("Network: unrestricted"), "{three}");

    // At 5 only the default scopes are missing.
    let five = text("5");
    assert!(
        handled(&five).ends_with("refer, truncate, ioctl_dev"),
        "{five}"
    );
    assert!(
        five.contains("Predicted status: PartiallyEnforced"),
        "{five}"
    );
    assert!(
        five.contains("gap: scope: needs ABI 6 (Linux 6.12)"),
        "{five}"
    );
    assert_eq!(five.matches("gap:").count(), 1, "{five}");

    let six = text("6");
    assert!(six.contains("Predicted status: FullyEnforced"), "{six}");
    assert!(!six.contains("gap:"), "{six}");
    assert!(
        six.contains("  scoped: abstract_unix_socket, signal"),
        "{six}"
    );
}

#[test]
fn truncating_a_read_only_file_works_at_abi_2_and_is_denied_at_abi_3() {
    let s = Scratch::new();
    let two = s.write("ro/two.txt", "abi two\n");
    let three = s.write("ro/three.txt", "abi three\n");

    // ABI 2 does not know Truncate: truncate(2) needs no other right.
    let out = s.run(run_args(
        ["--abi", "2", "--read", "ro"],
        probe("truncate", &["ro/two.txt"]),
    ));
    out.expect_probe_ok()
        .expect_stderr("PartiallyEnforced")
        .expect_stderr("truncate");
    assert_file(&two, "");

    // ABI 3 handles it and --read does not grant it.
    s.run(run_args(
        ["--abi", "3", "--read", "ro"],
        probe("truncate", &["ro/three.txt"]),
    ))
    .expect_errno("EACCES");
    assert_file(&three, "abi three\n");
    // Nor does a file grant of Read at ABI 3 or the default ABI.
    s.run(run_args(
        ["--read", "ro/three.txt"],
        probe("truncate", &["ro/three.txt"]),
    ))
    .expect_errno("EACCES");
    assert_file(&three, "abi three\n");

    // Twin at ABI 3: an --allow grant truncates.
    s.run(run_args(
        ["--abi", "3", "--allow", "ro"],
        probe("truncate", &["ro/three.txt"]),
    ))
    .expect_probe_ok();
    assert_file(&three, "");
}

#[test]
fn rename_across_dirs_of_one_tree_is_exdev_at_abi_1_and_works_at_abi_2() {
    let s = Scratch::new();
    s.write("rw/a/one.txt", "one\n");
    s.write("rw/a/two.txt", "two\n");
    s.mkdir("rw/b");

    // ABI 1: no Refer, so any cross-directory rename is refused.
    s.run(run_args(
        ["--abi", "1", "--allow", "rw"],
        probe("rename", &["rw/a/one.txt", "rw/b/one.txt"]),
    ))
    .expect_errno("EXDEV");
    assert_file(&s.join("rw/a/one.txt"), "one\n");
    assert_absent(&s.join("rw/b/one.txt"));
    s.run(run_args(
        ["--abi", "1", "--allow", "rw"],
        probe("link", &["rw/a/one.txt", "rw/b/hard.txt"]),
    ))
    .expect_errno("EXDEV");
    assert_absent(&s.join("rw/b/hard.txt"));
    // ...but a rename within one directory is not a reparenting: it works.
    s.run(run_args(
        ["--abi", "1", "--allow", "rw"],
        probe("rename", &["rw/a/two.txt", "rw/a/renamed.txt"]),
    ))
    .expect_probe_ok();
    assert_file(&s.join("rw/a/renamed.txt"), "two\n");

    // ABI 2: Refer handled and granted with Write: the same move works.
    s.run(run_args(
        ["--abi", "2", "--allow", "rw"],
        probe("rename", &["rw/a/one.txt", "rw/b/one.txt"]),
    ))
    .expect_probe_ok();
    assert_absent(&s.join("rw/a/one.txt"));
    assert_file(&s.join("rw/b/one.txt"), "one\n");
}

#[test]
fn abi_1_still_enforces_the_base_rights() {
    let s = Scratch::new();
    s.write("ro/f.txt", "kept\n");
    s.mkdir("rw");
    let grants = ["--abi", "1", "--read", "ro", "--allow", "rw"];

    s.run(run_args(
        grants,
        ["sh", "-c", "cat ro/f.txt && touch rw/new"],
    ))
    .expect_ok()
    .expect_stdout("kept");
    assert_file(&s.join("rw/new"), "");
    s.run(run_args(grants, ["sh", "-c", "touch ro/new"]))
        .expect_code(1)
        .expect_stderr("Permission denied");
    assert_absent(&s.join("ro/new"));
    s.run(run_args(grants, ["rm", "ro/f.txt"]))
        .expect_code(1)
        .expect_stderr("Permission denied");
    assert_file(&s.join("ro/f.txt"), "kept\n");
}

#[test]
fn verbose_at_abi_3_reports_partially_enforced_and_the_ioctl_dev_gap() {
    let s = Scratch::new();
    s.mkdir("rw");

    let out = s.run(run_args(
        ["-v", "--abi", "3", "--allow", "rw"],
        ["sh", "-c", "echo ran > rw/out"],
    ));
    out.expect_ok()
        .expect_stderr("Sandbox status: PartiallyEnforced")
        .expect_stderr("warning")
        .expect_stderr("ioctl_dev")
        .expect_stderr("scope")
        .expect_no_stderr("truncate");
    assert_file(&s.join("rw/out"), "ran\n");

    // Twin: the default ABI is fully enforced, with no warning.
    let out = s.run(run_args(
        ["-v", "--allow", "rw"],
        ["sh", "-c", "echo ran2 > rw/out"],
    ));
    out.expect_ok()
        .expect_stderr("Sandbox status: FullyEnforced")
        .expect_no_stderr("warning")
        .expect_no_stderr("ioctl_dev")
        .expect_no_stderr("scope");
    assert_file(&s.join("rw/out"), "ran2\n");
    // And without -v, no status line.
    let out = s.run(run_args(["--allow", "rw"], ["true"]));
    out.expect_ok().expect_no_stderr("Sandbox status");
}

#[test]
fn strict_refuses_a_partial_sandbox_without_running_and_runs_a_full_one() {
    let s = Scratch::new();

    let out = s.run(run_args(
        ["--strict", "--abi", "3", "--allow", "."],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error("--strict").expect_stderr("ioctl_dev");
    assert_absent(&s.join("MARKER"));
    let out = s.run(run_args(
        ["--strict", "--abi", "1", "--allow", "."],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error("--strict")
        .expect_stderr("truncate")
        .expect_stderr("ioctl_dev");
    assert_absent(&s.join("MARKER"));
    // ABI 5 has every filesystem right, but not the default scopes.
    let out = s.run(run_args(
        ["--strict", "--abi", "5", "--allow", "."],
        ["touch", "MARKER"],
    ));
    out.expect_nono_error("--strict")
        .expect_stderr("scope")
        .expect_no_stderr("ioctl_dev");
    assert_absent(&s.join("MARKER"));

    // Twins: --strict at ABI 5 without scopes, at ABI 6 and at the default
    // ABI all run.
    s.run(run_args(
        [
            "--strict",
            "--abi",
            "5",
            "--allow-signals",
            "--allow-abstract-unix",
            "--allow",
            ".",
        ],
        ["touch", "MARKER5"],
    ))
    .expect_ok();
    assert_file(&s.join("MARKER5"), "");
    s.run(run_args(
        ["--strict", "--abi", "6", "--allow", "."],
        ["touch", "MARKER6"],
    ))
    .expect_ok();
    assert_file(&s.join("MARKER6"), "");
    s.run(run_args(
        ["--strict", "-v", "--allow", "."],
        ["touch", "MARKER"],
    ))
    .expect_ok()
    .expect_stderr("Sandbox status: FullyEnforced");
    assert_file(&s.join("MARKER"), "");
}

/// `--net-connect udp:PORT` / `--net-bind udp:PORT`: the dry run lists the
/// ports asked for by protocol at every ABI; Landlock governs them (port
/// rules with the UDP rights, port 0 bindable for the ephemeral port a
/// first send binds, no `net_udp` gap) only where the effective ABI is 10,
/// so `--abi 10` on an older kernel lowers for that kernel and keeps the
/// gap, never claiming what the kernel cannot enforce.
#[test]
fn udp_ports_are_landlock_port_rules_only_at_abi_10() {
    let s = Scratch::new();
    s.mkdir("ro");
    s.mkdir("rw");
    let kernel = u8::try_from(kernel_landlock_abi()).unwrap();
    let flags = [
        "--net-connect",
        "443,udp:53",
        "--net-bind",
        "udp:5353,tcp:8080",
        "--net-connect",
        "udp:53",
    ];
    for requested in [7u8, 9, 10] {
        let abi = requested.min(kernel);
        let ctx = format!("--abi {requested} (effective {abi})");
        let json = lowered(&s, requested, &flags);
        assert_eq!(json["target"]["effective_abi"], abi, "{ctx}");
        assert_eq!(
            json["ports"],
            serde_json::json!({
                "tcp_connect": [443],
                "tcp_bind": [8080],
                "udp_connect": [53],
                "udp_bind": [5353],
            }),
            "{ctx}"
        );
        let rs = &json["ruleset"];
        let gaps = gap_features(&json);
        if abi >= 10 {
            assert_eq!(
                rs["port_rules"],
                serde_json::json!([
                    {"port": 0, "rights": ["bind_udp"]},
                    {"port": 53, "rights": ["connect_send_udp"]},
                    {"port": 443, "rights": ["connect_tcp"]},
                    {"port": 5353, "rights": ["bind_udp"]},
                    {"port": 8080, "rights": ["bind_tcp"]},
                ]),
                "{ctx}"
            );
            assert!(gaps.is_empty(), "{ctx}: {gaps:?}");
            assert_eq!(json["predicted_status"], "FullyEnforced", "{ctx}");
        } else {
            assert_eq!(
                rs["port_rules"],
                serde_json::json!([
                    {"port": 443, "rights": ["connect_tcp"]},
                    {"port": 8080, "rights": ["bind_tcp"]},
                ]),
                "{ctx}"
            );
            assert_eq!(gaps, ["net_udp"], "{ctx}");
            assert_eq!(json["predicted_status"], "PartiallyEnforced", "{ctx}");
        }
        assert_eq!(rs["all_threads"], abi >= 8, "{ctx}");
    }

    // The text report says what was asked and, per protocol, what Landlock
    // holds.
    let mut args = vec!["run", "--dry-run", "--abi", "10"];
    args.extend_from_slice(&flags);
    args.extend(["--", "true"]);
    let text = s.run(args).expect_ok().stdout.clone();
    assert!(
        text.contains(
            "Ports asked for: connect tcp 443; connect udp 53; bind tcp 8080; bind udp 5353"
        ),
        "{text}"
    );
    assert!(text.contains("  tcp port 443: connect_tcp"), "{text}");
    assert_eq!(
        text.contains("  udp port 53: connect_send_udp"),
        kernel >= 10,
        "{text}"
    );
    assert_eq!(
        text.contains("gap: net_udp: needs ABI 10 (Linux 7.2)"),
        kernel < 10,
        "{text}"
    );
}

/// `--allow-unix PATH` becomes a ResolveUnix rule of its own where the
/// effective ABI is 9 or later, and the supervisor stops judging pathname
/// sockets there; below, no rule and the supervisor judges them. No
/// `--allow` or `--write` grant ever carries ResolveUnix.
#[test]
fn allow_unix_is_a_resolve_unix_rule_only_from_abi_9() {
    let s = Scratch::new();
    s.mkdir("ro");
    s.mkdir("rw");
    s.mkdir("sockets");
    let kernel = u8::try_from(kernel_landlock_abi()).unwrap();
    let sockets = s.join("sockets");
    let sockets = sockets.to_str().unwrap();
    for requested in [8u8, 9, 10] {
        let abi = requested.min(kernel);
        let ctx = format!("--abi {requested} (effective {abi})");
        let json = lowered(&s, requested, &["--allow-unix", sockets]);
        let rs = &json["ruleset"];
        let handled = strings(&rs["handled_fs"]);
        assert_eq!(
            handled.iter().any(|h| h == "resolve_unix"),
            abi >= 9,
            "{ctx}"
        );
        let unix_rules: Vec<&str> = rs["unix_rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["path"].as_str().unwrap())
            .collect();
        if abi >= 9 {
            assert_eq!(unix_rules, [sockets], "{ctx}");
        } else {
            assert!(unix_rules.is_empty(), "{ctx}");
        }
        assert_eq!(rs["unix_sockets"], serde_json::json!([sockets]), "{ctx}");
        assert_eq!(rs["supervision"]["unix_sockets"], abi < 9, "{ctx}");
        assert_eq!(rs["supervision"]["metadata"], true, "{ctx}");
        for rule in rs["rules"].as_array().unwrap() {
            assert!(
                !strings(&rule["rights"]).iter().any(|r| r == "resolve_unix"),
                "{ctx}: {rule}"
            );
        }
    }
}
