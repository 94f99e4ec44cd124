"""An execution's monitor that ends after its page is gone (the app quitting) ends quietly: no
"Signal source has been deleted" traceback on the operator's terminal."""

from __future__ import annotations

import asyncio
import logging
import sys

import shiboken6

from drs_console.domain.errors import ConsoleError
from drs_console.ui.pages.executions.session import ExecutionSession


class _Engine:
    def __init__(self, gate: asyncio.Event, fail: bool):
        self.gate, self.fail = gate, fail

    async def monitor(self, execution_id, poll_seconds=None):
        await self.gate.wait()
        if self.fail:
            raise ConsoleError("the backend went away", "check the connection")
        raise RuntimeError("unexpected")  # pragma: no cover - not used


def _run(aloop, fail: bool, caplog, capsys) -> None:
    gate = asyncio.Event()
    session = ExecutionSession("exec-1", _Engine(gate, fail), runner=None)
    seen: list = []
    hooks: list = []
    old = sys.excepthook
    sys.excepthook = lambda *a: hooks.append(a)
    try:
        session.stopped.connect(lambda *a: seen.append(a))
        task = session.start()
        shiboken6.delete(session)  # the page (and its sessions) deleted while the monitor still runs
        gate.set()
        with caplog.at_level(logging.ERROR):
            aloop.run_until_complete(asyncio.gather(task, return_exceptions=True))
            aloop.run_until_complete(asyncio.sleep(0))  # the done callback
    finally:
        sys.excepthook = old
    assert not hooks
    assert "Signal source has been deleted" not in caplog.text + capsys.readouterr().err
    assert seen == []


def test_a_monitor_failing_after_its_page_is_gone_is_quiet(aloop, caplog, capsys):
    _run(aloop, True, caplog, capsys)
