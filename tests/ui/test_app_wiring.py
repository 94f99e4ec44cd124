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
