//! nono's own failures: one line on stderr and an exit code.

use std::fmt::Display;

/// Exit code for nono's own errors (usage, path, preset, sandbox).
pub const NONO_ERROR: u8 = 125;
/// Exit code when the command was found but could not be executed.
pub const CANNOT_EXECUTE: u8 = 126;
/// Exit code when the command was not found.
pub const NOT_FOUND: u8 = 127;

/// A failure to report: the message (one line, without the `nono:` prefix)
/// and the exit code.
#[derive(Debug)]
pub struct Failure {
    message: Option<String>,
    code: u8,
}

impl Failure {
    /// A nono error (exit 125).
    pub fn new(message: impl Display) -> Self {
        Failure::with_code(NONO_ERROR, message)
    }

    /// A failure with its own exit code.
    pub fn with_code(code: u8, message: impl Display) -> Self {
        // One line, always: fold any line break a lower layer put in, and
        // nothing else (a path with runs of spaces must stay as it is).
        // Other control characters are escaped (`\u{1b}`): messages quote
        // paths as written, and a preset path from a plugin or a file must
        // not reach the terminal as an escape sequence.
        let mut line = String::new();
        for c in message.to_string().trim().chars() {
            match c {
                '\r' | '\n' => line.push(' '),
                c if c.is_control() => line.extend(c.escape_default()),
                c => line.push(c),
            }
        }
        Failure {
            message: Some(line),
            code,
        }
    }

    /// An exit with nothing more to print.
    pub fn quiet(code: u8) -> Self {
        Failure {
            message: None,
            code,
        }
    }

    /// A usage error from clap: its first line, plus where to read more.
    pub fn usage(rendered: &str) -> Self {
        // clap's first paragraph says what is wrong (and, for a missing
        // argument, which one on the next line); the rest is usage text.
        let first: Vec<&str> = rendered
            .trim_start()
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        let text = first.join(" ");
        let text = text.strip_prefix("error: ").unwrap_or(&text);
        let text = if text.is_empty() {
            "invalid arguments"
        } else {
            text
        };
        Failure::new(format!("{text} (see 'nono --help')"))
    }

    /// The message, one line without the `nono:` prefix (`None`: nothing to
    /// print).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The exit code.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// Prints the message and gives the exit code.
    pub fn report(self) -> u8 {
        if let Some(message) = self.message {
            eprintln!("nono: {message}");
        }
        self.code
    }
}

/// Appends a formatted line to a `String` buffer.
#[macro_export]
macro_rules! outln {
    ($buf:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($buf, $($arg)*);
    }};
}

/// Writes `text` to stdout. A closed pipe (`nono ... | head`) is not an
/// error: the reader has what it wanted.
pub fn emit(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(format!("cannot write to stdout: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_one_line_without_control_characters() {
        // Found by the cli_argv fuzz target: a path given to --read, quoted
        // as written in "no such file" errors.
        let f = Failure::new("--read: \u{1}\n\u{4}\r\u{1b}[2J  x\t: no such file or directory");
        assert_eq!(
            f.message(),
            Some("--read: \\u{1} \\u{4} \\u{1b}[2J  x\\t: no such file or directory")
        );
        assert_eq!(f.code(), NONO_ERROR);
        let f = Failure::with_code(CANNOT_EXECUTE, "  caf\u{e9} \u{7f}\n");
        assert_eq!(f.message(), Some("caf\u{e9} \\u{7f}"));
    }
}
