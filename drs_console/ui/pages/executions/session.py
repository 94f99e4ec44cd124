"""One watched execution: its ExecutionMonitor run as one task the page holds (and cancels)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import shiboken6
from PySide6.QtCore import QObject, Signal

from ....domain.errors import ConsoleError
from ....domain.execution import MonitorUpdate, StreamState
from ...execution_engine import ExecutionEngine
from ...tasks import TaskRunner

log = logging.getLogger(__name__)


class ExecutionSession(QObject):
    """One execution's monitor, run as one task the page holds (and cancels)."""

    updated = Signal(object)  # MonitorUpdate
    stopped = Signal(str, object)  # execution ID, the exception that ended it (None: ended or cancelled)

    def __init__(self, execution_id: str, engine: ExecutionEngine, runner: TaskRunner,
                 poll_seconds: float | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.execution_id = execution_id
        self.engine = engine
        self.runner = runner
        self.poll_seconds = poll_seconds
        self.monitor = None
        self.task: asyncio.Task | None = None
        self.last: MonitorUpdate | None = None
        self.updates_seen = 0

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> asyncio.Task:
        """Run the monitor as one task. The session holds the only (strong) reference; it is not a
        TaskRunner task because a watcher is not "work in progress" (the busy bar would never go
        off), but its errors end up in the same place: ``stopped`` -> the page's banner and log."""
        if self.running:
            return self.task
        self.task = asyncio.get_event_loop().create_task(self.run(), name=f"monitor-{self.execution_id}")
        self.task.add_done_callback(self._done)
        return self.task

    def _done(self, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            if not isinstance(exc, ConsoleError):
                log.error("monitor of %s failed", self.execution_id, exc_info=exc)
            self._emit_stopped(exc)

    def _emit_stopped(self, exc: BaseException | None) -> None:
        # at quit the page (and this QObject's C++ side) may be gone before the task's last step:
        # nobody is left to tell, so that is not an error to print
        if shiboken6.isValid(self):
            self.stopped.emit(self.execution_id, exc)

    async def run(self) -> None:
        self.monitor = await self.engine.monitor(self.execution_id, poll_seconds=self.poll_seconds)
        try:
            async for update in self.monitor.updates():
                self.last = update
                self.updates_seen += 1
                self.updated.emit(update)
                if update.state is StreamState.ENDED:
                    break
        finally:
            close = getattr(self.monitor, "stop", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    result = close()
                    if asyncio.iscoroutine(result):
                        await result
        self._emit_stopped(None)

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

