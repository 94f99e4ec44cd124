"""Startup time: process start to the first painted main window, beside a bare PySide6 window.

Run with: QT_QPA_PLATFORM=offscreen python3 -m pytest tests/perf/test_startup.py -m perf -s
It prints the figures; it asserts only that both ran.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import pytest

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1280, 760); w.show(); app.processEvents()
w.grab().save(sys.argv[1], "PNG")
"""

RUNS = 5


def _time(cmd, env) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=120)
    return time.perf_counter() - start


@pytest.mark.perf
def test_startup_time_against_bare_pyside6(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DRS_CONSOLE_HOME": str(tmp_path / "home")}
    # As installed for a user: bytecode cached (some shells set PYTHONDONTWRITEBYTECODE, which
    # would make every start compile the sources again), and one warm-up start of each.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    png = str(tmp_path / "shot.png")
    _time([sys.executable, "-c", BARE, png], env)
    _time([sys.executable, "-m", "drs_console", "--screenshot", png], env)
    bare = [_time([sys.executable, "-c", BARE, png], env) for _ in range(RUNS)]
    app = [_time([sys.executable, "-m", "drs_console", "--screenshot", png], env) for _ in range(RUNS)]
    b, a = statistics.median(bare), statistics.median(app)
    print(f"\nstartup to first painted window (median of {RUNS}, offscreen):")
    print(f"  bare PySide6 window: {b * 1000:.0f} ms")
    print(f"  DRS Console:         {a * 1000:.0f} ms")
    print(f"  ratio:               {a / b:.2f}x")
    assert a > 0 and b > 0
