//! Preset sources for nono.
//!
//! A preset is requested by a *spec*:
//!
//! - a path ending in `.ron` is read from that file;
//! - `PLUGIN/NAME` names a plugin's preset (plugins are not supported yet,
//!   and such a spec is refused with a clear error);
//! - a bare name is a built-in preset (`base`, `tmp`, `rust`, `python`,
//!   `node`, `go`, `git`), embedded from `presets/*.ron` and parsed by the
//!   same code as preset files.
//!
//! [`Catalog::expand`] follows `extends` and returns every grant with the
//! name of the preset that holds it.
//!
//! ```
//! use nono_plugins::Catalog;
//!
//! let catalog = Catalog::new();
//! let grants = catalog.expand("rust").unwrap();
//! assert!(grants.iter().any(|g| g.preset == "base" && g.grant.path == "/usr"));
//! ```

mod builtin;
mod catalog;

pub use builtin::BUILTIN;
pub use catalog::{Catalog, LoadedPreset, Origin, PresetGrant, PresetLookupError};
