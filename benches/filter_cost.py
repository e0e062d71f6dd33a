#!/usr/bin/env python3
"""What nono's seccomp filters cost, apart from the rest of nono.

Reads the filters out of the commands of running `nono run` processes (for
each build given, with and without port rules: the syscall guard, and the
supervisor's notification filter where there is one), then measures with benches/filter_cost.c:
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
import struct
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


def command_pid(nono_pid):
    """The pid of the command under the supervisor `nono_pid`: nono forks,
    and its child applies the sandbox and becomes the command."""
    children = "/proc/%d/task/%d/children" % (nono_pid, nono_pid)
    try:
        with open(children) as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def read_filters(nono, flags, work, out):
    """Starts `nono run FLAGS -- sleep` and reads the command's seccomp
    filters: the syscall guard, and the supervisor's notification filter
    (told apart by its SECCOMP_RET_USER_NOTIF), or, since they are one, that
    one filter. Writes each to OUT.KIND;
    returns [(KIND, PATH, INSTRUCTIONS)]."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    env = dict(os.environ, HOME=work)
    proc = subprocess.Popen([nono, "run", *flags, "--", "/bin/sleep", "30"], cwd=work, env=env,
                            stderr=subprocess.DEVNULL)
    target = None
    try:
        for _ in range(200):  # until the command is sleep
            time.sleep(0.02)
            for pid in [proc.pid, *command_pid(proc.pid)]:
                try:
                    if os.readlink("/proc/%d/exe" % pid).endswith("sleep"):
                        target = pid
                except OSError:
                    pass
            if target:
                break
        if target is None:
            raise SystemExit("nono did not start the command")
        if libc.ptrace(PTRACE_ATTACH, target, None, None) != 0:
            raise SystemExit("cannot attach to the command (run as root): errno %d" % ctypes.get_errno())
        os.waitpid(target, 0)
        found = []
        index = 0
        while True:
            count = libc.ptrace(PTRACE_SECCOMP_GET_FILTER, target, ctypes.c_void_p(index), None)
            if count <= 0:
                break
            buf = ctypes.create_string_buffer(count * 8)
            libc.ptrace(PTRACE_SECCOMP_GET_FILTER, target, ctypes.c_void_p(index), buf)
            insns = [struct.unpack_from("=HBBI", buf.raw, 8 * i) for i in range(count)]
            notify = any(code == 0x06 and k == 0x7FC00000 for code, _, _, k in insns)
            # The guard refuses x32 calls with EACCES; the notification
            # filter of builds before the two were one refused them with ENOSYS.
            guard = any(code == 0x06 and k == 0x00050000 | 13 for code, _, _, k in insns)
            kind = "both" if notify and guard else "notify" if notify else "guard"
            path = "%s.%s" % (out, kind)
            with open(path, "wb") as fh:
                fh.write(buf.raw)
            found.append((kind, path, count))
            index += 1
        libc.ptrace(PTRACE_DETACH, target, None, None)
        if not found:
            raise SystemExit("cannot read the filters: errno %d" % ctypes.get_errno())
        return sorted(found)
    finally:
        if target is not None:
            try:
                os.kill(target, 9)
            except OSError:
                pass
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
            base = os.path.join(work, "%d.bpf" % len(filters))
            for kind, path, count in read_filters(nono, flags, work, base):
                name = {"guard": "syscall guard",
                        "notify": "supervisor's notification filter",
                        "both": "syscall guard and the supervisor's calls, one filter"}[kind]
                filters.append(("%s %s: %s" % (label, " ".join(["run", *flags]), name), path, count))
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
