"""Start-up: process start to the first painted main window, beside a bare PySide6 window with a
table (the fair floor), run by run alternately; and `--version` beside `python -c pass`.

Run with: QT_QPA_PLATFORM=offscreen python3 -m pytest tests/perf/test_startup.py -m perf -s

First paint is the time.time() written by the window's first paint event (DRS_CONSOLE_PAINT_STAMP
for the app, the same event filter in the bare script) minus the time.time() just before the
process was started: not the process lifetime. Measured with cached bytecode (as installed; the
README's figure) and without (every module compiled, as on a first start after an install).
Prints min/median/max of each and the median of the per-pair ratios; asserts only that both ran.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAIRS = 9

BARE = """
import sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 760)
table = QTableView()
model = QStandardItemModel(0, 8)
model.setHorizontalHeaderLabels([f"Column {i}" for i in range(8)])
table.setModel(model)
window.setCentralWidget(table)

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            with open(sys.argv[1], "w") as f:
                f.write(f"{time.time():.6f}\\n")
            app.quit()
        return False

watcher = FirstPaint()
window.installEventFilter(watcher)
window.show()
app.exec()
"""


def _env(tmp: Path, *, cached: bool) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DRS_CONSOLE_HOME": str(tmp / "home"),
           "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if not cached:  # an empty bytecode cache every run, nothing written: every module compiled
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="pyc-", dir=tmp)
    return env


def _first_paint(cmd: list[str], env: dict[str, str], stamp: Path) -> float:
    stamp.unlink(missing_ok=True)
    started = time.time()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            text = stamp.read_text().strip() if stamp.exists() else ""
            if text:
                return float(text) - started
            if proc.poll() is not None:
                raise AssertionError(f"{cmd} exited {proc.returncode} before painting: {proc.stderr.read()!r}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{cmd} did not paint within 60 s")
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(20)
        proc.stderr.close()


def _lifetime(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - started


def _summary(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"  {label:<28} min {min(ms):5.0f}  median {statistics.median(ms):5.0f}  max {max(ms):5.0f} ms"


def _pairs(run_app, run_ref) -> tuple[list[float], list[float], list[float]]:
    run_app()  # one warm-up of each (file cache; with cached bytecode, the .pyc files written)
    run_ref()
    app, ref = [], []
    for _ in range(PAIRS):
        app.append(run_app())
        ref.append(run_ref())
    return app, ref, [a / r for a, r in zip(app, ref, strict=True)]


@pytest.mark.perf
@pytest.mark.parametrize("cached", [True, False], ids=["cached-bytecode", "no-bytecode"])
def test_startup_to_first_paint_against_a_bare_pyside6_window(tmp_path, cached):
    env = _env(tmp_path, cached=cached)
    app_env = {**env, "DRS_CONSOLE_PAINT_STAMP": str(tmp_path / "app.stamp")}
    app, bare, ratios = _pairs(
        lambda: _first_paint([sys.executable, "-m", "drs_console"], app_env, tmp_path / "app.stamp"),
        lambda: _first_paint([sys.executable, "-c", BARE, str(tmp_path / "bare.stamp")], env, tmp_path / "bare.stamp"),
    )
    kind = "cached bytecode (as installed)" if cached else "no bytecode (every module compiled)"
    print(f"\nstart-up to the first painted window, {PAIRS} alternating pairs, offscreen, {kind}:")
    print(_summary("bare PySide6 window + table", bare))
    print(_summary("DRS Console", app))
    print(f"  median of per-pair ratios    {statistics.median(ratios):.2f}x (goal <= 1.5x, stretch 1.3x)")
    assert min(app) > 0 and min(bare) > 0


@pytest.mark.perf
def test_version_against_python_doing_nothing(tmp_path):
    env = _env(tmp_path, cached=True)
    app, bare, ratios = _pairs(
        lambda: _lifetime([sys.executable, "-m", "drs_console", "--version"], env),
        lambda: _lifetime([sys.executable, "-c", "pass"], env),
    )
    helps, _b, help_ratios = _pairs(
        lambda: _lifetime([sys.executable, "-m", "drs_console", "--help"], env),
        lambda: _lifetime([sys.executable, "-c", "pass"], env),
    )
    print(f"\nprocess lifetime, {PAIRS} alternating pairs, cached bytecode:")
    print(_summary("python -c pass", bare))
    print(_summary("drs-console --version", app))
    print(f"  median of per-pair ratios    {statistics.median(ratios):.2f}x (goal <= 3x)")
    print(_summary("drs-console --help", helps))
    print(f"  median of per-pair ratios    {statistics.median(help_ratios):.2f}x")
    assert min(app) > 0 and min(bare) > 0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    """Every thread's children (the sandbox child is started from a worker thread)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            out.extend(int(p) for p in path.read_text().split())
    return out


@pytest.mark.perf
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_memory_of_the_gui_with_the_sandbox_idle(tmp_path):
    """`drs-console --sandbox` connected and idle: the GUI process's RSS (goal <= 160 MB) and the
    sandbox child's, apart."""
    env = _env(tmp_path, cached=True)
    log = tmp_path / "home" / "logs" / "drs-console.log"
    proc = subprocess.Popen([sys.executable, "-m", "drs_console", "--sandbox"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while "connected: account" not in (log.read_text() if log.exists() else ""):
            assert proc.poll() is None and time.monotonic() < deadline, "the GUI did not connect"
            time.sleep(0.2)
        time.sleep(10)  # the pages load what they show, then idle
        gui = _rss_mb(proc.pid)
        child = sum(_rss_mb(c) for c in _children(proc.pid))
    finally:
        proc.terminate()
        proc.wait(30)
    print(f"\nmemory, `drs-console --sandbox` connected and idle 10 s: GUI process {gui:.0f} MB RSS "
          f"(goal <= 160 MB), sandbox child process {child:.0f} MB RSS")
    assert gui > 0
