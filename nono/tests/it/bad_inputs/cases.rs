//! The tables: flags, paths, preset files, plugins, the environment.

use super::run::{prepare, run_table, run_until};
use super::*;
use crate::common::Scratch;
use nono_model::Abi;

// ---------------------------------------------------------------------------
// Flags.
// ---------------------------------------------------------------------------

/// `--abi N` followed by `rest`, for the tables (which hold static words).
fn abi_args(abi: u8, rest: &[&'static str]) -> &'static [&'static str] {
    let abi: &'static str = Box::leak(abi.to_string().into_boxed_str());
    let mut args = vec!["--abi", abi];
    args.extend_from_slice(rest);
    Box::leak(args.into_boxed_slice())
}

#[rustfmt::skip]
pub(super) fn flag_cases() -> Vec<Bad> {
    vec![
        bad("unknown flag", Run(&["--frobnicate"]), Error(125, "--frobnicate")),
        bad("unknown short flag", Run(&["-Z"]), Error(125, "-Z")),
        bad("--read without its value", Run(&["--read"]), Error(125, "--read")),
        bad("--preset without its value", Run(&["--preset"]), Error(125, "--preset")),
        bad("--abi without its value", Run(&["--abi"]), Error(125, "--abi")),
        bad("--abi 0", Run(&["--abi", "0"]), Error(125, "--abi")),
        bad("--abi newer than nono knows", Run(abi_args(Abi::LATEST.0 + 1, &[])), Error(125, "--abi")),
        bad("--abi seven", Run(&["--abi", "seven"]), Error(125, "'seven' for '--abi")),
        bad("--abi 2.5", Run(&["--abi", "2.5"]), Error(125, "'2.5' for '--abi")),
        bad("--net-connect 0", Run(&["--net-connect", "0"]), Error(125, "'0' for '--net-connect")),
        bad("--net-connect 65536", Run(&["--net-connect", "65536"]), Error(125, "'65536' for '--net-connect")),
        bad("--net-connect https", Run(&["--net-connect", "https"]), Error(125, "'https' for '--net-connect")),
        bad("--net-connect with an empty list item", Run(&["--net-connect", "80,,443"]), Error(125, "--net-connect")),
        bad("--net-bind -1", Run(&["--net-bind", "-1"]), Error(125, "-1")),
        bad("--net-bind 99999", Run(&["--net-bind", "99999"]), Error(125, "'99999' for '--net-bind")),
        bad("--net-connect udp: without a port", Run(&["--net-connect", "udp:"]), Error(125, "'udp:' for '--net-connect")),
        bad("--net-connect udp:0", Run(&["--net-connect", "udp:0"]), Error(125, "'udp:0' for '--net-connect")),
        bad("--net-connect tcp:70000", Run(&["--net-connect", "tcp:70000"]), Error(125, "'tcp:70000' for '--net-connect")),
        bad("--net-connect sctp:1", Run(&["--net-connect", "sctp:1"]), Error(125, "unknown protocol 'sctp'")),
        bad("--net-connect UDP:53 (protocols are lower case)", Run(&["--net-connect", "UDP:53"]), Error(125, "'UDP:53' for '--net-connect")),
        bad("--net-connect udp:+53", Run(&["--net-connect", "udp:+53"]), Error(125, "'udp:+53' for '--net-connect")),
        bad("--net-connect udp:53:53", Run(&["--net-connect", "udp:53:53"]), Error(125, "'udp:53:53' for '--net-connect")),
        bad("--net-bind udp:65536", Run(&["--net-bind", "udp:65536"]), Error(125, "'udp:65536' for '--net-bind")),
        bad("--net-bind udp:", Run(&["--net-bind", "udp:"]), Error(125, "'udp:' for '--net-bind")),
        bad("--net-block with a udp: port", Run(&["--net-block", "--net-connect", "udp:53"]), Error(125, "'--net-block' cannot be used with '--net-connect")),
        bad("--net-block with --net-connect", Run(&["--net-block", "--net-connect", "443"]), Error(125, "'--net-block' cannot be used with '--net-connect")),
        bad("--net-block with --net-bind", Run(&["--net-block", "--net-bind", "0"]), Error(125, "--net-bind")),
        bad("--json without --dry-run", Run(&["--json"]), Error(125, "--dry-run")),
        bad("--env with a space in the name", Run(&["--env", "BAD NAME=x"]), Error(125, "--env \"BAD NAME=x\"")),
        bad("--env with no name", Run(&["--env", "=value"]), Error(125, "--env \"=value\"")),
        bad("--env with a name starting with a digit", Run(&["--env", "1X=y"]), Error(125, "--env \"1X=y\"")),
        bad("--env empty", Run(&["--env", ""]), Error(125, "--env \"\"")),
        // BUG: --env-keep takes any text: a name no variable can have (no
        // name holds `=`) is accepted silently and the command runs (exit
        // 0), unlike --env; the user who meant --env loses the variable.
        bad("--env-keep NAME=VALUE", Run(&["--env-keep", "NAME=VALUE"]), Error(125, "NAME=VALUE")),
        bad("--read ''", Run(&["--read", ""]), Error(125, "--read \"\"")),
        bad("--write ''", Run(&["--write", ""]), Error(125, "--write \"\"")),
        bad("--allow ''", Run(&["--allow", ""]), Error(125, "--allow \"\"")),
        bad("--deny ''", Run(&["--deny", ""]), Error(125, "--deny \"\"")),
        bad("--expose ''", Run(&["--expose", ""]), Error(125, "--expose \"\"")),
        bad("run without a command", Raw(&["run", "--allow", "{S}/out", "--"]), Error(125, "COMMAND")),
        bad("unknown subcommand", Raw(&["frobnicate"]), Error(125, "frobnicate")),
        bad("why without a path", Raw(&["why"]), Error(125, "PATH")),
        bad("why --op frob", Raw(&["why", "{S}/out", "--op", "frob"]), Error(125, "'frob' for '--op")),
        bad("why --port 70000", Raw(&["why", "--port", "70000"]), Error(125, "'70000' for '--port")),
        bad("presets show without a name", Raw(&["presets", "show"]), Error(125, "NAME")),
        bad("completions for an unknown shell", Raw(&["completions", "klingon"]), Error(125, "klingon")),
        // Twins: the same flags, well formed.
        bad("twin: well-formed flags", Run(abi_args(Abi::LATEST.0, &["--net-connect", "443,8080", "--net-bind", "0", "--env", "GOOD_NAME=1", "--env-keep", "HOME", "--deny", "{S}/nothing", "--read", "{S}/out"])), Runs),
        bad("twin: --abi 1 and --net-block", Run(&["--abi", "1", "--net-block"]), Runs),
        bad("twin: udp: and tcp: ports", Run(abi_args(Abi::LATEST.0, &["--net-connect", "tcp:443,udp:53", "--net-bind", "udp:0,udp:5353,tcp:8080"])), Runs),
    ]
}

#[test]
fn malformed_flags_are_one_clear_error() {
    run_table(&flag_cases(), "flags");
}

// ---------------------------------------------------------------------------
// Paths.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
pub(super) fn path_cases() -> Vec<Bad> {
    vec![
        bad("a missing path", Run(&["--read", "{S}/in/missing"]), Error(125, "--read: {S}/in/missing: no such file or directory")).with(&[Dir("in")]),
        bad("a missing relative path", Run(&["--allow", "in/gone/deeper"]), Error(125, "--allow: in/gone/deeper: no such file or directory")).with(&[Dir("in")]),
        bad("a dangling symlink", Run(&["--read", "{S}/in/dangling"]), Error(125, "{S}/in/dangling: no such file or directory")).with(&[Symlink("in/dangling", "{S}/in/nowhere")]),
        bad("a symlink loop", Run(&["--read", "{S}/in/loop1"]), Error(125, "{S}/in/loop1")).with(&[Symlink("in/loop1", "loop2"), Symlink("in/loop2", "loop1")]),
        bad("a path under a regular file", Run(&["--read", "{S}/in/file.txt/x"]), Error(125, "{S}/in/file.txt/x")).with(&[File("in/file.txt", "data\n")]),
        // Decided: a path flag takes bytes; one that is not UTF-8 is named
        // with `${\xHH}` escapes, here in the usual error for a missing path.
        bad("a non-UTF-8 path", Run(&["--read", "{S}/in/{FF}"]), Error(125, "--read: {S}/in/${\\xff}: no such file or directory")).with(&[Dir("in")]),
        bad("a file name over NAME_MAX", Run(&["--read", "{S}/{LONGNAME}"]), Error(125, "File name too long")),
        bad("a path over PATH_MAX that does not exist", Run(&["--read", "{LONGPATH}"]), Error(125, "--read: /nono-no-such/")),
        bad("an existing directory whose path is over PATH_MAX", Run(&["--read", "{DEEP}"]), Error(125, "File name too long")).with(&[Deep]),
        bad("a path inside a sensitive directory", Run(&["--read", "~/.ssh/id_ed25519"]), Error(125, "inside the sensitive path ~/.ssh")).with(&[File("home/.ssh/id_ed25519", "key\n")]),
        bad("a sensitive directory itself", Run(&["--allow", "~/.aws"]), Error(125, "--allow: ~/.aws: inside the sensitive path ~/.aws")).with(&[File("home/.aws/credentials", "key\n")]),
        bad("a variable that is not set", Run(&["--read", "$NONO_BAD_INPUT_UNSET/x"]), Error(125, "environment variable NONO_BAD_INPUT_UNSET is not set")).env(&[("NONO_BAD_INPUT_UNSET", None)]),
        bad("an unclosed ${", Run(&["--read", "${NONO_BAD_INPUT_UNSET"]), Error(125, "malformed variable reference")),
        // BUG: `${VAR:-}` with VAR unset expands to the empty path, which is
        // then resolved against the working directory: the directory nono
        // runs in is granted, silently, where `--read ''` is refused.
        bad("a path that expands to nothing", Run(&["--allow", "${NONO_BAD_INPUT_UNSET:-}"]), Error(125, "${NONO_BAD_INPUT_UNSET:-}")).env(&[("NONO_BAD_INPUT_UNSET", None)]),
        // Decided: a FIFO is a file, and granting it is a file grant. nono
        // opens it O_PATH (no open(2) that would wait for a writer), so the
        // run neither hangs nor fails.
        bad("a FIFO given to --read", Run(&["--read", "{S}/in/fifo"]), Runs).with(&[Fifo("in/fifo")]).deadline(10),
        bad("a FIFO given to --allow", Run(&["--allow", "{S}/in/fifo"]), Runs).with(&[Fifo("in/fifo")]).deadline(10),
        // Twins: paths that exist, through a symlink, relative, `~`.
        bad("twin: existing paths", Run(&["--read", "{S}/in/file.txt", "--read", "{S}/in/link", "--read", "in", "--read", "~"]), Runs).with(&[File("in/file.txt", "data\n"), Symlink("in/link", "file.txt")]),
        bad("twin: a path that expands to something", Run(&["--read", "${NONO_BAD_INPUT_DIR:-{S}/in}"]), Runs).with(&[Dir("in")]).env(&[("NONO_BAD_INPUT_DIR", None)]),
    ]
}

#[test]
fn bad_paths_are_one_clear_error() {
    run_table(&path_cases(), "paths");
}

/// The decision above, in the ruleset: a FIFO granted Read is a file rule
/// with the file rights of Read, nothing for directories.
#[test]
fn a_fifo_grant_is_a_file_grant() {
    let s = Scratch::new();
    prepare(&s, &[Fifo("in/fifo")]);
    let fifo = s.join("in/fifo");
    let mut cmd = s.nono();
    cmd.args(["run", "--no-base", "--dry-run", "--json", "--read"])
        .arg(&fifo);
    let out = run_until(&mut cmd, Duration::from_secs(10)).expect("nono hung on a FIFO");
    out.expect_ok();
    let json = out.json();
    let rules = json["ruleset"]["rules"].as_array().unwrap();
    let rule = rules
        .iter()
        .find(|r| r["path"] == fifo.to_str().unwrap())
        .unwrap_or_else(|| panic!("no rule for the FIFO: {json:#}"));
    assert_eq!(rule["kind"], "file", "{rule:#}");
    let rights: Vec<&str> = rule["rights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(rights, ["execute", "read_file"], "{rule:#}");
}

// ---------------------------------------------------------------------------
// Preset files.
// ---------------------------------------------------------------------------

/// A well-formed preset file.
const GOOD_RON: &str = "(name: \"good\", description: \"d\", extends: [\"base\"], grants: [(path: \"/usr\", access: Read)])";

#[rustfmt::skip]
pub(super) fn preset_cases() -> Vec<Bad> {
    vec![
        bad("a syntax error", Run(&["--preset", "p/x.ron"]), Error(125, "--preset p/x.ron: p/x.ron:1:")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", grants: [(path: \"/usr\", access: Read)")]),
        bad("an unknown field", Run(&["--preset", "p/x.ron"]), Error(125, "p/x.ron:1:31: Unexpected field named `frob`")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", frob: 1)")]),
        bad("a path that is a number", Run(&["--preset", "p/x.ron"]), Error(125, "p/x.ron:1:")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", grants: [(path: 42, access: Read)])")]),
        bad("an unknown access level", Run(&["--preset", "p/x.ron"]), Error(125, "`Sometimes`")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", grants: [(path: \"/usr\", access: Sometimes)])")]),
        bad("optional that is not a bool", Run(&["--preset", "p/x.ron"]), Error(125, "p/x.ron:1:")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", grants: [(path: \"/usr\", access: Read, optional: \"yes\")])")]),
        bad("a bad preset name", Run(&["--preset", "p/x.ron"]), Error(125, "preset name \"Bad Name!\"")).with(&[File("p/x.ron", "(name: \"Bad Name!\", description: \"d\")")]),
        bad("an empty preset name", Run(&["--preset", "p/x.ron"]), Error(125, "preset name \"\"")).with(&[File("p/x.ron", "(name: \"\", description: \"d\")")]),
        bad("extends an unknown preset", Run(&["--preset", "p/x.ron"]), Error(125, "unknown preset 'nosuch'")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", extends: [\"nosuch\"])")]),
        bad("extends a path", Run(&["--preset", "p/x.ron"]), Error(125, "extends \"../x\"")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", extends: [\"../x\"])")]),
        bad("extends itself (user presets)", Run(&["--preset", "ca"]), Error(125, "ca -> cb -> ca")).with(&[File("home/.config/nono/presets/ca.ron", "(name: \"ca\", description: \"d\", extends: [\"cb\"])"), File("home/.config/nono/presets/cb.ron", "(name: \"cb\", description: \"d\", extends: [\"ca\"])")]),
        bad("a grant with an empty path", Run(&["--preset", "p/x.ron"]), Error(125, "grant 0 (\"\"): the path is empty")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", grants: [(path: \"\", access: Read)])")]),
        bad("a deny with an empty path", Run(&["--preset", "p/x.ron"]), Error(125, "deny 0 (\"\"): the path is empty")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", deny: [\"\"])")]),
        // A NUL cannot be passed on a command line; a preset file can hold
        // one, escaped or raw.
        bad("a path with an escaped NUL", Run(&["--preset", "p/x.ron"]), Error(125, "contains a NUL byte")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", grants: [(path: \"/usr\\u{0}/x\", access: Read)])")]),
        bad("a path with a raw NUL", Run(&["--preset", "p/x.ron"]), Error(125, "contains a NUL byte")).with(&[Bytes("p/x.ron", b"(name: \"x\", description: \"d\", grants: [(path: \"/usr\0/x\", access: Read)])")]),
        // BUG (as for --allow above): a grant whose variable has an empty
        // default grants the working directory.
        bad("a grant that expands to nothing", Run(&["--preset", "p/x.ron"]), Error(125, "${NONO_BAD_INPUT_UNSET:-}")).with(&[File("p/x.ron", "(name: \"x\", description: \"d\", grants: [(path: \"${NONO_BAD_INPUT_UNSET:-}\", access: Allow)])")]).env(&[("NONO_BAD_INPUT_UNSET", None)]),
        bad("a file that is not UTF-8", Run(&["--preset", "p/x.ron"]), Error(125, "cannot read preset file p/x.ron: stream did not contain valid UTF-8")).with(&[Bytes("p/x.ron", b"(name: \"x\", description: \"\xff\")")]),
        bad("a huge file (16 MiB) with an error at its end", Run(&["--preset", "p/huge.ron"]), Error(125, "p/huge.ron: larger than 1024 KiB")).with(&[Huge("p/huge.ron", 16, "(name: \"x\", description: \"d\", frob: 1)")]),
        // BUG: a preset file is read whole (read_to_string), without a size
        // limit and without checking that it is a regular file: one that
        // never ends (a symlink to /dev/zero, whose NUL bytes are valid
        // UTF-8) makes nono allocate until memory runs out. Run here under
        // a 512 MiB address-space limit, it fails after 256 MiB with "out
        // of memory"; unlimited, it grows until the OOM killer steps in.
        bad("a file that never ends (/dev/zero)", Run(&["--preset", "p/zero.ron"]), Error(125, "p/zero.ron")).with(&[Symlink("p/zero.ron", "/dev/zero")]).limit_memory().deadline(20).unlike("out of memory"),
        // BUG: the same, for a FIFO: nono waits forever in open(2) for a
        // writer.
        bad("a FIFO named x.ron", Run(&["--preset", "p/fifo.ron"]), Error(125, "p/fifo.ron")).with(&[Fifo("p/fifo.ron")]).deadline(5),
        bad("a directory named x.ron", Run(&["--preset", "p/dir.ron"]), Error(125, "cannot read preset file p/dir.ron: is a directory")).with(&[Dir("p/dir.ron")]),
        // An unreadable file cannot be made for root; a path under a
        // regular file cannot be read by anyone.
        bad("a path under a regular file", Run(&["--preset", "p/file.ron/x.ron"]), Error(125, "cannot read preset file p/file.ron/x.ron: Not a directory")).with(&[File("p/file.ron", GOOD_RON)]),
        bad("a missing file", Run(&["--preset", "p/missing.ron"]), Error(125, "cannot read preset file p/missing.ron: No such file")),
        bad("an empty preset name", Run(&["--preset", ""]), Error(125, "invalid preset name ''")),
        bad("an upper-case preset name", Run(&["--preset", "Rust"]), Error(125, "invalid preset name 'Rust'")),
        bad("an unknown preset name", Run(&["--preset", "nosuch"]), Error(125, "unknown preset 'nosuch'")),
        bad("a user file defining another preset", Run(&["--preset", "mine"]), Error(125, "defines preset 'other', but its file name makes it 'mine'")).with(&[File("home/.config/nono/presets/mine.ron", "(name: \"other\", description: \"d\")")]),
        bad("a user file with a syntax error", Run(&["--preset", "mine"]), Error(125, "home/.config/nono/presets/mine.ron:1:")).with(&[File("home/.config/nono/presets/mine.ron", "(name: \"mine\"")]),
        bad("presets show of a bad file", Raw(&["presets", "show", "p/x.ron"]), Error(125, "p/x.ron:1:")).with(&[File("p/x.ron", "(name: \"x\"")]),
        // Twins: a good file by path, a good user file by name.
        bad("twin: a good preset file", Run(&["--preset", "p/good.ron"]), Runs).with(&[File("p/good.ron", GOOD_RON)]),
        bad("twin: a good user preset", Run(&["--preset", "good"]), Runs).with(&[File("home/.config/nono/presets/good.ron", GOOD_RON)]),
    ]
}

#[test]
fn bad_preset_files_are_one_clear_error() {
    run_table(&preset_cases(), "presets");
}

// ---------------------------------------------------------------------------
// Plugins.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
pub(super) fn plugin_cases() -> Vec<Bad> {
    vec![
        bad("a plugin that is nowhere", Run(&["--preset", "nosuch/files"]), Error(125, "--preset nosuch/files: no plugin 'nosuch'")),
        bad("--plugin of a missing file", Run(&["--plugin", "{S}/gone/libgone.so", "--preset", "gone/files"]), Error(125, "plugin gone ({S}/gone/libgone.so): cannot examine")),
        bad("--plugin of a file not named libNAME.so", Run(&["--plugin", "{S}/plugins/good.so", "--preset", "good/files"]), Error(125, "--plugin {S}/plugins/good.so: a plugin file must be named libNAME.so")).with(&[Plugin("plugins/good.so")]),
        bad("--plugin of a non-UTF-8 file name", Run(&["--plugin", "{S}/plugins/lib{FF}.so", "--preset", "good/files"]), Error(125, "a plugin file must be named libNAME.so")).with(&[Plugin("plugins/libgood.so")]),
        bad("--plugin without its value", Run(&["--plugin"]), Error(125, "--plugin")),
        bad("--plugin of a directory", Run(&["--plugin", "{S}/plugins/libdir.so", "--preset", "dir/files"]), Error(125, "plugin dir ({S}/plugins/libdir.so): {S}/plugins/libdir.so is not a regular file")).with(&[Dir("plugins/libdir.so")]),
        bad("--plugin of a FIFO", Run(&["--plugin", "{S}/plugins/libfifo.so", "--preset", "fifo/files"]), Error(125, "{S}/plugins/libfifo.so is not a regular file")).with(&[Fifo("plugins/libfifo.so"), Mode("plugins/libfifo.so", 0o644)]).deadline(10),
        bad("--plugin of a text file", Run(&["--plugin", "{S}/plugins/libtext.so", "--preset", "text/files"]), Error(125, "plugin text ({S}/plugins/libtext.so): cannot load it")).with(&[File("plugins/libtext.so", "not a shared library\n")]),
        bad("--plugin of a truncated ELF file", Run(&["--plugin", "{S}/plugins/libtrunc.so", "--preset", "trunc/files"]), Error(125, "plugin trunc ({S}/plugins/libtrunc.so): cannot load it")).with(&[Bytes("plugins/libtrunc.so", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0")]),
        bad("--plugin of a world-writable file", Run(&["--plugin", "{S}/plugins/libgood.so", "--preset", "good/files"]), Error(125, "is group- and world-writable (mode 0666)")).with(&[Plugin("plugins/libgood.so"), Mode("plugins/libgood.so", 0o666)]),
        bad("--plugin in a world-writable directory", Run(&["--plugin", "{S}/plugins/libgood.so", "--preset", "good/files"]), Error(125, "its directory {S}/plugins is world-writable")).with(&[Plugin("plugins/libgood.so"), Mode("plugins", 0o757)]),
        bad("--plugin of a symlink to /dev/zero", Run(&["--plugin", "{S}/plugins/libzero.so", "--preset", "zero/files"]), Error(125, "plugin zero ({S}/plugins/libzero.so): refused")).with(&[Symlink("plugins/libzero.so", "/dev/zero")]),
        bad("a preset the plugin does not have", Run(&["--plugin", "{S}/plugins/libgood.so", "--preset", "good/nosuch"]), Error(125, "has no preset 'nosuch' (it has: files)")).with(&[Plugin("plugins/libgood.so")]),
        bad("a malformed plugin preset reference", Run(&["--plugin", "{S}/plugins/libgood.so", "--preset", "Good/files"]), Error(125, "invalid preset name 'Good/files'")).with(&[Plugin("plugins/libgood.so")]),
        bad("presets list with a broken --plugin", Raw(&["presets", "list", "--plugin", "{S}/plugins/libtext.so"]), Error(125, "plugin text ({S}/plugins/libtext.so)")).with(&[File("plugins/libtext.so", "not a shared library\n")]),
        // Twins: the good plugin by --plugin and by NONO_PLUGIN_PATH.
        bad("twin: a good --plugin", Run(&["--plugin", "{S}/plugins/libgood.so", "--preset", "good/files"]), Runs).with(&[Plugin("plugins/libgood.so")]),
        bad("twin: a good plugin in NONO_PLUGIN_PATH", Run(&["--preset", "good/files"]), Runs).with(&[Plugin("plugins/libgood.so")]).env(&[("NONO_PLUGIN_PATH", Some("{S}/plugins"))]),
    ]
}

#[test]
fn bad_plugins_are_one_clear_error() {
    run_table(&plugin_cases(), "plugins");
}

// ---------------------------------------------------------------------------
// The environment.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
pub(super) fn environment_cases() -> Vec<Bad> {
    vec![
        bad("HOME unset with a ~ grant", Run(&["--read", "~/notes.txt"]), Error(125, "--read: ~/notes.txt: `~` used but HOME is not set")).env(&[("HOME", None)]),
        bad("HOME empty with a ~ grant", Run(&["--read", "~"]), Error(125, "--read: ~: `~` used but HOME is not set")).env(&[("HOME", Some(""))]),
        bad("HOME a file with a ~ grant", Run(&["--read", "~/notes.txt"]), Error(125, "--read: ~/notes.txt: Not a directory")).with(&[File("homefile", "")]).env(&[("HOME", Some("{S}/homefile"))]),
        // Decided: a user preset directory that cannot be read is an error
        // naming the file nono tried (every run looks for a user `base`
        // first), not silently skipped: it could hold a preset that
        // shadows a built-in.
        bad("XDG_CONFIG_HOME pointing at a file", Run(&[]), Error(125, "cannot read preset file {S}/xdgfile/nono/presets/base.ron: Not a directory")).with(&[File("xdgfile", "")]).env(&[("XDG_CONFIG_HOME", Some("{S}/xdgfile"))]),
        // Decided: NONO_PLUGIN_PATH names directories to search, and only
        // absolute ones. Empty entries are skipped (in PATH they would mean
        // the working directory); a directory that does not exist holds no
        // plugin and is listed where nono looked.
        bad("NONO_PLUGIN_PATH with only empty entries", Run(&["--preset", "good/files"]), Error(125, "no plugin 'good'")).with(&[Plugin("libgood.so")]).env(&[("NONO_PLUGIN_PATH", Some("::"))]),
        bad("NONO_PLUGIN_PATH with a directory that does not exist", Run(&["--preset", "good/files"]), Error(125, "looked for libgood.so in {S}/nowhere ($NONO_PLUGIN_PATH)")).env(&[("NONO_PLUGIN_PATH", Some("{S}/nowhere"))]),
        // BUG: a relative entry is searched relative to the working
        // directory, so a project nono runs in can plant a plugin that
        // shadows the user's and widens the sandbox (its presets are only
        // validated). Relative XDG_CONFIG_HOME is ignored for this reason
        // (discovery::config_dir); NONO_PLUGIN_PATH should be too.
        bad("NONO_PLUGIN_PATH with a relative entry", Run(&["--preset", "good/files"]), Error(125, "no plugin 'good'")).with(&[Plugin("plugins/libgood.so")]).env(&[("NONO_PLUGIN_PATH", Some("plugins"))]),
        // Decided: every plugin directory is denied to the sandbox, as a
        // path the compiler expands; one whose name holds a '$' cannot be
        // written literally, so it is refused rather than left writable.
        bad("NONO_PLUGIN_PATH with a '$' in a directory name", Run(&[]), Error(125, "$NONO_PLUGIN_PATH: {S}/a$HOME: nono cannot keep this plugin directory from the sandbox")).env(&[("NONO_PLUGIN_PATH", Some("{S}/a$HOME"))]),
        bad("PATH empty", Run(&[]), Error(127, "touch: command not found in PATH")).env(&[("PATH", Some(""))]),
        bad("PATH without the command", Run(&[]), Error(127, "touch: command not found in PATH")).env(&[("PATH", Some("{S}/out"))]),
        // Decided (XDG specification): a relative XDG_CONFIG_HOME is
        // ignored, and ~/.config used.
        bad("XDG_CONFIG_HOME relative is ignored", Run(&["--preset", "good"]), Runs).with(&[File("home/.config/nono/presets/good.ron", GOOD_RON)]).env(&[("XDG_CONFIG_HOME", Some("relative"))]),
        // Twins: HOME set, PATH unset (nono's default search path).
        bad("twin: HOME set with a ~ grant", Run(&["--read", "~/notes.txt"]), Runs).with(&[File("home/notes.txt", "notes\n")]),
        bad("twin: PATH unset", Run(&[]), Runs).env(&[("PATH", None)]),
    ]
}

#[test]
fn a_bad_environment_is_one_clear_error() {
    run_table(&environment_cases(), "environment");
}
