//! Network and IPC intent: which TCP and UDP ports, which scopes, denial logging.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What the policy allows on the network.
///
/// ```
/// use nono_model::NetPolicy;
///
/// let ports = NetPolicy::Ports {
///     connect: [443].into(),
///     bind: Default::default(),
///     udp_connect: [53].into(),
///     udp_bind: Default::default(),
/// };
/// assert!(ports.is_restricted());
/// assert!(!NetPolicy::Unrestricted.is_restricted());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetPolicy {
    /// No network restriction (no `--net-*` flag).
    #[default]
    Unrestricted,
    /// No network at all: no TCP, and no socket but Unix sockets.
    Block,
    /// TCP only to and on the listed ports; UDP only to and on its listed
    /// ports where Landlock can tell (ABI 10), else UDP stays usable (a
    /// gap); raw, packet and other exotic sockets are refused.
    Ports {
        /// Ports outbound TCP may connect to.
        connect: BTreeSet<u16>,
        /// Ports TCP may bind.
        bind: BTreeSet<u16>,
        /// Ports UDP may connect or send to (`--net-connect udp:PORT`).
        #[serde(default)]
        udp_connect: BTreeSet<u16>,
        /// Ports UDP may bind (`--net-bind udp:PORT`).
        #[serde(default)]
        udp_bind: BTreeSet<u16>,
    },
}

impl NetPolicy {
    /// Whether any network restriction is asked for.
    pub fn is_restricted(&self) -> bool {
        !matches!(self, NetPolicy::Unrestricted)
    }
}

/// Which IPC scopes (Landlock ABI 6) confine the sandbox. `true` means
/// confined: the sandboxed process cannot reach outside its domain that way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes {
    /// No signals to processes outside the sandbox.
    pub signals: bool,
    /// No connections to abstract Unix sockets bound outside the sandbox.
    pub abstract_unix: bool,
}

impl Default for Scopes {
    /// Both scopes on: the design's default.
    fn default() -> Self {
        Scopes {
            signals: true,
            abstract_unix: true,
        }
    }
}

impl Scopes {
    /// Whether any scope is asked for.
    pub fn any(self) -> bool {
        self.signals || self.abstract_unix
    }
}
