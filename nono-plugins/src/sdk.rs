//! The plugin SDK (feature `sdk`): write one safe function, export it with
//! [`export_plugin!`](crate::export_plugin).
//!
//! ```
//! // The example of the README's "Writing a preset plugin".
//! use nono_plugins::sdk::{Access, FsGrant, HostContext, Preset};
//!
//! fn presets(ctx: &HostContext) -> Vec<Preset> {
//!     let mut presets = Vec::new();
//!     if let Some(jdk) = ctx.var("ACME_JDK_HOME") {
//!         presets.push(
//!             Preset::new("jdk", "Acme JDK, read-only")
//!                 .with_grant(FsGrant::new(jdk, Access::Read)),
//!         );
//!     }
//!     presets.push(
//!         Preset::new("cache", "Acme build cache, read-write")
//!             .extending("tmp")
//!             .with_grant(FsGrant::new("~/.cache/acme", Access::Allow).skip_if_missing()),
//!     );
//!     presets
//! }
//!
//! nono_plugins::export_plugin!(presets);
//! # let mut ctx = HostContext::default();
//! # ctx.env.insert("ACME_JDK_HOME".into(), "/opt/jdk-21".into());
//! # assert_eq!(presets(&ctx).len(), 2);
//! ```
//!
//! The macro defines the three C functions of the plugin ABI. Its
//! `nono_plugin_presets` parses the context, calls your function, and returns
//! the manifest (named after the crate's library, versioned as the package)
//! as RON. If your function panics, the panic is caught: the plugin returns
//! no manifest, says why on its standard error, and nono reports that as an
//! error naming the plugin. Do not build plugins with `panic = "abort"`.

pub use crate::manifest::{HostContext, PLUGIN_ABI_VERSION, PluginManifest};
pub use nono_model::{Access, FsGrant, Preset};

/// Exports a preset function as a nono plugin.
///
/// `export_plugin!(presets)` where `presets` is a
/// `fn(&HostContext) -> Vec<Preset>` defines `nono_plugin_abi_version`,
/// `nono_plugin_presets` and `nono_plugin_free`. The manifest's name is the
/// crate's library name (`[lib] name = "acme"` builds `libacme.so`, plugin
/// `acme`) and its version is the package version.
#[macro_export]
macro_rules! export_plugin {
    ($presets:path) => {
        /// The plugin ABI version this plugin speaks.
        #[unsafe(no_mangle)]
        pub extern "C" fn nono_plugin_abi_version() -> u32 {
            $crate::sdk::PLUGIN_ABI_VERSION
        }

        /// Computes the plugin's manifest from the host context (RON).
        ///
        /// # Safety
        ///
        /// `ctx` must point to `ctx_len` readable bytes and `out_len` to a
        /// writable `usize`, as the nono host guarantees.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn nono_plugin_presets(
            ctx: *const u8,
            ctx_len: usize,
            out_len: *mut usize,
        ) -> *mut u8 {
            let presets: fn(&$crate::sdk::HostContext) -> ::std::vec::Vec<$crate::sdk::Preset> =
                $presets;
            // SAFETY: the caller's guarantees are passed on unchanged.
            unsafe {
                $crate::sdk::__private::presets(
                    env!("CARGO_CRATE_NAME"),
                    env!("CARGO_PKG_VERSION"),
                    ctx,
                    ctx_len,
                    out_len,
                    presets,
                )
            }
        }

        /// Frees a manifest returned by `nono_plugin_presets`.
        ///
        /// # Safety
        ///
        /// `ptr` and `len` must be exactly what `nono_plugin_presets`
        /// returned, and freed once.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn nono_plugin_free(ptr: *mut u8, len: usize) {
            // SAFETY: the caller guarantees `ptr` and `len` are what one
            // `nono_plugin_presets` call returned, not yet freed: exactly
            // what `__private::free` requires.
            unsafe { $crate::sdk::__private::free(ptr, len) }
        }
    };
}

/// What [`export_plugin!`](crate::export_plugin) expands to calls; not an
/// API of its own.
#[doc(hidden)]
pub mod __private {
    use super::{HostContext, PluginManifest, Preset};
    use std::cell::RefCell;
    use std::io::Write as _;
    use std::panic::{self, AssertUnwindSafe};

    thread_local! {
        static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    fn say(message: &str) {
        let _ = writeln!(std::io::stderr(), "{message}");
    }

    /// Why the plugin could not answer; its last words on standard error.
    #[derive(Debug, thiserror::Error)]
    enum AnswerError {
        /// The context is not UTF-8.
        #[error("the host context is not UTF-8: {0}")]
        ContextNotUtf8(std::str::Utf8Error),
        /// The context is not a `HostContext` in RON.
        #[error("cannot read the host context: {0}")]
        Context(nono_model::RonError),
        /// The manifest could not be written as RON.
        #[error("cannot write the manifest: {0}")]
        Write(ron::Error),
    }

    fn manifest(
        name: &str,
        version: &str,
        ctx: &[u8],
        presets: fn(&HostContext) -> Vec<Preset>,
    ) -> Result<Vec<u8>, AnswerError> {
        let text = std::str::from_utf8(ctx).map_err(AnswerError::ContextNotUtf8)?;
        let ctx = HostContext::from_ron(text).map_err(AnswerError::Context)?;
        let manifest = PluginManifest {
            name: name.to_owned(),
            version: version.to_owned(),
            presets: presets(&ctx),
        };
        manifest
            .to_ron()
            .map(String::into_bytes)
            .map_err(AnswerError::Write)
    }

    /// The body of `nono_plugin_presets`.
    ///
    /// # Safety
    ///
    /// `ctx` must point to `ctx_len` readable bytes (or be null with
    /// `ctx_len` 0) and `out_len` must point to a writable `usize`.
    pub unsafe fn presets(
        name: &str,
        version: &str,
        ctx: *const u8,
        ctx_len: usize,
        out_len: *mut usize,
        presets: fn(&HostContext) -> Vec<Preset>,
    ) -> *mut u8 {
        let ctx: &[u8] = if ctx.is_null() || ctx_len == 0 {
            &[]
        } else {
            // SAFETY: the caller guarantees `ctx_len` readable bytes.
            unsafe { std::slice::from_raw_parts(ctx, ctx_len) }
        };
        // Record where and why a panic happened, instead of the default
        // hook's several lines; restore the previous hook afterwards.
        let previous = panic::take_hook();
        panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".to_owned());
            let at = info
                .location()
                .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            PANIC.with(|p| *p.borrow_mut() = Some(format!("panicked{at}: {message}")));
        }));
        let result =
            panic::catch_unwind(AssertUnwindSafe(|| manifest(name, version, ctx, presets)));
        panic::set_hook(previous);
        let bytes = match result {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(error)) => {
                say(&error.to_string());
                return std::ptr::null_mut();
            }
            Err(_) => {
                let message = PANIC
                    .with(|p| p.borrow_mut().take())
                    .unwrap_or_else(|| "panicked".to_owned());
                say(&message);
                return std::ptr::null_mut();
            }
        };
        let boxed = bytes.into_boxed_slice();
        let len = boxed.len();
        if !out_len.is_null() {
            // SAFETY: the caller guarantees `out_len` is writable.
            unsafe { *out_len = len };
        }
        Box::into_raw(boxed).cast::<u8>()
    }

    /// The body of `nono_plugin_free`.
    ///
    /// # Safety
    ///
    /// `ptr` and `len` must come from one call of [`presets`], and be freed
    /// once.
    pub unsafe fn free(ptr: *mut u8, len: usize) {
        if ptr.is_null() {
            return;
        }
        // SAFETY: `ptr` is the start of a boxed slice of `len` bytes leaked
        // by `presets`.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
    }

    #[cfg(test)]
    mod tests {
        #![allow(clippy::unwrap_used)]
        use super::*;
        use crate::manifest::PluginManifest;
        use nono_model::{Access, FsGrant};

        fn jdk(ctx: &HostContext) -> Vec<Preset> {
            let home = ctx.var("JDK").unwrap_or("/opt/jdk");
            vec![Preset::new("jdk", "JDK").with_grant(FsGrant::new(home, Access::Read))]
        }

        fn boom(_: &HostContext) -> Vec<Preset> {
            panic!("no JDK here")
        }

        fn call(f: fn(&HostContext) -> Vec<Preset>, ctx: &[u8]) -> Option<Vec<u8>> {
            let mut len = 0usize;
            // SAFETY: valid pointers, as the host passes them.
            let ptr = unsafe { presets("acme", "1.0.0", ctx.as_ptr(), ctx.len(), &raw mut len, f) };
            if ptr.is_null() {
                return None;
            }
            // SAFETY: `presets` returned `len` bytes at `ptr`.
            let out = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
            // SAFETY: freed once, as returned.
            unsafe { free(ptr, len) };
            Some(out)
        }

        #[test]
        fn the_function_sees_the_context_and_its_presets_come_back() {
            let mut ctx = HostContext::default();
            ctx.env.insert("JDK".into(), "/srv/jdk".into());
            let out = call(jdk, ctx.to_ron().as_bytes()).unwrap();
            let m = PluginManifest::parse(&out, "acme").unwrap();
            assert_eq!(m.version, "1.0.0");
            assert_eq!(m.presets[0].grants[0].path, "/srv/jdk");
        }

        #[test]
        fn a_panic_is_caught_and_returns_null() {
            assert_eq!(call(boom, HostContext::default().to_ron().as_bytes()), None);
            // And the hook is restored: the next call works.
            assert!(call(jdk, b"()").is_some());
        }

        #[test]
        fn a_bad_context_returns_null() {
            assert_eq!(call(jdk, b"\xff"), None);
            assert_eq!(call(jdk, b"(abi_version: \"x\")"), None);
            // Saying why on standard error.
            let why = |ctx: &[u8]| manifest("acme", "1.0.0", ctx, jdk).unwrap_err();
            assert!(matches!(why(b"\xff"), AnswerError::ContextNotUtf8(_)));
            assert!(
                why(b"\xff")
                    .to_string()
                    .starts_with("the host context is not UTF-8: "),
            );
            assert!(
                why(b"(abi_version: \"x\")")
                    .to_string()
                    .starts_with("cannot read the host context: "),
            );
        }
    }
}
