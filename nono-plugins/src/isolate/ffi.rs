//! Loading a plugin and calling its C ABI (in the helper, once confined).

use super::protocol::show_size;
use crate::manifest::{OUTPUT_LIMIT, PLUGIN_ABI_VERSION};
use std::os::fd::AsRawFd;

type AbiVersionFn = unsafe extern "C" fn() -> u32;
type PresetsFn = unsafe extern "C" fn(*const u8, usize, *mut usize) -> *mut u8;
type FreeFn = unsafe extern "C" fn(*mut u8, usize);

/// Why the plugin gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub(super) enum CallError {
    /// The dynamic loader refused it (or one of its initialisers failed).
    #[error("cannot load it: {0}")]
    Load(libloading::Error),
    /// One of the three functions of the plugin ABI is missing.
    #[error(
        "missing symbol {name}: is this a nono plugin (plugin ABI version {PLUGIN_ABI_VERSION})?"
    )]
    MissingSymbol {
        /// The symbol.
        name: &'static str,
        /// The loader's error.
        source: libloading::Error,
    },
    /// It speaks another plugin ABI.
    #[error("it speaks plugin ABI version {0}, but this nono speaks version {PLUGIN_ABI_VERSION}")]
    AbiVersion(u32),
    /// Its answer is over the output limit.
    #[error(
        "returned a manifest of {len} bytes, more than {} (the output limit)",
        show_size(OUTPUT_LIMIT)
    )]
    TooLarge {
        /// The length it gave.
        len: usize,
    },
}

fn symbol<'l, T>(
    lib: &'l libloading::Library,
    name: &'static str,
) -> Result<libloading::Symbol<'l, T>, CallError> {
    // SAFETY: the symbol's type is the plugin ABI's; a plugin that defines
    // it otherwise breaks the ABI, which the sandbox contains.
    unsafe { lib.get::<T>(name) }.map_err(|source| CallError::MissingSymbol { name, source })
}

/// Loads and calls the plugin open as `plugin`, telling it `context`.
/// Returns `Ok(None)` when it returned a null pointer.
///
/// Its initialisers run here: call it only in a confined process.
pub(super) fn call_plugin(
    plugin: &std::fs::File,
    context: &[u8],
) -> Result<Option<Vec<u8>>, CallError> {
    let path = format!("/proc/self/fd/{}", plugin.as_raw_fd());
    // SAFETY: loading runs the plugin's initialisers: arbitrary code, which
    // is why the process is confined before this point.
    let lib = unsafe { libloading::Library::new(&path) }.map_err(CallError::Load)?;
    // The plugin stays loaded until the helper exits: unloading would run its
    // finalisers for nothing.
    let lib = &*Box::leak(Box::new(lib));
    let abi_version = symbol::<AbiVersionFn>(lib, "nono_plugin_abi_version")?;
    let presets = symbol::<PresetsFn>(lib, "nono_plugin_presets")?;
    let free = symbol::<FreeFn>(lib, "nono_plugin_free")?;
    // SAFETY: a plugin ABI function with no arguments.
    let version = unsafe { abi_version() };
    if version != PLUGIN_ABI_VERSION {
        return Err(CallError::AbiVersion(version));
    }
    let mut len = 0usize;
    // SAFETY: the context pointer and length describe a live buffer, and
    // `len` is a writable usize, as the ABI requires.
    let ptr = unsafe { presets(context.as_ptr(), context.len(), &raw mut len) };
    if ptr.is_null() {
        return Ok(None);
    }
    if len > OUTPUT_LIMIT {
        // SAFETY: hands back, once, the pointer and length the plugin
        // returned, without reading them.
        unsafe { free(ptr, len) };
        return Err(CallError::TooLarge { len });
    }
    // SAFETY: the plugin returned `len` bytes at `ptr`, valid until freed.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    // SAFETY: hands back, once, the pointer and length the plugin returned;
    // `bytes` is a copy, so nothing refers to them afterwards.
    unsafe { free(ptr, len) };
    Ok(Some(bytes))
}
