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
        Failure {
            message: Some(one_line(message.to_string().trim())),
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

    /// A usage error from clap, in one line: what is wrong (clap's first
    /// paragraph), clap's first tip (`a similar argument exists:
    /// '--allow'`), and the help of the (sub)command the usage line names,
    /// or else `command` (`nono run`), where the flags are (`see 'nono run
    /// --help'`).
    pub fn usage(rendered: &str, command: &str) -> Self {
        let paragraphs: Vec<Vec<&str>> = rendered
            .trim_start()
            .split("\n\n")
            .map(|p| p.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
            .collect();
        // The first paragraph says what is wrong (and, for a missing
        // argument, which one on the next line).
        let first = paragraphs.first().map(|p| p.join(" ")).unwrap_or_default();
        let first = first.strip_prefix("error: ").unwrap_or(&first);
        let mut text = if first.is_empty() {
            "invalid arguments".to_owned()
        } else {
            first.to_owned()
        };
        // The first tip is the useful one ("a similar argument exists");
        // a second only says how to pass the word as a value.
        if let Some(tip) = paragraphs
            .iter()
            .skip(1)
            .flatten()
            .find(|l| l.starts_with("tip:"))
        {
            text.push_str("; ");
            text.push_str(tip);
        }
        // `Usage: nono run [OPTIONS] ...`: the words before the first
        // option or placeholder name the subcommand.
        let command = paragraphs
            .iter()
            .flatten()
            .find_map(|l| l.strip_prefix("Usage:"))
            .map(|usage| {
                usage
                    .split_whitespace()
                    .take_while(|w| !w.starts_with(['[', '<', '-']) && !w.contains("..."))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|c| c.starts_with("nono"))
            .unwrap_or_else(|| command.to_owned());
        Failure::new(format!("{text} (see '{command} --help')"))
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

/// `text` as one printable line: line breaks become spaces, other control
/// characters are escaped (`\u{1b}`). For whatever nono prints that quotes
/// paths from presets or the environment.
pub fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' => line.push(' '),
            c if c.is_control() => line.extend(c.escape_default()),
            c => line.push(c),
        }
    }
    line
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

    #[test]
    fn a_usage_error_keeps_the_tip_and_names_the_subcommand() {
        let rendered = "error: unexpected argument '--alow' found\n\n  tip: a similar argument exists: '--allow'\n\nUsage: nono run --allow <PATH> <COMMAND>...\n\nFor more information, try '--help'.\n";
        assert_eq!(
            Failure::usage(rendered, "nono").message(),
            Some(
                "unexpected argument '--alow' found; tip: a similar argument exists: '--allow' (see 'nono run --help')"
            )
        );
        let rendered = "error: the following required arguments were not provided:\n  <NAME>\n\nUsage: nono presets show <NAME>\n";
        assert_eq!(
            Failure::usage(rendered, "nono").message(),
            Some(
                "the following required arguments were not provided: <NAME> (see 'nono presets show --help')"
            )
        );
        // No usage line, or nothing at all: the command given.
        assert_eq!(
            Failure::usage("error: bad\n", "nono man").message(),
            Some("bad (see 'nono man --help')")
        );
        assert_eq!(
            Failure::usage("", "nono").message(),
            Some("invalid arguments (see 'nono --help')")
        );
    }
}
