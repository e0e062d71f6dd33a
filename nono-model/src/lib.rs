//! The capability model of nono: pure data, no I/O.
//!
//! A [`Policy`] is what the user asked for: filesystem grants ([`FsGrant`]) at
//! one of three [`Access`] levels, each remembering where it came from
//! ([`GrantSource`]). Presets ([`Preset`]) are named bundles of grants, written
//! in RON. The concrete [`Ruleset`] that `nono-compile` lowers a policy to, and
//! that `nono-enforce` applies, lives here too so that the two crates exchange
//! it without depending on each other.
//!
//! ```
//! use nono_model::{Access, Preset};
//!
//! let preset = Preset::from_ron(r#"(
//!     name: "docs",
//!     description: "the documentation tree, read-only",
//!     grants: [(path: "/usr/share/doc", access: Read)],
//! )"#).unwrap();
//! assert_eq!(preset.grants[0].access, Access::Read);
//! ```

mod abi;
mod access;
mod env;
mod grant;
mod guard;
mod host;
mod net;
mod path_text;
mod policy;
mod preset;
mod rights;
mod ron_text;
mod ruleset;
mod sensitive;
mod status;

pub use abi::{Abi, Requirement};
pub use access::{Access, AccessLevels};
pub use env::EnvPolicy;
pub use grant::{FsGrant, GrantError, Layer};
pub use guard::{SyscallGuard, SysvIpc};
pub use host::{
    DEFAULT_HOST_PORTS, HostError, HostName, HostPattern, is_internal_address, normalize_host_name,
    requested_host,
};
pub use net::{NetPolicy, Scopes};
pub use path_text::{grant_text, literal_grant_text, serialize_opt_path, serialize_path};
pub use policy::{GrantSource, HostGrant, Policy, PolicyDeny, PolicyGrant, UnixGrant};
pub use preset::{Preset, PresetError};
pub use rights::{FsRight, FsRights, NetRight, NetRights, ScopeFlag, ScopeSet};
pub use ron_text::{RonError, parse as parse_ron};
pub use ruleset::{
    FileKind, PathRule, PortRule, PrivateLayer, ProtectedPath, Protection, ProxyRules, Ruleset,
    SocketFilter, Supervision, UnixRule,
};
pub use sensitive::{
    NONO_CACHE_PATHS, NONO_CONFIG_PATHS, SENSITIVE_PATH_LISTS, SENSITIVE_PATHS,
    has_url_credentials, is_sensitive_env, is_sensitive_var, sensitive_path_vars, template_vars,
};
pub use status::{EnforcementStatus, Gap};
