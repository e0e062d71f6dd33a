#!/usr/bin/env python3
"""What supervision costs: one supervised call, and how many a real build
makes.

1. Per call: benches/supervised_calls.c does N chmods of a file in the
   granted working directory, bare and under `nono run --allow .`; the
   difference per call, over the medians of interleaved rounds, is the
   price of one notification answered on the command's behalf (the
   supervisor reads the path, resolves it, asks the evaluator, chmods).
2. Count: `strace -f -c` of a real `cargo build` (this workspace's
   nono-model crate and its dependencies, offline, in a fresh target
   directory) and of `npm install` of a small
   tarball made here, counting the calls the supervisor judges
   (connect, bind, sendto, sendmsg, sendmmsg, the chmod (but fchmodat2,
   which this strace does not know),
   chown, utimes and xattr families, inotify_add_watch).

    python3 benches/supervision.py --nono target/release/nono [--rounds 15]

Prints a table; with --write, replaces the `supervision` block of
BENCHMARKS.md. Python 3.9+ standard library, cc, strace, cargo, npm.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import benchmarks_md

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUPERVISED = [
    "connect", "bind", "sendto", "sendmsg", "sendmmsg", "chmod", "fchmod",
    "fchmodat", "chown", "fchown", "lchown", "fchownat", "utime",
    "utimes", "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr",
    "removexattr", "lremovexattr", "fremovexattr", "inotify_add_watch",
]


def timed(argv, cwd):
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def per_call(nono, work, rounds, calls):
    exe = os.path.join(work, "supervised_calls")
    subprocess.run(["cc", "-O2", "-o", exe,
                    os.path.join(REPO, "benches", "supervised_calls.c")], check=True)
    target = os.path.join(work, "f")
    open(target, "w").close()
    bare = [exe, target, str(calls)]
    boxed = [nono, "run", "--allow", work, "--", exe, target, str(calls)]
    empty_bare = [exe, target, "0"]
    empty_boxed = [nono, "run", "--allow", work, "--", exe, target, "0"]
    times = {k: [] for k in ("bare", "boxed", "bare0", "boxed0")}
    for _ in range(rounds):
        times["bare"].append(timed(bare, work))
        times["boxed"].append(timed(boxed, work))
        times["bare0"].append(timed(empty_bare, work))
        times["boxed0"].append(timed(empty_boxed, work))
    med = {k: statistics.median(v) for k, v in times.items()}
    bare_call = (med["bare"] - med["bare0"]) / calls
    boxed_call = (med["boxed"] - med["boxed0"]) / calls
    return bare_call, boxed_call


def count(argv, cwd, env=None):
    # The report goes to a directory of its own, never into the command's
    # working directory (for cargo, the repository), removed afterwards.
    with tempfile.TemporaryDirectory(prefix="nono-strace-") as tmp:
        report = os.path.join(tmp, "count")
        run = subprocess.run(
            ["strace", "-f", "-c", "-o", report, "-e", "trace=" + ",".join(SUPERVISED)]
            + argv, cwd=cwd, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise OSError(f"{argv[0]} failed: {run.stderr.strip()[-300:]}")
        with open(report) as f:
            lines = f.read().splitlines()
    total = 0
    per = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 5 and parts[-1] in SUPERVISED:
            calls = int(parts[3])
            per[parts[-1]] = calls
            total += calls
    return total, per


def cargo_build(work):
    # nono-model and its dependencies (serde, ron, thiserror...), from
    # scratch in a target directory of its own.
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(work, "target"))
    return count(["cargo", "build", "--offline", "-q", "-p", "nono-model"], REPO, env)


def npm_install(work):
    pkg = os.path.join(work, "pkg")
    os.makedirs(os.path.join(pkg, "bin"))
    with open(os.path.join(pkg, "package.json"), "w") as f:
        f.write('{"name": "nono-bench-pkg", "version": "1.0.0", "bin": {"nbp": "bin/nbp.js"}}')
    with open(os.path.join(pkg, "bin", "nbp.js"), "w") as f:
        f.write("#!/usr/bin/env node\nconsole.log('ok')\n")
    for i in range(50):
        with open(os.path.join(pkg, f"f{i}.js"), "w") as f:
            f.write(f"module.exports = {i};\n")
    tar = subprocess.run(["npm", "pack", "--silent"], cwd=pkg, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    app = os.path.join(work, "app")
    os.makedirs(app)
    with open(os.path.join(app, "package.json"), "w") as f:
        f.write('{"name": "app", "version": "1.0.0"}')
    env = dict(os.environ, npm_config_cache=os.path.join(work, "npm-cache"))
    return count(["npm", "install", "--offline", "--no-audit", "--no-fund",
                  os.path.join(pkg, tar)], app, env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nono", default=os.path.join(REPO, "target", "release", "nono"))
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    base = os.path.join(REPO, "target")
    os.makedirs(base, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(dir=base) as work:
        bare, boxed = per_call(os.path.abspath(args.nono), work, args.rounds, args.calls)
        rows.append(("one chmod, bare", f"{bare * 1e6:.2f} us"))
        rows.append(("one chmod, answered by the supervisor", f"{boxed * 1e6:.2f} us"))
        rows.append(("cost of one notification", f"{(boxed - bare) * 1e6:.2f} us"))
        for name, fn in (("cargo build (nono-model, offline)", cargo_build),
                         ("npm install (a local tarball, offline)", npm_install)):
            try:
                total, per = fn(work)
            except (OSError, subprocess.CalledProcessError) as e:
                rows.append((f"{name}: supervised calls", f"not measured ({e})"))
                continue
            detail = ", ".join(f"{k} {v}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
            cost = total * (boxed - bare) * 1e3
            rows.append((f"{name}: supervised calls", f"{total} ({detail}); about {cost:.1f} ms added"))
    table = "| measure | value |\n|---|---|\n" + "".join(f"| {a} | {b} |\n" for a, b in rows)
    print(table)
    if args.write:
        block = ("<!-- supervision:begin (benches/supervision.py --write) -->\n"
                 + table + "<!-- supervision:end -->")
        benchmarks_md.replace_block("supervision", block)


if __name__ == "__main__":
    sys.exit(main())
