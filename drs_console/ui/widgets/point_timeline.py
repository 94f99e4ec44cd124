"""The Run dialog's recovery-snapshot timeline for "Point in time": every server of the plan a strip
of its recovery snapshots (``snapshot_timeline.SnapshotTimeline``) with the chosen point drawn as a
line, so the operator sees, before choosing, which points every server covers.

The snapshots are read once per dialog (``load``: a plain coroutine; ``fetch`` is the engine's
``recovery_snapshots``, DescribeRecoverySnapshots through ``aws/snapshots.py`` on the connection's
executor, never on the GUI thread) and read again only when a point before what was read is
chosen. ``set_point`` only moves the line and the axis.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from ...domain.errors import ConsoleError
from ...domain.text import printable
from ...domain.wording import plural
from .snapshot_timeline import SnapshotTimeline

Fetch = Callable[[Iterable[str], datetime], Awaitable[Mapping[str, list[Any]]]]
READ_DAYS = 7  # what is read first: DRS keeps a server's snapshots for up to a week by default
MIN_SPAN = timedelta(hours=24)  # the axis shows at least the last day
BEFORE_POINT = timedelta(hours=3)  # and a few hours before the chosen point
HEIGHT = 190


class PointTimeline(QWidget):
    def __init__(self, fetch: Fetch | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pointTimeline")
        self.fetch = fetch
        self.timeline = SnapshotTimeline()
        self.timeline.empty_text = "Reading the recovery snapshots…"
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.timeline)
        self.scroll.setMaximumHeight(HEIGHT)
        self.status = QLabel("")
        self.status.setObjectName("pointTimelineStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        layout.addWidget(self.status)
        self.read_since: datetime | None = None  # what was read covers [read_since, now]
        self.server_ids: list[str] = []
        self.point: datetime | None = None

    def _fit(self) -> None:
        """As tall as its strips (a scroll bar past ``HEIGHT``)."""
        self.scroll.setMinimumHeight(min(HEIGHT, self.timeline.sizeHint().height() + 2 * self.scroll.frameWidth()))

    def needs_load(self, point: datetime | None, server_ids: Iterable[str] = ()) -> bool:
        """Whether what was read does not cover ``point`` (or these servers)."""
        return (self.read_since is None or (point is not None and point - BEFORE_POINT < self.read_since)
                or not set(server_ids) <= set(self.server_ids))

    def set_point(self, point: datetime | None) -> None:
        """Draw the chosen point; the axis spans at least the last day and a few hours before it."""
        self.point = point
        now = datetime.now(UTC)
        start = now - MIN_SPAN
        if point is not None:
            start = min(start, point - BEFORE_POINT)
        self.timeline.set_window(start, now)
        self.timeline.set_point(point)

    async def load(self, server_ids: Iterable[str], names: Mapping[str, str], point: datetime | None) -> None:
        """Read the servers' snapshots since a week ago (or before ``point``) and draw them."""
        ids = list(dict.fromkeys(server_ids))
        now = datetime.now(UTC)
        since = now - timedelta(days=READ_DAYS)
        if point is not None:
            since = min(since, point - BEFORE_POINT - timedelta(days=1))
        self.server_ids = ids
        self.timeline.set_names(names)
        self.set_point(point)
        if not ids:
            self.timeline.empty_text = "The plan has no servers."
            self.timeline.set_snapshots({}, now)
            return
        if self.fetch is None:
            self.timeline.empty_text = "Not connected: the recovery snapshots are read live from DRS."
            self.timeline.set_snapshots({}, now)
            return
        read = await read_snapshots(self.timeline, self.status, ids, since, self.fetch)
        if read is None:
            return
        self.read_since = since
        self._fit()
        self.set_point(self.point)
        self.status.setText(read + "; the red line is the chosen point: each server recovers to its newest "
                            "snapshot left of it.")


async def read_snapshots(timeline: SnapshotTimeline, status: QLabel, ids: list[str], since: datetime,
                         fetch: Fetch) -> str | None:
    """Read ``ids``' snapshots since ``since`` into ``timeline``; the summary line (None: the error
    is in ``status``). Shared by the Run dialog's timeline and the Recovery points dialog."""
    status.setText(f"Reading the recovery snapshots of {plural(len(ids), 'server')}…")
    try:
        found = await fetch(ids, since)
    except ConsoleError as exc:
        status.setText(printable(exc.one_line()))
        return None
    timeline.set_snapshots({sid: [s.at for s in found.get(sid, [])] for sid in ids}, datetime.now(UTC))
    none = [sid for sid in ids if not found.get(sid)]
    total = sum(len(found.get(sid, [])) for sid in ids)
    text = f"{plural(total, 'recovery snapshot')} of {plural(len(ids), 'server')} since {since:%Y-%m-%d %H:%M} UTC"
    return text + (f"; {plural(len(none), 'server')} with none" if none else "")
