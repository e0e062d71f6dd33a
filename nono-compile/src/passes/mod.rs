//! The lowering pipeline: one pass per Landlock ABI feature.
//!
//! Each pass lives in its own file and declares the ABI it needs. At or above
//! that ABI it adds what its feature handles and grants; below it, it records
//! either a [`Gap`] (a restriction the policy implies that cannot be
//! enforced, which makes the status `PartiallyEnforced`) or a note (a
//! consequence that is not a loss of confinement).
//!
//! | pass        | ABI | handles          | granted with |
//! |-------------|-----|------------------|--------------|
//! | `fs_base`   | 1   | the v1 fs rights | Read, Write  |
//! | `refer`     | 2   | Refer            | Write        |
//! | `truncate`  | 3   | Truncate         | Write        |
//! | `ioctl_dev` | 5   | IoctlDev         | Allow        |

mod fs_base;
mod ioctl_dev;
mod refer;
mod truncate;

use crate::NormRule;
use nono_model::{Abi, Access, FileKind, FsRights, Gap, PathRule, Ruleset};

/// What a pass leaves behind when the effective ABI is below the one it needs.
#[derive(Clone, Copy, Debug)]
pub enum Shortfall {
    /// A restriction is lost: the text says what stays unrestricted.
    Gap(&'static str),
    /// Nothing is lost to confinement, but behaviour changes: the text says how.
    Note(&'static str),
}

/// One lowering pass.
#[derive(Clone, Copy, Debug)]
pub struct Pass {
    /// The feature's name, used in gaps and output.
    pub name: &'static str,
    /// The first ABI that has the feature.
    pub since: Abi,
    /// Adds the feature to the ruleset being built.
    pub lower: fn(&mut Lowering<'_>),
    /// What is lost below `since`.
    pub below: Shortfall,
}

/// Every pass, in the order they run.
pub const PIPELINE: [Pass; 4] = [fs_base::PASS, refer::PASS, truncate::PASS, ioctl_dev::PASS];

/// The ruleset under construction, shared by the passes.
#[derive(Debug)]
pub struct Lowering<'a> {
    /// The ABI being lowered for.
    pub abi: Abi,
    /// The normalised rules, one per path rule of `ruleset`, same order.
    pub rules: &'a [NormRule],
    /// The ruleset so far.
    pub ruleset: Ruleset,
}

impl Lowering<'_> {
    /// Adds `rights` to the handled set.
    pub fn handle(&mut self, rights: FsRights) {
        self.ruleset.handled_fs |= rights;
    }

    /// Grants `rights` on every rule that holds `level`; on a file, only the
    /// rights that apply to files.
    pub fn grant(&mut self, level: Access, rights: FsRights) {
        for (norm, rule) in self.rules.iter().zip(&mut self.ruleset.rules) {
            if norm.levels.contains(level) {
                rule.rights |= match rule.kind {
                    FileKind::Dir => rights,
                    FileKind::File => rights.without(FsRights::DIRECTORY_ONLY),
                };
            }
        }
    }
}

/// The output of the pipeline.
#[derive(Debug)]
pub struct Lowered {
    /// The concrete ruleset.
    pub ruleset: Ruleset,
    /// Restrictions lost at this ABI.
    pub gaps: Vec<Gap>,
    /// Behaviour changes at this ABI.
    pub notes: Vec<String>,
}

/// Runs every pass of [`PIPELINE`] for `abi` over normalised `rules`.
pub fn lower(abi: Abi, rules: &[NormRule]) -> Lowered {
    let mut lowering = Lowering {
        abi,
        rules,
        ruleset: Ruleset {
            abi,
            handled_fs: FsRights::EMPTY,
            rules: rules
                .iter()
                .map(|r| PathRule {
                    path: r.path.clone(),
                    kind: r.kind,
                    dev: r.dev,
                    ino: r.ino,
                    levels: r.levels,
                    rights: FsRights::EMPTY,
                    sources: r.sources.clone(),
                })
                .collect(),
        },
    };
    let mut gaps = Vec::new();
    let mut notes = Vec::new();
    for pass in PIPELINE {
        if abi >= pass.since {
            (pass.lower)(&mut lowering);
        } else {
            match pass.below {
                Shortfall::Gap(unenforced) => gaps.push(Gap {
                    feature: pass.name,
                    needs: pass.since,
                    unenforced,
                }),
                Shortfall::Note(text) => notes.push(format!(
                    "{}: needs ABI {} (Linux {}): {text}",
                    pass.name,
                    pass.since,
                    pass.since.linux()
                )),
            }
        }
    }
    Lowered {
        ruleset: lowering.ruleset,
        gaps,
        notes,
    }
}
