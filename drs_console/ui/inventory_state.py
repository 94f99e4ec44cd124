"""The inventory every page shares: the last snapshot and whether it is fresh (live) or cached."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..domain.inventory import InventorySnapshot


class InventoryState(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.snapshot: InventorySnapshot | None = None
        self.fresh = False

    def set(self, snapshot: InventorySnapshot | None, *, fresh: bool) -> None:
        self.snapshot, self.fresh = snapshot, fresh
        self.changed.emit()
