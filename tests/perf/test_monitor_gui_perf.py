"""The Executions page watching a 1,000-server, 10-wave sandbox drill with 1 s polls: how long
the GUI event loop ever stalls, and how much CPU the console uses.

Run with: QT_QPA_PLATFORM=offscreen python3 -m pytest tests/perf/test_monitor_gui_perf.py -m perf -s
A QTimer fires every 10 ms and records how late it ran; the largest lateness is the longest the
GUI was unresponsive. It prints the figures; it asserts only that the drill was shown.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow

from drs_console.domain.plan import Plan, ServerRef
from drs_console.domain.status import ExecutionStatus as S
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.notifications import Notifier
from drs_console.ui.pages.executions import ExecutionsPage
from drs_console.ui.tasks import TaskRunner

SERVERS = 1000
WAVES = 10
BUDGET = 240.0  # seconds of wall time at most


class StallMeter:
    """A 10 ms QTimer; each firing's lateness beyond 10 ms is a GUI stall."""

    def __init__(self, interval_ms: int = 10):
        self.interval = interval_ms / 1000.0
        self.late: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, now - self._last - self.interval))
        self._last = now


@pytest.mark.perf
def test_thousand_server_drill_keeps_the_gui_responsive(qtbot, aloop):
    from drs_console.sandbox import Sandbox

    boxes = {}

    def factory():
        boxes["s"] = Sandbox(backend=True, servers=SERVERS, seed=11, speed=600.0)
        return boxes["s"]

    reporter = ErrorReporter()
    reporter.interactive = False
    errors = []
    reporter.shown.connect(lambda t, x: errors.append((t, x)))
    runner = TaskRunner(reporter.report)
    controller = ConnectionController(Settings(), sandbox_factory=factory, persist=False)
    window = QMainWindow()
    page = ExecutionsPage(controller, runner, notifier=Notifier(window.statusBar, use_tray=False), poll_seconds=1.0)
    window.setCentralWidget(page)
    window.resize(1280, 760)
    window.show()
    qtbot.addWidget(window)
    meter = StallMeter()
    apply_ms: list[float] = []
    original = page._on_update

    def timed(update):
        t0 = time.perf_counter()
        original(update)
        apply_ms.append((time.perf_counter() - t0) * 1000)

    page._on_update = timed  # sessions connect to page._on_update when they are created
    try:
        aloop.run_until_complete(controller.connect(sandbox=True))
        aloop.run_until_complete(asyncio.wait_for(page._loaded.wait(), 120))
        sandbox = boxes["s"]
        ids = sandbox.drs.server_ids()[:SERVERS]
        for sid in ids:
            sandbox.drs.set_replication_state(sid, "CONTINUOUS")
        per = SERVERS // WAVES
        plan = Plan.new("Perf drill", target_account_id=controller.identity.account_id, target_region="us-east-1",
                        wave_names=[f"Wave {i + 1}" for i in range(WAVES)])
        plan.poll_interval_seconds = 5
        for i, wave in enumerate(plan.waves):
            wave.servers.extend(ServerRef(s, f"srv-{i}-{n:03d}") for n, s in enumerate(ids[i * per:(i + 1) * per]))

        async def run() -> tuple[str, int, float, float]:
            execution_id = await page.engine.start(plan, drill=True)
            page.open_execution(execution_id)
            meter.start()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            while time.perf_counter() - wall0 < BUDGET:
                view = page.detail.view
                if view is not None and view.is_terminal:
                    break
                await asyncio.sleep(0.25)
            meter.stop()
            session = page.sessions.get(execution_id)
            return execution_id, session.updates_seen if session else 0, time.process_time() - cpu0, \
                time.perf_counter() - wall0

        execution_id, updates, cpu, wall = aloop.run_until_complete(run())
        view = page.detail.view
        late_ms = sorted(x * 1000 for x in meter.late)
        waves_done = sum(1 for w in view.waves if w.status is not None and w.status.is_terminal) if view else 0
        print(f"\n{SERVERS}-server {WAVES}-wave sandbox drill shown live, 1 s polls:")
        print(f"  final status:          {view.status.value if view and view.status else '?'} "
              f"({waves_done}/{WAVES} waves done in {wall:.0f} s wall)")
        print(f"  monitor updates:       {updates}")
        print(f"  rows in the page:      {page.detail.server_model.rowCount()} servers, "
              f"{page.detail.event_model.rowCount()} job log events")
        print(f"  GUI stall (10 ms timer lateness): max {late_ms[-1]:.0f} ms, "
              f"p99 {late_ms[int(len(late_ms) * 0.99) - 1]:.0f} ms, median {statistics.median(late_ms):.1f} ms "
              f"over {len(late_ms)} ticks")
        print(f"  page work per update (models, header, Gantt): max {max(apply_ms):.0f} ms, "
              f"median {statistics.median(apply_ms):.0f} ms")
        print(f"  CPU (whole process: GUI + sandbox + moto): {cpu:.1f} s in {wall:.0f} s = {100 * cpu / wall:.0f} %")
        assert view is not None and view.execution_id == execution_id and updates > 0
        assert page.detail.server_model.rowCount() == SERVERS
        assert view.status in (S.COMPLETED, S.RUNNING, S.IN_PROGRESS, S.PARTIAL) or view.status is not None
    finally:
        page.shutdown()
        runner.cancel_all()
        controller.close()
