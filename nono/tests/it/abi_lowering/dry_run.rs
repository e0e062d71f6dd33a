//! What `--dry-run` reports at each `--abi`.

use super::*;
use crate::common::{abi_has, effective_abi, gap_features, kernel_landlock_abi};

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
    // What `--abi N` gives on this kernel: the row of min(N, its ABI).
    let top = effective_abi();
    let at = |asked: u8| &table[usize::from(asked.min(top)) - 1];
    let mut previous: Option<Vec<String>> = None;
    for asked in table.iter().map(|e| e.abi) {
        let &Expected {
            abi,
            refer,
            truncate,
            ioctl,
            status,
            gaps,
        } = at(asked);
        let json = lowered(&s, asked, &[]);
        let ctx = format!("--abi {asked}");
        assert_eq!(json["ruleset"]["abi"], abi, "{ctx}");
        assert_eq!(json["target"]["kernel_abi"], kernel, "{ctx}");
        assert_eq!(json["target"]["abi_limit"], asked, "{ctx}");
        assert_eq!(json["target"]["effective_abi"], abi, "{ctx}");

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

    // Without --abi: the effective ABI (the kernel's, capped at the highest
    // nono knows), and no limit.
    let json = s
        .run(["run", "--dry-run", "--json", "--allow", "rw", "--", "true"])
        .expect_ok()
        .json();
    assert_eq!(json["ruleset"]["abi"], top);
    assert_eq!(json["target"]["abi_limit"], Value::Null);
    assert_eq!(json["predicted_status"], at(7).status);
    let scopes = |both: bool| {
        if both && abi_has(6) {
            serde_json::json!(["abstract_unix_socket", "signal"])
        } else {
            serde_json::json!([])
        }
    };
    assert_eq!(json["ruleset"]["scoped"], scopes(true));

    // ABI 5 is FullyEnforced when no scope is asked for (the filesystem
    // gaps below 5 stay).
    let json = lowered(&s, 5, &["--allow-signals", "--allow-abstract-unix"]);
    let fs_gaps: Vec<&str> = at(5)
        .gaps
        .iter()
        .copied()
        .filter(|g| *g != "scope")
        .collect();
    let status = |gaps: &[&str]| {
        if gaps.is_empty() {
            "FullyEnforced"
        } else {
            "PartiallyEnforced"
        }
    };
    assert_eq!(json["predicted_status"], status(&fs_gaps));
    assert_eq!(json["ruleset"]["scoped"], scopes(false));
    assert_eq!(gap_features(&json), fs_gaps);
    // One scope is still a gap below 6, and only that one is enforced at 6.
    let json = lowered(&s, 5, &["--allow-signals"]);
    assert_eq!(json["predicted_status"], "PartiallyEnforced");
    assert_eq!(gap_features(&json), at(5).gaps);
    let scope_gap = json["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["feature"] == "scope")
        .unwrap();
    assert!(
        scope_gap["unenforced"]
            .as_str()
            .unwrap()
            .contains("abstract Unix"),
        "{json:#}"
    );
    let json = lowered(&s, 6, &["--allow-signals"]);
    let one = |scope: &str| {
        if abi_has(6) {
            serde_json::json!([scope])
        } else {
            serde_json::json!([])
        }
    };
    assert_eq!(json["ruleset"]["scoped"], one("abstract_unix_socket"));
    let json = lowered(&s, 6, &["--allow-abstract-unix"]);
    assert_eq!(json["ruleset"]["scoped"], one("signal"));
}

#[test]
fn dry_run_json_lowers_the_network_per_abi() {
    let s = Scratch::new();
    s.mkdir("ro");
    s.mkdir("rw");
    let tcp = serde_json::json!(["bind_tcp", "connect_tcp"]);
    let none = serde_json::json!([]);

    let tcp_udp = serde_json::json!(["bind_tcp", "connect_tcp", "bind_udp", "connect_send_udp"]);
    for asked in nono_model::Abi::known().map(|a| a.0) {
        // On a kernel of a lower ABI, `--abi N` is `--abi` of the kernel's.
        let abi = asked.min(effective_abi());
        let ctx = format!("--abi {asked} (effective {abi})");
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
        let json = lowered(&s, asked, &["--net-block"]);
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
            asked,
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
        let json = lowered(&s, asked, &["--log-denials"]);
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
    // Below ABI N, `--abi N` gives the report of `--abi` of the kernel's,
    // but for the limit the header names.
    let top = effective_abi();
    let as_the_kernels = |out: &str, n: u8| {
        let own = out.replace(&format!(", --abi {n}):"), &format!(", --abi {top}):"));
        assert_eq!(own, text(&top.to_string()), "--abi {n} at ABI {top}");
    };
    let one = text("1");
    let head = format!("Ruleset for Landlock ABI 1 (kernel ABI {kernel}, --abi 1):");
    assert!(one.contains(&head), "{one}");
    assert!(!handled(&one).contains("refer"), "{one}");
    assert!(one.contains("Predicted status: PartiallyEnforced"), "{one}");
    assert!(one.contains("gap: truncate: needs ABI 3"), "{one}");
    assert!(one.contains("gap: ioctl_dev: needs ABI 5"), "{one}");
    assert!(one.contains("note: refer: needs ABI 2"), "{one}");

    let three = text("3");
    if abi_has(3) {
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
    } else {
        as_the_kernels(&three, 3);
    }

    // At 5 only the default scopes are missing.
    let five = text("5");
    if abi_has(5) {
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
    } else {
        as_the_kernels(&five, 5);
    }

    let six = text("6");
    if abi_has(6) {
        assert!(six.contains("Predicted status: FullyEnforced"), "{six}");
        assert!(!six.contains("gap:"), "{six}");
        assert!(
            six.contains("  scoped: abstract_unix_socket, signal"),
            "{six}"
        );
    } else {
        as_the_kernels(&six, 6);
    }
}
