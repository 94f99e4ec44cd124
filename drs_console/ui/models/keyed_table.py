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


class KeyedTableModel(QAbstractTableModel, Generic[T]):
    Column: ClassVar[type[IntEnum]]
    HEADERS: ClassVar[dict[IntEnum, str]]

    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[T] = []
        self._row_of: dict[str, int] = {}

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
            # a first full load: one reset (views lay out once), not an insert they react to row by row
            self.beginResetModel()
            self._items = list(new_keys.values())
            self._reindex()
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
        # 3. append new rows
        added = [i for k, i in new_keys.items() if k not in self._row_of]
        if added:
            start = len(self._items)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self._items.extend(added)
            self.endInsertRows()
            self._reindex()

    def update_item(self, item: T) -> None:
        row = self._row_of.get(self.key(item))
        if row is None:
            self.set_items([*self._items, item])
            return
        self._items[row] = item
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.Column) - 1))

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
