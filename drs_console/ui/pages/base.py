"""What every page of the main window provides."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


class Page(QWidget):
    key: str = ""
    title: str = ""

    async def ready(self) -> None:
        """Return once the page shows its data (used by --screenshot and by tests)."""

    def shutdown(self) -> None:
        """Stop the page's background work (pollers, timers). Called on quit."""

    def has_unsaved(self) -> bool:
        """True when closing the app now would lose the user's edits."""
        return False

    def ask_unsaved(self, then) -> None:
        """Ask Save / Discard / Cancel without blocking; call ``then`` after Save or Discard."""
        then()
