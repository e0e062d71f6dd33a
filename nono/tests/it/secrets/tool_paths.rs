//! The built-in sensitive paths follow where each tool really looks.
//!
//! - gcloud ignores `$XDG_CONFIG_HOME`: `~/.config/gcloud` stays carved
//!   whatever that variable says (and `$XDG_CONFIG_HOME/gcloud` is an
//!   ordinary directory), `$CLOUDSDK_CONFIG` moves it;
//! - every variable a tool reads its credentials' place from
//!   (`GNUPGHOME`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`,
//!   `AZURE_CONFIG_DIR`, `CLOUDSDK_CONFIG`, `DOCKER_CONFIG`, `NETRC`,
//!   `NPM_CONFIG_USERCONFIG`, `npm_config_userconfig`, `GH_CONFIG_DIR`,
//!   `PASSWORD_STORE_DIR`, `CARGO_HOME`, `XDG_CONFIG_HOME` for git and gh,
//!   `XDG_DATA_HOME`, and every file of the list `KUBECONFIG`) makes that
//!   place denied under a grant that covers it; twin: the same file,
//!   without the variable, is an ordinary file and is read;
//! - the default place stays denied while the variable points elsewhere;
//! - the account's home from the password database (here a copy of
//!   `/etc/passwd` bound over it in a private mount namespace, so that
//!   root's home is a scratch directory): its secrets are denied when
//!   `HOME` is unset (ssh, GnuPG and Python fall back to it) and when
//!   `HOME` is another directory (ssh reads `~/.ssh` there whatever `HOME`
//!   says); twin: with the real password database the same files are
//!   ordinary ones.

use crate::common::{Outcome, SECRET_MARKER, Scratch, assert_no_secret, run_args, text};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `nono run --allow {S} -- cat PATH` from the scratch directory, with the
/// fake home, `XDG_*` and `CARGO_HOME` as the test sets them in `vars`.
fn cat(s: &Scratch, vars: &[(&str, &str)], path: &Path) -> Outcome {
    let mut cmd = s.nono_home();
    cmd.env_remove("XDG_CONFIG_HOME").envs(vars.iter().copied());
    Outcome::of(cmd.args(run_args(
        ["--allow", text(&s.path()), "--allow", "~"],
        ["cat", text(path)],
    )))
}

#[track_caller]
fn expect_denied(out: &Outcome) {
    out.expect_code(1).expect_stderr("Permission denied");
    assert_no_secret(out);
}

#[track_caller]
fn expect_read(out: &Outcome) {
    out.expect_ok().expect_stdout(SECRET_MARKER);
}

#[test]
fn gcloud_config_is_carved_whatever_xdg_config_home_says() {
    let s = Scratch::new();
    let adc = s.write(
        "home/.config/gcloud/application_default_credentials.json",
        &format!("{SECRET_MARKER} gcloud\n"),
    );
    let xdg = s.mkdir("xdg");
    let in_xdg = s.write(
        "xdg/gcloud/credentials.db",
        &format!("{SECRET_MARKER} xdg\n"),
    );
    for vars in [vec![], vec![("XDG_CONFIG_HOME", text(&xdg))]] {
        expect_denied(&cat(&s, &vars, &adc));
    }
    // gcloud never reads $XDG_CONFIG_HOME/gcloud: an ordinary directory.
    expect_read(&cat(&s, &[("XDG_CONFIG_HOME", text(&xdg))], &in_xdg));
    // $CLOUDSDK_CONFIG moves it, and ~/.config/gcloud stays denied.
    let moved = s.mkdir("gc");
    let in_moved = s.write("gc/credentials.db", &format!("{SECRET_MARKER} moved\n"));
    let vars = [("CLOUDSDK_CONFIG", text(&moved))];
    expect_denied(&cat(&s, &vars, &in_moved));
    expect_denied(&cat(&s, &vars, &adc));
    // Twin: without CLOUDSDK_CONFIG, gc/ is an ordinary directory.
    expect_read(&cat(&s, &[], &in_moved));
}

/// One variable and the files it makes sensitive, relative to the scratch
/// directory; `{S}` in the value stands for the scratch directory.
struct Place {
    var: &'static str,
    value: &'static str,
    files: &'static [&'static str],
}

const PLACES: [Place; 16] = [
    Place {
        var: "GNUPGHOME",
        value: "{S}/gnupg",
        files: &["gnupg/private-keys-v1.d/k.key"],
    },
    Place {
        var: "AWS_SHARED_CREDENTIALS_FILE",
        value: "{S}/aws-credentials",
        files: &["aws-credentials"],
    },
    Place {
        var: "AWS_CONFIG_FILE",
        value: "{S}/aws-config",
        files: &["aws-config"],
    },
    Place {
        var: "AZURE_CONFIG_DIR",
        value: "{S}/azure",
        files: &["azure/msal_token_cache.json"],
    },
    Place {
        var: "CLOUDSDK_CONFIG",
        value: "{S}/gcloud",
        files: &["gcloud/credentials.db"],
    },
    Place {
        var: "DOCKER_CONFIG",
        value: "{S}/docker",
        files: &["docker/config.json"],
    },
    Place {
        var: "NETRC",
        value: "{S}/netrc",
        files: &["netrc"],
    },
    Place {
        var: "NPM_CONFIG_USERCONFIG",
        value: "{S}/npmrc",
        files: &["npmrc"],
    },
    Place {
        var: "npm_config_userconfig",
        value: "{S}/npmrc2",
        files: &["npmrc2"],
    },
    Place {
        var: "GH_CONFIG_DIR",
        value: "{S}/gh",
        files: &["gh/hosts.yml"],
    },
    Place {
        var: "PASSWORD_STORE_DIR",
        value: "{S}/pass",
        files: &["pass/bank.gpg"],
    },
    Place {
        var: "CARGO_HOME",
        value: "{S}/cargo",
        files: &["cargo/credentials.toml", "cargo/credentials"],
    },
    Place {
        var: "XDG_CONFIG_HOME",
        value: "{S}/config",
        files: &["config/git/credentials", "config/gh/hosts.yml"],
    },
    Place {
        var: "XDG_DATA_HOME",
        value: "{S}/data",
        files: &["data/keyrings/login.keyring"],
    },
    Place {
        var: "KUBECONFIG",
        value: "{S}/kube-a.yaml:{S}/kube/b.yaml",
        files: &["kube-a.yaml", "kube/b.yaml"],
    },
    Place {
        var: "KUBECONFIG",
        value: "{S}/kube-c.yaml",
        files: &["kube-c.yaml"],
    },
];

#[test]
fn each_tools_variable_moves_its_sensitive_path() {
    let s = Scratch::new();
    let root = s.path();
    for place in &PLACES {
        let value = place.value.replace("{S}", text(&root));
        for rel in place.files {
            let file = s.write(rel, &format!("{SECRET_MARKER} {rel}\n"));
            let out = cat(&s, &[(place.var, &value)], &file);
            assert!(
                out.code == Some(1) && out.stderr.contains("Permission denied"),
                "{}={value}: {rel} was not denied: {out:#?}",
                place.var
            );
            assert_no_secret(&out);
            // Twin: without the variable, an ordinary file.
            expect_read(&cat(&s, &[], &file));
        }
    }
    // `nono why` and the dry run name the list variable as the source.
    let out = Outcome::of(
        s.nono_home()
            .env(
                "KUBECONFIG",
                format!("{0}/kube-a.yaml:{0}/kube/b.yaml", text(&root)),
            )
            .args(["run", "--dry-run", "--allow", ".", "--", "true"]),
    );
    out.expect_ok().expect_stdout(&format!(
        "Carved: {}/kube-a.yaml out of {} (built-in sensitive paths in $KUBECONFIG)",
        text(&root),
        text(&root)
    ));
}

#[test]
fn the_default_place_stays_denied_while_a_variable_points_elsewhere() {
    let s = Scratch::new();
    let elsewhere = s.mkdir("elsewhere");
    for (var, default) in [
        ("GNUPGHOME", "home/.gnupg/private-keys-v1.d/k.key"),
        ("DOCKER_CONFIG", "home/.docker/config.json"),
        ("AZURE_CONFIG_DIR", "home/.azure/msal_token_cache.json"),
        ("CARGO_HOME", "home/.cargo/credentials.toml"),
        ("GH_CONFIG_DIR", "home/.config/gh/hosts.yml"),
        ("XDG_CONFIG_HOME", "home/.config/git/credentials"),
        ("XDG_DATA_HOME", "home/.local/share/keyrings/login.keyring"),
        ("PASSWORD_STORE_DIR", "home/.password-store/bank.gpg"),
        ("NETRC", "home/.netrc"),
        ("KUBECONFIG", "home/.kube/config"),
    ] {
        let file = s.write(default, &format!("{SECRET_MARKER} {default}\n"));
        let out = cat(&s, &[(var, text(&elsewhere))], &file);
        assert!(
            out.code == Some(1) && out.stderr.contains("Permission denied"),
            "{var} set elsewhere: {default} was not denied: {out:#?}"
        );
        assert_no_secret(&out);
    }
    // Twin: an ordinary file beside them is read under the same grants.
    let ordinary = s.write(
        "home/.config/app/settings",
        &format!("{SECRET_MARKER} app\n"),
    );
    expect_read(&cat(
        &s,
        &[("XDG_CONFIG_HOME", text(&elsewhere))],
        &ordinary,
    ));
}

/// A copy of `/etc/passwd` in which root's home is `home`.
fn passwd_with_root_home(s: &Scratch, home: &Path) -> PathBuf {
    let real = std::fs::read_to_string("/etc/passwd").unwrap();
    let mut found = false;
    let copy: String = real
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split(':').collect();
            if fields.len() == 7 && fields[2] == "0" {
                found = true;
                fields[5] = text(home);
            }
            format!("{}\n", fields.join(":"))
        })
        .collect();
    assert!(found, "no uid 0 in /etc/passwd");
    s.write("passwd", &copy)
}

/// `nono run --allow {S} -- cat PATH` in a private mount namespace where
/// `passwd` is bound over `/etc/passwd` (none when `passwd` is `None`),
/// with `HOME` set to `home` or unset.
fn cat_as_account(s: &Scratch, passwd: Option<&Path>, home: Option<&Path>, path: &Path) -> Outcome {
    let mut cmd = Command::new("unshare");
    cmd.current_dir(s.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("CARGO_HOME")
        .env("XDG_CACHE_HOME", s.cache_home())
        .args([
            "--mount",
            "sh",
            "-c",
            "if [ -n \"$1\" ]; then mount --bind \"$1\" /etc/passwd || exit 99; fi; shift; exec \"$@\"",
            "sh",
        ])
        .arg(passwd.map_or(String::new(), |p| text(p).to_owned()))
        .arg(crate::common::NONO)
        .args(run_args(["--allow", text(&s.path())], ["cat", text(path)]));
    match home {
        Some(home) => cmd.env("HOME", home),
        None => cmd.env_remove("HOME"),
    };
    let out = Outcome::of(&mut cmd);
    assert_ne!(out.code, Some(99), "cannot bind the passwd copy: {out:#?}");
    out
}

#[test]
fn the_accounts_home_is_protected_whatever_home_says() {
    let s = Scratch::new();
    let account = s.mkdir("account");
    let key = s.write("account/.ssh/id_ed25519", &format!("{SECRET_MARKER} ssh\n"));
    let aws = s.write(
        "account/.aws/credentials",
        &format!("{SECRET_MARKER} aws\n"),
    );
    let notes = s.write("account/notes.txt", &format!("{SECRET_MARKER} notes\n"));
    let passwd = passwd_with_root_home(&s, &account);
    let fake_home = s.home();
    for home in [None, Some(fake_home.as_path())] {
        for secret in [&key, &aws] {
            let out = cat_as_account(&s, Some(&passwd), home, secret);
            assert!(
                out.code == Some(1) && out.stderr.contains("Permission denied"),
                "HOME={home:?}: {} was not denied: {out:#?}",
                secret.display()
            );
            assert_no_secret(&out);
        }
        // Twin: an ordinary file of the account's home is read.
        expect_read(&cat_as_account(&s, Some(&passwd), home, &notes));
    }
    // Twin: with the real password database (root's home elsewhere), the
    // same files are ordinary ones.
    expect_read(&cat_as_account(&s, None, Some(&fake_home), &key));
}
