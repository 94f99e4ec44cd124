"""Desktop notifications for what an operator must not miss while looking elsewhere: an execution
paused for a go-ahead, a wave failed, an execution ended.

``Notifier`` shows them through the system tray (QSystemTrayIcon.showMessage). Where there is no
tray (offscreen, some Linux desktops) it falls back to the main window's status bar. Every
notification sent is kept in ``sent`` (tests read it; the page can list them).
``transitions(previous, current)`` decides what deserves one: only changes seen live, never the
state found when first attaching to an execution.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QStatusBar, QSystemTrayIcon

from ..domain.execution import ExecutionView
from ..domain.fields import duration_text, utc_text, wave_label
from ..domain.progress import (
    counts_text,
    execution_status_text,
    failed_servers_text,
    recovery_time,
    wave_outcome,
)
from ..domain.status import ExecutionStatus
from ..domain.text import printable

log = logging.getLogger(__name__)

FAILED_WAVE = frozenset({ExecutionStatus.FAILED, ExecutionStatus.PARTIAL, ExecutionStatus.TIMEOUT})


class Kind:
    PAUSED = "paused"
    WAVE_FAILED = "wave-failed"
    ENDED = "ended"


@dataclass(frozen=True)
class Notification:
    kind: str
    execution_id: str
    title: str
    message: str
    critical: bool = False
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    key: str = ""  # what makes it unique: never sent twice


def _label(view: ExecutionView) -> str:
    return f"{view.execution_type.value} {view.plan_name or view.execution_id}"


def _note(kind: str, view: ExecutionView, title: str, message: str, key: str, critical: bool = False) -> Notification:
    # names and errors come from files and AWS: control characters shown as escapes
    return Notification(kind, view.execution_id, printable(title), printable(message), critical=critical, key=key)


def as_started(view: ExecutionView) -> ExecutionView:
    """The execution as it was when this console started it: nothing run yet. The first state read
    of an execution found running is not news; of one the operator started here, it is (a run that
    pauses before its first wave, or fails it, before the monitor's first read)."""
    return replace(view, status=ExecutionStatus.PENDING, ended_at=None, waves=())


def transitions(previous: ExecutionView | None, current: ExecutionView) -> list[Notification]:
    """Notifications for what changed between two views of the same execution. What they state
    (statuses, counts, wave names, times, server names and IDs) is what ``status`` and ``--json``
    state of the same view: the same domain derivations (progress.py) and formatters (fields.py)."""
    if previous is None:
        return []
    out: list[Notification] = []
    label = _label(current)
    eid = current.execution_id
    if current.status is ExecutionStatus.PAUSED and previous.status is not ExecutionStatus.PAUSED:
        waiting = next((w for w in current.waves if w.status is ExecutionStatus.PAUSED), None)
        out.append(_note(Kind.PAUSED, current, f"{label}: {execution_status_text(current)}",
                         "Waiting for an operator: Resume it (or Cancel) in DRS Console.",
                         f"{eid}/paused/{waiting.index if waiting else -1}"))
    before = {w.index: w.status for w in previous.waves}
    for w in current.waves:
        if w.status in FAILED_WAVE and before.get(w.index) != w.status and before.get(w.index) not in FAILED_WAVE:
            outcome = wave_outcome(w)
            failed = failed_servers_text(w)
            detail = "; ".join(x for x in (
                f"{outcome}: {failed}" if outcome and failed else outcome,
                f"ended {utc_text(w.ended_at)}" if w.ended_at else "",
                ": ".join(x for x in (w.error, w.cause) if x),
            ) if x)
            out.append(_note(Kind.WAVE_FAILED, current,
                             f"{label}: {wave_label(w)} {w.status.value}" + (f": {outcome}" if outcome else ""),
                             detail or "See the wave's job log.", f"{eid}/wave/{w.index}", critical=True))
    if current.is_terminal and not previous.is_terminal:
        status = execution_status_text(current)
        rto = recovery_time(current)
        said = "; ".join(x for x in (
            counts_text(current, "; "),
            f"ended {utc_text(current.ended_at)}" if current.ended_at else "",
            f"recovery time {duration_text(rto.total_seconds)}" if rto.total_seconds is not None else "",
        ) if x)
        why = ": ".join(x for x in (current.error, current.cause) if x)
        out.append(_note(Kind.ENDED, current, f"{label}: {status}",
                         ". ".join(x for x in (said, why) if x)
                         or f"The execution ended {status}.",
                         f"{eid}/ended", critical=current.status is not ExecutionStatus.COMPLETED))
    return out


class Notifier(QObject):
    notified = Signal(object)  # Notification

    def __init__(
        self,
        status_bar: Callable[[], QStatusBar | None] | None = None,
        *,
        icon: QIcon | None = None,
        use_tray: bool | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.sent: list[Notification] = []
        self._keys: set[str] = set()
        self._status_bar = status_bar or (lambda: None)
        self.tray: QSystemTrayIcon | None = None
        if use_tray is None:
            use_tray = QSystemTrayIcon.isSystemTrayAvailable()
        if use_tray:
            if icon is None or icon.isNull():
                from ..resources import resource_path

                icon = QIcon(str(resource_path("icons", "drs-console-512.png")))
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("DRS Console")
            self.tray.show()

    def notify(self, note: Notification) -> bool:
        """Show ``note`` unless one with the same key was already sent. Returns whether it was."""
        if note.key and note.key in self._keys:
            return False
        if note.key:
            self._keys.add(note.key)
        self.sent.append(note)
        log.info("notification: %s — %s", note.title, note.message)
        if self.tray is not None and self.tray.isVisible():
            icon = (
                QSystemTrayIcon.MessageIcon.Critical if note.critical else QSystemTrayIcon.MessageIcon.Information
            )
            self.tray.showMessage(note.title, note.message, icon, 15000)
        else:
            bar = self._status_bar()
            if bar is not None:
                bar.showMessage(f"{note.title} — {note.message}", 60000)
        self.notified.emit(note)
        return True

    def observe(self, previous: ExecutionView | None, current: ExecutionView) -> list[Notification]:
        return [n for n in transitions(previous, current) if self.notify(n)]

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()
