//! Shared toolchain caches stay the host's: what a run writes into them
//! lands in its private layer, which the next run of the same project
//! finds again.

use super::*;

/// The layer directories of every project under nono's cache in `cache`.
fn layer_uppers(cache: &Path) -> Vec<PathBuf> {
    let Ok(projects) = std::fs::read_dir(cache.join("nono/layers")) else {
        return Vec::new();
    };
    projects
        .flat_map(|p| std::fs::read_dir(p.unwrap().path()).unwrap())
        .map(|l| l.unwrap().path().join("upper"))
        .collect()
}

/// A module proxy in a directory (`GOPROXY=file://...`) serving
/// `example.com/dep v1.0.0`, whose `Hello` returns "hello from dep".
fn module_proxy(s: &Scratch) -> PathBuf {
    let proxy = s.beside("goproxy");
    let v = proxy.join("example.com/dep/@v");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("list"), "v1.0.0\n").unwrap();
    std::fs::write(v.join("v1.0.0.info"), "{\"Version\":\"v1.0.0\"}\n").unwrap();
    std::fs::write(v.join("v1.0.0.mod"), "module example.com/dep\n\ngo 1.18\n").unwrap();
    let zip = "import zipfile,sys\n\
        z = zipfile.ZipFile(sys.argv[1], 'w')\n\
        z.writestr('example.com/dep@v1.0.0/go.mod', 'module example.com/dep\\n\\ngo 1.18\\n')\n\
        z.writestr('example.com/dep@v1.0.0/dep.go', 'package dep\\n\\nfunc Hello() string { return \"hello from dep\" }\\n')\n\
        z.close()\n";
    Outcome::of(
        Command::new(PYTHON)
            .args(["-I", "-c", zip])
            .arg(v.join("v1.0.0.zip")),
    )
    .expect_ok();
    proxy
}

/// `go build` fetches a new module from a local proxy inside the sandbox:
/// it lands in the private layer over the module cache, never in the
/// host's; a second run of the same project builds offline from the
/// layer, and another project (another layer) cannot.
#[test]
fn a_module_fetched_inside_lands_in_the_private_layer_and_the_next_run_reuses_it() {
    let Some(go) = which("go") else {
        eprintln!("skipped: go is not installed");
        return;
    };
    let s = Scratch::new();
    let proxy = module_proxy(&s);
    let goroot = stdout_of(
        Command::new(&go)
            .args(["env", "GOROOT"])
            .env("HOME", s.home())
            .env("GOTOOLCHAIN", "local"),
    )
    .unwrap();
    for proj in ["proj", "other"] {
        s.write(
            format!("{proj}/go.mod"),
            "module example.com/hello\n\ngo 1.18\n\nrequire example.com/dep v1.0.0\n",
        );
        s.write(
            format!("{proj}/main.go"),
            "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/dep\"\n)\n\nfunc main() { fmt.Println(dep.Hello()) }\n",
        );
    }
    // The host's module cache exists and is empty.
    let modcache = s.mkdir("home/go/pkg/mod");
    let path = format!("{}:/usr/bin:/bin", go.parent().unwrap().display());
    let build = |proj: &str, goproxy: &str| {
        let mut cmd = s.nono();
        cmd.current_dir(s.join(proj))
            .env("PATH", &path)
            .env("GOROOT", &goroot)
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", goproxy)
            .env("GOSUMDB", "off")
            .env("GOFLAGS", "-mod=mod")
            .env_remove("GOPATH")
            .env_remove("GOMODCACHE")
            .env_remove("GOCACHE")
            .args(["run", "--preset", "go", "--allow", "."])
            .args(["--read", text(&proxy)])
            .args(["--", "go", "build", "-buildvcs=false", "-o", "hello", "."]);
        Outcome::of(&mut cmd)
    };
    build("proj", &format!("file://{}", proxy.display())).expect_ok();
    expect_hello_from_dep(&s.join("proj/hello"), &modcache);
    assert!(
        layer_uppers(&s.cache_home())
            .iter()
            .any(|u| u.join("example.com/dep@v1.0.0/dep.go").is_file()),
        "the module is not in a private layer"
    );
    // Offline, the same project builds from its layer...
    std::fs::remove_file(s.join("proj/hello")).unwrap();
    build("proj", "off").expect_ok();
    assert!(s.join("proj/hello").is_file());
    // ... and another project, with a layer of its own, cannot.
    let other = build("other", "off");
    assert_ne!(other.code, Some(0), "{other:#?}");
    other.expect_stderr("example.com/dep");
}

/// What a hostile run writes into pip's wheel cache, npm's cache, Go's
/// module cache and build cache (a `.pth` in a cached wheel, an edited
/// module) stays in its layer, as root and as an ordinary user (whose
/// layer lives in a user namespace); the host's files are unchanged. Twin:
/// the same run sees its own writes, so they did land somewhere.
#[test]
fn writes_into_shared_caches_stay_out_of_the_hosts() {
    let s = Scratch::new();
    let targets = [
        ("python", ".cache/pip", "wheels/evil.pth"),
        ("node", ".npm", "_cacache/planted"),
        ("go", "go/pkg/mod", "example.com/dep@v1.0.0/dep.go"),
        ("go", ".cache/go-build", "00/planted-d"),
    ];
    for (_, cache, file) in targets {
        s.write(format!("home/{cache}/{file}"), "host\n");
    }
    let attack = |who_nobody: bool| {
        for (preset, cache, file) in targets {
            let target = s.home().join(cache).join(file);
            let script = format!("echo planted > {0} && cat {0}", text(&target));
            let mut argv: Vec<String> = Vec::new();
            if who_nobody {
                argv.extend(NOBODY.map(str::to_owned));
            }
            argv.push(NONO.to_owned());
            argv.extend(["run", "--preset", preset, "--", "sh", "-c", &script].map(str::to_owned));
            let inner = s.nono();
            let mut cmd = Command::new(&argv[0]);
            cmd.args(&argv[1..]).current_dir(s.path());
            for (k, v) in inner.get_envs() {
                match v {
                    Some(v) => cmd.env(k, v),
                    None => cmd.env_remove(k),
                };
            }
            cmd.env_remove("GOPATH")
                .env_remove("GOMODCACHE")
                .env_remove("GOCACHE")
                .env_remove("XDG_CACHE_HOME")
                .env_remove("npm_config_cache");
            let out = Outcome::of(&mut cmd);
            out.expect_ok().expect_stdout("planted");
            assert_file(&target, "host\n");
        }
    };
    attack(false);
    if is_root() {
        chown_nobody(&s.home());
        open_to_nobody(&s.home());
        attack(true);
    }
}

/// Go's `bin` is read-only under the go preset (GOPATH is Read now), and
/// a protected path even where a flag grants it; `--unprotect` is the
/// twin that lets the same write land.
#[test]
fn go_s_bin_directory_cannot_be_written_from_inside() {
    let s = Scratch::new();
    let bin = s.mkdir("home/go/bin");
    let plant = [
        "sh",
        "-c",
        "echo evil > \"$HOME/go/bin/go\" && echo planted",
    ];
    let run = |flags: &[&str]| {
        let mut cmd = s.nono();
        cmd.env_remove("GOPATH")
            .args(["run", "--preset", "go"])
            .args(flags)
            .arg("--")
            .args(plant);
        Outcome::of(&mut cmd)
    };
    let out = run(&[]);
    assert!(!out.stdout.contains("planted"), "{out:#?}");
    let out = run(&["--allow", "~/go/bin"]);
    assert!(!out.stdout.contains("planted"), "{out:#?}");
    out.expect_stderr("Read-only file system");
    assert_absent(&bin.join("go"));
    run(&["--allow", "~/go/bin", "--unprotect", "~/go/bin"])
        .expect_ok()
        .expect_stdout("planted")
        .expect_stderr("nono: WARNING: --unprotect ~/go/bin");
    assert!(bin.join("go").is_file());
}
