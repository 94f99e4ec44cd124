"""A delegate that paints a cell's text as a colored status badge."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ..theme import color_for, text_color_on


class BadgeDelegate(QStyledItemDelegate):
    """``colors`` maps a cell's text to its badge color (default: the theme's status colors)."""

    def __init__(self, parent=None, colors: Callable[[str], QColor] = color_for):
        super().__init__(parent)
        self._colors = colors

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not text:
            super().paint(painter, option, index)
            return
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = option.fontMetrics
        text = str(text)
        room = max(0, option.rect.width() - 8 - 14)
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)  # the tooltip has it whole
        width = min(metrics.horizontalAdvance(shown) + 14, max(0, option.rect.width() - 8))
        height = min(option.rect.height() - 6, metrics.height() + 4)
        rect = QRectF(option.rect.x() + 4, option.rect.center().y() - height / 2 + 1, width, height)
        bg = self._colors(text.partition(" (")[0])  # "CANCELLED (native SKIPPED)": CANCELLED's color
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        # on a selected row the badge keeps an outline, so a blue badge stays visible on the highlight
        painter.setPen(option.palette.highlightedText().color() if selected else Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(text_color_on(bg))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, shown)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 22, max(size.height(), option.fontMetrics.height() + 10))
