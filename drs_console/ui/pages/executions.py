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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ...domain.errors import ConsoleError, ProblemKind
from ...domain.execution import ExecutionView, JobLogEvent, MonitorUpdate, StreamState
from ...domain.fields import stamp
from ...domain.plan import Plan
from ...domain.status import ExecutionStatus
from ...domain.text import printable
from ...domain.wording import noun, plural
from ...store.atomic import atomic_write_text
from ..connection import ConnectionController
from ..execution_engine import ExecutionEngine
from ..layout_memory import LayoutMemory, fit_first
from ..models.execution_models import (
    EventColumn,
    EventModel,
    ExecutionColumn,
    ExecutionListModel,
    ExecutionListProxy,
    ServerColumn,
    ServerFilterProxy,
    ServerModel,
    SourceSortedProxy,
    WaveColumn,
    WaveModel,
    full_time_text,
    seconds_text,
    status_text,
)
from ..models.keyed_table import ITEM_ROLE, SORT_ROLE
from ..notifications import Notifier
from ..table_view import ConsoleTableView
from ..tasks import TaskRunner
from ..theme import BLUE, RED, banner_colors, color_for, text_color_on
from ..widgets.badge import BadgeDelegate
from ..widgets.confirm import destructive_box
from ..widgets.timeline import WaveTimeline
from .base import Page

log = logging.getLogger(__name__)

MAX_WATCHED = 8  # active executions re-attached on connect (the open one always is)
DRILL_COLOR = BLUE
RECOVERY_COLOR = RED


def badge_css(color) -> str:
    return (
        f"background: {color.name()}; color: {text_color_on(color).name()}; border-radius: 9px;"
        " padding: 2px 10px; font-weight: bold;"
    )


def _now() -> datetime:
    return datetime.now(UTC)


# ================================================================================================
# one watched execution
# ================================================================================================
class ExecutionSession(QObject):
    """One execution's monitor, run as one task the page holds (and cancels)."""

    updated = Signal(object)  # MonitorUpdate
    stopped = Signal(str, object)  # execution ID, the exception that ended it (None: ended or cancelled)

    def __init__(self, execution_id: str, engine: ExecutionEngine, runner: TaskRunner,
                 poll_seconds: float | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.execution_id = execution_id
        self.engine = engine
        self.runner = runner
        self.poll_seconds = poll_seconds
        self.monitor = None
        self.task: asyncio.Task | None = None
        self.last: MonitorUpdate | None = None
        self.updates_seen = 0

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> asyncio.Task:
        """Run the monitor as one task. The session holds the only (strong) reference; it is not a
        TaskRunner task because a watcher is not "work in progress" (the busy bar would never go
        off), but its errors end up in the same place: ``stopped`` -> the page's banner and log."""
        if self.running:
            return self.task
        self.task = asyncio.get_event_loop().create_task(self.run(), name=f"monitor-{self.execution_id}")
        self.task.add_done_callback(self._done)
        return self.task

    def _done(self, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            if not isinstance(exc, ConsoleError):
                log.error("monitor of %s failed", self.execution_id, exc_info=exc)
            self.stopped.emit(self.execution_id, exc)

    async def run(self) -> None:
        self.monitor = await self.engine.monitor(self.execution_id, poll_seconds=self.poll_seconds)
        try:
            async for update in self.monitor.updates():
                self.last = update
                self.updates_seen += 1
                self.updated.emit(update)
                if update.state is StreamState.ENDED:
                    break
        finally:
            close = getattr(self.monitor, "stop", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    result = close()
                    if asyncio.iscoroutine(result):
                        await result
        self.stopped.emit(self.execution_id, None)

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


# ================================================================================================
# the detail of one execution
# ================================================================================================
class ExecutionDetail(QWidget):
    close_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view: ExecutionView | None = None
        self.events: tuple[JobLogEvent, ...] = ()
        self.state = StreamState.LIVE
        self.last_update_at: datetime | None = None
        self.now = _now()

        # header -----------------------------------------------------------------------------
        self.plan_label = QLabel("")
        self.plan_label.setObjectName("planName")
        font = self.plan_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.plan_label.setFont(font)
        self.type_badge = QLabel("")
        self.type_badge.setObjectName("typeBadge")
        self.status_badge = QLabel("")
        self.status_badge.setObjectName("statusBadge")
        self.target_label = QLabel("")
        self.target_label.setObjectName("targetLabel")
        self.live_label = QLabel("")
        self.live_label.setObjectName("liveLabel")
        self.started_label = QLabel("")
        self.elapsed_label = QLabel("")
        self.elapsed_label.setObjectName("elapsed")
        big = self.elapsed_label.font()
        big.setBold(True)
        big.setPointSizeF(big.pointSizeF() * 1.2)
        self.elapsed_label.setFont(big)
        self.initiated_label = QLabel("")
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("progressLabel")
        self.error_label = QLabel("")  # a failed execution's error and cause, in the header itself
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(f"color: {RED.name()};")
        self.error_label.setVisible(False)

        self.buttons: dict[str, QPushButton] = {}
        for key, label in (
            ("resume", "Resume"),
            ("cancel", "Cancel…"),
            ("terminate", "Terminate instances…"),
            ("export", "Export report…"),
            ("close", "Close"),
        ):
            button = QPushButton(label)
            button.setObjectName(f"{key}Button")
            self.buttons[key] = button
        self.buttons["resume"].setStyleSheet("QPushButton:enabled { font-weight: bold; }")
        self.buttons["close"].clicked.connect(self.close_requested)

        top = QHBoxLayout()
        top.addWidget(self.plan_label)
        top.addWidget(self.type_badge)
        top.addWidget(self.status_badge)
        top.addSpacing(8)
        top.addWidget(self.target_label)
        top.addSpacing(8)
        top.addWidget(self.elapsed_label)
        top.addStretch(1)
        top.addWidget(self.live_label)
        second = QHBoxLayout()
        for w in (self.started_label, self.progress_label, self.initiated_label):
            second.addWidget(w)
            second.addSpacing(12)
        second.addStretch(1)
        for key in ("resume", "cancel", "terminate", "export", "close"):
            second.addWidget(self.buttons[key])
        self.initiated_label.setMaximumWidth(260)

        # banner (stream state, job progress) -----------------------------------------------------
        self.banner = QFrame()
        self.banner.setObjectName("streamBanner")
        self.banner_label = QLabel("")
        self.banner_label.setWordWrap(True)
        self.banner_button = QPushButton("Re-authenticate")
        self.banner_button.setObjectName("reauthButton")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(8, 4, 8, 4)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.banner_button)
        self.banner.setVisible(False)

        # waves: Gantt + table ---------------------------------------------------------------------
        self.timeline = WaveTimeline()
        self.wave_model = WaveModel(self)
        self.wave_proxy = QSortFilterProxyModel(self)
        self.wave_proxy.setSourceModel(self.wave_model)
        self.wave_proxy.setSortRole(SORT_ROLE)
        self.wave_table = ConsoleTableView()
        self.wave_table.elide_ids()
        self.wave_table.setObjectName("waveTable")
        self.wave_table.setModel(self.wave_proxy)
        self.wave_table.setSelectionMode(ConsoleTableView.SelectionMode.SingleSelection)
        self.wave_table.setItemDelegateForColumn(WaveColumn.STATUS, BadgeDelegate(self.wave_table))
        self.wave_table.sortByColumn(WaveColumn.NUMBER, Qt.SortOrder.AscendingOrder)
        fit = _TextWidths(self.wave_table)
        for col, width in ((WaveColumn.NUMBER, fit.text("10")),
                           (WaveColumn.NAME, fit.text("Application tier")),
                           (WaveColumn.STATUS, fit.badge("NOT_STARTED")),
                           (WaveColumn.JOB_ID, fit.text("drsjob-2649…3b4fb2fab18")),
                           (WaveColumn.STARTED, fit.text("00:00:00")), (WaveColumn.ENDED, fit.text("00:00:00")),
                           (WaveColumn.DURATION, fit.text("1 h 00 min"))):
            self.wave_table.setColumnWidth(col, width)

        # servers ----------------------------------------------------------------------------------
        self.server_model = ServerModel(self)
        self.server_proxy = ServerFilterProxy(self)
        self.server_proxy.setSourceModel(self.server_model)
        self.server_table = ConsoleTableView()
        self.server_table.elide_ids()
        self.server_table.setObjectName("serverTable")
        self.server_table.setModel(self.server_proxy)
        badge = BadgeDelegate(self.server_table)
        self.server_table.setItemDelegateForColumn(ServerColumn.REPLICATION, badge)
        self.server_table.setItemDelegateForColumn(ServerColumn.LAUNCH, badge)
        self.server_table.sortByColumn(ServerColumn.WAVE, Qt.SortOrder.AscendingOrder)
        # At 1280 px the mission columns (Launch, Recovery instance, EC2 state, Failure) fit without
        # scrolling: IDs are elided in the middle (tooltips hold them whole) and the source's instance
        # and account, and the EC2 instance ID, are in the column chooser (the header's menu).
        fit = _TextWidths(self.server_table)
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
            self.server_table.setColumnWidth(col, width)
        self.wave_filter = QComboBox()
        self.wave_filter.setObjectName("waveFilter")
        self.wave_filter.addItem("All waves", None)
        self.server_search = QLineEdit()
        self.server_search.setPlaceholderText("Filter servers: name, ID, instance, status…")
        self.server_search.setClearButtonEnabled(True)
        self.server_count = QLabel("")
        self.wave_filter.currentIndexChanged.connect(self._wave_filter_changed)
        self.server_search.textChanged.connect(self.server_proxy.set_text)
        self.server_search.textChanged.connect(lambda _t: self._update_server_count())

        # the job log ------------------------------------------------------------------------------
        self.event_model = EventModel(self)
        self.event_proxy = SourceSortedProxy(self)  # newest first: sorted by the model, not per comparison
        self.event_proxy.setSourceModel(self.event_model)
        self.event_proxy.setSortRole(SORT_ROLE)
        self.event_proxy.setDynamicSortFilter(True)
        self.event_table = ConsoleTableView()
        self.event_table.elide_ids()
        self.event_table.setObjectName("eventTable")
        self.event_table.setModel(self.event_proxy)
        self.event_table.sortByColumn(EventColumn.TIME, Qt.SortOrder.DescendingOrder)
        fit = _TextWidths(self.event_table)
        for col, width in ((EventColumn.TIME, fit.header("Time (UTC)")),
                           (EventColumn.WAVE, fit.header("Wave")),
                           (EventColumn.EVENT, fit.text("CONVERSION_STA")),
                           (EventColumn.SERVER, fit.text("pay-app-0")), (EventColumn.DETAIL, 60)):
            self.event_table.setColumnWidth(col, width)

        # layout -----------------------------------------------------------------------------------
        servers_box = QWidget()
        sl = QVBoxLayout(servers_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sbar = QHBoxLayout()
        title = QLabel("<b>Servers</b>")
        sbar.addWidget(title)
        sbar.addWidget(self.wave_filter)
        sbar.addWidget(self.server_search, 1)
        sbar.addWidget(self.server_count)
        sl.addLayout(sbar)
        sl.addWidget(self.server_table, 1)
        events_box = QWidget()
        el = QVBoxLayout(events_box)
        el.setContentsMargins(0, 0, 0, 0)
        ebar = QHBoxLayout()
        ebar.addWidget(QLabel("<b>DRS job log</b> (newest first)"))
        ebar.addStretch(1)
        el.addLayout(ebar)
        el.addWidget(self.event_table, 1)

        waves_split = QSplitter(Qt.Orientation.Horizontal)
        waves_split.addWidget(self.wave_table)
        waves_split.addWidget(self.timeline)
        waves_split.setSizes([780, 350])
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(servers_box)
        bottom.addWidget(events_box)
        bottom.setSizes([760, 360])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(waves_split)
        body.addWidget(bottom)
        body.setSizes([150, 330])
        body.setStretchFactor(1, 1)
        self.body = body
        self.waves_split = waves_split
        self.bottom = bottom
        self.memory: LayoutMemory | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.error_label)
        layout.addWidget(self.banner)
        layout.addWidget(body, 1)

        self.timeline.wave_clicked.connect(self.select_wave)
        self.wave_table.selectionModel().selectionChanged.connect(self._wave_selected)

    # -- layout --------------------------------------------------------------------------------
    def remember_layout(self, memory: LayoutMemory) -> None:
        """Splitters and hidden columns as this user left them; otherwise sized by content."""
        self.memory = memory
        memory.splitter("executions.detail", self.body)
        memory.splitter("executions.waves", self.waves_split)
        memory.splitter("executions.servers", self.bottom)
        self.server_table.remember_columns("executions.servers", memory, hidden_by_default=(
            ServerColumn.SOURCE_INSTANCE_ID, ServerColumn.SOURCE_ACCOUNT_ID, ServerColumn.EC2_INSTANCE_ID))
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
            fit_first(self.waves_split, _columns_width(t, last_min=_TextWidths(t).text("2/2 launched")), rest_min=260)
        if not self._sized_by_user("executions.detail"):
            t = self.wave_table
            rows = max(self.wave_proxy.rowCount(), 2)
            height = (_header_height(t) + rows * t.verticalHeader().defaultSectionSize()
                      + 2 * t.frameWidth() + 2)
            if _columns_width(t) > t.viewport().width() + 2 * t.frameWidth():
                height += t.horizontalScrollBar().sizeHint().height()
            fit_first(self.body, max(height, self.timeline.minimumSizeHint().height()), rest_min=200)
        if not self._sized_by_user("executions.servers"):
            t = self.server_table
            fit_first(self.bottom, _columns_width(t, last_min=_TextWidths(t).text("LAUNCH_FAILED")), rest_min=360)

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
        self._header()
        self.wave_model.now = self.now
        self.wave_model.set_items(view.waves)
        self.server_model.set_waves(view.waves)
        self.event_model.set_events(self.events, view.waves)
        self.timeline.set_view(view, self.now)
        self._sync_wave_filter()
        self._update_server_count()
        self._update_buttons()
        if opened:
            self.wave_table.fit_columns({WaveColumn.NAME: (80, 230)})
            self.server_table.fit_columns({ServerColumn.NAME: (80, 160)})
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
        self.wave_model.set_items([])
        self.server_model.set_items([])
        self.event_model.set_items([])
        self.timeline.set_view(None)
        for label in (self.plan_label, self.type_badge, self.status_badge, self.target_label, self.live_label,
                      self.started_label, self.elapsed_label, self.initiated_label,
                      self.progress_label, self.error_label):
            label.setText("")
        self.error_label.setVisible(False)
        self.type_badge.setStyleSheet("")
        self.status_badge.setStyleSheet("")
        self.set_state(StreamState.LIVE, "")
        self.set_progress("")
        self._update_buttons()

    def _header(self) -> None:
        v = self.view
        assert v is not None
        self.plan_label.setText(printable(v.plan_name or v.plan_id or v.execution_id))
        kind = v.execution_type.value
        self.type_badge.setText(kind)
        self.type_badge.setStyleSheet(badge_css(DRILL_COLOR if v.is_drill else RECOVERY_COLOR))
        self.type_badge.setToolTip(
            "A drill: recovery instances are launched for testing and can be terminated afterwards."
            if v.is_drill else "A REAL RECOVERY: production failover."
        )
        status = status_text(v.status)
        self.status_badge.setText(status)
        self.status_badge.setStyleSheet(badge_css(color_for(status)))
        self.status_badge.setToolTip(f"{v.error}: {v.cause}".strip(": ") if (v.error or v.cause) else status)
        where = " · ".join(x for x in (f"account {v.account_id}" if v.account_id else "", v.region) if x)
        self.target_label.setText(where)
        self.target_label.setStyleSheet(
            "" if v.is_drill else f"color: {RECOVERY_COLOR.name()}; font-weight: bold;"
        )
        self.started_label.setText(
            f"started {stamp(v.started_at)}" if v.started_at else "not started"
        )
        self.started_label.setToolTip(full_time_text(v.started_at))
        by = v.initiated_by.rsplit("/", 1)[-1] if v.initiated_by.startswith("arn:") else v.initiated_by
        self.initiated_label.setText(f"by {by}" if by else "")
        self.initiated_label.setToolTip(v.initiated_by)
        self.plan_label.setToolTip(f"Execution {v.execution_id}\n{v.execution_arn}".strip())
        waves, servers = v.wave_tally, v.server_tally  # the same derivation as History and the report
        text = f"waves {waves.text()}" if waves.total else "no waves"
        if servers.total:
            text += f" · {servers.launched}/{servers.total} {noun(servers.total, 'server')} launched"
        if servers.failed:
            text += f" · <span style='color:{RED.name()}'><b>{servers.failed} failed</b></span>"
        self.progress_label.setText(text)
        self.progress_label.setToolTip(waves.detail())
        error = ": ".join(x for x in (v.error, v.cause) if x)
        self.error_label.setText(f"{status_text(v.status)}: {error}" if error else "")
        self.error_label.setToolTip(error)
        self.error_label.setVisible(bool(error))
        self.tick(self.now)

    def tick(self, now: datetime) -> None:
        """Every second: elapsed, running wave durations, the timeline's now, the live age."""
        self.now = now
        v = self.view
        if v is None:
            return
        elapsed = seconds_text(v.elapsed_seconds(now))
        self.elapsed_label.setText(f"elapsed {elapsed}" if elapsed else "")
        self.elapsed_label.setToolTip("elapsed since the execution started" + ("" if not v.is_terminal else " (final)"))
        if not v.is_terminal:
            self.wave_model.tick(now)
            self.timeline.set_now(now)
        self._live_text()

    def _live_text(self) -> None:
        if self.view is None or self.last_update_at is None:
            self.live_label.setText("")
            return
        age = int((self.now - self.last_update_at).total_seconds())
        if self.state is StreamState.ENDED or self.view.is_terminal:
            self.live_label.setText("<span style='color:gray'>final</span>")
        elif self.state is StreamState.LIVE:
            self.live_label.setText(f"<span style='color:#1e8e3e'>● live</span> · updated {max(0, age)} s ago")
        else:
            self.live_label.setText(f"<span style='color:#e37400'>● stale</span> · last update {max(0, age)} s ago")

    def set_state(self, state: StreamState, message: str) -> None:
        self.state = state
        if state is StreamState.RECONNECTING:
            self._banner(
                "#fef7e0", "#e37400",
                "Reconnecting to AWS… the state below is the last one received"
                + (f" ({message})" if message else "") + ".",
                button=False,
            )
        elif state is StreamState.AUTH_PAUSED:
            self.banner_button.setText("Re-authenticate")
            self._banner(
                "#fce8e6", RED.name(),
                "Credentials expired — re-authenticate to resume live updates"
                + (f" ({message})" if message else "") + ". The execution keeps running in AWS.",
                button=True,
            )
        else:
            self.banner.setVisible(False)
        self._live_text()

    def show_stopped(self, text: str, *, button: str = "Retry") -> None:
        self.banner_button.setText(button)
        self._banner("#fce8e6", RED.name(), text, button=True)

    def _banner(self, bg: str, border: str, text: str, *, button: bool) -> None:
        bg, border, ink = banner_colors(QColor(border))  # readable in light and dark mode
        self.banner.setStyleSheet(f"QFrame#streamBanner {{ background: {bg}; border: 1px solid {border}; }}"
                                  f" QFrame#streamBanner QLabel {{ color: {ink}; }}")
        self.banner_label.setText(text)
        self.banner_button.setVisible(button)
        self.banner.setVisible(True)

    def set_progress(self, text: str) -> None:
        if text:
            self._banner("#e8f0fe", BLUE.name(), text, button=False)
        elif self.state is StreamState.LIVE or self.state is StreamState.ENDED:
            self.banner.setVisible(False)

    def _update_buttons(self) -> None:
        v = self.view
        active = v is not None and not v.is_terminal
        self.buttons["resume"].setEnabled(v is not None and v.status is ExecutionStatus.PAUSED)
        self.buttons["cancel"].setEnabled(active and v.status is not ExecutionStatus.CANCELLING)
        launched = v is not None and any(
            s.recovery_instance_id and s.ec2_instance_state not in ("TERMINATED", "SHUTTING_DOWN")
            for w in v.waves for s in w.servers
        )
        self.buttons["terminate"].setVisible(v is not None and v.is_drill)
        self.buttons["terminate"].setEnabled(v is not None and v.is_drill and v.is_terminal and launched)
        self.buttons["export"].setEnabled(v is not None)

    # -- waves and servers -------------------------------------------------------------------------
    def _sync_wave_filter(self) -> None:
        v = self.view
        wanted = [(f"Wave {w.index + 1}: {w.name}", w.index) for w in (v.waves if v else ())]
        have = [(self.wave_filter.itemText(i), self.wave_filter.itemData(i)) for i in range(1, self.wave_filter.count())]
        if wanted != have:
            current = self.wave_filter.currentData()
            self.wave_filter.blockSignals(True)
            while self.wave_filter.count() > 1:
                self.wave_filter.removeItem(1)
            for text, index in wanted:
                self.wave_filter.addItem(text, index)
            pos = self.wave_filter.findData(current) if current is not None else 0
            self.wave_filter.setCurrentIndex(max(0, pos))
            self.wave_filter.blockSignals(False)

    def select_wave(self, index: int | None) -> None:
        """Show the servers of wave ``index`` (None: all waves)."""
        pos = self.wave_filter.findData(index) if index is not None else 0
        self.wave_filter.setCurrentIndex(max(0, pos))
        self.timeline.set_selected(index)
        row = self.wave_model.row_of(str(index)) if index is not None else None
        if row is not None:
            proxy_row = self.wave_proxy.mapFromSource(self.wave_model.index(row, 0)).row()
            if proxy_row not in {i.row() for i in self.wave_table.selectionModel().selectedRows()}:
                self.wave_table.selectRow(proxy_row)

    def _wave_selected(self) -> None:
        rows = self.wave_table.selectionModel().selectedRows()
        if rows:
            wave = rows[0].data(ITEM_ROLE)
            if wave is not None and wave.index != self.server_proxy.wave_index:
                self.select_wave(wave.index)

    def _wave_filter_changed(self) -> None:
        index = self.wave_filter.currentData()
        self.server_proxy.set_wave(index)
        self.timeline.set_selected(index)
        self._update_server_count()

    def _update_server_count(self) -> None:
        shown, total = self.server_proxy.rowCount(), self.server_model.rowCount()
        self.server_count.setText(f"{shown} of {total}" if shown != total else f"{total} servers")


# ================================================================================================
# the page
# ================================================================================================
class ExecutionsPage(Page):
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
        self._dialogs: list[QWidget] = []
        self._task: asyncio.Task | None = None
        self._action_task: asyncio.Task | None = None
        self._loaded = asyncio.Event()
        self._identity_key: tuple[str, str] | None = None
        self._open_id = ""
        self._listed = 0  # executions the last list returned

        # the list ---------------------------------------------------------------------------------
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
        self.table.setItemDelegateForColumn(ExecutionColumn.TYPE, BadgeDelegate(self.table, colors=_type_color))
        self.table.sortByColumn(ExecutionColumn.STATUS, Qt.SortOrder.AscendingOrder)
        for col, width in ((ExecutionColumn.STATUS, 115), (ExecutionColumn.TYPE, 90), (ExecutionColumn.PLAN, 220),
                           (ExecutionColumn.STARTED, 150), (ExecutionColumn.ELAPSED, 90),
                           (ExecutionColumn.WAVES, 60), (ExecutionColumn.INITIATED_BY, 230)):
            self.table.setColumnWidth(col, width)
        self.table.activated.connect(self._row_activated)
        self.table.clicked.connect(self._row_activated)

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.on_refresh_clicked)
        self.status = QLabel("")
        self.status.setObjectName("executionsStatus")
        bar = QHBoxLayout()
        heading = QLabel("<b>Executions</b> — active first")
        bar.addWidget(heading)
        bar.addStretch(1)
        bar.addWidget(self.status)
        bar.addWidget(self.refresh_button)

        # the detail ---------------------------------------------------------------------------------
        self.detail = ExecutionDetail()
        self.placeholder = QLabel("Select an execution to watch it live, or run a plan from the Plans page (Run…).")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_stack = QStackedWidget()
        self.detail_stack.addWidget(self.placeholder)
        self.detail_stack.addWidget(self.detail)
        self.detail.close_requested.connect(self.close_detail)
        self.detail.buttons["resume"].clicked.connect(self.on_resume_clicked)
        self.detail.buttons["cancel"].clicked.connect(self.ask_cancel)
        self.detail.buttons["terminate"].clicked.connect(self.ask_terminate)
        self.detail.buttons["export"].clicked.connect(self.choose_export)
        self.detail.banner_button.clicked.connect(self.on_reauthenticate_clicked)

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(bar)
        tl.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
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
        self.status.setText("Disconnected: live updates stop until you connect again.")

    # -- the list ------------------------------------------------------------------------------
    @asyncSlot()
    async def on_refresh_clicked(self) -> None:
        self.start_refresh()

    def start_refresh(self) -> asyncio.Task | None:
        if self._task is not None and not self._task.done():
            return self._task
        if not self.controller.is_connected:
            self.status.setText("Not connected: connect to see executions.")
            return None
        self._task = self.runner.start(self.refresh(), name="executions-refresh", on_error=self._refresh_failed)
        return self._task

    def _refresh_failed(self, exc: BaseException) -> bool:
        self._loaded.set()
        if isinstance(exc, ConsoleError) and exc.kind is ProblemKind.NOT_FOUND:
            self.status.setText(exc.one_line())
            return True
        return False

    async def refresh(self) -> list[ExecutionView]:
        """List the executions (active first), then watch the active ones: after a restart this
        re-attaches to every execution still running, and opens the first one if none is open."""
        self.status.setText("loading…")
        views = await self.engine.list_executions()
        for v in views:
            live = self.last_views.get(v.execution_id)
            if live is not None and live.waves:
                pass
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
        t = self.table
        height = (_header_height(t) + rows * t.verticalHeader().defaultSectionSize()
                  + 2 * t.frameWidth() + self.refresh_button.sizeHint().height() + 8)
        fit_first(self.split, height, rest_min=380)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and watched is self.split:
            self._fit_timer.start()  # after the splitter has laid out its new size
        return super().eventFilter(watched, event)

    def update_counters(self) -> None:
        """``N active · M executions``, from the rows as they are now (monitors keep them current)."""
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
        """Show ``execution_id`` in the detail and watch it live."""
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
        session = self.watch(execution_id)
        self.execution_opened.emit(execution_id)
        return session

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

    # -- controls ------------------------------------------------------------------------------
    @asyncSlot()
    async def on_resume_clicked(self) -> None:
        self._action(self.resume_open(), "resume")

    def _action(self, coro, name: str) -> asyncio.Task:
        self._action_task = self.runner.start(coro, name=f"execution-{name}")
        return self._action_task

    async def resume_open(self) -> None:
        execution_id = self.open_id
        if not execution_id:
            return
        self.detail.buttons["resume"].setEnabled(False)
        await self.engine.resume(execution_id)
        self._poke(execution_id)
        self.status.setText(f"Resumed {execution_id}.")

    def _poke(self, execution_id: str) -> None:
        session = self.sessions.get(execution_id)
        if session is not None and session.monitor is not None:
            self.engine.poke(session.monitor)

    def ask_cancel(self) -> QMessageBox | None:
        view = self.detail.view
        if view is None or view.is_terminal:
            return None
        kind = "drill" if view.is_drill else "RECOVERY"
        box, yes = destructive_box(
            self,
            title="Cancel execution",
            text=f"Cancel the {kind} of {printable(view.plan_name)!r}?",
            informative="The execution stops after its current step: no further wave starts. Instances "
            "already launched keep running (terminate a drill's instances afterwards).",
            destructive="Cancel execution",
            safe="Keep running",
        )
        box.buttonClicked.connect(
            lambda b, eid=view.execution_id: self._action(self.cancel(eid), "cancel") if b is yes else None
        )
        self._keep(box)
        box.open()
        return box

    async def cancel(self, execution_id: str) -> None:
        """Cancel, polling or paused; returns once the execution has stopped (the monitor shows
        CANCELLING, then CANCELLED)."""
        self.detail.buttons["cancel"].setEnabled(False)
        self.status.setText(f"Cancelling {execution_id}: it stops after its current step…")
        cancelling = asyncio.get_running_loop().call_later(0.5, self._poke, execution_id)
        try:
            result = await self.engine.cancel(execution_id)
        finally:
            cancelling.cancel()
        self._poke(execution_id)
        how = getattr(result, "how", "") or getattr(result, "value", "") or "requested"
        record = getattr(result, "record", None)  # read after the cancel took effect
        now = f" (now {record.raw_status})" if record is not None and record.raw_status else ""
        self.status.setText(f"Cancel of {execution_id}: {how}{now}.")

    def ask_terminate(self) -> QMessageBox | None:
        view = self.detail.view
        if view is None or not view.is_drill:
            return None
        instances = [s for w in view.waves for s in w.servers
                     if s.recovery_instance_id and s.ec2_instance_state not in ("TERMINATED",)]
        box, yes = destructive_box(
            self,
            title="Terminate drill instances",
            text=f"Terminate the {len(instances)} recovery instances of this drill of {printable(view.plan_name)!r}?",
            informative="DRS runs a TERMINATE job; their EC2 instances are deleted. Source servers "
            "and replication are not affected.",
            destructive="Terminate",
            safe="Keep them",
        )
        box.buttonClicked.connect(lambda b, v=view: self._action(self.terminate(v), "terminate") if b is yes else None)
        self._keep(box)
        box.open()
        return box

    async def terminate(self, view: ExecutionView) -> None:
        self.detail.buttons["terminate"].setEnabled(False)
        self.detail.set_progress("Terminating drill instances: starting the TERMINATE job…")
        last = ""
        try:
            async for line in self.engine.cleanup_drill_instances(view):
                last = str(line)
                if view.execution_id == self.open_id:
                    self.detail.set_progress(f"Terminating drill instances: {last}")
        finally:
            if view.execution_id == self.open_id:
                self.detail.set_progress("")
        self.status.setText(f"Drill instances of {view.execution_id}: {last or 'terminated'}")
        # the monitor ended with the execution: read the instances' state once more
        self.watch(view.execution_id, restart=True)

    def choose_export(self) -> QFileDialog | None:
        view = self.detail.view
        if view is None:
            return None
        stem = f"{(view.plan_name or 'execution').replace(' ', '-')}-{view.execution_id}"
        dialog = QFileDialog(self, "Export report", str(Path.home() / f"{stem}.html"),
                             "HTML report (*.html);;CSV, one row per server (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda f: self.export_report(Path(f)))
        self._keep(dialog)
        dialog.open()
        return dialog

    def export_report(self, path: Path, view: ExecutionView | None = None) -> Path:
        """Write the open execution's report (HTML or CSV, from the file's extension), atomically."""
        view = view or self.detail.view
        if view is None:
            raise ValueError("no execution is open")
        fmt = "csv" if path.suffix.lower() == ".csv" else "html"
        if path.suffix.lower() not in (".csv", ".html", ".htm"):
            path = path.with_suffix(".html")
        text = self.engine.report(view, self.detail.events, fmt)
        atomic_write_text(path, text)
        self.status.setText(f"Report written to {path}")
        return path

    # -- re-authentication ------------------------------------------------------------------------
    @asyncSlot()
    async def on_reauthenticate_clicked(self) -> None:
        if self.detail.banner_button.text() == "Retry":
            if self.open_id:
                self.detail.set_state(StreamState.LIVE, "")
                self.watch(self.open_id, restart=True)
            return
        self._action(self.reauthenticate(), "reauthenticate")

    async def reauthenticate(self) -> None:
        """Connect again with the same profile/region; the connected signal then hands the new
        connection to each monitor's resume hook (or restarts the monitor)."""
        s = self.controller.settings
        self.detail.banner_button.setEnabled(False)
        try:
            await self.controller.connect(
                profile=s.profile, region=s.region, endpoint_url=s.endpoint_url, sandbox=bool(s.sandbox)
            )
        finally:
            self.detail.banner_button.setEnabled(True)

    # -- running a plan ------------------------------------------------------------------------
    def open_run_dialog(self, plan: Plan, *, on_started: Callable[[str], None] | None = None):
        from ..run_dialog import RunDialog

        dialog = RunDialog(plan, self.engine, self.controller, self.runner, parent=self)
        dialog.started.connect(self._run_started)
        if on_started is not None:
            dialog.started.connect(on_started)
        self._keep(dialog)
        dialog.open()
        dialog.start_preflight()
        return dialog

    def _run_started(self, execution_id: str) -> None:
        window = self.window()
        if isinstance(window, QMainWindow) and hasattr(window, "show_page"):
            window.show_page(self.key)
        self.open_execution(execution_id)
        self.start_refresh()

    # -- page API ------------------------------------------------------------------------------
    async def ready(self) -> None:
        """For screenshots: the list loaded; in the sandbox, a drill of the sample plan running
        (started here when there is none) with at least one wave's DRS job, shown in the detail."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._task)
        await self._loaded.wait()
        ident = self.controller.identity
        if ident is not None and ident.sandbox:
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
                self.status.setText(f"Started a drill of the sample plan: {execution_id}")
                return execution_id
            except ConsoleError as exc:
                if "active-jobs" not in exc.message or loop.time() > deadline:
                    raise
                self.status.setText("Waiting for the sandbox's earlier DRS jobs to finish before the drill…")
                await asyncio.sleep(2.0)

    def shutdown(self) -> None:
        self.ticker.stop()
        if self._task is not None:
            self._task.cancel()
        self.stop_all()
        self.notifier.close()


def _sample_plan() -> Plan | None:
    """The sample plan shipped in resources/plans (the screenshot's drill in the sandbox)."""
    from ...resources import resource_path
    from ...store.plan_io import read_plan_file

    path = resource_path("plans", "sample-payments.json")
    try:
        return read_plan_file(path).plan
    except Exception as exc:  # noqa: BLE001 - no sample: nothing to start
        log.warning("sample plan %s not readable: %s", path, exc)
        return None


def _header_height(table: ConsoleTableView) -> int:
    header = table.horizontalHeader()
    return max(header.height() if header.isVisible() else 0, header.sizeHint().height())


def _columns_width(table: ConsoleTableView, *, last_min: int = 0) -> int:
    """The width that shows every visible column (the last, stretched one at least ``last_min``)."""
    header = table.horizontalHeader()
    visible = [c for c in range(header.count()) if not table.isColumnHidden(c)]
    if not visible:
        return 0
    width = sum(table.columnWidth(c) for c in visible[:-1]) + max(last_min, header.sectionSizeHint(visible[-1]))
    return width + 2 * table.frameWidth() + table.verticalScrollBar().sizeHint().width()


class _TextWidths:
    """Column widths from the table's font, so they hold their longest usual value on any screen."""

    def __init__(self, table: QWidget):
        self.metrics = table.fontMetrics()
        self.header_metrics = table.horizontalHeader().fontMetrics()

    def text(self, sample: str) -> int:
        return self.metrics.horizontalAdvance(sample) + 14

    def badge(self, sample: str) -> int:
        return self.metrics.horizontalAdvance(sample) + 30  # BadgeDelegate's padding

    def header(self, label: str, *, sort: bool = False) -> int:
        return self.header_metrics.horizontalAdvance(label) + (34 if sort else 18)


def _type_color(text: str) -> QColor:
    """DRILL in blue, RECOVERY in red."""
    return RECOVERY_COLOR if text == "RECOVERY" else DRILL_COLOR
