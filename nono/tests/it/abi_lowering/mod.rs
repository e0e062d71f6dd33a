//! `--abi N` lowers the same policy differently, and the kernel behaves as
//! the lowering says.
//!
//! On a kernel of Landlock ABI 7 (the host's), `--abi N` caps the effective
//! ABI, so one kernel exercises every level's lowering for real. On a kernel
//! of a lower ABI K (the kernel matrix, tests/kernel-matrix, boots ABI 2 and
//! 6), `--abi N` lowers as `--abi min(N, K)` does, and the tests expect
//! that: what is said below of ABI N holds of min(N, K). Shown two ways:
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
//!
//! [`dry_run`] holds the first, [`behaviour`] the second.

mod abi_8_to_10;
mod behaviour;
mod dry_run;

use crate::common::{Scratch, strings};
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
