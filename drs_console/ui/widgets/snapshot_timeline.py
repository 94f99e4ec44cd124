"""A strip per source server of its recovery snapshot times over the last days, on one time axis,
with an optional requested point in time drawn as a line across every strip.

API (for any page or dialog that embeds it): ``set_snapshots({server ID: [datetime, ...]})``,
``set_names({server ID: name})``, ``set_point(datetime | None)``, ``set_window(start, end)``
(default: the last ``DEFAULT_DAYS`` days up to now). It paints what it was given; reading the
snapshots (DescribeRecoverySnapshots) is the caller's job, off the GUI thread.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...domain.fields import age_text, utc_text
from ..theme import GREEN, RED

DEFAULT_DAYS = 7
ROW_HEIGHT = 26
AXIS_HEIGHT = 22
POINT_LABEL_HEIGHT = 18
LABEL_WIDTH = 170
MARGIN = 8
HIT_PX = 6  # how near (pixels) the pointer must be to a snapshot for its tooltip
_STEPS_HOURS = (1, 2, 3, 6, 12, 24, 48, 72, 168)
POINT_COLOR = RED
SNAPSHOT_COLOR = GREEN


def _tick_hours(span_seconds: float, width: float, min_px: float = 90.0) -> int:
    for step in _STEPS_HOURS:
        if span_seconds <= 0 or width * step * 3600 / span_seconds >= min_px:
            return step
    return _STEPS_HOURS[-1]


class SnapshotTimeline(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("snapshotTimeline")
        self.snapshots: dict[str, list[datetime]] = {}  # server ID -> times, oldest first
        self.names: dict[str, str] = {}
        self.point: datetime | None = None
        self.now = datetime.now(UTC)
        self._window: tuple[datetime, datetime] | None = None
        self.empty_text = "No servers."
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)

    # -- API -----------------------------------------------------------------------------------
    def set_snapshots(self, snapshots: Mapping[str, Sequence[datetime]], now: datetime | None = None) -> None:
        """Each server's recovery snapshot times (any order); the servers keep the order given."""
        self.snapshots = {sid: sorted(t.astimezone(UTC) for t in times) for sid, times in snapshots.items()}
        if now is not None:
            self.now = now
        self.updateGeometry()
        self.update()

    def set_names(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self.update()

    def set_point(self, point: datetime | None) -> None:
        """The requested point in time (None: none), drawn as a line across every strip."""
        self.point = point.astimezone(UTC) if point is not None else None
        self.update()

    def set_window(self, start: datetime | None, end: datetime | None = None) -> None:
        """The axis (None: the last DEFAULT_DAYS days up to now)."""
        self._window = None if start is None else (start, end or self.now)
        self.update()

    def set_now(self, now: datetime) -> None:
        self.now = now
        self.update()

    def window(self) -> tuple[datetime, datetime]:
        if self._window is not None:
            start, end = self._window
        else:
            end = self.now
            start = end - timedelta(days=DEFAULT_DAYS)
        if self.point is not None:  # a requested point outside the window widens it
            start, end = min(start, self.point - timedelta(hours=1)), max(end, self.point)
        return start, max(end, start + timedelta(minutes=10))

    # -- geometry ------------------------------------------------------------------------------
    def _left(self) -> float:
        return LABEL_WIDTH + MARGIN

    def _width(self) -> float:
        return max(10.0, self.width() - self._left() - MARGIN)

    def _top(self) -> float:
        return MARGIN + POINT_LABEL_HEIGHT

    def x_of(self, when: datetime) -> float:
        start, end = self.window()
        return self._left() + self._width() * (when - start).total_seconds() / (end - start).total_seconds()

    def row_rect(self, row: int) -> QRectF:
        """The strip of the server at ``row``."""
        return QRectF(self._left(), self._top() + row * ROW_HEIGHT + 5, self._width(), ROW_HEIGHT - 10)

    def snapshot_at(self, pos: QPointF) -> tuple[str, datetime] | None:
        """The server and snapshot time under ``pos`` (within HIT_PX), for the tooltip."""
        row = int((pos.y() - self._top()) // ROW_HEIGHT)
        servers = list(self.snapshots)
        if not 0 <= row < len(servers) or pos.x() < self._left():
            return None
        sid = servers[row]
        times = self.snapshots[sid]
        if not times:
            return None
        start, end = self.window()
        span = (end - start).total_seconds()
        when = start + timedelta(seconds=(pos.x() - self._left()) / self._width() * span)
        i = bisect_left(times, when)
        near = min((t for t in times[max(0, i - 1): i + 1]), key=lambda t: abs((t - when).total_seconds()))
        return (sid, near) if abs(self.x_of(near) - pos.x()) <= HIT_PX else None

    def sizeHint(self) -> QSize:
        rows = max(1, len(self.snapshots))
        return QSize(700, self._top() + rows * ROW_HEIGHT + AXIS_HEIGHT + MARGIN)

    def minimumSizeHint(self) -> QSize:
        return QSize(400, self._top() + ROW_HEIGHT + AXIS_HEIGHT + MARGIN)

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
        if not self.snapshots:
            painter.setPen(pal.placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        start, end = self.window()
        span = (end - start).total_seconds()
        left, width, top = self._left(), self._width(), self._top()
        bottom = top + len(self.snapshots) * ROW_HEIGHT
        text_pen = QPen(pal.text().color())

        # the axis: a tick every few hours (or days), labelled below the strips
        step = _tick_hours(span, width) * 3600
        grid = QPen(pal.mid().color())
        grid.setStyle(Qt.PenStyle.DotLine)
        first = datetime.fromtimestamp((start.timestamp() // step + 1) * step, UTC)
        t = first
        while t <= end:
            x = self.x_of(t)
            painter.setPen(grid)
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            painter.setPen(text_pen)
            label = f"{t:%m-%d}" if step >= 86400 or (t.hour == 0 and t.minute == 0) else f"{t:%H:%M}"
            if step < 86400 and t.hour == 0:
                label = f"{t:%m-%d} 00:00"
            lx = max(left, min(x - 45, self.width() - MARGIN - 90))
            painter.drawText(QRectF(lx, bottom + 2, 90, AXIS_HEIGHT - 4), Qt.AlignmentFlag.AlignCenter, label)
            t += timedelta(seconds=step)
        painter.drawText(QRectF(MARGIN, bottom + 2, LABEL_WIDTH - MARGIN, AXIS_HEIGHT - 4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "UTC")

        strip = pal.alternateBase().color()
        for row, (sid, times) in enumerate(self.snapshots.items()):
            y = top + row * ROW_HEIGHT
            painter.setPen(text_pen)
            name = self.names.get(sid) or sid
            painter.drawText(QRectF(MARGIN, y, LABEL_WIDTH - MARGIN, ROW_HEIGHT),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(name, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 2 * MARGIN))
            rect = self.row_rect(row)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(strip)
            painter.drawRoundedRect(rect, 3, 3)
            shown = [t for t in times if start <= t <= end]
            if not shown:
                painter.setPen(pal.placeholderText().color())
                painter.drawText(rect.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter,
                                 "no recovery snapshot" + (" in this window" if times else ""))
                continue
            pen = QPen(SNAPSHOT_COLOR)
            pen.setWidthF(2.0)
            painter.setPen(pen)
            for t in shown:
                x = self.x_of(t)
                painter.drawLine(QPointF(x, rect.top() + 2), QPointF(x, rect.bottom() - 2))
            newest = shown[-1]  # the newest: a taller mark
            painter.drawLine(QPointF(self.x_of(newest), rect.top() - 3), QPointF(self.x_of(newest), rect.bottom() + 3))

        if self.point is not None:
            x = self.x_of(self.point)
            pen = QPen(QColor(POINT_COLOR))
            pen.setWidthF(2.0)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, top - 2), QPointF(x, bottom))
            label = f"requested {utc_text(self.point)}"
            w = fm.horizontalAdvance(label) + 8
            lx = min(max(left, x - w / 2), self.width() - MARGIN - w)
            painter.drawText(QRectF(lx, MARGIN - 2, w, POINT_LABEL_HEIGHT), Qt.AlignmentFlag.AlignCenter, label)

    def event(self, e) -> bool:  # noqa: D401 - Qt override
        if e.type() == e.Type.ToolTip and isinstance(e, QHelpEvent):
            hit = self.snapshot_at(QPointF(e.pos()))
            if hit is None:
                QToolTip.hideText()
                e.ignore()
                return True
            sid, when = hit
            QToolTip.showText(e.globalPos(), self.tooltip_text(sid, when), self)
            return True
        return super().event(e)

    def tooltip_text(self, sid: str, when: datetime) -> str:
        name = self.names.get(sid)
        who = f"{name} ({sid})" if name and name != sid else sid
        return f"{who}\nrecovery snapshot {utc_text(when)}, {age_text((self.now - when).total_seconds())} ago"
