//! How `apply` scales with the number of path rules: `cargo bench -p
//! nono-enforce`.
//!
//! Applying a ruleset is irreversible, so every measurement runs in a fresh
//! child: the bench forks, the child times `apply` (open and check every
//! path, create the ruleset, add the rules, restrict itself) with a monotonic
//! clock, writes the nanoseconds to a pipe and exits; the parent sums what
//! the children report (`iter_custom`), so the fork itself is not counted.
//! Criterion runs no threads of its own here, so forking is safe.
//!
//! The rules are N files of a real tree (under the system temporary
//! directory, made once), Read each, with every right of the kernel's ABI
//! handled, as `nono run` lowers them. The throughput is in rules: the same
//! rules per second at every N means linear growth.

// A bench that cannot set itself up should stop there, loudly.
#![allow(missing_docs, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nono_model::{AccessLevels, FileKind, FsRight, FsRights, PathRule, Ruleset};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// A ruleset of `n` file rules over a real tree, made once per size.
fn ruleset(n: usize) -> Ruleset {
    let abi = nono_enforce::landlock_state()
        .abi()
        .expect("the apply bench needs Landlock");
    let root = std::env::temp_dir().join(format!("nono-bench-apply-{n}"));
    let mut ruleset = Ruleset::empty(abi.min(nono_model::Abi::LATEST));
    // Every filesystem right of the ABI: 13 in ABI 1, then Refer (2),
    // Truncate (3) and IoctlDev (5), bits 13, 14 and 15.
    let known_bits: u32 = match ruleset.abi.0 {
        1 => 13,
        2 => 14,
        3 | 4 => 15,
        _ => 16,
    };
    ruleset.handled_fs = FsRights::from_bits((1 << known_bits) - 1).expect("known rights");
    for i in 0..n {
        let path: PathBuf = root
            .join(format!("d{:03}", i / 1000))
            .join(format!("f{:03}", i % 1000));
        if !path.exists() {
            std::fs::create_dir_all(path.parent().expect("a parent"))
                .expect("create the bench tree");
            std::fs::write(&path, b"x").expect("create the bench tree");
        }
        let meta = std::fs::metadata(&path).expect("the bench tree");
        ruleset.rules.push(PathRule {
            path,
            kind: FileKind::File,
            dev: meta.dev(),
            ino: meta.ino(),
            levels: AccessLevels::from(nono_model::Access::Read),
            rights: FsRights::of(&[FsRight::ReadFile, FsRight::Execute]),
            sources: Vec::new(),
            carved: false,
            listed: false,
        });
    }
    ruleset
}

/// Forks; the child applies `ruleset` and reports how long it took.
fn apply_in_child(ruleset: &Ruleset) -> Duration {
    let (read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    // SAFETY: the bench is single-threaded, so the child may run normal code.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let start = Instant::now();
        let ok = nono_enforce::apply(ruleset).is_ok();
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let mut out = std::fs::File::from(write_end);
        let _ = out.write_all(&(if ok { nanos } else { u64::MAX }).to_le_bytes());
        // SAFETY: _exit ends the child at once, without running the exit
        // handlers or flushing the buffers it shares with the parent.
        unsafe { libc::_exit(0) };
    }
    // The parent's write end closes here, so a child that dies before
    // writing gives end of file rather than a hang.
    drop(write_end);
    let mut input = std::fs::File::from(read_end);
    let mut buf = [0u8; 8];
    input.read_exact(&mut buf).expect("the child's report");
    let child = rustix::process::Pid::from_raw(pid).expect("a child's pid is positive");
    rustix::process::waitpid(Some(child), rustix::process::WaitOptions::empty())
        .expect("wait for the child");
    let nanos = u64::from_le_bytes(buf);
    assert_ne!(nanos, u64::MAX, "apply failed in the child");
    Duration::from_nanos(nanos)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("apply");
    group.sample_size(20);
    for n in SIZES {
        let ruleset = ruleset(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("files", n), &n, |b, _| {
            b.iter_custom(|iters| (0..iters).map(|_| apply_in_child(&ruleset)).sum())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
