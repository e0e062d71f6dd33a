//! A small seeded generator, and the random tree it draws.

use crate::common::{Scratch, copy_program};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
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

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `num / den`.
    pub(super) fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next() % den < num
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// The random tree.
// ---------------------------------------------------------------------------

/// A symlink of the tree and what it resolves to.
pub(super) struct Link {
    pub(super) path: PathBuf,
    pub(super) text: PathBuf,
    /// The canonical target, if the link resolves.
    pub(super) target: Option<PathBuf>,
}

/// A random tree under `base/t`; every path here is canonical.
pub(super) struct Tree {
    /// The scratch directory: nono's and the probe's working directory.
    pub(super) base: PathBuf,
    /// Directories, `base/t` first.
    pub(super) dirs: Vec<PathBuf>,
    /// Regular data files.
    pub(super) files: Vec<PathBuf>,
    /// Executable copies of `/usr/bin/true`.
    pub(super) execs: Vec<PathBuf>,
    pub(super) links: Vec<Link>,
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
    pub(super) fn build(s: &Scratch, rng: &mut Rng) -> Tree {
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
            copy_program("/usr/bin/true", &x);
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
    pub(super) fn nodes(&self) -> Vec<PathBuf> {
        let mut all = self.dirs.clone();
        all.extend(self.files.iter().cloned());
        all.extend(self.execs.iter().cloned());
        all
    }

    /// A way to write the existing path `canonical`: as is, relative to the
    /// working directory, through a symlink, or through a `sub/..` detour.
    pub(super) fn spell(&self, rng: &mut Rng, canonical: &Path) -> String {
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

    pub(super) fn describe(&self) -> String {
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
