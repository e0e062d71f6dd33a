#!/usr/bin/env python3
"""Writes the hand-written seeds of the cli_argv and lowering fuzz targets.

Their inputs are bytes that `arbitrary` decodes (nono/src/fuzzing.rs,
nono-compile/src/testing/fuzz.rs), so a seed is written here as the choices
it encodes: an argv of words from the decoder's lists (read from the
source, so they stay in step), or a scenario's counts and picks. Run from
anywhere: python3 fuzz/seeds.py
"""
import pathlib
import re

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent


def rust_list(source, name):
    """The string literals of `const NAME: &[&str] = &[...];`."""
    body = re.search(r"const %s: &\[&str\] = &\[(.*?)\];" % name, source, re.S).group(1)
    return [bytes(s, "utf-8").decode("unicode_escape") for s in re.findall(r'"((?:[^"\\]|\\.)*)"', body)]


def lowered_abis(source):
    """How many ABIs nono lowers to: the lines of the `lowered` block of
    the `landlock_abis!` table."""
    body = re.search(r"landlock_abis! \{\s*lowered \{(.*?)\n    \}", source, re.S).group(1)
    return len(re.findall(r"^\s*V\d+ = \d+ =>", body, re.M))


# One target seed byte per ABI (`TargetSeeds`).
ABIS = lowered_abis((ROOT / "nono-model/src/abi.rs").read_text())

src = (ROOT / "nono/src/fuzzing.rs").read_text()
SUBCOMMANDS = rust_list(src, "SUBCOMMANDS")
FLAGS = rust_list(src, "FLAGS")
VALUES = rust_list(src, "VALUES")


def argv(*words):
    """Bytes that `argv_input` decodes to `nono WORDS...` (the first word a
    subcommand)."""
    out = [0, SUBCOMMANDS.index(words[0]), len(words) - 1]  # ratio(7, 8): yes
    for w in words[1:]:
        if "=" in w and w.startswith("-") and w.split("=", 1)[0] in FLAGS:
            flag, value = w.split("=", 1)
            out += [8, FLAGS.index(flag), VALUES.index(value)]
        elif w in FLAGS:
            out += [1, FLAGS.index(w)]
        elif w in VALUES:
            out += [4, VALUES.index(w)]
        else:
            out += [0, SUBCOMMANDS.index(w)]
    return bytes(out)


CLI = {
    "read-project": argv("run", "--read", "/w", "--", "true"),
    "allow-home-carves": argv("run", "--allow", "~", "--dry-run"),
    "rust-preset": argv("run", "--preset", "rust", "--allow", ".", "--", "true"),
    "sensitive-through-symlink": argv("run", "--read", "/w/link/.ssh", "--", "true"),
    "ports-abi3": argv("run", "--net-connect", "80,443", "--net-bind", "0", "--abi", "3", "--dry-run"),
    "expose-ssh": argv("run", "--expose", "~/.ssh", "--allow", "~", "--dry-run"),
    "why-write": argv("why", "/w/src", "--op", "write", "--read", "/w"),
    "presets-show": argv("presets", "show", "rust"),
    "env-specs": argv("run", "--env", "NAME=value", "--env", "1A=b", "--dry-run"),
    "plugin-preset": argv("run", "--preset", "acme/jdk", "--dry-run"),
    "unset-variable": argv("run", "--read", "$NOPE", "--dry-run"),
    "deny-no-base": argv("run", "--no-base", "--deny", "/w/src", "--allow", "/w", "--dry-run"),
    "flag-equals": argv("run", "--read=/w/f.txt", "--abi=8", "--dry-run"),
    "net-block-conflict": argv("run", "--net-block", "--net-connect", "443", "--dry-run"),
    "dangling": argv("run", "--write", "/w/dangling", "--dry-run"),
}


def pick(i, n):
    """A byte whose `Pick::from_byte` is index `i` of `n`."""
    return min(255, (256 * i + 128) // n)


def scenario(nodes, links=(), grants=(), denies=(), cwd=0, base=0, net=0, ports=((), ()), scopes=(1, 1), log=0, abis=(0,) * ABIS):
    """Bytes that `scenario_input` decodes to the scenario described.

    nodes: (parent index among the shallow directories so far, name index, dir)
    links: (dir index, target index, relative)
    grants: (form, target, aux, access 0..2, optional)
    denies: (kind, pick, aux, via or None, exposed)
    Indices are (index, length of the decoder's candidate list) pairs.
    """
    out = [len(nodes) - 1, len(links), len(grants), len(denies)]
    out += [pick(*cwd) if isinstance(cwd, tuple) else cwd, pick(*base) if isinstance(base, tuple) else base]
    out += [net]
    if net == 2:
        for group in ports:  # connect, then bind: small ports (0..=5) only
            out += [len(group)]
            for port in group:
                out += [0, port]
    out += [scopes[0], scopes[1], log, 0, 0]
    out += list(abis)
    for parent, name, is_dir in nodes:
        out += [pick(*parent), name, 0 if is_dir else 4]
    for d, t, rel in links:
        out += [pick(*d), pick(*t), int(rel)]
    for form, target, aux, access, optional in grants:
        out += [form, pick(*target), pick(*aux), access, 0 if optional else 4, 0]
    for kind, p, aux, via, exposed in denies:
        out += [kind, pick(*p), pick(*aux)]
        out += [0, pick(*via)] if via is not None else [9]
        out += [1, 0 if exposed else 19]
    return bytes(out)


# NAMES: a ab b src x f.txt; access: Read Write Allow.
LOWERING = {
    # /a/src/f.txt under a read grant on /a, written ~/src with home /a.
    "read-tree": scenario(
        nodes=[((0, 1), 0, True), ((1, 2), 3, True), ((2, 3), 5, False)],
        grants=[(0, (1, 4), (0, 1), 0, False), (3, (2, 4), (0, 1), 2, False)],
        base=(1, 3),
    ),
    # A write grant on / with a denial inside, and a symlink to it.
    "carve-below-root": scenario(
        nodes=[((0, 1), 0, True), ((1, 2), 1, True), ((1, 3), 5, False)],
        links=[((0, 3), (1, 4), False)],
        grants=[(0, (0, 4), (0, 1), 1, False)],
        denies=[(0, (0, 3), (0, 1), None, False)],
    ),
    # Port rules at every ABI, through a relative symlink grant.
    "ports-symlink": scenario(
        nodes=[((0, 1), 2, True), ((1, 2), 4, False)],
        links=[((0, 2), (2, 3), True)],
        grants=[(2, (2, 3), (0, 1), 2, False)],
        net=2,
        ports=((1, 2), (2, 0)),
        abis=tuple(range(1, ABIS + 1)),  # a different form and distance per ABI
    ),
    # An offending grant, an exposed denial, a missing denial and a missing
    # optional grant, under a network block and --log-denials.
    "expose-offending": scenario(
        nodes=[((0, 1), 0, True), ((1, 2), 1, True), ((2, 3), 5, False)],
        grants=[(0, (0, 4), (0, 1), 2, False), (0, (2, 4), (0, 1), 0, False), (7, (1, 4), (0, 1), 0, True)],
        denies=[(0, (1, 3), (0, 1), None, False), (0, (2, 3), (0, 1), None, True), (2, (1, 4), (0, 1), None, False)],
        net=1,
        log=1,
    ),
}


def write(target, seeds):
    d = FUZZ / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        (d / ("seed-" + name)).write_bytes(data)


write("cli_argv", CLI)
write("lowering", LOWERING)
