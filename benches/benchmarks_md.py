"""BENCHMARKS.md's generated blocks, shared by the benchmark scripts.

Each script owns the text between `<!-- NAME:begin ... -->` and
`<!-- NAME:end -->` and rewrites only that; the rest of the file is
written by hand.
"""

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def replace_block(name, block):
    """Puts `block` (which starts and ends with NAME's markers) in place of
    NAME's block in BENCHMARKS.md, or at its end when it has none yet;
    returns the file's path."""
    path = os.path.join(REPO, "BENCHMARKS.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n"
    pattern = re.compile(r"<!-- %s:begin.*?<!-- %s:end -->" % (name, name), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as fh:
        fh.write(text)
    return path
