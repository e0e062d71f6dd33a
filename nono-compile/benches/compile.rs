//! How `compile` (resolve + normalise + carve + lower) scales with the number
//! of path rules: `cargo bench -p nono-compile`.
//!
//! - `compile/memfs/N`: N grants over an in-memory tree, so no system calls:
//!   the algorithms alone.
//! - `compile/realfs/N`: the same grants over a real directory tree (under the
//!   system temporary directory, made once), with the canonicalise and stat
//!   system calls `nono run` makes.
//!
//! The throughput is in rules: the same rules per second at every N means
//! linear growth; a quadratic step would show as a throughput falling tenfold
//! from one N to the next.

// A bench that cannot set itself up should stop there, loudly.
#![allow(missing_docs, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nono_compile::{FsProbe, MemFs, RealFs, ResolveEnv, Target, compile};
use nono_model::{Abi, Access, FsGrant, GrantSource, Policy};
use std::hint::black_box;
use std::path::{Path, PathBuf};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// The grants: one directory in ten is granted Read, and the files in it are
/// granted Write (so every rule is kept, and each has a granted ancestor to
/// look at), with the built-in sensitive paths denied as in `nono run`.
fn layout(root: &Path, n: usize) -> Vec<(PathBuf, bool, Access)> {
    (0..n)
        .map(|i| {
            let dir = root.join(format!("d{:04}", i / 10));
            if i % 10 == 0 {
                (dir, true, Access::Read)
            } else {
                (dir.join(format!("f{}", i % 10)), false, Access::Write)
            }
        })
        .collect()
}

fn policy(layout: &[(PathBuf, bool, Access)]) -> Policy {
    let mut policy = Policy::default();
    policy.deny_sensitive();
    // Shuffled by a fixed permutation (7919 is prime, so coprime to every
    // size here): the compiler sorts.
    let step = 7919 % layout.len().max(1);
    for k in 0..layout.len() {
        let (path, _, access) = &layout[(k * step.max(1)) % layout.len()];
        let grant = FsGrant::new(path.to_string_lossy().into_owned(), *access);
        policy.add(grant, GrantSource::Flag("--bench".into()));
    }
    policy
}

fn env(root: &Path) -> ResolveEnv {
    let mut env = ResolveEnv::new(root);
    env.home = Some(root.join("home"));
    env
}

/// A real tree for `layout`, made once per size.
fn real_tree(n: usize) -> PathBuf {
    let root = std::env::temp_dir().join(format!("nono-bench-compile-{n}"));
    let marker = root.join(".complete");
    if !marker.exists() {
        for (path, is_dir, _) in layout(&root, n) {
            if is_dir {
                std::fs::create_dir_all(&path).expect("create the bench tree");
            } else {
                std::fs::write(&path, b"x").expect("create the bench tree");
            }
        }
        std::fs::write(&marker, b"").expect("create the bench tree");
    }
    // Canonical, so that the tree's own path resolves like the rules'.
    std::fs::canonicalize(root).expect("the bench tree")
}

fn bench(c: &mut Criterion) {
    let target = Target::kernel(Abi::LATEST);
    let mut group = c.benchmark_group("compile");
    group.sample_size(20);
    for n in SIZES {
        group.throughput(Throughput::Elements(n as u64));

        let root = PathBuf::from("/bench");
        let grants = layout(&root, n);
        let mut fs = MemFs::new();
        for (path, is_dir, _) in &grants {
            if *is_dir {
                fs.dir(path);
            } else {
                fs.file(path);
            }
        }
        let (policy_mem, env_mem) = (policy(&grants), env(&root));
        group.bench_with_input(BenchmarkId::new("memfs", n), &n, |b, _| {
            b.iter(|| compile(black_box(&policy_mem), &target, &env_mem, &fs).expect("compiles"))
        });

        let root = real_tree(n);
        let (policy_real, env_real) = (policy(&layout(&root, n)), env(&root));
        let real: &dyn FsProbe = &RealFs;
        let out = compile(&policy_real, &target, &env_real, real).expect("compiles");
        assert_eq!(out.ruleset.rules.len(), n);
        group.bench_with_input(BenchmarkId::new("realfs", n), &n, |b, _| {
            b.iter(|| compile(black_box(&policy_real), &target, &env_real, real).expect("compiles"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
