#!/usr/bin/env python3
"""Whole-command benchmark: what nono costs in front of a command.

Runs the same commands (`/bin/true`, `cat` of a file, a `sh -c` loop) bare,
under a minimal C Landlock launcher (benches/floor.c, the floor: the Landlock
system calls and one exec), under bubblewrap with the equivalent bind layout
(the peer), and under `nono run` with the same grants, with `--preset rust`,
with a plugin preset (the example plugin's `acme/jdk`, built here: the first
time, with the plugin cache off, and reused from the cache), and with 10 000
path rules. Cases are interleaved: every round runs every case once, in a
shuffled order, so that a burst of load from elsewhere on the machine hits
all cases alike. It prints median, p10 and p90 wall times and
the ratios of the medians to bare exec and to the C floor, measures nono's
peak memory before exec, and (unless --quick) runs the inside-the-sandbox
workloads: a file-heavy loop and a cargo build, with and without nono.

Full mode rewrites the generated part of BENCHMARKS.md (between the
`<!-- whole_command:begin -->` and `<!-- whole_command:end -->` markers);
--quick (for CI) runs a few rounds, writes nothing unless --write is given,
and fails only if a case did not run, never on timings.

    python3 benches/whole_command.py            # about 2 minutes, then ~3 more for --inside
    python3 benches/whole_command.py --quick --nono target/debug/nono

Python 3.9+ standard library only; needs cc and cargo (for the example
plugin), and bwrap for its rows (installed with apt-get when missing and
running as root, else skipped).
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

import benchmarks_md

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHES = os.path.join(REPO, "benches")

# Landlock's access-right bits, by the names `nono run --dry-run --json` uses.
FS_BITS = [
    "execute", "write_file", "read_file", "read_dir", "remove_dir",
    "remove_file", "make_char", "make_dir", "make_reg", "make_sock",
    "make_fifo", "make_block", "make_sym", "refer", "truncate", "ioctl_dev",
]
SCOPE_BITS = ["abstract_unix_socket", "signal"]

SH_LOOP = "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done"
FILE_TREE = (100, 1000)  # directories x files: 100 000 files for the file loop
SCALE_RULES = 10_000  # path rules of the large-ruleset rows (1 000 with --quick)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- setup


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")


def build_nono(profile):
    cmd = ["cargo", "build", "--quiet", "--locked", "-p", "nono"]
    if profile == "release":
        cmd.append("--release")
    log("building nono:", " ".join(cmd))
    run(cmd, cwd=REPO)
    return os.path.join(target_dir(), profile, "nono")


def cc(src, out, *flags):
    run(["cc", "-O2", "-Wall", *flags, "-o", out, os.path.join(BENCHES, src)])
    return out


def build_plugin(work, quick):
    """The example plugin, libacme.so, built once with cargo as the tests
    build it (into TARGET/plugin-build, debug, so that after the tests it is
    already built; the full run builds it in release, in a directory of its
    own) and copied into WORK/plugin (mode 0644 in a 0755 directory, as nono's
    trust check wants). Its `acme/jdk` preset grants $ACME_JDK_HOME, read-only:
    WORK-jdk, beside WORK."""
    target = os.path.join(target_dir(), "plugin-build" if quick else "plugin-build-release")
    cmd = ["cargo", "build", "--quiet", "--locked", "-p", "nono-example-acme", "--target-dir", target]
    if not quick:
        cmd.append("--release")
    log("building the example plugin:", " ".join(cmd))
    env = dict(os.environ)
    env.pop("CARGO_TARGET_DIR", None)
    run(cmd, cwd=REPO, env=env)
    built = os.path.join(target, "debug" if quick else "release", "libacme.so")
    plugin_dir = os.path.join(work, "plugin")
    os.makedirs(plugin_dir, exist_ok=True)
    os.chmod(plugin_dir, 0o755)
    plugin = os.path.join(plugin_dir, "libacme.so")
    shutil.copyfile(built, plugin + ".new")
    os.chmod(plugin + ".new", 0o644)
    os.replace(plugin + ".new", plugin)
    # Outside the granted working directory, so that the preset adds a rule.
    jdk = work + "-jdk"
    os.makedirs(jdk, exist_ok=True)
    # The plugin cache of the plugin rows: beside the granted working
    # directory (inside it, it would be carved out of `--allow .`, which
    # would change the ruleset measured), and not the user's own.
    cache = work + "-cache"
    os.makedirs(cache, mode=0o700, exist_ok=True)
    shutil.rmtree(os.path.join(cache, "nono"), ignore_errors=True)
    env = {"ACME_JDK_HOME": jdk, "XDG_CACHE_HOME": cache}
    return {"path": plugin, "env": env,
            "first_env": dict(env, NONO_PLUGIN_CACHE="off")}


def check_plugin_rows(nono, plugin, work):
    """Makes the plugin rows honest: with the cache off, nono says it
    evaluated the plugin; with it on, the second run says it read the cache."""
    argv = [nono, "run", "-v", "--plugin", plugin["path"], "--preset", "acme/jdk", "--allow", ".", "--", "/bin/true"]
    def stderr(env):
        return subprocess.run(argv, cwd=work, env=dict(os.environ, **env), check=True,
                              capture_output=True, text=True).stderr
    first = stderr(plugin["first_env"])
    if "presets evaluated by the plugin (cache off" not in first:
        raise SystemExit("the first-time plugin row does not evaluate the plugin:\n" + first)
    stderr(plugin["env"])
    reused = stderr(plugin["env"])
    if "presets from the cache" not in reused:
        raise SystemExit("the reused plugin row is not served from the cache:\n" + reused)


def build_helpers(work):
    """The C floor, the tiny exit program and the file loop."""
    helpers = {
        "floor": cc("floor.c", os.path.join(work, "floor")),
        "file_loop": cc("file_loop.c", os.path.join(work, "file_loop")),
        "maxrss": cc("maxrss.c", os.path.join(work, "maxrss")),
    }
    exit0 = os.path.join(work, "exit0")
    try:
        cc("exit0.c", exit0, "-static", "-nostdlib")
    except subprocess.CalledProcessError:
        cc("exit0.c", exit0, "-static")
    helpers["exit0"] = exit0
    return helpers


def make_tree(root, dirs, files):
    """ROOT/dNNN/fNNN, made once (a marker file says it is complete)."""
    marker = os.path.join(root, ".complete-%dx%d" % (dirs, files))
    if os.path.exists(marker):
        return
    log("creating %d files under %s" % (dirs * files, root))
    for d in range(dirs):
        sub = os.path.join(root, "d%03d" % d)
        os.makedirs(sub, exist_ok=True)
        for f in range(files):
            with open(os.path.join(sub, "f%03d" % f), "w") as fh:
                fh.write("x")
    open(marker, "w").close()


def dry_run(nono, grants, work):
    out = subprocess.run(
        [nono, "run", *grants, "--dry-run", "--json", "--", "/bin/true"],
        cwd=work, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def bits(names, table):
    return sum(1 << table.index(n) for n in names)


def floor_args(plan):
    """The C floor's arguments for exactly the ruleset nono lowered."""
    rs = plan["ruleset"]
    args = ["%x" % bits(rs["handled_fs"], FS_BITS), "%x" % bits(rs["scoped"], SCOPE_BITS)]
    args += ["%x:%s" % (bits(r["rights"], FS_BITS), r["path"]) for r in rs["rules"]]
    return args


def bwrap_args(plan):
    """A bubblewrap layout equivalent to nono's ruleset: every rule's path
    bound at the same place, read-only unless the rule grants writing,
    devices with --dev-bind, and the symlinks the grants went through."""
    args = []
    for rule in plan["ruleset"]["rules"]:
        path = rule["path"]
        if path.startswith("/dev/"):
            args += ["--dev-bind", path, path]
        elif "write_file" in rule["rights"]:
            args += ["--bind", path, path]
        else:
            args += ["--ro-bind", path, path]
    seen = set()
    for grant in plan["grants"]:
        expanded = grant.get("expanded")
        if grant.get("outcome") == "resolved" and expanded != grant["path"] and expanded not in seen:
            seen.add(expanded)
            if os.path.islink(expanded):
                args += ["--symlink", os.readlink(expanded), expanded]
    return args


def ensure_bwrap(install):
    if shutil.which("bwrap"):
        return None
    if not install:
        return "bwrap is not installed (--no-install)"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "bwrap is not installed and cannot be installed here (needs root and apt-get)"
    log("installing bubblewrap with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    ok = subprocess.run(["apt-get", "install", "-y", "-qq", "bubblewrap"], env=env,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    if not ok:
        subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
        ok = subprocess.run(["apt-get", "install", "-y", "-qq", "bubblewrap"], env=env,
                            stdout=subprocess.DEVNULL).returncode == 0
    return None if ok and shutil.which("bwrap") else "apt-get could not install bubblewrap"


# ---------------------------------------------------------------- timing


def spawn(argv, cwd_fd_null, env=None):
    """Runs argv (with environment env, default this process's) to
    completion; returns (seconds, wait status, ru_maxrss KiB)."""
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env or os.environ, file_actions=cwd_fd_null)
    _, status, usage = os.wait4(pid, 0)
    return (time.perf_counter_ns() - t0) / 1e9, status, usage.ru_maxrss


class WithEnv(list):
    """An argv to run with these variables added to the environment."""

    def __init__(self, argv, env):
        super().__init__(argv)
        self.env = dict(os.environ, **env)


def interleaved(cases, rounds, warmup, seed=7):
    """Runs every case once per round, in a shuffled order each round.
    Returns {label: [seconds...]}; raises if a case exits non-zero."""
    null = os.open(os.devnull, os.O_RDWR)
    quiet = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
    rng = random.Random(seed)
    times = {label: [] for label, _ in cases}
    order = list(cases)
    for n in range(warmup + rounds):
        rng.shuffle(order)
        for label, argv in order:
            secs, status, _ = spawn(argv, quiet, getattr(argv, "env", None))
            if status != 0:
                raise SystemExit("case %r failed (wait status %d): %s" % (label, status, " ".join(argv[:12])))
            if n >= warmup:
                times[label].append(secs)
    os.close(null)
    return times


def summary(samples):
    qs = statistics.quantiles(samples, n=10, method="inclusive")
    return {"median": statistics.median(samples), "p10": qs[0], "p90": qs[-1], "n": len(samples)}


# ---------------------------------------------------------------- the cases


def whole_command_cases(nono, helpers, work, plans, bwrap_skip, plugin, baseline=None):
    """One line per runner: (label, function from the command's argv to the
    full argv, or None when the runner is skipped). Add a runner here."""
    data = os.path.join(work, "data.txt")
    commands = [
        ("true", ["/bin/true"]),
        ("cat 64 KiB", ["/bin/cat", data]),
        ("sh loop", ["/bin/sh", "-c", SH_LOOP]),
    ]
    floor = helpers["floor"]
    runners = [
        ("bare exec", lambda cmd: cmd),
        ("C floor", lambda cmd: [floor, *floor_args(plans["allow"]), "--", *cmd]),
        ("bwrap", None if bwrap_skip else
            lambda cmd: ["/usr/bin/bwrap", *bwrap_args(plans["allow"]), "--chdir", work, "--", *cmd]),
        ("nono --allow .", lambda cmd: [nono, "run", "--allow", ".", "--", *cmd]),
        ("C floor, rust rules", lambda cmd: [floor, *floor_args(plans["rust"]), "--", *cmd]),
        ("nono --preset rust --allow .", lambda cmd: [nono, "run", "--preset", "rust", "--allow", ".", "--", *cmd]),
        # The example plugin's preset: the first time (the cache off, so the
        # sandboxed helper evaluates the plugin on every run) and reused (its
        # answer read from the plugin cache, as on every run after the first).
        ("nono --preset acme/jdk --allow ., first time", lambda cmd: WithEnv(
            [nono, "run", "--plugin", plugin["path"], "--preset", "acme/jdk", "--allow", ".", "--", *cmd],
            plugin["first_env"])),
        ("nono --preset acme/jdk --allow ., reused", lambda cmd: WithEnv(
            [nono, "run", "--plugin", plugin["path"], "--preset", "acme/jdk", "--allow", ".", "--", *cmd],
            plugin["env"])),
    ]
    if baseline:  # --baseline: another nono build, measured in the same rounds
        runners += [
            ("baseline nono --allow .", lambda cmd: [baseline, "run", "--allow", ".", "--", *cmd]),
            ("baseline nono --preset rust --allow .",
                lambda cmd: [baseline, "run", "--preset", "rust", "--allow", ".", "--", *cmd]),
        ]
    return commands, runners


def scale_cases(nono, helpers, work, plans, baseline=None):
    """/bin/true under 10 000 file rules: nono reading them from a preset
    file (parse, resolve, normalise, lower, open and check, add) and the C
    floor adding the same rules."""
    preset, n = plans["scale_preset"], plans["scale_rules"]
    return [
        ("C floor, %d rules" % n, [helpers["floor"], *floor_args(plans["scale"]), "--", "/bin/true"]),
        ("nono --preset %d-rule file" % n, [nono, "run", "--preset", preset, "--", "/bin/true"]),
    ] + ([("baseline nono --preset %d-rule file" % n, [baseline, "run", "--preset", preset, "--", "/bin/true"])]
         if baseline else [])


def write_scale_preset(work, rules):
    root = os.path.join(work, "scale")
    dirs, files = max(rules // 1000, 1), min(rules, 1000)
    make_tree(root, dirs, files)
    path = os.path.join(work, "scale-%d.ron" % rules)
    grants = ",\n".join(
        '        (path: "%s/d%03d/f%03d", access: Read)' % (root, d, f)
        for d in range(dirs) for f in range(files)
    )
    text = '(\n    name: "scale",\n    description: "%d file rules",\n    grants: [\n%s,\n    ],\n)\n' % (rules, grants)
    with open(path, "w") as fh:
        fh.write(text)
    return path


# ---------------------------------------------------------------- reports


def fmt_ms(s):
    return "%.3f" % (s * 1e3)


def whole_command_table(commands, runners, stats):
    lines = [
        "| command | runner | median ms | p10 ms | p90 ms | added to bare, ms | x bare | x C floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for cname, _ in commands:
        bare = stats[(cname, "bare exec")]["median"]
        floor = stats.get((cname, "C floor"), {}).get("median")
        for rname, make in runners:
            s = stats.get((cname, rname))
            if s is None:
                continue
            lines.append("| %s | %s | %s | %s | %s | %+.3f | %.2f | %s |" % (
                cname, rname, fmt_ms(s["median"]), fmt_ms(s["p10"]), fmt_ms(s["p90"]),
                (s["median"] - bare) * 1e3, s["median"] / bare,
                "%.2f" % (s["median"] / floor) if floor else "-"))
    return lines


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(l.split(":", 1)[1].strip() for l in fh if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = "%.1f GiB" % (int(fh.readline().split()[1]) / 2**20)
    except OSError:
        pass
    return "%s, %d CPUs, %s RAM, Linux %s, load average %s" % (
        cpu, os.cpu_count(), mem, platform.release(), " ".join("%.2f" % x for x in os.getloadavg()))


def peak_memory(nono, helpers, plans, rounds):
    """Peak RSS of nono before it executes the command. The command is
    exit0, a static program of a few pages; Linux keeps a process's
    high-water RSS across execve (ru_maxrss), so the child's ru_maxrss is
    nono's own peak. benches/maxrss.c forks the child from a small program
    (a child of this Python driver would start with the driver's RSS). The
    bare row shows exit0's own size, the C floor row a small C launcher's."""
    exit0 = helpers["exit0"]
    cases = [
        ("bare exit0", [exit0]),
        ("C floor", [helpers["floor"], *floor_args(plans["allow"]), "--", exit0]),
        ("nono --allow .", [nono, "run", "--allow", ".", "--", exit0]),
        ("nono --preset rust --allow .", [nono, "run", "--preset", "rust", "--allow", ".", "--", exit0]),
        ("nono --preset %d-rule file" % plans["scale_rules"],
            [nono, "run", "--preset", plans["scale_preset"], "--read", exit0, "--", exit0]),
    ]
    out = []
    for label, argv in cases:
        rss = [int(subprocess.run([helpers["maxrss"], *argv], check=True, capture_output=True, text=True).stdout)
               for _ in range(rounds)]
        out.append((label, max(rss), statistics.median(rss)))
    return out


def inside_sandbox(nono, helpers, work, rounds, baseline=None):
    """Workloads inside the sandbox, with and without it: the file loop
    (stat+open+close of 100 000 files; also under the --baseline build, if
    given, since every open passes the seccomp filter) and a cargo build of
    a real crate (nono-model and its dependencies, from a clean target
    directory)."""
    results = []
    files = os.path.join(work, "files")
    make_tree(files, *FILE_TREE)
    loop = [helpers["file_loop"], files, str(FILE_TREE[0]), str(FILE_TREE[1])]
    plan = dry_run(nono, ["--allow", "."], work)
    cases = [
        ("file loop, bare", loop),
        ("file loop, C floor", [helpers["floor"], *floor_args(plan), "--", *loop]),
        ("file loop, nono --allow .", [nono, "run", "--allow", ".", "--", *loop]),
    ]
    if baseline:
        cases.append(("file loop, baseline nono --allow .", [baseline, "run", "--allow", ".", "--", *loop]))
    t = interleaved(cases, rounds=max(rounds, 3), warmup=1)
    results += [(label, summary(t[label]) if len(t[label]) > 1 else {"median": t[label][0]}) for label, _ in cases]

    crate = os.path.join(work, "crate")
    if not os.path.isdir(crate):
        os.makedirs(crate)
        archive = subprocess.run(["git", "-C", REPO, "archive", "HEAD"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", crate], input=archive, check=True)
    build = ["cargo", "build", "--offline", "--locked", "--quiet", "-p", "nono-model"]
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(crate, "target"))
    env.pop("RUSTC_WRAPPER", None)
    builds = {"cargo build, bare": [], "cargo build, nono --preset rust --allow .": []}
    cmd = {"cargo build, bare": build,
           "cargo build, nono --preset rust --allow .": [nono, "run", "--preset", "rust", "--allow", ".", "--", *build]}
    order = list(builds)
    for n in range(max(rounds, 3) + 1):
        for label in (order if n % 2 == 0 else order[::-1]):
            shutil.rmtree(os.path.join(crate, "target"), ignore_errors=True)
            t0 = time.perf_counter()
            subprocess.run(cmd[label], cwd=crate, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if n > 0:  # the first round warms the page cache
                builds[label].append(time.perf_counter() - t0)
    results += [(label, summary(v)) for label, v in builds.items()]
    return results


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI mode: few rounds, no inside-sandbox runs, no BENCHMARKS.md")
    ap.add_argument("--rounds", type=int, help="rounds of every case (default 300, quick 10)")
    ap.add_argument("--nono", help="use this nono binary instead of building one")
    ap.add_argument("--profile", default="release", choices=["release", "debug"], help="which nono to build")
    ap.add_argument("--workdir", help="the granted working directory (default TARGET/bench-work; not under /tmp)")
    ap.add_argument("--inside", action=argparse.BooleanOptionalAction, default=None,
                    help="run the inside-the-sandbox workloads (default: on, off with --quick)")
    ap.add_argument("--no-install", action="store_true", help="do not apt-get install bubblewrap")
    ap.add_argument("--write", action="store_true", help="rewrite BENCHMARKS.md even with --quick")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--only", help="run only the cases whose 'command / runner' matches this regular expression "
                    "(bare exec and the C floor are always kept, for the ratios)")
    ap.add_argument("--baseline", help="another nono binary (say, before a change) to measure in the same rounds")
    args = ap.parse_args()
    rounds = args.rounds or (10 if args.quick else 300)
    inside = (not args.quick) if args.inside is None else args.inside

    given = {k: os.path.abspath(v) for k, v in (("nono", args.nono), ("baseline", args.baseline)) if v}
    work = os.path.realpath(args.workdir or os.path.join(target_dir(), "bench-work"))
    if re.match(r"^/(var/)?tmp(/|$)", work):
        if args.workdir:
            raise SystemExit("--workdir %s is under a temporary directory that the tmp preset grants; pick another" % work)
        # A checkout under /tmp: the default would fall inside the tmp
        # preset's grant, so use /dev/shm, which no preset grants.
        work = "/dev/shm/nono-bench-work"
    os.makedirs(work, exist_ok=True)
    os.chdir(work)
    with open(os.path.join(work, "data.txt"), "wb") as fh:
        fh.write(b"nono benchmark data\n" * 3277)  # about 64 KiB

    nono = given.get("nono") or build_nono(args.profile)
    helpers = build_helpers(work)
    plugin = build_plugin(work, args.quick)
    check_plugin_rows(nono, plugin, work)
    bwrap_skip = ensure_bwrap(not args.no_install)
    if bwrap_skip:
        log("skipping the bwrap rows:", bwrap_skip)
    plans = {"allow": dry_run(nono, ["--allow", "."], work),
             "rust": dry_run(nono, ["--preset", "rust", "--allow", "."], work)}
    plans["scale_rules"] = 1000 if args.quick else SCALE_RULES
    plans["scale_preset"] = write_scale_preset(work, plans["scale_rules"])
    plans["scale"] = dry_run(nono, ["--preset", plans["scale_preset"]], work)
    if not bwrap_skip:
        probe = subprocess.run(["/usr/bin/bwrap", *bwrap_args(plans["allow"]), "--", "/bin/true"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            bwrap_skip = "bwrap cannot run here: " + probe.stderr.strip()
            log("skipping the bwrap rows:", bwrap_skip)

    baseline = given.get("baseline")
    commands, runners = whole_command_cases(nono, helpers, work, plans, bwrap_skip, plugin, baseline)
    runners = [(name, make) for name, make in runners if make is not None]
    cases = [((c, r), make(cmd)) for c, cmd in commands for r, make in runners]
    cases += [(("true", label), argv) for label, argv in scale_cases(nono, helpers, work, plans, baseline)]
    if args.only:
        keep = re.compile(args.only)
        cases = [(k, argv) for k, argv in cases
                 if k[1] in ("bare exec", "C floor") or keep.search("%s / %s" % k)]
    log("machine:", machine())
    log("%d cases x %d rounds, interleaved" % (len(cases), rounds))
    started = time.time()
    times = interleaved(cases, rounds, warmup=3 if not args.quick else 1)
    stats = {key: summary(v) for key, v in times.items()}
    elapsed = time.time() - started

    missing = [k for k, _ in cases if len(times[k]) != rounds]
    if missing:
        raise SystemExit("cases without results: %s" % missing)

    table = whole_command_table(commands, runners, stats)
    scale_rows = ["| case | median ms | p10 ms | p90 ms |", "|---|---:|---:|---:|"]
    for label, _ in scale_cases(nono, helpers, work, plans, baseline):
        s = stats.get(("true", label))
        if s is None:
            continue
        scale_rows.append("| %s, /bin/true | %s | %s | %s |" % (label, fmt_ms(s["median"]), fmt_ms(s["p10"]), fmt_ms(s["p90"])))
    memory = peak_memory(nono, helpers, plans, 5 if args.quick else 30)
    mem_rows = ["| process | peak RSS, max (KiB) | median (KiB) |", "|---|---:|---:|"]
    mem_rows += ["| %s | %d | %d |" % row for row in memory]
    inside_rows = []
    if inside:
        log("inside the sandbox: file loop and cargo build")
        res = inside_sandbox(nono, helpers, work, 3 if args.quick else 5, given.get("baseline"))
        inside_rows = ["| workload | median s | ratio to bare |", "|---|---:|---:|"]
        base = {}
        for label, s in res:
            kind = label.split(",")[0]
            base.setdefault(kind, s["median"])
            inside_rows.append("| %s | %.3f | %.3f |" % (label, s["median"], s["median"] / base[kind]))

    print()
    print("machine:", machine())
    print("nono:", nono, "| rounds per case:", rounds, "| wall: %.0f s" % elapsed)
    if bwrap_skip:
        print("bwrap rows skipped:", bwrap_skip)
    print()
    print("\n".join(table))
    print()
    print("\n".join(scale_rows))
    print()
    print("\n".join(mem_rows))
    if inside_rows:
        print()
        print("\n".join(inside_rows))

    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"stats": {" / ".join(k): v for k, v in stats.items()}, "memory": memory}, fh, indent=1)
    if args.quick and not args.write:
        return
    command = "python3 benches/whole_command.py" + ("" if rounds == 300 else " --rounds %d" % rounds)
    block = [
        "<!-- whole_command:begin (generated by benches/whole_command.py; edits here are overwritten) -->",
        "",
        "Measured %s on: %s." % (datetime.date.today().isoformat(), machine()),
        "nono %s (%s build), %d interleaved rounds per case. Reproduce with `%s`." % (
            git_rev(), "given" if args.nono else args.profile, rounds, command),
        "" if not bwrap_skip else "\nbwrap rows skipped: %s\n" % bwrap_skip,
        "### Whole command",
        "",
        *table,
        "",
        "### %d path rules" % plans["scale_rules"],
        "",
        *scale_rows,
        "",
        "### Peak memory of nono before exec",
        "",
        *mem_rows,
        "",
    ]
    if inside_rows:
        block += ["### Inside the sandbox", "", *inside_rows, ""]
    block.append("<!-- whole_command:end -->")
    update_benchmarks_md("\n".join(block))


def git_rev():
    r = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return (r.stdout.strip() or "unknown") + (" with local changes" if dirty else "")


def update_benchmarks_md(block):
    log("wrote", benchmarks_md.replace_block("whole_command", block))


if __name__ == "__main__":
    main()
