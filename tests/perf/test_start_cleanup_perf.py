"""The CLI's start-up cleanup (store/cleanup.py) beside a library of 20,000 plans and an inventory
cache of 2,000 files: a bounded scan of a few milliseconds, leftovers or not.

Run with: python3 -m pytest tests/perf/test_start_cleanup_perf.py -m perf -s -n 0
Prints min/median/max over 30 runs; asserts the median under 5 ms.
"""

from __future__ import annotations

import os
import statistics
import time

from drs_console.store.cleanup import CLI_MAX_ENTRIES, remove_stale_app_temporaries
from drs_console.store.paths import app_paths

RUNS = 30


def test_the_cli_cleanup_costs_a_few_milliseconds():
    paths = app_paths()
    for folder, count in ((paths.plan_library, 20_000), (paths.inventory_cache_dir, 2_000)):
        folder.mkdir(parents=True)
        for i in range(count):
            (folder / f"plan-{i:05d}.json").write_bytes(b"{}")
    stale = paths.plan_library / ".plan-00001.json.abcdefgh.tmp"
    stale.write_bytes(b"{")
    os.utime(stale, (0, 0))
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        remove_stale_app_temporaries(max_entries=CLI_MAX_ENTRIES)
        times.append((time.perf_counter() - started) * 1000)
    print(f"\nCLI start-up cleanup: min {min(times):.2f} ms, median {statistics.median(times):.2f} ms, "
          f"max {max(times):.2f} ms")
    assert statistics.median(times) < 5
