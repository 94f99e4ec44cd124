"""The list of the connected backend's executions (active ones first), with its Refresh button
and the ``N active · M executions`` status."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...models.execution_models import ExecutionColumn, ExecutionListModel, ExecutionListProxy
from ...table_view import ConsoleTableView
from ...widgets.badge import BadgeDelegate
from .sizing import TextWidths, header_height, type_color


class ExecutionList(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = ExecutionListModel(self)
        self.proxy = ExecutionListProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = ConsoleTableView()
        self.table.elide_ids()
        self.table.setObjectName("executionList")
        self.table.setModel(self.proxy)
        self.table.setSelectionMode(ConsoleTableView.SelectionMode.SingleSelection)
        badge = BadgeDelegate(self.table)
        self.table.setItemDelegateForColumn(ExecutionColumn.STATUS, badge)
        self.table.setItemDelegateForColumn(ExecutionColumn.TYPE, BadgeDelegate(self.table, colors=type_color))
        self.table.sortByColumn(ExecutionColumn.STATUS, Qt.SortOrder.AscendingOrder)
        # from the font, so that at 1280 px every column but the last holds its usual longest value
        # (an active plan's name in bold, the Waves tally whole: "0/2 completed, 1 failed"); an ARN
        # is cut in the middle
        fit = TextWidths(self.table)
        for col, width in ((ExecutionColumn.STATUS, 115), (ExecutionColumn.TYPE, fit.badge("RECOVERY")),
                           (ExecutionColumn.PLAN, fit.bold("Payments regional failover")),
                           (ExecutionColumn.STARTED, fit.text("2026-12-01 10:43:12")),
                           (ExecutionColumn.ELAPSED, fit.text("1 h 00 min")),
                           (ExecutionColumn.WAVES, fit.text("0/2 completed, 1 failed")),
                           (ExecutionColumn.INITIATED_BY, fit.text("alice@example.c")),  # elided; the tooltip has it whole
                           (ExecutionColumn.ENGINE, fit.text("Step Functions"))):
            self.table.setColumnWidth(col, width)

        self.refresh_button = QPushButton("Refresh")
        self.status = QLabel("")
        self.status.setObjectName("executionsStatus")
        bar = QHBoxLayout()
        heading = QLabel("<b>Executions</b> — active first")
        bar.addWidget(heading)
        bar.addStretch(1)
        bar.addWidget(self.status)
        bar.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

    def height_for(self, rows: int) -> int:
        """The height that shows the heading and ``rows`` rows."""
        t = self.table
        return (header_height(t) + rows * t.verticalHeader().defaultSectionSize()
                + 2 * t.frameWidth() + self.refresh_button.sizeHint().height() + 8)
