//! Colour, man pages and completions.

use super::*;

/// Runs `nono ARGS` with its standard streams on a new pseudo-terminal,
/// through python's pty module, and returns what the terminal received.
fn on_a_terminal(s: &Scratch, env: &[(&str, &str)], args: &[&str]) -> String {
    let relay = r#"
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave)
os.close(slave)
out = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
p.wait()
sys.stdout.write(out.decode("utf-8", "replace"))
"#;
    let mut relay_cmd = Command::new(crate::common::PYTHON);
    relay_cmd
        .args(["-c", relay, crate::common::NONO])
        .args(args);
    copy_env(&s.nono(), &mut relay_cmd);
    relay_cmd.current_dir(s.path()).env_remove("NO_COLOR");
    for (k, v) in env {
        relay_cmd.env(k, v);
    }
    let out = Outcome::of(&mut relay_cmd);
    out.expect_ok();
    out.stdout
}

#[test]
fn trace_output_is_coloured_only_on_a_terminal() {
    let s = Scratch::new();
    let args = ["run", "-vv", "--allow", ".", "--", "true"];
    // A pipe: no escape sequence, and the status line as the contract says.
    let out = Outcome::of(s.nono().env_remove("NO_COLOR").args(args));
    out.expect_ok()
        .expect_stderr("DEBUG")
        .expect_stderr("\nSandbox status: FullyEnforced\n");
    assert!(!out.stderr.contains('\u{1b}'), "{out:#?}");
    // The twin: on a terminal, colours.
    let tty = on_a_terminal(&s, &[], &args);
    assert!(tty.contains("\u{1b}["), "{tty:?}");
    assert!(tty.contains("Sandbox status: FullyEnforced"), "{tty:?}");
    // NO_COLOR wins over the terminal.
    let tty = on_a_terminal(&s, &[("NO_COLOR", "1")], &args);
    assert!(tty.contains("DEBUG") && !tty.contains('\u{1b}'), "{tty:?}");
    assert!(tty.contains("Sandbox status: FullyEnforced"), "{tty:?}");
}

// ---------------------------------------------------------------- man, completions

/// Every visible long flag of `cmd`, as roff writes it (`\-\-allow`).
fn long_flags(cmd: &clap::Command) -> Vec<String> {
    cmd.get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .map(|l| format!("\\-\\-{}", l.replace('-', "\\-")))
        .collect()
}

#[test]
fn man_pages_for_every_subcommand_with_every_flag_exit_status_and_examples() {
    use clap::CommandFactory;
    let s = Scratch::new();
    let mut top = nono::cli::Cli::command();
    top.build();
    let top_page = s.run(["man"]);
    top_page.expect_ok();
    assert!(top_page.stdout.contains("\n.TH nono 1 "), "{top_page:#?}");
    let pages: Vec<&str> = top
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(clap::Command::get_name)
        .collect();
    assert_eq!(
        pages,
        ["run", "check", "why", "completions", "man", "presets"]
    );
    let out_dir = s.mkdir("man1");
    for name in &pages {
        // The top page lists it.
        top_page.expect_stdout(&format!("nono\\-{name}(1)"));
        let out = s.run(["man", name]);
        out.expect_ok();
        assert!(out.stderr.is_empty(), "{out:#?}");
        let page = &out.stdout;
        assert!(
            page.contains(&format!("\n.TH nono-{name} 1 ")),
            "{name}: {page}"
        );
        let sub = top.find_subcommand(name).unwrap();
        let mut flags = long_flags(sub);
        for child in sub.get_subcommands() {
            flags.extend(long_flags(child));
        }
        for flag in flags {
            assert!(page.contains(&flag), "nono man {name} lacks {flag}");
        }
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
        assert!(page.contains(".SH \"SEE ALSO\""), "{name}");
        std::fs::write(out_dir.join(format!("nono-{name}.1")), page).unwrap();
    }
    let run = s.run(["man", "run"]);
    for needle in [
        ".SH EXAMPLES",
        "nono run \\-\\-preset rust \\-\\-allow . \\-\\- cargo build",
        ".SH GRANTS",
        ".SH \"NETWORK AND IPC\"",
        "NONO_SANDBOX",
        "125",
        "126",
        "127",
    ] {
        run.expect_stdout(needle);
    }
    let why = s.run(["man", "why"]);
    why.expect_stdout(".SH EXAMPLES")
        .expect_stdout("the operation would be denied");
    // The twin: no page for what is not a subcommand.
    s.run(["man", "frob"]).expect_nono_error("'frob'");

    // The real man(1) formats every page without a warning, where it is
    // installed.
    if which("man").is_none() {
        eprintln!("man(1) not installed: formatting not checked");
        return;
    }
    for name in &pages {
        let file = out_dir.join(format!("nono-{name}.1"));
        let out = Outcome::of(
            Command::new("man")
                .args(["-l", "--warnings", text(&file)])
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "80"),
        );
        out.expect_ok();
        assert!(out.stdout.contains("EXIT STATUS"), "{name}: {out:#?}");
        assert!(out.stderr.trim().is_empty(), "{name}: {out:#?}");
    }
}

#[test]
fn completions_offer_the_builtin_presets() {
    let s = Scratch::new();
    let names = [
        "base", "tmp", "rust", "python", "node", "go", "git", "shell",
    ];
    let dir = s.mkdir("completions");
    for shell in ["bash", "zsh", "fish"] {
        let out = s.run(["completions", shell]);
        out.expect_ok();
        for name in names {
            out.expect_stdout(name);
        }
        std::fs::write(dir.join(shell), &out.stdout).unwrap();
    }
    // fish and zsh show each preset's description.
    let fish = std::fs::read_to_string(dir.join("fish")).unwrap();
    assert!(
        fish.contains("shell\\t'Shells: the startup files"),
        "{fish}"
    );

    // The real bash completes them (and subcommand names for `nono man`).
    let complete = |words: &[&str]| -> String {
        let script = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; _nono nono \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[*]}}\"",
            text(&dir.join("bash")),
            words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            words.len() - 1
        );
        let out = Outcome::of(Command::new("bash").args(["--norc", "-c", &script]));
        out.expect_ok();
        out.stdout.trim().to_owned()
    };
    assert_eq!(complete(&["nono", "run", "--preset", "r"]), "rust");
    assert_eq!(complete(&["nono", "run", "-p", "s"]), "shell");
    assert_eq!(complete(&["nono", "presets", "show", "g"]), "go git");
    assert_eq!(complete(&["nono", "why", "--preset", "py"]), "python");
    // The twin: another flag's value completes no preset.
    assert!(!complete(&["nono", "run", "--env", "r"]).contains("rust"));
}

// ---------------------------------------------------------------- the agent recipe's limits
