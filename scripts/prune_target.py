#!/usr/bin/env python3
"""Keeps the cargo target directory from growing run after run.

Every change to a Kiln crate leaves its previous test binaries and
libraries behind under a new hash (scripts/test.sh builds each clean clone
into the same ~/.cache/kiln target directory); within weeks they filled
the disk (61 GB, 50 of them stale). For every Kiln artifact name (the
workspace's crates, tests, benches and examples) this keeps the newest
KEEP files (a crate has a few current builds at once: tests, clippy's
check, the fuzz build's features) and deletes the older ones.
Third-party artifacts are left alone.

Usage: prune_target.py TARGET_DIR [REPO_DIR]
"""
import collections
import glob
import os
import re
import sys

KEEP = 3


def ours(repo):
    names = {"kiln"}
    for kind in ("tests", "benches", "examples"):
        for path in glob.glob(os.path.join(repo, "crates", "*", kind, "*.rs")):
            names.add(os.path.basename(path)[:-3].replace("-", "_"))
    return names


def prune(deps, names):
    groups = collections.defaultdict(list)
    for f in os.listdir(deps):
        m = re.match(r"^(.*)-([0-9a-f]{16})(\..*)?$", f)
        if not m:
            continue
        name = m.group(1)[3:] if m.group(1).startswith("lib") else m.group(1)
        if name.startswith("kiln") or name in names:
            groups[(m.group(1), m.group(3) or "")].append(os.path.join(deps, f))
    freed = 0
    for files in groups.values():
        files.sort(key=os.path.getmtime, reverse=True)
        for f in files[KEEP:]:
            freed += os.path.getsize(f)
            os.remove(f)
    return freed


def main():
    target = sys.argv[1]
    repo = sys.argv[2] if len(sys.argv) > 2 else os.getcwd()
    names = ours(repo)
    freed = sum(prune(d, names) for d in glob.glob(os.path.join(target, "*", "deps")))
    print(f"prune: {freed / 1e9:.1f} GB of older Kiln build output removed from {target}")


if __name__ == "__main__":
    main()
