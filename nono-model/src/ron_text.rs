//! RON parsing with errors that carry a line and column.

use serde::de::DeserializeOwned;
use std::fmt;

/// A RON document that could not be read, with the position of the fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RonError {
    /// 1-based line of the fault.
    pub line: usize,
    /// 1-based column of the fault.
    pub col: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for RonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// Parses `text` as RON into `T`, rejecting trailing input, with the
/// position of any fault. Every RON document nono reads (preset files,
/// plugin manifests) goes through this one function, so they report errors
/// alike.
///
/// ```
/// let err = nono_model::parse_ron::<Vec<u8>>("[1,\n 2,, 3]").unwrap_err();
/// assert_eq!((err.line, err.col), (2, 4));
/// ```
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, RonError> {
    ron::Options::default()
        .from_str(text)
        .map_err(|e: ron::error::SpannedError| RonError {
            line: e.span.start.line,
            col: e.span.start.col,
            message: e.code.to_string(),
        })
}
