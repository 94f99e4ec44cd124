"""History page: every execution of the history table and every DRS native execution (an Engine
column and filter), filters, CSV export and a safe prune of both."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTimer, QTimeZone, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ...aws.history import HistoryService, PruneControl, history_table_name
from ...aws.session import Identity
from ...domain import history as h
from ...domain.errors import ConsoleError, ProblemKind
from ...domain.status import ACTIVE_STATUSES, TERMINAL_STATUSES, ExecutionStatus
from ...store.atomic import atomic_write_text
from ..connection import ConnectionController
from ..models.history_model import HistoryColumn, HistoryFilterProxy, HistoryModel
from ..table_view import ConsoleTableView
from ..tasks import TaskRunner
from ..widgets.badge import BadgeDelegate
from .base import Page
from .history_prune import PrunePanel
from .history_pruning import HistoryPruning

log = logging.getLogger(__name__)

STATUS_FILTERS: list[tuple[str, frozenset[ExecutionStatus] | None]] = [
    ("All statuses", None),
    ("Active", ACTIVE_STATUSES),
    ("Finished", TERMINAL_STATUSES),
] + [(s.value, frozenset({s})) for s in ExecutionStatus]
TYPE_FILTERS = [("Drills and recoveries", None), ("Drills", "DRILL"), ("Recoveries", "RECOVERY")]
ENGINE_FILTERS = [("Both engines", None), ("Step Functions", "stepfunctions"), ("DRS native", "native")]
CUSTOM = "custom"
DATE_FILTERS: list[tuple[str, timedelta | str | None]] = [
    ("Any time", None),
    ("Last hour", h.DATE_RANGES["last hour"]),
    ("Last 24 h", h.DATE_RANGES["last 24 h"]),
    ("Last 7 days", h.DATE_RANGES["last 7 days"]),
    ("Last 30 days", h.DATE_RANGES["last 30 days"]),
    ("Custom range…", CUSTOM),
]
PAGE_SIZE = 1000  # executions per Query page while loading (the progress updates per page)
STALE_SECONDS = 60.0  # History reloads when opened if it was loaded longer ago than this
CHANGE_DELAY_MS = 1000  # a burst of execution changes reloads History once


def _to_qdt(dt: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(dt.timestamp()), QTimeZone.utc())


def _from_qdt(qdt: QDateTime) -> datetime:
    return datetime.fromtimestamp(qdt.toSecsSinceEpoch(), UTC)


class HistoryPage(HistoryPruning, Page):
    key = "history"
    title = "History"

    open_execution = Signal(str)  # execution ID; the Monitor page opens it

    def __init__(self, controller: ConnectionController, runner: TaskRunner, *, clock=None, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.clock = clock or (lambda: datetime.now(UTC))
        self.table_name: str | None = None
        self.loaded_at: datetime | None = None
        self._task: asyncio.Task | None = None
        self._preview_task: asyncio.Task | None = None
        self._prune_task: asyncio.Task | None = None
        self._control: PruneControl | None = None
        self._native_prune = None  # the last preview's DRS native part (aws.engines.native_history.NativePrune)
        self._native_note = ""  # why the native executions are not listed, if they are not
        self._no_backend = ""  # why there is no history table, when only native executions are listed
        self._loaded = asyncio.Event()
        self._message = ""
        self._dirty = False  # an execution started, changed or ended since the last load
        self._change_timer = QTimer(self)  # coalesces a burst of changes into one reload
        self._change_timer.setSingleShot(True)
        self._change_timer.setInterval(CHANGE_DELAY_MS)
        self._change_timer.timeout.connect(self.refresh_if_stale)

        self.model = HistoryModel(self)
        self.proxy = HistoryFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        # -- filter bar ----------------------------------------------------------------------
        self.search = QLineEdit()
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Search: plan, execution ID, operator, status…")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        for label, statuses in STATUS_FILTERS:
            self.status_filter.addItem(label, statuses)
        self.type_filter = QComboBox()
        for label, kind in TYPE_FILTERS:
            self.type_filter.addItem(label, kind)
        self.engine_filter = QComboBox()
        self.engine_filter.setObjectName("engineFilter")
        for label, engine in ENGINE_FILTERS:
            self.engine_filter.addItem(label, engine)
        self.date_filter = QComboBox()
        for label, span in DATE_FILTERS:
            self.date_filter.addItem(label, span)
        now = self.clock()
        self.date_from = QDateTimeEdit(_to_qdt(now - timedelta(days=7)))
        self.date_to = QDateTimeEdit(_to_qdt(now + timedelta(hours=1)))
        for edit in (self.date_from, self.date_to):
            edit.setTimeZone(QTimeZone.utc())
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
            edit.setVisible(False)

        self.refresh_button = QPushButton("Refresh")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(180)
        self.progress.setVisible(False)
        self.open_button = QPushButton("Open in monitor")
        self.open_button.setEnabled(False)
        self.export_button = QPushButton("Export CSV…")
        self.prune_button = QPushButton("Prune finished…")
        self.prune_button.setObjectName("pruneButton")

        self.table = ConsoleTableView()
        self.table.elide_ids()
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(HistoryColumn.STATUS, BadgeDelegate(self.table))
        self.table.sortByColumn(HistoryColumn.STARTED, Qt.SortOrder.DescendingOrder)
        for col, width in (
            (HistoryColumn.PLAN, 170),
            (HistoryColumn.TYPE, 80),
            (HistoryColumn.STATUS, 115),
            (HistoryColumn.STARTED, 140),
            (HistoryColumn.ENDED, 140),
            (HistoryColumn.DURATION, 90),
            (HistoryColumn.WAVES, 60),
            (HistoryColumn.LAUNCHED, 70),
            (HistoryColumn.FAILED, 55),
            (HistoryColumn.INITIATED_BY, 140),
            (HistoryColumn.ENGINE, 100),
        ):
            self.table.setColumnWidth(col, width)
        header = self.table.horizontalHeader()  # the engine beside the type: both say what ran
        header.moveSection(header.visualIndex(HistoryColumn.ENGINE), header.visualIndex(HistoryColumn.TYPE) + 1)
        # at 1280 px the columns whole and a readable execution ID (last, cut in the middle: its plan
        # slug and unique end, the whole ID in its tooltip and 'Copy cell') need more than the width:
        # Ended (Started + Duration) and Initiated by start hidden until the operator shows them (the
        # header's column menu; remembered). Both stay in the CSV export; the search still finds the
        # operator
        self.table.remember_columns("history", controller.ui_layout,
                                    hidden_by_default=(HistoryColumn.ENDED, HistoryColumn.INITIATED_BY))
        self.status = QLabel("")
        self.status.setObjectName("historyStatus")

        self.prune_panel = PrunePanel()
        self.prune_panel.setVisible(False)
        self._fitted = False

        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.status_filter)
        filters.addWidget(self.type_filter)
        filters.addWidget(self.engine_filter)
        filters.addWidget(self.date_filter)
        filters.addWidget(self.date_from)
        filters.addWidget(self.date_to)
        actions = QHBoxLayout()
        actions.addWidget(self.refresh_button)
        actions.addWidget(self.progress)
        actions.addWidget(self.cancel_button)
        actions.addStretch(1)
        actions.addWidget(self.open_button)
        actions.addWidget(self.export_button)
        actions.addWidget(self.prune_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.prune_panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)

        self._selection_timer = QTimer(self)
        self._selection_timer.setSingleShot(True)
        self._selection_timer.setInterval(250)
        self._selection_timer.timeout.connect(self._selection_settled)

        self.search.textChanged.connect(lambda _t: self.apply_filter())
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.type_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.engine_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.date_filter.currentIndexChanged.connect(self._date_range_changed)
        self.date_from.dateTimeChanged.connect(lambda _d: self.apply_filter())
        self.date_to.dateTimeChanged.connect(lambda _d: self.apply_filter())
        self.refresh_button.clicked.connect(self.on_refresh_clicked)
        self.cancel_button.clicked.connect(self.cancel_refresh)
        self.open_button.clicked.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.export_button.clicked.connect(self.choose_export_path)
        self.prune_button.clicked.connect(self.open_prune)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.prune_panel.scope_changed.connect(self.start_preview)
        self.prune_panel.prune_requested.connect(self._prune_requested)
        self.prune_panel.cancel_requested.connect(self.cancel_prune)
        self.prune_panel.close_requested.connect(self.close_prune)
        self.proxy.rowsInserted.connect(lambda *_a: self._update_status())
        self.proxy.rowsRemoved.connect(lambda *_a: self._update_status())
        self.proxy.modelReset.connect(self._update_status)
        controller.connected.connect(self._on_connected)
        controller.disconnected.connect(self._on_disconnected)
        self._set_message("Not connected: connect to load the execution history.")

    # -- filters -------------------------------------------------------------------------------
    def current_filter(self) -> h.HistoryFilter:
        span = self.date_filter.currentData()
        since = until = None
        if span == CUSTOM:
            since, until = _from_qdt(self.date_from.dateTime()), _from_qdt(self.date_to.dateTime())
        elif isinstance(span, timedelta):
            since = self.clock() - span
        return h.HistoryFilter(
            statuses=self.status_filter.currentData(),
            execution_type=self.type_filter.currentData(),
            since=since,
            until=until,
            text=self.search.text().strip(),
            engine=self.engine_filter.currentData(),
        )

    def apply_filter(self) -> None:
        """One model change per keystroke (the proxy computes the matching rows in Python); the
        selected executions that still match stay selected."""
        selected = self.selected_ids()
        self.proxy.set_filter(self.current_filter())
        if selected:
            self._select_ids(selected)
        self._update_status()

    def _select_ids(self, ids: list[str]) -> None:
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        selection = QItemSelection()
        last = self.proxy.columnCount() - 1
        for eid in ids:
            src = self.model.row_of(eid)
            idx = self.proxy.mapFromSource(self.model.index(src, 0)) if src is not None else None
            if idx is not None and idx.isValid():
                selection.select(idx, self.proxy.index(idx.row(), last))
        if not selection.isEmpty():
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().select(selection, flags)

    def _date_range_changed(self) -> None:
        custom = self.date_filter.currentData() == CUSTOM
        self.date_from.setVisible(custom)
        self.date_to.setVisible(custom)
        self.apply_filter()

    def visible_rows(self) -> list[h.HistoryRow]:
        return self.proxy.rows()

    def selected_ids(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [self.model.item_at(self.proxy.mapToSource(i).row()).execution_id for i in rows]

    # -- status line ---------------------------------------------------------------------------
    def _set_message(self, text: str) -> None:
        self._message = text
        self._update_status()

    def _update_status(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        parts = []
        if self.table_name or self.loaded_at:
            parts.append(f"{shown} of {total} executions" if shown != total else f"{total} executions")
            where = [f"table {self.table_name}" if self.table_name else "", "" if self._native_note else
                     "DRS native plans"]
            parts.append(" and ".join(w for w in where if w))
            if self._native_note:
                parts.append(self._native_note)
            if self.loaded_at:
                parts.append(f"loaded {self.loaded_at.astimezone().strftime('%H:%M:%S')}")
        if self._message:
            parts.append(self._message)
        self.status.setText(" · ".join(parts))

    # -- connection ----------------------------------------------------------------------------
    def _on_connected(self, _ident: Identity) -> None:
        self.table_name = None
        self.model.set_items([])
        self.loaded_at = None
        self.start_refresh()

    def _on_disconnected(self) -> None:
        self.cancel_refresh()
        self.table_name = None

    async def _service(self) -> HistoryService:
        conn = self.controller.connection
        if conn is None:
            raise ConsoleError(ProblemKind.CANCELLED, "Not connected.", "Connect first.")
        if self.table_name is None:
            settings = self.controller.settings
            self.table_name = await history_table_name(
                conn, stack_name=settings.backend_stack_name or "drs-console", explicit=settings.history_table
            )
        return HistoryService(conn, self.table_name)

    # -- refresh -------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh_if_stale()  # opened: reload when older than a minute, or changed meanwhile

    def is_stale(self) -> bool:
        if self._dirty or self.loaded_at is None:
            return True
        return (self.clock() - self.loaded_at).total_seconds() > STALE_SECONDS

    def refresh_if_stale(self) -> asyncio.Task | None:
        if not self.controller.is_connected or self.pruning or not self.is_stale():
            return None
        if self._task is not None and not self._task.done():
            return self._task  # it re-runs when it ends if something changed meanwhile
        return self.start_refresh()

    def execution_changed(self, _execution_id: str = "") -> None:
        """An execution started, changed status or ended (the Executions page says so): reload now
        when this page is shown, else when it is next opened."""
        self._dirty = True
        if self.isVisible():
            self._change_timer.start()

    @asyncSlot()
    async def on_refresh_clicked(self) -> None:
        self.start_refresh()

    def start_refresh(self) -> asyncio.Task | None:
        if self._task is not None and not self._task.done():
            return self._task
        if not self.controller.is_connected:
            self._set_message("Not connected: connect to load the execution history.")
            return None
        self._task = self.runner.start(self.refresh(), name="history-refresh", on_error=self._refresh_failed)
        return self._task

    def cancel_refresh(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _refresh_failed(self, exc: BaseException) -> bool:
        self._loaded.set()
        if isinstance(exc, ConsoleError) and exc.kind is ProblemKind.NOT_FOUND:
            self._set_message(exc.one_line())  # no backend here yet: say so, no dialog
            return True
        return False

    async def refresh(self) -> list[h.HistoryRow]:
        """Load every page of the history, updating rows in place as pages arrive, then the DRS
        native executions (the same call as 'history list'); rows no longer there are removed at the
        end. Selection and sort are kept. No backend deployed: the native executions alone."""
        ident = self.controller.identity
        self._dirty = False
        self._set_busy(True)
        try:
            seen: set[str] = set()
            try:
                service = await self._service()
                self._no_backend = ""
            except ConsoleError as exc:
                if exc.kind is not ProblemKind.NOT_FOUND:
                    raise
                service, self._no_backend = None, exc.one_line()

            def on_page(rows: list[h.HistoryRow], so_far: int) -> None:
                if self.controller.identity is not ident:
                    raise asyncio.CancelledError  # reconnected meanwhile: stop filling
                seen.update(r.execution_id for r in rows)
                self.model.upsert(rows)
                self.progress.setFormat(f"{so_far} executions…")

            rows = await service.list_all(on_page, page_size=PAGE_SIZE) if service is not None else []
            native = await self._native_rows()
            if service is None and not native and self._native_note:
                raise ConsoleError(ProblemKind.NOT_FOUND, self._no_backend, "Deploy the backend, or check the connection.")
            if self.controller.identity is not ident:
                raise asyncio.CancelledError
            seen.update(r.execution_id for r in native)
            self.model.upsert(native)
            rows = rows + native
            self.model.remove_keys(self.model.keys() - seen)
            if not self._fitted and rows:
                # every column as wide as its content (once: they never jump), so at 1280 px the
                # table is whole; the execution ID, last, is elided in the middle
                self._fitted = True
                self.table.fit_columns({c: (50, 220) for c in HistoryColumn if c is not HistoryColumn.EXECUTION_ID})
            self.loaded_at = self.clock()
            self._message = "" if service is not None else f"no backend history ({self._no_backend})"
            return rows
        finally:
            self._set_busy(False)
            self._loaded.set()
            if self._dirty and self.isVisible():
                self._change_timer.start()  # something changed while loading: once more

    async def _native_rows(self) -> list[h.HistoryRow]:
        """The DRS native executions as rows (aws.engines.native_history, as 'history list');
        none, and a note, when they cannot be listed."""
        from ..execution_engine import imported

        self._native_note = ""
        try:
            module = await imported("aws.engines.native_history")
            return await module.native_history_rows(self.controller.connection)
        except ConsoleError as exc:
            self._native_note = f"native executions not listed: {exc.one_line()}"
            return []

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.refresh_button.setEnabled(not busy)
        if busy:
            self.progress.setFormat("loading…")
        self._update_status()

    async def ready(self) -> None:
        if self._task is not None:
            await asyncio.gather(asyncio.shield(self._task), return_exceptions=True)
        await self._loaded.wait()
        await self._screenshot_native()

    async def _screenshot_native(self) -> None:
        """The sandbox's screenshot with DRS_CONSOLE_SCREENSHOT_ENGINE=native: a real native drill
        of the sample plan started now (unless one is listed), then listed beside the backend's."""
        import os

        from .executions.page import SCREENSHOT_ENGINE_ENV, _sample_native_plan

        ident = self.controller.identity
        if ident is None or not ident.sandbox or os.environ.get(SCREENSHOT_ENGINE_ENV) != "native":
            return
        if any(r.engine == "native" for r in self.model.items()):
            return
        plan = _sample_native_plan()
        if plan is None:
            return
        from ..execution_engine import ExecutionEngine

        await ExecutionEngine(self.controller).start_sample_native(plan)
        self._dirty = True
        task = self.start_refresh()
        if task is not None:
            await asyncio.gather(asyncio.shield(task), return_exceptions=True)

    def shutdown(self) -> None:
        self.cancel_refresh()
        if self._control is not None:
            self._control.cancel()
        if self._preview_task is not None:
            self._preview_task.cancel()

    # -- open and export -----------------------------------------------------------------------
    def _selection_changed(self, *_args) -> None:
        ids = self.selected_ids()
        self.open_button.setEnabled(len(ids) == 1)
        if self.prune_panel.isVisible():
            self._selection_timer.start()

    def _selection_settled(self) -> None:
        ids = frozenset(self.selected_ids())
        self.prune_panel.set_selection(ids)
        if self.prune_panel.scope_selected.isChecked() and not self.pruning:
            self.start_preview()

    def open_selected(self) -> None:
        """Open the selected execution in the monitor (a DRS native one by its ARN: the monitor
        then watches it on the native engine)."""
        ids = self.selected_ids()
        if ids:
            row = self.model.item_at(self.model.row_of(ids[0]))
            native = row.engine == "native" and row.execution_arn
            self.open_execution.emit(row.execution_arn if native else ids[0])

    def choose_export_path(self) -> QFileDialog:
        dialog = QFileDialog(self, "Export visible rows as CSV", str(Path.home() / "drs-history.csv"), "CSV (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_csv(Path(path)))
        dialog.open()
        return dialog

    def export_csv(self, path: Path) -> int:
        """Write the visible rows (in view order) to ``path`` atomically; returns the row count."""
        rows = self.visible_rows()
        try:
            atomic_write_text(Path(path), h.csv_text(rows))
        except OSError as exc:
            raise ConsoleError(
                ProblemKind.BAD_INPUT, f"Could not write {path}: {exc.strerror or exc}.", "Choose another folder."
            ) from exc
        self._set_message(f"exported {len(rows)} rows to {path}")
        return len(rows)
