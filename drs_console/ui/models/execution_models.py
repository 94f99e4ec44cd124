"""The Executions page's tables: executions, waves, servers, the DRS job log and preflight checks.

Every model is a KeyedTableModel: a monitor update changes rows in place (dataChanged, inserts,
removes), never a model reset, so selection and scroll position survive a poll every second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QFont

from ...domain import fields as f
from ...domain.execution import Engine, ExecutionView, JobLogEvent, ServerView, WaveTally, WaveView
from ...domain.native_view import status_with_native
from ...domain.text import printable
from ..theme import AMBER, GREY, RED, color_for
from .keyed_table import ITEM_ROLE, SORT_ROLE, KeyedTableModel

DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
FONT = Qt.ItemDataRole.FontRole
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOT_STARTED = "NOT_STARTED"
FAILURE_EVENTS = ("FAILED", "ERROR", "TIMEOUT")


def utc_now() -> datetime:
    return datetime.now(UTC)


def clock_text(dt: datetime | None) -> str:
    """HH:MM:SS in UTC (the header says UTC; tooltips carry the full date)."""
    return f.clock_text(dt)


def full_time_text(dt: datetime | None) -> str:
    return f.utc_text(dt, "")


def seconds_text(seconds: float | None) -> str:
    return f.duration_text(seconds, "")


def status_text(status) -> str:
    return status.value if status is not None else NOT_STARTED


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


# ================================================================================================
# executions
# ================================================================================================
class ExecutionColumn(IntEnum):
    STATUS = 0
    TYPE = 1
    PLAN = 2
    STARTED = 3
    ELAPSED = 4
    WAVES = 5
    INITIATED_BY = 6
    ENGINE = 7  # Step Functions or DRS native
    EXECUTION_ID = 8


class ExecutionListModel(KeyedTableModel[ExecutionView]):
    """Executions from the history table, kept current by the monitors of the watched ones."""

    Column = ExecutionColumn
    CELL_CHANGES = False  # its proxy orders rows by status and start time: a changed row is signalled whole
    HEADERS = {
        ExecutionColumn.STATUS: "Status",
        ExecutionColumn.TYPE: "Type",
        ExecutionColumn.PLAN: "Plan",
        ExecutionColumn.STARTED: "Started (UTC)",
        ExecutionColumn.ELAPSED: "Elapsed",
        ExecutionColumn.WAVES: "Waves",
        ExecutionColumn.INITIATED_BY: "Initiated by",
        ExecutionColumn.ENGINE: "Engine",
        ExecutionColumn.EXECUTION_ID: "Execution ID",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.now = utc_now()
        self.wave_totals: dict[str, int] = {}  # execution ID -> waves in its plan (from the record)

    def key(self, item: ExecutionView) -> str:
        return item.execution_id

    def merge(self, views: Iterable[ExecutionView]) -> None:
        """Take a fresh list, but keep the richer (monitored) view of rows that already have waves
        unless the list says something newer about their status."""
        merged = []
        for view in views:
            row = self.row_of(view.execution_id)
            if row is not None:
                old = self.item_at(row)
                if old.waves and not view.waves and old.status == view.status:
                    view = old
            merged.append(view)
        self.set_items(merged)

    def tick(self, now: datetime) -> None:
        """Advance the elapsed column of the running executions (one dataChanged per such row)."""
        self.now = now
        for row, item in enumerate(self._items):
            if not item.is_terminal and item.started_at is not None:
                idx = self.index(row, ExecutionColumn.ELAPSED)
                self.dataChanged.emit(idx, idx, [DISPLAY])

    def _waves_text(self, e: ExecutionView) -> str:
        """The same words as the header and History: ``1/3 completed, 1 failed``."""
        return self._tally(e).text()

    def _tally(self, e: ExecutionView) -> WaveTally:
        tally = e.wave_tally
        total = self.wave_totals.get(e.execution_id, 0)
        return WaveTally(total, tally.counts) if total > tally.total else tally

    def cell(self, e: ExecutionView, column: ExecutionColumn, role: int) -> Any:
        C = ExecutionColumn
        if role in (DISPLAY, TOOLTIP):
            if column is C.STATUS:
                return status_with_native(e.status, e.native_status) if role == TOOLTIP else status_text(e.status)
            if column is C.ENGINE:
                if role == TOOLTIP and e.engine is Engine.NATIVE:
                    return f"DRS native recovery plan {e.recovery_plan_arn}".strip()
                return e.engine.label
            if column is C.TYPE:
                return e.execution_type.value
            if column is C.PLAN:
                return printable(e.plan_name or e.plan_id)
            if column is C.STARTED:
                return (
                    e.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if e.started_at else ""
                ) if role == DISPLAY else full_time_text(e.started_at)
            if column is C.ELAPSED:
                return seconds_text(e.elapsed_seconds(self.now))
            if column is C.WAVES:
                if role == TOOLTIP:
                    return self._tally(e).detail()
                return self._waves_text(e)
            if column is C.INITIATED_BY:
                return e.initiated_by
            if column is C.EXECUTION_ID:
                return e.execution_id
        if role == SORT_ROLE:
            if column is C.STARTED:
                return (e.started_at or _EPOCH).timestamp()
            if column is C.ELAPSED:
                return e.elapsed_seconds(self.now) or 0.0
            return str(self.cell(e, column, DISPLAY) or "").casefold()
        if role == FONT and not e.is_terminal and column is C.PLAN:
            return _bold()
        return None


class ExecutionListProxy(QSortFilterProxyModel):
    """Sorted by the Status column (the default): active executions first, then the rest, newest
    first. Any other column sorts by its value."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex, right: QModelIndex | QPersistentModelIndex) -> bool:
        if left.column() != ExecutionColumn.STATUS:
            a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
            if a is not None and b is not None and a != b:
                return a < b
        return _natural_key(left.data(ITEM_ROLE)) < _natural_key(right.data(ITEM_ROLE))


def _natural_key(e: ExecutionView | None) -> tuple:
    if e is None:
        return (2, 0.0, "")
    return (1 if e.is_terminal else 0, -(e.started_at or _EPOCH).timestamp(), e.execution_id)


# ================================================================================================
# waves
# ================================================================================================
class WaveColumn(IntEnum):
    NUMBER = 0
    NAME = 1
    STATUS = 2
    JOB_ID = 3
    STARTED = 4
    ENDED = 5
    DURATION = 6
    SERVERS = 7
    KIND = 8  # a DRS native step: SERVER, or WAIT and its minutes
    ATTEMPT = 9  # a DRS native step's attempt (2 after a retry)


class WaveModel(KeyedTableModel[WaveView]):
    Column = WaveColumn
    HEADERS = {
        WaveColumn.NUMBER: "#",
        WaveColumn.NAME: "Wave",
        WaveColumn.STATUS: "Status",
        WaveColumn.JOB_ID: "DRS job ID",
        WaveColumn.STARTED: "Start",
        WaveColumn.ENDED: "End",
        WaveColumn.DURATION: "Duration",
        WaveColumn.SERVERS: "Servers",
        WaveColumn.KIND: "Step",
        WaveColumn.ATTEMPT: "Attempt",
    }
    NATIVE_ONLY = (WaveColumn.KIND, WaveColumn.ATTEMPT)  # shown for a DRS native execution only

    def __init__(self, parent=None):
        super().__init__(parent)
        self.now = utc_now()

    def key(self, item: WaveView) -> str:
        return str(item.index)

    def tick(self, now: datetime) -> None:
        self.now = now
        for row, w in enumerate(self._items):
            if w.started_at is not None and w.ended_at is None:
                idx = self.index(row, WaveColumn.DURATION)
                self.dataChanged.emit(idx, idx, [DISPLAY])

    def cell(self, w: WaveView, column: WaveColumn, role: int) -> Any:
        C = WaveColumn
        if role == DISPLAY:
            if column is C.NUMBER:
                return str(w.index + 1)
            if column is C.NAME:
                return w.name + ("  (pause first)" if w.pause_before else "")
            if column is C.STATUS:  # a native step's own status where it says more: CANCELLED (native SKIPPED)
                return status_with_native(w.status, w.native_status)
            if column is C.JOB_ID:
                return f.wave_jobs_text(w)
            if column is C.KIND:
                return f"WAIT {w.wait_minutes} min" if w.step_kind == "WAIT" else w.step_kind
            if column is C.ATTEMPT:
                return str(w.attempt) if w.attempt else ""
            if column is C.STARTED:
                return clock_text(w.started_at)
            if column is C.ENDED:
                return clock_text(w.ended_at)
            if column is C.DURATION:
                return seconds_text(w.duration_seconds(self.now))
            if column is C.SERVERS:
                total = len(w.servers)
                text = f"{w.launched}/{total} launched" if total else ""
                return text + (f", {w.failed} failed" if w.failed else "")
        if role == TOOLTIP:
            if column is C.NAME and w.pause_before:
                return f"{w.name}: pauses for an operator's go-ahead before it starts"
            if column is C.STATUS and (w.error or w.cause):
                return f"{w.error}: {w.cause}".strip(": ")
            if column is C.JOB_ID and (w.job_id or w.job_ids or w.jobs):
                return f"{f.wave_jobs_text(w)} (Ctrl+C or right-click to copy)"
            if column is C.KIND and w.step_kind == "WAIT":
                return f"a WAIT step: DRS waits {w.wait_minutes} min before the next step"
            if column is C.ATTEMPT and w.attempt > 1:
                return f"attempt {w.attempt}: the step was retried"
            if column in (C.STARTED, C.ENDED):
                return full_time_text(w.started_at if column is C.STARTED else w.ended_at)
            if column is C.SERVERS and w.timeout_minutes:
                return f"timeout {w.timeout_minutes} min"
            return self.cell(w, column, DISPLAY)
        if role == FOREGROUND and column is C.SERVERS and w.failed:
            return QBrush(RED)
        if role == FONT and column is C.JOB_ID:
            font = QFont("monospace")
            font.setStyleHint(QFont.StyleHint.Monospace)
            return font
        if role == SORT_ROLE:
            if column is C.NUMBER:
                return w.index
            if column is C.DURATION:
                return w.duration_seconds(self.now) or 0.0
            if column in (C.STARTED, C.ENDED):
                value = w.started_at if column is C.STARTED else w.ended_at
                return (value or _EPOCH).timestamp()
            return str(self.cell(w, column, DISPLAY) or "").casefold()
        return None


# ================================================================================================
# servers
# ================================================================================================
@dataclass(frozen=True, slots=True)
class ServerRow:
    wave_index: int
    wave_name: str
    server: ServerView


class ServerColumn(IntEnum):
    WAVE = 0
    NAME = 1
    SOURCE_SERVER_ID = 2
    SOURCE_INSTANCE_ID = 3
    SOURCE_ACCOUNT_ID = 4
    REPLICATION = 5
    LAUNCH = 6
    RECOVERY_INSTANCE_ID = 7
    EC2_INSTANCE_ID = 8
    EC2_STATE = 9
    FAILURE = 10
    RECOVERY_POINT = 11
    REQUESTED_POINT = 12  # a point-in-time run: the snapshot time the console resolved
    REQUESTED_SNAPSHOT_ID = 13
    RECOVERY_ACCOUNT_ID = 14  # the account that recovers it (its wave's job there; the source account above)


#: Each column's one formatter (domain/fields.py): the CLI and the reports use the same ones.
SERVER_COLUMN_FIELDS: dict[ServerColumn, f.ServerField] = {
    ServerColumn.NAME: f.NAME,
    ServerColumn.SOURCE_SERVER_ID: f.SOURCE_SERVER_ID,
    ServerColumn.SOURCE_INSTANCE_ID: f.SOURCE_INSTANCE_ID,
    ServerColumn.SOURCE_ACCOUNT_ID: f.SOURCE_ACCOUNT_ID,
    ServerColumn.REPLICATION: f.REPLICATION_STATE,
    ServerColumn.LAUNCH: f.LAUNCH_STATUS,
    ServerColumn.RECOVERY_INSTANCE_ID: f.RECOVERY_INSTANCE_ID,
    ServerColumn.EC2_INSTANCE_ID: f.EC2_INSTANCE_ID,
    ServerColumn.EC2_STATE: f.EC2_STATE,
    ServerColumn.FAILURE: f.FAILURE_REASON,
    ServerColumn.RECOVERY_POINT: f.RECOVERY_POINT,
    ServerColumn.REQUESTED_POINT: f.REQUESTED_POINT,
    ServerColumn.REQUESTED_SNAPSHOT_ID: f.REQUESTED_SNAPSHOT_ID,
    ServerColumn.RECOVERY_ACCOUNT_ID: f.RECOVERY_ACCOUNT_ID,
}


class ServerModel(KeyedTableModel[ServerRow]):
    Column = ServerColumn
    HEADERS = {ServerColumn.WAVE: "Wave", **{c: fld.header for c, fld in SERVER_COLUMN_FIELDS.items()}}

    def key(self, item: ServerRow) -> str:
        return f"{item.wave_index}/{item.server.source_server_id}"

    def set_waves(self, waves: Iterable[WaveView]) -> None:
        self.set_items(self.rows_of(waves))

    @staticmethod
    def rows_of(waves: Iterable[WaveView]) -> list[ServerRow]:
        return [ServerRow(w.index, w.name, s) for w in waves for s in w.servers]

    def cell(self, r: ServerRow, column: ServerColumn, role: int) -> Any:
        C = ServerColumn
        s = r.server
        if role in (DISPLAY, TOOLTIP):
            if column is C.WAVE:
                return f"{r.wave_index + 1} {r.wave_name}" if role == TOOLTIP else str(r.wave_index + 1)
            if column is C.NAME:
                return s.name or s.source_server_id
            return SERVER_COLUMN_FIELDS[column].text(s)
        if role == FOREGROUND:
            if column is C.FAILURE and s.failure_reason:
                return QBrush(RED)
            if column is C.EC2_STATE and s.ec2_instance_state:
                return QBrush(color_for("COMPLETED" if s.ec2_instance_state == "RUNNING" else "PENDING"))
        if role == SORT_ROLE:
            if column is C.WAVE:
                return r.wave_index
            if column is C.RECOVERY_POINT:
                return s.recovery_point.timestamp() if s.recovery_point else 0.0
            if column is C.REQUESTED_POINT:
                return s.recovery_snapshot_at.timestamp() if s.recovery_snapshot_at else 0.0
            return str(self.cell(r, column, DISPLAY) or "").casefold()
        return None


class SourceSortedProxy(QSortFilterProxyModel):
    """A proxy whose sorting is its source model's (``KeyedTableModel.sort_rows``: each row's key
    computed once, sorted in Python): Qt never calls back into Python per comparison, which made
    the first update of a 1,000-server, 5,000-event execution freeze the window for 100s of ms."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if isinstance(source, KeyedTableModel):
            source.sort_rows(column, order)
        else:
            super().sort(column, order)


class ServerFilterProxy(SourceSortedProxy):
    """The servers of one wave (or of all waves) and a free-text filter."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.wave_index: int | None = None
        self.text = ""

    def set_wave(self, index: int | None) -> None:
        self.beginFilterChange()
        self.wave_index = index
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self.text = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self.wave_index is None and not self.text:
            return True
        row: ServerRow = self.sourceModel().index(source_row, 0, source_parent).data(ITEM_ROLE)
        if row is None:
            return False
        if self.wave_index is not None and row.wave_index != self.wave_index:
            return False
        if not self.text:
            return True
        s = row.server
        hay = " ".join(
            (s.name, s.source_server_id, s.source_instance_id, s.recovery_instance_id, s.ec2_instance_id,
             s.launch_status.value if s.launch_status else "", s.failure_reason)
        ).casefold()
        return self.text in hay


# ================================================================================================
# the DRS job log
# ================================================================================================
@dataclass(frozen=True, slots=True)
class EventRow:
    key: tuple  # (time, event, source server ID, detail, n-th such event)
    wave_index: int | None
    event: JobLogEvent


class EventColumn(IntEnum):
    TIME = 0
    WAVE = 1
    EVENT = 2
    SERVER = 3
    DETAIL = 4


class EventModel(KeyedTableModel[EventRow]):
    """The job log, newest first (the proxy sorts by time, descending); new events are inserted,
    existing ones never change."""

    Column = EventColumn
    HEADERS = {
        EventColumn.TIME: "Time (UTC)",
        EventColumn.WAVE: "Wave",
        EventColumn.EVENT: "Event",
        EventColumn.SERVER: "Server",
        EventColumn.DETAIL: "Detail",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.names: dict[str, str] = {}  # source server ID -> name (from the waves)
        self.wave_of_server: dict[str, int] = {}
        self._seen: Counter[tuple] = Counter()  # events per identical text, for unique keys
        self._events_done = 0  # how many of the log's events the rows hold
        self._first_event: JobLogEvent | None = None  # and the log's first and last of them
        self._last_event: JobLogEvent | None = None

    def key(self, item: EventRow) -> tuple:  # type: ignore[override]
        return item.key

    def set_events(self, events: Iterable[JobLogEvent], waves: Iterable[WaveView] = ()) -> None:
        for _rows in self.set_events_in_steps(events, waves):
            pass

    def set_events_in_steps(self, events: Iterable[JobLogEvent], waves: Iterable[WaveView] = (),
                            rows: int = 0) -> Iterator[int]:
        """``set_events`` in steps of at most ``rows`` rows (see ``set_items_in_steps``)."""
        for w in waves:
            for s in w.servers:
                if s.name:
                    self.names[s.source_server_id] = s.name
                self.wave_of_server[s.source_server_id] = w.index
        events = tuple(events)
        done, first, last = self._events_done, self._first_event, self._last_event
        self._events_done, self._first_event, self._last_event = 0, None, None  # until done: a full diff next
        grown = len(events) - done
        if done and self._items and grown >= 0 and events[grown] == first and events[-1] == last:
            # the log (newest first, as the monitor hands it) only grew at its top: add the new events
            yield from self._insert_in_steps(self._rows_of(events[:grown]), rows)
        elif done and self._items and grown >= 0 and events[done - 1] == last and events[0] == first:
            # oldest first, grown at its end
            yield from self._insert_in_steps(self._rows_of(events[done:]), rows)
        else:
            self._seen = Counter()
            yield from self.set_items_in_steps(self._rows_of(events), rows)
        self._events_done = len(events)
        self._first_event = events[0] if events else None
        self._last_event = events[-1] if events else None

    def _insert_in_steps(self, new: list[EventRow], rows: int) -> Iterator[int]:
        step = rows or max(1, len(new))
        for start in range(0, len(new), step):
            self.insert_new(new[start : start + step])
            yield min(step, len(new) - start)

    def _rows_of(self, events: Iterable[JobLogEvent]) -> list[EventRow]:
        seen, wave_of = self._seen, self.wave_of_server
        rows = []
        for e in events:
            # a tuple, not a formatted string: 5,000 events' keys in a few ms, not 12
            base = (e.time, e.event, e.source_server_id, e.detail)
            n = seen[base] = seen[base] + 1
            rows.append(EventRow((*base, n), wave_of.get(e.source_server_id), e))
        return rows

    def cell(self, r: EventRow, column: EventColumn, role: int) -> Any:
        C = EventColumn
        e = r.event
        if role in (DISPLAY, TOOLTIP):
            if column is C.TIME:
                return clock_text(e.time) if role == DISPLAY else full_time_text(e.time)
            if column is C.WAVE:
                return str(r.wave_index + 1) if r.wave_index is not None else ""
            if column is C.EVENT:
                return e.event
            if column is C.SERVER:
                name = e.server_name or self.names.get(e.source_server_id, "")
                if role == TOOLTIP:
                    return f"{name} ({e.source_server_id})" if name else e.source_server_id
                return name or e.source_server_id
            if column is C.DETAIL:
                return e.detail
        if role == FOREGROUND and column in (C.EVENT, C.DETAIL) and any(f in e.event for f in FAILURE_EVENTS):
            return QBrush(RED)
        if role == SORT_ROLE:
            if column is C.TIME:
                return e.time.timestamp()
            return str(self.cell(r, column, DISPLAY) or "").casefold()
        return None


# ================================================================================================
# preflight checks
# ================================================================================================
@dataclass(frozen=True, slots=True)
class CheckRow:
    """One preflight check as the run dialog shows it (whatever the engine's check type is)."""

    key: str
    level: str  # PASS, WARN, BLOCK
    title: str
    message: str = ""
    remedy: str = ""
    overridable: bool = False  # the target block, which a drill may override
    action: str = ""  # "cleanup": the dialog offers to clean up leftover drill instances


class CheckColumn(IntEnum):
    LEVEL = 0
    CHECK = 1
    DETAIL = 2


LEVEL_COLORS = {"PASS": color_for("COMPLETED"), "WARN": AMBER, "BLOCK": RED}


class CheckModel(KeyedTableModel[CheckRow]):
    Column = CheckColumn
    HEADERS = {CheckColumn.LEVEL: "Result", CheckColumn.CHECK: "Check", CheckColumn.DETAIL: "What to do"}

    def key(self, item: CheckRow) -> str:
        return item.key

    def cell(self, c: CheckRow, column: CheckColumn, role: int) -> Any:
        C = CheckColumn
        if role in (DISPLAY, TOOLTIP):
            if column is C.LEVEL:
                return c.level
            if column is C.CHECK:
                return c.title
            if column is C.DETAIL:
                parts = [p for p in (c.message, c.remedy) if p]
                return " — ".join(parts) if role == DISPLAY else "\n\n".join(parts)
        if role == FOREGROUND and column is C.LEVEL:
            return QBrush(LEVEL_COLORS.get(c.level, GREY))
        if role == SORT_ROLE:
            return str(self.cell(c, column, DISPLAY) or "").casefold()
        return None
