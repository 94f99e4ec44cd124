"""The detail of one execution: its header, the waves (table and Gantt), the servers and the DRS
job log, kept current by the page's monitor updates (rows change in place).

Each part is its own widget (header.py, waves_pane.py, servers_pane.py, job_log.py); this one
lays them out, feeds them an update and sizes the panes. The widgets' parts are also reachable
under their historical names (``detail.server_model``, ``detail.plan_label``…)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from ....domain.execution import ExecutionView, JobLogEvent, MonitorUpdate, StreamState
from ...layout_memory import LayoutMemory, fit_first
from ...models.execution_models import EventColumn
from .header import ExecutionHeader
from .job_log import JobLogPane
from .servers_pane import HIDDEN_BY_DEFAULT, ServersPane
from .sizing import TextWidths, columns_width, header_height
from .sizing import now as _now
from .waves_pane import WavesPane

#: the header's widgets, also attributes of the detail
_HEADER_PARTS = ("plan_label", "type_badge", "status_badge", "target_label", "live_label", "started_label",
                 "point_in_time_label", "elapsed_label", "initiated_label", "progress_label", "error_label", "buttons",
                 "banner",
                 "banner_label", "banner_button")


class ExecutionDetail(QWidget):
    close_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view: ExecutionView | None = None
        self.events: tuple[JobLogEvent, ...] = ()
        self.state = StreamState.LIVE
        self.last_update_at: datetime | None = None
        self.now = _now()

        self.header = ExecutionHeader()
        for name in _HEADER_PARTS:
            setattr(self, name, getattr(self.header, name))
        self.buttons["close"].clicked.connect(self.close_requested)

        self.waves = WavesPane()
        self.timeline, self.wave_model, self.wave_proxy, self.wave_table = (
            self.waves.timeline, self.waves.model, self.waves.proxy, self.waves.table)
        self.servers = ServersPane()
        self.server_model, self.server_proxy, self.server_table = (
            self.servers.model, self.servers.proxy, self.servers.table)
        self.wave_filter, self.server_search, self.server_count = (
            self.servers.wave_filter, self.servers.search, self.servers.count)
        self.job_log = JobLogPane()
        self.event_model, self.event_proxy, self.event_table = (
            self.job_log.model, self.job_log.proxy, self.job_log.table)

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.servers)
        bottom.addWidget(self.job_log)
        bottom.setSizes([760, 360])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.waves)
        body.addWidget(bottom)
        body.setSizes([150, 330])
        body.setStretchFactor(1, 1)
        self.body = body
        self.waves_split = self.waves
        self.bottom = bottom
        self.memory: LayoutMemory | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(body, 1)

        self.timeline.wave_clicked.connect(self.select_wave)
        self.waves.wave_selected.connect(self._wave_selected)
        self.servers.wave_chosen.connect(self.timeline.set_selected)

    # -- layout --------------------------------------------------------------------------------
    def remember_layout(self, memory: LayoutMemory) -> None:
        """Splitters and hidden columns as this user left them; otherwise sized by content."""
        self.memory = memory
        memory.splitter("executions.detail", self.body)
        memory.splitter("executions.waves", self.waves_split)
        memory.splitter("executions.servers", self.bottom)
        self.server_table.remember_columns("executions.servers", memory, hidden_by_default=HIDDEN_BY_DEFAULT)
        # the wave of an event's server is in the servers table (the column chooser shows it here too)
        self.event_table.remember_columns("executions.log", memory, hidden_by_default=(EventColumn.WAVE,))
        self.server_table.columns_changed.connect(self.fit_panes)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_panes)
        for splitter in (self.body, self.bottom, self.waves_split):
            splitter.installEventFilter(self)

    def _sized_by_user(self, key: str) -> bool:
        return self.memory is not None and self.memory.user_sized(key)

    def fit_panes(self) -> None:
        """Waves pane as tall as its rows (the servers and the log get the rest); the servers
        pane as wide as its columns, the job log the rest."""
        if not self._sized_by_user("executions.waves"):
            t = self.wave_table
            fit_first(self.waves_split, columns_width(t, last_min=TextWidths(t).text("2/2 launched")), rest_min=260)
        if not self._sized_by_user("executions.detail"):
            t = self.wave_table
            rows = max(self.wave_proxy.rowCount(), 2)
            height = (header_height(t) + rows * t.verticalHeader().defaultSectionSize()
                      + 2 * t.frameWidth() + 2)
            if columns_width(t) > t.viewport().width() + 2 * t.frameWidth():
                height += t.horizontalScrollBar().sizeHint().height()
            fit_first(self.body, max(height, self.timeline.minimumSizeHint().height()), rest_min=200)
        if not self._sized_by_user("executions.servers"):
            t = self.server_table
            fit_first(self.bottom, columns_width(t, last_min=TextWidths(t).text("LAUNCH_FAILED")), rest_min=360)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and watched in (self.body, self.bottom, self.waves_split):
            self._fit_timer.start()  # after the splitter has laid out its new size
        return super().eventFilter(watched, event)

    def _scroll_home(self) -> None:
        """A newly opened execution starts at the tables' first column, not where the last one was."""
        for table in (self.wave_table, self.server_table, self.event_table):
            table.horizontalScrollBar().setValue(0)

    # -- showing -------------------------------------------------------------------------------
    @property
    def execution_id(self) -> str:
        return self.view.execution_id if self.view else ""

    def show_view(self, view: ExecutionView, events: tuple[JobLogEvent, ...] | None = None) -> None:
        """Show ``view`` (a new execution, or a newer state of the shown one), rows in place."""
        opened = self.view is None or self.view.execution_id != view.execution_id
        if self.view is not None and self.view.execution_id != view.execution_id:
            self.clear()
        self.view = view
        if events is not None:
            self.events = events
        self.now = _now()
        self.header.show_view(view)
        self.tick(self.now)
        self.waves.show_view(view, self.now)
        self.servers.show_waves(view.waves)
        self.job_log.show_events(self.events, view.waves)
        self.header.show_buttons(view)
        if opened:
            self.waves.fit_columns()
            self.servers.fit_columns()
            self._scroll_home()
            self.fit_panes()

    def apply(self, update: MonitorUpdate) -> None:
        self.last_update_at = _now()
        self.set_state(update.state, update.message)
        if update.changed or self.view is None or update.view.execution_id != self.execution_id:
            self.show_view(update.view, update.events)
        else:
            self._live_text()

    def clear(self) -> None:
        self.view = None
        self.events = ()
        self.last_update_at = None
        self.waves.show_view(None, self.now)
        self.servers.clear()
        self.job_log.clear()
        self.header.clear()
        self.set_state(StreamState.LIVE, "")
        self.set_progress("")
        self.header.show_buttons(None)

    def tick(self, now: datetime) -> None:
        """Every second: elapsed, running wave durations, the timeline's now, the live age."""
        self.now = now
        v = self.view
        if v is None:
            return
        self.header.show_elapsed(v, now)
        if not v.is_terminal:
            self.waves.tick(now)
        self._live_text()

    def _live_text(self) -> None:
        self.header.show_live(self.view, self.state, self.last_update_at, self.now)

    def set_state(self, state: StreamState, message: str) -> None:
        self.state = state
        self.header.show_state(state, message)
        self._live_text()

    def show_stopped(self, text: str, *, button: str = "Retry") -> None:
        self.header.show_stopped(text, button=button)

    def set_progress(self, text: str) -> None:
        self.header.show_progress(text, self.state)

    # -- waves and servers -------------------------------------------------------------------------
    def select_wave(self, index: int | None) -> None:
        """Show the servers of wave ``index`` (None: all waves)."""
        self.servers.choose_wave(index)
        self.waves.select(index)

    def _wave_selected(self, index: int) -> None:
        if index != self.server_proxy.wave_index:
            self.select_wave(index)
