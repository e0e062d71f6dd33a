//! The python and node presets.

use super::*;

fn python_nono(s: &Scratch, cwd: &Path) -> Command {
    let (dir, env) = python();
    let mut cmd = nono_in(s, cwd, &[&dir]);
    cmd.envs(env);
    cmd
}

#[test]
fn python_preset_runs_a_script_that_writes_into_the_project() {
    let (s, proj, secret) = project();
    std::fs::write(
        proj.join("script.py"),
        "import json, sys\n\
         with open('out.json', 'w') as f:\n    \
             json.dump({'squares': [i * i for i in range(5)], 'version': sys.version_info[0]}, f)\n\
         print('wrote out.json')\n",
    )
    .unwrap();
    in_project(
        &mut python_nono(&s, &proj),
        "python",
        &["python3", "script.py"],
    )
    .expect_ok()
    .expect_stdout("wrote out.json");
    let out: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(proj.join("out.json")).unwrap()).unwrap();
    assert_eq!(out["squares"], serde_json::json!([0, 1, 4, 9, 16]));
    assert_eq!(out["version"], 3);

    // The denial twin: the same interpreter cannot read a file outside the
    // grants, nor write beside it.
    std::fs::write(
        proj.join("leak.py"),
        "import sys\nprint(open(sys.argv[1]).read())\n",
    )
    .unwrap();
    let out = in_project(
        &mut python_nono(&s, &proj),
        "python",
        &["python3", "leak.py", text(&secret)],
    );
    expect_denied(&out);
    out.expect_code(1)
        .expect_stderr("PermissionError: [Errno 13] Permission denied");

    let stolen = s.join("outside/copy.txt");
    let out = in_project(
        &mut python_nono(&s, &proj),
        "python",
        &[
            "python3",
            "-c",
            "import sys; open(sys.argv[1], 'w').write('x')",
            text(&stolen),
        ],
    );
    expect_denied(&out);
    out.expect_stderr("PermissionError");
    assert!(!stolen.exists());
}

#[test]
fn python_preset_is_what_grants_an_interpreter_outside_base() {
    let (dir, _) = python();
    let canonical = dir.join("python3").canonicalize().unwrap();
    if canonical.starts_with("/usr") {
        eprintln!(
            "skipped: python3 is {}, which base grants anyway",
            canonical.display()
        );
        return;
    }
    let (s, proj, _secret) = project();
    // pyenv's shim (or the interpreter itself) lies outside base's grants.
    let out = run(
        &mut python_nono(&s, &proj),
        &[
            "--allow",
            ".",
            "--",
            "python3",
            "-c",
            "print('unreachable')",
        ],
    );
    expect_denied(&out);
    assert!(!out.stdout.contains("unreachable"));
}

#[test]
fn node_preset_writes_in_the_project_and_cannot_read_outside() {
    // .ci/run installs it: a missing tool fails the test.
    let node = which("node").expect("node must be on PATH");
    let (s, proj, secret) = project();
    let dir = node.parent().unwrap();
    let nono = || {
        let mut cmd = nono_in(&s, &proj, &[dir]);
        if let Some(nvm) = std::env::var_os("NVM_DIR") {
            cmd.env("NVM_DIR", nvm);
        }
        cmd
    };

    in_project(
        &mut nono(),
        "node",
        &[
            "node",
            "-e",
            "require('fs').writeFileSync('out.txt', JSON.stringify([1, 2, 3].map(x => x * 7)))",
        ],
    )
    .expect_ok();
    assert_eq!(
        std::fs::read_to_string(proj.join("out.txt")).unwrap(),
        "[7,14,21]"
    );

    const READ: &str = "try { process.stdout.write(require('fs').readFileSync(process.argv[1], 'utf8')) } \
                        catch (e) { console.log(e.code); process.exit(3) }";
    in_project(&mut nono(), "node", &["node", "-e", READ, "out.txt"])
        .expect_ok()
        .expect_stdout("[7,14,21]");
    let out = in_project(&mut nono(), "node", &["node", "-e", READ, text(&secret)]);
    out.expect_code(3).expect_stdout("EACCES");
    assert!(!out.stdout.contains(SECRET));
}

#[test]
fn node_preset_lets_npm_use_its_cache() {
    // .ci/run installs it: a missing tool fails the test.
    let node = which("node").expect("node must be on PATH");
    which("npm").expect("npm must be on PATH");
    let (s, proj, _secret) = project();
    // ~/.npm is made before the run when missing (a cache the preset
    // declares); made here to look at it.
    let cache = s.mkdir("home/.npm");
    let mut cmd = nono_in(&s, &proj, &[node.parent().unwrap()]);
    cmd.env("npm_config_update_notifier", "false")
        .env("npm_config_offline", "true")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false");
    in_project(&mut cmd, "node", &["npm", "init", "-y"]).expect_ok();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(proj.join("package.json")).unwrap()).unwrap();
    assert_eq!(manifest["name"], "proj");
    // The cache is a private layer: npm's log is in the layer, and the
    // host's cache is unchanged.
    assert!(
        std::fs::read_dir(&cache).unwrap().next().is_none(),
        "the sandboxed npm wrote into the host's cache {}",
        cache.display()
    );
    let layers = s.join("home/.cache/nono/layers");
    let layered = std::fs::read_dir(&layers)
        .unwrap()
        .flat_map(|p| std::fs::read_dir(p.unwrap().path()).unwrap())
        .map(|l| l.unwrap().path())
        .find(|l| l.to_string_lossy().ends_with("-.npm"))
        .expect("a private layer over npm's cache");
    assert!(
        std::fs::read_dir(layered.join("upper/_logs")).is_ok_and(|mut d| d.next().is_some()),
        "npm wrote no log into its cache's layer {}",
        layered.display()
    );
}
