//! Paths that are not UTF-8: in the text grants are written in, and in
//! JSON.
//!
//! A grant's path is text (`~`, `$VAR` and `${VAR:-default}` are expanded
//! by `nono-compile`), and a Linux path is bytes. A byte that is not part of
//! valid UTF-8 is written `${\xHH}` (two hex digits) in grant text: the
//! `${` form with a name that no variable can have, which was an error
//! before, so no text that meant something else changes meaning. nono
//! writes a command-line path that is not UTF-8 this way, and its output
//! shows it so.
//!
//! In JSON, a path is a string when it is UTF-8, else an object
//! `{"lossy": TEXT, "bytes_b64": BASE64}`: the path with U+FFFD for each
//! invalid sequence (for people), and its exact bytes in standard base64
//! with padding (for programs).

use serde::Serializer;
use serde::ser::SerializeStruct;
use std::path::Path;

/// Appends the escape of byte `b`, `${\xHH}`.
fn push_escape(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("${\\x");
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xf)]));
    out.push('}');
}

/// `bytes` as grant text: valid UTF-8 as it is (so `~` and `$VAR` keep
/// their meaning, as for a path typed on the command line), every byte of
/// an invalid sequence as `${\xHH}`.
///
/// ```
/// use nono_model::grant_text;
///
/// assert_eq!(grant_text(b"~/proj"), "~/proj");
/// assert_eq!(grant_text(b"/data/\xffdir"), "/data/${\\xff}dir");
/// ```
pub fn grant_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for &b in chunk.invalid() {
            push_escape(&mut out, b);
        }
    }
    out
}

/// `bytes` as grant text that names exactly that path: like
/// [`grant_text`], and `$` and a leading `~` escaped too, so that nothing
/// in it is expanded. For paths that come from elsewhere than a person
/// (an environment variable's list of files).
///
/// ```
/// use nono_model::literal_grant_text;
///
/// assert_eq!(literal_grant_text(b"/srv/$HOME/~x"), "/srv/${\\x24}HOME/~x");
/// assert_eq!(literal_grant_text(b"~/kube"), "${\\x7e}/kube");
/// ```
pub fn literal_grant_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut at = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '$' || (c == '~' && at == 0) {
                push_escape(&mut out, c as u8);
            } else {
                out.push(c);
            }
            at += c.len_utf8();
        }
        for &b in chunk.invalid() {
            push_escape(&mut out, b);
            at += 1;
        }
    }
    out
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                // 6 bits: always below 64.
                let index = ((n >> (18 - 6 * i)) & 0x3f) as usize;
                out.push(char::from(ALPHABET[index]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Serializes a path as the [module documentation](self) says: a string
/// when it is UTF-8, else `{"lossy": ..., "bytes_b64": ...}`. For
/// `#[serde(serialize_with = "...")]`.
pub fn serialize_path<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    use std::os::unix::ffi::OsStrExt;
    match path.to_str() {
        Some(text) => serializer.serialize_str(text),
        None => {
            let mut out = serializer.serialize_struct("NonUtf8Path", 2)?;
            out.serialize_field("lossy", &path.to_string_lossy())?;
            out.serialize_field("bytes_b64", &base64(path.as_os_str().as_bytes()))?;
            out.end()
        }
    }
}

/// [`serialize_path`] for an optional path (`null` when `None`).
pub fn serialize_opt_path<S: Serializer, P: AsRef<Path>>(
    path: &Option<P>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => serialize_path(path.as_ref(), serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        for (input, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), encoded);
        }
        assert_eq!(base64(b"\xff\xfe\x00"), "//4A");
    }

    #[test]
    fn grant_text_escapes_only_invalid_bytes() {
        assert_eq!(grant_text("/é/$X/~".as_bytes()), "/é/$X/~");
        assert_eq!(grant_text(b"\xc3"), "${\\xc3}");
        assert_eq!(grant_text(b"a\xe2\x82z"), "a${\\xe2}${\\x82}z");
    }

    #[test]
    fn literal_text_escapes_dollars_and_a_leading_tilde_only() {
        assert_eq!(literal_grant_text(b"$"), "${\\x24}");
        assert_eq!(literal_grant_text(b"~"), "${\\x7e}");
        assert_eq!(literal_grant_text(b"a~/$\xff"), "a~/${\\x24}${\\xff}");
        assert_eq!(
            literal_grant_text(b"/x/${\\xff}"),
            "/x/${\\x24}{\\xff}",
            "text that looks like an escape is escaped itself"
        );
    }

    #[test]
    fn a_path_is_a_string_when_it_can_be() {
        use std::os::unix::ffi::OsStrExt;
        #[derive(serde::Serialize)]
        struct Wrap<'a>(#[serde(serialize_with = "serialize_path")] &'a Path);
        let text = ron::to_string(&Wrap(Path::new("/a b/é"))).unwrap();
        assert_eq!(text, "(\"/a b/é\")");
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/d/\xffx"));
        let text = ron::to_string(&Wrap(path)).unwrap();
        assert!(text.contains("lossy:\"/d/\u{fffd}x\""), "{text}");
        assert!(text.contains("bytes_b64:\"L2Qv/3g=\""), "{text}");
    }
}
