//! `--log-denials` (ABI 7).

use super::*;
use crate::common::{assert_absent, dry_json, dry_text, notes};

#[test]
fn log_denials_sets_log_new_exec_at_abi_7_and_is_a_note_below() {
    let s = Scratch::new();
    // (On a kernel below ABI 7, what `--abi 6` shows below.)
    let json = dry_json(&s, &["--log-denials"]);
    assert_eq!(json["ruleset"]["abi"], effective_abi());
    assert_eq!(json["ruleset"]["log_new_exec"], abi_has(7));
    assert_eq!(
        notes(&json).iter().any(|n| n.starts_with("audit_log")),
        !abi_has(7),
        "{json:#}"
    );
    let yes = if abi_has(7) { "yes" } else { "no" };
    assert!(dry_text(&s, &["--log-denials"]).contains(&format!("log denials after exec: {yes}")));

    let json = dry_json(&s, &[]);
    assert_eq!(json["ruleset"]["log_new_exec"], false);
    assert!(dry_text(&s, &[]).contains("log denials after exec: no"));

    let json = dry_json(&s, &["--abi", "6", "--log-denials"]);
    assert_eq!(json["ruleset"]["log_new_exec"], false);
    let notes = notes(&json);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("audit_log: needs ABI 7") && n.contains("--log-denials")),
        "{notes:?}"
    );
    // A note, not a gap.
    assert_eq!(
        json["predicted_status"],
        status(&gaps_at(6, &["truncate", "ioctl_dev", "scope"]))
    );

    // The kernel accepts the flag, and the sandbox still denies.
    s.mkdir("ro");
    s.mkdir("rw");
    s.run(run_args(
        ["--log-denials", "--allow", "rw"],
        ["touch", "rw/logged"],
    ))
    .expect_ok();
    assert!(s.join("rw/logged").exists());
    s.run(run_args(
        ["--log-denials", "--read", "ro"],
        ["touch", "ro/denied"],
    ))
    .expect_code(1)
    .expect_stderr("Permission denied");
    assert_absent(&s.join("ro/denied"));
}
