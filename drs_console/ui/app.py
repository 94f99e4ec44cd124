"""Builds the application: one qasync loop, one error handler, one main window.

This is the only module that creates the event loop and installs exception hooks.

Paint first: ``run_gui`` shows the main window's shell (main_window.MainWindow without a
controller: Qt only) and waits for its first paint before it imports boto3, qasync, the pages,
the plan store or the region list; then ``ConsoleApp`` fills that same window.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from .main_window import PAGE_TITLES, MainWindow
from .platform_check import refuse_if_platform_cannot_load
from .theme import apply_color_scheme

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    from ..store.plans import PlanLibrary
    from ..store.settings import Settings
    from .errors import ErrorReporter

log = logging.getLogger(__name__)
SCREENSHOT_TIMEOUT = 90
PAINT_STAMP_ENV = "DRS_CONSOLE_PAINT_STAMP"  # a file the first paint writes its time.time() to (benchmarks)
FIRST_PAINT_TIMEOUT = 3.0


class ConsoleApp:
    """Everything the GUI needs, wired once. Tests build it with their own settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        persist_settings: bool = True,
        restore_geometry: bool = True,
        library: PlanLibrary | None = None,
        window: MainWindow | None = None,
        sandbox_factory: Callable[[], object] | None = None,
    ):
        from ..store.plans import default_library
        from .connection import ConnectionController
        from .errors import ErrorReporter
        from .inventory_state import InventoryState
        from .notifications import Notifier
        from .pages.accounts import AccountsPage
        from .pages.backend import BackendPage
        from .pages.executions import ExecutionsPage
        from .pages.history import HistoryPage
        from .pages.inventory import InventoryPage
        from .pages.plans import PlansPage
        from .tasks import TaskRunner

        self.reporter = ErrorReporter()
        self.runner = TaskRunner(self.reporter.report)
        extra: dict[str, Any] = {"sandbox_factory": sandbox_factory} if sandbox_factory else {}
        self.controller = ConnectionController(settings, persist=persist_settings, **extra)
        self.inventory = InventoryState()
        self.library = library or default_library()
        if window is None:
            self.window = MainWindow(self.controller, self.runner, self.reporter, restore_geometry=restore_geometry)
        else:  # the shell shown before anything else was imported: fill it
            self.window = window
            window.attach(self.controller, self.runner, self.reporter)
        self.reporter.set_parent_widget(self.window)
        inventory = InventoryPage(self.controller, self.runner, state=self.inventory)
        self.window.add_page(inventory)
        plans = PlansPage(self.controller, self.runner, self.inventory, self.library)
        plans.title_changed.connect(self.window.set_document)
        self.window.add_page(plans)
        self.notifier = Notifier(self.window.statusBar, icon=self.window.windowIcon())
        self.executions = ExecutionsPage(self.controller, self.runner, notifier=self.notifier)
        plans.run_requested.connect(self.executions.open_run_dialog)
        self.window.add_page(self.executions)
        history = HistoryPage(self.controller, self.runner)
        history.open_execution.connect(self.open_in_monitor)
        self.executions.execution_changed.connect(history.execution_changed)
        self.window.add_page(history)
        self.window.add_page(BackendPage(self.controller, self.runner))
        accounts = AccountsPage(self.controller, self.runner)
        accounts.accounts_changed.connect(inventory.start_refresh)  # their servers, or no longer
        self.window.add_page(accounts)
        self.cleanup = start_cleanup(self.library)

    def open_in_monitor(self, execution_id: str) -> None:
        """From the History page: show the execution in the live monitor."""
        self.window.show_page(self.executions.key)
        self.executions.open_execution(execution_id)

    def page_names(self) -> list[str]:
        return list(self.window.pages)

    def shutdown(self) -> None:
        """Cancel every task, stop pollers, drop the connection, stop the sandbox. Never blocks."""
        for page in self.window.pages.values():
            page.shutdown()
        self.runner.cancel_all()
        self.reporter.close_all()
        self.controller.close()


def start_cleanup(library: PlanLibrary) -> threading.Thread:
    """Remove the temporaries crashed saves left (store/cleanup.py) on a daemon thread: a slow
    or stalled folder costs that thread, never the window."""
    from ..store.cleanup import remove_stale_app_temporaries
    from ..store.paths import app_paths

    paths, folders = app_paths(), library.written_folders
    thread = threading.Thread(
        target=lambda: remove_stale_app_temporaries(paths, also=folders), name="stale-temporaries", daemon=True
    )
    thread.start()
    return thread


def list_pages() -> list[str]:
    """The page names (what --page accepts), in navigation order, without building anything
    (tests/ui/test_app_wiring.py checks they are the pages ConsoleApp builds)."""
    return [key for key, _title in PAGE_TITLES]


def desktop_sandbox():
    """The desktop app's sandbox: ``sandbox serve`` in a child process (moto never shares the GUI's
    interpreter), its output in the app's log folder. DRS_CONSOLE_SANDBOX_SPEED sets its clock."""
    from ..sandbox.clock import speed_from_env
    from ..sandbox.process import SandboxProcess
    from ..store.paths import app_paths

    kwargs: dict[str, Any] = {}
    try:
        speed = speed_from_env()
    except ValueError as exc:
        log.warning("%s; the sandbox runs at its default speed", exc)
        speed = None
    if speed is not None:
        kwargs["speed"] = speed
    return SandboxProcess(history=40, log_file=app_paths().log_dir / "sandbox.log", **kwargs)


def install_exception_hooks(loop: asyncio.AbstractEventLoop, reporter: ErrorReporter) -> None:
    import asyncio

    def excepthook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            QCoreApplication.quit()
            return
        reporter.report(exc.with_traceback(tb) if exc is not None else exc_type())

    def loop_handler(_loop, context):
        exc = context.get("exception")
        if isinstance(exc, asyncio.CancelledError):
            return
        if exc is None:
            log.warning("event loop: %s", context.get("message"))
            return
        reporter.report(exc)

    sys.excepthook = excepthook
    threading.excepthook = lambda args: log.error(
        "uncaught in thread %s", args.thread.name if args.thread else "?", exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
    )
    loop.set_exception_handler(loop_handler)


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(msg_type, context, message: str) -> None:
    # Qt's own chatter goes to our log, not to the operator's terminal.
    level = _QT_LEVELS.get(msg_type, logging.WARNING)
    if "propagateSizeHints" in message:
        level = logging.DEBUG
    logging.getLogger("qt").log(level, "%s", message)


def run_gui(args: argparse.Namespace) -> int:
    if code := refuse_if_platform_cannot_load():  # before Qt aborts on a missing xcb library
        return code
    page = getattr(args, "page", None)
    if page and page not in dict(PAGE_TITLES):
        pages = ", ".join(key for key, _title in PAGE_TITLES)
        print(f"drs-console: unknown page {page!r}; pages: {pages}", file=sys.stderr)
        return 2
    qInstallMessageHandler(_qt_message)
    QApplication.setOrganizationName("drs-console")
    QApplication.setApplicationName("DRS Console")
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_color_scheme(qt_app)  # light or dark, as the system is
    screenshot = getattr(args, "screenshot", None)

    # 1. the window's shell, painted before anything heavy is imported
    window = MainWindow(restore_geometry=not screenshot)
    stamp = os.environ.get(PAINT_STAMP_ENV)
    if stamp:
        window.first_painted.connect(lambda: _write_stamp(stamp))
    window.show()
    _until_painted(qt_app, window)

    # 2. everything else
    import asyncio

    from qasync import QEventLoop as AsyncLoop

    from ..logsetup import configure_logging
    from ..store.sandbox_plans import sandbox_library
    from ..store.settings import load_settings

    configure_logging(
        verbose=getattr(args, "verbose", False), wire=getattr(args, "debug_wire", False), to_file=True
    )
    loop = AsyncLoop(qt_app)
    asyncio.set_event_loop(loop)
    settings = load_settings()
    if args.sandbox:
        settings.sandbox = True
    for name in ("profile", "region", "endpoint_url"):
        value = getattr(args, name, None)
        if value:
            setattr(settings, name, value)
            settings.sandbox = bool(args.sandbox)
    console = ConsoleApp(
        settings,
        persist_settings=not screenshot,
        restore_geometry=not screenshot,
        library=sandbox_library() if args.sandbox else None,
        window=window,
        sandbox_factory=desktop_sandbox,
    )
    install_exception_hooks(loop, console.reporter)
    from .gc_tuning import freeze_long_lived

    freeze_long_lived("started")  # the modules and the window: no gen2 collection walks them again

    exit_code = 0
    if screenshot:
        console.reporter.interactive = False
        with loop:
            exit_code = loop.run_until_complete(
                take_screenshot(console, Path(screenshot), page, sandbox=bool(args.sandbox))
            )
            loop.run_until_complete(_shut_down(console))
        return _finish(exit_code)

    if page:
        console.window.show_page(page)
    closing = asyncio.Event()
    qt_app.aboutToQuit.connect(closing.set)
    if args.sandbox or settings.sandbox or args.profile or os.environ.get("AWS_PROFILE"):
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: console.runner.start(console.window.connection_bar.connect_now()))
    with loop:
        loop.run_until_complete(closing.wait())
        loop.run_until_complete(_shut_down(console))
    return _finish(exit_code)


def _until_painted(qt_app: QApplication, window: MainWindow) -> None:
    """Run Qt's own event loop (no asyncio loop exists yet) until the window has painted once."""
    deadline = time.monotonic() + FIRST_PAINT_TIMEOUT
    while not window.painted and time.monotonic() < deadline:
        qt_app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
        if not window.painted:
            qt_app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 10)


def _write_stamp(path: str) -> None:
    try:
        Path(path).write_text(f"{time.time():.6f}\n")
    except OSError as exc:
        log.warning("could not write the paint stamp %s: %s", path, exc)


async def _shut_down(console: ConsoleApp) -> None:
    """Shut down inside the running loop: what shutdown() cancels or schedules then steps with the
    loop running (between two run_until_complete calls qasync can step a task with no loop marked
    running: 'no running event loop')."""
    console.shutdown()
    await _settle_cancelled()


async def _settle_cancelled(timeout: float = 2.0) -> None:
    """Let the tasks that shutdown() cancelled finish their cleanup (bounded: quitting never hangs)."""
    import asyncio

    current = asyncio.current_task()
    for _round in range(5):  # what a cancelled task's cleanup or a queued signal starts: cancelled too
        await asyncio.sleep(0)
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not pending:
            return
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=timeout / 5)


async def take_screenshot(console: ConsoleApp, path: Path, page: str | None, *, sandbox: bool) -> int:
    import asyncio

    window = console.window
    window.show()
    if sandbox and page:
        window.connection_bar.sandbox.setChecked(True)
        try:
            await asyncio.wait_for(_load_page(console, page), SCREENSHOT_TIMEOUT)
        except TimeoutError:
            print(f"drs-console: page {page!r} did not load within {SCREENSHOT_TIMEOUT} s", file=sys.stderr)
            return 1
        except Exception as exc:  # noqa: BLE001 - reported as one line
            print(f"drs-console: could not load page {page!r}: {exc}", file=sys.stderr)
            return 1
    elif page:
        window.show_page(page)
    # Lay out what changed (grab() renders the widgets itself: no need to wait for a paint). Only
    # layout requests are delivered: never QApplication.processEvents() inside a task, it would
    # run other tasks' steps re-entrantly ("Cannot enter into task").
    await asyncio.sleep(0)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        print(f"drs-console: could not write {path}", file=sys.stderr)
        return 1
    print(str(path))
    return 0


async def _load_page(console: ConsoleApp, key: str) -> None:
    identity = await console.window.connection_bar.connect_now()
    if identity is None:
        raise RuntimeError(console.reporter.last_text or "could not connect to the sandbox")
    page = console.window.show_page(key)
    await page.ready()


def _finish(code: int) -> int:
    logging.shutdown()
    # A boto3 call blocked on the network must not keep the process alive after the window is
    # gone; its thread holds nothing we need to flush.
    if any(t.name.startswith("aws") and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
