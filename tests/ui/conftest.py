from __future__ import annotations

import pytest

from drs_console.sandbox import Sandbox
from drs_console.store.inventory_cache import InventoryCache
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.pages.inventory import InventoryPage
from drs_console.ui.tasks import TaskRunner


class Console:
    """The GUI's parts wired as the app wires them, against a manual-clock sandbox."""

    def __init__(self, qtbot, sandbox_kwargs=None):
        self.sandbox = None
        self.reporter = ErrorReporter()
        self.reporter.interactive = False
        self.errors: list[tuple[str, str]] = []
        self.reporter.shown.connect(lambda title, text: self.errors.append((title, text)))
        self.runner = TaskRunner(self.reporter.report)
        kwargs = {"manual_clock": True, **(sandbox_kwargs or {})}

        def factory():
            self.sandbox = Sandbox(**kwargs)
            return self.sandbox

        self.controller = ConnectionController(Settings(), sandbox_factory=factory, persist=False)
        self.cache = InventoryCache()
        self.page = InventoryPage(self.controller, self.runner, cache=self.cache, cache_sandbox=True)
        qtbot.addWidget(self.page)

    def close(self):
        self.runner.cancel_all()
        self.controller.close()


@pytest.fixture
def console(qtbot, aloop):
    c = Console(qtbot)
    yield c
    c.close()
