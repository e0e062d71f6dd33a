//! `nono man [SUBCOMMAND]`: the manual pages, made from the same clap
//! definitions as `--help` (so every flag is in them), plus the sections
//! clap does not know: examples, exit status, environment, and the other
//! pages.

use crate::cli::{Cli, MAN_PAGES, RUN_EXAMPLES, WHY_EXAMPLES};
use crate::failure::{Failure, emit};
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

/// Exit statuses of `nono run`, as the design's CLI contract fixes them.
const RUN_EXIT: &[(&str, &str)] = &[
    (
        "the command's own",
        "once the command runs, nono supervises it and exits with its status, or dies by the same signal",
    ),
    (
        "125",
        "nono's own error: a bad flag, path, preset file or --abi value, a plugin that failed, an unenforceable sandbox under --strict",
    ),
    (
        "126",
        "the command was found but could not be executed; when the sandbox refused it, the message names the grant or preset that is probably missing",
    ),
    ("127", "the command was not found"),
];

const WHY_EXIT: &[(&str, &str)] = &[
    ("0", "the operation would be allowed"),
    ("1", "the operation would be denied"),
    ("125", "bad input: a bad flag, path or preset"),
];

const PLAIN_EXIT: &[(&str, &str)] = &[("0", "success"), ("125", "nono's own error")];

/// The environment variables `nono run` reads or sets.
const RUN_ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NONO_SANDBOX",
        "set to 1 in the command's environment, so a program can tell that it runs inside nono (a hint, not a proof: anyone can set it)",
    ),
    (
        "NONO_PLUGIN_PATH",
        "colon-separated directories searched for plugins; they are denied to every sandbox",
    ),
    (
        "NONO_PLUGIN_CACHE",
        "off: evaluate every plugin, never use the cache",
    ),
    (
        "XDG_CONFIG_HOME, XDG_CACHE_HOME",
        "where user presets and plugins (nono/presets, nono/plugins) and the plugin cache (nono/plugins) live",
    ),
    (
        "RUST_LOG",
        "tracing filter, as -vv and -vvv set it; colours only on a terminal, never with NO_COLOR set",
    ),
];

/// The man page of nono (`None`) or of one subcommand, as roff.
pub fn page(subcommand: Option<&str>) -> Result<String, Failure> {
    // `nono help` is clap's; it has no page of its own.
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let (cmd, name) = match subcommand {
        None => (top.clone(), "nono".to_owned()),
        Some(sub) => {
            let cmd = top
                .find_subcommand(sub)
                .cloned()
                .ok_or_else(|| Failure::new(format!("man: no page for '{sub}'")))?;
            (cmd, format!("nono-{sub}"))
        }
    };
    let man = Man::new(cmd.clone())
        .title(name.clone())
        .source(format!("nono {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    let sections = [
        Man::render_title,
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
    ];
    for render in sections {
        render(&man, &mut out).map_err(Failure::new)?;
    }
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).map_err(Failure::new)?;
    }
    let mut roff = Roff::new();
    if subcommand.is_none() {
        man.render_subcommands_section(&mut out)
            .map_err(Failure::new)?;
    } else {
        // `presets list` and `presets show` have no pages of their own:
        // their usage and options are here.
        for child in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            child_section(&mut roff, child);
        }
    }
    let examples = match subcommand {
        Some("run") => Some(RUN_EXAMPLES),
        Some("why") => Some(WHY_EXAMPLES),
        _ => None,
    };
    if let Some(text) = examples {
        examples_section(&mut roff, text);
    }
    let exit = match subcommand {
        None | Some("run") => RUN_EXIT,
        Some("why") => WHY_EXIT,
        Some(_) => PLAIN_EXIT,
    };
    roff.control("SH", ["EXIT STATUS"]);
    list(&mut roff, exit);
    if matches!(subcommand, None | Some("run")) {
        roff.control("SH", ["ENVIRONMENT"]);
        list(&mut roff, RUN_ENVIRONMENT);
    }
    roff.control("SH", ["SEE ALSO"]);
    let others: Vec<String> = std::iter::once("nono".to_owned())
        .chain(MAN_PAGES.iter().map(|p| format!("nono-{p}")))
        .filter(|p| *p != name)
        .map(|p| format!("{p}(1)"))
        .collect();
    roff.text([roman(format!(
        "{}; each page is printed by 'nono man [SUBCOMMAND]'.",
        others.join(", ")
    ))]);
    roff.to_writer(&mut out).map_err(Failure::new)?;
    man.render_version_section(&mut out).map_err(Failure::new)?;
    String::from_utf8(out).map_err(Failure::new)
}

/// A section for a subcommand of a subcommand: its usage, what it does,
/// and each of its options.
fn child_section(roff: &mut Roff, child: &clap::Command) {
    let mut child = child.clone();
    let usage = child.render_usage().to_string();
    let usage = usage.trim().strip_prefix("Usage:").unwrap_or(&usage).trim();
    let heading = usage
        .split_whitespace()
        .skip(1)
        .take_while(|w| !w.starts_with(['[', '<', '-']))
        .collect::<Vec<_>>()
        .join(" ");
    roff.control("SH", [heading.to_uppercase().as_str()]);
    roff.text([bold(usage)]);
    roff.control("PP", []);
    if let Some(about) = child.get_about() {
        roff.text([roman(about.to_string())]);
    }
    for arg in child.get_arguments().filter(|a| !a.is_hide_set()) {
        let value = arg
            .get_value_names()
            .filter(|_| arg.get_action().takes_values())
            .map(|v| v.iter().map(|n| format!(" <{n}>")).collect::<String>())
            .unwrap_or_default();
        let names = match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(l)) => format!("-{s}, --{l}{value}"),
            (Some(s), None) => format!("-{s}{value}"),
            (None, Some(l)) => format!("--{l}{value}"),
            (None, None) => value.trim().to_owned(),
        };
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        list(roff, &[(names.as_str(), help.as_str())]);
    }
}

/// A tagged paragraph per entry: the tag in bold, then its text.
fn list(roff: &mut Roff, entries: &[(&str, &str)]) {
    for (tag, text) in entries {
        roff.control("TP", []);
        roff.text([bold(*tag)]);
        roff.text([roman(*text)]);
    }
}

/// The examples of an `after_help` text (its lines after `Examples:`), as
/// preformatted lines.
fn examples_section(roff: &mut Roff, text: &str) {
    roff.control("SH", ["EXAMPLES"]);
    roff.control("nf", []);
    for line in text.lines().skip_while(|l| *l != "Examples:").skip(1) {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
}

/// Runs `nono man [SUBCOMMAND]`.
pub fn man(subcommand: Option<&str>) -> Result<(), Failure> {
    emit(&page(subcommand)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_visible_subcommand_has_a_page_and_no_other() {
        let cmd = Cli::command();
        let visible: Vec<&str> = cmd
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(clap::Command::get_name)
            .collect();
        assert_eq!(visible, MAN_PAGES);
    }
}
