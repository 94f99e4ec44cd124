"""The one helper for background work in the GUI.

``TaskRunner.start(coro, ...)`` keeps a strong reference to the task (so it is never garbage
collected mid-flight), routes every exception to the error reporter, and cancels everything on
quit. Blocking AWS calls themselves run on the connection's bounded executor (see
``drs_console.aws.session.AwsConnection.call``); coroutines here only await them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal


def off_thread(fn: Callable[..., Any], *args: Any) -> asyncio.Future:
    """``fn(*args)`` on the default executor, awaited from the GUI loop. Unlike asyncio.to_thread it
    needs no loop marked running (it uses the loop set for this thread): as the app quits, qasync
    can step a task between two run_until_complete calls ("no running event loop")."""
    return asyncio.get_event_loop().run_in_executor(None, functools.partial(fn, *args))

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    busy_changed = Signal(bool)

    def __init__(self, report_error: Callable[[BaseException], None], parent: QObject | None = None):
        super().__init__(parent)
        self._report_error = report_error
        self._tasks: set[asyncio.Task] = set()

    def start(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        name: str = "",
        on_error: Callable[[BaseException], bool] | None = None,
    ) -> asyncio.Task:
        """Run ``coro`` as a task. ``on_error`` may handle an exception (return True);
        anything unhandled reaches the error reporter. Cancellation is silent."""
        task = asyncio.get_event_loop().create_task(coro, name=name or None)
        self._tasks.add(task)
        self.busy_changed.emit(True)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not self._tasks:
                self.busy_changed.emit(False)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is None:
                return
            if on_error is not None and on_error(exc):
                return
            self._report_error(exc)

        task.add_done_callback(done)
        return task

    @property
    def running(self) -> int:
        return len(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
