"""The open execution's servers: one row per server of every wave, a wave filter, a free-text
filter and a count. The table model (and its columns) is ``ServerModel`` in
``ui/models/execution_models.py``; a column's default width is set here."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ....domain.execution import WaveView
from ...models.execution_models import ServerColumn, ServerFilterProxy, ServerModel
from ...models.sliced import SlicedUpdater
from ...table_view import ConsoleTableView
from ...widgets.badge import BadgeDelegate
from .sizing import TextWidths

#: hidden until the user shows them (the header's column chooser)
HIDDEN_BY_DEFAULT = (ServerColumn.SOURCE_INSTANCE_ID, ServerColumn.SOURCE_ACCOUNT_ID, ServerColumn.EC2_INSTANCE_ID)


class ServersPane(QWidget):
    wave_chosen = Signal(object)  # the wave filter's wave index (None: all waves)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = ServerModel(self)
        self.updater = SlicedUpdater(self.model)  # a big update is applied over several loop turns
        self.updater.applied.connect(self.update_count)
        self.proxy = ServerFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = ConsoleTableView()
        self.table.elide_ids()
        self.table.setObjectName("serverTable")
        self.table.setModel(self.proxy)
        badge = BadgeDelegate(self.table)
        self.table.setItemDelegateForColumn(ServerColumn.REPLICATION, badge)
        self.table.setItemDelegateForColumn(ServerColumn.LAUNCH, badge)
        self.table.sortByColumn(ServerColumn.WAVE, Qt.SortOrder.AscendingOrder)
        # At 1280 px the mission columns (Launch, Recovery instance, EC2 state, Failure) fit without
        # scrolling: IDs are elided in the middle (tooltips hold them whole) and the source's instance
        # and account, and the EC2 instance ID, are in the column chooser (the header's menu).
        fit = TextWidths(self.table)
        for col, width in ((ServerColumn.WAVE, fit.text("Wave")),
                           (ServerColumn.NAME, fit.text("pay-app-01")),
                           (ServerColumn.SOURCE_SERVER_ID, fit.text("s-079d…fd80be")),
                           (ServerColumn.SOURCE_INSTANCE_ID, fit.text("i-7854c47446b55c9d2")),
                           (ServerColumn.SOURCE_ACCOUNT_ID, fit.text("330992064277")),
                           (ServerColumn.REPLICATION, fit.badge("INITIAL_SYNC")),
                           (ServerColumn.LAUNCH, fit.badge("LAUNCHED")),
                           (ServerColumn.RECOVERY_INSTANCE_ID, fit.text("i-0ec2…0000001")),
                           (ServerColumn.EC2_INSTANCE_ID, fit.text("i-0ec2000000000001")),
                           (ServerColumn.EC2_STATE, fit.text("TERMINATED")), (ServerColumn.FAILURE, 60)):
            self.table.setColumnWidth(col, width)
        self.wave_filter = QComboBox()
        self.wave_filter.setObjectName("waveFilter")
        self.wave_filter.addItem("All waves", None)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter servers: name, ID, instance, status…")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel("")
        self.wave_filter.currentIndexChanged.connect(self._wave_filter_changed)
        self.search.textChanged.connect(self.proxy.set_text)
        self.search.textChanged.connect(lambda _t: self.update_count())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>Servers</b>"))
        bar.addWidget(self.wave_filter)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

    def show_waves(self, waves: Iterable[WaveView]) -> None:
        """The servers of ``waves``: the first slice of the change now, the rest on the next turns."""
        waves = tuple(waves)
        self.updater.submit(ServerModel.rows_of(waves))
        self.sync_wave_filter(waves)
        self.update_count()

    def clear(self) -> None:
        self.updater.cancel()
        self.model.set_items([])

    def fit_columns(self) -> None:
        self.table.fit_columns({ServerColumn.NAME: (80, 160)})

    def sync_wave_filter(self, waves: Iterable[WaveView]) -> None:
        wanted = [(f"Wave {w.index + 1}: {w.name}", w.index) for w in waves]
        combo = self.wave_filter
        have = [(combo.itemText(i), combo.itemData(i)) for i in range(1, combo.count())]
        if wanted != have:
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for text, index in wanted:
                combo.addItem(text, index)
            pos = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(0, pos))
            combo.blockSignals(False)

    def choose_wave(self, index: int | None) -> None:
        pos = self.wave_filter.findData(index) if index is not None else 0
        self.wave_filter.setCurrentIndex(max(0, pos))

    def _wave_filter_changed(self) -> None:
        index = self.wave_filter.currentData()
        self.proxy.set_wave(index)
        self.wave_chosen.emit(index)
        self.update_count()

    def update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown} of {total}" if shown != total else f"{total} servers")
