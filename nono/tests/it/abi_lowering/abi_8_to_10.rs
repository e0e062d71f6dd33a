//! Landlock ABI 8 to 10 in the dry run: UDP port rules at 10, ResolveUnix
//! rules from `--allow-unix` at 9, every thread at once from 8. On a kernel
//! of a lower ABI, `--abi N` lowers for the kernel's ABI, and the tests
//! expect that.

use super::*;
use crate::common::{gap_features, gaps_at, kernel_landlock_abi};

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
        // What the effective ABI lacks, of what this policy asks (TCP port
        // rules need 4, UDP ones 10; the filesystem and scopes their own).
        let gaps = gaps_at(
            requested,
            &["truncate", "net_tcp", "ioctl_dev", "scope", "net_udp"],
        );
        assert_eq!(gap_features(&json), gaps, "{ctx}");
        let status = if gaps.is_empty() {
            "FullyEnforced"
        } else {
            "PartiallyEnforced"
        };
        assert_eq!(json["predicted_status"], status, "{ctx}");
        let port_rules = if abi >= 10 {
            serde_json::json!([
                {"port": 0, "rights": ["bind_udp"]},
                {"port": 53, "rights": ["connect_send_udp"]},
                {"port": 443, "rights": ["connect_tcp"]},
                {"port": 5353, "rights": ["bind_udp"]},
                {"port": 8080, "rights": ["bind_tcp"]},
            ])
        } else if abi >= 4 {
            serde_json::json!([
                {"port": 443, "rights": ["connect_tcp"]},
                {"port": 8080, "rights": ["bind_tcp"]},
            ])
        } else {
            serde_json::json!([])
        };
        assert_eq!(rs["port_rules"], port_rules, "{ctx}");
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
    assert_eq!(
        text.contains("  tcp port 443: connect_tcp"),
        kernel >= 4,
        "{text}"
    );
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
