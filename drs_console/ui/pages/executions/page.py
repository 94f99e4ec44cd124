"""Executions page: the executions of the connected backend (active ones first) and, for the open
one, a live detail – header, wave timeline (table and Gantt), servers, the DRS job log – with
Resume, Cancel, Terminate drill instances and Export report.

Live data comes from one ExecutionMonitor per watched execution, run as one task
(``ExecutionSession``). The open execution is watched; so is every active execution found on
connect (re-attach after a restart). Closing the detail, the page or the app cancels the task.
Each update changes rows in place; the elapsed times tick from a one-second QTimer, not a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QStackedWidget, QStatusBar, QVBoxLayout, QWidget
from qasync import asyncSlot

from ....domain.errors import ConsoleError, ProblemKind
from ....domain.execution import Engine, ExecutionView, MonitorUpdate
from ....domain.native_view import short_id
from ....domain.plan import Plan
from ....domain.wording import plural
from ...connection import ConnectionController
from ...execution_engine import ExecutionEngine
from ...layout_memory import fit_first
from ...models.keyed_table import ITEM_ROLE
from ...notifications import Notifier, as_started
from ...tasks import TaskRunner
from ..base import Page
from .actions import ExecutionActions
from .detail import ExecutionDetail
from .execution_list import ExecutionList
from .session import ExecutionSession
from .sizing import now as _now

log = logging.getLogger(__name__)

ACTION_NOTE_MS = 10_000

NATIVE_ARN_MARK = ":recovery-plan-execution/"  # a DRS native execution's ARN (aws.engines.native)
SCREENSHOT_ENGINE_ENV = "DRS_CONSOLE_SCREENSHOT_ENGINE"  # "native": the sandbox screenshot shows a native drill
MAX_WATCHED = 8  # active executions re-attached on connect (the open one always is)


class ExecutionsPage(ExecutionActions, Page):
    key = "executions"
    title = "Executions"
    execution_opened = Signal(str)
    execution_changed = Signal(str)  # an execution started, changed status or ended (History reloads)

    def __init__(
        self,
        controller: ConnectionController,
        runner: TaskRunner,
        *,
        engine: ExecutionEngine | None = None,
        notifier: Notifier | None = None,
        poll_seconds: float | None = None,
        parent=None,
    ):
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.engine = engine or ExecutionEngine(controller)
        self.notifier = notifier or Notifier(self._status_bar, parent=self)
        self.poll_seconds = poll_seconds
        self.sessions: dict[str, ExecutionSession] = {}
        self.last_views: dict[str, ExecutionView] = {}
        self.started_here: set[str] = set()  # executions the operator started from this window
        self._dialogs: list[QWidget] = []
        self._task: asyncio.Task | None = None
        self._action_task: asyncio.Task | None = None
        self._loaded = asyncio.Event()
        self._identity_key: tuple[str, str] | None = None
        self._open_id = ""
        self._listed = 0  # executions the last list returned

        # the list ---------------------------------------------------------------------------------
        self.list = ExecutionList()
        self.model, self.proxy, self.table = self.list.model, self.list.proxy, self.list.table
        self.refresh_button, self.status = self.list.refresh_button, self.list.status
        self.table.activated.connect(self._row_activated)
        self.table.clicked.connect(self._row_activated)
        self.refresh_button.clicked.connect(self.on_refresh_clicked)

        # the detail ---------------------------------------------------------------------------------
        self.detail = ExecutionDetail()
        self.placeholder = QLabel("Select an execution to watch it live, or run a plan from the Plans page (Run…).")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_stack = QStackedWidget()
        self.detail_stack.addWidget(self.placeholder)
        self.detail_stack.addWidget(self.detail)
        self.detail.close_requested.connect(self.close_detail)
        self.detail.buttons["resume"].clicked.connect(self.on_resume_clicked)
        self.detail.buttons["retry"].clicked.connect(self.on_retry_clicked)
        self.detail.buttons["skip"].clicked.connect(self.ask_skip)
        self.detail.servers.wave_chosen.connect(lambda _i: self.update_step_buttons())
        self.detail.buttons["cancel"].clicked.connect(self.ask_cancel)
        self.detail.buttons["terminate"].clicked.connect(self.ask_terminate)
        self.detail.buttons["export"].clicked.connect(self.choose_export)
        self.detail.banner_button.clicked.connect(self.on_reauthenticate_clicked)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.detail_stack)
        split.setSizes([120, 560])
        split.setStretchFactor(1, 1)
        self.split = split
        self.memory = controller.ui_layout
        self.memory.splitter("executions.list", split)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_list)
        split.installEventFilter(self)
        self.detail.remember_layout(self.memory)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)

        # an action's message (Resumed…, Cancel of…, Retrying step…) stays this long before the
        # counters come back: the next monitor update, a second later, must not wipe it unread
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(ACTION_NOTE_MS)
        self._note_timer.timeout.connect(self.update_counters)

        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()

        controller.connected.connect(self._on_connected)
        controller.disconnected.connect(self._on_disconnected)

    # -- helpers -------------------------------------------------------------------------------
    def _status_bar(self) -> QStatusBar | None:
        window = self.window()
        return window.statusBar() if isinstance(window, QMainWindow) else None

    @property
    def open_id(self) -> str:
        """The execution shown in the detail ("" when none)."""
        return self._open_id

    def _keep(self, dialog: QWidget) -> None:
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda *_a, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None)

    def tick(self) -> None:
        now = _now()
        self.model.tick(now)
        if self.open_id:
            self.detail.tick(now)

    # -- connection ----------------------------------------------------------------------------
    def _on_connected(self, ident) -> None:
        key = (ident.account_id, ident.region)
        same = key == self._identity_key
        self._identity_key = key
        if not same:
            self.stop_all()
            self.close_detail()
            self.model.set_items([])
            self.last_views.clear()
        else:
            # the same account again (re-authenticated): resume the monitors on the new connection
            for session in list(self.sessions.values()):
                if session.running and session.monitor is not None and self.engine.reattach(session.monitor):
                    continue
                session.stop()
                self.watch(session.execution_id, restart=True)
        self.start_refresh()

    def _on_disconnected(self) -> None:
        self.show_state("Disconnected: live updates stop until you connect again.")

    # -- the list ------------------------------------------------------------------------------
    @asyncSlot()
    async def on_refresh_clicked(self) -> None:
        self.start_refresh()

    def start_refresh(self) -> asyncio.Task | None:
        if self._task is not None and not self._task.done():
            return self._task
        if not self.controller.is_connected:
            self.show_state("Not connected: connect to see executions.")
            return None
        self._task = self.runner.start(self.refresh(), name="executions-refresh", on_error=self._refresh_failed)
        return self._task

    def _refresh_failed(self, exc: BaseException) -> bool:
        self._loaded.set()
        if isinstance(exc, ConsoleError) and exc.kind is ProblemKind.NOT_FOUND:
            self.show_state(exc.one_line())
            return True
        return False

    async def refresh(self) -> list[ExecutionView]:
        """List the executions (active first), then watch the active ones: after a restart this
        re-attaches to every execution still running, and opens the first one if none is open."""
        if not self._note_timer.isActive():  # an action's message stays; the counters follow it
            self.status.setText("loading…")
        views = await self.engine.list_executions()
        self.model.merge(views)
        self.fit_list()
        active = [v for v in views if not v.is_terminal]
        for v in active[:MAX_WATCHED]:
            self.watch(v.execution_id)
        if not self.open_id:
            first = active[0] if active else None
            if first is not None:
                self.open_execution(first.execution_id)
        self._listed = len(views)
        self.update_counters()
        self._loaded.set()
        return views

    LIST_ROWS = (3, 6)  # the executions list shows this many rows (fewer if there are fewer), then scrolls

    def fit_list(self) -> None:
        """The list pane as tall as its rows (3 to 6), unless the user has moved the splitter."""
        if self.memory.user_sized("executions.list"):
            return
        low, high = self.LIST_ROWS
        rows = max(low, min(high, self.proxy.rowCount()))
        fit_first(self.split, self.list.height_for(rows), rest_min=380)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and watched is self.split:
            self._fit_timer.start()  # after the splitter has laid out its new size
        return super().eventFilter(watched, event)

    def show_state(self, text: str) -> None:
        """The page's state (not connected, disconnected, an error) on the status line, at once."""
        self._note_timer.stop()
        self.status.setText(text)

    def show_action(self, text: str) -> None:
        """What an action did, on the status line for ACTION_NOTE_MS (then the counters again)."""
        self.status.setText(text)
        self._note_timer.start()

    def update_counters(self) -> None:
        """``N active · M executions``, from the rows as they are now (monitors keep them current);
        after an action's message has been shown for ACTION_NOTE_MS."""
        if self._note_timer.isActive():
            return  # the timer shows the counters when it fires
        items = self.model.items()
        active = sum(1 for v in items if not v.is_terminal)
        n = len(items)
        self.status.setText(
            f"{active} active · {plural(n, 'execution')}"
            + (" (newest 50)" if self._listed >= 50 else "")
        )

    def _row_activated(self, proxy_index) -> None:
        view = proxy_index.data(ITEM_ROLE)
        if view is not None and view.execution_id != self.open_id:
            self.open_execution(view.execution_id)

    # -- watching ------------------------------------------------------------------------------
    def watch(self, execution_id: str, *, restart: bool = False) -> ExecutionSession:
        session = self.sessions.get(execution_id)
        if session is not None and session.running and not restart:
            return session
        if session is None:
            session = ExecutionSession(execution_id, self.engine, self.runner, self.poll_seconds, self)
            session.updated.connect(self._on_update)
            session.stopped.connect(self._on_session_stopped)
            self.sessions[execution_id] = session
        session.start()
        return session

    def unwatch(self, execution_id: str) -> None:
        session = self.sessions.pop(execution_id, None)
        if session is not None:
            session.stop()
            session.updated.disconnect(self._on_update)
            session.deleteLater()

    def stop_all(self) -> None:
        for execution_id in list(self.sessions):
            self.unwatch(execution_id)

    def _on_update(self, update: MonitorUpdate) -> None:
        view = update.view
        previous = self.last_views.get(view.execution_id)
        if previous is None and view.execution_id in self.started_here:
            previous = as_started(view)  # what a run started here does before the first read is news
        self.last_views[view.execution_id] = view
        self.notifier.observe(previous, view)
        old_row = self.model.row_of(view.execution_id)
        before = self.model.item_at(old_row).status if old_row is not None else None
        if old_row is None:
            self.model.set_items([*self.model.items(), view])
            if view.execution_id == self.open_id:
                self._select_row(view.execution_id)  # the open execution's row arrived: highlight it
        else:
            self.model.update_item(view)
        if old_row is None or before != view.status:
            self.update_counters()
            self.execution_changed.emit(view.execution_id)
        if view.execution_id == self.open_id:
            self.detail.apply(update)
            self.update_step_buttons()
        if update.transitions:
            log.info("%s: %s", view.execution_id, "; ".join(update.transitions))

    def _on_session_stopped(self, execution_id: str, exc: object) -> None:
        if (isinstance(exc, ConsoleError) and exc.kind is ProblemKind.CANCELLED and self.controller.is_connected
                and execution_id in self.sessions):
            # its connection was replaced (reconnect) in the middle of a call: go on with the new one
            QTimer.singleShot(0, lambda eid=execution_id: self.watch(eid, restart=True) if eid in self.sessions else None)
            return
        if exc is None or execution_id != self.open_id:
            if exc is not None:
                log.warning("monitor of %s stopped: %s", execution_id, exc)
            return
        auth = isinstance(exc, ConsoleError) and exc.kind in (ProblemKind.SSO_EXPIRED, ProblemKind.NO_CREDENTIALS)
        text = exc.one_line() if isinstance(exc, ConsoleError) else str(exc)
        self.detail.show_stopped(
            f"Live updates stopped: {text}" + (" — re-authenticate to resume." if auth else ""),
            button="Re-authenticate" if auth else "Retry",
        )

    # -- the detail ----------------------------------------------------------------------------
    def open_execution(self, execution_id: str) -> ExecutionSession:
        """Show ``execution_id`` in the detail and watch it live (a DRS native execution's ARN:
        that execution, on the native engine)."""
        execution_id = self._native_ref(execution_id)
        if self.open_id and self.open_id != execution_id:
            previous = self.open_id
            view = self.last_views.get(previous)
            if view is None or view.is_terminal:
                self.unwatch(previous)  # nothing more to see there
        self.detail_stack.setCurrentWidget(self.detail)
        session = self.sessions.get(execution_id)
        view = None
        if session is not None and session.last is not None:
            view = session.last.view
            self.detail.show_view(view, session.last.events)
            self.detail.apply(session.last)
        else:
            row = self.model.row_of(execution_id)
            view = self.model.item_at(row) if row is not None else None
            if view is not None:
                self.detail.show_view(view, ())
            else:
                self.detail.clear()
                self.detail.plan_label.setText(execution_id)
                self.detail.progress_label.setText("waiting for the first update…")
        self._open_id = execution_id
        self._select_row(execution_id)
        self.update_step_buttons()
        session = self.watch(execution_id)
        self.execution_opened.emit(execution_id)
        return session

    def _native_ref(self, ref: str) -> str:
        """A native execution's ARN -> its ID, the engine told it is native; any other ID as is."""
        if NATIVE_ARN_MARK not in ref:
            return ref
        execution_id = short_id(ref)
        note = getattr(self.engine, "note_native", None)
        if callable(note):
            note(execution_id, ref)
        return execution_id

    def _select_row(self, execution_id: str) -> None:
        """Highlight the open execution's row; none while it is not listed yet (never another one)."""
        row = self.model.row_of(execution_id)
        if row is None:
            self.table.clearSelection()
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)

    def close_detail(self) -> None:
        """Close the open execution and cancel its monitor."""
        execution_id, self._open_id = self._open_id, ""
        if execution_id:
            self.unwatch(execution_id)
        self.detail.clear()
        self.detail_stack.setCurrentWidget(self.placeholder)
        self.table.clearSelection()

    # -- page API ------------------------------------------------------------------------------
    async def ready(self) -> None:
        """For screenshots: the list loaded; in the sandbox, a drill of the sample plan running
        (started here when there is none) with at least one wave's DRS job, shown in the detail."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._task)
        await self._loaded.wait()
        ident = self.controller.identity
        if ident is not None and ident.sandbox and os.environ.get(SCREENSHOT_ENGINE_ENV) == "native":
            plan = _sample_native_plan()
            if plan is not None:  # a real native drill of the sample plan, started in the sandbox now
                mine = [v for v in self.model.items() if v.engine is Engine.NATIVE]
                self.open_execution(mine[0].execution_id if mine else await self.engine.start_sample_native(plan))
                self.start_refresh()
        elif ident is not None and ident.sandbox:
            plan = _sample_plan()
            if plan is not None:
                mine = [v for v in self.model.items() if v.plan_id == plan.id]
                if mine:
                    latest = max(mine, key=lambda v: v.started_at or datetime.min.replace(tzinfo=UTC))
                    self.open_execution(latest.execution_id)
                else:
                    self.open_execution(await self._start_sample(plan))
        if not self.open_id and self.model.rowCount():
            self.open_execution(self.proxy.index(0, 0).data(ITEM_ROLE).execution_id)
        if self.open_id:
            # a wave with its DRS job and log; for a richer picture, a finished wave (up to 45 s)
            loop = asyncio.get_running_loop()
            start = loop.time()
            while loop.time() - start < 60:
                view = self.detail.view
                if view is not None and view.is_terminal:
                    break
                has_job = view is not None and any(w.job_id for w in view.waves)
                if has_job and self.detail.event_model.rowCount():
                    if any(w.ended_at for w in view.waves) or loop.time() - start > 45:
                        break
                await asyncio.sleep(0.1)
            self.detail.select_wave(None)
            self._select_row(self.open_id)
        self.tick()

    async def _start_sample(self, plan: Plan, *, patience: float = 70.0) -> str:
        """Start the sample plan as a drill; the sandbox's seeded history may still hold its servers
        in a DRS job for a few (simulated) minutes, so a busy-server block is retried until it clears."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while True:
            try:
                execution_id = await self.engine.start(plan, drill=True, override_target=True)
                self.show_action(f"Started a drill of the sample plan: {execution_id}")
                return execution_id
            except ConsoleError as exc:
                if "active-jobs" not in exc.message or loop.time() > deadline:
                    raise
                self.show_action("Waiting for the sandbox's earlier DRS jobs to finish before the drill…")
                await asyncio.sleep(2.0)

    def shutdown(self) -> None:
        self.ticker.stop()
        if self._task is not None:
            self._task.cancel()
        self.stop_all()
        self.notifier.close()


def _sample_native_plan() -> Plan | None:
    """The sample plan as the native screenshot runs it: its pause before the web tier becomes a
    2-minute WAIT step (a native plan never pauses for an approval)."""
    plan = _sample_plan()
    if plan is not None:
        for wave in plan.waves:
            if wave.pause_before:
                wave.pause_before, wave.delay_minutes = False, max(wave.delay_minutes, 2)
    return plan


def _sample_plan() -> Plan | None:
    """The sample plan shipped in resources/plans (the screenshot's drill in the sandbox)."""
    from ....resources import resource_path
    from ....store.plan_io import read_plan_file

    path = resource_path("plans", "sample-payments.json")
    try:
        return read_plan_file(path).plan
    except Exception as exc:  # noqa: BLE001 - no sample: nothing to start
        log.warning("sample plan %s not readable: %s", path, exc)
        return None

