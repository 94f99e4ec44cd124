"""A table model over domain objects keyed by ID, updated in place (never reset on refresh).

Subclasses declare ``Column`` (an IntEnum), ``HEADERS``, ``key(item)`` and ``cell(item, column, role)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from enum import IntEnum
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

T = TypeVar("T")

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1  # the domain object of the row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the value to sort by
DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole
_MAX_INSERT_RUNS = 4  # more runs of new rows among a sorted model's rows: appended, then one re-sort


class KeyedTableModel(QAbstractTableModel, Generic[T]):
    Column: ClassVar[type[IntEnum]]
    HEADERS: ClassVar[dict[IntEnum, str]]
    #: a changed row signals only its changed cells; False: the whole row (a model sorted by a
    #: Qt proxy on more than one column's value, which re-sorts only when its sort column changes)
    CELL_CHANGES: ClassVar[bool] = True

    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[T] = []
        self._row_of: dict[str, int] = {}
        self._column_count = len(self.Column)  # asked on every paint: not an enum's len each time
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
        return 0 if parent.isValid() else self._column_count

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
        """Make the model hold ``items``: changed cells emit dataChanged, missing rows are removed,
        new rows are inserted. Existing rows keep their position (and so views keep selection).
        Into an empty model, one reset."""
        for _rows in self.set_items_in_steps(items):
            pass

    def set_items_in_steps(self, items: Iterable[T], rows: int = 0) -> Iterator[int]:
        """``set_items`` as a generator of steps, each touching at most ``rows`` rows (0: no
        limit); it yields after each step how many rows that step touched. ``SlicedUpdater`` runs
        one step per event-loop turn, so a 1,000-row update never holds the GUI for long. No step
        keeps a row number across a yield (rows are looked up by key), and a generator that is
        closed half-way leaves a consistent model (some rows new, the others as they were)."""
        new = list(items)
        if self._items and 0 < rows < len(new):
            yield 0  # a big update: making its rows was this turn's work (the diff starts on the next)
        new_keys = {self.key(i): i for i in new}
        if not self._items and new_keys:
            # a first full load: one reset (views lay out once), not an insert they react to row by row;
            # sorted here once (plain keys in Python), not by a proxy calling back per comparison
            self.beginResetModel()
            keys, values = list(new_keys), list(new_keys.values())
            self._seq, self._next_seq = dict(zip(keys, range(len(keys)), strict=True)), len(keys)
            if self._sort_column >= 0:
                column, cell = self.Column(self._sort_column), self.cell
                ranks = [cell(r, column, SORT_ROLE) for r in values]
                # stable, also reversed: rows with equal values keep the order they came in
                order = sorted(range(len(values)), key=ranks.__getitem__, reverse=self._sort_desc)
                keys, values = [keys[i] for i in order], [values[i] for i in order]
            self._items = values
            self._row_of = dict(zip(keys, range(len(keys)), strict=True))
            self.endResetModel()
            yield len(values)
            return
        # 1. remove rows that are gone (contiguous runs, from the bottom)
        gone = sorted((r for k, r in self._row_of.items() if k not in new_keys), reverse=True)
        if gone:
            for first, last in _runs_descending(gone):
                self.beginRemoveRows(QModelIndex(), first, last)
                del self._items[first : last + 1]
                self.endRemoveRows()
            self._reindex()
            yield len(gone)
        # 2. update rows that changed: one dataChanged per run of rows whose changed cells are the
        # same columns (a sorting proxy re-sorts on every signal; 1,000 changed rows must not mean
        # 1,000 sorts, and a cell that did not change is not repainted)
        fresh = [(k, i) for k, i in new_keys.items() if k in self._row_of]
        step = rows or max(1, len(fresh))
        resort = False
        for start in range(0, len(fresh), step):
            changed: list[tuple[int, int, int]] = []  # (row, first column, last column)
            for key, item in fresh[start : start + step]:
                row = self._row_of.get(key)
                if row is None:
                    continue
                old = self._items[row]
                if item != old:
                    self._items[row] = item
                    span = self._changed_span(old, item)
                    if span is not None:
                        changed.append((row, *span))
            changed.sort()
            for first, last, c0, c1 in _cell_runs(changed):
                self.dataChanged.emit(self.index(first, c0), self.index(last, c1))
            resort = resort or any(self._out_of_place(r) for r, _c0, _c1 in changed)
            yield min(step, len(fresh) - start)
        if resort:
            self._resort()
        # 3. add new rows (at the end, or where the model's sort puts them)
        added = [i for k, i in new_keys.items() if k not in self._row_of]
        step = rows or max(1, len(added))
        for start in range(0, len(added), step):
            self.insert_new(added[start : start + step])
            yield min(step, len(added) - start)

    def update_item(self, item: T) -> None:
        row = self._row_of.get(self.key(item))
        if row is None:
            self.set_items([*self._items, item])
            return
        old, self._items[row] = self._items[row], item
        span = self._changed_span(old, item) if old != item else None
        if span is not None:
            self.dataChanged.emit(self.index(row, span[0]), self.index(row, span[1]))
        if self._out_of_place(row):
            self._resort()

    def cell_signature(self, item: T, column: IntEnum) -> Any:
        """What a view shows of a cell: a cell whose signature did not change is not signalled.
        The display text, unless a model paints more (a font, a colour) from fields the text
        does not show: then it adds them here."""
        return self.cell(item, column, DISPLAY_ROLE)

    def _changed_span(self, old: T, new: T) -> tuple[int, int] | None:
        """The first and last column whose cells differ between ``old`` and ``new`` (None: none)."""
        if not self.CELL_CHANGES:
            return 0, len(self.Column) - 1
        sig = self.cell_signature
        first = last = -1
        for column in self.Column:
            if sig(old, column) != sig(new, column):
                if first < 0:
                    first = int(column)
                last = int(column)
        return (first, last) if first >= 0 else None

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


def _cell_runs(changed: list[tuple[int, int, int]]):
    """Sorted (row, first column, last column) -> (first row, last row, first column, last column):
    adjacent rows whose changed columns are the same make one range."""
    run: list[int] | None = None
    for row, c0, c1 in changed:
        if run is not None and row == run[1] + 1 and (c0, c1) == (run[2], run[3]):
            run[1] = row
            continue
        if run is not None:
            yield tuple(run)
        run = [row, row, c0, c1]
    if run is not None:
        yield tuple(run)
