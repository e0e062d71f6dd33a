#!/usr/bin/env python3
"""What nono's seccomp filter costs, apart from the rest of nono.

Reads the filter out of running `nono run` processes (for each build given,
with and without port rules), then measures with benches/filter_cost.c:
the CPU time to install each filter in a fresh child (and to make the
private IPC namespace nono makes as root), and the CPU time of a call the
filter judges (openat, ioctl) and of one it does not name (getppid) under
each. CPU time, not wall time, so that other work on the machine disturbs
it less; install rounds interleave the filters.

    python3 benches/filter_cost.py --baseline OLD_NONO [--nono NONO] [--write]

Needs root (the filter is read with PTRACE_SECCOMP_GET_FILTER) and cc.
--write puts the table in BENCHMARKS.md (between the filter_cost markers).
"""

import argparse
import ctypes
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time

import benchmarks_md

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PTRACE_ATTACH, PTRACE_DETACH, PTRACE_SECCOMP_GET_FILTER = 16, 17, 0x420C


def read_filter(nono, flags, work, out):
    """Starts `nono run FLAGS -- sleep`, reads its seccomp filter, writes it
    to OUT; returns its instruction count."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    env = dict(os.environ, HOME=work)
    proc = subprocess.Popen([nono, "run", *flags, "--", "/bin/sleep", "30"], cwd=work, env=env,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):  # until nono has become sleep
            time.sleep(0.02)
            if os.readlink("/proc/%d/exe" % proc.pid).endswith("sleep"):
                break
        if libc.ptrace(PTRACE_ATTACH, proc.pid, None, None) != 0:
            raise SystemExit("cannot attach to nono (run as root): errno %d" % ctypes.get_errno())
        os.waitpid(proc.pid, 0)
        count = libc.ptrace(PTRACE_SECCOMP_GET_FILTER, proc.pid, ctypes.c_void_p(0), None)
        if count <= 0:
            raise SystemExit("cannot read the filter: errno %d" % ctypes.get_errno())
        buf = ctypes.create_string_buffer(count * 8)
        libc.ptrace(PTRACE_SECCOMP_GET_FILTER, proc.pid, ctypes.c_void_p(0), buf)
        with open(out, "wb") as fh:
            fh.write(buf.raw)
        libc.ptrace(PTRACE_DETACH, proc.pid, None, None)
        return count
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nono", default=os.path.join(REPO, "target", "release", "nono"))
    ap.add_argument("--baseline", help="another nono build, say before a change")
    ap.add_argument("--rounds", type=int, default=200, help="install batches of 20 children per filter")
    ap.add_argument("--calls", type=int, default=300000, help="calls per repetition")
    ap.add_argument("--write", action="store_true", help="rewrite the filter_cost block of BENCHMARKS.md")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="nono-filter-cost-")
    tool = os.path.join(work, "filter_cost")
    subprocess.run(["cc", "-O2", "-o", tool, os.path.join(REPO, "benches", "filter_cost.c")], check=True)
    builds = [("nono", os.path.abspath(args.nono))]
    if args.baseline:
        builds.insert(0, ("baseline nono", os.path.abspath(args.baseline)))
    filters = []
    for label, nono in builds:
        for flags in ([], ["--net-connect", "443"]):
            path = os.path.join(work, "%d.bpf" % len(filters))
            count = read_filter(nono, flags, work, path)
            filters.append(("%s %s" % (label, " ".join(["run", *flags])), path, count))
    install = subprocess.run([tool, "install", str(args.rounds), *[p for _, p, _ in filters], "ipc-namespace"],
                             check=True, capture_output=True, text=True).stdout.split("\n")
    cost = [float(line.split("\t")[2]) for line in install if line]
    rows = ["| filter | instructions | install, us CPU | openat+close, ns | ioctl, ns | getppid, ns |",
            "|---|---:|---:|---:|---:|---:|"]
    calls = subprocess.run([tool, "calls", str(args.calls)], check=True, capture_output=True,
                           text=True, stdin=subprocess.DEVNULL).stdout.split("\t")
    rows.append("| none (fork and exit: %.1f us CPU) | 0 | | %s | %s | %s |" % (cost[0], *[c.strip() for c in calls[2:]]))
    for i, (label, path, count) in enumerate(filters):
        calls = subprocess.run([tool, "calls", str(args.calls), path], check=True, capture_output=True,
                               text=True, stdin=subprocess.DEVNULL).stdout.split("\t")
        rows.append("| %s | %d | +%.1f | %s | %s | %s |" % (label, count, cost[i + 1] - cost[0],
                                                          *[c.strip() for c in calls[2:]]))
    rows.append("| unshare(CLONE_NEWIPC), no filter | | +%.1f | | | |" % (cost[-1] - cost[0]))
    load = " ".join("%.2f" % x for x in os.getloadavg())
    text = "\n".join(rows)
    print(text)
    if args.write:
        block = ("<!-- filter_cost:begin (generated by benches/filter_cost.py; edits here are overwritten) -->\n\n"
                 "Measured %s on Linux %s, load average %s, %d install batches of 20 children per filter, "
                 "%d calls per repetition (best of 7). Reproduce with `python3 benches/filter_cost.py "
                 "--baseline OLD_NONO`.\n\n%s\n\n<!-- filter_cost:end -->"
                 % (datetime.date.today().isoformat(), platform.release(), load, args.rounds, args.calls, text))
        print("wrote", benchmarks_md.replace_block("filter_cost", block), file=sys.stderr)


if __name__ == "__main__":
    main()
