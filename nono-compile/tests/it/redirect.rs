//! A preset's grant through a symlink a sandbox could have planted is
//! refused; the user's own is not; and nothing root alone could have made is
//! refused. The oracle knows where it put the link and who owns what, and
//! never asks the compiler.

use nono_compile::{CompileError, MemFs, ResolveEnv, Target, compile};
use nono_model::{Abi, Access, FsGrant, GrantSource, Policy};
use proptest::prelude::*;

const USER: u32 = 1000;

/// A chain `/c1/c2/.../cn` whose directories from depth `mine` down belong
/// to the user (depth 1 is `/c1`; `mine > n` means all root's), with the
/// directory at depth `link` replaced by a link to `/sys0/c{link}`, below
/// which the rest of the chain exists, root's.
#[derive(Clone, Debug)]
struct Case {
    depth: usize,
    mine: usize,
    link: usize,
    preset: bool,
    access: Access,
    user_covers: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..6)
        .prop_flat_map(|depth| {
            (
                Just(depth),
                1..=depth + 1,
                1..=depth,
                any::<bool>(),
                prop::sample::select(Access::ALL.to_vec()),
                any::<bool>(),
            )
        })
        .prop_map(|(depth, mine, link, preset, access, user_covers)| Case {
            depth,
            mine,
            link,
            preset,
            access,
            user_covers,
        })
}

fn name(d: usize) -> String {
    format!("c{d}")
}

fn build(c: &Case) -> (MemFs, String, String) {
    let mut fs = MemFs::new();
    let mut at = String::new();
    let mut target = String::new();
    for d in 1..=c.depth {
        at.push('/');
        at.push_str(&name(d));
        if d == c.link {
            target = format!("/sys0/{}", name(d));
            fs.dir(&target);
            fs.symlink(&at, &target);
        } else if d > c.link {
            target.push('/');
            target.push_str(&name(d));
            fs.dir(&target);
        } else {
            fs.dir(&at);
            if d >= c.mine {
                fs.own(&at, USER, 0o755);
            }
        }
    }
    (fs, at, target)
}

proptest! {
    #[test]
    fn refused_exactly_when_the_link_sits_where_the_user_could_write(c in case()) {
        let (fs, path, target) = build(&c);
        let mut policy = Policy::default();
        let source = if c.preset {
            GrantSource::Preset("p".into())
        } else {
            GrantSource::Flag(format!("--{}", c.access.word()))
        };
        policy.add(FsGrant::new(path.as_str(), c.access), source);
        if c.user_covers {
            policy.add(
                FsGrant::new(target.as_str(), Access::Allow),
                GrantSource::Flag("--allow".into()),
            );
        }
        // The link sits in the directory at depth link - 1 ("/" at 0).
        let planted = c.link > c.mine;
        let refused = c.preset && planted && !c.user_covers;
        let out = compile(&policy, &Target::kernel(Abi::V3), &ResolveEnv::new("/"), &fs);
        match out {
            Err(CompileError::Redirected { redirection, .. }) => {
                let nono_compile::redirect::Redirection { link, fix, .. } = *redirection;
                prop_assert!(refused, "refused {c:?}");
                let dir = path.split('/').take(c.link + 1).collect::<Vec<_>>().join("/");
                prop_assert_eq!(link, dir);
                prop_assert_eq!(fix, format!("--{} {target}", c.access.word()));
            }
            Err(other) => prop_assert!(false, "{other}"),
            Ok(compiled) => {
                prop_assert!(!refused, "accepted {c:?}");
                let granted = compiled.resolved.iter().any(|g| matches!(
                    &g.resolution,
                    nono_compile::Resolution::Resolved { path, .. } if *path == std::path::Path::new(&target)
                ));
                prop_assert!(granted, "{target} not granted");
            }
        }
    }
}
