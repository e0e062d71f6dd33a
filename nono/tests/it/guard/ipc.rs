//! System V IPC and kernel keyrings.

use super::*;

/// A key for this test's System V objects, unique to the test process and
/// `n`.
fn sysv_key(n: u32) -> String {
    format!(
        "{:#x}",
        0x6e6f_0000 | ((std::process::id() & 0xfff) << 4) | n
    )
}

/// The host's queue and segment under a key, removed on drop.
struct HostObjects<'a> {
    s: &'a Scratch,
    key: String,
}

impl<'a> HostObjects<'a> {
    fn create(s: &'a Scratch, n: u32) -> HostObjects<'a> {
        let key = sysv_key(n);
        outside(s, Who::Root, "sysv-clean", &[&key]).works();
        outside(s, Who::Root, "sysv-host", &[&key]).works();
        HostObjects { s, key }
    }

    fn messages(&self) -> Vec<String> {
        outside(self.s, Who::Root, "sysv-count", &[&self.key]).works()
    }
}

impl Drop for HostObjects<'_> {
    fn drop(&mut self) {
        let _ = outside(self.s, Who::Root, "sysv-clean", &[&self.key]);
    }
}

/// As root the command gets a private IPC namespace: the host's queue and
/// segment do not exist there (ENOENT), are not listed, and cannot be
/// written; the command has System V IPC of its own, and what it leaves
/// behind is gone after the run. The same with `--allow-sysv-ipc`. Twin:
/// unconfined, the probe reads both and lists the key.
#[test]
fn the_hosts_system_v_objects_are_out_of_reach_as_root() {
    let s = scratch();
    let host = HostObjects::create(&s, 1);
    let key = host.key.clone();
    let count = host.messages();
    for flags in [&[][..], &["--allow-sysv-ipc"][..]] {
        inside(&s, Who::Root, flags, "sysv-read", &[&key]).refused("ENOENT", "msgget");
        inside(&s, Who::Root, flags, "sysv-write", &[&key]).refused("ENOENT", "msgget");
        let listed = inside(&s, Who::Root, flags, "sysv-list", &[]).works();
        assert!(!listed[0].contains(&key), "{listed:?}");
        assert_eq!(
            inside(&s, Who::Root, flags, "sysv-own", &[]).works(),
            ["own-message own-segment"]
        );
        let left = sysv_key(2);
        inside(&s, Who::Root, flags, "sysv-leave", &[&left]).works();
        outside(&s, Who::Root, "sysv-count", &[&left]).refused("ENOENT", "msgget");
    }
    inside(&s, Who::Root, &["-v"], "sysv-own", &[])
        .expect_stderr("nono: System V IPC: a private IPC namespace: the command's own objects, none of the host's");
    assert_eq!(host.messages(), count, "the host's queue changed");
    assert_eq!(
        outside(&s, Who::Root, "sysv-read", &[&key]).works(),
        ["queue host-secret", "segment host-secret"]
    );
    assert!(outside(&s, Who::Root, "sysv-list", &[]).works()[0].contains(&key));
}

/// As another user, by default, System V IPC is refused (EPERM: no IPC
/// namespace without a user namespace, which nono makes only when asked).
/// With `--allow-sysv-ipc` it gets a private one in a new user namespace:
/// its own objects work, the host's do not exist there. Twin: unconfined,
/// the same user reads the host's (they are open to everyone).
#[test]
fn the_hosts_system_v_objects_are_out_of_reach_as_another_user() {
    let s = scratch();
    let host = HostObjects::create(&s, 3);
    let key = host.key.clone();
    let count = host.messages();
    inside(&s, Who::Nobody, &[], "sysv-read", &[&key]).refused("EPERM", "msgget");
    inside(&s, Who::Nobody, &[], "sysv-write", &[&key]).refused("EPERM", "msgget");
    inside(&s, Who::Nobody, &[], "sysv-list", &[]).refused("EPERM", "info");
    inside(&s, Who::Nobody, &[], "sysv-own", &[]).refused("EPERM", "msgget own");
    let flag = ["--allow-sysv-ipc"];
    inside(&s, Who::Nobody, &flag, "sysv-read", &[&key]).refused("ENOENT", "msgget");
    inside(&s, Who::Nobody, &flag, "sysv-write", &[&key]).refused("ENOENT", "msgget");
    assert_eq!(
        inside(&s, Who::Nobody, &flag, "sysv-own", &[]).works(),
        ["own-message own-segment"]
    );
    let verbose = inside(
        &s,
        Who::Nobody,
        &["-v", "--allow-sysv-ipc"],
        "sysv-own",
        &[],
    );
    verbose.expect_stderr("in a new user namespace");
    verbose.expect_no_stderr("WARNING");
    // The user namespace gave nono every capability inside it; the command,
    // executed as the same non-root user, has none left.
    assert_eq!(
        inside(&s, Who::Nobody, &flag, "caps", &[]).works(),
        ["0 0 0"]
    );
    assert_eq!(host.messages(), count, "the host's queue changed");
    assert_eq!(
        outside(&s, Who::Nobody, "sysv-read", &[&key]).works(),
        ["queue host-secret", "segment host-secret"]
    );
}

/// A wrapper that makes user namespaces unavailable to the command it runs
/// (as some hosts do): a seccomp filter refusing `unshare` and `clone`
/// with `CLONE_NEWUSER` (EPERM) and `clone3` (ENOSYS, so callers use
/// `clone`), then exec.
const NO_USERNS: &str = include_str!("../../fixtures/no_userns.py");

/// Where no user namespace can be made, `--allow-sysv-ipc` as another
/// user shares the host's IPC namespace, as the kernel allows it, and says
/// so with a WARNING line; without the flag it stays refused. The twin in
/// the same place: `unshare -U` fails there, so the wrapper is what takes
/// the user namespace away.
#[test]
fn allow_sysv_ipc_without_a_user_namespace_shares_the_hosts_with_a_warning() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: the wrapper's filter is written for x86_64");
        return;
    }
    let s = scratch();
    let host = HostObjects::create(&s, 4);
    let key = host.key.clone();
    let wrapped = |argv: Vec<String>| {
        let mut full = vec![
            PYTHON.to_owned(),
            "-I".to_owned(),
            "-c".to_owned(),
            NO_USERNS.to_owned(),
        ];
        full.extend(NOBODY.iter().map(|a| (*a).to_owned()));
        full.extend(argv);
        Outcome::of(&mut command(&s, Who::Root, &full))
    };
    let shared = wrapped(sandboxed(
        &["--allow-sysv-ipc"],
        probe("sysv-read", &[&key]),
    ));
    assert_eq!(shared.works(), ["queue host-secret", "segment host-secret"]);
    let warnings: Vec<&str> = shared
        .stderr
        .lines()
        .filter(|l| l.starts_with("nono: WARNING: --allow-sysv-ipc: no private IPC namespace here"))
        .collect();
    assert_eq!(warnings.len(), 1, "{shared:#?}");
    assert!(warnings[0].contains("the command can reach the host's System V IPC objects"));
    wrapped(sandboxed(&[], probe("sysv-read", &[&key]))).refused("EPERM", "msgget");
    let unshare = wrapped(vec![
        "unshare".to_owned(),
        "-U".to_owned(),
        "true".to_owned(),
    ]);
    assert_ne!(unshare.code, Some(0), "{unshare:#?}");
    let check = wrapped(vec![NONO.to_owned(), "check".to_owned()]);
    check
        .expect_ok()
        .expect_stdout("the host's with --allow-sysv-ipc (no namespace can be made here)");
    // Unwrapped, the same user gets its user namespace.
    let plain = Outcome::of(&mut command(
        &s,
        Who::Nobody,
        &["unshare".to_owned(), "-U".to_owned(), "true".to_owned()],
    ));
    plain.expect_ok();
}

/// A user key added outside, removed on drop.
struct HostKey<'a> {
    s: &'a Scratch,
    id: String,
    desc: String,
}

impl<'a> HostKey<'a> {
    fn add(s: &'a Scratch) -> HostKey<'a> {
        let desc = format!("nono-guard-test-{}", std::process::id());
        let id = outside(s, Who::Root, "key-add", &[&desc]).works().remove(0);
        HostKey { s, id, desc }
    }
}

impl Drop for HostKey<'_> {
    fn drop(&mut self) {
        let _ = outside(self.s, Who::Root, "key-unlink", &[&self.id]);
    }
}

/// A key added outside to the user keyring cannot be read or found, no key
/// can be added, and `request_key` (which can make the kernel run a helper
/// outside) is refused: EPERM, whatever the capabilities. Twins:
/// unconfined, the key is read and found, a key is added, and
/// `request_key` reaches the kernel (ENOKEY for a key nobody has).
#[test]
fn kernel_keyrings_are_refused() {
    let s = scratch();
    let key = HostKey::add(&s);
    let missing = format!("{}-missing", key.desc);
    for flags in [&[][..], &["--keep-caps"][..]] {
        inside(&s, Who::Root, flags, "key-read", &[&key.id]).refused("EPERM", "keyctl read");
        inside(&s, Who::Root, flags, "key-search", &[&key.desc]).refused("EPERM", "keyctl search");
        inside(&s, Who::Root, flags, "key-add-own", &[]).refused("EPERM", "add_key");
        inside(&s, Who::Root, flags, "key-request", &[&missing]).refused("EPERM", "request_key");
    }
    inside(&s, Who::Nobody, &[], "key-add-own", &[]).refused("EPERM", "add_key");
    assert_eq!(
        outside(&s, Who::Root, "key-read", &[&key.id]).works(),
        ["keyring-secret"]
    );
    assert_eq!(
        outside(&s, Who::Root, "key-search", &[&key.desc]).works(),
        [key.id.as_str()]
    );
    outside(&s, Who::Root, "key-add-own", &[]).works();
    outside(&s, Who::Nobody, "key-add-own", &[]).works();
    outside(&s, Who::Root, "key-request", &[&missing]).refused("ENOKEY", "request_key");
}

// ---------------------------------------------------------------------------
// 4. setuid and setgid files.
// ---------------------------------------------------------------------------
