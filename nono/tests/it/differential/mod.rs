//! Kernel-differential test: the compiler and the reference evaluator against
//! real Landlock, on random policies over a real tree.
//!
//! Each round builds a fresh random tree in a scratch directory (nested
//! directories, data files, copies of `/usr/bin/true`, symlinks to files, to
//! directories, to other symlinks and to nothing, with absolute and relative
//! targets), draws a random policy (`--read`, `--write` and `--allow` on
//! random nodes, spelled absolute, relative to the working directory or
//! through a symlink; `--abi N` for a random N nono knows, or none), and
//! computes in this process what every case should do: the same
//! [`Policy`] the CLI builds from those flags, compiled by
//! [`nono_compile::compile`] against the real filesystem for this kernel's
//! ABI, then asked of [`nono_compile::allowed`] on the canonical path.
//! It then runs ONE `nono run --no-base --read /usr FLAGS -- python3` per
//! round whose probe (`tests/fixtures/probe.py`, in batch mode) performs
//! every case with real system calls,
//! and compares each case's answer (`ok` or the errno's name) with the
//! prediction, and the disk afterwards with what the answer implies (a
//! denied `mkdir` left nothing, an allowed `unlink` removed the victim).
//! The cases are named by the probe's ops:
//!
//! | case       | system call                                  | right(s) checked                                   |
//! |------------|----------------------------------------------|----------------------------------------------------|
//! | `read`     | `open(file, O_RDONLY)`, one byte read        | ReadFile on the file                               |
//! | `listdir`  | `os.listdir(dir)` (`open(O_DIRECTORY)`)      | ReadDir on the directory                           |
//! | `execute`  | `posix_spawn` of a copy of `true`            | Execute on the file                                |
//! | `write`    | `open(file, O_WRONLY)`, nothing written      | WriteFile on the file                              |
//! | `truncate` | `truncate(file, its size)`                   | Truncate on the file (handled from ABI 3)          |
//! | `ftruncate`| `open(O_WRONLY)` then `ftruncate(its size)`  | WriteFile, then Truncate                           |
//! | `creat`    | `open(dir/new, O_CREAT\|O_EXCL\|O_WRONLY)`   | MakeReg on the directory, WriteFile on the new file |
//! | `mkdir`, `symlink`, `mkfifo`, `mksock` (bind), `mknod-char`, `mknod-block` | create `dir/new` | MakeDir, MakeSym, MakeFifo, MakeSock, MakeChar, MakeBlock on the directory |
//! | `unlink`, `rmdir` | remove a dedicated victim             | RemoveFile, RemoveDir on its directory             |
//! | `link`     | `link(file, dir/new)`                        | MakeReg on the target directory; across directories Refer on both and no gain of rights (EXDEV) |
//! | `rename`   | `rename(victim, dir/new)`                    | RemoveFile + MakeReg; across directories as `link` |
//!
//! A denial is EACCES, except a refused reparenting (`link`, `rename`), which
//! is EXDEV when only Refer or the no-gain rule is missing. No level grants
//! MakeChar or MakeBlock, so those are always EACCES.
//!
//! Every right, Refer included, is asked of [`nono_compile::allowed`] as it
//! is: the kernel treats Refer as handled by every ruleset ("initially
//! denied"), so below ABI 2, where it cannot be granted, every reparenting is
//! EXDEV, and the evaluator says so too
//! ([`evaluator_denies_refer_below_abi_2_like_the_kernel`] checks it on its
//! own).
//!
//! Size and seed: `NONO_DIFF_CASES` is the total number of cases (default
//! 3000, that is 30 rounds of 100); `NONO_DIFF_SEED` the seed (default: from
//! the clock). Both are printed, and every disagreement is reported with the
//! seed, the flags, the tree, the ruleset, the case, the expected and the
//! actual answer, so
//! `NONO_DIFF_SEED=S NONO_DIFF_CASES=N cargo test -p nono --test it differential::`
//! replays a failure.
//!
//! [`tree`] draws the tree, [`cases`] the policy and the cases, with their
//! predictions; this module runs the rounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cases;
mod tree;

use crate::common::{Scratch, kernel_landlock_abi, probe, run_args};
use cases::{Case, Flags, draw_case, phase, reparent, show_ruleset, trace_holds};
use nono_compile::allowed;
use nono_model::{Abi, FsRight};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::Stdio;
use tree::{Rng, Tree};

/// The kernel's Landlock ABI, asked by nono-enforce (cross-checked against
/// the raw system call in `common`).
fn kernel_abi() -> Abi {
    let abi = nono_enforce::landlock_state()
        .abi()
        .expect("this test needs Landlock");
    assert_eq!(u64::from(abi.0), kernel_landlock_abi());
    abi
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={text:?}: {e}")),
    )
}

const CASES_PER_ROUND: usize = 100;
const DEFAULT_CASES: u64 = 3000;

/// How many cases of each operation got each answer.
type Tally = BTreeMap<(&'static str, String), usize>;

/// Runs one round: a fresh tree, a random policy, one sandboxed probe run.
/// Counts the answers in `tally`; returns the number of cases and the
/// disagreements, described.
fn round(
    rng: &mut Rng,
    kernel: Abi,
    cases: usize,
    header: &str,
    tally: &mut Tally,
) -> (usize, Vec<String>) {
    let s = Scratch::new();
    let tree = Tree::build(&s, rng);
    let flags = Flags::random(rng, &tree);
    let compiled = flags.compile(&tree, kernel);
    let rs = &compiled.ruleset;
    let mut list: Vec<Case> = (0..cases).map(|k| draw_case(rng, &tree, rs, k)).collect();
    list.sort_by_key(|c| phase(c.op));

    let input: String = list
        .iter()
        .map(|c| format!("{}\t{}\n", c.op, c.args.join("\t")))
        .collect();
    let mut cmd = s.nono();
    cmd.arg("run")
        .args(flags.args())
        .arg("--")
        .args(probe("batch", &[]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn nono");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let answers: Vec<&str> = stdout.lines().collect();

    let context = || {
        format!(
            "{header}\nflags: nono run {} -- python3 PROBE batch\ntree (under {}):\n{}ruleset:\n{}",
            flags.args().join(" "),
            tree.base.display(),
            tree.describe(),
            show_ruleset(rs)
        )
    };
    if out.status.code() != Some(0) || answers.len() != list.len() {
        return (
            list.len(),
            vec![format!(
                "{}the probe run failed ({:?}, {} answers for {} cases)\nstdout:\n{stdout}\nstderr:\n{stderr}",
                context(),
                out.status,
                answers.len(),
                list.len()
            )],
        );
    }
    let mut bad = Vec::new();
    for (case, &actual) in list.iter().zip(&answers) {
        *tally.entry((case.op, actual.to_owned())).or_default() += 1;
        let disk_ok = trace_holds(&case.trace, actual == "OK");
        if actual != case.expected || !disk_ok {
            bad.push(format!(
                "case {} {}\n  canonical: {}\n  expected {}, kernel said {}{}",
                case.op,
                case.args.join(" "),
                case.canonical
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                case.expected,
                actual,
                if disk_ok {
                    String::new()
                } else {
                    format!(", but the disk disagrees: {:?}", case.trace)
                }
            ));
        }
    }
    if bad.is_empty() {
        (list.len(), bad)
    } else {
        (list.len(), vec![format!("{}{}", context(), bad.join("\n"))])
    }
}

#[test]
fn random_policies_agree_with_the_kernel() {
    let kernel = kernel_abi();
    let total = env_u64("NONO_DIFF_CASES").unwrap_or(DEFAULT_CASES) as usize;
    let seed = env_u64("NONO_DIFF_SEED").unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        t.as_secs() ^ u64::from(t.subsec_nanos()) ^ u64::from(std::process::id())
    });
    let rounds = total.div_ceil(CASES_PER_ROUND);
    eprintln!(
        "differential: NONO_DIFF_SEED={seed} NONO_DIFF_CASES={total}: {rounds} policies on kernel ABI {kernel}"
    );
    let mut rng = Rng::new(seed);
    let mut failures = Vec::new();
    let mut tally = Tally::new();
    let mut done = 0;
    for i in 0..rounds {
        let cases = CASES_PER_ROUND.min(total - done);
        let header = format!(
            "== NONO_DIFF_SEED={seed} NONO_DIFF_CASES={total}, policy {} of {rounds}",
            i + 1
        );
        let (n, bad) = round(&mut rng, kernel, cases, &header, &mut tally);
        done += n;
        failures.extend(bad);
    }
    let mut by_op: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for ((op, answer), n) in &tally {
        by_op.entry(op).or_default().push(format!("{answer} {n}"));
    }
    for (op, answers) in by_op {
        eprintln!("  {op}: {}", answers.join(", "));
    }
    eprintln!(
        "differential: {done} cases in {rounds} policies, {} policies with disagreements",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "the kernel and the evaluator disagree:\n{}",
        failures.join("\n\n")
    );
}

/// Refer below ABI 2: the ruleset cannot handle it, yet the kernel denies
/// every reparenting (EXDEV), as Refer is "initially denied" by every
/// Landlock ruleset; the evaluator (and so `nono why` and the property
/// tests) says the same: Refer is handled at every ABI. Twin: from ABI 2,
/// Write grants Refer and the link works.
#[test]
fn evaluator_denies_refer_below_abi_2_like_the_kernel() {
    let s = Scratch::new();
    s.write("rw/a/f", "moves\n");
    s.mkdir("rw/b");
    let kernel = kernel_abi();

    // The kernel: a link between two directories of one --allow tree.
    let run = |abi: &str| {
        let args = run_args(
            ["--no-base", "--read", "/usr", "--allow", "rw", "--abi", abi],
            probe("link", &["rw/a/f", &format!("rw/b/f{abi}")]),
        );
        s.run(args)
    };
    run("1").expect_errno("EXDEV");
    assert!(!s.join("rw/b/f1").exists());
    // Twin: from ABI 2, Refer is granted with Write and the link works.
    run("2").expect_probe_ok();
    assert!(s.join("rw/b/f2").exists());

    // The evaluator, on the same policy at ABI 1 and 2, and what the
    // differential model predicts for the same link.
    let tree = Tree {
        base: s.path(),
        dirs: Vec::new(),
        files: Vec::new(),
        execs: Vec::new(),
        links: Vec::new(),
    };
    let ruleset = |abi: u8| {
        let flags = Flags {
            grants: vec![("--allow", "rw".to_owned())],
            abi: Some(abi),
        };
        let rs = flags.compile(&tree, kernel).ruleset;
        assert_eq!(rs.abi, Abi(abi));
        rs
    };
    let (src, dst) = (s.join("rw/a/f"), s.join("rw/b/g"));
    let rs = ruleset(1);
    assert!(!rs.handled_fs.contains(FsRight::Refer));
    assert!(
        !allowed(&rs, &s.join("rw/a"), FsRight::Refer),
        "allowed() says Refer is allowed at ABI 1, where the kernel refuses every reparenting with EXDEV"
    );
    assert_eq!(reparent(&rs, &src, &dst, false), "EXDEV");
    let rs = ruleset(2);
    assert!(allowed(&rs, &s.join("rw/a"), FsRight::Refer));
    assert_eq!(reparent(&rs, &src, &dst, false), "OK");
}
