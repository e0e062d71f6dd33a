//! The git and go presets.

use super::*;

#[test]
fn git_preset_commits_in_the_project_and_cannot_read_outside() {
    // .ci/run installs it: a missing tool fails the test.
    let git = which("git").expect("git must be on PATH");
    let (s, proj, secret) = project();
    // The identity comes from ~/.gitconfig, which the preset grants read-only.
    s.write(
        "home/.gitconfig",
        "[user]\n\tname = Nono Test\n\temail = nono@example.invalid\n\
         [init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
    );
    let dir = git.parent().unwrap();
    let git_run = |args: &[&str]| {
        let mut argv = vec!["git"];
        argv.extend_from_slice(args);
        in_project(&mut nono_in(&s, &proj, &[dir]), "git", &argv)
    };

    git_run(&["init", "-q", "."]).expect_ok();
    std::fs::write(proj.join("a.txt"), "first line\n").unwrap();
    git_run(&["add", "a.txt"]).expect_ok();
    git_run(&["commit", "-q", "-m", "first commit"]).expect_ok();
    git_run(&["log", "--format=%an <%ae> %s"])
        .expect_ok()
        .expect_stdout("Nono Test <nono@example.invalid> first commit");
    assert!(proj.join(".git/refs/heads/main").is_file());

    // The allowed twin of the denial: diffing two files in the project works
    // (exit 1: they differ).
    std::fs::write(proj.join("b.txt"), "second line\n").unwrap();
    git_run(&["--no-pager", "diff", "--no-index", "a.txt", "b.txt"])
        .expect_code(1)
        .expect_stdout("+second line");
    // Against a file outside the grants it cannot even open it.
    let out = git_run(&["--no-pager", "diff", "--no-index", "a.txt", text(&secret)]);
    expect_denied(&out);
    out.expect_code(128).expect_stderr("Permission denied");

    // Nor can it create a repository outside the project.
    let elsewhere = s.join("outside/repo");
    let out = git_run(&["init", "-q", text(&elsewhere)]);
    expect_denied(&out);
    assert!(!elsewhere.join(".git").exists());
}

#[test]
fn go_preset_builds_a_module() {
    // .ci/run installs it: a missing tool fails the test.
    let go = which("go").expect("go must be on PATH");
    let (s, proj, _secret) = project();
    // Asked with the scratch HOME, so that not even this touches the real one.
    let goroot = stdout_of(
        Command::new(&go)
            .args(["env", "GOROOT"])
            .env("HOME", s.home())
            .env("GOTOOLCHAIN", "local"),
    )
    .expect("go env GOROOT");
    std::fs::write(proj.join("go.mod"), "module example.com/hello\n\ngo 1.18\n").unwrap();
    std::fs::write(
        proj.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n\
         func main() { fmt.Println(\"go says\", strings.Repeat(\"ab\", 3)) }\n",
    )
    .unwrap();
    // GOCACHE and GOPATH keep their defaults in the scratch home. Their
    // grants are optional and skipped when missing, so create them as a
    // first `go` run outside the sandbox would.
    let cache = s.mkdir("home/.cache/go-build");
    s.mkdir("home/go");
    let dir = go.parent().unwrap();
    let nono = || {
        let mut cmd = nono_in(&s, &proj, &[dir]);
        cmd.env("GOROOT", &goroot)
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off");
        cmd
    };
    // -buildvcs=false: the scratch dir is inside the nono checkout, whose
    // .git is (rightly) not granted.
    let go_run = |grants: &[&str], out: &str| {
        let mut args = grants.to_vec();
        args.extend(["--", "go", "build", "-buildvcs=false", "-o", out, "."]);
        run(&mut nono(), &args)
    };

    go_run(&["--preset", "go", "--allow", "."], "hello").expect_ok();
    let bin = proj.join("hello");
    assert!(bin.is_file(), "go built no binary");
    Outcome::of(&mut Command::new(&bin))
        .expect_ok()
        .expect_stdout("go says ababab");
    // The build cache is a private layer: the host's stays empty (a later
    // unsandboxed build trusts it), and what go wrote is in the layer.
    assert!(
        std::fs::read_dir(&cache).unwrap().next().is_none(),
        "the sandboxed go wrote into the host's build cache"
    );
    let layers = s.join("home/.cache/nono/layers");
    let layered = std::fs::read_dir(&layers)
        .unwrap()
        .flat_map(|p| std::fs::read_dir(p.unwrap().path()).unwrap())
        .map(|l| l.unwrap().path())
        .find(|l| l.to_string_lossy().ends_with("-go-build"))
        .expect("a private layer over the build cache");
    assert!(
        std::fs::read_dir(layered.join("upper"))
            .unwrap()
            .next()
            .is_some(),
        "go wrote nothing into its build cache's layer"
    );

    // It cannot write its output outside the grants.
    let outside = s.join("outside/hello");
    let out = go_run(&["--preset", "go", "--allow", "."], text(&outside));
    expect_denied(&out);
    assert!(!outside.exists());

    // Without the preset, neither go's work dir under /tmp nor its build
    // cache is writable (and a Go outside /usr could not even be executed).
    std::fs::remove_file(&bin).unwrap();
    let out = go_run(&["--allow", "."], "hello");
    expect_denied(&out);
    assert!(!bin.exists());
}
