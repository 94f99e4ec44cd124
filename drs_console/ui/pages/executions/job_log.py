"""The open execution's DRS job log, newest first (sorted by the model, not per comparison)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ....domain.execution import JobLogEvent, WaveView
from ...models.execution_models import EventColumn, EventModel, SourceSortedProxy
from ...models.keyed_table import SORT_ROLE
from ...models.sliced import SlicedUpdater
from ...table_view import ConsoleTableView
from .sizing import TextWidths


class JobLogPane(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = EventModel(self)
        self.updater = SlicedUpdater(self.model)  # thousands of new events: over several loop turns
        self.proxy = SourceSortedProxy(self)  # newest first: sorted by the model, not per comparison
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self.table = ConsoleTableView()
        self.table.elide_ids()
        self.table.setObjectName("eventTable")
        self.table.setModel(self.proxy)
        self.table.sortByColumn(EventColumn.TIME, Qt.SortOrder.DescendingOrder)
        fit = TextWidths(self.table)
        for col, width in ((EventColumn.TIME, fit.header("Time (UTC)")),
                           (EventColumn.WAVE, fit.header("Wave")),
                           (EventColumn.EVENT, fit.text("CONVERSION_STA")),
                           (EventColumn.SERVER, fit.text("pay-app-0")), (EventColumn.DETAIL, 60)):
            self.table.setColumnWidth(col, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>DRS job log</b> (newest first)"))
        bar.addStretch(1)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

    def show_events(self, events: tuple[JobLogEvent, ...], waves: Iterable[WaveView]) -> None:
        self.updater.run(self.model.set_events_in_steps(events, waves, self.updater.rows_per_turn))

    def clear(self) -> None:
        self.updater.cancel()
        self.model.set_items([])
