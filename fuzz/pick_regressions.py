#!/usr/bin/env python3
"""Pick the checked-in regression inputs of one fuzz target: from a directory of candidates (the
output of `-set_cover_merge=1`, see README.md), the inputs that add the most new edges per byte,
until a byte budget is spent. Copies them to ../tests/fuzz-corpus/<target>/ and prints the coverage
kept. Named inputs already there (crashers, hand-written cases) are kept; only inputs named by
libFuzzer (the SHA-1 of their content) are replaced.

usage: pick_regressions.py TARGET CANDIDATE_DIR [BUDGET_BYTES]   (run in fuzz/, after a build)
"""
import os
import shutil
import subprocess
import sys
import tempfile

target, candidates = sys.argv[1], sys.argv[2]
budget = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
binary = f"target/x86_64-unknown-linux-gnu/release/{target}"
out = f"../tests/fuzz-corpus/{target}"


def edges(path):
    """Every edge one input covers: a merge of that input alone lists all of them as new."""
    with tempfile.TemporaryDirectory() as tmp:
        single, empty = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        os.mkdir(single), os.mkdir(empty)
        shutil.copy(path, single)
        control = os.path.join(tmp, "control")
        subprocess.run([binary, "-merge=1", "-use_counters=0", "-rss_limit_mb=2048", "-timeout=10",
                        f"-merge_control_file={control}", empty, single],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        for line in open(control):
            fields = line.split()
            if fields and fields[0] == "COV":
                return set(map(int, fields[2:]))
    return set()


names = sorted(os.listdir(candidates))
cover = {n: edges(os.path.join(candidates, n)) for n in names}
size = {n: os.path.getsize(os.path.join(candidates, n)) for n in names}
every = set().union(*cover.values())
have, total, chosen = set(), 0, []
while cover:
    # New edges per byte; the constant keeps tiny inputs from winning on size alone.
    best = max(cover, key=lambda n: len(cover[n] - have) / (size[n] + 256))
    if not cover[best] - have or total + size[best] > budget:
        break
    have |= cover.pop(best)
    total += size[best]
    chosen.append(best)
os.makedirs(out, exist_ok=True)
for name in os.listdir(out):
    if len(name) == 40 and all(c in "0123456789abcdef" for c in name):
        os.remove(os.path.join(out, name))
for name in chosen:
    shutil.copy(os.path.join(candidates, name), out)
print(f"{target}: {len(chosen)} inputs, {total} bytes, {len(have)}/{len(every)} edges "
      f"({100 * len(have) / max(len(every), 1):.1f}%)")
