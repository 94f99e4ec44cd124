"""Qt adapters over a domain Plan: the wave list, the selected wave's servers, the problems, and
the plan library. The Plan emits its own change events; these models turn them into row signals."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush

from ...domain.fields import rto_target_text
from ...domain.plan import ChangeKind, Plan, PlanChange, ServerRef
from ...domain.readiness import PlanReadiness
from ...domain.text import printable
from ...domain.validation import Problem, Severity
from ...store.plans import LibraryEntry
from .. import theme
from .keyed_table import ITEM_ROLE, SORT_ROLE, KeyedTableModel
from .ordered_sync import sync_ordered

SERVERS_MIME = "application/x-drs-console-servers"
WAVE_MIME = "application/x-drs-console-wave"

# (src_wave, server_ids, dst_wave, position or None)
MoveServersFn = Callable[[int, list[str], int, int | None], bool]
MoveWaveFn = Callable[[int, int], bool]


def servers_mime(wave_index: int, server_ids: list[str]) -> QMimeData:
    mime = QMimeData()
    mime.setData(SERVERS_MIME, json.dumps({"wave": wave_index, "ids": server_ids}).encode())
    mime.setText("\n".join(server_ids))
    return mime


def read_servers_mime(mime: QMimeData) -> tuple[int, list[str]] | None:
    if not mime.hasFormat(SERVERS_MIME):
        return None
    try:
        doc = json.loads(bytes(mime.data(SERVERS_MIME)).decode())
        return int(doc["wave"]), [str(i) for i in doc["ids"]]
    except (ValueError, KeyError, TypeError):
        return None


class WaveListModel(QAbstractListModel):
    """The plan's waves in order. Dragging a wave reorders; dropping servers on a wave moves them."""

    def __init__(self, plan: Plan, move_wave: MoveWaveFn, move_servers: MoveServersFn, parent=None):
        super().__init__(parent)
        self.plan = plan
        self._move_wave = move_wave
        self._move_servers = move_servers
        self._ids = [w.id for w in plan.waves]
        self._unsubscribe = plan.subscribe(self._on_change)

    def detach(self) -> None:
        self._unsubscribe()

    def _on_change(self, change: PlanChange) -> None:
        if change.kind in (ChangeKind.PLAN_ATTRIBUTE,):
            return
        sync_ordered(self, self._ids, [w.id for w in self.plan.waves])
        if change.kind in (ChangeKind.WAVE_CHANGED, ChangeKind.SERVERS_INSERTED, ChangeKind.SERVERS_REMOVED,
                           ChangeKind.SERVERS_REORDERED, ChangeKind.RESET) and self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.plan.waves):
            return None
        wave = self.plan.waves[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            count = len(wave.servers)
            extra = " + selector" if wave.selector else ""
            pause = "  · pauses first" if wave.pause_before else ""
            wait = f"  · waits {wave.delay_minutes} min" if wave.delay_minutes else ""
            optional = "  · optional" if not wave.critical else ""
            return f"{index.row() + 1}. {printable(wave.name) or '(unnamed)'}  ({count}{extra}){pause}{wait}{optional}"
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [f"{len(wave.servers)} servers", f"timeout {wave.timeout_minutes} min"]
            if wave.pause_before:
                parts.append("pauses before starting")
            if wave.selector:
                parts.append(f"selector: {wave.selector}")
            return " · ".join(parts)
        if role == ITEM_ROLE:
            return wave
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def supportedDragActions(self):
        return Qt.DropAction.MoveAction

    def mimeTypes(self):
        return [WAVE_MIME, SERVERS_MIME]

    def mimeData(self, indexes):
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        if rows:
            mime.setData(WAVE_MIME, str(rows[0]).encode())
        return mime

    def canDropMimeData(self, data, action, row, column, parent):
        return data.hasFormat(WAVE_MIME) or data.hasFormat(SERVERS_MIME)

    def dropMimeData(self, data, action, row, column, parent):
        servers = read_servers_mime(data)
        if servers is not None:
            src, ids = servers
            dst = parent.row() if parent.isValid() else row
            if dst is None or dst < 0 or dst >= len(self.plan.waves) or dst == src:
                return False
            return self._move_servers(src, ids, dst, None)
        if data.hasFormat(WAVE_MIME):
            src = int(bytes(data.data(WAVE_MIME)).decode())
            target = parent.row() if parent.isValid() else (row if row >= 0 else len(self.plan.waves))
            dst = target - 1 if target > src else target
            dst = max(0, min(dst, len(self.plan.waves) - 1))
            if dst == src:
                return False
            self._move_wave(src, dst)
            return False  # the command moved it; Qt must not remove the source row itself
        return False


class ServerColumn(IntEnum):
    NAME = 0
    SOURCE_SERVER_ID = 1
    SOURCE_INSTANCE_ID = 2
    SOURCE_ACCOUNT_ID = 3
    REPLICATION = 4
    IMPACT = 5  # the DRS native plan's impact level: the server's own, else the wave's


SERVER_HEADERS = {
    ServerColumn.NAME: "Name",
    ServerColumn.SOURCE_SERVER_ID: "Source server ID",
    ServerColumn.SOURCE_INSTANCE_ID: "Source instance ID",
    ServerColumn.SOURCE_ACCOUNT_ID: "Source account ID",
    ServerColumn.REPLICATION: "Replication",
    ServerColumn.IMPACT: "Impact",
}


def impact_text(ref: ServerRef, wave_critical: bool) -> str:
    """``critical`` / ``optional`` (set on the server), or ``wave: critical`` (the wave's default)."""
    if ref.critical is None:
        return f"wave: {'critical' if wave_critical else 'optional'}"
    return "critical" if ref.critical else "optional"


class WaveServersModel(QAbstractTableModel):
    """The explicit servers of one wave, with their cached inventory details."""

    def __init__(self, plan: Plan, move_servers: MoveServersFn, parent=None):
        super().__init__(parent)
        self.plan = plan
        self._move_servers = move_servers
        self.wave_id: str | None = None
        self._ids: list[str] = []
        self._unsubscribe = plan.subscribe(self._on_change)

    def detach(self) -> None:
        self._unsubscribe()

    @property
    def wave_index(self) -> int | None:
        if self.wave_id is None:
            return None
        try:
            return self.plan.wave_index(self.wave_id)
        except KeyError:
            return None

    def set_wave(self, wave_id: str | None) -> None:
        self.beginResetModel()  # switching waves is a different table, not a live update
        self.wave_id = wave_id
        idx = self.wave_index
        self._ids = self.plan.waves[idx].server_ids() if idx is not None else []
        self.endResetModel()

    def _current_refs(self) -> list[ServerRef]:
        idx = self.wave_index
        return list(self.plan.waves[idx].servers) if idx is not None else []

    def _on_change(self, change: PlanChange) -> None:
        if self.wave_id is None:
            return
        if change.kind is ChangeKind.WAVE_REMOVED and change.wave_id == self.wave_id:
            sync_ordered(self, self._ids, [])
            return
        if change.kind in (ChangeKind.PLAN_ATTRIBUTE, ChangeKind.WAVE_MOVED, ChangeKind.WAVE_INSERTED):
            return
        if change.wave_id not in (None, self.wave_id) and change.kind is not ChangeKind.RESET:
            return
        sync_ordered(self, self._ids, [r.source_server_id for r in self._current_refs()])
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(ServerColumn) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(ServerColumn)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return SERVER_HEADERS[ServerColumn(section)]
        return None

    def ref_at(self, row: int) -> ServerRef | None:
        refs = self._current_refs()
        return refs[row] if 0 <= row < len(refs) else None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        ref = self.ref_at(index.row())
        if ref is None:
            return None
        col = ServerColumn(index.column())
        if role == ITEM_ROLE:
            return ref
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            return {
                ServerColumn.NAME: ref.display_name,
                ServerColumn.SOURCE_SERVER_ID: ref.source_server_id,
                ServerColumn.SOURCE_INSTANCE_ID: ref.source_instance_id,
                ServerColumn.SOURCE_ACCOUNT_ID: ref.source_account_id,
                ServerColumn.REPLICATION: ref.replication_state.value,
                ServerColumn.IMPACT: impact_text(ref, self._wave_critical()),
            }[col]
        return None

    def _wave_critical(self) -> bool:
        idx = self.wave_index
        return self.plan.waves[idx].critical if idx is not None else True

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def mimeTypes(self):
        return [SERVERS_MIME]

    def mimeData(self, indexes):
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return servers_mime(self.wave_index or 0, [self._ids[r] for r in rows if r < len(self._ids)])

    def canDropMimeData(self, data, action, row, column, parent):
        return data.hasFormat(SERVERS_MIME) and self.wave_index is not None

    def dropMimeData(self, data, action, row, column, parent):
        servers = read_servers_mime(data)
        dst = self.wave_index
        if servers is None or dst is None:
            return False
        src, ids = servers
        position = parent.row() if parent.isValid() else (row if row >= 0 else None)
        self._move_servers(src, ids, dst, position)
        return False  # the command did the move


class ProblemColumn(IntEnum):
    SEVERITY = 0
    LOCATION = 1
    MESSAGE = 2


class ProblemsModel(KeyedTableModel[Problem]):
    Column = ProblemColumn
    HEADERS = {ProblemColumn.SEVERITY: "", ProblemColumn.LOCATION: "Where", ProblemColumn.MESSAGE: "Problem"}

    def key(self, item: Problem) -> str:
        return f"{item.code}|{item.location.render()}|{item.message}"

    def cell(self, p: Problem, column: ProblemColumn, role: int):
        if role == Qt.ItemDataRole.DisplayRole:
            if column is ProblemColumn.SEVERITY:
                return "ERROR" if p.is_error else "WARNING"
            if column is ProblemColumn.LOCATION:
                return p.location.render()
            return p.message
        if role == Qt.ItemDataRole.ForegroundRole and column is ProblemColumn.SEVERITY:
            return QBrush(theme.RED if p.severity is Severity.ERROR else theme.AMBER)
        if role == SORT_ROLE:
            if column is ProblemColumn.SEVERITY:
                return 0 if p.is_error else 1
            return self.cell(p, column, Qt.ItemDataRole.DisplayRole)
        return None


class LibraryColumn(IntEnum):
    NAME = 0
    TARGET = 1
    WAVES = 2
    SERVERS = 3
    MODIFIED = 4
    READINESS = 5
    VALIDATION = 6


def readiness_tooltip(r: PlanReadiness) -> str:
    """The readiness cell's tooltip: the status, where it was judged from, the figures and every reason."""
    lines = [f"{r.status.value} (from the {r.source_text()})",
             f"RPO now: {r.rpo_text()}",
             f"Last drill: {r.drill_text()}; RTO target {rto_target_text(r.rto_target_minutes)}"]
    lines += [f"• {reason.status.value}: {reason.text}" for reason in r.reasons]
    return printable("\n".join(lines), keep_newlines=True)


class PlanLibraryModel(KeyedTableModel[LibraryEntry]):
    Column = LibraryColumn
    HEADERS = {
        LibraryColumn.NAME: "Plan",
        LibraryColumn.TARGET: "Target account / region",
        LibraryColumn.WAVES: "Waves",
        LibraryColumn.SERVERS: "Servers",
        LibraryColumn.MODIFIED: "Last modified",
        LibraryColumn.READINESS: "Readiness",
        LibraryColumn.VALIDATION: "Validation",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self._readiness: dict[str, PlanReadiness] = {}  # library path -> the plan's last readiness
        self._shown: dict[str, tuple[str, str]] = {}  # path -> (badge, tooltip) as last shown

    def key(self, item: LibraryEntry) -> str:
        return str(item.path)

    def readiness_of(self, path: str) -> PlanReadiness | None:
        return self._readiness.get(path)

    def set_readiness(self, results: dict[str, PlanReadiness]) -> list[int]:
        """Show each plan's readiness (by library path); only rows whose badge or tooltip changed
        emit dataChanged (on the Readiness cell). Returns those rows."""
        changed: list[int] = []
        for path, r in results.items():
            self._readiness[path] = r
            shown = (r.status.value, readiness_tooltip(r))
            if self._shown.get(path) != shown:
                self._shown[path] = shown
                row = self.row_of(path)
                if row is not None:
                    changed.append(row)
        for row in sorted(changed):
            idx = self.index(row, LibraryColumn.READINESS)
            self.dataChanged.emit(idx, idx)
        return changed

    def cell(self, e: LibraryEntry, column: LibraryColumn, role: int):
        C = LibraryColumn
        if role == Qt.ItemDataRole.DisplayRole:
            if column is C.NAME:
                return printable(e.name if e.ok else e.path.name)
            if not e.ok:
                return f"unreadable: {e.error}" if column is C.VALIDATION else ""
            if column is C.TARGET:
                return f"{e.target_account_id or '?'} / {e.target_region or '?'}"
            if column is C.WAVES:
                return str(e.wave_count)
            if column is C.SERVERS:
                return str(e.server_count) + (f" + {e.selector_waves} selector" if e.selector_waves else "")
            if column is C.MODIFIED:
                return e.modified_at.astimezone().strftime("%Y-%m-%d %H:%M") if e.modified_at else ""
            if column is C.VALIDATION:
                text = e.validation.text() if e.validation else ""
                return f"{text} (read-only)" if e.read_only else text
            if column is C.READINESS:
                shown = self._shown.get(str(e.path))
                return shown[0] if shown else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if column is C.READINESS and e.ok:
                shown = self._shown.get(str(e.path))
                return shown[1] if shown else "Readiness: being judged…"
            return e.error or e.notice or str(e.path)
        if role == Qt.ItemDataRole.ForegroundRole and column is C.VALIDATION:
            if not e.ok or (e.validation and e.validation.errors):
                return QBrush(theme.RED)
            if e.validation and e.validation.warnings:
                return QBrush(theme.AMBER)
            return QBrush(theme.GREEN)
        if role == SORT_ROLE:
            if column in (C.WAVES, C.SERVERS):
                return e.wave_count if column is C.WAVES else e.server_count
            if column is C.MODIFIED:
                return e.modified_at.timestamp() if e.modified_at else 0.0
            if column is C.READINESS:
                r = self._readiness.get(str(e.path))
                return r.status.rank if r else -1
            return (self.cell(e, column, Qt.ItemDataRole.DisplayRole) or "").casefold()
        return None
