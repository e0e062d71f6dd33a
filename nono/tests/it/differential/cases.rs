//! Random policies, and the cases with what the evaluator predicts for
//! them.

use super::tree::{Rng, Tree};
use nono_compile::{Compiled, RealFs, ResolveEnv, Target, allowed, compile};
use nono_model::{Abi, Access, FsGrant, FsRight, GrantSource, NetPolicy, Policy, Ruleset, Scopes};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const LEVELS: [(&str, Access); 3] = [
    ("--read", Access::Read),
    ("--write", Access::Write),
    ("--allow", Access::Allow),
];

/// A random policy: the flags given to `nono run`.
pub(super) struct Flags {
    pub(super) grants: Vec<(&'static str, String)>,
    pub(super) abi: Option<u8>,
}

impl Flags {
    pub(super) fn random(rng: &mut Rng, tree: &Tree) -> Flags {
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
    pub(super) fn args(&self) -> Vec<String> {
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

    pub(super) fn compile(&self, tree: &Tree, kernel: Abi) -> Compiled {
        let target = Target {
            kernel_abi: Some(kernel),
            abi_limit: self.abi.map(Abi),
            user_namespaces: false,
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

pub(super) fn show_ruleset(rs: &Ruleset) -> String {
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
pub(super) fn reparent(rs: &Ruleset, src: &Path, dst: &Path, remove: bool) -> &'static str {
    let (from, to) = (src.parent().unwrap(), dst.parent().unwrap());
    let eacces =
        !allowed(rs, to, FsRight::MakeReg) || (remove && !allowed(rs, from, FsRight::RemoveFile));
    if eacces {
        return "EACCES";
    }
    if from == to {
        return "OK";
    }
    let gains = FILE_RIGHTS
        .iter()
        .any(|&r| allowed(rs, dst, r) && !allowed(rs, src, r));
    if allowed(rs, from, FsRight::Refer) && allowed(rs, to, FsRight::Refer) && !gains {
        "OK"
    } else {
        "EXDEV"
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "OK" } else { "EACCES" }
}

/// What the disk should show after a case, given the probe's answer.
#[derive(Clone, Debug)]
pub(super) enum Trace {
    /// Nothing to check (the operation leaves no trace).
    None,
    /// `path` exists exactly when the case succeeded.
    Created(PathBuf),
    /// `path` is gone exactly when the case succeeded.
    Removed(PathBuf),
    /// `from` moved to `to` exactly when the case succeeded.
    Moved(PathBuf, PathBuf),
}

/// One case: a probe op, its arguments, and what should come of it.
pub(super) struct Case {
    pub(super) op: &'static str,
    /// The op's arguments: the paths as the probe is given them (after a
    /// symlink's target; before a truncation's size).
    pub(super) args: Vec<String>,
    /// The canonical paths the prediction was made on.
    pub(super) canonical: Vec<PathBuf>,
    pub(super) expected: &'static str,
    pub(super) trace: Trace,
}

/// The phase a case runs in: reads first, removals last.
pub(super) fn phase(op: &str) -> u8 {
    match op {
        "read" | "listdir" | "execute" => 0,
        "write" | "truncate" | "ftruncate" => 1,
        "unlink" | "rmdir" | "rename" => 3,
        _ => 2,
    }
}

const OPS: [&str; 17] = [
    "read",
    "listdir",
    "execute",
    "write",
    "truncate",
    "ftruncate",
    "creat",
    "mkdir",
    "symlink",
    "mkfifo",
    "mksock",
    "mknod-char",
    "mknod-block",
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
pub(super) fn draw_case(rng: &mut Rng, tree: &Tree, rs: &Ruleset, k: usize) -> Case {
    let op = *rng.pick(&OPS);
    let mut files = tree.files.clone();
    files.extend(tree.execs.iter().cloned());
    let mut dirs = tree.dirs.clone();
    dirs.push(tree.base.clone());
    let name = format!("n{k}");
    let a = |p: &Path, r| allowed(rs, p, r);
    match op {
        "read" | "write" | "truncate" | "ftruncate" | "execute" => {
            let pool = if op == "execute" { &tree.execs } else { &files };
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
            // Truncated to its own size: the file stays as it is.
            let mut args = vec![spelled];
            if op.ends_with("truncate") {
                args.push(std::fs::metadata(&c).unwrap().len().to_string());
            }
            Case {
                op,
                args,
                canonical: vec![c],
                expected,
                trace: Trace::None,
            }
        }
        "listdir" => {
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
        "creat" | "mkdir" | "symlink" | "mkfifo" | "mksock" | "mknod-char" | "mknod-block" => {
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
                "mknod-char" => a(d, FsRight::MakeChar),
                _ => a(d, FsRight::MakeBlock),
            });
            let args = if op == "symlink" {
                vec!["nowhere".to_owned(), spelled]
            } else {
                vec![spelled]
            };
            Case {
                op,
                args,
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
pub(super) fn trace_holds(trace: &Trace, ok: bool) -> bool {
    match trace {
        Trace::None => true,
        Trace::Created(p) => exists(p) == ok,
        Trace::Removed(p) => exists(p) != ok,
        Trace::Moved(from, to) => exists(from) != ok && exists(to) == ok,
    }
}
