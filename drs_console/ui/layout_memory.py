"""The desktop's layout remembered per user: splitter sizes and hidden table columns.

Stored in the typed settings (store/settings.py), saved a moment after the user stops dragging.
With ``persist=False`` (tests, --screenshot) nothing saved is applied and nothing is written, so
a screenshot always shows the layout sized by content.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QSplitter

from ..store.settings import Settings, save_settings

log = logging.getLogger(__name__)
SAVE_DELAY_MS = 400


class LayoutMemory(QObject):
    def __init__(self, settings: Settings, *, persist: bool, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.persist = persist
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save)
        self._moved_keys: set[str] = set()  # moved by the user in this session

    # -- splitters -----------------------------------------------------------------------------
    def splitter(self, key: str, splitter: QSplitter) -> bool:
        """Restore ``splitter``'s saved sizes (True if there were some) and remember the user's moves."""
        splitter.splitterMoved.connect(lambda _pos, _i, k=key, s=splitter: self._moved(k, s))
        sizes = self.saved_sizes(key)
        if sizes and len(sizes) == splitter.count():
            splitter.setSizes(sizes)
            return True
        return False

    def saved_sizes(self, key: str) -> list[int] | None:
        if not self.persist:
            return None
        sizes = self.settings.splitters.get(key)
        return list(sizes) if sizes and any(sizes) else None

    def user_sized(self, key: str) -> bool:
        """The user has set this splitter (now or in an earlier session): never size it by content."""
        return key in self._moved_keys or self.saved_sizes(key) is not None

    def _moved(self, key: str, splitter: QSplitter) -> None:
        self._moved_keys.add(key)
        self.settings.splitters[key] = [int(n) for n in splitter.sizes()]
        self._timer.start()

    # -- table columns -------------------------------------------------------------------------
    def hidden_columns(self, key: str) -> list[int] | None:
        if not self.persist:
            return None
        cols = self.settings.hidden_columns.get(key)
        return list(cols) if cols is not None else None

    def remember_hidden(self, key: str, columns: list[int]) -> None:
        self.settings.hidden_columns[key] = sorted(columns)
        self._timer.start()

    def save(self) -> None:
        self._timer.stop()
        if not self.persist:
            return
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.warning("could not save the layout: %s", exc)


def fit_first(splitter: QSplitter, wanted: int, *, rest_min: int = 0) -> None:
    """Give the splitter's first pane ``wanted`` pixels and the rest to the others' last pane
    (never leaving the rest less than ``rest_min``)."""
    total = sum(splitter.sizes())
    if total <= 0:
        return
    first = max(0, min(wanted, total - rest_min))
    sizes = splitter.sizes()
    others = sizes[1:]
    remaining = total - first
    if len(others) == 1:
        splitter.setSizes([first, remaining])
        return
    fixed = sum(others[:-1])
    splitter.setSizes([first, *others[:-1], max(0, remaining - fixed)])
