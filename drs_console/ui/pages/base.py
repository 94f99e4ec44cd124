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
