"""The open execution's waves: a table (one row per wave) beside a Gantt timeline, in one splitter."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import QSplitter

from ....domain.execution import Engine, ExecutionView
from ...models.execution_models import WaveColumn, WaveModel
from ...models.keyed_table import ITEM_ROLE, SORT_ROLE
from ...table_view import ConsoleTableView
from ...widgets.badge import BadgeDelegate
from ...widgets.timeline import WaveTimeline
from .sizing import TextWidths


class WavesPane(QSplitter):
    """The wave table and the timeline (a bar clicked there: ``timeline.wave_clicked``)."""

    wave_selected = Signal(object)  # the index of the wave selected in the table

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.timeline = WaveTimeline()
        self.model = WaveModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = ConsoleTableView()
        self.table.elide_ids()
        self.table.setObjectName("waveTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionMode(ConsoleTableView.SelectionMode.SingleSelection)
        self.table.setItemDelegateForColumn(WaveColumn.STATUS, BadgeDelegate(self.table))
        self.table.sortByColumn(WaveColumn.NUMBER, Qt.SortOrder.AscendingOrder)
        fit = TextWidths(self.table)
        for col, width in ((WaveColumn.NUMBER, fit.text("10")),
                           (WaveColumn.NAME, fit.text("Application tier")),
                           (WaveColumn.STATUS, fit.badge("NOT_STARTED")),
                           (WaveColumn.JOB_ID, fit.text("drsjob-2649…3b4fb2fab18")),
                           (WaveColumn.STARTED, fit.text("00:00:00")), (WaveColumn.ENDED, fit.text("00:00:00")),
                           (WaveColumn.DURATION, fit.text("1 h 00 min")),
                           (WaveColumn.KIND, fit.text("WAIT 60 min")), (WaveColumn.ATTEMPT, fit.header("Attempt"))):
            self.table.setColumnWidth(col, width)
        self.addWidget(self.table)
        self.addWidget(self.timeline)
        self.setSizes([780, 350])
        self.table.selectionModel().selectionChanged.connect(self._selected)
        header = self.table.horizontalHeader()  # a native step's kind and attempt right after its status
        for offset, col in enumerate(WaveModel.NATIVE_ONLY, 1):
            header.moveSection(header.visualIndex(col), header.visualIndex(WaveColumn.STATUS) + offset)
        self._native = True
        self._show_native_columns(False)

    def _show_native_columns(self, native: bool) -> None:
        """A DRS native execution's steps: their kind (SERVER, WAIT n min) and attempt."""
        for col in WaveModel.NATIVE_ONLY:
            self.table.setColumnHidden(col, not native)
        if native != self._native:  # a step's status may carry its native one: IN_PROGRESS (native WAITING)
            self._native = native
            fit = TextWidths(self.table)
            self.table.setColumnWidth(WaveColumn.STATUS, fit.badge("IN_PROGRESS (native EXECUTING)" if native
                                                                   else "NOT_STARTED"))

    def show_view(self, view: ExecutionView | None, now: datetime) -> None:
        self.model.now = now
        if view is None:
            self.model.set_items([])
            self.timeline.set_view(None)
        else:
            self._show_native_columns(view.engine is Engine.NATIVE)
            self.model.set_items(view.waves)
            self.timeline.set_view(view, now)

    def tick(self, now: datetime) -> None:
        self.model.tick(now)
        self.timeline.set_now(now)

    def select(self, index: int | None) -> None:
        """Highlight wave ``index`` in the timeline and, when it has a row, in the table."""
        self.timeline.set_selected(index)
        row = self.model.row_of(str(index)) if index is not None else None
        if row is not None:
            proxy_row = self.proxy.mapFromSource(self.model.index(row, 0)).row()
            if proxy_row not in {i.row() for i in self.table.selectionModel().selectedRows()}:
                self.table.selectRow(proxy_row)

    def fit_columns(self) -> None:
        self.table.fit_columns({WaveColumn.NAME: (80, 230)})

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            wave = rows[0].data(ITEM_ROLE)
            if wave is not None:
                self.wave_selected.emit(wave.index)
