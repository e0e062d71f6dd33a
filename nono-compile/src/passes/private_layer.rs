//! Sandbox-private copy-on-write layers over shared toolchain caches
//! (DESIGN.md section 7.3).
//!
//! What cargo's registry, Go's module and build caches, pip's and npm's
//! caches hold is trusted by every later build, sandboxed or not: a run
//! that could change it in place could plant code that a later unsandboxed
//! build runs. A preset grant with `layer: Private` is mounted as an
//! overlay over the directory, whose upper directory (what the runs wrote)
//! lives in nono's cache, one per project and directory, kept between runs
//! so a second build finds what the first fetched. The host's directory
//! never changes. Making the overlay needs the same mount namespace as the
//! protected paths; without user namespaces (and not root), the grant
//! writes in place as before, and that is a gap.

use super::{Lowering, Pass};
use nono_model::{Access, Requirement};

/// What stays unrestricted without the layer.
const UNENFORCED: &str = "writing shared toolchain caches in place (cargo's registry, Go's module and build caches, pip's and npm's caches), which later unsandboxed builds trust";

/// The layers whose directory has a writable rule of its own.
fn layered(lowering: &Lowering<'_>) -> Vec<nono_model::PrivateLayer> {
    lowering
        .intent
        .layers
        .iter()
        .filter(|layer| {
            lowering
                .rules
                .iter()
                .any(|rule| rule.path == layer.path && rule.levels.contains(Access::Write))
        })
        .cloned()
        .collect()
}

fn lower_private_layer(lowering: &mut Lowering<'_>) {
    lowering.ruleset.layers = layered(lowering);
}

fn without_private_layer(lowering: &mut Lowering<'_>) {
    let lost = layered(lowering);
    if lost.is_empty() {
        return;
    }
    lowering.gap_below(UNENFORCED);
    let list: Vec<String> = lost.iter().map(|l| l.path.display().to_string()).collect();
    lowering.note(&format!(
        "written in place: {}; see 'nono check' to enable user namespaces",
        list.join(" ")
    ));
}

/// The `private_layer` pass.
pub const PASS: Pass = Pass {
    name: "private_layer",
    requires: Requirement::UserNamespaces,
    lower: lower_private_layer,
    without: without_private_layer,
};

#[cfg(test)]
mod tests {
    use crate::NormRule;
    use crate::passes::{Host, Intent, lower};
    use nono_model::{Abi, Access, AccessLevels, FileKind, PrivateLayer, Requirement};
    use std::path::PathBuf;

    fn layer(path: &str) -> PrivateLayer {
        PrivateLayer {
            path: PathBuf::from(path),
            dev: 1,
            ino: 2,
            upper: PathBuf::from("/c/upper"),
            work: PathBuf::from("/c/work"),
        }
    }

    #[test]
    fn a_writable_layered_directory_gets_its_overlay_and_without_userns_a_gap() {
        let rule = NormRule {
            path: PathBuf::from("/h/.cargo"),
            kind: FileKind::Dir,
            dev: 1,
            ino: 2,
            levels: AccessLevels::from(Access::Allow),
            sources: Vec::new(),
            carved: false,
            listed: false,
        };
        let intent = Intent {
            layers: vec![layer("/h/.cargo"), layer("/h/elsewhere")],
            ..Intent::default()
        };
        let host = Host {
            user_namespaces: true,
            ..Host::landlock(Abi::LATEST)
        };
        let with = lower(host, std::slice::from_ref(&rule), &intent);
        assert_eq!(with.ruleset.layers, [layer("/h/.cargo")]);
        assert!(with.gaps.is_empty());
        let without = lower(Host::landlock(Abi::LATEST), &[rule], &intent);
        assert!(without.ruleset.layers.is_empty());
        assert_eq!(without.gaps.len(), 1);
        assert_eq!(without.gaps[0].needs, Requirement::UserNamespaces);
        // The rule is the same either way: Allow.
        assert_eq!(with.ruleset.rules, without.ruleset.rules);
    }
}
