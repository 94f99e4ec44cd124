"""A monitor run on its own event loop in a worker thread, so that parsing DRS and DynamoDB
responses and comparing views never happens on the GUI thread."""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import AsyncIterator
from typing import Any

from ..domain.execution import MonitorUpdate


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


_DONE = object()


class ThreadedMonitor:
    """A monitor run on its own event loop in a worker thread: the DRS and DynamoDB responses are
    parsed, merged into views and compared there, never on the GUI thread; each MonitorUpdate is
    handed to the GUI loop as it is made. ``poke()`` and ``resume_after_reauth()`` are passed to
    the worker loop; other attributes read through to the monitor."""

    def __init__(self, monitor: Any):
        self._monitor = monitor
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._monitor, name)

    def poke(self) -> None:
        self._in_worker(getattr(self._monitor, "poke", None))

    def resume_after_reauth(self, new_conn: Any = None) -> None:
        hook = getattr(self._monitor, "resume_after_reauth", None)
        if callable(hook):
            self._in_worker(lambda: hook(new_conn))

    def _in_worker(self, fn: Any) -> None:
        loop = self._loop
        if callable(fn) and loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn)
            except RuntimeError:  # the worker loop just closed
                pass

    async def updates(self) -> AsyncIterator[MonitorUpdate]:
        # The GUI loop as the loop set for this thread, not the one marked running, and a deque
        # with a future that loop makes rather than an asyncio.Queue (which binds to the loop
        # marked running when first awaited): when the app quits, qasync can step a task with no
        # loop marked running ("no running event loop", "Queue ... bound to a different event loop").
        gui = asyncio.get_event_loop()
        items: collections.deque[Any] = collections.deque()
        waiter: list[asyncio.Future] = []
        stopped = self._stopped = threading.Event()  # this run's: a restarted monitor gets its own

        def deliver(item: Any) -> None:
            items.append(item)
            while waiter:
                w = waiter.pop()
                if not w.done():
                    w.set_result(None)

        def hand_over(item: Any) -> None:
            try:
                gui.call_soon_threadsafe(deliver, item)
            except RuntimeError:  # the GUI loop is gone (quitting)
                stopped.set()

        async def pump() -> None:
            try:
                async for update in self._monitor.updates():
                    if stopped.is_set():
                        return
                    hand_over(update)
            except asyncio.CancelledError:
                return
            except BaseException as exc:  # noqa: BLE001 - re-raised on the GUI loop
                hand_over(_Failed(exc))
                return
            hand_over(_DONE)

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                if not stopped.is_set():
                    loop.run_until_complete(pump())
            finally:
                self._loop = None
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        worker = threading.Thread(target=run, name="monitor", daemon=True)
        worker.start()
        try:
            while True:
                while not items:
                    w = gui.create_future()
                    waiter.append(w)
                    await w
                item = items.popleft()
                if item is _DONE:
                    return
                if isinstance(item, _Failed):
                    raise item.exc
                yield item
        finally:
            stopped.set()
            loop = self._loop
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(lambda: [t.cancel() for t in asyncio.all_tasks()])
                except RuntimeError:
                    pass
