"""The history table: one row per execution, updated in place page by page.

Sorting happens in the source model (one Python sort with precomputed keys: 100,000 rows sort in
a fraction of a second, where a proxy would call ``data()`` from C++ for every comparison). The
proxy is a flat filtered view of the model: it computes the matching rows in Python (only among
the rows already shown when the new search text extends the old one) and applies a new filter
with one model change, never thousands of per-row removals; it forwards ``sort()`` to the model.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from ...domain.execution import Engine, WaveTally
from ...domain.history import HistoryFilter, HistoryRow, format_duration, format_time
from ...domain.native_view import status_with_native
from ...domain.text import printable
from .keyed_table import ITEM_ROLE, SORT_ROLE, KeyedTableModel


class HistoryColumn(IntEnum):
    PLAN = 0
    TYPE = 1
    STATUS = 2
    STARTED = 3
    ENDED = 4
    DURATION = 5
    WAVES = 6
    LAUNCHED = 7
    FAILED = 8
    INITIATED_BY = 9
    ENGINE = 10  # Step Functions or DRS native
    EXECUTION_ID = 11


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = tuple(HistoryColumn)
MAX_REMOVE_RUNS = 64  # a prune of scattered rows: one reset instead of thousands of removals
FREEZE_FROM = 20_000  # rows: from here on (and at each doubling) the rows leave the cyclic collector's scans


def _sort_key(column: HistoryColumn) -> Callable[[HistoryRow], Any]:
    C = HistoryColumn
    keys: dict[HistoryColumn, Callable[[HistoryRow], Any]] = {
        C.PLAN: lambda r: (r.plan_name.casefold(), r.started_at or _EPOCH),
        C.TYPE: lambda r: (r.execution_type, r.started_at or _EPOCH),
        C.STATUS: lambda r: (r.raw_status, r.started_at or _EPOCH),
        C.STARTED: lambda r: r.started_at or _EPOCH,
        C.ENDED: lambda r: r.ended_at or _EPOCH,
        C.DURATION: lambda r: r.duration.total_seconds() if r.duration else -1.0,
        C.WAVES: lambda r: (r.waves_completed, r.wave_count),
        C.LAUNCHED: lambda r: r.servers_launched,
        C.FAILED: lambda r: r.servers_failed,
        C.INITIATED_BY: lambda r: r.initiated_by.casefold(),
        C.ENGINE: lambda r: (r.engine, r.started_at or _EPOCH),
        C.EXECUTION_ID: lambda r: r.execution_id,
    }
    return keys[column]


class HistoryModel(KeyedTableModel[HistoryRow]):
    Column = HistoryColumn
    HEADERS = {
        HistoryColumn.PLAN: "Plan",
        HistoryColumn.TYPE: "Type",
        HistoryColumn.STATUS: "Status",
        HistoryColumn.STARTED: "Started (UTC)",
        HistoryColumn.ENDED: "Ended (UTC)",
        HistoryColumn.DURATION: "Duration",
        HistoryColumn.WAVES: "Waves",
        HistoryColumn.LAUNCHED: "Launched",
        HistoryColumn.FAILED: "Failed",
        HistoryColumn.INITIATED_BY: "Initiated by",
        HistoryColumn.ENGINE: "Engine",
        HistoryColumn.EXECUTION_ID: "Execution ID",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._freeze_at = FREEZE_FROM

    def key(self, item: HistoryRow) -> str:
        return item.execution_id

    def cell(self, r: HistoryRow, column: HistoryColumn, role: int):
        C = HistoryColumn
        if role == Qt.ItemDataRole.DisplayRole:
            if column is C.PLAN:
                return printable(r.plan_name or r.plan_id)
            if column is C.TYPE:
                return r.execution_type
            if column is C.STATUS:
                return r.raw_status
            if column is C.ENGINE:
                return _ENGINE_LABELS.get(r.engine, r.engine)
            if column is C.STARTED:
                return format_time(r.started_at)
            if column is C.ENDED:
                return format_time(r.ended_at)
            if column is C.DURATION:
                return format_duration(r.duration)
            if column is C.WAVES:  # the same words as the Executions page (domain WaveTally)
                return WaveTally.of_counts(r.wave_counts, r.wave_count).text()
            if column is C.LAUNCHED:
                return str(r.servers_launched)
            if column is C.FAILED:
                return str(r.servers_failed)
            if column is C.INITIATED_BY:
                return r.initiated_by
            if column is C.EXECUTION_ID:
                return r.execution_id
        elif role == Qt.ItemDataRole.ToolTipRole:
            if column is C.WAVES:
                return WaveTally.of_counts(r.wave_counts, r.wave_count).detail()
            if column is C.PLAN:
                return printable(f"{r.plan_name} ({r.plan_id})")
            if column is C.ENGINE and r.engine == _NATIVE:
                return f"DRS native recovery plan execution {r.execution_arn}"
            if column is C.STATUS and r.engine == _NATIVE:  # the native execution's own status
                return _status_text(r)
            return self.cell(r, column, Qt.ItemDataRole.DisplayRole)
        elif role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (C.WAVES, C.LAUNCHED, C.FAILED, C.DURATION):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == SORT_ROLE:
            return _sort_key(column)(r)
        return None

    # -- incremental loading -------------------------------------------------------------------
    def upsert(self, rows: Iterable[HistoryRow]) -> None:
        """Update the rows already shown (in place) and append the new ones, then keep the sort."""
        added: list[HistoryRow] = []
        last_col = len(self.Column) - 1
        for row in rows:
            at = self._row_of.get(row.execution_id)
            if at is None:
                added.append(row)
            elif self._items[at] != row:
                self._items[at] = row
                self.dataChanged.emit(self.index(at, 0), self.index(at, last_col))
        if added:
            start = len(self._items)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self._items.extend(added)
            for i, row in enumerate(added, start):
                self._row_of[row.execution_id] = i
            self.endInsertRows()
            if not self._still_sorted(start):
                self._apply_sort()
            if len(self._items) >= self._freeze_at:
                self._freeze_at = 2 * len(self._items)
                _keep_out_of_gc_scans()

    def remove_keys(self, keys: Iterable[str]) -> int:
        """Remove these executions' rows (runs of rows at a time; one reset when they are scattered
        in more than MAX_REMOVE_RUNS runs); returns how many were removed."""
        from .keyed_table import _runs_descending

        rows = sorted((self._row_of[k] for k in set(keys) if k in self._row_of), reverse=True)
        runs = list(_runs_descending(rows))
        if len(runs) > MAX_REMOVE_RUNS:
            gone = set(rows)
            self.beginResetModel()
            self._items = [item for i, item in enumerate(self._items) if i not in gone]
            self._reindex()
            self.endResetModel()
            return len(rows)
        for first, last in runs:
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._items[first : last + 1]
            self.endRemoveRows()
        if rows:
            self._reindex()
        return len(rows)

    def keys(self) -> set[str]:
        return set(self._row_of)

    # -- sorting (in the model) ----------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self._apply_sort()

    def _still_sorted(self, start: int) -> bool:
        """Whether rows from ``start - 1`` on are in sort order (pages loaded in the order the view
        sorts by, newest first under "Started", need no re-sort)."""
        if self._sort_column < 0:
            return True
        key = _sort_key(HistoryColumn(self._sort_column))
        keys = [key(r) for r in self._items[max(0, start - 1) :]]
        if self._sort_order == Qt.SortOrder.DescendingOrder:
            return all(a >= b for a, b in zip(keys, keys[1:], strict=False))
        return all(a <= b for a, b in zip(keys, keys[1:], strict=False))

    def _apply_sort(self) -> None:
        if self._sort_column < 0 or len(self._items) < 2:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        remembered = [(self.key(self._items[i.row()]), i.column()) for i in persistent]
        self._items.sort(
            key=_sort_key(HistoryColumn(self._sort_column)),
            reverse=self._sort_order == Qt.SortOrder.DescendingOrder,
        )
        self._reindex()
        self.changePersistentIndexList(
            persistent, [self.index(self._row_of[k], col) for k, col in remembered]
        )
        self.layoutChanged.emit()


def _keep_out_of_gc_scans() -> None:
    """100,000 rows are long-lived objects that Python's cyclic collector would otherwise walk on
    every full collection (about 200 ms on a 2-core machine, in the middle of a keystroke). They
    hold no reference cycles (frozen dataclasses of strings, numbers and tuples): collect the young
    generations (cheap; a full collection here would stall the load itself), then move everything
    alive to the permanent generation (reference counting still frees it)."""
    import gc

    gc.collect(1)
    gc.freeze()


_NATIVE = Engine.NATIVE.value
_ENGINE_LABELS = {e.value: e.label for e in Engine}


def _status_text(r: HistoryRow) -> str:
    return status_with_native(r.status, r.native_status) if r.status is not None else r.raw_status


def _predicate(flt: HistoryFilter) -> Callable[[HistoryRow], bool]:
    """``flt.accepts``, or a cheaper test of the same when only the search text is set."""
    if _text_only(flt):
        if not flt.text:
            return lambda _r: True
        needle = flt.text.casefold()
        return lambda r: needle in r.search_text
    return flt.accepts


def _text_only(flt: HistoryFilter) -> bool:
    return (flt.statuses is None and not flt.execution_type and flt.since is None and flt.until is None
            and not flt.engine)


def _narrows(old: HistoryFilter, new: HistoryFilter) -> bool:
    """True when every row ``new`` accepts, ``old`` accepts too (only the text grew)."""
    return (
        (old.statuses, old.execution_type, old.since, old.until, old.engine)
        == (new.statuses, new.execution_type, new.since, new.until, new.engine)
        and old.text.casefold() in new.text.casefold()
    )


class HistoryFilterProxy(QAbstractProxyModel):
    """The rows of a ``HistoryModel`` that a ``HistoryFilter`` accepts, in the model's order.

    Source changes map to the fewest proxy signals: appended rows that match are appended, removed
    rows removed, a changed row forwarded (or removed / inserted when it stops / starts matching),
    a re-sort one layout change. A new filter is one reset.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._filter = HistoryFilter()
        self._accepts: Callable[[HistoryRow], bool] = _predicate(self._filter)
        self._rows: list[int] = []  # proxy row -> source row, ascending
        self._proxy_of_cache: dict[int, int] | None = None  # source row -> proxy row, made on demand
        self._texts: list[str] | None = None  # the rows' search texts, for a text-only filter
        self._source: HistoryModel | None = None
        self._removing: tuple[int, int] | None = None
        self._layout_persistent: list[QModelIndex] = []
        self._layout_keys: list[tuple[str, int]] = []

    @property
    def current_filter(self) -> HistoryFilter:
        return self._filter

    # -- wiring ----------------------------------------------------------------------------------
    def setSourceModel(self, model: HistoryModel) -> None:  # noqa: N802 - Qt override
        old = self.sourceModel()
        if old is not None:
            for signal, slot in self._connections(old):
                signal.disconnect(slot)
        self.beginResetModel()
        super().setSourceModel(model)
        self._source = model
        self._rebuild(range(model.rowCount()) if model is not None else ())
        self.endResetModel()
        if model is not None:
            for signal, slot in self._connections(model):
                signal.connect(slot)

    def _connections(self, model: HistoryModel):
        return (
            (model.rowsInserted, self._source_inserted),
            (model.rowsAboutToBeRemoved, self._source_about_to_remove),
            (model.rowsRemoved, self._source_removed),
            (model.dataChanged, self._source_changed),
            (model.layoutAboutToBeChanged, self._source_layout_about),
            (model.layoutChanged, self._source_layout_changed),
            (model.modelAboutToBeReset, self.beginResetModel),
            (model.modelReset, self._source_reset),
        )

    def _items(self) -> list[HistoryRow]:
        return self._source._items if self._source is not None else []

    @property
    def _proxy_of(self) -> dict[int, int]:
        if self._proxy_of_cache is None:
            self._proxy_of_cache = {s: p for p, s in enumerate(self._rows)}
        return self._proxy_of_cache

    def _rebuild(self, candidates: Iterable[int]) -> None:
        items = self._items()
        if _text_only(self._filter) and self._filter.text:
            if self._texts is None or len(self._texts) != len(items):
                self._texts = [r.search_text for r in items]
            texts, needle = self._texts, self._filter.text.casefold()
            self._rows = [i for i in candidates if needle in texts[i]]
        else:
            accepts = self._accepts
            self._rows = [i for i in candidates if accepts(items[i])]
        self._proxy_of_cache = None

    def _source_rows_changed(self) -> None:
        self._texts = None

    # -- filtering -------------------------------------------------------------------------------
    def set_filter(self, flt: HistoryFilter) -> None:
        """Apply ``flt``: the matching rows computed in Python, then one model change."""
        if flt == self._filter:
            return
        narrowing = _narrows(self._filter, flt)
        self._filter, self._accepts = flt, _predicate(flt)
        model = self.sourceModel()
        if model is None:
            return
        candidates = list(self._rows) if narrowing else range(model.rowCount())
        self.beginResetModel()
        self._rebuild(candidates)
        self.endResetModel()

    # -- Qt proxy API ----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() or self._source is None else len(_COLUMNS)

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:
        if parent.isValid() or not (0 <= row < len(self._rows)) or not (0 <= column < len(_COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        return QModelIndex()

    def mapToSource(self, index: QModelIndex | QPersistentModelIndex) -> QModelIndex:  # noqa: N802
        if not index.isValid() or index.row() >= len(self._rows) or self._source is None:
            return QModelIndex()
        return self._source.index(self._rows[index.row()], index.column())

    def mapFromSource(self, index: QModelIndex | QPersistentModelIndex) -> QModelIndex:  # noqa: N802
        if not index.isValid():
            return QModelIndex()
        row = self._proxy_of.get(index.row())
        return QModelIndex() if row is None else self.createIndex(row, index.column())

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row = index.row()
        if not index.isValid() or row >= len(self._rows) or self._source is None:
            return None
        item = self._source._items[self._rows[row]]
        if role == ITEM_ROLE:
            return item
        return self._source.cell(item, _COLUMNS[index.column()], role)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        model = self.sourceModel()
        if orientation == Qt.Orientation.Vertical or model is None:
            return None
        return model.headerData(section, orientation, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if model is not None:
            model.sort(column, order)

    def rows(self) -> list[HistoryRow]:
        """The visible rows, in view order."""
        items = self._items()
        return [items[i] for i in self._rows]

    # -- source changes ----------------------------------------------------------------------------
    def _source_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._source_rows_changed()
        n = self.sourceModel().rowCount()
        if last != n - 1:  # not an append: rows after it moved
            self.beginResetModel()
            self._rebuild(range(n))
            self.endResetModel()
            return
        items, accepts = self._items(), self._accepts
        fresh = [i for i in range(first, last + 1) if accepts(items[i])]
        if fresh:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._rows.extend(fresh)
            if self._proxy_of_cache is not None:
                self._proxy_of_cache.update((s, p) for p, s in enumerate(fresh, start))
            self.endInsertRows()

    def _source_about_to_remove(self, parent: QModelIndex, first: int, last: int) -> None:
        lo = bisect.bisect_left(self._rows, first)
        hi = bisect.bisect_right(self._rows, last) - 1
        self._removing = (lo, hi) if lo <= hi else None
        if self._removing:
            self.beginRemoveRows(QModelIndex(), lo, hi)

    def _source_removed(self, parent: QModelIndex, first: int, last: int) -> None:
        self._source_rows_changed()
        count = last - first + 1
        lo_hi, self._removing = self._removing, None
        if lo_hi is not None:
            del self._rows[lo_hi[0] : lo_hi[1] + 1]
        start = lo_hi[0] if lo_hi is not None else bisect.bisect_left(self._rows, first)
        for p in range(start, len(self._rows)):
            self._rows[p] -= count
        self._proxy_of_cache = None
        if lo_hi is not None:
            self.endRemoveRows()

    def _source_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> None:
        self._source_rows_changed()
        items, accepts = self._items(), self._accepts
        shown: list[int] = []
        for s in range(top_left.row(), bottom_right.row() + 1):
            p = self._proxy_of.get(s)
            now = accepts(items[s])
            if p is not None and now:
                shown.append(p)
            elif p is not None:  # stops matching
                self.beginRemoveRows(QModelIndex(), p, p)
                del self._rows[p]
                self._proxy_of_cache = None
                self.endRemoveRows()
            elif now:  # starts matching
                at = bisect.bisect_left(self._rows, s)
                self.beginInsertRows(QModelIndex(), at, at)
                self._rows.insert(at, s)
                self._proxy_of_cache = None
                self.endInsertRows()
        if shown:
            last_col = self.columnCount() - 1
            self.dataChanged.emit(self.index(min(shown), 0), self.index(max(shown), last_col), roles)

    def _source_layout_about(self, *args) -> None:
        self.layoutAboutToBeChanged.emit()
        model: HistoryModel = self.sourceModel()  # type: ignore[assignment]
        self._layout_persistent = self.persistentIndexList()
        self._layout_keys = [
            (model.key(model._items[self._rows[i.row()]]), i.column()) for i in self._layout_persistent
        ]

    def _source_layout_changed(self, *args) -> None:
        self._source_rows_changed()
        model: HistoryModel = self.sourceModel()  # type: ignore[assignment]
        self._rebuild(range(model.rowCount()))
        new = []
        for key, col in self._layout_keys:
            src = model.row_of(key)
            p = self._proxy_of.get(src) if src is not None else None
            new.append(self.createIndex(p, col) if p is not None else QModelIndex())
        self.changePersistentIndexList(self._layout_persistent, new)
        self._layout_persistent, self._layout_keys = [], []
        self.layoutChanged.emit()

    def _source_reset(self) -> None:
        self._source_rows_changed()
        self._rebuild(range(self.sourceModel().rowCount()))
        self.endResetModel()
