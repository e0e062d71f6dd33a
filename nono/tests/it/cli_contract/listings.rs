//! `nono check` and `nono presets`.

use crate::common::{Scratch, kernel_landlock_abi};
use nono_model::Abi;
use serde_json::Value;

const FEATURES: [(&str, u64, &str); 10] = [
    ("fs_base", 1, "5.13"),
    ("refer", 2, "5.19"),
    ("truncate", 3, "6.2"),
    ("net_tcp", 4, "6.7"),
    ("ioctl_dev", 5, "6.10"),
    ("scope", 6, "6.12"),
    ("audit_log", 7, "6.15"),
    ("tsync", 8, "7.0"),
    ("resolve_unix", 9, "7.1"),
    ("net_udp", 10, "7.2"),
];

const BUILTIN_PRESETS: [&str; 8] = [
    "base", "tmp", "rust", "python", "node", "go", "git", "shell",
];

// ---------------------------------------------------------------------------
// nono check
// ---------------------------------------------------------------------------

#[test]
fn check_reports_kernel_abi_and_features() {
    let s = Scratch::new();
    let abi = kernel_landlock_abi();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let release = release.trim();

    let out = s.run(["check"]);
    out.expect_ok()
        .expect_stdout(&format!("Kernel: Linux {release}\n"))
        .expect_stdout(&format!("Landlock: available, ABI {abi}\n"))
        .expect_stdout(&format!("Effective ABI: {abi}"));
    for (name, since, linux) in FEATURES {
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}: {out:#?}"));
        assert!(line.contains(&format!("ABI {since}")), "{line}");
        assert!(line.contains(&format!("Linux {linux}")), "{line}");
        let yes = if abi >= since { "yes" } else { "no" };
        assert!(line.trim_end().ends_with(yes), "{line}");
    }

    let json = s.run(["check", "--json"]).expect_ok().json();
    assert_eq!(json["kernel"], release);
    assert_eq!(json["landlock"], "available");
    assert_eq!(json["kernel_abi"], abi);
    assert_eq!(json["effective_abi"], abi.min(u64::from(Abi::LATEST.0)));
    let features = json["features"].as_array().unwrap();
    // The Landlock passes, then the two seccomp passes, the two supervisor
    // passes (its calls, --net-allow's proxy), and the mount layer's private
    // layers and protected paths, which need no ABI.
    assert_eq!(features.len(), FEATURES.len() + 6, "{json:#}");
    for ((name, since, linux), f) in FEATURES.iter().zip(features) {
        assert_eq!(f["name"], *name);
        assert_eq!(f["abi"], *since);
        assert_eq!(f["linux"], *linux);
        assert_eq!(f["enforceable"], Value::Bool(abi >= *since), "{f}");
    }
    // This kernel has seccomp: /proc/self/status says which mode we are in.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(status.lines().any(|l| l.starts_with("Seccomp:")));
    for (f, name) in features[FEATURES.len()..].iter().zip([
        "seccomp_fallback",
        "syscall_guard",
        "supervise",
        "net_proxy",
        "private_layer",
        "protect",
    ]) {
        assert_eq!(f["name"], name);
        assert_eq!(f["abi"], Value::Null);
        assert_eq!(f["enforceable"], true);
        let line = out
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line: {out:#?}"));
        assert!(line.contains("ABI any"), "{line}");
        assert!(line.trim_end().ends_with("yes"), "{line}");
    }
    assert_eq!(json["hints"], serde_json::json!([]));
    assert_eq!(json["mount_layer"], true);
    out.expect_stdout("Mount layer (protected paths): a private mount namespace for every run");

    // The audit log: one of four states, the same in text and JSON; as root
    // the state is never unknown, and "reachable" means enabled at ABI 7.
    let state = json["audit"]["state"].as_str().unwrap();
    assert!(
        ["unsupported", "disabled", "enabled"].contains(&state),
        "{json:#}"
    );
    assert_eq!(
        json["audit"]["reachable"],
        Value::Bool(state == "enabled" && abi >= 7)
    );
    let detail = json["audit"]["detail"].as_str().unwrap();
    out.expect_stdout(&format!("Audit log: {detail}"));
}

// ---------------------------------------------------------------------------
// nono presets
// ---------------------------------------------------------------------------

#[test]
fn presets_list_shows_the_seven_builtins() {
    let s = Scratch::new();
    let out = s.run(["presets", "list"]);
    out.expect_ok();
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, BUILTIN_PRESETS, "{out:#?}");
    for line in out.stdout.lines() {
        assert!(line.contains("built-in"), "{line}");
    }

    let json = s.run(["presets", "list", "--json"]).expect_ok().json();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BUILTIN_PRESETS);
}

#[test]
fn presets_show_prints_grants_and_rejects_unknown_names() {
    let s = Scratch::new();
    let out = s.run(["presets", "show", "rust"]);
    out.expect_ok()
        .expect_stdout("rust: ")
        .expect_stdout("source: built-in")
        .expect_stdout("extends: base, tmp")
        .expect_stdout("${CARGO_HOME:-~/.cargo} (optional)")
        .expect_stdout("${RUSTUP_HOME:-~/.rustup} (optional)");
    let cargo = out
        .stdout
        .lines()
        .find(|l| l.contains("CARGO_HOME"))
        .unwrap();
    assert!(cargo.trim_start().starts_with("allow"), "{cargo}");

    let json = s
        .run(["presets", "show", "rust", "--json"])
        .expect_ok()
        .json();
    assert_eq!(json["name"], "rust");
    assert!(
        json["grants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["path"] == "${CARGO_HOME:-~/.cargo}" && g["access"] == "Allow"),
        "{json:#}"
    );

    s.run(["presets", "show", "nosuch"])
        .expect_nono_error("nosuch");
    assert!(s.run(["presets", "show", "nosuch"]).stdout.is_empty());
}
