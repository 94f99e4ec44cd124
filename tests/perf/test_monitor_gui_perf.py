"""The Executions page watching a 1,000-server, 10-wave sandbox drill with 1 s polls: how long
the GUI event loop ever stalls, and how much CPU the console uses.

Run with: QT_QPA_PLATFORM=offscreen python3 -m pytest tests/perf/test_monitor_gui_perf.py -m perf -s
A QTimer fires every 10 ms and records how late it ran; the largest lateness is the longest the
GUI was unresponsive. The meter runs from before connecting (the sandbox starting, the executions
list loading), through the drill's start, to its end; the sandbox is the GUI's own: `sandbox
serve` in a child process. RUNS runs; each prints the worst stall, the p99 and how many ticks were
later than 50 ms. It asserts only that the drill was shown. Each run also prints the worst
stall during which this process had at least a quarter of a CPU: on a shared machine a stall
while the OS ran other processes is the machine's, not the console's (the worst stall itself is
the figure the goal is judged on).

DRS_PERF_RUNS=N runs N times (default 3); DRS_PERF_SEED_OFFSET shifts the sandbox seeds.
With DRS_PERF_ATTRIBUTE=1 each run also prints what overlapped its longest stalls (garbage
collections, the page's work, the GUI thread's stack, the process's CPU; stall_attribution.py).
To compare with other code, alternating: compare_gui_stall.py.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow

from drs_console.domain.plan import Plan, ServerRef
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.notifications import Notifier
from drs_console.ui.pages.executions import ExecutionsPage
from drs_console.ui.tasks import TaskRunner

from .stall_attribution import StallProbe

SERVERS = 1000
WAVES = 10
RUNS = max(1, int(os.environ.get("DRS_PERF_RUNS", "3") or 3))  # compare_gui_stall.py runs one at a time
FIRST_SEED = 11 + int(os.environ.get("DRS_PERF_SEED_OFFSET", "0") or 0)
BUDGET = 240.0  # seconds of wall time at most, per run
GOAL_MS = 50.0
ATTRIBUTE = os.environ.get("DRS_PERF_ATTRIBUTE", "") not in ("", "0")


class StallMeter:
    """A 10 ms QTimer; each firing's lateness beyond 10 ms is a GUI stall."""

    def __init__(self, interval_ms: int = 10):
        self.interval = interval_ms / 1000.0
        self.late: list[float] = []
        self.ticks: list[tuple[float, float, float, float]] = []  # (when, lateness, process CPU, GUI thread CPU)
        self.probe: StallProbe | None = None
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        late = max(0.0, now - self._last - self.interval)
        self.late.append(late)
        self.ticks.append((now, late, time.process_time(), time.thread_time()))
        self._last = now
        if self.probe is not None:
            self.probe.beat()


def _healthy_servers(conn, count: int) -> list[str]:
    drs = conn.client("drs")
    ids: list[str] = []
    for page in drs.get_paginator("describe_source_servers").paginate(filters={}):
        ids.extend(s["sourceServerID"] for s in page["items"]
                   if s.get("dataReplicationInfo", {}).get("dataReplicationState") == "CONTINUOUS")
    return ids[:count]


def _one_run(qtbot, aloop, run: int) -> dict:
    from drs_console.sandbox.process import SandboxProcess

    reporter = ErrorReporter()
    reporter.interactive = False
    runner = TaskRunner(reporter.report)
    # servers beyond SERVERS: the seed makes ~15 % of them unhealthy; the drill takes healthy ones
    factory = lambda: SandboxProcess(servers=SERVERS * 5 // 4, seed=FIRST_SEED + run, speed=600.0, history=0)  # noqa: E731
    controller = ConnectionController(Settings(), sandbox_factory=factory, persist=False)
    window = QMainWindow()
    page = ExecutionsPage(controller, runner, notifier=Notifier(window.statusBar, use_tray=False), poll_seconds=1.0)
    window.setCentralWidget(page)
    window.resize(1280, 760)
    window.show()
    qtbot.addWidget(window)
    meter = StallMeter()
    probe = StallProbe() if ATTRIBUTE else None
    meter.probe = probe
    apply_ms: list[float] = []
    original = page._on_update if probe is None else probe.timed("update", page._on_update)
    if probe is not None:
        page.open_execution = probe.timed("open", page.open_execution)
        probe.start()

    apply_cpu_ms: list[float] = []

    def timed(update):
        t0, c0 = time.perf_counter(), time.thread_time()
        original(update)
        apply_ms.append((time.perf_counter() - t0) * 1000)
        apply_cpu_ms.append((time.thread_time() - c0) * 1000)

    page._on_update = timed  # sessions connect to page._on_update when they are created
    try:
        meter.start()  # from before connecting: the sandbox starting and the list loading count too
        aloop.run_until_complete(controller.connect(sandbox=True))
        aloop.run_until_complete(asyncio.wait_for(page._loaded.wait(), 120))
        connected_ticks = len(meter.late)
        meter.stop()
        ids = _healthy_servers(controller.connection, SERVERS)  # before the drill: not measured as a stall
        assert len(ids) == SERVERS
        per = SERVERS // WAVES
        plan = Plan.new("Perf drill", target_account_id=controller.identity.account_id, target_region="us-east-1",
                        wave_names=[f"Wave {i + 1}" for i in range(WAVES)])
        plan.poll_interval_seconds = 5
        for i, wave in enumerate(plan.waves):
            wave.servers.extend(ServerRef(s, f"srv-{i}-{n:03d}") for n, s in enumerate(ids[i * per:(i + 1) * per]))

        async def drill() -> tuple[str, int, float, float]:
            meter.resume()
            execution_id = await page.engine.start(plan, drill=True)
            page.open_execution(execution_id)
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

        execution_id, updates, cpu, wall = aloop.run_until_complete(drill())
        view = page.detail.view
        assert view is not None and view.execution_id == execution_id and updates > 0
        assert page.detail.server_model.rowCount() == SERVERS
        late_ms = sorted(x * 1000 for x in meter.late)
        # a stall during which this process got less than a quarter of a CPU: the machine ran others
        own = [late * 1000 for (_t0, _l0, cpu0, _g0), (_t, late, cpu, _g) in zip(meter.ticks, meter.ticks[1:], strict=False)
               if cpu - cpu0 >= (late + meter.interval) / 4]
        connect_ms = sorted(x * 1000 for x in meter.late[:connected_ticks])
        waves_done = sum(1 for w in view.waves if w.status is not None and w.status.is_terminal)
        return {
            "status": view.status.value if view.status else "?", "waves_done": waves_done, "wall": wall,
            "updates": updates, "events": page.detail.event_model.rowCount(), "late": late_ms,
            "own_worst": max(own, default=0.0),
            "connect_worst": connect_ms[-1] if connect_ms else 0.0, "apply": apply_ms, "cpu": cpu,
            "apply_cpu": max(apply_cpu_ms, default=0.0),
            "attribution": probe.report(meter.ticks) if probe is not None else [],
        }
    finally:
        if probe is not None:
            probe.stop()
        page.shutdown()
        runner.cancel_all()
        controller.close()


@pytest.mark.perf
@pytest.mark.timeout(RUNS * (BUDGET + 120))
def test_thousand_server_drill_keeps_the_gui_responsive(qtbot, aloop):
    print(f"\n{SERVERS}-server {WAVES}-wave sandbox drill shown live, 1 s polls, sandbox in a child process; "
          f"stall = lateness of a 10 ms timer on the GUI thread, from before connecting to the drill's end:")
    worst_of_all = 0.0
    for run in range(RUNS):
        r = _one_run(qtbot, aloop, run)
        late = r["late"]
        p99 = late[max(0, int(len(late) * 0.99) - 1)]
        over = sum(1 for x in late if x > GOAL_MS)
        worst_of_all = max(worst_of_all, late[-1])
        print(f"  run {run + 1}: {r['status']} ({r['waves_done']}/{WAVES} waves in {r['wall']:.0f} s, "
              f"{r['updates']} updates, {r['events']} job log events): worst {late[-1]:.0f} ms "
              f"(connect {r['connect_worst']:.0f} ms), p99 {p99:.0f} ms, {over} of {len(late)} ticks over "
              f"{GOAL_MS:.0f} ms; page work per update max {max(r['apply']):.0f} ms ({r['apply_cpu']:.0f} ms CPU), median "
              f"{statistics.median(r['apply']):.0f} ms; GUI process CPU {100 * r['cpu'] / r['wall']:.0f} %; "
              f"worst while this process had the CPU {r['own_worst']:.0f} ms")
        for line in r["attribution"]:
            print(f"    {line}")
    print(f"  worst stall over {RUNS} runs: {worst_of_all:.0f} ms (goal <= {GOAL_MS:.0f} ms in every run)")
