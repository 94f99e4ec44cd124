"""A table model over domain objects keyed by ID, updated in place (never reset on refresh).

Subclasses declare ``Column`` (an IntEnum), ``HEADERS``, ``key(item)`` and ``cell(item, column, role)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

T = TypeVar("T")

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1  # the domain object of the row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the value to sort by
_MAX_INSERT_RUNS = 4  # more runs of new rows among a sorted model's rows: appended, then one re-sort


class KeyedTableModel(QAbstractTableModel, Generic[T]):
    Column: ClassVar[type[IntEnum]]
    HEADERS: ClassVar[dict[IntEnum, str]]

    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[T] = []
        self._row_of: dict[str, int] = {}
        # sorting by the model itself (``sort_rows``, through a SourceSortedProxy): off by default
        self._sort_column = -1
        self._sort_desc = False
        self._seq: dict[str, int] = {}  # key -> arrival number: ties keep the order rows came in
        self._next_seq = 0

    # -- subclass hooks ------------------------------------------------------------------------
    def key(self, item: T) -> str:
        raise NotImplementedError

    def cell(self, item: T, column: IntEnum, role: int) -> Any:
        raise NotImplementedError

    # -- Qt model API --------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[self.Column(section)]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        if role == ITEM_ROLE:
            return item
        return self.cell(item, self.Column(index.column()), role)

    # -- access --------------------------------------------------------------------------------
    def item_at(self, row: int) -> T:
        return self._items[row]

    def items(self) -> Sequence[T]:
        return tuple(self._items)

    def row_of(self, key: str) -> int | None:
        return self._row_of.get(key)

    # -- in-place updates ----------------------------------------------------------------------
    def set_items(self, items: Iterable[T]) -> None:
        """Make the model hold ``items``: changed rows emit dataChanged, missing rows are removed,
        new rows are inserted. Existing rows keep their position (and so views keep selection).
        Into an empty model, one reset."""
        new = list(items)
        new_keys = {self.key(i): i for i in new}
        if not self._items and new_keys:
            # a first full load: one reset (views lay out once), not an insert they react to row by row;
            # sorted here once (plain keys in Python), not by a proxy calling back per comparison
            self.beginResetModel()
            keys, rows = list(new_keys), list(new_keys.values())
            self._seq, self._next_seq = dict(zip(keys, range(len(keys)), strict=True)), len(keys)
            if self._sort_column >= 0:
                column, cell = self.Column(self._sort_column), self.cell
                values = [cell(r, column, SORT_ROLE) for r in rows]
                # stable, also reversed: rows with equal values keep the order they came in
                order = sorted(range(len(rows)), key=values.__getitem__, reverse=self._sort_desc)
                keys, rows = [keys[i] for i in order], [rows[i] for i in order]
            self._items = rows
            self._row_of = dict(zip(keys, range(len(keys)), strict=True))
            self.endResetModel()
            return
        # 1. remove rows that are gone (contiguous runs, from the bottom)
        gone = sorted((r for k, r in self._row_of.items() if k not in new_keys), reverse=True)
        for first, last in _runs_descending(gone):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._items[first : last + 1]
            self.endRemoveRows()
        self._reindex()
        # 2. update rows that changed: one dataChanged per run of adjacent rows, not per row
        # (a sorting proxy re-sorts on every signal; 1,000 changed rows must not mean 1,000 sorts)
        last_col = len(self.Column) - 1
        changed: list[int] = []
        for key, row in self._row_of.items():
            fresh = new_keys[key]
            if fresh != self._items[row]:
                self._items[row] = fresh
                changed.append(row)
        for first, last in _runs_ascending(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_col))
        if any(self._out_of_place(r) for r in changed):
            self._resort()
        # 3. add new rows (at the end, or where the model's sort puts them)
        self.insert_new([i for k, i in new_keys.items() if k not in self._row_of])

    def update_item(self, item: T) -> None:
        row = self._row_of.get(self.key(item))
        if row is None:
            self.set_items([*self._items, item])
            return
        self._items[row] = item
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.Column) - 1))
        if self._out_of_place(row):
            self._resort()

    def insert_new(self, rows: Sequence[T]) -> None:
        """Add ``rows`` (none of them in the model yet): appended, or when the model sorts itself,
        each run inserted where it belongs (a newest-first log: one insert at the top)."""
        if not rows:
            return
        rows = list(rows)
        self._number(rows)
        if self._sort_column < 0 or not self._items:
            if self._sort_column >= 0:
                rows.sort(key=self._rank, reverse=self._sort_desc)
            start = len(self._items)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._items.extend(rows)
            self._reindex()
            self.endInsertRows()
            return
        rows.sort(key=self._rank, reverse=self._sort_desc)
        groups: list[tuple[int, list[T]]] = []  # (position among the existing rows, the rows there)
        spread = False
        for row in rows:
            pos = self._position(self._rank(row))
            if groups and groups[-1][0] == pos:
                groups[-1][1].append(row)
            elif len(groups) == _MAX_INSERT_RUNS:
                spread = True
                break
            else:
                groups.append((pos, [row]))
        if spread:
            # rows spread among the others: one insert at the end and one re-sort, not a signal per run
            start = len(self._items)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._items.extend(rows)
            self.endInsertRows()
            self._reindex()
            self._resort()
            return
        shift = 0
        for pos, group in groups:
            first = pos + shift
            self.beginInsertRows(QModelIndex(), first, first + len(group) - 1)
            self._items[first:first] = group
            self.endInsertRows()
            shift += len(group)
        self._reindex()

    # -- sorting by the model ------------------------------------------------------------------
    def sort_rows(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Keep the rows sorted by ``column``'s SORT_ROLE value (ties: in the order they came).
        Each row's key is computed once per sort and compared in Python, so a sort of 5,000 rows
        takes milliseconds where a sorting proxy calls ``data`` twice per comparison."""
        self._sort_column, self._sort_desc = column, order == Qt.SortOrder.DescendingOrder
        if column >= 0:
            self._resort()

    def _number(self, rows: Iterable[T]) -> None:
        for r in rows:
            k = self.key(r)
            if k not in self._seq:
                self._seq[k] = self._next_seq
                self._next_seq += 1

    def _rank(self, item: T) -> tuple:
        value = self.cell(item, self.Column(self._sort_column), SORT_ROLE)
        seq = self._seq.get(self.key(item), 0)
        return (value, -seq) if self._sort_desc else (value, seq)

    def _before(self, a: tuple, b: tuple) -> bool:
        return a > b if self._sort_desc else a < b

    def _position(self, rank: tuple) -> int:
        """How many existing rows sort before ``rank`` (the rows are sorted)."""
        lo, hi = 0, len(self._items)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._before(self._rank(self._items[mid]), rank):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _out_of_place(self, row: int) -> bool:
        if self._sort_column < 0:
            return False
        rank = self._rank(self._items[row])
        return (row > 0 and self._before(rank, self._rank(self._items[row - 1]))) or (
            row + 1 < len(self._items) and self._before(self._rank(self._items[row + 1]), rank))

    def _resort(self) -> None:
        """Put the rows in sort order with one layout change (selections follow their rows)."""
        n = len(self._items)
        column, cell, seq, key = self.Column(self._sort_column), self.cell, self._seq, self.key
        sign = -1 if self._sort_desc else 1
        ranks = [(cell(r, column, SORT_ROLE), sign * seq.get(key(r), 0)) for r in self._items]
        order = sorted(range(n), key=ranks.__getitem__, reverse=self._sort_desc)
        if order == list(range(n)):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        new_row = [0] * n
        for new, old in enumerate(order):
            new_row[old] = new
        self._items = [self._items[old] for old in order]
        self._reindex()
        self.changePersistentIndexList(persistent, [self.index(new_row[p.row()], p.column()) for p in persistent])
        self.layoutChanged.emit()

    def _reindex(self) -> None:
        self._row_of = {self.key(item): row for row, item in enumerate(self._items)}


def _runs_descending(rows: list[int]):
    """[9, 8, 7, 3, 2] -> (7, 9), (2, 3)"""
    if not rows:
        return
    hi = lo = rows[0]
    for r in rows[1:]:
        if r == lo - 1:
            lo = r
        else:
            yield lo, hi
            hi = lo = r
    yield lo, hi


def _runs_ascending(rows: list[int]):
    """[2, 3, 4, 9] -> (2, 4), (9, 9)"""
    if not rows:
        return
    lo = hi = rows[0]
    for r in rows[1:]:
        if r == hi + 1:
            hi = r
        else:
            yield lo, hi
            lo = hi = r
    yield lo, hi
