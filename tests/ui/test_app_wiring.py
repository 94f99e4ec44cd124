"""The main window as the app builds it: pages in order, and the History page opening the monitor."""

from __future__ import annotations

from drs_console.store.settings import Settings
from drs_console.ui.app import ConsoleApp
from drs_console.ui.main_window import PAGE_TITLES, MainWindow


def test_pages_and_history_to_monitor(qtbot, aloop, monkeypatch):
    console = ConsoleApp(Settings(), persist_settings=False, restore_geometry=False)
    qtbot.addWidget(console.window)
    try:
        assert console.page_names() == ["inventory", "plans", "executions", "history", "backend", "accounts"]
        # the shell painted before the pages exist names the same pages, in the same order
        assert [(p.key, p.title) for p in console.window.pages.values()] == list(PAGE_TITLES)
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


def test_the_shell_painted_first_is_filled_in_place(qtbot, aloop):
    """The window shown before anything heavy is imported keeps its navigation and its current
    page when the real connection bar and pages take their placeholders' places."""
    window = MainWindow(restore_geometry=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.painted, timeout=30000)
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [t for _k, t in PAGE_TITLES]
    window.nav.setCurrentRow(1)
    console = ConsoleApp(Settings(), persist_settings=False, restore_geometry=False, window=window)
    try:
        assert console.window is window
        assert window.nav.count() == len(PAGE_TITLES)  # no second set of rows
        assert window.stack.count() == len(PAGE_TITLES)
        assert window.stack.currentWidget() is window.pages["plans"]
        assert [window.stack.widget(i) for i in range(window.stack.count())] == list(window.pages.values())
        assert window.connection_bar.controller is console.controller
        assert window.version_label.text().startswith("v")
    finally:
        console.shutdown()
