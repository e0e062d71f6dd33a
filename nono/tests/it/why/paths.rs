//! `why` and the kernel on paths: secrets, ordinary files, levels, nested
//! grants, `--deny`, `--expose`, symlinks.

use super::*;
use std::path::Path;

#[test]
fn why_agrees_with_the_kernel_on_paths() {
    let s = Scratch::new();
    let home = s.fake_home();
    let h = |rel: &str| home.join(rel);
    s.write("home/proj/private/key.pem", "NONO-FAKE-SECRET pem\n");
    // Symlinks: into a secret directory, to an ordinary file above, to a
    // secret, and out of the home.
    let link = |at: &str, to: &Path| std::os::unix::fs::symlink(to, h(at)).unwrap();
    link("link-ssh", Path::new(".ssh"));
    link("proj/notes-link", Path::new("../notes.txt"));
    link("proj/key-link", Path::new("../.ssh/id_ed25519"));
    link("proj/out-link", &s.join("outside/file.txt"));
    let outside = s.join("outside");

    let home_allow = ["--allow", "~"];
    let mut cases = vec![
        // The `secrets` module's cases under --allow ~.
        case(&home_allow, h(".ssh/id_ed25519"), "read", false),
        case(&home_allow, h(".aws/credentials"), "read", false),
        case(&home_allow, h(".netrc"), "read", false),
        case(&home_allow, h(".docker/config.json"), "read", false),
        case(&home_allow, h(".cargo/credentials.toml"), "read", false),
        case(
            &home_allow,
            h(".local/share/keyrings/login.keyring"),
            "read",
            false,
        ),
        case(&home_allow, h("notes.txt"), "read", true),
        case(&home_allow, h(".docker/daemon.json"), "read", true),
        case(&home_allow, h(".config/app/settings.toml"), "read", true),
        // Missing: judged inside its parent.
        case(&home_allow, h(".ssh/authorized_keys"), "write", false),
        case(&home_allow, h("proj/authorized_keys"), "write", true),
        case(&home_allow, h("proj/readme.txt"), "write", true),
        case(&home_allow, h("proj/sub/deep.txt"), "write", true),
        case(&home_allow, h("proj"), "write", true),
        case(&home_allow, h(".ssh/id_ed25519"), "write", false),
        // Listing: a carved or denied directory lists; so do those below.
        case(&home_allow, h(".ssh"), "read", true),
        case(&home_allow, h(".aws/sso/cache"), "read", true),
        case(&home_allow, home.clone(), "read", true),
        // The carved home itself: existing files keep their rule, nothing
        // new can be created.
        case(&home_allow, h("notes.txt"), "write", true),
        case(&home_allow, h("new.txt"), "write", false),
        case(&home_allow, home.clone(), "write", false),
        // Scripts.
        case(&home_allow, h("proj/run.sh"), "execute", true),
        case(&home_allow, h("tool.sh"), "execute", true),
        case(&home_allow, h(".ssh/hook.sh"), "execute", false),
        // Symlinks.
        case(&home_allow, h("link-ssh/id_ed25519"), "read", false),
        case(&home_allow, h("link-ssh"), "read", true),
        case(&home_allow, h("proj/notes-link"), "read", true),
        case(&home_allow, h("proj/key-link"), "read", false),
        case(&home_allow, h("proj/key-link"), "write", false),
        case(&home_allow, h("proj/out-link"), "read", false),
        case(
            &["--allow", "~", "--read", text(&outside)],
            h("proj/out-link"),
            "read",
            true,
        ),
        case(&["--allow", "~/proj"], h("proj/notes-link"), "read", false),
        case(&["--allow", "~/proj"], h("proj/readme.txt"), "read", true),
        // --read.
        case(&["--read", "~/proj"], h("proj/readme.txt"), "read", true),
        case(&["--read", "~/proj"], h("proj/readme.txt"), "write", false),
        case(&["--read", "~/proj"], h("proj/new.txt"), "write", false),
        case(&["--read", "~/proj"], h("proj/run.sh"), "execute", true),
        case(&["--read", "~/proj"], h("notes.txt"), "read", false),
        case(&["--read", "~"], h(".ssh/id_ed25519"), "read", false),
        case(&["--read", "~"], h("notes.txt"), "read", true),
        case(&["--read", "~"], h("notes.txt"), "write", false),
        // --write: no listing, no reading, no executing; creating works.
        case(&["--write", "~/proj"], h("proj/readme.txt"), "write", true),
        case(&["--write", "~/proj"], h("proj/new.txt"), "write", true),
        case(&["--write", "~/proj"], h("proj/readme.txt"), "read", false),
        case(&["--write", "~/proj"], h("proj"), "read", false),
        case(&["--write", "~/proj"], h("proj/run.sh"), "execute", false),
        // Nested grants.
        case(
            &["--read", "~", "--allow", "~/proj"],
            h("notes.txt"),
            "read",
            true,
        ),
        case(
            &["--read", "~", "--allow", "~/proj"],
            h("notes.txt"),
            "write",
            false,
        ),
        case(
            &["--read", "~", "--allow", "~/proj"],
            h("proj/readme.txt"),
            "write",
            true,
        ),
        case(
            &["--read", "~", "--allow", "~/proj"],
            h("proj/new.txt"),
            "write",
            true,
        ),
        case(
            &["--read", "~", "--allow", "~/proj"],
            h(".ssh/id_ed25519"),
            "read",
            false,
        ),
        case(
            &["--read", "~", "--write", "~/proj"],
            h("proj/readme.txt"),
            "read",
            true,
        ),
        case(
            &["--read", "~", "--write", "~/proj"],
            h("proj/readme.txt"),
            "write",
            true,
        ),
        case(
            &["--read", "~/proj", "--allow", "~/proj/sub"],
            h("proj/sub/deep.txt"),
            "write",
            true,
        ),
        case(
            &["--read", "~/proj", "--allow", "~/proj/sub"],
            h("proj/readme.txt"),
            "write",
            false,
        ),
        // --deny.
        case(
            &["--allow", "~", "--deny", "~/proj/private"],
            h("proj/private/key.pem"),
            "read",
            false,
        ),
        case(
            &["--allow", "~", "--deny", "~/proj/private"],
            h("proj/private/new"),
            "write",
            false,
        ),
        case(
            &["--allow", "~", "--deny", "~/proj/private"],
            h("proj/private"),
            "read",
            true,
        ),
        case(
            &["--allow", "~", "--deny", "~/proj/private"],
            h("proj/readme.txt"),
            "read",
            true,
        ),
        case(
            &["--allow", "~", "--deny", "~/proj/private"],
            h("proj/new.txt"),
            "write",
            false,
        ),
        case(
            &["--allow", "~", "--deny", "~/proj/private"],
            h("proj/sub/new.txt"),
            "write",
            true,
        ),
        // --expose: Read on its own; under --allow ~ it is simply not carved.
        case(&["--expose", "~/.ssh"], h(".ssh/id_ed25519"), "read", true),
        case(
            &["--expose", "~/.ssh"],
            h(".ssh/authorized_keys"),
            "write",
            false,
        ),
        case(
            &["--expose", "~/.ssh"],
            h(".aws/credentials"),
            "read",
            false,
        ),
        case(
            &["--allow", "~", "--expose", "~/.ssh"],
            h(".ssh/id_ed25519"),
            "read",
            true,
        ),
        case(
            &["--allow", "~", "--expose", "~/.ssh"],
            h(".aws/credentials"),
            "read",
            false,
        ),
        // Nothing granted.
        case(&[], h("notes.txt"), "read", false),
        case(&[], h("proj/run.sh"), "execute", false),
    ];
    // The same probes below ABI 3 (no Truncate) and at ABI 1 (no Refer):
    // carving does not depend on the ABI.
    for abi in ["1", "3"] {
        for (path, op, expect) in [
            (h(".ssh/id_ed25519"), "read", false),
            (h("notes.txt"), "read", true),
            (h("proj/new.txt"), "write", true),
            (h("new.txt"), "write", false),
        ] {
            cases.push(case(&["--abi", abi, "--allow", "~"], path, op, expect));
        }
    }

    check_all(&s, &cases);
    // Nothing the probes were denied was left behind.
    assert_absent(&h(".ssh/authorized_keys"));
    assert_absent(&h("new.txt"));
}

/// Write-only grants on a directory that covers a sensitive path: the
/// carved directories keep no right at all (Write has no listing), and the
/// command must still run.
#[test]
fn why_agrees_with_the_kernel_under_a_write_only_home_grant() {
    let s = Scratch::new();
    let home = s.fake_home();
    let h = |rel: &str| home.join(rel);
    let cases = [
        case(&["--write", "~"], home.clone(), "read", false),
        case(&["--write", "~"], h(".ssh"), "read", false),
        case(&["--write", "~"], h(".ssh/authorized_keys"), "write", false),
        case(&["--write", "~"], h("new.txt"), "write", false),
        case(&["--write", "~"], h("proj/new.txt"), "write", true),
        case(&["--write", "~"], h("notes.txt"), "write", true),
        case(&["--write", "~"], h("notes.txt"), "read", false),
    ];
    check_all(&s, &cases);
    assert_absent(&h(".ssh/authorized_keys"));
    assert_absent(&h("new.txt"));
}
