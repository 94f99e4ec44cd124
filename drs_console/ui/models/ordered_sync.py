"""Bring a model's ordered list of keys in line with a new list using row signals only
(removes, inserts, and a layout change for a pure reorder) – never a model reset, so views keep
selection and scroll position."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex


def sync_ordered(model: QAbstractItemModel, mirror: list[str], new: list[str]) -> None:
    """``mirror`` is the model's own list (mutated here, between the begin/end calls)."""
    new_set = set(new)
    # 1. removals, bottom up
    gone = [i for i, k in enumerate(mirror) if k not in new_set]
    for first, last in _runs(gone):
        model.beginRemoveRows(QModelIndex(), first, last)
        del mirror[first : last + 1]
        model.endRemoveRows()
    # 2. a reorder of what stays
    kept = [k for k in new if k in set(mirror)]
    if kept != mirror:
        model.layoutAboutToBeChanged.emit()
        old_rows = {k: i for i, k in enumerate(mirror)}
        new_rows = {k: i for i, k in enumerate(kept)}
        persistent = model.persistentIndexList()
        mirror[:] = kept
        for idx in persistent:
            key = list(old_rows)[idx.row()] if idx.row() < len(old_rows) else None
            if key is not None and key in new_rows:
                model.changePersistentIndex(idx, model.index(new_rows[key], idx.column()))
        model.layoutChanged.emit()
    # 3. insertions, top down
    present = set(mirror)
    for target, key in enumerate(new):
        if key not in present:
            model.beginInsertRows(QModelIndex(), target, target)
            mirror.insert(target, key)
            model.endInsertRows()
            present.add(key)


def _runs(rows: list[int]):
    """Ascending rows -> (first, last) runs, yielded bottom-most first."""
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][1] == r - 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return reversed(runs)
