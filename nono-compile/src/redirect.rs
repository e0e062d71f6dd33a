//! Redirection: a grant that does not come from the user does not follow a
//! symbolic link an earlier sandbox may have planted.
//!
//! A preset's grant (or a built-in one) names its path through the
//! environment (`$TMPDIR`, `$CARGO_TARGET_DIR`, `~/.cargo`), and such paths
//! often lie inside what an earlier run could write: the project, the home,
//! the temporary directories. A command confined by that earlier run could
//! replace the directory with a symlink to `/etc` or `/`, and the next run's
//! grant would follow it. So every symlink met while resolving such a grant
//! is judged by where it sits; a user's own `--read`, `--write`, `--allow`
//! (and `--expose`, `--allow-unix`) follows symlinks as it always did: the
//! user typed it.
//!
//! # The rule
//!
//! A link is **trusted** when all of these hold:
//!
//! 1. the directory it sits in, and every directory above that one up to
//!    `/`, is owned by root and not writable by group or others (so no user
//!    but root, and no sandbox of a user, could have put it there, nor
//!    renamed a directory on its way);
//! 2. when nono runs as root: that directory is not at or below a place
//!    where a run usually writes: `$HOME`, the account's home, `$TMPDIR`,
//!    `/tmp`, `/var/tmp`, `/dev/shm`, the working directory, nor a path a
//!    preset of this run makes writable (`/` itself is never such a place:
//!    it would distrust `/bin`);
//! 3. the link itself is owned by root.
//!
//! Rule 1 is the whole answer for a user who is not root: their sandboxes
//! cannot write where only root can. Rule 2 is for root, whose earlier
//! sandbox ran as root: a root-owned directory inside the project or the
//! home is exactly where it could have written. Which places an *earlier*
//! run could write cannot be known; the places of rule 2 are those a run
//! usually writes, and the places this run's presets write (a run repeated
//! with the same presets had the same ones). A writable grant the user
//! types (`--allow /srv/proj`) is not a place: it hands that directory
//! over, and nono warns where that matters (`--allow /etc`); counting it
//! would refuse the `base` preset's `/etc/localtime` link under
//! `--allow /etc`. Run from the project (`--allow .`), the project is the
//! working directory.
//!
//! A grant that goes through a link that is not trusted is still accepted
//! when the user's own grants already give its final path the same access
//! (`--allow TARGET`): the user said so. Otherwise it is refused, optional
//! or not: skipping it silently would leave the user wondering why a
//! toolchain fails inside.

use crate::resolve::Walked;
use crate::{FileMeta, FsProbe, Resolution, ResolveEnv, ResolvedGrant};
use nono_model::{Access, AccessLevels, GrantSource};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A symlink met on the way to a grant's path that nono does not follow
/// for a grant the user did not type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UntrustedLink {
    /// The link (its directory canonical).
    pub link: PathBuf,
    /// What the link holds, as written in it.
    pub points_to: PathBuf,
    /// Why it is not trusted, in words (`/srv/p is in the working
    /// directory`).
    pub why: String,
}

/// Why a grant is refused for a link, and what to do, as words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "goes through the symlink {link} -> {points_to} where an earlier sandbox may have planted it ({why}); pass {fix} to grant that on purpose, or remove the link"
)]
pub struct Redirection {
    /// The link.
    pub link: String,
    /// What the link holds.
    pub points_to: String,
    /// Why the link is not trusted.
    pub why: String,
    /// The flag and path that grant the target explicitly
    /// (`--allow /etc/cron.d`).
    pub fix: String,
}

/// Places where a run may write, by name: links below them are not trusted.
#[derive(Clone, Debug, Default)]
pub(crate) struct Places {
    list: Vec<(String, PathBuf)>,
}

impl Places {
    /// The places every run has: the homes, the temporary directories, the
    /// working directory, as written. With `canonical`, each also as it
    /// resolves when its own way meets no link that is not trusted: a place
    /// named by a variable may itself go through a planted link (`$TMPDIR`
    /// -> `/etc`), and where that leads is the attacker's choice, not a
    /// place of the user's.
    pub(crate) fn of(env: &ResolveEnv, fs: &dyn FsProbe, canonical: bool) -> Places {
        let mut named: Vec<(&str, &Path)> = Vec::new();
        if let Some(home) = &env.home {
            named.push(("$HOME", home));
        }
        if let Some(home) = &env.account_home {
            named.push(("the account's home", home));
        }
        if let Some(tmp) = env.vars.get("TMPDIR").filter(|t| !t.is_empty()) {
            named.push(("$TMPDIR", Path::new(tmp)));
        }
        named.push(("the working directory", &env.cwd));
        let mut places = Places::default();
        for tmp in ["/tmp", "/var/tmp", "/dev/shm"] {
            // Fixed names: only root could have made them links.
            places.add(tmp, Path::new(tmp), fs, true);
        }
        for (name, path) in &named {
            places.add(name, path, fs, false);
        }
        if canonical {
            let written = places.clone();
            for (name, path) in &named {
                if matches!(first_untrusted_link(path, &written, fs), Ok(None)) {
                    places.add(name, path, fs, true);
                }
            }
        }
        places
    }

    /// Adds `path` (absolute), as given and, with `canonical`, as it
    /// resolves; `/` is never added.
    pub(crate) fn add(&mut self, name: &str, path: &Path, fs: &dyn FsProbe, canonical: bool) {
        if !path.is_absolute() {
            return;
        }
        let resolved = canonical.then(|| fs.canonicalize(path).ok()).flatten();
        for p in std::iter::once(path.to_path_buf()).chain(resolved) {
            if p != Path::new("/") && !self.list.iter().any(|(_, q)| *q == p) {
                self.list.push((name.to_owned(), p));
            }
        }
    }

    /// The first place `dir` is at or below, by name.
    fn containing(&self, dir: &Path) -> Option<&str> {
        self.list
            .iter()
            .find(|(_, place)| dir.starts_with(place))
            .map(|(name, _)| name.as_str())
    }
}

/// Why the link `link` (with metadata `meta`) in the canonical directory
/// `dir` is not trusted, or `None` when it is.
fn distrust(
    dir: &Path,
    meta: &FileMeta,
    places: &Places,
    fs: &dyn FsProbe,
) -> io::Result<Option<String>> {
    for ancestor in dir.ancestors() {
        let m = fs.stat(ancestor)?;
        if m.uid != 0 {
            return Ok(Some(format!(
                "{} is owned by uid {}, not root",
                show(ancestor),
                m.uid
            )));
        }
        if m.mode & 0o022 != 0 {
            return Ok(Some(format!(
                "{} is writable by group or others",
                show(ancestor)
            )));
        }
    }
    if let Some(place) = places.containing(dir) {
        return Ok(Some(format!("{} is in {place}", show(dir))));
    }
    if meta.uid != 0 {
        return Ok(Some(format!("the link is owned by uid {}", meta.uid)));
    }
    Ok(None)
}

/// The first symlink on the way to `path` (absolute) that is not trusted,
/// walking it as `realpath(3)` does ([`walk`](crate::resolve::walk)).
/// `None` when every link met is trusted, or when the walk reaches a
/// missing name (nothing is granted there).
pub(crate) fn first_untrusted_link(
    path: &Path,
    places: &Places,
    fs: &dyn FsProbe,
) -> io::Result<Option<UntrustedLink>> {
    let walked = crate::resolve::walk(path, fs, |dir, link, meta, target| {
        Ok(distrust(dir, meta, places, fs)?.map(|why| UntrustedLink {
            link: link.to_path_buf(),
            points_to: target.to_path_buf(),
            why,
        }))
    });
    match walked {
        Walked::Stopped(link) => Ok(Some(link)),
        Walked::Exists | Walked::Missing { .. } => Ok(None),
        Walked::BelowFile { .. } => Err(io::Error::from_raw_os_error(libc::ENOTDIR)),
        Walked::Failed(e) => Err(e),
    }
}

/// A path as grant text, for messages.
pub(crate) fn show(path: &Path) -> String {
    nono_model::grant_text(path.as_os_str().as_bytes())
}

/// Whether a grant from `source` is judged here: every source but the
/// user's own flags.
pub(crate) fn judged(source: &GrantSource) -> bool {
    !matches!(source, GrantSource::Flag(_))
}

/// The user's own grants (from flags) that resolved: their canonical
/// paths and access. Picked out once, since every judged grant is compared
/// with them (a preset of 10 000 paths would otherwise compare each with
/// all the others).
pub(crate) struct UserGrants<'a>(Vec<(&'a Path, Access)>);

impl<'a> UserGrants<'a> {
    /// The grants of `resolved` that come from the user's flags.
    pub(crate) fn of(resolved: &'a [ResolvedGrant]) -> UserGrants<'a> {
        UserGrants(
            resolved
                .iter()
                .filter(|g| !judged(&g.source))
                .filter_map(|g| match &g.resolution {
                    Resolution::Resolved { path, .. } => Some((path.as_path(), g.access)),
                    _ => None,
                })
                .collect(),
        )
    }

    /// Whether they already give `path` at least `access`: the union of the
    /// levels of those at or above it covers it.
    pub(crate) fn cover(&self, path: &Path, access: Access) -> bool {
        let held = self
            .0
            .iter()
            .filter(|(p, _)| path.starts_with(p))
            .map(|&(_, a)| AccessLevels::from(a))
            .fold(AccessLevels::EMPTY, AccessLevels::union);
        held.covers(access.into())
    }
}

/// The places of a run as root (none otherwise): [`Places::of`], and the
/// writable grants in `resolved` that `take` admits (by index and grant), by
/// their canonical paths. With
/// `canonical`, the places named by variables are taken as they resolve
/// too.
pub(crate) fn places_with(
    env: &ResolveEnv,
    fs: &dyn FsProbe,
    resolved: &[ResolvedGrant],
    canonical: bool,
    take: impl Fn(usize, &ResolvedGrant) -> bool,
) -> Places {
    if !env.root {
        return Places::default();
    }
    let mut places = Places::of(env, fs, canonical);
    let writable = resolved.iter().enumerate();
    for (_, g) in writable.filter(|(i, g)| g.access != Access::Read && take(*i, g)) {
        if let Resolution::Resolved { path, .. } = &g.resolution {
            let name = format!("the writable grant {}", g.requested);
            places.add(&name, path, fs, false);
        }
    }
    places
}

#[cfg(test)]
mod tests {
    use crate::{CompileError, MemFs, ResolveEnv, Target, compile};
    use nono_model::{Abi, Access, FsGrant, GrantSource, Policy, UnixGrant};

    const USER: u32 = 1000;

    fn preset() -> GrantSource {
        GrantSource::Preset("rust".into())
    }

    fn flag(access: Access) -> GrantSource {
        GrantSource::Flag(format!("--{}", access.word()))
    }

    /// A system (`/etc/cron.d`, `/usr/lib`, `/bin -> usr/bin`) and a user's
    /// home with a project, all as a user who is not root sees them.
    fn system() -> MemFs {
        let mut fs = MemFs::new();
        fs.dir("/etc/cron.d")
            .dir("/usr/bin")
            .dir("/usr/lib/go-1.22");
        fs.symlink("/bin", "usr/bin");
        fs.symlink("/usr/lib/go", "go-1.22");
        fs.dir("/home/u/proj/real-target");
        fs.own("/home/u", USER, 0o755)
            .own("/home/u/proj", USER, 0o755);
        fs.own("/home/u/proj/real-target", USER, 0o755);
        fs
    }

    fn user_env() -> ResolveEnv {
        let mut env = ResolveEnv::new("/home/u/proj");
        env.home = Some("/home/u".into());
        env.vars
            .insert("CARGO_TARGET_DIR".into(), "/home/u/proj/target".into());
        env
    }

    fn run(policy: &Policy, env: &ResolveEnv, fs: &MemFs) -> Result<Vec<String>, String> {
        compile(policy, &Target::kernel(Abi::V3), env, fs)
            .map(|c| {
                c.ruleset
                    .rules
                    .iter()
                    .map(|r| r.path.display().to_string())
                    .collect()
            })
            .map_err(|e| match e {
                CompileError::Redirected { .. } => format!("refused: {e}"),
                other => format!("other error: {other}"),
            })
    }

    fn grant(policy: &mut Policy, path: &str, access: Access, source: GrantSource) {
        policy.add(FsGrant::new(path, access), source);
    }

    #[test]
    fn a_presets_grant_through_a_link_in_the_project_is_refused_naming_it() {
        let mut fs = system();
        fs.symlink("/home/u/proj/target", "/etc/cron.d");
        let mut policy = Policy::default();
        grant(&mut policy, "$CARGO_TARGET_DIR", Access::Allow, preset());
        grant(&mut policy, ".", Access::Allow, flag(Access::Allow));
        let err = run(&policy, &user_env(), &fs).unwrap_err();
        assert_eq!(
            err,
            "refused: preset rust: $CARGO_TARGET_DIR: goes through the symlink \
             /home/u/proj/target -> /etc/cron.d where an earlier sandbox may have planted it \
             (/home/u/proj is owned by uid 1000, not root); pass --allow /etc/cron.d to grant \
             that on purpose, or remove the link"
        );
        // Twin: the same path typed by the user follows the link.
        let mut typed = Policy::default();
        grant(
            &mut typed,
            "$CARGO_TARGET_DIR",
            Access::Allow,
            flag(Access::Allow),
        );
        grant(&mut typed, ".", Access::Allow, flag(Access::Allow));
        let rules = run(&typed, &user_env(), &fs).unwrap();
        assert!(rules.contains(&"/etc/cron.d".to_owned()), "{rules:?}");
        // Twin: the user grants the target on purpose, as the message says.
        grant(
            &mut policy,
            "/etc/cron.d",
            Access::Allow,
            flag(Access::Allow),
        );
        run(&policy, &user_env(), &fs).unwrap();
    }

    #[test]
    fn a_link_inside_what_the_user_granted_is_followed() {
        // target -> real-target, both in the project the user allowed.
        let mut fs = system();
        fs.symlink("/home/u/proj/target", "real-target");
        let mut policy = Policy::default();
        grant(&mut policy, "$CARGO_TARGET_DIR", Access::Allow, preset());
        grant(&mut policy, ".", Access::Allow, flag(Access::Allow));
        run(&policy, &user_env(), &fs).unwrap();
        // Read of the project does not cover the preset's Allow.
        let mut read_only = Policy::default();
        grant(&mut read_only, "$CARGO_TARGET_DIR", Access::Allow, preset());
        grant(&mut read_only, ".", Access::Read, flag(Access::Read));
        let err = run(&read_only, &user_env(), &fs).unwrap_err();
        assert!(
            err.contains("pass --allow /home/u/proj/real-target"),
            "{err}"
        );
    }

    #[test]
    fn root_owned_system_links_are_followed_wherever_the_run_starts() {
        let fs = system();
        for cwd in ["/", "/home/u/proj"] {
            let mut policy = Policy::default();
            grant(&mut policy, "/bin", Access::Read, preset());
            grant(&mut policy, "/usr/lib/go", Access::Read, preset());
            let rules = run(&policy, &ResolveEnv::new(cwd), &fs).unwrap();
            assert!(rules.contains(&"/usr/bin".to_owned()), "{rules:?}");
            assert!(rules.contains(&"/usr/lib/go-1.22".to_owned()), "{rules:?}");
        }
    }

    #[test]
    fn a_link_in_the_middle_or_behind_a_trusted_one_is_judged_too() {
        let mut fs = system();
        fs.symlink("/home/u/proj/cache", "/etc");
        fs.symlink("/usr/lib/evil", "/home/u/proj/cache");
        let mut env = user_env();
        env.vars
            .insert("GOMODCACHE".into(), "/home/u/proj/cache/cron.d".into());
        let mut policy = Policy::default();
        grant(&mut policy, "$GOMODCACHE", Access::Allow, preset());
        let err = run(&policy, &env, &fs).unwrap_err();
        assert!(
            err.contains("the symlink /home/u/proj/cache -> /etc "),
            "{err}"
        );
        // A root-owned link in /usr/lib leading to the planted one.
        let mut policy = Policy::default();
        grant(&mut policy, "/usr/lib/evil/cron.d", Access::Read, preset());
        let err = run(&policy, &env, &fs).unwrap_err();
        assert!(
            err.contains("the symlink /home/u/proj/cache -> /etc "),
            "{err}"
        );
        // Twin: the path without links.
        let mut policy = Policy::default();
        grant(&mut policy, "/etc/cron.d", Access::Read, preset());
        run(&policy, &env, &fs).unwrap();
    }

    #[test]
    fn optional_grants_are_refused_not_skipped() {
        let mut fs = system();
        fs.symlink("/home/u/proj/target", "/etc/cron.d");
        let mut policy = Policy::default();
        policy.add(
            FsGrant::new("$CARGO_TARGET_DIR", Access::Allow).skip_if_missing(),
            preset(),
        );
        let err = run(&policy, &user_env(), &fs).unwrap_err();
        assert!(err.starts_with("refused: "), "{err}");
        // Twin: a dangling link grants nothing, and the optional grant is
        // skipped as before.
        let mut fs = system();
        fs.symlink("/home/u/proj/target", "/nowhere");
        run(&policy, &user_env(), &fs).unwrap();
    }

    /// An environment of root's, working in `cwd`.
    fn as_root(cwd: &str) -> ResolveEnv {
        let mut env = ResolveEnv::new(cwd);
        env.root = true;
        env
    }

    #[test]
    fn as_root_the_home_the_working_directory_and_presets_writable_places_are_not_trusted() {
        // Everything root's, as when nono runs as root.
        let mut fs = MemFs::new();
        fs.dir("/etc/cron.d").dir("/root/proj").dir("/srv/data");
        fs.own("/root", 0, 0o700);
        fs.symlink("/root/proj/venv", "/");
        fs.symlink("/srv/data/mod", "/etc/cron.d");
        let venv = |env: &mut ResolveEnv| {
            env.vars
                .insert("VIRTUAL_ENV".into(), "/root/proj/venv".into());
        };
        let mut policy = Policy::default();
        grant(&mut policy, "$VIRTUAL_ENV", Access::Read, preset());

        let mut env = as_root("/");
        env.home = Some("/root".into());
        venv(&mut env);
        let err = run(&policy, &env, &fs).unwrap_err();
        assert!(err.contains("(/root/proj is in $HOME)"), "{err}");

        let mut env = as_root("/");
        env.account_home = Some("/root".into());
        venv(&mut env);
        let err = run(&policy, &env, &fs).unwrap_err();
        assert!(
            err.contains("(/root/proj is in the account's home)"),
            "{err}"
        );

        let mut env = as_root("/root/proj");
        venv(&mut env);
        let err = run(&policy, &env, &fs).unwrap_err();
        assert!(err.contains("is in the working directory)"), "{err}");

        // Twin: none of those places, and every directory root's.
        let mut env = as_root("/");
        venv(&mut env);
        let rules = run(&policy, &env, &fs).unwrap();
        assert_eq!(rules, ["/"]);
        // Twin: the same home and working directory for a user who is not
        // root: only root could have written there.
        let mut env = ResolveEnv::new("/root/proj");
        env.home = Some("/root".into());
        venv(&mut env);
        run(&policy, &env, &fs).unwrap();

        // A link below what a preset of this run makes writable.
        let mut env = as_root("/");
        env.vars.insert("GOPATH".into(), "/srv/data".into());
        env.vars.insert("GOMODCACHE".into(), "/srv/data/mod".into());
        let mut policy = Policy::default();
        grant(&mut policy, "$GOPATH", Access::Allow, preset());
        grant(&mut policy, "$GOMODCACHE", Access::Read, preset());
        let err = run(&policy, &env, &fs).unwrap_err();
        assert!(
            err.contains("(/srv/data is in the writable grant $GOPATH)"),
            "{err}"
        );
        // Twin: the preset reads it only.
        policy.grants[0].grant.access = Access::Read;
        run(&policy, &env, &fs).unwrap();
        // Twin: a writable grant the user types is not a place: it hands
        // the directory over (and nono warns where that matters).
        policy.grants[0].source = flag(Access::Allow);
        policy.grants[0].grant.access = Access::Allow;
        run(&policy, &env, &fs).unwrap();
    }

    #[test]
    fn as_root_a_place_counts_where_it_resolves_too() {
        // $HOME through a root-owned system link: /home -> data/home.
        let mut fs = MemFs::new();
        fs.dir("/data/home/root/proj").dir("/etc/cron.d");
        fs.symlink("/home", "data/home");
        fs.symlink("/data/home/root/proj/target", "/etc/cron.d");
        let mut env = as_root("/");
        env.home = Some("/home/root".into());
        env.vars
            .insert("CARGO_TARGET_DIR".into(), "/home/root/proj/target".into());
        let mut policy = Policy::default();
        grant(&mut policy, "$CARGO_TARGET_DIR", Access::Allow, preset());
        let err = run(&policy, &env, &fs).unwrap_err();
        assert!(err.contains("(/data/home/root/proj is in $HOME)"), "{err}");
        // Twin: HOME elsewhere.
        env.home = Some("/elsewhere".into());
        run(&policy, &env, &fs).unwrap();
    }

    #[test]
    fn a_user_who_is_not_root_may_work_in_etc() {
        // The base preset's /etc/resolv.conf link, run from /etc: rule 2 is
        // root's alone.
        let mut fs = MemFs::new();
        fs.dir("/run/resolve").file("/run/resolve/stub.conf");
        fs.symlink("/etc/resolv.conf", "../run/resolve/stub.conf");
        let mut policy = Policy::default();
        grant(&mut policy, "/etc/resolv.conf", Access::Read, preset());
        run(&policy, &ResolveEnv::new("/etc"), &fs).unwrap();
        // Twin: as root, from /etc, an earlier run with `--allow .` could
        // have made that link.
        let err = run(&policy, &as_root("/etc"), &fs).unwrap_err();
        assert!(err.contains("(/etc is in the working directory)"), "{err}");
    }

    #[test]
    fn group_or_world_writable_directories_and_foreign_links_are_not_trusted() {
        let mut fs = MemFs::new();
        fs.dir("/etc/cron.d").dir("/opt/a").dir("/opt/b");
        fs.symlink("/opt/a/l", "/etc/cron.d");
        fs.symlink("/opt/b/l", "/etc/cron.d");
        fs.own("/opt/a", 0, 0o775).own("/opt/b/l", USER, 0o777);
        let refused = |path: &str, fs: &MemFs| {
            let mut policy = Policy::default();
            grant(&mut policy, path, Access::Read, preset());
            run(&policy, &ResolveEnv::new("/"), fs).err()
        };
        let err = refused("/opt/a/l", &fs).unwrap();
        assert!(
            err.contains("(/opt/a is writable by group or others)"),
            "{err}"
        );
        let err = refused("/opt/b/l", &fs).unwrap();
        assert!(err.contains("(the link is owned by uid 1000)"), "{err}");
        // Twins: the same links with the modes a package manager leaves.
        fs.own("/opt/a", 0, 0o755).own("/opt/b/l", 0, 0o777);
        assert_eq!(refused("/opt/a/l", &fs), None);
        assert_eq!(refused("/opt/b/l", &fs), None);
        // /tmp: world-writable.
        fs.dir("/tmp")
            .own("/tmp", 0, 0o1777)
            .symlink("/tmp/l", "/etc/cron.d");
        let err = refused("/tmp/l", &fs).unwrap();
        assert!(
            err.contains("(/tmp is writable by group or others)"),
            "{err}"
        );
    }

    #[test]
    fn the_redirected_grant_is_named_not_what_its_target_makes_suspect() {
        // As root: $TMPDIR -> /etc would make /etc a writable place, where
        // the base preset's /etc/resolv.conf link sits.
        let mut fs = MemFs::new();
        fs.dir("/run/resolve").file("/run/resolve/stub.conf");
        fs.symlink("/etc/resolv.conf", "../run/resolve/stub.conf");
        fs.dir("/root/proj").symlink("/root/proj/tmp", "/etc");
        let mut env = as_root("/root/proj");
        env.vars.insert("TMPDIR".into(), "/root/proj/tmp".into());
        let mut policy = Policy::default();
        policy.add(
            FsGrant::new("/etc/resolv.conf", Access::Read),
            GrantSource::Preset("base".into()),
        );
        grant(
            &mut policy,
            "$TMPDIR",
            Access::Allow,
            GrantSource::Preset("tmp".into()),
        );
        let err = run(&policy, &env, &fs).unwrap_err();
        assert!(
            err.contains("preset tmp: $TMPDIR: goes through the symlink /root/proj/tmp -> /etc "),
            "{err}"
        );
        // Twin: without the planted link, base's link is followed.
        policy.grants.pop();
        let rules = run(&policy, &env, &fs).unwrap();
        assert_eq!(rules, ["/run/resolve/stub.conf"]);
    }

    #[test]
    fn a_presets_unix_grant_is_judged_as_well() {
        let mut fs = system();
        fs.dir("/run/docker").file("/run/docker/docker.sock");
        fs.symlink("/home/u/proj/sock", "/run/docker/docker.sock");
        let mut policy = Policy::default();
        policy.unix.push(UnixGrant {
            path: "/home/u/proj/sock".into(),
            source: preset(),
        });
        let err = run(&policy, &user_env(), &fs).unwrap_err();
        assert!(
            err.contains("pass --allow-unix /run/docker/docker.sock"),
            "{err}"
        );
        // Twin: the user names the socket.
        policy.unix.push(UnixGrant {
            path: "/run/docker/docker.sock".into(),
            source: GrantSource::Flag("--allow-unix".into()),
        });
        run(&policy, &user_env(), &fs).unwrap();
    }
}
