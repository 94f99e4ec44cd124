"""A Gantt-style timeline of an execution's waves: one bar per wave from its start to its end
(or to now while it runs), colored by status, over a time axis.

It paints from the last ExecutionView it was given and the current time; the page calls
``set_view`` on each monitor update and ``set_now`` from its one-second ticker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...domain.execution import ExecutionView, WaveView
from ...domain.fields import duration_text, stamp
from ...domain.progress import wave_state_text
from ...domain.status import ExecutionStatus
from ..theme import GREY, PURPLE, color_for, text_color_on

ROW_HEIGHT = 24
AXIS_HEIGHT = 22
LABEL_WIDTH = 120
MARGIN = 8
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def _tick_step(span_seconds: float, width: float, min_px: float = 70.0) -> int:
    """The smallest 'round' step that keeps tick labels at least ``min_px`` apart."""
    if span_seconds <= 0 or width <= 0:
        return 60
    for step in _STEPS:
        if width * step / span_seconds >= min_px:
            return step
    return _STEPS[-1]


def _bar_color(w: WaveView) -> QColor:
    if w.status is None:
        return GREY
    if w.status is ExecutionStatus.PAUSED:
        return PURPLE
    return color_for(w.status.value)


class WaveTimeline(QWidget):
    wave_clicked = Signal(int)  # wave index

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view: ExecutionView | None = None
        self.now = datetime.now(UTC)
        self.selected: int | None = None
        self.setObjectName("waveTimeline")
        self.setMinimumHeight(AXIS_HEIGHT + ROW_HEIGHT + 2 * MARGIN)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)

    # -- data ----------------------------------------------------------------------------------
    def set_view(self, view: ExecutionView | None, now: datetime | None = None) -> None:
        self.view = view
        if now is not None:
            self.now = now
        self.updateGeometry()
        self.update()

    def set_now(self, now: datetime) -> None:
        self.now = now
        if self.view is not None and not self.view.is_terminal:
            self.update()

    def set_selected(self, index: int | None) -> None:
        self.selected = index
        self.update()

    def sizeHint(self) -> QSize:
        rows = len(self.view.waves) if self.view else 1
        return QSize(600, AXIS_HEIGHT + 2 * MARGIN + max(1, rows) * ROW_HEIGHT)

    def time_range(self) -> tuple[datetime, datetime]:
        """The axis: from the execution's start to its end, or to now while it runs."""
        view = self.view
        assert view is not None
        starts = [w.started_at for w in view.waves if w.started_at] + ([view.started_at] if view.started_at else [])
        start = min(starts) if starts else self.now
        ends = [w.ended_at for w in view.waves if w.ended_at] + ([view.ended_at] if view.ended_at else [])
        end = view.ended_at if view.is_terminal and view.ended_at else self.now
        if ends:
            end = max([end, *ends])
        if end - start < timedelta(seconds=60):
            end = start + timedelta(seconds=60)
        return start, end

    def bar_rects(self) -> dict[int, QRectF]:
        """Where each started wave's bar is drawn (for tests and hit testing)."""
        if self.view is None:
            return {}
        start, end = self.time_range()
        span = (end - start).total_seconds()
        left = LABEL_WIDTH + MARGIN
        width = max(10.0, self.width() - left - MARGIN)
        rects = {}
        for row, w in enumerate(self.view.waves):
            if w.started_at is None:
                continue
            stop = w.ended_at or (self.view.ended_at if self.view.is_terminal else None) or self.now
            x0 = left + width * (w.started_at - start).total_seconds() / span
            x1 = left + width * (stop - start).total_seconds() / span
            y = MARGIN + AXIS_HEIGHT + row * ROW_HEIGHT + 4
            rects[w.index] = QRectF(x0, y, max(3.0, x1 - x0), ROW_HEIGHT - 8)
        return rects

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.base())
        fm = QFontMetrics(self.font())
        if self.view is None or not self.view.waves:
            painter.setPen(pal.placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No wave has started yet.")
            return
        start, end = self.time_range()
        span = (end - start).total_seconds()
        left = LABEL_WIDTH + MARGIN
        width = max(10.0, self.width() - left - MARGIN)
        top = MARGIN + AXIS_HEIGHT
        bottom = top + len(self.view.waves) * ROW_HEIGHT

        # axis: ticks at round times since the start
        step = _tick_step(span, width)
        grid = QPen(pal.mid().color())
        grid.setStyle(Qt.PenStyle.DotLine)
        text_pen = QPen(pal.text().color())
        t = 0
        while t <= span + 0.5:
            x = left + width * t / span
            painter.setPen(grid)
            painter.drawLine(QPointF(x, top - 4), QPointF(x, bottom))
            if t > 0:  # the start is labelled by its clock time, on the left
                painter.setPen(text_pen)
                # centred on its tick, but never cut by the right edge
                lx = min(x - 40, self.width() - MARGIN - 80)
                align = Qt.AlignmentFlag.AlignCenter if lx == x - 40 else Qt.AlignmentFlag.AlignRight
                painter.drawText(QRectF(lx, MARGIN, 80, AXIS_HEIGHT - 6), align | Qt.AlignmentFlag.AlignVCenter,
                                 _offset_label(t))
            t += step
        painter.setPen(text_pen)
        painter.drawText(
            QRectF(MARGIN, MARGIN, LABEL_WIDTH - MARGIN, AXIS_HEIGHT - 6),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            stamp(start),
        )

        rects = self.bar_rects()
        for row, w in enumerate(self.view.waves):
            y = top + row * ROW_HEIGHT
            if w.index == self.selected:
                painter.fillRect(QRectF(0, y, self.width(), ROW_HEIGHT), pal.alternateBase())
            painter.setPen(text_pen)
            name = fm.elidedText(f"{w.index + 1}  {w.name}", Qt.TextElideMode.ElideRight, LABEL_WIDTH - MARGIN)
            painter.drawText(
                QRectF(MARGIN, y, LABEL_WIDTH - MARGIN, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
            rect = rects.get(w.index)
            if rect is None:
                painter.setPen(pal.placeholderText().color())
                painter.drawText(
                    QRectF(left + 4, y, width, ROW_HEIGHT),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    wave_state_text(w),  # the same words as the wave table's status (never "not started" for a failed one)
                )
                continue
            color = _bar_color(w)
            running = w.ended_at is None and not self.view.is_terminal
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(rect, 4, 4)
            if running:  # a bright leading edge: this bar is still growing
                painter.setBrush(color.lighter(150))
                painter.drawRect(QRectF(rect.right() - 3, rect.top(), 3, rect.height()))
            stop = None if w.ended_at or not self.view.is_terminal else self.view.ended_at
            label = f"{w.status.value if w.status else ''}  {duration_text(w.duration_seconds(stop or self.now))}"
            need = fm.horizontalAdvance(label) + 10
            if need < rect.width():
                painter.setPen(text_color_on(color))
                painter.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, label)
            elif rect.right() + need < self.width():
                painter.setPen(text_pen)
                painter.drawText(QRectF(rect.right() + 4, y, need, ROW_HEIGHT),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
            elif rect.left() - need > left:
                painter.setPen(text_pen)
                painter.drawText(QRectF(rect.left() - need, y, need - 4, ROW_HEIGHT),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        if not self.view.is_terminal:  # the "now" line
            x = left + width * (self.now - start).total_seconds() / span
            pen = QPen(QColor("#d93025"))
            pen.setWidth(1)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, top - 4), QPointF(x, bottom))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self.view is None:
            return
        row = int((event.position().y() - MARGIN - AXIS_HEIGHT) // ROW_HEIGHT)
        if 0 <= row < len(self.view.waves):
            index = self.view.waves[row].index
            self.set_selected(index)
            self.wave_clicked.emit(index)


def _offset_label(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{s:02d}s" if s else f"{m}m"
    return f"{s}s"
