"""Alternate the GUI stall benchmark between a baseline tree and this one, one run at a time, and
print min / median / max of each figure per side (the machine's load changes over minutes: runs
that alternate see the same load, runs in a row do not).

    python tests/perf/compare_gui_stall.py --baseline /tmp/perf-baseline --rounds 3

The baseline is a tree of the code to compare against (``git archive <commit> | tar -x -C DIR``);
this file's benchmark (tests/perf/test_monitor_gui_perf.py and stall_attribution.py) is copied
into it, so both sides are measured the same way. Round i runs seed 11 + i on both sides.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RUN = re.compile(r"run \d+: .*?worst (\d+) ms \(connect (\d+) ms\), p99 (\d+) ms, (\d+) of \d+ ticks over 50 ms; "
                 r"page work per update max (\d+) ms \((\d+) ms CPU\).*?worst while this process had the CPU (\d+) ms")
FIGURES = ("worst", "connect", "p99", "ticks over 50 ms", "page work max", "its CPU", "worst with the CPU")


def one_run(tree: Path, seed_offset: int) -> tuple[int, ...] | None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(tree), "DRS_PERF_RUNS": "1",
           "DRS_PERF_SEED_OFFSET": str(seed_offset)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/perf/test_monitor_gui_perf.py", "-m", "perf", "-s", "-n", "0",
         "-p", "no:cacheprovider", "-q"], cwd=tree, env=env, capture_output=True, text=True, timeout=900)
    m = RUN.search(proc.stdout)
    if m is None:
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n", file=sys.stderr)
        return None
    return tuple(int(x) for x in m.groups())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, required=True, help="a tree of the code to compare against")
    ap.add_argument("--rounds", type=int, default=3, help="runs per side (alternating); at least 3")
    args = ap.parse_args()
    for name in ("test_monitor_gui_perf.py", "stall_attribution.py"):
        shutil.copy(HERE / name, args.baseline / "tests" / "perf" / name)
    sides = {"baseline": args.baseline, "this tree": ROOT}
    results: dict[str, list[tuple[int, ...]]] = {k: [] for k in sides}
    for i in range(max(3, args.rounds)):
        for side, tree in sides.items():
            r = one_run(tree, i)
            if r is not None:
                results[side].append(r)
            print(f"round {i + 1}, {side}: " + (", ".join(f"{n} {v}" for n, v in zip(FIGURES, r, strict=True))
                                                 if r else "failed"), flush=True)
    print("\nmin / median / max over the runs (ms; ticks: a count)")
    for side, rows in results.items():
        if not rows:
            continue
        cols = list(zip(*rows, strict=True))
        print(f"  {side} ({len(rows)} runs): " + "; ".join(
            f"{n} {min(c)} / {statistics.median(c):.0f} / {max(c)}" for n, c in zip(FIGURES, cols, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
