"""Apply a big model update over several event-loop turns, so the GUI never stalls on it.

A monitor update of a 1,000-server execution can change every row of the servers table. Applied
at once it held the GUI thread for tens of milliseconds; here it is cut into slices of at most
``rows_per_turn`` rows (``KeyedTableModel.set_items_in_steps``), one slice per turn of the event
loop, so paints, input and timers run in between. A newer update that arrives while one is still
being applied replaces it (coalesced): the rest of the older one is never applied, and the newer
one is diffed against what the model already shows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from .keyed_table import KeyedTableModel

ROWS_PER_TURN = 100  # a slice: ~1–5 ms for the servers table (a changed row costs a cell diff)


class SlicedUpdater(QObject):
    applied = Signal()  # a submitted update is applied in full (not emitted for a superseded one)

    def __init__(self, model: KeyedTableModel, *, rows_per_turn: int = ROWS_PER_TURN, parent: QObject | None = None):
        super().__init__(parent if parent is not None else model)
        self.model = model
        self.rows_per_turn = rows_per_turn
        self._steps: Iterator[int] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._turn)

    @property
    def pending(self) -> bool:
        """An update is still being applied."""
        return self._steps is not None

    def submit(self, items: Iterable[Any]) -> None:
        """Make the model hold ``items``: the first slice now, the rest on the next turns."""
        self.run(self.model.set_items_in_steps(items, self.rows_per_turn))

    def run(self, steps: Iterator[int]) -> None:
        """Run an update's steps (a generator that yields after each slice), one per turn; an
        update still running is dropped first."""
        self.cancel()
        self._steps = steps
        self._turn()

    def flush(self) -> None:
        """Apply what is left now (before reading the model, or before showing another execution)."""
        while self._steps is not None:
            self._turn()

    def cancel(self) -> None:
        steps, self._steps = self._steps, None
        self._timer.stop()
        if steps is not None:
            steps.close()

    def _turn(self) -> None:
        steps = self._steps
        if steps is None:
            return
        try:
            next(steps)
        except StopIteration:
            self._steps = None
            self.applied.emit()
            return
        except BaseException:
            self._steps = None
            raise
        self._timer.start()
