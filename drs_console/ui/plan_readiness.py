"""Readiness of the library's plans for the Plans page, computed off the GUI thread.

``ReadinessUpdater.schedule(paths)`` (debounced) reads the plan files and judges them on a worker
thread. Connected, the facts come live (``aws/readiness.py``: recovery points and the drills of
the history table, on the connection's executor, under qasync) and refresh the drill cache;
offline, from the shared inventory (the cached one) and the drill cache. ``computed`` carries
``{library path: PlanReadiness}``; the page's model shows only what changed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ..aws.readiness import ReadinessFacts, read_facts
from ..domain.errors import ConsoleError
from ..domain.plan import Plan
from ..domain.readiness import DEFAULT_STALE_DAYS, PlanReadiness
from ..store.drill_cache import DrillCache
from ..store.inventory_cache import cache_endpoint
from ..store.plan_io import PlanFileError, read_plan_file
from .connection import ConnectionController
from .inventory_state import InventoryState
from .tasks import TaskRunner, off_thread

log = logging.getLogger(__name__)
DEBOUNCE_MS = 300
LIVE_FACTS_SECONDS = 60.0  # live facts are reused this long when the same plans are judged again

LiveFacts = Callable[[Sequence[Plan]], Awaitable[ReadinessFacts]]


def read_plans(paths: Sequence[Path]) -> list[tuple[str, Plan]]:
    out = []
    for path in paths:
        try:
            out.append((str(path), read_plan_file(path).plan))
        except PlanFileError:
            continue  # the library's Validation column says why
    return out


class ReadinessUpdater(QObject):
    computed = Signal(object)  # dict[str, PlanReadiness]
    _done = Signal(object, int)  # (results, generation) from a worker thread

    def __init__(self, controller: ConnectionController, runner: TaskRunner, inventory: InventoryState,
                 parent: QObject | None = None, *, stale_days: int = DEFAULT_STALE_DAYS):
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.inventory = inventory
        self.stale_days = stale_days
        self.live_facts: LiveFacts = self._read_live
        self.drill_cache = DrillCache()
        self.threads: list[str] = []  # the threads each judgement ran on (tests check it is never the GUI's)
        self._paths: list[Path] = []
        self._generation = 0
        self._facts: tuple[tuple, float, ReadinessFacts] | None = None
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.update_now)
        self._done.connect(self._finished)

    def schedule(self, paths: Sequence[Path]) -> None:
        if self._stopped:
            return
        self._paths = list(paths)
        self._timer.start()

    def stop(self) -> None:
        """On quit: no judgement starts any more (a debounced one would start as the loop closes)."""
        self._stopped = True
        self._timer.stop()

    def forget_facts(self) -> None:
        self._facts = None

    async def refresh(self) -> dict[str, PlanReadiness]:
        """Judge now and wait for it (screenshots, tests): live when connected, else offline."""
        self._timer.stop()
        self._generation += 1
        generation, paths = self._generation, list(self._paths)
        if self.controller.is_connected:
            return await self._live(paths, generation)
        done: dict[str, PlanReadiness] = {}
        self.computed.connect(done.update)
        try:
            await off_thread(self._offline, paths, self.inventory.snapshot, generation)
            for _ in range(100):
                if done:
                    break
                await asyncio.sleep(0.01)  # the worker's signal is delivered by the event loop
        finally:
            self.computed.disconnect(done.update)
        return done

    def update_now(self) -> None:
        self._generation += 1
        generation, paths = self._generation, list(self._paths)
        if self.controller.is_connected:
            self.runner.start(self._live(paths, generation), name="plan-readiness",
                              on_error=lambda exc: (log.warning("readiness: %s", exc), True)[1])
            return
        snapshot = self.inventory.snapshot
        threading.Thread(target=self._offline, args=(paths, snapshot, generation), name="plan-readiness",
                         daemon=True).start()

    # -- offline: the shared (cached) inventory and the drill cache, on a daemon thread ------
    def _offline(self, paths, snapshot, generation: int) -> None:
        try:
            self.threads.append(threading.current_thread().name)
            pairs = read_plans(paths)
            drills = None
            if snapshot is not None:
                settings = self.controller.settings
                cached = self.drill_cache.load(snapshot.account_id, snapshot.region,
                                               cache_endpoint(settings.endpoint_url, settings.sandbox))
                drills = cached[0] if cached else None
            facts = ReadinessFacts(snapshot, None, drills, live=False)
            results = dict(zip((p for p, _ in pairs), facts.assess([pl for _, pl in pairs],
                                                                   stale_days=self.stale_days), strict=True))
        except Exception:  # noqa: BLE001 - a background judgement must not die silently
            log.exception("judging plan readiness failed")
            return
        try:
            self._done.emit(results, generation)
        except RuntimeError:  # the page was closed meanwhile
            pass

    # -- live: the aws layer under qasync, the judgement in a worker thread ------------------
    async def _live(self, paths: list[Path], generation: int) -> dict[str, PlanReadiness]:
        if not paths:  # an empty library: nothing to read
            self._finished({}, generation)
            return {}
        pairs = await off_thread(read_plans, paths)
        plans = [p for _, p in pairs]
        key = (id(self.controller.connection), tuple(sorted(p.id for p in plans)),
               tuple(sorted(s.source_server_id for p in plans for w in p.waves for s in w.servers)))
        if self._facts is not None and self._facts[0] == key and time.monotonic() - self._facts[1] < LIVE_FACTS_SECONDS:
            facts = self._facts[2]
        else:
            try:
                facts = await self.live_facts(plans)
            except ConsoleError as exc:
                log.warning("live readiness facts not read: %s", exc.one_line())
                facts = ReadinessFacts(self.inventory.snapshot, None, None, live=False)
            else:
                self._facts = (key, time.monotonic(), facts)

        def judge() -> dict[str, PlanReadiness]:
            self.threads.append(threading.current_thread().name)
            return dict(zip((p for p, _ in pairs), facts.assess(plans, stale_days=self.stale_days), strict=True))

        results = await off_thread(judge)
        self._finished(results, generation)
        return results

    async def _read_live(self, plans: Sequence[Plan]) -> ReadinessFacts:
        conn = self.controller.connection
        assert conn is not None
        settings = self.controller.settings
        snapshot = self.inventory.snapshot if self.inventory.fresh else None
        facts = await read_facts(conn, plans, inventory=snapshot,
                                 stack_name=settings.backend_stack_name or "drs-console",
                                 history_table=settings.history_table)
        if facts.drills is not None and facts.inventory is not None and not conn.params.is_sandbox:
            try:
                await off_thread(self.drill_cache.save, facts.inventory.account_id, facts.inventory.region,
                                        facts.drills, cache_endpoint(conn.params.endpoint_url, False))
            except OSError as exc:
                log.warning("drill cache not written: %s", exc)
        return facts

    def _finished(self, results: dict[str, PlanReadiness], generation: int) -> None:
        if generation == self._generation:
            self.computed.emit(results)
