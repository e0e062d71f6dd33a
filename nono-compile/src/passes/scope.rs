//! ABI 6: scoping of signals and abstract Unix sockets, on by default.
//!
//! A scoped process cannot send a signal to, or connect to an abstract Unix
//! socket bound by, a process outside its Landlock domain; it still can
//! inside it (its own children, sockets it bound itself).

use super::{Lowering, Pass};
use nono_model::{Abi, Requirement, ScopeSet};

fn lower_scope(lowering: &mut Lowering<'_>) {
    let scopes = lowering.intent.scopes;
    let mut set = ScopeSet::EMPTY;
    if scopes.signals {
        set |= ScopeSet::SIGNAL;
    }
    if scopes.abstract_unix {
        set |= ScopeSet::ABSTRACT_UNIX_SOCKET;
    }
    lowering.ruleset.scoped = set;
}

fn without_scope(lowering: &mut Lowering<'_>) {
    let scopes = lowering.intent.scopes;
    match (scopes.signals, scopes.abstract_unix) {
        (true, true) => lowering.gap_below(
            "signalling processes and connecting to abstract Unix sockets outside the sandbox",
        ),
        (true, false) => lowering.gap_below("signalling processes outside the sandbox"),
        (false, true) => {
            lowering.gap_below("connecting to abstract Unix sockets outside the sandbox");
        }
        (false, false) => {}
    }
}

/// The `scope` pass.
pub const PASS: Pass = Pass {
    name: "scope",
    requires: Requirement::Landlock(Abi::V6),
    lower: lower_scope,
    without: without_scope,
};
