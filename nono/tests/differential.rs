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
//! round whose probe ([`PROBE`]) performs every case with real system calls,
//! and compares each case's answer (`ok` or the errno's name) with the
//! prediction, and the disk afterwards with what the answer implies (a
//! denied `mkdir` left nothing, an allowed `unlink` removed the victim).
//!
//! | case       | system call                                  | right(s) checked                                   |
//! |------------|----------------------------------------------|----------------------------------------------------|
//! | `read`     | `open(file, O_RDONLY)`                       | ReadFile on the file                               |
//! | `readdir`  | `os.listdir(dir)` (`open(O_DIRECTORY)`)      | ReadDir on the directory                           |
//! | `exec`     | `posix_spawn` of a copy of `true`            | Execute on the file                                |
//! | `write`    | `open(file, O_WRONLY)`, nothing written      | WriteFile on the file                              |
//! | `truncate` | `truncate(file, its size)`                   | Truncate on the file (handled from ABI 3)          |
//! | `ftruncate`| `open(O_WRONLY)` then `ftruncate(its size)`  | WriteFile, then Truncate                           |
//! | `creat`    | `open(dir/new, O_CREAT\|O_EXCL\|O_WRONLY)`   | MakeReg on the directory, WriteFile on the new file |
//! | `mkdir`, `symlink`, `mkfifo`, `mksock` (bind), `mkchar`, `mkblock` | create `dir/new` | MakeDir, MakeSym, MakeFifo, MakeSock, MakeChar, MakeBlock on the directory |
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
//! `NONO_DIFF_SEED=S NONO_DIFF_CASES=N cargo test -p nono --test differential`
//! replays a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PYTHON, Scratch};
use nono_compile::{Compiled, RealFs, ResolveEnv, Target, allowed, compile};
use nono_model::{Abi, Access, FsGrant, FsRight, GrantSource, NetPolicy, Policy, Ruleset, Scopes};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// ---------------------------------------------------------------------------
// A small seeded generator (xorshift64*): no dependency, reproducible.
// ---------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next() % den < num
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// The probe.
// ---------------------------------------------------------------------------

/// Reads one case a line from stdin (`OP<TAB>PATH[<TAB>PATH]`), performs each
/// with real system calls, and prints one line per case: `ok` or the errno's
/// name (`status N` if a spawned `true` did not exit 0).
const PROBE: &str = r#"
import errno, os, socket, stat, sys

def run(op, a):
    if op == "read":
        os.close(os.open(a[0], os.O_RDONLY))
    elif op == "readdir":
        os.listdir(a[0])
    elif op == "exec":
        pid = os.posix_spawn(a[0], [a[0]], {})
        _, st = os.waitpid(pid, 0)
        if st != 0:
            return "status %d" % st
    elif op == "write":
        os.close(os.open(a[0], os.O_WRONLY))
    elif op == "truncate":
        os.truncate(a[0], os.stat(a[0]).st_size)
    elif op == "ftruncate":
        fd = os.open(a[0], os.O_WRONLY)
        try:
            os.ftruncate(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
    elif op == "creat":
        os.close(os.open(a[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    elif op == "mkdir":
        os.mkdir(a[0])
    elif op == "symlink":
        os.symlink("nowhere", a[0])
    elif op == "mkfifo":
        os.mkfifo(a[0])
    elif op == "mksock":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(a[0])
        finally:
            s.close()
    elif op == "mkchar":
        os.mknod(a[0], 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    elif op == "mkblock":
        os.mknod(a[0], 0o600 | stat.S_IFBLK, os.makedev(7, 0))
    elif op == "unlink":
        os.unlink(a[0])
    elif op == "rmdir":
        os.rmdir(a[0])
    elif op == "link":
        os.link(a[0], a[1])
    elif op == "rename":
        os.rename(a[0], a[1])
    else:
        return "unknown op " + op

out = []
for line in sys.stdin.read().splitlines():
    op, *a = line.split("\t")
    try:
        r = run(op, a)
        out.append("ok" if r is None else r)
    except OSError as e:
        out.append(errno.errorcode.get(e.errno, str(e.errno)))
sys.stdout.write("".join(x + "\n" for x in out))
"#;

// ---------------------------------------------------------------------------
// The random tree.
// ---------------------------------------------------------------------------

/// A symlink of the tree and what it resolves to.
struct Link {
    path: PathBuf,
    text: PathBuf,
    /// The canonical target, if the link resolves.
    target: Option<PathBuf>,
}

/// A random tree under `base/t`; every path here is canonical.
struct Tree {
    /// The scratch directory: nono's and the probe's working directory.
    base: PathBuf,
    /// Directories, `base/t` first.
    dirs: Vec<PathBuf>,
    /// Regular data files.
    files: Vec<PathBuf>,
    /// Executable copies of `/usr/bin/true`.
    execs: Vec<PathBuf>,
    links: Vec<Link>,
}

/// `to` relative to the directory `from`.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

impl Tree {
    fn build(s: &Scratch, rng: &mut Rng) -> Tree {
        let base = s.path();
        let root = s.mkdir("t");
        let mut dirs = vec![root];
        for i in 0..4 + rng.below(6) {
            let parent = rng.pick(&dirs).clone();
            let d = parent.join(format!("d{i}"));
            std::fs::create_dir(&d).unwrap();
            dirs.push(d);
        }
        let mut files = Vec::new();
        for i in 0..4 + rng.below(6) {
            let f = rng.pick(&dirs).join(format!("f{i}"));
            std::fs::write(&f, format!("f{i}\n")).unwrap();
            files.push(f);
        }
        let mut execs = Vec::new();
        for i in 0..1 + rng.below(2) {
            let x = rng.pick(&dirs).join(format!("x{i}"));
            // Copied by cp(1), so this multi-threaded process never holds
            // the file open for writing while another thread forks: no
            // ETXTBSY when it is executed.
            let st = Command::new("cp")
                .arg("/usr/bin/true")
                .arg(&x)
                .status()
                .unwrap();
            assert!(st.success(), "cp /usr/bin/true {}", x.display());
            execs.push(x);
        }
        let mut tree = Tree {
            base,
            dirs,
            files,
            execs,
            links: Vec::new(),
        };
        for i in 0..2 + rng.below(4) {
            let dir = rng.pick(&tree.dirs).clone();
            let path = dir.join(format!("l{i}"));
            let mut pool: Vec<PathBuf> = tree.nodes();
            pool.extend(tree.links.iter().map(|l| l.path.clone()));
            let target = if rng.chance(1, 8) {
                tree.base.join(format!("t/missing{i}"))
            } else {
                rng.pick(&pool).clone()
            };
            let text = if rng.chance(1, 2) {
                target.clone()
            } else {
                relative(&dir, &target)
            };
            std::os::unix::fs::symlink(&text, &path).unwrap();
            let target = std::fs::canonicalize(&path).ok();
            tree.links.push(Link { path, text, target });
        }
        tree
    }

    /// Directories, files and executables: every real node.
    fn nodes(&self) -> Vec<PathBuf> {
        let mut all = self.dirs.clone();
        all.extend(self.files.iter().cloned());
        all.extend(self.execs.iter().cloned());
        all
    }

    /// A way to write the existing path `canonical`: as is, relative to the
    /// working directory, through a symlink, or through a `sub/..` detour.
    fn spell(&self, rng: &mut Rng, canonical: &Path) -> String {
        match rng.below(5) {
            0 => {
                if let Ok(rel) = canonical.strip_prefix(&self.base)
                    && !rel.as_os_str().is_empty()
                {
                    return rel.display().to_string();
                }
            }
            1 | 2 => {
                let via: Vec<PathBuf> = self
                    .links
                    .iter()
                    .filter_map(|l| {
                        let t = l.target.as_ref()?;
                        let rest = canonical.strip_prefix(t).ok()?;
                        Some(if rest.as_os_str().is_empty() {
                            l.path.clone()
                        } else {
                            l.path.join(rest)
                        })
                    })
                    .collect();
                if !via.is_empty() {
                    return rng.pick(&via).display().to_string();
                }
            }
            3 => {
                if let (Some(parent), Some(name)) = (canonical.parent(), canonical.file_name()) {
                    let subs: Vec<&PathBuf> = self
                        .dirs
                        .iter()
                        .filter(|d| d.parent() == Some(parent) && d.as_path() != canonical)
                        .collect();
                    if !subs.is_empty() {
                        return rng.pick(&subs).join("..").join(name).display().to_string();
                    }
                }
            }
            _ => {}
        }
        canonical.display().to_string()
    }

    fn describe(&self) -> String {
        let mut out = String::new();
        let show = |p: &Path| {
            p.strip_prefix(&self.base)
                .map_or_else(|_| p.display().to_string(), |r| r.display().to_string())
        };
        for d in &self.dirs {
            let _ = writeln!(out, "  dir  {}", show(d));
        }
        for f in &self.files {
            let _ = writeln!(out, "  file {}", show(f));
        }
        for x in &self.execs {
            let _ = writeln!(out, "  exec {}", show(x));
        }
        for l in &self.links {
            let _ = writeln!(
                out,
                "  link {} -> {} ({})",
                show(&l.path),
                l.text.display(),
                l.target.as_deref().map_or("dangling".to_owned(), show)
            );
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Policies and predictions.
// ---------------------------------------------------------------------------

const LEVELS: [(&str, Access); 3] = [
    ("--read", Access::Read),
    ("--write", Access::Write),
    ("--allow", Access::Allow),
];

/// A random policy: the flags given to `nono run`.
struct Flags {
    grants: Vec<(&'static str, String)>,
    abi: Option<u8>,
}

impl Flags {
    fn random(rng: &mut Rng, tree: &Tree) -> Flags {
        let mut pool: Vec<PathBuf> = tree.nodes();
        pool.extend(
            tree.links
                .iter()
                .filter(|l| l.target.is_some())
                .map(|l| l.path.clone()),
        );
        let n = [0, 1, 1, 2, 2, 2, 3, 3, 4, 5][rng.below(10)];
        let grants = (0..n)
            .map(|_| {
                let (flag, _) = *rng.pick(&LEVELS);
                let node = rng.pick(&pool).clone();
                // Granting a symlink grants its target; spelling a real node
                // through a symlink must resolve to the node itself.
                let text = if tree.links.iter().any(|l| l.path == node) {
                    match node.strip_prefix(&tree.base) {
                        Ok(rel) if rng.chance(1, 2) => rel.display().to_string(),
                        _ => node.display().to_string(),
                    }
                } else {
                    tree.spell(rng, &node)
                };
                (flag, text)
            })
            .collect();
        let abi = (!rng.chance(1, 8)).then(|| 1 + rng.below(Abi::COUNT) as u8);
        Flags { grants, abi }
    }

    /// The arguments of `nono run` before `--`.
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--no-base".to_owned(),
            "--read".to_owned(),
            "/usr".to_owned(),
        ];
        for (flag, path) in &self.grants {
            args.push((*flag).to_owned());
            args.push(path.clone());
        }
        if let Some(abi) = self.abi {
            args.push("--abi".to_owned());
            args.push(abi.to_string());
        }
        args
    }

    /// The policy `nono run` builds from these flags (nono/src/policy.rs):
    /// no preset (`--no-base`), then the `--read`, `--write` and `--allow`
    /// grants in that order, network unrestricted, both scopes on.
    fn policy(&self) -> Policy {
        let mut policy = Policy::default();
        for (flag, access) in LEVELS {
            let paths = std::iter::once("/usr").filter(|_| flag == "--read").chain(
                self.grants
                    .iter()
                    .filter(|(f, _)| *f == flag)
                    .map(|(_, p)| p.as_str()),
            );
            for path in paths {
                policy.add(
                    FsGrant::new(path, access),
                    GrantSource::Flag(flag.to_owned()),
                );
            }
        }
        policy.net = NetPolicy::Unrestricted;
        policy.scopes = Scopes::default();
        policy
    }

    fn compile(&self, tree: &Tree, kernel: Abi) -> Compiled {
        let target = Target {
            kernel_abi: Some(kernel),
            abi_limit: self.abi.map(Abi),
        };
        compile(
            &self.policy(),
            &target,
            &ResolveEnv::new(&tree.base),
            &RealFs,
        )
        .unwrap_or_else(|e| panic!("the policy {:?} does not compile: {e}", self.args()))
    }
}

fn show_ruleset(rs: &Ruleset) -> String {
    let names = |r: nono_model::FsRights| r.iter().map(FsRight::name).collect::<Vec<_>>();
    let mut out = format!(
        "  abi {}, handled: {}\n",
        rs.abi,
        names(rs.handled_fs).join(" ")
    );
    for rule in &rs.rules {
        let _ = writeln!(
            out,
            "  {} ({:?}): {}",
            rule.path.display(),
            rule.kind,
            names(rule.rights).join(" ")
        );
    }
    out
}

/// The rights that matter for a regular file: what Landlock compares when a
/// file is reparented.
const FILE_RIGHTS: [FsRight; 5] = [
    FsRight::Execute,
    FsRight::WriteFile,
    FsRight::ReadFile,
    FsRight::Truncate,
    FsRight::IoctlDev,
];

/// What linking (or, with `remove`, renaming) the file `src` to `dst` gives.
fn reparent(rs: &Ruleset, src: &Path, dst: &Path, remove: bool) -> &'static str {
    let (from, to) = (src.parent().unwrap(), dst.parent().unwrap());
    let eacces =
        !allowed(rs, to, FsRight::MakeReg) || (remove && !allowed(rs, from, FsRight::RemoveFile));
    if eacces {
        return "EACCES";
    }
    if from == to {
        return "ok";
    }
    let gains = FILE_RIGHTS
        .iter()
        .any(|&r| allowed(rs, dst, r) && !allowed(rs, src, r));
    if allowed(rs, from, FsRight::Refer) && allowed(rs, to, FsRight::Refer) && !gains {
        "ok"
    } else {
        "EXDEV"
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "EACCES" }
}

/// What the disk should show after a case, given the probe's answer.
#[derive(Clone, Debug)]
enum Trace {
    /// Nothing to check (the operation leaves no trace).
    None,
    /// `path` exists exactly when the case succeeded.
    Created(PathBuf),
    /// `path` is gone exactly when the case succeeded.
    Removed(PathBuf),
    /// `from` moved to `to` exactly when the case succeeded.
    Moved(PathBuf, PathBuf),
}

struct Case {
    op: &'static str,
    /// The paths as the probe is given them.
    args: Vec<String>,
    /// The canonical paths the prediction was made on.
    canonical: Vec<PathBuf>,
    expected: &'static str,
    trace: Trace,
}

/// The phase a case runs in: reads first, removals last.
fn phase(op: &str) -> u8 {
    match op {
        "read" | "readdir" | "exec" => 0,
        "write" | "truncate" | "ftruncate" => 1,
        "unlink" | "rmdir" | "rename" => 3,
        _ => 2,
    }
}

const OPS: [&str; 17] = [
    "read",
    "readdir",
    "exec",
    "write",
    "truncate",
    "ftruncate",
    "creat",
    "mkdir",
    "symlink",
    "mkfifo",
    "mksock",
    "mkchar",
    "mkblock",
    "unlink",
    "rmdir",
    "link",
    "rename",
];

fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

fn canon(tree: &Tree, spelled: &str) -> PathBuf {
    std::fs::canonicalize(tree.base.join(spelled))
        .unwrap_or_else(|e| panic!("canonicalize {spelled}: {e}"))
}

/// `dir/name` spelled through `spelled_dir`, and its canonical form.
fn new_entry(tree: &Tree, spelled_dir: &str, name: &str) -> (String, PathBuf) {
    (
        format!("{spelled_dir}/{name}"),
        canon(tree, spelled_dir).join(name),
    )
}

/// Draws one case (creating its victim, if it needs one) and predicts it.
fn draw_case(rng: &mut Rng, tree: &Tree, rs: &Ruleset, k: usize) -> Case {
    let op = *rng.pick(&OPS);
    let mut files = tree.files.clone();
    files.extend(tree.execs.iter().cloned());
    let mut dirs = tree.dirs.clone();
    dirs.push(tree.base.clone());
    let name = format!("n{k}");
    let a = |p: &Path, r| allowed(rs, p, r);
    match op {
        "read" | "write" | "truncate" | "ftruncate" | "exec" => {
            let pool = if op == "exec" { &tree.execs } else { &files };
            let target = rng.pick(pool).clone();
            let spelled = tree.spell(rng, &target);
            let c = canon(tree, &spelled);
            let expected = match op {
                "read" => verdict(a(&c, FsRight::ReadFile)),
                "write" => verdict(a(&c, FsRight::WriteFile)),
                "truncate" => verdict(a(&c, FsRight::Truncate)),
                "ftruncate" => verdict(a(&c, FsRight::WriteFile) && a(&c, FsRight::Truncate)),
                _ => verdict(a(&c, FsRight::Execute)),
            };
            Case {
                op,
                args: vec![spelled],
                canonical: vec![c],
                expected,
                trace: Trace::None,
            }
        }
        "readdir" => {
            let target = rng.pick(&dirs).clone();
            let spelled = tree.spell(rng, &target);
            let c = canon(tree, &spelled);
            let expected = verdict(a(&c, FsRight::ReadDir));
            Case {
                op,
                args: vec![spelled],
                canonical: vec![c],
                expected,
                trace: Trace::None,
            }
        }
        "creat" | "mkdir" | "symlink" | "mkfifo" | "mksock" | "mkchar" | "mkblock" => {
            let dir = rng.pick(&dirs).clone();
            let spelled_dir = tree.spell(rng, &dir);
            let (spelled, c) = new_entry(tree, &spelled_dir, &name);
            let d = c.parent().unwrap();
            let expected = verdict(match op {
                "creat" => a(d, FsRight::MakeReg) && a(&c, FsRight::WriteFile),
                "mkdir" => a(d, FsRight::MakeDir),
                "symlink" => a(d, FsRight::MakeSym),
                "mkfifo" => a(d, FsRight::MakeFifo),
                "mksock" => a(d, FsRight::MakeSock),
                "mkchar" => a(d, FsRight::MakeChar),
                _ => a(d, FsRight::MakeBlock),
            });
            Case {
                op,
                args: vec![spelled],
                canonical: vec![c.clone()],
                expected,
                trace: Trace::Created(c),
            }
        }
        "unlink" | "rmdir" => {
            let dir = rng.pick(&dirs).clone();
            let victim = dir.join(format!("v{k}"));
            if op == "unlink" {
                std::fs::write(&victim, "victim\n").unwrap();
            } else {
                std::fs::create_dir(&victim).unwrap();
            }
            let spelled = format!("{}/v{k}", tree.spell(rng, &dir));
            let c = canon(tree, &spelled);
            let right = if op == "unlink" {
                FsRight::RemoveFile
            } else {
                FsRight::RemoveDir
            };
            let expected = verdict(a(c.parent().unwrap(), right));
            Case {
                op,
                args: vec![spelled],
                canonical: vec![c.clone()],
                expected,
                trace: Trace::Removed(c),
            }
        }
        "link" => {
            // link(2) does not follow a final symlink: spell only the
            // source's directory, so the file itself is what is linked.
            let src = rng.pick(&files).clone();
            let name_src = src.file_name().unwrap().to_str().unwrap();
            let (spelled_src, src_c) =
                new_entry(tree, &tree.spell(rng, src.parent().unwrap()), name_src);
            let dir = rng.pick(&dirs).clone();
            let spelled_dir = tree.spell(rng, &dir);
            let (spelled, c) = new_entry(tree, &spelled_dir, &name);
            let expected = reparent(rs, &src_c, &c, false);
            Case {
                op,
                args: vec![spelled_src, spelled],
                canonical: vec![src_c, c.clone()],
                expected,
                trace: Trace::Created(c),
            }
        }
        _ => {
            // rename
            let from_dir = rng.pick(&dirs).clone();
            let victim = from_dir.join(format!("v{k}"));
            std::fs::write(&victim, "victim\n").unwrap();
            let spelled_src = format!("{}/v{k}", tree.spell(rng, &from_dir));
            let src_c = canon(tree, &spelled_src);
            let dir = rng.pick(&dirs).clone();
            let spelled_dir = tree.spell(rng, &dir);
            let (spelled, c) = new_entry(tree, &spelled_dir, &name);
            let expected = reparent(rs, &src_c, &c, true);
            Case {
                op,
                args: vec![spelled_src, spelled],
                canonical: vec![src_c.clone(), c.clone()],
                expected,
                trace: Trace::Moved(src_c, c),
            }
        }
    }
}

/// Whether the disk agrees with the probe's answer `ok`.
fn trace_holds(trace: &Trace, ok: bool) -> bool {
    match trace {
        Trace::None => true,
        Trace::Created(p) => exists(p) == ok,
        Trace::Removed(p) => exists(p) != ok,
        Trace::Moved(from, to) => exists(from) != ok && exists(to) == ok,
    }
}

/// The kernel's Landlock ABI, asked by nono-enforce (cross-checked against
/// the raw system call in `common`).
fn kernel_abi() -> Abi {
    let abi = nono_enforce::landlock_state()
        .abi()
        .expect("this test needs Landlock");
    assert_eq!(u64::from(abi.0), common::kernel_landlock_abi());
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
        .args(["--", PYTHON, "-I", "-S", "-c", PROBE])
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
            "{header}\nflags: nono run {} -- python3 PROBE\ntree (under {}):\n{}ruleset:\n{}",
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
        let disk_ok = trace_holds(&case.trace, actual == "ok");
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
        let args = common::run_args(
            ["--no-base", "--read", "/usr", "--allow", "rw", "--abi", abi],
            common::probe("link", &["rw/a/f", &format!("rw/b/f{abi}")]),
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
    assert_eq!(reparent(&rs, &src, &dst, false), "ok");
}
