"""The main window as the app builds it: pages in order, and the History page opening the monitor."""

from __future__ import annotations

from drs_console.store.settings import Settings
from drs_console.ui.app import ConsoleApp


def test_pages_and_history_to_monitor(qtbot, aloop, monkeypatch):
    console = ConsoleApp(Settings(), persist_settings=False, restore_geometry=False)
    qtbot.addWidget(console.window)
    try:
        assert console.page_names() == ["inventory", "plans", "executions", "history", "backend"]
        opened = []
        monkeypatch.setattr(console.executions, "open_execution", lambda eid: opened.append(eid))
        console.window.pages["history"].open_execution.emit("exec-123")
        assert opened == ["exec-123"]
        assert console.window.stack.currentWidget() is console.executions
    finally:
        console.shutdown()


def test_unhandled_errors_reach_one_handler_that_logs_and_tells_the_user(qtbot, aloop, monkeypatch, caplog):
    import asyncio
    import sys
    import threading

    from drs_console.domain.errors import ConsoleError, ProblemKind
    from drs_console.ui.app import install_exception_hooks
    from drs_console.ui.errors import ErrorReporter

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reporter = ErrorReporter()
    reporter.interactive = False
    shown = []
    reporter.shown.connect(lambda title, text: shown.append((title, text)))
    install_exception_hooks(aloop, reporter)
    try:
        # an exception escaping a Qt slot goes through sys.excepthook
        try:
            raise ValueError("boom in a slot")
        except ValueError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        assert shown[-1][0] == "Unexpected error" and "boom in a slot" in shown[-1][1]
        assert "boom in a slot" in caplog.text  # logged with its traceback

        # a task nobody awaits that fails reaches the loop's handler
        async def failing():
            raise ConsoleError(ProblemKind.ACCESS_DENIED, "AWS denied DescribeJobs", "Ask for drs:DescribeJobs.")

        async def spawn_and_forget():
            task = asyncio.ensure_future(failing())
            while not task.done():
                await asyncio.sleep(0)
            # never task.exception(): the exception stays unretrieved, as in a forgotten task
            del task

        aloop.run_until_complete(spawn_and_forget())
        import gc

        gc.collect()  # the forgotten task is collected: its unretrieved exception is reported
        assert shown[-1] == ("Access denied", "AWS denied DescribeJobs\n\nAsk for drs:DescribeJobs.")
    finally:
        aloop.set_exception_handler(None)
