"""Sizes and colours shared by the Executions page's widgets: column widths from the font (so a
column holds its longest usual value on any screen), the width and height a table needs, badges."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QWidget

from ...table_view import ConsoleTableView
from ...theme import BLUE, RED, text_color_on

DRILL_COLOR = BLUE
RECOVERY_COLOR = RED


def now() -> datetime:
    return datetime.now(UTC)


def badge_css(color) -> str:
    return (
        f"background: {color.name()}; color: {text_color_on(color).name()}; border-radius: 9px;"
        " padding: 2px 10px; font-weight: bold;"
    )


def type_color(text: str) -> QColor:
    """DRILL in blue, RECOVERY in red."""
    return RECOVERY_COLOR if text == "RECOVERY" else DRILL_COLOR


def header_height(table: ConsoleTableView) -> int:
    header = table.horizontalHeader()
    return max(header.height() if header.isVisible() else 0, header.sizeHint().height())


def columns_width(table: ConsoleTableView, *, last_min: int = 0) -> int:
    """The width that shows every visible column (the last, stretched one at least ``last_min``)."""
    header = table.horizontalHeader()
    visible = [c for c in range(header.count()) if not table.isColumnHidden(c)]
    if not visible:
        return 0
    width = sum(table.columnWidth(c) for c in visible[:-1]) + max(last_min, header.sectionSizeHint(visible[-1]))
    return width + 2 * table.frameWidth() + table.verticalScrollBar().sizeHint().width()


class TextWidths:
    """Column widths from the table's font, so they hold their longest usual value on any screen."""

    def __init__(self, table: QWidget):
        self.metrics = table.fontMetrics()
        self.bold_font = QFont(table.font())
        self.bold_font.setBold(True)
        self.header_metrics = table.horizontalHeader().fontMetrics()

    def text(self, sample: str) -> int:
        return self.metrics.horizontalAdvance(sample) + 14

    def bold(self, sample: str) -> int:
        """A cell in bold (an active execution's plan)."""
        return QFontMetrics(self.bold_font).horizontalAdvance(sample) + 14

    def badge(self, sample: str) -> int:
        return self.metrics.horizontalAdvance(sample) + 30  # BadgeDelegate's padding

    def header(self, label: str, *, sort: bool = False) -> int:
        return self.header_metrics.horizontalAdvance(label) + (34 if sort else 18)
